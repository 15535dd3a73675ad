#!/usr/bin/env bash
# Runs each fuzz target given (build/fuzz/fuzz_NAME) for FUZZ_TIME seconds
# (default 5) from its seed corpus tests/fuzz/corpus/NAME, into a scratch
# corpus under build/fuzz/work (the seeds in the tree are never written),
# with the dictionary tests/fuzz/NAME.dict when there is one.
# A finding (a crash, a sanitizer report, a broken invariant, a leak, a
# timeout) leaves its input in build/fuzz/artifacts/ and makes the status 1.
# Prints one line per target: "fuzz NAME: N runs in S s, no finding".
set -u
time=${FUZZ_TIME:-5}
rc=0
for t in "$@"; do
	name=${t##*/fuzz_}
	seeds=tests/fuzz/corpus/$name
	work=build/fuzz/work/$name
	arts=build/fuzz/artifacts/$name/
	log=build/fuzz/$name.log
	dict=()
	[ -f tests/fuzz/$name.dict ] && dict=(-dict=tests/fuzz/$name.dict)
	mkdir -p "$work" "$arts" "$seeds"
	"$t" -max_total_time="$time" -timeout=10 -rss_limit_mb=1024 "${dict[@]}" \
		-max_len=8192 -print_final_stats=1 -artifact_prefix="$arts" \
		"$work" "$seeds" >"$log" 2>&1
	st=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$st" -ne 0 ]; then
		echo "FAIL fuzz $name: exit $st after ${runs:-?} runs; input in $arts; log $log"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20
		rc=1
	else
		echo "fuzz $name: ${runs:-?} runs in $time s, no finding"
	fi
done
exit $rc
