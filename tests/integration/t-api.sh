#!/usr/bin/env bash
# The HTTP API on both listeners: every route with its statuses, the
# guards (token, Host, Origin, rate limit), the security headers, secrets
# never returned, follows, the listener's own failure modes, and prodd
# staying correct and lean under 100 concurrent clients and hostile ones.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
VG=""

# api [curl args...] PATH: over the control socket; prints the body and,
# on the last line, the status
api() {
	local path=${*: -1}
	curl -s -m 10 --unix-socket "$STATE/prodd.sock" -w '\n%{http_code}' \
		"${@:1:$#-1}" "http://localhost$path"
}
# tcp [curl args...] PATH: over TCP
tcp() {
	local path=${*: -1}
	curl -s -m 10 -w '\n%{http_code}' "${@:1:$#-1}" "http://127.0.0.1:$PORT$path"
}
status_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }
# jq-less JSON: python expression on the body as "j"
jpy() { python3 -c "import json,sys; j=json.loads(sys.stdin.read()); print($1)"; }
# no_clients: prodd holds no TCP connection on its port any more
no_clients() { [ -z "$(ss -Htn state established state close-wait "( sport = :$PORT )" 2>/dev/null)" ]; }

new_env
p1=$(free_port); p2=$(free_port)
write_config <<YAML
  - name: search
    command: $DEMO --role search --port $p1
    environment: { SECRET_KEY: "s3cr3t-v4lue-xyz", MODE: demo }
    port: $p1
    ready_after: 100ms
  - name: rag
    command: $DEMO --role rag --port $p2
    dependencies: [search]
    ready_after: 100ms
  - name: off
    command: sleep 100
    enabled: false
    ready_after: 100ms
YAML
# history: 5, so that the answers (dashboard-data carries every history)
# stop growing after 5 s and the RSS comparison below compares like with
# like
sed -i "s|^daemon:|daemon:\n  rate_limit: 0\n  history: 5\n  hosts: [prodd.test]\n  cors_origins: [https://ops.example.com]|" "$T/s.yaml"
PRODD_TOKEN=tok-123 start_prodd
wait_event 15 kind=state service=rag to=running

check "the control socket is mode 0660" test "$(stat -c %a "$STATE/prodd.sock")" = 660

r=$(api /api/health)
check "GET /api/health 200" test "$(status_of "$r")" = 200
check "health: status, version, api_version, uptime, counts" \
	test "$(body_of "$r" | jpy 'j["status"], j["api_version"], j["services"]["total"], j["services"]["running"], "uptime_s" in j')" = "healthy 1 3 2 True"
r=$(api /health/live)
check "GET /health/live 200" test "$(status_of "$r")" = 200
r=$(api /health/ready)
check "GET /health/ready 200 when every enabled service runs" test "$(status_of "$r")" = 200
r=$(api /api/services)
check "GET /api/services lists the three" \
	test "$(body_of "$r" | jpy '",".join(s["name"] for s in j["services"])')" = "search,rag,off"
r=$(api /api/services/rag)
check "GET /api/services/rag: the service shape" \
	test "$(body_of "$r" | jpy 'j["state"], j["want"], j["pid"] > 0, j["dependencies"][0]["name"], j["health"]["status"], j["restarts"]')" = "running up True search none 0"
r=$(api /api/services/search)
check "environment keys only, never values" \
	test "$(body_of "$r" | jpy '",".join(j["environment_keys"])')" = "SECRET_KEY,MODE"
r=$(api /api/dashboard-data)
check "GET /api/dashboard-data: daemon, services, events, alerts, auth" \
	test "$(body_of "$r" | jpy 'sorted(j.keys())')" = "['alerts', 'auth', 'daemon', 'events', 'services', 'system']"
check "dashboard-data and health: writes over TCP take the token (never shown)" \
	test "$(body_of "$r" | jpy 'j["auth"]')/$(body_of "$(api /api/health)" | jpy 'j["auth"], "tok-123" in json.dumps(j)')" = "{'tcp_writes': 'token'}/{'tcp_writes': 'token'} False"
