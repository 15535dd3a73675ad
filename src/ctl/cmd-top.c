/*
 * prodctl top [-d SECONDS] [-n N]: a refreshing table of the services,
 * highest CPU first — NAME STATE PID CPU MEM PROCS THREADS FDS READ/s
 * WRITE/s HEALTH — under one line of prodd's own figures, until Ctrl-C
 * (exit 0) or N refreshes. Each refresh is GET /api/health and GET
 * /api/services; a prodd that goes away is exit 3 with the usual one line.
 *
 * On a terminal each frame clears the screen, the cursor is hidden and
 * autowrap is off while top runs (a long line is cut, not wrapped, so the
 * frame keeps to the terminal's height), and both come back on every way
 * out, Ctrl-Z included; a resize or a resume redraws at once. Not on a
 * terminal there is no escape sequence at all: each refresh is the header,
 * the table and a blank line. There is no --json: a stream of snapshots is
 * `status --json` in a loop.
 */
#include "ctl.h"

#include "prodd/log.h"
#include "prodd/units.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define TOP_MIN_DELAY_MS 100
#define TOP_CLEAR "\033[H\033[2J"
/* hide the cursor, autowrap off; and back, the cursor shown last */
#define TOP_ENTER "\033[?25l\033[?7l"
#define TOP_LEAVE "\033[?7h\033[?25h"

/* A resize, or a resume after Ctrl-Z: draw the last snapshot again now. */
static volatile sig_atomic_t top_redraw;

/* The last answers of prodd, kept for a redraw. */
struct top_snap {
	struct ctl_resp health;
	struct ctl_resp services;
	time_t at;
	bool have;
};

struct top_row {
	const cJSON *svc;
	double cpu;		/* -1 without metrics: those go last */
	size_t idx;		/* prodd's order, for ties */
};

