/*
 * The API routes (see api.h). Every body is rendered by core/view, so the
 * API, the WebSocket and prodctl --json show one shape. Follow requests
 * (logs and events with follow=1) become chunked streams of
 * newline-delimited JSON, fed by the supervisor's hooks; a follower that
 * reads too slowly is dropped by the server, never buffered for.
 */
#include "prodd/api.h"
#include "prodd/sampler.h"
#include "prodd/log.h"
#include "prodd/logs.h"
#include "prodd/strutil.h"
#include "prodd/version.h"
#include "prodd/view.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define API_MAX_LINES 10000

enum follow_kind { FOLLOW_LOGS, FOLLOW_EVENTS };

struct follower {
	struct follower *next, **prevp;
	struct api *api;
	struct srv_stream *st;
	enum follow_kind kind;
	char service[CFG_NAME_MAX + 1];
	int stream;			/* 0: both */
};

/*
 * A rendered body, reused while no event happened and it is younger than
 * API_CACHE_MS: rendering 100 services costs far more than serving them,
 * and every state change is an event, so only uptimes can be that stale.
 */
#define API_CACHE_MS 200

struct api_cache {
	char *text;
	size_t len;
	uint64_t seq;
	int64_t at_ms;
};

struct api {
	struct supervisor *sup;
	api_reload_fn reload;
	void *arg;
	struct follower *followers;
	int64_t started_ms;
	struct api_cache services, health;
	struct sampler *sampler;
};

static bool
api_cache_get(struct api *api, struct api_cache *c, struct srv_req *req,
    int64_t now)
{
	if (c->text == NULL || c->seq != sup_events(api->sup)->next_seq ||
	    now - c->at_ms >= API_CACHE_MS || now < c->at_ms)
		return false;
	server_respond_text(req, 200, c->text, c->len);
	return true;
}

/* Render obj, keep it, answer with it. */
static void
api_cache_put(struct api *api, struct api_cache *c, struct srv_req *req,
    int64_t now, cJSON *obj)
{
	cJSON_free(c->text);
	c->text = cJSON_PrintUnformatted(obj);
	c->len = strlen(c->text);
	c->seq = sup_events(api->sup)->next_seq;
	c->at_ms = now;
	cJSON_Delete(obj);
	server_respond_text(req, 200, c->text, c->len);
}

struct api *
api_new(struct supervisor *sup, api_reload_fn reload, void *arg)
{
	struct api *api = xcalloc(1, sizeof *api);

	api->sup = sup;
	api->reload = reload;
	api->arg = arg;
	api->started_ms = clock_wall_ms();
	return api;
}

void
api_set_sampler(struct api *api, struct sampler *sm)
{
	api->sampler = sm;
}

/* ------------------------------------------------------------------ */
/* views of the supervisor's state */

struct svc_view {
	struct view_service v;
	struct view_dep deps[64];
	const char *keys[256];
};

