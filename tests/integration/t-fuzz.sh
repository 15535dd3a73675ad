#!/usr/bin/env bash
# The fuzz targets, briefly: `make fuzz` with FUZZ_TIME=3 (each target 3 s
# from its seed corpus; the clang build in build/fuzz is made the first
# time, whatever build this run tests). One check per target: its
# "no finding" line. The long runs (a million executions and more) are
# bench/README.md's; see tests/fuzz/run.sh.
set -u
. "$(dirname "$0")/lib.sh"

need clang "the fuzz targets" || { finish; exit $?; }
if ! printf 'int main(void){return 0;}' | clang -x c -fsanitize=fuzzer-no-link -c -o /dev/null - 2>/dev/null ||
    [ -z "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a | grep /)" ]; then
	need libclang_rt_fuzzer "the fuzz targets (libclang-rt-14-dev)" || { finish; exit $?; }
fi
# a make of its own: not the jobserver or variables of the make that runs
# this script
out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory \
	fuzz FUZZ_TIME=3 2>&1)
rc=$?
targets=$(cd tests/fuzz && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
for t in $targets; do
	line=$(grep -E "^(FAIL )?fuzz $t:" <<<"$out")
	if [[ $line == "fuzz $t: "*"no finding" ]]; then
		ok "$line"
	else
		not_ok "fuzz $t: ${line:-no result}"
		echo "$out" | tail -n 30
	fi
done
check "make fuzz exits 0" test "$rc" -eq 0
finish
