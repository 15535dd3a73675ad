#!/bin/sh
# The soak: prodd under everything at once for DURATION s, its figures each
# minute. N services (default 200; the mix by index, i % 10):
#   0 1  crash loops: prodd-demo --crash-after 1..4 s (exit 3), restarted
#        after 1 s for ever (restart: always, backoff: fixed)
#   2    memory leaks: --leak-mb-per-s 8 against memory_limit: 48M
#   3    log floods: LOG_BPS bytes/s in all (default 5 MiB/s), 256-byte
#        lines, logs rotated at 2M (keep 1)
#   4    orphan storms: sh forks 6 background sleeps in subshells that
#        exit at once (prodd adopts them as subreaper), then exits 0
#   5    orphan grandchildren: prodd-demo --spawn-grandchild, lifetime 4 s,
#        the demo exits after 3 s
#   6    hanging health checks: --hang-health-after 5 s, url check every 2 s
#        with a 1 s timeout; on_unhealthy restart (even i) or ignore (odd)
#   7 8  steady demos with a url check; 9 with a tcp check
# prodd alternates two configs, a reload every minute (30 s into it): in
# the second every service with i % 20 == 7 has another environment value
# (so it restarts) and a `sleep` service is swapped for another (one
# removed, one added). Meanwhile WS (default 100) /ws clients read
# every frame, a thread each, and connect again when prodd drops them (a
# reader too slow for prodd's 1 MiB queue: the dashboard reconnects too),
# and HTTP (default 100) clients each GET /api/services every POLL s
# (bench/wsbench.py keep / poll). bench/soakwatch.py records every
# minute prodd's RSS, fds, zombies under it, the services it lists against
# the config (lost, listed twice, pid twice, an unsupervised session
# leader, a dead pid listed running), the worst loop lag (/api/health) and
# the reloads, into build/soak-LABEL-DATE.csv; at the end prodd gets
# SIGTERM, and the script prints a markdown summary: those figures, the
# clients' counts, prodd's exit, leftover processes, and for a sanitized
# build the ASan/UBSan reports in prodd's stderr, under valgrind its exit
# summary.
#   sh bench/soak.sh
#   (env: DURATION=3600, N=200, WS=100, HTTP=100, POLL=1, LOG_BPS=5242880,
#   BUILD=build | build/sanitize (SANITIZE=address,undefined is implied),
#   VALGRIND=1 (plain build under valgrind; defaults N=50, POLL=5,
#   LOG_BPS=1048576), PRODD_TEST_PORTS=BASE (prodd on BASE, services on
#   BASE+1..BASE+N+2; default 15000), KEEP=1 keeps the temporary directory)
# Progress on stderr, the summary on stdout. Every wait is bounded; every
# process (clients, prodd, each service's process group) is killed at the
# end, on an error and on Ctrl-C.
set -eu
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
DURATION=${DURATION:-3600}
if [ -n "${VALGRIND:-}" ]; then
	N=${N:-50}
	POLL=${POLL:-5}
	LOG_BPS=${LOG_BPS:-1048576}
	label=valgrind
else
	N=${N:-200}
	POLL=${POLL:-1}
	LOG_BPS=${LOG_BPS:-5242880}
	case $BUILD in *sanitize*) label=sanitize ;; *) label=plain ;; esac
fi
WS=${WS:-100}
HTTP=${HTTP:-100}
BASE=${PRODD_TEST_PORTS:-15000}

command -v python3 >/dev/null || die "python3 is needed (clients, watcher)"
[ "$N" -ge 20 ] || die "N must be at least 20 (one of each kind)"
[ "$DURATION" -ge 60 ] || die "DURATION must be at least 60 s"
if [ -n "${VALGRIND:-}" ]; then
	command -v valgrind >/dev/null || die "valgrind is needed (make deps)"
	case $BUILD in *sanitize*) die "valgrind and ASan cannot share a process" ;; esac
fi
case $BUILD in
*sanitize*) make --no-print-directory -s SANITIZE=address,undefined \
    "$BUILD/prodd" "$BUILD/prodd-exec" "$BUILD/prodd-demo" >/dev/null ;;
*) make --no-print-directory -s "$BUILD/prodd" "$BUILD/prodd-exec" \
    "$BUILD/prodd-demo" >/dev/null ;;
esac
top=$(pwd)
prodd=$top/$BUILD/prodd
# the demos: the plain build's, even for a sanitized prodd (the soak is
# about prodd; 200 sanitized demos would only eat the machine)
make --no-print-directory -s build/prodd-demo >/dev/null
demo=$top/build/prodd-demo
wsb="python3 $top/bench/wsbench.py"
watch="python3 $top/bench/soakwatch.py"
tmp=$(mktemp -d /tmp/prodd-soak.XXXXXX)
stamp=$(date +%Y%m%d-%H%M%S)
csv=$top/build/soak-$label-$stamp.csv
load0=$(cut -d' ' -f1-3 /proc/loadavg)
pid=""				# prodd, while it runs
cpids=""			# clients and the watcher (each leads its group)

