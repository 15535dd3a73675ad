#!/usr/bin/env bash
# Runs the tests of one build: the cmocka unit tests in $BUILD/tests and
# every black-box script tests/integration/t-*.sh against the binaries in
# $BUILD, two at a time (each unit test is a job too), longest first, so
# that the two lanes end together; each job's time is kept in
# $BUILD/test-times for the next run's order (a job not timed yet counts
# as the estimate below). The scripts in SERIAL load both cores on
# purpose: they run first, one after the other, with nothing beside them
# but the jobs in BESIDE, whose checks do not depend on time (the unit
# tests, the configuration checks, the harness's own, the install
# layout, the unit's environment, spawning, recovery and the Prometheus
# rules: only bounded waits and what must not happen). The jobs in IDLE
# mostly wait (a keep-alive test waits a minute for a ping and its
# timeout) and use next to no CPU: they start once the serial scripts
# are done, in a lane of their own beside all the others. Each test's output goes to
# $BUILD/test-logs/, and is shown when it fails. Ends with one line "N
# passed, M failed" (also kept in $BUILD/test-summary) and exits 1 when
# anything failed.
#   BUILD=build SANITIZE=... VALGRIND=1 ONLY=unit|integration bash tests/run.sh
set -u
BUILD=${BUILD:-build}
ONLY=${ONLY:-}
LANES=2
SERIAL="t-api t-hostile"
BESIDE="test_* t-check t-harness t-install t-recover t-rules t-spawn
	t-unitenv t-exit"
IDLE="t-ws-ping t-lag"
# seconds a job took (plain build, valgrind), for the order of a first run
ESTIMATE="test_config:45 test_*:1 t-api:33 t-ws:24 t-health:18 t-check:15
	t-demo:14 t-lifecycle:14 t-prodctl:13 t-metrics:8 t-prom:8 t-recover:8
	t-top:7 t-sdnotify:7 t-output:6 t-harness:6 t-rules:3 t-spawn:2 t-ws-ping:75
	t-static:17 t-install:3 t-unitenv:3 t-tls:3 t-fuzz:28 t-notify:10
	t-alerts:20 t-alertmanager:6 t-analyze:5 t-dashboard:60 t-upgrade:45
	t-hostile:25 t-lag:30 t-exit:4"
