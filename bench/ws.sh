#!/bin/sh
# /ws benchmark: what the live stream costs and how fast it is. prodd runs
# N services (`sleep 100000`, default 500; restart: always,
# restart_delay: 0, so a killed one comes back) sampled every 1 s, its API
# on a free loopback port (rate_limit: 0: the HTTP clients of c share one
# address). The clients are bench/wsbench.py: one python3
# process, one selectors (epoll) loop, the framing of
# tests/integration/wsclient.py. Once every service runs and 5 s have
# passed, after a wait for a quiet machine:
#   a. latency: CLIENTS (default 100) /ws clients; KILLS times (default 15,
#      each a different service, SPACING s apart, default 0.3) the bench
#      SIGKILLs a service's main process (the pid from /api/services),
#      recording CLOCK_REALTIME just before kill(); each client records the
#      arrival of the matching `exit` event twice: the kernel's receive
#      stamp of the data (SO_TIMESTAMPNS, CLOCK_REALTIME: at the client's
#      socket) and CLOCK_REALTIME after the recv that completed it (which
#      adds the one python loop's turn through the other clients). p50,
#      p99 and max of arrival - kill over every delivery (KILLS x CLIENTS),
#      both ways, and each kill's first delivery. Target p99 < 10 ms.
#   b. client cost: prodd's CPU (schedstat, every thread) over CPU_WINDOW s
#      (default 60) with no client, then over CPU_WINDOW s with CLIENTS
#      clients connected and reading, as % of one core. Target: the
#      difference < 5 % of one core.
#   c. RSS: 200 (RSS_WS) /ws clients reading plus 100 (RSS_HTTP) HTTP
#      clients, each GET /api/services every POLL s (default 1) on a
#      kept-alive connection, for DURATION s (default 600); prodd's VmRSS
#      after the first 60 s and at the end. Target: within 1 MiB.
#   d. one client that never reads: a second prodd (the next port) runs
#      one service writing 4000-byte lines as fast as it can; after 10 s
#      (its log ring full), NEVER (default 3) times in a row one /ws
#      client with a 4 KiB receive buffer subscribes to its lines and
#      reads nothing for NEVER_S s (default 15), then reads until closed.
#      prodd's VmRSS before (the floor), its peak (every 0.1 s) and at the
#      end. Target: peak - floor within the client's bound (1 MiB, the
#      queue) plus 512 KiB of slack (lws's copy of a partial frame, the
#      allocator's rounding).
#   sh bench/ws.sh
#   (env: N=500, CLIENTS=100, KILLS=15, SPACING=0.3, CPU_WINDOW=60,
#   RSS_WS=200, RSS_HTTP=100, POLL=1, DURATION=600, NEVER=3, NEVER_S=15,
#   PARTS="a b c d",
#   QUIET_WAIT=15, BUILD=build, KEEP=1 keeps the temporary directory)
# Prints markdown tables on stdout, progress on stderr. Every wait is
# bounded (python's own deadlines, and `timeout` around each client run);
# prodd's process groups are killed at the end whatever happens.
set -eu
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
N=${N:-500}
CLIENTS=${CLIENTS:-100}
KILLS=${KILLS:-15}
SPACING=${SPACING:-0.3}
CPU_WINDOW=${CPU_WINDOW:-60}
RSS_WS=${RSS_WS:-200}
RSS_HTTP=${RSS_HTTP:-100}
POLL=${POLL:-1}
DURATION=${DURATION:-600}
NEVER=${NEVER:-3}
NEVER_S=${NEVER_S:-15}
PARTS=${PARTS:-a b c d}

command -v python3 >/dev/null || die "python3 is needed (the clients)"
[ "$DURATION" -gt 60 ] || die "DURATION must be over 60 s"
make --no-print-directory -s "$BUILD/prodd" "$BUILD/prodd-exec" >/dev/null
top=$(pwd)
prodd=$top/$BUILD/prodd
wsb="python3 $top/bench/wsbench.py"
tmp=$(mktemp -d /tmp/prodd-ws.XXXXXX)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
pid=""				# prodd, while it runs
pid2=""				# d's prodd
cpids=""			# client processes, while they run

