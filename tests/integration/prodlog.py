#!/usr/bin/env python3
"""Prints the events of a prodd JSON log that match every KEY=VALUE filter,
one per line: kind service from to reason-with-underscores pid exit_code
signal delay_ms seq ts. Lines that are not JSON events are skipped."""
import json
import signal
import sys

signal.signal(signal.SIGPIPE, signal.SIG_DFL)

path, filters = sys.argv[1], [a.split("=", 1) for a in sys.argv[2:]]
try:
    lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
except OSError:
    sys.exit(0)
for line in lines:
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    ev = rec.get("metadata") or {}
    if "seq" not in ev:
        continue
    ok = True
    for k, v in filters:
        if k == "reason~":
            ok = ok and v in (ev.get("reason") or "")
        elif str(ev.get(k)) != v:
            ok = False
    if not ok:
        continue
    print(ev["kind"], ev.get("service") or "-", ev.get("from") or "-",
          ev.get("to") or "-", (ev.get("reason") or "").replace(" ", "_"),
          ev.get("pid") if ev.get("pid") is not None else "-",
          ev.get("exit_code") if ev.get("exit_code") is not None else "-",
          ev.get("signal") if ev.get("signal") is not None else "-",
          ev.get("delay_ms") if ev.get("delay_ms") is not None else "-",
          ev["seq"], ev["ts"])