static void
api_fill(const struct api *api, const struct sup_svc *s, struct svc_view *sv,
    int64_t now)
{
	const struct cfg_service *c = sup_svc_cfg(s);
	const struct fsm_svc *f = sup_svc_fsm(s);
	struct view_service *v = &sv->v;
	size_t nd = c->ndeps < 64 ? c->ndeps : 64;
	size_t ne = c->nenv < 256 ? c->nenv : 256;

	memset(v, 0, sizeof *v);
	v->name = c->name;
	v->type = cfg_type_name(c->type);
	v->reason = sup_svc_reason(s);
	v->state = f->state;
	v->want = f->want;
	v->pid = (int)sup_svc_pid(s);
	v->started_at_ms = sup_svc_started_ms(s);
	v->now_ms = now;
	v->restarts = f->restarts;
	v->consecutive_failures = f->consecutive_failures;
	v->has_exit = f->has_exit;
	v->exit_code = f->exit_code;
	v->exit_signal = f->exit_signal;
	v->exit_at_ms = sup_svc_exit_ms(s);
	if (c->health.kind != CFG_HEALTH_NONE)
		v->health_kind = cfg_health_kind_name(c->health.kind);
	v->health = sup_svc_health(s);
	{
		const struct metrics_svc *m = sampler_metrics(api->sampler,
		    c->name);

		v->has_metrics = m->valid;
		v->cpu_percent = m->cpu_percent;
		v->rss_bytes = m->rss;
		v->processes = m->procs;
		v->threads = m->threads;
		v->fds = m->fds;
		v->read_bps = m->read_bps;
		v->write_bps = m->write_bps;
	}
	for (size_t i = 0; i < nd; i++) {
		sv->deps[i].name = c->deps[i].name;
		sv->deps[i].condition = cfg_condition_name(c->deps[i].condition);
	}
	v->deps = sv->deps;
	v->ndeps = nd;
	v->port = c->port;
	for (size_t i = 0; i < ne; i++)
		sv->keys[i] = c->env[i].key;
	v->env_keys = sv->keys;
	v->nenv = ne;
	v->enabled = c->enabled;
	v->stopped_by_hand = sup_svc_down_by_hand(s);
}

/* One service; with detail, its health-check history too (the list
 * leaves it out: 32 checks of 100 services would be most of its bytes). */
static cJSON *
api_service_json(const struct api *api, const struct sup_svc *s, int64_t now,
    bool detail)
{
	struct svc_view *sv = xmalloc(sizeof *sv);
	cJSON *o;

	api_fill(api, s, sv, now);
	sv->v.detail = detail;
	o = view_service_json(&sv->v);
	free(sv);
	return o;
}

static cJSON *
api_services_json(const struct api *api, int64_t now, bool detail)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < sup_count(api->sup); i++)
		cJSON_AddItemToArray(a, api_service_json(api,
		    sup_svc_at(api->sup, i), now, detail));
	return a;
}

static void
api_counts(const struct api *api, struct view_counts *c)
{
	struct svc_view *sv = xmalloc(sizeof *sv);

	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < sup_count(api->sup); i++) {
		api_fill(api, sup_svc_at(api->sup, i), sv, 0);
		view_count(c, &sv->v);
	}
	free(sv);
}

static cJSON *
api_health_json(const struct api *api, int64_t now)
{
	struct view_counts c;
	cJSON *o = cJSON_CreateObject(), *s, *ch;

	api_counts(api, &c);
	cJSON_AddStringToObject(o, "status", view_status(&c));
	cJSON_AddStringToObject(o, "version", PRODD_VERSION);
	cJSON_AddNumberToObject(o, "api_version", PRODD_API_VERSION);
	cJSON_AddNumberToObject(o, "uptime_s", (double)(now - api->started_ms) /
	    1000.0);
	cJSON_AddNumberToObject(o, "pid", getpid());
	cJSON_AddItemToObject(o, "started_at", view_time(api->started_ms));
	s = cJSON_AddObjectToObject(o, "services");
	cJSON_AddNumberToObject(s, "total", (double)c.total);
	cJSON_AddNumberToObject(s, "running", (double)c.running);
	cJSON_AddNumberToObject(s, "healthy", (double)c.healthy);
	cJSON_AddNumberToObject(s, "failed", (double)c.failed);
	ch = cJSON_AddObjectToObject(o, "checks");
	cJSON_AddStringToObject(ch, "event_loop", "ok");
	cJSON_AddStringToObject(ch, "shutting_down",
	    sup_shutting_down(api->sup) ? "yes" : "no");
	if (api->sampler != NULL) {
		struct sampler_self me;
		cJSON *p = cJSON_AddObjectToObject(o, "prodd");

		sampler_self(api->sampler, &me);
		cJSON_AddNumberToObject(p, "rss_bytes", (double)me.rss);
		cJSON_AddNumberToObject(p, "cpu_percent",
		    (double)(int64_t)(me.cpu_percent * 100 + 0.5) / 100);
		cJSON_AddNumberToObject(p, "loop_lag_ms",
		    (double)(int64_t)(me.loop_lag_ms * 100 + 0.5) / 100);
		cJSON_AddNumberToObject(p, "loop_lag_max_ms",
		    (double)(int64_t)(me.loop_lag_max_ms * 100 + 0.5) / 100);
		cJSON_AddNumberToObject(p, "sample_cpu_us",
		    (double)(int64_t)me.sample_cpu_us);
		cJSON_AddNumberToObject(p, "sample_cpu_us_median",
		    (double)(int64_t)me.sample_cpu_us_median);
		cJSON_AddNumberToObject(p, "samples", (double)me.samples);
	}
	return o;
}

