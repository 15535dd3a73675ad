#!/usr/bin/env bash
# Upgrading prodd in place (SPEC §9), black-box. 20 services (three in
# backoff, one unhealthy, one stopped by hand, one printing 1,000
# numbered lines a second, the rest idle), then `prodctl upgrade`: every
# pid the same, every state and counter as before, /metrics counters not
# reset, the event seq going on, a /ws client closed with 1012 and
# resuming by seq with the same instance, `logs -f` and `events -f` going
# on; 20 hand-overs in a row (SIGUSR2 among them) with zero restarts,
# zero changed pids, and no output line lost or doubled (in the file and
# in the follower's output; 100 lines a second under valgrind); metric
# histories kept; GET /health/live on new connections never failing
# through the hand-overs. Refusals: a binary that does not run, one whose
# --version names no format prodd writes, one that fails --version, one
# whose --version hangs (refused at the deadline, prodd answering
# meanwhile), a services file with errors -- each refused with its reason
# and nothing changed. A new binary that
# dies when it is started for the hand-over: the next prodd ends every
# recorded group, and no service runs twice. A hand-over while a reload's
# removed service is still stopping is refused with the reason. Last, the
# later modules' state: a notify service mid-start keeps its pid, state
# and STATUS= text, and its READY=1 after the hand-over (on the socket
# handed over) makes it running and starts its dependent; a firing alert
# is neither sent again nor resolved by the upgrade, and resolves once
# after; last_exits and /api/analyze read the same; /api/health's uptime
# keeps counting; the service manager sees READY=1, RELOADING=1 before
# the exec and one READY=1 after it.
set -u
. "$(dirname "$0")/lib.sh"
BG=""
trap 'kill_bg; cleanup' EXIT
# under valgrind (VALGRIND=1), VG_EXTRA adds options: bench/upgrade-valgrind.sh
# follows prodd into the binaries it exec's (--trace-children=yes)
[ -n "$VG" ] && VG="$VG ${VG_EXTRA:-}"
# With --trace-children=yes every image of prodd runs under valgrind, each
# hand-over's too (each then takes seconds where it takes milliseconds):
# the waits' bounds are W times longer, and a figure of time (how long a
# request waited: the benchmark's) is printed, never asserted; every check
# of what happens (the same pids, no line lost or doubled, the seq going
# on, counters kept, every request answered, the refusals, the crash
# recovered) is.
W=1
case " $VG " in *" --trace-children=yes "*) W=6 ;; esac

WSC="python3 $LIBDIR/wsclient.py"
CTL=$(cd "$BUILD" && pwd)/prodctl
api() { curl -s -m $((10 * W)) --unix-socket "$STATE/prodd.sock" "http://localhost$1" "${@:2}"; }
ctl() { PRODD_SOCKET=$STATE/prodd.sock timeout $((60 * W)) "$CTL" "$@"; }
# a follower: as long as the test (it is ended by it)
follow_ctl() { PRODD_SOCKET=$STATE/prodd.sock timeout 900 "$CTL" "$@"; }

