#!/usr/bin/env bash
# The engine, black box: dependency waves, the environment and descriptors
# a service gets, output capture, prodd's own log, the crash loop with its
# backoff and cap, stop timeouts and group kills, the second signal, and
# orphan reaping. Observed through prodd's JSON log, the files it writes,
# and /proc.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT
VG_SAVED=$VG
VG=""

# py_check DESCRIPTION: run the python on stdin (args after --); it prints
# its own ok/not ok line, this counts it
py_check() {
	if python3 - "$@"; then PASS=$((PASS + 1)); else FAIL=$((FAIL + 1)); fi
}

# ---- B's prodd starts first: its backoffs (1 + 2 + 4 s) run beside A ----
new_env
write_config <<YAML
  - name: crash
    command: $DEMO --crash-after 0 --exit-code 3
    max_restarts: 3
YAML
start_prodd
park_env crashloop

# ---- A: waves, environment, descriptors, capture, log, shutdown order ----
new_env
p1=$(free_port); p2=$(free_port); p3=$(free_port)
printf '# comment\nFROM_FILE=file\nexport QUOTED="two words"\nBOTH=file\n' >"$T/svc.env"
write_config <<YAML
  - name: search
    command: $DEMO --role search --port $p1
    working_dir: $T
    env_file: svc.env
    environment: { FOO: bar, BOTH: conf }
    ready_after: 100ms
  - name: rag
    command: $DEMO --role rag --port $p2
    dependencies: [search]
    ready_after: 100ms
  - name: analytics
    command: $DEMO --role analytics --port $p3
    dependencies: [search, rag]
    ready_after: 100ms
  - name: plain
    command: sleep 1000
    ready_after: 100ms
YAML
PRODD_TOKEN=secret NOTIFY_SOCKET=/nowhere JOURNAL_STREAM=1:2 WATCHDOG_USEC=1 \
	INVOCATION_ID=x LISTEN_FDS=3 KEEP_ME=kept start_prodd
wait_event 15 kind=state service=analytics to=running
s_spawn=$(events kind=spawn service=search | awk '{ print $10 }')
s_run=$(events kind=state service=search to=running | awk '{ print $10 }')
r_spawn=$(events kind=spawn service=rag | awk '{ print $10 }')
r_run=$(events kind=state service=rag to=running | awk '{ print $10 }')
a_spawn=$(events kind=spawn service=analytics | awk '{ print $10 }')
check "search is spawned, then ready, before rag is spawned" \
	test "$s_spawn" -lt "$s_run" -a "$s_run" -lt "$r_spawn"
check "rag is ready before analytics is spawned" \
	test "$r_spawn" -lt "$r_run" -a "$r_run" -lt "$a_spawn"
pid=$(svc_pid search)
envl=$(tr '\0' '\n' <"/proc/$pid/environ")
check "environment: env_file, then environment (which wins)" \
	bash -c "grep -qx FROM_FILE=file <<<'$envl' && grep -qx 'QUOTED=two words' <<<'$envl' && grep -qx FOO=bar <<<'$envl' && grep -qx BOTH=conf <<<'$envl'"
check "environment: prodd's own variables pass through" \
	grep -qx KEEP_ME=kept <<<"$envl"
check "environment: secrets and systemd's variables removed" \
	bash -c "! grep -Eq '^(PRODD_TOKEN|NOTIFY_SOCKET|JOURNAL_STREAM|WATCHDOG_USEC|INVOCATION_ID|LISTEN_FDS)=' <<<'$envl'"
wait_event 5 kind=spawn service=plain
check "no descriptor of prodd's leaks into a service: only 0 1 2" \
	test "$(ls "/proc/$(svc_pid plain)/fd" | sort -n | tr '\n' ' ')" = "0 1 2 "
check "stdin is /dev/null" test "$(readlink "/proc/$pid/fd/0")" = /dev/null
check "stdout and stderr are pipes" \
	bash -c "readlink /proc/$pid/fd/1 | grep -q '^pipe:' && readlink /proc/$pid/fd/2 | grep -q '^pipe:'"
read -r pgid sid < <(ps -o pgid=,sid= -p "$pid")
check "own session and process group" test "$pgid" = "$pid" -a "$sid" = "$pid"
check "working_dir" test "$(readlink "/proc/$pid/cwd")" = "$T"
check "the service runs the program itself (the exec helper became it)" \
	grep -q prodd-demo "/proc/$pid/comm"
check "prodd raised its descriptor limit to the hard limit" \
	awk '/Max open files/ { exit !($4 == $5) }' "/proc/$PRODD_PID/limits"
