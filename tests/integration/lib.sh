# Shared helpers for the black-box tests (source it from a t-*.sh).
# Each check prints "ok - what" or "not ok - what"; finish prints the
# closing "N passed, M failed" line and sets the exit status.
BUILD=${BUILD:-build}
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# wait_for SECONDS COMMAND...: poll every 50 ms until the command succeeds.
wait_for() {
	deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
	shift
	while [ "$(date +%s%N)" -lt "$deadline" ]; do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

# In valgrind runs (VALGRIND=1, not sanitized), wrap a program with it.
VG=""
if [ -n "${VALGRIND:-}" ] && [ -z "${SANITIZE:-}" ]; then
	VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all"
fi

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
