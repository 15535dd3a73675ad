/*
 * core/analyze: the span of the last start, the critical chain (walked
 * back from the service ready last along the dependency each waited for;
 * ties, missing or not-ready dependencies, a service that waited for
 * nothing, a loop in bad input), the timeline's order; and the JSON of
 * GET /api/analyze (offsets, nulls, the chain) and of an exit's last
 * lines (the event ring keeps them by reference and lets go on eviction,
 * and they are bounded) and of a service's last exits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/analyze.h"
#include "prodd/events.h"
#include "prodd/logring.h"
#include "prodd/view.h"

#define T0 1700000000000LL

/* Three waves: db; slow and fast after db; api after both. */
static void
three_waves(struct analyze_svc *v)
{
	memset(v, 0, 4 * sizeof *v);
	v[0] = (struct analyze_svc){ "db", "running", T0, 0, T0 + 5,
		T0 + 300, NULL };
	v[1] = (struct analyze_svc){ "fast", "running", T0, T0 + 300,
		T0 + 301, T0 + 400, "db" };
	v[2] = (struct analyze_svc){ "slow", "running", T0, T0 + 300,
		T0 + 301, T0 + 1300, "db" };
	v[3] = (struct analyze_svc){ "api", "running", T0, T0 + 1300,
		T0 + 1301, T0 + 1400, "slow" };
}

static void
test_chain_three_waves(void **state)
{
	struct analyze_svc v[4];
	size_t chain[4];
	struct analyze_result r = { .chain = chain };

	(void)state;
	three_waves(v);
	analyze_run(v, 4, &r);
	assert_int_equal(r.origin_ms, T0);
	assert_int_equal(r.end_ms, T0 + 1400);
	assert_int_equal(r.last, 3);
	assert_int_equal(r.nchain, 3);
	assert_int_equal(chain[0], 3);	/* api */
	assert_int_equal(chain[1], 2);	/* slow, not fast */
	assert_int_equal(chain[2], 0);	/* db */
}

static void
test_chain_other_branch(void **state)
{
	struct analyze_svc v[4];
	size_t chain[4];
	struct analyze_result r = { .chain = chain };

	(void)state;
	three_waves(v);
	/* now fast is the slow one, and api waited for it */
	v[1].ready_ms = T0 + 2000;
	v[3].deps_met_ms = T0 + 2000;
	v[3].spawned_ms = T0 + 2001;
	v[3].ready_ms = T0 + 2100;
	v[3].waited_for = "fast";
	analyze_run(v, 4, &r);
	assert_int_equal(r.nchain, 3);
	assert_string_equal(v[chain[1]].name, "fast");
}

static void
test_chain_ends(void **state)
{
	struct analyze_svc v[4];
	size_t chain[4];
	struct analyze_result r = { .chain = chain };

	(void)state;
	three_waves(v);
	/* a dependency that is not ready (or unknown) ends the chain */
	v[2].ready_ms = 0;
	v[3].waited_for = "slow";
	analyze_run(v, 4, &r);
	assert_int_equal(r.last, 3);
	assert_int_equal(r.nchain, 1);
	v[3].waited_for = "nosuch";
	analyze_run(v, 4, &r);
	assert_int_equal(r.nchain, 1);
	/* waited for nothing: the chain is the service alone */
	v[3].waited_for = "";
	analyze_run(v, 4, &r);
	assert_int_equal(r.nchain, 1);
	/* a dependency ready after the dependent (another start since)
	 * did not hold it up */
	three_waves(v);
	v[2].ready_ms = T0 + 5000;
	v[3].ready_ms = T0 + 1400;
	analyze_run(v, 4, &r);
	assert_int_equal(r.last, 2);
	assert_int_equal(r.nchain, 2);	/* slow, db */
}

static void
test_chain_loop_and_empty(void **state)
{
	struct analyze_svc v[2] = {
		{ "a", "running", T0, 0, T0 + 1, T0 + 10, "b" },
		{ "b", "running", T0, 0, T0 + 1, T0 + 10, "a" },
	};
	size_t chain[2];
	struct analyze_result r = { .chain = chain };

	(void)state;
	analyze_run(v, 2, &r);
	/* a tie goes to the first; the loop stops at a service seen */
	assert_int_equal(r.last, 0);
	assert_int_equal(r.nchain, 2);
	analyze_run(v, 0, &r);
	assert_int_equal(r.last, -1);
	assert_int_equal(r.nchain, 0);
	assert_int_equal(r.origin_ms, 0);
	v[0].ready_ms = v[1].ready_ms = 0;
	analyze_run(v, 2, &r);
	assert_int_equal(r.last, -1);
	assert_int_equal(r.origin_ms, T0);
}

