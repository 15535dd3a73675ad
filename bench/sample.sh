#!/bin/sh
# Sampler benchmark: what one sample of /proc costs prodd, in CPU µs (the
# median of its last 100 samples, which prodd measures with
# CLOCK_THREAD_CPUTIME_ID around each sample and reports in /api/health as
# prodd.sample_cpu_us_median), with N = 10, 100 and 500 supervised
# single-process services (`sleep`), on a host running about 200 and then
# about 2,000 other processes (extra `sleep`s this script starts outside
# prodd). sample_interval is 100 ms, so 100 samples take 10 s; the first
# 20 s after every service runs are let pass, so that the heavier first
# samples (every process new) are out of the median. Then, for N = 500 and
# the smaller host, prodd runs on until its history (600 samples) is full,
# and its RSS is read.
#   sh bench/sample.sh
#   (env: NS="10 100 500", HOSTS="200 2000", BUILD=build)
# Prints a markdown table on stdout, progress on stderr. Every wait is
# bounded; the whole run takes about 4 minutes.
set -eu
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
NS=${NS:-10 100 500}
HOSTS=${HOSTS:-200 2000}
make --no-print-directory -s "$BUILD/prodd" "$BUILD/prodd-exec" >/dev/null
top=$(pwd)
prodd=$top/$BUILD/prodd
tmp=$(mktemp -d /tmp/prodd-sample.XXXXXX)
pid=""
fillers=""


cleanup() {
	set +e
	end_prodd $pid
	[ -n "$fillers" ] && kill -s KILL $fillers 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

nprocs() { ls -d /proc/[0-9]* | wc -l; }

# fill_to COUNT: start `sleep`s until the host runs about COUNT processes
fill_to() {
	want=$(( $1 - $(nprocs) ))
	i=0
	while [ "$i" -lt "$want" ]; do
		sleep 100000 &
		fillers="$fillers $!"
		i=$((i + 1))
	done
}

health() {
	curl -s -m 5 --unix-socket "$1/state/prodd.sock" http://localhost/api/health
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['prodd']['$1'])"; }

# run N HOST: prodd with N services; sets med (µs) and, when asked, rss
run() {
	d=$tmp/n$1-h$2
	mkdir -p "$d"
	{
		echo "daemon: { state_dir: $d/state, log_dir: $d/logs,"
		echo "  listen: 127.0.0.1:$(free_port), sample_interval: 100ms }"
		echo "services:"
		idle_services "$1" s
	} >"$d/services.yaml"
	"$prodd" -c "$d/services.yaml" 2>"$d/prodd.log" &
	pid=$!
	t=0
	until [ "$(cat /proc/$pid/task/*/children 2>/dev/null | wc -w)" -ge "$1" ]; do
		t=$((t + 1))
		[ "$t" -le 300 ] || die "N=$1: the services did not start"
		sleep 0.1
	done
	sleep 20
	med=$(health "$d" | field sample_cpu_us_median)
	host=$(nprocs)
	if [ "${3:-}" = rss ]; then
		t=0
		until [ "$(health "$d" | field samples)" -ge 700 ]; do
			t=$((t + 1))
			[ "$t" -le 60 ] || die "N=$1: history did not fill"
			sleep 1
		done
		rss=$(awk '$1 == "VmRSS:" { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
		anon=$(awk '$1 == "RssAnon:" { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
	fi
	term_wait "$pid"
	pid=""
}

rows=""
for h in $HOSTS; do
	fill_to "$h"
	for n in $NS; do
		note "N=$n services, host of ~$h processes"
		extra=""
		[ "$n" = 500 ] && [ "$h" = "$(echo $HOSTS | cut -d' ' -f1)" ] && extra=rss
		run "$n" "$h" $extra
		note "  median sample cost $med µs (host: $host processes)"
		eval "m_${n}_$h=$med"
		eval "p_${n}_$h=$host"
		[ -n "$extra" ] && note "  full history: RSS $rss MiB (anon $anon)"
	done
done

echo "prodd $("$prodd" --version | head -n 1 | cut -d' ' -f2), $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d)"
echo
printf '| supervised services |'
for h in $HOSTS; do printf ' host ~%s processes |' "$h"; done
printf ' change |\n|---|'
for h in $HOSTS; do printf -- '---|'; done
printf -- '---|\n'
for n in $NS; do
	printf '| %s |' "$n"
	first=""
	last=""
	for h in $HOSTS; do
		eval "v=\$m_${n}_$h; c=\$p_${n}_$h"
		printf ' %s µs (%s) |' "$v" "$c"
		[ -z "$first" ] && first=$v
		last=$v
	done
	awk -v a="$first" -v b="$last" 'BEGIN { printf " %+.0f %% |\n", 100 * (b - a) / a }'
done
if [ -n "${rss:-}" ]; then
	echo
	echo "prodd with 500 services and a full history (600 samples): RSS $rss MiB, of which RssAnon $anon MiB (target < 20 MiB)"
fi
