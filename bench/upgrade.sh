#!/usr/bin/env bash
# Upgrade in place with 500 services (SPEC §9, issue 16's acceptance):
# the time from `POST /api/upgrade` (what `prodctl upgrade` sends) to the
# new prodd answering GET /api/health on a new connection (target:
# < 300 ms). The old prodd answers too until the new binary's --version
# came back (the same pid: only the event ring tells the images apart), so
# each GET /api/health is followed, on the same kept-alive connection, by
# GET /api/events?since=SEQ: the answer counts only when that one holds
# the new prodd's "upgraded in place" event. Meanwhile a separate process
# sends GET /health/live every 5 ms, each on a new TCP connection, and
# records its longest request-to-answer time during the hand-over (target:
# < 100 ms) and any refused or failed connection (target: none). RUNS upgrades (default 5), one every 2 s;
# the services' pids are compared before and after. The floor, in the
# same run: the prober's longest time over as long a stretch without an
# upgrade, and what the new binary itself costs (`prodd --version`, run
# 20 times: exec, dynamic loading, its main).
#   bash bench/upgrade.sh [RUNS]
set -eu
runs=${1:-5}
BUILD=${BUILD:-build}
N=${N:-500}
. "$(dirname "$0")/lib.sh"
make --no-print-directory -s all >/dev/null
tmp=$(mktemp -d)
port=$(free_port)
pid=""
trap 'end_prodd $pid; end_recorded "$tmp/state"; rm -rf "$tmp"' EXIT
{
	echo "daemon: { listen: 127.0.0.1:$port, rate_limit: 0, state_dir: $tmp/state, log_dir: $tmp/logs, control_socket: $tmp/prodd.sock }"
	echo "services:"
	for i in $(seq 1 "$N"); do
		echo "  - { name: svc-$i, command: sleep 100000, ready_after: 100ms }"
	done
} >"$tmp/s.yaml"
"$BUILD/prodd" -c "$tmp/s.yaml" --log-level notice >"$tmp/prodd.log" 2>&1 &
pid=$!
i=0
until curl -s -m 1 "http://127.0.0.1:$port/api/health" | grep -q "\"running\":$N"; do
	i=$((i + 1)); [ $i -lt 300 ] || { echo "prodd did not come up"; tail "$tmp/prodd.log"; exit 1; }
	sleep 0.1
