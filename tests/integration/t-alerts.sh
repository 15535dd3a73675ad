#!/usr/bin/env bash
# Alerts, black-box, with a webhook receiver started here (hookrecv.py):
# a service that crashes into failed fires service_failed while the
# receiver is down -- the delivery is retried, and the failure shows in
# /api/alerts, /metrics and prodd's log --; once the receiver is up the
# alert arrives, signed (HMAC-SHA256 of the body), with the service's
# last lines; it resolves when the service runs again, and the receiver
# gets exactly one firing and one resolve. The resolve goes to a webhook
# that hangs for its whole timeout, while a service's url checks every
# 100 ms go on: no gap between two checks exceeds the interval by more
# than 250 ms. prodctl alerts lists it, /ws carries it, POST
# /api/alerts/test reaches the webhook, and a missing secret file is a
# config error (a reload is refused, --check says it). Then the storm cap: 50 services that fail at once with
# max_notifications 5 per 3 s give exactly 5 first-attempt notifications
# and then one summary of the 45 held back, while the API lists all 50
# (and /metrics, which promtool accepts, counts them). Last, a prodd whose
# libcurl cannot be loaded answers a test alert "failed" with the reason
# and goes on.
set -u
. "$(dirname "$0")/lib.sh"
RECV_PID=""
recv_start() {	# OUT MODEFILE PORT
	python3 "$LIBDIR/hookrecv.py" "$3" "$1" "$2" &
	RECV_PID=$!
	disown "$RECV_PID"	# its end by kill_bg is no news
	BG="$BG $RECV_PID"
	poll 10 eval "(exec 3<>/dev/tcp/127.0.0.1/$3) 2>/dev/null"
}
trap 'kill_bg; cleanup_all' EXIT

api() { local p=$1; shift; curl -s -m 10 --unix-socket "$STATE/prodd.sock" "$@" "http://localhost$p"; }
# jq-less JSON: py EXPR over the answer of GET $1 as j
apij() { api "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)" 2>/dev/null; }
# recs FILE EXPR: over the receiver's records (r: each record, b: its
# JSON body or None), print EXPR's value (e.g. a count)
recs() {
	python3 - "$1" "$2" <<'PY'
import json, sys
rs = []
for line in open(sys.argv[1]) if __import__("os").path.exists(sys.argv[1]) else []:
    r = json.loads(line)
    if r.get("get"):
        continue
    try:
        r["b"] = json.loads(r["body"])
    except Exception:
        r["b"] = None
    rs.append(r)
def alerts(id=None, state=None, status=None):
    return [r for r in rs if r["b"] and "alert" in r["b"]
            and (id is None or r["b"]["alert"]["id"] == id)
            and (state is None or r["b"]["alert"]["state"] == state)
            and (status is None or r["status"] == status)]
print(eval(sys.argv[2]))
PY
}

new_env
HP=$(free_port)
PP=$(free_port)
HOOK=$T/hook.jsonl
echo ok >"$T/hook.mode"
printf 'k3y-of-the-test\n' >"$T/hook.key"
write_config <<YAML
  - name: flap
    command: [sh, -c, 'if [ -f $T/up ]; then exec sleep 600; fi; echo boom-line; echo on-stderr >&2; exit 3']
    max_restarts: 1
    restart_delay: 100ms
    ready_after: 200ms
  - name: probed
    command: [python3, $LIBDIR/hookrecv.py, "$PP", $T/probe.jsonl, $T/probe.mode]
    health_check: { url: "http://127.0.0.1:$PP/health", interval: 100ms, timeout: 1s, start_period: 10s }
alerts:
  webhook: http://127.0.0.1:$HP/hook
  webhook_secret_file: hook.key
  webhook_timeout: 2s
YAML
start_prodd
wait_event 20 kind=state service=flap to=failed

# ---- the receiver is down: retried, and visible
check "service_failed/flap fires and is listed active" \
	poll 10 eval '[ "$(apij /api/alerts "[a[\"id\"] for a in j[\"active\"]]")" = "['"'"'service_failed/flap'"'"']" ]'
check "its webhook delivery is retrying, with the reason" \
	poll 10 eval '[ "$(apij /api/alerts "j[\"active\"][0][\"deliveries\"][\"webhook\"][\"state\"] + \"/\" + str(j[\"active\"][0][\"deliveries\"][\"webhook\"][\"last_error\"])")" = "retrying/connection refused" ]'
check "the failed attempt is in prodd's log" \
	grep -q 'service_failed/flap: webhook delivery failed (connection refused)' "$PLOG"
