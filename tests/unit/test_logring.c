/*
 * Unit tests of the output-line ring: order and sequence numbers, eviction
 * by lines and by bytes, truncation, bounds of 0, shrinking the bounds, the
 * stream filter, lines wrapping around the end of the text buffer, and the
 * memory the ring holds (nothing much while idle, never more than its
 * bounds allow), checked against a simple model under a long random run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/logring.h"
#include "prodd/xmalloc.h"

/* The fixed part of the ring's heap: its struct, with room to spare. */
#define RING_OVERHEAD 128

struct rec {
	uint64_t seq;
	int64_t ts;
	int stream;
	char *text;
	size_t len;
};

struct got {
	struct rec *v;
	size_t n, cap;
};

static void
got_fn(uint64_t seq, int64_t ts_ms, int stream, const char *line, size_t len,
    void *arg)
{
	struct got *g = arg;
	struct rec *r;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->v = xreallocarray(g->v, g->cap, sizeof *g->v);
	}
	r = &g->v[g->n++];
	r->seq = seq;
	r->ts = ts_ms;
	r->stream = stream;
	r->text = xmalloc(len + 1);
	memcpy(r->text, line, len);
	r->text[len] = '\0';
	r->len = len;
}

static void
got_reset(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].text);
	g->n = 0;
}

static void
got_free(struct got *g)
{
	got_reset(g);
	free(g->v);
	g->v = NULL;
	g->cap = 0;
}

static void
push_str(struct logring *r, int64_t ts, int stream, const char *s)
{
	logring_push(r, ts, stream, s, strlen(s));
}

static void
test_push_last_since(void **state)
{
	struct logring *r = logring_new(10, 1024);
	struct got g = { 0 };

	(void)state;
	assert_int_equal(logring_next_seq(r), 1);
	push_str(r, 100, LOG_STREAM_STDOUT, "alpha");
	push_str(r, 200, LOG_STREAM_STDERR, "beta");
	push_str(r, 300, LOG_STREAM_STDOUT, "");
	push_str(r, 400, LOG_STREAM_STDOUT, "delta");
	assert_int_equal(logring_count(r), 4);
	assert_int_equal(logring_bytes(r), 14);
	assert_int_equal(logring_next_seq(r), 5);

	logring_last(r, 2, 0, got_fn, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.v[0].seq, 3);
	assert_int_equal(g.v[0].len, 0);
	assert_int_equal(g.v[0].ts, 300);
	assert_int_equal(g.v[1].seq, 4);
	assert_string_equal(g.v[1].text, "delta");
	got_reset(&g);

	logring_last(r, 100, 0, got_fn, &g);
	assert_int_equal(g.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(g.v[i].seq, i + 1);
	assert_string_equal(g.v[0].text, "alpha");
	assert_int_equal(g.v[1].stream, LOG_STREAM_STDERR);
	assert_int_equal(g.v[1].ts, 200);
	got_reset(&g);

	logring_since(r, 2, got_fn, &g);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.v[0].seq, 2);
	assert_string_equal(g.v[0].text, "beta");
	got_reset(&g);
	logring_since(r, 0, got_fn, &g);
	assert_int_equal(g.n, 4);
	got_reset(&g);
	logring_since(r, 5, got_fn, &g);	/* nothing new yet */
	assert_int_equal(g.n, 0);
	logring_since(r, 1000, got_fn, &g);
	assert_int_equal(g.n, 0);
	logring_last(r, 0, 0, got_fn, &g);
	assert_int_equal(g.n, 0);

	got_free(&g);
	logring_free(r);
	logring_free(NULL);
}

static void
test_evict_lines(void **state)
{
	struct logring *r = logring_new(3, 1024);
	struct got g = { 0 };
	char line[16];

	(void)state;
	for (int i = 1; i <= 5; i++) {
		snprintf(line, sizeof line, "line %d", i);
		push_str(r, i, LOG_STREAM_STDOUT, line);
	}
	assert_int_equal(logring_count(r), 3);
	assert_int_equal(logring_bytes(r), 18);
	assert_int_equal(logring_next_seq(r), 6);
	logring_since(r, 1, got_fn, &g);	/* 1 and 2 are gone */
	assert_int_equal(g.n, 3);
	assert_int_equal(g.v[0].seq, 3);
	assert_string_equal(g.v[0].text, "line 3");
	assert_int_equal(g.v[2].seq, 5);
	assert_string_equal(g.v[2].text, "line 5");
	got_reset(&g);
	logring_since(r, 4, got_fn, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.v[0].seq, 4);
	got_free(&g);
	logring_free(r);
}

