#!/usr/bin/env python3
"""Turns prodd's JSON log into flat event records, read by lib.sh's events
and wait_event with shell builtins. One record a line, in LOG.ev:

  kind service from to reason-with-underscores pid exit_code signal delay_ms seq ts

(a missing or empty value is "-"); LOG.pos holds how many bytes of LOG have been
read. Lines that are not JSON events are skipped.

  prodlog.py follow LOG SCRIPT_PID PRODD_PID
      One process per prodd: follows LOG as it grows (whole lines only),
      until prodd has ended (then reads it to its end and exits), the test
      script is gone (exits at once), or SIGTERM (reads what is whole, exits).
  prodlog.py catchup LOG
      Reads what is left of LOG, to its end, once (when no follower runs).
  prodlog.py LOG [KEY=VALUE | reason~=TEXT ...]
      Prints the records of the whole of LOG that match every filter, as
      lib.sh's events does (for a check that runs in a shell of its own).
"""
import json
import os
import re
import signal
import sys
import time


def record(line):
    """The flat record of one log line, or None when it is no event."""
    try:
        rec = json.loads(line)
        ev = rec.get("metadata") or {}
    except (ValueError, AttributeError):
        return None
    if not isinstance(ev, dict) or "seq" not in ev:
        return None

    def val(k):
        v = ev.get(k)
        return "-" if v is None or v == "" else str(v)

    reason = re.sub(r"\s", "_", ev.get("reason") or "") or "-"
    return " ".join([val("kind"), val("service"), val("from"), val("to"),
                     reason, val("pid"), val("exit_code"), val("signal"),
                     val("delay_ms"), val("seq"), val("ts")])


COLUMNS = ["kind", "service", "from", "to", "reason", "pid", "exit_code",
           "signal", "delay_ms", "seq", "ts"]


def matches(rec, filters):
    """Every KEY=VALUE filter holds for the record (spaces in VALUE stand
    for the reason's underscores); reason~=TEXT: the reason contains it."""
    f = rec.split(" ")
    for flt in filters:
        k, _, v = flt.partition("=")
        v = v.replace(" ", "_")
        if k == "reason~":
            if v not in f[4]:
                return False
        elif k not in COLUMNS:
            sys.exit("prodlog.py: unknown key '%s'" % k)
        elif f[COLUMNS.index(k)] != v:
            return False
    return True


def gone(pid):
    """The process has ended (or is a zombie nobody has waited for yet)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return True
    return st[st.rfind(")") + 2:].startswith("Z")


class Reader:
    def __init__(self, path):
        self.path = path
        self.pos = 0
        try:
            with open(path + ".pos") as f:
                self.pos = int(f.read().strip() or 0)
        except (OSError, ValueError):
            pass
        self.log = None
        self.out = open(path + ".ev", "a", encoding="utf-8")

    def step(self, final):
        """Reads what LOG has past pos: whole lines, and when final the
        rest too. Returns whether anything was read."""
        if self.log is None:
            try:
                self.log = open(self.path, "rb")
            except OSError:
                return False
        self.log.seek(self.pos)
        data = self.log.read()
        if not final:
            data = data[:data.rfind(b"\n") + 1]
        if not data:
            return False
        recs = []
        for line in data.splitlines():
            r = record(line.decode("utf-8", "replace"))
            if r is not None:
                recs.append(r + "\n")
        if recs:
            self.out.write("".join(recs))
            self.out.flush()
        self.pos += len(data)
        tmp = self.path + ".pos.tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % self.pos)
        os.replace(tmp, self.path + ".pos")
        return True


def follow(path, script_pid, prodd_pid):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    r = Reader(path)
    while not stop:
        if r.step(False):
            continue
        if gone(prodd_pid):
            r.step(True)
            return
        if gone(script_pid):
            return
        time.sleep(0.01)
    r.step(False)


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(sys.argv) == 5 and sys.argv[1] == "follow":
        follow(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) == 3 and sys.argv[1] == "catchup":
        Reader(sys.argv[2]).step(True)
    elif len(sys.argv) >= 2 and sys.argv[1] not in ("follow", "catchup"):
        try:
            with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return
        for line in lines:
            r = record(line)
            if r is not None and matches(r, sys.argv[2:]):
                print(r)
    else:
        sys.exit("usage: prodlog.py follow LOG SCRIPT_PID PRODD_PID | "
                 "catchup LOG | LOG [FILTER...]")


if __name__ == "__main__":
    main()
