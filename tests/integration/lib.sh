# Shared helpers for the black-box tests (source it from a t-*.sh).
# Each check prints "ok - what" or "not ok - what"; finish prints the
# closing "N passed, M failed" line and sets the exit status. A wait that
# times out is a failed check where it stands (wait_for, wait_event), so
# what follows it cannot pass by default; poll is the quiet form, for a
# check's own condition. prodd's JSON log is read by one follower process
# for each prodd (prodlog.py), into flat records that events and
# wait_event read.
# A prodd whose loop closes with handles open (exit 70, "loop closed with"
# in its log) is a failed check of the script that ran it.
BUILD=${BUILD:-build}
PASS=0
FAIL=0
FINISHED=""
LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# need TOOL WHAT: the tool is in PATH (status 0); else WHAT is skipped
# ("# skip"), or, under CI=true, a failed check (status 1 either way).
# Prometheus's tools come from Debian's prometheus package, which
# packaging/deps.sh installs.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${CI:-}" = true ]; then
		not_ok "$1 is missing (packaging/deps.sh installs prometheus)"
	else
		echo "# skip $2: $1 is not installed"
	fi
	return 1
}

# python3 is Debian's (the python3 that packaging/deps.sh installs) when
# it is there: a version manager's shim ahead of it in PATH costs another
# interpreter or two at every call, and the tests need only the standard
# library.
if [ -x /usr/bin/python3 ] && [ "$(command -v python3)" != /usr/bin/python3 ]; then
	mkdir -p "$BUILD/test-bin"
	[ -e "$BUILD/test-bin/python3" ] || ln -s /usr/bin/python3 "$BUILD/test-bin/python3" 2>/dev/null
	PATH=$(cd "$BUILD/test-bin" && pwd):$PATH
fi

# A signal ends the script through its EXIT trap (the scripts' cleanup).
trap 'exit 143' TERM
trap 'exit 130' INT

# nap SECONDS: sleep without starting a process (a read that times out on
# a pipe nobody writes to)
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" _ 2>/dev/null || :; }

