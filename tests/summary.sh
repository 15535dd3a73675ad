#!/bin/sh
# Adds up the test-summary files of the builds named on the command line
# and prints the closing line "N passed, M failed".
passed=0
failed=0
for b in "$@"; do
	[ -f "$b/test-summary" ] || { echo "no results in $b"; failed=$((failed + 1)); continue; }
	read -r p f <"$b/test-summary"
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "all builds: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
