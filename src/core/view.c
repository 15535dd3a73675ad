/*
 * JSON views (see view.h): a service, an event, a service's output line,
 * prodd's health, an error. Timestamps are RFC 3339 UTC with milliseconds,
 * durations carry their unit in the key, and a value that does not apply is
 * null rather than missing, so every client sees one shape.
 */
#include "prodd/view.h"
#include "prodd/log.h"

#include <math.h>
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

const char *const view_figure_names[VIEW_FIGURES] = { "cpu_percent",
	"rss_bytes", "processes", "threads", "fds", "read_bps", "write_bps" };

void
view_service_figures(const struct view_service *s, double v[VIEW_FIGURES])
{
	v[0] = (double)(int64_t)(s->cpu_percent * 100 + 0.5) / 100;
	v[1] = (double)s->rss_bytes;
	v[2] = s->processes;
	v[3] = s->threads;
	v[4] = s->fds >= 0 ? s->fds : NAN;
	v[5] = (double)(int64_t)s->read_bps;
	v[6] = (double)(int64_t)s->write_bps;
}

cJSON *
view_figure(double v)
{
	return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

cJSON *
view_service_metrics_json(const struct view_service *s)
{
	double v[VIEW_FIGURES];
	cJSON *m;

	if (!s->has_metrics)
		return cJSON_CreateNull();
	view_service_figures(s, v);
	m = cJSON_CreateObject();
	for (int i = 0; i < VIEW_FIGURES; i++)
		cJSON_AddItemToObject(m, view_figure_names[i], view_figure(v[i]));
	return m;
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
		if (s->notify)
			cJSON_AddItemToObject(e, "errno", view_int_or_null(
			    s->notify_exit_errno >= 0, s->notify_exit_errno));
	} else {
		cJSON_AddNullToObject(o, "last_exit");
	}
	cJSON_AddItemToObject(o, "status_text", view_str_or_null(
	    s->status_text));
	if (s->notify) {
		cJSON *n = cJSON_AddObjectToObject(o, "notify");

		cJSON_AddBoolToObject(n, "ready", s->notify_ready);
		cJSON_AddItemToObject(n, "phase", view_str_or_null(
		    s->notify_phase));
		cJSON_AddItemToObject(n, "main_pid", view_int_or_null(
		    s->notify_main_pid > 0, s->notify_main_pid));
		cJSON_AddItemToObject(n, "errno", view_int_or_null(
		    s->notify_errno >= 0, s->notify_errno));
		cJSON_AddNumberToObject(n, "dropped",
		    (double)s->notify_dropped);
	} else {
		cJSON_AddNullToObject(o, "notify");
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
	cJSON_AddItemToObject(o, "metrics", view_service_metrics_json(s));
	if (s->hist_cpu != NULL) {
		cJSON *h = cJSON_AddObjectToObject(o, "history");

		cJSON_AddItemToObject(h, "cpu", view_ring_json(s->hist_cpu,
		    s->history));
		cJSON_AddItemToObject(h, "rss", view_ring_json(s->hist_rss,
		    s->history));
	}
	if (s->exits != NULL || s->nexits > 0) {
		a = cJSON_AddArrayToObject(o, "last_exits");
		for (size_t i = 0; i < s->nexits; i++) {
			const struct view_exit *x = &s->exits[i];
			cJSON *e = cJSON_CreateObject();

			cJSON_AddItemToObject(e, "at", view_time(x->at_ms));
			cJSON_AddItemToObject(e, "pid", view_int_or_null(
			    x->pid > 0, x->pid));
			cJSON_AddItemToObject(e, "code", view_int_or_null(
			    x->signal == 0 && x->code >= 0, x->code));
			cJSON_AddItemToObject(e, "signal", view_int_or_null(
			    x->signal != 0, x->signal));
			cJSON_AddItemToObject(e, "reason", view_text(x->reason,
			    strlen(x->reason)));
			cJSON_AddItemToObject(e, "last_lines",
			    view_last_lines_json(x->lines));
			cJSON_AddItemToArray(a, e);
		}
	}
	return o;
}

static double
view_round2(double v)
{
	return (double)(int64_t)(v * 100 + 0.5) / 100;
}

cJSON *
view_daemon_json(const struct view_daemon *d)
{
	cJSON *o = cJSON_CreateObject(), *s, *ch;
	const struct view_counts *c = &d->counts;

	cJSON_AddStringToObject(o, "status", view_status(c));
	cJSON_AddStringToObject(o, "version", d->version);
	cJSON_AddNumberToObject(o, "api_version", d->api_version);
	cJSON_AddNumberToObject(o, "uptime_s", (double)(d->now_ms -
	    d->started_ms) / 1000.0);
	cJSON_AddNumberToObject(o, "pid", d->pid);
	cJSON_AddItemToObject(o, "started_at", view_time(d->started_ms));
	s = cJSON_AddObjectToObject(o, "services");
	cJSON_AddNumberToObject(s, "total", (double)c->total);
	cJSON_AddNumberToObject(s, "running", (double)c->running);
	cJSON_AddNumberToObject(s, "healthy", (double)c->healthy);
	cJSON_AddNumberToObject(s, "failed", (double)c->failed);
	ch = cJSON_AddObjectToObject(o, "checks");
	cJSON_AddStringToObject(ch, "event_loop", "ok");
	cJSON_AddStringToObject(ch, "shutting_down", d->shutting_down ? "yes" :
	    "no");
	if (d->self != NULL) {
		const struct view_self *me = d->self;
		cJSON *p = cJSON_AddObjectToObject(o, "prodd");

		cJSON_AddNumberToObject(p, "rss_bytes", (double)me->rss);
		cJSON_AddNumberToObject(p, "cpu_percent",
		    view_round2(me->cpu_percent));
		cJSON_AddNumberToObject(p, "loop_lag_ms",
		    view_round2(me->loop_lag_ms));
		cJSON_AddNumberToObject(p, "loop_lag_max_ms",
		    view_round2(me->loop_lag_max_ms));
		cJSON_AddNumberToObject(p, "sample_cpu_us",
		    (double)(int64_t)me->sample_cpu_us);
		cJSON_AddNumberToObject(p, "sample_cpu_us_median",
		    (double)(int64_t)me->sample_cpu_us_median);
		cJSON_AddNumberToObject(p, "samples", (double)me->samples);
	}
	return o;
}

cJSON *
view_text(const char *s, size_t n)
{
	struct strbuf sb = { 0 };
	cJSON *o;

	/* cJSON keeps C strings (a NUL would end the line) and passes bytes
	 * through as they are; the escaper keeps both, as valid UTF-8 */
	sb_json_str(&sb, s, n);
	o = cJSON_CreateRaw(sb.buf);
	sb_free(&sb);
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
	cJSON_AddItemToObject(o, "reason", view_text(e->reason,
	    strnlen(e->reason, sizeof e->reason)));
	cJSON_AddItemToObject(o, "pid", view_int_or_null(e->pid > 0, e->pid));
	cJSON_AddItemToObject(o, "exit_code", view_int_or_null(
	    e->exit_code >= 0, e->exit_code));
	cJSON_AddItemToObject(o, "signal", view_int_or_null(e->signal > 0,
	    e->signal));
	cJSON_AddItemToObject(o, "delay_ms", view_int_or_null(e->delay_ms >= 0,
	    (double)e->delay_ms));
	if (e->kind == EVENT_EXIT)
		cJSON_AddItemToObject(o, "last_lines",
		    view_last_lines_json(e->lines));
	return o;
}

cJSON *
view_last_lines_json(const struct event_lines *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; l != NULL && i < l->n; i++) {
		const struct event_line *ln = &l->line[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToObject(o, "ts", view_time(ln->ts_ms));
		cJSON_AddStringToObject(o, "stream",
		    ln->stream == LOG_STREAM_STDERR ? "stderr" : "stdout");
		cJSON_AddItemToObject(o, "line", view_text(l->text + ln->off,
		    ln->len));
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

void
view_event_text(const struct event *e, struct strbuf *sb)
{
	cJSON *o = view_event_json(e);
	char *t;

	/* prodd's log line says how it ended; the lines are in the
	 * service's own log already */
	cJSON_DeleteItemFromObject(o, "last_lines");
	t = cJSON_PrintUnformatted(o);
	sb_puts(sb, t);
	cJSON_free(t);
	cJSON_Delete(o);
}

static void
view_event_add_cb(const struct event *e, void *arg)
{
	cJSON_AddItemToArray(arg, view_event_json(e));
}

void
view_events_add(cJSON *a, const struct events *ev, uint64_t after)
{
	events_since(ev, after, view_event_add_cb, a);
}

cJSON *
view_events_json(const struct events *ev, uint64_t after)
{
	cJSON *o = cJSON_CreateObject();

	view_events_add(cJSON_AddArrayToObject(o, "events"), ev, after);
	cJSON_AddNumberToObject(o, "last_seq", (double)(ev->next_seq - 1));
	return o;
}

cJSON *
view_logline_json(uint64_t seq, int64_t ts_ms, int stream, const char *line,
    size_t len)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "seq", (double)seq);
	cJSON_AddItemToObject(o, "ts", view_time(ts_ms));
	cJSON_AddStringToObject(o, "stream", stream == LOG_STREAM_STDERR ?
	    "stderr" : "stdout");
	cJSON_AddItemToObject(o, "line", view_text(line, len));
	return o;
}

static void
view_line_add_cb(uint64_t seq, int64_t ts, int stream, const char *line,
    size_t len, void *arg)
{
	cJSON_AddItemToArray(arg, view_logline_json(seq, ts, stream, line, len));
}

cJSON *
view_logs_json(const char *service, const struct logring *r, size_t n,
    int stream)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "service", service);
	logring_last(r, n, stream, view_line_add_cb, cJSON_AddArrayToObject(o,
	    "lines"));
	return o;
}

cJSON *
view_error_json(const char *message, const char *code)
{
	cJSON *o = cJSON_CreateObject();

	/* messages quote the request (a path, a name): valid UTF-8 always */
	cJSON_AddItemToObject(o, "error", view_text(message, strlen(message)));
	cJSON_AddStringToObject(o, "code", code);
	return o;
}

