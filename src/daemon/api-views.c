/*
 * The reading routes of the API (see api.h): the shell side of the views.
 * It reads the supervisor, the sampler and the rings into core/view's
 * plain structs -- a service, prodd itself, the dashboard's snapshot --
 * checks the query, and answers with what core/view renders: the
 * services, prodd's health and readiness, the dashboard's data, the
 * metrics history, the events and a service's lines.
 */
#include "prodd/alertd.h"
#include "prodd/api.h"
#include "prodd/guard.h"
#include "prodd/log.h"
#include "prodd/logs.h"
#include "prodd/sampler.h"
#include "prodd/version.h"
#include "prodd/view.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define API_MAX_LINES 10000
#define API_MAX_DEPS 64
#define API_MAX_KEYS 256

struct svc_view {
	struct view_service v;
	struct view_exit exits[8];
	struct view_dep deps[API_MAX_DEPS];
	const char *keys[API_MAX_KEYS];
};

static void
api_fill(const struct api *api, const struct sup_svc *s, struct svc_view *sv,
    int64_t now)
{
	const struct cfg_service *c = sup_svc_cfg(s);
	const struct fsm_svc *f = sup_svc_fsm(s);
	const struct metrics_svc *m = sampler_metrics(api->sampler, c->name);
	struct view_service *v = &sv->v;
	size_t nd = c->ndeps < API_MAX_DEPS ? c->ndeps : API_MAX_DEPS;
	size_t ne = c->nenv < API_MAX_KEYS ? c->nenv : API_MAX_KEYS;

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
		struct sup_notify_view nv;

		v->notify = c->notify;
		v->notify_dropped = sup_svc_notify(s, &nv);
		v->status_text = nv.status_text;
		v->notify_ready = nv.ready;
		v->notify_phase = nv.phase;
		v->notify_errno = nv.errno_value;
		v->notify_exit_errno = nv.exit_errno;
		v->notify_main_pid = nv.main_pid;
	}
	v->has_metrics = m->valid;
	v->cpu_percent = m->cpu_percent;
	v->rss_bytes = m->rss;
	v->processes = m->procs;
	v->threads = m->threads;
	v->fds = m->fds;
	v->read_bps = m->read_bps;
	v->write_bps = m->write_bps;
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
cJSON *
api_service_json(const struct api *api, const struct sup_svc *s, int64_t now,
    bool detail)
{
	struct svc_view *sv = xmalloc(sizeof *sv);
	cJSON *o;

	api_fill(api, s, sv, now);
	sv->v.detail = detail;
	if (detail) {
		const struct sup_exit *x;
		size_t n = 0;

		while (n < sizeof sv->exits / sizeof sv->exits[0] &&
		    (x = sup_svc_exit(s, n)) != NULL) {
			sv->exits[n] = (struct view_exit){ .at_ms = x->at_ms,
				.pid = x->pid, .code = x->code,
				.signal = x->signal, .reason = x->reason,
				.lines = x->lines };
			n++;
		}
		sv->v.exits = sv->exits;
		sv->v.nexits = n;
	}
	o = view_service_json(&sv->v);
	free(sv);
	return o;
}

cJSON *
api_analyze_json(const struct api *api)
{
	size_t n = sup_count(api->sup);
	struct analyze_svc *v = xcalloc(n + 1, sizeof *v);
	size_t *chain = xcalloc(n + 1, sizeof *chain);
	size_t *order = xcalloc(n + 1, sizeof *order);
	struct analyze_result r = { .chain = chain };
	cJSON *o;

	for (size_t i = 0; i < n; i++) {
		const struct sup_svc *s = sup_svc_at(api->sup, i);
		const struct sup_start *st = sup_svc_start(s);

		v[i].name = sup_svc_cfg(s)->name;
		v[i].state = fsm_state_name(sup_svc_fsm(s)->state);
		v[i].wanted_ms = st->wanted_ms;
		v[i].deps_met_ms = st->deps_met_ms;
		v[i].spawned_ms = st->spawned_ms;
		v[i].ready_ms = st->ready_ms;
		v[i].waited_for = st->waited_for;
	}
	analyze_run(v, n, &r);
	analyze_order(v, n, order);
	o = view_analyze_json(v, n, &r, order);
	free(order);
	free(chain);
	free(v);
	return o;
}

