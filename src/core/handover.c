/*
 * The hand-over format (see handover.h): a struct handover rendered as
 * JSON and parsed back, section by section (daemon, events, services --
 * a service has fsm, proc, timers, health and logs here, analyze and
 * notify in handover-svc.c --, metrics, and alerts in handover-alerts.c).
 * Bytes that may be anything (output lines, partial lines) are base64 so
 * that a NUL or an invalid UTF-8 sequence survives. Parsing is strict: a
 * missing or mistyped key in a section refuses the whole document with
 * the key's name, so a state is either taken over whole or not at all.
 * Pure.
 */
#include "handover-int.h"
#include "prodd/handover.h"
#include "prodd/logring.h"
#include "prodd/xmalloc.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
handover_init(struct handover *h)
{
	memset(h, 0, sizeof *h);
	h->version = HANDOVER_VERSION;
	h->tcp_fd = h->unix_fd = h->lock_fd = -1;
	h->alerts.am_due = -1;
}

static void
ho_svc_free(struct ho_svc *sv)
{
	health_free(&sv->health);
	for (int i = 0; i < 2; i++)
		free(sv->part[i]);
	for (size_t i = 0; i < sv->nlines; i++)
		free(sv->lines[i].text);
	free(sv->lines);
	ho_svc_later_free(sv);
}

void
handover_free(struct handover *h)
{
	for (size_t i = 0; i < h->nsvcs; i++)
		ho_svc_free(&h->svcs[i]);
	free(h->svcs);
	for (size_t i = 0; i < h->nseries; i++)
		free(h->series[i].v);
	free(h->series);
	for (size_t i = 0; i < h->nmsvcs; i++) {
		free(h->msvcs[i].cpu.v);
		free(h->msvcs[i].mem.v);
	}
	free(h->msvcs);
	for (size_t i = 0; i < h->nevents; i++)
		event_lines_unref(h->events[i].lines);
	free(h->events);
	ho_alerts_free(&h->alerts);
	handover_init(h);
}

struct ho_svc *
handover_add_svc(struct handover *h, const char *name)
{
	struct ho_svc *sv;

	h->svcs = xreallocarray(h->svcs, h->nsvcs + 1, sizeof *h->svcs);
	sv = &h->svcs[h->nsvcs++];
	memset(sv, 0, sizeof *sv);
	snprintf(sv->name, sizeof sv->name, "%s", name);
	sv->out_fd[0] = sv->out_fd[1] = -1;
	sv->timer_due = sv->ready_due = sv->stable_due = sv->check_due = -1;
	sv->health.last_latency_ms = -1;
	ho_svc_later_init(sv);
	return sv;
}

void
handover_add_line(struct ho_svc *sv, uint64_t seq, int64_t ts_ms, int stream,
    const char *text, size_t len)
{
	struct ho_line *l;

	sv->lines = xreallocarray(sv->lines, sv->nlines + 1,
	    sizeof *sv->lines);
	l = &sv->lines[sv->nlines++];
	l->seq = seq;
	l->ts_ms = ts_ms;
	l->stream = stream;
	l->len = len;
	l->text = xmalloc(len + 1);
	if (len > 0)
		memcpy(l->text, text, len);
	l->text[len] = '\0';
}

void
handover_series_set(struct ho_series *s, const uint16_t *v, uint32_t n)
{
	free(s->v);
	s->n = n;
	s->v = xcalloc(n + 1, sizeof *s->v);
	if (n > 0)
		memcpy(s->v, v, n * sizeof *v);
}

void
handover_add_series(struct handover *h, const char *name, const uint16_t *v,
    uint32_t n)
{
	struct ho_series *s;

	h->series = xreallocarray(h->series, h->nseries + 1,
	    sizeof *h->series);
	s = &h->series[h->nseries++];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	handover_series_set(s, v, n);
}

struct ho_msvc *
handover_add_msvc(struct handover *h, const char *name)
{
	struct ho_msvc *m;

	h->msvcs = xreallocarray(h->msvcs, h->nmsvcs + 1, sizeof *h->msvcs);
	m = &h->msvcs[h->nmsvcs++];
	memset(m, 0, sizeof *m);
	snprintf(m->name, sizeof m->name, "%s", name);
	return m;
}

