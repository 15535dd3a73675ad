#!/usr/bin/env bash
# Hostile clients at scale, black-box, on the TCP listener (the clients
# are hostile.py's, on asyncio): 1,000 idle connections and 1,000
# slowloris ones held at once while a normal client is answered within
# 1 s each time; random bytes, truncated and malformed frames on /ws, then
# a well-behaved client still gets its snapshot; 10,000 requests with
# random methods, paths, queries and headers, each answered below 500
# (with the security headers, on libwebsockets' own answers too) or
# closed within 2 s, with prodd's log kept from filling with the HTTP
# library's complaints; then the rate limit from 50 source addresses of
# 127.0.0.0/8 at once (pairs of them shared a slot of the old fixed
# table of buckets), exactly the limit served to each. prodd is alive
# and its descriptors back where they were after each. Budget: some 25 s
# (plain build), 40 s under ASan.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
# every check here is timed (1 s, 2 s), which prodd under valgrind (make
# test's plain build) cannot keep: it runs as it is; the ASan build's run
# of this script checks its memory
VG=""

HOSTILE="python3 $LIBDIR/hostile.py"
# the clients hold 2,000 connections and more: raise this shell's limit
# (prodd raises its own soft limit to the hard one at start)
WANT_FDS=4096
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$WANT_FDS" ]; then
	not_ok "the hard limit of open files ($(ulimit -Hn)) is below $WANT_FDS: 2,000 connections cannot be held"
	finish
	exit
fi
[ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt "$WANT_FDS" ] && ulimit -Sn "$WANT_FDS"

new_env
write_config <<YAML
  - name: svc
    command: sleep 1000
YAML
sed -i "s|^daemon:|daemon:\n  rate_limit: 0\n  dashboard_dir: $(cd "$LIBDIR/../fixtures/dashboard" && pwd)|" "$T/s.yaml"
start_prodd
wait_event 20 kind=state service=svc to=running
export PORT SEED=${SEED:-$RANDOM}
echo "# SEED=$SEED"

nfds() { ls "/proc/$PRODD_PID/fd" 2>/dev/null | wc -l; }
# fds_back N: prodd holds at most N descriptors (and a few of its own:
# the sample's files come and go)
fds_back() { [ "$(nfds)" -le $(($1 + 4)) ]; }
health() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/api/health")" = 200 ]; }
base=$(nfds)

limit=$(awk '/^Max open files/ { print $4 }' "/proc/$PRODD_PID/limits")
check "prodd's own descriptor limit ($limit) holds 2,000 clients" \
	test "$limit" = unlimited -o "$limit" -ge 2100 2>/dev/null

# ---- 1,000 idle + 1,000 slowloris, a normal client beside ----------------
check "1,000 idle and 1,000 slowloris connections at once: a normal client is answered within 1 s each time" \
	timeout 60 $HOSTILE hold 1000 1000 4
check "prodd is alive after them" health
check "their descriptors are given back ($base before)" poll 10 fds_back "$base"

# ---- /ws: random bytes, truncated and malformed frames --------------------
check "600 /ws connections with random bytes and truncated, unmasked, oversized or reserved frames: a good client still gets its snapshot" \
	timeout 60 $HOSTILE ws 600
check "prodd is alive after them" health
check "their descriptors are given back" poll 10 fds_back "$base"

# ---- 10,000 random requests ------------------------------------------------
lines0=$(grep -c '"http: ' "$PLOG")
check "10,000 requests with random methods, paths, queries and headers: each answered below 500 with the security headers, or closed, within 2 s" \
	timeout 120 $HOSTILE fuzz 10000
check "prodd is alive after them" health
lines=$(( $(grep -c '"http: ' "$PLOG") - lines0 ))
check "the HTTP library's complaints about them are bounded in prodd's log ($lines lines)" \
	test "$lines" -le 42
check "their descriptors are given back" poll 10 fds_back "$base"

# ---- the rate limit from 50 source addresses ------------------------------
sed -i "s|rate_limit: 0|rate_limit: 20/h|" "$T/s.yaml"
check "reload with rate_limit 20/h" \
	timeout 30 "$BUILD/prodctl" --socket "$STATE/prodd.sock" reload
addrs=""
for k in $(seq 120 144) $(seq 201 225); do addrs="$addrs 127.0.0.$k"; done
check "50 source addresses at once: exactly 20 requests served to each, then 429" \
	timeout 60 $HOSTILE rate 50 20 $addrs
check "an address of its own is still served" \
	test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --interface 127.0.0.7 "http://127.0.0.1:$PORT/api/health")" = 200

check "prodd is still running" alive "$PRODD_PID"
stop_prodd
check "prodd exits 0 after all this" test $? -eq 0
finish
