/*
 * The health-check decisions (src/core/health.c): schedule, start_period,
 * retries, recovery, history.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "prodd/health.h"

static struct cfg_health
check(int64_t interval, int64_t timeout, int retries, int64_t start_period)
{
	struct cfg_health c;

	memset(&c, 0, sizeof c);
	c.kind = CFG_HEALTH_URL;
	c.interval_ms = interval;
	c.timeout_ms = timeout;
	c.retries = retries;
	c.start_period_ms = start_period;
	return c;
}

static void
test_init(void **state)
{
	struct cfg_health none, url = check(5000, 2000, 3, 30000);
	struct health_state h;

	(void)state;
	memset(&none, 0, sizeof none);
	health_init(&h, &none);
	assert_int_equal(h.status, HEALTH_NONE);
	health_init(&h, &url);
	assert_int_equal(h.status, HEALTH_UNKNOWN);
	assert_true(h.last_latency_ms < 0);
	assert_int_equal(h.nhist, 0);
	health_free(&h);
}

/* the first check comes early, then the grid spreads by phase */
static void
test_schedule(void **state)
{
	struct cfg_health c = check(5000, 2000, 3, 0);
	struct health_state h;

	(void)state;
	health_init(&h, &c);
	health_begin(&h, &c, 1000, 0.5);
	assert_int_equal(h.next_ms, 1000 + 250);	/* 0.5 x 500 ms */
	assert_int_equal(health_started(&h, &c, 1250), 0);
	assert_int_equal(h.next_ms, 1000 + 2500);	/* the anchor */
	assert_int_equal(health_started(&h, &c, 3500), 0);
	assert_int_equal(h.next_ms, 8500);
	/* a late start: the lateness, and no drift of the grid */
	assert_int_equal(health_started(&h, &c, 8800), 300);
	assert_int_equal(h.next_ms, 13500);
	/* several grid points missed: the next one after now */
	assert_int_equal(health_started(&h, &c, 26000), 26000 - 13500);
	assert_int_equal(h.next_ms, 28500);
	/* early (the timer fired a little soon): on time */
	assert_int_equal(health_started(&h, &c, 28499), 0);
	assert_int_equal(h.next_ms, 33500);
	/* an interval under the first spread: first check at the anchor */
	c = check(200, 100, 1, 0);
	health_begin(&h, &c, 0, 0.75);
	assert_int_equal(h.next_ms, 150);
	assert_int_equal(h.anchor_ms, 150);
	health_started(&h, &c, 150);
	assert_int_equal(h.next_ms, 350);
	health_free(&h);
}

static void
test_phase(void **state)
{
	int bins[10] = { 0 };
	char name[16];

	(void)state;
	assert_true(health_phase("search") == health_phase("search"));
	assert_true(health_phase("search") != health_phase("rag"));
	for (int i = 0; i < 500; i++) {
		double p;

		snprintf(name, sizeof name, "s%d", i);
		p = health_phase(name);
		assert_true(p >= 0 && p < 1);
		bins[(int)(p * 10)]++;
	}
	/* 500 services spread over the interval, not bunched */
	for (int i = 0; i < 10; i++)
		assert_in_range(bins[i], 25, 75);
}

/* a success makes it healthy at once, even inside start_period */
static void
test_first_success(void **state)
{
	struct cfg_health c = check(5000, 2000, 3, 30000);
	struct health_state h;

	(void)state;
	health_init(&h, &c);
	health_begin(&h, &c, 0, 0);
	assert_int_equal(health_result(&h, &c, 100, 1, false, 1, "HTTP 503"),
	    HEALTH_SAME);
	assert_int_equal(h.status, HEALTH_UNKNOWN);
	assert_int_equal(h.failures, 0);	/* not counted */
	assert_string_equal(h.last_error, "HTTP 503");
	assert_int_equal(health_result(&h, &c, 5000, 2, true, 2.5, NULL),
	    HEALTH_BECAME_HEALTHY);
	assert_int_equal(h.status, HEALTH_HEALTHY);
	assert_string_equal(h.last_error, "");
	assert_int_equal(health_result(&h, &c, 10000, 3, true, 2.5, NULL),
	    HEALTH_SAME);	/* one event per transition, not per check */
	assert_int_equal(h.checks, 3);
	assert_int_equal(h.failures_total, 1);
	health_free(&h);
}

/* never healthy: failures count once start_period is over */
static void
test_never_healthy(void **state)
{
	struct cfg_health c = check(5000, 2000, 3, 30000);
	struct health_state h;
	int64_t t, became = -1;

	(void)state;
	health_init(&h, &c);
	health_begin(&h, &c, 0, 0);
	for (t = 0; t <= 60000; t += 5000) {
		enum health_change ch = health_result(&h, &c, t, t, false, 1,
		    "connection refused");

		if (ch == HEALTH_BECAME_UNHEALTHY) {
			assert_int_equal(became, -1);	/* once */
			became = t;
		}
		if (t < 30000)
			assert_int_equal(h.failures, 0);
	}
	/* the failures at 30, 35 and 40 s are the three that count */
	assert_int_equal(became, 40000);
	assert_true(became <= c.start_period_ms +
	    c.retries * c.interval_ms);
	assert_int_equal(h.status, HEALTH_UNHEALTHY);
	health_free(&h);
}

