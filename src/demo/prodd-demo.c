/*
 * prodd-demo: the demo AI service and fault injector. This file owns the
 * process life cycle: command-line parsing, the listener start-up, signal
 * handling and the faults that act on the whole process rather than on one
 * HTTP request: crashing with a chosen exit code, leaking memory, burning
 * CPU on a separate thread, orphaning a grandchild and flooding stdout and
 * stderr with log lines. The supervisor's integration tests rely on these
 * behaving exactly as documented in --help, so timings are derived from the
 * monotonic clock (not from counting timer ticks) and everything is bounded.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"
#include "prodd/loopcheck.h"

#define DEMO_MAX_SECONDS 1e7	/* ~115 days; keeps ms conversions exact */
#define DEMO_LEAK_TICK_MS 100
#define DEMO_LOG_TICK_MS 10
#define DEMO_BURN_WINDOW_NS 100000000LL
#define DEMO_MIB (1024.0 * 1024.0)

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
};

static uv_loop_t demo_loop;
static uv_signal_t demo_sigterm;
static uv_signal_t demo_sigint;
static uv_timer_t demo_crash_timer;
static uv_timer_t demo_leak_timer;
static uv_timer_t demo_log_timer;
static uv_timer_t demo_leaked_timer;	/* PRODD_DEMO_LEAK_HANDLE: never closed */
static int demo_crash_on, demo_leak_on, demo_log_on;
static int demo_shutting_down;

/* ---- command line ---------------------------------------------------- */

enum demo_flag_id {
	DEMO_F_PORT, DEMO_F_HOST, DEMO_F_ROLE, DEMO_F_LATENCY, DEMO_F_CRASH,
	DEMO_F_EXIT_CODE, DEMO_F_START_DELAY, DEMO_F_UNHEALTHY, DEMO_F_HANG,
	DEMO_F_LEAK, DEMO_F_CPU, DEMO_F_IGNORE_TERM, DEMO_F_GRANDCHILD,
	DEMO_F_GC_LIFETIME, DEMO_F_LOG_RATE, DEMO_F_LOG_BYTES, DEMO_F_HELP,
	DEMO_F_VERSION,
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
		return -1;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

static int
demo_parse_double(const char *v, double min, double max, double *out)
{
	char *end;
	double x;

	if (*v == '\0' || *v == ' ' || *v == '+')
		return -1;
	errno = 0;
	x = strtod(v, &end);
	if (errno != 0 || *end != '\0' || !isfinite(x) || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

static void
demo_bad_value(const char *name, const char *value)
{
	demo_say(2, "prodd-demo: invalid value for --%s: '%s'\n", name, value);
	demo_say(2, "Try 'prodd-demo --help' for more information.\n");
	exit(2);
}

static void
demo_apply_flag(const struct demo_flag *f, const char *v)
{
	long l;
	double d;

	switch (f->id) {
	case DEMO_F_PORT:
		if (demo_parse_long(v, 0, 65535, &l) != 0)
			demo_bad_value(f->name, v);
		demo_opts.port = (int)l;
		break;
	case DEMO_F_HOST:
		if (*v == '\0')
			demo_bad_value(f->name, v);
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
			demo_bad_value(f->name, v);
		break;
	case DEMO_F_LATENCY:
		if (demo_parse_long(v, 0, 86400000L, &l) != 0)
			demo_bad_value(f->name, v);
		demo_opts.latency_ms = (uint64_t)l;
		break;
	case DEMO_F_EXIT_CODE:
		if (demo_parse_long(v, 0, 255, &l) != 0)
			demo_bad_value(f->name, v);
		demo_opts.exit_code = (int)l;
		break;
	case DEMO_F_CRASH:
	case DEMO_F_START_DELAY:
	case DEMO_F_UNHEALTHY:
	case DEMO_F_HANG:
	case DEMO_F_GC_LIFETIME:
		if (demo_parse_double(v, 0, DEMO_MAX_SECONDS, &d) != 0)
			demo_bad_value(f->name, v);
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
			demo_bad_value(f->name, v);
		demo_opts.leak_mb_per_s = d;
		break;
	case DEMO_F_CPU:
		if (demo_parse_double(v, 0, 100, &d) != 0)
			demo_bad_value(f->name, v);
		demo_opts.cpu_burn_pct = d;
		break;
	case DEMO_F_LOG_RATE:
		if (demo_parse_double(v, 0, 1e7, &d) != 0)
			demo_bad_value(f->name, v);
		demo_opts.log_lines_per_s = d;
		break;
	case DEMO_F_LOG_BYTES:
		if (demo_parse_long(v, 0, 1024L * 1024L, &l) != 0)
			demo_bad_value(f->name, v);
		demo_opts.log_line_bytes = (size_t)l;
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
		exit(0);
	case DEMO_F_VERSION:
		printf("prodd-demo %s\n", DEMO_VERSION);
		fflush(stdout);
		exit(0);
	}
}

static void
demo_parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *value = NULL;
		const struct demo_flag *f = NULL;
		size_t nlen, k;

		if (strcmp(arg, "-h") == 0)
			arg = "--help";
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			demo_say(2, "prodd-demo: unexpected argument '%s'\n", arg);
			demo_say(2, "Try 'prodd-demo --help' for more information.\n");
			exit(2);
		}
		name = arg + 2;
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		for (k = 0; k < sizeof(demo_flags) / sizeof(demo_flags[0]); k++) {
			if (strlen(demo_flags[k].name) == nlen &&
			    strncmp(demo_flags[k].name, name, nlen) == 0) {
				f = &demo_flags[k];
				break;
			}
		}
		if (f == NULL) {
			demo_say(2, "prodd-demo: unknown option '--%.*s'\n", (int)nlen, name);
			demo_say(2, "Try 'prodd-demo --help' for more information.\n");
			exit(2);
		}
		if (!f->has_value) {
			if (eq) {
				demo_say(2, "prodd-demo: option '--%s' takes no value\n", f->name);
				exit(2);
			}
		} else if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			demo_say(2, "prodd-demo: option '--%s' needs a value\n", f->name);
			demo_say(2, "Try 'prodd-demo --help' for more information.\n");
			exit(2);
		}
		demo_apply_flag(f, value);
	}
}