struct ho_svc *
handover_find(struct handover *h, const char *name)
{
	for (size_t i = 0; i < h->nsvcs; i++)
		if (strcmp(h->svcs[i].name, name) == 0)
			return &h->svcs[i];
	return NULL;
}

/* base64 (RFC 4648, padded) */
static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *
b64_encode(const unsigned char *p, size_t n)
{
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int
b64_val(char c)
{
	const char *q = c != '\0' ? strchr(b64, c) : NULL;

	return q != NULL ? (int)(q - b64) : -1;
}

/* Decoded bytes (NUL-terminated, malloc'd) or NULL when s is not base64. */
static char *
b64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), k = 0;
	char *out;

	if (n % 4 != 0)
		return NULL;
	out = xmalloc(n / 4 * 3 + 1);
	for (size_t i = 0; i < n; i += 4) {
		int a = b64_val(s[i]), b = b64_val(s[i + 1]);
		int c = s[i + 2] == '=' ? 0 : b64_val(s[i + 2]);
		int d = s[i + 3] == '=' ? 0 : b64_val(s[i + 3]);
		uint32_t v;

		if (a < 0 || b < 0 || c < 0 || d < 0 ||
		    ((s[i + 2] == '=' || s[i + 3] == '=') && i + 4 != n) ||
		    (s[i + 2] == '=' && s[i + 3] != '=')) {
			free(out);
			return NULL;
		}
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		    (uint32_t)d;
		out[k++] = (char)(v >> 16);
		if (s[i + 2] != '=')
			out[k++] = (char)(v >> 8 & 255);
		if (s[i + 3] != '=')
			out[k++] = (char)(v & 255);
	}
	out[k] = '\0';
	*len = k;
	return out;
}

/* rendering */

void
ho_put_num(cJSON *o, const char *k, double v)
{
	cJSON_AddItemToObject(o, k, cJSON_CreateNumber(v));
}

void
ho_put_bytes(cJSON *o, const char *k, const char *p, size_t n)
{
	char *t = b64_encode((const unsigned char *)p, n);

	cJSON_AddStringToObject(o, k, t);
	free(t);
}

static cJSON *
render_fsm(const struct fsm_svc *f)
{
	cJSON *o = cJSON_CreateObject();

	ho_put_num(o, "state", f->state);
	ho_put_num(o, "want", f->want);
	ho_put_num(o, "restarts", f->restarts);
	ho_put_num(o, "consecutive_failures", f->consecutive_failures);
	cJSON_AddBoolToObject(o, "then_start", f->then_start);
	cJSON_AddBoolToObject(o, "then_recover", f->then_recover);
	cJSON_AddBoolToObject(o, "killed", f->killed);
	cJSON_AddStringToObject(o, "cause", f->cause);
	ho_put_num(o, "since_ms", (double)f->since_ms);
	ho_put_num(o, "ready_ms", (double)f->ready_ms);
	cJSON_AddBoolToObject(o, "has_exit", f->has_exit);
	ho_put_num(o, "exit_code", f->exit_code);
	ho_put_num(o, "exit_signal", f->exit_signal);
	ho_put_num(o, "exit_ms", (double)f->exit_ms);
	return o;
}

