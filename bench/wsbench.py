#!/usr/bin/env python3
"""The client side of bench/ws.sh: many WebSocket clients of prodd's /ws
in ONE process, on one selectors (epoll) loop, with the framing of
tests/integration/wsclient.py (imported, not copied); and a farm of HTTP
clients polling GET /api/services. Modes:

  wsbench.py latency N KILLS SPACING OUT   N clients; KILLS times, SIGKILL
      the main process of a running service (the pid from /api/services,
      each kill a different service), recording CLOCK_REALTIME just before
      kill(); every client records when the matching `exit` event (same
      service, same pid) arrives, twice: the kernel's receive stamp of the
      data that completed it (SO_TIMESTAMPNS, CLOCK_REALTIME: when it
      reached the client's socket) and CLOCK_REALTIME right after the recv
      (when this one python loop, serving every client in turn, got to
      it). Writes "kill_ns recv_ns kernel_ns" a line to OUT and prints
      "kills clients deliveries" then p50 p99 max (ms) by the kernel
      stamp, the same after the recv, the median and max over the kills
      of each kill's first delivery, and the deliveries missing. Each kill waits at most 5 s for its
      deliveries, then SPACING s.
  wsbench.py hold N SECONDS READY          N clients that read everything
      (pings answered) for SECONDS; READY is written once all are connected
      and have their snapshot (the ones connected read while the next
      connects).
  wsbench.py neverread SERVICE SECONDS       one client with a 4 KiB
      receive buffer subscribes to SERVICE's log lines and reads nothing
      for SECONDS; then it reads what comes until prodd closes it (at
      most 30 s) and prints "closed CODE" (or "open").
  wsbench.py keep N SECONDS                N clients, a thread each, that
      read every frame (pings answered, messages left unparsed) for
      SECONDS; one that prodd closes (a close frame: too slow a reader, or
      no pong) or that fails connects again, as the dashboard does. For
      the soak: N clients stay connected or connecting whatever the load,
      and none blocks the others. Prints connects, closes by code, errors.
  wsbench.py poll N SECONDS INTERVAL       N threads, each with a kept-alive
      connection, GET /api/services every INTERVAL s for SECONDS; prints
      the request count and errors (by status, or by exception).

The address comes from WS_URL (ws://127.0.0.1:PORT/ws). Every loop ends
by its deadline; a client that is closed or errs is counted and dropped.
"""
import http.client
import json
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
from wsclient import WS, Closed  # noqa: E402

METRICS = b'{"type":"metrics"'


def hostport():
    return os.environ["WS_URL"].split("://", 1)[1].split("/", 1)[0]


def connect(n):
    """n clients, each past its snapshot, as blocking sockets (recv is only
    called once the selector says readable)."""
    cs = []
    for _ in range(n):
        c = WS(timeout=30)
        m = c.recv()
        if m.get("type") != "snapshot":
            raise SystemExit("first message %r" % m.get("type"))
        c.parts = []
        c.sock.settimeout(None)
        cs.append(c)
    return cs


def frames(c):
    """The complete messages now in c.buf (raw bytes); pings answered,
    fragments joined; a close frame raises EOFError."""
    out = []
    while True:
        b = c.buf
        if len(b) < 2:
            return out
        n, h = b[1] & 0x7F, 2
        if n == 126:
            h = 4
        elif n == 127:
            h = 10
        if len(b) < h:
            return out
        if n == 126:
            n = struct.unpack("!H", b[2:4])[0]
        elif n == 127:
            n = struct.unpack("!Q", b[2:10])[0]
        if len(b) < h + n:
            return out
        fin, op, data = c.read_frame()	# whole frame buffered: no recv
        if op == 9:
            c.frame(10, data)
        elif op == 8:
            raise EOFError("close frame")
        elif op in (0, 1, 2):
            c.parts.append(data)
            if fin:
                out.append(b"".join(c.parts))
                c.parts = []


# SO_TIMESTAMPNS (asm-generic and x86: 35; SCM_ the same): the kernel's
# CLOCK_REALTIME stamp of the data a recvmsg returns (its last segment)
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
TS_SPACE = socket.CMSG_SPACE(16)


def stamp(c):
    c.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)


