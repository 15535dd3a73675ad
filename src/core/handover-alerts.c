/*
 * The "alerts" section of the hand-over format (see handover.h): every
 * alert with its state, times, value, last lines and per-channel
 * deliveries; restart_loop's restart times per service; the webhook's
 * storm window; the delivery queue (bodies base64, with attempts, next
 * try and give-up times); Alertmanager's re-send due time; the counters
 * of prodd_alert_notifications_total. A restored alert is the same alert:
 * it neither fires nor notifies again. Pure.
 */
#include "handover-int.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
handover_add_alert(struct handover *h, const struct alert *a)
{
	struct ho_alerts *al = &h->alerts;
	struct alert *c = xcalloc(1, sizeof *c);

	*c = *a;
	c->lines = a->nlines > 0 ? xcalloc(a->nlines, sizeof *c->lines) : NULL;
	for (size_t i = 0; i < a->nlines; i++) {
		c->lines[i] = a->lines[i];
		c->lines[i].line = xstrdup(a->lines[i].line);
	}
	al->v = xreallocarray(al->v, al->n + 1, sizeof *al->v);
	al->v[al->n++] = c;
}

struct ho_dlv *
handover_add_dlv(struct handover *h, const char *body, size_t len)
{
	struct ho_alerts *al = &h->alerts;
	struct ho_dlv *d;

	al->queue = xreallocarray(al->queue, al->nqueue + 1,
	    sizeof *al->queue);
	d = &al->queue[al->nqueue++];
	memset(d, 0, sizeof *d);
	d->body = xmalloc(len + 1);
	memcpy(d->body, body, len);
	d->body[len] = '\0';
	d->len = len;
	return d;
}

void
ho_alerts_free(struct ho_alerts *al)
{
	for (size_t i = 0; i < al->n; i++)
		alert_free(al->v[i]);
	free(al->v);
	free(al->restarts);
	for (size_t i = 0; i < al->nqueue; i++)
		free(al->queue[i].body);
	free(al->queue);
	memset(al, 0, sizeof *al);
	al->am_due = -1;
}

static cJSON *
render_alert(const struct alert *a)
{
	cJSON *o = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(o, "id", a->id);
	ho_put_num(o, "kind", a->kind);
	cJSON_AddStringToObject(o, "service", a->service);
	cJSON_AddStringToObject(o, "mount", a->mount);
	ho_put_num(o, "severity", a->severity);
	ho_put_num(o, "state", a->state);
	ho_put_num(o, "value", a->value);
	ho_put_num(o, "threshold", a->threshold);
	ho_put_num(o, "for_ms", (double)a->for_ms);
	ho_put_num(o, "pending_ms", (double)a->pending_ms);
	ho_put_num(o, "since_ms", (double)a->since_ms);
	ho_put_num(o, "resolved_ms", (double)a->resolved_ms);
	ho_put_num(o, "notified_ms", (double)a->notified_ms);
	cJSON_AddStringToObject(o, "summary", a->summary);
	cJSON_AddBoolToObject(o, "test", a->test);
	arr = cJSON_AddArrayToObject(o, "lines");
	for (size_t i = 0; i < a->nlines; i++) {
		cJSON *e = cJSON_CreateObject();

		ho_put_num(e, "ts_ms", (double)a->lines[i].ts_ms);
		ho_put_num(e, "stream", a->lines[i].stream);
		ho_put_bytes(e, "text", a->lines[i].line,
		    strlen(a->lines[i].line));
		cJSON_AddItemToArray(arr, e);
	}
	arr = cJSON_AddArrayToObject(o, "deliveries");
	for (int c = 0; c < ALERT_CHANS; c++) {
		cJSON *e = cJSON_CreateObject();

		ho_put_num(e, "state", a->dlv[c].state);
		ho_put_num(e, "attempts", a->dlv[c].attempts);
		cJSON_AddStringToObject(e, "last_error", a->dlv[c].last_error);
		cJSON_AddItemToArray(arr, e);
	}
	return o;
}

