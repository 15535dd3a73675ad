#!/usr/bin/env python3
"""Hostile clients at scale for prodd's TCP listener, on Python's asyncio
(standard library only), for t-hostile.sh. Each scenario prints what it
saw, one "# ..." line per finding, and exits 0 when prodd held up, 1
otherwise.

  hostile.py hold IDLE SLOW SECONDS    IDLE connections that send nothing
                                       and SLOW slowloris ones (a header
                                       line now and then, never the end)
                                       held at once, while a normal client
                                       asks /api/health every 100 ms: each
                                       answer within 1 s
  hostile.py ws N                      N /ws connections sending random
                                       bytes, truncated, unmasked,
                                       oversized and reserved frames
  hostile.py fuzz N                    N requests with random methods,
                                       paths, queries and headers: each
                                       answered below 500 (with prodd's
                                       security headers), or closed,
                                       within 2 s
  hostile.py rate N RATE [ADDR...]     N source addresses 127.0.0.K (or
                                       the ADDRs given), each sends RATE+5
                                       requests: exactly RATE are served
                                       to each, the rest are 429

The port comes from PORT (prodd's 127.0.0.1:PORT); a seed from SEED
(printed, so a failure can be replayed).
"""
import asyncio
import base64
import os
import random
import struct
import sys
import time

HOST = "127.0.0.1"
PORT = int(os.environ.get("PORT", "8003"))
SEED = int(os.environ.get("SEED", str(int(time.time() * 1000) % 1000000)))
rnd = random.Random(SEED)


def say(*a):
    print("#", *a, flush=True)


async def read_status(reader, timeout):
    """The status of the answer, 0 when the connection was closed before
    one came, None on timeout."""
    try:
        line = await asyncio.wait_for(reader.readline(), timeout)
    except asyncio.TimeoutError:
        return None
    except (ConnectionError, OSError):
        return 0
    if not line:
        return 0
    parts = line.split()
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        return -1
    try:
        return int(parts[1])
    except ValueError:
        return -1


async def get(path, timeout=2.0, local=None, headers=b""):
    """One GET on its own connection: (status, seconds)."""
    t0 = time.monotonic()
    w = None
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(
            HOST, PORT, local_addr=(local, 0) if local else None), timeout)
        w.write(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1"
                b"\r\nConnection: close\r\n" + headers + b"\r\n")
        st = await read_status(r, timeout - (time.monotonic() - t0))
    except (asyncio.TimeoutError, ConnectionError, OSError):
        st = None
    finally:
        if w is not None:
            w.close()
    return st, time.monotonic() - t0


# ---- hold: idle and slowloris connections, a normal client beside ------

