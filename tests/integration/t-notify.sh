#!/usr/bin/env bash
# Readiness from the services themselves (notify: true, the sd_notify
# protocol), black-box: a notify service's dependents wait for its READY=1;
# its STATUS= text is in the API within 1 s; a live process outside the
# service can neither make it ready nor change its status (dropped and
# counted) while the service's own READY=1 is accepted; ERRNO= goes into
# last_exit; MAINPID= naming a
# process outside the session is ignored, one inside is shown; a missed
# watchdog restarts the service ("watchdog timeout"), WATCHDOG=trigger too;
# start_timeout stops a service that never gets ready, and
# EXTEND_TIMEOUT_USEC extends it; systemd-notify --ready (which waits on a
# BARRIER=1) works from a shell service as root and as a user: service,
# whose socket it owns, mode 0600. One prodd runs them all, side by side.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT

need systemd-notify "the notify tests" || { finish; exit $?; }

api() { curl -s -m 10 --unix-socket "${SOCK:-$STATE/prodd.sock}" "http://localhost$1"; }
# svc NAME EXPR: a python expression on the service's JSON as "j"
svc() { api "/api/services/$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)" 2>/dev/null; }
state_is() { [ "$(svc "$1" 'j["state"]')" = "$2" ]; }
status_is() { [ "$(svc "$1" 'j["status_text"]')" = "$2" ]; }
status_like() { [[ "$(svc "$1" 'j["status_text"]')" =~ $2 ]]; }
spawns() { events kind=spawn service="$1" | wc -l; }
spawned() { [ "$(spawns "$1")" -ge 1 ]; }
not_spawned() { ! spawned "$1"; }
respawned() { [ "$(spawns "$1")" -ge 2 ]; }

new_env
# nobody must reach its socket through the test directory
chmod 755 "$T"
G=$T/go		# files that tell the shell services to go on
mkdir -p "$G"
chmod 777 "$G"
# until FILE: a shell loop waiting for the test to create FILE
until_f() { echo "while [ ! -e $G/$1 ]; do sleep 0.02; done"; }
OUT_PID=$$	# a live process outside every service: this script
write_config <<YAML
  - name: model
    notify: true
    command: $DEMO --port $(free_port) --notify --start-delay 4
  - name: api
    command: sleep 1000
    depends_on: { model: { condition: healthy } }
    ready_after: 0s
  - name: phases
    notify: true
    shell: true
    command: "systemd-notify --status=one; $(until_f two); systemd-notify --status=two; systemd-notify --ready; exec sleep 1000"
  - name: guarded
    notify: true
    shell: true
    command: "$(until_f own); systemd-notify --ready --status=mine; exec sleep 1000"
  - name: mainpid-out
    notify: true
    shell: true
    command: "systemd-notify MAINPID=$OUT_PID; systemd-notify --ready; exec sleep 1000"
  - name: mainpid-in
    notify: true
    shell: true
    command: "sleep 1000 & systemd-notify MAINPID=\$! --ready; wait"
  - name: dog
    notify: true
    watchdog: 1s
    restart_delay: 100ms
    command: $DEMO --port $(free_port) --notify --start-delay 0.2 --watchdog-every 0.2 --stop-watchdog-after 0.6
  - name: trigger
    notify: true
    watchdog: 30s
    restart: never
    shell: true
    command: "systemd-notify --ready; $(until_f trigger); systemd-notify WATCHDOG=trigger; exec sleep 1000"
  - name: slow
    notify: true
    start_timeout: 1s
    restart: never
    command: sleep 1000
  - name: extended
    notify: true
    start_timeout: 1s
    restart: never
    shell: true
    command: "systemd-notify EXTEND_TIMEOUT_USEC=4000000; sleep 1.8; systemd-notify --ready; exec sleep 1000"
  - name: wsstat
    notify: true
    shell: true
    command: "systemd-notify --ready; $(until_f ws); systemd-notify --status=ws-seen; exec sleep 1000"
  - name: errno
    notify: true
    restart: never
    shell: true
    command: "systemd-notify --ready ERRNO=5; $(until_f errno); exit 1"
  - name: as-root
    notify: true
    shell: true
    command: "systemd-notify --ready --status=root-ok; echo notify-rc=\$?; exec sleep 1000"
  - name: as-nobody
    notify: true
    user: nobody
    shell: true
    command: "systemd-notify --ready --status=nobody-ok; echo notify-rc=\$?; exec sleep 1000"
