/*
 * Unit tests of the JSON views: a service's shape (nulls where a value
 * does not apply, environment keys only), an event (a health event named
 * with health statuses), an error, prodd's overall status from its
 * services, a service's output line (NUL and invalid UTF-8 made valid),
 * the names of the host's series, the metrics history and the dashboard
 * snapshot.
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

/* An output line is valid UTF-8 whatever its bytes: an invalid byte is
 * U+FFFD, a NUL is \u0000 and the rest of the line is kept. */
static void
test_logline(void **state)
{
	static const char nul[] = "before\0after";
	static const char bad[] = "ok \xff\xfe \xc3\xa9 \xe2\x82 end";
	char *t;

	(void)state;
	t = render(view_logline_json(12, 1795337998012LL, LOG_STREAM_STDERR,
	    nul, sizeof nul - 1));
	assert_string_equal(t, "{\"seq\":12,\"ts\":\"2026-11-22T08:59:58.012Z\","
	    "\"stream\":\"stderr\",\"line\":\"before\\u0000after\"}");
	free(t);
	t = render(view_logline_json(13, 1795337998012LL, LOG_STREAM_STDOUT,
	    bad, sizeof bad - 1));
	assert_string_equal(t, "{\"seq\":13,\"ts\":\"2026-11-22T08:59:58.012Z\","
	    "\"stream\":\"stdout\",\"line\":\"ok \xef\xbf\xbd\xef\xbf\xbd "
	    "\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end\"}");
	free(t);
	/* a quote, a backslash and a tab, escaped */
	t = render(view_text("a\"b\\c\td", 7));
	assert_string_equal(t, "\"a\\\"b\\\\c\\td\"");
	free(t);
}

/* /logs: the last lines of a ring, of one stream or both, in one form. */
static void
test_logs(void **state)
{
	struct logring *r = logring_new(10, 4096);
	cJSON *o, *lines;
	char *t;

	(void)state;
	logring_push(r, 1000, LOG_STREAM_STDOUT, "one", 3);
	logring_push(r, 2000, LOG_STREAM_STDERR, "t\0o", 3);
	logring_push(r, 3000, LOG_STREAM_STDOUT, "three", 5);
	o = view_logs_json("web", r, 2, 0);
	lines = cJSON_GetObjectItem(o, "lines");
	assert_int_equal(cJSON_GetArraySize(lines), 2);
	t = render(o);
	assert_non_null(strstr(t, "\"service\":\"web\""));
	assert_non_null(strstr(t, "\"stream\":\"stderr\",\"line\":\"t\\u0000o\""));
	assert_null(strstr(t, "\"one\""));
	free(t);
	t = render(view_logs_json("web", r, 10, LOG_STREAM_STDERR));
	assert_null(strstr(t, "three"));
	assert_non_null(strstr(t, "\"seq\":2,"));
	free(t);
	logring_free(r);
}

static void
test_host_series(void **state)
{
	static struct metrics_host h;
	char bad[64] = "";
	cJSON *o;
	char *t;

	(void)state;
	metrics_host_init(&h, 4);
	h.ncpus = 2;
	h.nnets = 1;
	strcpy(h.nets[0].name, "eth0");
	h.ndisks = 1;
	strcpy(h.disks[0].path, "/");
	h.ts_ms = 1795337998012LL;
	mring_push(&h.cpu, 12.5f);
	mring_push(&h.cpu, 50.0f);
	assert_ptr_equal(view_host_series(&h, "cpu"), &h.cpu);
	assert_ptr_equal(view_host_series(&h, "load1"), &h.load);
	assert_ptr_equal(view_host_series(&h, "mem_used"), &h.mem_used_h);
	assert_ptr_equal(view_host_series(&h, "swap_used"), &h.swap_used_h);
	assert_ptr_equal(view_host_series(&h, "disk_read_bps"), &h.disk_read);
	assert_ptr_equal(view_host_series(&h, "disk_write_bps"),
	    &h.disk_write);
	assert_ptr_equal(view_host_series(&h, "cpu1"), &h.percpu[1]);
	assert_null(view_host_series(&h, "cpu2"));
	assert_null(view_host_series(&h, "cpu1x"));
	assert_ptr_equal(view_host_series(&h, "rx:eth0"), &h.nets[0].rx);
	assert_ptr_equal(view_host_series(&h, "tx:eth0"), &h.nets[0].tx);
	assert_null(view_host_series(&h, "rx:eth1"));
	assert_ptr_equal(view_host_series(&h, "disk:/"), &h.disks[0].used_pct);
	assert_null(view_host_series(&h, "disk:/var"));
	assert_null(view_host_series(&h, "mem"));

	t = render(view_history_json(NULL, NULL, &h, 1000, "cpu,load1", bad,
	    sizeof bad));
	assert_string_equal(t, "{\"service\":null,\"interval_ms\":1000,"
	    "\"end\":\"2026-11-22T08:59:58.012Z\",\"series\":{\"cpu\":[12.5,50],"
	    "\"load1\":[]}}");
	free(t);
	o = view_history_json(NULL, NULL, &h, 1000, "cpu,bogus,load1", bad,
	    sizeof bad);
	assert_null(o);
	assert_string_equal(bad, "bogus");
	metrics_host_free(&h);
}

