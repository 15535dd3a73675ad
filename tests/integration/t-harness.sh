#!/usr/bin/env bash
# The harness itself (lib.sh), so that the other scripts can fail: a wait
# that times out is a failed check where it stands, and the checks after it
# still run; poll and stays are bounded and quiet; events and wait_event
# read prodd's log through one follower, in the flat format every script
# uses, and the follower never outlives its script; a prodd whose loop
# closes with handles open (exit 70, "loop closed with" in its log) fails
# the script that ran it, whether stop_prodd or the final cleanup finds it.
# Each case is a small script of its own, run against a stand-in prodd that
# logs two events and ends as it is told (FAKE_END).
set -u
. "$(dirname "$0")/lib.sh"
H=$(mktemp -d /tmp/prodd-harness.XXXXXX)
trap 'rm -rf "$H"' EXIT
mkdir -p "$H/build"

cat >"$H/build/prodd" <<'SH'
#!/usr/bin/env bash
# A stand-in prodd: two JSON events on stderr as prodd logs them, then it
# ends as FAKE_END says: clean (exit 0 at SIGTERM), leak70 (at SIGTERM,
# the open-handles line and exit 70), leak0 (the line, exit 0), die70 (the
# line and exit 70 at once).
ts=2026-01-02T03:04:05.678Z
ev() {	# SEQ KIND TO REASON
	printf '{"timestamp":"%s","level":"info","service":"one","message":"%s","metadata":{"seq":%d,"ts":"%s","kind":"%s","service":"one","from":%s,"to":%s,"reason":"%s","pid":%d,"exit_code":null}}\n' \
		"$ts" "$4" "$1" "$ts" "$2" "$([ "$2" = state ] && echo '"starting"' || echo null)" \
		"$([ "$3" = - ] && echo null || echo "\"$3\"")" "$4" "$$" >&2
}
leaked() {
	printf '{"timestamp":"%s","level":"error","service":null,"message":"loop closed with 2 open handles: timer, idle","metadata":{}}\n' "$ts" >&2
}
ev 1 spawn - "spawned as pid $$"
echo "not JSON: a line prodd's log may hold too" >&2
ev 2 state running "alive for 100 ms"
case ${FAKE_END:-clean} in
clean) trap 'exit 0' TERM ;;
leak70) trap 'leaked; exit 70' TERM ;;
leak0) trap 'leaked; exit 0' TERM ;;
die70) leaked; exit 70 ;;
esac
while :; do sleep 0.05; done
SH
chmod +x "$H/build/prodd"

# case NAME: runs the script on stdin (after lib.sh, with cleanup at its
# exit) against the stand-in; its output in $H/NAME.out, its status in RC
case_run() {
	{
		echo "set -u"
		echo ". '$LIBDIR/lib.sh'"
		echo "trap cleanup EXIT"
		cat
	} >"$H/$1.sh"
	# (a script killed by a signal is no news here: no "Killed" line)
	# (the stand-in is a shell script: never under valgrind)
	{ BUILD=$H/build PRODD_TEST_PORTS=$PORT_BASE VALGRIND="" timeout 60 bash "$H/$1.sh" >"$H/$1.out" 2>&1; RC=$?; } 2>/dev/null
}
# out NAME: the case's output
out() { cat "$H/$1.out"; }
last_line() { tail -n 1 "$H/$1.out"; }
has() { grep -qxF -- "$2" "$H/$1.out"; }
followers_of() { pgrep -f "prodlog.py follow $1" >/dev/null; }

# ---- waits ----------------------------------------------------------------
case_run wait <<'SH'
t0=$(date +%s%N)
wait_for 1 false
echo "# waited $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "a check after the wait" true
finish
SH
check "a wait that times out: 'not ok - timed out after 1s waiting for: false'" \
	has wait "not ok - timed out after 1s waiting for: false"
check "it is counted: '1 passed, 1 failed', exit 1 ($RC)" \
	test "$(last_line wait) $RC" = "1 passed, 1 failed 1"
check "the wait lasted its bound, no more ($(grep -o '[0-9]* ms' "$H/wait.out"))" \
	awk '/^# waited/ { exit !($3 >= 950 && $3 < 3000) }' "$H/wait.out"

case_run quiet <<'SH'
poll 0.3 false && echo "poll: came" || echo "poll: did not come"
n=0; more() { n=$((n + 1)); [ "$n" -lt 4 ]; }
poll 5 bash -c 'exit 0' && echo "poll: came at once"
stays 0.3 true && echo "stays: held"
stays 10 more || echo "stays: broke at $n"
(nap 0.3; : >"$BUILD/came") &
wait_for 5 test -e "$BUILD/came"
finish
SH
check "poll: quiet and bounded; stays: held for its time, broke at once" \
	test "$(grep -E '^(poll|stays)' "$H/quiet.out" | tr '\n' '|')" = "poll: did not come|poll: came at once|stays: held|stays: broke at 4|"
check "waits that come are no checks: '0 passed, 0 failed', exit 0 ($RC)" \
	test "$(last_line quiet) $RC" = "0 passed, 0 failed 0"

