#!/usr/bin/env bash
# The dashboard's files served by prodd (SPEC §10, daemon.dashboard_dir):
# the index at / with prodd's own Content-Security-Policy, no-cache and a
# strong ETag; 304 on If-None-Match; the .gz copy only when the client
# accepts gzip; HEAD; content types; traversal, hidden files and symlinks
# out of the directory refused; the files looked over at start and at a
# reload, read at the first request (a site that cannot be then: a 503);
# the files read again after a reload; an
# explicit missing directory a config error; the default next to the
# binary, and a 503 saying why when it is missing. The page is the
# fixture in tests/fixtures/dashboard (its .gz copies made here).
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT

FIX=$(cd "$(dirname "$0")/../fixtures/dashboard" && pwd)
CSP="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

# get [curl args...] PATH: over TCP; headers to $T/h (lower-cased, no CR),
# body to $T/b; prints the status
get() {
	local path=${*: -1}
	: >"$T/b"
	curl -s -m 10 -D "$T/h.raw" -o "$T/b" -w '%{http_code}' \
		"${@:1:$#-1}" "http://127.0.0.1:$PORT$path"
	tr -d '\r' <"$T/h.raw" | tr 'A-Z' 'a-z' >"$T/h"
}
# hdr NAME: the value of a response header of the last get ("" if none)
hdr() { sed -n "s/^$1: //p" "$T/h" | head -n 1; }
# hdr_exact NAME: the same, not lower-cased (for the CSP and ETags)
hdr_exact() { tr -d '\r' <"$T/h.raw" | sed -n "s/^$1: //Ip" | head -n 1; }
same_body() { cmp -s "$T/b" "$1"; }
up() { [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/health")" = 200 ]; }
reload() { curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST \
	--unix-socket "$STATE/prodd.sock" http://localhost/api/reload; }
# make_site DIR: the fixture, its .gz copies, and files of the other types
make_site() {
	cp -r "$FIX" "$1"
	gzip -9k "$1/index.html" "$1/app.js" "$1/style.css"
	printf '{"a":1}\n' >"$1/data.json"
	printf '{"version":3}\n' >"$1/app.js.map"
	printf '\x89PNG\r\n\x1a\n' >"$1/shot.png"
	printf '\0\0\1\0' >"$1/favicon.ico"
	printf 'wOF2' >"$1/font.woff2"
}

new_env
make_site "$T/d"
# outside the directory, never served: a file, a symlink to it, a dotfile
echo TOPSECRET-outside >"$T/secret.txt"
ln -s ../secret.txt "$T/d/leak.txt"
ln -s app.js "$T/d/alias.js"
echo TOPSECRET-dotfile >"$T/d/.env"
# the page that tries the policy in a browser, at /csp/
cp -r "$FIX/../csp-page" "$T/d/csp"
write_config <<YAML
  - name: idle
    command: sleep 600
YAML
# relative: resolved against the file's directory, not prodd's cwd
sed -i "s|^daemon:|daemon:\n  dashboard_dir: d\n  rate_limit: 0|" "$T/s.yaml"
ABS_BUILD=$(cd "$BUILD" && pwd)
(cd / && exec $VG "$ABS_BUILD/prodd" -c "$T/s.yaml") >>"$PLOG" 2>&1 &
PRODD_PID=$!
follow_log "$PLOG" "$PRODD_PID"
wait_for 10 up

# ---- the index ----
check "up, the files looked over but not read: none held before a request" \
	eval '! grep -q "at its first request" "$PLOG"'
check "GET / 200 with the index's bytes" eval '[ "$(get /)" = 200 ] && same_body "$FIX/index.html"'
check "the first request read them (and said so)" \
	poll 5 grep -q "dashboard: read $T/d ([0-9]* files, [0-9]* bytes) at its first request" "$PLOG"
check "text/html; charset=utf-8" test "$(hdr content-type)" = "text/html; charset=utf-8"
check "prodd's own Content-Security-Policy, connect-src 'self' only" \
	test "$(hdr_exact content-security-policy)" = "$CSP"
check "no unsafe-inline, no ws: wildcard" eval '! grep -qE "unsafe-inline|ws:|wss:|\*" <<<"$(hdr content-security-policy)"'
check "Cache-Control: no-cache" test "$(hdr cache-control)" = no-cache
check "nosniff, no-referrer, DENY" \
	test "$(hdr x-content-type-options) $(hdr referrer-policy) $(hdr x-frame-options)" = "nosniff no-referrer deny"
ETAG=$(hdr_exact etag)
check "a strong ETag (quoted, no W/)" eval '[[ $ETAG == \"*\" ]]'
check "/index.html: the same file, the same ETag" \
	eval '[ "$(get /index.html)" = 200 ] && [ "$(hdr_exact etag)" = "$ETAG" ] && same_body "$FIX/index.html"'
check "read once: later requests find them in memory" \
	test "$(grep -c "at its first request" "$PLOG")" = 1

# ---- revalidation ----
check "If-None-Match with the ETag: 304" test "$(get -H "If-None-Match: $ETAG" /)" = 304
check "304: no body" test ! -s "$T/b"
check "304: the ETag and no-cache again" test "$(hdr_exact etag) $(hdr cache-control)" = "$ETAG no-cache"
check "If-None-Match in a list, and weak: 304" \
	test "$(get -H "If-None-Match: \"x\", W/$ETAG" /)" = 304