async def sc_hold(nidle, nslow, secs):
    nidle, nslow, secs = int(nidle), int(nslow), float(secs)
    conns = []
    stop = asyncio.Event()

    async def opener(n):
        out = []
        for _ in range(n):
            try:
                out.append(await asyncio.wait_for(
                    asyncio.open_connection(HOST, PORT), 5))
            except (asyncio.TimeoutError, OSError) as e:
                say("connect failed:", e)
                return out
        return out

    async def loris(w):
        try:
            w.write(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while not stop.is_set():
                await asyncio.sleep(1 + rnd.random())
                w.write(b"X-%d: %d\r\n" % (rnd.randrange(1 << 30),
                                           rnd.randrange(1 << 30)))
                await w.drain()
        except (ConnectionError, OSError):
            pass

    t0 = time.monotonic()
    # in batches, so that the backlog never overflows
    for _ in range(0, nidle, 200):
        conns += await opener(min(200, nidle - len(conns)))
    idle = len(conns)
    slow = await opener(nslow)
    tasks = [asyncio.ensure_future(loris(w)) for _, w in slow]
    say("held %d idle and %d slowloris connections (opened in %.1f s)" %
        (idle, len(slow), time.monotonic() - t0))
    worst, n, bad = 0.0, 0, 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        st, dt = await get("/api/health", 2.0)
        n += 1
        worst = max(worst, dt)
        if st != 200 or dt > 1.0:
            bad += 1
            say("normal client: status %s after %.3f s" % (st, dt))
        await asyncio.sleep(0.1)
    # the held connections still open (prodd did not drop them at random)
    alive = sum(1 for r, _ in conns if not r.at_eof())
    stop.set()
    for t in tasks:
        t.cancel()
    for _, w in conns + slow:
        w.close()
    say("normal client: %d requests, worst %.3f s, %d late or failed; "
        "%d of %d idle connections still open at the end" %
        (n, worst, bad, alive, idle))
    ok = idle == nidle and len(slow) == nslow and bad == 0 and n > 0
    return 0 if ok else 1


# ---- ws: hostile WebSocket frames --------------------------------------

def frame(opcode, payload, mask=True, fin=True, rsv=0, length=None):
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    if n < 126:
        hdr = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
    if not mask:
        return hdr + payload
    key = os.urandom(4)
    return hdr + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


def hostile_ws_bytes(i):
    """The i-th kind of hostile input, after a good handshake."""
    k = i % 12
    if k == 0:
        return os.urandom(rnd.randrange(1, 4096))
    if k == 1:  # a frame cut short: 100 bytes said, 10 sent
        return frame(1, b"x" * 100)[:16]
    if k == 2:  # unmasked (a client must mask)
        return frame(1, b'{"type":"subscribe","logs":[]}', mask=False)
    if k == 3:  # a 2^63-1 byte length
        return struct.pack("!BBQ", 0x81, 0xff, (1 << 63) - 1) + b"abcd"
    if k == 4:  # reserved bits, no extension
        return frame(1, b"{}", rsv=7)
    if k == 5:  # reserved opcode
        return frame(rnd.choice([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), b"x")
    if k == 6:  # a fragmented control frame, and a ping over 125 bytes
        return frame(9, b"p", fin=False) + frame(9, b"p" * 200)
    if k == 7:  # a continuation with nothing to continue
        return frame(0, b"tail")
    if k == 8:  # a text frame that is not UTF-8, then bad JSON
        return frame(1, b"\xff\xfe\xc0\x80") + frame(1, b"{\"type\":")
    if k == 9:  # a close frame with a 1-byte payload, then more
        return frame(8, b"\x03") + frame(1, b"{}")
    if k == 10:  # a fragmented message left unfinished
        return frame(1, b'{"type":"sub', fin=False) + frame(0, b"scri",
                                                            fin=False)
    # random frame headers
    return b"".join(frame(rnd.randrange(16), os.urandom(rnd.randrange(64)),
                          mask=rnd.random() < 0.8, fin=rnd.random() < 0.7,
                          rsv=rnd.randrange(8))[:rnd.randrange(2, 80)]
                    for _ in range(rnd.randrange(1, 8)))


async def ws_open(timeout=5):
    r, w = await asyncio.wait_for(asyncio.open_connection(HOST, PORT),
                                  timeout)
    key = base64.b64encode(os.urandom(16))
    w.write(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key +
            b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
    st = await read_status(r, timeout)
    if st != 101:
        w.close()
        raise OSError("handshake: status %s" % st)
    while True:
        line = await asyncio.wait_for(r.readline(), timeout)
        if line in (b"\r\n", b""):
            break
    return r, w


async def ws_snapshot(timeout=5):
    """A well-behaved client's first message: the snapshot."""
    r, w = await ws_open(timeout)
    try:
        hdr = await asyncio.wait_for(r.readexactly(2), timeout)
        n = hdr[1] & 0x7f
        if n == 126:
            n = struct.unpack("!H", await r.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await r.readexactly(8))[0]
        data = await asyncio.wait_for(r.readexactly(min(n, 64)), timeout)
        return b'"snapshot"' in data
    finally:
        w.close()


async def sc_ws(n):
    n = int(n)
    sem = asyncio.Semaphore(50)
    fails = []

    async def one(i):
        async with sem:
            try:
                r, w = await ws_open()
            except (asyncio.TimeoutError, OSError) as e:
                fails.append("connection %d: %s" % (i, e))
                return
            try:
                w.write(hostile_ws_bytes(i))
                await w.drain()
                # half of them hang up at once, half wait for prodd
                if i % 2 == 0:
                    try:
                        await asyncio.wait_for(r.read(1 << 20), 0.2)
                    except asyncio.TimeoutError:
                        pass
            except (ConnectionError, OSError):
                pass
            finally:
                w.close()

    t0 = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(n)))
    for f in fails[:10]:
        say(f)
    good = await ws_snapshot()
    st, _ = await get("/api/health")
    say("%d hostile /ws connections in %.1f s, %d refused; then a "
        "snapshot: %s, /api/health: %s" % (n, time.monotonic() - t0,
                                           len(fails), good, st))
    return 0 if not fails and good and st == 200 else 1


# ---- fuzz: random requests ----------------------------------------------

METHODS = [b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS",
           b"PATCH", b"TRACE", b"CONNECT", b"get", b"G\x00T", b"",
           b"GETGETGETGETGETGETGETGET", b"\xff\xfe"]
SEGS = ["api", "services", "health", "live", "ready", "logs", "events",
        "metrics", "history", "ws", "dashboard-data", "alerts", "reload",
        "start", "stop", "restart", "signal", "start-all", "stop-all",
        "svc", "nosuch", "..", ".", "", "%2e%2e", "%00", "%ff", "%",
        "index.html", "a" * 300, "\u00e9", "~", "%2f", "\\", "*"]
QKEYS = ["lines", "stream", "follow", "since", "history", "service",
         "series", "instance", "x", "", "lines[]", "%00"]
QVALS = ["1", "0", "-1", "99999999999999999999", "stdout", "stderr",
         "cpu,rss", "abc", "", "%", "%zz", "1e308", "0x10", "\u2603",
         "a" * 2000, "nan", "svc"]
# headers the guards refuse (403): one request in five has one
GUARDED = [b"Host: evil.example", b"Host: [::1", b"Host: 127.0.0.1:x",
           b"Origin: http://evil.example", b"Origin: null"]
HDRS = [b"Origin: http://127.0.0.1", b"Authorization: Bearer x", b"Authorization: Basic",
        b"Content-Length: 5", b"Content-Length: -1",
        b"Content-Length: 99999999999999999999",
        b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip",
        b"Accept-Encoding: gzip;q=0", b"If-None-Match: *",
        b"Connection: keep-alive", b"Connection: upgrade",
        b"Upgrade: websocket", b"Upgrade: h2c", b"Range: bytes=0-1",
        b"Expect: 100-continue", b"X-Long: " + b"y" * 5000,
        b"NoColon", b": empty-name", b"Sp ace: x", b"Cookie: \x00\x01",
        b"Accept: */*"]


def random_request():
    segs = [rnd.choice(SEGS) for _ in range(rnd.randrange(0, 6))]
    path = "/" + "/".join(segs)
    if rnd.random() < 0.1:
        path = rnd.choice(["*", "", "http://127.0.0.1/api/health",
                           "//api//health", "/" * 200])
    if rnd.random() < 0.6:
        path += "?" + "&".join(
            rnd.choice(QKEYS) + rnd.choice(["=", "", "=="]) +
            rnd.choice(QVALS) for _ in range(rnd.randrange(1, 5)))
    req = rnd.choice(METHODS) + b" " + path.encode("utf-8",
                                                   "surrogateescape")
    req += rnd.choice([b" HTTP/1.1", b" HTTP/1.0", b" HTTP/1.1",
                       b" HTTP/2.0", b" HTTP/9", b"", b" FOO/1.1"])
    req += b"\r\n"
    hdrs = [rnd.choice(HDRS) for _ in range(rnd.randrange(0, 6))]
    if rnd.random() < 0.2:
        hdrs.append(rnd.choice(GUARDED))
    if rnd.random() < 0.8 and not any(h.startswith(b"Host") for h in hdrs):
        hdrs.insert(0, b"Host: 127.0.0.1")
    req += b"".join(h + b"\r\n" for h in hdrs)
    if rnd.random() < 0.05:
        req += os.urandom(rnd.randrange(1, 200))
    req += b"\r\n"
    if rnd.random() < 0.3:
        req += rnd.choice([b"hello", b"{\"signal\":\"HUP\"}",
                           b"5\r\nhello\r\n0\r\n\r\n", b"zz\r\n",
                           os.urandom(100)])
    if rnd.random() < 0.05:
        req = req[:rnd.randrange(len(req))]  # cut short, then closed
    return req


async def sc_fuzz(n):
    n = int(n)
    sem = asyncio.Semaphore(32)
    res = {"answered": 0, "closed": 0}
    bad = []

    async def one(i):
        req = random_request()
        async with sem:
            t0 = time.monotonic()
            w = None
            st = None
            try:
                r, w = await asyncio.wait_for(
                    asyncio.open_connection(HOST, PORT), 2)
                w.write(req)
                # then the end of the stream: a request cut short can
                # never be completed, so prodd has no reason to wait
                # (one that never ends is the slowloris of sc_hold)
                w.write_eof()
                st = await read_status(r, 2.0 - (time.monotonic() - t0))
                if st is not None and st > 0:
                    head = await asyncio.wait_for(
                        r.readuntil(b"\r\n\r\n"),
                        2.0 - (time.monotonic() - t0))
                    # every answer carries prodd's security headers,
                    # those libwebsockets makes up by itself too
                    if b"x-content-type-options: nosniff" not in \
                            head.lower():
                        bad.append((i, "status %d without nosniff" % st,
                                    req))
                        return
            except asyncio.TimeoutError:
                st = None
            except (ConnectionError, OSError, asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError):
                st = 0 if w is not None else None
            finally:
                if w is not None:
                    w.close()
            if st is None:
                bad.append((i, "no answer within 2 s", req))
            elif st == 0:
                res["closed"] += 1
            elif st >= 500 or st < 100:
                bad.append((i, "status %d" % st, req))
            else:
                res["answered"] += 1
                res[st] = res.get(st, 0) + 1

    t0 = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(n)))
    dt = time.monotonic() - t0
    for i, why, req in bad[:10]:
        say("request %d: %s: %r" % (i, why, req[:200]))
    st, _ = await get("/api/health")
    codes = " ".join("%s:%d" % (k, v) for k, v in sorted(
        res.items(), key=lambda kv: str(kv[0])) if isinstance(k, int))
    say("seed %d: %d requests in %.1f s: %d answered (%s), %d closed, %d "
        "bad; then /api/health: %s" % (SEED, n, dt, res["answered"], codes,
                                       res["closed"], len(bad), st))
    # a cut request whose truncation kept it incomplete waits for lws's
    # own timeout; the rest are answered
    return 0 if not bad and st == 200 else 1