r=$(api /api/alerts)
check "GET /api/alerts 200" test "$(status_of "$r")" = 200
r=$(api /api/nope)
check "unknown route: 404 not_found" \
	test "$(status_of "$r") $(body_of "$r" | jpy 'j["code"]')" = "404 not_found"
r=$(api /api/services/ragg)
check "unknown service: 404" test "$(status_of "$r")" = 404
check "with its name" grep -q "unknown service 'ragg'" <<<"$(body_of "$r")"
r=$(api -X POST /api/services)
check "wrong method: 405" test "$(status_of "$r")" = 405
r=$(api -X DELETE /api/health)
check "DELETE: 405" test "$(status_of "$r")" = 405
r=$(api /api/services/rag/logs?lines=abc)
check "malformed query: 400" test "$(status_of "$r")" = 400
r=$(api -X POST -d 'not json' /api/services/rag/signal)
check "malformed JSON: 400" test "$(status_of "$r")" = 400
r=$(api -X POST --data-binary @<(head -c 70000 /dev/zero | tr '\0' x) /api/reload)
check "a body over 64 KiB: 413" test "$(status_of "$r")" = 413

# actions over the socket
oldpid=$(body_of "$(api /api/services/rag)" | jpy 'j["pid"]')
r=$(api -X POST /api/services/rag/restart)
check "POST restart: 202 with the service" \
	test "$(status_of "$r") $(body_of "$r" | jpy 'j["service"]["name"]')" = "202 rag"
# the top-level pid (last_exits names the old one too)
wait_for 10 bash -c "curl -s --unix-socket '$STATE/prodd.sock' http://localhost/api/services/rag | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(not (j[\"state\"] == \"running\" and j[\"pid\"] != $oldpid))'"
newpid=$(body_of "$(api /api/services/rag)" | jpy 'j["pid"]')
check "restart: a new pid ($oldpid -> $newpid)" test "$newpid" != "$oldpid"
r=$(api -X POST /api/services/rag/start)
check "POST start of a running service: 200, nothing to do" test "$(status_of "$r")" = 200
r=$(api -X POST /api/services/search/stop)
check "POST stop: 202, and it says what depends on it" \
	bash -c "[ '$(status_of "$r")' = 202 ] && grep -q 'rag' <<<'$(body_of "$r" | jpy 'j["message"]')'"
wait_for 10 bash -c "curl -s --unix-socket '$STATE/prodd.sock' http://localhost/api/services/search | grep -q '\"state\":\"stopped\"'"
check "stop: dependents stopped first" \
	test "$(events kind=exit | tail -n 2 | awk '{ print $2 }' | tr '\n' ' ')" = "rag search "
check "they are marked stopped by hand" \
	test "$(body_of "$(api /api/services/rag)" | jpy 'j["stopped_by_hand"], j["state"]')" = "True stopped"
r=$(api /health/ready)
check "GET /health/ready 503 naming what is not ready" \
	bash -c "[ '$(status_of "$r")' = 503 ] && grep -q rag <<<'$(body_of "$r")'"
r=$(api -X POST /api/services/rag/start)
check "POST start of rag: 202, its dependency first" \
	bash -c "[ '$(status_of "$r")' = 202 ] && grep -q search <<<'$(body_of "$r" | jpy 'j["message"]')'"
wait_for 15 bash -c "curl -s --unix-socket '$STATE/prodd.sock' http://localhost/api/services/rag | grep -q '\"state\":\"running\"'"
check "rag runs again, after search" \
	test "$(body_of "$(api /api/services/search)" | jpy 'j["state"]')" = running