static uint64_t
demo_s_to_ms(double s)
{
	return (uint64_t)llround(s * 1000.0);
}

/* ---- crash --------------------------------------------------------- */

static void DEMO_NORETURN
demo_crash_now(void)
{
	demo_say(2, "crashing now (exit code %d)\n", demo_opts.exit_code);
	/* _exit: a crash runs no cleanup, and a sanitizer's leak report must
	 * not replace the exit code the test asked for. */
	_exit(demo_opts.exit_code);
}

static void
demo_crash_cb(uv_timer_t *t)
{
	(void)t;
	demo_crash_now();
}

/* ---- memory leak --------------------------------------------------- */

static void **demo_leaked;
static size_t demo_nleaked, demo_leaked_cap;
static double demo_leaked_bytes;
static uint64_t demo_leak_start_ns;
static int demo_leak_failed;

static void
demo_leak_cb(uv_timer_t *t)
{
	double target = demo_opts.leak_mb_per_s * DEMO_MIB *
			(double)(uv_hrtime() - demo_leak_start_ns) / 1e9;
	size_t n;
	void *p;

	(void)t;
	if (demo_leak_failed || target - demo_leaked_bytes < 4096)
		return;
	n = (size_t)(target - demo_leaked_bytes);
	if (demo_nleaked == demo_leaked_cap) {
		size_t cap = demo_leaked_cap ? demo_leaked_cap * 2 : 256;
		void **q = realloc(demo_leaked, cap * sizeof(*q));

		if (q == NULL)
			goto fail;
		demo_leaked = q;
		demo_leaked_cap = cap;
	}
	p = malloc(n);
	if (p == NULL)
		goto fail;
	/* Non-zero so the compiler cannot turn malloc+memset into calloc,
	 * which would leave fresh pages untouched and RSS flat. */
	memset(p, 0xa5, n);
	demo_leaked[demo_nleaked++] = p;
	demo_leaked_bytes += (double)n;
	return;
fail:
	demo_leak_failed = 1;
	demo_say(2, "prodd-demo: leak stopped: out of memory after %.0f MiB\n",
		 demo_leaked_bytes / DEMO_MIB);
}

