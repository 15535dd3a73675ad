#!/usr/bin/env bash
# Alerts (issue 13's acceptance figures), with the test's webhook receiver
# (tests/integration/hookrecv.py):
#  1. failed -> webhook: a service that runs 300 ms and exits 3
#     (restart: never) is started TRIALS times (default 20); each time,
#     the wall time from its `failed` event to the receiver's arrival
#     stamp of the service_failed notification. p50, p99, max (target:
#     p99 < 2 s).
#  2. a hanging webhook and the probes: a service whose url check runs
#     every 100 ms (the receiver itself, which stamps each GET with its
#     monotonic clock) while alerts keep going to a webhook that never
#     answers (webhook_timeout 10 s), for HANG_S seconds (default 20);
#     the largest gap between two checks minus the interval (target:
#     < 50 ms), and the same with a webhook that answers at once, in the
#     same run: the machine's floor.
#  3. the storm: 50 services crash-looping (max_restarts 1000, the
#     default backoff: 1 s doubling to 5 min) for STORM_S seconds (default 60; the acceptance's is 600)
#     with max_notifications 20/h: first-attempt notifications (target:
#     20 or 21) and the alerts the API lists (50).
# Usage: bash bench/alerts.sh   (after make; TRIALS, HANG_S, STORM_S;
# PARTS="1 2 3" picks the parts)
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
BUILD=${BUILD:-build}
TRIALS=${TRIALS:-20}
HANG_S=${HANG_S:-20}
STORM_S=${STORM_S:-60}
PARTS=${PARTS:-1 2 3}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
RECV=tests/integration/hookrecv.py
# Debian's python3 when there is one: a version manager's shim costs an
# interpreter more at each start
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
[ -x "$BUILD/prodd" ] || die "build first: make"
tmp=$(mktemp -d /tmp/prodd-bench-alerts.XXXXXX)
PIDS=""
done_all() {
	for p in $PIDS; do end_prodd "$p"; kill -s KILL "$p" 2>/dev/null; done
	end_recorded "$tmp"/*/state
	rm -rf "$tmp"
}
trap done_all EXIT

# run_prodd DIR: prodd on DIR/s.yaml (daemon section added), pid in PP
run_prodd() {
	port=$(free_port)
	# a port handed to a service but not bound yet is not prodd's
	[ "$port" = "${AVOID:-}" ] && port=$((port + 1))
	{
		printf 'daemon:\n  listen: 127.0.0.1:%s\n  state_dir: %s/state\n' "$port" "$1"
		printf '  log_dir: %s/logs\n  sample_interval: 1s\n' "$1"
		cat "$1/body.yaml"
	} >"$1/s.yaml"
	"$BUILD/prodd" -c "$1/s.yaml" >"$1/prodd.log" 2>&1 &
	PP=$!
	PIDS="$PIDS $PP"
	i=0
	until [ -S "$1/state/prodd.sock" ]; do
		sleep 0.05
		i=$((i + 1))
		[ "$i" -lt 200 ] || die "prodd did not start ($1/prodd.log)"
	done
}
api() { d=$1 p=$2; shift 2; curl -s -m 10 --unix-socket "$d/state/prodd.sock" "$@" "http://localhost$p"; }
# recv PORT OUT MODEFILE: the receiver, pid in RP
recv() {
	$PY "$RECV" "$1" "$2" "$3" >/dev/null 2>&1 &
	RP=$!
	PIDS="$PIDS $RP"
	i=0
	until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
		[ "$i" -lt 200 ] || die "the receiver did not start"
	done
}
count_alerts() {	# OUT [STATE]: notifications with an alert (of that state)
	python3 -c 'import json, sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("get"): continue
    b = json.loads(r["body"])
    if "alert" in b and (len(sys.argv) < 3 or b["alert"]["state"] == sys.argv[2]): n += 1
print(n)' "$@" 2>/dev/null || echo 0
}

note "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. failed -> webhook
if part 1; then
d=$tmp/lat
mkdir -p "$d"
hp=$(free_port)
echo ok >"$d/mode"
recv "$hp" "$d/hook.jsonl" "$d/mode"
cat >"$d/body.yaml" <<YAML
services:
  - name: f
    command: [sh, -c, 'sleep 0.3; exit 3']
    restart: never
    ready_after: 100ms
    enabled: false
alerts:
  webhook: http://127.0.0.1:$hp/hook
  max_notifications: 0		# 2 a trial: past the default 20/h
YAML
run_prodd "$d"
for t in $(seq 1 "$TRIALS"); do
	api "$d" /api/services/f/start -X POST >/dev/null
	i=0
	until [ "$(count_alerts "$d/hook.jsonl" firing)" -ge "$t" ]; do
		sleep 0.05
		i=$((i + 1))
		[ "$i" -lt 200 ] || die "trial $t: no notification"
	done
	# the resolve of the next start must not overtake: wait for it idle
	sleep 0.2
done
api "$d" "/api/events?since=0" >"$d/events.json"
python3 - "$d/events.json" "$d/hook.jsonl" <<'PY'
import json, sys, datetime
ev = json.load(open(sys.argv[1]))["events"]
def wall(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
failed = [wall(e["ts"]) for e in ev if e["kind"] == "state" and e.get("to") == "failed"]
got = []
for l in open(sys.argv[2]):
    r = json.loads(l)
    b = json.loads(r["body"])
    if "alert" in b and b["alert"]["state"] == "firing":
        got.append(r["ts"])
lat = sorted((g - f) * 1000 for f, g in zip(failed, got))
def pct(p): return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]
print("failed -> webhook, %d trials: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
      % (len(lat), pct(50), pct(99), lat[-1]), file=sys.stderr)
PY
end_prodd "$PP"
fi

# ---- 2. a hanging webhook and the probes' schedule
gaps() {	# MODE: run HANG_S s with the webhook in MODE; the largest gap
	d=$tmp/hang-$1
	mkdir -p "$d"
	hp=$(free_port)
	echo "$1" >"$d/mode"
	recv "$hp" "$d/hook.jsonl" "$d/mode"
	pp=$(free_port)		# now that hp is taken
	AVOID=$pp
	cat >"$d/body.yaml" <<YAML
services:
  - name: probed
    command: [$PY, $(pwd)/$RECV, "$pp", $d/probe.jsonl, $d/probe.mode]
    health_check: { url: "http://127.0.0.1:$pp/health", interval: 100ms, timeout: 1s }
  - name: f
    command: [sh, -c, 'sleep 0.3; exit 3']
    restart: never
    ready_after: 100ms
alerts:
  webhook: http://127.0.0.1:$hp/hook
  webhook_timeout: 10s
  max_notifications: 0
YAML
	run_prodd "$d"
	i=0
	until [ -s "$d/probe.jsonl" ]; do
		sleep 0.1
		i=$((i + 1))
		[ "$i" -lt 300 ] || die "the probed service got no check"
	done
	sleep 1
	n0=$(wc -l <"$d/probe.jsonl")
	end=$(($(date +%s) + HANG_S))
	while [ "$(date +%s)" -lt "$end" ]; do
		api "$d" /api/services/f/start -X POST >/dev/null
		sleep 0.7
	done
	g=$(tail -n +"$((n0 + 1))" "$d/probe.jsonl" | python3 -c '
import json, sys
t = [json.loads(l)["mono"] for l in sys.stdin if l.strip()]
g = sorted((b - a) * 1000 - 100 for a, b in zip(t, t[1:]))
print("%d checks, late by p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (len(t), g[len(g) // 2], g[int(0.99 * (len(g) - 1))], g[-1]))')
	note "url checks every 100 ms for $HANG_S s, alerts going to a webhook that $2: $g ($(count_alerts "$d/hook.jsonl") notifications received)"
	end_prodd "$PP"
}
if part 2; then
	gaps hang "hangs (10 s timeout)"
	gaps ok "answers at once (the floor)"
fi

# ---- 3. the storm
part 3 || exit 0
d=$tmp/storm
mkdir -p "$d"
hp=$(free_port)
echo ok >"$d/mode"
recv "$hp" "$d/hook.jsonl" "$d/mode"
{
	echo "services:"
	for i in $(seq 1 50); do
		printf '  - { name: s%02d, command: [sh, -c, "exit 3"], max_restarts: 1000 }\n' "$i"
	done
	printf 'alerts:\n  webhook: http://127.0.0.1:%s/hook\n  max_notifications: 20/h\n' "$hp"
} >"$d/body.yaml"
run_prodd "$d"
sleep "$STORM_S"
listed=$(api "$d" /api/alerts | python3 -c 'import json,sys; print(len([a for a in json.load(sys.stdin)["active"] if a["state"] == "firing"]))')
note "storm: 50 services crash-looping for $STORM_S s, max_notifications 20/h: $(count_alerts "$d/hook.jsonl") first-attempt notifications, $listed alerts listed by the API"
end_prodd "$PP"