static cJSON *
render_health(const struct health_state *h)
{
	cJSON *o = cJSON_CreateObject(), *a;

	ho_put_num(o, "status", h->status);
	ho_put_num(o, "started_ms", (double)h->started_ms);
	ho_put_num(o, "anchor_ms", (double)h->anchor_ms);
	ho_put_num(o, "next_ms", (double)h->next_ms);
	ho_put_num(o, "failures", h->failures);
	ho_put_num(o, "checks", (double)h->checks);
	ho_put_num(o, "failures_total", (double)h->failures_total);
	a = cJSON_AddArrayToObject(o, "lat_bucket");
	for (size_t i = 0; i < HEALTH_NBUCKETS; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(
		    (double)h->lat_bucket[i]));
	ho_put_num(o, "lat_sum_s", h->lat_sum_s);
	ho_put_num(o, "last_latency_ms", h->last_latency_ms);
	ho_put_num(o, "last_check_ms", (double)h->last_check_ms);
	ho_put_num(o, "last_late_ms", (double)h->last_late_ms);
	cJSON_AddStringToObject(o, "last_error", h->last_error);
	a = cJSON_AddArrayToObject(o, "history");
	for (size_t i = 0; i < h->nhist; i++) {
		const struct health_sample *s = health_sample_at(h, i);
		cJSON *e = cJSON_CreateArray();

		cJSON_AddItemToArray(e, cJSON_CreateNumber((double)s->at_ms));
		cJSON_AddItemToArray(e, cJSON_CreateNumber(s->latency_ms));
		cJSON_AddItemToArray(e, cJSON_CreateBool(s->ok));
		cJSON_AddItemToArray(a, e);
	}
	return o;
}

static cJSON *
render_svc(const struct ho_svc *sv)
{
	cJSON *o = cJSON_CreateObject(), *p, *a;

	cJSON_AddStringToObject(o, "name", sv->name);
	cJSON_AddItemToObject(o, "fsm", render_fsm(&sv->fsm));
	p = cJSON_AddObjectToObject(o, "proc");
	cJSON_AddStringToObject(p, "reason", sv->reason);
	a = cJSON_AddArrayToObject(p, "restarts_by");
	for (size_t i = 0; i < PROM_NREASONS; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(
		    (double)sv->restarts_by[i]));
	ho_put_num(p, "stop_cause", sv->stop_cause);
	cJSON_AddBoolToObject(p, "down_by_hand", sv->down_by_hand);
	ho_put_num(p, "pid", sv->pid);
	ho_put_num(p, "started_ms", (double)sv->started_ms);
	ho_put_num(p, "exit_ms", (double)sv->exit_ms);
	ho_put_num(p, "stdout_fd", sv->out_fd[0]);
	ho_put_num(p, "stderr_fd", sv->out_fd[1]);
	p = cJSON_AddObjectToObject(o, "timers");
	ho_put_num(p, "timer", (double)sv->timer_due);
	ho_put_num(p, "ready", (double)sv->ready_due);
	ho_put_num(p, "stable", (double)sv->stable_due);
	ho_put_num(p, "check", (double)sv->check_due);
	ho_render_svc_later(o, p, sv);
	cJSON_AddItemToObject(o, "health", render_health(&sv->health));
	p = cJSON_AddObjectToObject(o, "logs");
	ho_put_bytes(p, "stdout_part", sv->part[0], sv->part_len[0]);
	ho_put_bytes(p, "stderr_part", sv->part[1], sv->part_len[1]);
	ho_put_num(p, "next_seq", (double)sv->log_next_seq);
	a = cJSON_AddArrayToObject(p, "ring");
	for (size_t i = 0; i < sv->nlines; i++) {
		const struct ho_line *l = &sv->lines[i];
		cJSON *e = cJSON_CreateArray();
		char *t = b64_encode((const unsigned char *)l->text, l->len);

		cJSON_AddItemToArray(e, cJSON_CreateNumber((double)l->seq));
		cJSON_AddItemToArray(e, cJSON_CreateNumber((double)l->ts_ms));
		cJSON_AddItemToArray(e, cJSON_CreateNumber(l->stream));
		cJSON_AddItemToArray(e, cJSON_CreateString(t));
		free(t);
		cJSON_AddItemToArray(a, e);
	}
	return o;
}

/* a series as base64 of its codes, little-endian */
static void
put_series(cJSON *o, const char *k, const struct ho_series *s)
{
	unsigned char *b = xmalloc(2 * (size_t)s->n + 1);

	for (uint32_t i = 0; i < s->n; i++) {
		b[2 * i] = (unsigned char)(s->v[i] & 255);
		b[2 * i + 1] = (unsigned char)(s->v[i] >> 8);
	}
	ho_put_bytes(o, k, (const char *)b, 2 * (size_t)s->n);
	free(b);
}