/* ---- CPU burn ------------------------------------------------------ */

static pthread_t demo_burn_thread;
static int demo_burn_started;
static atomic_int demo_burn_stop;
static pthread_mutex_t demo_burn_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t demo_burn_cv;

static int64_t
demo_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Busy for PCT% of each 100 ms window, asleep for the rest. "Busy" is CPU
 * time this thread got, not time that passed, so on a machine whose cores
 * are shared the burner still uses PCT% of a core (as long as the window
 * leaves room). The window is anchored to the clock so a late wake-up
 * shortens the next sleep instead of lowering the average.
 */
static int64_t
demo_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *
demo_burn_main(void *arg)
{
	int64_t busy = (int64_t)(demo_opts.cpu_burn_pct / 100.0 * (double)DEMO_BURN_WINDOW_NS);
	int64_t window = demo_mono_ns();
	volatile uint64_t sink = 0;

	(void)arg;
	while (!atomic_load_explicit(&demo_burn_stop, memory_order_relaxed)) {
		int64_t deadline = window + DEMO_BURN_WINDOW_NS;
		int64_t cpu0 = demo_thread_cpu_ns();
		struct timespec ts;
		int i;

		while (demo_thread_cpu_ns() - cpu0 < busy &&
		       demo_mono_ns() < deadline &&
		       !atomic_load_explicit(&demo_burn_stop, memory_order_relaxed))
			for (i = 0; i < 1000; i++)
				sink = sink * 6364136223846793005ULL + 1442695040888963407ULL;
		ts.tv_sec = (time_t)(deadline / 1000000000LL);
		ts.tv_nsec = (long)(deadline % 1000000000LL);
		pthread_mutex_lock(&demo_burn_mu);
		while (!atomic_load(&demo_burn_stop) &&
		       pthread_cond_timedwait(&demo_burn_cv, &demo_burn_mu, &ts) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&demo_burn_mu);
		window = deadline;
		/* After a long stall (suspended process) don't try to catch up. */
		if (demo_mono_ns() - window > DEMO_BURN_WINDOW_NS)
			window = demo_mono_ns();
	}
	return NULL;
}

static void
demo_burn_start(void)
{
	pthread_condattr_t ca;
	int rc;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&demo_burn_cv, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&demo_burn_thread, NULL, demo_burn_main, NULL);
	if (rc != 0) {
		demo_say(2, "prodd-demo: cannot start cpu burner: %s\n", strerror(rc));
		return;
	}
	demo_burn_started = 1;
}

static void
demo_burn_stop_join(void)
{
	if (!demo_burn_started)
		return;
	pthread_mutex_lock(&demo_burn_mu);
	atomic_store(&demo_burn_stop, 1);
	pthread_cond_signal(&demo_burn_cv);
	pthread_mutex_unlock(&demo_burn_mu);
	pthread_join(demo_burn_thread, NULL);
	demo_burn_started = 0;
}

/* ---- log flood ----------------------------------------------------- */

static uint64_t demo_log_seq;
static uint64_t demo_log_start_ns;
static double demo_log_skipped;
static struct strbuf demo_log_out, demo_log_err;

static const char *const demo_log_queries[] = {
	"vector db", "embedding drift", "gpu memory", "rag latency", "kv cache",
	"rerank top k", "hnsw recall", "token budget", "prompt injection",
	"autoscaling", "lora adapter", "chunk size",
};

static void
demo_log_line(struct strbuf *b, const char *stamp)
{
	static const char filler[] =
		"lorem-ipsum-dolor-sit-amet-consectetur-adipiscing-elit-sed-do-eiusmod-";
	uint64_t seq = ++demo_log_seq;
	uint64_t h = seq * 2654435761u;
	const char *q = demo_log_queries[h % (sizeof(demo_log_queries) / sizeof(demo_log_queries[0]))];
	size_t start = b->len, want = demo_opts.log_line_bytes;

	if (seq % 10 == 0)
		sb_printf(b, "%s WARN %s: slow query '%s' took %.1fms (#%llu)",
				stamp, demo_role_name(demo_opts.role), q,
				40.0 + (double)((h >> 8) % 900) / 10.0, (unsigned long long)seq);
	else
		sb_printf(b, "%s INFO %s: handled query '%s' in %.1fms (#%llu)",
				stamp, demo_role_name(demo_opts.role), q,
				0.5 + (double)((h >> 8) % 150) / 10.0, (unsigned long long)seq);
	if (want > 0 && b->len - start + 2 < want) {
		size_t pad = want - (b->len - start) - 2, i = 0;

		sb_putc(b, ' ');
		while (pad > 0) {
			size_t n = sizeof(filler) - 1 - i;

			if (n > pad)
				n = pad;
			sb_append(b, filler + i, n);
			pad -= n;
			i = 0;
		}
	}
	sb_putc(b, '\n');
}