/* The services one after another into one view struct (see view_list). */
struct list_ctx {
	const struct api *api;
	struct svc_view *sv;
	int64_t now;
	bool detail;
	uint32_t history;		/* with_history: of each ring */
	bool with_history;
};

static const struct view_service *
api_list_service_cb(void *arg, size_t i)
{
	struct list_ctx *lc = arg;
	const struct sup_svc *s = sup_svc_at(lc->api->sup, i);

	api_fill(lc->api, s, lc->sv, lc->now);
	lc->sv->v.detail = lc->detail;
	if (lc->with_history) {
		const struct metrics_svc *m = sampler_metrics(lc->api->sampler,
		    sup_svc_cfg(s)->name);

		lc->sv->v.hist_cpu = &m->cpu;
		lc->sv->v.hist_rss = &m->mem;
		lc->sv->v.history = lc->history;
	}
	return &lc->sv->v;
}

/* Set up l over every service; free lc->sv after. */
static void
api_list(const struct api *api, int64_t now, bool detail,
    struct list_ctx *lc, struct view_list *l)
{
	memset(lc, 0, sizeof *lc);
	lc->api = api;
	lc->sv = xmalloc(sizeof *lc->sv);
	lc->now = now;
	lc->detail = detail;
	l->n = sup_count(api->sup);
	l->at = api_list_service_cb;
	l->arg = lc;
}

cJSON *
api_services_json(const struct api *api, int64_t now, bool wrapped)
{
	struct list_ctx lc;
	struct view_list l;
	cJSON *o;

	api_list(api, now, false, &lc, &l);
	o = wrapped ? view_services_json(&l) : view_services_array(&l);
	free(lc.sv);
	return o;
}

/* prodd itself; self is the storage for its own numbers. */
static void
api_daemon(const struct api *api, int64_t now, struct view_daemon *d,
    struct view_self *self)
{
	struct svc_view *sv = xmalloc(sizeof *sv);

	memset(d, 0, sizeof *d);
	for (size_t i = 0; i < sup_count(api->sup); i++) {
		api_fill(api, sup_svc_at(api->sup, i), sv, 0);
		view_count(&d->counts, &sv->v);
	}
	free(sv);
	d->version = PRODD_VERSION;
	d->api_version = PRODD_API_VERSION;
	d->now_ms = now;
	d->started_ms = api->started_ms;
	d->pid = (int)getpid();
	d->shutting_down = sup_shutting_down(api->sup);
	if (api->sampler != NULL) {
		struct sampler_self me;

		sampler_self(api->sampler, &me);
		self->rss = me.rss;
		self->cpu_percent = me.cpu_percent;
		self->loop_lag_ms = me.loop_lag_ms;
		self->loop_lag_max_ms = me.loop_lag_max_ms;
		self->sample_cpu_us = me.sample_cpu_us;
		self->sample_cpu_us_median = me.sample_cpu_us_median;
		self->samples = me.samples;
		d->self = self;
	}
}

/* {"tcp_writes": "token"|"disabled"}: whether a change over TCP takes a
 * bearer token or is refused (none configured). Never the token. */
static cJSON *
api_auth_json(const struct api *api)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "tcp_writes", api->guard != NULL &&
	    guard_has_token(api->guard) ? "token" : "disabled");
	return o;
}

cJSON *
api_health_json(const struct api *api, int64_t now)
{
	struct view_daemon d;
	struct view_self self;
	cJSON *o;

	api_daemon(api, now, &d, &self);
	o = view_daemon_json(&d);
	cJSON_AddItemToObject(o, "auth", api_auth_json(api));
	return o;
}

