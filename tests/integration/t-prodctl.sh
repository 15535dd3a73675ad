#!/usr/bin/env bash
# prodctl against a real prodd over the control socket: every verb and
# every exit status (0 ok, 1 failed, 2 usage, 3 unreachable with its one
# line), status as a table and as JSON, start/stop/restart waiting for the
# target state (a new pid for restart; early failure with the reason;
# timeouts), --no-wait, --all, signal, reload accepted and refused, logs and
# events with and without -f, health 0/1, version with and without prodd,
# colours only on a terminal, and the bash completion. Every prodctl run
# is bounded by timeout(1); under ASan/UBSan its stderr must stay clean.
set -u
. "$(dirname "$0")/lib.sh"
trap 'kill_bg; cleanup' EXIT
VG=""
COMPLETION=$(cd "$(dirname "$0")/../.." && pwd)/etc/bash-completion/prodctl
PRODCTL=$(cd "$BUILD" && pwd)/prodctl

# pc ARGS...: prodctl on this test's socket, into $T/out and $T/err, with
# its status in RC. Every stderr is kept for the sanitizer check at the end.
pc() {
	timeout 90 "$PRODCTL" --socket "$STATE/prodd.sock" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	cat "$T/err" >>"$T/allerr"
}
# pcx ARGS...: the same without --socket (for usage and discovery checks)
pcx() {
	timeout 90 "$PRODCTL" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	cat "$T/err" >>"$T/allerr"
}
out() { cat "$T/out"; }
err() { cat "$T/err"; }
rc_is() { [ "$RC" -eq "$1" ]; }
nlines() { wc -l <"$1" | tr -d ' '; }
# jpy EXPR: a python expression over the JSON of $T/out as "j"
jpy() { python3 -c "import json,sys; j=json.load(open('$T/out')); print($1)" 2>/dev/null; }
# field SERVICE KEY: one key of one service, from prodd (via prodctl --json)
field() {
	timeout 30 "$PRODCTL" --socket "$STATE/prodd.sock" status --json "$1" 2>/dev/null |
		python3 -c "import json,sys; v=json.load(sys.stdin).get('$2'); print('null' if v is None else v)" 2>/dev/null
}
state_is() { [ "$(field "$1" state)" = "$2" ]; }
one_line_err() { [ "$(nlines "$T/err")" -eq 1 ]; }

new_env
: >"$T/allerr"
p1=$(free_port); p2=$(free_port); p3=$(free_port)
write_config <<YAML
  - name: search
    command: $DEMO --role search --port $p1
    ready_after: 100ms
  - name: rag
    command: $DEMO --role rag --port $p2
    dependencies: [search]
    ready_after: 100ms
  - name: talker
    command: ["/bin/sh", "-c", "trap 'echo got-usr1; echo to-stderr >&2' USR1; echo hello-talker; while :; do sleep 0.2; done"]
    stop_timeout: 2s
    ready_after: 100ms
  - name: off
    command: sleep 1000
    enabled: false
  - name: crashy
    command: $DEMO --port $p3 --crash-after 0.3 --exit-code 3
    restart_delay: 30s
    enabled: false
  - name: once
    command: ["/bin/sh", "-c", "test -e $T/fail && exit 1; exec sleep 1000"]
    restart: never
    ready_after: 100ms
YAML
cp "$T/s.yaml" "$T/s.orig"

# ---- usage (exit 2) and help, without any prodd ------------------------
pcx
check "no verb: exit 2, usage on stderr" bash -c "[ $RC -eq 2 ] && grep -q '^usage: prodctl' '$T/err'"
pcx frobnicate
check "unknown verb: exit 2, says so" bash -c "[ $RC -eq 2 ] && grep -q \"unknown command 'frobnicate'\" '$T/err'"
pcx --frob status
check "unknown global option: exit 2" rc_is 2
pcx status --frob
check "unknown verb option: exit 2, with the verb's usage" \
	bash -c "[ $RC -eq 2 ] && grep -q '^usage: prodctl status' '$T/err'"
