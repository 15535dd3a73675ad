/*
 * Unit tests of the API's route table: every route with its method, the
 * captured service name (cut to fit, never across a slash), a path some
 * route has asked with the wrong method (405 and the method it wants)
 * versus a path no route has (404), and which routes change something.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "prodd/route.h"

static void
test_fixed_routes(void **state)
{
	static const struct { enum route_method m; const char *path;
	    enum route_id id; bool changes; } ok[] = {
		{ ROUTE_GET, "/health/live", ROUTE_LIVE, false },
		{ ROUTE_GET, "/health/ready", ROUTE_READY, false },
		{ ROUTE_GET, "/api/health", ROUTE_HEALTH, false },
		{ ROUTE_GET, "/api/dashboard-data", ROUTE_DASHBOARD, false },
		{ ROUTE_GET, "/api/services", ROUTE_SERVICES, false },
		{ ROUTE_GET, "/api/events", ROUTE_EVENTS, false },
		{ ROUTE_GET, "/api/metrics/history", ROUTE_HISTORY, false },
		{ ROUTE_GET, "/api/alerts", ROUTE_ALERTS, false },
		{ ROUTE_GET, "/metrics", ROUTE_METRICS, false },
		{ ROUTE_GET, "/api/analyze", ROUTE_ANALYZE, false },
		{ ROUTE_POST, "/api/start-all", ROUTE_START_ALL, true },
		{ ROUTE_POST, "/api/stop-all", ROUTE_STOP_ALL, true },
		{ ROUTE_POST, "/api/reload", ROUTE_RELOAD, true },
	};
	struct route_match m;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		assert_int_equal(route_match(ok[i].m, ok[i].path, &m),
		    ROUTE_FOUND);
		assert_int_equal(m.id, ok[i].id);
		assert_int_equal(m.changes, ok[i].changes);
		assert_false(m.has_name);
	}
}

static void
test_service_routes(void **state)
{
	static const struct { enum route_method m; const char *path;
	    enum route_id id; const char *name; } ok[] = {
		{ ROUTE_GET, "/api/services/rag", ROUTE_SERVICE, "rag" },
		{ ROUTE_GET, "/api/services/rag/", ROUTE_SERVICE, "rag" },
		{ ROUTE_GET, "/api/services/rag/logs", ROUTE_SERVICE_LOGS,
		    "rag" },
		{ ROUTE_POST, "/api/services/a.b-c_d/start",
		    ROUTE_SERVICE_START, "a.b-c_d" },
		{ ROUTE_POST, "/api/services/rag/stop", ROUTE_SERVICE_STOP,
		    "rag" },
		{ ROUTE_POST, "/api/services/rag/restart",
		    ROUTE_SERVICE_RESTART, "rag" },
		{ ROUTE_POST, "/api/services/rag/signal", ROUTE_SERVICE_SIGNAL,
		    "rag" },
		/* a name that is a verb is still a name */
		{ ROUTE_GET, "/api/services/logs", ROUTE_SERVICE, "logs" },
	};
	struct route_match m;
	char path[400];

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		assert_int_equal(route_match(ok[i].m, ok[i].path, &m),
		    ROUTE_FOUND);
		assert_int_equal(m.id, ok[i].id);
		assert_true(m.has_name);
		assert_string_equal(m.name, ok[i].name);
		assert_int_equal(m.changes, ok[i].m == ROUTE_POST);
	}
	/* a name longer than the buffer is cut, not overflowed */
	strcpy(path, "/api/services/");
	memset(path + 14, 'x', 300);
	path[314] = '\0';
	assert_int_equal(route_match(ROUTE_GET, path, &m), ROUTE_FOUND);
	assert_int_equal(strlen(m.name), ROUTE_NAME_MAX);
}

static void
test_not_found(void **state)
{
	static const char *const paths[] = {
		"/api", "/api/", "/api/nope", "/api/health/",
		"/api/services/", "/api/services//logs", "/api/services/rag/nope",
		"/api/services/rag/logs/more", "/api/services/rag//",
		"/api/healthx", "/api/service", "/health", "/health/x",
		"/api/metrics", "/api/services/rag/logs/", "/metrics/", "/ws",
		"/ws/x",
	};
	struct route_match m;

	(void)state;
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
		assert_int_equal(route_match(ROUTE_GET, paths[i], &m),
		    ROUTE_NOT_FOUND);
		assert_int_equal(route_match(ROUTE_POST, paths[i], &m),
		    ROUTE_NOT_FOUND);
		assert_int_equal(route_match(ROUTE_OTHER, paths[i], &m),
		    ROUTE_NOT_FOUND);
	}
}

/* Outside the API's prefixes: the dashboard's files, GET only. */
static void
test_static(void **state)
{
	static const char *const paths[] = {
		"/", "", "/index.html", "/app.js", "/assets/x.css", "/apix",
		"/healthz", "/metricsx", "/wsx", "/favicon.svg",
	};
	struct route_match m;

	(void)state;
	for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
		assert_int_equal(route_match(ROUTE_GET, paths[i], &m),
		    ROUTE_FOUND);
		assert_int_equal(m.id, ROUTE_STATIC);
		assert_false(m.changes);
		assert_false(m.has_name);
		assert_int_equal(route_match(ROUTE_POST, paths[i], &m),
		    ROUTE_BAD_METHOD);
		assert_int_equal(m.want, ROUTE_GET);
	}
}

static void
test_bad_method(void **state)
{
	struct route_match m;

	(void)state;
	assert_int_equal(route_match(ROUTE_POST, "/api/services", &m),
	    ROUTE_BAD_METHOD);
	assert_int_equal(m.want, ROUTE_GET);
	assert_string_equal(route_method_name(m.want), "GET");
	assert_int_equal(route_match(ROUTE_OTHER, "/api/health", &m),
	    ROUTE_BAD_METHOD);
	assert_int_equal(m.id, ROUTE_HEALTH);
	assert_int_equal(route_match(ROUTE_GET, "/api/reload", &m),
	    ROUTE_BAD_METHOD);
	assert_int_equal(m.want, ROUTE_POST);
	assert_string_equal(route_method_name(m.want), "POST");
	/* the name is captured even then: the service is looked up first */
	assert_int_equal(route_match(ROUTE_GET, "/api/services/rag/restart",
	    &m), ROUTE_BAD_METHOD);
	assert_int_equal(m.id, ROUTE_SERVICE_RESTART);
	assert_true(m.has_name);
	assert_string_equal(m.name, "rag");
	assert_int_equal(route_match(ROUTE_POST, "/api/services/rag", &m),
	    ROUTE_BAD_METHOD);
	assert_int_equal(m.id, ROUTE_SERVICE);
	assert_string_equal(m.name, "rag");
	assert_int_equal(m.want, ROUTE_GET);
	assert_int_equal(route_match(ROUTE_POST, "/metrics", &m),
	    ROUTE_BAD_METHOD);
	assert_int_equal(m.id, ROUTE_METRICS);
	assert_int_equal(route_match(ROUTE_GET, "/metrics/", &m),
	    ROUTE_NOT_FOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_routes),
		cmocka_unit_test(test_service_routes),
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_bad_method),
	};

	return cmocka_run_group_tests_name("route", tests, NULL, NULL);
}
