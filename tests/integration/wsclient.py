#!/usr/bin/env python3
"""A small RFC 6455 WebSocket client on Python's standard library, for
the black-box tests of prodd's /ws (t-ws.sh): the opening handshake over
TCP or a Unix socket, masked client frames (text, binary, close, ping,
pong, fragments, raw bytes), reading frames with fragments reassembled
and pings answered, and a "never read" mode (a tiny receive buffer and no
reads). The scenarios t-ws.sh runs are the functions named sc_*; each
prints what it saw and exits 0 when it saw what it should, 1 otherwise.

  wsclient.py SCENARIO [ARGS...]      (see the sc_* functions)

The address comes from WS_URL (ws://127.0.0.1:PORT/ws, or wss:// with
the CA file in WS_CAFILE) or WS_UNIX (the control socket's path), the
token from WS_TOKEN.
"""
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Closed(Exception):
    def __init__(self, code, reason):
        super().__init__("closed %s %r" % (code, reason))
        self.code = code
        self.reason = reason


class WS:
    def __init__(self, path="/ws", unix=None, url=None, headers=None,
                 rcvbuf=None, timeout=10.0):
        url = url or os.environ.get("WS_URL", "")
        unix = unix or (None if url else os.environ.get("WS_UNIX"))
        if unix:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            if rcvbuf:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                                     rcvbuf)
            self.sock.connect(unix)
            host = "localhost"
        else:
            rest = url.split("://", 1)[1]
            hostport = rest.split("/", 1)[0]
            h, p = hostport.rsplit(":", 1)
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if rcvbuf:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                                     rcvbuf)
            self.sock.connect((h, int(p)))
            if url.startswith("wss://"):
                # TLS, checked against WS_CAFILE (else the system's CAs)
                import ssl
                ctx = ssl.create_default_context(
                    cafile=os.environ.get("WS_CAFILE"))
                self.sock = ctx.wrap_socket(self.sock, server_hostname=h)
            host = hostport
        self.sock.settimeout(timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        hdrs = {"Host": host, "Upgrade": "websocket",
                "Connection": "Upgrade", "Sec-WebSocket-Key": key,
                "Sec-WebSocket-Version": "13"}
        hdrs.update(headers or {})
        req = "GET %s HTTP/1.1\r\n" % path + "".join(
            "%s: %s\r\n" % kv for kv in hdrs.items() if kv[1] is not None)
        self.sock.sendall((req + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(4096)
            if not d:
                raise Closed(None, "no handshake answer")
            self.buf += d
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])
        if self.status != 101:
            raise Closed(self.status, "handshake refused")
        want = base64.b64encode(hashlib.sha1(
            (key + GUID).encode()).digest()).decode()
        if ("sec-websocket-accept: " + want).lower().encode() not in \
                head.lower():
            raise Closed(None, "bad Sec-WebSocket-Accept")
        self.deflate = b"permessage-deflate" in head.lower()

    # ---- writing
    def frame(self, opcode, payload=b"", fin=True, mask=True):
        if isinstance(payload, str):
            payload = payload.encode()
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        m = 0x80 if mask else 0
        if n < 126:
            hdr = struct.pack("!BB", b0, m | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, m | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, m | 127, n)
        if mask:
            k = os.urandom(4)
            payload = bytes(c ^ k[i % 4] for i, c in enumerate(payload)) \
                if n < 100000 else _mask_fast(payload, k)
            hdr += k
        self.sock.sendall(hdr + payload)

    def send(self, obj):
        self.frame(1, json.dumps(obj) if not isinstance(obj, (str, bytes))
                   else obj)

    def close(self, code=1000):
        try:
            self.frame(8, struct.pack("!H", code))
        except OSError:
            pass

    # ---- reading
    def _need(self, n):
        while len(self.buf) < n:
            d = self.sock.recv(65536)
            if not d:
                raise Closed(None, "connection ended without a close frame")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self):
        b0, b1 = self._need(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._need(8))[0]
        if b1 & 0x80:
            raise Closed(None, "the server masked a frame")
        return bool(b0 & 0x80), b0 & 0x0F, self._need(n)

    def recv(self):
        """The next message as JSON (pings answered, fragments joined);
        raises Closed at a close frame."""
        parts, frames = [], 0
        while True:
            fin, op, data = self.read_frame()
            if op == 9:
                self.frame(10, data)
                continue
            if op == 10:
                continue
            if op == 8:
                code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 \
                    else None
                raise Closed(code, data[2:].decode(errors="replace"))
            parts.append(data)
            frames += 1
            if fin:
                self.last_frames = frames
                return json.loads(b"".join(parts).decode())

    def recv_until(self, pred, timeout=10.0, keep=None):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching message")
            self.sock.settimeout(left)
            m = self.recv()
            if keep is not None:
                keep.append(m)
            if pred(m):
                return m


