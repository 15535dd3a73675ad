/*
 * Shared declarations for prodd-demo, the demo AI service and fault injector.
 * The program is cut in parts that only meet through this header: main and
 * the process's life (prodd-demo.c), the command line (demo-args.c), the
 * faults it injects into itself (demo-faults.c), HTTP/1.1 connections on
 * libuv (demo-http.c) over a pure request-head parser (demo-head.c, its
 * own header), the AI-ish endpoints with their built-in corpus and request
 * statistics (demo-api.c), and output and clock helpers (demo-util.c).
 * Buffers, allocation and JSON escaping are common/'s (strutil.h,
 * xmalloc.h). Everything runs on one libuv loop except the optional CPU
 * burner thread, so none of the shared state below needs locking.
 */
#ifndef PRODD_DEMO_H
#define PRODD_DEMO_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "demo-head.h"
#include "prodd/strutil.h"
#include "prodd/xmalloc.h"

#define DEMO_VERSION "0.1.0"

#if defined(__GNUC__)
#define DEMO_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define DEMO_NORETURN __attribute__((noreturn))
#else
#define DEMO_PRINTF(a, b)
#define DEMO_NORETURN
#endif

enum demo_role {
	DEMO_ROLE_SEARCH,
	DEMO_ROLE_RAG,
	DEMO_ROLE_ANALYTICS,
};

/* Negative durations mean "not set". */
struct demo_opts {
	const char *host;
	int port;
	enum demo_role role;
	uint64_t latency_ms;
	double crash_after_s;
	int exit_code;
	double start_delay_s;
	double unhealthy_after_s;
	double hang_health_after_s;
	double leak_mb_per_s;
	double cpu_burn_pct;
	int ignore_sigterm;
	int spawn_grandchild;
	double grandchild_lifetime_s;
	double log_lines_per_s;
	size_t log_line_bytes;
	int notify;
	double watchdog_every_s;
	double stop_watchdog_after_s;
};

extern struct demo_opts demo_opts;

/* One parsed request; strings are owned by the connection. */
struct demo_request {
	enum demo_method method;
	const char *path;
	const char *query;	/* without '?', "" when absent */
	uint64_t start_ns;	/* uv_hrtime() when the request was complete */
};

struct demo_response {
	int status;
	const char *content_type;
	const char *allow;	/* Allow header for 405, else NULL */
	struct strbuf body;
};

enum demo_plan {
	DEMO_PLAN_NOW,		/* answer at once */
	DEMO_PLAN_DELAY,	/* answer after --latency-ms */
	DEMO_PLAN_HANG,		/* never answer (hung health) */
};

enum demo_health {
	DEMO_HEALTH_OK,
	DEMO_HEALTH_STARTING,	/* --start-delay not over yet */
	DEMO_HEALTH_UNHEALTHY,	/* --unhealthy-after passed */
};

/* demo-args.c */
#define DEMO_ARGS_DONE 1	/* --help or --version answered: exit 0 */
/*
 * Reads the command line into demo_opts. Returns 0 to run, DEMO_ARGS_DONE,
 * or -EINVAL after saying what is wrong on stderr (exit 2).
 */
int demo_args_parse(int argc, char **argv);

/* demo-faults.c */
/* Arms the faults demo_opts asks for (the grandchild is forked first). */
void demo_faults_start(uv_loop_t *loop);
/* Closes the faults' handles and joins the burner thread. */
void demo_faults_stop(void);
/* --crash-after: exits with --exit-code at once, running no cleanup. */
void demo_faults_crash_now(void) DEMO_NORETURN;
/* True once health requests must get no answer (--hang-health-after). */
int demo_faults_health_hung(void);
enum demo_health demo_faults_health(void);

/* demo-notify.c */
/* --notify, --watchdog-every: reports to NOTIFY_SOCKET, on timers. */
void demo_notify_start(uv_loop_t *loop);
/* Sends STOPPING=1 and closes the timers and the socket. */
void demo_notify_stop(void);

/* demo-util.c */
/* Writes all n bytes, waiting out a full pipe. Returns 0 or -errno. */
int demo_write_all(int fd, const char *p, size_t n);
/* One formatted message (up to 1 KiB) in one write(2) to fd. */
void demo_say(int fd, const char *fmt, ...) DEMO_PRINTF(2, 3);
uint64_t demo_now_ms(void);		/* monotonic */
double demo_uptime_s(void);		/* since demo_set_start */
void demo_set_start(uint64_t hrtime_ns);
const char *demo_role_name(enum demo_role role);
void demo_http_date(char *out, size_t outsz);	/* IMF-fixdate, now */

/* demo-api.c */
/* Indexes the built-in corpus; once, before the first request. */
void demo_api_init(void);
/* When req is to be answered: at once, after --latency-ms, or never. */
enum demo_plan demo_api_plan(const struct demo_request *req);
/* Fills resp (status, type, body) for req and counts it in the stats. */
void demo_api_respond(const struct demo_request *req, struct demo_response *resp);

/* demo-http.c */
/* Binds and listens on addr. Returns 0 or a negative errno (libuv's). */
int demo_http_listen(uv_loop_t *loop, const struct sockaddr *addr);
/* The port listened on (the one picked for --port 0), or a negative errno. */
int demo_http_port(void);
/* Closes the listener and every connection, whatever it is doing. */
void demo_http_close_all(void);

#endif