void
ho_render_alerts(cJSON *root, const struct handover *h)
{
	const struct ho_alerts *al = &h->alerts;
	cJSON *o = cJSON_AddObjectToObject(root, "alerts"), *a, *s;

	a = cJSON_AddArrayToObject(o, "alerts");
	for (size_t i = 0; i < al->n; i++)
		cJSON_AddItemToArray(a, render_alert(al->v[i]));
	a = cJSON_AddArrayToObject(o, "restarts");
	for (size_t i = 0; i < al->nrestarts; i++) {
		const struct alert_restarts *r = &al->restarts[i];
		cJSON *e = cJSON_CreateObject(), *ts;

		cJSON_AddStringToObject(e, "service", r->service);
		ts = cJSON_AddArrayToObject(e, "ts");
		for (size_t k = 0; k < r->n; k++)
			cJSON_AddItemToArray(ts, cJSON_CreateNumber((double)
			    r->ts[(r->head + k) % ALERT_RESTARTS_KEEP]));
		cJSON_AddItemToArray(a, e);
	}
	s = cJSON_AddObjectToObject(o, "storm");
	cJSON_AddBoolToObject(s, "open", al->storm.open);
	ho_put_num(s, "start_ms", (double)al->storm.start_ms);
	ho_put_num(s, "count", al->storm.count);
	ho_put_num(s, "suppressed", al->storm.suppressed);
	a = cJSON_AddArrayToObject(o, "queue");
	for (size_t i = 0; i < al->nqueue; i++) {
		const struct ho_dlv *d = &al->queue[i];
		cJSON *e = cJSON_CreateObject();

		ho_put_num(e, "chan", d->chan);
		cJSON_AddStringToObject(e, "id", d->id);
		cJSON_AddBoolToObject(e, "resolve", d->resolve);
		cJSON_AddBoolToObject(e, "summary", d->summary);
		ho_put_bytes(e, "body", d->body, d->len);
		ho_put_num(e, "attempts", d->attempts);
		ho_put_num(e, "first_ms", (double)d->first_ms);
		ho_put_num(e, "next_ms", (double)d->next_ms);
		ho_put_num(e, "backoff_ms", (double)d->backoff_ms);
		ho_put_num(e, "give_up_ms", (double)d->give_up_ms);
		cJSON_AddItemToArray(a, e);
	}
	ho_put_num(o, "am_due", (double)al->am_due);
	a = cJSON_AddArrayToObject(o, "counts");
	for (int c = 0; c < ALERT_CHANS; c++) {
		cJSON *e = cJSON_CreateArray();

		for (int r = 0; r < HANDOVER_ALERT_RESULTS; r++)
			cJSON_AddItemToArray(e, cJSON_CreateNumber(
			    (double)al->counts[c][r]));
		cJSON_AddItemToArray(a, e);
	}
}

/* n in [0, max), or the document is refused */
static int
get_enum(struct ho_parse *ps, const cJSON *o, const char *k, int max)
{
	return ho_get_enum(ps, o, k, 0, max - 1);
}

static void
parse_alert(struct ho_parse *ps, const cJSON *o, struct alert *a)
{
	cJSON *arr, *e;
	size_t i = 0;

	ho_get_str(ps, o, "id", a->id, sizeof a->id);
	a->kind = (enum cfg_alert_kind)get_enum(ps, o, "kind",
	    CFG_ALERT_KINDS);
	ho_get_str(ps, o, "service", a->service, sizeof a->service);
	ho_get_str(ps, o, "mount", a->mount, sizeof a->mount);
	a->severity = get_enum(ps, o, "severity", CFG_SEV_CRITICAL + 1);
	a->state = (enum alert_state)get_enum(ps, o, "state",
	    ALERT_RESOLVED + 1);
	a->value = ho_get_num(ps, o, "value");
	a->threshold = ho_get_num(ps, o, "threshold");
	a->for_ms = ho_get_i64(ps, o, "for_ms");
	a->pending_ms = ho_get_i64(ps, o, "pending_ms");
	a->since_ms = ho_get_i64(ps, o, "since_ms");
	a->resolved_ms = ho_get_i64(ps, o, "resolved_ms");
	a->notified_ms = ho_get_i64(ps, o, "notified_ms");
	ho_get_str(ps, o, "summary", a->summary, sizeof a->summary);
	a->test = ho_get_bool(ps, o, "test");
	if ((arr = ho_get(ps, o, "lines", cJSON_Array)) != NULL) {
		if (cJSON_GetArraySize(arr) > ALERT_LINES)
			ho_fail(ps, "lines", "are too many");
		a->lines = xcalloc((size_t)cJSON_GetArraySize(arr) + 1,
		    sizeof *a->lines);
		cJSON_ArrayForEach(e, arr) {
			size_t len;

			if (ps->failed)
				break;
			a->lines[i].ts_ms = ho_get_i64(ps, e, "ts_ms");
			a->lines[i].stream = ho_get_enum(ps, e, "stream", 1, 2);
			a->lines[i].line = ho_get_bytes(ps, e, "text", &len);
			if (a->lines[i].line != NULL)
				a->nlines = ++i;
		}
	}
	if ((arr = ho_get(ps, o, "deliveries", cJSON_Array)) != NULL &&
	    cJSON_GetArraySize(arr) != ALERT_CHANS)
		ho_fail(ps, "deliveries", "has the wrong length");
	i = 0;
	if (arr != NULL && !ps->failed)
		cJSON_ArrayForEach(e, arr) {
			struct alert_delivery *d = &a->dlv[i++];

			d->state = (enum alert_dlv)get_enum(ps, e, "state",
			    ALERT_DLV_DROPPED + 1);
			d->attempts = ho_get_int(ps, e, "attempts");
			ho_get_str(ps, e, "last_error", d->last_error,
			    sizeof d->last_error);
		}
}

