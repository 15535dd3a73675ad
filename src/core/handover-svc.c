/*
 * The events' ring entries of the hand-over format (each with the last
 * lines of an exit, base64), and a service's later sections (see
 * handover.h and handover-int.h): "analyze", its last exits (newest first, each with
 * the last lines it printed, base64) and its last start's timeline, so
 * that /api/analyze and last_exits read the same after an upgrade; and
 * "notify", what a notify: true service said (STATUS= text, READY=1,
 * phase, ERRNO=, MAINPID=), its bound socket's descriptor and path with
 * the socket's counters; the start_timeout and watchdog deadlines go
 * with the other timers. Pure.
 */
#include "handover-int.h"
#include "prodd/events.h"
#include "prodd/fsm.h"
#include "prodd/health.h"
#include "prodd/logring.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ho_svc_later_init(struct ho_svc *sv)
{
	sv->notify.fd = -1;
	sv->notify.errno_value = sv->notify.exit_errno = -1;
	sv->start_timeout_due = sv->watchdog_due = -1;
}

void
ho_svc_later_free(struct ho_svc *sv)
{
	for (size_t i = 0; i < sv->nexits; i++) {
		event_lines_unref(sv->exits[i].lines);
		sv->exits[i].lines = NULL;
	}
	sv->nexits = 0;
}

/* "has_lines" and "lines" (each {ts_ms, stream, text}, text base64) */
static void
put_lines(cJSON *o, const struct event_lines *l)
{
	cJSON *a;

	cJSON_AddBoolToObject(o, "has_lines", l != NULL);
	a = cJSON_AddArrayToObject(o, "lines");
	for (size_t i = 0; l != NULL && i < l->n; i++) {
		const struct event_line *ln = &l->line[i];
		cJSON *e = cJSON_CreateObject();

		ho_put_num(e, "ts_ms", (double)ln->ts_ms);
		ho_put_num(e, "stream", ln->stream);
		ho_put_bytes(e, "text", l->text + ln->off, ln->len);
		cJSON_AddItemToArray(a, e);
	}
}

/* The lines put_lines wrote (a new reference), or NULL: none */
static struct event_lines *
get_lines(struct ho_parse *ps, const cJSON *o)
{
	struct event_lines *l = NULL;
	cJSON *a, *e;

	if (ho_get_bool(ps, o, "has_lines"))
		l = event_lines_new();
	if ((a = ho_get(ps, o, "lines", cJSON_Array)) == NULL)
		return l;
	if (l == NULL && cJSON_GetArraySize(a) > 0)
		ho_fail(ps, "lines", "are there without has_lines");
	cJSON_ArrayForEach(e, a) {
		size_t len;
		char *text;
		int64_t ts;
		int stream;

		if (ps->failed || l == NULL)
			break;
		ts = ho_get_i64(ps, e, "ts_ms");
		stream = ho_get_enum(ps, e, "stream", LOG_STREAM_STDOUT,
		    LOG_STREAM_STDERR);
		text = ho_get_bytes(ps, e, "text", &len);
		if (text != NULL && !ps->failed)
			event_lines_add(l, ts, stream, text, len);
		free(text);
	}
	return l;
}

cJSON *
ho_render_event(const struct event *e)
{
	cJSON *o = cJSON_CreateObject();

	ho_put_num(o, "seq", (double)e->seq);
	ho_put_num(o, "ts_ms", (double)e->ts_ms);
	ho_put_num(o, "kind", e->kind);
	cJSON_AddStringToObject(o, "service", e->service);
	ho_put_num(o, "from", e->from);
	ho_put_num(o, "to", e->to);
	ho_put_num(o, "pid", e->pid);
	ho_put_num(o, "exit_code", e->exit_code);
	ho_put_num(o, "signal", e->signal);
	ho_put_num(o, "delay_ms", (double)e->delay_ms);
	cJSON_AddStringToObject(o, "reason", e->reason);
	put_lines(o, e->lines);
	return o;
}

void
ho_parse_event(struct ho_parse *ps, const cJSON *o, struct event *e)
{
	event_clear(e);
	e->seq = ho_get_u64(ps, o, "seq");
	e->ts_ms = ho_get_i64(ps, o, "ts_ms");
	e->kind = (enum event_kind)ho_get_enum(ps, o, "kind", EVENT_STATE,
	    EVENT_DAEMON);
	ho_get_str(ps, o, "service", e->service, sizeof e->service);
	/* a state or a health status: a name is looked up by it */
	e->from = ho_get_enum(ps, o, "from", -1, e->kind == EVENT_HEALTH ?
	    HEALTH_UNHEALTHY : FSM_NSTATES - 1);
	e->to = ho_get_enum(ps, o, "to", -1, e->kind == EVENT_HEALTH ?
	    HEALTH_UNHEALTHY : FSM_NSTATES - 1);
	e->pid = ho_get_int(ps, o, "pid");
	e->exit_code = ho_get_int(ps, o, "exit_code");
	e->signal = ho_get_int(ps, o, "signal");
	e->delay_ms = ho_get_i64(ps, o, "delay_ms");
	ho_get_str(ps, o, "reason", e->reason, sizeof e->reason);
	e->lines = get_lines(ps, o);
}

static cJSON *
render_exit(const struct ho_exit *x)
{
	cJSON *o = cJSON_CreateObject();

	ho_put_num(o, "at_ms", (double)x->at_ms);
	ho_put_num(o, "pid", x->pid);
	ho_put_num(o, "code", x->code);
	ho_put_num(o, "signal", x->signal);
	cJSON_AddStringToObject(o, "reason", x->reason);
	put_lines(o, x->lines);
	return o;
}

