#!/usr/bin/env bash
# Health checks, black-box: url, tcp and exec probes against prodd-demo and
# small commands; dependents that wait for `healthy` and `completed`;
# unhealthy -> restart, and on_unhealthy: ignore; timeouts that never delay
# another service's checks; an exec check whose group is killed at its
# timeout; type fastapi's command and health URL; /health/ready, /api/health
# and prodctl status following health; and the restart bound with the
# default interval, timeout and retries.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT
VG_SAVED=$VG	# valgrind only for the last part
VG=""

api() { curl -s -m 10 --unix-socket "$STATE/prodd.sock" "http://localhost$1"; }
code() { curl -s -m 10 -o /dev/null -w '%{http_code}' --unix-socket "$STATE/prodd.sock" "http://localhost$1"; }
# svc NAME EXPR: a python expression on the service's JSON as "j"
svc() { api "/api/services/$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)" 2>/dev/null; }
state_is() { [ "$(svc "$1" 'j["state"]')" = "$2" ]; }
health_is() { [ "$(svc "$1" 'j["health"]["status"]')" = "$2" ]; }
spawns() { events kind=spawn service="$1" | wc -l; }
respawned() { [ "$(spawns "$1")" -ge 2 ]; }
pid_is() { [ "$(svc "$1" 'j["pid"]')" = "$2" ]; }
checked() { [ "$(svc "$1" "j['health']['checks'] >= $2")" = True ]; }
last_error_is() { [ "$(svc "$1" 'j["health"]["last_error"]')" = "$2" ]; }
# ts_of FILTER...: the time (s, float) of the first matching event
ts_of() {
	events "$@" | head -n 1 | awk '{ print $11 }' | python3 -c '
import sys, datetime
t = sys.stdin.read().strip()
print(datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp() if t else "")'
}

# ---- the defaults, started first: their checks come at their place below
# interval 5 s, timeout 2 s, retries 3 (start_period shortened to 1 s so
# that the test need not wait out the default 30 s): health turns bad 3 s
# after the start, failing (HTTP 503) in one service, hanging in the
# other; the restarts take about 15 s, during the sections before theirs
new_env
pb=$(free_port); pg=$(free_port)
write_config <<YAML
  - name: bad
    command: $DEMO --port $pb --unhealthy-after 3
    health_check: { url: "http://127.0.0.1:$pb/api/health", start_period: 1s }
  - name: hung
    command: $DEMO --port $pg --hang-health-after 3
    health_check: { url: "http://127.0.0.1:$pg/api/health", start_period: 1s }
YAML
start_prodd
park_env defaults

# ---- many probes in one prodd -------------------------------------------
new_env
ps=$(free_port); pa=$(free_port); pf=$(free_port); ph=$(free_port)
pr=$(free_port); pst=$(free_port); pfa=$(free_port)
mkdir -p "$T/bin"
# a stand-in for uvicorn: type fastapi runs "uvicorn APP --host H --port P"
cat >"$T/bin/uvicorn" <<SH
#!/bin/sh
echo "uvicorn \$*"
exec "$DEMO" --host "\$3" --port "\$5"
SH
chmod +x "$T/bin/uvicorn"
write_config <<YAML
  - name: slow
    command: $DEMO --port $ps --start-delay 2
    health_check: { url: "http://127.0.0.1:$ps/api/health", interval: 300ms, timeout: 1s }
  - name: after-slow
    command: $DEMO --port $pa
    depends_on: { slow: healthy }
    health_check: { tcp: "127.0.0.1:$pa", interval: 300ms }
  - name: flaky
    command: $DEMO --port $pf --unhealthy-after 1.5
    health_check: { url: "http://127.0.0.1:$pf/api/health", interval: 300ms, retries: 2, start_period: 0s }
    restart_delay: 200ms
  - name: hang
    command: $DEMO --port $ph --hang-health-after 1.5
    health_check: { url: "http://127.0.0.1:$ph/api/health", interval: 300ms, timeout: 300ms, retries: 2, start_period: 0s }
    restart_delay: 200ms
  - name: refused
    command: sleep 1000
    health_check: { url: "http://127.0.0.1:$pr/api/health", interval: 300ms, retries: 2, start_period: 0s, on_unhealthy: ignore }
  - name: steady
    command: $DEMO --port $pst
    health_check: { url: "http://127.0.0.1:$pst/api/health", interval: 200ms }
  - name: exechang
    command: sleep 1000
    health_check: { exec: [sh, -c, "sleep 31.5 & sleep 31.6"], interval: 1s, timeout: 300ms, retries: 1, start_period: 0s, on_unhealthy: ignore }
  - name: migrate
    command: sh -c 'sleep 0.5'
  - name: app
    command: sleep 1000
    depends_on: { migrate: completed }
  - name: fast
    type: fastapi
    app: demo.main:app
    port: $pfa
    environment: { PATH: "$T/bin:/usr/bin:/bin" }
