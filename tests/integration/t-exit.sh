#!/usr/bin/env bash
# prodd's exit leaves nothing behind, black-box: a service whose shell
# forks background sleeps in subshells (orphans prodd adopts as
# subreaper, in the service's group) is running when prodd gets SIGTERM; prodd stops it, kills
# its group, and before it exits reaps the orphans that group kill
# ended: no process of the service's session is left, not even a zombie
# (init does not reap them here).
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

new_env
write_config <<YAML
  - name: storm
    command: "for j in 1 2 3 4 5 6; do (sleep 30 &); done; exec sleep 1000"
    shell: true
  - name: idle
    command: sleep 1000
YAML
start_prodd
wait_event 20 kind=state service=storm to=running
poll 10 eval '[ "$(ps -o pid= --ppid "$PRODD_PID" | wc -l)" -ge 8 ]' ||
	not_ok "the storm's six orphans and two services under prodd"

# the sessions of prodd's children (the services'), read before the stop
sessions=$(ps -o sid= --ppid "$PRODD_PID" | sort -u | tr -d ' ' | tr '\n' ' ')
check "the services run in their own sessions ($sessions)" test -n "$sessions"
stop_prodd
left_in_sessions() {
	local s n=0
	for s in $sessions; do
		n=$((n + $(ps -o pid= -s "$s" | wc -l)))
	done
	echo "$n"
}
check "after prodd's exit no process of the services' sessions is left, not even a zombie ($(left_in_sessions) left)" \
	eval '[ "$(left_in_sessions)" -eq 0 ]'
for s in $sessions; do pkill -KILL -s "$s" 2>/dev/null; done
finish
