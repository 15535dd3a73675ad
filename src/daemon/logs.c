/*
 * Output capture for one service (see logs.h): bytes from the service's
 * stdout and stderr are cut into lines, each line goes to the ring, to the
 * listener and, time-stamped, to LOG_DIR/NAME.log, rotated by size. A
 * chatty service must cost little, so the per-line work is a memchr and
 * two memcpys: lines are formatted into one buffer kept between calls and
 * written with one write(2) per feed, the timestamp is rendered once per
 * millisecond value, and a partial line is copied (into a buffer allocated
 * only then) just when a read ends mid-line. A quiet service costs the
 * struct and its empty ring. The file is best effort: a write error drops
 * lines from the file (counted, one warning per streak), never from the
 * ring, and never stops the service; a file that cannot be opened is tried
 * again every few seconds.
 */
#include "prodd/logs.h"
#include "prodd/fileio.h"
#include "prodd/handover.h"
#include "prodd/log.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The lines of a call, formatted for the file: one buffer for every
 * service, since a call formats and writes one service's lines before the
 * next call begins. It holds the longest line with its time stamp; when
 * the next line does not fit, what is there is written first. Static, so
 * that 500 quiet services cost nothing here, and untouched pages cost no
 * memory. */
#define LOGS_OUT_SIZE (LOGS_MAX_LINE + 128)
static struct {
	char buf[LOGS_OUT_SIZE];
	size_t len;
} logs_out;
#define LOGS_PART_MIN 128
/* How long to wait before trying again to open a file that failed. */
#define LOGS_RETRY_MS 5000
/* " stdout " and " stderr " */
#define LOGS_WORD_LEN 8

/* An unterminated line of one stream, waiting for the rest. It holds at
 * most LOGS_MAX_LINE bytes, or LOGS_MAX_LINE + 1 when the last one is a
 * '\r' that may yet be the CR of a CRLF. */
struct logs_part {
	char *buf;
	size_t len, cap;
};

struct logs_svc {
	char *path;		/* DIR/NAME.log, then DIR and NAME */
	char *dir, *name;	/* in path's allocation */
	int fd;
	int keep;
	int64_t size;		/* of the open file, for rotation */
	int64_t max_size;
	struct logring *ring;
	logs_line_fn fn;
	void *arg;
	struct logs_part part[2];	/* stdout, stderr */
	uint64_t write_errors;
	int64_t retry_ms;	/* next attempt to open, INT64_MIN: not set */
	bool writing;		/* the file is open for this call */
	bool failing;		/* in an error streak, already warned */
};

/* The last time stamp rendered, for every service: lines of one
 * millisecond (whichever service wrote them) render it once. */
static struct {
	int64_t ms;		/* the time buf renders; INT64_MIN: none */
	size_t len;
	char buf[40];
} logs_ts = { INT64_MIN, 0, "" };

/* "WHAT PATH: REASON" into the caller's buffer. */
static void
logs_set_err(char *err, size_t errlen, const char *what, const char *path,
    const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s %s: %s", what, path, why);
}

/* Open (creating dir and file as needed) l->path and learn its size. */
static int
logs_file_open(struct logs_svc *l, char *err, size_t errlen)
{
	const int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK;
	struct stat st;
	int fd, rc;

	/* O_NONBLOCK: a FIFO planted at the path must fail, not block the
	 * loop; it changes nothing for a regular file. The directory is made
	 * when the file cannot be for want of it, not tried at every open
	 * (500 services: 500 mkdir calls failing with EEXIST at each start). */
	fd = open(l->path, flags, 0640);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		rc = file_mkdirs(l->dir, 0750);
		if (rc < 0) {
			logs_set_err(err, errlen, "cannot create log directory",
			    l->dir, strerror(-rc));
			return rc;
		}
		fd = open(l->path, flags, 0640);
	}
	if (fd < 0) {
		rc = -errno;
		logs_set_err(err, errlen, "cannot open log file", l->path,
		    strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		logs_set_err(err, errlen, "cannot stat log file", l->path,
		    strerror(-rc));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		logs_set_err(err, errlen, "cannot use log file", l->path,
		    "not a regular file");
		close(fd);
		return -EINVAL;
	}
	l->fd = fd;
	l->size = st.st_size;
	return 0;
}