pcx --socket
check "--socket without a value: exit 2" rc_is 2
pcx logs
check "logs without a name: exit 2" rc_is 2
pcx signal rag
check "signal without a signal: exit 2" rc_is 2
pcx logs rag -n lots
check "logs -n lots: exit 2" rc_is 2
pcx logs rag --stream both
check "logs --stream both: exit 2" rc_is 2
pcx start
check "start without names or --all: exit 2" rc_is 2
pcx stop --all rag
check "stop --all with a name: exit 2" rc_is 2
pcx start rag --timeout soon
check "start --timeout soon: exit 2" rc_is 2
pcx events --since x
check "events --since x: exit 2" rc_is 2
pcx --help
check "--help: exit 0, usage on stdout, every verb listed" \
	bash -c "[ $RC -eq 0 ] && grep -q '^usage: prodctl' '$T/out' && for v in status start stop restart signal reload logs events health check version; do grep -q \"^  \$v \" '$T/out' || exit 1; done"
pcx --version
check "--version: prodctl 0.1.0 (API 1)" test "$RC $(out)" = "0 prodctl 0.1.0 (API 1)"
pcx check "$T/s.yaml"
check "check FILE works offline: exit 0" rc_is 0

# ---- prodd not reachable (exit 3, one line) ----------------------------
pc status
check "no prodd: status exits 3" rc_is 3
check "no prodd: exactly one line on stderr" one_line_err
check "no prodd: the line says why (ENOENT)" \
	test "$(err)" = "prodctl: cannot reach prodd at $STATE/prodd.sock: No such file or directory — is prodd running?"
check "no prodd: nothing on stdout" test ! -s "$T/out"
for v in "health" "start rag" "stop --all" "logs rag" "events" "reload" "signal rag HUP"; do
	pc $v
	check "no prodd: '$v' exits 3 with one line" bash -c "[ $RC -eq 3 ] && [ \$(wc -l <'$T/err') -eq 1 ]"
done
PRODD_SOCKET=$STATE/prodd.sock pcx health
check "\$PRODD_SOCKET is used" bash -c "[ $RC -eq 3 ] && grep -q 'at $STATE/prodd.sock:' '$T/err'"
mkdir -p "$T/xdg/prodd"
python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind('$T/xdg/prodd/prodd.sock'); s.close()"
if [ ! -e /run/prodd/prodd.sock ]; then
	env -u PRODD_SOCKET XDG_RUNTIME_DIR="$T/xdg" timeout 30 "$PRODCTL" status >"$T/out" 2>"$T/err"
	RC=$?
	check "\$XDG_RUNTIME_DIR/prodd/prodd.sock is found; a dead socket: Connection refused" \
		test "$RC $(err)" = "3 prodctl: cannot reach prodd at $T/xdg/prodd/prodd.sock: Connection refused — is prodd running?"
fi
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$T/priv" && chmod 755 "$T" && chmod 700 "$T/priv"
	cp "$T/xdg/prodd/prodd.sock" "$T/priv/prodd.sock" 2>/dev/null ||
		python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind('$T/priv/prodd.sock'); s.close()"
	setpriv --reuid=65534 --regid=65534 --clear-groups timeout 30 \
		"$PRODCTL" --socket "$T/priv/prodd.sock" status >"$T/out" 2>"$T/err"
	RC=$?
	cat "$T/err" >>"$T/allerr"
	check "a socket the user may not open: exit 3, 'are you in the prodd group?'" \
		test "$RC $(err)" = "3 prodctl: cannot reach prodd at $T/priv/prodd.sock: Permission denied — are you in the prodd group?"
fi
pc version
check "version without prodd: exit 0, the client's line" \
	test "$RC $(out)" = "0 prodctl 0.1.0 (API 1)"

# ---- a running prodd ----------------------------------------------------
start_prodd
wait_event 15 kind=state service=rag to=running
wait_event 15 kind=state service=talker to=running

pc status
check "status: exit 0" rc_is 0
check "status: the header" \
	test "$(head -n 1 "$T/out" | tr -s ' ')" = "NAME STATE PID UPTIME CPU MEM RESTARTS HEALTH"
