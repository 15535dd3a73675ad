/*
 * The routes of prodd's HTTP API (SPEC §5): what each path means, read
 * from the supervisor and rendered with core/view. The routes are
 * core/route's table; api.c dispatches them and answers the actions,
 * api-views.c reads the supervisor into view structs for the reading
 * routes, api-metrics.c into core/prom's for /metrics, api-follow.c keeps
 * the follow streams. The transport and its
 * guards are server.c's. Loop thread only.
 */
#ifndef PRODD_API_H
#define PRODD_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <cjson/cJSON.h>

#include "prodd/events.h"
#include "prodd/server.h"
#include "prodd/supervisor.h"

struct api;

/*
 * reload(arg, msg, msglen, &errors): re-read the config like SIGHUP.
 * Returns 0 when applied (msg says what changed), or -1 when refused, with
 * *errors a JSON array of "FILE:LINE:COL: message" strings (caller frees).
 */
typedef int (*api_reload_fn)(void *arg, char *msg, size_t msglen,
    cJSON **errors);

struct api *api_new(struct supervisor *sup, api_reload_fn reload,
    void *arg);
/*
 * upgrade(arg, binary, msg, msglen): POST /api/upgrade (binary NULL: the
 * one prodd was started from). 0: the quick checks passed; the new
 * binary's --version, then the hand-over, follow (202), and a refusal
 * then is the event "upgrade called off: REASON"; -1: refused, msg says
 * why (409), nothing changed.
 */
typedef int (*api_upgrade_fn)(void *arg, const char *binary, char *msg,
    size_t msglen);
void api_set_upgrade(struct api *api, api_upgrade_fn fn);
/* When prodd started (wall ms; /api/health's uptime): an upgraded prodd
 * keeps the first one's. */
int64_t api_started_ms(const struct api *api);
void api_set_started_ms(struct api *api, int64_t ms);
/* An upgrade: every follower gets a last {"upgrade": true} record, then
 * the end of its stream (it reconnects to the new prodd). */
void api_upgrade_streams(struct api *api);
struct sampler;
/* Where the metrics come from (NULL: none yet). */
void api_set_sampler(struct api *api, struct sampler *sm);
struct alertd;
/* Where the alerts are (GET /api/alerts, the snapshot, /metrics). */
void api_set_alerts(struct api *api, struct alertd *ad);
struct guard;
/* The TCP listener's guard, read for the "auth" object of /api/health and
 * the snapshot (whether writes over TCP take a token; never the token). */
void api_set_guard(struct api *api, const struct guard *g);
/* The server's request handler (arg is the struct api). */
void api_handle(void *arg, struct srv_req *req);
/* Fan-out to followers: an event happened; a service printed a line. */
void api_on_event(struct api *api, const struct event *e);
void api_on_line(struct api *api, const char *service, int stream,
    int64_t ts_ms, const char *line, size_t len);
/* prodd is exiting: end every follower's stream once what is queued for
 * it is written (the clients see the last lines and a clean end). */
void api_end_streams(struct api *api);
void api_free(struct api *api);

/* The dashboard's files, served at "/" and below (NULL: none loaded; the
 * caller keeps the site and swaps it at a reload). */
struct static_site;
void api_set_site(struct api *api, struct static_site *site);

/* The WebSocket stream's view of the API (ws.c). */
struct ws_hub;
void api_set_ws(struct api *api, struct ws_hub *ws);
enum api_verb { API_START, API_STOP, API_RESTART };
/*
 * Start, stop or restart the service called name, as the HTTP routes do:
 * returns the HTTP status (202 under way, 200 nothing to do, 404, 409)
 * with msg; on success *code is NULL and *service the service object
 * (the caller's), else *code is the error code and *service NULL.
 */
int api_act(struct api *api, enum api_verb verb, const char *name,
    char *msg, size_t msglen, const char **code, cJSON **service);
/* The dashboard's data (GET /api/dashboard-data), with hist values per
 * host series and svc_hist per service series (~0u: all). */
cJSON *api_snapshot_json(struct api *api, int64_t now, uint32_t hist,
    uint32_t svc_hist);
/* The metrics message of the stream: the latest figures, in the compact
 * form or not (view_ws_metrics_json). */
cJSON *api_ws_metrics_json(struct api *api, int64_t now, bool compact);

/* ---- between api.c, api-views.c and api-follow.c only ---- */

struct follower;

/*
 * A rendered body, reused while no event happened and it is younger than
 * API_CACHE_MS: rendering 100 services costs far more than serving them,
 * and every state change is an event, so only uptimes can be that stale.
 */
#define API_CACHE_MS 200

struct api_cache {
	struct server_body *body;	/* shared by the requests it answers */
	uint64_t seq;
	int64_t at_ms;
};

struct api {
	struct supervisor *sup;
	api_reload_fn reload;
	api_upgrade_fn upgrade;		/* NULL: the route answers 501 */
	void *arg;
	LIST_HEAD(, follower) followers;
	int64_t started_ms;
	struct api_cache services, health;
	int64_t trim_ms;		/* the last malloc_trim after a render */
	struct sampler *sampler;
	struct ws_hub *ws;		/* NULL: none */
	struct static_site *site;	/* the dashboard; NULL: none */
	struct alertd *alerts;		/* NULL: none */
	const struct guard *guard;	/* the TCP listener's; NULL: none */
};

/* api-views.c: the reading routes' bodies */
cJSON *api_service_json(const struct api *api, const struct sup_svc *s,
    int64_t now, bool detail);
/* Every service, without detail: the array, or wrapped as
 * {"services": [...]}. */
cJSON *api_services_json(const struct api *api, int64_t now, bool wrapped);
cJSON *api_health_json(const struct api *api, int64_t now);
/* GET /api/analyze: every service's last start and the critical chain. */
cJSON *api_analyze_json(const struct api *api);
/* Answer GET /health/ready, /api/dashboard-data, /api/metrics/history,
 * /api/events and /api/services/NAME/logs. */
void api_ready(struct api *api, struct srv_req *req);
void api_dashboard_data(struct api *api, struct srv_req *req, int64_t now);
void api_history(struct api *api, struct srv_req *req);
void api_events(struct api *api, struct srv_req *req);
void api_logs(struct api *api, struct srv_req *req, struct sup_svc *s);

/* api-static.c: answer GET of a dashboard file (ROUTE_STATIC) */
void api_static(struct api *api, struct srv_req *req);

/* api-metrics.c: answer GET /metrics (Prometheus text, core/prom) */
void api_metrics(struct api *api, struct srv_req *req, int64_t now);

/* api-follow.c: start following a service's lines (of stream, 0: both)
 * with the last n of them (or, when since > 0, the kept ones numbered
 * after since: a follower resuming after an upgrade), or the events after
 * seq after */
void api_follow_logs(struct api *api, struct srv_req *req,
    struct sup_svc *s, size_t n, int stream, uint64_t since);
void api_follow_events(struct api *api, struct srv_req *req,
    uint64_t after);
/* Forget every follower (their streams end with the connections). */
void api_followers_free(struct api *api);

#endif