api /metrics >"$T/m1"
check "/metrics: prodd_alerts_firing 1" grep -qx 'prodd_alerts_firing 1' "$T/m1"
check "/metrics: a failed webhook attempt is counted" \
	grep -qE '^prodd_alert_notifications_total\{channel="webhook",result="failed"\} [1-9]' "$T/m1"
if need promtool "promtool check metrics with the alert families"; then
	out=$(promtool check metrics <"$T/m1" 2>&1)
	check "promtool check metrics passes with the alert samples${out:+ ($out)}" \
		test -z "$out"
fi
check "the alert is an event of kind alert" \
	poll 5 eval 'apij "/api/events?since=0" "[e[\"reason\"] for e in j[\"events\"] if e[\"kind\"] == \"alert\"]" | grep -q "service_failed/flap firing"'
check "the dashboard snapshot carries it" \
	[ "$(apij /api/dashboard-data "[a[\"id\"] for a in j[\"alerts\"]]")" = "['service_failed/flap']" ]
out=$("$BUILD/prodctl" --socket "$STATE/prodd.sock" alerts 2>&1)
check "prodctl alerts lists it (${out:0:120})" \
	grep -q '^firing critical service_failed/flap .*flap failed.*\[webhook retrying' <<<"$out"

# ---- the receiver comes up: the retry delivers it
recv_start "$HOOK" "$T/hook.mode" "$HP"
check "the retry reaches the receiver" poll 10 eval '[ "$(recs "$HOOK" "len(alerts(\"service_failed/flap\", \"firing\"))")" = 1 ]'
check "the API says delivered after more than one attempt" \
	poll 5 eval '[ "$(apij /api/alerts "j[\"active\"][0][\"deliveries\"][\"webhook\"][\"state\"] + str(j[\"active\"][0][\"deliveries\"][\"webhook\"][\"attempts\"] > 1)")" = deliveredTrue ]'
check "the body is {version: 1, alert} with its id, severity and state" \
	[ "$(recs "$HOOK" '[(r["b"]["version"], r["b"]["alert"]["severity"], r["b"]["alert"]["state"]) for r in alerts()][0]')" = "(1, 'critical', 'firing')" ]
check "the alert carries the service's last lines, both streams" \
	[ "$(recs "$HOOK" '[(l["stream"], l["line"]) for l in alerts()[0]["b"]["alert"]["last_lines"] if l["line"] in ("boom-line", "on-stderr")][-2:]')" = "[('stdout', 'boom-line'), ('stderr', 'on-stderr')]" ]
check "X-Prodd-Signature is the HMAC-SHA256 of the body with the secret" \
	[ "$(recs "$HOOK" 'all(r["headers"]["x-prodd-signature"] == "sha256=" + __import__("hmac").new(b"k3y-of-the-test", r["body"].encode(), "sha256").hexdigest() for r in rs) and len(rs) > 0')" = True ]

# ---- it runs again: the resolve, to a webhook that hangs its timeout
# (and to a /ws client, connected first: its snapshot has the alert)
WS_UNIX=$STATE/prodd.sock python3 -c '
import json, sys
sys.path.insert(0, sys.argv[1])
import wsclient
ws = wsclient.WS()
snap = ws.recv()
print("snapshot", [a["id"] for a in snap["data"]["alerts"]], flush=True)
m = ws.recv_until(lambda m: m.get("type") == "alert", 20)
print("alert", m["alert"]["id"], m["alert"]["state"], flush=True)' "$LIBDIR" >"$T/ws.out" 2>&1 &
BG="$BG $!"
poll 5 grep -q snapshot "$T/ws.out"
echo hang >"$T/hook.mode"
touch "$T/up"
api /api/services/flap/start -X POST >/dev/null
wait_event 10 kind=state service=flap to=running
check "service_failed/flap resolves in the API" \
	poll 5 eval '[ "$(apij /api/alerts "[a[\"id\"] + a[\"state\"] for a in j[\"resolved\"]]")" = "['"'"'service_failed/flapresolved'"'"']" ]'
check "/ws: the snapshot had it, then an alert message says resolved" \
	poll 5 eval 'grep -qx "snapshot \[.service_failed/flap.\]" "$T/ws.out" && grep -qx "alert service_failed/flap resolved" "$T/ws.out"'
check "the resolve reached the hanging webhook" poll 5 eval '[ "$(recs "$HOOK" "len(alerts(\"service_failed/flap\", \"resolved\"))")" -ge 1 ]'
n0=$(wc -l <"$T/probe.jsonl")	# the checks while it hangs
nap 2.5		# the hang lasts webhook_timeout (2 s)
echo ok >"$T/hook.mode"
gap=$(tail -n +"$((n0 + 1))" "$T/probe.jsonl" | python3 -c '
import json, sys
t = [json.loads(l)["mono"] for l in sys.stdin if l.strip()]
print(int(max(b - a for a, b in zip(t, t[1:])) * 1000) if len(t) > 10 else -1)')
check "no url check came late by more than 250 ms while the webhook hung (largest gap $gap ms, interval 100 ms)" \
	[ "$gap" -ge 0 -a "$gap" -le 350 ]
check "after the timeout the resolve is retried and delivered" \
	poll 10 eval '[ "$(recs "$HOOK" "len(alerts(\"service_failed/flap\", \"resolved\", 200))")" = 1 ]'
check "exactly one firing and one resolve were delivered" \
	[ "$(recs "$HOOK" 'len(alerts("service_failed/flap", None, 200))')" = 2 ]
check "POST /api/alerts/test reaches the webhook and answers delivered" \
	[ "$(api /api/alerts/test -X POST | python3 -c 'import json,sys; print(json.load(sys.stdin)["webhook"]["state"])')" = delivered ]
# an unreadable secret file is a config error, at a reload and at --check
sed -i 's|webhook_secret_file: hook.key|webhook_secret_file: gone.key|' "$T/s.yaml"
out=$(api /api/reload -X POST)
check "a reload naming a missing secret file is refused, with its path" \
	grep -q "s.yaml:[0-9]*:[0-9]*: 'webhook_secret_file': cannot read $T/gone.key" <<<"$out"
out=$("$BUILD/prodd" --check -c "$T/s.yaml" 2>&1)
check "prodd --check says the same" \
	grep -q "'webhook_secret_file': cannot read $T/gone.key" <<<"$out"
check "stops cleanly" stop_prodd
kill_bg
park_env one

# ---- the storm cap: 50 failures, 5 per 3 s, then one summary
new_env
HP=$(free_port)
HOOK=$T/hook.jsonl
echo ok >"$T/hook.mode"
recv_start "$HOOK" "$T/hook.mode" "$HP"
{
	for i in $(seq 1 50); do
		printf '  - { name: s%02d, command: [sh, -c, "exit 3"], restart: never }\n' "$i"
	done
	printf 'alerts:\n  webhook: http://127.0.0.1:%s/hook\n  max_notifications: 5/3s\n' "$HP"
} | write_config
t0=$EPOCHREALTIME
start_prodd
check "the API lists all 50 alerts" \
	poll 20 eval '[ "$(apij /api/alerts "len([a for a in j[\"active\"] if a[\"state\"] == \"firing\"])")" = 50 ]'
check "a summary comes once the window ends" \
	poll 10 eval '[ "$(recs "$HOOK" "len([r for r in rs if r[\"b\"] and \"summary\" in r[\"b\"]])")" = 1 ]'
check "exactly 5 alert notifications went out" \
	[ "$(recs "$HOOK" 'len(alerts())')" = 5 ]
check "the summary counts the 45 held back and lists the 50 firing" \
	[ "$(recs "$HOOK" '[(r["b"]["summary"]["suppressed"], len(r["b"]["summary"]["firing"])) for r in rs if r["b"] and "summary" in r["b"]]')" = "[(45, 50)]" ]
api /metrics >"$T/m2"
check "/metrics: 45 suppressed, 50 firing" eval \
	'grep -qx "prodd_alert_notifications_total{channel=\"webhook\",result=\"suppressed\"} 45" "$T/m2" && grep -qx "prodd_alerts_firing 50" "$T/m2"'
check "stops cleanly" stop_prodd
kill_bg
park_env storm

# ---- libcurl cannot be loaded: a test alert fails, with the reason, and
# prodd goes on
new_env
printf '  - { name: a, command: [sleep, "600"] }\nalerts:\n  webhook: http://127.0.0.1:9/hook\n' | write_config
PRODD_LIBCURL=$T/no-libcurl.so start_prodd
wait_event 20 kind=state service=a to=running
out=$(api /api/alerts/test -X POST)
check "POST /api/alerts/test says failed, and why (${out:0:100})" \
	grep -q '"webhook":{"state":"failed","attempts":1,"last_error":"[^"]*no-libcurl.so' <<<"$out"
check "prodd still answers" eval '[ "$(apij /api/alerts "len(j[\"active\"])")" = 0 ]'
check "stops cleanly" stop_prodd
finish