void
api_ready(struct api *api, struct srv_req *req)
{
	struct list_ctx lc;
	struct view_list l;
	bool ready;
	cJSON *o;

	api_list(api, 0, false, &lc, &l);
	o = view_ready_json(&l, &ready);
	free(lc.sv);
	server_respond_json(req, ready ? 200 : 503, o);
}

cJSON *
api_snapshot_json(struct api *api, int64_t now, uint32_t hist,
    uint32_t svc_hist)
{
	struct view_snapshot snap = { 0 };
	struct view_daemon d;
	struct view_self self;
	struct list_ctx lc;
	cJSON *o;

	api_daemon(api, now, &d, &self);
	snap.daemon = &d;
	if (api->sampler != NULL) {
		snap.host = sampler_host(api->sampler);
		snap.interval_ms = sampler_interval_ms(api->sampler);
	}
	snap.history = hist;
	api_list(api, now, true, &lc, &snap.services);
	lc.with_history = true;
	lc.history = svc_hist == ~0u ? 0 : svc_hist;
	snap.events = sup_events(api->sup);
	o = view_snapshot_json(&snap);
	if (api->alerts != NULL)
		cJSON_ReplaceItemInObject(o, "alerts",
		    alertd_active_json(api->alerts));
	cJSON_AddItemToObject(o, "auth", api_auth_json(api));
	free(lc.sv);
	return o;
}

cJSON *
api_ws_metrics_json(struct api *api, int64_t now, bool compact)
{
	struct list_ctx lc;
	struct view_list l;
	cJSON *o;

	api_list(api, now, false, &lc, &l);
	o = view_ws_metrics_json(now, api->sampler != NULL ?
	    sampler_host(api->sampler) : NULL, api->sampler != NULL ?
	    sampler_interval_ms(api->sampler) : 0, &l, compact);
	free(lc.sv);
	return o;
}

void
api_dashboard_data(struct api *api, struct srv_req *req, int64_t now)
{
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
	server_respond_json(req, 200, api_snapshot_json(api, now, hist, hist));
}

/* GET /api/metrics/history?service=NAME&series=cpu,rss: a service's
 * series; without service, the host's (see view_host_series). */
void
api_history(struct api *api, struct srv_req *req)
{
	char name[256], series[1024], bad[1024];
	const struct metrics_svc *m = NULL;
	cJSON *o;

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
	o = view_history_json(m != NULL ? name : NULL, m, sampler_host(api->sampler),
	    sampler_interval_ms(api->sampler), series, bad, sizeof bad);
	if (o == NULL) {
		server_respond_error(req, 400, "bad_request", "unknown series "
		    "'%s'%s", bad, m != NULL ? " (a service has cpu and rss)" :
		    "");
		return;
	}
	server_respond_json(req, 200, o);
}

/* Query parameter name as a number in [min, max] into *out (left as it
 * is when absent); false after answering 400. */
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

void
api_events(struct api *api, struct srv_req *req)
{
	long since = 0, follow = 0;

	if (!api_number(req, "since", 0, LONG_MAX, &since) ||
	    !api_number(req, "follow", 0, 1, &follow))
		return;
	if (follow)
		api_follow_events(api, req, (uint64_t)since);
	else
		server_respond_json(req, 200, view_events_json(sup_events(
		    api->sup), (uint64_t)since));
}

void
api_logs(struct api *api, struct srv_req *req, struct sup_svc *s)
{
	long lines = 100, follow = 0, since = 0;
	char buf[32];
	int stream = 0;

	if (!api_number(req, "lines", 0, API_MAX_LINES, &lines) ||
	    !api_number(req, "follow", 0, 1, &follow) ||
	    !api_number(req, "since", 0, LONG_MAX, &since))
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
	if (follow)
		api_follow_logs(api, req, s, (size_t)lines, stream,
		    (uint64_t)since);
	else
		server_respond_json(req, 200, view_logs_json(sup_svc_cfg(s)->name,
		    logs_ring(sup_svc_logs(s)), (size_t)lines, stream));
}