check "If-None-Match of another ETag: 200 with the body" \
	eval '[ "$(get -H "If-None-Match: \"0000000000000000-1\"" /)" = 200 ] && same_body "$FIX/index.html"'

# ---- pre-compressed copies ----
check "no Accept-Encoding: the plain file" \
	eval '[ "$(get /app.js)" = 200 ] && same_body "$FIX/app.js" && [ -z "$(hdr content-encoding)" ]'
PLAIN_ETAG=$(hdr_exact etag)
check "with a .gz copy: Vary: Accept-Encoding" test "$(hdr vary)" = accept-encoding
check "Accept-Encoding: gzip: the .gz copy, Content-Encoding: gzip" \
	eval '[ "$(get -H "Accept-Encoding: gzip, deflate, br" /app.js)" = 200 ] && [ "$(hdr content-encoding)" = gzip ] && cmp -s "$T/b" "$T/d/app.js.gz"'
GZ_ETAG=$(hdr_exact etag)
check "the .gz copy unpacks to the file" eval 'gzip -dc <"$T/b" | cmp -s - "$FIX/app.js"'
check "gzip keeps the type and Vary" test "$(hdr content-type) $(hdr vary)" = "text/javascript; charset=utf-8 accept-encoding"
check "the ETag differs per encoding" eval '[ -n "$GZ_ETAG" ] && [ "$GZ_ETAG" != "$PLAIN_ETAG" ]'
check "gzip;q=0: the plain file" \
	eval '[ "$(get -H "Accept-Encoding: gzip;q=0, br" /app.js)" = 200 ] && same_body "$FIX/app.js" && [ -z "$(hdr content-encoding)" ]'
check "the gzip ETag revalidates the gzip copy: 304" \
	test "$(get -H "Accept-Encoding: gzip" -H "If-None-Match: $GZ_ETAG" /app.js)" = 304
check "...but not the plain one: 200" \
	test "$(get -H "If-None-Match: $GZ_ETAG" /app.js)" = 200
check "no .gz copy: plain even when gzip is accepted" \
	eval '[ "$(get -H "Accept-Encoding: gzip" /favicon.svg)" = 200 ] && same_body "$FIX/favicon.svg" && [ -z "$(hdr content-encoding)" ] && [ -z "$(hdr vary)" ]'

