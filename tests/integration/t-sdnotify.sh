#!/usr/bin/env bash
# prodd under a service manager, played by sdlisten.py. sd_notify: with a
# NOTIFY_SOCKET owned by the test and WATCHDOG_USEC=1000000, prodd sends,
# in order, READY=1 once its listener answers, STATUS= summaries that
# follow the services (a stop by prodctl changes it), WATCHDOG=1 every
# ~0.5 s, RELOADING=1 + MONOTONIC_USEC= then READY=1 around a SIGHUP (and
# an API reload), STOPPING=1 with EXTEND_TIMEOUT_USEC= renewed while a
# slow service stops; the services see none of prodd's systemd variables.
# The journal: with JOURNAL_STREAM naming prodd's stderr, its log goes as
# native entries to /run/systemd/journal/socket (bound by the test, only
# when no journald owns it) with the SPEC §9 fields, and nothing to
# stderr; a JOURNAL_STREAM that is not its stderr leaves it on JSON.
set -u
. "$(dirname "$0")/lib.sh"
SDL=$LIBDIR/sdlisten.py
JDIR=/run/systemd/journal
JSOCK=$JDIR/socket
MADE_JDIR=""
JLOCK_FD=""
LISTENERS=""
# end_listeners: the listeners asked to end, and waited for
end_listeners() {
	local p
	for p in $LISTENERS; do kill -TERM "$p" 2>/dev/null; done
	for p in $LISTENERS; do wait "$p" 2>/dev/null; done
	LISTENERS=""
}
end_all() {
	end_listeners
	if [ -n "$JLOCK_FD" ]; then
		[ -S "$JSOCK" ] && ! python3 "$SDL" probe "$JSOCK" && rm -f "$JSOCK"
		[ -n "$MADE_JDIR" ] && rmdir "$JDIR" 2>/dev/null
	fi
	cleanup
}
trap end_all EXIT
PRODCTL=$BUILD/prodctl

# listen MODE SOCK OUT [PORT]: a listener in the background, bound
listen() {
	python3 "$SDL" "$1" "$2" "$3" "$$" ${4:+"$4"} &
	LISTENERS="$LISTENERS $!"
	wait_for 10 grep -qsx bound "$3"
}
# first PATTERN: the line number of the first datagram matching it
first() { grep -n -m1 -E "$1" "$NOUT" | cut -d: -f1; }
pc() { timeout 30 "$PRODCTL" --socket "$STATE/prodd.sock" "$@" >/dev/null 2>&1; }

# ---- sd_notify -------------------------------------------------------------
new_env
NOUT=$T/notify.out
write_config <<YAML
  - name: a
    command: sleep 100
    ready_after: 200ms
  - name: b
    command: sleep 100
    ready_after: 200ms
  - name: envdump
    command: sh -c 'env > $T/envdump.txt; exec sleep 100'
    ready_after: 200ms
  - name: slow
    command: sh -c 'trap "sleep 1.5; exit 0" TERM; while :; do sleep 0.1; done'
    ready_after: 200ms
YAML
listen notify "$T/notify.sock" "$NOUT" "$PORT"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=1000000 JOURNAL_STREAM=1:1 \
	INVOCATION_ID=0123456789abcdef0123456789abcdef start_prodd
wait_for 10 grep -q 'READY=1' "$NOUT"
check "READY=1 once the listener answers ($(grep -m1 READY=1 "$NOUT" | cut -d' ' -f2-))" \
	grep -q -m1 'READY=1 listening=yes' "$NOUT"
check "the first datagram is READY=1" test "$(first '^[0-9.]+ ')" = "$(first 'READY=1')"
check "STATUS= then says the services are all up" \
	poll 10 grep -q 'STATUS=4/4 running, 4 healthy$' "$NOUT"
check "the services see no NOTIFY_SOCKET, WATCHDOG_*, JOURNAL_STREAM or INVOCATION_ID" \
	bash -c "[ -s '$T/envdump.txt' ] &&
	    ! grep -E '^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID|JOURNAL_STREAM|INVOCATION_ID)=' '$T/envdump.txt'"
pc stop a
check "prodctl stop a: STATUS= changes to 3/4 running" \
	poll 10 grep -q 'STATUS=3/4 running, 3 healthy$' "$NOUT"

# the watchdog: at half of WATCHDOG_USEC
poll 10 bash -c "[ \$(grep -c WATCHDOG=1 '$NOUT') -ge 6 ]"
read -r nwd mean worst < <(grep 'WATCHDOG=1' "$NOUT" | awk '
	NR > 1 { d = $1 - last; sum += d; if (d > worst) worst = d }
	{ last = $1 } END { printf "%d %.3f %.3f\n", NR, sum / (NR - 1), worst }')
check "WATCHDOG=1 every ~0.5 s for WATCHDOG_USEC=1000000 ($nwd pings, mean $mean s, longest $worst s)" \
	awk -v m="$mean" -v w="$worst" 'BEGIN { exit !(m >= 0.4 && m <= 0.65 && w < 1.0) }'

# reloads: RELOADING=1 with MONOTONIC_USEC, then READY=1 (the listener's
# stamp has 1 ms steps: it may read up to 1 ms before MONOTONIC_USEC)
kill -HUP "$PRODD_PID"
wait_for 10 grep -q 'RELOADING=1' "$NOUT"
line=$(grep -m1 'RELOADING=1' "$NOUT")
check "SIGHUP: RELOADING=1 with MONOTONIC_USEC= ($line)" \
	awk -v l="$line" 'BEGIN { split(l, f, /[ |]/); sub("MONOTONIC_USEC=", "", f[3])
	    d = f[1] - f[3] / 1e6; exit !(f[2] == "RELOADING=1" && d > -0.001 && d < 1) }'
