#!/usr/bin/env bash
# Metrics, black-box: per-service CPU (prodd-demo --cpu-burn 50 reads 40-60
# %), RSS summed over the process tree (an orphaned grandchild included)
# against ps, memory_limit restarting a leaking service, the host's
# figures and history in /api/dashboard-data, /api/metrics/history,
# prodd's own figures in /api/health, prodctl status's CPU and MEM, and
# how seldom an idle prodd wakes.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
VG=""

api() { curl -s -m 10 --unix-socket "$STATE/prodd.sock" "http://localhost$1"; }
code() { curl -s -m 10 -o /dev/null -w '%{http_code}' --unix-socket "$STATE/prodd.sock" "http://localhost$1"; }
svc() { api "/api/services/$1" | python3 -c "import json,sys; j=json.load(sys.stdin); print($2)" 2>/dev/null; }
has_metrics() { [ "$(svc "$1" 'j["metrics"] is not None')" = True ]; }
# svc_is NAME EXPR VALUE: the expression on the service's JSON is VALUE
svc_is() { [ "$(svc "$1" "$2")" = "$3" ]; }

new_env
pb=$(free_port); pg=$(free_port); pl=$(free_port)
write_config <<YAML
  - name: burn
    command: $DEMO --port $pb --cpu-burn 50
  - name: tree
    command: $DEMO --port $pg --spawn-grandchild
  - name: leak
    command: $DEMO --port $pl --leak-mb-per-s 40
    memory_limit: 100M
    restart_delay: 10s
  - name: idle
    command: sleep 1000
YAML
sed -i "s|^daemon:|daemon:\n  sample_interval: 500ms\n  history: 8|" "$T/s.yaml"
start_prodd
wait_for 15 has_metrics burn
wait_for 15 has_metrics tree

# CPU: five readings a sample apart, the median; and what the process's
# own counters say over the same 3 s (utime + stime of both threads); from
# the first reading over a whole sample on
wait_for 10 svc_is burn 'j["metrics"]["cpu_percent"] > 0' True
bpid=$(svc burn 'j["pid"]')
ticks() { awk '{ print $14 + $15 }' "/proc/$bpid/stat"; }
k0=$(ticks); w0=$(date +%s%N)
vals=""
for _ in 1 2 3 4 5; do
	vals="$vals $(svc burn 'j["metrics"]["cpu_percent"]')"
	sleep 0.6
done
k1=$(ticks); w1=$(date +%s%N)
direct=$(python3 -c "print(round(($k1 - $k0) * 100 / $(getconf CLK_TCK) / (($w1 - $w0) / 1e9), 1))")
med=$(tr ' ' '\n' <<<"$vals" | grep . | sort -n | sed -n 3p)
check "cpu-burn 50: reads 40-60 % (median $med of:$vals; its own counters: $direct)" \
	python3 -c "import sys; sys.exit(not (40 <= $med <= 60))"
check "and agrees with the process's own counters within 8 points" \
	python3 -c "import sys; sys.exit(not (abs($med - $direct) <= 8))"
check "an idle service reads under 5 % CPU" \
	python3 -c "import sys; sys.exit(not ($(svc idle 'j["metrics"]["cpu_percent"]') < 5))"

# RSS over the whole tree: the main process and its orphaned grandchild
wait_for 10 svc_is tree 'j["metrics"]["processes"]' 2
sid=$(svc tree 'j["pid"]')
check "tree: 2 processes (the grandchild, subreaped, counted by session)" \
	test "$(svc tree 'j["metrics"]["processes"]')" = 2
wait_for 10 svc_is tree 'j["metrics"]["fds"] is not None' True	# a slow sample (fds, io) has passed
ps_kb=$(ps -o rss= -s "$sid" | awk '{ s += $1 } END { print s }')
ours=$(svc tree 'j["metrics"]["rss_bytes"] // 1024')
check "tree: RSS agrees with ps within 10 % (prodd $ours KiB, ps $ps_kb KiB)" \
	python3 -c "import sys; sys.exit(not (abs($ours - $ps_kb) <= 0.1 * $ps_kb))"