YAML
start_prodd
wait_event 15 kind=state service=after-slow to=running

# --start-delay: the dependent waits for healthy, then starts
t_healthy=$(ts_of kind=health service=slow to=healthy)
t_spawn=$(ts_of kind=spawn service=slow)
t_dep=$(ts_of kind=spawn service=after-slow)
check "start-delay 2 s: slow is healthy only after it ($t_spawn -> $t_healthy)" \
	python3 -c "import sys; sys.exit(not (1.9 <= $t_healthy - $t_spawn <= 3.5))"
check "its dependent started only once it was healthy" \
	python3 -c "import sys; sys.exit(not ($t_dep >= $t_healthy))"
check "while it waited, the dependent said why" \
	test -n "$(events kind=state service=after-slow to=waiting)"
check "a health event says healthy (url check passed in N ms)" \
	grep -q "healthy_(url_check_passed_in_" <<<"$(events kind=health service=slow to=healthy)"
check "a tcp check makes after-slow healthy" health_is after-slow healthy

# a one-shot service and a `completed` dependency
wait_event 10 kind=spawn service=app
t_done=$(ts_of kind=state service=migrate to=exited)
t_app=$(ts_of kind=spawn service=app)
check "completed: app started after migrate exited 0" \
	python3 -c "import sys; sys.exit(not ('$t_done' and $t_app >= $t_done))"

# type fastapi: uvicorn APP --host 127.0.0.1 --port P, checked on /api/health
wait_for 10 health_is fast healthy
check "fastapi: runs uvicorn APP --host 127.0.0.1 --port PORT" \
	grep -q "uvicorn demo.main:app --host 127.0.0.1 --port $pfa" "$LOGS/fast.log"
check "fastapi: its default check is http://127.0.0.1:PORT/api/health" \
	test "$(svc fast 'j["health"]["kind"], j["state"]')" = "url running"

# --unhealthy-after: restarted after `retries` failures
wait_event 15 kind=health service=flaky to=unhealthy
check "unhealthy-after: unhealthy after 2 failures, the last an HTTP 503" \
	grep -q "2_health_checks_failed_in_a_row,_the_last:_HTTP_503" \
	<<<"$(events kind=health service=flaky to=unhealthy)"
wait_for 10 respawned flaky
check "unhealthy-after: restarted (a second spawn)" test "$(spawns flaky)" -ge 2
check "unhealthy-after: the stop says why" \
	test -n "$(events kind=state service=flaky to=stopping 'reason~=unhealthy')"

# --hang-health-after: timeouts are failures
wait_event 15 kind=health service=hang to=unhealthy
check "hang-health-after: unhealthy after timeouts" \
	grep -q "the_last:_timeout_after_300_ms" <<<"$(events kind=health service=hang to=unhealthy)"
wait_for 10 respawned hang
check "hang-health-after: restarted" test "$(spawns hang)" -ge 2

# a refused port, on_unhealthy: ignore: unhealthy, still the same process
wait_for 10 state_is refused unhealthy
pid_r=$(svc refused 'j["pid"]')
check "refused port: the reason is 'connection refused'" \
	test "$(svc refused 'j["health"]["last_error"]')" = "connection refused"
check "on_unhealthy ignore: state unhealthy, not restarted" \
	test "$(spawns refused)" -eq 1
check "on_unhealthy ignore: the same pid a second later" \
	stays 1 pid_is refused "$pid_r"
nf=$(svc refused 'j["health"]["failures"]')
ne=$(events kind=health service=refused | wc -l)
check "checks go on (counted: $nf failures), one event per transition ($ne)" \
	test "${nf:-0}" -gt 3 -a "$ne" -eq 1

# an exec check that hangs: its whole group is killed at the timeout
wait_for 10 state_is exechang unhealthy
check "exec hang: the reason is the timeout" \
	test "$(svc exechang 'j["health"]["last_error"]')" = "timeout after 300 ms"
check "exec hang: nothing of its group is left (sleep 31.5 & sleep 31.6)" \
	poll 2.2 bash -c '! pgrep -f "sleep 31\.[56]" >/dev/null'

