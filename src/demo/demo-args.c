/*
 * The command line of prodd-demo: the options, their --help text and
 * their parsing into demo_opts. Options are GNU-style long flags only
 * (--flag VALUE or --flag=VALUE); every value is checked against its range
 * before anything starts, so a test that misspells a fault finds out at
 * once (exit 2) rather than watching a demo that does not misbehave.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

#define DEMO_MAX_SECONDS 1e7	/* ~115 days; keeps ms conversions exact */

struct demo_opts demo_opts = {
	.host = "127.0.0.1",
	.port = 8000,
	.role = DEMO_ROLE_SEARCH,
	.latency_ms = 5,
	.crash_after_s = -1,
	.exit_code = 1,
	.start_delay_s = -1,
	.unhealthy_after_s = -1,
	.hang_health_after_s = -1,
	.leak_mb_per_s = 0,
	.cpu_burn_pct = 0,
	.grandchild_lifetime_s = -1,
	.log_lines_per_s = 0,
	.log_line_bytes = 0,
	.notify = 0,
	.watchdog_every_s = -1,
	.stop_watchdog_after_s = -1,
};

enum demo_flag_id {
	DEMO_F_PORT, DEMO_F_HOST, DEMO_F_ROLE, DEMO_F_LATENCY, DEMO_F_CRASH,
	DEMO_F_EXIT_CODE, DEMO_F_START_DELAY, DEMO_F_UNHEALTHY, DEMO_F_HANG,
	DEMO_F_LEAK, DEMO_F_CPU, DEMO_F_IGNORE_TERM, DEMO_F_GRANDCHILD,
	DEMO_F_GC_LIFETIME, DEMO_F_LOG_RATE, DEMO_F_LOG_BYTES, DEMO_F_HELP,
	DEMO_F_VERSION, DEMO_F_NOTIFY, DEMO_F_WD_EVERY, DEMO_F_WD_STOP,
};

struct demo_flag {
	const char *name;
	enum demo_flag_id id;
	int has_value;
};

static const struct demo_flag demo_flags[] = {
	{ "port", DEMO_F_PORT, 1 },
	{ "host", DEMO_F_HOST, 1 },
	{ "role", DEMO_F_ROLE, 1 },
	{ "latency-ms", DEMO_F_LATENCY, 1 },
	{ "crash-after", DEMO_F_CRASH, 1 },
	{ "exit-code", DEMO_F_EXIT_CODE, 1 },
	{ "start-delay", DEMO_F_START_DELAY, 1 },
	{ "unhealthy-after", DEMO_F_UNHEALTHY, 1 },
	{ "hang-health-after", DEMO_F_HANG, 1 },
	{ "leak-mb-per-s", DEMO_F_LEAK, 1 },
	{ "cpu-burn", DEMO_F_CPU, 1 },
	{ "ignore-sigterm", DEMO_F_IGNORE_TERM, 0 },
	{ "spawn-grandchild", DEMO_F_GRANDCHILD, 0 },
	{ "grandchild-lifetime", DEMO_F_GC_LIFETIME, 1 },
	{ "log-lines-per-s", DEMO_F_LOG_RATE, 1 },
	{ "log-line-bytes", DEMO_F_LOG_BYTES, 1 },
	{ "notify", DEMO_F_NOTIFY, 0 },
	{ "watchdog-every", DEMO_F_WD_EVERY, 1 },
	{ "stop-watchdog-after", DEMO_F_WD_STOP, 1 },
	{ "help", DEMO_F_HELP, 0 },
	{ "version", DEMO_F_VERSION, 0 },
};