r=$(api -X POST /api/stop-all)
check "POST /api/stop-all: 202" test "$(status_of "$r")" = 202
wait_for 10 bash -c "! curl -s --unix-socket '$STATE/prodd.sock' http://localhost/api/services | grep -q '\"state\":\"running\"'"
r=$(api -X POST /api/start-all)
check "POST /api/start-all: 202" test "$(status_of "$r")" = 202
wait_for 15 bash -c "curl -s --unix-socket '$STATE/prodd.sock' http://localhost/api/services/rag | grep -q '\"state\":\"running\"'"
check "start-all starts enabled services only" \
	test "$(body_of "$(api /api/services/off)" | jpy 'j["state"]')" = stopped
r=$(api -X POST -d '{"signal":"SIGUSR1"}' /api/services/off/signal)
check "signal to a service with no process: 409" test "$(status_of "$r")" = 409
r=$(api -X POST -d '{"signal":"SIGBOGUS"}' /api/services/rag/signal)
check "unknown signal: 400" test "$(status_of "$r")" = 400

# logs and events
r=$(api "/api/services/search/logs?lines=2")
check "logs: the last 2 lines, with timestamps and streams" \
	test "$(body_of "$r" | jpy 'len(j["lines"]), all("ts" in l and l["stream"] in ("stdout","stderr") for l in j["lines"])')" = "2 True"
r=$(api "/api/services/search/logs?lines=50&stream=stdout")
check "logs: stream=stdout filters" \
	test "$(body_of "$r" | jpy 'set(l["stream"] for l in j["lines"])')" = "{'stdout'}"
r=$(api "/api/services/search/logs?stream=both")
check "logs: a bad stream is 400" test "$(status_of "$r")" = 400
curl -s -N -m 8 --unix-socket "$STATE/prodd.sock" \
	"http://localhost/api/services/search/logs?lines=0&follow=1" >"$T/follow.out" &
fpid=$!
curl -s -N -m 8 --unix-socket "$STATE/prodd.sock" \
	"http://localhost/api/events?since=1000000&follow=1" >"$T/events.out" &
epid=$!
wait_for 5 connected $fpid
wait_for 5 connected $epid
api /api/health >/dev/null	# and prodd's loop has gone round since
api -X POST /api/services/search/restart >/dev/null
wait_for 8 grep -q "listening on" "$T/follow.out"
check "logs follow: new lines arrive as they come" grep -q '"stream":"stdout"' "$T/follow.out"
wait_for 8 grep -q '"to":"running"' "$T/events.out"
check "events follow: new events arrive" grep -q '"kind":"spawn"' "$T/events.out"
kill $fpid $epid 2>/dev/null; wait $fpid $epid 2>/dev/null
last=$(body_of "$(api /api/events)" | jpy 'j["last_seq"]')
r=$(api "/api/events?since=$((last - 3))")
check "events since SEQ: exactly the later ones" \
	test "$(body_of "$r" | jpy '[e["seq"] for e in j["events"]]')" = "[$((last - 2)), $((last - 1)), $last]"

# reload through the API
cp "$T/s.yaml" "$T/good.yaml"
printf '  - name: bad\n    command: x\n    stop_timeout: forever\n' >>"$T/s.yaml"
r=$(api -X POST /api/reload)
check "POST /api/reload of a bad file: 422 with the errors" \
	bash -c "[ '$(status_of "$r")' = 422 ] && grep -q 'bad duration' <<<'$(body_of "$r")'"
cp "$T/good.yaml" "$T/s.yaml"
r=$(api -X POST /api/reload)
check "POST /api/reload of a good file: 200 with the diff" \
	bash -c "[ '$(status_of "$r")' = 200 ] && grep -q '3 unchanged' <<<'$(body_of "$r")'"

