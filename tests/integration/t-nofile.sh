#!/usr/bin/env bash
# prodd's memory does not grow with the descriptor limit it runs under:
# libwebsockets sizes two tables by it (16 bytes a descriptor), and prodd
# raises its soft limit to the hard one, which is 524288 under systemd and
# 1048576 under docker (8 and 16 MiB of tables). This machine cannot grant
# such a limit (that takes CAP_SYS_RESOURCE), so fakenofile.so, preloaded,
# reports one to prodd and to libwebsockets. prodd with it and without:
# RssAnon within 3 MiB of each other, the API answers, and prodd's limit
# (process_max_fds) is the whole hard limit after the HTTP server is made.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
VG=""
SHIM=$(cd "$BUILD/tests" && pwd)/libfakenofile.so

new_env
{
	for i in $(seq 1 10); do
		printf '  - name: s%s\n    command: sleep 1000\n' "$i"
	done
} | write_config

# rss_anon: prodd's RssAnon (kB) once its 10 services run and the page
# has been asked for once (the same work in both runs)
rss_anon() {
	wait_event 20 kind=state service=s10 to=running
	curl -s -m 10 -o /dev/null "http://127.0.0.1:$PORT/api/services"
	nap 1
	awk '$1 == "RssAnon:" { print $2 }' "/proc/$PRODD_PID/status"
}
max_fds() {
	curl -s -m 10 "http://127.0.0.1:$PORT/metrics" |
	    awk '$1 == "process_max_fds" { printf "%d", $2 }'
}

start_prodd
plain=$(rss_anon)
real_max=$(max_fds)
stop_prodd
check "without the shim: prodd exits 0" test $? -eq 0
rm -f "$PLOG.ev"

LD_PRELOAD=$SHIM FAKE_NOFILE_HARD=524288 \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    start_prodd
faked=$(rss_anon)
check "under a hard limit of 524288, prodd's limit is raised to it ($(max_fds); $real_max without)" \
	test "$(max_fds)" = 524288
check "and its RssAnon is within 3 MiB of the run without ($faked kB, $plain kB without)" \
	test "$faked" -lt $((plain + 3 * 1024))
check "the API answers" \
	test "$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/health")" = 200
stop_prodd
check "with the shim: prodd exits 0" test $? -eq 0
cleanup
finish