static void
api_event_add_cb(const struct event *e, void *arg)
{
	cJSON_AddItemToArray(arg, view_event_json(e));
}

/* ------------------------------------------------------------------ */
/* followers */

static void
api_follower_closed_cb(void *ctx)
{
	struct follower *f = ctx;

	if (f->next != NULL)
		f->next->prevp = f->prevp;
	*f->prevp = f->next;
	free(f);
}

static struct follower *
api_follow(struct api *api, struct srv_req *req, enum follow_kind kind,
    const char *service, int stream)
{
	struct follower *f = xcalloc(1, sizeof *f);

	f->api = api;
	f->kind = kind;
	f->stream = stream;
	if (service != NULL)
		snprintf(f->service, sizeof f->service, "%s", service);
	f->next = api->followers;
	if (f->next != NULL)
		f->next->prevp = &f->next;
	f->prevp = &api->followers;
	api->followers = f;
	f->st = server_stream_start(req, api_follower_closed_cb, f);
	return f;
}

static void
api_line_json(struct strbuf *sb, uint64_t seq, int64_t ts, int stream,
    const char *line, size_t len)
{
	char when[40];

	log_format_time(when, sizeof when, ts);
	sb_printf(sb, "{\"seq\":%llu,\"ts\":\"%s\",\"stream\":\"%s\","
	    "\"line\":", (unsigned long long)seq, when,
	    stream == LOG_STREAM_STDERR ? "stderr" : "stdout");
	sb_json_str(sb, line, len);
	sb_putc(sb, '}');
}

void
api_on_line(struct api *api, const char *service, int stream, int64_t ts_ms,
    const char *line, size_t len)
{
	struct strbuf sb = { 0 };
	struct follower *f, *next;
	struct sup_svc *s = NULL;

	for (f = api->followers; f != NULL; f = next) {
		next = f->next;
		if (f->kind != FOLLOW_LOGS || strcmp(f->service, service) != 0 ||
		    (f->stream != 0 && f->stream != stream))
			continue;
		if (sb.len == 0) {
			s = sup_find(api->sup, service);
			api_line_json(&sb, s ? logring_next_seq(logs_ring(
			    sup_svc_logs(s))) - 1 : 0, ts_ms, stream, line, len);
			sb_putc(&sb, '\n');
		}
		server_stream_write(f->st, sb.buf, sb.len);
	}
	sb_free(&sb);
}

void
api_on_event(struct api *api, const struct event *e)
{
	struct follower *f, *next;
	char *text = NULL;
	size_t n = 0;

	/* a reload may have removed services someone follows the logs of */
	if (e->kind == EVENT_RELOAD)
		for (f = api->followers; f != NULL; f = f->next)
			if (f->kind == FOLLOW_LOGS &&
			    sup_find(api->sup, f->service) == NULL)
				server_stream_end(f->st);

	for (f = api->followers; f != NULL; f = next) {
		next = f->next;
		if (f->kind != FOLLOW_EVENTS)
			continue;
		if (text == NULL) {
			cJSON *o = view_event_json(e);
			char *t = cJSON_PrintUnformatted(o);

			n = strlen(t);
			text = xmalloc(n + 2);
			memcpy(text, t, n);
			text[n++] = '\n';
			text[n] = '\0';
			cJSON_free(t);
			cJSON_Delete(o);
		}
		server_stream_write(f->st, text, n);
	}
	free(text);
}

