# Shared helpers for the black-box tests (source it from a t-*.sh).
# Each check prints "ok - what" or "not ok - what"; finish prints the
# closing "N passed, M failed" line and sets the exit status.
BUILD=${BUILD:-build}
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# wait_for SECONDS COMMAND...: poll every 50 ms until the command succeeds.
wait_for() {
	deadline=$(( $(date +%s%N) + $1 * 1000000000 ))
	shift
	while [ "$(date +%s%N)" -lt "$deadline" ]; do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

# In valgrind runs (VALGRIND=1, not sanitized), wrap a program with it.
VG=""
if [ -n "${VALGRIND:-}" ] && [ -z "${SANITIZE:-}" ]; then
	VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all"
	VG="$VG --suppressions=$(cd "$(dirname "$0")/.." && pwd)/valgrind.supp"
fi

# Background clients a script started (their pids in BG), killed at its
# end: kill_bg.
BG=""
kill_bg() {
	local p
	for p in $BG; do kill -KILL "$p" 2>/dev/null; done
	BG=""
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# ---- running prodd -------------------------------------------------------
# new_env: a private directory for one prodd: $T/state, $T/logs, $T/prodd.log
new_env() {
	T=$(mktemp -d /tmp/prodd-test.XXXXXX)
	STATE=$T/state
	LOGS=$T/logs
	PLOG=$T/prodd.log
	PRODD_PID=""
	DEMO=$(cd "$BUILD" && pwd)/prodd-demo
	PORT=$(free_port)
}

# A free TCP port on 127.0.0.1 (bash /dev/tcp probe), from this script's
# own block of 500 (PRODD_TEST_PORTS, set by tests/run.sh; a random block
# when run alone), handed out in turn so that a port chosen but not yet
# bound is never chosen twice. All below the ephemeral range
# (32768-60999), so no client socket of another test holds one.
PORT_BASE=${PRODD_TEST_PORTS:-$((20000 + (RANDOM % 24) * 500))}
PORT_NEXT=$BUILD/test-ports.$(basename "$0" .sh)
echo 0 >"$PORT_NEXT"
free_port() {
	local n p
	n=$(cat "$PORT_NEXT")
	for _ in $(seq 1 500); do
		p=$((PORT_BASE + n % 500))
		n=$((n + 1))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$n" >"$PORT_NEXT"
			echo "$p"
			return 0
		fi
	done
	return 1
}

# write_config BODY: $T/s.yaml with the daemon section filled in (its own
# TCP port, state_dir and log_dir under $T), then BODY
write_config() {
	{
		echo "daemon:"
		echo "  listen: 127.0.0.1:$PORT"
		echo "  state_dir: $STATE"
		echo "  log_dir: $LOGS"
		echo "  shutdown_timeout: 20s"
		echo "services:"
		cat
	} >"$T/s.yaml"
}

# start_prodd [ARGS...]: run prodd on $T/s.yaml in the background
start_prodd() {
	$VG "$BUILD/prodd" -c "$T/s.yaml" "$@" >>"$PLOG" 2>&1 &
	PRODD_PID=$!
}

# events [FILTER...]: the JSON events of prodd's log, one per line, as
# "kind service from to reason pid exit_code signal delay_ms"
events() {
	python3 "$(dirname "${BASH_SOURCE[0]}")/prodlog.py" "$PLOG" "$@"
}

# wait_event SECONDS FILTER...: until an event matches
wait_event() {
	local secs=$1
	shift
	wait_for "$secs" sh -c 'test -n "$(python3 "$0" "$@")"' \
		"$(dirname "${BASH_SOURCE[0]}")/prodlog.py" "$PLOG" "$@"
}

# pid of the running process of service NAME (from its last spawn event)
svc_pid() {
	events kind=spawn service="$1" | tail -n 1 | awk '{ print $6 }'
}

# alive PID: the process exists and is not a zombie
alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# stop_prodd: SIGTERM, wait (bounded) for it to exit; echo its status
stop_prodd() {
	local rc=0
	[ -n "$PRODD_PID" ] || return 0
	kill -TERM "$PRODD_PID" 2>/dev/null || true
	for _ in $(seq 1 600); do alive "$PRODD_PID" || break; sleep 0.05; done
	wait "$PRODD_PID" 2>/dev/null || rc=$?
	PRODD_PID=""
	return $rc
}

# cleanup: kill prodd and every process group it ever started
cleanup() {
	[ -n "${PRODD_PID:-}" ] && kill -KILL "$PRODD_PID" 2>/dev/null
	if [ -n "${PLOG:-}" ] && [ -f "$PLOG" ]; then
		for p in $(grep -o '"started pid [0-9]*' "$PLOG" | awk '{ print $3 }'); do
			kill -KILL -- "-$p" 2>/dev/null || true
		done
	fi
	[ -n "${T:-}" ] && rm -rf "$T"
	return 0
}

# zombies of process P (children in state Z)
zombies_of() {
	local n=0 f
	for f in /proc/[0-9]*/stat; do
		read -r line <"$f" 2>/dev/null || continue
		rest=${line##*) }
		set -- $rest
		[ "$1" = Z ] && [ "$2" = "$P" ] && n=$((n + 1))
	done
	echo $n
}