/* healthy, then retries consecutive failures; a success in between resets */
static void
test_retries(void **state)
{
	struct cfg_health c = check(1000, 500, 3, 0);
	struct health_state h;

	(void)state;
	health_init(&h, &c);
	health_begin(&h, &c, 0, 0);
	assert_int_equal(health_result(&h, &c, 0, 0, true, 1, NULL),
	    HEALTH_BECAME_HEALTHY);
	assert_int_equal(health_result(&h, &c, 1000, 0, false, 1, "HTTP 500"),
	    HEALTH_SAME);
	assert_int_equal(health_result(&h, &c, 2000, 0, false, 1, "HTTP 500"),
	    HEALTH_SAME);
	assert_int_equal(h.failures, 2);
	assert_int_equal(health_result(&h, &c, 3000, 0, true, 1, NULL),
	    HEALTH_SAME);
	assert_int_equal(h.failures, 0);
	assert_int_equal(h.status, HEALTH_HEALTHY);
	assert_int_equal(health_result(&h, &c, 4000, 0, false, 1, "x"),
	    HEALTH_SAME);
	assert_int_equal(health_result(&h, &c, 5000, 0, false, 1, "x"),
	    HEALTH_SAME);
	assert_int_equal(health_result(&h, &c, 6000, 0, false, 500,
	    "timeout after 500 ms"), HEALTH_BECAME_UNHEALTHY);
	assert_int_equal(h.status, HEALTH_UNHEALTHY);
	/* still failing (on_unhealthy: ignore keeps checking): no new change */
	assert_int_equal(health_result(&h, &c, 7000, 0, false, 1, "x"),
	    HEALTH_SAME);
	assert_int_equal(h.failures, 4);
	/* and back */
	assert_int_equal(health_result(&h, &c, 8000, 0, true, 1, NULL),
	    HEALTH_BECAME_HEALTHY);
	/* retries 1: the first counted failure */
	c.retries = 1;
	assert_int_equal(health_result(&h, &c, 9000, 0, false, 1, "x"),
	    HEALTH_BECAME_UNHEALTHY);
	health_free(&h);
}

/* a new process starts over: unknown, no counted failures */
static void
test_begin_again(void **state)
{
	struct cfg_health c = check(1000, 500, 1, 0);
	struct health_state h;

	(void)state;
	health_init(&h, &c);
	health_begin(&h, &c, 0, 0);
	health_result(&h, &c, 0, 0, false, 1, "x");
	assert_int_equal(h.status, HEALTH_UNHEALTHY);
	health_begin(&h, &c, 5000, 0);
	assert_int_equal(h.status, HEALTH_UNKNOWN);
	assert_int_equal(h.failures, 0);
	assert_int_equal(h.checks, 1);	/* the record of the service stays */
	c.start_period_ms = 3000;
	health_begin(&h, &c, 10000, 0);
	/* its start period counts from this spawn, not the first one */
	assert_int_equal(health_result(&h, &c, 12000, 0, false, 1, "x"),
	    HEALTH_SAME);
	health_free(&h);
}

static void
test_history(void **state)
{
	struct cfg_health c = check(1000, 500, 3, 0);
	struct health_state h;

	(void)state;
	health_init(&h, &c);
	health_begin(&h, &c, 0, 0);
	for (int i = 0; i < HEALTH_HISTORY + 8; i++)
		health_result(&h, &c, i * 1000, i, i % 3 != 0, i, "x");
	assert_int_equal(h.nhist, HEALTH_HISTORY);
	for (size_t i = 0; i < h.nhist; i++) {
		const struct health_sample *s = health_sample_at(&h, i);

		assert_int_equal(s->at_ms, (int64_t)(i + 8));
		assert_true(s->latency_ms == (float)(i + 8));
		assert_int_equal(s->ok, (i + 8) % 3 != 0);
	}
	health_free(&h);
}

/*
 * The bound of the acceptance: with the defaults, a service whose health
 * turns bad at any moment -- failing fast or hanging until the timeout --
 * is unhealthy within interval x retries + timeout (+1 s of slack for the
 * restart itself, which is the shell's). Simulated on the grid for many
 * moments and phases.
 */
static void
test_defaults_bound(void **state)
{
	struct cfg_health c = check(5000, 2000, 3, 30000);

	(void)state;
	for (int hang = 0; hang < 2; hang++)
		for (int64_t bad = 31000; bad < 41000; bad += 370)
			for (double phase = 0; phase < 1; phase += 0.13) {
				struct health_state h;
				int64_t t, found = -1;

				health_init(&h, &c);
				health_begin(&h, &c, 0, phase);
				for (int n = 0; n < 100 && found < 0; n++) {
					int64_t end;
					bool ok;

					t = h.next_ms;
					health_started(&h, &c, t);
					ok = t < bad;
					end = ok || !hang ? t + 2 : t + c.timeout_ms;
					if (health_result(&h, &c, end, end, ok, 1,
					    "x") == HEALTH_BECAME_UNHEALTHY)
						found = end;
				}
				assert_true(found > 0);
				assert_true(found - bad <= c.interval_ms *
				    c.retries + c.timeout_ms);
				health_free(&h);
			}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_phase),
		cmocka_unit_test(test_first_success),
		cmocka_unit_test(test_never_healthy),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_begin_again),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_defaults_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
