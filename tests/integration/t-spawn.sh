#!/usr/bin/env bash
# Spawning: what fails before the fork is a failed start with its reason
# (never a crash of prodd); user and group with supplementary groups,
# HOME/USER/LOGNAME/SHELL; rlimits; shell: true.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
VG=""

new_env
printf '#!/bin/sh\nexit 0\n' >"$T/noexec.sh"
chmod 644 "$T/noexec.sh"
write_config <<YAML
  - name: nofile
    command: /nonexistent/program --flag
    max_restarts: 0
  - name: notinpath
    command: no-such-program-anywhere
    max_restarts: 0
  - name: noperm
    command: ./noexec.sh
    working_dir: $T
    max_restarts: 0
  - name: noenv
    command: sleep 100
    env_file: missing.env
    max_restarts: 0
  - name: isdir
    command: $T
    max_restarts: 0
  - name: nodir
    command: sleep 100
    working_dir: /nonexistent/dir
    max_restarts: 0
  - name: nouser
    command: sleep 100
    user: no-such-user-xyz
    max_restarts: 0
  - name: retried
    command: /nonexistent/again
    max_restarts: 2
    restart_delay: 100ms
  - name: fine
    command: sleep 100
    ready_after: 100ms
YAML
start_prodd
wait_event 10 kind=state service=fine to=running
wait_event 10 kind=state service=retried to=failed
reason() { events kind=state service="$1" to=failed | head -n 1 | awk '{ print $5 }'; }
check "no such file: failed, with the reason ($(reason nofile))" \
	bash -c "[[ '$(reason nofile)' == spawn_failed:_cannot_run_/nonexistent/program:_No_such_file* ]]"
check "not in PATH ($(reason notinpath))" \
	bash -c "[[ '$(reason notinpath)' == *not_found_in_PATH* ]]"
check "not executable ($(reason noperm))" \
	bash -c "[[ '$(reason noperm)' == *Permission_denied* ]]"
check "a directory ($(reason isdir))" \
	grep -Eq '^spawn_failed:_/.*_is_a_directory;' <<<"$(reason isdir)"
check "missing env_file ($(reason noenv))" \
	bash -c "[[ '$(reason noenv)' == *env_file_*missing.env:_cannot_open:_No_such_file* ]]"
check "missing working_dir ($(reason nodir))" \
	bash -c "[[ '$(reason nodir)' == *working_dir_/nonexistent/dir* ]]"
check "unknown user" grep -q "unknown_user_.no-such-user-xyz" <<<"$(reason nouser)"
check "a failed spawn counts as a failed start: retried 2 times, then failed" \
	test "$(events kind=state service=retried to=backoff | wc -l)" -eq 2
check "and the reason is in the service's log file" \
	grep -q "cannot run /nonexistent/again" "$LOGS/retried.log"
check "prodd is still running" kill -0 "$PRODD_PID"
check "and so is the good service" alive "$(svc_pid fine)"
stop_prodd
check "prodd exits 0" test $? -eq 0
cleanup

# ---- one wave of 40: spawned in batches on several threads ----
# Every service gets its own pipes (its log says its name); the failures
# among them keep their reasons, both those found before the fork (no such
# program) and those posix_spawn itself reports from a helper thread (an
# interpreter that does not exist), with their immediate retries; prodd
# keeps no write end of a pipe.
new_env
printf '#!/nonexistent/interpreter\n' >"$T/badinterp"
chmod 755 "$T/badinterp"
{
	for i in $(seq 1 40); do
		case $((i % 10)) in
		0) printf '  - { name: w%d, command: /nonexistent/w%d, max_restarts: 1, restart_delay: 0s }\n' "$i" "$i" ;;
		5) printf '  - { name: w%d, command: %s, max_restarts: 1, restart_delay: 0s }\n' "$i" "$T/badinterp" ;;
		*) printf '  - { name: w%d, command: "sh -c '"'"'echo I am w%d; exec sleep 100'"'"'", ready_after: 100ms }\n' "$i" "$i" ;;
		esac
	done
} | write_config
start_prodd
wait_event 20 kind=state service=w39 to=running
wait_event 20 kind=state service=w40 to=failed
wait_event 20 kind=state service=w35 to=failed
wait_for 10 grep -q "I am w39" "$LOGS/w39.log"
own=0
for i in $(seq 1 40); do
	case $((i % 10)) in 0|5) continue ;; esac
	grep -q "stdout I am w$i\$" "$LOGS/w$i.log" 2>/dev/null && own=$((own + 1))