static cJSON *
render_metrics(const struct handover *h)
{
	cJSON *o = cJSON_CreateObject(), *ser, *a;

	ser = cJSON_AddObjectToObject(o, "series");
	for (size_t i = 0; i < h->nseries; i++)
		put_series(ser, h->series[i].name, &h->series[i]);
	a = cJSON_AddArrayToObject(o, "services");
	for (size_t i = 0; i < h->nmsvcs; i++) {
		const struct ho_msvc *m = &h->msvcs[i];
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "name", m->name);
		put_series(e, "cpu", &m->cpu);
		put_series(e, "mem", &m->mem);
		ho_put_num(e, "cpu_ticks_total", (double)m->cpu_ticks_total);
		ho_put_num(e, "cpu_seconds_total", m->cpu_seconds_total);
		ho_put_num(e, "io_read_total", (double)m->io_read_total);
		ho_put_num(e, "io_write_total", (double)m->io_write_total);
		cJSON_AddItemToArray(a, e);
	}
	return o;
}

char *
handover_render(const struct handover *h, size_t *len)
{
	cJSON *root = cJSON_CreateObject(), *o, *a;
	char *text;

	ho_put_num(root, "handover", h->version);
	o = cJSON_AddObjectToObject(root, "daemon");
	cJSON_AddStringToObject(o, "instance", h->instance);
	ho_put_num(o, "mono_ms", (double)h->mono_ms);
	ho_put_num(o, "tcp_fd", h->tcp_fd);
	ho_put_num(o, "unix_fd", h->unix_fd);
	ho_put_num(o, "lock_fd", h->lock_fd);
	ho_put_num(o, "started_ms", (double)h->started_ms);
	o = cJSON_AddObjectToObject(root, "events");
	ho_put_num(o, "next_seq", (double)h->events_next_seq);
	a = cJSON_AddArrayToObject(o, "ring");
	for (size_t i = 0; i < h->nevents; i++)
		cJSON_AddItemToArray(a, ho_render_event(&h->events[i]));
	a = cJSON_AddArrayToObject(root, "services");
	for (size_t i = 0; i < h->nsvcs; i++)
		cJSON_AddItemToArray(a, render_svc(&h->svcs[i]));
	cJSON_AddItemToObject(root, "metrics", render_metrics(h));
	ho_render_alerts(root, h);
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL)
		abort();	/* out of memory */
	*len = strlen(text);
	return text;
}

/* parsing: the getters are in handover-parse.c */

char *
ho_get_bytes(struct ho_parse *ps, const cJSON *o, const char *k, size_t *len)
{
	cJSON *v = ho_get(ps, o, k, cJSON_String);
	char *p;

	*len = 0;
	if (v == NULL)
		return NULL;
	if ((p = b64_decode(v->valuestring, len)) == NULL)
		ho_fail(ps, k, "is not base64");
	return p;
}

static void
parse_fsm(struct ho_parse *ps, const cJSON *o, struct fsm_svc *f)
{
	int w;

	f->state = (enum fsm_state)ho_get_enum(ps, o, "state", 0,
	    FSM_NSTATES - 1);
	w = ho_get_int(ps, o, "want");
	if (w != FSM_WANT_DOWN && w != FSM_WANT_UP)
		ho_fail(ps, "want", "is out of range");
	f->want = w == FSM_WANT_UP ? FSM_WANT_UP : FSM_WANT_DOWN;
	f->restarts = ho_get_int(ps, o, "restarts");
	f->consecutive_failures = ho_get_int(ps, o,
	    "consecutive_failures");
	f->then_start = ho_get_bool(ps, o, "then_start");
	f->then_recover = ho_get_bool(ps, o, "then_recover");
	f->killed = ho_get_bool(ps, o, "killed");
	ho_get_str(ps, o, "cause", f->cause, sizeof f->cause);
	f->since_ms = ho_get_i64(ps, o, "since_ms");
	f->ready_ms = ho_get_i64(ps, o, "ready_ms");
	f->has_exit = ho_get_bool(ps, o, "has_exit");
	f->exit_code = ho_get_int(ps, o, "exit_code");
	f->exit_signal = ho_get_int(ps, o, "exit_signal");
	f->exit_ms = ho_get_i64(ps, o, "exit_ms");
}