# ---- HEAD ----
# head_raw PATH: a HEAD on a connection of its own (closed after it):
# every byte prodd sent into $T/raw
head_raw() {
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf 'HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$1" >&"$fd"
	timeout 5 cat <&"$fd" >"$T/raw"
	exec {fd}<&-
}
# after_headers: the bytes of $T/raw after the headers' empty line
after_headers() { python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); print(len(d.split(b"\r\n\r\n",1)[1]) if b"\r\n\r\n" in d else -1)' "$T/raw"; }
check "HEAD /: 200, the GET's length and ETag" \
	eval '[ "$(get -I /)" = 200 ] && [ "$(hdr content-length)" = "$(stat -c %s "$FIX/index.html")" ] && [ "$(hdr_exact etag)" = "$ETAG" ]'
check "HEAD /: no byte of body on the wire" \
	eval 'head_raw / && grep -q "^HTTP/1.1 200" "$T/raw" && [ "$(after_headers)" = 0 ]'
check "HEAD of an API stream (events?follow=1): headers only, then it ends" \
	eval 'head_raw "/api/events?follow=1" && grep -q "^HTTP/1.1 200" "$T/raw" && [ "$(after_headers)" = 0 ]'
check "HEAD of the gzip copy: its length" \
	eval '[ "$(get -I -H "Accept-Encoding: gzip" /style.css)" = 200 ] && [ "$(hdr content-length)" = "$(stat -c %s "$T/d/style.css.gz")" ] && [ "$(hdr content-encoding)" = gzip ]'
check "HEAD then GET on one connection" \
	eval '[ "$(curl -s -m 10 -o /dev/null -w "%{http_code}%{num_connects}" -I "http://127.0.0.1:$PORT/" --next -s -o "$T/b" -w "%{http_code}%{num_connects}" "http://127.0.0.1:$PORT/app.js")" = 20012000 ] && same_body "$FIX/app.js"'

# ---- content types ----
types_ok() {
	local f t
	while read -r f t; do
		[ "$(get "/$f")" = 200 ] && [ "$(hdr content-type)" = "$t" ] ||
			{ echo "# /$f: $(hdr content-type)"; return 1; }
	done <<-EOF
	app.js text/javascript; charset=utf-8
	assets/chart.mjs text/javascript; charset=utf-8
	style.css text/css; charset=utf-8
	favicon.svg image/svg+xml
	favicon.ico image/x-icon
	shot.png image/png
	data.json application/json
	app.js.map application/json
	font.woff2 font/woff2
	EOF
}
check "content types: js, mjs, css, svg, ico, png, json, map, woff2" types_ok
check "a file one directory down" eval '[ "$(get /assets/chart.mjs)" = 200 ] && same_body "$FIX/assets/chart.mjs"'
check "a symlink inside the directory is served" eval '[ "$(get /alias.js)" = 200 ] && same_body "$FIX/app.js"'

# ---- what is refused ----
check "unknown file: 404 JSON not_found" \
	eval '[ "$(get /nope.js)" = 404 ] && grep -q "\"code\":\"not_found\"" "$T/b" && [ "$(hdr content-type)" = application/json ]'
check "a directory without index.html: 404" test "$(get /assets/)" = 404
check "POST /: 405" test "$(get -X POST /)" = 405
refused() {	# curl args...: not 200, and nothing of what is outside
	local st
	st=$(get --path-as-is "$@")
	if [ "$st" = 200 ] || grep -q TOPSECRET "$T/b"; then
		echo "# $*: $st $(head -c 80 "$T/b")"
		return 1
	fi
}
check "a symlink out of the directory: refused" refused /leak.txt
check "a dotfile: refused" refused /.env
check "/../secret.txt: refused" refused /../secret.txt
check "/assets/../../secret.txt: refused" refused /assets/../../secret.txt
check "/%2e%2e/secret.txt: refused" refused /%2e%2e/secret.txt
check "/%2e%2e%2fsecret.txt: refused" refused /%2e%2e%2fsecret.txt
check "/..%5csecret.txt: refused" refused /..%5csecret.txt
check "/%252e%252e/secret.txt: refused" refused /%252e%252e/secret.txt
check "a NUL (%00): refused" refused '/index.html%00.png'
check "a NUL before a traversal: refused" refused '/%00/../secret.txt'

