#!/usr/bin/env bash
# prodctl top against a real prodd: usage errors (exit 2: a bad -d or -n,
# --json), no prodd (exit 3, one line), -n N refreshes (the header line of
# prodd's figures, then the table with the CPU burner first, a blank line;
# no escape sequence on a pipe), the refresh period, Ctrl-C and SIGTERM
# (exit 0 at once), a pseudo-terminal (clear, cursor hidden then shown
# again last, also after Ctrl-C; the table cut to the height with "… N
# more"), and prodd going away under it (exit 3, one line). Every prodctl
# run is bounded; under ASan/UBSan its stderr must stay clean.
set -u
. "$(dirname "$0")/lib.sh"
trap 'kill_bg; cleanup' EXIT
VG=""
PRODCTL=$(cd "$BUILD" && pwd)/prodctl

# pc ARGS...: prodctl top's socket, into $T/out and $T/err, status in RC
pc() {
	timeout -k 5 60 "$PRODCTL" --socket "$STATE/prodd.sock" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	cat "$T/err" >>"$T/allerr"
}
rc_is() { [ "$RC" -eq "$1" ]; }
nlines() { wc -l <"$1" | tr -d ' '; }
one_line_err() { [ "$(nlines "$T/err")" -eq 1 ]; }
# refreshed N FILE: top has drawn N times into FILE
refreshed() { [ "$(grep -c '^prodd: ' "$2")" -ge "$1" ]; }
has_child() { pgrep -P "$1" >/dev/null; }
usage_err() { [ "$RC" -eq 2 ] && grep -q '^usage: prodctl top' "$T/err"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# burner_cpu: the burner's cpu_percent from prodd, or "null"
burner_cpu() {
	timeout 30 "$PRODCTL" --socket "$STATE/prodd.sock" status --json burner 2>/dev/null |
		python3 -c "import json,sys; m=json.load(sys.stdin)['metrics']; print('null' if m is None else m['cpu_percent'])" 2>/dev/null
}
burner_busy() {
	local v
	v=$(burner_cpu)
	[ -n "$v" ] && [ "$v" != null ] && python3 -c "import sys; sys.exit(not ($v > 10))"
}
# wait_gone SECONDS PID: until the process has ended (bounded)
wait_gone() {
	local n=$(( $1 * 20 ))
	for _ in $(seq 1 "$n"); do kill -0 "$2" 2>/dev/null || return 0; sleep 0.05; done
	! kill -0 "$2" 2>/dev/null
}
# the hide-cursor sequence occurs, and a show-cursor comes after the last one
cursor_restored() {
	python3 - "$1" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
hide, show = d.rfind(b"\x1b[?25l"), d.rfind(b"\x1b[?25h")
sys.exit(0 if hide >= 0 and show > hide else 1)
PY
}

new_env
: >"$T/allerr"
p1=$(free_port)
write_config <<YAML
  - name: alpha
    command: sleep 1000
    ready_after: 100ms
  - name: burner
    command: $DEMO --port $p1 --cpu-burn 50
    ready_after: 100ms
  - name: gamma
    command: sleep 1000
    ready_after: 100ms
  - name: delta
    command: sleep 1000
    ready_after: 100ms
YAML

# ---- usage (exit 2), without any prodd ------------------------------------
pc top -d x
check "top -d x: exit 2 with top's usage" usage_err
check "top -d x: says what is wrong" grep -q "bad --delay 'x'" "$T/err"
pc top -d 0.05
check "top -d 0.05 (under the 0.1 minimum): exit 2" usage_err
pc top --delay=-1
check "top --delay=-1: exit 2" usage_err
pc top -n 0
check "top -n 0: exit 2" usage_err
pc top -n two
check "top -n two: exit 2" usage_err
pc top --json
check "top --json: exit 2, pointing at status --json" \
	bash -c "[ $RC -eq 2 ] && grep -q 'status --json' '$T/err'"
pc --json top
check "--json top: exit 2 too" rc_is 2
pc top rag
check "top NAME: exit 2" usage_err
pc top --frob
check "top --frob: exit 2" usage_err
check "usage errors print nothing on stdout" test ! -s "$T/out"

# ---- prodd not reachable (exit 3, one line) --------------------------------
pc top -n 1
check "no prodd: top exits 3" rc_is 3
check "no prodd: exactly one line on stderr" one_line_err
check "no prodd: the line says why" \
	test "$(cat "$T/err")" = "prodctl: cannot reach prodd at $STATE/prodd.sock: No such file or directory — is prodd running?"
check "no prodd: nothing on stdout" test ! -s "$T/out"

# ---- a running prodd ----------------------------------------------------------
start_prodd
wait_event 15 kind=state service=delta to=running
wait_event 15 kind=state service=burner to=running
# metrics come about 1 s after the start; the burner's CPU a sample later
wait_for 15 burner_busy
check "prodd sampled the burner (cpu $(burner_cpu))" burner_busy

pc top -n 2
check "top -n 2: exit 0" rc_is 0
check "top -n 2: two header lines" test "$(grep -c '^prodd: ' "$T/out")" -eq 2
check "top -n 2: the header line ($(head -n 1 "$T/out"))" \
	grep -Eq '^prodd: 4/4 running, 4 healthy · prodd [0-9.]+[BKMG], [0-9.]+% CPU · [0-9]{2}:[0-9]{2}:[0-9]{2}$' "$T/out"
check "top -n 2: the table's head" \
	test "$(grep -c '^NAME  *STATE  *PID  *CPU  *MEM  *PROCS  *THREADS  *FDS  *READ/s  *WRITE/s  *HEALTH$' "$T/out")" -eq 2
check "top -n 2: the burner is the first row of each table" \
	test "$(grep -A1 '^NAME ' "$T/out" | grep -v '^NAME ' | grep -v '^--' | awk '{ print $1 }' | tr '\n' ' ')" = "burner burner "
check "top -n 2: each table has every service, then a blank line" \
	test "$(awk 'BEGIN { RS = ""; FS = "\n" } { print NF }' "$T/out" | tr '\n' ' ')" = "6 6 "
check "top -n 2: a row with its figures" \
	grep -Eq '^burner +running +[0-9]+ +[0-9.]+% +[0-9.]+[BKMG] +1 +[0-9]+ +[0-9]+ +[0-9.]+[BKMG] +[0-9.]+[BKMG] +-$' "$T/out"
check "top -n 2 on a pipe: no escape sequence at all" bash -c "! grep -q $'\e' '$T/out'"
check "top -n 2: nothing on stderr" test ! -s "$T/err"

t0=$(now_ms)
pc top -d 0.2 -n 3
el=$(( $(now_ms) - t0 ))
check "top -d 0.2 -n 3: exit 0, three refreshes" \
	bash -c "[ $RC -eq 0 ] && [ \$(grep -c '^prodd: ' '$T/out') -eq 3 ]"
check "top -d 0.2 -n 3: takes 0.4-2 s (${el} ms)" bash -c "[ $el -ge 380 ] && [ $el -le 2000 ]"

# ---- Ctrl-C and SIGTERM: exit 0 at once ---------------------------------------
for sig in INT TERM; do
	: >"$T/bg.out"	# the wait below must not read the last run's lines
	"$PRODCTL" --socket "$STATE/prodd.sock" top -d 0.2 >"$T/bg.out" 2>"$T/bg.err" &
	bpid=$!
	BG="$BG $bpid"
	wait_for 5 refreshed 3 "$T/bg.out"
	t0=$(now_ms)
	kill -"$sig" "$bpid"
	if wait_gone 1 "$bpid"; then
		el=$(( $(now_ms) - t0 ))
		wait "$bpid"
		brc=$?
		check "SIG$sig: top ends within 1 s (${el} ms) with exit 0 (got $brc)" test "$brc" -eq 0
	else
		not_ok "SIG$sig: top ends within 1 s (still running)"
		kill -KILL "$bpid" 2>/dev/null
		wait "$bpid" 2>/dev/null
	fi
	check "SIG$sig: it had refreshed a few times ($(grep -c '^prodd: ' "$T/bg.out"))" \
		test "$(grep -c '^prodd: ' "$T/bg.out")" -ge 3
	cat "$T/bg.err" >>"$T/allerr"
done

# ---- on a terminal (a pseudo-terminal from script(1)) -------------------------
if command -v script >/dev/null; then
	script -qc "stty rows 40 cols 150; '$PRODCTL' --socket '$STATE/prodd.sock' top -d 0.2 -n 2" /dev/null \
		>"$T/tty" 2>&1 </dev/null
	check "terminal: the cursor is hidden, and shown again after the last hide" cursor_restored "$T/tty"
	check "terminal: each refresh clears the screen and homes the cursor" \
		test "$(grep -o $'\e\\[H\e\\[2J' "$T/tty" | wc -l)" -eq 2
	check "terminal: the burner first, running in green" \
		grep -q $'^burner  *\e\\[32mrunning' "$T/tty"

	script -qc "stty rows 6 cols 150; '$PRODCTL' --socket '$STATE/prodd.sock' top -n 1" /dev/null \
		>"$T/tty" 2>&1 </dev/null
	tr -d '\r' <"$T/tty" | sed $'s/\e\\[[0-9;?]*[a-zA-Z]//g' >"$T/tty.txt"
	check "terminal of 6 rows: header, head, 2 services, '… 2 more'" \
		test "$(grep -c . "$T/tty.txt") $(sed -n 3p "$T/tty.txt" | awk '{ print $1 }') $(grep -c '^… 2 more$' "$T/tty.txt")" = "5 burner 1"

	# Ctrl-C on a terminal: the cursor comes back
	: >"$T/tty"
	script -qc "stty rows 40 cols 150; exec '$PRODCTL' --socket '$STATE/prodd.sock' top -d 0.2" /dev/null \
		>"$T/tty" 2>&1 </dev/null &
	spid=$!
	BG="$BG $spid"
	wait_for 5 grep -q 'prodd: ' "$T/tty"
	wait_for 5 has_child "$spid"
	tpid=$(pgrep -P "$spid" | head -n 1)
	check "terminal: top runs under script ($tpid)" test -n "$tpid"
	[ -n "$tpid" ] && kill -INT "$tpid"
	wait_gone 2 "$spid" || kill -KILL "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	check "terminal, Ctrl-C: the cursor is shown again" cursor_restored "$T/tty"
else
	echo "# script(1) not found: terminal checks skipped"
fi

# ---- prodd goes away under top: exit 3, one line ------------------------------
"$PRODCTL" --socket "$STATE/prodd.sock" top -d 0.2 >"$T/gone.out" 2>"$T/gone.err" &
gpid=$!
BG="$BG $gpid"
if command -v script >/dev/null; then
	script -qc "exec '$PRODCTL' --socket '$STATE/prodd.sock' top -d 0.2" /dev/null \
		>"$T/gone.tty" 2>&1 </dev/null &
	gspid=$!
	BG="$BG $gspid"
fi
wait_for 5 grep -q '^prodd: ' "$T/gone.out"
[ -n "${gspid:-}" ] && wait_for 5 grep -q 'prodd: ' "$T/gone.tty"
stop_prodd
prc=$?
check "prodd exits 0 (got $prc)" test $prc -eq 0
if wait_gone 10 "$gpid"; then
	wait "$gpid"
	grc=$?
	check "prodd gone: top exits 3 (got $grc)" test "$grc" -eq 3
	check "prodd gone: one line on stderr ($(head -n 1 "$T/gone.err"))" \
		bash -c "[ \$(wc -l <'$T/gone.err') -eq 1 ] && grep -q '^prodctl: cannot reach prodd at $STATE/prodd.sock: ' '$T/gone.err'"
else
	not_ok "prodd gone: top ends (still running 10 s later)"
fi
cat "$T/gone.err" >>"$T/allerr"
if [ -n "${gspid:-}" ]; then
	wait_gone 10 "$gspid" || kill -KILL "$gspid" 2>/dev/null
	wait "$gspid" 2>/dev/null
	check "prodd gone, on a terminal: the cursor is shown again" cursor_restored "$T/gone.tty"
	check "prodd gone, on a terminal: the one line, on a line of its own" \
		grep -Eq $'^prodctl: cannot reach prodd at .*\r?$' "$T/gone.tty"
fi

check "no sanitizer report from any prodctl run" \
	bash -c "! grep -Eq 'Sanitizer|runtime error' '$T/allerr'"
kill_bg
cleanup
finish