void
api_end_streams(struct api *api)
{
	for (struct follower *f = api->followers; f != NULL; f = f->next)
		server_stream_end(f->st);
}

void
api_free(struct api *api)
{
	/* the streams end with their connections (server_close); here only
	 * the records go */
	while (api->followers != NULL) {
		struct follower *f = api->followers;

		api->followers = f->next;
		free(f);
	}
	cJSON_free(api->services.text);
	cJSON_free(api->health.text);
	free(api);
}

/* ------------------------------------------------------------------ */
/* routes */

static bool
api_number(struct srv_req *req, const char *name, long min, long max,
    long *out)
{
	char buf[64], *end;
	long v;

	if (!server_query(req, name, buf, sizeof buf))
		return true;	/* absent: keep the default */
	errno = 0;
	v = strtol(buf, &end, 10);
	if (buf[0] == '\0' || *end != '\0' || errno != 0 || v < min ||
	    v > max) {
		server_respond_error(req, 400, "bad_request", "'%s' must be a "
		    "number from %ld to %ld", name, min, max);
		return false;
	}
	*out = v;
	return true;
}

struct lines_ctx {
	cJSON *arr;
	struct strbuf *sb;
};

static void
api_line_add_cb(uint64_t seq, int64_t ts, int stream, const char *line,
    size_t len, void *arg)
{
	struct lines_ctx *lc = arg;

	if (lc->arr != NULL) {
		cJSON *o = cJSON_CreateObject();
		char *text = xstrndup(line, len);

		cJSON_AddNumberToObject(o, "seq", (double)seq);
		cJSON_AddItemToObject(o, "ts", view_time(ts));
		cJSON_AddStringToObject(o, "stream",
		    stream == LOG_STREAM_STDERR ? "stderr" : "stdout");
		cJSON_AddStringToObject(o, "line", text);
		free(text);
		cJSON_AddItemToArray(lc->arr, o);
	} else {
		api_line_json(lc->sb, seq, ts, stream, line, len);
		sb_putc(lc->sb, '\n');
	}
}

static void
api_logs(struct api *api, struct srv_req *req, struct sup_svc *s)
{
	long lines = 100, follow = 0;
	char buf[32];
	int stream = 0;
	const struct logring *ring = logs_ring(sup_svc_logs(s));

	if (!api_number(req, "lines", 0, API_MAX_LINES, &lines) ||
	    !api_number(req, "follow", 0, 1, &follow))
		return;
	if (server_query(req, "stream", buf, sizeof buf)) {
		if (strcmp(buf, "stdout") == 0)
			stream = LOG_STREAM_STDOUT;
		else if (strcmp(buf, "stderr") == 0)
			stream = LOG_STREAM_STDERR;
		else {
			server_respond_error(req, 400, "bad_request", "'stream' "
			    "must be stdout or stderr");
			return;
		}
	}
	if (follow) {
		struct strbuf sb = { 0 };
		struct lines_ctx lc = { NULL, &sb };
		struct follower *f = api_follow(api, req, FOLLOW_LOGS,
		    sup_svc_cfg(s)->name, stream);

		logring_last(ring, (size_t)lines, stream, api_line_add_cb, &lc);
		if (sb.len > 0)
			server_stream_write(f->st, sb.buf, sb.len);
		sb_free(&sb);
		return;
	}
	{
		cJSON *o = cJSON_CreateObject();
		struct lines_ctx lc = { NULL, NULL };

		cJSON_AddStringToObject(o, "service", sup_svc_cfg(s)->name);
		lc.arr = cJSON_AddArrayToObject(o, "lines");
		logring_last(ring, (size_t)lines, stream, api_line_add_cb, &lc);
		server_respond_json(req, 200, o);
	}
}