# ---- the API keeps no-store, over both listeners ----
check "API: Cache-Control no-store, no ETag" \
	eval '[ "$(get /api/health)" = 200 ] && [ "$(hdr cache-control)" = no-store ] && [ -z "$(hdr etag)" ]'
check "an unknown API route is still the API's 404" \
	eval '[ "$(get /api/nope)" = 404 ] && grep -q "no such route" "$T/b"'
check "the control socket serves / too" \
	eval '[ "$(curl -s -m 10 -o "$T/b" -w "%{http_code}" --unix-socket "$STATE/prodd.sock" http://localhost/)" = 200 ] && same_body "$FIX/index.html"'

# ---- the policy in a browser ----
# chromium_dom URL: the DOM after the page ran, in headless Chromium
chromium_dom() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu \
		--no-first-run --user-data-dir="$T/chromium" \
		--virtual-time-budget=3000 --dump-dom "$1" 2>/dev/null
}
csp_results() {	# both WebSockets tried: the results in $T/csp
	chromium_dom "http://127.0.0.1:$PORT/csp/" >"$T/csp"
	grep -q '"same":' "$T/csp" && grep -q '"other":' "$T/csp"
}
if need chromium "the policy in Chromium"; then
	wait_for 60 csp_results
	check "Chromium: a WebSocket to the page's own origin opens" grep -q '"same":"open"' "$T/csp"
	check "Chromium: one to another origin is blocked by connect-src" \
		eval 'grep -q "\"violation:connect-src\":\"ws://localhost:$PORT/ws\"" "$T/csp" && ! grep -q "\"other\":\"open\"" "$T/csp"'
	check "Chromium: a style attribute is blocked" \
		eval 'grep -q "\"styleAttr\":\"blocked\"" "$T/csp" && grep -q "violation:style-src-attr" "$T/csp"'
	grep -o '<p id="out">.*</p>' "$T/csp" | sed 's/^/# /'
fi

# ---- a reload reads the files again ----
echo "// rebuilt" >>"$T/d/app.js"
gzip -9kf "$T/d/app.js"
check "before a reload: the files read at start (ETag unchanged)" \
	eval '[ "$(get /app.js)" = 200 ] && [ "$(hdr_exact etag)" = "$PLAIN_ETAG" ] && same_body "$FIX/app.js"'
check "POST /api/reload: 200" test "$(reload)" = 200
check "after it: the new file, a new ETag" \
	eval '[ "$(get /app.js)" = 200 ] && cmp -s "$T/b" "$T/d/app.js" && [ "$(hdr_exact etag)" != "$PLAIN_ETAG" ]'
check "the old ETag no longer matches: 200" \
	test "$(get -H "If-None-Match: $PLAIN_ETAG" /app.js)" = 200
check "the new gzip copy too" \
	eval '[ "$(get -H "Accept-Encoding: gzip" /app.js)" = 200 ] && cmp -s "$T/b" "$T/d/app.js.gz" && [ "$(hdr_exact etag)" != "$GZ_ETAG" ]'
mv "$T/d" "$T/d.away"
check "a reload with dashboard_dir gone: refused (422)" test "$(reload)" = 422
check "...the files read before are still served" \
	eval '[ "$(get /app.js)" = 200 ] && cmp -s "$T/b" "$T/d.away/app.js"'
check "...and the log names the directory" \
	poll 5 grep -q "daemon.dashboard_dir: $T/d: No such file or directory" "$PLOG"
mv "$T/d.away" "$T/d"

# ---- the first request reads the files: a site that cannot be is a 503 ----
check "POST /api/reload: 200 (looked over again, read at the next request)" \
	test "$(reload)" = 200
mv "$T/d/index.html" "$T/index.away"
check "index.html gone before the first request: 503 saying why" \
	eval '[ "$(get /app.js)" = 503 ] && grep -q "could not be read" "$T/b"'
check "...said in the log" \
	poll 5 grep -q "\"level\":\"warn\".*dashboard: .*no index.html in it: not served" "$PLOG"
