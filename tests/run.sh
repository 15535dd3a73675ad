#!/usr/bin/env bash
# Runs the tests of one build: the cmocka unit tests in $BUILD/tests and
# every black-box script tests/integration/t-*.sh against the binaries in
# $BUILD, two at a time (the unit tests, one after the other, as one of
# the two). Each test's output goes to $BUILD/test-logs/, and is shown when it
# fails. Ends with one line "N passed, M failed" (also kept in
# $BUILD/test-summary) and exits 1 when anything failed.
#   BUILD=build SANITIZE=... VALGRIND=1 ONLY=unit|integration sh tests/run.sh
set -u
BUILD=${BUILD:-build}
ONLY=${ONLY:-}
logs=$BUILD/test-logs
mkdir -p "$logs"
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
	local t name log t0 rc secs p f up=0 uf=0 ufail=""
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
	local t=$1 name log t0 rc secs line p f	# $2: the script's number
	name=$(basename "$t" .sh)
	log=$logs/$name.log
	t0=$(date +%s)
	# each script takes its TCP ports from its own block of 500 (by its
	# place in the list, counted here in the parent shell: run_script runs
	# in a subshell), so two scripts side by side never pick the same port
	PRODD_TEST_PORTS=$((20000 + ($2 % 24) * 500)) \
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
}

port_block=0
if [ "$ONLY" = unit ]; then
	run_units
	units_done
fi

if [ "$ONLY" != unit ]; then
	# Two at a time (the machine has two cores); the scripts that load
	# both cores on purpose (SERIAL) run alone, after the others. The unit
	# tests (unless left out) take one of the two places while they run.
	SERIAL="t-api"
	running=0
	if [ "$ONLY" != integration ]; then
		run_units &
		running=1
	fi
	for t in tests/integration/t-*.sh; do
		[ -f "$t" ] || continue
		case " $SERIAL " in *" $(basename "$t" .sh) "*) continue ;; esac
		port_block=$((port_block + 1))
		run_script "$t" "$port_block" &
		running=$((running + 1))
		if [ $running -ge 2 ]; then
			wait -n
			running=$((running - 1))
		fi
	done
	wait
	[ "$ONLY" = integration ] || units_done
	for name in $SERIAL; do
		port_block=$((port_block + 1))
		[ -f "tests/integration/$name.sh" ] && run_script "tests/integration/$name.sh" "$port_block"
	done
	for t in tests/integration/t-*.sh; do
		name=$(basename "$t" .sh)
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

echo "$passed $failed" >"$BUILD/test-summary"
echo "[$BUILD${SANITIZE:+ sanitize=$SANITIZE}${vg:+ valgrind}]${failures:+ failed:$failures}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