check "output captured to log_dir/NAME.log, time-stamped" \
	grep -Eq '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z stdout prodd-demo search listening' "$LOGS/search.log"
check "every line of prodd's log is one JSON object with the five keys" \
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    assert set(r) == {"timestamp", "level", "service", "message", "metadata"}, r
' "$PLOG"
check "events are numbered 1, 2, 3, ... without gaps" \
	awk '{ if ($10 != NR) exit 1 }' <<<"$(events)"
stop_prodd
check "SIGTERM: prodd exits 0" test $? -eq 0
check "in prodd's log the events of the stop come before its last word" \
	python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
end = [i for i, r in enumerate(lines) if r["message"].startswith("every service is stopped")]
evs = [i for i, r in enumerate(lines) if "seq" in r["metadata"]]
assert len(end) == 1 and evs and evs[-1] < end[0], (end, evs[-3:])
' "$PLOG"
check "and in the order of their numbers" \
	awk '{ if ($10 != NR) exit 1 }' <<<"$(events)"
order=$(events kind=exit | awk '$2 != "plain" { print $2 }' | tr '\n' ' ')
check "stop order is the reverse: analytics, rag, search ($order)" \
	test "$order" = "analytics rag search "
left=0
for p in $(events kind=spawn | awk '{ print $6 }'); do alive "$p" && left=$((left + 1)); done
check "nothing of the services is left" test $left -eq 0
cleanup

# ---- B: a crash loop: restarted 3 times at 1 s, 2 s, 4 s, then failed ----
# (its prodd was started first, and has run beside A since)
resume_env crashloop
wait_event 20 kind=state service=crash to=failed
delays=$(events kind=state service=crash to=backoff | awk '{ print $9 }' | tr '\n' ' ')
check "three restarts with delays 1000 2000 4000 ms ($delays)" \
	test "$delays" = "1000 2000 4000 "
py_check "$PLOG" <<'PY'
import json, sys, datetime
def t(s): return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
ex, sp = [], []
for l in open(sys.argv[1]):
    m = json.loads(l)["metadata"]
    if m.get("kind") == "exit": ex.append(t(m["ts"]))
    if m.get("kind") == "spawn": sp.append(t(m["ts"]))
gaps = [round(sp[i + 1] - ex[i], 2) for i in range(3)]
ok = all(abs(g - w) < 0.3 for g, w in zip(gaps, [1, 2, 4]))
print(("ok" if ok else "not ok") + " - measured gaps between exit and respawn " + str(gaps))
sys.exit(0 if ok else 1)
PY
check "exit code 3 recorded" \
	test "$(events kind=exit service=crash | head -n 1 | awk '{ print $7 }')" = 3
check "failed says why" grep -q 'gave_up_after_3_restarts_in_a_row' <<<"$(events kind=state to=failed)"
spawns_are() { [ "$(events kind=spawn | wc -l)" -eq "$1" ]; }
check "and it stays down: 4 spawns in all (for 2 s)" stays 2 spawns_are 4
stop_prodd
check "crash loop: events in prodd's log in the order of their numbers" \
	awk '{ if ($10 != NR) exit 1 }' <<<"$(events)"
cleanup

# ---- C: a service that ignores SIGTERM is killed within stop_timeout ----
new_env
write_config <<YAML
  - name: stubborn
    command: $DEMO --ignore-sigterm --spawn-grandchild --port $(free_port)
    stop_timeout: 1s
    ready_after: 100ms
YAML
start_prodd
wait_event 10 kind=state service=stubborn to=running
pid=$(svc_pid stubborn)
wait_for 5 grep -q "grandchild pid" "$LOGS/stubborn.log"
gpid=$(grep -o 'grandchild pid [0-9]*' "$LOGS/stubborn.log" | awk '{ print $3 }')
check "the grandchild shares the service's process group" \
	test "$(ps -o pgid= -p "$gpid" | tr -d ' ')" = "$pid"
stop_prodd
py_check "$PLOG" <<'PY'
import json, sys, datetime
def t(s): return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
stop = ex = None
for l in open(sys.argv[1]):
    m = json.loads(l)["metadata"]
    if m.get("kind") == "state" and m.get("to") == "stopping" and stop is None: stop = t(m["ts"])
    if m.get("kind") == "exit": ex = t(m["ts"]), m.get("signal")
