#!/bin/sh
# Supervision benchmark: prodd itself, on this machine, with nothing but
# local processes, each figure beside the machine's floor measured in the
# same run: build/bench/spawnloop, which only spawns, respawns (-r) and
# stops the same children (no config, no loop library, no logs, no
# records). For N idle services (`sleep 100000`; default N = 10 100 500
# 1000) it measures the time from prodd's exec until all N run (their comm
# is `sleep`, polled every 5 ms), prodd's PSS, RSS and RssAnon after 10 s
# idle, its CPU over an idle window (schedstat; 10 s, 30 s for N = 500,
# none above) and the time from SIGTERM until prodd has exited; then the
# same start, PSS (after 2 s) and stop for spawnloop. Then the respawn
# latency with `restart: always, restart_delay: 0`: build/bench/tick is
# killed 20 times and each latency is the new tick's start time minus the
# kill time (both CLOCK_MONOTONIC, both taken by tick), beside N = 10, 100
# and 500 idle services, under prodd and under `spawnloop -r`. Last, five
# starts of 500 by each (the start figure's median), each stopped SETTLE s
# later (the stop figure's median: one stop varies by a third from run to
# run). Every prodd figure is also given as a ratio to the floor's.
#   sh bench/supervise.sh
#   (env: NS="10 100 500 1000", RESPAWN_NS="10 100 500" ("": none), REPEATS=20,
#    BIG=500, START_RUNS=5 (0: none), SETTLE=3, QUIET_WAIT=15, BUILD=build)
# Prints markdown tables on stdout, progress on stderr. Before each part it
# waits, at most QUIET_WAIT s, for a second with the machine under 10 % busy
# and it reports how busy the machine was. Every wait is bounded; the whole
# run stays under 10 minutes (parts are skipped when time is short).
set -eu
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
NS=${NS:-10 100 500 1000}
RESPAWN_NS=${RESPAWN_NS-10 100 500}	# "" skips the respawn part
REPEATS=${REPEATS:-20}
BIG=${BIG:-500}		# the idle services beside the respawn run
BUDGET=600			# seconds, for the whole script
began=$(date +%s)
make --no-print-directory -s "$BUILD/prodd" "$BUILD/prodd-exec" "$BUILD/bench/tick" \
    "$BUILD/bench/spawnloop" "$BUILD/bench/idle" >/dev/null
top=$(pwd)
prodd=$top/$BUILD/prodd
tick=$top/$BUILD/bench/tick
tmp=$(mktemp -d /tmp/prodd-bench.XXXXXX)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
started=""			# the prodd pids this script started, still running
rows=""

left() { echo $((BUDGET - ($(date +%s) - began))); }

