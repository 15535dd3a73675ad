/*
 * Unit tests of the JSON views: a service's shape (nulls where a value
 * does not apply, environment keys only), an event, an error, and prodd's
 * overall status from its services.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "prodd/view.h"

static struct view_service
svc(const char *name, enum fsm_state st)
{
	struct view_service s;

	memset(&s, 0, sizeof s);
	s.name = name;
	s.type = "process";
	s.state = st;
	s.want = FSM_WANT_UP;
	s.enabled = true;
	s.exit_code = -1;
	return s;
}

static char *
render(cJSON *o)
{
	char *t = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	return t;
}

static void
test_service_json(void **state)
{
	static const struct view_dep deps[] = { { "search", "healthy" } };
	static const char *const keys[] = { "SECRET", "MODE" };
	struct view_service s = svc("rag", FSM_RUNNING);
	cJSON *o;
	char *t;

	(void)state;
	s.pid = 4242;
	s.started_at_ms = 1795338001123LL;
	s.now_ms = s.started_at_ms + 312400;
	s.restarts = 2;
	s.has_exit = true;
	s.exit_code = 1;
	s.exit_at_ms = 1795337998010LL;
	s.deps = deps;
	s.ndeps = 1;
	s.port = 8001;
	s.env_keys = keys;
	s.nenv = 2;
	o = view_service_json(&s);
	assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring,
	    "running");
	assert_true(cJSON_GetObjectItem(o, "uptime_s")->valuedouble == 312.4);
	assert_string_equal(cJSON_GetObjectItem(o, "started_at")->valuestring,
	    "2026-11-22T09:00:01.123Z");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "last_exit"), "signal")));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "health"), "status")->valuestring, "none");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "metrics")));
	t = render(o);
	assert_non_null(strstr(t, "\"environment_keys\":[\"SECRET\",\"MODE\"]"));
	assert_non_null(strstr(t, "\"dependencies\":[{\"name\":\"search\","
	    "\"condition\":\"healthy\"}]"));
	free(t);

	/* stopped: no pid, no uptime, no start time, no port */
	s = svc("idle", FSM_STOPPED);
	s.started_at_ms = 1795338001123LL;
	t = render(view_service_json(&s));
	assert_non_null(strstr(t, "\"pid\":null"));
	assert_non_null(strstr(t, "\"uptime_s\":null"));
	assert_non_null(strstr(t, "\"started_at\":null"));
	assert_non_null(strstr(t, "\"port\":null"));
	assert_non_null(strstr(t, "\"last_exit\":null"));
	free(t);
	/* a check not run yet is "unknown" */
	s.health_kind = "url";
	t = render(view_service_json(&s));
	assert_non_null(strstr(t, "\"status\":\"unknown\",\"kind\":\"url\""));
	free(t);
}

/* a service with checks: the last result and the history, oldest first */
static void
test_health_json(void **state)
{
	struct view_service s = svc("rag", FSM_RUNNING);
	struct cfg_health c = { .kind = CFG_HEALTH_URL, .interval_ms = 1000,
		.timeout_ms = 500, .retries = 2 };
	struct health_state h;
	cJSON *o, *hj, *hist;

	(void)state;
	health_init(&h, &c);
	health_begin(&h, &c, 0, 0);
	health_result(&h, &c, 10, 1700000000000, true, 3.14159, NULL);
	health_result(&h, &c, 1010, 1700000001000, false, 500, "timeout after 500 ms");
	s.health_kind = "url";
	s.health = &h;
	o = view_service_json(&s);
	/* the list's form leaves the history out */
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "health"),
	    "history"));
	cJSON_Delete(o);
	s.detail = true;
	o = view_service_json(&s);
	hj = cJSON_GetObjectItem(o, "health");
	assert_string_equal(cJSON_GetObjectItem(hj, "status")->valuestring,
	    "healthy");
	assert_true(cJSON_GetObjectItem(hj, "last_latency_ms")->valuedouble == 500);
	assert_string_equal(cJSON_GetObjectItem(hj, "last_error")->valuestring,
	    "timeout after 500 ms");
	assert_string_equal(cJSON_GetObjectItem(hj, "last_check_at")->valuestring,
	    "2023-11-14T22:13:21.000Z");
	assert_int_equal(cJSON_GetObjectItem(hj, "failures")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(hj, "checks")->valueint, 2);
	hist = cJSON_GetObjectItem(hj, "history");
	assert_int_equal(cJSON_GetArraySize(hist), 2);
	assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(hist, 0),
	    "latency_ms")->valuedouble == 3.14);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(hist, 0),
	    "ok")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(hist, 1),
	    "ok")));
	cJSON_Delete(o);
	health_free(&h);
}