check "tree: threads and open fds are counted" \
	test "$(svc tree 'j["metrics"]["threads"] >= 2 and (j["metrics"]["fds"] or 0) >= 6')" = True

# memory_limit: restarted, with an event that says so
wait_event 20 kind=state service=leak to=stopping 'reason~=memory_limit'
check "leak: stopped for its memory_limit" \
	test -n "$(events kind=state service=leak to=stopping 'reason~=over its memory limit (RSS')"
check "leak: and a restart scheduled (backoff)" \
	poll_event 5 kind=state service=leak to=backoff

# /api/dashboard-data: the host and every history, 8 samples deep
full() {
	api /api/dashboard-data | python3 -c '
import json, sys
j = json.load(sys.stdin)
b = [s for s in j["services"] if s["name"] == "burn"][0]
sys.exit(not (len(j["system"]["history"]["cpu"]) == 8 and len(b["history"]["cpu"]) == 8))' 2>/dev/null
}
wait_for 10 full
d=$(api /api/dashboard-data)
check "dashboard-data: system cpu, memory, load, disks, network, uptime" \
	test "$(python3 -c '
import json, sys
s = json.loads(sys.argv[1])["system"]
print(0 <= s["cpu_percent"] <= 100, len(s["cpus"]) >= 1, s["memory"]["total"] > s["memory"]["available"] > 0,
      len(s["load"]) == 3, s["disks"][0]["path"] == "/" and s["disks"][0]["total"] > 0,
      any(n["name"] == "lo" for n in s["network"]), s["uptime_s"] > 0)' "$d")" = "True True True True True True True"
check "dashboard-data: host history capped at history: 8" \
	test "$(python3 -c '
import json, sys
h = json.loads(sys.argv[1])["system"]["history"]
print(len(h["cpu"]) == 8, len(h["mem_used"]) == 8, len(h["cpus"][0]) == 8, len(h["network"]["lo"]["rx_bps"]) == 8)' "$d")" = "True True True True"
check "dashboard-data: each service's cpu and rss history" \
	test "$(python3 -c '
import json, sys
for s in json.loads(sys.argv[1])["services"]:
    if s["name"] == "burn": print(len(s["history"]["cpu"]), len(s["history"]["rss"]), max(s["history"]["cpu"]) > 30)' "$d")" = "8 8 True"
check "dashboard-data?history=3: 3 of each" \
	test "$(api '/api/dashboard-data?history=3' | python3 -c 'import json,sys; j=json.load(sys.stdin); print(len(j["system"]["history"]["cpu"]), len(j["services"][0]["history"]["rss"]))')" = "3 3"

# /api/metrics/history
r=$(api '/api/metrics/history?service=burn&series=cpu,rss')
check "metrics/history of a service: cpu and rss" \
	test "$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["service"], len(j["series"]["cpu"]), len(j["series"]["rss"]), j["interval_ms"])' "$r")" = "burn 8 8 500"
r=$(api '/api/metrics/history?series=cpu,mem_used,cpu0,rx:lo')
check "metrics/history of the host: cpu, mem_used, cpu0, rx:lo" \
	test "$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(sorted(j["series"]), j["service"])' "$r")" = "['cpu', 'cpu0', 'mem_used', 'rx:lo'] None"
check "metrics/history: an unknown series is 400" \
	test "$(code '/api/metrics/history?series=nope')" = 400
check "metrics/history: an unknown service is 404" \
	test "$(code '/api/metrics/history?service=nope')" = 404

# prodd itself
h=$(api /api/health)
check "/api/health: prodd's RSS, CPU and event-loop lag" \
	test "$(python3 -c '