check "status: one row per service" test "$(nlines "$T/out")" -eq 7
spid=$(svc_pid search)
check "status: search running with its pid" \
	bash -c "grep -Eq '^search +running +$spid +[0-9]+s +([0-9.]+%|-) +([0-9.]+[KMG]|-) +0 +- *\$' '$T/out'"
check "status: a stopped service shows its reason" \
	bash -c "grep -Eq '^off +stopped +- +- +- +- +0 +- +[a-z]' '$T/out'"
check "status: no colour codes when stdout is not a terminal" \
	bash -c "! grep -q $'\e' '$T/out'"
if command -v script >/dev/null; then
	script -qc "'$PRODCTL' --socket '$STATE/prodd.sock' status" /dev/null >"$T/tty" 2>&1 </dev/null
	check "status on a terminal: running in green" grep -q $'\e\\[32mrunning' "$T/tty"
	script -qc "'$PRODCTL' --socket '$STATE/prodd.sock' --no-color status" /dev/null >"$T/tty" 2>&1 </dev/null
	check "--no-color on a terminal: no colour" bash -c "! grep -q $'\e\\[' '$T/tty'"
	NO_COLOR=1 script -qc "'$PRODCTL' --socket '$STATE/prodd.sock' status" /dev/null >"$T/tty" 2>&1 </dev/null
	check "NO_COLOR on a terminal: no colour" bash -c "! grep -q $'\e\\[' '$T/tty'"
fi

pc --json status
check "status --json: prodd's list, as JSON" \
	test "$RC $(jpy '",".join(s["name"] for s in j["services"])')" = "0 search,rag,talker,off,crashy,once"
pc status --json rag
check "status --json NAME: the one service" \
	test "$(jpy 'j["name"], j["state"], j["pid"] > 0, "metrics" in j')" = "rag running True True"
pc status --json rag search
check "status --json NAME NAME: an array" \
	test "$(jpy '[s["name"] for s in j]')" = "['rag', 'search']"
pc status rag nosuch search
check "status with an unknown name: exit 1" rc_is 1
check "status with an unknown name: says which on stderr" \
	test "$(err)" = "prodctl: unknown service 'nosuch'"
check "status with an unknown name: the others are still shown" \
	bash -c "grep -q '^rag ' '$T/out' && grep -q '^search ' '$T/out'"

pc health
check "health: exit 0 when healthy" rc_is 0
check "health: one line" bash -c "grep -Eq '^healthy: [0-9]+/[0-9]+ running, [0-9]+ healthy\$' '$T/out'"
pc health --json
check "health --json: prodd's JSON" test "$(jpy 'j["status"], j["api_version"]')" = "healthy 1"
pc version
check "version with prodd: both lines" \
	test "$RC $(out | tr '\n' '|')" = "0 prodctl 0.1.0 (API 1)|prodd 0.1.0 (API 1)|"
pc version --json
check "version --json" test "$(jpy 'j["prodctl"]["api_version"], j["prodd"]["version"]')" = "1 0.1.0"

# ---- start, stop, restart -----------------------------------------------
old=$(field rag pid)
pc restart rag
new=$(field rag pid)
check "restart rag: exit 0" rc_is 0
check "restart rag: prints prodd's message, then the new state" \
	test "$(out | tr '\n' '|')" = "restarting rag|rag: running (pid $new)|"
check "restart rag: a new pid ($old -> $new), alive" \
	bash -c "[ '$new' != '$old' ] && kill -0 '$new'"

pc stop search
check "stop search: exit 0" rc_is 0
check "stop search: prodd says the dependents go first" \
	grep -q "^stopping search; first what depends on it: rag\$" "$T/out"
check "stop search: stopped when prodctl returns (and rag too)" \
	bash -c "[ '$(field search state)' = stopped ] && [ '$(field rag state)' = stopped ]"
pc stop search
check "stop of a stopped service: exit 0" rc_is 0
pc start rag
check "start rag: exit 0, its dependency started first" \
	bash -c "[ $RC -eq 0 ] && [ '$(field rag state)' = running ] && [ '$(field search state)' = running ]"
