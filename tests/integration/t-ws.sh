#!/usr/bin/env bash
# /ws, black-box, with a WebSocket client on Python's standard library
# (wsclient.py): the snapshot first with last_seq and instance; only /ws
# upgrades, and a foreign Origin is refused; an event after a restart;
# a metrics message each sample (with ?metrics=compact, its services'
# figures as arrays; another value an error); log subscribe with tail, an unknown
# name, unsubscribe; commands over TCP without a token (401), with a
# wrong one (403; five close with 1008), with the right one (ok and the
# service object), and over the control socket without one; garbage
# frames and bad JSON get error messages and the connection stays; an
# oversized message closes with 1009; a client that never reads is
# closed with 1008 while another gets its events on time, and its backlog
# shows in prodd_ws_queued_bytes until it hangs up; resume with
# since (the events replayed, no snapshot), with a SEQ out of the ring
# or ahead, or another instance (a snapshot, reason gap); the snapshot
# holds each service's last 60 points and the host's whole history, and
# says a token is needed ("auth"); 20 clients:
# each message rendered once, frames about 20 x rendered (/metrics);
# commands past the rate limit get 429; prodd exits 0 with a client
# connected, which sees close 1001.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

WSC="python3 $LIBDIR/wsclient.py"
wsc() { timeout 90 $WSC "$@"; }
api() { curl -s -m 10 --unix-socket "$STATE/prodd.sock" "http://localhost$1" "${@:2}"; }
restart_cmd() { echo "curl -s -m 10 --unix-socket $STATE/prodd.sock -XPOST http://localhost/api/services/$1/restart"; }

new_env
write_config <<YAML
  - name: chat
    command: sh -c 'i=0; while :; do i=\$((i+1)); echo "line \$i"; sleep 0.05; done'
  - name: idle
    command: sleep 1000
  - name: flood
    command: python3 -c 'import sys; l = "x" * 4000 + "\n"; [sys.stdout.write(l) for _ in iter(int, 1)]'
    enabled: false
  - name: drip
    command: python3 -c 'import sys, time; l = "x" * 4000 + "\n"; [(sys.stdout.write(l * 10), sys.stdout.flush(), time.sleep(0.05)) for _ in iter(int, 1)]'
    enabled: false
YAML
sed -i "s|^daemon:|daemon:\n  sample_interval: 300ms|" "$T/s.yaml"
PRODD_TOKEN=s3cret start_prodd
wait_event 20 kind=state service=chat to=running
wait_event 20 kind=state service=idle to=running
export WS_URL="ws://127.0.0.1:$PORT/ws"

out=$(wsc snapshot)
rc=$?
read -r INSTANCE LAST <<<"$out"
check "the first message is the snapshot, with instance and last_seq ($out)" \
	eval '[ "$rc" -eq 0 ] && [[ "$INSTANCE" =~ ^[0-9a-f]{16}$ ]] && [[ "$LAST" =~ ^[0-9]+$ ]]'

check "a path other than /ws is not upgraded" wsc refused /other
check "an Origin not allowed is refused" wsc refused /ws "Origin: http://evil.example"
check "an unknown Host is refused" wsc refused /ws "Host: evil.example"
check "an event (with its seq) after a restart" wsc event_after "$(restart_cmd idle) >/dev/null"
check "a metrics message each sample, with the host and every service" wsc metrics 3 chat
check "?metrics=compact: arrays in fields' order; another value an error" wsc compact chat
check "logs: tail, live lines with n, an unknown name, unsubscribe" wsc logs chat 5
check "a command without a token over TCP: 401 unauthorized" wsc command restart idle 401 unauthorized
check "a command with a wrong token: 403 forbidden" wsc command restart idle 403 forbidden nope
check "a command with the token: 202 and the service" wsc command restart idle 202 ok s3cret
check "an unknown service: 404 not_found" wsc command restart nosuch 404 not_found s3cret
check "over the control socket no token is needed" \
	env WS_URL= WS_UNIX="$STATE/prodd.sock" timeout 90 $WSC command restart idle 202 ok
check "5 wrong tokens close the connection with 1008" wsc wrong_tokens idle
check "garbage frames and bad JSON: errors, and the connection stays" wsc garbage
check "a message over 64 KiB closes with 1009" wsc oversize

