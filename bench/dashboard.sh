#!/bin/sh
# Dashboard benchmark (issue 12): prodd runs N services (default 500,
# `sleep 100000`), sampled every 100 ms with history 600 for PRELOAD s
# until the history holds 600 points per series (the 10 minutes a 1 s
# sample rate keeps, gathered in about a minute; at most PRELOAD s,
# default 150), then reloaded (SIGHUP) to a 1 s
# sample_interval, the rate the figures are taken at; the history rings
# stay. bench/dashboard.mjs then measures in Chromium: the first full
# render to the 'prodd:rendered' mark (median of RUNS=5), the main
# thread's busy time per live update (CDP ScriptDuration + TaskDuration
# over UPDATES=60 samples / 60, and the page's own p50/p99 per update;
# the style recalc and layout inside it; the CPU time Chromium's
# processes used meanwhile, from /proc; the floor: a blank page's busy
# time and Chromium's CPU time per second in the same run),
# long tasks > 50 ms after the mark. Then the static assets' compressed
# bytes (what prodd sends with Accept-Encoding: gzip for each file the
# page loads) and the snapshot's size (/api/dashboard-data, the document
# /ws sends first), plain and gzip. Also the machine's busy % over the
# run (the benchmark shares it). Markdown on stdout, progress on stderr.
# PROFILE=1: instead of the figures, bench/dashboard.trace.mjs's
# breakdown of an update's main-thread time from a Chromium trace
# (UPDATES default 10 there; PROFILE_HASH, TRACE_OUT, TOP: see it).
# DASHBOARD_DIR=DIR serves the page from DIR (prodd's daemon.dashboard_dir)
# instead of the build's: another version of the page, built with
# `sh dashboard/build.sh DIR` from its checkout, against the same prodd,
# for before/after pairs.
#   sh bench/dashboard.sh   (env: N, PRELOAD, RUNS, UPDATES, BUILD, KEEP, PROFILE, DASHBOARD_DIR)
set -eu
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
N=${N:-500}
PRELOAD=${PRELOAD:-150}
RUNS=${RUNS:-5}
PUPDATES=${UPDATES:-10}	# PROFILE's default
UPDATES=${UPDATES:-60}
command -v node >/dev/null || die "node is needed (make deps)"
[ -x /usr/bin/chromium ] || die "chromium is needed (make deps)"
make --no-print-directory -s "$BUILD/prodd" "$BUILD/prodd-exec" "$BUILD/dashboard/index.html" >/dev/null
top=$(pwd)
tmp=$(mktemp -d /tmp/prodd-dash.XXXXXX)
pid=""
cleanup() {
	set +e
	end_prodd $pid
	end_recorded "$tmp/state"
	end_tmp "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

port=$(free_port)
conf() {	# conf INTERVAL
	awk -v n="$N" -v port="$port" -v tmp="$tmp" -v iv="$1" -v dd="${DASHBOARD_DIR:-}" 'BEGIN {
		print "version: 1"
		printf "daemon:\n  listen: 127.0.0.1:%d\n  rate_limit: 0\n", port
		if (dd != "") printf "  dashboard_dir: %s\n", dd
		printf "  state_dir: %s/state\n  log_dir: %s/logs\n", tmp, tmp
		printf "  sample_interval: %s\n  history: 600\n", iv
		print "services:"
		for (i = 0; i < n; i++) {
			printf "  - name: svc-%04d\n    command: sleep 100000\n", i
			if (i > 0) printf "    dependencies: [svc-%04d]\n", int((i - 1) / 4)
		}
	}' >"$tmp/s.yaml"
}
conf 100ms
m0=$(machine)
"$top/$BUILD/prodd" -c "$tmp/s.yaml" >"$tmp/prodd.log" 2>&1 &
pid=$!
url="http://127.0.0.1:$port/"
note "prodd: $N services, 100 ms samples until 600 points (at most $PRELOAD s)"
points() {
	curl -s "${url}api/metrics/history?service=svc-0000" 2>/dev/null |
	    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["series"]["cpu"]))' 2>/dev/null || echo 0
}
waited=0
while [ "$(points)" -lt 600 ] && [ "$waited" -lt "$PRELOAD" ]; do
	sleep 2
	waited=$((waited + 2))