check "start rag: prodd's message (a start, not 'already')" \
	grep -q "^starting rag" "$T/out"
pc start rag
check "start of a running service: exit 0, nothing to do" \
	bash -c "[ $RC -eq 0 ] && grep -q 'already running' '$T/out'"

t0=$(date +%s%N)
pc stop --no-wait talker
t1=$(date +%s%N)
check "stop --no-wait: exit 0 with prodd's message" \
	bash -c "[ $RC -eq 0 ] && grep -q 'talker' '$T/out' && ! grep -q '^talker: stopped' '$T/out'"
check "stop --no-wait: returns at once ($(( (t1 - t0) / 1000000 )) ms)" test $(( (t1 - t0) / 1000000 )) -lt 1500
wait_for 10 state_is talker stopped
check "and talker does stop" state_is talker stopped
pc start talker --no-wait
check "start --no-wait: exit 0" rc_is 0
wait_for 10 state_is talker running

pc start nosuch
check "start of an unknown service: exit 1" rc_is 1
check "start of an unknown service: prodd's message" test "$(err)" = "prodctl: unknown service 'nosuch'"

pc start crashy
check "start of a service that crashes: exit 1" rc_is 1
check "start that crashes: says where it landed and why ($(head -c 160 "$T/err"))" \
	grep -q "^prodctl: crashy: start failed: now backoff (exited with code 3" "$T/err"
pc stop crashy
check "stop of a service in backoff: exit 0" rc_is 0
touch "$T/fail"
pc restart once
check "restart of a restart: never service that now exits 1: exit 1, failed" \
	bash -c "[ $RC -eq 1 ] && grep -q '^prodctl: once: restart failed: now failed (exited with code 1' '$T/err'"
pc health
check "health with a failed service: exit 1, unhealthy" \
	bash -c "[ $RC -eq 1 ] && grep -Eq '^unhealthy: .*, 1 failed\$' '$T/out'"
pc stop once
check "stop of a failed service: exit 0" rc_is 0
rm -f "$T/fail"
pc start once
check "start once again: exit 0" rc_is 0
pc health
check "health is healthy again: exit 0" rc_is 0

pc start off --timeout 0.2
check "start --timeout 0.2: exit 1 before it is running" rc_is 1
check "timeout: says which, and where it is" \
	grep -q "^prodctl: off: timed out after 200ms waiting for it to be running (now " "$T/err"
pc stop off
check "stop off: exit 0" bash -c "[ $RC -eq 0 ] && [ '$(field off state)' = stopped ]"

pc stop --all
check "stop --all: exit 0" rc_is 0
check "stop --all: every service stopped" \
	bash -c "for s in search rag talker; do [ \"\$('$PRODCTL' --socket '$STATE/prodd.sock' status --json \$s | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" = stopped ] || exit 1; done"
pc start --all
check "start --all: exit 0, every enabled service running" \
	bash -c "[ $RC -eq 0 ] && [ '$(field search state)$(field rag state)$(field talker state)' = runningrunningrunning ]"
check "start --all: the disabled ones stay stopped" \
	test "$(field off state)" = stopped
before="$(field search pid) $(field rag pid) $(field talker pid)"
pc restart --all
after="$(field search pid) $(field rag pid) $(field talker pid)"
check "restart --all: prodd's message for each, in order" \
	test "$(grep '^restarting' "$T/out" | tr '\n' ' ')" = "restarting search restarting rag restarting talker restarting once "
check "restart --all: exit 0, a new pid for each ($before -> $after)" \
	python3 -c "import sys; b='$before'.split(); a='$after'.split(); sys.exit(0 if $RC == 0 and len(a) == 3 and all(x != y for x, y in zip(a, b)) else 1)"

# ---- signal -------------------------------------------------------------
tpid=$(field talker pid)
pc signal talker USR1
check "signal talker USR1: exit 0, prodd's message" \
	test "$RC $(out)" = "0 sent SIGUSR1 to talker (pid $tpid)"