new_env
# 1,000 lines a second; under valgrind (VALGRIND=1: the first prodd, or
# every image with bench/upgrade-valgrind.sh) 100: valgrind's prodd is
# some 30 times slower, and the follower would fall out of the ring
RATE=1000
[ -n "$VG" ] && RATE=100
DPORT=$(free_port)
SICK=$(free_port)
# sleep's argument names the service: its processes are counted by it
TAG=$((3600 + RANDOM % 1000))
{
	cat <<YAML
  - name: flood
    command: $DEMO --port $DPORT --log-lines-per-s $RATE --latency-ms 0
    ready_after: 100ms
    # a follower resumes from the ring: 3 s of this flood (256 KiB),
    # for a follower that falls behind (a sanitized prodctl does)
    log:
      ring: 3000
  - name: sick
    command: $DEMO --port $SICK --unhealthy-after 0.3
    health_check:
      url: http://127.0.0.1:$SICK/api/health
      interval: 200ms
      retries: 2
      start_period: 0s
      on_unhealthy: ignore
  - name: byhand
    command: sleep $TAG.99
    ready_after: 100ms
YAML
	for i in 1 2 3; do
		cat <<YAML
  - name: bo$i
    command: sh -c 'exit 3'
    # in backoff until past the test's end, valgrind's slower one too
    restart_delay: $((300 * W))s
YAML
	done
	for i in $(seq -w 1 14); do
		cat <<YAML
  - name: s$i
    command: sleep $TAG.$i
    ready_after: 100ms
YAML
	done
} | write_config
# (rate_limit 0: the prober below sends 200 requests a second)
sed -i "s|^daemon:|daemon:\n  control_socket: $STATE/prodd.sock\n  sample_interval: 300ms\n  rate_limit: 0|" "$T/s.yaml"
start_prodd
wait_event $((20 * W)) kind=state service=s14 to=running
wait_event $((20 * W)) kind=state service=flood to=running
wait_event $((20 * W)) kind=state service=sick to=unhealthy
for i in 1 2 3; do wait_event $((20 * W)) kind=state service=bo$i to=backoff; done
ctl stop byhand >/dev/null
wait_event $((20 * W)) kind=state service=byhand to=stopped

# name state pid restarts, one line per service
table() {
	api /api/services | python3 -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    print(s["name"], s["state"], s.get("pid"), s.get("restarts"))'
}
# the counters of /metrics that must never go back
counters() {
	api /metrics | grep -E '^prodd_(service_restarts_total|health_check_failures_total|service_cpu_seconds_total|service_io_(read|write)_bytes_total)' | sort
}
# how many samples the host's CPU history and flood's memory history hold
hist_len() {
	echo "$(api '/api/metrics/history?series=cpu' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["series"]["cpu"]))') $(api '/api/metrics/history?service=flood' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["series"]["rss"]))')"
}
last_seq() { api /api/events | python3 -c 'import json,sys; print(json.load(sys.stdin)["last_seq"])'; }
# each output number of the flood service exactly once, 1..max, in FILE
# (lines "... (#N)")
numbered_once() {
	grep -o '(#[0-9]*)' "$1" | tr -d '(#)' | sort -n | awk '
		NR > 1 && $1 == prev { dup++ }
		NR > 1 && $1 > prev + 1 { gap += $1 - prev - 1 }
		{ prev = $1; n++ }
		END { printf "%d lines, %d lost, %d doubled\n", n, gap, dup;
		      exit !(n > 0 && gap == 0 && dup == 0) }'
}

# some history and some CPU counted for flood first
flood_cpu() { api /metrics | awk '$1 ~ /cpu_seconds_total.service="flood"/ && $2 > 0 { f = 1 } END { exit !f }'; }
wait_for $((20 * W)) eval 'flood_cpu && [ "$(hist_len | cut -d" " -f1)" -ge 4 ]'
BEFORE=$(table)
H_BEFORE=$(hist_len)
C_BEFORE=$(counters)
SEQ_BEFORE=$(last_seq)
check "before: 20 services, 3 in backoff, 1 unhealthy, 1 stopped by hand" \
	eval '[ "$(wc -l <<<"$BEFORE")" -eq 20 ] &&
	[ "$(grep -c " backoff " <<<"$BEFORE")" -eq 3 ] &&
	grep -q "^sick unhealthy " <<<"$BEFORE" && grep -q "^byhand stopped None" <<<"$BEFORE"'

follow_ctl logs flood -f -n 0 >"$T/follow.out" 2>"$T/follow.err" &
FOLLOW=$!
follow_ctl events -f -n 0 >"$T/events.out" 2>"$T/events.err" &
EVF=$!
# (events -f -n 0 asks from the last seq: it misses nothing, whenever it
# is connected)
wait_for $((10 * W)) test -s "$T/follow.out"

# the first hand-over, with a /ws client connected
out=$(WS_URL="ws://127.0.0.1:$PORT/ws" timeout $((60 * W)) $WSC upgrade \
	"PRODD_SOCKET=$STATE/prodd.sock $CTL upgrade >$T/upgrade.out 2>&1")