cleanup() {
	set +e
	for c in $cpids; do
		kill -s KILL "$c" 2>/dev/null
	done
	end_prodd $pid $pid2
	end_recorded "$tmp/d/state"
	end_recorded "$tmp/state"
	end_tmp "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# % of one core between two threads_cpu_ns readings over W s
core_pct() { awk -v a="$1" -v b="$2" -v w="$3" 'BEGIN { printf "%.2f", 100 * (b - a) / 1e9 / w }'; }
met() { awk -v v="$1" -v t="$2" 'BEGIN { print (v < t ? "met" : "not met") }'; }
# wait_file F S: until file F exists, at most S s (0 when it does)
wait_file() {
	w=0
	until [ -s "$1" ]; do
		w=$((w + 1))
		[ "$w" -le $(($2 * 10)) ] || return 1
		sleep 0.1
	done
}

# PRODD_TEST_PORTS (the first of a block of ports reserved for this run)
# keeps the bench off other people's ports; free_port otherwise
if [ -n "${PRODD_TEST_PORTS:-}" ]; then
	port=$PRODD_TEST_PORTS
else
	port=$(free_port)
fi
export WS_URL="ws://127.0.0.1:$port/ws"
{
	echo "daemon: { state_dir: $tmp/state, log_dir: $tmp/logs,"
	echo "  listen: 127.0.0.1:$port, rate_limit: 0, sample_interval: 1s }"
	echo "services:"
	idle_services "$N" s "restart: always, restart_delay: 0s"
} >"$tmp/services.yaml"

version=$("$prodd" --version | head -n 1 | cut -d' ' -f2)
note "prodd $version, $N services, API on 127.0.0.1:$port"
"$prodd" -c "$tmp/services.yaml" 2>"$tmp/prodd.log" &
pid=$!
note "prodd pid $pid"
t=0
until [ "$(groups_of "$pid" | wc -w)" -ge "$N" ]; do
	t=$((t + 1))
	[ "$t" -le 600 ] || die "the services did not start"
	sleep 0.1
done
sleep 5

echo "prodd $version ($(git rev-parse --short HEAD 2>/dev/null || echo '?')), $N services (\`sleep 100000\`), sample_interval 1s, $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ), load average at the start $load0"
echo
echo "| what | figure | target | met? |"
echo "|---|---|---|---|"

case " $PARTS " in *" a "*)
	quiet
	note "a. latency: $CLIENTS clients, $KILLS kills ${SPACING} s apart"
	m0=$(machine)
	# shellcheck disable=SC2046
	set -- $(timeout $((KILLS * 8 + 120)) $wsb latency "$CLIENTS" "$KILLS" \
	    "$SPACING" "$tmp/latency.txt")
	abusy=$(busy "$m0" "$(machine)")
	[ $# -eq 12 ] || die "the latency run gave no figures"
	note "  $1 kills, $2 clients, $3 deliveries, ${12} missing (machine $abusy % busy)"
	note "  at the client's socket (kernel stamp): p50 $4 ms, p99 $5 ms, max $6 ms"
	note "  after the client loop's recv: p50 $7 ms, p99 $8 ms, max $9 ms"
	note "  first client of each kill: median ${10} ms, max ${11} ms"
	echo "| exit event: kill → arrival at the client's socket (kernel receive stamp, SO_TIMESTAMPNS), $2 clients, $1 kills, $3 deliveries (${12} missing) | p50 $4 ms, **p99 $5 ms**, max $6 ms (machine $abusy % busy) | p99 < 10 ms | $(met "$5" 10) |"
	echo "| the same, kill → after the recv in the one client loop (which serves the $2 clients in turn) | p50 $7 ms, **p99 $8 ms**, max $9 ms | p99 < 10 ms | $(met "$8" 10) |"
	echo "| kill → the first client's arrival (kernel stamp), per kill | median ${10} ms, max ${11} ms | | |"
	;;
esac

case " $PARTS " in *" b "*)
	quiet
	note "b. CPU over $CPU_WINDOW s without clients"
	m0=$(machine)
	c0=$(threads_cpu_ns "$pid")
	sleep "$CPU_WINDOW"
	c1=$(threads_cpu_ns "$pid")
	b0busy=$(busy "$m0" "$(machine)")
	none=$(core_pct "$c0" "$c1" "$CPU_WINDOW")
	note "  $none % of a core (machine $b0busy % busy)"
	rm -f "$tmp/ready"
	timeout $((CPU_WINDOW + 120)) $wsb hold "$CLIENTS" $((CPU_WINDOW + 7)) \
	    "$tmp/ready" >"$tmp/hold.out" &
	cpids=$!
	wait_file "$tmp/ready" 60 || die "the clients did not connect"
	sleep 2
	note "   CPU over $CPU_WINDOW s with $CLIENTS clients"
	m0=$(machine)
	c0=$(threads_cpu_ns "$pid")
	sleep "$CPU_WINDOW"
	c1=$(threads_cpu_ns "$pid")
	b1busy=$(busy "$m0" "$(machine)")
	with=$(core_pct "$c0" "$c1" "$CPU_WINDOW")
	wait "$cpids" || die "the clients failed: $(cat "$tmp/hold.out")"
	cpids=""
	diff=$(awk -v a="$none" -v b="$with" 'BEGIN { printf "%.2f", b - a }')
	note "  $with % of a core (machine $b1busy % busy): $(cat "$tmp/hold.out")"
	echo "| prodd CPU over $CPU_WINDOW s, no client (schedstat, all threads) | $none % of a core (machine $b0busy % busy) | | |"
	echo "| prodd CPU over $CPU_WINDOW s, $CLIENTS clients reading | $with % of a core (machine $b1busy % busy) | | |"
	echo "| cost of $CLIENTS clients | **$diff % of a core** | < 5 % | $(met "$diff" 5) |"
	;;
