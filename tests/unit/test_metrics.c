/*
 * Metrics as numbers (src/core/metrics.c): history rings, counter rates,
 * CPU ticks of processes that come and go, the memory_limit streak, and
 * the host's JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "prodd/metrics.h"
#include "prodd/view.h"

static void
test_ring(void **state)
{
	struct mring r;

	(void)state;
	mring_init(&r, 4);
	assert_int_equal(r.n, 0);
	for (int i = 1; i <= 6; i++)
		mring_push(&r, (float)i);
	assert_int_equal(r.n, 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_true(mring_at(&r, i) == (float)(i + 3));	/* 3 4 5 6 */
	mring_resize(&r, 2);	/* keeps the newest */
	assert_int_equal(r.n, 2);
	assert_true(mring_at(&r, 0) == 5 && mring_at(&r, 1) == 6);
	mring_resize(&r, 5);
	mring_push(&r, 7);
	assert_int_equal(r.n, 3);
	assert_true(mring_at(&r, 0) == 5 && mring_at(&r, 2) == 7);
	mring_free(&r);
	mring_push(&r, 1);	/* freed: a no-op, not a crash */
}

/* History values in 16 bits: what a chart or an API client reads back is
 * within 0.05 % of what was sampled, across the range of every series. */
static void
test_ring_values(void **state)
{
	uint16_t prev = 0;
	float big = 1e14f, x;

	(void)state;
	for (int i = 0; i <= 2048; i++)	/* percentages, counts: exact */
		assert_true(mring_decode(mring_encode((float)i)) == (float)i);
	/* 1e-4 .. 1e14 (a load of 0.0001 to 90 TiB), a step of 0.1 % */
	for (x = 1e-4f; x < big; x *= 1.001f) {
		float y = mring_decode(mring_encode(x));
		uint16_t c = mring_encode(x);

		assert_true(y >= x * (1 - 1.0f / 2048) &&
		    y <= x * (1 + 1.0f / 2048));
		assert_true(c >= prev);	/* order is kept */
		prev = c;
	}
	assert_true(mring_decode(mring_encode(33.3f)) > 33.28f &&
	    mring_decode(mring_encode(33.3f)) < 33.32f);
	/* 64 GiB of RSS, in bytes */
	assert_true(mring_decode(mring_encode(68719476736.0f)) ==
	    68719476736.0f);
	/* what cannot be kept: tiny is 0, negative and NaN are 0, huge and
	 * infinite are the largest value, never a wrap to something small */
	assert_int_equal(mring_encode(1e-6f), 0);
	assert_int_equal(mring_encode(-5.0f), 0);
	assert_int_equal(mring_encode(__builtin_nanf("")), 0);
	assert_int_equal(mring_encode(1e30f), 0xffff);
	assert_int_equal(mring_encode(__builtin_inff()), 0xffff);
	assert_true(mring_decode(0xffff) > 5e14f);
}

static void
test_rate(void **state)
{
	(void)state;
	assert_true(metrics_rate(1000, 3000, 500) == 4000);
	assert_true(metrics_rate(3000, 1000, 500) == 0);	/* reset */
	assert_true(metrics_rate(1000, 3000, 0) == 0);
	assert_true(metrics_rate(1000, 3000, -5) == 0);
	assert_true(metrics_rate(0, UINT64_MAX, 1000) > 0);
}

static void
test_tick_delta(void **state)
{
	(void)state;
	/* seen before, same process */
	assert_int_equal(metrics_tick_delta(true, 500, 100, 500, 130, 900), 30);
	/* counters never go back; if they seem to, nothing */
	assert_int_equal(metrics_tick_delta(true, 500, 130, 500, 100, 900), 0);
	/* the pid now belongs to a new process that began since the last
	 * sample: all its ticks */
	assert_int_equal(metrics_tick_delta(true, 500, 130, 950, 7, 900), 7);
	/* new and began since the last sample */
	assert_int_equal(metrics_tick_delta(false, 0, 0, 901, 12, 900), 12);
	/* new but old (found late, or prodd just started): nothing, not
	 * its whole life at once */
	assert_int_equal(metrics_tick_delta(false, 0, 0, 100, 5000, 900), 0);
}

