#!/usr/bin/env python3
"""The watcher of bench/soak.sh: it reads prodd and its process trees from
/proc and from the API (over the control Unix socket, so no rate limit or
token is involved), reloads the config every minute, and writes one CSV
row a minute; then it turns that CSV into the soak's markdown summary.

  soakwatch.py watch PID SOCKET DIR SECONDS CSV
      PID is prodd, DIR holds services.yaml (the live file) and the two
      configs it alternates, a.yaml/b.yaml, with their service names, one
      a line, in a.names/b.names. Every TICK s (5) it reads:
        - prodd's VmRSS and its open fds (/proc/PID/fd);
        - zombies: processes in state Z whose parent chain reaches prodd
          (its own children, orphans it adopted as subreaper, and anything
          under a service); one still there, same start time, a tick later
          is a stuck zombie (a fresh one may just be waiting for its
          parent's SIGCHLD handler);
        - /api/services against the config last loaded: a name missing
          (lost), a name listed twice, a pid listed by two services, a
          session leader under prodd that no service lists (a second,
          unsupervised main process), a listed pid that is dead while the
          service says running. Each counts once it holds on two
          consecutive ticks, so that a reading taken across a spawn or a
          reload does not count;
        - /api/health's prodd.loop_lag_max_ms (the worst of its last 10
          samples), kept as the minute's worst; once a minute,
          prodd_ws_clients from /metrics; at each minute's end, with the
          RSS, prodd_log_ring_bytes (the services' rings of recent output
          lines, which grow up to their bound of log.ring lines each).
      At 30 s into every minute it copies the other config over
      services.yaml and POSTs /api/reload (counted ok, refused, or
      unanswered: then the next /api/services says which file prodd runs,
      by the one service only that file has, the last of its names). Each
      minute ends with a CSV row; the loop ends after SECONDS or when prodd
      is gone (the last row says so).
  soakwatch.py summary CSV
      The markdown summary: RSS growth after minute 5, single readings
      and the medians of the first and the last five minutes after it
      (and of it, the log rings' growth), fds min/max after minute 5,
      zombies, lost and duplicated services, worst lag, reloads.
"""
import csv
import http.client
import json
import os
import shutil
import socket
import sys
import time

TICK = 5.0
COLS = ["minute", "t_s", "rss_kb", "fds", "zombies_seen", "zombies_stuck",
        "listed", "expected", "lost", "dup_names", "dup_pids",
        "unsupervised", "dead_listed", "restarts", "lag_max_ms",
        "reloads_ok", "reloads_refused", "reloads_unanswered", "ws_clients",
        "api_errors", "readings", "ring_kb"]


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout=20):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


def api(sock, method, path):
    c = UnixHTTP(sock)
    try:
        c.request(method, path)
        r = c.getresponse()
        body = r.read()
        return r.status, body
    finally:
        c.close()


