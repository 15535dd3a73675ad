/*
 * The routes of prodd's HTTP API (SPEC §5) as a table: a method and a path
 * pattern ("/api/services/{name}/logs") for each, matched against a
 * request's method and path. The match names the route, captures the
 * service name, and decides between "no such route" (404) and "this route
 * wants another method" (405); what a route does is api.c's business.
 * Pure.
 */
#ifndef PRODD_ROUTE_H
#define PRODD_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

enum route_method { ROUTE_GET, ROUTE_POST, ROUTE_OTHER };

enum route_id {
	ROUTE_LIVE,			/* GET /health/live */
	ROUTE_READY,			/* GET /health/ready */
	ROUTE_HEALTH,			/* GET /api/health */
	ROUTE_DASHBOARD,		/* GET /api/dashboard-data */
	ROUTE_SERVICES,			/* GET /api/services */
	ROUTE_EVENTS,			/* GET /api/events */
	ROUTE_HISTORY,			/* GET /api/metrics/history */
	ROUTE_ALERTS,			/* GET /api/alerts */
	ROUTE_ALERTS_TEST,		/* POST /api/alerts/test */
	ROUTE_METRICS,			/* GET /metrics (Prometheus) */
	ROUTE_ANALYZE,			/* GET /api/analyze */
	ROUTE_START_ALL,		/* POST /api/start-all */
	ROUTE_STOP_ALL,			/* POST /api/stop-all */
	ROUTE_RELOAD,			/* POST /api/reload */
	ROUTE_UPGRADE,			/* POST /api/upgrade */
	ROUTE_SERVICE,			/* GET /api/services/{name} */
	ROUTE_SERVICE_LOGS,		/* GET /api/services/{name}/logs */
	ROUTE_SERVICE_START,		/* POST /api/services/{name}/start */
	ROUTE_SERVICE_STOP,		/* POST .../stop */
	ROUTE_SERVICE_RESTART,		/* POST .../restart */
	ROUTE_SERVICE_SIGNAL,		/* POST .../signal */
	ROUTE_STATIC,			/* GET of any other path outside
					 * the API's: the dashboard's files */
};

enum route_result {
	ROUTE_FOUND,			/* the route, with the right method */
	ROUTE_NOT_FOUND,		/* no route has this path: 404 */
	ROUTE_BAD_METHOD,		/* a route has it, not with this
					 * method: 405 (want says which) */
};

#define ROUTE_NAME_MAX 255

struct route_match {
	enum route_id id;
	enum route_method want;		/* the method the route takes */
	bool changes;			/* it changes something: authorized
					 * callers only */
	bool has_name;			/* the path has a {name} */
	char name[ROUTE_NAME_MAX + 1];	/* the {name}, cut to fit */
};

/*
 * Match method and path (decoded, without the query). A {name} is one
 * non-empty path segment. A path under none of the API's prefixes (/api,
 * /health, /metrics, /ws) is ROUTE_STATIC, a GET. With ROUTE_FOUND and ROUTE_BAD_METHOD, m says
 * which route (and its name); with ROUTE_NOT_FOUND m is undefined.
 */
enum route_result route_match(enum route_method method, const char *path,
    struct route_match *m);
/* "GET" or "POST". */
const char *route_method_name(enum route_method method);

#endif
