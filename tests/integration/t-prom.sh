#!/usr/bin/env bash
# /metrics, black-box: a service running with a tcp health check and one
# that crashes into failed; a scrape over TCP (and over the control
# socket) with its content type; promtool check metrics passes with no
# word; prodd_service_up 1 and 0; the failed one's restarts_total by
# reason against its restart count in /api/services, and its last exit
# code; the check-latency histogram; cpu_seconds_total never goes down
# across a restart; the Host guard applies. Then a real Prometheus,
# started here, scrapes prodd and is asked through its HTTP API with
# PromQL. Without promtool or prometheus a check is skipped ("# skip"),
# except under CI=true, where a missing one is a failed check.
set -u
. "$(dirname "$0")/lib.sh"
PROM_PID=""
prom_end() {
	if [ -n "$PROM_PID" ]; then
		kill -TERM "$PROM_PID" 2>/dev/null
		poll 10 not_alive "$PROM_PID" || kill -KILL "$PROM_PID" 2>/dev/null
		wait "$PROM_PID" 2>/dev/null
		PROM_PID=""
	fi
}
trap 'prom_end; cleanup' EXIT

api() { curl -s -m 10 --unix-socket "$STATE/prodd.sock" "http://localhost$1"; }
svc() { api "/api/services/$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)" 2>/dev/null; }
# scrape FILE: GET /metrics over TCP, headers in FILE.h
scrape() { curl -s -m 10 -D "$1.h" -o "$1" "http://127.0.0.1:$PORT/metrics"; }
# sample FILE LINE-PREFIX: the value of the sample that starts so
sample() { grep -F "$2 " "$1" | awk '{ print $NF }' | head -n 1; }
has_line() { grep -qxF "$2" "$1"; }

new_env
po=$(free_port)
write_config <<YAML
  - name: ok
    command: $DEMO --port $po --cpu-burn 20
    health_check: { tcp: "127.0.0.1:$po", interval: 300ms }
  - name: crash
    command: sh -c 'echo going down; exit 3'
    max_restarts: 2
    restart_delay: 100ms
YAML
sed -i "s|^daemon:|daemon:\n  sample_interval: 500ms|" "$T/s.yaml"
start_prodd
wait_event 20 kind=state service=ok to=running
wait_event 20 kind=state service=crash to=failed
# a sample of the running service: its figures are in
poll 10 eval '[ "$(svc ok "j[\"metrics\"] is not None")" = True ]'

M=$T/m1
scrape "$M"
check "GET /metrics answers 200" grep -q '^HTTP/1.1 200' "$M.h"
check "the content type is Prometheus text 0.0.4" \
	grep -qix 'content-type: text/plain; version=0.0.4; charset=utf-8'$'\r' "$M.h"
if need promtool "promtool check metrics"; then
	out=$(promtool check metrics <"$M" 2>&1)
	rc=$?
	check "promtool check metrics passes with no output (rc $rc${out:+: $out})" \
		test "$rc" -eq 0 -a -z "$out"
fi
check "prodd_service_up{service=\"ok\"} 1" has_line "$M" 'prodd_service_up{service="ok"} 1'
check "prodd_service_up{service=\"crash\"} 0" has_line "$M" 'prodd_service_up{service="crash"} 0'
check "the state set: ok is running, crash is failed" \
	eval 'has_line "$M" "prodd_service_state{service=\"ok\",state=\"running\"} 1" &&
	has_line "$M" "prodd_service_state{service=\"crash\",state=\"failed\"} 1" &&
	test "$(grep -c "^prodd_service_state{service=\"crash\".*} 1$" "$M")" -eq 1'
n=$(svc crash 'j["restarts"]')
r=$(sample "$M" 'prodd_service_restarts_total{service="crash",reason="exit"}')
check "crash's restarts_total{reason=\"exit\"} ($r) is its restart count in /api/services ($n)" \
	test -n "$n" -a "$r" = "$n" -a "${n:-0}" -eq 2
