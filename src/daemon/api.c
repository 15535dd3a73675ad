/*
 * The API's dispatch and its actions (see api.h). A request is matched
 * against core/route's table, which names the route or says 404 or 405;
 * then a service the path names must exist, and a change needs an
 * authorized caller. The reading routes answer from api-views.c, the
 * follow streams from api-follow.c, /metrics from api-metrics.c; here
 * are the actions (start, stop, restart, signal, start-all, stop-all,
 * reload) and the cache of the two most polled answers. Every JSON body
 * is rendered by core/view or is a one-line message, so the API, the
 * WebSocket and prodctl --json show one shape.
 */
#include "prodd/alertd.h"
#include "prodd/api.h"
#include "prodd/log.h"
#include "prodd/route.h"
#include "prodd/view.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
api_cache_get(struct api *api, struct api_cache *c, struct srv_req *req,
    int64_t now)
{
	if (c->body == NULL || c->seq != sup_events(api->sup)->next_seq ||
	    now - c->at_ms >= API_CACHE_MS || now < c->at_ms)
		return false;
	server_respond_body(req, 200, c->body);
	return true;
}

/* Render obj, keep it, answer with it. */
static void
api_cache_put(struct api *api, struct api_cache *c, struct srv_req *req,
    int64_t now, cJSON *obj)
{
	char *text = cJSON_PrintUnformatted(obj);

	/* the requests still writing the previous body keep it */
	server_body_unref(c->body);
	c->body = server_body_new(text, strlen(text));
	cJSON_free(text);
	c->seq = sup_events(api->sup)->next_seq;
	c->at_ms = now;
	cJSON_Delete(obj);
	server_respond_body(req, 200, c->body);
	/* the tree was the largest thing on the heap (MBs at hundreds of
	 * services) and is free again: hand its pages back, at most once a
	 * second (glibc by itself only trims the heap's top, so RSS would
	 * otherwise wander by MBs with what happened to sit above it) */
	if (now - api->trim_ms >= 1000 || now < api->trim_ms) {
		api->trim_ms = now;
		malloc_trim(0);
	}
}

struct api *
api_new(struct supervisor *sup, api_reload_fn reload, void *arg)
{
	struct api *api = xcalloc(1, sizeof *api);

	api->sup = sup;
	api->reload = reload;
	api->arg = arg;
	api->started_ms = clock_wall_ms();
	LIST_INIT(&api->followers);
	return api;
}

void
api_set_sampler(struct api *api, struct sampler *sm)
{
	api->sampler = sm;
}

void
api_set_site(struct api *api, struct static_site *site)
{
	api->site = site;
}

void
api_set_ws(struct api *api, struct ws_hub *ws)
{
	api->ws = ws;
}

void
api_set_alerts(struct api *api, struct alertd *ad)
{
	api->alerts = ad;
}

void
api_set_guard(struct api *api, const struct guard *g)
{
	api->guard = g;
}

/* POST /api/alerts/test: the answer waits for every channel's attempt,
 * on a stream, so the loop never does. */
struct api_test {
	struct alertd *ad;
	struct srv_stream *st;
	struct alertd_test *t;
};

static void
api_test_done(void *arg, cJSON *result)
{
	struct api_test *at = arg;
	char *text = cJSON_PrintUnformatted(result);

	cJSON_Delete(result);
	at->t = NULL;
	server_stream_write(at->st, text, strlen(text));
	server_stream_write(at->st, "\n", 1);
	free(text);
	server_stream_end(at->st);
}

static void
api_test_closed(void *ctx)
{
	struct api_test *at = ctx;

	alertd_test_cancel(at->ad, at->t);
	free(at);
}

static void
api_alerts_test(struct api *api, struct srv_req *req)
{
	struct api_test *at;

	/* no channel: nothing to try, {} */
	if (api->alerts == NULL || alertd_channels(api->alerts) == 0) {
		server_respond_json(req, 200, cJSON_CreateObject());
		return;
	}
	at = xcalloc(1, sizeof *at);
	at->ad = api->alerts;
	at->st = server_stream_start(req, api_test_closed, at);
	at->t = alertd_test(api->alerts, api_test_done, at);
}

void
api_free(struct api *api)
{
	/* the streams end with their connections (server_close); here only
	 * the records go */
	api_followers_free(api);
	server_body_unref(api->services.body);
	server_body_unref(api->health.body);
	free(api);
}

/* ------------------------------------------------------------------ */
/* actions */