wait_for 5 grep -q 'stdout got-usr1' "$LOGS/talker.log"
pc signal talker NOSUCHSIG
check "an unknown signal: exit 1" bash -c "[ $RC -eq 1 ] && grep -q 'unknown signal' '$T/err'"
pc signal off HUP
check "signal to a stopped service: exit 1" rc_is 1
pc signal nosuch HUP
check "signal to an unknown service: exit 1" rc_is 1

# ---- logs -----------------------------------------------------------------
pc logs talker -n 1
check "logs -n 1: one line, TIMESTAMP STREAM LINE" \
	bash -c "[ $RC -eq 0 ] && [ \$(wc -l <'$T/out') -eq 1 ] && grep -Eq '^20[0-9-]{8}T[0-9:.]{12}Z (stdout|stderr) ' '$T/out'"
pc logs talker
check "logs: at most 20 lines by default" bash -c "[ $RC -eq 0 ] && [ \$(wc -l <'$T/out') -le 20 ]"
check "logs: the service's own lines" grep -q ' stdout got-usr1$' "$T/out"
pc logs talker --stream stderr
check "logs --stream stderr: only stderr lines" \
	bash -c "[ $RC -eq 0 ] && grep -q ' stderr to-stderr\$' '$T/out' && ! grep -q ' stdout ' '$T/out'"
pc logs talker -n 3 --json
check "logs --json: prodd's JSON" \
	test "$(jpy 'j["service"], len(j["lines"]) <= 3, sorted(j["lines"][0].keys())')" = "talker True ['line', 'seq', 'stream', 'ts']"
pc logs nosuch
check "logs of an unknown service: exit 1" rc_is 1

# an idle follower, checked before prodd goes away: it must not be cut off
# followers end by a signal from timeout(1), which sends SIGCONT after
# it: under ASan, their leaks are checked at exit all the same (ctl-lsan.c)
timeout -k 5 60 "$PRODCTL" --socket "$STATE/prodd.sock" logs off -f -n 0 >/dev/null 2>"$T/idle.err" &
ipid=$!
BG="$BG $ipid"
istart=$(date +%s)
timeout -k 5 60 "$PRODCTL" --socket "$STATE/prodd.sock" logs talker -f -n 1 >"$T/follow" 2>"$T/follow.err" &
fpid=$!
BG="$BG $fpid"
wait_for 5 test -s "$T/follow"
check "logs -f: the last line first" test "$(nlines "$T/follow")" -ge 1
n0=$(grep -c 'got-usr1' "$T/follow")
timeout 30 "$PRODCTL" --socket "$STATE/prodd.sock" signal talker USR1 >/dev/null
wait_for 5 bash -c "[ \$(grep -c 'got-usr1' '$T/follow') -gt $n0 ]"
check "logs -f: a new line appears as the service prints it" \
	test "$(grep -c ' stdout got-usr1$' "$T/follow")" -gt "$n0"
kill -TERM "$fpid"
wait "$fpid"
frc=$?
check "logs -f: ends with exit 0 when told to (SIGTERM)" test "$frc" -eq 0
cat "$T/follow.err" >>"$T/allerr"

# ---- events ---------------------------------------------------------------
pc events -n 5
check "events -n 5: five lines" bash -c "[ $RC -eq 0 ] && [ \$(wc -l <'$T/out') -eq 5 ]"
pc events -n 1000
check "events: state changes as FROM -> TO: REASON" \
	grep -Eq '^20[0-9-]{8}T[0-9:.]{12}Z talker running -> stopping: ' "$T/out"
check "events: others as KIND: REASON" \
	grep -Eq '^20[0-9-]{8}T[0-9:.]{12}Z talker spawn: started pid [0-9]+$' "$T/out"
pc events --json
check "events --json: events and last_seq" \
	test "$(jpy 'len(j["events"]) <= 20, j["events"][-1]["seq"] == j["last_seq"]')" = "True True"
last=$(jpy 'j["last_seq"]')
pc events --since $((last - 2))
check "events --since: the ones after it" test "$(nlines "$T/out")" -eq 2