static void
logs_file_close(struct logs_svc *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->size = 0;
}

/* Open l->path, warning (once per streak) when it fails. */
static void
logs_file_reopen(struct logs_svc *l, int64_t now_ms)
{
	char why[512];

	if (logs_file_open(l, why, sizeof why) == 0) {
		if (l->failing)
			log_info(l->name, "log file %s: writing again, %llu "
			    "lines lost", l->path,
			    (unsigned long long)l->write_errors);
		l->failing = false;
		return;
	}
	if (!l->failing)
		log_warn(l->name, "%s; keeping lines in memory only", why);
	l->failing = true;
	l->retry_ms = now_ms + LOGS_RETRY_MS;
}

static void
logs_set_path(struct logs_svc *l, const char *dir, const char *name)
{
	/* one allocation: "DIR/NAME.log", then DIR and NAME, each ended
	 * by its NUL */
	char *p = xasprintf("%s/%s.log%c%s%c%s", dir, name, '\0', dir, '\0',
	    name);

	free(l->path);
	l->path = p;
	l->dir = p + strlen(p) + 1;
	l->name = l->dir + strlen(l->dir) + 1;
}

struct logs_svc *
logs_open(const struct logs_opts *o, char *err, size_t errlen)
{
	struct logs_svc *l = xcalloc(1, sizeof *l);

	l->fd = -1;
	l->max_size = o->max_size;
	l->keep = o->keep > 0 ? o->keep : 0;
	l->ring = logring_new(o->ring_lines, o->ring_bytes);
	l->retry_ms = INT64_MIN;
	logs_set_path(l, o->dir, o->name);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (logs_file_open(l, err, errlen) != 0)
		l->failing = true;	/* the caller reports err */
	return l;
}

/* Remove rotated files a smaller keep no longer covers. */
static void
logs_prune(const struct logs_svc *l, int from, int to)
{
	for (int i = from + 1; i <= to; i++) {
		char *p = xasprintf("%s.%d", l->path, i);

		if (unlink(p) != 0 && errno != ENOENT)
			log_warn(l->name, "cannot remove %s: %s", p,
			    strerror(errno));
		free(p);
	}
}

void
logs_reconfigure(struct logs_svc *l, const struct logs_opts *o)
{
	int keep = o->keep > 0 ? o->keep : 0;
	bool moved = strcmp(l->dir, o->dir) != 0 ||
	    strcmp(l->name, o->name) != 0;

	logring_set_bounds(l->ring, o->ring_lines, o->ring_bytes);
	l->max_size = o->max_size;
	if (!moved && keep < l->keep)
		logs_prune(l, keep, l->keep);
	l->keep = keep;
	if (moved) {
		logs_file_close(l);
		logs_set_path(l, o->dir, o->name);
		l->failing = false;	/* a new path: a new streak */
	}
	/* A reload is also the moment to retry a file that failed. */
	if (l->fd < 0)
		logs_file_reopen(l, INT64_MIN);
	l->retry_ms = INT64_MIN;
}

void
logs_close(struct logs_svc *l)
{
	if (l == NULL)
		return;
	logs_file_close(l);
	logring_free(l->ring);
	for (int i = 0; i < 2; i++)
		free(l->part[i].buf);
	free(l->path);
	free(l);
}

void
logs_set_listener(struct logs_svc *l, logs_line_fn fn, void *arg)
{
	l->fn = fn;
	l->arg = arg;
}

const struct logring *
logs_ring(const struct logs_svc *l)
{
	return l->ring;
}

uint64_t
logs_write_errors(const struct logs_svc *l)
{
	return l->write_errors;
}

const char *
logs_path(const struct logs_svc *l)
{
	return l->path;
}

/* Before a call's lines: is there a file to write them to? A file that
 * failed to open is tried again once LOGS_RETRY_MS has passed. */
static void
logs_begin(struct logs_svc *l, int64_t now_ms)
{
	if (l->fd < 0) {
		if (l->retry_ms == INT64_MIN)
			l->retry_ms = now_ms + LOGS_RETRY_MS;
		else if (now_ms >= l->retry_ms)
			logs_file_reopen(l, now_ms);
	}
	l->writing = l->fd >= 0;
}