static void
test_history_of_service(void **state)
{
	struct metrics_svc m;
	static struct metrics_host h;
	char bad[64] = "";
	char *t;

	(void)state;
	metrics_host_init(&h, 4);
	metrics_svc_init(&m, 4);
	mring_push(&m.cpu, 3.0f);
	mring_push(&m.mem, 2048.0f);
	t = render(view_history_json("web", &m, &h, 500, "rss,cpu", bad,
	    sizeof bad));
	assert_string_equal(t, "{\"service\":\"web\",\"interval_ms\":500,"
	    "\"end\":null,\"series\":{\"rss\":[2048],\"cpu\":[3]}}");
	free(t);
	/* a host series is not a service's */
	assert_null(view_history_json("web", &m, &h, 500, "load1", bad,
	    sizeof bad));
	assert_string_equal(bad, "load1");
	metrics_svc_free(&m);
	metrics_host_free(&h);
}

static const struct view_service *
snap_at(void *arg, size_t i)
{
	return &((const struct view_service *)arg)[i];
}

static void
test_daemon_and_snapshot(void **state)
{
	struct view_self me = { .rss = 4096, .cpu_percent = 1.234,
		.loop_lag_ms = 0.5, .loop_lag_max_ms = 2.0,
		.sample_cpu_us = 80.7, .sample_cpu_us_median = 70.2,
		.samples = 9 };
	struct view_daemon d = { .version = "1.2.3", .api_version = 1,
		.now_ms = 1795337998012LL, .started_ms = 1795337988012LL,
		.pid = 42, .self = &me };
	struct view_service sv[2];
	struct view_snapshot snap = { 0 };
	struct metrics_svc m;
	struct events ev;
	struct event e;
	cJSON *o, *a;
	char *t;

	(void)state;
	sv[0] = svc("a", FSM_RUNNING);
	sv[1] = svc("b", FSM_FAILED);
	view_count(&d.counts, &sv[0]);
	view_count(&d.counts, &sv[1]);
	t = render(view_daemon_json(&d));
	assert_string_equal(t, "{\"status\":\"unhealthy\",\"version\":\"1.2.3\","
	    "\"api_version\":1,\"uptime_s\":10,\"pid\":42,\"started_at\":"
	    "\"2026-11-22T08:59:48.012Z\",\"services\":{\"total\":2,"
	    "\"running\":1,\"healthy\":1,\"failed\":1},\"checks\":"
	    "{\"event_loop\":\"ok\",\"shutting_down\":\"no\"},\"prodd\":"
	    "{\"rss_bytes\":4096,\"cpu_percent\":1.23,\"loop_lag_ms\":0.5,"
	    "\"loop_lag_max_ms\":2,\"sample_cpu_us\":80,"
	    "\"sample_cpu_us_median\":70,\"samples\":9}}");
	free(t);

	metrics_svc_init(&m, 4);
	mring_push(&m.cpu, 1.0f);
	mring_push(&m.cpu, 2.0f);
	sv[0].hist_cpu = &m.cpu;
	sv[0].hist_rss = &m.mem;
	sv[0].history = 1;
	events_init(&ev, 200);
	for (int i = 0; i < 150; i++) {
		event_clear(&e);
		e.kind = EVENT_SPAWN;
		e.ts_ms = 1795337998012LL;
		events_push(&ev, &e);
	}
	snap.daemon = &d;
	snap.services.n = 2;
	snap.services.at = snap_at;
	snap.services.arg = sv;
	snap.events = &ev;
	o = view_snapshot_json(&snap);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "system")));
	a = cJSON_GetObjectItem(o, "services");
	assert_int_equal(cJSON_GetArraySize(a), 2);
	t = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0),
	    "history"));
	assert_string_equal(t, "{\"cpu\":[2],\"rss\":[]}");
	cJSON_free(t);
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "history"));
	/* the last hundred events */
	a = cJSON_GetObjectItem(o, "events");
	assert_int_equal(cJSON_GetArraySize(a), 100);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0),
	    "seq")->valueint, 51);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "alerts")),
	    0);
	t = render(o);
	assert_non_null(strstr(t, "{\"daemon\":{\"status\":\"unhealthy\""));
	free(t);
	t = render(view_events_json(&ev, 148));
	assert_non_null(strstr(t, "\"seq\":149,"));
	assert_non_null(strstr(t, "\"last_seq\":150}"));
	free(t);
	events_free(&ev);
	metrics_svc_free(&m);
}

