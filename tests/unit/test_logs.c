/*
 * Unit tests of a service's output capture: lines split across reads, CRLF,
 * over-long lines cut into LOGS_MAX_LINE pieces, empty lines, the two
 * streams keeping their own partial lines, the file's format, rotation
 * (keep N and keep 0), directory creation, the ring-only fallback, write
 * errors counted with one warning, notes, the listener, reconfiguration,
 * and a throughput figure. Everything happens in a temporary directory
 * under /tmp, removed at the end; time is passed in, so nothing sleeps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "prodd/logring.h"
#include "prodd/logs.h"
#include "prodd/xmalloc.h"

/* 2026-11-22T09:00:01.123Z */
#define T0 1795338001123LL
#define TS_LEN 24

static char base[64];
static int ndir;

/* ------------------------------------------------------------------ */
/* helpers */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup_base(void **state)
{
	(void)state;
	umask(022);
	strcpy(base, "/tmp/prodd-test-logs-XXXXXX");
	return mkdtemp(base) != NULL ? 0 : -1;
}

static int
teardown_base(void **state)
{
	(void)state;
	return nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory path (not created) for one test. */
static char *
new_dir(const char *suffix)
{
	return xasprintf("%s/t%d%s", base, ++ndir, suffix ? suffix : "");
}

static struct logs_svc *
open_svc(const char *dir, const char *name, int64_t max_size, int keep)
{
	struct logs_opts o = {
		.dir = dir, .name = name, .max_size = max_size, .keep = keep,
		.ring_lines = 1000, .ring_bytes = 1 << 20,
	};
	char err[256];
	struct logs_svc *l = logs_open(&o, err, sizeof err);

	assert_non_null(l);
	assert_string_equal(err, "");
	return l;
}

static void
feed_str(struct logs_svc *l, int stream, const char *s, int64_t now)
{
	logs_feed(l, stream, s, strlen(s), now);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* prodd's own log (fd 2) goes to a file while a test looks at it. */
static int
capture_start(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved;

	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	return saved;
}

static void
capture_stop(int saved)
{
	dup2(saved, STDERR_FILENO);
	close(saved);
}

/* How many times needle occurs in the file at path. */
static int
count_in_file(const char *path, const char *needle)
{
	size_t len;
	char *buf = slurp(path, &len), *p = buf;
	int n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	free(buf);
	return n;
}

/* What the listener saw. */
struct line {
	int stream;
	int64_t ts;
	char *text;
	size_t len;
};

struct lines {
	struct line *v;
	size_t n, cap;
};

static void
lines_add(struct lines *ls, int stream, int64_t ts, const char *text,
    size_t len)
{
	struct line *x;

	if (ls->n == ls->cap) {
		ls->cap = ls->cap ? ls->cap * 2 : 16;
		ls->v = xreallocarray(ls->v, ls->cap, sizeof *ls->v);
	}
	x = &ls->v[ls->n++];
	x->stream = stream;
	x->ts = ts;
	x->len = len;
	x->text = xmalloc(len + 1);
	memcpy(x->text, text, len);
	x->text[len] = '\0';
}

static void
lines_free(struct lines *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		free(ls->v[i].text);
	free(ls->v);
	memset(ls, 0, sizeof *ls);
}

static void
listener(void *arg, int stream, int64_t ts_ms, const char *line, size_t len)
{
	lines_add(arg, stream, ts_ms, line, len);
}

static void
ring_fn(uint64_t seq, int64_t ts_ms, int stream, const char *line, size_t len,
    void *arg)
{
	(void)seq;
	lines_add(arg, stream, ts_ms, line, len);
}

/* Parse a log file into lines, checking every record's shape:
 * "YYYY-MM-DDTHH:MM:SS.mmmZ stdout|stderr TEXT". */
static void
parse_file(const char *path, struct lines *out)
{
	size_t len;
	char *buf = slurp(path, &len), *p = buf, *end = buf + len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		int stream = 0;

		assert_non_null(nl);
		assert_true(nl - p >= TS_LEN + 8);
		for (int i = 0; i < TS_LEN; i++) {
			char c = p[i], want = "0000-00-00T00:00:00.000Z"[i];

			if (want == '0')
				assert_true(c >= '0' && c <= '9');
			else
				assert_int_equal(c, want);
		}
		if (memcmp(p + TS_LEN, " stdout ", 8) == 0)
			stream = LOG_STREAM_STDOUT;
		else if (memcmp(p + TS_LEN, " stderr ", 8) == 0)
			stream = LOG_STREAM_STDERR;
		else
			fail_msg("bad stream word in '%.40s'", p);
		lines_add(out, stream, 0, p + TS_LEN + 8,
		    (size_t)(nl - p - TS_LEN - 8));
		p = nl + 1;
	}
	free(buf);
}

static void
ring_lines(const struct logs_svc *l, struct lines *out)
{
	logring_since(logs_ring(l), 0, ring_fn, out);
}

/* ------------------------------------------------------------------ */
/* splitting */

static void
test_partial_lines(void **state)
{
	char *dir = new_dir(NULL);
	struct logs_svc *l = open_svc(dir, "svc", 1 << 20, 2);
	struct lines got = { 0 }, ring = { 0 }, file = { 0 };

	(void)state;
	logs_set_listener(l, listener, &got);
	feed_str(l, LOG_STREAM_STDOUT, "hel", T0);
	assert_int_equal(got.n, 0);
	assert_int_equal(file_size(logs_path(l)), 0);
	feed_str(l, LOG_STREAM_STDOUT, "lo\nwor", T0 + 1);
	assert_int_equal(got.n, 1);
	feed_str(l, LOG_STREAM_STDOUT, "l", T0 + 2);
	feed_str(l, LOG_STREAM_STDOUT, "d\nlast", T0 + 3);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.v[0].text, "hello");
	assert_int_equal(got.v[0].ts, T0 + 1);	/* when it completed */
	assert_string_equal(got.v[1].text, "world");
	assert_int_equal(got.v[1].stream, LOG_STREAM_STDOUT);
	logs_flush(l, LOG_STREAM_STDOUT, T0 + 4);	/* EOF */
	logs_flush(l, LOG_STREAM_STDOUT, T0 + 5);	/* nothing left */
	assert_int_equal(got.n, 3);
	assert_string_equal(got.v[2].text, "last");

	ring_lines(l, &ring);
	parse_file(logs_path(l), &file);
	assert_int_equal(ring.n, 3);
	assert_int_equal(file.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(ring.v[i].text, got.v[i].text);
		assert_string_equal(file.v[i].text, got.v[i].text);
	}
	assert_int_equal(logs_write_errors(l), 0);
	logs_close(l);
	lines_free(&got);
	lines_free(&ring);
	lines_free(&file);
	free(dir);
}