# now_us: the time in microseconds, from bash itself
now_us() { REPLY=${EPOCHREALTIME//[!0-9]/}; }
# deadline_of SECONDS: REPLY = now + SECONDS (decimals allowed), in us
deadline_of() {
	local i=${1%%.*} f=""
	[[ $1 == *.* ]] && f=${1#*.}
	f=${f}000000
	now_us
	REPLY=$((REPLY + 10#${i:-0} * 1000000 + 10#${f:0:6}))
}

# poll SECONDS COMMAND...: run the command every 50 ms until it succeeds
# (status 0) or SECONDS have passed (status 1). Quiet: for the condition
# of a check (check "..." poll 5 cond) or a wait that may fairly not come.
poll() {
	local end
	deadline_of "$1"
	end=$REPLY
	shift
	while :; do
		"$@" && return 0
		now_us
		[ "$REPLY" -lt "$end" ] || break
		nap 0.05
	done
	"$@"
}

# wait_for SECONDS COMMAND...: poll; a timeout is a failed check, "not ok
# - timed out after Ns waiting for: COMMAND", and status 1.
wait_for() {
	local secs=$1
	shift
	poll "$secs" "$@" && return 0
	not_ok "timed out after ${secs}s waiting for: $*"
	return 1
}

# stays SECONDS COMMAND...: the command succeeds every 50 ms for SECONDS
# (status 0), or the first time it fails, status 1: a bounded wait for
# what must not happen.
stays() {
	local end
	deadline_of "$1"
	end=$REPLY
	shift
	while "$@"; do
		now_us
		[ "$REPLY" -lt "$end" ] || return 0
		nap 0.05
	done
	return 1
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
	FINISHED=1
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
# own block of 250 (PRODD_TEST_PORTS, set by tests/run.sh; a random block
# when run alone), handed out in turn so that a port chosen but not yet
# bound is never chosen twice. All below the ephemeral range
# (32768-60999), so no client socket of another test holds one.
PORT_BASE=${PRODD_TEST_PORTS:-$((20000 + (RANDOM % 51) * 250))}
PORT_NEXT=$BUILD/test-ports.$(basename "$0" .sh)
echo 0 >"$PORT_NEXT"
free_port() {
	local n p
	n=$(cat "$PORT_NEXT")
	for _ in $(seq 1 250); do
		p=$((PORT_BASE + n % 250))
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

# start_prodd [ARGS...]: run prodd on $T/s.yaml in the background, and a
# follower of its log
start_prodd() {
	$VG "$BUILD/prodd" -c "$T/s.yaml" "$@" >>"$PLOG" 2>&1 &
	PRODD_PID=$!
	follow_log "$PLOG" "$PRODD_PID"
}

# follow_log LOG PID: one prodlog.py follows LOG, written by process PID,
# into LOG.ev, until PID ends (or this script does). The followers, by log:
declare -A FOLLOWER=()
follow_log() {
	follow_end "$1"
	python3 "$LIBDIR/prodlog.py" follow "$1" "$$" "$2" &
	FOLLOWER[$1]=$!
}

# follow_end LOG: the follower of LOG has read it and ended (its writer
# has ended; else it is told to end with what it has)
follow_end() {
	local f=${FOLLOWER[$1]:-}
	[ -n "$f" ] || return 0
	poll 10 not_alive "$f" || kill -TERM "$f" 2>/dev/null
	wait "$f" 2>/dev/null
	unset "FOLLOWER[$1]"
}

# events_sync: the records of $PLOG cover what it holds now (a follower
# that runs is waited for, bounded; without one, what is left is read)
events_sync() {
	local size pos f end
	[ -f "$PLOG" ] || return 0
	size=$(stat -c %s "$PLOG")
	deadline_of 10
	end=$REPLY
	while :; do
		pos=0
		[ -f "$PLOG.pos" ] && read -r pos <"$PLOG.pos"
		[ "${pos:-0}" -ge "$size" ] && return 0
		f=${FOLLOWER[$PLOG]:-}
		if [ -z "$f" ] || ! alive "$f"; then
			python3 "$LIBDIR/prodlog.py" catchup "$PLOG"
			return 0
		fi
		now_us
		[ "$REPLY" -lt "$end" ] || return 1
		nap 0.01
	done
}

# event_matches RECORD FILTER...: every FILTER holds for the record; a
# filter is KEY=VALUE (equal; spaces in VALUE stand for the underscores of
# the reason) or reason~=TEXT (the reason contains TEXT)
event_matches() {
	local -a f
	local kv k v i
	read -ra f <<<"$1"
	shift
	for kv; do
		k=${kv%%=*}
		v=${kv#*=}
		v=${v// /_}
		case $k in
		kind) i=0 ;; service) i=1 ;; from) i=2 ;; to) i=3 ;;
		reason | "reason~") i=4 ;; pid) i=5 ;; exit_code) i=6 ;;
		signal) i=7 ;; delay_ms) i=8 ;; seq) i=9 ;; ts) i=10 ;;
		*) echo "events: unknown key '$k'" >&2; return 2 ;;
		esac
		if [ "$k" = "reason~" ]; then
			[[ ${f[4]:-} == *"$v"* ]] || return 1
		else
			[ "${f[$i]:-}" = "$v" ] || return 1
		fi
	done
	return 0
}

# events [FILTER...]: the JSON events of prodd's log, one per line, as
# "kind service from to reason pid exit_code signal delay_ms seq ts"
events() {
	local line
	events_sync
	[ -f "$PLOG.ev" ] || return 0
	while IFS= read -r line; do
		event_matches "$line" "$@" && echo "$line"
	done <"$PLOG.ev"
	return 0
}

# poll_event SECONDS FILTER...: until an event matches (status 0), or
# SECONDS have passed (status 1); quiet. The records are read as they
# come, from one descriptor, with builtins.
poll_event() {
	local end fd f line part=""
	deadline_of "$1"
	end=$REPLY
	shift
	: >>"$PLOG.ev"
	exec {fd}<"$PLOG.ev"
	while :; do
		while IFS= read -r -u "$fd" line; do
			line=$part$line
			part=""
			if event_matches "$line" "$@"; then
				exec {fd}<&-
				return 0
			fi
		done
		part=$part$line
		now_us
		[ "$REPLY" -lt "$end" ] || break
		f=${FOLLOWER[$PLOG]:-}
		{ [ -n "$f" ] && alive "$f"; } || events_sync
		nap 0.02
	done
	exec {fd}<&-
	return 1
}

# wait_event SECONDS FILTER...: until an event matches; a timeout is a
# failed check
wait_event() {
	local secs=$1
	shift
	poll_event "$secs" "$@" && return 0
	not_ok "timed out after ${secs}s waiting for: event $*"
	return 1
}

# pid of the running process of service NAME (from its last spawn event)
svc_pid() {
	events kind=spawn service="$1" | tail -n 1 | awk '{ print $6 }'
}

# alive PID: the process exists and is not a zombie
alive() {
	local st
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}
not_alive() { ! alive "$1"; }

