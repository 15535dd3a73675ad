/*
 * The API's route table (see route.h). Patterns are compared segment by
 * segment, so a {name} can never swallow a slash, and every route of a
 * path is tried before the method is judged: a path some route has, asked
 * with another method, is a 405, any other a 404.
 */
#include "prodd/route.h"

#include <stdio.h>
#include <string.h>

struct route {
	enum route_method method;
	const char *pattern;
	enum route_id id;
	bool changes;
};

static const struct route route_table[] = {
	{ ROUTE_GET, "/health/live", ROUTE_LIVE, false },
	{ ROUTE_GET, "/health/ready", ROUTE_READY, false },
	{ ROUTE_GET, "/api/health", ROUTE_HEALTH, false },
	{ ROUTE_GET, "/api/dashboard-data", ROUTE_DASHBOARD, false },
	{ ROUTE_GET, "/api/services", ROUTE_SERVICES, false },
	{ ROUTE_GET, "/api/events", ROUTE_EVENTS, false },
	{ ROUTE_GET, "/api/metrics/history", ROUTE_HISTORY, false },
	{ ROUTE_GET, "/api/alerts", ROUTE_ALERTS, false },
	{ ROUTE_POST, "/api/alerts/test", ROUTE_ALERTS_TEST, true },
	{ ROUTE_GET, "/metrics", ROUTE_METRICS, false },
	{ ROUTE_GET, "/api/analyze", ROUTE_ANALYZE, false },
	{ ROUTE_POST, "/api/start-all", ROUTE_START_ALL, true },
	{ ROUTE_POST, "/api/stop-all", ROUTE_STOP_ALL, true },
	{ ROUTE_POST, "/api/reload", ROUTE_RELOAD, true },
	{ ROUTE_POST, "/api/upgrade", ROUTE_UPGRADE, true },
	{ ROUTE_GET, "/api/services/{name}", ROUTE_SERVICE, false },
	/* a trailing slash names the service too */
	{ ROUTE_GET, "/api/services/{name}/", ROUTE_SERVICE, false },
	{ ROUTE_GET, "/api/services/{name}/logs", ROUTE_SERVICE_LOGS, false },
	{ ROUTE_POST, "/api/services/{name}/start", ROUTE_SERVICE_START, true },
	{ ROUTE_POST, "/api/services/{name}/stop", ROUTE_SERVICE_STOP, true },
	{ ROUTE_POST, "/api/services/{name}/restart", ROUTE_SERVICE_RESTART,
	    true },
	{ ROUTE_POST, "/api/services/{name}/signal", ROUTE_SERVICE_SIGNAL,
	    true },
};

#define ROUTE_CAPTURE "{name}"

/* Does path match pattern? The {name} segment goes to m. */
static bool
route_try(const char *pattern, const char *path, struct route_match *m)
{
	const char *p = pattern, *q = path;

	m->has_name = false;
	m->name[0] = '\0';
	for (;;) {
		size_t pl = strcspn(p, "/"), ql = strcspn(q, "/");

		if (pl == strlen(ROUTE_CAPTURE) &&
		    strncmp(p, ROUTE_CAPTURE, pl) == 0) {
			if (ql == 0)
				return false;
			snprintf(m->name, sizeof m->name, "%.*s", (int)ql, q);
			m->has_name = true;
		} else if (pl != ql || strncmp(p, q, pl) != 0) {
			return false;
		}
		p += pl;
		q += ql;
		if (*p == '\0' || *q == '\0')
			return *p == *q;
		p++;	/* both at a '/' */
		q++;
	}
}

/* Is path in the API's namespace (a miss there is "no such route")? */
static bool
route_is_api(const char *path)
{
	static const char *const prefixes[] = { "/api", "/health", "/metrics",
		"/ws" };

	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
		size_t n = strlen(prefixes[i]);

		if (strncmp(path, prefixes[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

enum route_result
route_match(enum route_method method, const char *path,
    struct route_match *m)
{
	struct route_match other;
	bool seen = false;

	for (size_t i = 0; i < sizeof route_table / sizeof *route_table; i++) {
		const struct route *r = &route_table[i];
		struct route_match *into = seen ? &other : m;

		if (!route_try(r->pattern, path, into))
			continue;
		into->id = r->id;
		into->want = r->method;
		into->changes = r->changes;
		if (r->method == method) {
			if (into != m)
				*m = other;
			return ROUTE_FOUND;
		}
		seen = true;
	}
	if (!seen && !route_is_api(path)) {
		m->id = ROUTE_STATIC;
		m->want = ROUTE_GET;
		m->changes = false;
		m->has_name = false;
		m->name[0] = '\0';
		return method == ROUTE_GET ? ROUTE_FOUND : ROUTE_BAD_METHOD;
	}
	return seen ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

const char *
route_method_name(enum route_method method)
{
	return method == ROUTE_POST ? "POST" : "GET";
}