int
api_act(struct api *api, enum api_verb verb, const char *name, char *msg,
    size_t msglen, const char **code, cJSON **service)
{
	int rc;

	*service = NULL;
	if (verb == API_START)
		rc = sup_start(api->sup, name, msg, msglen);
	else if (verb == API_STOP)
		rc = sup_stop(api->sup, name, msg, msglen);
	else
		rc = sup_restart(api->sup, name, msg, msglen);
	if (rc == -ENOENT) {
		*code = "not_found";
		return 404;
	}
	if (rc < 0) {
		*code = "conflict";
		return 409;
	}
	*code = NULL;
	*service = api_service_json(api, sup_find(api->sup, name),
	    clock_wall_ms(), false);
	return rc == 0 ? 202 : 200;
}

/* The answer to start/stop/restart: 202 under way, 200 nothing to do. */
static void
api_action(struct api *api, struct srv_req *req, const char *name,
    enum route_id verb)
{
	char msg[512];
	const char *code;
	cJSON *svc;
	int status = api_act(api, verb == ROUTE_SERVICE_START ? API_START :
	    verb == ROUTE_SERVICE_STOP ? API_STOP : API_RESTART, name, msg,
	    sizeof msg, &code, &svc);

	if (code != NULL) {
		server_respond_error(req, status, code, "%s", msg);
		return;
	}
	server_respond_json(req, status, view_message_json(msg, "service",
	    svc));
}

static void
api_signal(struct srv_req *req, struct sup_svc *s)
{
	cJSON *body = req->body ? cJSON_ParseWithLength(req->body,
	    req->body_len) : NULL, *sig;
	int signo = -1;
	pid_t pid = sup_svc_pid(s);
	char msg[160];

	if (body == NULL || !cJSON_IsObject(body)) {
		cJSON_Delete(body);
		server_respond_error(req, 400, "bad_request", "the body must be "
		    "a JSON object like {\"signal\": \"SIGHUP\"}");
		return;
	}
	sig = cJSON_GetObjectItemCaseSensitive(body, "signal");
	if (cJSON_IsString(sig)) {
		char *end;
		long v = strtol(sig->valuestring, &end, 10);

		signo = *end == '\0' && end != sig->valuestring ?
		    (v >= 1 && v <= 64 ? (int)v : -1) :
		    cfg_signal_parse(sig->valuestring);
	}
	else if (cJSON_IsNumber(sig) && sig->valuedouble >= 1 &&
	    sig->valuedouble <= 64)
		signo = (int)sig->valuedouble;
	cJSON_Delete(body);
	if (signo <= 0) {
		server_respond_error(req, 400, "bad_request", "unknown signal");
		return;
	}
	if (pid <= 0) {
		server_respond_error(req, 409, "conflict", "%s has no running "
		    "process", sup_svc_cfg(s)->name);
		return;
	}
	if (kill(pid, signo) < 0) {
		server_respond_error(req, 409, "conflict", "cannot signal %s: "
		    "%s", sup_svc_cfg(s)->name, strerror(errno));
		return;
	}
	snprintf(msg, sizeof msg, "sent %s to %s (pid %d)",
	    cfg_signal_name(signo) ? cfg_signal_name(signo) : "signal",
	    sup_svc_cfg(s)->name, (int)pid);
	server_respond_json(req, 202, view_message_json(msg, NULL, NULL));
}

static void
api_all(struct api *api, struct srv_req *req, bool start)
{
	int rc = start ? sup_start_all(api->sup) : sup_stop_all(api->sup);

	if (rc < 0) {
		server_respond_error(req, 409, "conflict", "prodd is shutting "
		    "down");
		return;
	}
	server_respond_json(req, rc == 0 ? 202 : 200, view_message_json(
	    rc == 0 ? (start ? "starting every enabled service" :
	    "stopping every service") : "nothing to do", "services",
	    api_services_json(api, clock_wall_ms(), false)));
}

static void
api_reload(struct api *api, struct srv_req *req)
{
	char msg[512];
	cJSON *errors = NULL;

	if (api->reload(api->arg, msg, sizeof msg, &errors) < 0)
		server_respond_json(req, 422, view_invalid_config_json(errors));
	else
		server_respond_json(req, 200, view_message_json(msg, NULL,
		    NULL));
}

void
api_set_upgrade(struct api *api, api_upgrade_fn fn)
{
	api->upgrade = fn;
}

int64_t
api_started_ms(const struct api *api)
{
	return api->started_ms;
}

void
api_set_started_ms(struct api *api, int64_t ms)
{
	api->started_ms = ms;
}