static void
api_events(struct api *api, struct srv_req *req)
{
	long since = 0, follow = 0;
	const struct events *ev = sup_events(api->sup);

	if (!api_number(req, "since", 0, LONG_MAX, &since) ||
	    !api_number(req, "follow", 0, 1, &follow))
		return;
	if (follow) {
		struct follower *f = api_follow(api, req, FOLLOW_EVENTS, NULL, 0);
		cJSON *arr = cJSON_CreateArray(), *it;

		events_since(ev, (uint64_t)since, api_event_add_cb, arr);
		cJSON_ArrayForEach(it, arr) {
			char *t = cJSON_PrintUnformatted(it);

			server_stream_write(f->st, t, strlen(t));
			server_stream_write(f->st, "\n", 1);
			cJSON_free(t);
		}
		cJSON_Delete(arr);
		return;
	}
	{
		cJSON *o = cJSON_CreateObject();
		cJSON *arr = cJSON_AddArrayToObject(o, "events");

		events_since(ev, (uint64_t)since, api_event_add_cb, arr);
		cJSON_AddNumberToObject(o, "last_seq",
		    (double)(ev->next_seq - 1));
		server_respond_json(req, 200, o);
	}
}

/* The answer to start/stop/restart: 202 under way, 200 nothing to do. */
static void
api_action(struct api *api, struct srv_req *req, const char *name,
    const char *verb)
{
	char msg[512];
	int rc;
	struct sup_svc *s;
	cJSON *o;

	if (strcmp(verb, "start") == 0)
		rc = sup_start(api->sup, name, msg, sizeof msg);
	else if (strcmp(verb, "stop") == 0)
		rc = sup_stop(api->sup, name, msg, sizeof msg);
	else
		rc = sup_restart(api->sup, name, msg, sizeof msg);
	if (rc == -ENOENT) {
		server_respond_error(req, 404, "not_found", "%s", msg);
		return;
	}
	if (rc < 0) {
		server_respond_error(req, 409, "conflict", "%s", msg);
		return;
	}
	s = sup_find(api->sup, name);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "message", msg);
	cJSON_AddItemToObject(o, "service", api_service_json(api, s,
	    clock_wall_ms(), false));
	server_respond_json(req, rc == 0 ? 202 : 200, o);
}

static void
api_signal(struct api *api, struct srv_req *req, struct sup_svc *s)
{
	cJSON *body = req->body ? cJSON_ParseWithLength(req->body,
	    req->body_len) : NULL, *sig, *o;
	int signo = -1;
	pid_t pid = sup_svc_pid(s);
	char msg[160];

	(void)api;
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
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "message", msg);
	server_respond_json(req, 202, o);
}

static void
api_all(struct api *api, struct srv_req *req, bool start)
{
	int rc = start ? sup_start_all(api->sup) : sup_stop_all(api->sup);
	cJSON *o;

	if (rc < 0) {
		server_respond_error(req, 409, "conflict", "prodd is shutting "
		    "down");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "message", rc == 0 ? (start ?
	    "starting every enabled service" : "stopping every service") :
	    "nothing to do");
	cJSON_AddItemToObject(o, "services", api_services_json(api,
	    clock_wall_ms(), false));
	server_respond_json(req, rc == 0 ? 202 : 200, o);
}

static void
api_reload(struct api *api, struct srv_req *req)
{
	char msg[512];
	cJSON *errors = NULL, *o;

	if (api->reload(api->arg, msg, sizeof msg, &errors) < 0) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "error", "the file has errors; "
		    "nothing was changed");
		cJSON_AddStringToObject(o, "code", "invalid_config");
		cJSON_AddItemToObject(o, "errors", errors ? errors :
		    cJSON_CreateArray());
		server_respond_json(req, 422, o);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "message", msg);
	server_respond_json(req, 200, o);
}