static void
test_evict_bytes(void **state)
{
	struct logring *r = logring_new(100, 10);
	struct got g = { 0 };

	(void)state;
	push_str(r, 1, LOG_STREAM_STDOUT, "aaaa");
	push_str(r, 2, LOG_STREAM_STDOUT, "bbbb");
	assert_int_equal(logring_bytes(r), 8);
	push_str(r, 3, LOG_STREAM_STDOUT, "cccc");	/* 12 > 10: a goes */
	assert_int_equal(logring_count(r), 2);
	assert_int_equal(logring_bytes(r), 8);
	logring_last(r, 10, 0, got_fn, &g);
	assert_string_equal(g.v[0].text, "bbbb");
	assert_int_equal(g.v[0].seq, 2);
	assert_string_equal(g.v[1].text, "cccc");
	got_reset(&g);

	push_str(r, 4, LOG_STREAM_STDOUT, "0123456789");	/* all of it */
	assert_int_equal(logring_count(r), 1);
	assert_int_equal(logring_bytes(r), 10);
	push_str(r, 5, LOG_STREAM_STDOUT, "");		/* empty lines fit */
	push_str(r, 6, LOG_STREAM_STDOUT, "");
	assert_int_equal(logring_count(r), 3);
	assert_int_equal(logring_bytes(r), 10);
	logring_since(r, 0, got_fn, &g);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.v[0].text, "0123456789");
	assert_int_equal(g.v[0].seq, 4);
	assert_int_equal(g.v[2].seq, 6);
	got_free(&g);
	logring_free(r);
}

/* A line that runs past the end of the circular text buffer comes back
 * whole. */
static void
test_wrapped_line(void **state)
{
	struct logring *r = logring_new(10, 16);
	struct got g = { 0 };

	(void)state;
	push_str(r, 1, LOG_STREAM_STDOUT, "aaaa");
	push_str(r, 2, LOG_STREAM_STDOUT, "bbbbbbbbbb");
	push_str(r, 3, LOG_STREAM_STDERR, "cccccc");	/* 14..16, 0..4 */
	assert_int_equal(logring_count(r), 2);
	assert_int_equal(logring_bytes(r), 16);
	logring_since(r, 0, got_fn, &g);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.v[0].text, "bbbbbbbbbb");
	assert_string_equal(g.v[1].text, "cccccc");
	assert_int_equal(g.v[1].stream, LOG_STREAM_STDERR);
	got_free(&g);
	assert_true(logring_memory(r) <= 16 + 10 * 16 + RING_OVERHEAD);
	logring_free(r);
}

static void
test_truncate(void **state)
{
	struct logring *r = logring_new(10, 8);
	struct got g = { 0 };

	(void)state;
	push_str(r, 1, LOG_STREAM_STDOUT, "short");
	push_str(r, 2, LOG_STREAM_STDOUT, "0123456789abcdef");
	assert_int_equal(logring_count(r), 1);
	assert_int_equal(logring_bytes(r), 8);
	assert_int_equal(logring_next_seq(r), 3);
	logring_last(r, 5, 0, got_fn, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].seq, 2);
	assert_int_equal(g.v[0].len, 8);
	assert_string_equal(g.v[0].text, "01234567");
	got_free(&g);
	logring_free(r);
}

static void
test_bounds_zero(void **state)
{
	struct logring *a = logring_new(0, 4096);
	struct logring *b = logring_new(100, 0);
	struct got g = { 0 };

	(void)state;
	for (int i = 0; i < 5; i++) {
		push_str(a, i, LOG_STREAM_STDOUT, "x");
		push_str(b, i, LOG_STREAM_STDOUT, "y");
	}
	push_str(b, 9, LOG_STREAM_STDOUT, "");
	assert_int_equal(logring_count(a), 0);
	assert_int_equal(logring_bytes(a), 0);
	assert_int_equal(logring_next_seq(a), 6);
	assert_int_equal(logring_count(b), 0);
	assert_int_equal(logring_next_seq(b), 7);
	logring_last(a, 10, 0, got_fn, &g);
	logring_since(b, 0, got_fn, &g);
	assert_int_equal(g.n, 0);
	assert_true(logring_memory(a) <= RING_OVERHEAD);
	assert_true(logring_memory(b) <= RING_OVERHEAD);
	logring_free(a);
	logring_free(b);
}

