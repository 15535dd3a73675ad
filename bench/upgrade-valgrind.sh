#!/usr/bin/env bash
# The upgrade test (tests/integration/t-upgrade.sh) with prodd under
# valgrind through every hand-over: --trace-children=yes follows prodd into
# each binary it exec's (the services -- sleep, sh, prodd-demo -- and the
# helpers are skipped), each image's report in its own file. Outside the
# timed figures and `make test` (valgrind makes every hand-over slower; a
# check that waits on time may fail here and not elsewhere). Prints the
# test's summary, then the errors valgrind found (none: "0 errors").
#   bash bench/upgrade-valgrind.sh
set -u
BUILD=${BUILD:-build}
make --no-print-directory -s all >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
VALGRIND=1 BUILD=$BUILD PRODD_TEST_PORTS=${PRODD_TEST_PORTS:-12500} \
VG_EXTRA="--trace-children=yes --trace-children-skip=*/sleep,*/sh,*/dash,*/bash,*/*.sh,*/prodd-demo,*/python3*,*/curl,*/prodctl --log-file=$out/vg.%p.%n" \
	bash tests/integration/t-upgrade.sh >"$out/test.out" 2>&1
rc=$?
grep -E '^not ok|passed' "$out/test.out"
images=$(ls "$out"/vg.* 2>/dev/null | wc -l)
errs=$(cat "$out"/vg.* 2>/dev/null | grep -E 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|Invalid (read|write)|uninitialised|Syscall param' | sort | uniq -c)
echo "valgrind: $images prodd images traced (the first, and one per hand-over)"
if [ -n "$errs" ]; then
	echo "valgrind found:"
	echo "$errs"
	grep -h -B2 -A12 -E 'Invalid|uninitialised|definitely lost|Syscall param' "$out"/vg.* | head -80
	exit 1
fi
echo "valgrind: 0 errors"
exit $rc