pc events --json
last=$(jpy 'j["last_seq"]')
# --since: nothing between the two requests can be missed, however slow
# the follower is to connect
timeout -k 5 60 "$PRODCTL" --socket "$STATE/prodd.sock" events -f --since "$last" >"$T/evf" 2>"$T/evf.err" &
epid=$!
BG="$BG $epid"
timeout 30 "$PRODCTL" --socket "$STATE/prodd.sock" restart talker >/dev/null 2>&1
wait_for 5 grep -q 'talker starting -> running' "$T/evf"
check "events -f: new events as they happen" \
	bash -c "grep -q ' talker running -> stopping: ' '$T/evf' && grep -q ' talker starting -> running' '$T/evf'"
check "events -f --since: nothing from before" bash -c "! grep -q ' search ' '$T/evf'"
kill -INT "$epid"
wait "$epid"
erc=$?
check "events -f: ends with exit 0 on Ctrl-C" test "$erc" -eq 0
cat "$T/evf.err" >>"$T/allerr"

# ---- reload ---------------------------------------------------------------
{ cat "$T/s.orig"; printf '  - name: extra\n    command: sleep 1000\n    ready_after: 100ms\n'; } >"$T/s.yaml"
pc reload
check "reload: exit 0 with prodd's summary" \
	bash -c "[ $RC -eq 0 ] && grep -q '^1 added, 0 removed, 0 changed, 6 unchanged\$' '$T/out'"
wait_for 10 state_is extra running
check "reload: the added service runs" state_is extra running
{ cat "$T/s.orig"; printf '  - name: broken\n    command: sleep 1\n    helth_check_url: http://x\n'; } >"$T/s.yaml"
pc reload
check "reload of a bad file: exit 1" rc_is 1
check "reload of a bad file: each error as FILE:LINE:COL: message" \
	grep -q "^$T/s.yaml:[0-9]*:[0-9]*: unknown key 'helth_check_url'" "$T/err"
check "reload of a bad file: nothing changed" state_is extra running
timeout -k 5 60 "$PRODCTL" --socket "$STATE/prodd.sock" logs extra -f >"$T/follow3" 2>"$T/follow3.err" &
fpid=$!
BG="$BG $fpid"
wait_for 5 connected "$fpid"
cp "$T/s.orig" "$T/s.yaml"
pc reload
check "reload that removes a service: exit 0" rc_is 0
for _ in $(seq 1 100); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$fpid" 2>/dev/null; then
	not_ok "logs -f of a removed service ends (still following 10 s after the reload)"
	kill -TERM "$fpid"
	wait "$fpid" 2>/dev/null
else
	wait "$fpid" 2>/dev/null
	frc=$?
	check "logs -f of a removed service ends, exit 0 (got $frc)" test "$frc" -eq 0
fi
cat "$T/follow3.err" >>"$T/allerr"

# ---- bash completion --------------------------------------------------------
comp() {	# comp WORD... : the completions of the last word
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _prodctl; echo "${COMPREPLY[*]}"' \
		_ "$COMPLETION" "$@"
}
check "completion: verbs" test "$(comp "$PRODCTL" "")" = "status top start stop restart signal reload upgrade logs events alerts health analyze check version help"
check "completion: verbs by prefix" test "$(comp "$PRODCTL" re)" = "restart reload"
check "completion: alerts flags" test "$(comp "$PRODCTL" alerts -)" = "-f --follow --json"
check "completion: global flags" test "$(comp "$PRODCTL" --)" = "--socket --json --no-color --help --version"
check "completion: service names from the running prodd" \
	test "$(comp "$PRODCTL" --socket "$STATE/prodd.sock" restart "")" = "crashy off once rag search talker"
check "completion: service names by prefix" \
	test "$(comp "$PRODCTL" --socket "$STATE/prodd.sock" logs t)" = "talker"
check "completion: a verb's flags" test "$(comp "$PRODCTL" start --)" = "--all --no-wait --timeout"
check "completion: logs --stream values" test "$(comp "$PRODCTL" logs talker --stream "")" = "stdout stderr"
check "completion: signal names after the service" \
	bash -c "[[ ' $(comp "$PRODCTL" --socket "$STATE/prodd.sock" signal talker "") ' == *' HUP '* ]]"
check "completion: no names when prodd is not there" \
	test -z "$(comp "$PRODCTL" --socket "$T/none.sock" stop "")"