def _mask_fast(payload, k):
    n = len(payload)
    kk = (k * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(kk, "big")) \
        .to_bytes(n, "big")


def say(*a):
    print("#", *a, flush=True)


def fail(msg):
    print("# FAIL:", msg, flush=True)
    sys.exit(1)


def expect_close(ws, code, timeout=15.0):
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            ws.sock.settimeout(max(0.1, end - time.monotonic()))
            ws.recv()
    except Closed as c:
        if c.code != code:
            fail("closed with %s (%s), not %d" % (c.code, c.reason, code))
        say("closed with", c.code, c.reason)
        return
    except socket.timeout:
        pass
    fail("not closed with %d within %.0f s" % (code, timeout))


def is_type(t, **kw):
    return lambda m: m.get("type") == t and all(
        m.get(k) == v for k, v in kw.items())


# ---- scenarios -----------------------------------------------------------

def sc_snapshot():
    """The first message: the snapshot, with last_seq, instance, data."""
    ws = WS()
    if ws.deflate:
        fail("permessage-deflate was negotiated")
    m = ws.recv()
    if m.get("type") != "snapshot":
        fail("first message: %r" % m.get("type"))
    for k in ("last_seq", "instance"):
        if k not in m:
            fail("no %s in the snapshot" % k)
    if "services" not in m["data"] or "reason" in m:
        fail("snapshot data without services, or with a reason")
    print(m["instance"], m["last_seq"])


def sc_refused(path, *headers):
    """The upgrade is refused (a path other than /ws, a bad Host/Origin)."""
    h = dict(x.split(": ", 1) for x in headers)
    try:
        WS(path=path, headers=h)
    except (Closed, OSError) as e:
        say("refused:", e)
        return
    fail("upgrade of %s accepted" % path)


def sc_event_after(cmd):
    """An event arrives after the shell command cmd, with its seq."""
    ws = WS()
    snap = ws.recv()
    os.system(cmd)
    m = ws.recv_until(is_type("event"), 15)
    if m["event"].get("seq", 0) <= snap["last_seq"]:
        fail("event seq %s <= last_seq %s" % (m["event"].get("seq"),
                                              snap["last_seq"]))
    say("event", json.dumps(m["event"]))


def sc_metrics(n, service):
    """n metrics messages, each with system and the service's figures."""
    ws = WS()
    ws.recv()
    t0 = time.monotonic()
    for _ in range(int(n)):
        m = ws.recv_until(is_type("metrics"), 10)
        if "system" not in m or service not in m.get("services", {}):
            fail("metrics without system or %s: %s" % (service, m))
    say("%s metrics messages in %.2f s" % (n, time.monotonic() - t0))