esac

case " $PARTS " in *" c "*)
	quiet
	note "c. RSS: $RSS_WS /ws clients + $RSS_HTTP HTTP clients (every $POLL s) for $DURATION s"
	rm -f "$tmp/ready"
	timeout $((DURATION + 180)) $wsb hold "$RSS_WS" $((DURATION + 5)) \
	    "$tmp/ready" >"$tmp/hold.out" &
	hp=$!
	cpids=$hp
	wait_file "$tmp/ready" 300 || die "the clients did not connect"
	timeout $((DURATION + 60)) $wsb poll "$RSS_HTTP" "$DURATION" "$POLL" \
	    >"$tmp/poll.out" &
	pp=$!
	cpids="$hp $pp"
	r0=$(status_kb VmRSS "$pid")
	m0=$(machine)
	# the trace: "s VmRSS RssAnon" (kB) every 10 s, for the plateau
	(
		s=0
		while [ "$s" -le "$DURATION" ]; do
			echo "$s $(status_kb VmRSS "$pid") $(status_kb RssAnon "$pid")"
			sleep 10
			s=$((s + 10))
		done
	) >"$tmp/rss.txt" 2>/dev/null &
	tp=$!
	cpids="$hp $pp $tp"
	sleep 60
	r1=$(status_kb VmRSS "$pid")
	note "  RSS at the start $r0 kB, after 60 s $r1 kB"
	sleep $((DURATION - 60))
	r2=$(status_kb VmRSS "$pid")
	a2=$(status_kb RssAnon "$pid")
	kill "$tp" 2>/dev/null || true
	note "  RSS trace (s VmRSS RssAnon, kB): $(tr '\n' ';' <"$tmp/rss.txt")"
	cbusy=$(busy "$m0" "$(machine)")
	wait "$pp" || die "the HTTP clients failed"
	wait "$hp" || die "the /ws clients failed"
	cpids=""
	note "  RSS at the end $r2 kB (RssAnon $a2 kB); $(cat "$tmp/poll.out"); $(cat "$tmp/hold.out")"
	d=$(awk -v a="$r1" -v b="$r2" 'BEGIN { printf "%.2f", (b - a) / 1024 }')
	da=$(awk -v d="$d" 'BEGIN { print (d < 0 ? -d : d) }')
	echo "| RSS with $RSS_WS /ws + $RSS_HTTP HTTP clients ($(cat "$tmp/poll.out"); /ws: $(cat "$tmp/hold.out")) | connected $(awk -v k="$r0" 'BEGIN { printf "%.1f", k / 1024 }') MiB, after 60 s $(awk -v k="$r1" 'BEGIN { printf "%.2f", k / 1024 }') MiB, after $DURATION s $(awk -v k="$r2" 'BEGIN { printf "%.2f", k / 1024 }') MiB (machine $cbusy % busy) | | |"
	echo "| RSS end − RSS after 60 s | **$d MiB** | within 1 MiB | $(met "$da" 1) |"
	;;
