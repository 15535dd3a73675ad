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

# groups_of PID: the process groups of prodd PID's services (its
# children, each the leader of its own group)
groups_of() { cat "/proc/$1/task/"*/children 2>/dev/null || true; }

# idle_services N PREFIX [MORE]: the entries of a services: list for N idle
# services PREFIX1..PREFIXN, each `sleep 100000`, MORE (e.g. "restart:
# always") added to each
idle_services() {
	_is=1
	while [ "$_is" -le "$1" ]; do
		echo "  - { name: $2$_is, command: sleep 100000${3:+, $3} }"
		_is=$((_is + 1))
	done
}

# threads_cpu_ns PID: CPU time of every thread of PID, ns (the sum of
# their schedstat's first field)
threads_cpu_ns() {
	cat "/proc/$1/task/"*/schedstat 2>/dev/null |
	    awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# term_wait PID: SIGTERM to prodd PID, then its end (at most 30 s)
term_wait() {
	kill -s TERM "$1"
	_tw=0
	while kill -0 "$1" 2>/dev/null; do
		_tw=$((_tw + 1))
		[ "$_tw" -le 300 ] || die "prodd $1 did not exit in 30 s"
		sleep 0.1
	done
	wait "$1" 2>/dev/null || true
}

# end_prodd PID...: SIGKILL each prodd and the group of every service it runs
end_prodd() {
	for _ep in "$@"; do
		for _eg in $(groups_of "$_ep"); do
			kill -s KILL -- "-$_eg" 2>/dev/null
		done
		kill -s KILL "$_ep" 2>/dev/null
	done
	return 0
}

# end_recorded STATE_DIR...: SIGKILL the groups a state_dir records
# (services whose prodd is already gone)
end_recorded() {
	for _ed in "$@"; do
		for _ef in "$_ed"/groups/*; do
			[ -f "$_ef" ] || continue
			read -r _eg _ <"$_ef" && kill -s KILL -- "-$_eg" 2>/dev/null
		done
	done
	return 0
}

# end_tmp DIR: a run's temporary directory removed, or kept with KEEP=1
# (and said where)
end_tmp() {
	if [ -n "${KEEP:-}" ]; then
		note "kept $1"
	else
		rm -rf "$1"
	fi
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
