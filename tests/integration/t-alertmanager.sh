#!/usr/bin/env bash
# Alerts to a real Prometheus Alertmanager (Debian's prometheus-alertmanager,
# which packaging/deps.sh installs), started here on a port of this
# script's block with no cluster and a temporary storage: a service that
# crashes into failed appears in Alertmanager's GET /api/v2/alerts as
# alertname prodd_service_failed with labels service, severity and
# instance (the host name), its summary and last lines in the
# annotations, endsAt about 4 min ahead; once the service runs again the
# alert is resolved there (endsAt no later than now: Alertmanager lists
# it no more as active). Without the binary the checks are skipped ("#
# skip"), except under CI=true, where a missing one is a failed check.
set -u
. "$(dirname "$0")/lib.sh"
AM_PID=""
am_end() {
	if [ -n "$AM_PID" ]; then
		kill -TERM "$AM_PID" 2>/dev/null
		poll 10 not_alive "$AM_PID" || kill -KILL "$AM_PID" 2>/dev/null
		wait "$AM_PID" 2>/dev/null
		AM_PID=""
	fi
}
trap 'am_end; cleanup' EXIT

AM_BIN=prometheus-alertmanager
if ! need "$AM_BIN" "the Alertmanager checks"; then
	finish
	exit
fi

api() { local p=$1; shift; curl -s -m 10 --unix-socket "$STATE/prodd.sock" "$@" "http://localhost$p"; }
# am EXPR: over Alertmanager's active prodd alerts (a list, as), print EXPR
am() {
	curl -s -m 5 "http://127.0.0.1:$AMP/api/v2/alerts?active=true&silenced=false&inhibited=false" |
	python3 -c 'import json, sys, datetime
j = json.load(sys.stdin)
as_ = [a for a in j if a["labels"].get("alertname", "").startswith("prodd_")]
now = datetime.datetime.now(datetime.timezone.utc)
def ends(a): return (datetime.datetime.fromisoformat(a["endsAt"].replace("Z", "+00:00")) - now).total_seconds()
print(eval(sys.argv[1]))' "$1" 2>/dev/null
}

new_env
AMP=$(free_port)
AMC=$(free_port)
mkdir -p "$T/am"
cat >"$T/am/am.yml" <<'YAML'
route:
  receiver: none
  group_wait: 1s
receivers:
  - name: none
YAML
"$AM_BIN" --config.file="$T/am/am.yml" --storage.path="$T/am/data" \
	--web.listen-address="127.0.0.1:$AMP" --cluster.listen-address= \
	--log.level=warn >"$T/am.log" 2>&1 &
AM_PID=$!
check "Alertmanager is up" poll 20 eval 'curl -sf -m 2 "http://127.0.0.1:$AMP/-/ready" >/dev/null'

write_config <<YAML
  - name: flap
    command: [sh, -c, 'if [ -f $T/up ]; then exec sleep 600; fi; echo last-words; exit 3']
    max_restarts: 1
    restart_delay: 100ms
    ready_after: 200ms
alerts:
  alertmanager: http://127.0.0.1:$AMP/
YAML
start_prodd
wait_event 20 kind=state service=flap to=failed
check "the alert appears in Alertmanager's /api/v2/alerts" \
	poll 10 eval '[ "$(am "len(as_)")" = 1 ]'
check "its labels: alertname, service, severity, instance" \
	[ "$(am '[(a["labels"]["alertname"], a["labels"]["service"], a["labels"]["severity"], a["labels"]["instance"]) for a in as_]')" = "[('prodd_service_failed', 'flap', 'critical', '$(hostname)')]" ]
check "its annotations: the summary, and the last lines in the description" \
	[ "$(am '[a["annotations"]["summary"].startswith("flap failed") and "last-words" in a["annotations"]["description"] for a in as_]')" = "[True]" ]
check "endsAt is about 4 min ahead while it fires" \
	[ "$(am '[200 < ends(a) <= 241 for a in as_]')" = "[True]" ]
check "the API says delivered to alertmanager" \
	poll 5 eval '[ "$(api /api/alerts | python3 -c "import json,sys; print(json.load(sys.stdin)[\"active\"][0][\"deliveries\"][\"alertmanager\"][\"state\"])")" = delivered ]'
touch "$T/up"
api /api/services/flap/start -X POST >/dev/null
wait_event 10 kind=state service=flap to=running
check "once the service runs again it is resolved in Alertmanager" \
	poll 10 eval '[ "$(am "len(as_)")" = 0 ]'
check "stops cleanly" stop_prodd
finish