# TCP: reading is open, changing needs the token
r=$(tcp /api/services)
check "TCP: reading needs no token" test "$(status_of "$r")" = 200
r=$(tcp -X POST /api/services/rag/restart)
check "TCP: a change without a token is 401" test "$(status_of "$r")" = 401
r=$(tcp -X POST -H 'Authorization: Bearer wrong' /api/services/rag/restart)
check "TCP: a wrong token is 403" test "$(status_of "$r")" = 403
r=$(tcp -X POST -H 'Authorization: Bearer tok-123' /api/services/off/start)
check "TCP: the right token works (202)" test "$(status_of "$r")" = 202
r=$(tcp -H 'Host: evil.example' /api/health)
check "TCP: an unknown Host is refused (DNS rebinding)" test "$(status_of "$r")" = 403
r=$(tcp -H 'Host: prodd.test:8003' /api/health)
check "TCP: a Host from daemon.hosts is accepted" test "$(status_of "$r")" = 200
r=$(tcp -H 'Origin: http://evil.example' /api/health)
check "TCP: a foreign Origin is refused" test "$(status_of "$r")" = 403
r=$(tcp -H "Origin: http://127.0.0.1:$PORT" /api/health)
check "TCP: the dashboard's own origin is accepted" test "$(status_of "$r")" = 200
h=$(curl -s -m 5 -D - -o /dev/null -H 'Origin: https://ops.example.com' "http://127.0.0.1:$PORT/api/health")
check "TCP: a cors_origins origin gets exactly its own ACAO, never *" \
	bash -c "grep -qi '^access-control-allow-origin: https://ops.example.com' <<<'$h' && ! grep -qi 'allow-origin: \*' <<<'$h'"
for path in /api/health /api/nope /api/services/rag; do
	h=$(curl -s -m 5 -D - -o /dev/null "http://127.0.0.1:$PORT$path")
	check "security headers on $path" \
		bash -c "grep -qi '^x-content-type-options: nosniff' <<<'$h' && grep -qi '^x-frame-options: DENY' <<<'$h' && grep -qi '^referrer-policy: no-referrer' <<<'$h'"
done
leak=0
for path in /api/health /api/services /api/services/search /api/dashboard-data /api/events /health/ready; do
	api "$path" | grep -q 's3cr3t-v4lue-xyz' && leak=$((leak + 1))
	tcp "$path" | grep -q 's3cr3t-v4lue-xyz' && leak=$((leak + 1))
done
check "no GET response contains an environment value" test $leak -eq 0

# hostile clients never block the others
python3 - "$PORT" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for c in b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n":
    s.send(bytes([c])); time.sleep(0.1)
time.sleep(3)
PY
slow=$!
wait_for 5 connected $slow
t0=$(date +%s%N)
r=$(tcp /api/health)
t1=$(date +%s%N)
check "a client sending byte by byte does not block another ($(( (t1 - t0) / 1000000 )) ms)" \
	test "$(status_of "$r")" = 200 -a $(( (t1 - t0) / 1000000 )) -lt 500
timeout 10 python3 - "$PORT" <<'PY'
import socket, sys
for payload in (b"GARBAGE\r\n\r\n", b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",
                b"\x00\xff" * 1000, b"POST /api/reload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999\r\n\r\n"):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
        s.sendall(payload)
        s.settimeout(3)
        try:
            s.recv(4096)
        except OSError:
            pass
        s.close()
    except OSError:
        pass
PY
check "malformed and oversized requests: prodd still answers" \
	test "$(status_of "$(tcp /api/health)")" = 200
kill $slow 2>/dev/null; wait $slow 2>/dev/null

# 100 concurrent clients, twice; answers right, memory flat
round() {	# [SECONDS [CLIENTS]]
	python3 - "$PORT" "${1:-10}" "${2:-100}" <<'PY'
import http.client, json, sys, threading, time
port, secs, nclients, bad, done = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), [0], [0]
lock = threading.Lock()
def client():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    end = time.time() + secs
    while time.time() < end:
        try:
            c.request("GET", "/api/services")
            r = c.getresponse(); body = r.read()
            ok = r.status == 200 and [s["name"] for s in json.loads(body)["services"]] == ["search", "rag", "off"]
        except Exception:
            ok = False
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with lock:
            done[0] += 1
            if not ok: bad[0] += 1