# ---- the idle follower of off, started with the logs above ---------------
# (its 8 s ran through the sections since)
sleep $(( 8 - ($(date +%s) - istart) )) 2>/dev/null
if kill -0 "$ipid" 2>/dev/null; then
	kill -INT "$ipid"
	wait "$ipid"
	irc=$?
	check "logs -f: still following after 8 s without any output; exit 0 on Ctrl-C" test "$irc" -eq 0
else
	wait "$ipid"
	not_ok "logs -f: still following after 8 s without any output (it ended with $?: $(cat "$T/idle.err"))"
fi
cat "$T/idle.err" >>"$T/allerr"

# ---- prodd goes away ------------------------------------------------------
# followers get the last lines and events, then a clean end
timeout -k 5 60 "$PRODCTL" --socket "$STATE/prodd.sock" logs talker -f >"$T/follow2" 2>"$T/follow2.err" &
fpid=$!
timeout -k 5 60 "$PRODCTL" --socket "$STATE/prodd.sock" events -f >"$T/evf2" 2>"$T/evf2.err" &
epid=$!
BG="$BG $fpid $epid"
wait_for 5 test -s "$T/follow2"
wait_for 5 connected "$epid"	# the events follower is connected
stop_prodd
prc=$?
check "prodd exits 0 (got $prc)" test $prc -eq 0
for _ in $(seq 1 100); do kill -0 "$fpid" 2>/dev/null || kill -0 "$epid" 2>/dev/null || break; sleep 0.1; done
check "logs -f and events -f end when prodd goes away" \
	bash -c "! kill -0 $fpid 2>/dev/null && ! kill -0 $epid 2>/dev/null"
wait "$fpid" 2>/dev/null
frc=$?
wait "$epid" 2>/dev/null
erc=$?
check "logs -f: the service's exit is its last line ($(tail -n 1 "$T/follow2"))" \
	grep -Eq ' stderr pid [0-9]+ (killed by signal|exited with code)' <<<"$(tail -n 1 "$T/follow2")"
check "logs -f: a clean end, exit 0 (got $frc)" test "$frc" -eq 0
check "events -f: talker's stop is in the last events" grep -q ' talker stopping -> stopped' "$T/evf2"
check "events -f: a clean end, exit 0 (got $erc)" test "$erc" -eq 0
cat "$T/follow2.err" "$T/evf2.err" >>"$T/allerr"
pc status
check "after prodd stopped: exit 3, one line" bash -c "[ $RC -eq 3 ] && [ \$(wc -l <'$T/err') -eq 1 ]"
pc version
check "version after prodd stopped: exit 0" rc_is 0

check "no sanitizer report from any prodctl run" \
	bash -c "! grep -Eq 'Sanitizer|runtime error' '$T/allerr'"
[ "$prc" -eq 0 ] || grep -Ev '"level":"(info|debug)"' "$PLOG" | tail -n 5
kill_bg
cleanup

# ---- a peer that speaks another API version is refused ----------------
# (a test fixture on a Unix socket playing a future prodd: the check under
# test is prodctl's own)
new_env
mkdir -p "$T"
timeout 30 python3 - "$T/future.sock" <<'PY' &
import json, os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX)
s.bind(path); s.listen(4)
open(path + ".ready", "w").close()
for _ in range(4):
    c, _ = s.accept()
    c.recv(65536)
    body = json.dumps({"status": "healthy", "version": "9.0.0", "api_version": 2}).encode()
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
              + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    c.close()
PY
fut=$!
wait_for 10 test -f "$T/future.sock.ready"
timeout 30 "$PRODCTL" --socket "$T/future.sock" status >"$T/out" 2>"$T/err"
RC=$?
check "another API version: exit 1" test "$RC" -eq 1
check "and it says which, in one line" \
	bash -c "[ \$(wc -l <'$T/err') -eq 1 ] && grep -q 'speaks API 2; this prodctl 0.1.0 speaks API 1' '$T/err'"
kill $fut 2>/dev/null
wait $fut 2>/dev/null
cleanup
finish