def sc_compact(service):
    """?metrics=compact: "fields" and each service's figures as an array,
    the same figures as the objects form (a figure that moves by a sample
    apart aside); ?metrics=other: an error, then the objects form."""
    full, comp = WS(), WS(path="/ws?metrics=compact")
    full.recv()
    comp.recv()
    c = comp.recv_until(is_type("metrics"), 10)
    f = full.recv_until(is_type("metrics"), 10)
    fields = c.get("fields")
    if fields != list(f["services"][service].keys()):
        fail("fields %r, objects' keys %r" % (fields,
                                             list(f["services"][service])))
    a = c["services"].get(service)
    if not isinstance(a, list) or len(a) != len(fields) or \
            set(c["services"]) != set(f["services"]):
        fail("compact services: %r" % c["services"])
    same = ("processes", "threads")
    o = f["services"][service]
    if any(a[fields.index(k)] != o[k] for k in same):
        fail("compact %r, objects %r" % (a, o))
    say("compact %s: %s (%d bytes), objects: %s" % (service, a,
                                                   len(json.dumps(c)), o))
    bad = WS(path="/ws?metrics=other")
    e = bad.recv_until(is_type("error"), 10)
    m = bad.recv_until(is_type("metrics"), 10)
    if e.get("code") != "bad_request" or \
            not isinstance(m["services"].get(service), dict):
        fail("metrics=other: %r then %r" % (e, m))
    say("metrics=other: %s" % e["error"])


def sc_logs(service, tail):
    """Subscribe with tail: the last lines (n increasing), then live ones;
    an unknown name gets an error, the known one is still subscribed;
    after unsubscribe no more lines."""
    ws = WS()
    ws.recv()
    ws.send({"type": "subscribe", "logs": [service, "no-such"],
             "tail": int(tail)})
    got, err = [], None
    end = time.monotonic() + 10
    while time.monotonic() < end and (len(got) < int(tail) + 2 or
                                     err is None):
        m = ws.recv_until(lambda m: m["type"] in ("log", "error"), 10)
        if m["type"] == "error":
            err = m
        else:
            got.append(m)
    if err is None or err.get("code") != "not_found" or \
            "no-such" not in err.get("error", ""):
        fail("no not_found error for the unknown name: %r" % err)
    ns = [m["n"] for m in got]
    if len(got) < int(tail) + 2 or ns != sorted(ns) or \
            any(m["service"] != service for m in got):
        fail("lines: %r" % ns)
    say("lines n=%s" % ns)
    ws.send({"type": "unsubscribe", "logs": [service]})
    time.sleep(0.5)
    try:
        ws.sock.settimeout(0.3)
        while True:
            ws.recv()
    except (socket.timeout, TimeoutError):
        pass
    try:
        ws.recv_until(is_type("log"), 1.5)
    except (socket.timeout, TimeoutError):
        return
    fail("a line after unsubscribe")


def sc_command(action, service, status, code, token=None):
    """A command's result: status and code (or ok with the service)."""
    ws = WS()
    ws.recv()
    msg = {"type": "command", "action": action, "service": service,
           "id": 7}
    if token:
        msg["token"] = token
    ws.send(msg)
    m = ws.recv_until(is_type("result"), 10)
    say("result", json.dumps(m)[:300])
    if m.get("id") != 7 or m.get("status") != int(status):
        fail("result %r" % m)
    if code == "ok":
        if m.get("ok") is not True or m.get("service", {}).get("name") != \
                service:
            fail("no service object on success")
    elif m.get("ok") is not False or m.get("code") != code:
        fail("code %r, not %s" % (m.get("code"), code))


def sc_wrong_tokens(service):
    """5 wrong tokens: four 403 results, then close 1008."""
    ws = WS()
    ws.recv()
    for i in range(5):
        ws.send({"type": "command", "action": "restart", "service": service,
                 "token": "wrong%d" % i, "id": i})
    for i in range(5):
        try:
            m = ws.recv_until(is_type("result"), 10)
        except Closed as c:
            if i == 4 and c.code == 1008:
                say("closed with 1008 before the 5th result")
                return
            raise
        if m.get("status") != 403:
            fail("result %r" % m)
    expect_close(ws, 1008)