static void
test_order(void **state)
{
	struct analyze_svc v[4];
	size_t order[4];

	(void)state;
	three_waves(v);
	v[0].wanted_ms = 0;	/* never started: last */
	v[0].spawned_ms = v[0].ready_ms = 0;
	analyze_order(v, 4, order);
	assert_string_equal(v[order[0]].name, "fast");
	assert_string_equal(v[order[1]].name, "slow");
	assert_string_equal(v[order[2]].name, "api");
	assert_string_equal(v[order[3]].name, "db");
}

static void
test_json(void **state)
{
	struct analyze_svc v[4];
	size_t chain[4], order[4];
	struct analyze_result r = { .chain = chain };
	cJSON *o, *s, *w, *c;

	(void)state;
	three_waves(v);
	v[1].ready_ms = 0;	/* fast not ready yet */
	analyze_run(v, 4, &r);
	analyze_order(v, 4, order);
	o = view_analyze_json(v, 4, &r, order);
	assert_int_equal(cJSON_GetObjectItem(o, "total_ms")->valuedouble,
	    1400);
	assert_string_equal(cJSON_GetObjectItem(o, "last")->valuestring,
	    "api");
	/* db, slow, then fast (spawned with slow, not ready), api */
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "services"), 2);
	assert_string_equal(cJSON_GetObjectItem(s, "name")->valuestring,
	    "fast");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(s, "ready_ms")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(s, "start_ms")));
	assert_int_equal(cJSON_GetObjectItem(s, "spawned_ms")->valuedouble,
	    301);
	w = cJSON_GetObjectItem(s, "waited_for");
	assert_string_equal(cJSON_GetObjectItem(w, "name")->valuestring, "db");
	assert_int_equal(cJSON_GetObjectItem(w, "until_ms")->valuedouble, 300);
	s = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "services"), 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(s, "waited_for")));
	c = cJSON_GetObjectItem(o, "critical_chain");
	assert_int_equal(cJSON_GetArraySize(c), 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(c, 1),
	    "name")->valuestring, "slow");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(c, 1),
	    "start_ms")->valuedouble, 999);
	cJSON_Delete(o);
}

static void
add_cb(uint64_t seq, int64_t ts, int stream, const char *line, size_t len,
    void *arg)
{
	(void)seq;
	event_lines_add(arg, ts, stream, line, len);
}

static void
test_last_lines(void **state)
{
	struct logring *ring = logring_new(100, 1 << 20);
	struct events ev;
	struct event e;
	struct event_lines *l;
	uint64_t from;
	char buf[32];
	cJSON *o, *a;

	(void)state;
	events_init(&ev, 2);
	logring_push(ring, T0, LOG_STREAM_STDOUT, "old instance", 12);
	from = logring_next_seq(ring);
	for (int i = 1; i <= 30; i++) {
		int n = snprintf(buf, sizeof buf, "line %d", i);

		logring_push(ring, T0 + i, i == 30 ? LOG_STREAM_STDERR :
		    LOG_STREAM_STDOUT, buf, (size_t)n);
	}
	l = event_lines_new();
	logring_since_last(ring, from, EVENT_LAST_LINES, add_cb, l);
	assert_int_equal(l->n, EVENT_LAST_LINES);
	event_clear(&e);
	e.kind = EVENT_EXIT;
	e.lines = l;
	o = view_event_json(events_push(&ev, &e));
	a = cJSON_GetObjectItem(o, "last_lines");
	assert_int_equal(cJSON_GetArraySize(a), 20);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0),
	    "line")->valuestring, "\"line 11\"");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 19),
	    "stream")->valuestring, "stderr");
	cJSON_Delete(o);
	/* fewer lines than 20: only this instance's */
	event_lines_unref(l);
	l = event_lines_new();
	logring_since_last(ring, logring_next_seq(ring) - 3, EVENT_LAST_LINES,
	    add_cb, l);
	assert_int_equal(l->n, 3);
	assert_memory_equal(l->text + l->line[0].off, "line 28", 7);
	event_lines_unref(l);
	/* the ring lets go of its reference when the event falls off */
	event_clear(&e);
	events_push(&ev, &e);
	events_push(&ev, &e);	/* evicts the exit: freed (ASan/valgrind) */
	/* an event without lines renders an empty list for an exit */
	e.kind = EVENT_EXIT;
	o = view_event_json(&e);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o,
	    "last_lines")), 0);
	cJSON_Delete(o);
	events_free(&ev);
	logring_free(ring);
}

