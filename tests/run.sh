#!/usr/bin/env bash
# Runs the tests of one build: the cmocka unit tests in $BUILD/tests and
# every black-box script tests/integration/t-*.sh against the binaries in
# $BUILD, two at a time (the unit tests, one after the other, as one job of
# the two), longest first, so that the two lanes end together: each job's
# time is kept in $BUILD/test-times for the next run (a job not timed yet
# counts as the estimate below). The scripts in SERIAL load both cores on
# purpose: they run first, one after the other, with nothing beside them
# but the jobs in BESIDE, whose checks do not depend on time (the unit
# tests, the configuration checks, the harness's own). Each test's output goes to
# $BUILD/test-logs/, and is shown when it fails. Ends with one line "N
# passed, M failed" (also kept in $BUILD/test-summary) and exits 1 when
# anything failed.
#   BUILD=build SANITIZE=... VALGRIND=1 ONLY=unit|integration bash tests/run.sh
set -u
BUILD=${BUILD:-build}
ONLY=${ONLY:-}
LANES=2
SERIAL="t-api"
BESIDE="units t-check t-harness"
# seconds a job took (plain build, valgrind), for the order of a first run
ESTIMATE="units:40 t-health:35 t-prodctl:25 t-recover:20 t-lifecycle:20
	t-spawn:15 t-top:10 t-metrics:12 t-demo:12 t-check:9 t-output:8 t-harness:7"
logs=$BUILD/test-logs
times=$BUILD/test-times${VALGRIND:+.valgrind}
mkdir -p "$logs"
rm -f "$BUILD/test-summary" "$logs"/*.result "$logs"/*.time "$logs"/units.*
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

# The unit tests, one after the other; their lines go to $logs/units.out,
# their sums ("passed failed names-that-failed") to $logs/units.result.
run_units() {
	local t name log t0 rc secs p f up=0 uf=0 ufail="" u0
	u0=$(date +%s)
	: >"$logs/units.out"
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		case $name in *.*) continue ;; esac
		log=$logs/$name.log
		t0=$(date +%s)
		timeout 300 $vg "$t" >"$log" 2>&1
		rc=$?
		secs=$(( $(date +%s) - t0 ))
		set -- $(count_cmocka "$log")
		p=$1 f=$2
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1	# crashed, leaked or timed out outside a test
		fi
		up=$((up + p))
		uf=$((uf + f))
		if [ "$f" -ne 0 ]; then
			ufail="$ufail $name"
			{
				echo "FAIL unit $name (exit $rc): $log"
				tail -n 40 "$log"
			} >>"$logs/units.out"
		else
			echo "ok   unit $name: $p passed${vg:+ (valgrind)} (${secs} s)" >>"$logs/units.out"
		fi
	done
	echo "$up $uf$ufail" >"$logs/units.result"
	echo "units $(( $(date +%s) - u0 ))" >"$logs/units.time"
}

# What run_units found, into the totals.
units_done() {
	local up uf ufail
	cat "$logs/units.out"
	read -r up uf ufail <"$logs/units.result" || { up=0 uf=1 ufail=units; }
	passed=$((passed + up))
	failed=$((failed + uf))
	[ -z "$ufail" ] || failures="$failures $ufail"
	rm -f "$logs/units.out" "$logs/units.result"
}

# One black-box script; its result goes to $logs/NAME.result.
run_script() {
	local t=$1 name log t0 rc secs line p f
	name=$(basename "$t" .sh)
	log=$logs/$name.log
	t0=$(date +%s)
	# each script takes its TCP ports from its own block of 500 (by its
	# place in the sorted list of scripts), so two scripts side by side
	# never pick the same port
	PRODD_TEST_PORTS=$((20000 + ($(port_block "$name") % 24) * 500)) \
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
	local w
	w=$(awk -v j="$1" '$1 == j { print $2 }' "$times" 2>/dev/null | tail -n 1)
	[ -n "$w" ] || w=$(echo "$ESTIMATE" | tr ' \t' '\n\n' | sed -n "s/^$1://p")
	echo "${w:-10}"
}

run_job() {
	case $1 in
	units) run_units ;;
	*) run_script "tests/integration/$1.sh" ;;
	esac
}

jobs=""
serial=""
[ "$ONLY" = integration ] || jobs="units"
if [ "$ONLY" != unit ]; then
	for name in $scripts; do
		case " $SERIAL " in *" $name "*) serial="$serial $name"; continue ;; esac
		jobs="$jobs $name"
	done
fi
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
		case " $BESIDE " in
		*" $j "*) if kill -0 "$spid" 2>/dev/null; then run_job "$j"; continue; fi ;;
		esac
		rest="$rest $j"
	done
	jobs=$rest
	kill -0 "$spid" 2>/dev/null || running=0
fi
# Then the pool: LANES jobs at a time, longest first.
for j in $(longest_first $jobs); do
	run_job "$j" &
	running=$((running + 1))
	if [ $running -ge $LANES ]; then
		wait -n
		running=$((running - 1))
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
