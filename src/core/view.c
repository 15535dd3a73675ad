/*
 * JSON views (see view.h). Timestamps are RFC 3339 UTC with milliseconds,
 * durations carry their unit in the key, and a value that does not apply is
 * null rather than missing, so every client sees one shape.
 */
#include "prodd/view.h"
#include "prodd/log.h"

#include <string.h>

cJSON *
view_time(int64_t epoch_ms)
{
	char buf[40];

	if (epoch_ms <= 0)
		return cJSON_CreateNull();
	log_format_time(buf, sizeof buf, epoch_ms);
	return cJSON_CreateString(buf);
}

static cJSON *
view_str_or_null(const char *s)
{
	return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *
view_int_or_null(bool has, double v)
{
	return has ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

void
view_count(struct view_counts *c, const struct view_service *s)
{
	/* wanted: what should be up now -- a disabled service counts once
	 * someone started it by hand; one stopped by hand does not */
	bool wanted = !s->stopped_by_hand && s->want == FSM_WANT_UP;

	c->total++;
	if (s->state == FSM_RUNNING || s->state == FSM_UNHEALTHY)
		c->running++;
	if (s->state == FSM_RUNNING)
		c->healthy++;
	if (s->state == FSM_FAILED)
		c->failed++;
	if (wanted) {
		c->wanted++;
		if (s->state == FSM_RUNNING)
			c->wanted_healthy++;
		if (s->state == FSM_FAILED)
			c->wanted_failed++;
	}
}

const char *
view_status(const struct view_counts *c)
{
	if (c->wanted_failed > 0)
		return "unhealthy";
	if (c->wanted_healthy == c->wanted)
		return "healthy";
	return "degraded";
}

/* "health": the status, the last check, and the kept history */
static void
view_health(cJSON *o, const struct view_service *s)
{
	const struct health_state *hs = s->health;
	cJSON *h = cJSON_AddObjectToObject(o, "health"), *a;
	const char *status = "none";
	bool has = hs != NULL && hs->checks > 0;

	if (s->health_kind != NULL)
		status = hs == NULL || hs->status == HEALTH_NONE ? "unknown" :
		    health_status_name(hs->status);
	cJSON_AddStringToObject(h, "status", status);
	cJSON_AddItemToObject(h, "kind", view_str_or_null(s->health_kind));
	cJSON_AddItemToObject(h, "last_latency_ms", view_int_or_null(has,
	    has ? (double)(int64_t)(hs->last_latency_ms * 100 + 0.5) / 100 : 0));
	cJSON_AddItemToObject(h, "last_error", view_str_or_null(has &&
	    hs->last_error[0] ? hs->last_error : NULL));
	cJSON_AddItemToObject(h, "last_check_at", view_time(has ?
	    hs->last_check_ms : 0));
	cJSON_AddNumberToObject(h, "failures", hs != NULL ? hs->failures : 0);
	cJSON_AddNumberToObject(h, "checks", hs != NULL ? (double)hs->checks :
	    0);
	cJSON_AddNumberToObject(h, "failures_total", hs != NULL ?
	    (double)hs->failures_total : 0);
	if (!s->detail)
		return;
	a = cJSON_AddArrayToObject(h, "history");
	for (size_t i = 0; hs != NULL && i < hs->nhist; i++) {
		const struct health_sample *x = health_sample_at(hs, i);
		cJSON *c = cJSON_CreateObject();

		cJSON_AddItemToObject(c, "at", view_time(x->at_ms));
		cJSON_AddNumberToObject(c, "latency_ms",
		    (double)(int64_t)(x->latency_ms * 100 + 0.5) / 100);
		cJSON_AddBoolToObject(c, "ok", x->ok);
		cJSON_AddItemToArray(a, c);
	}
}

cJSON *
view_service_json(const struct view_service *s)
{
	cJSON *o = cJSON_CreateObject(), *a;
	bool up = fsm_state_alive(s->state) && s->pid > 0;

	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "type", s->type);
	cJSON_AddStringToObject(o, "state", fsm_state_name(s->state));
	cJSON_AddStringToObject(o, "want", s->want == FSM_WANT_UP ? "up" :
	    "down");
	cJSON_AddItemToObject(o, "reason", view_str_or_null(s->reason));
	cJSON_AddItemToObject(o, "pid", view_int_or_null(s->pid > 0, s->pid));
	cJSON_AddItemToObject(o, "started_at", view_time(up ?
	    s->started_at_ms : 0));
	cJSON_AddItemToObject(o, "uptime_s", view_int_or_null(up &&
	    s->started_at_ms > 0, (double)(s->now_ms - s->started_at_ms) /
	    1000.0));
	cJSON_AddNumberToObject(o, "restarts", s->restarts);
	cJSON_AddNumberToObject(o, "consecutive_failures",
	    s->consecutive_failures);
	if (s->has_exit) {
		cJSON *e = cJSON_AddObjectToObject(o, "last_exit");

		cJSON_AddItemToObject(e, "code", view_int_or_null(
		    s->exit_signal == 0, s->exit_code));
		cJSON_AddItemToObject(e, "signal", view_int_or_null(
		    s->exit_signal != 0, s->exit_signal));
		cJSON_AddItemToObject(e, "at", view_time(s->exit_at_ms));
	} else {
		cJSON_AddNullToObject(o, "last_exit");
	}
	view_health(o, s);
	a = cJSON_AddArrayToObject(o, "dependencies");
	for (size_t i = 0; i < s->ndeps; i++) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "name", s->deps[i].name);
		cJSON_AddStringToObject(d, "condition", s->deps[i].condition);
		cJSON_AddItemToArray(a, d);
	}
	cJSON_AddItemToObject(o, "port", view_int_or_null(s->port > 0, s->port));
	a = cJSON_AddArrayToObject(o, "environment_keys");
	for (size_t i = 0; i < s->nenv; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s->env_keys[i]));
	cJSON_AddBoolToObject(o, "enabled", s->enabled);
	cJSON_AddBoolToObject(o, "stopped_by_hand", s->stopped_by_hand);
	if (s->has_metrics) {
		cJSON *m = cJSON_AddObjectToObject(o, "metrics");

		cJSON_AddNumberToObject(m, "cpu_percent",
		    (double)(int64_t)(s->cpu_percent * 100 + 0.5) / 100);
		cJSON_AddNumberToObject(m, "rss_bytes", (double)s->rss_bytes);
		cJSON_AddNumberToObject(m, "processes", s->processes);
		cJSON_AddNumberToObject(m, "threads", s->threads);
		cJSON_AddItemToObject(m, "fds", view_int_or_null(s->fds >= 0,
		    s->fds));
		cJSON_AddNumberToObject(m, "read_bps", (double)(int64_t)s->read_bps);
		cJSON_AddNumberToObject(m, "write_bps",
		    (double)(int64_t)s->write_bps);
	} else {
		cJSON_AddNullToObject(o, "metrics");
	}
	return o;
}