# The children of prodd PID: each leads its own process group.
cleanup() {
	set +e
	end_prodd $started
	end_recorded "$tmp"/*/state
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# gen DIR N [TICKFILE]: DIR/services.yaml with N idle services (+ tick).
gen() {
	mkdir -p "$1"
	{
		echo "daemon: { state_dir: $1/state, log_dir: $1/logs,"
		echo "  listen: 127.0.0.1:$(free_port) }"
		echo "services:"
		idle_services "$2" idle
		if [ $# -ge 3 ]; then
			echo "  - { name: tick, command: $tick $3, restart: always,"
			echo "      restart_delay: 0, max_restarts: 1000 }"
		fi
	} >"$1/services.yaml"
}

# launch DIR: start prodd on DIR/services.yaml; the clock is in DIR/t0.
launch() {
	"$tick" --stamp "$1/t0" "$prodd" -c "$1/services.yaml" \
	    2>"$1/prodd.log" &
	pid=$!
	started="$started $pid"
}

# ms A_NS B_NS: (B - A) in ms, 2 decimals.
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }
kib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# pss PID: the PSS of PID in kB
pss() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }
# ratio A B: A / B, 2 decimals (n/a when either is missing)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0 || a == "n/a" || b == "n/a") print "n/a"; else printf "%.2f", a / b }'; }
sloop=$top/$BUILD/bench/spawnloop
cpu_ns() { cut -d' ' -f1 "/proc/$1/schedstat"; }
timeout_ms() { l=$(left); [ "$l" -gt "$1" ] && l=$1; echo $((l * 1000)); }

# stop DIR: SIGTERM prodd, time its exit, check its status and services.
stop() {
	kids=$(groups_of "$pid")
	t=$("$tick" --term "$pid" "$(timeout_ms 30)") ||
	    die "prodd $pid did not exit after SIGTERM (log: $1/prodd.log)"
	rc=0
	wait "$pid" || rc=$?
	started=$(echo "$started" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ' || true)
	[ "$rc" -eq 0 ] || note "WARNING: prodd exited with status $rc"
	alive=0
	for k in $kids; do
		kill -0 "$k" 2>/dev/null && alive=$((alive + 1))
	done
	[ "$alive" -eq 0 ] || note "WARNING: $alive services outlived prodd"
	stop_ms=$(ms 0 "$t")
}

# ---------------------------------------------------------------- idle N
for n in $NS; do
	window=10
	[ "$n" -ge 500 ] && window=30
	[ "$n" -gt 500 ] && window=0
	if [ "$(left)" -lt $((window + 60)) ]; then
		note "skipped: N=$n and above (out of time)"
		break
	fi
	d=$tmp/idle$n
	gen "$d" "$n"
	note "N=$n: start, 10 s idle, ${window} s CPU window, stop"
	quiet
	launch "$d"
	t1=$("$tick" --children "$pid" sleep "$n" "$(timeout_ms 30)") ||
	    die "N=$n: the services did not all start (log: $d/prodd.log)"
	c1=$(cpu_ns "$pid")
	read -r t0 _ <"$d/t0"
	up=$(ms "$t0" "$t1")
	sleep 10
	pss=$(pss "$pid")
	rss=$(status_kb VmRSS "$pid")
	anon=$(status_kb RssAnon "$pid")
	fds=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
	c2=$(cpu_ns "$pid")
	w2=$(date +%s%N)
	m2=$(machine)
	sleep "$window"
	c3=$(cpu_ns "$pid")
	w3=$(date +%s%N)
	m3=$(machine)
	# how busy the machine was meanwhile: other load skews every figure
	busy=$(busy "$m2" "$m3")
	cpu=$(awk -v c="$((c3 - c2))" -v w="$((w3 - w2))" -v s="$window" \
	    'BEGIN { printf "%.3f (%.0f µs in %d s)", 100 * c / w, c / 1e3, s }')
	# no window (N > 500): neither figure was taken
	[ "$window" -gt 0 ] || { cpu=n/a; busy=n/a; }
	exits=$(grep -c '"kind":"exit"' "$d/prodd.log" || true)
	[ "$exits" -eq 0 ] || note "WARNING: N=$n: $exits exits while idle"
	stop "$d"
	prodd_stop=$stop_ms
	pss_kb=$pss
	pss=$(kib "$pss")
	rss=$(kib "$rss")
	anon=$(kib "$anon")
	startcpu=$(ms 0 "$c1")
	note "  up $up ms (prodd CPU $startcpu ms), PSS $pss MiB, RSS $rss MiB" \
	    "(anon $anon), $fds fds, CPU $cpu, stop $stop_ms ms; machine $busy % busy"
	# the floor: spawnloop starts, holds and stops the same N
	quiet
	rm -f "$d/t0"
	"$tick" --stamp "$d/t0" "$sloop" "$n" sleep 100000 2>>"$d/prodd.log" &
	pid=$!
	started="$started $pid"
	t1=$("$tick" --children "$pid" sleep "$n" "$(timeout_ms 30)") ||
	    die "N=$n: spawnloop did not start them all"
	read -r t0 _ <"$d/t0"
	fup=$(ms "$t0" "$t1")
	sleep 2
	fpss_kb=$(pss "$pid")
	fpss=$(kib "$fpss_kb")
	stop "$d"
	fstop=$stop_ms
	note "  floor: up $fup ms, PSS $fpss MiB, stop $fstop ms"
	stop_ms=$prodd_stop
	for v in up stop_ms pss pss_kb rss anon cpu fds startcpu busy fup fstop \
	    fpss fpss_kb; do
		eval "${v}_$n=\$$v"
	done
	eval "rup_$n=$(ratio "$up" "$fup")"
	eval "rstop_$n=$(ratio "$stop_ms" "$fstop")"
	eval "rpss_$n=$(ratio "$pss_kb" "$fpss_kb")"
done

# ----------------------------------------------------------- respawn
# respawn WHO N: REPEATS kills of tick beside N idle services, under prodd
# (WHO = prodd) or spawnloop -r (WHO = floor); sets rmed, rp90, rbusy.
respawn() {
	d=$tmp/respawn-$1-$2
	gen "$d" "$2" "$d/ticks"
	note "respawn beside $2 idle services, $1: $REPEATS kills"
	if [ "$1" = prodd ]; then
		launch "$d"
	else
		"$sloop" -r -x "$tick" "$d/ticks" -- "$2" sleep 100000 \
		    2>"$d/prodd.log" &
		pid=$!
		started="$started $pid"
	fi
	"$tick" --children "$pid" tick 1 "$(timeout_ms 30)" >/dev/null ||
	    die "respawn: tick did not start (log: $d/prodd.log)"
	"$tick" --children "$pid" sleep "$2" "$(timeout_ms 30)" \
	    >/dev/null || die "respawn: the idle services did not start"
	sleep 1.5	# tick is "running" (alive 1 s)
	quiet
	m0=$(machine)
	i=0
	while [ "$i" -lt "$REPEATS" ]; do
		[ "$(left)" -gt 5 ] || die "respawn: out of time"
		last=$(tail -n 1 "$d/ticks")
		# kills, then waits for the next start line without forking
		"$tick" --kill "${last#* }" "$d/kills" "$d/ticks" 2000 ||
		    die "respawn: no new tick after kill $((i + 1)) (log: $d/prodd.log)"
		sleep 0.15
		i=$((i + 1))
	done
	rbusy=$(busy "$m0" "$(machine)")
	stop "$d"
	# kill k is followed by start k+1
	awk 'NR == FNR { k[FNR] = $1; next }
	    FNR > 1 { printf "%.3f\n", ($1 - k[FNR - 1]) / 1e6 }' \
	    "$d/kills" "$d/ticks" | sort -n >"$d/lat"
	set -- $(awk '{ v[NR] = $1 } END {
	    p90 = int(NR * 0.90 + 0.999999)
	    med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	    printf "%.2f %.2f\n", med, v[p90] }' "$d/lat")
	rmed=$1 rp90=$2
	note "  median $rmed ms, p90 $rp90 ms; machine $rbusy % busy"
}

for n in $RESPAWN_NS; do
	if [ "$(left)" -lt 60 ]; then
		note "skipped: respawn beside $n and more (out of time)"
		break
	fi
	respawn floor "$n"
	fmed=$rmed fp90=$rp90 fbusy=$rbusy
	respawn prodd "$n"
	[ -n "${own10:-}" ] || own10=$rmed
	rows="$rows| $n | $rmed ($rp90) | $fmed ($fp90) | **$(ratio "$rmed" "$fmed")** | $(ratio "$rmed" "$own10") | $rbusy / $fbusy |
"
done

# ----------------------------------------------------------- floor
# What the machine itself charges: START_RUNS starts of BIG services by
# prodd against build/bench/spawnloop (the same posix_spawn, pipes and
# session, nothing else), for `sleep` (dynamically linked) and for
# build/bench/idle (static). prodd runs on one state_dir and log_dir, so
# its first start creates their files and the later ones find them.
# floor LABEL COMM DIR CMD...: start CMD, time until BIG children run COMM
floor() {
	label=$1 comm=$2 fd=$3
	shift 3
	quiet
	rm -f "$fd/t0"
	"$tick" --stamp "$fd/t0" "$@" 2>>"$fd/prodd.log" >/dev/null &
	pid=$!
	started="$started $pid"
	t1=$("$tick" --children "$pid" "$comm" "$BIG" "$(timeout_ms 30)") ||
	    die "floor: $label did not start $BIG (log: $fd/prodd.log)"
	c1=$(cpu_ns "$pid")
	read -r t0 _ <"$fd/t0"
	# settled (prodd has sampled them: what a stop then closes), then
	# the stop, timed as in the idle part
	sleep "$SETTLE"
	stop "$fd"
	echo "$(ms "$t0" "$t1") $(ms 0 "$c1") $stop_ms" >>"$fd/$label"
}
# med FILE COLUMN: the median of a column
med() { cut -d' ' -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END {
    printf "%.0f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
START_RUNS=${START_RUNS:-5}
SETTLE=${SETTLE:-3}
floors=""
stops=""
if [ "$START_RUNS" -eq 0 ]; then
	note "skipped: the floor of the start figure (START_RUNS=0)"
elif [ "$(left)" -gt 100 ]; then
	idle=$top/$BUILD/bench/idle
	for prog in sleep idle; do
		fd=$tmp/floor-$prog
		gen "$fd" "$BIG"
		[ "$prog" = idle ] && sed -i "s|command: sleep 100000|command: $idle|" "$fd/services.yaml"
		note "start of $BIG x $prog: prodd (first start, then $START_RUNS more) and spawnloop, $START_RUNS each"
		floor prodd-first "$prog" "$fd" "$prodd" -c "$fd/services.yaml"
		r=0
		while [ "$r" -lt "$START_RUNS" ] && [ "$(left)" -gt 30 ]; do
			floor prodd "$prog" "$fd" "$prodd" -c "$fd/services.yaml"
			if [ "$prog" = sleep ]; then
				floor loop "$prog" "$fd" "$top/$BUILD/bench/spawnloop" "$BIG" sleep 100000
			else
				floor loop "$prog" "$fd" "$top/$BUILD/bench/spawnloop" "$BIG" "$idle"
			fi
			r=$((r + 1))
		done
		row="| \`$prog\` | $(med "$fd/prodd-first" 1) | $(med "$fd/prodd" 1) ($(med "$fd/prodd" 2)) | $(med "$fd/loop" 1) ($(med "$fd/loop" 2)) | $(( $(med "$fd/prodd" 1) - $(med "$fd/loop" 1) )) | **$(ratio "$(med "$fd/prodd" 1)" "$(med "$fd/loop" 1)")** |"
		note "  $row"
		floors="$floors$row
"
		row="| \`$prog\` | $(med "$fd/prodd" 3) | $(med "$fd/loop" 3) | **$(ratio "$(med "$fd/prodd" 3)" "$(med "$fd/loop" 3)")** |"
		note "  $row"
		stops="$stops$row
"
	done
else
	note "skipped: the floor of the start figure (out of time)"
fi

# ----------------------------------------------------------- tables
cell() { eval "printf '%s' \"\${$1_$2:-n/a}\""; }
header="| what |"
rule="|---|"
for n in $NS; do
	header="$header N=$n |"
	rule="$rule---|"
done
line() {	# line LABEL VAR TARGET
	printf '| %s |' "$1"
	for n in $NS; do
		printf ' %s |' "$(cell "$2" "$n")"
	done
	printf ' %s |\n' "$3"
}
echo "prodd $("$prodd" --version | head -n 1 | cut -d' ' -f2), $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d)," \
    "load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo
echo "$header target (N=500) |"
echo "$rule---|"
line "start until all N run (ms)" up ""
line "  floor: spawnloop (ms)" fup ""
line "  prodd / floor" rup "(500: <= 1.1, see the 5 starts below)"
line "SIGTERM until exited (ms)" stop_ms ""
line "  floor: spawnloop (ms)" fstop ""
line "  prodd / floor" rstop "<= 1.5"
line "PSS after 10 s idle (MiB)" pss ""
line "  floor: spawnloop (MiB)" fpss ""
line "  prodd / floor" rpss ""
line "RSS after 10 s idle (MiB)" rss "< 16 MiB"
line "of which RssAnon (MiB)" anon "< 6 MiB"
line "idle CPU (% of one core)" cpu "< 0.5 %"
line "prodd CPU time, start until all N run (ms)" startcpu ""
line "prodd's open descriptors" fds ""
line "whole machine busy in the idle window (%, other load)" busy ""
if [ -n "${pss_kb_100:-}" ] && [ -n "${pss_kb_500:-}" ]; then
	echo
	echo "Marginal PSS per service from 100 to 500 services: prodd" \
	    "$(awk -v a="$pss_kb_100" -v b="$pss_kb_500" 'BEGIN { printf "%.2f", (b - a) / 400 }') KiB" \
	    "(target <= 4 KiB), floor $(awk -v a="$fpss_kb_100" -v b="$fpss_kb_500" 'BEGIN { printf "%.2f", (b - a) / 400 }') KiB."
fi
if [ -n "$rows" ]; then
	echo
	echo "| respawn beside N, restart_delay 0, $REPEATS kills | prodd: median (p90) ms | floor: median (p90) ms | prodd / floor (target at 500: <= 1.3) | prodd / prodd at the first N (target: <= 1.1) | machine busy (%): prodd / floor |"
	echo "|---|---|---|---|---|---|"
	printf '%s' "$rows"
fi
if [ -n "$floors" ]; then
	echo
	echo "| start of $BIG services, program | prodd, first start (ms) | prodd, later starts: median ms (prodd CPU ms) | spawnloop: median ms (CPU ms) | prodd beyond the floor (ms) | prodd / floor (target: <= 1.1) |"
	echo "|---|---|---|---|---|---|"
	printf '%s' "$floors"
	echo
	echo "| stop of $BIG services ${SETTLE} s after those starts, program | prodd: median ms | spawnloop: median ms | prodd / floor (target: <= 1.5) |"
	echo "|---|---|---|---|"
	printf '%s' "$stops"
fi