/* POST /api/upgrade, body {"binary": PATH} or none. */
static void
api_upgrade(struct api *api, struct srv_req *req)
{
	char msg[512], binary[4096] = "";
	cJSON *body = NULL, *b;

	if (api->upgrade == NULL) {
		server_respond_error(req, 501, "not_supported", "this prodd "
		    "cannot upgrade");
		return;
	}
	if (req->body != NULL && req->body_len > 0) {
		body = cJSON_ParseWithLength(req->body, req->body_len);
		b = cJSON_GetObjectItemCaseSensitive(body, "binary");
		if (body == NULL || !cJSON_IsObject(body) || (b != NULL &&
		    (!cJSON_IsString(b) || b->valuestring[0] == '\0'))) {
			cJSON_Delete(body);
			server_respond_error(req, 400, "bad_request", "the body "
			    "must be {\"binary\": \"PATH\"} or empty");
			return;
		}
		if (b != NULL)
			snprintf(binary, sizeof binary, "%s", b->valuestring);
		cJSON_Delete(body);
	}
	if (api->upgrade(api->arg, binary[0] ? binary : NULL, msg,
	    sizeof msg) < 0)
		server_respond_error(req, 409, "upgrade_refused", "%s", msg);
	else
		server_respond_json(req, 202, view_message_json(msg, NULL,
		    NULL));
}

/* ------------------------------------------------------------------ */
/* dispatch */

static enum route_method
api_route_method(enum srv_method m)
{
	return m == SRV_GET ? ROUTE_GET : m == SRV_POST ? ROUTE_POST :
	    ROUTE_OTHER;
}

static void
api_route(struct api *api, struct srv_req *req, const struct route_match *m,
    struct sup_svc *s, int64_t now)
{
	switch (m->id) {
	case ROUTE_LIVE:
		server_respond_json(req, 200, view_live_json());
		break;
	case ROUTE_READY:
		api_ready(api, req);
		break;
	case ROUTE_HEALTH:
		if (!api_cache_get(api, &api->health, req, now))
			api_cache_put(api, &api->health, req, now,
			    api_health_json(api, now));
		break;
	case ROUTE_DASHBOARD:
		api_dashboard_data(api, req, now);
		break;
	case ROUTE_SERVICES:
		if (!api_cache_get(api, &api->services, req, now))
			api_cache_put(api, &api->services, req, now,
			    api_services_json(api, now, true));
		break;
	case ROUTE_EVENTS:
		api_events(api, req);
		break;
	case ROUTE_HISTORY:
		api_history(api, req);
		break;
	case ROUTE_ALERTS:
		server_respond_json(req, 200, api->alerts ?
		    alertd_list_json(api->alerts) : view_alerts_json());
		break;
	case ROUTE_ALERTS_TEST:
		api_alerts_test(api, req);
		break;
	case ROUTE_METRICS:
		api_metrics(api, req, now);
		break;
	case ROUTE_ANALYZE:
		server_respond_json(req, 200, api_analyze_json(api));
		break;
	case ROUTE_START_ALL:
	case ROUTE_STOP_ALL:
		api_all(api, req, m->id == ROUTE_START_ALL);
		break;
	case ROUTE_RELOAD:
		api_reload(api, req);
		break;
	case ROUTE_UPGRADE:
		api_upgrade(api, req);
		break;
	case ROUTE_SERVICE:
		server_respond_json(req, 200, api_service_json(api, s, now, true));
		break;
	case ROUTE_SERVICE_LOGS:
		api_logs(api, req, s);
		break;
	case ROUTE_SERVICE_SIGNAL:
		api_signal(req, s);
		break;
	case ROUTE_SERVICE_START:
	case ROUTE_SERVICE_STOP:
	case ROUTE_SERVICE_RESTART:
		api_action(api, req, m->name, m->id);
		break;
	case ROUTE_STATIC:
		api_static(api, req);
		break;
	}
}

void
api_handle(void *arg, struct srv_req *req)
{
	struct api *api = arg;
	struct route_match m;
	enum route_result r = route_match(api_route_method(req->method),
	    req->path, &m);
	struct sup_svc *s = NULL;

	if (r == ROUTE_NOT_FOUND) {
		server_respond_error(req, 404, "not_found", "no such route: %s",
		    req->path);
		return;
	}
	/* a service that is not there is a 404 whatever the method */
	if (m.has_name && (s = sup_find(api->sup, m.name)) == NULL) {
		server_respond_error(req, 404, "not_found", "unknown service "
		    "'%s'", m.name);
		return;
	}
	if (r == ROUTE_BAD_METHOD) {
		server_respond_error(req, 405, "method_not_allowed", "use %s "
		    "for %s", route_method_name(m.want), req->path);
		return;
	}
	if (m.changes && !req->authorized) {
		server_respond_error(req, req->auth_status, req->auth_status ==
		    401 ? "unauthorized" : "forbidden", "%s", req->auth_error);
		return;
	}
	api_route(api, req, &m, s, clock_wall_ms());
}