def pump(sel, timeout, on_msg):
    """One round of the loop: read what is ready, hand each message (not
    the metrics ones, left unparsed) to on_msg(client, msg, t_ns, k_ns):
    t_ns the CLOCK_REALTIME right after the recv that completed it, k_ns
    the kernel's receive stamp of that data (0 without one)."""
    dropped = 0
    for key, _ in sel.select(timeout):
        c = key.data
        try:
            d, anc, _, _ = c.sock.recvmsg(262144, TS_SPACE)
            t = time.clock_gettime_ns(time.CLOCK_REALTIME)
            if not d:
                raise EOFError("connection ended")
            k = 0
            for lvl, typ, data in anc:
                if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS and \
                        len(data) >= 16:
                    sec, ns = struct.unpack("qq", data[:16])
                    k = sec * 1000000000 + ns
            c.buf += d
            for raw in frames(c):
                if raw.startswith(METRICS):
                    continue
                on_msg(c, json.loads(raw), t, k)
        except (OSError, EOFError, ValueError) as e:
            print("# client dropped: %s" % e, file=sys.stderr)
            sel.unregister(c.sock)
            c.sock.close()
            dropped += 1
    return dropped


def services():
    conn = http.client.HTTPConnection(*hostport().rsplit(":", 1),
                                      timeout=10)
    conn.request("GET", "/api/services")
    r = conn.getresponse()
    body = json.loads(r.read())
    conn.close()
    return body["services"] if isinstance(body, dict) else body


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def mode_latency(n, kills, spacing, out):
    n, kills, spacing = int(n), int(kills), float(spacing)
    cs = connect(n)
    sel = selectors.DefaultSelector()
    for c in cs:
        stamp(c)
        sel.register(c.sock, selectors.EVENT_READ, c)
    want = {}			# (service, pid) -> kill time
    got = []			# (kill_ns, arrival_ns)
    seen = {}			# (service, pid) -> clients that got it

    def on_msg(c, m, t, ks):
        if m.get("type") != "event":
            return
        e = m["event"]
        k = (e.get("service"), e.get("pid"))
        if e.get("kind") == "exit" and k in want:
            got.append((want[k], t, ks))
            seen[k] = seen.get(k, 0) + 1

    # settle: drain for 2 s
    end = time.monotonic() + 2
    while time.monotonic() < end:
        pump(sel, 0.1, on_msg)
    used = set()
    deadline = time.monotonic() + kills * (spacing + 6) + 30
    for i in range(kills):
        if time.monotonic() > deadline:
            break
        svc = [s for s in services() if s.get("pid") and
               s.get("state") == "running" and s["name"] not in used]
        if not svc:
            raise SystemExit("no running service left to kill")
        s = svc[(i * 37) % len(svc)]
        used.add(s["name"])
        k = (s["name"], s["pid"])
        t0 = time.clock_gettime_ns(time.CLOCK_REALTIME)
        want[k] = t0
        os.kill(s["pid"], signal.SIGKILL)
        end = time.monotonic() + 5
        while seen.get(k, 0) < len(sel.get_map()) and \
                time.monotonic() < end:
            pump(sel, 0.05, on_msg)
        end = time.monotonic() + spacing
        while time.monotonic() < end:
            pump(sel, max(0.0, end - time.monotonic()), on_msg)
    missed = sum(max(0, n - seen.get(k, 0)) for k in want)
    with open(out, "w") as f:
        for a, b, k in got:
            f.write("%d %d %d\n" % (a, b, k))
    ms = [(b - a) / 1e6 for a, b, _ in got]
    if not ms:
        raise SystemExit("no deliveries")
    ks = [(k - a) / 1e6 for a, _, k in got if k]
    if len(ks) != len(ms):
        raise SystemExit("no kernel receive stamp on some deliveries")
    # the first delivery of each kill (the earliest kernel stamp)
    first = {}
    for a, _, k in got:
        first[a] = min(first.get(a, k), k)
    fs = [(k - a) / 1e6 for a, k in first.items()]
    print("%d %d %d %.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f %d" % (
        len(want), len(sel.get_map()), len(ms), pct(ks, 50), pct(ks, 99),
        max(ks), pct(ms, 50), pct(ms, 99), max(ms), pct(fs, 50), max(fs),
        missed))
    for c in cs:
        c.close()