# the others' cadence: steady is checked every 200 ms, whatever hangs or
# refuses beside it (start = end - latency, from its own history), once
# it has 32 checks kept
wait_for 15 checked steady 32
gaps=$(api /api/services/steady | python3 -c '
import json, sys, datetime
h = json.load(sys.stdin)["health"]["history"]
def t(x):
    s = datetime.datetime.strptime(x["at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return s.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 - x["latency_ms"]
ts = [t(x) for x in h]
print(len(ts), max(abs(b - a - 200) for a, b in zip(ts, ts[1:])))')
read -r n worst <<<"$gaps"
check "steady: 32 checks kept, none off its 200 ms cadence by > 50 ms (worst $worst ms)" \
	python3 -c "import sys; sys.exit(not ($n == 32 and $worst <= 50))"
check "steady: healthy all along (one health event)" \
	test "$(events kind=health service=steady | wc -l)" -eq 1

# the JSON of a check
check "service JSON: kind, latency, check time, counts, history" \
	test "$(svc steady '(j["health"]["kind"], j["health"]["last_latency_ms"] >= 0, j["health"]["last_check_at"] is not None, j["health"]["checks"] >= 32, j["health"]["failures"], j["health"]["last_error"])')" = "('url', True, True, True, 0, None)"
check "prodd still answers /health/live" test "$(code /health/live)" = 200
stop_prodd
check "prodd exits 0" test $? -eq 0
check "no probe process is left" bash -c '! pgrep -f "sleep 31\.[56]" >/dev/null'
cleanup

# ---- redirects: judged as they are, followed only when asked ----------
new_env
prd=$(free_port)
cat >"$T/redir.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/ok":
            self.send_response(200); self.send_header("Content-Length", "2")
            self.end_headers(); self.wfile.write(b"ok")
        else:
            self.send_response(302); self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
write_config <<YAML
  - name: web
    command: python3 $T/redir.py $prd
  - name: judged
    command: sleep 1000
    depends_on: { web: started }
    health_check: { url: "http://127.0.0.1:$prd/", interval: 300ms, retries: 1, start_period: 0s, on_unhealthy: ignore }
  - name: followed
    command: sleep 1000
    depends_on: { web: started }
    health_check: { url: "http://127.0.0.1:$prd/", interval: 300ms, follow_redirects: true }
YAML
start_prodd
wait_for 15 last_error_is judged "HTTP 302"
wait_for 15 health_is followed healthy
check "a 302 is judged as it is: unhealthy, 'HTTP 302'" \
	test "$(svc judged 'j["state"], j["health"]["last_error"]')" = "unhealthy HTTP 302"
check "follow_redirects: true follows it to a 200: healthy" \
	test "$(svc followed 'j["state"], j["health"]["status"]')" = "running healthy"
stop_prodd
cleanup

# ---- libcurl cannot be loaded: url checks fail saying why, nothing else --
new_env
ptc=$(free_port)
write_config <<YAML
  - name: web
    command: $DEMO --port $ptc
    health_check: { tcp: "127.0.0.1:$ptc", interval: 200ms }
  - name: nocurl
    command: sleep 1000
    health_check: { url: "http://127.0.0.1:$ptc/api/health", interval: 200ms, retries: 1, start_period: 0s, on_unhealthy: ignore }
YAML
PRODD_LIBCURL=/nonexistent/libcurl.so.4 start_prodd
wait_for 15 state_is nocurl unhealthy
check "no libcurl: the url check fails with the loader's reason" \
	grep -q "cannot open shared object file" <<<"$(svc nocurl 'j["health"]["last_error"]')"
wait_for 15 health_is web healthy
check "no libcurl: a tcp check still passes, prodd still answers" \
	test "$(svc web 'j["state"], j["health"]["status"]')" = "running healthy"
stop_prodd
cleanup

# ---- ready and health follow health; prodctl status shows it ----------
new_env
write_config <<YAML
  - name: toggle
    command: sleep 1000
    health_check: { exec: [test, -f, "$T/ok"], interval: 200ms, retries: 1, start_period: 0s, on_unhealthy: ignore }
YAML
start_prodd
wait_for 10 state_is toggle unhealthy
check "unhealthy: /health/ready is 503" test "$(code /health/ready)" = 503
check "unhealthy: /api/health says degraded" \
	test "$(api /api/health | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = degraded
out=$("$BUILD/prodctl" --socket "$STATE/prodd.sock" --no-color status)
check "prodctl status: unhealthy, the check's latency, and why" \
	grep -Eq "toggle +unhealthy .* unhealthy [0-9.]+ms .*1 health checks failed in a row, the last: exit 1" <<<"$out"
touch "$T/ok"
wait_for 10 state_is toggle running
check "healthy again: running" state_is toggle running
check "healthy again: /health/ready is 200" test "$(code /health/ready)" = 200
check "healthy again: /api/health says healthy" \
	test "$(api /api/health | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = healthy
out=$("$BUILD/prodctl" --socket "$STATE/prodd.sock" --no-color status)
check "prodctl status: healthy and the latency" \
	grep -Eq "toggle +running .* healthy [0-9.]+ms" <<<"$out"
check "events: unknown -> unhealthy -> healthy" \
	test "$(events kind=health service=toggle | awk '{ printf "%s>%s ", $3, $4 }')" = "unknown>unhealthy unhealthy>healthy "
stop_prodd
cleanup

# ---- the defaults: restarted within interval x retries + timeout + 1 s --
# (its prodd was started first, and has run beside the others since)
resume_env defaults
wait_event 30 kind=state service=bad to=stopping
wait_event 30 kind=state service=hung to=stopping
for s in bad hung; do
	t0=$(ts_of kind=spawn service=$s)
	t1=$(ts_of kind=state service=$s to=stopping)
	check "defaults: $s restarted $(python3 -c "print(round($t1 - $t0 - 3, 1))") s after its health turned bad (<= 18 s)" \
		python3 -c "import sys; sys.exit(not ('$t1' and $t1 - ($t0 + 3) <= 18))"
done
stop_prodd
cleanup

# ---- an exec check runs as its service: user, group, limits, directory --
if [ "$(id -u)" -eq 0 ] && getent passwd nobody >/dev/null; then
	new_env
	chmod 755 "$T"
	mkdir "$T/w"
	chmod 1777 "$T/w"
	write_config <<YAML
  - name: asnobody
    command: sleep 1000
    user: nobody
    working_dir: $T/w
    limits: { nofile: 321 }
    health_check: { exec: [sh, -c, 'echo "\$(id -u)|\$(id -g)|\$USER|\$HOME|\$(ulimit -n)|\$(pwd)" >probe.out'], interval: 200ms }
YAML
	start_prodd
	wait_for 10 test -s "$T/w/probe.out"
	IFS='|' read -r p_uid p_gid p_user p_home p_nofile p_dir <"$T/w/probe.out" 2>/dev/null
	check "exec check: runs as the service's user (uid ${p_uid:-none}, nobody is $(id -u nobody))" \
		test "${p_uid:-}" = "$(id -u nobody)"
	check "exec check: with the user's group (gid ${p_gid:-none})" \
		test "${p_gid:-}" = "$(id -g nobody)"
	check "exec check: USER and HOME follow the user (${p_user:-} ${p_home:-})" \
		test "${p_user:-} ${p_home:-}" = "nobody $(getent passwd nobody | cut -d: -f6)"
	check "exec check: the service's limits (nofile ${p_nofile:-none})" \
		test "${p_nofile:-}" = 321
	check "exec check: in the service's working_dir (${p_dir:-none})" \
		test "${p_dir:-}" = "$T/w"
	wait_for 10 health_is asnobody healthy
	check "exec check as nobody: healthy" health_is asnobody healthy
	check "the file was written by nobody" \
		test "$(stat -c %u "$T/w/probe.out")" = "$(id -u nobody)"
	stop_prodd
	check "prodd exits 0" test $? -eq 0
	cleanup
else
	echo "# skipped the exec check's user: not root"
fi

# ---- valgrind: probes of every kind in flight, then a clean shutdown ----
if [ -n "$VG_SAVED" ]; then
	new_env
	pu=$(free_port); pt=$(free_port); ph=$(free_port)
	write_config <<YAML
  - name: u
    command: $DEMO --port $pu
    health_check: { url: "http://127.0.0.1:$pu/api/health", interval: 200ms }
  - name: t
    command: $DEMO --port $pt
    health_check: { tcp: "localhost:$pt", interval: 200ms }
  - name: e
    command: sleep 1000
    health_check: { exec: [sh, -c, "sleep 0.1"], interval: 200ms }
  - name: h
    command: $DEMO --port $ph --hang-health-after 0
    health_check: { url: "http://127.0.0.1:$ph/api/health", interval: 200ms, timeout: 5s }
YAML
	VG="$VG_SAVED" start_prodd
	wait_event 60 kind=state service=e to=running
	wait_event 60 kind=state service=t to=running
	# probes of every kind have run a few times, h's hangs
	for s in u t e; do wait_for 30 checked "$s" 3; done
	stop_prodd
	check "valgrind: probes in flight, clean shutdown, no leak, no error (exit $?)" test $? -eq 0
	cleanup
fi
finish