static void
test_lines_long(void **state)
{
	struct event_lines *l = event_lines_new();
	char big[5000];

	(void)state;
	memset(big, 'x', sizeof big);
	for (int i = 0; i < 100; i++) {
		big[0] = (char)('a' + i % 26);
		event_lines_add(l, T0 + i, LOG_STREAM_STDOUT, big,
		    (size_t)(i % 7) * 700);
	}
	/* lines cut to EVENT_LINE_MAX; the newest kept within
	 * EVENT_LINES_MAX_BYTES, in order, each with its own text */
	{
		size_t bytes = 0, k = 100;

		assert_true(l->n > 0 && l->n <= EVENT_LAST_LINES);
		for (size_t i = l->n; i-- > 0;) {
			size_t want = (k - 1) % 7 * 700;

			k--;
			if (want > EVENT_LINE_MAX)
				want = EVENT_LINE_MAX;
			assert_int_equal(l->line[i].ts_ms, T0 + (int64_t)k);
			assert_int_equal(l->line[i].len, want);
			if (want > 0)
				assert_int_equal(l->text[l->line[i].off],
				    'a' + k % 26);
			bytes += want;
		}
		assert_true(bytes <= EVENT_LINES_MAX_BYTES);
		assert_int_equal(bytes, l->bytes);
		/* and one more line would not have fitted */
		assert_true(bytes + (k - 1) % 7 * 700 > EVENT_LINES_MAX_BYTES ||
		    l->n == EVENT_LAST_LINES);
	}
	/* the buffer stays bounded too */
	assert_true(l->cap <= 4 * EVENT_LINES_MAX_BYTES);
	event_lines_unref(l);
	/* one line longer than the bound stays, cut */
	l = event_lines_new();
	event_lines_add(l, T0, LOG_STREAM_STDOUT, big, sizeof big);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->line[0].len, EVENT_LINE_MAX);
	event_lines_unref(l);
}

static void
test_service_last_exits(void **state)
{
	struct event_lines *l = event_lines_new();
	struct view_exit x[2] = {
		{ T0 + 2000, 42, -1, 9, "pid 42 killed by signal 9", NULL },
		{ T0 + 1000, 41, 3, 0, "pid 41 exited with code 3", l },
	};
	struct view_service v;
	cJSON *o, *a, *e;

	(void)state;
	event_lines_add(l, T0 + 999, LOG_STREAM_STDERR, "Traceback", 9);
	memset(&v, 0, sizeof v);
	v.name = "rag";
	v.type = "process";
	v.state = FSM_FAILED;
	/* the list: no last_exits */
	o = view_service_json(&v);
	assert_null(cJSON_GetObjectItem(o, "last_exits"));
	cJSON_Delete(o);
	v.exits = x;
	v.nexits = 2;
	o = view_service_json(&v);
	a = cJSON_GetObjectItem(o, "last_exits");
	assert_int_equal(cJSON_GetArraySize(a), 2);
	e = cJSON_GetArrayItem(a, 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "code")));
	assert_int_equal(cJSON_GetObjectItem(e, "signal")->valuedouble, 9);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(e,
	    "last_lines")), 0);
	e = cJSON_GetArrayItem(a, 1);
	assert_int_equal(cJSON_GetObjectItem(e, "code")->valuedouble, 3);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "signal")));
	assert_int_equal(cJSON_GetObjectItem(e, "pid")->valuedouble, 41);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(e, "last_lines"), 0), "line")->valuestring,
	    "\"Traceback\"");
	cJSON_Delete(o);
	event_lines_unref(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_three_waves),
		cmocka_unit_test(test_chain_other_branch),
		cmocka_unit_test(test_chain_ends),
		cmocka_unit_test(test_chain_loop_and_empty),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_last_lines),
		cmocka_unit_test(test_lines_long),
		cmocka_unit_test(test_service_last_exits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