static void
top_write_all(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void
top_on_winch(int sig)
{
	(void)sig;
	top_redraw = 1;
}

static void top_on_tstp(int sig);

static void
top_handle(int sig, void (*fn)(int))
{
	struct sigaction sa;

	/* No SA_RESTART: the signal should cut the sleep short. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/*
 * Ctrl-Z: give the terminal back (cursor, autowrap), stop for real with
 * the default action, and on SIGCONT take it again and redraw. Everything
 * here is async-signal-safe.
 */
static void
top_on_tstp(int sig)
{
	int saved = errno;
	sigset_t set;

	top_write_all(TOP_LEAVE, sizeof TOP_LEAVE - 1);
	top_handle(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* ... stopped here until SIGCONT ... */
	top_handle(sig, top_on_tstp);
	top_write_all(TOP_ENTER, sizeof TOP_ENTER - 1);
	top_redraw = 1;
	errno = saved;
}

/*
 * Sleep until deadline (monotonic ms), a SIGINT/SIGTERM or a redraw. The
 * signals are blocked while the flags are checked and let in only inside
 * ppoll, so one that arrives just before the sleep still ends it at once.
 */
static void
top_sleep_until(long long deadline)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGWINCH);
	sigaddset(&block, SIGTSTP);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (;;) {
		long long left = deadline - clock_mono_ms();
		struct timespec ts;

		if (ctl_interrupted || top_redraw || left <= 0)
			break;
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		ppoll(NULL, 0, &ts, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Rows of the terminal on stdout, or 0 when unknown. */
static int
top_term_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0)
		return 0;
	return ws.ws_row;
}

static int
top_row_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->cpu != y->cpu)
		return x->cpu > y->cpu ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void
top_add_row(struct ctl_table *t, const cJSON *svc)
{
	const char *name = ctl_json_str(svc, "name");
	const char *state = ctl_json_str(svc, "state");
	const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(svc,
	    "metrics");

	ctl_table_add(t, CTL_COLOR_NONE, name != NULL ? name : "?");
	ctl_table_add(t, ctl_state_color(state), state != NULL ? state : "?");
	ctl_table_num(t, svc, "pid", CTL_CELL_COUNT);
	/* metrics is null until prodd samples /proc (and without a
	 * process): "-" in every column of it then. */
	ctl_table_num(t, metrics, "cpu_percent", CTL_CELL_PERCENT);
	ctl_table_num(t, metrics, "rss_bytes", CTL_CELL_BYTES);
	ctl_table_num(t, metrics, "processes", CTL_CELL_COUNT);
	ctl_table_num(t, metrics, "threads", CTL_CELL_COUNT);
	ctl_table_num(t, metrics, "fds", CTL_CELL_COUNT);
	ctl_table_num(t, metrics, "read_bps", CTL_CELL_BYTES);
	ctl_table_num(t, metrics, "write_bps", CTL_CELL_BYTES);
	ctl_table_health(t, svc);
}

/* "prodd: 3/3 running, 3 healthy · prodd 9.1M, 0.3% CPU · 12:34:56" */
static void
top_header(FILE *f, bool color, const struct top_snap *s)
{
	const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(s->health.json,
	    "services");
	const cJSON *me = cJSON_GetObjectItemCaseSensitive(s->health.json,
	    "prodd");
	double total = 0, running = 0, healthy = 0, failed = 0, rss, cpu;
	char buf[64], when[16];
	struct tm tm;

	ctl_json_num(svcs, "total", &total);
	ctl_json_num(svcs, "running", &running);
	ctl_json_num(svcs, "healthy", &healthy);
	ctl_json_num(svcs, "failed", &failed);
	fprintf(f, "prodd: %.0f/%.0f running, %.0f healthy", running, total,
	    healthy);
	if (failed > 0) {
		snprintf(buf, sizeof buf, "%.0f failed", failed);
		fputs(", ", f);
		ctl_fputs_color(f, color, CTL_COLOR_RED, buf);
	}
	/* prodd's own figures come with its sampler; none before it. */
	if (ctl_json_num(me, "rss_bytes", &rss) &&
	    ctl_json_num(me, "cpu_percent", &cpu)) {
		ctl_format_bytes(rss, buf, sizeof buf);
		fprintf(f, " · prodd %s, %.1f%% CPU", buf, cpu);
	}
	if (localtime_r(&s->at, &tm) != NULL &&
	    strftime(when, sizeof when, "%H:%M:%S", &tm) > 0)
		fprintf(f, " · %s", when);
	fputc('\n', f);
}

/*
 * One frame into stdout, written at once (no flicker on a terminal). On a
 * terminal the table is cut to the rows there are, keeping the last row
 * free so that the frame's final newline never scrolls it.
 */
static void
top_draw(const struct ctl_opts *o, const struct top_snap *s, bool tty)
{
	static const char *const head[] = {
		"NAME", "STATE", "PID", "CPU", "MEM", "PROCS", "THREADS",
		"FDS", "READ/s", "WRITE/s", "HEALTH",
	};
	const size_t ncols = sizeof head / sizeof *head;
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(s->services.json,
	    "services"), *svc;
	size_t n = 0, shown, i = 0;
	struct top_row *rows;
	struct ctl_table *t;
	char *frame = NULL;
	size_t len = 0;
	FILE *f;
	int lines;

	n = (size_t)cJSON_GetArraySize(list);
	rows = xcalloc(n > 0 ? n : 1, sizeof *rows);
	cJSON_ArrayForEach(svc, list) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(svc,
		    "metrics");

		rows[i].svc = svc;
		rows[i].idx = i;
		if (!ctl_json_num(m, "cpu_percent", &rows[i].cpu))
			rows[i].cpu = -1;
		i++;
	}
	qsort(rows, n, sizeof *rows, top_row_cmp);
	shown = n;
	if (tty && (lines = top_term_rows()) > 0) {
		/* header, table head, rows, "… N more"; the last row free */
		long avail = (long)lines - 1 - 2;

		if ((long)n > avail)
			shown = avail > 1 ? (size_t)(avail - 1) : 0;
	}
	t = ctl_table_new(ncols);
	for (i = 0; i < ncols; i++)
		ctl_table_add(t, CTL_COLOR_BOLD, head[i]);
	for (i = 0; i < shown; i++)
		top_add_row(t, rows[i].svc);

	if ((f = open_memstream(&frame, &len)) == NULL) {
		perror("prodctl: open_memstream");
		exit(CTL_FAILED);
	}
	if (tty)
		fputs(TOP_CLEAR, f);
	top_header(f, o->color, s);
	ctl_table_print(t, f, o->color);
	if (shown < n) {
		char more[48];

		snprintf(more, sizeof more, "… %zu more", n - shown);
		ctl_fputs_color(f, o->color, CTL_COLOR_DIM, more);
		fputc('\n', f);
	}
	if (!tty)
		fputc('\n', f);
	fclose(f);
	fwrite(frame, 1, len, stdout);
	fflush(stdout);
	free(frame);
	ctl_table_free(t);
	free(rows);
}