static void
test_crlf_and_empty(void **state)
{
	char *dir = new_dir(NULL);
	struct logs_svc *l = open_svc(dir, "svc", 1 << 20, 2);
	struct lines got = { 0 }, file = { 0 };
	static const char *const want[] = { "a", "b", "", "c\rd", "", "", "",
		"x", "\r", "" };

	(void)state;
	logs_set_listener(l, listener, &got);
	feed_str(l, LOG_STREAM_STDOUT, "a\r\nb\r\n\r\nc\rd\n", T0);
	feed_str(l, LOG_STREAM_STDOUT, "\n\n\n", T0);
	feed_str(l, LOG_STREAM_STDOUT, "x\r", T0);	/* CR, then LF */
	feed_str(l, LOG_STREAM_STDOUT, "\n", T0);
	feed_str(l, LOG_STREAM_STDOUT, "\r\r\n", T0);	/* only the last CR */
	feed_str(l, LOG_STREAM_STDOUT, "\r", T0);
	feed_str(l, LOG_STREAM_STDOUT, "\n", T0);
	assert_int_equal(got.n, sizeof want / sizeof *want);
	parse_file(logs_path(l), &file);
	assert_int_equal(file.n, got.n);
	for (size_t i = 0; i < got.n; i++) {
		assert_string_equal(got.v[i].text, want[i]);
		assert_string_equal(file.v[i].text, want[i]);
	}
	logs_close(l);
	lines_free(&got);
	lines_free(&file);
	free(dir);
}

/* Feed buf in chunks of step bytes. */
static void
feed_chunks(struct logs_svc *l, int stream, const char *buf, size_t len,
    size_t step, int64_t now)
{
	for (size_t off = 0; off < len; off += step)
		logs_feed(l, stream, buf + off,
		    len - off < step ? len - off : step, now);
}

static void
check_pieces(const struct lines *got, size_t first, const size_t *sizes,
    size_t n, char fill)
{
	assert_true(got->n >= first + n);
	for (size_t i = 0; i < n; i++) {
		const struct line *x = &got->v[first + i];

		assert_int_equal(x->len, sizes[i]);
		for (size_t k = 0; k < x->len; k++)
			if (x->text[k] != fill)
				fail_msg("piece %zu byte %zu", i, k);
	}
}