def mode_hold(n, seconds, ready):
    n, seconds = int(n), float(seconds)
    sel = selectors.DefaultSelector()
    cs = []
    dropped = 0
    for _ in range(n):
        # one at a time, the ones connected read meanwhile: a client that
        # reads nothing while the others connect is a slow client to prodd
        c = connect(1)[0]
        cs.append(c)
        sel.register(c.sock, selectors.EVENT_READ, c)
        dropped += pump(sel, 0, lambda c, m, t, k: None)
    with open(ready, "w") as f:
        f.write("%d\n" % n)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        dropped += pump(sel, min(0.5, max(0.0, end - time.monotonic())),
                        lambda c, m, t, k: None)
    print("%d clients held %.0f s, %d dropped" % (n, seconds, dropped))
    for c in cs:
        c.close()


def mode_neverread(service, seconds):
    c = WS(rcvbuf=4096, timeout=30)
    if c.recv().get("type") != "snapshot":
        raise SystemExit("no snapshot first")
    c.send({"type": "subscribe", "logs": [service]})
    time.sleep(float(seconds))
    end = time.monotonic() + 30
    code = "open"
    try:
        while time.monotonic() < end:
            fin, op, data = c.read_frame()
            if op == 8:
                code = "closed %d" % (struct.unpack("!H", data[:2])[0]
                                      if len(data) >= 2 else 1005)
                break
    except (OSError, Closed) as e:
        code = "ended (%s)" % e
    print(code)
    c.sock.close()
def mode_keep(n, seconds):
    n, seconds = int(n), float(seconds)
    end = time.monotonic() + seconds
    lock = threading.Lock()
    tally = {"connects": 0, "errors": 0}
    codes = {}

    def run(i):
        time.sleep(0.05 * i)    # spread the first connects
        while time.monotonic() < end:
            try:
                c = WS(timeout=30)
            except (OSError, EOFError, ValueError, Closed) as e:
                with lock:
                    tally["errors"] += 1
                print("# connect failed: %s" % e, file=sys.stderr)
                time.sleep(1)
                continue
            with lock:
                tally["connects"] += 1
            try:
                while time.monotonic() < end:
                    _, op, data = c.read_frame()
                    if op == 9:
                        c.frame(10, data)
                    elif op == 8:
                        code = struct.unpack("!H", data[:2])[0] \
                            if len(data) >= 2 else 0
                        with lock:
                            codes[code] = codes.get(code, 0) + 1
                        break
            except socket.timeout:
                pass              # 30 s without a frame: reconnect
            except (OSError, EOFError, ValueError, Closed) as e:
                with lock:
                    tally["errors"] += 1
                print("# client error: %s" % e, file=sys.stderr)
            c.close()
            c.sock.close()

    ts = [threading.Thread(target=run, args=(i,), daemon=True)
          for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(max(0.1, end - time.monotonic() + 35))
    print("%d clients kept %.0f s: %d connects, closes by prodd%s, "
          "%d errors" % (n, seconds, tally["connects"], "".join(
              " %d x %d" % (v, k) for k, v in sorted(codes.items())) or
              " none", tally["errors"]))


def mode_poll(n, seconds, interval):
    n, seconds, interval = int(n), float(seconds), float(interval)
    h, p = hostport().rsplit(":", 1)
    end = time.monotonic() + seconds
    counts, errors = [0] * n, [0] * n
    status = {}

    def run(i):
        conn = None
        nxt = time.monotonic() + interval * i / n
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if nxt > now:
                time.sleep(min(nxt - now, end - now))
                continue
            nxt += interval
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(h, int(p), timeout=10)
                conn.request("GET", "/api/services")
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    errors[i] += 1
                    status[r.status] = status.get(r.status, 0) + 1
                counts[i] += 1
            except (OSError, http.client.HTTPException) as e:
                errors[i] += 1
                k = type(e).__name__
                status[k] = status.get(k, 0) + 1
                conn = None
        if conn is not None:
            conn.close()

    ts = [threading.Thread(target=run, args=(i,), daemon=True)
          for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(max(0.1, end - time.monotonic() + 15))
    print("%d requests, %d errors%s" % (sum(counts), sum(errors), "".join(
        ", %d x %s" % (v, k) for k, v in sorted(status.items(),
                                                 key=lambda x: str(x[0])))))


def main():
    modes = {"latency": mode_latency, "hold": mode_hold, "poll": mode_poll,
             "neverread": mode_neverread, "keep": mode_keep}
    if len(sys.argv) < 2 or sys.argv[1] not in modes:
        print(__doc__)
        sys.exit(2)
    socket.setdefaulttimeout(30)
    modes[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