done
check "a wave of 40: each of the 32 good ones wrote its own name to its own log ($own)" test "$own" -eq 32
running=$(events kind=state to=running | wc -l)
check "a wave of 40: 32 running ($running)" test "$running" -eq 32
check "a wave of 40: 4 not found failed after one retry, saying why" \
	test "$(events kind=state to=failed | grep -c 'cannot_run_/nonexistent/w[0-9]*:.*gave_up_after_1_restart')" -eq 4
check "a wave of 40: 4 that posix_spawn refused failed after one retry, saying why" \
	test "$(events kind=state to=failed | grep -c 'cannot_start_.*badinterp:_No_such_file.*gave_up_after_1_restart')" -eq 4
# two read ends a service, plus libuv's own and what prodd inherited; a
# write end kept for each service would be 32 more
pipes=$(find "/proc/$PRODD_PID/fd" -mindepth 1 -lname 'pipe:*' | wc -l)
check "a wave of 40: prodd holds only the read ends ($pipes pipes for 32 services)" \
	test "$pipes" -le $((2 * 32 + 8))
stop_prodd
check "a wave of 40: prodd exits 0" test $? -eq 0
cleanup

# ---- user, group, supplementary groups, limits, shell ----
if [ "$(id -u)" -eq 0 ] && getent passwd nobody >/dev/null; then
	new_env
	chmod 755 "$T"
	groupadd -f prodd-test-extra 2>/dev/null
	usermod -a -G prodd-test-extra nobody 2>/dev/null
	write_config <<YAML
  - name: asuser
    command: sh -c 'id; echo "HOME=\$HOME USER=\$USER LOGNAME=\$LOGNAME SHELL=\$SHELL"; exec sleep 100'
    shell: false
    user: nobody
    working_dir: /tmp
    ready_after: 100ms
  - name: limited
    command: sleep 100
    limits: { nofile: 512, nproc: 2048, core: 0 }
    ready_after: 100ms
  - name: viashell
    command: echo one && echo two; exec sleep 100
    shell: true
    ready_after: 100ms
YAML
	start_prodd
	wait_event 10 kind=state service=viashell to=running
	wait_event 10 kind=state service=asuser to=running
	# running (alive 100 ms) says nothing of its output: wait for its lines
	check "user: runs as nobody" poll 5 grep -q "uid=65534(nobody)" "$LOGS/asuser.log"
	check "user: supplementary groups kept (initgroups)" \
		grep -q "prodd-test-extra" "$LOGS/asuser.log"
	check "user: HOME, USER, LOGNAME, SHELL follow the user" \
		poll 5 grep -q "HOME=$(getent passwd nobody | cut -d: -f6) USER=nobody LOGNAME=nobody SHELL=$(getent passwd nobody | cut -d: -f7)" "$LOGS/asuser.log"
	lp=$(svc_pid limited)
	check "limits: nofile 512" awk '/Max open files/ { exit !($4 == 512 && $5 == 512) }' "/proc/$lp/limits"
	check "limits: nproc 2048" awk '/Max processes/ { exit !($3 == 2048) }' "/proc/$lp/limits"
	check "limits: core 0" awk '/Max core file size/ { exit !($5 == 0) }' "/proc/$lp/limits"
	check "shell: true runs /bin/sh -c" \
		poll 5 bash -c "grep -q 'stdout one' '$LOGS/viashell.log' && grep -q 'stdout two' '$LOGS/viashell.log'"
	stop_prodd
	cleanup
	gpasswd -d nobody prodd-test-extra >/dev/null 2>&1
	groupdel prodd-test-extra 2>/dev/null
else
	echo "# skipped user switching: not root"
fi