static void
test_long_lines(void **state)
{
	const size_t big = 200 * 1024;
	char *dir = new_dir(NULL);
	struct logs_svc *l = open_svc(dir, "svc", 64 << 20, 2);
	struct lines got = { 0 }, file = { 0 };
	char *buf = xmalloc(big + 2);
	static const size_t exact[] = { LOGS_MAX_LINE };
	static const size_t pieces[] = { LOGS_MAX_LINE, LOGS_MAX_LINE,
		LOGS_MAX_LINE, 8192 };
	static const size_t twice[] = { LOGS_MAX_LINE, LOGS_MAX_LINE };
	size_t n = 0;

	(void)state;
	logs_set_listener(l, listener, &got);
	memset(buf, 'x', big);

	/* exactly 64 KiB: one line, in one feed or in many */
	buf[LOGS_MAX_LINE] = '\n';
	logs_feed(l, LOG_STREAM_STDOUT, buf, LOGS_MAX_LINE + 1, T0);
	check_pieces(&got, n, exact, 1, 'x');
	n = got.n;
	feed_chunks(l, LOG_STREAM_STDOUT, buf, LOGS_MAX_LINE + 1, 1000, T0);
	check_pieces(&got, n, exact, 1, 'x');
	n = got.n;
	feed_chunks(l, LOG_STREAM_STDOUT, buf, LOGS_MAX_LINE, LOGS_MAX_LINE,
	    T0);	/* all of it, then the newline alone */
	assert_int_equal(got.n, n);
	feed_str(l, LOG_STREAM_STDOUT, "\n", T0);
	check_pieces(&got, n, exact, 1, 'x');
	n = got.n;
	/* exactly 64 KiB ending in CRLF, the CR at the end of one read */
	buf[LOGS_MAX_LINE] = '\r';
	logs_feed(l, LOG_STREAM_STDOUT, buf, LOGS_MAX_LINE + 1, T0);
	assert_int_equal(got.n, n);
	feed_str(l, LOG_STREAM_STDOUT, "\n", T0);
	check_pieces(&got, n, exact, 1, 'x');
	n = got.n;
	/* 128 KiB: two pieces, no empty third */
	memset(buf, 'x', big);
	buf[2 * LOGS_MAX_LINE] = '\n';
	feed_chunks(l, LOG_STREAM_STDOUT, buf, 2 * LOGS_MAX_LINE + 1,
	    LOGS_MAX_LINE, T0);
	assert_int_equal(got.n, n + 2);
	check_pieces(&got, n, twice, 2, 'x');
	n = got.n;

	/* 200 KiB: 64 + 64 + 64 + 8, however it arrives */
	memset(buf, 'y', big);
	buf[big] = '\n';
	logs_feed(l, LOG_STREAM_STDERR, buf, big + 1, T0);
	assert_int_equal(got.n, n + 4);
	check_pieces(&got, n, pieces, 4, 'y');
	n = got.n;
	feed_chunks(l, LOG_STREAM_STDERR, buf, big + 1, 7000, T0);
	assert_int_equal(got.n, n + 4);
	check_pieces(&got, n, pieces, 4, 'y');
	n = got.n;
	/* unterminated, then EOF */
	feed_chunks(l, LOG_STREAM_STDERR, buf, big, 4096, T0);
	assert_int_equal(got.n, n + 3);
	logs_flush(l, LOG_STREAM_STDERR, T0);
	check_pieces(&got, n, pieces, 4, 'y');
	n = got.n;

	/* unterminated, in one read: three pieces at once, 8 KiB waits */
	logs_feed(l, LOG_STREAM_STDERR, buf, big, T0);
	assert_int_equal(got.n, n + 3);
	logs_flush(l, LOG_STREAM_STDERR, T0);
	check_pieces(&got, n, pieces, 4, 'y');
	n = got.n;

	{
		static const size_t two[] = { LOGS_MAX_LINE, 4464 };

		/* a partial line, then a read completing it past 64 KiB */
		logs_feed(l, LOG_STREAM_STDOUT, buf, 60000, T0);
		buf[10000] = '\n';
		logs_feed(l, LOG_STREAM_STDOUT, buf, 10001, T0);
		buf[10000] = 'y';
		check_pieces(&got, n, two, 2, 'y');
		n = got.n;
	}
	/* 64 KiB and a CR that turns out not to end a CRLF */
	buf[LOGS_MAX_LINE] = '\r';
	logs_feed(l, LOG_STREAM_STDOUT, buf, LOGS_MAX_LINE + 1, T0);
	feed_str(l, LOG_STREAM_STDOUT, "abc\n", T0);
	check_pieces(&got, n, exact, 1, 'y');
	assert_string_equal(got.v[n + 1].text, "\rabc");
	n = got.n;
	logs_feed(l, LOG_STREAM_STDOUT, buf, LOGS_MAX_LINE + 1, T0);
	logs_flush(l, LOG_STREAM_STDOUT, T0);	/* EOF: kept as it came */
	check_pieces(&got, n, exact, 1, 'y');
	assert_string_equal(got.v[n + 1].text, "\r");
	n = got.n;

	parse_file(logs_path(l), &file);
	assert_int_equal(file.n, got.n);
	for (size_t i = 0; i < got.n; i++) {
		assert_int_equal(file.v[i].len, got.v[i].len);
		assert_int_equal(file.v[i].stream, got.v[i].stream);
	}
	/* the ring's byte bound (1 MiB) is below all that: newest kept */
	assert_true(logring_bytes(logs_ring(l)) <= 1 << 20);
	assert_int_equal(logring_next_seq(logs_ring(l)), got.n + 1);
	logs_close(l);
	lines_free(&got);
	lines_free(&file);
	free(buf);
	free(dir);
}

/* A read of nothing but newlines formats into a buffer far larger than
 * the one kept between calls; it is written whole, and the next call
 * still works. */
