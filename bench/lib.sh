# Shared helpers of the benchmark scripts (sourced: `. bench/lib.sh`).

note() { printf '%s\n' "$*" >&2; }
die() { note "$(basename "$0"): $*"; exit 1; }

# A loopback port nothing uses (prodd's API listens there, never on 8003).
free_port() {
	p=$((20000 + $$ % 10000))
	while [ "$p" -eq 8003 ] || grep -q ":$(printf %04X "$p") " \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}

# status_kb FIELD PID: a kB figure of /proc/PID/status (VmRSS, RssAnon...)
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status"; }

# "BUSY TOTAL" jiffies of the whole machine (every core), from /proc/stat
machine() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9,
    $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat; }
# busy M2 M3: % of the machine busy between two `machine` readings
busy() { echo "$1 $2" | awk '{ printf "%.0f", 100 * ($3 - $1) / ($4 - $2) }'; }
# quiet: wait (at most QUIET_WAIT s) for a second in which the machine is
# under 10 % busy, so that other work skews the figures less
quiet() {
	q=0
	while [ "$q" -lt "${QUIET_WAIT:-15}" ]; do
		a=$(machine)
		sleep 1
		[ "$(busy "$a" "$(machine)")" -lt 10 ] && return 0
		q=$((q + 1))
	done
	note "  (the machine stayed busy: measuring anyway)"
}