ts = [threading.Thread(target=client) for _ in range(nclients)]
[t.start() for t in ts]; [t.join() for t in ts]
print(done[0], bad[0])
PY
}
# a short first round, with twice the clients, lets the heap and lws's
# pools reach the size the rounds need (more answers in flight at once
# than they will have); then the two rounds that are compared
round 3 200 >/dev/null
read -r n1 bad1 <<<"$(round)"
wait_for 5 no_clients	# prodd has closed the round's connections
# RssAnon: what prodd allocated; RssFile moves with the pages of code and
# libraries the kernel keeps mapped or faults in again, which no leak is
rss1=$(awk '/RssAnon/ { print $2 }' "/proc/$PRODD_PID/status")
read -r n2 bad2 <<<"$(round)"
wait_for 5 no_clients
rss2=$(awk '/RssAnon/ { print $2 }' "/proc/$PRODD_PID/status")
read -r n3 bad3 <<<"$(round)"
wait_for 5 no_clients
rss3=$(awk '/RssAnon/ { print $2 }' "/proc/$PRODD_PID/status")
check "100 clients x 10 s: every answer right ($n1, $n2 and $n3 requests, $bad1 + $bad2 + $bad3 wrong)" \
	test "$bad1" -eq 0 -a "$bad2" -eq 0 -a "$bad3" -eq 0 -a "$n1" -gt 1000
if [ -z "${SANITIZE:-}" ]; then
	# Within 256 KiB a round, over two rounds: where glibc places a
	# round's short-lived answers moves the heap's resident pages from
	# one reading to the next (up to ~300 KiB seen once, with no trend),
	# even though prodd returns the free heap when the last client goes.
	# Two rounds after the first reading halve that noise against the
	# same bound per request (512 KiB over twice the requests): a leak of
	# 4 bytes a request, or 3 KiB a connection, still exceeds it.
	# LeakSanitizer and valgrind check for leaks outright at exit.
	check "RSS (anonymous) no higher after two more rounds ($rss1 -> $rss2 -> $rss3 KiB, $((n2 + n3)) requests)" \
		test "$rss3" -le "$((rss1 + 512))"
else
	echo "# RSS not compared under ASan (its quarantine only grows); LeakSanitizer checks leaks at exit"
fi

# shutting down: actions are refused with 409
write_config <<YAML
  - name: slow
    command: $DEMO --ignore-sigterm --port $(free_port)
    stop_timeout: 3s
    ready_after: 100ms
YAML
api -X POST /api/reload >/dev/null
wait_event 10 kind=state service=slow to=running
kill -TERM "$PRODD_PID"
wait_event 5 kind=state service=slow to=stopping
r=$(api -X POST /api/services/slow/start)
check "while shutting down a start is 409" test "$(status_of "$r")" = 409
stop_prodd
check "prodd exits 0 (and, sanitized, with no leak)" test $? -eq 0
check "the control socket is removed at exit" test ! -e "$STATE/prodd.sock"
cleanup

# ---- the listeners' own failures ----
new_env
write_config <<YAML
  - name: a
    command: sleep 100
    ready_after: 100ms