def stat(pid):
    """(state, ppid, session, starttime) of pid, or None."""
    try:
        with open("/proc/%s/stat" % pid, "rb") as f:
            s = f.read().decode("ascii", "replace")
    except OSError:
        return None
    rest = s[s.rfind(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[3]), int(rest[19])


def procs():
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = stat(d)
            if st is not None:
                out[int(d)] = st
    return out


def under(pid, root, ps):
    """pid's parent chain reaches root (bounded)."""
    for _ in range(64):
        st = ps.get(pid)
        if st is None:
            return False
        if st[1] == root:
            return True
        if st[1] <= 1:
            return False
        pid = st[1]
    return False


def children(pid):
    out = []
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def names(path):
    with open(path) as f:
        return [x.strip() for x in f if x.strip()]


def watch(pid, sock, d, seconds, out):
    pid, seconds = int(pid), float(seconds)
    cfgs = [("a", names(os.path.join(d, "a.names"))),
            ("b", names(os.path.join(d, "b.names")))]
    cur = 0                       # the config prodd runs (a at start)
    t0 = time.monotonic()
    end = t0 + seconds
    seen_z = {}                   # zombie pid -> starttime, last tick
    prev = set()                  # problems seen at the last tick
    counted = set()               # problems already counted
    row = None
    minute = 0
    reloaded = False
    unknown = False               # a reload went unanswered
    nc = 0
    f = open(out, "w", newline="")
    w = csv.writer(f)
    w.writerow(COLS)
    f.flush()

    def new_row():
        return dict.fromkeys(COLS, 0)

    row = new_row()
    nxt = t0
    gone = False
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if nxt > now:
            time.sleep(min(nxt - now, end - now))
            continue
        nxt += TICK
        el = now - t0
        if not os.path.exists("/proc/%d/status" % pid) or \
                (stat(pid) or ("Z",))[0] in "ZX":
            gone = True
            break
        m = int(el // 60)
        if m > minute:
            finish(w, f, row, minute, pid, el, cfgs[cur][1], sock=sock)
            row = new_row()
            minute = m
            reloaded = False
        # the minute's reload, 30 s in
        if not reloaded and el - 60 * minute >= 30:
            reloaded = True
            nc = 1 - cur
            shutil.copyfile(os.path.join(d, cfgs[nc][0] + ".yaml"),
                            os.path.join(d, "services.yaml.tmp"))
            os.replace(os.path.join(d, "services.yaml.tmp"),
                       os.path.join(d, "services.yaml"))
            try:
                st, body = api(sock, "POST", "/api/reload")
            except (OSError, http.client.HTTPException):
                st, body = 0, b""
            clients = metric(sock, "prodd_ws_clients")
            if clients is None:
                row["api_errors"] += 1
            else:
                row["ws_clients"] = int(clients)
            if st == 200:
                row["reloads_ok"] += 1
                cur = nc
                prev = set()      # a new config: start the checks afresh
            elif st == 0:
                # no answer in time: prodd may have reloaded or not; the
                # next reading of /api/services tells which file it runs
                row["reloads_unanswered"] += 1
                print("reload: no answer", file=sys.stderr)
                unknown = True
            else:
                row["reloads_refused"] += 1
                print("reload refused: %d %s" % (st, body[:300]),
                      file=sys.stderr)
                shutil.copyfile(os.path.join(d, cfgs[cur][0] + ".yaml"),
                                os.path.join(d, "services.yaml"))
        # API readings
        try:
            st, body = api(sock, "GET", "/api/health")
            h = json.loads(body)
            row["lag_max_ms"] = max(row["lag_max_ms"],
                                    h["prodd"]["loop_lag_max_ms"])
            st, body = api(sock, "GET", "/api/services")
            svcs = json.loads(body)
            if isinstance(svcs, dict):
                svcs = svcs["services"]
        except (OSError, ValueError, KeyError, TypeError,
                http.client.HTTPException) as e:
            row["api_errors"] += 1
            print("api: %r" % e, file=sys.stderr)
            continue
        ps = procs()
        # zombies under prodd
        z = {p: st[3] for p, st in ps.items()
             if st[0] == "Z" and under(p, pid, ps)}
        row["zombies_seen"] = max(row["zombies_seen"], len(z))
        stuck = sum(1 for p, s in z.items() if seen_z.get(p) == s)
        row["zombies_stuck"] = max(row["zombies_stuck"], stuck)
        if stuck:
            print("stuck zombies: %s" % sorted(
                p for p, s in z.items() if seen_z.get(p) == s),
                file=sys.stderr)
        seen_z = z
        # services against the config
        if unknown:
            got = set(s["name"] for s in svcs)
            for i, (_, ns) in enumerate(cfgs):
                if ns[-1] in got:       # each file's own extra service
                    cur = i
            unknown = False
            prev = set()
            if cfgs[cur][0] != cfgs[nc][0]:
                shutil.copyfile(os.path.join(d, cfgs[cur][0] + ".yaml"),
                                os.path.join(d, "services.yaml"))
        row["readings"] += 1
        want = set(cfgs[cur][1])
        listed = [s["name"] for s in svcs]
        row["listed"] = len(listed)
        row["expected"] = len(want)
        row["restarts"] = sum(int(s.get("restarts") or 0) for s in svcs)
        probs = set()
        for n in want - set(listed):
            probs.add(("lost", n))
        for n in set(listed):
            if listed.count(n) > 1:
                probs.add(("dup_names", n))
        pids = {}
        for s in svcs:
            p = s.get("pid")
            if p:
                pids.setdefault(p, []).append(s["name"])
        for p, ns in pids.items():
            if len(ns) > 1:
                probs.add(("dup_pids", p))
            st = ps.get(p)
            if (st is None or st[0] == "Z") and \
                    any(s["name"] in ns and s["state"] == "running"
                        for s in svcs):
                probs.add(("dead_listed", p))
        for c in children(pid):
            st = ps.get(c) or stat(c)
            if st and st[0] != "Z" and st[2] == c and c not in pids:
                probs.add(("unsupervised", c))
        for p in (probs & prev) - counted:
            counted.add(p)        # a problem counts once, at its 2nd tick
            row[p[0]] += 1
            print("%s: %s (minute %d)" % (p[0], p[1], minute),
                  file=sys.stderr)
        prev = probs
    finish(w, f, row, minute, pid, time.monotonic() - t0, cfgs[cur][1],
           gone, sock=sock)
    f.close()
    if gone:
        print("prodd %d is gone" % pid, file=sys.stderr)
        sys.exit(1)


def metric(sock, name):
    """The value of an unlabelled sample of /metrics; None when unread."""
    try:
        st, body = api(sock, "GET", "/metrics")
        for line in body.decode("utf-8", "replace").splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    except (OSError, ValueError, http.client.HTTPException):
        pass
    return None


def finish(w, f, row, minute, pid, el, want, gone=False, sock=None):
    row["minute"] = minute + 1
    row["t_s"] = int(el)
    row["ring_kb"] = -1
    if gone:
        row["rss_kb"] = row["fds"] = -1
    else:
        ring = metric(sock, "prodd_log_ring_bytes") if sock else None
        if ring is not None:
            row["ring_kb"] = int(ring / 1024)
        try:
            row["rss_kb"] = rss_kb(pid)
            row["fds"] = len(os.listdir("/proc/%d/fd" % pid))
        except OSError:
            row["rss_kb"] = row["fds"] = -1
    w.writerow([row[c] for c in COLS])
    f.flush()


def summary(path):
    with open(path) as f:
        rows = [{k: float(v) for k, v in r.items() if v not in (None, "")}
                for r in csv.DictReader(f)]
    if not rows:
        print("no minute recorded")
        return
    # from the end of minute 5 on (or the whole run, if shorter)
    late = [r for r in rows if r["minute"] >= 5 and r["rss_kb"] >= 0] or \
        [r for r in rows if r["rss_kb"] >= 0]
    tot = {c: int(sum(r[c] for r in rows)) for c in
           ("lost", "dup_names", "dup_pids", "unsupervised", "dead_listed",
            "reloads_ok", "reloads_refused", "api_errors")}
    tot["reloads_unanswered"] = int(sum(r.get("reloads_unanswered", 0)
                                        for r in rows))
    print("| figure | value |")
    print("|---|---|")
    print("| minutes recorded | %d |" % len(rows))
    if late:
        base = late[0]
        print("| RSS at minute %d / at the end / max (KiB) | %d / %d / %d |" %
              (base["minute"], base["rss_kb"], late[-1]["rss_kb"],
               max(r["rss_kb"] for r in late)))
        print("| RSS growth from minute %d to the end (KiB) | %+d |" %
              (base["minute"], late[-1]["rss_kb"] - base["rss_kb"]))
        # single readings swing by megabytes with the clients' queues:
        # the medians of the first and the last five minutes after
        # minute 5 say more
        if len(late) >= 10:
            def med(v):
                v = sorted(v)
                k = len(v)
                return v[k // 2] if k % 2 else (v[k // 2 - 1] + v[k // 2]) / 2
            a, b = late[1:6], late[-5:]
            ra = med([r["rss_kb"] for r in a])
            rb = med([r["rss_kb"] for r in b])
            print("| RSS, median of minutes %d-%d / of minutes %d-%d (KiB) "
                  "| %d / %d (%+d) |" % (a[0]["minute"], a[-1]["minute"],
                                         b[0]["minute"], b[-1]["minute"],
                                         ra, rb, rb - ra))
            ga = [r["ring_kb"] for r in a if r.get("ring_kb", -1) >= 0]
            gb = [r["ring_kb"] for r in b if r.get("ring_kb", -1) >= 0]
            if ga and gb:
                print("| log rings, the same medians (KiB) | %d / %d (%+d) |"
                      % (med(ga), med(gb), med(gb) - med(ga)))
                print("| RSS growth between those medians, less the rings' "
                      "(KiB) | %+d |" % ((rb - ra) - (med(gb) - med(ga))))
        rings = [r for r in late if r.get("ring_kb", -1) >= 0]
        if len(rings) >= 2:
            rg = rings[-1]["ring_kb"] - rings[0]["ring_kb"]
            rs = rings[-1]["rss_kb"] - rings[0]["rss_kb"]
            print("| log rings (prodd_log_ring_bytes) at minute %d / at the "
                  "end (KiB) | %d / %d |" % (rings[0]["minute"],
                                            rings[0]["ring_kb"],
                                            rings[-1]["ring_kb"]))
            print("| RSS growth from minute %d to the end, less the log "
                  "rings' growth (KiB) | %+d - %+d = %+d |" %
                  (rings[0]["minute"], rs, rg, rs - rg))
        print("| fds min / max from minute %d on | %d / %d |" %
              (base["minute"], min(r["fds"] for r in late),
               max(r["fds"] for r in late)))
    print("| zombies: most seen at once / stuck > %.0f s | %d / %d |" %
          (TICK, max(r["zombies_seen"] for r in rows),
           max(r["zombies_stuck"] for r in rows)))
    print("| lost services / names listed twice | %d / %d |" %
          (tot["lost"], tot["dup_names"]))
    print("| pids listed twice / unsupervised main processes / dead pids "
          "listed running | %d / %d / %d |" %
          (tot["dup_pids"], tot["unsupervised"], tot["dead_listed"]))
    print("| worst loop lag (ms) | %.2f |" % max(r["lag_max_ms"] for r in rows))
    read = [r for r in rows if r["readings"] > 0]
    print("| automatic restarts (at the last minute read) | %s |" %
          ("%d (minute %d)" % (read[-1]["restarts"], read[-1]["minute"])
           if read else "none read"))
    print("| minutes with no reading of /api/services (checks not run) "
          "| %d |" % (len(rows) - len(read)))
    print("| reloads ok / refused / unanswered in 20 s | %d / %d / %d |" %
          (tot["reloads_ok"], tot["reloads_refused"],
           tot["reloads_unanswered"]))
    print("| /ws clients connected (prodd_ws_clients) min / max | %d / %d |" %
          (min(r["ws_clients"] for r in rows),
           max(r["ws_clients"] for r in rows)))
    print("| API readings failed | %d |" % tot["api_errors"])


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "watch" and len(sys.argv) == 7:
        watch(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "summary":
        summary(sys.argv[2])
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