check "...and prodd goes on" up
mv "$T/index.away" "$T/d/index.html"
check "after a reload it is served again" \
	eval '[ "$(reload)" = 200 ] && [ "$(get /)" = 200 ] && same_body "$FIX/index.html"'
stop_prodd >/dev/null
check "prodd exited cleanly" test $? -eq 0

# ---- prodd --check: an explicit dashboard_dir must be there ----
check "--check with the directory: valid" eval '"$BUILD/prodd" --check -c "$T/s.yaml" >/dev/null 2>&1'
sed -i "s|dashboard_dir: d$|dashboard_dir: missing|" "$T/s.yaml"
out=$("$BUILD/prodd" --check -c "$T/s.yaml" 2>&1)
check "--check with a missing dashboard_dir: exit 1" test $? -eq 1
check "...saying which path" eval '[[ $out == *"daemon.dashboard_dir: $T/missing: No such file or directory"* ]]'
mkdir -p "$T/noindex"
cp "$FIX/app.js" "$T/noindex/"
sed -i "s|dashboard_dir: missing$|dashboard_dir: noindex|" "$T/s.yaml"
out=$("$BUILD/prodd" --check -c "$T/s.yaml" 2>&1)
check "--check with a directory without index.html: exit 1, saying so" \
	eval '[ $? -eq 1 ] || :; [[ $out == *"$T/noindex: no index.html in it"* ]]'
out=$(start_prodd; wait "$PRODD_PID"; echo "exit $?")
check "prodd refuses to start with it" eval '[[ $out == *"exit 1" ]] && grep -q "no index.html in it" "$PLOG"'
PRODD_PID=""

# ---- the default: the build's dashboard next to the binary ----
# a copy of the binaries in a directory of its own, so that the default
# is $T/bin/dashboard whatever the build next to $BUILD/prodd holds
mkdir -p "$T/bin"
cp "$BUILD/prodd" "$BUILD/prodd-exec" "$T/bin/"
sed -i "/dashboard_dir:/d" "$T/s.yaml"
check "--check without dashboard_dir, none built: valid" \
	eval '"$T/bin/prodd" --check -c "$T/s.yaml" >/dev/null 2>&1'
if [ -e /usr/local/share/prodd/dashboard/index.html ]; then
	echo "# skip the 503: a dashboard is installed in /usr/local/share/prodd"
else
	: >"$PLOG"
	$VG "$T/bin/prodd" -c "$T/s.yaml" >>"$PLOG" 2>&1 &
	PRODD_PID=$!
	follow_log "$PLOG" "$PRODD_PID"
	wait_for 10 up
	check "no default dashboard: GET / is 503" test "$(get /)" = 503
	check "...a JSON error with the paths tried and how to build it" \
		eval 'grep -q "\"code\":\"no_dashboard\"" "$T/b" && grep -qF "$T/bin/dashboard" "$T/b" && grep -q "make dashboard" "$T/b"'
	check "...and a warning in the log" poll 5 grep -q "\"level\":\"warn\".*no dashboard: tried $T/bin/dashboard" "$PLOG"
	check "the API still answers" test "$(get /api/health)" = 200
	# built meanwhile: a reload finds it
	make_site "$T/bin/dashboard"
	check "built, then a reload: 200" eval '[ "$(reload)" = 200 ] && [ "$(get /)" = 200 ] && same_body "$FIX/index.html"'
	stop_prodd >/dev/null
	check "prodd exited cleanly" test $? -eq 0
fi
: >"$PLOG"
[ -d "$T/bin/dashboard" ] || make_site "$T/bin/dashboard"
$VG "$T/bin/prodd" -c "$T/s.yaml" >>"$PLOG" 2>&1 &
PRODD_PID=$!
follow_log "$PLOG" "$PRODD_PID"
wait_for 10 up
check "the default next to the binary is served" \
	eval '[ "$(get /favicon.svg)" = 200 ] && same_body "$FIX/favicon.svg"'
check "the log says which dashboard" poll 5 grep -q "dashboard: $T/bin/dashboard (" "$PLOG"
stop_prodd >/dev/null
check "prodd exited cleanly" test $? -eq 0

finish
