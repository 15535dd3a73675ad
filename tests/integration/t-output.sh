#!/usr/bin/env bash
# Output capture under load: a service printing ~50 MB/s neither grows
# prodd's memory past its bounds nor starves the loop (another service
# still restarts on time); files rotate by size and keep `keep` old ones;
# every line in the files is whole and time-stamped.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
VG=""

new_env
write_config <<YAML
  - name: flood
    command: $DEMO --log-lines-per-s 50000 --log-line-bytes 1024 --port $(free_port)
    log: { max_size: 1M, keep: 2, ring: 1000 }
    ready_after: 100ms
  - name: crasher
    command: $DEMO --crash-after 0.3 --port $(free_port)
    restart_delay: 500ms
    backoff: fixed
    max_restarts: 1000
YAML
start_prodd
wait_event 10 kind=state service=flood to=running
rss_max=0
start=$(date +%s)
while [ $(( $(date +%s) - start )) -lt 6 ]; do
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$PRODD_PID/status")
	[ "$rss" -gt "$rss_max" ] && rss_max=$rss
	sleep 0.2
done
fpid=$(svc_pid flood)
fl_cpu=$(awk '{ print $14 + $15 }' "/proc/$fpid/stat")
check "prodd's RSS stays bounded under a 50 MB/s flood (max $((rss_max / 1024)) MiB < 24 MiB)" \
	test "$rss_max" -lt $((24 * 1024))
check "the flood service is still running" alive "$fpid"
check "files rotate: flood.log, .1 and .2 exist" \
	test -f "$LOGS/flood.log" -a -f "$LOGS/flood.log.1" -a -f "$LOGS/flood.log.2"
check "and no more than keep: 2" test ! -e "$LOGS/flood.log.3"
check "a rotated file is about max_size (1 MiB): $(stat -c %s "$LOGS/flood.log.1") bytes" \
	test "$(stat -c %s "$LOGS/flood.log.1")" -le $((1024 * 1024 + 300 * 1024))
check "every line is whole and time-stamped" \
	bash -c "! grep -Evq '^20[0-9-]{8}T[0-9:.]{12}Z (stdout|stderr) ' '$LOGS/flood.log.1'"
py_gaps=$(python3 - "$PLOG" <<'PY'
import json, sys, datetime
def t(s): return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
ex, sp = [], []
for l in open(sys.argv[1]):
    m = json.loads(l)["metadata"]
    if m.get("service") != "crasher": continue
    if m.get("kind") == "exit": ex.append(t(m["ts"]))
    if m.get("kind") == "spawn": sp.append(t(m["ts"]))
gaps = [sp[i + 1] - ex[i] for i in range(min(len(ex), len(sp) - 1))]
print(len(gaps), "%.3f" % max(gaps) if gaps else "9", "%.3f" % min(gaps) if gaps else "0")
PY
)
read -r ngaps gmax gmin <<<"$py_gaps"
check "the other service restarts on time during the flood ($ngaps restarts, delay 500 ms: $gmin..$gmax s)" \
	python3 -c "import sys; sys.exit(0 if $ngaps >= 4 and $gmax < 0.7 and $gmin > 0.45 else 1)"
stop_prodd
check "prodd exits 0 after the flood" test $? -eq 0
echo "# flood service used $(( fl_cpu )) ticks of CPU"
cleanup
# ---- daemon.log_dir applies at once at a reload, to every service ----
new_env
write_config <<YAML
  - name: talker
    command: sh -c 'while :; do echo tick; sleep 0.05; done'
    ready_after: 100ms
YAML
start_prodd
wait_event 10 kind=state service=talker to=running
wait_for 5 test -s "$LOGS/talker.log"
tpid=$(svc_pid talker)
sed -i "s|log_dir: .*|log_dir: $T/logs2|" "$T/s.yaml"
kill -HUP "$PRODD_PID"
wait_event 10 kind=reload
wait_for 5 test -s "$T/logs2/talker.log"
check "after a reload that moves log_dir, an unchanged service writes to the new directory" \
	test -s "$T/logs2/talker.log"
check "and was not restarted for it" test "$(svc_pid talker)" = "$tpid"
stop_prodd
check "prodd exits 0 after the log_dir reload" test $? -eq 0
cleanup
finish
