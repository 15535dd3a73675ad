#!/usr/bin/env python3
"""The service manager's side of prodd's systemd protocols, for
t-sdnotify.sh: a datagram socket bound at a path, and one line per
datagram appended to OUT, flushed at once, until PARENT (a pid) ends or
SIGTERM.

  sdlisten.py notify SOCK OUT PARENT [PORT]
      sd_notify datagrams: "SECONDS FIELD|FIELD..." (CLOCK_MONOTONIC).
      With PORT, a datagram holding READY=1 gets " listening=yes|no"
      appended: whether 127.0.0.1:PORT accepted a connection right then.
  sdlisten.py journal SOCK OUT PARENT
      native journal datagrams (both encodings of systemd's protocol,
      KEY=VALUE lines and KEY\\n<le64 size><data>\\n): one line of
      tab-separated KEY=VALUE, newlines in values as \\n.
  sdlisten.py probe SOCK
      exit 0 when something receives datagrams at SOCK (a journald), 1
      when nothing does (no file, or a file nobody has bound).
The socket file is removed at the end. Standard library only.
"""
import os
import select
import signal
import socket
import struct
import sys
import time


def parse_journal(data):
    fields = []
    i = 0
    while i < len(data):
        nl = data.find(b"\n", i)
        if nl < 0:
            nl = len(data)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            size = struct.unpack("<Q", data[nl + 1:nl + 9])[0]
            v = data[nl + 9:nl + 9 + size]
            i = nl + 9 + size + 1
        fields.append((k.decode(errors="replace"),
                       v.decode(errors="replace").replace("\n", "\\n")))
    return "\t".join(k + "=" + v for k, v in fields)


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return "yes"
    except OSError:
        return "no"


def probe(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.connect(path)
    except OSError:
        return 1
    finally:
        s.close()
    return 0


def main():
    if sys.argv[1] == "probe":
        sys.exit(probe(sys.argv[2]))
    mode, path, out, parent = sys.argv[1:5]
    port = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    parent = int(parent)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if os.path.exists(path):
        os.unlink(path)
    s.bind(path)
    os.chmod(path, 0o666)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    try:
        with open(out, "a") as f:
            f.write("bound\n")
            f.flush()
            while True:
                try:
                    os.kill(parent, 0)
                except ProcessLookupError:
                    return
                r, _, _ = select.select([s], [], [], 0.2)
                if not r:
                    continue
                data = s.recv(1 << 20)
                t = time.monotonic()
                if mode == "journal":
                    f.write(parse_journal(data) + "\n")
                else:
                    text = data.decode(errors="replace")
                    line = "%.3f %s" % (t, text.strip("\n").replace("\n", "|"))
                    if port and "READY=1" in text.split("\n"):
                        line += " listening=" + listening(port)
                    f.write(line + "\n")
                f.flush()
    finally:
        s.close()
        try:
            os.unlink(path)
        except OSError:
            pass


if __name__ == "__main__":
    main()
