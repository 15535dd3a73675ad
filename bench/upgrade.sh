#!/usr/bin/env bash
# Upgrade in place with 500 services (SPEC §9, issue 16's acceptance):
# the time from `POST /api/upgrade` (what `prodctl upgrade` sends) to the
# new prodd answering GET /api/health on a new connection (target:
# < 300 ms), while a separate process sends GET /health/live every 5 ms,
# each on a new TCP connection, and records its longest request-to-answer
# time during the hand-over (target: < 100 ms) and any refused or failed
# connection (target: none). RUNS upgrades (default 5), one every 2 s;
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

python3 - "$port" "$tmp/prodd.sock" "$runs" "$BUILD/prodd" <<'PY'
import http.client, json, os, socket, statistics, subprocess, sys, threading, time

port, sock, runs, prodd = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
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

def upgrade():
    t0 = time.monotonic()
    c = UnixHTTP("localhost")
    c.request("POST", "/api/upgrade")
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status != 202:
        sys.exit("upgrade refused: %s" % body)
    # a new connection: the old prodd holds its listeners from the 202 on,
    # so this is answered by the new one
    h = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h.request("GET", "/api/health")
    ans = h.getresponse()
    ans.read()
    t1 = time.monotonic()
    h.close()
    return t0, t1

th = threading.Thread(target=live)
th.start()
time.sleep(2)
windows, takes = [], []
for r in range(runs):
    t0, t1 = upgrade()
    windows.append((t0, t1))
    takes.append((t1 - t0) * 1000)
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
    print("upgrade %d: new prodd answering /api/health after %.1f ms; "
          "/health/live during it: %d requests, longest %.1f ms, %d failed%s"
          % (i + 1, takes[i], len(d), worst, len(bad),
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
echo "prodd RSS after: $(status_kb VmRSS "$pid") KiB; its log: $(grep -c 'handing' "$tmp/prodd.log") hand-overs"
