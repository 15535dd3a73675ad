#!/usr/bin/env bash
# An answer outlives a stalled loop, black-box: prodd is stopped
# (SIGSTOP) for 26 s right after it sent an answer's headers, longer
# than lws's request timeout (20 s); once it runs again, the client still
# gets the whole body, not a connection closed in the middle of it (what
# pollers saw in the soak, whenever prodd's loop lagged for seconds),
# and prodd goes on answering. It mostly waits, so tests/run.sh starts it
# in the IDLE lane.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

new_env
{
	for i in $(seq 1 40); do
		printf '  - name: s%s\n    command: sleep 1000\n' "$i"
	done
} | write_config
start_prodd
wait_event 20 kind=state service=s40 to=running

# the answer (40 services, over 8 KiB) is written over several turns
body_whole() {
	timeout 90 python3 - "$PORT" "$PRODD_PID" <<'PY'
import os, signal, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(b"GET /api/services HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
data = b""
while b"\r\n\r\n" not in data:
    d = s.recv(4096)
    if not d:
        sys.exit("no headers")
    data += d
head, body = data.split(b"\r\n\r\n", 1)
n = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
     if l.lower().startswith(b"content-length:")][0]
os.kill(pid, signal.SIGSTOP)
time.sleep(26)
os.kill(pid, signal.SIGCONT)
got = len(body)
while got < n:
    d = s.recv(65536)
    if not d:
        sys.exit("connection closed after %d of %d bytes" % (got, n))
    got += len(d)
print("whole body: %d bytes" % got)
PY
}
check "an answer under way survives a 26 s stall of prodd's loop, whole" \
	body_whole
check "prodd answers afterwards" \
	eval 'curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null'
stop_prodd
finish