/* The name of one end of an event's change: a health event goes from one
 * health status to another, any other from one lifecycle state to
 * another; NULL when the event has none. */
static const char *
view_event_end(const struct event *e, int end)
{
	if (end < 0)
		return NULL;
	return e->kind == EVENT_HEALTH ?
	    health_status_name((enum health_status)end) :
	    fsm_state_name((enum fsm_state)end);
}

cJSON *
view_event_json(const struct event *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "seq", (double)e->seq);
	cJSON_AddItemToObject(o, "ts", view_time(e->ts_ms));
	cJSON_AddItemToObject(o, "service", view_str_or_null(e->service[0] ?
	    e->service : NULL));
	cJSON_AddStringToObject(o, "kind", event_kind_name(e->kind));
	cJSON_AddItemToObject(o, "from", view_str_or_null(
	    view_event_end(e, e->from)));
	cJSON_AddItemToObject(o, "to", view_str_or_null(
	    view_event_end(e, e->to)));
	cJSON_AddStringToObject(o, "reason", e->reason);
	cJSON_AddItemToObject(o, "pid", view_int_or_null(e->pid > 0, e->pid));
	cJSON_AddItemToObject(o, "exit_code", view_int_or_null(
	    e->exit_code >= 0, e->exit_code));
	cJSON_AddItemToObject(o, "signal", view_int_or_null(e->signal > 0,
	    e->signal));
	cJSON_AddItemToObject(o, "delay_ms", view_int_or_null(e->delay_ms >= 0,
	    (double)e->delay_ms));
	return o;
}

cJSON *
view_error_json(const char *message, const char *code)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "error", message);
	cJSON_AddStringToObject(o, "code", code);
	return o;
}

cJSON *
view_ring_json(const struct mring *r, uint32_t last)
{
	cJSON *a = cJSON_CreateArray();
	uint32_t from = last > 0 && last < r->n ? r->n - last : 0;

	for (uint32_t i = from; i < r->n; i++) {
		double v = mring_at(r, i);

		/* three decimals are plenty, and keep the text short */
		cJSON_AddItemToArray(a, cJSON_CreateNumber(
		    (double)(int64_t)(v * 1000 + (v < 0 ? -0.5 : 0.5)) / 1000));
	}
	return a;
}

static double
view_round(double v, double to)
{
	return (double)(int64_t)(v * to + 0.5) / to;
}