static void
parse_health(struct ho_parse *ps, const cJSON *o, struct health_state *h)
{
	cJSON *a, *e;

	h->status = (enum health_status)ho_get_enum(ps, o, "status",
	    HEALTH_NONE, HEALTH_UNHEALTHY);
	h->started_ms = ho_get_i64(ps, o, "started_ms");
	h->anchor_ms = ho_get_i64(ps, o, "anchor_ms");
	h->next_ms = ho_get_i64(ps, o, "next_ms");
	h->failures = ho_get_int(ps, o, "failures");
	h->checks = ho_get_u64(ps, o, "checks");
	h->failures_total = ho_get_u64(ps, o, "failures_total");
	if ((a = ho_get(ps, o, "lat_bucket", cJSON_Array)) != NULL) {
		if (cJSON_GetArraySize(a) != HEALTH_NBUCKETS)
			ho_fail(ps, "lat_bucket", "has the wrong length");
		for (int i = 0; i < HEALTH_NBUCKETS && !ps->failed; i++) {
			e = cJSON_GetArrayItem(a, i);
			h->lat_bucket[i] = ho_elem_u64(ps, "lat_bucket", e);
		}
	}
	h->lat_sum_s = ho_get_num(ps, o, "lat_sum_s");
	h->last_latency_ms = ho_get_num(ps, o, "last_latency_ms");
	h->last_check_ms = ho_get_i64(ps, o, "last_check_ms");
	h->last_late_ms = ho_get_i64(ps, o, "last_late_ms");
	ho_get_str(ps, o, "last_error", h->last_error, sizeof h->last_error);
	if ((a = ho_get(ps, o, "history", cJSON_Array)) == NULL)
		return;
	if (cJSON_GetArraySize(a) > HEALTH_HISTORY) {
		ho_fail(ps, "history", "is too long");
		return;
	}
	if (cJSON_GetArraySize(a) > 0)
		h->hist = xcalloc(HEALTH_HISTORY, sizeof *h->hist);
	cJSON_ArrayForEach(e, a) {
		cJSON *t = cJSON_GetArrayItem(e, 0), *l = cJSON_GetArrayItem(e, 1),
		    *ok = cJSON_GetArrayItem(e, 2);

		if (!cJSON_IsNumber(t) || !cJSON_IsNumber(l) ||
		    !cJSON_IsBool(ok) || !ho_whole(t->valuedouble,
		    -9007199254740992.0, 9007199254740992.0) ||
		    !isfinite(l->valuedouble) || fabs(l->valuedouble) > 1e30) {
			ho_fail(ps, "history", "has a malformed sample");
			return;
		}
		h->hist[h->nhist].at_ms = (int64_t)t->valuedouble;
		h->hist[h->nhist].latency_ms = (float)l->valuedouble;
		h->hist[h->nhist].ok = cJSON_IsTrue(ok);
		h->nhist++;
	}
	h->hpos = h->nhist % HEALTH_HISTORY;
}

static void
parse_logs(struct ho_parse *ps, const cJSON *o, struct ho_svc *sv)
{
	cJSON *a, *e;

	sv->part[0] = ho_get_bytes(ps, o, "stdout_part", &sv->part_len[0]);
	sv->part[1] = ho_get_bytes(ps, o, "stderr_part", &sv->part_len[1]);
	sv->log_next_seq = ho_get_u64(ps, o, "next_seq");
	if ((a = ho_get(ps, o, "ring", cJSON_Array)) == NULL)
		return;
	cJSON_ArrayForEach(e, a) {
		cJSON *s = cJSON_GetArrayItem(e, 0), *t = cJSON_GetArrayItem(e, 1),
		    *st = cJSON_GetArrayItem(e, 2), *x = cJSON_GetArrayItem(e, 3);
		size_t n;
		char *text;

		if (!cJSON_IsNumber(s) || !cJSON_IsNumber(t) ||
		    !cJSON_IsNumber(st) || !cJSON_IsString(x) ||
		    !ho_whole(s->valuedouble, 0, 9007199254740992.0) ||
		    !ho_whole(t->valuedouble, -9007199254740992.0,
		    9007199254740992.0) ||
		    !ho_whole(st->valuedouble, LOG_STREAM_STDOUT,
		    LOG_STREAM_STDERR) ||
		    (text = b64_decode(x->valuestring, &n)) == NULL) {
			ho_fail(ps, "ring", "has a malformed line");
			return;
		}
		handover_add_line(sv, (uint64_t)s->valuedouble,
		    (int64_t)t->valuedouble, (int)st->valuedouble, text, n);
		free(text);
	}
}

