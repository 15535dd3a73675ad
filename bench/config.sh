#!/bin/sh
# Config load benchmark: a generated 1,000-service services.yaml (each with
# a command, port, environment, URL health check and 1-3 dependencies) is
# loaded and validated 5 times in process (median reported), then checked
# end to end with `prodd --check` 5 times (process start included).
#   sh bench/config.sh [N]     (default N=1000)
set -eu
n=${1:-1000}
BUILD=${BUILD:-build}
make --no-print-directory -s all "$BUILD/bench/config_load" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh bench/gen-services.sh "$n" >"$tmp/services.yaml"
echo "file: $n services, $(wc -c <"$tmp/services.yaml") bytes"
echo "== in process: cfg_load_file (read + parse + validate + graph)"
"$BUILD/bench/config_load" "$tmp/services.yaml" 5
echo "== end to end: prodd --check -c FILE (exec, dynamic linking, load, summary)"
for i in 1 2 3 4 5; do
	a=$(date +%s%N)
	"$BUILD/prodd" --check -c "$tmp/services.yaml" >/dev/null
	b=$(date +%s%N)
	echo $(( (b - a) / 1000 ))
done | sort -n | awk '{ v[NR] = $1; printf "run: %.2f ms\n", $1 / 1000 }
	END { printf "median: %.2f ms\n", v[3] / 1000 }'
