#!/bin/sh
# Output capture benchmark: prodd's CPU for the lines its services print.
# F services (default 4) each print R lines a second (default 12,500, every
# 10th on stderr) of B bytes (default 1,024): 50 MB/s in all, beside IDLE
# (default 100) `sleep` services whose pipes stay quiet. Once every
# service runs and QUIET_WAIT s have passed, it measures over a WINDOW
# (default 10 s): prodd's CPU (schedstat of every thread) as % of one core,
# the bytes its log files grew by (no rotation: max_size 4G), and prodd's
# CPU per MB written. ROUNDS (default 3) rounds, each a new prodd; the
# median round is reported.
#   sh bench/output.sh
#   (env: F=4, R=12500, B=1024, IDLE=100, WINDOW=10, ROUNDS=3, QUIET_WAIT=3,
#    BUILD=build, KEEP=1 keeps the temporary directory)
# Prints a markdown table on stdout, progress on stderr. Every wait is
# bounded.
set -eu
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
F=${F:-4}
R=${R:-12500}
B=${B:-1024}
IDLE=${IDLE:-100}
WINDOW=${WINDOW:-10}
ROUNDS=${ROUNDS:-3}
QUIET_WAIT=${QUIET_WAIT:-3}
make --no-print-directory -s "$BUILD/prodd" "$BUILD/prodd-exec" \
    "$BUILD/prodd-demo" >/dev/null
top=$(pwd)
prodd=$top/$BUILD/prodd
demo=$top/$BUILD/prodd-demo	# services run in the config's directory
tmp=$(mktemp -d /tmp/prodd-output.XXXXXX)
pid=
cleanup() {
	set +e
	[ -n "$pid" ] && end_prodd "$pid"
	end_recorded "$tmp/state"
	end_tmp "$tmp"
}
trap cleanup EXIT INT TERM
# logged: the bytes of every flood's log file
logged() { cat "$tmp"/logs/flood*.log 2>/dev/null | wc -c; }

{
	echo "daemon: { state_dir: $tmp/state, log_dir: $tmp/logs,"
	echo "  listen: 127.0.0.1:$(free_port) }"
	echo "services:"
	i=1
	while [ "$i" -le "$F" ]; do
		echo "  - { name: flood$i, command: $demo --log-lines-per-s $R" \
		    "--log-line-bytes $B --port $(( $(free_port) + i )),"
		echo "      log: { max_size: 4G, ring: 1000 } }"
		i=$((i + 1))
	done
	idle_services "$IDLE" idle
} >"$tmp/services.yaml"
"$prodd" --check -c "$tmp/services.yaml" >/dev/null ||
    die "the generated config does not check"

r=1
: >"$tmp/round"
while [ "$r" -le "$ROUNDS" ]; do
	rm -rf "$tmp/logs" "$tmp/state"
	"$prodd" -c "$tmp/services.yaml" 2>"$tmp/prodd.log" &
	pid=$!
	t=0
	while [ "$(groups_of "$pid" | wc -w)" -lt $((F + IDLE)) ]; do
		t=$((t + 1))
		[ "$t" -le 300 ] || die "the services did not all start in 30 s"
		sleep 0.1
	done
	sleep "$QUIET_WAIT"
	c0=$(threads_cpu_ns "$pid")
	b0=$(logged)
	w0=$(date +%s%N)
	sleep "$WINDOW"
	c1=$(threads_cpu_ns "$pid")
	b1=$(logged)
	w1=$(date +%s%N)
	term_wait "$pid"
	pid=
	awk -v c="$((c1 - c0))" -v w="$((w1 - w0))" -v b="$((b1 - b0))" \
	    'BEGIN { printf "%.2f %.2f %.0f\n", 100 * c / w, b / (w / 1e3),
	    (c / 1e3) / (b / 1e6) }' >>"$tmp/round"
	note "round $r: CPU % of one core, MB/s written, CPU µs per MB: $(tail -n 1 "$tmp/round")"
	r=$((r + 1))
done
read -r cpu mbs per <<EOF
$(sort -n -k3 "$tmp/round" | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2)')
EOF
echo "| flood | prodd CPU (% of one core) | written (MB/s) | prodd CPU per MB (µs) |"
echo "|---|---:|---:|---:|"
echo "| $F x $R lines/s x $B B, beside $IDLE idle, median of $ROUNDS | $cpu | $mbs | $per |"