def sc_rate(service, token, n):
    """n commands with the token: the ones past the address's rate limit
    get 429 rate_limited."""
    ws = WS()
    ws.recv()
    codes = []
    for i in range(int(n)):
        ws.send({"type": "command", "action": "start", "service": service,
                 "token": token, "id": i})
        m = ws.recv_until(is_type("result", id=i), 10)
        codes.append(m["status"])
    say("statuses", codes)
    if 429 not in codes or codes[0] == 429:
        fail("no 429 after the first commands: %r" % codes)
    if m.get("code") != "rate_limited":
        fail("code %r" % m.get("code"))


def sc_garbage():
    """Bad JSON, unknown type, wrong fields, binary, fragmented text: error
    messages, and the connection stays (a later command still answers)."""
    ws = WS()
    ws.recv()
    bad = ["{nope", "[1]", '{"type":"dance"}', '{"type":"subscribe"}',
           '{"type":"command","action":"kill","service":"x"}']
    for b in bad:
        ws.frame(1, b)
        m = ws.recv_until(lambda m: m["type"] == "error", 5)
        say("error for %s: %s" % (b, m.get("error")))
    ws.frame(2, b"\x00\x01\x02")
    ws.recv_until(is_type("error"), 5)
    # one message in three fragments, and a ping in the middle
    ws.frame(1, '{"type":"subs', fin=False)
    ws.frame(9, b"hi")
    ws.frame(0, 'cribe","logs":[', fin=False)
    ws.frame(0, '"nosuch"]}')
    m = ws.recv_until(is_type("error"), 5)
    if m.get("code") != "not_found":
        fail("fragmented message not understood: %r" % m)
    ws.send({"type": "unsubscribe", "logs": []})
    ws.send('{"type":"dance","id":"x1"}')
    m = ws.recv_until(is_type("error"), 5)
    if m.get("id") != "x1":
        fail("the id is not echoed in an error: %r" % m)


def sc_oversize():
    """A message over 64 KiB: close 1009."""
    ws = WS()
    ws.recv()
    ws.frame(1, '{"type":"subscribe","logs":["' + "a" * 70000 + '"]}')
    expect_close(ws, 1009)


def sc_never_read(service, seconds):
    """Subscribe to a chatty service and never read: closed with 1008.
    Meanwhile another client gets the events of restarts on time (the
    shell's command in $RESTART_CMD, run here)."""
    slow = WS(rcvbuf=4096)
    slow.recv()
    slow.send({"type": "subscribe", "logs": [service]})
    fast = WS()
    fast.recv()
    end = time.monotonic() + float(seconds)
    lat = []
    while time.monotonic() < end:
        t0 = time.monotonic()
        os.system(os.environ["RESTART_CMD"] + " >/dev/null")
        fast.recv_until(is_type("event"), 5)
        lat.append(time.monotonic() - t0)
        time.sleep(0.5)
    say("the other client: %d events, slowest %.3f s" % (len(lat), max(lat)))
    if max(lat) > 3:
        fail("the other client waited %.1f s for an event" % max(lat))
    expect_close(slow, 1008, 30)


def sc_queued(service):
    """prodd_ws_queued_bytes shows what waits for a client that does not
    read: subscribed to SERVICE (steady lines, faster than the socket
    buffers of a client with a tiny receive buffer take them) and never
    reading, its backlog shows in the gauge (64 KiB or more, never over
    its 1 MiB bound and one metrics message); once it hangs up, the
    gauge is back to 0."""
    slow = WS(rcvbuf=4096)
    slow.recv()
    slow.send({"type": "subscribe", "logs": [service]})
    seen, end = 0, time.monotonic() + 30
    while time.monotonic() < end and seen < 65536:
        seen = scrape().get("prodd_ws_queued_bytes", -1)
        time.sleep(0.05)
    if not 65536 <= seen <= 1024 * 1024 + 65536:
        fail("queued for the client that does not read: %r bytes" % seen)
    slow.sock.close()
    now, end = seen, time.monotonic() + 10
    while time.monotonic() < end and now != 0:
        time.sleep(0.1)
        now = scrape().get("prodd_ws_queued_bytes", -1)
    if now != 0:
        fail("still queued after the client hung up: %r bytes" % now)
    say("queued %d bytes for the client that does not read, 0 once gone"
        % seen)