static void
test_many_empty_lines(void **state)
{
	char *dir = new_dir(NULL), *buf = xmalloc(65536);
	struct logs_svc *l = open_svc(dir, "svc", 64 << 20, 2);
	struct lines file = { 0 };

	(void)state;
	memset(buf, '\n', 65536);
	logs_feed(l, LOG_STREAM_STDOUT, buf, 65536, T0);
	assert_int_equal(file_size(logs_path(l)), 65536 * (TS_LEN + 9));
	feed_str(l, LOG_STREAM_STDERR, "after\n", T0);
	assert_int_equal(logring_next_seq(logs_ring(l)), 65538);
	assert_int_equal(logring_count(logs_ring(l)), 1000);
	parse_file(logs_path(l), &file);
	assert_int_equal(file.n, 65537);
	assert_int_equal(file.v[0].len, 0);
	assert_string_equal(file.v[65536].text, "after");
	logs_close(l);
	lines_free(&file);
	free(buf);
	free(dir);
}

static void
test_streams_interleaved(void **state)
{
	char *dir = new_dir(NULL);
	struct logs_svc *l = open_svc(dir, "svc", 1 << 20, 2);
	struct lines got = { 0 }, file = { 0 };

	(void)state;
	logs_set_listener(l, listener, &got);
	feed_str(l, LOG_STREAM_STDOUT, "out-a", T0);
	feed_str(l, LOG_STREAM_STDERR, "err-a", T0);
	feed_str(l, LOG_STREAM_STDOUT, "1\nout-b", T0);
	feed_str(l, LOG_STREAM_STDERR, "2\n", T0);
	feed_str(l, LOG_STREAM_STDERR, "err-c", T0);
	logs_flush(l, LOG_STREAM_STDOUT, T0);
	logs_flush(l, LOG_STREAM_STDERR, T0);
	assert_int_equal(got.n, 4);
	assert_string_equal(got.v[0].text, "out-a1");
	assert_int_equal(got.v[0].stream, LOG_STREAM_STDOUT);
	assert_string_equal(got.v[1].text, "err-a2");
	assert_int_equal(got.v[1].stream, LOG_STREAM_STDERR);
	assert_string_equal(got.v[2].text, "out-b");
	assert_int_equal(got.v[2].stream, LOG_STREAM_STDOUT);
	assert_string_equal(got.v[3].text, "err-c");
	assert_int_equal(got.v[3].stream, LOG_STREAM_STDERR);
	parse_file(logs_path(l), &file);
	assert_int_equal(file.n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(file.v[i].text, got.v[i].text);
		assert_int_equal(file.v[i].stream, got.v[i].stream);
	}
	logs_close(l);
	lines_free(&got);
	lines_free(&file);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* the file */

static void
test_file_format(void **state)
{
	char *dir = new_dir(NULL);
	struct logs_svc *l = open_svc(dir, "api", 1 << 20, 2);
	size_t len;
	char *buf, *path;

	(void)state;
	path = xasprintf("%s/api.log", dir);
	assert_string_equal(logs_path(l), path);
	feed_str(l, LOG_STREAM_STDOUT, "ready on :8000\nsecond\n", T0);
	feed_str(l, LOG_STREAM_STDERR, "warning: x\n", T0 + 1000);
	feed_str(l, LOG_STREAM_STDOUT, "\n", T0 + 1000);
	logs_note(l, T0 + 2001, "--- started, pid 1234");
	buf = slurp(path, &len);
	assert_string_equal(buf,
	    "2026-11-22T09:00:01.123Z stdout ready on :8000\n"
	    "2026-11-22T09:00:01.123Z stdout second\n"
	    "2026-11-22T09:00:02.123Z stderr warning: x\n"
	    "2026-11-22T09:00:02.123Z stdout \n"
	    "2026-11-22T09:00:03.124Z stderr --- started, pid 1234\n");
	free(buf);
	logs_close(l);

	/* reopening appends */
	l = open_svc(dir, "api", 1 << 20, 2);
	feed_str(l, LOG_STREAM_STDOUT, "after reopen\n", T0 + 3000);
	buf = slurp(path, &len);
	assert_non_null(strstr(buf, "stdout second\n"));
	assert_non_null(strstr(buf, ".123Z stdout after reopen\n"));
	free(buf);
	logs_close(l);
	/* and rotation counts what was already there */
	l = open_svc(dir, "api", (int64_t)len + 10, 2);
	feed_str(l, LOG_STREAM_STDOUT, "rotates\n", T0 + 4000);
	free(path);
	path = xasprintf("%s/api.log.1", dir);
	assert_int_equal(file_size(path), (off_t)len);
	assert_int_equal(file_size(logs_path(l)), TS_LEN + 8 + 8);
	logs_close(l);
	free(path);
	free(dir);
}

static void
test_file_modes(void **state)
{
	char *dir = new_dir("/a/b/c");
	struct logs_svc *l;
	struct stat st;

	(void)state;
	assert_false(exists(dir));
	l = open_svc(dir, "svc", 1 << 20, 2);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0750);
	assert_int_equal(stat(logs_path(l), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0640);
	logs_close(l);
	free(dir);
}

/* One line a feed, ~100 bytes each in the file. */
static void
feed_numbered(struct logs_svc *l, int from, int to)
{
	char line[128];

	for (int i = from; i < to; i++) {
		int n = snprintf(line, sizeof line,
		    "line %05d ......................................"
		    "...................\n", i);

		logs_feed(l, LOG_STREAM_STDOUT, line, (size_t)n, T0 + i);
	}
}

static int
first_number(const char *path)
{
	struct lines f = { 0 };
	int n;

	parse_file(path, &f);
	assert_true(f.n > 0);
	assert_int_equal(sscanf(f.v[0].text, "line %d", &n), 1);
	lines_free(&f);
	return n;
}

static void
test_rotate_keep2(void **state)
{
	char *dir = new_dir(NULL);
	struct logs_svc *l = open_svc(dir, "svc", 1000, 2);
	char *p1, *p2, *p3;
	struct lines all = { 0 };
	int next = 0;

	(void)state;
	p1 = xasprintf("%s.1", logs_path(l));
	p2 = xasprintf("%s.2", logs_path(l));
	p3 = xasprintf("%s.3", logs_path(l));
	feed_numbered(l, 0, 5);
	assert_false(exists(p1));
	feed_numbered(l, 5, 12);		/* past 1000 bytes */
	assert_true(exists(p1));
	assert_false(exists(p2));
	feed_numbered(l, 12, 100);
	assert_true(exists(p1));
	assert_true(exists(p2));
	assert_false(exists(p3));
	assert_true(file_size(logs_path(l)) <= 1000);
	assert_true(file_size(p1) <= 1000);
	assert_true(file_size(p2) <= 1000);
	/* .2, .1, NAME.log read in order are one unbroken run ending with
	 * the newest line */
	parse_file(p2, &all);
	parse_file(p1, &all);
	parse_file(logs_path(l), &all);
	assert_int_equal(sscanf(all.v[0].text, "line %d", &next), 1);
	for (size_t i = 0; i < all.n; i++) {
		int k;

		assert_int_equal(sscanf(all.v[i].text, "line %d", &k), 1);
		assert_int_equal(k, next + (int)i);
	}
	assert_int_equal(next + (int)all.n - 1, 99);
	assert_true(first_number(p1) < first_number(logs_path(l)));
	assert_int_equal(logs_write_errors(l), 0);
	logs_close(l);
	lines_free(&all);
	free(p1);
	free(p2);
	free(p3);
	free(dir);
}

static void
test_rotate_keep0(void **state)
{
	char *dir = new_dir(NULL);
	struct logs_svc *l = open_svc(dir, "svc", 1000, 0);
	struct lines f = { 0 };
	char *p1;

	(void)state;
	p1 = xasprintf("%s.1", logs_path(l));
	feed_numbered(l, 0, 55);
	assert_false(exists(p1));
	assert_true(file_size(logs_path(l)) <= 1000);
	parse_file(logs_path(l), &f);
	assert_true(f.n > 0);
	assert_non_null(strstr(f.v[f.n - 1].text, "line 00054"));
	/* what came before the last truncation is gone */
	assert_null(strstr(f.v[0].text, "line 00000"));
	logs_close(l);
	lines_free(&f);
	free(p1);
	free(dir);
}

/* A write larger than max_size goes in whole; the next one rotates. */
static void
test_rotate_big_write(void **state)
{
	char *dir = new_dir(NULL);
	struct logs_svc *l = open_svc(dir, "svc", 1000, 3);
	char *p1, big[3000];

	(void)state;
	p1 = xasprintf("%s.1", logs_path(l));
	memset(big, 'z', sizeof big);
	big[sizeof big - 1] = '\n';
	logs_feed(l, LOG_STREAM_STDOUT, big, sizeof big, T0);
	assert_false(exists(p1));
	assert_true(file_size(logs_path(l)) > 3000);
	feed_str(l, LOG_STREAM_STDOUT, "small\n", T0);
	assert_true(exists(p1));
	assert_true(file_size(p1) > 3000);
	assert_true(file_size(logs_path(l)) < 100);
	logs_close(l);
	free(p1);
	free(dir);
}

/* Lowering keep on a reload removes the files it no longer covers. */
static void
test_keep_lowered(void **state)
{
	char *dir = new_dir(NULL);
	struct logs_opts o = { .dir = dir, .name = "svc", .max_size = 1000,
		.keep = 4, .ring_lines = 10, .ring_bytes = 4096 };
	struct logs_svc *l = logs_open(&o, NULL, 0);
	char *p[5];

	(void)state;
	for (int i = 1; i <= 4; i++)
		p[i] = xasprintf("%s.%d", logs_path(l), i);
	feed_numbered(l, 0, 60);
	for (int i = 1; i <= 4; i++)
		assert_true(exists(p[i]));
	o.keep = 2;
	logs_reconfigure(l, &o);
	assert_true(exists(p[1]));
	assert_true(exists(p[2]));
	assert_false(exists(p[3]));
	assert_false(exists(p[4]));
	logs_close(l);
	for (int i = 1; i <= 4; i++)
		free(p[i]);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* failures */

static void
test_unwritable_dir(void **state)
{
	char *file = new_dir(NULL), *dir;
	struct logs_opts o = { .name = "svc", .max_size = 1 << 20, .keep = 2,
		.ring_lines = 100, .ring_bytes = 4096 };
	struct lines got = { 0 }, f = { 0 };
	struct logs_svc *l;
	char err[512], *errpath;
	int fd, saved;

	(void)state;
	/* A path under a regular file: fails even for root. */
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	dir = xasprintf("%s/sub/dir", file);
	o.dir = dir;
	l = logs_open(&o, err, sizeof err);
	assert_non_null(l);
	assert_non_null(strstr(err, "cannot create log directory"));
	assert_non_null(strstr(err, "Not a directory"));
	logs_set_listener(l, listener, &got);
	feed_str(l, LOG_STREAM_STDOUT, "one\ntwo\n", T0);
	feed_str(l, LOG_STREAM_STDERR, "three\n", T0 + 10000);	/* retries */
	logs_note(l, T0 + 20000, "--- note");
	assert_int_equal(got.n, 4);
	assert_int_equal(logring_count(logs_ring(l)), 4);
	assert_int_equal(logs_write_errors(l), 4);
	assert_non_null(strstr(logs_path(l), "/sub/dir/svc.log"));

	/* once the obstacle is gone, the next retry finds its way */
	assert_int_equal(unlink(file), 0);
	errpath = xasprintf("%s/stderr.txt", base);
	saved = capture_start(errpath);
	feed_str(l, LOG_STREAM_STDOUT, "not yet\n", T0 + 21000);
	feed_str(l, LOG_STREAM_STDOUT, "back\n", T0 + 30000);
	capture_stop(saved);
	assert_int_equal(logs_write_errors(l), 5);
	assert_int_equal(count_in_file(errpath, "writing again, 5 lines lost"),
	    1);
	parse_file(logs_path(l), &f);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].text, "back");
	logs_close(l);
	lines_free(&got);
	lines_free(&f);
	free(errpath);
	free(dir);
	free(file);
}

