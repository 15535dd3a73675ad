#!/usr/bin/env bash
# Surviving prodd's own death (kill -9, then a new prodd: every service runs
# exactly once), and reload on SIGHUP (a bad file changes nothing; a good
# one is applied as a diff).
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
VG=""

# How many live services (process group leaders) run the demo on port P
# (read with builtins: /proc holds many processes)
on_port() {
	local n=0 f st args
	local -a a
	for f in /proc/[0-9]*; do
		read -r st 2>/dev/null <"$f/stat" || continue
		st=${st##*) }
		read -ra a <<<"$st"
		[ "${a[0]}" != Z ] && [ "${a[2]}" = "${f#/proc/}" ] || continue
		mapfile -d '' a 2>/dev/null <"$f/cmdline" || continue
		args="${a[*]}"
		[[ $args =~ prodd-demo\ .*--port\ $1\ *$ ]] && n=$((n + 1))
	done
	echo $n
}
once_each() { [ "$(on_port $p1)$(on_port $p2)$(on_port $p3)" = 111 ]; }

# ---- kill -9 of prodd, then a new one ----
new_env
p1=$(free_port); p2=$(free_port); p3=$(free_port)
write_config <<YAML
  - name: a
    command: $DEMO --role search --port $p1
    ready_after: 100ms
  - name: b
    command: $DEMO --role rag --ignore-sigterm --port $p2
    dependencies: [a]
    stop_timeout: 1s
    ready_after: 100ms
  - name: c
    command: $DEMO --role analytics --spawn-grandchild --port $p3
    dependencies: [b]
    ready_after: 100ms
    restart_delay: 0
YAML
start_prodd
wait_event 15 kind=state service=c to=running
old_a=$(svc_pid a); old_b=$(svc_pid b); old_c=$(svc_pid c)
check "state_dir records each group" \
	test -f "$STATE/groups/a" -a -f "$STATE/groups/b" -a -f "$STATE/groups/c"
check "the record holds pgid, pid, start time and boot id" \
	grep -Eq "^$old_a $old_a [0-9]+ $(cat /proc/sys/kernel/random/boot_id) *\$" "$STATE/groups/a"
kill -KILL "$PRODD_PID"
wait "$PRODD_PID" 2>/dev/null
PRODD_PID=""
check "after kill -9 of prodd its services are still running" \
	bash -c "kill -0 $old_a && kill -0 $old_b && kill -0 $old_c"
PLOG=$T/prodd2.log
start_prodd
wait_event 20 kind=state service=c to=running
check "the new prodd ended the old groups first" \
	bash -c "$(declare -f alive); ! alive $old_a && ! alive $old_b && ! alive $old_c"
check "it says so" grep -q "left by a previous prodd" "$PLOG"
check "every service runs exactly once (a: $(on_port $p1), b: $(on_port $p2), c: $(on_port $p3)), for 0.5 s" \
	stays 0.5 once_each
check "a second prodd on the same state_dir refuses to start" \
	bash -c "! timeout 10 '$BUILD/prodd' -c '$T/s.yaml' 2>'$T/second.log' && grep -q 'another prodd (pid $PRODD_PID) is running' '$T/second.log'"
check "and the first one is untouched" kill -0 "$PRODD_PID"
c1=$(svc_pid c)
kill -KILL "$c1"
c_again() { [ "$(svc_pid c)" != "$c1" ] && alive "$(svc_pid c)"; }
wait_for 10 c_again
c2=$(svc_pid c)
check "a service restarted after kill -9: its record names the new group ($c2)" \
	poll 2 grep -Eq "^$c2 $c2 [0-9]+ " "$STATE/groups/c"
stop_prodd
check "after a clean stop every group record is blank" \
	test -z "$(cat "$STATE"/groups/* | tr -d " \n")"
check "and the files stay, to be rewritten in place" \
	test -f "$STATE/groups/a" -a -f "$STATE/groups/b" -a -f "$STATE/groups/c"
cleanup

# ---- a stale record is not trusted ----
new_env
write_config <<YAML
  - name: a
    command: sleep 300
    ready_after: 100ms
YAML
sleep 300 &
stranger=$!
mkdir -p "$STATE/groups"
# same pid, wrong start time: a pid reused by a stranger
echo "$stranger $stranger 1 $(cat /proc/sys/kernel/random/boot_id)" >"$STATE/groups/a"
# a group whose leader is gone (exited, reaped) while a member lives on,
# as when a service's main process dies after prodd did: found by its
# members; and 200 more records of groups that are all gone
setsid sh -c 'sleep 300 </dev/null >/dev/null 2>&1 & echo $! >"$1"' sh "$T/member" &
leader=$!
wait "$leader"
member=$(cat "$T/member")
echo "$leader $leader 1 $(cat /proc/sys/kernel/random/boot_id)" >"$STATE/groups/old"
for i in $(seq 1 200); do
	echo "$((4000000 + i)) $((4000000 + i)) 1 $(cat /proc/sys/kernel/random/boot_id)" >"$STATE/groups/gone$i"
done
# a pgid past pid_t that would wrap to a stranger's group (or to -1)
setsid sleep 300 &
group=$!
# prodd records the start time from its clock just before the fork: a
# leader whose own is a little later is ours, one that started before
# the recorded time is not
setsid sleep 300 &
early=$!
setsid sleep 300 &
late=$!
poll 5 bash -c "awk '{ exit !(\$22 > 0) }' /proc/$early/stat /proc/$late/stat"
echo "$early $early $(($(awk '{ print $22 }' "/proc/$early/stat") - 3)) $(cat /proc/sys/kernel/random/boot_id)" >"$STATE/groups/early"
echo "$late $late $(($(awk '{ print $22 }' "/proc/$late/stat") + 1)) $(cat /proc/sys/kernel/random/boot_id)" >"$STATE/groups/late"
echo "$((4294967296 + group)) $(($(cat /proc/sys/kernel/pid_max) + 1)) 1 $(cat /proc/sys/kernel/random/boot_id)" >"$STATE/groups/wrap"
start_prodd
wait_event 10 kind=state service=a to=running
check "a record whose start time does not match is ignored" kill -0 $stranger
check "a record whose pgid is past pid_t is ignored (the group it wraps to lives)" \
	kill -0 $group
check "a leader that started 3 ticks after its recorded start time is ended" \
	bash -c "$(declare -f alive); ! alive $early"
check "one that started a tick before it is not (not ours)" kill -0 $late
check "a group whose leader is gone is ended by its live member ($member)" \
	bash -c "$(declare -f alive); ! alive $member"
check "and named" grep -q "ending process group $leader left by a previous prodd" "$PLOG"
check "records of groups that are gone end nothing" \
	bash -c "! grep -q 'ending process group 40000' '$PLOG'"
check "and records of services no longer configured are removed" \
	bash -c "! ls '$STATE/groups' | grep -q -e gone -e old -e wrap"
echo "$stranger $stranger 1 some-other-boot" >"$STATE/groups/b"
stop_prodd
kill $stranger $group $member $early $late 2>/dev/null
cleanup

# ---- a service stopped by hand stays stopped across a restart of prodd ----
new_env
write_config <<YAML
  - name: up
    command: sleep 300
    ready_after: 100ms
  - name: kept-down
    command: sleep 300
    ready_after: 100ms
YAML
mkdir -p "$STATE"
echo kept-down >"$STATE/stopped"
start_prodd
wait_event 10 kind=state service=up to=running
no_spawn() { [ -z "$(events kind=spawn "$@")" ]; }
check "a service listed in state_dir/stopped is not started (for 1.2 s)" \
	stays 1.2 no_spawn service=kept-down
curl -s -m 5 --unix-socket "$STATE/prodd.sock" -X POST http://localhost/api/services/up/stop >/dev/null
wait_event 10 kind=state service=up to=stopped
stop_prodd
check "and stays listed after prodd stops" grep -qx kept-down "$STATE/stopped"
check "a stop by hand through the API is recorded too" grep -qx up "$STATE/stopped"
# up's record is blank since it stopped; dated back, to see it untouched
touch -d 2001-01-01 "$STATE/groups/up"
PLOG=$T/prodd2.log
start_prodd
wait_for 10 curl -sf -m 5 -o /dev/null --unix-socket "$STATE/prodd.sock" http://localhost/api/services
check "after a restart of prodd, both stay stopped (for 1.2 s)" \
	stays 1.2 no_spawn
check "a blank record is read and left as it is, not written again" \
	test "$(stat -c %Y "$STATE/groups/up")" = "$(date -d 2001-01-01 +%s)"
curl -s -m 5 --unix-socket "$STATE/prodd.sock" -X POST http://localhost/api/services/up/start >/dev/null
wait_event 10 kind=state service=up to=running
check "until started by hand" test -n "$(events kind=spawn service=up)"
check "which clears the record" bash -c "! grep -qx up '$STATE/stopped'"
stop_prodd
cleanup

# ---- reload ----
new_env
pa=$(free_port); pb=$(free_port); pc=$(free_port); pd=$(free_port)
write_config <<YAML
  - name: same
    command: $DEMO --port $pa
    ready_after: 100ms
  - name: changed
    command: $DEMO --port $pb
    ready_after: 100ms
    environment: { VERSION: "1" }
  - name: removed
    command: $DEMO --port $pc
    ready_after: 100ms
YAML
start_prodd
wait_event 15 kind=state service=removed to=running
wait_event 15 kind=state service=changed to=running
same=$(svc_pid same); changed=$(svc_pid changed); removed=$(svc_pid removed)
cp "$T/s.yaml" "$T/good.yaml"
printf '  - name: broken\n    command: x\n    port: nope\n' >>"$T/s.yaml"
kill -HUP "$PRODD_PID"
wait_event 5 kind=reload
check "a bad file is refused whole, with its errors in the log" \
	grep -q "'port' must be an integer, got 'nope'" "$PLOG"
check "the refusal is an event" grep -q refused <<<"$(events kind=reload)"
check "and nothing was touched" \
	test "$(svc_pid same) $(svc_pid changed) $(svc_pid removed)" = "$same $changed $removed"
check "nothing is added" test -z "$(events service=broken)"
write_config <<YAML
  - name: same
    command: $DEMO --port $pa
    ready_after: 100ms
  - name: changed
    command: $DEMO --port $pb
    ready_after: 100ms
    environment: { VERSION: "2" }
  - name: added
    command: $DEMO --port $pd
    ready_after: 100ms
YAML
kill -HUP "$PRODD_PID"
wait_event 10 kind=state service=added to=running
wait_event 10 kind=state service=changed to=running reason~=alive
check "the reload reports the diff" \
	grep -q '1_added,_1_removed,_1_changed,_1_unchanged' <<<"$(events kind=reload)"
check "unchanged: same pid" test "$(svc_pid same)" = "$same"
check "unchanged: never stopped" test -z "$(events kind=exit service=same)"
nc=$(svc_pid changed)
check "changed: restarted with a new pid" test "$nc" != "$changed" -a -n "$nc"
check "changed: runs the new config" \
	bash -c "tr '\0' '\n' </proc/$nc/environ | grep -qx VERSION=2"
check "removed: stopped" bash -c "$(declare -f alive); ! alive $removed"
check "added: started" kill -0 "$(svc_pid added)"
stop_prodd
check "prodd still exits cleanly after reloads" test $? -eq 0
cleanup
finish