static void
api_ready(struct api *api, struct srv_req *req)
{
	cJSON *o = cJSON_CreateObject(), *not = cJSON_CreateArray();
	struct svc_view *sv = xmalloc(sizeof *sv);
	bool ready = true;

	for (size_t i = 0; i < sup_count(api->sup); i++) {
		api_fill(api, sup_svc_at(api->sup, i), sv, 0);
		if (!sv->v.enabled)
			continue;
		if (sv->v.state != FSM_RUNNING) {
			ready = false;
			cJSON_AddItemToArray(not, cJSON_CreateString(sv->v.name));
		}
	}
	free(sv);
	cJSON_AddStringToObject(o, "status", ready ? "ready" : "not_ready");
	cJSON_AddItemToObject(o, "not_ready", not);
	server_respond_json(req, ready ? 200 : 503, o);
}

static void
api_dashboard_data(struct api *api, struct srv_req *req, int64_t now)
{
	cJSON *o, *ev, *svcs;
	uint32_t hist = ~0u;	/* all of it, unless ?history=N */
	char buf[32];

	if (server_query(req, "history", buf, sizeof buf)) {
		char *end;
		unsigned long v = strtoul(buf, &end, 10);

		if (*end != '\0' || buf[0] == '\0' || v > 1000000) {
			server_respond_error(req, 400, "bad_request",
			    "history must be a number of samples");
			return;
		}
		hist = v == 0 ? 1 : (uint32_t)v;
	}
	o = cJSON_CreateObject();
	ev = cJSON_CreateArray();
	const struct events *e = sup_events(api->sup);
	uint64_t last = e->next_seq - 1;

	cJSON_AddItemToObject(o, "daemon", api_health_json(api, now));
	if (api->sampler != NULL)
		cJSON_AddItemToObject(o, "system", view_system_json(
		    sampler_host(api->sampler),
		    sampler_interval_ms(api->sampler), hist));
	else
		cJSON_AddNullToObject(o, "system");
	svcs = api_services_json(api, now, true);
	/* each service's history: cpu %, rss bytes */
	for (size_t i = 0; i < sup_count(api->sup); i++) {
		const struct metrics_svc *m = sampler_metrics(api->sampler,
		    sup_svc_cfg(sup_svc_at(api->sup, i))->name);
		cJSON *h = cJSON_AddObjectToObject(cJSON_GetArrayItem(svcs,
		    (int)i), "history");

		cJSON_AddItemToObject(h, "cpu", view_ring_json(&m->cpu,
		    hist == ~0u ? 0 : hist));
		cJSON_AddItemToObject(h, "rss", view_ring_json(&m->mem,
		    hist == ~0u ? 0 : hist));
	}
	cJSON_AddItemToObject(o, "services", svcs);
	events_since(e, last > 100 ? last - 100 : 0, api_event_add_cb, ev);
	cJSON_AddItemToObject(o, "events", ev);
	cJSON_AddItemToObject(o, "alerts", cJSON_CreateArray());
	server_respond_json(req, 200, o);
}

/* One host series by name, or NULL. */
static const struct mring *
api_host_series(const struct metrics_host *h, const char *name)
{
	static const struct { const char *name; size_t off; } fixed[] = {
		{ "cpu", offsetof(struct metrics_host, cpu) },
		{ "load1", offsetof(struct metrics_host, load) },
		{ "mem_used", offsetof(struct metrics_host, mem_used_h) },
		{ "swap_used", offsetof(struct metrics_host, swap_used_h) },
		{ "disk_read_bps", offsetof(struct metrics_host, disk_read) },
		{ "disk_write_bps", offsetof(struct metrics_host, disk_write) },
	};

	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		if (strcmp(name, fixed[i].name) == 0)
			return (const struct mring *)((const char *)h +
			    fixed[i].off);
	if (strncmp(name, "cpu", 3) == 0 && name[3] >= '0' && name[3] <= '9') {
		char *end;
		unsigned long c = strtoul(name + 3, &end, 10);

		return *end == '\0' && c < h->ncpus ? &h->percpu[c] : NULL;
	}
	for (size_t i = 0; i < h->nnets; i++) {
		if (strncmp(name, "rx:", 3) == 0 &&
		    strcmp(name + 3, h->nets[i].name) == 0)
			return &h->nets[i].rx;
		if (strncmp(name, "tx:", 3) == 0 &&
		    strcmp(name + 3, h->nets[i].name) == 0)
			return &h->nets[i].tx;
	}
	for (size_t i = 0; i < h->ndisks; i++)
		if (strncmp(name, "disk:", 5) == 0 &&
		    strcmp(name + 5, h->disks[i].path) == 0)
			return &h->disks[i].used_pct;
	return NULL;
}