logs=$BUILD/test-logs
times=$BUILD/test-times${VALGRIND:+.valgrind}
mkdir -p "$logs"
rm -f "$BUILD/test-summary" "$logs"/*.result "$logs"/*.uresult "$logs"/*.time
passed=0
failed=0
failures=""

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export BUILD SANITIZE="${SANITIZE:-}" VALGRIND="${VALGRIND:-}"

vg=""
if [ -n "${VALGRIND:-}" ] && [ -z "${SANITIZE:-}" ]; then
	vg="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all"
	vg="$vg --suppressions=$(pwd)/tests/valgrind.supp"
fi

count_cmocka() {	# file -> "passed failed"
	awk '/^\[  PASSED  \]/ { p += $4 } /^\[  FAILED  \] [0-9]+ test/ { f += $4 }
	     END { print p + 0, f + 0 }' "$1"
}

# One unit test; its sums ("passed failed exit seconds") go to
# $logs/NAME.uresult.
run_unit() {
	local name=$1 log t0 rc secs p f
	log=$logs/$name.log
	t0=$(date +%s)
	timeout 300 $vg "$BUILD/tests/$name" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	set -- $(count_cmocka "$log")
	p=$1 f=$2
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# crashed, leaked or timed out outside a test
	fi
	echo "$p $f $rc $secs" >"$logs/$name.uresult"
	echo "$name $secs" >"$logs/$name.time"
}

# What the unit tests found, in the order of their names, into the totals.
units_done() {
	local name p f rc secs
	for name in $units; do
		read -r p f rc secs <"$logs/$name.uresult" 2>/dev/null || { p=0 f=1 rc=-; }
		rm -f "$logs/$name.uresult"
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$f" -ne 0 ]; then
			failures="$failures $name"
			echo "FAIL unit $name (exit $rc): $logs/$name.log"
			tail -n 40 "$logs/$name.log"
		else
			echo "ok   unit $name: $p passed${vg:+ (valgrind)} (${secs} s)"
		fi
	done
}

# One black-box script; its result goes to $logs/NAME.result.
run_script() {
	local t=$1 name log t0 rc secs line p f
	name=$(basename "$t" .sh)
	log=$logs/$name.log
	t0=$(date +%s)
	# each script takes its TCP ports from its own block of 250 (by its
	# place in the sorted list of scripts: 51 blocks fit below the
	# ephemeral range, 32768 on), so two scripts side by side never pick
	# the same port
	PRODD_TEST_PORTS=$((20000 + ($(port_block "$name") % 51) * 250)) \
		timeout 600 bash "$t" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(echo "$line" | awk '{ print $1 + 0 }')
	f=$(echo "$line" | awk '{ print $3 + 0 }')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	echo "$p $f $rc $secs" >"$logs/$name.result"
	echo "$name $secs" >"$logs/$name.time"
}

scripts=$(cd tests/integration && ls t-*.sh | sed 's/\.sh$//')
port_block() {	# NAME -> its place (1...) in the list of scripts
	echo "$scripts" | grep -nx "$1" | cut -d: -f1
}

# weight JOB: the seconds it took last time, or its estimate, or 10
weight() {
	local - w e
	set -f
	w=$(awk -v j="$1" '$1 == j { print $2 }' "$times" 2>/dev/null | tail -n 1)
	if [ -z "$w" ]; then
		for e in $ESTIMATE; do
			case $1 in ${e%:*}) w=${e##*:}; break ;; esac
		done
	fi
	echo "${w:-10}"
}

run_job() {
	case $1 in
	test_*) run_unit "$1" ;;
	*) run_script "tests/integration/$1.sh" ;;
	esac
}

units=""
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	case $(basename "$t") in *.*) continue ;; esac
	units="$units $(basename "$t")"
done
jobs=""
serial=""
idle=""
[ "$ONLY" = integration ] || jobs=$units
if [ "$ONLY" != unit ]; then
	for name in $scripts; do
		case " $SERIAL " in *" $name "*) serial="$serial $name"; continue ;; esac
		case " $IDLE " in *" $name "*) idle="$idle $name"; continue ;; esac
		jobs="$jobs $name"
	done
fi
# beside JOB: the job is one of BESIDE
beside() {
	local - b
	set -f
	for b in $BESIDE; do
		case $1 in $b) return 0 ;; esac
	done
	return 1
}
# longest_first JOB...: the jobs, the longest first
longest_first() {
	local j
	for j in "$@"; do echo "$(weight "$j") $j"; done | sort -rn -k1,1 | awk '{ print $2 }'
}

# The serial scripts, one after the other, in a lane of their own; beside
# them, the jobs of BESIDE, one after the other, while they last.
running=0
spid=""
if [ -n "$serial" ]; then
	( for name in $serial; do run_script "tests/integration/$name.sh"; done ) &
	spid=$!
	running=1
	rest=""
	for j in $(longest_first $jobs); do
		if beside "$j" && kill -0 "$spid" 2>/dev/null; then
			run_job "$j"
			continue
		fi
		rest="$rest $j"
	done
	jobs=$rest
	kill -0 "$spid" 2>/dev/null || running=0
fi
# The idle scripts, in a lane of their own (waited for at the end), from
# the moment the serial lane is done: beside scripts that load both cores
# on purpose, even a waiting script's prodd starts too late.
if [ -n "$idle" ]; then
	( while [ -n "$spid" ] && [ -e "/proc/$spid" ] &&
	    ! grep -q '^State:.*Z' "/proc/$spid/status" 2>/dev/null; do
		sleep 0.2
	  done
	  for name in $idle; do run_script "tests/integration/$name.sh"; done ) &
fi
# Then the pool: LANES jobs at a time, longest first.
# (wait -n on the lanes' own pids: the idle lane ending frees no lane)
lanes=()
[ "$running" -eq 1 ] && lanes=("$spid")
for j in $(longest_first $jobs); do
	run_job "$j" &
	lanes+=("$!")
	if [ ${#lanes[@]} -ge $LANES ]; then
		wait -n -p done_pid "${lanes[@]}"
		for i in "${!lanes[@]}"; do
			[ "${lanes[$i]}" = "$done_pid" ] && unset 'lanes[i]'
		done
		lanes=("${lanes[@]}")
	fi
done
wait

[ "$ONLY" = integration ] || units_done
if [ "$ONLY" != unit ]; then
	for name in $scripts; do
		log=$logs/$name.log
		[ -f "$logs/$name.result" ] || { echo "0 1 1 0" >"$logs/$name.result"; }
		read -r p f rc secs <"$logs/$name.result"
		rm -f "$logs/$name.result"
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$f" -ne 0 ]; then
			failures="$failures $name"
			echo "FAIL integration $name (exit $rc): $log"
			grep -E '^not ok' "$log" | head -n 20
			tail -n 30 "$log"
		else
			echo "ok   integration $name: $p passed (${secs} s)"
		fi
	done
fi

# this run's times, for the next run's order (the jobs of a partial run
# keep their other times)
{
	cat "$logs"/*.time 2>/dev/null
	[ -f "$times" ] && cat "$times"
} | awk '!seen[$1]++' >"$times.new" && mv "$times.new" "$times"
rm -f "$logs"/*.time

echo "$passed $failed" >"$BUILD/test-summary"
echo "[$BUILD${SANITIZE:+ sanitize=$SANITIZE}${vg:+ valgrind}]${failures:+ failed:$failures}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