# ---- the log follower, events and wait_event ------------------------------
case_run events <<'SH'
new_env
echo "dir: $T"
write_config </dev/null
start_prodd
wait_event 10 kind=state service=one to=running
echo "spawn: $(events kind=spawn service=one)"
echo "all: $(events | wc -l)"
echo "reason: $(events 'reason~=alive for' | awk '{ print $5 }')"
echo "follower: ${FOLLOWER[$PLOG]}"
wait_event 1 kind=state service=one to=failed
stop_prodd
echo "status: $?"
echo "after stop: $(events kind=state | awk '{ print $4, $10 }')"
cleanup
finish
SH
fpid=$(sed -n 's/^follower: //p' "$H/events.out")
check "events: the flat record, 'kind service from to reason pid exit_code signal delay_ms seq ts'" \
	grep -Eq '^spawn: spawn one - - spawned_as_pid_[0-9]+ [0-9]+ - - - 1 2026-01-02T03:04:05.678Z$' "$H/events.out"
check "events: JSON events only, filters on the reason" \
	bash -c "grep -qx 'all: 2' '$H/events.out' && grep -qx 'reason: alive_for_100_ms' '$H/events.out'"
check "wait_event that times out: not ok, naming the event" \
	has events "not ok - timed out after 1s waiting for: event kind=state service=one to=failed"
check "and the script fails (exit $RC: $(last_line events))" \
	test "$(last_line events) $RC" = "0 passed, 1 failed 1"
check "events after stop_prodd still read the whole log" has events "after stop: running 2"
check "the follower ($fpid) ended with its prodd" bash -c "[ -n '$fpid' ] && ! kill -0 '$fpid' 2>/dev/null"

# a script killed outright: its follower ends on its own
case_run orphan <<'SH'
new_env
echo "dir: $T"
write_config </dev/null
start_prodd
wait_event 10 kind=state service=one to=running
echo "prodd: $PRODD_PID"
echo "follower: ${FOLLOWER[$PLOG]}"
kill -KILL $$
SH
fpid=$(sed -n 's/^follower: //p' "$H/orphan.out")
ppid_=$(sed -n 's/^prodd: //p' "$H/orphan.out")
check "a script killed by SIGKILL: its follower ($fpid) ends within 2 s" \
	poll 2 bash -c "[ -n '$fpid' ] && ! kill -0 '$fpid' 2>/dev/null"
[ -n "$ppid_" ] && kill -KILL "$ppid_" 2>/dev/null
odir=$(sed -n 's/^dir: //p' "$H/orphan.out")
[ -n "$odir" ] && rm -rf "$odir"

# ---- a loop that closes with handles open ---------------------------------
case_run leak70 <<'SH'
new_env
echo "dir: $T"
write_config </dev/null
FAKE_END=leak70 start_prodd
wait_event 10 kind=state service=one to=running
stop_prodd
echo "status: $?"
check "a check after it" true
cleanup
finish
SH
check "prodd exits 70 at stop_prodd: a failed check naming the handles" \
	has leak70 "not ok - prodd.log: exit 70, loop closed with 2 open handles: timer, idle"
check "counted once: '1 passed, 1 failed', exit 1 ($RC)" \
	test "$(last_line leak70) $RC" = "1 passed, 1 failed 1"

case_run leak0 <<'SH'
new_env
echo "dir: $T"
write_config </dev/null
FAKE_END=leak0 start_prodd
wait_event 10 kind=state service=one to=running
stop_prodd
echo "status: $?"
cleanup
finish
SH
check "exit 0 but 'loop closed with' in the log: a failed check (exit $RC)" \
	bash -c "grep -qx 'not ok - prodd.log: loop closed with 2 open handles: timer, idle' '$H/leak0.out' && [ '$(last_line leak0) $RC' = '0 passed, 1 failed 1' ]"

case_run late <<'SH'
new_env
echo "dir: $T"
write_config </dev/null
FAKE_END=die70 start_prodd
wait_event 10 kind=state service=one to=running
check "a check that passes" true
finish
SH
check "a prodd that ended by itself, found by the cleanup after finish: not ok" \
	has late "not ok - prodd.log: loop closed with 2 open handles: timer, idle"
check "and the closing line again, counted, exit 1 ($RC: $(last_line late))" \
	test "$(last_line late) $RC" = "1 passed, 1 failed 1"

case_run clean <<'SH'
new_env
echo "dir: $T"
write_config </dev/null
start_prodd
wait_event 10 kind=state service=one to=running
stop_prodd
check "stop_prodd: exit 0" test $? -eq 0
cleanup
finish
SH
check "a prodd that ends cleanly: no failure (exit $RC: $(last_line clean))" \
	test "$(last_line clean) $RC" = "1 passed, 0 failed 0"
dirs=$(cat "$H"/*.out | sed -n 's/^dir: //p' | sort -u | paste -sd '|')
check "no follower of any case is left (of ${dirs//|/ })" \
	bash -c "[ -n '$dirs' ] && ! pgrep -f 'prodlog.py follow ($dirs)/' >/dev/null"
finish