YAML
start_prodd
wait_event 10 kind=spawn service=model

# ---- dependents wait for READY=1 ----------------------------------------
# (its STATUS= goes 0 %, 25 %, ... over the 4 s: a loaded machine's
# polls may see any of them)
check "a notify service is starting while it loads, its status shown" \
	poll 3 status_like model "^loading model [0-9]+ %$"
check "its dependent is not spawned before READY=1" stays 1 not_spawned api
wait_event 10 kind=state service=model to=running reason~="READY=1"
check "the dependent is spawned after READY=1" poll 5 spawned api
check "the status text follows: serving" poll 2 status_is model serving

# ---- STATUS within 1 s --------------------------------------------------
check "phases says its first status" poll 5 status_is phases one
check "phases is starting before READY=1" state_is phases starting
touch "$G/two"
check "a new STATUS= is in the API within 1 s" poll 1 status_is phases two
check "READY=1 after it makes it running" poll 3 state_is phases running

# ---- STATUS on /ws and in prodctl status -----------------------------------
check "wsstat is running" poll 5 state_is wsstat running
out=$(WS_UNIX=$STATE/prodd.sock GO=$G/ws LIBDIR=$LIBDIR timeout 20 python3 - <<'PY'
import os, sys, time
sys.path.insert(0, os.environ["LIBDIR"])
from wsclient import WS
ws = WS()
ws.recv()					# the snapshot
open(os.environ["GO"], "w").close()
t0 = time.monotonic()
m = ws.recv_until(lambda m: m.get("type") == "metrics" and
    m.get("status_text", {}).get("wsstat") == "ws-seen", 10)
print("%.2f" % (time.monotonic() - t0))
PY
)
# the texts ride on the metrics messages, one each sample_interval (1 s
# here): the bound is that interval, plus the service's own polling
check "a STATUS= reaches /ws clients within a sample interval (${out:-none} s)" \
	awk -v t="${out:-99}" 'BEGIN { exit !(t < 1.5) }'
"$BUILD/prodctl" --socket "$STATE/prodd.sock" status >"$T/ctl" 2>&1
check "prodctl status shows a running service's STATUS= text" \
	grep -Eq '^as-root +running .*root-ok' "$T/ctl"

# ---- a foreign process ----------------------------------------------------
sock=$(svc guarded 'j["pid"]')
sock=$(tr '\0' '\n' <"/proc/$sock/environ" | sed -n 's/^NOTIFY_SOCKET=//p')
check "guarded has a NOTIFY_SOCKET path in state_dir" \
	test "${sock%/*}" = "$STATE/n"
NOTIFY_SOCKET=$sock timeout 5 systemd-notify --ready --status=evil
check "a foreign READY=1 does not return (barrier) late" test $? -eq 0
NOTIFY_SOCKET=$sock timeout 5 systemd-notify --pid=$OUT_PID --status=evil2
check "a foreign process cannot make it ready" stays 1 state_is guarded starting
check "nor set its status" test "$(svc guarded 'j["status_text"]')" = None
check "the foreign datagrams are counted" \
	test "$(svc guarded 'j["notify"]["dropped"] >= 2')" = True
check "and in /metrics" poll 2 eval "api /metrics | grep -q '^prodd_service_notify_dropped_total{service=\"guarded\"} [2-9]'"
touch "$G/own"
check "the service's own READY=1 is accepted" poll 3 state_is guarded running
check "with its own status" status_is guarded mine

# ---- MAINPID ------------------------------------------------------------
check "MAINPID outside the session: ready anyway" poll 3 state_is mainpid-out running
check "MAINPID outside the session is ignored" \
	test "$(svc mainpid-out 'j["notify"]["main_pid"]')" = None
check "MAINPID inside the session is shown" poll 3 eval \
	'[ "$(svc mainpid-in "j[\"notify\"][\"main_pid\"] not in (None, j[\"pid\"])")" = True ]'

# ---- watchdog -----------------------------------------------------------
wait_event 10 kind=state service=dog to=stopping reason~="watchdog timeout"
check "a missed watchdog restarts it" poll 5 respawned dog
check "counted as a watchdog restart" poll 2 eval \
	"api /metrics | grep -q '^prodd_service_restarts_total{service=\"dog\",reason=\"watchdog\"} [1-9]'"