cJSON *
view_system_json(const struct metrics_host *h, int64_t interval_ms,
    uint32_t history)
{
	cJSON *o = cJSON_CreateObject(), *a, *x, *hist = NULL;

	cJSON_AddItemToObject(o, "ts", view_time(h->ts_ms));
	cJSON_AddNumberToObject(o, "interval_ms", (double)interval_ms);
	cJSON_AddNumberToObject(o, "cpu_percent", view_round(h->cpu_percent,
	    100));
	a = cJSON_AddArrayToObject(o, "cpus");
	for (size_t i = 0; i < h->ncpus; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(view_round(
		    h->cpus[i], 100)));
	a = cJSON_AddArrayToObject(o, "load");
	cJSON_AddItemToArray(a, cJSON_CreateNumber(h->load1));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(h->load5));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(h->load15));
	x = cJSON_AddObjectToObject(o, "memory");
	cJSON_AddNumberToObject(x, "total", (double)h->mem_total);
	cJSON_AddNumberToObject(x, "available", (double)h->mem_available);
	cJSON_AddNumberToObject(x, "used", (double)h->mem_used);
	x = cJSON_AddObjectToObject(o, "swap");
	cJSON_AddNumberToObject(x, "total", (double)h->swap_total);
	cJSON_AddNumberToObject(x, "used", (double)h->swap_used);
	a = cJSON_AddArrayToObject(o, "disks");
	for (size_t i = 0; i < h->ndisks; i++) {
		const struct metrics_disk *d = &h->disks[i];

		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "path", d->path);
		if (d->ok) {
			cJSON_AddNumberToObject(x, "total", (double)d->total);
			cJSON_AddNumberToObject(x, "used", (double)d->used);
			cJSON_AddNumberToObject(x, "available", (double)d->avail);
			cJSON_AddNumberToObject(x, "used_percent", view_round(
			    d->used + d->avail > 0 ? 100.0 * (double)d->used /
			    (double)(d->used + d->avail) : 0, 100));
		} else {
			cJSON_AddNullToObject(x, "total");
		}
		cJSON_AddItemToArray(a, x);
	}
	x = cJSON_AddObjectToObject(o, "disk_io");
	cJSON_AddNumberToObject(x, "read_bps", view_round(h->disk_read_bps, 1));
	cJSON_AddNumberToObject(x, "write_bps", view_round(h->disk_write_bps,
	    1));
	a = cJSON_AddArrayToObject(o, "network");
	for (size_t i = 0; i < h->nnets; i++) {
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", h->nets[i].name);
		cJSON_AddNumberToObject(x, "rx_bps", view_round(
		    h->nets[i].rx_bps, 1));
		cJSON_AddNumberToObject(x, "tx_bps", view_round(
		    h->nets[i].tx_bps, 1));
		cJSON_AddItemToArray(a, x);
	}
	cJSON_AddNumberToObject(o, "uptime_s", view_round(h->uptime_s, 100));
	if (history == 0)
		return o;
	if (history == ~0u)
		history = 0;	/* all */
	hist = cJSON_AddObjectToObject(o, "history");
	cJSON_AddItemToObject(hist, "cpu", view_ring_json(&h->cpu, history));
	cJSON_AddItemToObject(hist, "load1", view_ring_json(&h->load, history));
	cJSON_AddItemToObject(hist, "mem_used", view_ring_json(&h->mem_used_h,
	    history));
	cJSON_AddItemToObject(hist, "swap_used", view_ring_json(
	    &h->swap_used_h, history));
	cJSON_AddItemToObject(hist, "disk_read_bps", view_ring_json(
	    &h->disk_read, history));
	cJSON_AddItemToObject(hist, "disk_write_bps", view_ring_json(
	    &h->disk_write, history));
	a = cJSON_AddArrayToObject(hist, "cpus");
	for (size_t i = 0; i < h->ncpus; i++)
		cJSON_AddItemToArray(a, view_ring_json(&h->percpu[i], history));
	x = cJSON_AddObjectToObject(hist, "network");
	for (size_t i = 0; i < h->nnets; i++) {
		cJSON *n = cJSON_AddObjectToObject(x, h->nets[i].name);

		cJSON_AddItemToObject(n, "rx_bps", view_ring_json(
		    &h->nets[i].rx, history));
		cJSON_AddItemToObject(n, "tx_bps", view_ring_json(
		    &h->nets[i].tx, history));
	}
	x = cJSON_AddObjectToObject(hist, "disks");
	for (size_t i = 0; i < h->ndisks; i++)
		cJSON_AddItemToObject(x, h->disks[i].path, view_ring_json(
		    &h->disks[i].used_pct, history));
	return o;
}