def _frames(buf):
    """The whole frames at the start of buf: ([(opcode, payload)], rest)."""
    out = []
    while len(buf) >= 2:
        n, at = buf[1] & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                break
            n, at = struct.unpack("!H", buf[2:4])[0], 4
        elif n == 127:
            if len(buf) < 10:
                break
            n, at = struct.unpack("!Q", buf[2:10])[0], 10
        if len(buf) < at + n:
            break
        out.append((buf[0] & 0x0F, buf[at:at + n]))
        buf = buf[at + n:]
    return out, buf


def sc_ping(seconds):
    """Two clients that send nothing: one answers pings, one does not.
    Both are pinged after 30 s of silence; the mute one is closed with
    1008 some 30 s after its ping, the one that answers stays up and
    still gets an answer after that."""
    import select
    mute = WS()
    # the mute client's silence begins with its handshake, the last thing
    # it sends: the clock starts there, not after the first messages (a
    # snapshot rendered late on a busy machine moved it by a second)
    t0 = time.monotonic()
    polite = WS()
    mute.recv()
    polite.recv()
    end = t0 + float(seconds)
    pinged = {}
    closed = None
    while time.monotonic() < end and closed is None:
        ready, _, _ = select.select([mute.sock, polite.sock], [], [], 0.5)
        for sock in ready:
            ws = mute if sock is mute.sock else polite
            who = "mute" if ws is mute else "polite"
            d = ws.sock.recv(65536)
            if not d:
                fail("the %s client's connection ended with no close frame" % who)
            frames, ws.buf = _frames(ws.buf + d)
            for op, data in frames:
                if op == 9:
                    if who not in pinged:
                        pinged[who] = time.monotonic() - t0
                        say("the %s client was pinged after %.1f s" % (who, pinged[who]))
                    if who == "polite":
                        polite.frame(10, data)
                elif op == 8:
                    if who == "polite":
                        fail("the client that answers pings was closed "
                             "(%r, after %.1f s)" % (bytes(data),
                                                     time.monotonic() - t0))
                    code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
                    closed = (code, data[2:].decode(errors="replace"),
                              time.monotonic() - t0)
    if "mute" not in pinged or "polite" not in pinged:
        fail("not both clients were pinged: %r" % pinged)
    if pinged["mute"] < 29:
        fail("pinged after %.1f s, before 30 s of silence" % pinged["mute"])
    if closed is None:
        fail("the mute client was not closed within %s s" % seconds)
    code, why, at = closed
    say("the mute client closed with %s (%s) after %.1f s" % (code, why, at))
    if code != 1008:
        fail("closed with %s, not 1008" % code)
    if at - pinged["mute"] < 29:
        fail("closed %.1f s after its ping, before 30 s" % (at - pinged["mute"]))
    polite.sock.settimeout(10)
    polite.send({"type": "subscribe", "logs": ["nosuch"]})
    m = polite.recv_until(is_type("error"), 10)
    say("the polite client still gets answers:", m.get("type"))


def sc_resume(since, instance, want):
    """?since=SEQ[&instance=ID]: want "replay" (events after SEQ, no
    snapshot) or "gap" (a snapshot with reason gap)."""
    q = "/ws?since=" + since + ("&instance=" + instance if instance else "")
    ws = WS(path=q)
    m = ws.recv()
    if want == "gap":
        if m.get("type") != "snapshot" or m.get("reason") != "gap":
            fail("not a gap snapshot: %s" % json.dumps(m)[:200])
        return
    if m.get("type") != "event":
        fail("first message %r, not an event" % m.get("type"))
    seqs = [m["event"]["seq"]]
    end = time.monotonic() + 1.5
    try:
        while time.monotonic() < end:
            ws.sock.settimeout(max(0.05, end - time.monotonic()))
            m = ws.recv()
            if m["type"] == "event":
                seqs.append(m["event"]["seq"])
    except (socket.timeout, TimeoutError):
        pass
    if seqs[0] != int(since) + 1 or seqs != list(range(seqs[0],
                                                    seqs[0] + len(seqs))):
        fail("replayed seqs %r" % seqs)
    say("replayed", seqs)


