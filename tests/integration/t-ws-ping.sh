#!/usr/bin/env bash
# /ws keep-alive, black-box: two clients that send nothing for a minute
# and more; prodd pings both after 30 s of silence, closes the one that
# answers no ping with 1008 some 30 s after its ping, and keeps the one
# that answers. It mostly waits, so tests/run.sh starts it in a lane of
# its own (IDLE) beside everything else.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

new_env
write_config <<YAML
  - name: idle
    command: sleep 1000
YAML
start_prodd
wait_event 20 kind=state service=idle to=running
export WS_URL="ws://127.0.0.1:$PORT/ws"

check "an idle client is pinged after 30 s; one that never answers is closed with 1008 30 s later, one that answers stays" \
	timeout 120 python3 "$LIBDIR/wsclient.py" ping 100
check "prodd logged why it closed the mute client" \
	grep -q 'no pong in 30 s' "$T/prodd.log"
stop_prodd
finish
