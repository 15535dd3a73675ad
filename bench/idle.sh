#!/bin/sh
# Idle cost: how often an idle prodd wakes, and what it costs beyond its
# samples. prodd runs N idle services (`sleep 100000`, default 500) with
# sample_interval 1s, the default disks, no probes and no clients; once
# every service runs and 10 s have passed:
#   - its wake-ups: the epoll_wait/epoll_pwait calls of all its threads
#     over WAKE s (default 60), counted by
#     `perf stat -e syscalls:sys_enter_epoll_wait,...` (or, where perf or
#     those tracepoints are missing, by `strace -c -f`, which the output
#     says);
#   - its CPU over CPU_WINDOW s (default 300): the sum of every thread's
#     /proc/PID/task/TID/schedstat (ns on a CPU), with utime + stime of
#     /proc/PID/stat beside it, against the samples taken in the window
#     times the median sample cost prodd reports in /api/health
#     (prodd.sample_cpu_us_median: the loop thread's CPU around a sample).
# How busy the machine was during each window is printed too.
#   sh bench/idle.sh
#   (env: N=500, WAKE=60, CPU_WINDOW=300, BUILD=build; PRODD=path/to/prodd
#   to measure another binary, e.g. an older commit's, as it is)
# Prints a markdown table on stdout, progress on stderr. Every wait is
# bounded; the whole run takes about WAKE + CPU_WINDOW + 30 s.
set -eu
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
N=${N:-500}
WAKE=${WAKE:-60}
CPU_WINDOW=${CPU_WINDOW:-300}
if [ -z "${PRODD:-}" ]; then
	make --no-print-directory -s "$BUILD/prodd" "$BUILD/prodd-exec" >/dev/null
	PRODD=$(pwd)/$BUILD/prodd
fi
[ -x "$PRODD" ] || die "no prodd at $PRODD"
tmp=$(mktemp -d /tmp/prodd-idle.XXXXXX)
pid=""

cleanup() {
	set +e
	end_prodd $pid
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

health() {
	curl -s -m 5 --unix-socket "$tmp/state/prodd.sock" http://localhost/api/health
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['prodd']['$1'])"; }
# utime + stime of the whole process, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }

{
	echo "daemon: { state_dir: $tmp/state, log_dir: $tmp/logs,"
	echo "  listen: 127.0.0.1:$(free_port), sample_interval: 1s }"
	echo "services:"
	idle_services "$N" s
} >"$tmp/services.yaml"

note "prodd $("$PRODD" --version | cut -d' ' -f2) ($PRODD), $N idle services"
"$PRODD" -c "$tmp/services.yaml" 2>"$tmp/prodd.log" &
pid=$!
t=0
until [ "$(cat /proc/$pid/task/*/children 2>/dev/null | wc -w)" -ge "$N" ]; do
	t=$((t + 1))
	[ "$t" -le 600 ] || die "the services did not start"
	sleep 0.1
done
sleep 10

# wake-ups
note "  wake-ups over $WAKE s"
m0=$(machine)
if perf stat -x, -o "$tmp/perf" -e \
    'syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait' \
    -p "$pid" -- sleep "$WAKE" 2>/dev/null &&
    ! grep -q 'not supported\|not counted' "$tmp/perf"; then
	how="perf stat, syscalls:sys_enter_epoll_wait + sys_enter_epoll_pwait"
	calls=$(awk -F, '/sys_enter_epoll/ { s += $1 } END { print s + 0 }' \
	    "$tmp/perf")
else
	command -v strace >/dev/null || die "neither perf nor strace works here"
	how="strace -c -f (perf or its syscall tracepoints unavailable)"
	timeout -s INT "$WAKE" strace -c -f -e trace=epoll_wait,epoll_pwait \
	    -p "$pid" 2>"$tmp/strace" || true
	calls=$(awk '$NF == "epoll_wait" || $NF == "epoll_pwait" { s += $4 }
	    END { print s + 0 }' "$tmp/strace")
fi
wbusy=$(busy "$m0" "$(machine)")
wps=$(awk -v c="$calls" -v w="$WAKE" 'BEGIN { printf "%.2f", c / w }')
note "  $calls wake-ups: $wps a second (machine $wbusy % busy)"

# CPU against samples x the median sample cost
note "  CPU over $CPU_WINDOW s"
s0=$(health | field samples)
c0=$(threads_cpu_ns "$pid")
k0=$(cpu_ticks)
m0=$(machine)
l0=$(cut -d' ' -f1 /proc/loadavg)
sleep "$CPU_WINDOW"
c1=$(threads_cpu_ns "$pid")
k1=$(cpu_ticks)
cbusy=$(busy "$m0" "$(machine)")
l1=$(cut -d' ' -f1 /proc/loadavg)
h=$(health)
s1=$(echo "$h" | field samples)
med=$(echo "$h" | field sample_cpu_us_median)
lagmax=$(echo "$h" | field loop_lag_max_ms)
tck=$(getconf CLK_TCK)
# shellcheck disable=SC2046
set -- $(awk -v c0="$c0" -v c1="$c1" -v k0="$k0" -v k1="$k1" -v t="$tck" \
    -v s="$((s1 - s0))" -v m="$med" -v w="$CPU_WINDOW" 'BEGIN {
	cpu = (c1 - c0) / 1e6; ticks = (k1 - k0) * 1000 / t
	want = s * m / 1000
	printf "%.1f %.0f %.1f %.2f %.3f\n",
	    cpu, ticks, want, (want > 0 ? cpu / want : 0), 100 * cpu / 1000 / w
}')
cpu_ms=$1 ticks_ms=$2 want_ms=$3 ratio=$4 pct=$5
note "  ${cpu_ms} ms of CPU ($ticks_ms ms by /proc/PID/stat), $((s1 - s0)) samples x $med µs = $want_ms ms: ratio $ratio (machine $cbusy % busy)"

echo "prodd $("$PRODD" --version | cut -d' ' -f2), $N idle services, sample_interval 1s, $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| what | figure | target | met? |"
echo "|---|---|---|---|"
echo "| wake-ups over $WAKE s ($how) | $calls: **$wps /s** (machine $wbusy % busy) | ≤ 1.3 /s | $(awk -v v="$wps" 'BEGIN { print v <= 1.3 ? "met" : "not met" }') |"
echo "| prodd CPU over $CPU_WINDOW s (all threads, schedstat) | $cpu_ms ms ($pct % of a core; /proc/PID/stat: $ticks_ms ms) | | |"
echo "| samples in the window × median sample cost | $((s1 - s0)) × $med µs = $want_ms ms | | |"
echo "| CPU ÷ (samples × median) | **$ratio** (machine $cbusy % busy, load1 $l0 → $l1) | ≤ 1.2 | $(awk -v v="$ratio" 'BEGIN { print v <= 1.2 ? "met" : "not met" }') |"
echo "| loop_lag_max_ms at the end | $lagmax | | |"