def scrape():
    """prodd's ws counters, from /metrics over WS_URL's address."""
    import urllib.request
    hp = os.environ["WS_URL"].split("://", 1)[1].split("/", 1)[0]
    out = {}
    with urllib.request.urlopen("http://%s/metrics" % hp, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("prodd_ws_"):
                k, v = line.split(" ")
                out[k] = float(v)
    return out


def sc_many(n, cmd, events):
    """n clients; cmd makes events: each client gets them all, and
    between two scrapes of /metrics each message was rendered once and
    sent n times (frames ≈ n × rendered)."""
    n = int(n)
    cs = [WS() for _ in range(n)]
    for c in cs:
        c.recv()
    time.sleep(0.3)
    a = scrape()
    if a.get("prodd_ws_clients") != n:
        fail("prodd_ws_clients %s, not %d" % (a.get("prodd_ws_clients"), n))
    os.system(cmd)
    for c in cs:
        for _ in range(int(events)):
            c.recv_until(is_type("event"), 15)
    time.sleep(0.3)
    b = scrape()
    r = b["prodd_ws_messages_rendered_total"] - \
        a["prodd_ws_messages_rendered_total"]
    f = b["prodd_ws_frames_sent_total"] - a["prodd_ws_frames_sent_total"]
    say("%d clients got %s events each; rendered %d, frames %d" %
        (n, events, r, f))
    if r < int(events) or abs(f - n * r) > n * 2:
        fail("frames %d is not about %d x rendered %d" % (f, n, r))
    for c in cs:
        c.close()


def sc_shutdown(cmd):
    """Connected while cmd stops prodd: closed with 1001."""
    ws = WS()
    ws.recv()
    os.system(cmd)
    expect_close(ws, 1001, 30)


def sc_upgrade(cmd):
    """Connected while cmd upgrades prodd: closed with 1012; reconnecting
    with since=last_seq and the same instance replays the events after
    it (the upgrade's own among them), no snapshot: the same instance."""
    ws = WS()
    snap = ws.recv()
    inst, last = snap["instance"], snap["last_seq"]
    os.system(cmd)
    expect_close(ws, 1012, 30)
    end = time.monotonic() + 20
    while True:
        try:
            ws = WS(path="/ws?since=%d&instance=%s" % (last, inst))
            break
        except (Closed, OSError):
            if time.monotonic() > end:
                raise
            time.sleep(0.05)
    m = ws.recv()
    if m.get("type") != "event":
        fail("after the upgrade: %s, not the events replayed" %
             json.dumps(m)[:200])
    seqs = [m["event"]["seq"]]
    reasons = [m["event"].get("reason") or ""]
    while not any(r.startswith("upgraded in place") for r in reasons):
        m = ws.recv_until(is_type("event"), 15)
        seqs.append(m["event"]["seq"])
        reasons.append(m["event"].get("reason") or "")
    if seqs[0] != last + 1 or seqs != list(range(seqs[0],
                                                 seqs[0] + len(seqs))):
        fail("replayed seqs %r after %d" % (seqs, last))
    say("1012, then resumed at %d with instance %s: %r" % (last, inst, seqs))


def main():
    if len(sys.argv) < 2 or "sc_" + sys.argv[1] not in globals():
        print(__doc__)
        sys.exit(2)
    try:
        globals()["sc_" + sys.argv[1]](*sys.argv[2:])
    except (Closed, OSError, TimeoutError, ValueError, KeyError) as e:
        fail("%s: %s" % (type(e).__name__, e))


if __name__ == "__main__":
    main()
