#!/usr/bin/env bash
# HTTPS and WSS on the TCP listener (daemon.tls), black-box: a CA and two
# server certificates made with openssl for this run (no key is ever
# committed); prodd --check naming the path of a missing, damaged or
# mismatched file; curl --cacert to /api/health; a WSS client getting the
# snapshot; plain HTTP on the TLS port closed, logged once at debug level,
# prodd alive; the control socket still plain; rotation: the files
# replaced and reloaded while a client handshakes every few ms -- never
# refused, the new serial seen from then on, a /ws connection made before
# it still served; a reload with an unreadable key, or a key of another
# type, refused, the certificate in use kept; an encrypted key refused
# without a prompt; TLS 1.0 and 1.1 refused by prodd, while the
# same client completes a TLS 1.1 handshake with openssl s_server (so the
# client can offer it). prodd runs under an OpenSSL configuration that
# allows TLS 1.0 at security level 0, as a legacy system might: the TLS
# 1.2 minimum must be prodd's own.
set -u
. "$(dirname "$0")/lib.sh"
PRODCTL=$(cd "$BUILD" && pwd)/prodctl
SERVER_PID=""
cleanup_tls() {
	[ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null
	kill_bg
	cleanup
}
trap cleanup_tls EXIT

need openssl "the TLS tests" || { finish; exit; }
need curl "the TLS tests" || { finish; exit; }

new_env
mkdir -p "$T/tls"
# ---- the CA and two certificates (EC keys: quick to make) --------------
(
	cd "$T/tls" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout ca.key -out ca.pem -days 2 \
		-subj "/CN=prodd test CA" 2>/dev/null || exit 1
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext.cnf
	for c in one:1001 two:2002; do
		n=${c%%:*}
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout "$n.key" -out "$n.csr" \
			-subj "/CN=prodd $n" 2>/dev/null || exit 1
		openssl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key \
			-set_serial "0x${c#*:}" -days 2 -extfile ext.cnf \
			-out "$n.pem" 2>/dev/null || exit 1
	done
	cp one.pem cert.pem && cp one.key key.pem
	echo "not a certificate" >junk.pem
	# one's key under a passphrase; an RSA pair (another key type)
	openssl pkey -in one.key -aes256 -passout pass:secret \
		-out locked.key 2>/dev/null || exit 1
	openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr \
		-subj "/CN=prodd rsa" 2>/dev/null || exit 1
	openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key \
		-set_serial 0x3003 -days 2 -extfile ext.cnf -out rsa.pem \
		2>/dev/null || exit 1
) || not_ok "openssl made the CA and the certificates"
CA=$T/tls/ca.pem

# A system configuration that lets any TLS version and cipher through.
cat >"$T/tls/legacy.cnf" <<'CNF'
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MinProtocol = TLSv1
CipherString = DEFAULT@SECLEVEL=0
CNF

# tls_config CERT KEY: the config with daemon.tls (paths relative to it)
tls_config() {
	cat >"$T/s.yaml" <<YAML
daemon:
  listen: 127.0.0.1:$PORT
  state_dir: $STATE
  log_dir: $LOGS
  shutdown_timeout: 20s
  tls: { cert: $1, key: $2 }
services:
  - name: idle
    command: sleep 1000
YAML
}

# ---- prodd --check ------------------------------------------------------
# check_refuses CERT KEY TEXT: --check exits 1 naming the problem
check_refuses() {
	local out rc=0
	tls_config "$1" "$2"
	out=$(timeout 10 "$BUILD/prodd" --check -c "$T/s.yaml" 2>&1 </dev/null) ||
		rc=$?
	[ "$rc" -eq 1 ] && [[ $out == *"$3"* ]] && return 0
	echo "# --check said ($rc): $out"
	return 1
}
check "--check: a missing key file is an error at tls.key with its path" \
	check_refuses tls/cert.pem tls/nokey.pem \
	"s.yaml:6:30: tls.key: $T/tls/nokey.pem: cannot open: No such file"
check "--check: a file with no certificate is an error with its path" \
	check_refuses tls/junk.pem tls/key.pem \
	"tls.cert: $T/tls/junk.pem: no PEM certificate"
check "--check: a key of another certificate is an error" \
	check_refuses tls/cert.pem tls/two.key \
	"tls.key: $T/tls/two.key: the key does not match the certificate in $T/tls/cert.pem"
check "--check: an encrypted key is refused at once (no passphrase prompt)" \
	check_refuses tls/cert.pem tls/locked.key \
	"tls.key: $T/tls/locked.key: no usable PEM private key in it"
tls_config tls/cert.pem tls/key.pem
check "--check: the good pair is valid" \
	eval '"$BUILD/prodd" --check -c "$T/s.yaml" >/dev/null' 

# ---- HTTPS and WSS ------------------------------------------------------
OPENSSL_CONF=$T/tls/legacy.cnf start_prodd --log-level debug
wait_event 20 kind=state service=idle to=running
URL=https://127.0.0.1:$PORT

health() { curl -sS --max-time 5 --cacert "$CA" "$URL/api/health"; }
check "curl --cacert: /api/health over https" \
	poll 5 eval 'health | grep -q "\"status\":\"healthy\""'
check "prodd says it listens on https" \
	grep -q "listening on https://127.0.0.1:$PORT" "$PLOG"
check "WSS: the /ws snapshot over TLS" eval \
	'WS_URL="wss://127.0.0.1:$PORT/ws" WS_CAFILE="$CA" timeout 20 python3 "$LIBDIR/wsclient.py" snapshot >/dev/null' 
check "the control socket stays plain HTTP" eval \
	'curl -sS --max-time 5 --unix-socket "$STATE/prodd.sock" http://localhost/api/health | grep -q "\"status\""'
check "a change over https still needs the token (403 without one)" eval \
	'[ "$(curl -sS -o /dev/null -w "%{http_code}" --max-time 5 --cacert "$CA" -X POST "$URL/api/services/idle/restart")" = 403 ]'
check "a client asking for HTTP/2 gets HTTP/1.1 (ALPN)" eval \
	'[ "$(curl -sS -o /dev/null -w "%{http_version}" --http2 --max-time 5 --cacert "$CA" "$URL/health/live")" = 1.1 ]'

# ---- plain HTTP on the TLS port ----------------------------------------
plain_refused() {
	local rc=0 t0
	now_us
	t0=$REPLY
	curl -sS --max-time 5 -o "$T/plain.out" "http://127.0.0.1:$PORT/api/health" \
		2>"$T/plain.err" || rc=$?
	now_us
	echo "# plain HTTP: curl exit $rc after $(( (REPLY - t0) / 1000 )) ms: $(cat "$T/plain.err")"
	# closed (52 empty reply, 56 reset), not answered, not left hanging
	[ "$rc" -eq 52 ] || [ "$rc" -eq 56 ] && [ ! -s "$T/plain.out" ]
}
check "plain HTTP on the TLS port is closed at once, unanswered" plain_refused
refused_lines() { grep -c 'https: handshake from 127.0.0.1:[0-9]* refused: http request' "$PLOG"; }
check "prodd logged it once, at debug level" eval \
	'poll 5 eval "[ \"\$(refused_lines)\" = 1 ]" && grep "refused: http request" "$PLOG" | grep -q "\"level\":\"debug\""'
check "and no warning about it" eval '! grep -q "could not be served" "$PLOG"'
# The same request already waiting when prodd accepts it (prodd stopped a
# moment): the handshake then fails inside the adoption itself.
kill -STOP "$PRODD_PID"
curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$PORT/api/health" 2>/dev/null &
CURL=$!
poll 5 connected "$CURL"
nap 0.2
kill -CONT "$PRODD_PID"
rc=0
wait "$CURL" || rc=$?
check "plain HTTP already waiting at the accept: closed too, unanswered" \
	eval '[ "$rc" -eq 52 ] || [ "$rc" -eq 56 ]' 
check "logged once more at debug level, still no warning" eval \
	'poll 5 eval "[ \"\$(refused_lines)\" = 2 ]" && ! grep -q "could not be served" "$PLOG"'
check "prodd is alive and serves https after it" eval \
	'alive "$PRODD_PID" && health | grep -q "\"status\""'

# ---- rotation -----------------------------------------------------------
: >"$T/hs.out"
# A client that handshakes every 10 ms until $T/stop exists: each
# handshake's serial, or the error, one line each.
python3 - "$PORT" "$CA" "$T/stop" >"$T/hs.out" 2>&1 <<'PY' &
import socket, ssl, sys, time, os
port, ca, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
while not os.path.exists(stop):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                print(t.getpeercert()["serialNumber"], flush=True)
                t.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Connection: close\r\n\r\n")
                if not t.recv(64).startswith(b"HTTP/1.1 200"):
                    print("error: no 200", flush=True)
    except Exception as e:
        print("error:", type(e).__name__, e, flush=True)
    time.sleep(0.01)
PY
HS=$!
BG="$BG $HS"
serials() { grep -c "^$1\$" "$T/hs.out"; }
wait_for 10 eval '[ "$(serials 1001)" -ge 3 ]'
# a /ws connection made before the rotation gets an event made after it
env WS_URL="wss://127.0.0.1:$PORT/ws" WS_CAFILE="$CA" timeout 20 \
	python3 "$LIBDIR/wsclient.py" event_after \
	"cp $T/tls/two.pem $T/tls/cert.pem; cp $T/tls/two.key $T/tls/key.pem;
	 $PRODCTL --socket $STATE/prodd.sock reload >/dev/null;
	 $PRODCTL --socket $STATE/prodd.sock restart --no-wait idle >/dev/null" \
	>"$T/ws-rot.out" 2>&1
WSRC=$?
check "rotation: prodd logged the new certificate" \
	poll 5 grep -q 'certificate read again: /CN=prodd two, serial 2002' "$PLOG"
check "rotation: new handshakes see the new certificate" \
	poll 5 eval '[ "$(serials 2002)" -ge 3 ]'
touch "$T/stop"
poll 5 not_alive "$HS"
echo "# handshakes: $(serials 1001) with serial 1001, $(serials 2002) with 2002, $(grep -c error "$T/hs.out") errors"
check "rotation: the client handshaking all along was never refused" \
	eval '! grep -q error "$T/hs.out"'
check "rotation: once the new serial is seen, never the old one again" eval \
	'[ "$(awk "/^2002/ { n = 1 } n && /^1001/ { bad = 1 } END { print bad + 0 }" "$T/hs.out")" = 0 ]'
check "rotation: a /ws connection made before it still gets events" \
	eval '[ "$WSRC" -eq 0 ] || { cat "$T/ws-rot.out"; false; }'

# ---- a reload with a key that cannot be read ---------------------------
mv "$T/tls/key.pem" "$T/tls/key.gone"
out=$("$PRODCTL" --socket "$STATE/prodd.sock" reload 2>&1)
rc=$?
echo "# reload: exit $rc: ${out//$'\n'/ | }"
check "a reload with the key file gone is refused, naming it" \
	eval '[ "$rc" -ne 0 ] && [[ $out == *"$T/tls/key.pem"* ]]'
check "the certificate in use stays" eval \
	'echo | openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$CA" 2>/dev/null | openssl x509 -noout -serial | grep -q "=2002"'
mv "$T/tls/key.gone" "$T/tls/key.pem"
# one SSL_CTX holds one certificate per key type: an RSA pair would be
# offered beside the EC one, not instead of it
cp "$T/tls/rsa.pem" "$T/tls/cert.pem"
cp "$T/tls/rsa.key" "$T/tls/key.pem"
out=$("$PRODCTL" --socket "$STATE/prodd.sock" reload 2>&1)
rc=$?
echo "# reload: exit $rc: ${out//$'\n'/ | }"
check "a reload with a key of another type is refused: it needs a restart" \
	eval '[ "$rc" -ne 0 ] && [[ $out == *"$T/tls/key.pem: a key of another type (RSA, was EC) needs a restart"* ]]'
check "and the certificate in use stays" eval \
	'echo | openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$CA" 2>/dev/null | openssl x509 -noout -serial | grep -q "=2002"'
cp "$T/tls/two.pem" "$T/tls/cert.pem"
cp "$T/tls/two.key" "$T/tls/key.pem"

# ---- TLS 1.0 and 1.1 refused; the same client can speak 1.1 -------------
# s_handshake PORT ARGS...: an s_client handshake (status 0 when made)
s_handshake() {
	local port=$1
	shift
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" \
		-CAfile "$CA" "$@" >"$T/sc.out" 2>&1 &&
		grep -Eq "^New, TLSv1(\.[0-3])?, Cipher is [A-Z]" "$T/sc.out"
}
SPORT=$(free_port)
openssl s_server -accept "127.0.0.1:$SPORT" -cert "$T/tls/one.pem" \
	-key "$T/tls/one.key" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -quiet \
	-naccept 2 >/dev/null 2>&1 </dev/null &
SERVER_PID=$!
poll 5 eval "(exec 3<>/dev/tcp/127.0.0.1/$SPORT) 2>/dev/null"
check "control: openssl s_client -tls1_1 completes a handshake with openssl s_server -tls1_1" \
	s_handshake "$SPORT" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0'
kill -KILL "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""
check "the same client offering TLS 1.1 is refused by prodd" \
	eval '! s_handshake "$PORT" -tls1_1 -cipher "DEFAULT@SECLEVEL=0" || { grep -i protocol "$T/sc.out"; false; }'
check "and offering TLS 1.0" \
	eval '! s_handshake "$PORT" -tls1 -cipher "DEFAULT@SECLEVEL=0"'
check "prodd logged the refusals at debug level" \
	poll 5 grep -q 'refused: unsupported protocol' "$PLOG"
check "TLS 1.2 works with the same client" \
	s_handshake "$PORT" -tls1_2 -cipher 'DEFAULT@SECLEVEL=0'
check "TLS 1.3 works" s_handshake "$PORT" -tls1_3
check "prodd is alive after all that" eval 'alive "$PRODD_PID" && health | grep -q "\"status\""'

rc=0
stop_prodd >/dev/null || rc=$?
check "prodd exits cleanly (status $rc)" [ "$rc" -eq 0 ]
finish