# ---- rate: many source addresses ---------------------------------------

async def sc_rate(naddr, rate, *addrs):
    naddr, rate = int(naddr), int(rate)
    addrs = list(addrs) or ["127.0.0.%d" % k for k in range(1, naddr + 1)]
    per = {a: {} for a in addrs}

    async def one(a):
        st, _ = await get("/api/health", 5.0, local=a)
        per[a][st] = per[a].get(st, 0) + 1

    t0 = time.monotonic()
    # round-robin over the addresses: each one's requests are spread over
    # the run, as many clients behind one host's addresses would be
    for _ in range(rate + 5):
        await asyncio.gather(*(one(a) for a in addrs))
    dt = time.monotonic() - t0
    wrong = [(a, c) for a, c in per.items()
             if c.get(200, 0) != rate or c.get(429, 0) != 5]
    for a, c in wrong[:10]:
        say("%s: %s (wanted %d x 200, 5 x 429)" % (a, c, rate))
    say("%d addresses x %d requests in %.1f s: %d with exactly %d served "
        "and 5 refused" % (len(addrs), rate + 5, dt, len(addrs) - len(wrong),
                           rate))
    return 0 if not wrong else 1


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    fn = globals().get("sc_" + sys.argv[1])
    if fn is None:
        print("unknown scenario " + sys.argv[1], file=sys.stderr)
        return 2
    return asyncio.run(fn(*sys.argv[2:]))


if __name__ == "__main__":
    sys.exit(main())
