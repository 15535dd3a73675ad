#!/bin/sh
# /metrics benchmark: the cost of one Prometheus scrape at N services
# (default 500). prodd runs N idle services (`sleep 100000`), sampled every
# 1 s; HC of them (default 50) have a tcp health check every 1 s on the one
# port of a build/bench/httpfarm (which accepts and closes: a connect costs
# no process), so the histogram and failure families are rendered for a
# realistic share of services without 500 probes a second loading the
# machine. Once every service runs and every check has passed (polled over
# the control socket, at most 60 s) and 5 s more have passed (a few
# samples, a few probes in each histogram), it waits for a quiet machine,
# reads prodd's CPU over an idle IDLE s (schedstat of every thread), then
# one python3 client keeps one TCP connection to prodd and does SCRAPES
# (default 100) `GET /metrics`, each timed from the client (request sent
# to the whole body read); prodd's CPU over the scrapes, less its idle
# rate over the same time, divided by SCRAPES is its CPU per scrape. One
# scrape is kept and given to `promtool check metrics`, whose output must be
# empty. Target: median < 10 ms a scrape at 500 services.
#   sh bench/metrics.sh
#   (env: N=500, HC=50, SCRAPES=100, IDLE=5, QUIET_WAIT=15, BUILD=build,
#   KEEP=1 keeps the temporary directory, PERF=1 records
#   `perf record -g` of prodd during the scrapes into the directory)
# Prints a markdown table on stdout, progress on stderr. Every wait is
# bounded; the machine's load average and how busy it was are reported.
set -eu
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
N=${N:-500}
HC=${HC:-50}
SCRAPES=${SCRAPES:-100}
IDLE=${IDLE:-5}
READY_WAIT=60

command -v python3 >/dev/null || die "python3 is needed (the client)"
command -v promtool >/dev/null || die "promtool is needed (prometheus)"
[ "$HC" -le "$N" ] || die "HC ($HC) must not exceed N ($N)"
make --no-print-directory -s "$BUILD/prodd" "$BUILD/prodd-exec" \
    "$BUILD/bench/httpfarm" >/dev/null
top=$(pwd)
prodd=$top/$BUILD/prodd
farm=$top/$BUILD/bench/httpfarm
tmp=$(mktemp -d /tmp/prodd-metrics.XXXXXX)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
pid=""				# prodd, while it runs
fpid=""				# the farm, while it runs
ppid_=""			# perf, while it runs

# The children of prodd PID: each leads its own process group.
cleanup() {
	set +e
	[ -n "$ppid_" ] && kill -s INT "$ppid_" 2>/dev/null
	end_prodd $pid
	end_recorded "$tmp/state"
	[ -n "$fpid" ] && kill -s KILL "$fpid" 2>/dev/null
	[ -z "${PERF:-}" ] || KEEP=1	# perf's data stays with the run
	end_tmp "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# gone PID: has PID exited (no such process, or a zombie)?
gone() {
	s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 0
	[ -z "$s" ] || [ "$s" = Z ] || [ "$s" = X ]
}

# ready: "RUNNING HEALTHY", how many services prodd reports running, and
# how many of those with a check are healthy
ready() {
	curl -s -m 5 --unix-socket "$tmp/state/prodd.sock" \
	    http://localhost/api/services >"$tmp/services.json" 2>/dev/null ||
	    true
	echo "$(grep -o '"state":"running"' "$tmp/services.json" | wc -l)" \
	    "$(grep -o '"health":{"status":"healthy"' "$tmp/services.json" |
	    wc -l)"
}

# ------------------------------------------------------------ the listener
fport=$(free_port)
"$farm" "$fport" 1 "$tmp/records" >"$tmp/farm.out" 2>"$tmp/farm.log" &
fpid=$!
w=0
until grep -q ready "$tmp/farm.out" 2>/dev/null; do
	gone "$fpid" && die "httpfarm failed: $(cat "$tmp/farm.log")"
	[ "$w" -lt 100 ] || die "httpfarm not ready after 10 s"
	sleep 0.1
	w=$((w + 1))
done

# ------------------------------------------------------------ prodd
port=$fport
while [ "$port" -eq "$fport" ]; do
	port=$(($(free_port) + 1))
	grep -q ":$(printf %04X "$port") " /proc/net/tcp /proc/net/tcp6 \
	    2>/dev/null && port=$fport
done
{
	echo "daemon: { state_dir: $tmp/state, log_dir: $tmp/logs,"
	echo "  listen: 127.0.0.1:$port, rate_limit: 0, sample_interval: 1s }"
	echo "services:"
	i=1
	while [ "$i" -le "$N" ]; do
		echo "  - name: s$i"
		echo "    command: sleep 100000"
		[ "$i" -le "$HC" ] &&
		    echo "    health_check: { tcp: \"127.0.0.1:$fport\", interval: 1s, timeout: 500ms, start_period: 0s }"
		i=$((i + 1))
	done
} >"$tmp/services.yaml"

