#!/bin/sh
# Readiness from the services themselves (notify: true), two figures:
#   1. READY=1 -> dependent spawned: TRIALS (default 100) pairs in one
#      prodd, r_i (notify) and d_i (depends on r_i being healthy), both
#      bench/notifyready, static. r_i sends READY=1 GAP ms (default 40)
#      after the one before (the first 1.5 s after the start), so each
#      READY=1 is handled alone, and records its CLOCK_MONOTONIC just
#      before the sendto; d_i records its CLOCK_MONOTONIC first thing in
#      main. The figure is d_i - r_i: median, p90, max (target: median
#      < 5 ms).
#   2. STATUS cost: N (default 500) notify services, each sending
#      STATUS=tick once a second, against the same N sending nothing after
#      READY=1: prodd's CPU (utime + stime of /proc/PID/stat, every
#      thread) over WINDOW s (default 30) in each, as % of one core
#      (target: the difference < 3 % of a core). The idle run is the
#      machine's floor for this figure; how busy the machine was is
#      printed beside each window.
#   sh bench/notify.sh
#   (env: TRIALS=100, GAP=40, N=500, WINDOW=30, BUILD=build)
# Prints a markdown table on stdout, progress on stderr.
set -eu
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
TRIALS=${TRIALS:-100}
GAP=${GAP:-40}
N=${N:-500}
WINDOW=${WINDOW:-30}
make --no-print-directory -s "$BUILD/prodd" "$BUILD/bench/notifyready" >/dev/null
PRODD=$(pwd)/$BUILD/prodd
NR=$(pwd)/$BUILD/bench/notifyready
tmp=$(mktemp -d /tmp/prodd-notify.XXXXXX)
pid=""

cleanup() {
	set +e
	end_prodd $pid
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

api() { curl -s -m 10 --unix-socket "$tmp/state/prodd.sock" "http://localhost$1"; }
running() {
	api /api/services | python3 -c 'import json,sys
print(sum(s["state"] == "running" for s in json.load(sys.stdin)["services"]))' 2>/dev/null || echo 0
}
# run CONFIG: prodd on it, in the background
run() {
	"$PRODD" -c "$1" 2>"$tmp/prodd.log" &
	pid=$!
}
daemon() {
	echo "daemon: { state_dir: $tmp/state, log_dir: $tmp/logs,"
	echo "  listen: 127.0.0.1:$(free_port), sample_interval: 1s }"
	echo "services:"
}

# ---- 1. READY=1 -> dependent spawned --------------------------------------
mkdir -p "$tmp/a" "$tmp/b"
{
	daemon
	i=1
	while [ "$i" -le "$TRIALS" ]; do
		echo "  - { name: r$i, notify: true, command: $NR ready $((1500 + i * GAP)) $tmp/a/$i }"
		echo "  - { name: d$i, command: $NR stamp $tmp/b/$i, depends_on: { r$i: { condition: healthy } } }"
		i=$((i + 1))
	done
} >"$tmp/ready.yaml"
note "1. READY=1 -> dependent spawned: $TRIALS trials, $GAP ms apart"
m0=$(machine)
run "$tmp/ready.yaml"
t=0
until [ "$(ls "$tmp/b" | wc -l)" -ge "$TRIALS" ]; do
	t=$((t + 1))
	[ "$t" -le 600 ] || die "the dependents did not start"
	sleep 0.1
done
rbusy=$(busy "$m0" "$(machine)")
end_prodd "$pid"
pid=""
# shellcheck disable=SC2046
set -- $(i=1; while [ "$i" -le "$TRIALS" ]; do
	echo "$(cat "$tmp/a/$i") $(cat "$tmp/b/$i")"
	i=$((i + 1))
done | awk '{ print ($2 - $1) / 1e6 }' | sort -n | awk '
	{ v[NR] = $1 }
	END { printf "%.2f %.2f %.2f %.2f\n", v[int((NR + 1) / 2)],
	    v[int(NR * 0.9 + 0.5)], v[1], v[NR] }')
med=$1 p90=$2 min=$3 max=$4
note "  median $med ms, p90 $p90 ms, min $min ms, max $max ms (machine $rbusy % busy)"
rm -rf "$tmp/state" "$tmp/logs"

# ---- 2. STATUS once a second: the cost -----------------------------------
tck=$(getconf CLK_TCK)
# measure MODE: prodd with N notifyready MODE services; prints "PCT BUSY"
measure() {
	{
		daemon
		i=1
		while [ "$i" -le "$N" ]; do
			echo "  - { name: s$i, notify: true, command: $NR $1 }"
			i=$((i + 1))
		done
	} >"$tmp/$1.yaml"
	run "$tmp/$1.yaml"
	t=0
	until [ "$(running)" -ge "$N" ]; do
		t=$((t + 1))
		[ "$t" -le 300 ] || die "the $1 services did not all get ready"
		sleep 0.5
	done
	sleep 5
	k0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	m0=$(machine)
	sleep "$WINDOW"
	k1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	b=$(busy "$m0" "$(machine)")
	end_prodd "$pid"
	pid=""
	rm -rf "$tmp/state" "$tmp/logs"
	awk -v k="$((k1 - k0))" -v t="$tck" -v w="$WINDOW" -v b="$b" \
	    'BEGIN { printf "%.2f %s\n", 100 * k / t / w, b }'
}
note "2. $N notify services, idle after READY=1, $WINDOW s"
# shellcheck disable=SC2046
set -- $(measure idle)
idle=$1 ibusy=$2
note "  prodd: $idle % of a core (machine $ibusy % busy)"
note "   the same $N sending STATUS= once a second"
# shellcheck disable=SC2046
set -- $(measure status)
stat=$1 sbusy=$2
note "  prodd: $stat % of a core (machine $sbusy % busy)"
diff=$(awk -v a="$stat" -v b="$idle" 'BEGIN { printf "%.2f", a - b }')

echo "prodd $("$PRODD" --version | cut -d' ' -f2), $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| what | figure | target | met? |"
echo "|---|---|---|---|"
echo "| READY=1 → dependent at main, $TRIALS trials (sendto → main, CLOCK_MONOTONIC) | median **$med ms**, p90 $p90 ms, min $min ms, max $max ms (machine $rbusy % busy) | median < 5 ms | $(awk -v v="$med" 'BEGIN { print v < 5 ? "met" : "not met" }') |"
echo "| prodd CPU, $N notify services idle after READY=1 (the floor) | $idle % of a core over $WINDOW s (machine $ibusy % busy) | | |"
echo "| prodd CPU, the same $N each sending STATUS= once a second | $stat % of a core over $WINDOW s (machine $sbusy % busy) | | |"
echo "| STATUS= cost: the difference | **$diff %** of a core | < 3 % | $(awk -v v="$diff" 'BEGIN { print v < 3 ? "met" : "not met" }') |"