static void
parse_series(struct ho_parse *ps, const cJSON *o, const char *k,
    struct ho_series *s)
{
	size_t n;
	char *b = ho_get_bytes(ps, o, k, &n);

	if (b == NULL)
		return;
	if (n % 2 != 0)
		ho_fail(ps, k, "has an odd length");
	s->n = (uint32_t)(n / 2);
	s->v = xcalloc(s->n + 1, sizeof *s->v);
	for (uint32_t i = 0; i < s->n; i++)
		s->v[i] = (uint16_t)((unsigned char)b[2 * i] |
		    (unsigned char)b[2 * i + 1] << 8);
	free(b);
}

static void
parse_metrics(struct ho_parse *ps, const cJSON *o, struct handover *h)
{
	cJSON *ser, *a, *e;

	if ((ser = ho_get(ps, o, "series", cJSON_Object)) != NULL)
		cJSON_ArrayForEach(e, ser) {
			struct ho_series s = { .n = 0 };

			if (ps->failed)
				return;
			parse_series(ps, ser, e->string, &s);
			handover_add_series(h, e->string, s.v, s.n);
			free(s.v);
		}
	if ((a = ho_get(ps, o, "services", cJSON_Array)) == NULL)
		return;
	cJSON_ArrayForEach(e, a) {
		char name[CFG_NAME_MAX + 1];
		struct ho_msvc *m;

		ho_get_str(ps, e, "name", name, sizeof name);
		if (ps->failed)
			return;
		m = handover_add_msvc(h, name);
		parse_series(ps, e, "cpu", &m->cpu);
		parse_series(ps, e, "mem", &m->mem);
		m->cpu_ticks_total = ho_get_u64(ps, e,
		    "cpu_ticks_total");
		m->cpu_seconds_total = ho_get_num(ps, e, "cpu_seconds_total");
		m->io_read_total = ho_get_u64(ps, e, "io_read_total");
		m->io_write_total = ho_get_u64(ps, e,
		    "io_write_total");
	}
}

static void
parse_svc(struct ho_parse *ps, const cJSON *o, struct handover *h)
{
	char name[CFG_NAME_MAX + 1];
	struct ho_svc *sv;
	cJSON *p, *a;

	ps->where = "services";
	ho_get_str(ps, o, "name", name, sizeof name);
	if (ps->failed)
		return;
	sv = handover_add_svc(h, name);
	ps->where = sv->name;
	if ((p = ho_get(ps, o, "fsm", cJSON_Object)) != NULL)
		parse_fsm(ps, p, &sv->fsm);
	if ((p = ho_get(ps, o, "proc", cJSON_Object)) != NULL) {
		ho_get_str(ps, p, "reason", sv->reason, sizeof sv->reason);
		if ((a = ho_get(ps, p, "restarts_by", cJSON_Array)) != NULL &&
		    cJSON_GetArraySize(a) != PROM_NREASONS)
			ho_fail(ps, "restarts_by", "has the wrong length");
		for (int i = 0; a != NULL && !ps->failed &&
		    i < PROM_NREASONS; i++) {
			cJSON *e = cJSON_GetArrayItem(a, i);

			sv->restarts_by[i] = ho_elem_u64(ps, "restarts_by",
			    e);
		}
		sv->stop_cause = ho_get_int(ps, p, "stop_cause");
		sv->down_by_hand = ho_get_bool(ps, p, "down_by_hand");
		sv->pid = ho_get_int(ps, p, "pid");
		sv->started_ms = ho_get_i64(ps, p, "started_ms");
		sv->exit_ms = ho_get_i64(ps, p, "exit_ms");
		sv->out_fd[0] = ho_get_int(ps, p, "stdout_fd");
		sv->out_fd[1] = ho_get_int(ps, p, "stderr_fd");
	}
	if ((p = ho_get(ps, o, "timers", cJSON_Object)) != NULL) {
		sv->timer_due = ho_get_i64(ps, p, "timer");
		sv->ready_due = ho_get_i64(ps, p, "ready");
		sv->stable_due = ho_get_i64(ps, p, "stable");
		sv->check_due = ho_get_i64(ps, p, "check");
	}
	if ((p = ho_get(ps, o, "health", cJSON_Object)) != NULL)
		parse_health(ps, p, &sv->health);
	if ((p = ho_get(ps, o, "logs", cJSON_Object)) != NULL)
		parse_logs(ps, p, sv);
	ho_parse_svc_later(ps, o, ho_get(ps, o, "timers", cJSON_Object), sv);
}