cleanup() {
	set +e
	for c in $cpids; do
		kill -s KILL -- "-$c" 2>/dev/null
	done
	end_prodd $pid
	end_recorded "$tmp/state"
	end_tmp "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# gen WHICH (a|b): the config, to stdout; the names to $tmp/WHICH.names
gen() {
	awk -v n="$N" -v base="$BASE" -v which="$1" -v tmp="$tmp" \
	    -v demo="$demo" -v bps="$LOG_BPS" -v names="$tmp/$1.names" 'BEGIN {
	printf "daemon:\n  listen: 127.0.0.1:%d\n  rate_limit: 0\n", base
	printf "  state_dir: %s/state\n  log_dir: %s/logs\n", tmp, tmp
	printf "  shutdown_timeout: 60s\n  sample_interval: 1s\nservices:\n"
	floods = int(n / 10) + (n % 10 > 3)
	lines = int(bps / 256 / floods); if (lines < 1) lines = 1
	for (i = 0; i < n; i++) {
		k = i % 10; p = base + 1 + i
		nm = sprintf("s%03d", i)
		printf "  - name: %s\n", nm
		print nm > names
		forever = "    restart: always\n    restart_delay: 1s\n    backoff: fixed\n    max_restarts: 1000000\n"
		if (k <= 1) {
			printf "    command: %s --port %d --crash-after %d --exit-code 3\n", demo, p, 1 + i % 4
			printf "%s", forever
		} else if (k == 2) {
			printf "    command: %s --port %d --leak-mb-per-s 8\n    memory_limit: 48M\n", demo, p
			printf "%s", forever
		} else if (k == 3) {
			printf "    command: %s --port %d --log-lines-per-s %d --log-line-bytes 256\n", demo, p, lines
			printf "    log: { max_size: 2M, keep: 1 }\n"
		} else if (k == 4) {
			printf "    command: \"for j in 1 2 3 4 5 6; do (sleep 2 &); done; sleep 1\"\n    shell: true\n"
			printf "%s", forever
		} else if (k == 5) {
			printf "    command: %s --port %d --spawn-grandchild --grandchild-lifetime 4 --crash-after 3 --exit-code 0\n", demo, p
			printf "%s", forever
		} else if (k == 6) {
			printf "    command: %s --port %d --hang-health-after 5\n", demo, p
			printf "    health_check:\n      url: http://127.0.0.1:%d/api/health\n", p
			printf "      interval: 2s\n      timeout: 1s\n      retries: 2\n      start_period: 0\n"
			printf "      on_unhealthy: %s\n", (i % 2 ? "ignore" : "restart")
			printf "%s", forever
		} else {
			printf "    command: %s --port %d --latency-ms 1\n", demo, p
			if (k == 9)
				printf "    health_check: { tcp: \"127.0.0.1:%d\", interval: 5s }\n", p
			else
				printf "    health_check: { url: \"http://127.0.0.1:%d/api/health\", interval: 5s }\n", p
		}
		printf "    stop_timeout: 3s\n"
		if (i % 20 == 7)
			printf "    environment: { SOAK_GEN: \"%s\" }\n", which
	}
	nm = "extra-" which
	printf "  - { name: %s, command: sleep 100000, stop_timeout: 3s }\n", nm
	print nm > names
	}'
}
gen a >"$tmp/a.yaml"
gen b >"$tmp/b.yaml"
cp "$tmp/a.yaml" "$tmp/services.yaml"
"$prodd" --check -c "$tmp/b.yaml" >/dev/null 2>"$tmp/check.err" ||
	die "config b refused: $(cat "$tmp/check.err")"

vg=""
if [ -n "${VALGRIND:-}" ]; then
	vg="valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=all"
	vg="$vg --errors-for-leak-kinds=all --suppressions=$top/tests/valgrind.supp"
	vg="$vg --log-file=$tmp/valgrind.log"
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
note "soak ($label): $N services, $WS ws + $HTTP http clients, ${DURATION} s, load $load0"
$vg "$prodd" -c "$tmp/services.yaml" >"$tmp/prodd.out" 2>"$tmp/prodd.err" &
pid=$!
sock=$tmp/state/prodd.sock
i=0
until curl -sf --max-time 5 --unix-socket "$sock" http://x/api/health >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 600 ] || die "prodd did not answer within 60 s"
	kill -0 "$pid" 2>/dev/null || die "prodd died: $(tail -5 "$tmp/prodd.err")"
	sleep 0.1
