#!/usr/bin/env bash
# prodd in the environment its systemd unit gives it: with
# $STATE_DIRECTORY set (StateDirectory=prodd, /var/lib/prodd), the
# services stopped by hand are kept there, not in state_dir (/run/prodd,
# emptied at a reboot), so that they stay stopped when prodd starts again
# on an empty state_dir (SPEC §9).
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

new_env
write_config <<YAML
  - name: up
    command: sleep 300
    ready_after: 100ms
  - name: down
    command: sleep 300
    ready_after: 100ms
YAML
export STATE_DIRECTORY=$T/var-lib-prodd
mkdir -p "$STATE_DIRECTORY"
api() {	# METHOD PATH
	curl -s -m 5 --unix-socket "$STATE/prodd.sock" -X "$1" "http://localhost$2" >/dev/null
}
start_prodd
wait_event 10 kind=state service=down to=running
api POST /api/services/down/stop
wait_event 10 kind=state service=down to=stopped
stop_prodd
check "a stop by hand is recorded in \$STATE_DIRECTORY/stopped" \
	grep -qx down "$STATE_DIRECTORY/stopped"
check "and not in state_dir" test ! -e "$STATE/stopped"

# a reboot: /run/prodd is gone, /var/lib/prodd stays
rm -rf "$STATE"
PLOG=$T/prodd2.log
start_prodd
wait_event 10 kind=state service=up to=running
no_spawn() { [ -z "$(events kind=spawn service=down)" ]; }
check "after prodd starts on an empty state_dir, the service stays stopped (for 1.2 s)" \
	stays 1.2 no_spawn
api POST /api/services/down/start
wait_event 10 kind=state service=down to=running
check "until started by hand, which clears the record" \
	bash -c "! grep -qx down '$STATE_DIRECTORY/stopped'"
stop_prodd
finish