static void
test_status(void **state)
{
	struct view_counts c;
	struct view_service a = svc("a", FSM_RUNNING), b = svc("b",
	    FSM_RUNNING), off = svc("off", FSM_STOPPED);

	(void)state;
	off.enabled = false;
	off.want = FSM_WANT_DOWN;	/* disabled: never asked up */
	memset(&c, 0, sizeof c);
	view_count(&c, &a);
	view_count(&c, &b);
	view_count(&c, &off);
	assert_string_equal(view_status(&c), "healthy");
	assert_int_equal(c.total, 3);
	assert_int_equal(c.running, 2);
	b.state = FSM_BACKOFF;
	memset(&c, 0, sizeof c);
	view_count(&c, &a);
	view_count(&c, &b);
	assert_string_equal(view_status(&c), "degraded");
	b.state = FSM_FAILED;
	memset(&c, 0, sizeof c);
	view_count(&c, &a);
	view_count(&c, &b);
	assert_string_equal(view_status(&c), "unhealthy");
	/* stopped by hand does not count */
	b.state = FSM_STOPPED;
	b.want = FSM_WANT_DOWN;
	b.stopped_by_hand = true;
	memset(&c, 0, sizeof c);
	view_count(&c, &a);
	view_count(&c, &b);
	assert_string_equal(view_status(&c), "healthy");
}

static void
test_event_and_error(void **state)
{
	struct event e;
	char *t;

	(void)state;
	event_clear(&e);
	e.seq = 118;
	e.ts_ms = 1795337998012LL;
	e.kind = EVENT_STATE;
	strcpy(e.service, "rag");
	e.from = FSM_RUNNING;
	e.to = FSM_BACKOFF;
	e.pid = 4100;
	e.exit_code = 1;
	e.delay_ms = 2000;
	strcpy(e.reason, "exited with code 1");
	t = render(view_event_json(&e));
	assert_string_equal(t, "{\"seq\":118,\"ts\":\"2026-11-22T08:59:58.012Z\","
	    "\"service\":\"rag\",\"kind\":\"state\",\"from\":\"running\","
	    "\"to\":\"backoff\",\"reason\":\"exited with code 1\",\"pid\":4100,"
	    "\"exit_code\":1,\"signal\":null,\"delay_ms\":2000}");
	free(t);
	t = render(view_error_json("unknown service 'ragg'", "not_found"));
	assert_string_equal(t, "{\"error\":\"unknown service 'ragg'\","
	    "\"code\":\"not_found\"}");
	free(t);
}

/* A health event goes from one health status to another: "unknown" to
 * "healthy", never the lifecycle states that share their numbers. */
static void
test_health_event(void **state)
{
	struct event e;
	char *t;

	(void)state;
	event_clear(&e);
	e.seq = 7;
	e.ts_ms = 1795337998012LL;
	e.kind = EVENT_HEALTH;
	strcpy(e.service, "search");
	e.from = HEALTH_UNKNOWN;
	e.to = HEALTH_HEALTHY;
	e.pid = 4100;
	strcpy(e.reason, "healthy (url check passed in 3 ms)");
	t = render(view_event_json(&e));
	assert_string_equal(t, "{\"seq\":7,\"ts\":\"2026-11-22T08:59:58.012Z\","
	    "\"service\":\"search\",\"kind\":\"health\",\"from\":\"unknown\","
	    "\"to\":\"healthy\",\"reason\":\"healthy (url check passed in 3 ms)\","
	    "\"pid\":4100,\"exit_code\":null,\"signal\":null,\"delay_ms\":null}");
	free(t);
	e.from = HEALTH_HEALTHY;
	e.to = HEALTH_UNHEALTHY;
	t = render(view_event_json(&e));
	assert_non_null(strstr(t, "\"from\":\"healthy\",\"to\":\"unhealthy\""));
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_json),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_health_json),
		cmocka_unit_test(test_event_and_error),
		cmocka_unit_test(test_health_event),
	};

	return cmocka_run_group_tests_name("view", tests, NULL, NULL);
}