static const char demo_usage[] =
	"usage: prodd-demo [OPTION]...\n"
	"The demo AI service and fault injector for prodd: an HTTP service with a\n"
	"health endpoint and a small work endpoint that can be told to misbehave.\n"
	"Options take a value as --flag VALUE or --flag=VALUE; S is seconds\n"
	"(decimals allowed).\n"
	"\n"
	"  --port N                  TCP port to listen on (default 8000)\n"
	"  --host ADDR               IPv4/IPv6 address to listen on (default 127.0.0.1)\n"
	"  --role search|rag|analytics  work endpoint to serve (default search):\n"
	"                              search:    GET /api/search?q=TEXT&k=N\n"
	"                              rag:       GET /api/answer?q=TEXT\n"
	"                              analytics: GET /api/stats, POST /api/events\n"
	"  --latency-ms N            delay before answering the work endpoint (default 5)\n"
	"  --crash-after S           exit after S seconds with --exit-code; 0 = at once,\n"
	"                            before listening\n"
	"  --exit-code N             exit code for --crash-after, 0..255 (default 1)\n"
	"  --start-delay S           health answers 503 \"starting\" for the first S seconds\n"
	"  --unhealthy-after S       health answers 503 \"unhealthy\" from S seconds on\n"
	"  --hang-health-after S     health requests get no answer from S seconds on\n"
	"  --leak-mb-per-s N         allocate and touch N MiB per second, never freed\n"
	"  --cpu-burn PCT            keep PCT% (0..100) of one core busy on a thread\n"
	"  --ignore-sigterm          do not exit on SIGTERM (SIGINT still stops it)\n"
	"  --spawn-grandchild        double-fork an orphaned grandchild at start that\n"
	"                            prints \"grandchild pid N\" and sleeps\n"
	"  --grandchild-lifetime S   the grandchild exits 0 after S seconds (default never)\n"
	"  --log-lines-per-s N       print N log lines per second, every 10th on stderr\n"
	"  --log-line-bytes B        pad each log line to B bytes incl. newline (0 = natural)\n"
	"  --notify                  report on NOTIFY_SOCKET (sd_notify): STATUS=loading\n"
	"                            model N % a few times over --start-delay (else 1 s),\n"
	"                            then READY=1\n"
	"  --watchdog-every S        send WATCHDOG=1 every S seconds after READY=1\n"
	"                            (default with --notify: half of WATCHDOG_USEC)\n"
	"  --stop-watchdog-after S   stop the WATCHDOG=1 pings S seconds after READY=1\n"
	"  --help                    show this help and exit\n"
	"  --version                 show the version and exit\n"
	"\n"
	"Endpoints of every role: GET /api/health, GET /. SIGTERM and SIGINT close\n"
	"the listener and exit 0.\n"
	"\n"
	"Exit status: 0 after SIGTERM or SIGINT; --exit-code after --crash-after;\n"
	"1 when it cannot listen; 2 for a bad command line; 70 when the event loop\n"
	"still has handles open at exit (a bug; named on stderr).\n"
	"\n"
	"Environment:\n"
	"  PRODD_DEMO_LEAK_HANDLE=1  leave a timer open at exit, so the exit is 70:\n"
	"                            shows that the open-handle check works\n";

static int
demo_parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	long x;

	if (*v == '\0' || *v == ' ' || *v == '+')
		return -EINVAL;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