rc=$?
check "prodctl upgrade: upgraded in place ($(tail -n 1 "$T/upgrade.out"))" \
	grep -q "^upgraded in place: 20 services taken over, 16 processes kept running" "$T/upgrade.out"
check "a /ws client gets 1012, and resumes by seq with the same instance ($out)" test "$rc" -eq 0
AFTER=$(table)
same() { [ "$1" = "$2" ] || { diff <(echo "$2") <(echo "$1") | sed 's/^/# /'; return 1; }; }
check "every pid, state and restart count as before" same "$AFTER" "$BEFORE"
check "prodd itself kept its pid" alive "$PRODD_PID"
C_AFTER=$(counters)
check "/metrics counters not reset" python3 -c '
import sys
def parse(t):
    return {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1]) for l in t.splitlines()}
a, b = parse(sys.argv[1]), parse(sys.argv[2])
bad = [k for k in a if b.get(k, -1) < a[k]]
sys.exit(1 if bad or not a else 0)' "$C_BEFORE" "$C_AFTER"
read -r hb1 hb2 <<<"$H_BEFORE"
read -r ha1 ha2 <<<"$(hist_len)"
check "metric histories kept: host CPU $hb1 -> $ha1 samples, flood's memory $hb2 -> $ha2" \
	eval '[ "$hb1" -ge 3 ] && [ "$ha1" -ge "$hb1" ] && [ "$hb2" -ge 3 ] && [ "$ha2" -ge "$hb2" ]'
check "flood's CPU seconds were counted before ($(grep 'cpu_seconds_total{service="flood"' <<<"$C_BEFORE" | cut -d' ' -f2)), and are not reset" \
	eval 'awk '"'"'$1 ~ /cpu_seconds_total.service="flood"/ && $2 > 0 { f = 1 } END { exit !f }'"'"' <<<"$C_BEFORE"'
check "the failures counted before are still counted" \
	grep -Eq 'prodd_health_check_failures_total\{service="sick"\} [1-9]' <<<"$C_AFTER"
SEQ_AFTER=$(last_seq)
check "the event seq goes on ($SEQ_BEFORE, then $SEQ_AFTER)" \
	eval 'api "/api/events?since=$SEQ_BEFORE" | python3 -c "