/* NAME.log that is a directory, a FIFO (which must fail at once, not
 * block), or a device: refused, ring-only. */
static void
test_bad_file(void **state)
{
	char *dir = new_dir(NULL), *p, err[512];
	struct logs_opts o = { .dir = dir, .max_size = 1 << 20, .keep = 2,
		.ring_lines = 10, .ring_bytes = 1024 };
	struct logs_svc *l;

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	p = xasprintf("%s/isdir.log", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/fifo.log", dir);
	assert_int_equal(mkfifo(p, 0644), 0);
	free(p);
	p = xasprintf("%s/null.log", dir);
	assert_int_equal(symlink("/dev/null", p), 0);
	free(p);

	o.name = "isdir";
	l = logs_open(&o, err, sizeof err);
	assert_non_null(strstr(err, "cannot open log file"));
	assert_non_null(strstr(err, "Is a directory"));
	logs_close(l);
	o.name = "fifo";
	l = logs_open(&o, err, sizeof err);
	assert_non_null(strstr(err, "cannot open log file"));
	feed_str(l, LOG_STREAM_STDOUT, "kept\n", T0);
	assert_int_equal(logring_count(logs_ring(l)), 1);
	logs_close(l);
	o.name = "null";
	l = logs_open(&o, err, sizeof err);
	assert_non_null(strstr(err, "not a regular file"));
	logs_close(l);
	free(dir);
}

/* A rotation that cannot move NAME.log aside (NAME.log.1 is a directory
 * with something in it) warns and keeps appending, trying again only
 * after another max_size bytes. */
static void
test_rotate_fails(void **state)
{
	char *dir = new_dir(NULL), *p1, *inner, *errpath;
	struct logs_svc *l = open_svc(dir, "svc", 1000, 1);
	struct lines f = { 0 };
	int saved;

	(void)state;
	p1 = xasprintf("%s.1", logs_path(l));
	inner = xasprintf("%s/x", p1);
	assert_int_equal(mkdir(p1, 0755), 0);
	assert_int_equal(mkdir(inner, 0755), 0);
	errpath = xasprintf("%s/stderr.txt", base);
	saved = capture_start(errpath);
	feed_numbered(l, 0, 35);
	capture_stop(saved);
	parse_file(logs_path(l), &f);
	assert_int_equal(f.n, 35);
	assert_int_equal(logs_write_errors(l), 0);
	/* at lines 10, 20 and 30, not at every line after 10 */
	assert_int_equal(count_in_file(errpath, "cannot rename"), 3);
	logs_close(l);
	assert_int_equal(rmdir(inner), 0);
	assert_int_equal(rmdir(p1), 0);
	lines_free(&f);
	free(p1);
	free(inner);
	free(errpath);
	free(dir);
}

/*
 * Write errors: RLIMIT_FSIZE (with SIGXFSZ ignored) makes write(2) fail
 * with EFBIG past a size, like a full disk would. Lines keep reaching the
 * ring and the listener, the file's losses are counted, and prodd warns
 * once for the streak, then once more only after it recovered and failed
 * again.
 */
static void
test_write_errors(void **state)
{
	char *dir = new_dir(NULL), *errpath;
	struct logs_svc *l = open_svc(dir, "svc", 1 << 20, 2);
	struct rlimit old, lim;
	struct sigaction ign = { .sa_handler = SIG_IGN }, oldsa;
	int saved;
	uint64_t errs;

	(void)state;
	errpath = xasprintf("%s/stderr.txt", base);
	saved = capture_start(errpath);
	sigaction(SIGXFSZ, &ign, &oldsa);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 2048;
	setrlimit(RLIMIT_FSIZE, &lim);

	feed_numbered(l, 0, 40);		/* ~4000 bytes: half fail */
	errs = logs_write_errors(l);

	setrlimit(RLIMIT_FSIZE, &old);
	sigaction(SIGXFSZ, &oldsa, NULL);
	feed_numbered(l, 40, 41);		/* recovers */
	capture_stop(saved);

	assert_true(errs >= 15 && errs <= 25);
	assert_int_equal(logs_write_errors(l), errs);
	assert_int_equal(logring_count(logs_ring(l)), 41);
	assert_true(file_size(logs_path(l)) <= 2048 + 120);
	assert_int_equal(count_in_file(errpath, "dropping lines"), 1);
	assert_int_equal(count_in_file(errpath, "writing again"), 1);
	logs_close(l);
	free(errpath);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* notes, listener, reconfigure */

static void
test_note_and_listener(void **state)
{
	char *dir = new_dir(NULL);
	struct logs_svc *l = open_svc(dir, "svc", 1 << 20, 2);
	struct lines got = { 0 }, ring = { 0 }, file = { 0 };

	(void)state;
	logs_note(l, T0, "before the listener");
	logs_set_listener(l, listener, &got);
	logs_note(l, T0 + 5, "--- started, pid 1234");
	feed_str(l, LOG_STREAM_STDOUT, "hi\n", T0 + 6);
	logs_note(l, T0 + 7, "two\nlines");
	logs_set_listener(l, NULL, NULL);
	logs_note(l, T0 + 8, "after");
	assert_int_equal(got.n, 4);
	assert_string_equal(got.v[0].text, "--- started, pid 1234");
	assert_int_equal(got.v[0].stream, LOG_STREAM_STDERR);
	assert_int_equal(got.v[0].ts, T0 + 5);
	assert_string_equal(got.v[1].text, "hi");
	assert_int_equal(got.v[1].stream, LOG_STREAM_STDOUT);
	assert_string_equal(got.v[2].text, "two");
	assert_string_equal(got.v[3].text, "lines");
	ring_lines(l, &ring);
	assert_int_equal(ring.n, 6);
	assert_string_equal(ring.v[1].text, "--- started, pid 1234");
	assert_int_equal(ring.v[1].stream, LOG_STREAM_STDERR);
	assert_int_equal(ring.v[1].ts, T0 + 5);
	parse_file(logs_path(l), &file);
	assert_int_equal(file.n, 6);
	assert_string_equal(file.v[1].text, "--- started, pid 1234");
	assert_int_equal(file.v[1].stream, LOG_STREAM_STDERR);
	assert_string_equal(file.v[5].text, "after");
	logs_close(l);
	lines_free(&got);
	lines_free(&ring);
	lines_free(&file);
	free(dir);
}

static void
test_reconfigure(void **state)
{
	char *d1 = new_dir(NULL), *d2 = new_dir("/nested/deeper");
	struct logs_opts o = { .dir = d1, .name = "svc", .max_size = 1 << 20,
		.keep = 2, .ring_lines = 100, .ring_bytes = 4096 };
	struct logs_svc *l = logs_open(&o, NULL, 0);
	struct lines f1 = { 0 }, f2 = { 0 };
	char *old = xstrdup(logs_path(l)), *errpath, *bad;
	int saved;

	(void)state;
	feed_str(l, LOG_STREAM_STDOUT, "one\ntwo\nthree\n", T0);
	feed_str(l, LOG_STREAM_STDOUT, "partial ", T0);
	o.dir = d2;
	o.name = "renamed";
	o.ring_lines = 2;
	logs_reconfigure(l, &o);
	assert_int_equal(logring_count(logs_ring(l)), 2);
	assert_non_null(strstr(logs_path(l), "/nested/deeper/renamed.log"));
	feed_str(l, LOG_STREAM_STDOUT, "line\nfour\n", T0 + 1);
	parse_file(old, &f1);
	parse_file(logs_path(l), &f2);
	assert_int_equal(f1.n, 3);
	assert_int_equal(f2.n, 2);
	assert_string_equal(f2.v[0].text, "partial line");
	assert_string_equal(f2.v[1].text, "four");
	assert_int_equal(logring_count(logs_ring(l)), 2);

	/* same path: bounds only, the file stays open */
	o.ring_lines = 100;
	o.max_size = 4096;
	logs_reconfigure(l, &o);
	feed_str(l, LOG_STREAM_STDOUT, "five\n", T0 + 2);
	lines_free(&f2);
	parse_file(logs_path(l), &f2);
	assert_int_equal(f2.n, 3);
	assert_int_equal(logs_write_errors(l), 0);

	/* to a path that cannot work: one warning, ring-only; back again:
	 * writing resumes */
	errpath = xasprintf("%s/stderr.txt", base);
	bad = xasprintf("%s/svc.log/sub", d1);	/* under a regular file */
	saved = capture_start(errpath);
	o.dir = bad;
	logs_reconfigure(l, &o);
	feed_str(l, LOG_STREAM_STDOUT, "lost\n", T0 + 3);
	o.dir = d2;
	logs_reconfigure(l, &o);
	feed_str(l, LOG_STREAM_STDOUT, "six\n", T0 + 4);
	capture_stop(saved);
	assert_int_equal(count_in_file(errpath,
	    "keeping lines in memory only"), 1);
	assert_int_equal(logs_write_errors(l), 1);
	assert_int_equal(logring_count(logs_ring(l)), 5);
	lines_free(&f2);
	parse_file(logs_path(l), &f2);
	assert_int_equal(f2.n, 4);
	assert_string_equal(f2.v[3].text, "six");

	logs_close(l);
	logs_close(NULL);
	lines_free(&f1);
	lines_free(&f2);
	free(errpath);
	free(bad);
	free(old);
	free(d1);
	free(d2);
}

/* ------------------------------------------------------------------ */
/* throughput */

static bool
slow_build(void)
{
	const char *pre = getenv("LD_PRELOAD"), *vg = getenv("VALGRIND");

#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
	return true;
#endif
	return (pre != NULL && strstr(pre, "vgpreload") != NULL) ||
	    (vg != NULL && *vg != '\0');
}

/*
 * 50 MB of 100-byte lines in 64 KiB reads, the clock moving by 1 ms a read
 * (about what 50 MB/s looks like), through a ring of 1000 lines and a file
 * rotated at 16 MiB. Prints MB/s; asserts only a generous floor, and only
 * on an optimised build outside valgrind and the sanitizers (where it
 * feeds 5 MB and just reports).
 */
static void
test_throughput(void **state)
{
	const size_t chunk = 64 * 1024;
	bool slow = slow_build();
	size_t total = slow ? 5u * 1000 * 1000 : 50u * 1000 * 1000;
	char *dir = new_dir(NULL), *buf;
	struct logs_svc *l = open_svc(dir, "hot", 16 << 20, 1);
	struct timespec a, b;
	size_t done = 0, lines = 0;
	int64_t now = T0;
	double secs, mbs;

	(void)state;
	/* A repeating pattern of 100-byte lines, offset so that reads end
	 * mid-line as they do for real. */
	buf = xmalloc(chunk + 100);
	for (size_t i = 0; i < chunk + 100; i++)
		buf[i] = i % 100 == 99 ? '\n' : (char)('a' + i % 26);
	clock_gettime(CLOCK_MONOTONIC, &a);
	while (done < total) {
		size_t off = done % 100;

		logs_feed(l, LOG_STREAM_STDOUT, buf + off, chunk, now++);
		done += chunk;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	mbs = (double)done / 1e6 / (secs > 0 ? secs : 1e-9);
	lines = done / 100;
	print_message("logs throughput: %.1f MB in %.3f s = %.0f MB/s, "
	    "%.2f M lines/s%s\n", (double)done / 1e6, secs, mbs,
	    (double)lines / 1e6 / (secs > 0 ? secs : 1e-9),
	    slow ? " (instrumented build: not checked)" : "");
	assert_int_equal(logs_write_errors(l), 0);
	assert_int_equal(logring_count(logs_ring(l)), 1000);
	assert_int_equal(logring_next_seq(logs_ring(l)), lines + 1);
	if (!slow)
		assert_true(mbs > 100);
	logs_close(l);
	free(buf);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_lines),
		cmocka_unit_test(test_crlf_and_empty),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_many_empty_lines),
		cmocka_unit_test(test_streams_interleaved),
		cmocka_unit_test(test_file_format),
		cmocka_unit_test(test_file_modes),
		cmocka_unit_test(test_rotate_keep2),
		cmocka_unit_test(test_rotate_keep0),
		cmocka_unit_test(test_rotate_big_write),
		cmocka_unit_test(test_keep_lowered),
		cmocka_unit_test(test_unwritable_dir),
		cmocka_unit_test(test_bad_file),
		cmocka_unit_test(test_rotate_fails),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_note_and_listener),
		cmocka_unit_test(test_reconfigure),
		cmocka_unit_test(test_throughput),
	};

	return cmocka_run_group_tests_name("logs", tests, setup_base,
	    teardown_base);
}