import json, sys
p = json.loads(sys.argv[1])["prodd"]
print(1 << 20 < p["rss_bytes"] < 64 << 20, 0 <= p["cpu_percent"] < 50, 0 <= p["loop_lag_ms"] < 100, p["samples"] > 5)' "$h")" = "True True True True"

# prodctl status: CPU and MEM
out=$("$BUILD/prodctl" --socket "$STATE/prodd.sock" --no-color status burn)
check "prodctl status: burn's CPU % and memory ($(tail -n 1 <<<"$out" | tr -s ' '))" \
	grep -Eq "^burn +running +[0-9]+ +[0-9a-z]+ +[0-9.]+% +[0-9.]+[KMG]" <<<"$out"

# A reload that reorders the services, adds one, removes one and shortens
# the history: each service keeps its own metrics (by name, not by
# place), the new one gets its own, every history is cut to the new size.
pn=$(free_port)
{
	sed -n '/^daemon:/,/^services:/p' "$T/s.yaml" | sed 's/^  history: 8$/  history: 4/'
	cat <<YAML
  - name: late
    command: sleep 1000
  - name: leak
    command: $DEMO --port $pl --leak-mb-per-s 40
    memory_limit: 100M
    restart_delay: 10s
  - name: tree
    command: $DEMO --port $pg --spawn-grandchild
  - name: burn
    command: $DEMO --port $pb --cpu-burn 50
YAML
} >"$T/s2.yaml"
mv "$T/s2.yaml" "$T/s.yaml"
kill -HUP "$PRODD_PID"
wait_event 10 kind=reload
check "reload: the added service gets metrics of its own" \
	wait_for 10 has_metrics late
sleep 1.5
figs() { svc "$1" '"%d:%s" % (j["metrics"]["processes"], j["metrics"]["cpu_percent"] > 10)'; }
f="$(figs burn) $(figs tree) $(figs late)"
check "reload: each keeps its own figures in its new place (procs:busy of burn, tree, late: $f)" \
	test "$f" = "1:True 2:False 1:False"
r=$(api '/api/metrics/history?service=burn&series=cpu,rss')
check "reload: history 4 cuts a service's series to 4" \
	test "$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(len(j["series"]["cpu"]), len(j["series"]["rss"]))' "$r")" = "4 4"
check "reload: the removed service is gone" \
	test "$(code /api/services/idle)" = 404

stop_prodd
check "prodd exits 0" test $? -eq 0
cleanup

# An idle prodd wakes only for its samples: 2 services that print nothing,
# sample_interval 1s, no probes, no clients. Its loop thread's voluntary
# context switches (what `pidstat -w` shows: each time it blocked and was
# woken) over 5 s come to at most 1.3 a second, plus one for the edges of
# the window (the loop lag was once read with a 100 ms timer: ~11 a
# second).
new_env
write_config <<YAML
  - name: a
    command: sleep 1000
  - name: b
    command: sleep 1000
YAML
sed -i "s|^daemon:|daemon:\n  sample_interval: 1s|" "$T/s.yaml"
start_prodd
samples() { api /api/health | python3 -c 'import json,sys; print(json.load(sys.stdin)["prodd"]["samples"])' 2>/dev/null; }
two_samples() { [ "$(samples)" -ge 2 ] 2>/dev/null; }
wait_for 15 two_samples
cs() { awk '$1 == "voluntary_ctxt_switches:" { print $2 }' "/proc/$PRODD_PID/task/$PRODD_PID/status"; }
c0=$(cs); now_us; u0=$REPLY
nap 5
c1=$(cs); now_us; u1=$REPLY
check "idle, sample_interval 1s: $((c1 - c0)) wake-ups in $(( (u1 - u0) / 1000 )) ms (at most 1.3 a second)" \
	python3 -c "import sys; sys.exit(not ($c1 - $c0 <= 1.3 * ($u1 - $u0) / 1e6 + 1))"
stop_prodd
check "the idle prodd exits 0" test $? -eq 0
cleanup
finish