done
pids() { curl -s "http://127.0.0.1:$port/api/services" | python3 -c '
import json, sys
print(" ".join(str(s["pid"]) for s in json.load(sys.stdin)["services"]))'; }
before=$(pids)
echo "prodd pid $pid, $N services running; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$port" "$tmp/prodd.sock" "$runs" "$BUILD/prodd" "$tmp/prodd.log" <<'PY'
import datetime, http.client, json, os, socket, statistics, subprocess, sys, threading, time

port, sock, runs, prodd = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
plog = sys.argv[5]
stop = False
samples = []            # (t_sent, seconds, ok, what)

def live():
    # GET /health/live every 5 ms, each on a new connection
    nxt = time.monotonic()
    while not stop:
        t = time.monotonic()
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            c.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Connection: close\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                d = c.recv(4096)
                if not d:
                    break
                data += d
            c.close()
            ok = data.startswith(b"HTTP/1.1 200")
            samples.append((t, time.monotonic() - t, ok, data[:40]))
        except OSError as e:
            samples.append((t, time.monotonic() - t, False, str(e)))
        nxt += 0.005
        time.sleep(max(0, nxt - time.monotonic()))

class UnixHTTP(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(sock)

def last_seq():
    c = UnixHTTP("localhost")
    c.request("GET", "/api/events?since=0")
    seq = json.loads(c.getresponse().read())["last_seq"]
    c.close()
    return seq

def new_image(seq):
    # one new TCP connection, kept alive for two requests: GET /api/health,
    # then GET /api/events?since=SEQ. A connection lives in one image only
    # (the old one's are closed at its exec), so when the second answer
    # holds the new prodd's "upgraded in place" event, the first came from
    # the new prodd too. Returns (the health answer's time, who answered:
    # "new", "old", or "none" when the connection failed or was closed,
    # the events after SEQ)
    try:
        h = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        h.request("GET", "/api/health")
        ans = h.getresponse()
        ans.read()
        t = time.monotonic()
        if ans.status != 200:
            h.close()
            return t, "none", []
        h.request("GET", "/api/events?since=%d" % seq)
        ev = json.loads(h.getresponse().read())["events"]
        h.close()
    except (OSError, http.client.HTTPException, ValueError):
        return time.monotonic(), "none", []
    up = any(e["kind"] == "daemon" and
             e["reason"].startswith("upgraded in place") for e in ev)
    return t, "new" if up else "old", ev

def wall(stamp):
    # an RFC 3339 UTC stamp with ms (events, prodd's log) as Unix seconds
    ts = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    return ts.replace(tzinfo=datetime.timezone.utc).timestamp()

def event_ms(ev, prefix, wall0):
    # when the daemon event whose reason starts with prefix was noted,
    # in ms after wall0 (the 202's request), or None
    for e in ev:
        if e["kind"] == "daemon" and e["reason"].startswith(prefix):
            return (wall(e["ts"]) - wall0) * 1000
    return None

def exec_ms(wall0):
    # the old prodd's last line, "upgrade: handing N bytes of state over"
    # (just before its exec), after wall0, in ms after wall0
    for line in open(plog, errors="replace"):
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if j.get("message", "").startswith("upgrade: handing"):
            t = wall(j["timestamp"])
            if t >= wall0 - 0.001:
                return (t - wall0) * 1000
    return None

def upgrade():
    seq = last_seq()
    wall0 = time.time()
    t0 = time.monotonic()
    c = UnixHTTP("localhost")
    c.request("POST", "/api/upgrade")
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status != 202:
        sys.exit("upgrade refused: %s" % body)
    # the old prodd answers until the new binary's --version came back
    # (then it holds its listeners, and a connection waits in the backlog
    # for the new one): asked again until the answer is the new prodd's
    old = 0
    while True:
        t1, who, ev = new_image(seq)
        if who == "new":
            # the check's end (the old prodd's "upgrading in place" event,
            # then it holds its listeners) and the new prodd's restore's
            # end ("upgraded in place"), by their events' wall stamps
            return t0, t1, old, (event_ms(ev, "upgrading in place", wall0),
                                 exec_ms(wall0),
                                 event_ms(ev, "upgraded in place", wall0))
        if t1 - t0 > 30:
            sys.exit("the new prodd did not answer within 30 s")
        old += who == "old"
        time.sleep(0.001)

th = threading.Thread(target=live)
th.start()
time.sleep(2)
windows, takes, olds, stages = [], [], [], []
for r in range(runs):
    t0, t1, old, st = upgrade()
    windows.append((t0, t1))
    takes.append((t1 - t0) * 1000)
    olds.append(old)
    stages.append(st)
    time.sleep(2)
# the floor: as long a stretch as all the upgrades took, without one
f0 = time.monotonic()
time.sleep(2 * runs)
f1 = time.monotonic()
stop = True
th.join()

def during(a, b):
    # requests sent in the window, or answered in it
    return [s for s in samples if a - 0.2 <= s[0] <= b]

for i, (a, b) in enumerate(windows):
    d = during(a, b)
    worst = max((s[1] for s in d), default=0) * 1000
    bad = [s for s in d if not s[2]]
    fmt = lambda v: "?" if v is None else "%.0f" % v
    print("upgrade %d: the new prodd answering /api/health after %.1f ms "
          "(the check done at %s ms, the old one answering %d times until "
          "then; the exec at %s ms; the new one restored at %s ms); "
          "/health/live during it: %d requests, longest %.1f ms, %d failed%s"
          % (i + 1, takes[i], fmt(stages[i][0]), olds[i], fmt(stages[i][1]),
             fmt(stages[i][2]), len(d), worst, len(bad),
             (" (%s)" % bad[0][3]) if bad else ""))
fl = [s for s in samples if f0 <= s[0] <= f1]
allhand = [s for a, b in windows for s in during(a, b)]
failed = [s for s in samples if not s[2]]
lat = sorted(s[1] * 1000 for s in fl)
print("time to the new prodd answering: median %.1f ms, max %.1f ms (target < 300)"
      % (statistics.median(takes), max(takes)))
print("/health/live during the hand-overs: longest %.1f ms (target < 100); "
      "failed or refused, over the whole run: %d of %d"
      % (max(s[1] for s in allhand) * 1000, len(failed), len(samples)))
print("floor, /health/live without an upgrade (%d requests): p50 %.2f ms, "
      "p99 %.2f ms, longest %.1f ms" % (len(lat), lat[len(lat) // 2],
                                         lat[int(len(lat) * 0.99)], lat[-1]))
ts = []
for _ in range(20):
    t = time.monotonic()
    subprocess.run([prodd, "--version"], stdout=subprocess.DEVNULL)
    ts.append((time.monotonic() - t) * 1000)
print("floor, the binary alone: prodd --version median %.1f ms"
      % statistics.median(ts))
PY
after=$(pids)
if [ "$before" = "$after" ]; then
	echo "pids of the $N services: all the same after $runs upgrades"
else
	echo "pids of the services CHANGED"
	exit 1
fi
echo "prodd RSS after: $(status_kb VmRSS "$pid") KiB; its log: $(grep -c 'handing' "$tmp/prodd.log") hand-overs, the state's bytes, and the ms it took to render: $(grep -o 'handing [0-9]* bytes.*rendered in [0-9.]* ms' "$tmp/prodd.log" | awk '{ printf "%s/%s ", $2, $(NF - 1) }')"