note "prodd: $N services, $HC with a tcp check; waiting until all run and pass"
"$prodd" -c "$tmp/services.yaml" 2>"$tmp/prodd.log" &
pid=$!
t=0
while :; do
	gone "$pid" && die "prodd exited (log: $tmp/prodd.log; KEEP=1 keeps it)"
	# shellcheck disable=SC2046 # its two words
	set -- $(ready)
	[ "$1" -ge "$N" ] && [ "$2" -ge "$HC" ] && break
	[ "$t" -lt $((READY_WAIT * 2)) ] ||
	    die "$1 of $N running, $2 of $HC healthy after $READY_WAIT s"
	sleep 0.5
	t=$((t + 1))
done
note "  all run and pass after $((t / 2)) s; 5 s settle"
sleep 5
quiet

# ------------------------------------------------------------ idle rate
m1=$(machine)
i1=$(threads_cpu_ns "$pid")
t1=$(date +%s%N)
sleep "$IDLE"
i2=$(threads_cpu_ns "$pid")
t2=$(date +%s%N)

# ------------------------------------------------------------ the scrapes
if [ -n "${PERF:-}" ]; then
	perf record -g -o "$tmp/perf.data" -p "$pid" >/dev/null 2>&1 &
	ppid_=$!
	sleep 1
fi
note "scrapes: $SCRAPES over one connection"
c1=$(threads_cpu_ns "$pid")
s1=$(date +%s%N)
python3 - "$port" "$SCRAPES" "$tmp/scrape.txt" >"$tmp/times" <<'EOF'
import http.client, sys, time
port, n, keep = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.connect()
for i in range(n):
    t0 = time.perf_counter()
    c.request("GET", "/metrics")
    r = c.getresponse()
    body = r.read()
    t1 = time.perf_counter()
    if r.status != 200:
        sys.exit("GET /metrics: %d" % r.status)
    if r.getheader("Connection", "").lower() == "close" or r.will_close:
        sys.exit("prodd closed the connection")
    print("%.3f" % ((t1 - t0) * 1e3))
    if i == n // 2:
        with open(keep, "wb") as f:
            f.write(body)
        with open(keep + ".type", "w") as f:
            f.write(r.getheader("Content-Type", "") + "\n")
c.close()
EOF
s2=$(date +%s%N)
c2=$(threads_cpu_ns "$pid")
m2=$(machine)
if [ -n "$ppid_" ]; then
	kill -s INT "$ppid_"
	wait "$ppid_" || true
	ppid_=""
	note "  perf data: $tmp/perf.data (perf report -i $tmp/perf.data --no-children)"
fi
[ "$(wc -l <"$tmp/times")" -eq "$SCRAPES" ] || die "the client failed"
ct=$(cat "$tmp/scrape.txt.type")
promtool check metrics <"$tmp/scrape.txt" >"$tmp/promtool" 2>&1 ||
    note "WARNING: promtool check metrics failed"
running=$(ready | cut -d' ' -f1)
[ "$running" -ge "$N" ] || note "WARNING: $running of $N running at the end"

# ------------------------------------------------------------ figures
bytes=$(wc -c <"$tmp/scrape.txt")
lines=$(wc -l <"$tmp/scrape.txt")
up=$(grep -c '^prodd_service_up{.*} 1$' "$tmp/scrape.txt" || true)
buckets=$(grep -c '^prodd_health_check_duration_seconds_bucket' \
    "$tmp/scrape.txt" || true)
# shellcheck disable=SC2046 # its words
set -- $(sort -n "$tmp/times" | awk '{ v[NR] = $1 } END {
	p = int(NR * 0.9); if (p < NR * 0.9) p++
	med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "%.2f %.2f %.2f %.2f\n", v[1], med, v[p], v[NR] }')
min=$1 med=$2 p90=$3 max=$4
cpu=$(awk -v c=$((c2 - c1)) -v s=$((s2 - s1)) -v i=$((i2 - i1)) \
    -v t=$((t2 - t1)) -v n="$SCRAPES" 'BEGIN {
	net = c - i * s / t; if (net < 0) net = 0
	printf "%.2f %.2f %.2f", c / n / 1e6, net / n / 1e6, 100 * i / t }')
# shellcheck disable=SC2086 # its three words
set -- $cpu
raw=$1 net=$2 idle=$3
busy=$(busy "$m1" "$m2")
if [ -s "$tmp/promtool" ]; then
	pt="**not empty**: $(head -n 3 "$tmp/promtool" | tr '\n' ' ')"
else
	pt="empty (no warning)"
fi
note "  $up services up in the scrape, $buckets histogram bucket lines"
met() { awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 < t) ? "met" : "**missed**" }'; }

echo "prodd $("$prodd" --version | head -n 1 | cut -d' ' -f2), $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d)," \
    "load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end," \
    "machine $busy % busy from the idle window to the last scrape;" \
    "N = $N ($HC with a tcp check), sample_interval 1 s, $SCRAPES scrapes"
echo
echo "| what | value | target | met? |"
echo "|---|---|---|---|"
echo "| scrape, from the client: median | **$med ms** | < 10 ms | $(met "$med" 10) |"
echo "| p90 / min / max | $p90 / $min / $max ms | | |"
echo "| body | $bytes bytes, $lines lines ($buckets histogram buckets) | | |"
echo "| prodd CPU per scrape (less its idle rate, $idle % of one core) | $net ms ($raw ms) | | |"
echo "| \`promtool check metrics\` | $pt | empty | $([ -s "$tmp/promtool" ] && echo '**missed**' || echo met) |"
echo "| Content-Type | \`$ct\` | | |"