static void
test_set_bounds(void **state)
{
	struct logring *r = logring_new(100, 1000);
	struct got g = { 0 };
	char line[16];

	(void)state;
	for (int i = 1; i <= 50; i++) {
		snprintf(line, sizeof line, "line %02d", i);
		push_str(r, i, i % 2 ? LOG_STREAM_STDOUT : LOG_STREAM_STDERR,
		    line);
	}
	assert_int_equal(logring_count(r), 50);
	logring_set_bounds(r, 10, 1000);
	assert_int_equal(logring_count(r), 10);
	assert_true(logring_memory(r) <= 1000 + 10 * 16 + RING_OVERHEAD);
	logring_since(r, 0, got_fn, &g);
	assert_int_equal(g.v[0].seq, 41);
	assert_string_equal(g.v[0].text, "line 41");
	assert_string_equal(g.v[9].text, "line 50");
	got_reset(&g);

	logring_set_bounds(r, 10, 20);		/* 7 bytes a line: 2 fit */
	assert_int_equal(logring_count(r), 2);
	assert_int_equal(logring_bytes(r), 14);
	assert_true(logring_memory(r) <= 20 + 10 * 16 + RING_OVERHEAD);
	logring_since(r, 0, got_fn, &g);
	assert_int_equal(g.v[0].seq, 49);
	assert_string_equal(g.v[1].text, "line 50");
	got_reset(&g);

	logring_set_bounds(r, 0, 0);		/* nothing, and no memory */
	assert_int_equal(logring_count(r), 0);
	assert_int_equal(logring_bytes(r), 0);
	assert_true(logring_memory(r) <= RING_OVERHEAD);
	assert_int_equal(logring_next_seq(r), 51);

	logring_set_bounds(r, 5, 100);		/* and back */
	push_str(r, 51, LOG_STREAM_STDOUT, "again");
	logring_since(r, 0, got_fn, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].seq, 51);
	assert_string_equal(g.v[0].text, "again");
	got_free(&g);
	logring_free(r);
}

static void
test_stream_filter(void **state)
{
	struct logring *r = logring_new(100, 1000);
	struct got g = { 0 };
	char line[16];

	(void)state;
	for (int i = 1; i <= 10; i++) {
		snprintf(line, sizeof line, "%s %d", i % 3 ? "out" : "err", i);
		push_str(r, i, i % 3 ? LOG_STREAM_STDOUT : LOG_STREAM_STDERR,
		    line);
	}
	/* stderr: 3, 6, 9 */
	logring_last(r, 2, LOG_STREAM_STDERR, got_fn, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.v[0].seq, 6);
	assert_string_equal(g.v[0].text, "err 6");
	assert_int_equal(g.v[1].seq, 9);
	assert_int_equal(g.v[1].stream, LOG_STREAM_STDERR);
	got_reset(&g);
	logring_last(r, 100, LOG_STREAM_STDERR, got_fn, &g);
	assert_int_equal(g.n, 3);
	got_reset(&g);
	logring_last(r, 3, LOG_STREAM_STDOUT, got_fn, &g);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.v[0].seq, 7);
	assert_int_equal(g.v[1].seq, 8);
	assert_int_equal(g.v[2].seq, 10);
	got_reset(&g);
	logring_last(r, 3, 0, got_fn, &g);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.v[0].seq, 8);
	got_free(&g);
	logring_free(r);
}

/*
 * An idle ring costs its struct only: logring_memory says so, and so does
 * the allocator (mallinfo2; under ASan or valgrind it may report nothing,
 * which passes trivially, the logring_memory check still holds). 500 idle
 * rings stay far under 500 KiB.
 */
static void
test_idle_memory(void **state)
{
	struct logring *rings[500];
	struct mallinfo2 before, after;
	size_t total = 0;

	(void)state;
	before = mallinfo2();
	for (size_t i = 0; i < 500; i++) {
		rings[i] = logring_new(1000, 1 << 20);
		total += logring_memory(rings[i]);
		assert_int_equal(logring_bytes(rings[i]), 0);
	}
	after = mallinfo2();
	assert_true(total <= 500 * RING_OVERHEAD);
	if (after.uordblks > before.uordblks)
		assert_true(after.uordblks - before.uordblks <
		    500 * (RING_OVERHEAD + 32));
	/* One short line grows the text to a small buffer, not to max. */
	push_str(rings[0], 1, LOG_STREAM_STDOUT, "hello");
	assert_true(logring_memory(rings[0]) < 1024);
	for (size_t i = 0; i < 500; i++)
		logring_free(rings[i]);
}

/* The model: every line pushed; the ring must hold the newest suffix that
 * fits both bounds, each truncated to max_bytes. */
struct model {
	struct rec *v;
	size_t n;
};