check "then READY=1, the next datagram" \
	poll 10 bash -c "grep -A1 -m1 'RELOADING=1' '$NOUT' | tail -n 1 | grep -q ' READY=1'"
pc reload
check "an API reload too: RELOADING=1, then READY=1" \
	poll 10 bash -c "[ \$(grep -c 'RELOADING=1' '$NOUT') -eq 2 ] &&
	    grep -A1 'RELOADING=1' '$NOUT' | tail -n 1 | grep -q ' READY=1'"

# the reloads changed nothing: no STATUS= again
n=$(grep -c 'STATUS=' "$NOUT")
check "STATUS= only when its text changes ($n sent)" \
	test "$(grep 'STATUS=' "$NOUT" | cut -d' ' -f2- | uniq | wc -l)" -eq "$n"

# the shutdown: STOPPING=1, and the stop timeout extended while it runs
stop_prodd
check "SIGTERM: STOPPING=1 with EXTEND_TIMEOUT_USEC=" grep -q 'STOPPING=1|EXTEND_TIMEOUT_USEC=5000000' "$NOUT"
check "EXTEND_TIMEOUT_USEC= renewed while the slow service stops" \
	test "$(grep -c 'EXTEND_TIMEOUT_USEC=' "$NOUT")" -ge 2
check "STATUS= says it is shutting down" grep -q 'STATUS=shutting down: ' "$NOUT"
r1=$(first 'READY=1') s1=$(first 'STATUS=3/4') w1=$(first 'WATCHDOG=1')
rl=$(first 'RELOADING=1') st=$(first 'STOPPING=1')
check "in order: READY=1 ($r1) < STATUS= change ($s1), WATCHDOG=1 ($w1) < RELOADING=1 ($rl) < STOPPING=1 ($st)" \
	test "$r1" -lt "$s1" -a "$r1" -lt "$w1" -a "$s1" -lt "$rl" -a "$rl" -lt "$st"
end_listeners
cleanup

# ---- the journal -----------------------------------------------------------
# journald's socket path is fixed: this part runs only when nothing
# receives there, one script at a time (the lock)
exec {JLOCK_FD}>/tmp/prodd-test-journal.lock
if ! flock -w 60 "$JLOCK_FD"; then
	not_ok "the journal socket's lock: still taken after 60 s"
elif python3 "$SDL" probe "$JSOCK"; then
	echo "# skip the journal: a journald receives at $JSOCK"
elif ! { [ -d "$JDIR" ] || { mkdir -p "$JDIR" 2>/dev/null && MADE_JDIR=1; }; } ||
    [ ! -w "$JDIR" ]; then
	echo "# skip the journal: cannot bind in $JDIR (not root?)"
else
	new_env
	JOUT=$T/journal.out
	write_config <<YAML
  - name: bad
    command: sh -c 'exit 3'
    max_restarts: 0
  - name: good
    command: sleep 100
    ready_after: 100ms
YAML
	listen journal "$JSOCK" "$JOUT"
	: >"$PLOG"
	JOURNAL_STREAM=$(stat -c %d:%i "$PLOG") start_prodd
	wait_for 10 grep -q 'PRODD_SERVICE=bad.*PRODD_TO=failed' "$JOUT"
	wait_for 10 grep -q 'PRODD_SERVICE=good.*PRODD_TO=running' "$JOUT"
	ex=$(grep -m1 'PRODD_SERVICE=bad.*PRODD_EVENT=exit' "$JOUT")
	check "stderr is the journal: native entries, an exit with its fields ($ex)" \
		bash -c "f='	$ex	'; [[ \$f == *'	PRIORITY=6	'* && \$f == *'	PRODD_SERVICE=bad	'* &&
		    \$f == *'	PRODD_EVENT=exit	'* && \$f == *'	MESSAGE_ID=0c2c830998cb47a29fc852e75db5d614	'* &&
		    \$f == *'	PRODD_EXIT_STATUS=3	'* && \$f == *'	PRODD_PID='[0-9]* && \$f == *'	MESSAGE=pid '* ]]"
	check "a failed service: PRIORITY=3, the state event's MESSAGE_ID" \
		grep -q 'MESSAGE=.*PRIORITY=3.*PRODD_SERVICE=bad.*MESSAGE_ID=5e32fcc2ab824c58b8caa6448b938ec2.*PRODD_TO=failed' "$JOUT"
	check "prodd's own lines too, without PRODD_SERVICE" \
		grep -q 'MESSAGE=prodd .*services from.*SYSLOG_IDENTIFIER=prodd' "$JOUT"
	stop_prodd
	check "never both: nothing on stderr ($(wc -c <"$PLOG") bytes)" test ! -s "$PLOG"

	# JOURNAL_STREAM inherited from somewhere else: JSON on stderr
	cp "$JOUT" "$JOUT.before"
	JOURNAL_STREAM=$(stat -c %d:%i "$JOUT") start_prodd
	wait_event 10 kind=state service=good to=running
	stop_prodd
	check "a JOURNAL_STREAM that is not stderr: JSON lines on stderr" \
		grep -q '^{"timestamp":.*"message":"prodd .*services from' "$PLOG"
	check "and nothing to the journal" cmp -s "$JOUT" "$JOUT.before"

	# forced either way
	: >"$PLOG"
	JOURNAL_STREAM= start_prodd --log-format journal
	check "--log-format journal: entries with no JOURNAL_STREAM" \
		poll 10 bash -c "[ \$(grep -c 'MESSAGE=prodd .*services from' '$JOUT') -gt \$(grep -c 'MESSAGE=prodd .*services from' '$JOUT.before') ]"
	stop_prodd
	check "and nothing on stderr" test ! -s "$PLOG"
	end_listeners
fi
finish
