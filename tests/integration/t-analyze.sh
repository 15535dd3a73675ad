#!/usr/bin/env bash
# Why it died and where the start time went (issue 14): an exit event
# carries the instance's last 20 lines (not an earlier instance's, and not
# lost to the race between the exit and the pipe: the last one, without
# its newline, too); /api/services/NAME
# keeps the last exits with their lines; prodctl status NAME is the
# detailed view (JSON too), while status A B stays the table; GET
# /api/analyze and prodctl analyze name the critical chain of a
# three-wave start whose slow branch is known; the seed's docker form
# runs its image; an exec check sees the service's env_file; type
# systemd warns and fails to start saying why; SPEC §2's full example
# passes --check.
set -u
. "$(dirname "$0")/lib.sh"
trap 'cleanup' EXIT
PRODCTL=$(cd "$BUILD" && pwd)/prodctl

pc() {	# pc ARGS...: prodctl on this prodd, into $T/out, status in RC
	timeout 30 "$PRODCTL" --socket "$STATE/prodd.sock" --no-color "$@" \
		>"$T/out" 2>"$T/err"
	RC=$?
	cat "$T/err" >>"$T/allerr"
}
api() { curl -s -m 10 --unix-socket "$STATE/prodd.sock" "http://localhost$1"; }
# jq_py FILE EXPR: a python expression over the JSON in FILE as "j"
jq_py() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null; }
state_of() { api "/api/services/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null; }
state_is() { [ "$(state_of "$1")" = "$2" ]; }

new_env
: >"$T/allerr"
mkdir -p "$T/bin"
# a stand-in for docker: says how it was run, then stays up
cat >"$T/bin/docker" <<'SH'
#!/bin/sh
echo "docker $*"
exec sleep 1000
SH
chmod +x "$T/bin/docker"
echo 'PROBE_SECRET="x42"' >"$T/probe.env"
write_config <<YAML
  - name: db
    command: sleep 1000
    ready_after: 300ms
  - name: slow
    command: sleep 1000
    ready_after: 2s
    dependencies: [db]
  - name: fast
    command: sleep 1000
    ready_after: 100ms
    dependencies: [db]
  - name: api
    command: sleep 1000
    ready_after: 100ms
    dependencies: [slow, fast]
  - name: crash
    command: ["/bin/sh", "-c", "for i in \$(seq 1 30); do echo line \$i; done; printf bye >&2; exit 3"]
    restart: never
  - name: again
    command: ["/bin/sh", "-c", "n=\$(cat $T/runs 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >$T/runs; echo run \$n; echo end of run \$n >&2; exit 1"]
    restart_delay: 50ms
    backoff: fixed
    max_restarts: 7
  - name: envcheck
    command: sleep 1000
    env_file: $T/probe.env
    health_check: { exec: [/bin/sh, -c, 'test "\$PROBE_SECRET" = x42'], interval: 200ms, retries: 1, start_period: 0s }
  - name: web
    type: docker
    command: nginx:latest
    ready_after: 100ms
  - name: unit
    type: systemd
    unit: nginx.service
    restart: never
YAML

# ---- --check: the seed's docker form, systemd's warning, SPEC's example
out=$(timeout 30 $VG "$BUILD/prodd" --check -c "$T/s.yaml" 2>"$T/check.err")
check "--check: docker with command only and systemd load (valid)" \
	grep -q "valid: 9 services" <<<"$out"
check "--check: type systemd is not supported yet, as a warning" \
	grep -q "warning: service 'unit': type systemd is not supported yet" "$T/check.err"
timeout 30 "$PRODCTL" check "$T/s.yaml" >/dev/null 2>"$T/check.err"
check "prodctl check: the same warning" \
	grep -q "warning: service 'unit': type systemd is not supported yet" "$T/check.err"
printf 'services:\n  - name: web\n    type: docker\n    command: nginx:latest\n' >"$T/seed-docker.yaml"
check "--check: the seed's docker example (command: nginx:latest)" \
	timeout 30 "$BUILD/prodd" --check -c "$T/seed-docker.yaml" >/dev/null
# prodd --check reads the files the example names (tls, the webhook's
# secret, the dashboard): a copy names ones made now (no key is committed)
need openssl "SPEC §2's full example" &&
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$T/tls.key" -out "$T/tls.crt" -days 2 -subj /CN=spec-full 2>/dev/null
echo s3cret >"$T/hook.key"
sed -e "s|cert: FILE, key: FILE|cert: $T/tls.crt, key: $T/tls.key|" \
	-e "s|webhook_secret_file: /etc/prodd/hook.key|webhook_secret_file: $T/hook.key|" \
	-e "s|dashboard_dir: ../../dashboard|dashboard_dir: $(pwd)/tests/fixtures/dashboard|" \
	tests/fixtures/spec-full.yaml >"$T/spec-full.yaml"
timeout 30 "$BUILD/prodd" --check -c "$T/spec-full.yaml" >"$T/full.out" 2>"$T/full.err"
check "--check: SPEC §2's full example is valid$(head -c 300 "$T/full.err" | tr '\n' ' ' | sed 's/^./ (&/;s/.$/&)/')" \
	grep -q "valid: 5 services" "$T/full.out"

PATH=$T/bin:$PATH start_prodd
wait_for 15 state_is api running

# ---- why it died: the exit event's last lines --------------------------
wait_for 10 state_is crash failed
api "/api/events" >"$T/events.json"
check "exit event: the instance's last 20 lines, oldest first, both streams" \
	test "$(jq_py "$T/events.json" "[ (len(e['last_lines']), e['last_lines'][0]['line'], e['last_lines'][-2]['line'], e['last_lines'][-1]['stream'] + ':' + e['last_lines'][-1]['line']) for e in j['events'] if e['kind'] == 'exit' and e['service'] == 'crash']")" = "[(20, 'line 12', 'line 30', 'stderr:bye')]"
check "exit event: each line has its time stamp" \
	test "$(jq_py "$T/events.json" "all(l['ts'].endswith('Z') for e in j['events'] if e['kind'] == 'exit' for l in e['last_lines'])")" = True
api "/api/services/crash" >"$T/crash.json"
check "/api/services/crash: the last exit with its code and lines" \
	test "$(jq_py "$T/crash.json" "(len(j['last_exits']), j['last_exits'][0]['code'], len(j['last_exits'][0]['last_lines']))")" = "(1, 3, 20)"

# a service that died 8 times keeps its last 5 exits, newest first, each
# with its own instance's lines only (in the order read: its stdout and
# stderr are two pipes, and what it wrote to both before prodd read
# either may come in either order, so each exit's lines are compared
# sorted)
wait_for 15 state_is again failed
api "/api/services/again" >"$T/again.json"
check "last_exits: the last 5, newest first, each with its instance's lines only" \
	test "$(jq_py "$T/again.json" "[sorted(l['line'] for l in x['last_lines']) for x in j['last_exits']]")" = "[['end of run 8', 'run 8'], ['end of run 7', 'run 7'], ['end of run 6', 'run 6'], ['end of run 5', 'run 5'], ['end of run 4', 'run 4']]"

# ---- prodctl status NAME: the detailed view ----------------------------
pc status crash
check "status crash: exit 0" test "$RC" -eq 0
check "status crash: its table row first" grep -Eq "^crash +failed " "$T/out"
check "status crash: state and since" grep -Eq "State: failed since 20[0-9-]+T" "$T/out"
check "status crash: the exit and its last lines" \
	bash -c "grep -q 'exited with code 3' '$T/out' && grep -q 'stdout line 30' '$T/out' && grep -q 'stderr bye' '$T/out' && ! grep -q 'stdout line 11\$' '$T/out'"
check "status crash: the last log lines" grep -q "Log: the last 10 lines" "$T/out"
apid=$(api /api/services/api | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
pc status api
check "status api: main pid and the process tree with CPU and memory" \
	bash -c "grep -q 'Main PID: $apid' '$T/out' && grep -Eq '^ +$apid sleep +cpu [0-9]+s +rss [0-9.]+[KMG]' '$T/out'"
tasks() { pc status api; grep -Eq "Tasks: 1 processes, 1 threads; CPU [0-9.]+%, memory" "$T/out"; }
check "status api: its tasks, CPU and memory (once sampled)" poll 5 tasks
pc status envcheck
check "status envcheck: health and its last checks" \
	bash -c "grep -q 'Health: healthy (exec check' '$T/out' && grep -Eq 'check 20[0-9T:.-]+Z ok [0-9.]+ ms' '$T/out'"
pc status --json crash
check "status --json crash: the service with its exits and log lines" \
	test "$(jq_py "$T/out" "(j['state'], len(j['last_exits']), len(j['log_lines']) > 0)")" = "('failed', 1, True)"
pc status crash api
check "status with two names: the table" \
	bash -c "[ \"\$(head -n 1 '$T/out' | tr -s ' ')\" = 'NAME STATE PID UPTIME CPU MEM RESTARTS HEALTH' ] && [ \$(wc -l <'$T/out') -eq 3 ]"

# ---- the seed's formats -------------------------------------------------
check "exec check sees the service's env_file: healthy" \
	poll 5 bash -c "curl -s -m 5 --unix-socket '$STATE/prodd.sock' http://localhost/api/services/envcheck | grep -q '\"status\":\"healthy\"'"
check "docker with command only: runs the image" \
	poll 5 grep -q "docker run --rm --init --name prodd-web nginx:latest\$" "$LOGS/web.log"
check "type systemd: fails to start, saying it is not supported yet" \
	bash -c "curl -s -m 5 --unix-socket '$STATE/prodd.sock' http://localhost/api/services/unit | grep -q 'type systemd is not supported yet'"

# ---- where the start time went -----------------------------------------
api /api/analyze >"$T/analyze.json"
check "/api/analyze: the critical chain is api <- slow <- db" \
	test "$(jq_py "$T/analyze.json" "[c['name'] for c in j['critical_chain']]")" = "['api', 'slow', 'db']"
check "/api/analyze: api waited for slow, fast for db" \
	test "$(jq_py "$T/analyze.json" "sorted((s['name'], s['waited_for']['name']) for s in j['services'] if s['waited_for'])")" = "[('api', 'slow'), ('fast', 'db'), ('slow', 'db')]"
got=$(jq_py "$T/analyze.json" "(j['last'], [s['start_ms'] for s in j['services'] if s['name'] == 'slow'], j['total_ms'])")
check "/api/analyze: slow took its ready_after, api was ready last (got $got)" \
	test "$(jq_py "$T/analyze.json" "(j['last'], [1800 <= s['start_ms'] < 6000 for s in j['services'] if s['name'] == 'slow'], j['total_ms'] >= 2200)")" = "('api', [True], True)"
pc analyze
check "prodctl analyze: the timeline" \
	bash -c "grep -Eq '^slow +running +\+[0-9.]+s +\+[0-9.]+s +\+[0-9.]+s +(1\.[89]|[2-5]\.[0-9])[0-9]*s +db \(until' '$T/out'"
check "prodctl analyze: the critical chain, the last first" \
	bash -c "grep -A3 '^critical chain' '$T/out' | sed -n '2,4p' | awk '{print \$1}' | sed 's/^\`-//' | tr '\n' ' ' | grep -qx 'api slow db '"
pc analyze --json
check "prodctl analyze --json: prodd's answer" \
	test "$(jq_py "$T/out" "j['critical_chain'][0]['name']")" = api

stop_prodd
check "prodd stops cleanly (exit $?)" test $? -eq 0
check "prodctl's stderr stays clean (sanitizers)" \
	bash -c "! grep -Eq 'runtime error|Sanitizer' '$T/allerr'"
finish