/* Shift NAME.log.i to .i+1 (dropping .keep) and NAME.log to .1, then
 * start a fresh NAME.log; with keep 0 just empty the file. When that
 * fails the file goes on growing, and the next attempt comes after another
 * max_size bytes rather than on every write (one warning each time). */
static void
logs_rotate(struct logs_svc *l, int64_t now_ms)
{
	bool moved = true;
	char *from, *to;

	if (l->keep == 0) {
		if (ftruncate(l->fd, 0) != 0)
			log_warn(l->name, "cannot truncate %s: %s", l->path,
			    strerror(errno));
		l->size = 0;
		return;
	}
	logs_file_close(l);
	to = xasprintf("%s.%d", l->path, l->keep);
	if (unlink(to) != 0 && errno != ENOENT)
		log_warn(l->name, "cannot remove %s: %s", to, strerror(errno));
	for (int i = l->keep - 1; i >= 0; i--) {
		from = i > 0 ? xasprintf("%s.%d", l->path, i) : xstrdup(l->path);
		if (rename(from, to) != 0 && errno != ENOENT) {
			log_warn(l->name, "cannot rename %s to %s: %s", from,
			    to, strerror(errno));
			if (i == 0)
				moved = false;
		}
		free(to);
		to = from;
	}
	free(to);
	logs_file_reopen(l, now_ms);
	if (!moved)
		l->size = 0;
}

