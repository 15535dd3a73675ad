#!/usr/bin/env bash
# API throughput: wrk (one thread, 50 connections, 10 s) pinned to CPU 0
# against prodd pinned to CPU 1, rate limit off, 100 supervised services;
# GET /api/health and GET /api/services, 5 runs each; prints each run and
# the medians of requests/s and p99 latency.
#   bash bench/api.sh [RUNS]
set -eu
runs=${1:-5}
BUILD=${BUILD:-build}
make --no-print-directory -s all >/dev/null
command -v wrk >/dev/null || { echo "bench/api.sh needs wrk (make deps)"; exit 1; }
tmp=$(mktemp -d)
port=$(( (RANDOM % 10000) + 20000 )) 2>/dev/null || port=28003
pid=""
# SIGTERM makes prodd stop its services before it exits
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
{
	echo "daemon: { listen: 127.0.0.1:$port, rate_limit: 0, state_dir: $tmp/state, log_dir: $tmp/logs }"
	echo "services:"
	for i in $(seq 1 100); do
		echo "  - { name: svc-$i, command: sleep 100000, port: $((20000 + i)), environment: { ROLE: bench } }"
	done
} >"$tmp/s.yaml"
taskset -c 1 "$BUILD/prodd" -c "$tmp/s.yaml" --log-level warn >"$tmp/prodd.log" 2>&1 &
pid=$!
i=0
until curl -s -m 1 "http://127.0.0.1:$port/api/health" | grep -q '"running":100'; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "prodd did not come up"; cat "$tmp/prodd.log"; exit 1; }
	sleep 0.1
done
echo "prodd $(cat /proc/$pid/comm) pid $pid on CPU 1, wrk on CPU 0; $(nproc) cores"
for route in /api/health /api/services; do
	echo "== GET $route ($(curl -s "http://127.0.0.1:$port$route" | wc -c) bytes)"
	: >"$tmp/results"
	for r in $(seq 1 "$runs"); do
		taskset -c 0 wrk -t1 -c50 -d10s --latency "http://127.0.0.1:$port$route" >"$tmp/wrk.out"
		rps=$(awk '/^Requests\/sec/ { print $2 }' "$tmp/wrk.out")
		p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub("us", "", v); v /= 1000 } else if (v ~ /ms$/) sub("ms", "", v); else if (v ~ /s$/) { sub("s", "", v); v *= 1000 }; print v }' "$tmp/wrk.out")
		errs=$(awk '/Non-2xx|Socket errors/' "$tmp/wrk.out")
		echo "run $r: $rps req/s, p99 $p99 ms ${errs:+($errs)}"
		echo "$rps $p99" >>"$tmp/results"
	done
	sort -n -k1 "$tmp/results" | awk -v n="$runs" 'NR == int((n + 1) / 2) { printf "median req/s: %s\n", $1 }'
	sort -n -k2 "$tmp/results" | awk -v n="$runs" 'NR == int((n + 1) / 2) { printf "median p99: %s ms\n", $2 }'
done
echo "prodd RSS after: $(awk '/VmRSS/ { print $2 }' /proc/$pid/status) KiB"