done
note "prodd $pid answers; clients connecting"
export WS_URL=ws://127.0.0.1:$BASE/ws
setsid $wsb keep "$WS" "$DURATION" >"$tmp/ws.out" 2>"$tmp/ws.err" &
cpids="$cpids $!"
wspid=$!
setsid $wsb poll "$HTTP" "$DURATION" "$POLL" >"$tmp/http.out" 2>&1 &
cpids="$cpids $!"
httppid=$!
setsid $watch watch "$pid" "$sock" "$tmp" "$DURATION" "$csv" \
    2>"$tmp/watch.err" &
cpids="$cpids $!"
watchpid=$!
# the watcher ends by its own deadline (or when prodd is gone); the
# clients by theirs; each wait is bounded anyway
began=$(date +%s)
while kill -0 "$watchpid" 2>/dev/null; do
	[ $(($(date +%s) - began)) -lt $((DURATION + 60)) ] || break
	sleep 5
	m=$((($(date +%s) - began) / 60))
	if [ "$m" != "${lastm:-}" ] && [ -f "$csv" ]; then
		lastm=$m
		note "  minute $m: $(tail -1 "$csv")"
	fi
done
for c in $wspid $httppid; do
	j=0
	while kill -0 "$c" 2>/dev/null && [ "$j" -lt 120 ]; do
		sleep 1
		j=$((j + 1))
	done
done
for c in $cpids; do
	kill -s KILL -- "-$c" 2>/dev/null || true
done
cpids=""
alive=yes
kill -0 "$pid" 2>/dev/null || alive=no
# the services' sessions, to look for leftovers after prodd has gone
sessions=$(groups_of "$pid" | tr '\n' ' ')
stop0=$(date +%s)
kill -s TERM "$pid" 2>/dev/null || true
j=0
lim=90
[ -z "${VALGRIND:-}" ] || lim=240
while kill -0 "$pid" 2>/dev/null && [ "$j" -lt $((lim * 10)) ]; do
	sleep 0.1
	j=$((j + 1))
done
if kill -0 "$pid" 2>/dev/null; then
	rc="still running after $lim s (killed)"
else
	set +e
	wait "$pid"
	rc=$?
	set -e
fi
pid=""
stopped=$(($(date +%s) - stop0))
sleep 1
left=$(cat /proc/[0-9]*/stat 2>/dev/null | sed 's/.*) //' |
    awk -v ss="$sessions" 'BEGIN { n = split(ss, a, " ");
	for (i = 1; i <= n; i++) want[a[i]] = 1 }
    ($4 in want) { c++ } END { print c + 0 }')

echo "### soak: $label build, $N services (+1 sleep), $((DURATION / 60)) min"
echo
echo "Started $stamp; load average at the start: $load0, at the end: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores)."
echo "Log floods: $LOG_BPS bytes/s in all; $WS /ws clients, $HTTP HTTP clients polling every $POLL s."
echo
$watch summary "$csv"
echo "| /ws clients (wsbench keep) | $(tail -1 "$tmp/ws.out") |"
echo "| HTTP clients (wsbench poll) | $(tail -1 "$tmp/http.out") |"
echo "| prodd alive at the end / exit status after SIGTERM / time to exit | $alive / $rc / $stopped s |"
echo "| processes left in the services' sessions after prodd exited | $left |"
if [ "$label" = sanitize ]; then
	nrep=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$tmp/prodd.err" || true)
	echo "| ASan/LSan/UBSan reports in prodd's stderr | $nrep |"
fi
if [ -n "${VALGRIND:-}" ]; then
	echo "| valgrind | $(grep -E 'ERROR SUMMARY' "$tmp/valgrind.log" | tail -1 | sed 's/^==[0-9]*== //') |"
	echo "| valgrind leaks | $(grep -E 'definitely lost|indirectly lost|possibly lost|still reachable' "$tmp/valgrind.log" | sed 's/^==[0-9]*== *//' | tr '\n' ';') |"
fi
echo
echo "CSV: ${csv#"$top"/}"
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$tmp/prodd.err"; then
	note "sanitizer reports:"
	grep -A30 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$tmp/prodd.err" | head -120 >&2
fi
if [ -n "${VALGRIND:-}" ] && ! grep -q 'ERROR SUMMARY: 0 errors' "$tmp/valgrind.log"; then
	note "valgrind report:"
	head -150 "$tmp/valgrind.log" >&2
fi
if [ -s "$tmp/watch.err" ]; then
	note "watcher notes (last 40):"
	tail -40 "$tmp/watch.err" >&2
fi
# prodd's stderr kept beside the CSV when it holds a report
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$tmp/prodd.err" ||
    [ -n "${VALGRIND:-}" ]; then
	cp "$tmp/prodd.err" "$top/build/soak-$label-$stamp.prodd.err"
	[ -z "${VALGRIND:-}" ] || cp "$tmp/valgrind.log" "$top/build/soak-$label-$stamp.valgrind.log"
fi
