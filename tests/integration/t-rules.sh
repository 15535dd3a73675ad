#!/usr/bin/env bash
# The Prometheus files shipped for operators (packaging/prometheus/):
# promtool check rules passes on prodd-rules.yml with no lint warning,
# promtool test rules passes on prodd-rules.test.yml, every alert has a
# test, a severity and its summary and description, and scrape.yml is a
# valid Prometheus configuration that loads the rules. Then a real prodd
# (one service with a memory_limit, one without) is scraped: every prodd_
# family the rules and their tests name is one prodd exports, and
# prodd_service_memory_limit_bytes is there for the one with a limit only.
# Without promtool the promtool checks are skipped ("# skip"), except
# under CI=true, where a missing one is a failed check.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
R=$(cd "$(dirname "$0")/../../packaging/prometheus" && pwd)
RULES=$R/prodd-rules.yml
TESTS=$R/prodd-rules.test.yml

# lone_success OUT: the output of promtool check is its "Checking FILE"
# and "SUCCESS" lines and nothing else (no warning, no lint finding)
lone_success() {
	grep -q 'SUCCESS' "$1" &&
		! grep -vE '^(Checking .*|  SUCCESS: .*|)$' "$1"
}
# count PATTERN FILE: the lines of FILE that match PATTERN
count() { grep -cE "$1" "$2"; }

new_env
alerts=$(sed -n 's/^ *- alert: *//p' "$RULES")
n=$(echo "$alerts" | wc -w)
check "prodd-rules.yml has its 7 alerts ($(echo $alerts))" test "$n" -eq 7
check "every alert has a severity label" test "$(count '^ +severity: (critical|warning)$' "$RULES")" -eq "$n"
check "every alert has a summary that names the service or the instance" \
	test "$(count '^ +summary: .*\{\{ \$labels\.(service|instance) \}\}|^ +summary: "No prodd target' "$RULES")" -eq "$n"
check "every alert has a description" test "$(count '^ +description: ' "$RULES")" -eq "$n"
missing=""
for a in $alerts; do
	grep -qE "^ +alertname: $a$" "$TESTS" || missing="$missing $a"
done
check "every alert is tested in prodd-rules.test.yml${missing:+ (not:$missing)}" test -z "$missing"

if need promtool "promtool check rules, test rules and check config"; then
	promtool check rules --lint=all --lint-fatal "$RULES" >"$T/check.out" 2>&1
	rc=$?
	cat "$T/check.out"
	check "promtool check rules passes (exit $rc)" test "$rc" -eq 0
	check "promtool check rules says nothing but SUCCESS" lone_success "$T/check.out"
	promtool test rules "$TESTS" >"$T/test.out" 2>&1
	rc=$?
	cat "$T/test.out"
	check "promtool test rules passes (exit $rc)" test "$rc" -eq 0
	promtool check config "$R/scrape.yml" >"$T/config.out" 2>&1
	rc=$?
	cat "$T/config.out"
	check "promtool check config passes on scrape.yml with the rules (exit $rc)" \
		test "$rc" -eq 0
	check "scrape.yml's check loaded the 7 rules" grep -q 'SUCCESS: 7 rules found' "$T/config.out"
fi

# the metric names against a real scrape
write_config <<YAML
  - name: big
    command: sleep 1000
    memory_limit: 100M
  - name: small
    command: sleep 1000
YAML
start_prodd
wait_event 20 kind=state service=big to=running
wait_event 20 kind=state service=small to=running
curl -s -m 10 -o "$T/metrics" "http://127.0.0.1:$PORT/metrics"
check "/metrics answered" grep -q '^# TYPE prodd_service_up gauge$' "$T/metrics"
check "prodd_service_memory_limit_bytes of big is its memory_limit (100M)" \
	grep -qxF 'prodd_service_memory_limit_bytes{service="big"} 104857600' "$T/metrics"
check "prodd_service_memory_limit_bytes has no sample for small (no memory_limit)" \
	sh -c "! grep -qF 'prodd_service_memory_limit_bytes{service=\"small\"}' '$T/metrics'"
unknown=""
for name in $(grep -ohE '\bprodd_[a-z_]+' "$RULES" "$TESTS" | sort -u); do
	grep -qE "^# TYPE $name (gauge|counter|histogram)$" "$T/metrics" ||
		unknown="$unknown $name"
done
check "every prodd_ family the rules and their tests name is in /metrics${unknown:+ (not:$unknown)}" \
	test -z "$unknown"

stop_prodd
check "prodd exits 0" test $? -eq 0
cleanup
finish