d = ex[0] - stop
ok = 0.95 <= d <= 1.2 and ex[1] == 9
print(("ok" if ok else "not ok") + " - SIGKILL after stop_timeout 1 s: stopped in %.3f s by signal %s" % (d, ex[1]))
sys.exit(0 if ok else 1)
PY
check "nothing of its group remains" \
	bash -c "! kill -0 $pid 2>/dev/null && ! kill -0 $gpid 2>/dev/null"
cleanup

# ---- C2: a second signal kills every group at once ----
new_env
write_config <<YAML
  - name: one
    command: $DEMO --ignore-sigterm --port $(free_port)
    stop_timeout: 60s
    ready_after: 100ms
  - name: two
    command: $DEMO --ignore-sigterm --port $(free_port)
    stop_timeout: 60s
    ready_after: 100ms
YAML
start_prodd
wait_event 10 kind=state service=two to=running
p_one=$(svc_pid one); p_two=$(svc_pid two)
kill -TERM "$PRODD_PID"
wait_event 5 kind=state service=two to=stopping
both_alive() { kill -0 "$p_one" && kill -0 "$p_two"; }
check "after one SIGTERM they are still stopping (for 0.3 s)" stays 0.3 both_alive
t0=$(date +%s%N)
stop_prodd
rc=$?
t1=$(date +%s%N)
check "a second SIGTERM: prodd exits 0 at once ($(( (t1 - t0) / 1000000 )) ms)" \
	test $rc -eq 0 -a $(( (t1 - t0) / 1000000 )) -lt 2000
check "both groups were killed" \
	bash -c "! kill -0 $p_one 2>/dev/null && ! kill -0 $p_two 2>/dev/null"
cleanup

# ---- D: orphans are reaped ----
# The grandchild outlives its parent by 3 s: while it runs, prodd (a child
# subreaper) must be its parent; once it ends, prodd must reap it. Both
# are asserted while they can be told apart from a grandchild that is
# already gone (and was reaped by whoever else adopted it).
new_env
write_config <<YAML
  - name: parent
    command: $DEMO --spawn-grandchild --grandchild-lifetime 3 --port $(free_port)
YAML
start_prodd
wait_for 5 grep -q "grandchild pid" "$LOGS/parent.log"
gpid=$(grep -o 'grandchild pid [0-9]*' "$LOGS/parent.log" | awk '{ print $3 }')
P=$PRODD_PID
gstat=$(ps -o stat=,ppid= -p "${gpid:-0}" 2>/dev/null | awk '{ print $1, $2 }')
check "the orphaned grandchild is alive while it is checked ($gstat)" \
	bash -c "case '$gstat' in ''|Z*) exit 1;; esac"
check "the orphaned grandchild was re-parented to prodd" \
	test "$(echo "$gstat" | awk '{ print $2 }')" = "$PRODD_PID"
check "once it ended, it was reaped within 6 s" \
	wait_for 6 test ! -e "/proc/${gpid:-0}"
check "and no zombie of prodd is left" test "$(zombies_of)" -eq 0
stop_prodd
cleanup

# ---- E: log level and text format ----
new_env
write_config <<YAML
  - name: quiet
    command: sleep 30
    ready_after: 100ms
YAML
start_prodd --log-level notice --log-format text
# once it runs, its info lines (spawn, running) would have been written
wait_for 10 bash -c "curl -s -m 5 --unix-socket '$STATE/prodd.sock' http://localhost/api/services/quiet | grep -q '\"state\":\"running\"'"
kill -INT "$PRODD_PID"
wait_for 10 not_alive "$PRODD_PID"
wait "$PRODD_PID"
check "SIGINT (Ctrl-C) stops everything and exits 0" test $? -eq 0
PRODD_PID=""
check "--log-level notice: no info lines" bash -c "! grep -q ' info ' '$PLOG'"
check "--log-format text: readable lines, no JSON" \
	bash -c "grep -q ' notice ' '$PLOG' && ! grep -q '{' '$PLOG'"
cleanup

# ---- F: valgrind: no leak after a clean shutdown with three services ----
if [ -n "$VG_SAVED" ]; then
	new_env
	write_config <<YAML
  - name: a
    command: $DEMO --role search --port $(free_port)
    ready_after: 100ms
  - name: b
    command: $DEMO --role rag --port $(free_port)
    dependencies: [a]
    ready_after: 100ms
  - name: c
    command: $DEMO --role analytics --port $(free_port)
    dependencies: [b]
    ready_after: 100ms
YAML
	VG="$VG_SAVED" start_prodd
	wait_event 60 kind=state service=c to=running
	stop_prodd
	check "valgrind: clean shutdown, no leak, no error (exit $?)" test $? -eq 0
	cleanup
fi
finish
