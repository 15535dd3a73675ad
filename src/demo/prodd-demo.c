/*
 * prodd-demo: the demo AI service and fault injector. This file is the
 * process's life: the command line (demo-args.c) is read, the listener
 * (demo-http.c) and the faults (demo-faults.c) are started on one libuv
 * loop, and SIGTERM or SIGINT closes everything. At exit the loop must
 * close with no handle left open: if one is, its type is named on stderr
 * and the exit status is 70, so a leaked handle fails the tests instead of
 * passing as a clean stop. The supervisor's integration tests rely on the
 * demo behaving exactly as --help documents.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"
#include "prodd/loopcheck.h"

static uv_loop_t demo_loop;
static uv_signal_t demo_sigterm;
static uv_signal_t demo_sigint;
static uv_timer_t demo_leaked_timer;	/* PRODD_DEMO_LEAK_HANDLE=1 */
static int demo_shutting_down;

/* ---- signals and shutdown ------------------------------------------ */

/* Closes every handle the demo opened, once: then the loop runs out. */
static void
demo_shutdown(void)
{
	if (demo_shutting_down)
		return;
	demo_shutting_down = 1;
	demo_http_close_all();
	demo_faults_stop();
	demo_notify_stop();
	uv_close((uv_handle_t *)&demo_sigterm, NULL);
	uv_close((uv_handle_t *)&demo_sigint, NULL);
}

static void
demo_signal_cb(uv_signal_t *h, int signum)
{
	(void)h;
	if (signum == SIGTERM && demo_opts.ignore_sigterm) {
		demo_say(2, "ignoring SIGTERM\n");
		return;
	}
	if (demo_shutting_down)
		return;
	demo_say(2, "shutting down on %s\n",
	    signum == SIGTERM ? "SIGTERM" : "SIGINT");
	demo_shutdown();
}

/* ---- start-up ------------------------------------------------------ */

/* --host and --port as an address to bind. Returns 0 or -EINVAL. */
static int
demo_resolve(struct sockaddr_storage *ss)
{
	const char *host = demo_opts.host;

	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (uv_ip4_addr(host, demo_opts.port, (struct sockaddr_in *)ss) == 0)
		return 0;
	if (uv_ip6_addr(host, demo_opts.port, (struct sockaddr_in6 *)ss) == 0)
		return 0;
	return -EINVAL;
}

static void
demo_format_hostport(char *out, size_t outsz, int port)
{
	if (strchr(demo_opts.host, ':'))
		snprintf(out, outsz, "[%s]:%d", demo_opts.host, port);
	else
		snprintf(out, outsz, "%s:%d", demo_opts.host, port);
}

/* True when the environment variable name is set to 1. */
static int
demo_env_flag(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && strcmp(v, "1") == 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage addr;
	char where[300];
	int rc;
	char msg[600];

	demo_set_start(uv_hrtime());
	if ((rc = demo_args_parse(argc, argv)) != 0)
		return rc < 0 ? 2 : 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	/* Cover the moments before the libuv handler is installed. */
	if (demo_opts.ignore_sigterm)
		signal(SIGTERM, SIG_IGN);
	memset(&addr, 0, sizeof(addr));
	if (demo_resolve(&addr) != 0) {
		demo_say(2, "prodd-demo: invalid value for --host: '%s' "
		    "(want an IPv4 or IPv6 address)\n", demo_opts.host);
		return 2;
	}
	if (demo_opts.crash_after_s == 0)
		demo_faults_crash_now();

	rc = uv_loop_init(&demo_loop);
	if (rc != 0) {
		demo_say(2, "prodd-demo: cannot create event loop: %s\n",
		    uv_strerror(rc));
		return 1;
	}
	uv_signal_init(&demo_loop, &demo_sigterm);
	uv_signal_init(&demo_loop, &demo_sigint);
	uv_signal_start(&demo_sigterm, demo_signal_cb, SIGTERM);
	uv_signal_start(&demo_sigint, demo_signal_cb, SIGINT);
	demo_api_init();
	if (demo_env_flag("PRODD_DEMO_LEAK_HANDLE"))
		uv_timer_init(&demo_loop, &demo_leaked_timer);

	rc = demo_http_listen(&demo_loop, (const struct sockaddr *)&addr);
	if (rc != 0) {
		demo_format_hostport(where, sizeof(where), demo_opts.port);
		demo_say(2, "cannot listen on %s: %s\n", where,
		    uv_strerror(rc));
		return 1;
	}
	if ((rc = demo_http_port()) < 0)
		rc = demo_opts.port;
	demo_format_hostport(where, sizeof(where), rc);

	demo_faults_start(&demo_loop);
	demo_notify_start(&demo_loop);
	if (demo_opts.ignore_sigterm)
		demo_say(2, "prodd-demo: SIGTERM will be ignored\n");

	demo_say(1, "prodd-demo %s listening on %s (pid %ld)\n",
	    demo_role_name(demo_opts.role), where, (long)getpid());

	uv_run(&demo_loop, UV_RUN_DEFAULT);

	demo_shutdown();
	uv_run(&demo_loop, UV_RUN_DEFAULT);
	rc = loop_close_check(&demo_loop, msg, sizeof msg);
	if (rc != 0)
		demo_say(2, "prodd-demo: %s\n", msg);
	return rc != 0 ? LOOP_EXIT_OPEN_HANDLES : 0;
}
