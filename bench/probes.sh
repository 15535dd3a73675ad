#!/bin/sh
# Health-probe benchmark: prodd with N services (default 500), each
# `sleep 100000` with a URL health check every 1 s (timeout 500 ms) on its
# own loopback port, all served by one build/bench/httpfarm process, which
# records the CLOCK_MONOTONIC time of every request it reads. Once every
# service is healthy (polled over the control socket, at most 60 s) and
# 5 s more have passed, it measures over a WINDOW: prodd's CPU (schedstat
# of every thread) as % of one core, its RSS at the end, the probes the farm
# received, and their lateness: each check is due on a fixed grid, anchor
# + k * interval, so for each port d = t - t_first (its first probe in the
# window), lateness = d - round(d / interval) * interval, shifted so that the
# port's earliest probe is 0 (its on-time phase); median, p99 and max over
# every port. Targets: CPU < 10 % of one core, p99 lateness < 20 ms.
#   sh bench/probes.sh
#   (env: N=500, WINDOW=30, BASE=30000 (the farm's first port; the next
#   free block of N below 32768 is taken), QUIET_WAIT=15, BUILD=build,
#   KEEP=1 keeps the temporary directory, DRY_RUN=1 starts the farm and
#   checks the config with `prodd --check`, without running prodd)
#   sh bench/probes.sh --lateness RECORDS FROM_NS TO_NS
#   (only the lateness figures, from a farm's records "PORT NS")
# Prints a markdown table on stdout, progress on stderr. Before the window
# it waits, at most QUIET_WAIT s, for a second with the machine under 10 %
# busy, and it reports how busy the machine was. Every wait is bounded.
set -eu
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
N=${N:-500}
WINDOW=${WINDOW:-30}
BASE=${BASE:-30000}
INTERVAL_NS=1000000000		# the checks' interval: 1 s, as in gen()
HEALTHY_WAIT=60
BUDGET=$((WINDOW + HEALTHY_WAIT + 120))	# seconds, for the whole script
began=$(date +%s)

left() { echo $((BUDGET - ($(date +%s) - began))); }

# lateness RECORDS FROM TO: the lateness of every probe read in [FROM, TO]
# (ns), in ms, one a line, sorted. Records of a port sorted by time
# t_0..t_m; d = t_j - t_0; lateness = d - round(d / interval) * interval,
# less the port's smallest, so its earliest probe is on time.
lateness() {
	awk -v a="$2" -v b="$3" '$2 >= a && $2 <= b' "$1" |
	    sort -k1,1n -k2,2n |
	    awk -v iv="$INTERVAL_NS" '
	    function out(  j) {
		for (j = 1; j <= m; j++)
			printf "%.3f\n", (l[j] - mn) / 1e6
	    }
	    $1 != port { out(); port = $1; t0 = $2; m = 0 }
	    {
		d = $2 - t0
		x = d - int(d / iv + 0.5) * iv
		l[++m] = x
		if (m == 1 || x < mn)
			mn = x
	    }
	    END { out() }' | sort -n
}

# stats: "COUNT MEDIAN P99 MAX" of the sorted numbers on stdin (p99: the
# nearest rank, the ceil(0.99 * COUNT)-th)
stats() {
	awk '{ v[NR] = $1 } END {
	    if (NR == 0) { print "0 n/a n/a n/a"; exit }
	    p = int(NR * 0.99); if (p < NR * 0.99) p++
	    med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	    printf "%d %.2f %.2f %.2f\n", NR, med, v[p], v[NR] }'
}