all=$(grep '^prodd_service_restarts_total{service="crash"' "$M" | awk '{ s += $NF } END { print s }')
check "the other reasons of crash are 0 (the sum is $all)" test "$all" = "$n"
check "crash's last exit code is 3, signal 0" \
	eval 'has_line "$M" "prodd_service_last_exit_code{service=\"crash\"} 3" &&
	has_line "$M" "prodd_service_last_exit_signal{service=\"crash\"} 0"'
cnt=$(sample "$M" 'prodd_health_check_duration_seconds_count{service="ok"}')
inf=$(sample "$M" 'prodd_health_check_duration_seconds_bucket{service="ok",le="+Inf"}')
check "ok's check-latency histogram: +Inf ($inf) = _count ($cnt) > 0" \
	test -n "$cnt" -a "$inf" = "$cnt" -a "${cnt:-0}" -gt 0
check "ok's health_check_failures_total is there" \
	grep -q '^prodd_health_check_failures_total{service="ok"} ' "$M"
check "prodd_build_info and prodd's own process_* are there" \
	eval 'grep -q "^prodd_build_info{version=\"[^\"]*\"} 1$" "$M" &&
	grep -q "^process_cpu_seconds_total " "$M" &&
	grep -q "^process_resident_memory_bytes [1-9]" "$M" &&
	grep -q "^process_start_time_seconds [1-9]" "$M"'
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' --unix-socket "$STATE/prodd.sock" http://localhost/metrics)
check "/metrics on the control socket too ($code)" test "$code" = 200
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "http://127.0.0.1:$PORT/metrics")
check "an unknown Host is refused as on any route ($code)" test "$code" = 403
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/metrics")
check "POST /metrics is a 405 ($code)" test "$code" = 405

# CPU seconds across a restart of ok: never lower after it
cpu1=$(sample "$M" 'prodd_service_cpu_seconds_total{service="ok"}')
pid1=$(svc ok 'j["pid"]')
"$BUILD/prodctl" --socket "$STATE/prodd.sock" restart ok >/dev/null 2>&1
# running again, as another process
wait_for 20 eval '[ "$(svc ok "j[\"state\"] + \" \" + str(j[\"pid\"])")" != "running $pid1" ] &&
	[ "$(svc ok "j[\"state\"]")" = running ]'
# two samples of the new process
nap 1.2
M2=$T/m2
scrape "$M2"
cpu2=$(sample "$M2" 'prodd_service_cpu_seconds_total{service="ok"}')
check "cpu_seconds_total of ok did not go down across its restart ($cpu1 -> $cpu2)" \
	python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(not (a > 0 and b >= a))' "${cpu1:-0}" "${cpu2:--1}"
check "ok is up again after the restart" has_line "$M2" 'prodd_service_up{service="ok"} 1'
check "a restart by hand is not an automatic one: ok's restarts_total stay 0" \
	test "$(grep '^prodd_service_restarts_total{service="ok"' "$M2" | awk '{ s += $NF } END { print s }')" = 0

# A real Prometheus scrapes prodd; PromQL through its HTTP API
# prom_up SERVICE VALUE: prodd_service_up of SERVICE is VALUE there
prom_up() {
	curl -s -m 5 "http://127.0.0.1:$pp/api/v1/query?query=prodd_service_up" |
		python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
sys.exit(not any(x["metric"].get("service") == sys.argv[1] and
	x["value"][1] == sys.argv[2] for x in r))' "$1" "$2" 2>/dev/null
}
if need prometheus "a real Prometheus scraping prodd"; then
	pp=$(free_port)
	cat >"$T/prom.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prodd
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
YAML
	prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/prom" \
		--web.listen-address="127.0.0.1:$pp" >"$T/prometheus.out" 2>&1 &
	PROM_PID=$!
	check "Prometheus sees prodd_service_up{service=\"ok\"} 1" poll 60 prom_up ok 1
	check "Prometheus sees prodd_service_up{service=\"crash\"} 0" poll 10 prom_up crash 0
	prom_end
fi

stop_prodd
check "prodd exits 0" test $? -eq 0
cleanup
finish