/* The small answers: the list, readiness (disabled services do not
 * count), messages, a refused reload, liveness, alerts. */
static void
test_answers(void **state)
{
	struct view_service sv[3];
	struct view_list l = { 3, snap_at, sv };
	bool ready;
	char *t;

	(void)state;
	sv[0] = svc("a", FSM_RUNNING);
	sv[1] = svc("b", FSM_STARTING);
	sv[2] = svc("c", FSM_STOPPED);
	sv[2].enabled = false;
	t = render(view_ready_json(&l, &ready));
	assert_false(ready);
	assert_string_equal(t, "{\"status\":\"not_ready\",\"not_ready\":[\"b\"]}");
	free(t);
	sv[1].state = FSM_RUNNING;
	t = render(view_ready_json(&l, &ready));
	assert_true(ready);
	assert_string_equal(t, "{\"status\":\"ready\",\"not_ready\":[]}");
	free(t);
	t = render(view_services_json(&l));
	assert_non_null(strstr(t, "{\"services\":[{\"name\":\"a\","));
	assert_non_null(strstr(t, "},{\"name\":\"c\","));
	free(t);
	t = render(view_message_json("sent SIGHUP to a (pid 9)", NULL, NULL));
	assert_string_equal(t, "{\"message\":\"sent SIGHUP to a (pid 9)\"}");
	free(t);
	t = render(view_message_json("nothing to do", "services",
	    cJSON_CreateArray()));
	assert_string_equal(t, "{\"message\":\"nothing to do\",\"services\":[]}");
	free(t);
	t = render(view_invalid_config_json(NULL));
	assert_string_equal(t, "{\"error\":\"the file has errors; nothing was "
	    "changed\",\"code\":\"invalid_config\",\"errors\":[]}");
	free(t);
	t = render(view_live_json());
	assert_string_equal(t, "{\"status\":\"alive\"}");
	free(t);
	t = render(view_alerts_json());
	assert_string_equal(t, "{\"active\":[],\"resolved\":[]}");
	free(t);
}

/* A refused file's errors: every line, in order, as strings. */
static void
test_config_errors(void **state)
{
	struct cfg_error v[2] = { { .text = (char *)"a.yaml:1:1: one" },
		{ .text = (char *)"a.yaml:2:5: two \"quoted\"" } };
	struct cfg_errors errs = { v, 2 }, none = { NULL, 0 };
	cJSON *a = view_config_errors_json(&errs);
	char *t = cJSON_PrintUnformatted(a);

	(void)state;
	assert_string_equal(t,
	    "[\"a.yaml:1:1: one\",\"a.yaml:2:5: two \\\"quoted\\\"\"]");
	cJSON_free(t);
	cJSON_Delete(a);
	a = view_config_errors_json(&none);
	t = cJSON_PrintUnformatted(a);
	assert_string_equal(t, "[]");
	cJSON_free(t);
	cJSON_Delete(a);
}

/* An error that quotes the request stays valid UTF-8. */
static void
test_error_quotes_request(void **state)
{
	cJSON *o = view_error_json("unknown service '\xff\xfex'", "not_found");
	char *t = cJSON_PrintUnformatted(o);

	(void)state;
	assert_string_equal(t, "{\"error\":\"unknown service '\xef\xbf\xbd"
	    "\xef\xbf\xbdx'\",\"code\":\"not_found\"}");
	cJSON_free(t);
	cJSON_Delete(o);
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
		cmocka_unit_test(test_logline),
		cmocka_unit_test(test_logs),
		cmocka_unit_test(test_host_series),
		cmocka_unit_test(test_history_of_service),
		cmocka_unit_test(test_daemon_and_snapshot),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_error_quotes_request),
	};

	return cmocka_run_group_tests_name("view", tests, NULL, NULL);
}