static void
test_over_limit(void **state)
{
	int streak = 0;

	(void)state;
	assert_false(metrics_over_limit(&streak, 200, 100));
	assert_true(metrics_over_limit(&streak, 200, 100));	/* 2nd */
	assert_false(metrics_over_limit(&streak, 200, 100));	/* once */
	assert_false(metrics_over_limit(&streak, 50, 100));
	assert_int_equal(streak, 0);
	assert_false(metrics_over_limit(&streak, 200, 100));
	assert_false(metrics_over_limit(&streak, 100, 100));	/* not over */
	assert_false(metrics_over_limit(&streak, 200, 100));
	assert_false(metrics_over_limit(&streak, 1 << 30, 0));	/* no limit */
	assert_int_equal(streak, 0);
}

static void
test_svc(void **state)
{
	struct metrics_svc m;

	(void)state;
	metrics_svc_init(&m, 3);
	assert_false(m.valid);
	assert_int_equal(m.fds, -1);
	m.valid = true;
	m.rss = 5;
	m.over_limit = 1;
	mring_push(&m.cpu, 1);
	metrics_svc_clear(&m);
	assert_false(m.valid);
	assert_int_equal(m.rss, 0);
	assert_int_equal(m.over_limit, 0);
	assert_int_equal(m.cpu.n, 1);	/* the history stays */
	metrics_svc_free(&m);
}

static void
test_host_json(void **state)
{
	struct metrics_host *h = calloc(1, sizeof *h);
	struct metrics_net *n;
	cJSON *o, *hist;
	char *t;

	(void)state;
	metrics_host_init(h, 3);
	h->cpu_percent = 12.345;
	h->ncpus = 2;
	h->cpus[0] = 10;
	h->cpus[1] = 14.69;
	mring_init(&h->percpu[0], 3);
	mring_init(&h->percpu[1], 3);
	h->mem_total = 1000;
	h->mem_available = 400;
	h->mem_used = 600;
	n = metrics_host_net(h, "eth0");
	assert_non_null(n);
	assert_ptr_equal(metrics_host_net(h, "eth0"), n);
	n->rx_bps = 1500;
	for (int i = 0; i < 5; i++) {
		mring_push(&h->cpu, (float)i);
		mring_push(&n->rx, (float)(i * 10));
	}
	o = view_system_json(h, 1000, ~0u);
	assert_true(cJSON_GetObjectItem(o, "cpu_percent")->valuedouble ==
	    12.35);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "cpus")), 2);
	hist = cJSON_GetObjectItem(o, "history");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(hist, "cpu")),
	    3);
	assert_true(cJSON_GetArrayItem(cJSON_GetObjectItem(hist, "cpu"), 0)
	    ->valuedouble == 2);	/* 2 3 4: the newest three */
	t = cJSON_PrintUnformatted(cJSON_GetObjectItem(hist, "network"));
	assert_string_equal(t, "{\"eth0\":{\"rx_bps\":[20,30,40],"
	    "\"tx_bps\":[]}}");
	free(t);
	cJSON_Delete(o);
	o = view_system_json(h, 1000, 2);
	hist = cJSON_GetObjectItem(o, "history");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(hist, "cpu")),
	    2);
	cJSON_Delete(o);
	o = view_system_json(h, 1000, 0);
	assert_null(cJSON_GetObjectItem(o, "history"));
	cJSON_Delete(o);
	metrics_host_free(h);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_ring_values),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_tick_delta),
		cmocka_unit_test(test_over_limit),
		cmocka_unit_test(test_svc),
		cmocka_unit_test(test_host_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