check "trigger is running" poll 3 state_is trigger running
touch "$G/trigger"
wait_event 5 kind=state service=trigger to=stopping reason~="WATCHDOG=trigger"
check "WATCHDOG=trigger stops it (restart: never: failed)" poll 5 state_is trigger failed

# ---- start_timeout --------------------------------------------------------
wait_event 5 kind=state service=slow to=stopping reason~="start_timeout"
check "not ready within start_timeout: failed (restart: never)" poll 5 state_is slow failed
check "the reason says so" eval '[[ "$(svc slow "j[\"reason\"]")" == *"start_timeout"* ]]'
check "EXTEND_TIMEOUT_USEC extends start_timeout" poll 4 state_is extended running
check "extended was never stopped" test "$(events service=extended to=stopping | wc -l)" -eq 0

# ---- ERRNO --------------------------------------------------------------
check "errno is running" poll 3 state_is errno running
check "ERRNO= is shown while it runs" test "$(svc errno 'j["notify"]["errno"]')" = 5
touch "$G/errno"
check "errno has exited (restart: never)" poll 3 state_is errno failed
check "ERRNO= goes into last_exit" test "$(svc errno 'j["last_exit"]["errno"]')" = 5

# ---- systemd-notify as root and as nobody ---------------------------------
check "systemd-notify --ready as root" poll 3 state_is as-root running
check "its status" status_is as-root root-ok
check "as root, systemd-notify exits 0 (barrier honoured)" \
	poll 3 grep -q 'notify-rc=0' "$LOGS/as-root.log"
check "systemd-notify --ready as a user: service (nobody)" poll 3 state_is as-nobody running
check "its status" status_is as-nobody nobody-ok
check "as nobody, systemd-notify exits 0" poll 3 grep -q 'notify-rc=0' "$LOGS/as-nobody.log"
p=$(svc as-nobody 'j["pid"]')
s=$(tr '\0' '\n' <"/proc/$p/environ" | sed -n 's/^NOTIFY_SOCKET=//p')
check "nobody's socket is owned by nobody, mode 0600" \
	test "$(stat -c '%U %a %F' "$s")" = "nobody 600 socket"

check "prodd stops cleanly" stop_prodd
check "the sockets are removed at exit" test -z "$(ls -A "$STATE/n" 2>/dev/null)"

# ---- deep state_dirs: the name's hash, then /tmp ---------------------------
# deep DIRLEN: a prodd whose state_dir is DIRLEN bytes long (its control
# socket beside it), with one notify service; its socket's path in $sock
deep() {
	new_env
	STATE=$T/$(printf 'd%.0s' $(seq 1 $(($1 - ${#T} - 1))))
	SOCK=$T/c.sock
	write_config <<YAML
  - name: a-rather-long-service-name-for-the-path
    notify: true
    shell: true
    command: "systemd-notify --ready; exec sleep 1000"
YAML
	sed -i "s|^daemon:\$|daemon:\\n  control_socket: $SOCK|" "$T/s.yaml"
	start_prodd
	poll 5 state_is a-rather-long-service-name-for-the-path running
	sock=$(svc a-rather-long-service-name-for-the-path 'j["pid"]')
	sock=$(tr '\0' '\n' <"/proc/$sock/environ" 2>/dev/null | sed -n 's/^NOTIFY_SOCKET=//p')
}
deep 80
check "a deep state_dir: the name's hash in state_dir/n, and READY=1 works" \
	eval '[[ $sock =~ ^$STATE/n/[0-9a-f]{8}$ ]] && state_is a-rather-long-service-name-for-the-path running'
stop_prodd
cleanup
deep 110
check "deeper: a socket in /tmp, READY=1 works" \
	eval '[[ $sock =~ ^/tmp/prodd-notify-[0-9]+-[0-9a-f]{8}/[0-9a-f]{8}$ ]] && state_is a-rather-long-service-name-for-the-path running'
check "with a warning that says where" grep -q 'too deep for a socket path.*the notify socket is /tmp/prodd-notify-' "$PLOG"
fb=${sock%/*}
stop_prodd
rm -rf "$fb"
finish