static void
top_snap_free(struct top_snap *s)
{
	if (s->have) {
		ctl_resp_free(&s->health);
		ctl_resp_free(&s->services);
	}
	s->have = false;
}

/* Both answers into s (the old ones freed), or the exit status. */
static int
top_fetch(struct ctl_client *c, struct top_snap *s)
{
	struct top_snap n = { .have = true };
	int rc;

	if ((rc = ctl_get_json(c, "/api/health", &n.health)) != CTL_OK)
		return rc;
	if ((rc = ctl_get_json(c, "/api/services", &n.services)) != CTL_OK) {
		ctl_resp_free(&n.health);
		return rc;
	}
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(n.services.json,
	    "services"))) {
		fprintf(stderr, "prodctl: unexpected answer from prodd "
		    "(no \"services\" list)\n");
		top_snap_free(&n);
		return CTL_FAILED;
	}
	n.at = time(NULL);
	top_snap_free(s);
	*s = n;
	return CTL_OK;
}

static int
ctl_top_run(const struct ctl_opts *go, int argc, char **argv)
{
	struct ctl_opts o = *go;
	const char *delay = NULL, *iters = NULL;
	const struct ctl_flag flags[] = {
		{ "--delay", 'd', CTL_FLAG_STR, &delay },
		{ "--iterations", 'n', CTL_FLAG_STR, &iters },
		{ NULL, 0, CTL_FLAG_BOOL, NULL },
	};
	struct top_snap snap = { .have = false };
	struct ctl_client *c;
	int64_t delay_ms = 1000;
	long count = 0, done = 0;
	long long next;
	bool tty;
	int n, rc;

	if ((n = ctl_parse_args(&ctl_cmd_top, &o, flags, argc, argv)) < 0)
		return CTL_USAGE;
	if (n != 0)
		return ctl_usage_error(&ctl_cmd_top, "top takes no names");
	if (o.json)
		return ctl_usage_error(&ctl_cmd_top, "top has no --json; for "
		    "the figures as JSON use 'prodctl status --json'");
	if (delay != NULL && (units_parse_duration(delay, &delay_ms) != 0 ||
	    delay_ms < TOP_MIN_DELAY_MS))
		return ctl_usage_error(&ctl_cmd_top, "bad --delay '%s' "
		    "(seconds, at least 0.1)", delay);
	if (iters != NULL && (!ctl_parse_count(iters, &count) || count < 1))
		return ctl_usage_error(&ctl_cmd_top, "bad --iterations '%s' "
		    "(a number of refreshes, at least 1)", iters);
	if ((c = ctl_client_open(&o, &rc)) == NULL)
		return rc;

	tty = isatty(STDOUT_FILENO) != 0;
	ctl_catch_signals();
	if (tty) {
		top_handle(SIGWINCH, top_on_winch);
		top_handle(SIGTSTP, top_on_tstp);
		fputs(TOP_ENTER, stdout);
		fflush(stdout);
	}
	next = clock_mono_ms();
	while (!ctl_interrupted) {
		if ((rc = top_fetch(c, &snap)) != CTL_OK || ctl_interrupted)
			break;
		top_redraw = 0;
		top_draw(&o, &snap, tty);
		if (count > 0 && ++done >= count)
			break;
		/* A steady period, whatever the requests took; after a
		 * stall (a stopped prodctl, a slow prodd) start afresh. */
		next += delay_ms;
		if (next < clock_mono_ms())
			next = clock_mono_ms() + delay_ms;
		for (;;) {
			top_sleep_until(next);
			if (!top_redraw || ctl_interrupted)
				break;
			top_redraw = 0;
			top_draw(&o, &snap, tty);
		}
	}
	if (tty) {
		/* Blocked: a Ctrl-Z now must not hide the cursor again. */
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGTSTP);
		sigprocmask(SIG_BLOCK, &set, NULL);
		fputs(TOP_LEAVE, stdout);
		fflush(stdout);
	}
	top_snap_free(&snap);
	ctl_client_free(c);
	return rc;
}

const struct ctl_cmd ctl_cmd_top = {
	"top", "[-d SECONDS] [-n N]",
	"a live table of the services, highest CPU first, until Ctrl-C",
	ctl_top_run,
};