# resume: the events after SEQ replayed, no snapshot; a gap otherwise
out=$(wsc snapshot)
read -r _ LAST <<<"$out"
api /api/services/idle/restart -XPOST >/dev/null
wait_event 20 kind=state service=idle to=running
check "resume with since=$LAST: the events after it, in order, no snapshot" \
	wsc resume "$LAST" "$INSTANCE" replay
check "resume with another instance: a snapshot with reason gap" wsc resume "$LAST" 0123456789abcdef gap
check "resume ahead of last_seq: a snapshot with reason gap" wsc resume 999999 "" gap
# push SEQ 1 out of the ring (1000 events kept): restarts, until past it
last_seq() { api /api/events | python3 -c 'import json,sys; print(json.load(sys.stdin)["last_seq"])' 2>/dev/null || echo 0; }
tries=0
while [ "$(last_seq)" -lt 1010 ] && [ $tries -lt 600 ]; do
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		api /api/services/idle/restart -XPOST >/dev/null
		api /api/services/chat/restart -XPOST >/dev/null
	done
	tries=$((tries + 1))
done
wait_event 20 kind=state service=idle to=running
check "resume with a SEQ out of the ring: a snapshot with reason gap" wsc resume 1 "$INSTANCE" gap

check "20 clients: every message rendered once, frames about 20 x rendered" \
	wsc many 20 "$(restart_cmd idle) >/dev/null" 2

api /api/services/drip/start -XPOST >/dev/null
check "prodd_ws_queued_bytes: the backlog of a client that does not read, 0 once it is gone" \
	wsc queued drip
api /api/services/drip/stop -XPOST >/dev/null

api /api/services/flood/start -XPOST >/dev/null
check "a client that never reads is closed with 1008; another gets events on time" \
	env RESTART_CMD="$(restart_cmd idle)" timeout 120 $WSC never_read flood 4
api /api/services/flood/stop -XPOST >/dev/null
check "prodd is still well: /api/health answers" eval 'api /api/health | grep -q "\"status\""'

# the snapshot's history: the host's whole, each service's last 60
# points (SPEC §10); the API keeps them all; "auth" says a token is needed
snap_points() {
	python3 - "$LIBDIR" "http://127.0.0.1:$PORT" <<'PY'
import json, sys, urllib.request
sys.path.insert(0, sys.argv[1])
import wsclient
m = wsclient.WS().recv()
d = m["data"]
with urllib.request.urlopen(sys.argv[2] + "/api/dashboard-data", timeout=10) as r:
    a = json.load(r)
with urllib.request.urlopen(sys.argv[2] + "/api/health", timeout=10) as r:
    h = json.load(r)
ws = {s["name"]: len(s["history"]["cpu"]) for s in d["services"]}
full = {s["name"]: len(s["history"]["cpu"]) for s in a["services"]}
print("ws", ws["chat"], len(d["system"]["history"]["cpu"]), "api", full["chat"],
      len(a["system"]["history"]["cpu"]), "auth", d["auth"]["tcp_writes"],
      h["auth"]["tcp_writes"], "s3cret" in json.dumps(d["auth"]) + json.dumps(h))
ok = (max(ws.values()) <= 60 and ws["chat"] == 60 and full["chat"] > 60 and
      len(d["system"]["history"]["cpu"]) > 60 and d["auth"] == {"tcp_writes": "token"} and
      h["auth"] == {"tcp_writes": "token"})
sys.exit(0 if ok else 1)
PY
}
chat_points() { [ "$(api /api/dashboard-data | python3 -c 'import json,sys; print(min(len(s["history"]["cpu"]) for s in json.load(sys.stdin)["services"] if s["name"] == "chat"))')" -gt 61 ]; }
poll 30 chat_points
check "the snapshot: each service's last 60 points (the API's: more), the host's all, auth token" snap_points

# commands count against the address's rate limit (3 a minute here)
sed -i "s|^daemon:|daemon:\n  rate_limit: 3/min|" "$T/s.yaml"
api /api/reload -XPOST >/dev/null
check "commands past the address's rate limit: 429 rate_limited" wsc rate idle s3cret 6

( sleep 1; kill -TERM "$PRODD_PID" ) &
check "at shutdown a connected client gets close 1001" wsc shutdown true
# the SIGTERM above ends prodd: let it exit by itself (stop_prodd's own
# SIGTERM could land after prodd closed its signal handles)
poll 20 not_alive "$PRODD_PID"
rc=0
stop_prodd || rc=$?
check "prodd exits 0 with a client connected (rc $rc)" test "$rc" -eq 0
finish