esac
case " $PARTS " in *" d "*)
	dport=$((port + 1))
	mkdir -p "$tmp/d"
	printf '%s\n' 'import sys' 'line = "x" * 4000 + "\n"' 'while True:' \
	    '    sys.stdout.write(line)' >"$tmp/d/flood.py"
	{
		echo "daemon: { state_dir: $tmp/d/state, log_dir: $tmp/d/logs,"
		echo "  listen: 127.0.0.1:$dport, rate_limit: 0, sample_interval: 1s }"
		echo "services:"
		echo "  - { name: flood, command: python3 $tmp/d/flood.py }"
	} >"$tmp/d/services.yaml"
	"$prodd" -c "$tmp/d/services.yaml" 2>"$tmp/d/prodd.log" &
	pid2=$!
	sleep 10
	quiet
	note "d. $NEVER times one /ws client that never reads, a log flood, $NEVER_S s"
	f0=$(status_kb VmRSS "$pid2")
	a0=$(status_kb RssAnon "$pid2")
	peak=$f0
	apeak=$a0
	closes=""
	i=1
	while [ "$i" -le "$NEVER" ]; do
		WS_URL="ws://127.0.0.1:$dport/ws" timeout $((NEVER_S + 60)) \
		    $wsb neverread flood "$NEVER_S" >"$tmp/d/never.out" &
		np=$!
		cpids=$np
		while kill -0 "$np" 2>/dev/null; do
			r=$(status_kb VmRSS "$pid2")
			[ "$r" -le "$peak" ] || peak=$r
			r=$(status_kb RssAnon "$pid2")
			[ "$r" -le "$apeak" ] || apeak=$r
			sleep 0.1
		done
		wait "$np" || die "the client failed"
		cpids=""
		closes="$closes$(cat "$tmp/d/never.out"); "
		i=$((i + 1))
	done
	f1=$(status_kb VmRSS "$pid2")
	a1=$(status_kb RssAnon "$pid2")
	note "  VmRSS before $f0 kB, peak $peak kB, at the end $f1 kB; RssAnon $a0, $apeak, $a1 kB; $closes"
	mib() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }
	dd=$(awk -v a="$f0" -v b="$peak" 'BEGIN { printf "%.2f", (b - a) / 1024 }')
	echo "| RSS of a prodd whose one service floods its log (4000-byte lines); $NEVER clients in turn subscribed to it that never read, $NEVER_S s each (${closes%; }) | before $(mib "$f0") MiB, peak $(mib "$peak") MiB, after $(mib "$f1") MiB | | |"
	echo "| peak − before | **$dd MiB** | within 1 MiB (the queue's bound) + 0.5 MiB | $(met "$dd" 1.5) |"
	;;
esac
echo
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
