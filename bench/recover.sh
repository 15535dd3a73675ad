#!/bin/sh
# Start after a crash: prodd was killed (kill -9, a crash, an OOM kill),
# then its services died too and were reaped (what a host whose init reaps
# its orphans shows), so state_dir still records N process groups that are
# all gone. The next prodd must make sure of each that nothing of it is
# left before it starts the services again. This measures, for N idle
# services (`sleep 100000`), the time from prodd's exec until all N run
# with those N stale records, beside the same start with blank records (a
# start after a clean stop): the difference is what the check of the old
# groups costs. That check reads /proc/PID/stat of every process on the
# host, so the host's process count is printed too.
#   sh bench/recover.sh
#   (env: N=500, RUNS=5, BUILD=build, PRODD=another prodd binary to measure)
# Prints a markdown table on stdout, progress on stderr. Every wait is
# bounded (30 s a start); every process is killed at the end.
set -eu
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
N=${N:-500}
RUNS=${RUNS:-5}
make --no-print-directory -s "$BUILD/prodd" "$BUILD/prodd-exec" \
    "$BUILD/bench/tick" >/dev/null
top=$(pwd)
prodd=${PRODD:-$top/$BUILD/prodd}
tick=$top/$BUILD/bench/tick
tmp=$(mktemp -d /tmp/prodd-recover.XXXXXX)
started=""
pid=""

cleanup() {
	set +e
	end_prodd $started
	end_recorded "$tmp/state"
	end_tmp "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }
med() { sort -n "$1" | awk '{ v[NR] = $1 } END {
    printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
boot=$(cat /proc/sys/kernel/random/boot_id)

{
	echo "daemon: { state_dir: $tmp/state, log_dir: $tmp/logs,"
	echo "  listen: 127.0.0.1:$(free_port), sample_interval: 1h }"
	echo "services:"
	idle_services "$N" idle
} >"$tmp/services.yaml"

# start LABEL: prodd until all N run, the time into $tmp/LABEL; then a
# clean stop (which leaves every record blank)
start() {
	rm -f "$tmp/t0"
	"$tick" --stamp "$tmp/t0" "$prodd" -c "$tmp/services.yaml" \
	    2>>"$tmp/prodd.log" >/dev/null &
	pid=$!
	started="$started $pid"
	t1=$("$tick" --children "$pid" sleep "$N" 30000) ||
	    die "prodd did not start $N services in 30 s (log: $tmp/prodd.log)"
	read -r t0 _ <"$tmp/t0"
	echo "$(ms "$t0" "$t1")" >>"$tmp/$1"
	"$tick" --term "$pid" 30000 >/dev/null ||
	    die "prodd $pid did not exit after SIGTERM"
	wait "$pid" || die "prodd exited with status $?"
	started=""
}

# stale: every record says its group runs, with a pid that is gone (pids
# above the kernel's pid_max can never be a live process)
stale() {
	max=$(cat /proc/sys/kernel/pid_max)
	i=1
	while [ "$i" -le "$N" ]; do
		printf '%d %d 1 %s\n' $((max + i)) $((max + i)) "$boot" \
		    >"$tmp/state/groups/idle$i"
		i=$((i + 1))
	done
}

note "recover: $N services, $RUNS starts each way, prodd $prodd"
start first		# creates the log files and the records
r=0
while [ "$r" -lt "$RUNS" ]; do
	start clean
	stale
	start stale
	r=$((r + 1))
done
procs=$(ls -d /proc/[0-9]* 2>/dev/null | wc -l)
echo "| $N services, median of $RUNS | all up (ms) |"
echo "|---|---|"
echo "| after a clean stop (blank records) | $(med "$tmp/clean") |"
echo "| after a crash ($N records of groups that are gone) | $(med "$tmp/stale") |"
echo
echo "Processes on the host: $procs; load average $(cut -d' ' -f1-3 /proc/loadavg)."