import json, sys
ev = json.load(sys.stdin)[\"events\"]
s = [e[\"seq\"] for e in ev]
ok = s and s[0] == $SEQ_BEFORE + 1 and s == list(range(s[0], s[0] + len(s)))
ok = ok and any(e[\"reason\"].startswith(\"upgraded in place\") for e in ev)
sys.exit(0 if ok else 1)"'

# the last number in FILE's tail
last_num() { tail -c 400 "$1" | grep -o '(#[0-9]*)' | tail -n 1 | tr -d '(#)'; }
# the follower has printed what the service printed by now: it went on
caught_up() {
	local n
	n=$(last_num "$LOGS/flood.log")
	poll $((20 * W)) eval '[ "$(last_num "$T/follow.out")" -ge "${n:-0}" ]'
}
# 19 more: 20 hand-overs in a row, SIGUSR2 for some; each time the logs
# follower goes on (and catches up, before the next)
# meanwhile GET /health/live every 5 ms, each on a new connection: not one
# may fail (a connection the old prodd accepted and then dropped at the
# exec would)
python3 - "$PORT" "$T/prober.stop" "$((10 * W))" >"$T/prober.out" 2>&1 <<'PY' &
import os, socket, sys, time
port, stop, patience = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
n = bad = 0
worst = 0.0
while not os.path.exists(stop):
    t = time.monotonic()
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=patience)
        c.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while True:
            d = c.recv(4096)
            if not d:
                break
            data += d
        c.close()
        ok = data.startswith(b"HTTP/1.1 200") and b"alive" in data
        if not ok:
            print("failed:", data[:60])
    except OSError as e:
        ok = False
        print("failed:", e)
    n += 1
    bad += not ok
    worst = max(worst, time.monotonic() - t)
    time.sleep(0.005)
print(n, bad, "%.0f" % (worst * 1000))
PY
PROBER=$!
BG="$BG $PROBER"
lagged=0
for i in $(seq 2 20); do
	caught_up || lagged=$((lagged + 1))
	if [ $((i % 5)) -eq 0 ]; then
		n=$(events kind=daemon 'reason~=upgraded in place' | wc -l)
		kill -USR2 "$PRODD_PID"
		poll $((20 * W)) eval '[ "$(events kind=daemon "reason~=upgraded in place" | wc -l)" -gt "$n" ]'
	else
		ctl upgrade >"$T/upgrade.out" 2>&1 || break
	fi
done
check "logs -f went on after each hand-over ($lagged times not within $((20 * W)) s)" test "$lagged" -eq 0
touch "$T/prober.stop"
wait "$PROBER"
read -r pn pbad pworst < <(tail -n 1 "$T/prober.out")
check "GET /health/live on new connections through 19 hand-overs: $pn requests, ${pbad:-?} failed, longest ${pworst:-?} ms" \
	eval '[ "${pn:-0}" -gt 100 ] && [ "$pbad" -eq 0 ]'
check "20 hand-overs in a row" test "$(events kind=daemon 'reason~=upgraded in place' | wc -l)" -eq 20
AFTER=$(table)
check "after 20: every pid, state and restart count as before" same "$AFTER" "$BEFORE"
check "after 20: no service was spawned again" \
	test "$(events kind=spawn | grep -cv ' bo[123] ')" -eq 17
check "after 20: a stopped-by-hand service stays stopped" grep -q "^byhand stopped None" <<<"$AFTER"
check "after 20: prodd answers on TCP too" eval 'curl -s -m 5 http://127.0.0.1:$PORT/health/live | grep -q alive'

ctl stop flood >/dev/null
wait_event $((20 * W)) kind=state service=flood to=stopped
nap 0.3
kill -TERM "$FOLLOW" 2>/dev/null
wait "$FOLLOW" 2>/dev/null
check "the flood's log file: $(numbered_once "$LOGS/flood.log")" eval 'numbered_once "$LOGS/flood.log" >/dev/null'
# the follower began with -n 0: its first number is wherever it began
check "logs -f across 20 upgrades: $(numbered_once "$T/follow.out")" eval 'numbered_once "$T/follow.out" >/dev/null'
check "logs -f printed no error ($(head -c 200 "$T/follow.err"))" test ! -s "$T/follow.err"
check "events -f went on: it saw the 20th upgrade" \
	poll $((10 * W)) eval '[ "$(grep -c "upgraded in place" "$T/events.out")" -eq 20 ]'
kill -TERM "$EVF" 2>/dev/null
wait "$EVF" 2>/dev/null

# ---- refusals: nothing changes ----
BEFORE=$(table)
printf '#!/bin/sh\necho "prodd 9.9 (API 1)"\necho "handover 7"\n' >"$T/newer.sh"
printf '#!/bin/sh\necho "prodd: broken" >&2\nexit 4\n' >"$T/broken.sh"
chmod +x "$T/newer.sh" "$T/broken.sh"
ctl upgrade /nonexistent/prodd 2>"$T/err"
rc=$?
check "a binary that is not there: refused, exit 1 ($(cat "$T/err"))" \
	eval '[ $rc -eq 1 ] && grep -q "cannot run /nonexistent/prodd" "$T/err"'
ctl upgrade "$T/newer.sh" 2>"$T/err"
rc=$?
check "a binary that cannot read format 1: refused ($(cat "$T/err"))" \
	eval '[ $rc -eq 1 ] && grep -q "cannot read hand-over format 1" "$T/err"'
ctl upgrade "$T/broken.sh" 2>"$T/err"
rc=$?
check "a binary whose --version fails: refused ($(cat "$T/err"))" \
	eval '[ $rc -eq 1 ] && grep -q "exit code 4" "$T/err"'
# a --version that never answers: refused at the deadline, and the loop
# goes on meanwhile (the check runs beside it)
printf '#!/bin/sh\nsleep 10\n' >"$T/hangs.sh"
chmod +x "$T/hangs.sh"
ctl upgrade "$T/hangs.sh" >/dev/null 2>"$T/err" &
UPC=$!
nap 0.5
# (1 s, 2 s under trace-children: within the check's 3 s either way, so
# the loop was not held by it)
check "while a binary's --version hangs, prodd answers meanwhile" \
	eval 'curl -s -m $(( W > 1 ? 2 : 1 )) http://127.0.0.1:$PORT/health/live | grep -q alive'
wait "$UPC"
rc=$?
check "a binary whose --version hangs: refused at the deadline ($(cat "$T/err"))" \
	eval '[ $rc -eq 1 ] && grep -q "did not answer within 3000 ms" "$T/err"'
cp "$T/s.yaml" "$T/s.yaml.good"
echo "  - name: broken" >>"$T/s.yaml"
ctl upgrade 2>"$T/err"
rc=$?
check "a services file the new prodd would refuse: refused ($(cat "$T/err"))" \
	eval '[ $rc -eq 1 ] && grep -q "has errors" "$T/err"'
mv "$T/s.yaml.good" "$T/s.yaml"
check "after the refusals: nothing changed" same "$(table)" "$BEFORE"

# ---- a reload's removed service still stopping: refused, said why ----
cat >>"$T/s.yaml" <<YAML
  - name: slow
    command: $DEMO --port $(free_port) --ignore-sigterm
    stop_timeout: 1s
    ready_after: 100ms
YAML
ctl reload >/dev/null
wait_event $((20 * W)) kind=state service=slow to=running
sed -i '/- name: slow/,$d' "$T/s.yaml"
ctl reload >/dev/null
ctl upgrade 2>"$T/err"
rc=$?
check "during a reload's stop: refused with the reason ($(cat "$T/err"))" \
	eval '[ $rc -eq 1 ] && grep -q "still stopping" "$T/err"'
wait_event $((20 * W)) kind=state service=slow to=stopped

# ---- the new binary dies before it restored anything ----
cat >"$T/dies.sh" <<SH
#!/bin/sh
case "\$*" in
*--version*) exec "$(cd "$BUILD" && pwd)/prodd" --version ;;
esac
exit 1
SH
chmod +x "$T/dies.sh"
# the idle services: they write nothing, so they outlive their pipes
OLD=$(table | awk '$1 ~ /^s[0-9]/ { print $3 }')
ctl upgrade --no-wait "$T/dies.sh" >/dev/null
poll $((20 * W)) not_alive "$PRODD_PID"
wait "$PRODD_PID" 2>/dev/null
rc=$?
PRODD_PID=""
follow_end "$PLOG"
check "the new binary exited 1 (rc $rc); the services still run" \
	eval '[ $rc -eq 1 ] && for p in $OLD; do alive $p || exit 1; done'
PLOG=$T/prodd2.log
start_prodd
wait_event $((30 * W)) kind=state service=s14 to=running
check "the next prodd ended every recorded group ($(grep -o 'ended [0-9]* process group[s]*' "$PLOG"))" \
	eval 'grep -Eq "ended 1[4-6] process groups left by a previous prodd" "$PLOG" &&
	for p in $OLD; do ! alive $p || exit 1; done'
# how many processes run each idle service: "01:1 02:1 ..."
runs() {
	local f a
	declare -A n=()
	for f in /proc/[0-9]*/cmdline; do
		mapfile -d '' a 2>/dev/null <"$f" || continue
		[ "${a[0]:-}" = sleep ] && [[ ${a[1]:-} == "$TAG".[0-9][0-9] ]] || continue
		n[${a[1]#*.}]=$(( ${n[${a[1]#*.}]:-0} + 1 ))
	done
	for i in $(seq -w 1 14); do printf '%s:%s ' "$i" "${n[$i]:-0}"; done
}
want=$(for i in $(seq -w 1 14); do printf '%s:1 ' "$i"; done)
check "no service runs twice" eval '[ "$(runs)" = "$want" ]'
stop_prodd >/dev/null

# ---- the later modules' state: a notify service mid-start, a firing
# alert, last exits and /api/analyze, uptime; sd_notify around the exec ----
need systemd-notify "the notify service of the upgrade test" || { finish; exit $?; }
G=$T/go
mkdir -p "$G"
HP=$(free_port)
HOOK=$T/hook.jsonl
echo ok >"$T/hook.mode"
printf 'k3y\n' >"$T/hook.key"
python3 "$LIBDIR/hookrecv.py" "$HP" "$HOOK" "$T/hook.mode" &
BG="$BG $!"
disown $!	# its end by kill_bg is no news
poll $((10 * W)) eval "(exec 3<>/dev/tcp/127.0.0.1/$HP) 2>/dev/null"
python3 "$LIBDIR/sdlisten.py" notify "$T/sd.sock" "$T/sd.out" "$$" &
BG="$BG $!"
disown $!
wait_for $((10 * W)) grep -qsx bound "$T/sd.out"
write_config <<YAML
  - name: nt
    notify: true
    shell: true
    command: "systemd-notify --status=loading-42; while [ ! -e $G/ready ]; do sleep 0.02; done; systemd-notify --ready --status=serving; exec sleep 1000"
  - name: ntdep
    command: sleep 1000
    depends_on: { nt: { condition: healthy } }
    ready_after: 0s
  - name: crashy
    command: [sh, -c, 'if [ -f $G/up ]; then exec sleep 1000; fi; echo last-words; echo on-stderr >&2; exit 3']
    max_restarts: 1
    restart_delay: 100ms
    ready_after: 200ms
alerts:
  webhook: http://127.0.0.1:$HP/hook
  webhook_secret_file: hook.key
YAML
sed -i "s|^daemon:|daemon:\n  control_socket: $STATE/prodd.sock|" "$T/s.yaml"
PLOG=$T/prodd3.log
NOTIFY_SOCKET=$T/sd.sock start_prodd
# j: a python expression over the JSON answer of GET $1
j() { api "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)" 2>/dev/null; }
# hooks ID STATE: how many webhook bodies of alert ID in STATE arrived
hooks() {
	python3 - "$HOOK" "$1" "$2" <<'PY'
import json, os, sys
n = 0
for line in open(sys.argv[1]) if os.path.exists(sys.argv[1]) else []:
    try:
        a = json.loads(json.loads(line)["body"])["alert"]
    except Exception:
        continue
    n += a["id"] == sys.argv[2] and a["state"] == sys.argv[3]
print(n)
PY
}
AID=service_failed/crashy
uptime_s() { j /api/health 'j["uptime_s"]'; }
wait_event $((20 * W)) kind=state service=crashy to=failed
wait_event $((20 * W)) kind=state service=nt to=starting
check "the firing alert reached the webhook once" \
	poll $((10 * W)) eval '[ "$(hooks $AID firing)" = 1 ]'
check "nt is starting, its STATUS= shown, its dependent waits" \
	poll $((10 * W)) eval '[ "$(j /api/services/nt "j[\"state\"] + \"/\" + str(j[\"status_text\"])")" = starting/loading-42 ] && [ "$(events kind=spawn service=ntdep | wc -l)" -eq 0 ]'
poll $((10 * W)) eval '[ "$(uptime_s | cut -d. -f1)" -ge 1 ]'
NT_PID=$(j /api/services/nt 'j["pid"]')
EXITS=$(j /api/services/crashy 'json.dumps(j["last_exits"], sort_keys=True)')
EVX=$(j "/api/events?service=crashy" 'json.dumps([e["last_lines"] for e in j["events"] if e["kind"] == "exit"], sort_keys=True)')
ANALYZE=$(j /api/analyze 'json.dumps({k: v for k, v in j.items() if k != "now_ms"}, sort_keys=True)')
ALERTS=$(j /api/alerts '[(a["id"], a["state"], a["since"]) for a in j["active"]]')
UP1=$(uptime_s)
ctl upgrade >"$T/upgrade.out" 2>&1
check "upgraded in place ($(tail -n 1 "$T/upgrade.out"))" \
	grep -q "^upgraded in place: 3 services taken over" "$T/upgrade.out"
UP2=$(uptime_s)
ANALYZE2=$(j /api/analyze 'json.dumps({k: v for k, v in j.items() if k != "now_ms"}, sort_keys=True)')
check "/api/health's uptime keeps counting ($UP1 s, then $UP2 s)" \
	python3 -c "import sys; sys.exit(not (1 <= $UP1 <= $UP2))"
check "nt: the same pid, still starting, its STATUS= text kept" \
	eval '[ "$(j /api/services/nt "(j[\"pid\"], j[\"state\"], j[\"status_text\"])")" = "($NT_PID, '"'"'starting'"'"', '"'"'loading-42'"'"')" ]'
check "its dependent still waits" stays 0.5 eval '[ "$(events kind=spawn service=ntdep | wc -l)" -eq 0 ]'
touch "$G/ready"
check "READY=1 after the hand-over: nt runs, its dependent starts" \
	poll $((10 * W)) eval '[ "$(j /api/services/nt "j[\"state\"]")" = running ] && [ "$(events kind=spawn service=ntdep | wc -l)" -eq 1 ]'
check "nt's STATUS= follows on the socket taken over: serving" \
	poll $((5 * W)) eval '[ "$(j /api/services/nt "j[\"status_text\"]")" = serving ]'
check "last_exits identical after the hand-over" \
	eval '[ "$(j /api/services/crashy "json.dumps(j[\"last_exits\"], sort_keys=True)")" = "$EXITS" ] && grep -q last-words <<<"$EXITS"'
check "the exit events keep their last lines" \
	eval '[ "$(j "/api/events?service=crashy" "json.dumps([e[\"last_lines\"] for e in j[\"events\"] if e[\"kind\"] == \"exit\"], sort_keys=True)")" = "$EVX" ] && grep -q last-words <<<"$EVX"'
# waited A: who waited for whom in the /api/analyze answer A
waited() { python3 -c 'import json,sys; print(" ".join(s["name"] + "<-" + s["waited_for"]["name"] for s in json.loads(sys.argv[1])["services"] if s["waited_for"]))' "$1"; }
check "/api/analyze identical after the hand-over (waited: $(waited "$ANALYZE2"))" \
	eval '[ "$ANALYZE2" = "$ANALYZE" ] && grep -q crashy <<<"$ANALYZE" && [ "$(waited "$ANALYZE2")" = "ntdep<-nt" ]'
# a second hand-over, ntdep running: what it waited for is the hand-over's
# to keep now (no planner pass names it again)
ctl upgrade >"$T/upgrade2.out" 2>&1
ANALYZE3=$(j /api/analyze 'json.dumps(j)')
check "a second upgrade ($(tail -n 1 "$T/upgrade2.out")): ntdep still waited for nt" \
	eval 'grep -q "^upgraded in place: 3 services taken over" "$T/upgrade2.out" && [ "$(waited "$ANALYZE3")" = "ntdep<-nt" ]'
check "the alert is still firing, since the same time ($ALERTS)" \
	eval '[ "$(j /api/alerts "[(a[\"id\"], a[\"state\"], a[\"since\"]) for a in j[\"active\"]]")" = "$ALERTS" ] && grep -q firing <<<"$ALERTS"'
check "the upgrade neither sent it again nor resolved it" \
	stays 1 eval '[ "$(hooks $AID firing)/$(hooks $AID resolved)" = 1/0 ]'
touch "$G/up"
ctl start crashy >/dev/null
check "it resolves once its cause ends, once" \
	poll $((10 * W)) eval '[ "$(hooks $AID resolved)" = 1 ]'
check "and only once" stays 1 eval '[ "$(hooks $AID firing)/$(hooks $AID resolved)" = 1/1 ]'
# sd_notify: READY=1 at the start; RELOADING=1 before each exec, READY=1
# from each new prodd; no other READY=1
first() { grep -n -m1 -E "$1" "$T/sd.out" | cut -d: -f1; }
check "sd_notify: READY=1, RELOADING=1 before each exec, one READY=1 after each ($(grep -oE 'READY=1|RELOADING=1' "$T/sd.out" | tr '\n' ' '))" \
	eval '[ "$(grep -oE "READY=1|RELOADING=1" "$T/sd.out" | tr "\n" " ")" = "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 " ]'
stop_prodd >/dev/null
kill_bg
finish