/* The reader is gone (EPIPE/EBADF) or broken: nobody to log for any more. */
static void
demo_log_stop(void)
{
	if (demo_log_on)
		uv_timer_stop(&demo_log_timer);
}

/*
 * Lines are owed by elapsed time times the rate, so the rate holds even when
 * ticks run late; a backlog beyond one second (a reader that stalled us) is
 * dropped rather than burst out. One tick writes at most 100 ms worth of
 * lines and about 4 MiB, which bounds both memory and how long one blocking
 * write to a slow reader can keep the loop (health, SIGTERM) waiting.
 */
static void
demo_log_cb(uv_timer_t *t)
{
	double elapsed = (double)(uv_hrtime() - demo_log_start_ns) / 1e9;
	double owed = elapsed * demo_opts.log_lines_per_s - demo_log_skipped -
		      (double)demo_log_seq;
	double cap = demo_opts.log_lines_per_s > 1 ? demo_opts.log_lines_per_s : 1;
	double line_bytes = demo_opts.log_line_bytes > 100 ? (double)demo_opts.log_line_bytes : 100;
	double tick_max = fmin(demo_opts.log_lines_per_s / 10.0, 4.0 * DEMO_MIB / line_bytes);
	struct timespec ts;
	struct tm tm;
	char stamp[96];
	uint64_t n, i;

	(void)t;
	if (owed > cap) {
		demo_log_skipped += owed - cap;
		owed = cap;
	}
	if (owed < 1)
		return;
	n = (uint64_t)fmin(owed, fmax(tick_max, 1));
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (int)(ts.tv_nsec / 1000000));
	sb_reset(&demo_log_out);
	sb_reset(&demo_log_err);
	for (i = 0; i < n; i++)
		demo_log_line((demo_log_seq + 1) % 10 == 0 ? &demo_log_err : &demo_log_out, stamp);
	if ((demo_log_out.len && demo_write_all(1, demo_log_out.buf, demo_log_out.len) != 0) ||
	    (demo_log_err.len && demo_write_all(2, demo_log_err.buf, demo_log_err.len) != 0))
		demo_log_stop();
	/* Keep at most a few MiB between ticks even after a huge batch. */
	if (demo_log_out.cap > (8u << 20))
		sb_free(&demo_log_out);
	if (demo_log_err.cap > (8u << 20))
		sb_free(&demo_log_err);
}

/* ---- grandchild ---------------------------------------------------- */

static void
demo_close_fds_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned int)lowfd, ~0U, 0) == 0)
		return;
#endif
	{
		long max = sysconf(_SC_OPEN_MAX);
		int fd;

		if (max < 0 || max > 65536)
			max = 65536;
		for (fd = lowfd; fd < max; fd++)
			close(fd);
	}
}

static void DEMO_NORETURN
demo_grandchild_main(void)
{
	sigset_t all;
	int sig;

	/* Undo what we inherited from the libuv process: its signal handlers
	 * write to a pipe we are about to close, and would swallow SIGTERM. */
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGPIPE)
			signal(sig, SIG_DFL);
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	/* Must not keep the listening socket (or libuv's fds) alive. */
	demo_close_fds_from(3);
	demo_say(1, "grandchild pid %ld\n", (long)getpid());
	if (demo_opts.grandchild_lifetime_s >= 0) {
		int64_t ns = (int64_t)llround(demo_opts.grandchild_lifetime_s * 1e9);
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ns += (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
		ts.tv_sec = (time_t)(ns / 1000000000LL);
		ts.tv_nsec = (long)(ns % 1000000000LL);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
			;
		_exit(0);
	}
	for (;;)
		pause();
}