static void
check_against_model(const struct logring *r, const struct model *m,
    size_t max_lines, size_t max_bytes)
{
	struct got g = { 0 };
	size_t keep = 0, bytes = 0;

	/* The model keeps the longest suffix within both bounds, except
	 * that eviction is by push order, so recompute what survived: walk
	 * back from the newest while it fits. */
	while (keep < m->n && keep < max_lines) {
		const struct rec *x = &m->v[m->n - 1 - keep];
		size_t len = x->len < max_bytes ? x->len : max_bytes;

		if (bytes + len > max_bytes)
			break;
		bytes += len;
		keep++;
	}
	assert_int_equal(logring_count(r), keep);
	assert_int_equal(logring_bytes(r), bytes);
	logring_since(r, 0, got_fn, &g);
	assert_int_equal(g.n, keep);
	for (size_t i = 0; i < keep; i++) {
		const struct rec *x = &m->v[m->n - keep + i];
		size_t len = x->len < max_bytes ? x->len : max_bytes;

		assert_int_equal(g.v[i].seq, x->seq);
		assert_int_equal(g.v[i].ts, x->ts);
		assert_int_equal(g.v[i].stream, x->stream);
		assert_int_equal(g.v[i].len, len);
		assert_memory_equal(g.v[i].text, x->text, len);
	}
	got_free(&g);
	assert_true(logring_memory(r) <=
	    max_bytes + max_lines * 16 + RING_OVERHEAD);
}

/*
 * Random lengths (0..300, now and then longer than the byte bound) through
 * a small ring, so lines wrap around the buffer end constantly; the kept
 * lines always match the model, and the heap never passes the bounds.
 * Eviction is exact when the bounds never shrink, so the suffix rule holds.
 */
static void
test_random_against_model(void **state)
{
	const size_t max_lines = 37, max_bytes = 2000;
	struct logring *r = logring_new(max_lines, max_bytes);
	struct model m = { 0 };
	uint32_t x = 12345;

	(void)state;
	m.v = xcalloc(3000, sizeof *m.v);
	for (size_t i = 0; i < 3000; i++) {
		struct rec *e = &m.v[m.n++];
		size_t len;

		x = x * 1103515245u + 12345u;
		len = (x >> 8) % 301;
		if ((x >> 20) % 97 == 0)
			len = 2500;
		e->seq = i + 1;
		e->ts = (int64_t)i * 7;
		e->stream = (x >> 4) & 1 ? LOG_STREAM_STDOUT : LOG_STREAM_STDERR;
		e->len = len;
		e->text = xmalloc(len + 1);
		for (size_t k = 0; k < len; k++)
			e->text[k] = (char)('a' + (i + k) % 26);
		logring_push(r, e->ts, e->stream, e->text, len);
		if (i % 50 == 0 || i > 2950)
			check_against_model(r, &m, max_lines, max_bytes);
	}
	assert_int_equal(logring_next_seq(r), 3001);
	for (size_t i = 0; i < m.n; i++)
		free(m.v[i].text);
	free(m.v);
	logring_free(r);
}

/* Shrinking the bounds mid-stream (with wrapped text) keeps the newest
 * lines and compacts the buffers; pushing on afterwards still works. */
static void
test_shrink_wrapped(void **state)
{
	struct logring *r = logring_new(64, 1024);
	struct got g = { 0 };
	char line[64];

	(void)state;
	for (int i = 0; i < 200; i++) {
		int n = snprintf(line, sizeof line, "%d-%.*s", i, i % 40,
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");

		logring_push(r, i, LOG_STREAM_STDOUT, line, (size_t)n);
	}
	logring_set_bounds(r, 64, 100);
	assert_true(logring_bytes(r) <= 100);
	assert_true(logring_memory(r) <= 100 + 64 * 16 + RING_OVERHEAD);
	logring_last(r, 1, 0, got_fn, &g);
	assert_int_equal(g.v[0].seq, 200);
	assert_memory_equal(g.v[0].text, "199-", 4);
	got_reset(&g);
	for (int i = 200; i < 260; i++) {
		int n = snprintf(line, sizeof line, "%d-%.*s", i, i % 30,
		    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");

		logring_push(r, i, LOG_STREAM_STDOUT, line, (size_t)n);
	}
	logring_since(r, 0, got_fn, &g);
	assert_true(g.n > 0);
	assert_int_equal(g.v[g.n - 1].seq, 260);
	for (size_t i = 0; i < g.n; i++) {
		char want[16];

		snprintf(want, sizeof want, "%d-",
		    (int)g.v[i].seq - 1);
		assert_memory_equal(g.v[i].text, want, strlen(want));
	}
	got_free(&g);
	logring_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_last_since),
		cmocka_unit_test(test_evict_lines),
		cmocka_unit_test(test_evict_bytes),
		cmocka_unit_test(test_wrapped_line),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_bounds_zero),
		cmocka_unit_test(test_set_bounds),
		cmocka_unit_test(test_stream_filter),
		cmocka_unit_test(test_idle_memory),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_shrink_wrapped),
	};

	return cmocka_run_group_tests_name("logring", tests, NULL, NULL);
}