done
conf 1s
kill -HUP "$pid"
sleep 2
pts=$(points)
running=$(curl -s "${url}api/services" | python3 -c 'import json,sys; print(sum(s["state"] == "running" for s in json.load(sys.stdin)["services"]))')
note "history: $pts points per series; $running of $N running; measuring"
quiet
if [ -n "${PROFILE:-}" ]; then
	URL=$url UPDATES=$PUPDATES node "$top/bench/dashboard.trace.mjs"
	exit
fi
res=$(URL=$url RUNS=$RUNS UPDATES=$UPDATES node "$top/bench/dashboard.mjs")
m1=$(machine)

# the files the page loads, as prodd sends them to a browser
gz=0
raw=0
for f in index.html style.css favicon.svg vendor/uPlot.min.css vendor/uPlot.esm.js $(cd "${DASHBOARD_DIR:-$BUILD/dashboard}" && ls js/*.js); do
	b=$(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$url$f")
	r=$(curl -s -o /dev/null -w '%{size_download}' "$url$f")
	gz=$((gz + b))
	raw=$((raw + r))
done
curl -s "${url}api/dashboard-data" -o "$tmp/snap.json"
snap=$(wc -c <"$tmp/snap.json")
snapgz=$(gzip -9 -c "$tmp/snap.json" | wc -c)

echo "$res" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
gz, raw, snap, snapgz, n, pts, busy = [int(x) for x in sys.argv[1:8]]
def met(ok): return "met" if ok else "not met"
print("| figure | value | target |")
print("|---|---|---|")
print("| services / history points per series | %d / %d | 500 / 600 |" % (n, pts))
print("| first full render, median of %d (runs: %s) | %.0f ms | < 1000 ms: %s |" % (len(r["renders_ms"]), ", ".join("%.0f" % x for x in r["renders_ms"]), r["render_median_ms"], met(r["render_median_ms"] < 1000)))
print("| busy per update, CDP ScriptDuration + TaskDuration / %d updates | %.2f ms (script %.2f + task %.2f) | < 8 ms: %s |" % (r["updates"], r["busy_ms_per_update"], r["script_ms_per_update"], r["task_ms_per_update"], met(r["busy_ms_per_update"] < 8)))
print("| floor: busy time of a blank page (CDP, as above) / CPU time of Chromium, per second | %.2f ms / %.2f ms | |" % (r["floor_busy_ms_per_s"], r["floor_browser_cpu_ms_per_s"]))
print("| CPU time per update from /proc: the renderer / all of Chromium | %.2f ms / %.2f ms | |" % (r["renderer_cpu_ms_per_update"], r["browser_cpu_ms_per_update"]))
print("| of which style recalc / layout, per update (count) | %.2f ms (%.1f) / %.2f ms (%.1f) | |" % (r["style_ms_per_update"], r["styles_per_update"], r["layout_ms_per_update"], r["layouts_per_update"]))
print("| per update, page timing (handler + frame) p50 / p99 / max | %.2f / %.2f / %.2f ms | p99 < 16 ms: %s |" % (r["update_p50_ms"], r["update_p99_ms"], r["update_max_ms"], met(r["update_p99_ms"] < 16)))
lt = r["long_tasks_after_mark"]
print("| long tasks > 50 ms after the mark | %d%s | none: %s |" % (len(lt), (" (" + ", ".join(map(str, lt)) + " ms)") if lt else "", met(not lt)))
print("| static assets, gzip as served (raw) | %.1f KB (%.1f KB) | < 150 KB: %s |" % (gz / 1000, raw / 1000, met(gz < 150000)))
print("| snapshot /api/dashboard-data, plain / gzip -9 | %.0f KB / %.0f KB | |" % (snap / 1000, snapgz / 1000))
print("| the /ws snapshot the page received (uncompressed), and when | %.0f KB, at %.0f ms | |" % (r["ws_snapshot_bytes"] / 1000, r["ws_snapshot_at_ms"]))
print("| machine busy over the run (other work included) | %d %% | |" % busy)
if r["errors"]: print("\npage errors: " + "; ".join(r["errors"]))
' "$gz" "$raw" "$snap" "$snapgz" "$N" "$pts" "$(busy "$m0" "$m1")"