/* Lines in the unwritten tail: those the file lost. */
static uint64_t
logs_count_lines(const char *p, size_t n)
{
	uint64_t c = 0;
	const char *nl;

	while (n > 0 && (nl = memchr(p, '\n', n)) != NULL) {
		c++;
		n -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	return c;
}

/* After a call's lines (or when the buffer is full): rotate if due, then
 * one write of them all. */
static void
logs_commit(struct logs_svc *l, int64_t now_ms)
{
	const char *p = logs_out.buf;
	size_t left = logs_out.len;
	int e = 0;

	if (left == 0)
		return;
	logs_out.len = 0;
	/* An empty file takes any write whole (so one burst larger than
	 * max_size is not lost); max_size <= 0 means no limit. */
	if (l->max_size > 0 && l->size > 0 &&
	    l->size + (int64_t)left > l->max_size)
		logs_rotate(l, now_ms);
	if (l->fd < 0) {
		l->write_errors += logs_count_lines(p, left);
		return;
	}
	while (left > 0) {
		ssize_t n = write(l->fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			break;
		}
		p += n;
		left -= (size_t)n;
		l->size += n;
	}
	if (left > 0) {
		l->write_errors += logs_count_lines(p, left);
		if (!l->failing)
			log_warn(l->name, "log file %s: %s; dropping lines "
			    "from the file until it works again", l->path,
			    strerror(e));
		l->failing = true;
	} else if (l->failing) {
		log_info(l->name, "log file %s: writing again, %llu lines "
		    "lost", l->path, (unsigned long long)l->write_errors);
		l->failing = false;
	}
}

/* Format one line for the file into the call's buffer. */
static void
logs_out_line(struct logs_svc *l, int stream, int64_t now_ms,
    const char *text, size_t len)
{
	size_t need;
	char *o;

	if (!l->writing) {
		l->write_errors++;
		return;
	}
	if (now_ms != logs_ts.ms) {
		log_format_time(logs_ts.buf, sizeof logs_ts.buf, now_ms);
		logs_ts.len = strlen(logs_ts.buf);
		logs_ts.ms = now_ms;
	}
	if (len > LOGS_MAX_LINE)	/* callers cut lines; be sure */
		len = LOGS_MAX_LINE;
	need = logs_ts.len + LOGS_WORD_LEN + len + 1;
	if (logs_out.len + need > sizeof logs_out.buf)
		logs_commit(l, now_ms);
	o = logs_out.buf + logs_out.len;
	memcpy(o, logs_ts.buf, logs_ts.len);
	o += logs_ts.len;
	memcpy(o, stream == LOG_STREAM_STDERR ? " stderr " : " stdout ",
	    LOGS_WORD_LEN);
	o += LOGS_WORD_LEN;
	memcpy(o, text, len);
	o[len] = '\n';
	logs_out.len += need;
}

/* One complete line: ring, listener, file. */
static void
logs_line(struct logs_svc *l, int stream, int64_t now_ms, const char *text,
    size_t len)
{
	logring_push(l->ring, now_ms, stream, text, len);
	if (l->fn != NULL)
		l->fn(l->arg, stream, now_ms, text, len);
	logs_out_line(l, stream, now_ms, text, len);
}

static struct logs_part *
logs_part_of(struct logs_svc *l, int stream)
{
	return &l->part[stream == LOG_STREAM_STDERR ? 1 : 0];
}

static void
logs_part_append(struct logs_part *pp, const char *p, size_t n)
{
	size_t need = pp->len + n;

	if (need > pp->cap) {
		size_t cap = pp->cap ? pp->cap : LOGS_PART_MIN;

		while (cap < need)
			cap *= 2;
		if (cap > LOGS_MAX_LINE + 1)
			cap = LOGS_MAX_LINE + 1;
		pp->buf = xrealloc(pp->buf, cap);
		pp->cap = cap;
	}
	memcpy(pp->buf + pp->len, p, n);
	pp->len = need;
}

static void
logs_part_free(struct logs_part *pp)
{
	free(pp->buf);
	pp->buf = NULL;
	pp->len = pp->cap = 0;
}

/* Emit the first LOGS_MAX_LINE bytes of (partial, then *p) as a line of
 * their own and consume them; the caller knows more bytes follow. */
static void
logs_cut(struct logs_svc *l, int stream, struct logs_part *pp,
    const char **p, size_t *n, int64_t now_ms)
{
	size_t take;

	if (pp->len == 0) {
		logs_line(l, stream, now_ms, *p, LOGS_MAX_LINE);
		*p += LOGS_MAX_LINE;
		*n -= LOGS_MAX_LINE;
		return;
	}
	if (pp->len >= LOGS_MAX_LINE) {
		logs_line(l, stream, now_ms, pp->buf, LOGS_MAX_LINE);
		pp->len -= LOGS_MAX_LINE;
		memmove(pp->buf, pp->buf + LOGS_MAX_LINE, pp->len);
		return;
	}
	take = LOGS_MAX_LINE - pp->len;
	logs_part_append(pp, *p, take);
	*p += take;
	*n -= take;
	logs_line(l, stream, now_ms, pp->buf, LOGS_MAX_LINE);
	pp->len = 0;
}

/* The bytes before a '\n': with the partial line, one complete line (or
 * several LOGS_MAX_LINE pieces of it). */
static void
logs_complete(struct logs_svc *l, int stream, struct logs_part *pp,
    const char *p, size_t n, int64_t now_ms)
{
	if (n > 0) {
		if (p[n - 1] == '\r')
			n--;
	} else if (pp->len > 0 && pp->buf[pp->len - 1] == '\r') {
		pp->len--;
	}
	while (pp->len > 0 && pp->len + n > LOGS_MAX_LINE)
		logs_cut(l, stream, pp, &p, &n, now_ms);
	if (pp->len > 0) {
		logs_part_append(pp, p, n);
		logs_line(l, stream, now_ms, pp->buf, pp->len);
		logs_part_free(pp);
		return;
	}
	if (pp->buf != NULL)
		logs_part_free(pp);
	while (n > LOGS_MAX_LINE) {
		logs_line(l, stream, now_ms, p, LOGS_MAX_LINE);
		p += LOGS_MAX_LINE;
		n -= LOGS_MAX_LINE;
	}
	logs_line(l, stream, now_ms, p, n);
}

/* Bytes with no '\n' after them: keep them for the next call, cutting off
 * LOGS_MAX_LINE pieces while the line is known to be longer than that. */
static void
logs_pending(struct logs_svc *l, int stream, struct logs_part *pp,
    const char *p, size_t n, int64_t now_ms)
{
	for (;;) {
		size_t total = pp->len + n;

		if (total <= LOGS_MAX_LINE)
			break;
		if (total == LOGS_MAX_LINE + 1 &&
		    (n > 0 ? p[n - 1] : pp->buf[pp->len - 1]) == '\r')
			break;
		logs_cut(l, stream, pp, &p, &n, now_ms);
	}
	/* A cut leaves at least one byte, so there is always some left. */
	logs_part_append(pp, p, n);
}

void
logs_feed(struct logs_svc *l, int stream, const char *data, size_t len,
    int64_t now_ms)
{
	struct logs_part *pp = logs_part_of(l, stream);
	const char *nl;

	if (len == 0)
		return;
	logs_begin(l, now_ms);
	while (len > 0 && (nl = memchr(data, '\n', len)) != NULL) {
		size_t n = (size_t)(nl - data);

		logs_complete(l, stream, pp, data, n, now_ms);
		data = nl + 1;
		len -= n + 1;
	}
	if (len > 0)
		logs_pending(l, stream, pp, data, len, now_ms);
	logs_commit(l, now_ms);
}

void
logs_flush(struct logs_svc *l, int stream, int64_t now_ms)
{
	struct logs_part *pp = logs_part_of(l, stream);

	if (pp->len == 0)
		return;
	logs_begin(l, now_ms);
	while (pp->len > LOGS_MAX_LINE) {
		logs_line(l, stream, now_ms, pp->buf, LOGS_MAX_LINE);
		pp->len -= LOGS_MAX_LINE;
		memmove(pp->buf, pp->buf + LOGS_MAX_LINE, pp->len);
	}
	logs_line(l, stream, now_ms, pp->buf, pp->len);
	logs_part_free(pp);
	logs_commit(l, now_ms);
}

void
logs_note(struct logs_svc *l, int64_t now_ms, const char *text)
{
	size_t n = strlen(text);
	const char *nl;

	/* A note is ours and meant as one line, but a newline inside it
	 * must not break the file's one-record-per-line format. */
	logs_begin(l, now_ms);
	while ((nl = memchr(text, '\n', n)) != NULL) {
		size_t k = (size_t)(nl - text);

		logs_line(l, LOG_STREAM_STDERR, now_ms, text,
		    k < LOGS_MAX_LINE ? k : LOGS_MAX_LINE);
		text = nl + 1;
		n -= k + 1;
	}
	logs_line(l, LOG_STREAM_STDERR, now_ms, text,
	    n < LOGS_MAX_LINE ? n : LOGS_MAX_LINE);
	logs_commit(l, now_ms);
}

/* An upgrade's hand-over: the ring (oldest first, with its numbers) and
 * the partial lines, which the new prodd completes with the bytes it
 * reads next from the same pipes. */
static void
logs_save_line_cb(uint64_t seq, int64_t ts_ms, int stream, const char *line,
    size_t len, void *arg)
{
	handover_add_line(arg, seq, ts_ms, stream, line, len);
}

void
logs_handover_save(const struct logs_svc *l, struct ho_svc *sv)
{
	for (int i = 0; i < 2; i++) {
		sv->part_len[i] = l->part[i].len;
		sv->part[i] = xmalloc(l->part[i].len + 1);
		if (l->part[i].len > 0)
			memcpy(sv->part[i], l->part[i].buf, l->part[i].len);
	}
	sv->log_next_seq = logring_next_seq(l->ring);
	logring_since(l->ring, 0, logs_save_line_cb, sv);
}

void
logs_handover_restore(struct logs_svc *l, const struct ho_svc *sv)
{
	logring_set_next_seq(l->ring, sv->nlines > 0 ? sv->lines[0].seq :
	    sv->log_next_seq);
	for (size_t i = 0; i < sv->nlines; i++)
		logring_push(l->ring, sv->lines[i].ts_ms, sv->lines[i].stream,
		    sv->lines[i].text, sv->lines[i].len);
	if (logring_count(l->ring) == 0)
		logring_set_next_seq(l->ring, sv->log_next_seq);
	for (int i = 0; i < 2; i++) {
		logs_part_free(&l->part[i]);
		if (sv->part_len[i] > 0 && sv->part_len[i] <= LOGS_MAX_LINE + 1)
			logs_part_append(&l->part[i], sv->part[i],
			    sv->part_len[i]);
	}
}