static void
parse_restarts(struct ho_parse *ps, const cJSON *arr, struct ho_alerts *al)
{
	const cJSON *e, *t;

	al->restarts = xcalloc((size_t)cJSON_GetArraySize(arr) + 1,
	    sizeof *al->restarts);
	cJSON_ArrayForEach(e, arr) {
		struct alert_restarts *r = &al->restarts[al->nrestarts];
		cJSON *ts;

		if (ps->failed)
			return;
		ho_get_str(ps, e, "service", r->service, sizeof r->service);
		if ((ts = ho_get(ps, e, "ts", cJSON_Array)) == NULL)
			return;
		if (cJSON_GetArraySize(ts) > ALERT_RESTARTS_KEEP) {
			ho_fail(ps, "ts", "are too many");
			return;
		}
		cJSON_ArrayForEach(t, ts) {
			if (!cJSON_IsNumber(t) || !ho_whole(t->valuedouble,
			    -9007199254740992.0, 9007199254740992.0)) {
				ho_fail(ps, "ts", "has a non-number");
				return;
			}
			r->ts[r->n++] = (int64_t)t->valuedouble;
		}
		al->nrestarts++;
	}
}

static void
parse_queue(struct ho_parse *ps, const cJSON *arr, struct handover *h)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, arr) {
		char *body;
		size_t len;
		struct ho_dlv *d;

		if (ps->failed || (body = ho_get_bytes(ps, e, "body", &len)) ==
		    NULL)
			return;
		d = handover_add_dlv(h, body, len);
		free(body);
		d->chan = get_enum(ps, e, "chan", ALERT_CHANS);
		ho_get_str(ps, e, "id", d->id, sizeof d->id);
		d->resolve = ho_get_bool(ps, e, "resolve");
		d->summary = ho_get_bool(ps, e, "summary");
		d->attempts = ho_get_int(ps, e, "attempts");
		d->first_ms = ho_get_i64(ps, e, "first_ms");
		d->next_ms = ho_get_i64(ps, e, "next_ms");
		d->backoff_ms = ho_get_i64(ps, e, "backoff_ms");
		d->give_up_ms = ho_get_i64(ps, e, "give_up_ms");
	}
}

void
ho_parse_alerts(struct ho_parse *ps, const cJSON *root, struct handover *h)
{
	struct ho_alerts *al = &h->alerts;
	cJSON *o, *arr, *e, *s;
	int c = 0;

	ps->where = "alerts";
	if ((o = ho_get(ps, root, "alerts", cJSON_Object)) == NULL)
		return;
	if ((arr = ho_get(ps, o, "alerts", cJSON_Array)) != NULL)
		cJSON_ArrayForEach(e, arr) {
			struct alert *a;

			if (ps->failed)
				break;
			a = xcalloc(1, sizeof *a);
			al->v = xreallocarray(al->v, al->n + 1, sizeof *al->v);
			al->v[al->n++] = a;
			parse_alert(ps, e, a);
		}
	if (!ps->failed &&
	    (arr = ho_get(ps, o, "restarts", cJSON_Array)) != NULL)
		parse_restarts(ps, arr, al);
	if (!ps->failed && (s = ho_get(ps, o, "storm", cJSON_Object)) != NULL) {
		al->storm.open = ho_get_bool(ps, s, "open");
		al->storm.start_ms = ho_get_i64(ps, s, "start_ms");
		al->storm.count = ho_get_int(ps, s, "count");
		al->storm.suppressed = ho_get_int(ps, s, "suppressed");
	}
	if (!ps->failed && (arr = ho_get(ps, o, "queue", cJSON_Array)) != NULL)
		parse_queue(ps, arr, h);
	al->am_due = ho_get_i64(ps, o, "am_due");
	if ((arr = ho_get(ps, o, "counts", cJSON_Array)) != NULL &&
	    cJSON_GetArraySize(arr) != ALERT_CHANS)
		ho_fail(ps, "counts", "has the wrong length");
	if (arr != NULL && !ps->failed)
		cJSON_ArrayForEach(e, arr) {
			cJSON *n;
			int r = 0;

			if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) !=
			    HANDOVER_ALERT_RESULTS) {
				ho_fail(ps, "counts", "has the wrong length");
				return;
			}
			cJSON_ArrayForEach(n, e)
				al->counts[c][r++] = ho_elem_u64(ps, "counts", n);
			c++;
		}
}