YAML
sed -i "s|^daemon:|daemon:\n  rate_limit: 5/s|" "$T/s.yaml"
python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$PORT)); s.listen(); open('$T/bound','w'); time.sleep(15)" &
holder=$!
wait_for 10 test -f "$T/bound"
timeout 10 "$BUILD/prodd" -c "$T/s.yaml" >"$T/busy.log" 2>&1
rc=$?
check "a port in use: exit 1" test $rc -eq 1
check "with a clear message" grep -q "cannot listen on 127.0.0.1:$PORT: Address already in use" "$T/busy.log"
check "and no service was started" bash -c "! grep -q 'started pid' '$T/busy.log'"
kill $holder; wait $holder 2>/dev/null
mkdir -p "$STATE"
python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.bind('$STATE/prodd.sock')"
start_prodd
wait_event 10 kind=state service=a to=running
check "a stale socket file is replaced" test "$(status_of "$(api /api/health)")" = 200
r=$(tcp -X POST /api/services/a/restart)
check "no token configured: changes over TCP are refused (403)" test "$(status_of "$r")" = 403
check "and the message says how to enable them" grep -q "token_file" <<<"$(body_of "$r")"
check "over the socket they still work" test "$(status_of "$(api -X POST /api/services/a/restart)")" = 202
sleep 1.2	# let the bucket refill after the calls above
codes=""
: >"$T/h429"
for i in 1 2 3 4 5 6 7 8; do
	c=$(curl -s -m 5 -D "$T/h" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/health")
	codes="$codes $c"
	# the headers of the first 429 of the burst itself: a later request
	# may find the bucket refilled on a loaded machine
	[ "$c" = 429 ] && [ ! -s "$T/h429" ] && cp "$T/h" "$T/h429"
done
check "rate_limit 5/s: a burst past it gets 429 ($codes)" grep -q 429 <<<"$codes"
check "the first 5 pass" test "${codes:0:20}" = " 200 200 200 200 200"
check "a 429 says when to retry" grep -qi '^retry-after: [0-9]' "$T/h429"
codes=""
for i in 1 2 3 4 5 6 7 8; do codes="$codes $(status_of "$(api /api/health)")"; done
check "the control socket is not rate limited" bash -c "! grep -q 429 <<<'$codes'"
sleep 1.2
check "after a second the address may ask again" test "$(status_of "$(tcp /api/health)")" = 200
# another prodd, another state_dir, the same control socket
sed "s|state_dir: $STATE|state_dir: $T/other\n  control_socket: $STATE/prodd.sock|; s|127.0.0.1:$PORT|127.0.0.1:$(free_port)|" "$T/s.yaml" >"$T/other.yaml"
timeout 10 "$BUILD/prodd" -c "$T/other.yaml" >"$T/other.log" 2>&1
check "a second prodd on a live socket refuses to start" \
	bash -c "[ $? -eq 1 ] && grep -q 'another prodd is listening on' '$T/other.log'"
check "and the first still answers" test "$(status_of "$(api /api/health)")" = 200
stop_prodd
cleanup

# ---- the control socket's directory is created if missing ----
new_env
write_config <<YAML
  - name: a
    command: sleep 100
    ready_after: 100ms
YAML
sed -i "s|^daemon:|daemon:\n  control_socket: $T/run/deep/prodd.sock|" "$T/s.yaml"
start_prodd
wait_for 10 test -S "$T/run/deep/prodd.sock"
check "control_socket in a missing directory: created" test -S "$T/run/deep/prodd.sock"
check "with mode 0660" test "$(stat -c %a "$T/run/deep/prodd.sock")" = 660
stop_prodd
cleanup

# ---- a reload applies token_file, hosts, cors_origins and rate_limit ----
new_env
write_config <<YAML
  - name: a
    command: sleep 100
YAML
printf 'tok-A\n' >"$T/token-a"
printf 'tok-B\n' >"$T/token-b"
sed -i "s|^daemon:|daemon:\n  token_file: $T/token-a\n  rate_limit: 0|" "$T/s.yaml"
start_prodd
wait_event 10 kind=state service=a to=running
check "token_file's token A works over TCP" \
	test "$(status_of "$(tcp -X POST -H 'Authorization: Bearer tok-A' /api/services/a/restart)")" = 202
check "a Host not yet in daemon.hosts is refused" \
	test "$(status_of "$(tcp -H 'Host: added.test' /api/health)")" = 403
check "an Origin not yet in daemon.cors_origins is refused" \
	test "$(status_of "$(tcp -H 'Origin: https://added.example.com' /api/health)")" = 403
# the listener a connection came from is the connection's own: the
# guards hold for every request of a kept-alive TCP connection
codes=$(curl -s -m 10 -o /dev/null -w '%{http_code} ' "http://127.0.0.1:$PORT/api/health" \
	--next -s -m 10 -o /dev/null -w '%{http_code} ' -X POST "http://127.0.0.1:$PORT/api/services/a/restart" \
	--next -s -m 10 -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "http://127.0.0.1:$PORT/api/health")
check "one kept-alive TCP connection: a change without a token 401, a foreign Host 403 ($codes)" \
	test "$codes" = "200 401 403"
sed -i "s|token_file: .*|token_file: $T/token-b\n  hosts: [added.test]\n  cors_origins: [https://added.example.com]|; s|rate_limit: 0|rate_limit: 6/min|" "$T/s.yaml"
r=$(api -X POST /api/reload)
check "reload with token_file B, hosts, cors_origins and rate_limit changed: 200" \
	test "$(status_of "$r")" = 200
check "after the reload token A is refused (403)" \
	test "$(status_of "$(tcp -X POST -H 'Authorization: Bearer tok-A' /api/services/a/restart)")" = 403
check "and token B, read again from token_file, is accepted" \
	test "$(status_of "$(tcp -X POST -H 'Authorization: Bearer tok-B' /api/services/a/restart)")" = 202
check "a Host added to daemon.hosts by the reload is accepted" \
	test "$(status_of "$(tcp -H 'Host: added.test:8003' /api/health)")" = 200
check "an Origin added to daemon.cors_origins by the reload is accepted" \
	test "$(status_of "$(tcp -H 'Origin: https://added.example.com' /api/health)")" = 200
# 6/min: the four TCP calls above took four; no token comes back for 10 s
codes=""
for i in 1 2 3 4; do codes="$codes $(status_of "$(tcp /api/health)")"; done
check "the reloaded rate_limit 6/min applies: two more pass, then 429 ($codes)" \
	test "$codes" = " 200 200 429 429"
r=$(api -X POST -H 'Host: tcp' /api/services/a/restart)
check "over the control socket any Host is served and a change needs no token" \
	test "$(status_of "$r")" = 202
stop_prodd
check "prodd exits 0 after the reloads" test $? -eq 0
cleanup

# ---- a health event in the API's form: health statuses, not states ----
new_env
ph=$(free_port)
write_config <<YAML
  - name: checked
    command: $DEMO --port $ph
    health_check: { tcp: "127.0.0.1:$ph", interval: 300ms }
  - name: binary
    command: sh $T/binary.sh
YAML
# a line with a NUL and an invalid byte, then silence
printf 'printf "a\\000b \\377 c\\n"\nexec sleep 100\n' >"$T/binary.sh"
start_prodd
wait_event 15 kind=health service=checked to=healthy
r=$(api /api/events)
check "GET /api/events: a health event goes from unknown to healthy" \
	test "$(body_of "$r" | jpy '[(e["from"], e["to"]) for e in j["events"] if e["kind"] == "health" and e["service"] == "checked"][:1]')" = "[('unknown', 'healthy')]"
r=$(api /api/dashboard-data)
check "the snapshot's events say the same" \
	test "$(body_of "$r" | jpy '[(e["from"], e["to"]) for e in j["events"] if e["kind"] == "health"][:1]')" = "[('unknown', 'healthy')]"
wait_for 10 bash -c "curl -s --unix-socket '$STATE/prodd.sock' 'http://localhost/api/services/binary/logs' | grep -q '\"line\"'"
r=$(api "/api/services/binary/logs?lines=1")
check "logs: a NUL is kept (\\u0000), an invalid byte is U+FFFD" \
	test "$(body_of "$r" | jpy 'ascii(j["lines"][0]["line"])')" = "'a\\x00b \\ufffd c'"
curl -s -N -m 2 --unix-socket "$STATE/prodd.sock" \
	"http://localhost/api/services/binary/logs?lines=1&follow=1" >"$T/binary.out"
check "logs follow: the same line, in the same form" \
	test "$(head -n 1 "$T/binary.out" | jpy 'ascii(j["line"])')" = "'a\\x00b \\ufffd c'"
stop_prodd
cleanup
finish