# ---- exec health checks are spawned as their service is ----
# What fails before the fork fails the check, with the reason a service's
# spawn would give; the program is looked up on the service's own PATH
# (its `environment`), as its command is.
new_env
mkdir -p "$T/bin"
printf '#!/bin/sh\nexit 0\n' >"$T/bin/my-check"
chmod 755 "$T/bin/my-check"
write_config <<YAML
  - name: nocheck
    command: sleep 100
    health_check: { exec: [no-such-check-anywhere], interval: 200ms, retries: 1, start_period: 0s, on_unhealthy: ignore }
  - name: pathcheck
    command: sleep 100
    environment: { PATH: "$T/bin:/usr/bin:/bin" }
    health_check: { exec: [my-check], interval: 200ms }
YAML
start_prodd
health_of() {
	curl -s -m 10 --unix-socket "$STATE/prodd.sock" "http://localhost/api/services/$1" |
	    python3 -c "import json,sys; h=json.load(sys.stdin)['health']; print(h['status'], '|', h['last_error'])" 2>/dev/null
}
health_is() {	# NAME STATUS: the service's health status is STATUS now
	grep -q "^$2 " <<<"$(health_of "$1")"
}
wait_for 10 health_is nocheck unhealthy
wait_for 10 health_is pathcheck healthy
check "exec check not found: unhealthy, saying why ($(health_of nocheck))" \
	grep -q "^unhealthy | cannot run no-such-check-anywhere: not found in PATH" <<<"$(health_of nocheck)"
check "exec check on the service's PATH: found, healthy ($(health_of pathcheck))" \
	grep -q "^healthy" <<<"$(health_of pathcheck)"
check "the failing check's service keeps running" alive "$(svc_pid nocheck)"
stop_prodd
check "exec checks: prodd exits 0" test $? -eq 0

# One program name, looked up on each service's own PATH and directory:
# spawns of one batch that share a name but not a PATH (or a directory,
# for PATH's empty entry) each find their own, and a program installed
# earlier in PATH is found by the next start (later is the last of its
# batch: the start after it looks up the same name on the same PATH).
mkdir -p "$T/pa" "$T/pb" "$T/first" "$T/second" "$T/wa" "$T/wb"
for d in pa pb second wa wb; do
	printf '#!/bin/sh\necho "from %s"\nexec sleep 100\n' "$d" >"$T/$d/who-prog"
	chmod 755 "$T/$d/who-prog"
done
write_config <<YAML
  - name: ina
    command: who-prog
    environment: { PATH: "$T/pa:/usr/bin:/bin" }
  - name: inb
    command: who-prog
    environment: { PATH: "$T/pb:/usr/bin:/bin" }
  - name: cwda
    command: who-prog
    working_dir: $T/wa
    environment: { PATH: ":/usr/bin:/bin" }
  - name: cwdb
    command: who-prog
    working_dir: $T/wb
    environment: { PATH: ":/usr/bin:/bin" }
  - name: later
    command: who-prog
    environment: { PATH: "$T/first:$T/second:/usr/bin:/bin" }
YAML
start_prodd
said() { grep -q "stdout from $2\$" "$LOGS/$1.log" 2>/dev/null; }
wait_for 10 said later second
check "same name, another PATH: each its own (pa, pb)" \
	bash -c "grep -q 'from pa\$' '$LOGS/ina.log' && grep -q 'from pb\$' '$LOGS/inb.log'"
wait_for 10 said cwdb wb
check "same name, PATH's empty entry: each from its own working_dir" \
	bash -c "grep -q 'from wa\$' '$LOGS/cwda.log' && grep -q 'from wb\$' '$LOGS/cwdb.log'"
printf '#!/bin/sh\necho "from first"\nexec sleep 100\n' >"$T/first/who-prog"
chmod 755 "$T/first/who-prog"
curl -s -m 10 -X POST --unix-socket "$STATE/prodd.sock" \
    http://localhost/api/services/later/restart >/dev/null
wait_for 10 said later first
check "installed earlier in PATH since: the restart runs it" said later first
stop_prodd
check "one name, many PATHs: prodd exits 0" test $? -eq 0
cleanup
finish