if [ "${1:-}" = "--lateness" ]; then
	[ $# -eq 4 ] || die "usage: probes.sh --lateness RECORDS FROM_NS TO_NS"
	# shellcheck disable=SC2046 # the four words of stats
	set -- $(lateness "$2" "$3" "$4" | stats)
	echo "probes $1, lateness median $2 ms, p99 $3 ms, max $4 ms"
	exit 0
fi

make --no-print-directory -s "$BUILD/bench/httpfarm" "$BUILD/bench/tick" \
    >/dev/null
[ -n "${DRY_RUN:-}" ] || make --no-print-directory -s "$BUILD/prodd" \
    "$BUILD/prodd-exec" >/dev/null
top=$(pwd)
prodd=$top/$BUILD/prodd
farm=$top/$BUILD/bench/httpfarm
tick=$top/$BUILD/bench/tick
tmp=$(mktemp -d /tmp/prodd-probes.XXXXXX)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
pid=""				# prodd, while it runs
fpid=""				# the farm, while it runs

# The children of prodd PID: each leads its own process group.
cleanup() {
	set +e
	end_prodd $pid
	end_recorded "$tmp/state"
	[ -n "$fpid" ] && kill -s KILL "$fpid" 2>/dev/null
	end_tmp "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# used LO HI: how many sockets of this machine have a local port in
# [LO, HI] (listening or not, IPv4 or IPv6)
used() {
	awk -v lo="$(printf %04X "$1")" -v hi="$(printf %04X "$2")" '
	    FNR > 1 { split($2, a, ":"); p = a[2] ""
		if (p >= lo "" && p <= hi "") n++ }
	    END { print n + 0 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# The farm's first port: BASE, else the next block of N free ports below
# the ephemeral range (so no client socket holds one), else above 10000.
farm_base() {
	eph=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null ||
	    echo 32768)
	b=$BASE
	while [ $((b + N - 1)) -lt "$eph" ]; do
		[ "$(used "$b" $((b + N - 1)))" -eq 0 ] && { echo "$b"; return; }
		b=$((b + N))
	done
	b=10000
	while [ $((b + N - 1)) -lt "$BASE" ]; do
		[ "$(used "$b" $((b + N - 1)))" -eq 0 ] && { echo "$b"; return; }
		b=$((b + N))
	done
	die "no block of $N free ports below $eph"
}

# gen FILE BASE: N services, service sI probed on port BASE + I - 1.
gen() {
	{
		echo "daemon: { state_dir: $tmp/state, log_dir: $tmp/logs,"
		echo "  listen: 127.0.0.1:$(free_port) }"
		echo "services:"
		i=1
		while [ "$i" -le "$N" ]; do
			echo "  - name: s$i"
			echo "    command: sleep 100000"
			echo "    health_check: { url: \"http://127.0.0.1:$(($2 + i - 1))/health\", interval: 1s, timeout: 500ms, start_period: 0s }"
			i=$((i + 1))
		done
	} >"$1"
}

# gone PID: has PID exited (no such process, or a zombie)?
gone() {
	s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 0
	[ -z "$s" ] || [ "$s" = Z ] || [ "$s" = X ]
}

# wait_gone PID S: wait at most S s for PID to exit; 0 when it did
wait_gone() {
	w=0
	while ! gone "$1"; do
		[ "$w" -lt $(($2 * 10)) ] || return 1
		sleep 0.1
		w=$((w + 1))
	done
}

# lines FILE: its line count (0 when missing)
lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# healthy: how many services prodd reports healthy
healthy() {
	curl -s -m 5 --unix-socket "$tmp/state/prodd.sock" \
	    http://localhost/api/services 2>/dev/null |
	    grep -o '"health":{"status":"healthy"' | wc -l
}

# ------------------------------------------------------------ the farm
base=$(farm_base)
note "httpfarm: $N ports from $base"
"$farm" --stamp-file "$tmp/stamps" "$base" "$N" "$tmp/records" \
    >"$tmp/farm.out" 2>"$tmp/farm.log" &
fpid=$!
w=0
until grep -q ready "$tmp/farm.out" 2>/dev/null; do
	gone "$fpid" && die "httpfarm failed: $(cat "$tmp/farm.log")"
	[ "$w" -lt 100 ] || die "httpfarm not ready after 10 s"
	sleep 0.1
	w=$((w + 1))
done
gen "$tmp/services.yaml" "$base"

if [ -n "${DRY_RUN:-}" ]; then
	"$prodd" --check -c "$tmp/services.yaml" >"$tmp/check" 2>&1 ||
	    die "prodd --check refused the config: $(head -n 5 "$tmp/check")"
	for p in "$base" $((base + N / 2)) $((base + N - 1)); do
		curl -s -m 2 "http://127.0.0.1:$p/health" \
		    "http://127.0.0.1:$p/health" >/dev/null ||
		    die "the farm does not answer on $p"
	done
	kill -s USR1 "$fpid"
	sleep 0.2
	kill -s TERM "$fpid"
	wait_gone "$fpid" 10 || die "httpfarm still runs 10 s after SIGTERM"
	wait "$fpid" || die "httpfarm failed: $(cat "$tmp/farm.log")"
	fpid=""
	note "$(cat "$tmp/farm.log")"
	note "dry run: config of $N services valid ($(wc -c <"$tmp/services.yaml") bytes)," \
	    "farm answered $(lines "$tmp/records") requests, $(lines "$tmp/stamps") stamp"
	exit 0
fi

# ------------------------------------------------------------ prodd
note "prodd: $N services, each probed every 1 s; waiting until all are healthy"
"$prodd" -c "$tmp/services.yaml" 2>"$tmp/prodd.log" &
pid=$!
t=0
h=0
up0=$(date +%s%N)
while :; do
	gone "$pid" && die "prodd exited (log: $tmp/prodd.log; KEEP=1 keeps it)"
	h=$(healthy)
	[ "$h" -ge "$N" ] && break
	if [ "$t" -ge $((HEALTHY_WAIT * 2)) ] || [ "$(left)" -le $((WINDOW + 30)) ]; then
		die "$h of $N services healthy after $((t / 2)) s (log: $tmp/prodd.log)"
	fi
	sleep 0.5
	t=$((t + 1))
done
note "  all $N healthy $((($(date +%s%N) - up0) / 1000000)) ms after prodd's start; 5 s settle"
sleep 5
quiet

# ------------------------------------------------------------ the window
note "window: $WINDOW s"
c2=$(threads_cpu_ns "$pid")
f2=$(threads_cpu_ns "$fpid")
m2=$(machine)
w2=$(date +%s%N)
kill -s USR1 "$fpid"		# the farm stamps the window's start
sleep "$WINDOW"
kill -s USR1 "$fpid"		# and its end
w3=$(date +%s%N)
m3=$(machine)
f3=$(threads_cpu_ns "$fpid")
c3=$(threads_cpu_ns "$pid")
rss=$(status_kb VmRSS "$pid")
threads=$(status_kb Threads "$pid")
h=$(healthy)
w=0
while [ "$(lines "$tmp/stamps")" -lt 2 ]; do
	[ "$w" -lt 50 ] || die "httpfarm did not stamp the window"
	sleep 0.1
	w=$((w + 1))
done
[ "$h" -ge "$N" ] || note "WARNING: $h of $N services healthy at the end of the window"

note "stop prodd"
t=$("$tick" --term "$pid" 30000) || die "prodd still runs 30 s after SIGTERM"
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" -eq 0 ] || note "WARNING: prodd exited with status $rc"
note "  prodd exited $(awk -v t="$t" 'BEGIN { printf "%.0f", t / 1e6 }') ms after SIGTERM"
kill -s TERM "$fpid"
wait_gone "$fpid" 10 || die "httpfarm still runs 10 s after SIGTERM"
rc=0
wait "$fpid" || rc=$?
fpid=""
[ "$rc" -eq 0 ] || die "httpfarm failed: $(cat "$tmp/farm.log")"
note "  $(cat "$tmp/farm.log")"

# ------------------------------------------------------------ figures
{ read -r s1 && read -r s2; } <"$tmp/stamps"
lateness "$tmp/records" "$s1" "$s2" >"$tmp/lat"
# shellcheck disable=SC2046 # the four words of stats
set -- $(stats <"$tmp/lat")
probes=$1 med=$2 p99=$3 max=$4
ncpu=$(nproc)
busy=$(busy "$m2" "$m3")
figures=$(awk -v c=$((c3 - c2)) -v f=$((f3 - f2)) -v w=$((w3 - w2)) \
    -v s=$((s2 - s1)) -v n="$N" -v iv="$INTERVAL_NS" -v probes="$probes" \
    -v busy="$busy" -v ncpu="$ncpu" 'BEGIN {
	other = busy - 100 * (c + f) / (w * ncpu)
	if (other < 0)
		other = 0
	printf "%.1f %.2f %.0f %.2f %.0f\n", probes / (s / 1e9),
	    100 * c / w, n * (s / 1e9) / (iv / 1e9), 100 * f / w, other }')
# shellcheck disable=SC2086 # its five words
set -- $figures
rate=$1 cpu=$2 expected=$3 farmcpu=$4 other=$5
ports=$(awk -v a="$s1" -v b="$s2" '$2 >= a && $2 <= b { p[$1] = 1 }
    END { for (k in p) n++; print n + 0 }' "$tmp/records")
rss=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
note "  $probes probes on $ports of $N ports in the window (expected $expected);" \
    "prodd $threads threads; the farm used $farmcpu % of one core"
[ "$ports" -eq "$N" ] || note "WARNING: $((N - ports)) ports got no probe in the window"
met() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "n/a" && v + 0 < t) ? "met" : "**missed**" }'; }

echo "prodd $("$prodd" --version | head -n 1 | cut -d' ' -f2), $ncpu cores, $(uname -r), $(date -u +%Y-%m-%d)," \
    "load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end;" \
    "N = $N, interval 1 s, window $WINDOW s"
echo
echo "| probes/s | prodd CPU (% of one core) | probes in window (expected) | lateness median | p99 | max | machine busy (other work) | RSS |"
echo "|---|---|---|---|---|---|---|---|"
echo "| $rate | $cpu | $probes ($expected) | $med ms | $p99 ms | $max ms | $busy % ($other %) | $rss MiB |"
echo "| target | < 10 % ($(met "$cpu" 10)) | | | < 20 ms ($(met "$p99" 20)) | | | |"