static int
demo_parse_double(const char *v, double min, double max, double *out)
{
	char *end;
	double x;

	if (*v == '\0' || *v == ' ' || *v == '+')
		return -EINVAL;
	errno = 0;
	x = strtod(v, &end);
	if (errno != 0 || *end != '\0' || !isfinite(x) || x < min || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

/* Says what is wrong with the command line, and where help is; -EINVAL. */
static int DEMO_PRINTF(1, 2)
demo_args_fail(const char *fmt, ...)
{
	char what[1000];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	demo_say(2, "prodd-demo: %s\n", what);
	demo_say(2, "Try 'prodd-demo --help' for more information.\n");
	return -EINVAL;
}

static int
demo_bad_value(const char *name, const char *value)
{
	return demo_args_fail("invalid value for --%s: '%s'", name, value);
}

/* Sets the option f to v. Returns 0, DEMO_ARGS_DONE or -EINVAL. */
static int
demo_apply_flag(const struct demo_flag *f, const char *v)
{
	long l;
	double d;

	switch (f->id) {
	case DEMO_F_PORT:
		if (demo_parse_long(v, 0, 65535, &l) != 0)
			return demo_bad_value(f->name, v);
		demo_opts.port = (int)l;
		break;
	case DEMO_F_HOST:
		if (*v == '\0')
			return demo_bad_value(f->name, v);
		demo_opts.host = v;
		break;
	case DEMO_F_ROLE:
		if (strcmp(v, "search") == 0)
			demo_opts.role = DEMO_ROLE_SEARCH;
		else if (strcmp(v, "rag") == 0)
			demo_opts.role = DEMO_ROLE_RAG;
		else if (strcmp(v, "analytics") == 0)
			demo_opts.role = DEMO_ROLE_ANALYTICS;
		else
			return demo_bad_value(f->name, v);
		break;
	case DEMO_F_LATENCY:
		if (demo_parse_long(v, 0, 86400000L, &l) != 0)
			return demo_bad_value(f->name, v);
		demo_opts.latency_ms = (uint64_t)l;
		break;
	case DEMO_F_EXIT_CODE:
		if (demo_parse_long(v, 0, 255, &l) != 0)
			return demo_bad_value(f->name, v);
		demo_opts.exit_code = (int)l;
		break;
	case DEMO_F_CRASH:
	case DEMO_F_START_DELAY:
	case DEMO_F_UNHEALTHY:
	case DEMO_F_HANG:
	case DEMO_F_GC_LIFETIME:
		if (demo_parse_double(v, 0, DEMO_MAX_SECONDS, &d) != 0)
			return demo_bad_value(f->name, v);
		if (f->id == DEMO_F_CRASH)
			demo_opts.crash_after_s = d;
		else if (f->id == DEMO_F_START_DELAY)
			demo_opts.start_delay_s = d;
		else if (f->id == DEMO_F_UNHEALTHY)
			demo_opts.unhealthy_after_s = d;
		else if (f->id == DEMO_F_HANG)
			demo_opts.hang_health_after_s = d;
		else
			demo_opts.grandchild_lifetime_s = d;
		break;
	case DEMO_F_LEAK:
		if (demo_parse_double(v, 0, 1e6, &d) != 0)
			return demo_bad_value(f->name, v);
		demo_opts.leak_mb_per_s = d;
		break;
	case DEMO_F_CPU:
		if (demo_parse_double(v, 0, 100, &d) != 0)
			return demo_bad_value(f->name, v);
		demo_opts.cpu_burn_pct = d;
		break;
	case DEMO_F_LOG_RATE:
		if (demo_parse_double(v, 0, 1e7, &d) != 0)
			return demo_bad_value(f->name, v);
		demo_opts.log_lines_per_s = d;
		break;
	case DEMO_F_LOG_BYTES:
		if (demo_parse_long(v, 0, 1024L * 1024L, &l) != 0)
			return demo_bad_value(f->name, v);
		demo_opts.log_line_bytes = (size_t)l;
		break;
	case DEMO_F_WD_EVERY:
	case DEMO_F_WD_STOP:
		if (demo_parse_double(v, f->id == DEMO_F_WD_EVERY ? 0.001 : 0,
		    DEMO_MAX_SECONDS, &d) != 0)
			return demo_bad_value(f->name, v);
		if (f->id == DEMO_F_WD_EVERY)
			demo_opts.watchdog_every_s = d;
		else
			demo_opts.stop_watchdog_after_s = d;
		break;
	case DEMO_F_NOTIFY:
		demo_opts.notify = 1;
		break;
	case DEMO_F_IGNORE_TERM:
		demo_opts.ignore_sigterm = 1;
		break;
	case DEMO_F_GRANDCHILD:
		demo_opts.spawn_grandchild = 1;
		break;
	case DEMO_F_HELP:
		fputs(demo_usage, stdout);
		fflush(stdout);
		return DEMO_ARGS_DONE;
	case DEMO_F_VERSION:
		printf("prodd-demo %s\n", DEMO_VERSION);
		fflush(stdout);
		return DEMO_ARGS_DONE;
	}
	return 0;
}

int
demo_args_parse(int argc, char **argv)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *value = NULL;
		const struct demo_flag *f = NULL;
		size_t nlen, k;

		if (strcmp(arg, "-h") == 0)
			arg = "--help";
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
			return demo_args_fail("unexpected argument '%s'", arg);
		name = arg + 2;
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		for (k = 0; k < sizeof demo_flags / sizeof demo_flags[0]; k++) {
			if (strlen(demo_flags[k].name) == nlen &&
			    strncmp(demo_flags[k].name, name, nlen) == 0) {
				f = &demo_flags[k];
				break;
			}
		}
		if (f == NULL)
			return demo_args_fail("unknown option '--%.*s'",
			    (int)nlen, name);
		if (!f->has_value) {
			if (eq) {
				demo_say(2, "prodd-demo: option '--%s' takes no "
				    "value\n", f->name);
				return -EINVAL;
			}
		} else if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			return demo_args_fail("option '--%s' needs a value",
			    f->name);
		}
		if ((rc = demo_apply_flag(f, value)) != 0)
			return rc;
	}
	return 0;
}