static void
demo_spawn_grandchild(void)
{
	pid_t mid;
	int st;

	/* Nothing may sit in stdio buffers, or the children would repeat it. */
	fflush(NULL);
	mid = fork();
	if (mid < 0) {
		demo_say(2, "prodd-demo: fork: %s\n", strerror(errno));
		return;
	}
	if (mid == 0) {
		pid_t g = fork();

		if (g < 0)
			_exit(1);
		if (g > 0)
			_exit(0);
		demo_grandchild_main();
	}
	while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;
}

/* ---- signals and shutdown ------------------------------------------ */

static void
demo_close_handle(uv_handle_t *h, int *on)
{
	if (*on) {
		*on = 0;
		uv_close(h, NULL);
	}
}

static int demo_sig_on = 1;

static void
demo_shutdown(void)
{
	if (demo_shutting_down)
		return;
	demo_shutting_down = 1;
	demo_http_close_all();
	demo_close_handle((uv_handle_t *)&demo_crash_timer, &demo_crash_on);
	demo_close_handle((uv_handle_t *)&demo_leak_timer, &demo_leak_on);
	demo_close_handle((uv_handle_t *)&demo_log_timer, &demo_log_on);
	if (demo_sig_on) {
		demo_sig_on = 0;
		uv_close((uv_handle_t *)&demo_sigterm, NULL);
		uv_close((uv_handle_t *)&demo_sigint, NULL);
	}
	demo_burn_stop_join();
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
	demo_say(2, "shutting down on %s\n", signum == SIGTERM ? "SIGTERM" : "SIGINT");
	demo_shutdown();
}

/* ---- start-up ------------------------------------------------------ */

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
	return -1;
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
	demo_parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	/* Cover the moments before the libuv handler is installed. */
	if (demo_opts.ignore_sigterm)
		signal(SIGTERM, SIG_IGN);
	memset(&addr, 0, sizeof(addr));
	if (demo_resolve(&addr) != 0) {
		demo_say(2, "prodd-demo: invalid value for --host: '%s' (want an IPv4 or IPv6 address)\n",
			 demo_opts.host);
		return 2;
	}
	if (demo_opts.crash_after_s == 0)
		demo_crash_now();

	rc = uv_loop_init(&demo_loop);
	if (rc != 0) {
		demo_say(2, "prodd-demo: cannot create event loop: %s\n", uv_strerror(rc));
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
		demo_say(2, "cannot listen on %s: %s\n", where, uv_strerror(rc));
		return 1;
	}
	demo_format_hostport(where, sizeof(where), demo_http_port());

	/* Fork before any thread exists and before the leak starts. */
	if (demo_opts.spawn_grandchild)
		demo_spawn_grandchild();

	if (demo_opts.crash_after_s > 0) {
		uv_timer_init(&demo_loop, &demo_crash_timer);
		uv_timer_start(&demo_crash_timer, demo_crash_cb,
			       demo_s_to_ms(demo_opts.crash_after_s), 0);
		demo_crash_on = 1;
	}
	if (demo_opts.leak_mb_per_s > 0) {
		demo_leak_start_ns = uv_hrtime();
		uv_timer_init(&demo_loop, &demo_leak_timer);
		uv_timer_start(&demo_leak_timer, demo_leak_cb, DEMO_LEAK_TICK_MS, DEMO_LEAK_TICK_MS);
		demo_leak_on = 1;
	}
	if (demo_opts.log_lines_per_s > 0) {
		demo_log_start_ns = uv_hrtime();
		uv_timer_init(&demo_loop, &demo_log_timer);
		uv_timer_start(&demo_log_timer, demo_log_cb, DEMO_LOG_TICK_MS, DEMO_LOG_TICK_MS);
		demo_log_on = 1;
	}
	if (demo_opts.cpu_burn_pct > 0)
		demo_burn_start();
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
	sb_free(&demo_log_out);
	sb_free(&demo_log_err);
	return rc != 0 ? LOOP_EXIT_OPEN_HANDLES : 0;
}