void
ho_render_svc_later(cJSON *o, cJSON *timers, const struct ho_svc *sv)
{
	const struct ho_notify *n = &sv->notify;
	cJSON *p, *a, *st;

	ho_put_num(timers, "start_timeout", (double)sv->start_timeout_due);
	ho_put_num(timers, "watchdog", (double)sv->watchdog_due);
	p = cJSON_AddObjectToObject(o, "analyze");
	a = cJSON_AddArrayToObject(p, "exits");
	for (size_t i = 0; i < sv->nexits; i++)
		cJSON_AddItemToArray(a, render_exit(&sv->exits[i]));
	st = cJSON_AddObjectToObject(p, "start");
	ho_put_num(st, "wanted_ms", (double)sv->wanted_ms);
	ho_put_num(st, "spawned_ms", (double)sv->spawned_ms);
	ho_put_num(st, "ready_ms", (double)sv->ready_ms);
	ho_put_num(st, "deps_met_ms", (double)sv->deps_met_ms);
	cJSON_AddStringToObject(st, "waited_for", sv->waited_for);
	p = cJSON_AddObjectToObject(o, "notify");
	ho_put_num(p, "fd", n->fd);
	cJSON_AddStringToObject(p, "path", n->path);
	ho_put_num(p, "dropped", (double)n->dropped);
	ho_put_num(p, "mainpid_refused", (double)n->mainpid_refused);
	cJSON_AddBoolToObject(p, "ready", n->ready);
	cJSON_AddBoolToObject(p, "has_status", n->has_status);
	ho_put_bytes(p, "status", n->status, strlen(n->status));
	cJSON_AddStringToObject(p, "phase", n->phase);
	ho_put_num(p, "errno", n->errno_value);
	ho_put_num(p, "exit_errno", n->exit_errno);
	ho_put_num(p, "main_pid", n->main_pid);
}

static void
parse_exit(struct ho_parse *ps, const cJSON *o, struct ho_exit *x)
{
	x->at_ms = ho_get_i64(ps, o, "at_ms");
	x->pid = ho_get_int(ps, o, "pid");
	x->code = ho_get_int(ps, o, "code");
	x->signal = ho_get_int(ps, o, "signal");
	ho_get_str(ps, o, "reason", x->reason, sizeof x->reason);
	x->lines = get_lines(ps, o);
}

static void
parse_notify(struct ho_parse *ps, const cJSON *p, struct ho_notify *n)
{
	size_t len;
	char *status;

	n->fd = ho_get_int(ps, p, "fd");
	ho_get_str(ps, p, "path", n->path, sizeof n->path);
	n->dropped = ho_get_u64(ps, p, "dropped");
	n->mainpid_refused = ho_get_u64(ps, p, "mainpid_refused");
	n->ready = ho_get_bool(ps, p, "ready");
	n->has_status = ho_get_bool(ps, p, "has_status");
	if ((status = ho_get_bytes(ps, p, "status", &len)) != NULL) {
		if (len >= sizeof n->status)
			ho_fail(ps, "status", "is too long");
		else
			snprintf(n->status, sizeof n->status, "%s", status);
		free(status);
	}
	ho_get_str(ps, p, "phase", n->phase, sizeof n->phase);
	if (!ps->failed && n->phase[0] != '\0' &&
	    strcmp(n->phase, "reloading") != 0 &&
	    strcmp(n->phase, "stopping") != 0)
		ho_fail(ps, "phase", "is not reloading, stopping or empty");
	n->errno_value = ho_get_int(ps, p, "errno");
	n->exit_errno = ho_get_int(ps, p, "exit_errno");
	n->main_pid = ho_get_int(ps, p, "main_pid");
}

void
ho_parse_svc_later(struct ho_parse *ps, const cJSON *o, const cJSON *timers,
    struct ho_svc *sv)
{
	cJSON *p, *a, *st, *e;

	if (timers != NULL) {
		sv->start_timeout_due = ho_get_i64(ps, timers,
		    "start_timeout");
		sv->watchdog_due = ho_get_i64(ps, timers, "watchdog");
	}
	if ((p = ho_get(ps, o, "analyze", cJSON_Object)) != NULL) {
		if ((a = ho_get(ps, p, "exits", cJSON_Array)) != NULL &&
		    cJSON_GetArraySize(a) > HANDOVER_EXITS)
			ho_fail(ps, "exits", "are too many");
		if (a != NULL)
			cJSON_ArrayForEach(e, a) {
				if (ps->failed)
					break;
				parse_exit(ps, e, &sv->exits[sv->nexits++]);
			}
		if ((st = ho_get(ps, p, "start", cJSON_Object)) != NULL) {
			sv->wanted_ms = ho_get_i64(ps, st,
			    "wanted_ms");
			sv->spawned_ms = ho_get_i64(ps, st,
			    "spawned_ms");
			sv->ready_ms = ho_get_i64(ps, st, "ready_ms");
			sv->deps_met_ms = ho_get_i64(ps, st,
			    "deps_met_ms");
			ho_get_str(ps, st, "waited_for", sv->waited_for,
			    sizeof sv->waited_for);
		}
	}
	if ((p = ho_get(ps, o, "notify", cJSON_Object)) != NULL)
		parse_notify(ps, p, &sv->notify);
}
