#!/usr/bin/env bash
# The dashboard in a real browser: tests/browser/dashboard.mjs drives
# Debian's Chromium with playwright-core (from dashboard/node_modules)
# against the page this build's prodd serves. Two prodds: one with a
# token and six services (a chain of dependencies, a health-checked web
# server, a log tailer, a service that fails until a file "fixed" exists,
# a notify service that reports STATUS=), sampling every 100 ms so
# charts have points at once, and a webhook on a port nobody listens on
# (its deliveries retry); one with no token (read-only controls) and a
# three-wave start whose critical chain is known (db -> slow -> api).
# The browser script restarts the first prodd itself (the reconnect
# test), writing the new pid to $T/prodd-again.pid. Screenshots go to
# $BUILD/screenshots (never into the tree). Needs node and chromium
# (packaging/deps.sh installs them; a failure under CI=true).
set -u
. "$(dirname "$0")/lib.sh"

again() {
	[ -n "${T:-}" ] && [ -f "$T/prodd-again.pid" ] && kill -KILL "$(cat "$T/prodd-again.pid")" 2>/dev/null
	cleanup_all
}
trap again EXIT

need node "the browser tests" || { finish; exit; }
need chromium "the browser tests" || { finish; exit; }
ROOT=$(cd "$LIBDIR/../.." && pwd)
if [ ! -f "$ROOT/dashboard/node_modules/playwright-core/package.json" ]; then
	if [ "${CI:-}" = true ]; then
		not_ok "dashboard/node_modules is missing (make deps runs npm ci)"
	else
		echo "# skip the browser tests: dashboard/node_modules is missing (make deps)"
	fi
	finish
	exit
fi
check "the build has its dashboard ($BUILD/dashboard)" test -f "$BUILD/dashboard/index.html"

# the read-only prodd: no token
new_env
write_config <<YAML
  - name: solo
    command: sleep 1000
    ready_after: 100ms
  - name: db
    command: sleep 1000
    ready_after: 300ms
  - name: slow
    command: sleep 1000
    ready_after: 1s
    dependencies: [db]
  - name: fast
    command: sleep 1000
    ready_after: 100ms
    dependencies: [db]
  - name: api
    command: sleep 1000
    ready_after: 100ms
    dependencies: [slow, fast]
YAML
PRODD_TOKEN="" start_prodd
wait_event 30 kind=state service=api to=running
RO_URL="http://127.0.0.1:$PORT/"
park_env RO

new_env
WEBPORT=$(free_port)
LOADPORT=$(free_port)
DEADPORT=$(free_port)	# nothing listens there: the webhook is refused
write_config <<YAML
  - name: base
    command: sh -c 'while :; do echo tick; sleep 0.3; done'
  - name: web
    command: python3 -m http.server $WEBPORT --bind 127.0.0.1
    dependencies: [base]
    health_check:
      url: http://127.0.0.1:$WEBPORT/
      interval: 100ms
  - name: tailer
    command: sh -c 'while :; do if [ -f marker ]; then cat marker; rm -f marker; fi; sleep 0.1; done'
    depends_on:
      base: { condition: started }
  - name: worker
    command: sleep 1000
    dependencies: [web]
  - name: broken
    command: sh -c '[ -f fixed ] && exec sleep 1000; echo boom >&2; exit 3'
    max_restarts: 1
  - name: loader
    command: $DEMO --notify --port $LOADPORT
    notify: true
alerts:
  webhook: http://127.0.0.1:$DEADPORT/hook
  webhook_timeout: 1s
YAML
sed -i "s|^daemon:|daemon:\n  sample_interval: 100ms|" "$T/s.yaml"
export PRODD_TOKEN=s3cret-token
start_prodd
wait_event 30 kind=state service=worker to=running
wait_event 30 kind=state service=broken to=failed
wait_event 30 kind=state service=loader to=running

export DASH_URL="http://127.0.0.1:$PORT/" DASH_URL_RO=$RO_URL TOKEN=$PRODD_TOKEN
export T PLOG PRODD_PID SOCK=$STATE/prodd.sock PRODCTL=$(cd "$BUILD" && pwd)/prodctl
# the prodd started again by the reconnect test: the same binary, not under
# valgrind (the first one was; a second start there costs seconds)
export PRODD_CMD="$(cd "$BUILD" && pwd)/prodd -c $T/s.yaml"
export SHOTS=$BUILD/screenshots
mkdir -p "$SHOTS"
out=$(timeout 240 node "$ROOT/tests/browser/dashboard.mjs" 2>&1)
rc=$?
echo "$out"
PASS=$((PASS + $(grep -c '^ok - ' <<<"$out")))
FAIL=$((FAIL + $(grep -c '^not ok - ' <<<"$out")))
[ "$rc" -ne 0 ] && ! grep -q '^not ok - ' <<<"$out" && not_ok "the browser script ended with status $rc"
grep -q '^# browser: ' <<<"$out" || not_ok "the browser script did not finish"

kill -TERM "$(cat "$T/prodd-again.pid" 2>/dev/null)" 2>/dev/null
finish
