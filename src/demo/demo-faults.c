/*
 * The faults prodd-demo injects into its own process, each as --help
 * documents it: a crash with a chosen exit code, a memory leak at a given
 * rate, a CPU burner on a thread of its own, health that starts late,
 * turns bad or stops answering, an orphaned grandchild, and a flood of
 * log lines on stdout and stderr. Rates are held against the monotonic
 * clock (what is owed by now), not by counting timer ticks, so a loaded
 * machine delays a fault but does not weaken it; and everything is
 * bounded. demo_faults_start arms them, demo_faults_stop closes every
 * handle and joins the thread they use.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"

#define DEMO_LEAK_TICK_MS 100
#define DEMO_LOG_TICK_MS 10
#define DEMO_BURN_WINDOW_NS 100000000LL
#define DEMO_MIB (1024.0 * 1024.0)

static uv_timer_t demo_crash_timer;
static uv_timer_t demo_leak_timer;
static uv_timer_t demo_log_timer;
static int demo_crash_on, demo_leak_on, demo_log_on;

static uint64_t
demo_s_to_ms(double s)
{
	return (uint64_t)llround(s * 1000.0);
}

/* ---- crash --------------------------------------------------------- */

void
demo_faults_crash_now(void)
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
	demo_faults_crash_now();
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
	int64_t busy = (int64_t)(demo_opts.cpu_burn_pct / 100.0 *
	    (double)DEMO_BURN_WINDOW_NS);
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
				sink = sink * 6364136223846793005ULL +
				    1442695040888963407ULL;
		ts.tv_sec = (time_t)(deadline / 1000000000LL);
		ts.tv_nsec = (long)(deadline % 1000000000LL);
		pthread_mutex_lock(&demo_burn_mu);
		while (!atomic_load(&demo_burn_stop) &&
		    pthread_cond_timedwait(&demo_burn_cv, &demo_burn_mu,
		    &ts) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&demo_burn_mu);
		window = deadline;
		/* After a long stall (a stopped process), no catching up. */
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
		demo_say(2, "prodd-demo: cannot start cpu burner: %s\n",
		    strerror(rc));
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
	const char *q = demo_log_queries[h % (sizeof demo_log_queries /
	    sizeof demo_log_queries[0])];
	size_t start = b->len, want = demo_opts.log_line_bytes;

	if (seq % 10 == 0)
		sb_printf(b, "%s WARN %s: slow query '%s' took %.1fms (#%llu)",
		    stamp, demo_role_name(demo_opts.role), q,
		    40.0 + (double)((h >> 8) % 900) / 10.0,
		    (unsigned long long)seq);
	else
		sb_printf(b, "%s INFO %s: handled query '%s' in %.1fms (#%llu)",
		    stamp, demo_role_name(demo_opts.role), q,
		    0.5 + (double)((h >> 8) % 150) / 10.0,
		    (unsigned long long)seq);
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
	double rate = demo_opts.log_lines_per_s;
	double owed = elapsed * rate - demo_log_skipped - (double)demo_log_seq;
	double cap = rate > 1 ? rate : 1;
	double line_bytes = demo_opts.log_line_bytes > 100 ?
	    (double)demo_opts.log_line_bytes : 100;
	double tick_max = fmin(rate / 10.0, 4.0 * DEMO_MIB / line_bytes);
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
	snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
	sb_reset(&demo_log_out);
	sb_reset(&demo_log_err);
	for (i = 0; i < n; i++)	/* every 10th line on stderr */
		demo_log_line((demo_log_seq + 1) % 10 == 0 ? &demo_log_err :
		    &demo_log_out, stamp);
	if ((demo_log_out.len > 0 && demo_write_all(1, demo_log_out.buf,
	    demo_log_out.len) != 0) ||
	    (demo_log_err.len > 0 && demo_write_all(2, demo_log_err.buf,
	    demo_log_err.len) != 0))
		demo_log_stop();
	/* Keep at most a few MiB between ticks even after a huge batch. */
	if (demo_log_out.cap > (8u << 20))
		sb_free(&demo_log_out);
	if (demo_log_err.cap > (8u << 20))
		sb_free(&demo_log_err);
}

/* ---- grandchild ---------------------------------------------------- */

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
	closefrom(3);
	demo_say(1, "grandchild pid %ld\n", (long)getpid());
	if (demo_opts.grandchild_lifetime_s >= 0) {
		int64_t ns = llround(demo_opts.grandchild_lifetime_s * 1e9);
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ns += (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
		ts.tv_sec = (time_t)(ns / 1000000000LL);
		ts.tv_nsec = (long)(ns % 1000000000LL);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
		    NULL) != 0)
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

/* ---- health ------------------------------------------------------- */

int
demo_faults_health_hung(void)
{
	return demo_opts.hang_health_after_s >= 0 &&
	    demo_uptime_s() >= demo_opts.hang_health_after_s;
}

enum demo_health
demo_faults_health(void)
{
	double up = demo_uptime_s();

	if (demo_opts.unhealthy_after_s >= 0 &&
	    up >= demo_opts.unhealthy_after_s)
		return DEMO_HEALTH_UNHEALTHY;
	if (demo_opts.start_delay_s > 0 && up < demo_opts.start_delay_s)
		return DEMO_HEALTH_STARTING;
	return DEMO_HEALTH_OK;
}

/* ---- start and stop ------------------------------------------------ */

void
demo_faults_start(uv_loop_t *loop)
{
	/* Fork before any thread exists and before the leak starts. */
	if (demo_opts.spawn_grandchild)
		demo_spawn_grandchild();
	if (demo_opts.crash_after_s > 0) {
		uv_timer_init(loop, &demo_crash_timer);
		uv_timer_start(&demo_crash_timer, demo_crash_cb,
		    demo_s_to_ms(demo_opts.crash_after_s), 0);
		demo_crash_on = 1;
	}
	if (demo_opts.leak_mb_per_s > 0) {
		demo_leak_start_ns = uv_hrtime();
		uv_timer_init(loop, &demo_leak_timer);
		uv_timer_start(&demo_leak_timer, demo_leak_cb,
		    DEMO_LEAK_TICK_MS, DEMO_LEAK_TICK_MS);
		demo_leak_on = 1;
	}
	if (demo_opts.log_lines_per_s > 0) {
		demo_log_start_ns = uv_hrtime();
		uv_timer_init(loop, &demo_log_timer);
		uv_timer_start(&demo_log_timer, demo_log_cb, DEMO_LOG_TICK_MS,
		    DEMO_LOG_TICK_MS);
		demo_log_on = 1;
	}
	if (demo_opts.cpu_burn_pct > 0)
		demo_burn_start();
}

static void
demo_faults_close(uv_timer_t *t, int *on)
{
	if (*on) {
		*on = 0;
		uv_close((uv_handle_t *)t, NULL);
	}
}

void
demo_faults_stop(void)
{
	demo_faults_close(&demo_crash_timer, &demo_crash_on);
	demo_faults_close(&demo_leak_timer, &demo_leak_on);
	demo_faults_close(&demo_log_timer, &demo_log_on);
	demo_burn_stop_join();
	/* A closed timer never runs again: the line buffers can go now. */
	sb_free(&demo_log_out);
	sb_free(&demo_log_err);
}
