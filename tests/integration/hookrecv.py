#!/usr/bin/env python3
"""A webhook receiver for the alert tests: records every POST it gets as
one JSON line (arrival time, wall and monotonic, path, headers, body, the
status it answered) in OUT, and answers as the file MODE says at that moment: "ok" (200),
"500", "hang" (never answers; the connection is held until prodd gives
up), "slow:MS" (200 after MS ms). Each request on its own thread, so a
hanging one holds nothing else. A GET (a health check: the receiver
doubles as a probed service) is answered 200 at once and recorded with
its monotonic arrival, so a test can measure the gaps between checks.
Standard library only.

usage: hookrecv.py PORT OUT MODE
"""
import http.server
import json
import sys
import threading
import time

PORT, OUT, MODE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
LOCK = threading.Lock()


def mode():
    try:
        with open(MODE) as f:
            return f.read().strip() or "ok"
    except OSError:
        return "ok"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        m = mode()
        status = 500 if m == "500" else 0 if m == "hang" else 200
        rec = {"ts": time.time(), "mono": time.monotonic(), "path": self.path, "body": body,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "status": status}
        with LOCK, open(OUT, "a") as f:
            f.write(json.dumps(rec) + "\n")
        if m == "hang":
            time.sleep(3600)
            return
        if m.startswith("slow:"):
            time.sleep(int(m[5:]) / 1000)
        out = b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


    def do_GET(self):
        rec = {"mono": time.monotonic(), "path": self.path, "get": True}
        with LOCK, open(OUT, "a") as f:
            f.write(json.dumps(rec) + "\n")
        out = b"{}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