/* GET /api/metrics/history?service=NAME&series=cpu,rss: a service's
 * series; without service, the host's (cpu, load1, mem_used, swap_used,
 * disk_read_bps, disk_write_bps, cpuN, rx:IF, tx:IF, disk:PATH). */
static void
api_history(struct api *api, struct srv_req *req)
{
	char name[256], series[1024], *save = NULL, *tok;
	const struct metrics_svc *m = NULL;
	cJSON *o, *so;

	if (api->sampler == NULL) {
		server_respond_error(req, 409, "conflict", "not sampling");
		return;
	}
	if (server_query(req, "service", name, sizeof name)) {
		struct sup_svc *s = sup_find(api->sup, name);

		if (s == NULL) {
			server_respond_error(req, 404, "not_found",
			    "unknown service '%s'", name);
			return;
		}
		m = sampler_metrics(api->sampler, name);
	}
	if (!server_query(req, "series", series, sizeof series))
		snprintf(series, sizeof series, m != NULL ? "cpu,rss" : "cpu");
	o = cJSON_CreateObject();
	if (m != NULL)
		cJSON_AddStringToObject(o, "service", name);
	else
		cJSON_AddNullToObject(o, "service");
	cJSON_AddNumberToObject(o, "interval_ms",
	    (double)sampler_interval_ms(api->sampler));
	cJSON_AddItemToObject(o, "end", view_time(
	    sampler_host(api->sampler)->ts_ms));
	so = cJSON_AddObjectToObject(o, "series");
	for (tok = strtok_r(series, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		const struct mring *r = NULL;

		if (m != NULL)
			r = strcmp(tok, "cpu") == 0 ? &m->cpu :
			    strcmp(tok, "rss") == 0 ? &m->mem : NULL;
		else
			r = api_host_series(sampler_host(api->sampler), tok);
		if (r == NULL) {
			cJSON_Delete(o);
			server_respond_error(req, 400, "bad_request",
			    "unknown series '%s'%s", tok, m != NULL ?
			    " (a service has cpu and rss)" : "");
			return;
		}
		cJSON_AddItemToObject(so, tok, view_ring_json(r, 0));
	}
	server_respond_json(req, 200, o);
}

/* Split "/api/services/NAME/VERB" into its parts. */
static int
api_split(const char *path, char *name, size_t nlen, char *verb, size_t vlen)
{
	const char *p = path + strlen("/api/services/"), *slash;

	slash = strchr(p, '/');
	if (slash == NULL) {
		snprintf(name, nlen, "%s", p);
		verb[0] = '\0';
	} else {
		snprintf(name, nlen, "%.*s", (int)(slash - p), p);
		snprintf(verb, vlen, "%s", slash + 1);
	}
	return name[0] != '\0' && strchr(verb, '/') == NULL ? 0 : -1;
}

static bool
api_method(struct srv_req *req, enum srv_method want)
{
	if (req->method == want)
		return true;
	server_respond_error(req, 405, "method_not_allowed", "use %s for %s",
	    want == SRV_GET ? "GET" : "POST", req->path);
	return false;
}

static bool
api_may_change(struct srv_req *req)
{
	if (req->authorized)
		return true;
	server_respond_error(req, req->auth_status, req->auth_status == 401 ?
	    "unauthorized" : "forbidden", "%s", req->auth_error);
	return false;
}

void
api_handle(void *arg, struct srv_req *req)
{
	struct api *api = arg;
	const char *path = req->path;
	int64_t now = clock_wall_ms();

	if (strcmp(path, "/health/live") == 0) {
		cJSON *o;

		if (!api_method(req, SRV_GET))
			return;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "status", "alive");
		server_respond_json(req, 200, o);
		return;
	}
	if (strcmp(path, "/health/ready") == 0) {
		if (api_method(req, SRV_GET))
			api_ready(api, req);
		return;
	}
	if (strcmp(path, "/api/health") == 0) {
		if (api_method(req, SRV_GET) &&
		    !api_cache_get(api, &api->health, req, now))
			api_cache_put(api, &api->health, req, now,
			    api_health_json(api, now));
		return;
	}
	if (strcmp(path, "/api/dashboard-data") == 0) {
		if (api_method(req, SRV_GET))
			api_dashboard_data(api, req, now);
		return;
	}
	if (strcmp(path, "/api/services") == 0) {
		cJSON *o;

		if (!api_method(req, SRV_GET) ||
		    api_cache_get(api, &api->services, req, now))
			return;
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "services", api_services_json(api, now,
		    false));
		api_cache_put(api, &api->services, req, now, o);
		return;
	}
	if (strcmp(path, "/api/events") == 0) {
		if (api_method(req, SRV_GET))
			api_events(api, req);
		return;
	}
	if (strcmp(path, "/api/metrics/history") == 0) {
		if (api_method(req, SRV_GET))
			api_history(api, req);
		return;
	}
	if (strcmp(path, "/api/alerts") == 0) {
		cJSON *o;

		if (!api_method(req, SRV_GET))
			return;
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "active", cJSON_CreateArray());
		cJSON_AddItemToObject(o, "resolved", cJSON_CreateArray());
		server_respond_json(req, 200, o);
		return;
	}
	if (strcmp(path, "/api/start-all") == 0 ||
	    strcmp(path, "/api/stop-all") == 0) {
		if (api_method(req, SRV_POST) && api_may_change(req))
			api_all(api, req, strcmp(path, "/api/start-all") == 0);
		return;
	}
	if (strcmp(path, "/api/reload") == 0) {
		if (api_method(req, SRV_POST) && api_may_change(req))
			api_reload(api, req);
		return;
	}
	if (strncmp(path, "/api/services/", 14) == 0) {
		char name[256], verb[64];
		struct sup_svc *s;

		if (api_split(path, name, sizeof name, verb, sizeof verb) < 0) {
			server_respond_error(req, 404, "not_found", "no such "
			    "route: %s", path);
			return;
		}
		if (verb[0] != '\0' && strcmp(verb, "logs") != 0 &&
		    strcmp(verb, "start") != 0 && strcmp(verb, "stop") != 0 &&
		    strcmp(verb, "restart") != 0 && strcmp(verb, "signal") != 0) {
			server_respond_error(req, 404, "not_found", "no such "
			    "route: %s", path);
			return;
		}
		if ((s = sup_find(api->sup, name)) == NULL) {
			server_respond_error(req, 404, "not_found", "unknown "
			    "service '%s'", name);
			return;
		}
		if (verb[0] == '\0') {
			if (api_method(req, SRV_GET))
				server_respond_json(req, 200,
				    api_service_json(api, s, now, true));
			return;
		}
		if (strcmp(verb, "logs") == 0) {
			if (api_method(req, SRV_GET))
				api_logs(api, req, s);
			return;
		}
		if (!api_method(req, SRV_POST) || !api_may_change(req))
			return;
		if (strcmp(verb, "signal") == 0)
			api_signal(api, req, s);
		else
			api_action(api, req, name, verb);
		return;
	}
	server_respond_error(req, 404, "not_found", "no such route: %s", path);
}