# connected PID: the process (or a child of it: a program run by
# timeout(1)) holds a connected socket, TCP or Unix, as a client does once
# it has connected
connected() {
	local p out
	out=$(ss -Hpn state established 2>/dev/null) || return 1
	for p in "$1" $(pgrep -P "$1"); do
		[[ $out == *"pid=$p,"* ]] && return 0
	done
	return 1
}

# loop_guard FILE [STATUS]: a failed check when the program that wrote FILE
# exited 70 (STATUS) or said that its loop closed with handles open (each
# such line counted once)
declare -A GUARDED=()
loop_guard() {
	local n line
	n=$(grep -c 'loop closed with' "$1" 2>/dev/null)
	n=${n:-0}
	if [ "${2:-0}" -eq 70 ] || [ "$n" -gt "${GUARDED[$1]:-0}" ]; then
		GUARDED[$1]=$n
		line=$(grep -o 'loop closed with [^"]*' "$1" 2>/dev/null | tail -n 1)
		[ "${2:-0}" -eq 70 ] && line="exit 70${line:+, $line}"
		not_ok "$(basename "$1"): $line"
	fi
	return 0
}

# stop_prodd: SIGTERM, wait (bounded) for it to exit; echo its status.
# Its loop closing with handles open is a failed check.
stop_prodd() {
	local rc=0
	[ -n "$PRODD_PID" ] || return 0
	kill -TERM "$PRODD_PID" 2>/dev/null || true
	if ! poll 30 not_alive "$PRODD_PID"; then
		not_ok "prodd (pid $PRODD_PID) still runs 30 s after SIGTERM: killed"
		kill -KILL "$PRODD_PID" 2>/dev/null
	fi
	wait "$PRODD_PID" 2>/dev/null || rc=$?
	PRODD_PID=""
	follow_end "$PLOG"
	loop_guard "$PLOG" "$rc"
	return $rc
}

# park_env NAME: sets this prodd and its directory aside (as NAME_T,
# NAME_PLOG, ...), so that another runs meanwhile; resume_env NAME brings
# them back. A script that parks one ends with cleanup_all (its EXIT trap).
ENV_VARS="T STATE LOGS PLOG PRODD_PID PORT"
PARKED=""
park_env() {
	local v
	for v in $ENV_VARS; do printf -v "${1}_$v" '%s' "${!v}"; done
	PARKED="$PARKED $1"
	T="" PLOG="" PRODD_PID=""
}
resume_env() {
	local v src
	for v in $ENV_VARS; do
		src=${1}_$v
		printf -v "$v" '%s' "${!src}"
	done
	PARKED=${PARKED/ $1/}
}

# cleanup: kill prodd and every process group it ever started, and the
# followers of its logs; a log of prodd (or of a service) in which a loop
# closed with handles open is a failed check (after finish: the count
# again, exit 1)
cleanup() {
	local p f before=$FAIL
	[ -n "${PRODD_PID:-}" ] && kill -KILL "$PRODD_PID" 2>/dev/null
	if [ -n "${T:-}" ]; then
		for f in "${!FOLLOWER[@]}"; do
			[[ $f == "$T"/* ]] && kill -TERM "${FOLLOWER[$f]}" 2>/dev/null
		done
		for f in "${!FOLLOWER[@]}"; do
			[[ $f == "$T"/* ]] || continue
			wait "${FOLLOWER[$f]}" 2>/dev/null
			unset "FOLLOWER[$f]"
		done
	fi
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			for p in $(grep -o '"started pid [0-9]*' "$f" | awk '{ print $3 }'); do
				kill -KILL -- "-$p" 2>/dev/null || true
			done
		done
		for f in "$T"/*.log "$LOGS"/*.log; do
			[ -f "$f" ] && loop_guard "$f"
		done
		rm -rf "$T"
	fi
	if [ -n "$FINISHED" ] && [ "$FAIL" -gt "$before" ]; then
		echo "$PASS passed, $FAIL failed"
		exit 1
	fi
	return 0
}

# cleanup_all: cleanup, and of every parked prodd too
cleanup_all() {
	local n before=$FAIL finished=$FINISHED
	FINISHED=""
	cleanup
	for n in $PARKED; do
		resume_env "$n"
		cleanup
	done
	FINISHED=$finished
	if [ -n "$FINISHED" ] && [ "$FAIL" -gt "$before" ]; then
		echo "$PASS passed, $FAIL failed"
		exit 1
	fi
	return 0
}

# zombies of process P (children in state Z)
zombies_of() {
	local n=0 f
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		rest=${line##*) }
		set -- $rest
		[ "$1" = Z ] && [ "$2" = "$P" ] && n=$((n + 1))
	done
	echo $n
}