int
handover_parse(const char *text, size_t len, struct handover *h, char *err,
    size_t errlen)
{
	struct ho_parse ps = { .err = err, .errlen = errlen, .where = "" };
	cJSON *root = cJSON_ParseWithLength(text, len), *o, *a, *e;
	size_t i = 0;

	handover_init(h);
	if (root == NULL || !cJSON_IsObject(root)) {
		snprintf(err, errlen, "hand-over: not a JSON object");
		cJSON_Delete(root);
		return -1;
	}
	ps.where = "document";
	h->version = ho_get_int(&ps, root, "handover");
	if (!ps.failed && h->version != HANDOVER_VERSION) {
		snprintf(err, errlen, "hand-over format %d: this prodd reads "
		    "format %d", h->version, HANDOVER_VERSION);
		ps.failed = true;
	}
	ps.where = "daemon";
	if (!ps.failed &&
	    (o = ho_get(&ps, root, "daemon", cJSON_Object)) != NULL) {
		ho_get_str(&ps, o, "instance", h->instance, sizeof h->instance);
		h->mono_ms = ho_get_i64(&ps, o, "mono_ms");
		h->tcp_fd = ho_get_int(&ps, o, "tcp_fd");
		h->unix_fd = ho_get_int(&ps, o, "unix_fd");
		h->lock_fd = ho_get_int(&ps, o, "lock_fd");
		h->started_ms = ho_get_i64(&ps, o, "started_ms");
	}
	ps.where = "events";
	if (!ps.failed &&
	    (o = ho_get(&ps, root, "events", cJSON_Object)) != NULL) {
		h->events_next_seq = ho_get_u64(&ps, o, "next_seq");
		if ((a = ho_get(&ps, o, "ring", cJSON_Array)) != NULL) {
			h->nevents = (size_t)cJSON_GetArraySize(a);
			h->events = xcalloc(h->nevents + 1, sizeof *h->events);
			cJSON_ArrayForEach(e, a)
				if (!ps.failed)
					ho_parse_event(&ps, e, &h->events[i++]);
		}
	}
	ps.where = "document";
	if (!ps.failed &&
	    (a = ho_get(&ps, root, "services", cJSON_Array)) != NULL)
		cJSON_ArrayForEach(e, a)
			if (!ps.failed)
				parse_svc(&ps, e, h);
	ps.where = "metrics";
	if (!ps.failed &&
	    (o = ho_get(&ps, root, "metrics", cJSON_Object)) != NULL)
		parse_metrics(&ps, o, h);
	if (!ps.failed)
		ho_parse_alerts(&ps, root, h);
	cJSON_Delete(root);
	if (ps.failed) {
		handover_free(h);
		return -1;
	}
	return 0;
}

bool
handover_version_ok(const char *out, int version)
{
	const char *nl = strchr(out, '\n'), *p;
	char *end;

	if (nl == NULL || strncmp(nl + 1, "handover ", 9) != 0)
		return false;
	for (p = nl + 10; *p != '\0' && *p != '\n'; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			return false;
		if (v == version)
			return true;
		while (*end == ' ')
			end++;
	}
	return false;
}
