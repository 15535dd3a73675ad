/*
 * Alerts on the loop (alertd.h): core/alerts fed with the daemon's events
 * and samples, and every change sent on: the hook (event ring, /ws), the
 * webhook and Alertmanager. Deliveries are POSTs on probe-curl's multi
 * machinery; a queue of them (bounded, retried with backoff, at most
 * ALERTD_INFLIGHT at once, in order per alert) and two timers -- the
 * queue's next due attempt, and the storm window's end -- plus
 * Alertmanager's once-a-minute re-send. Nothing here blocks: a webhook
 * that hangs holds one transfer for its timeout and nothing else. The
 * webhook body is signed as alert-sign.c says.
 */
#include "alertd-int.h"
#include "prodd/alertd.h"
#include "prodd/log.h"
#include "prodd/probe-curl.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>


const char *
alertd_result_name(enum alertd_result r)
{
	static const char *const n[] = { "delivered", "failed", "suppressed",
		"dropped", "gave_up" };

	return n[r];
}

static int64_t
alertd_now(const struct alertd *ad)
{
	return (int64_t)uv_now(ad->loop);
}

/* ---- the webhook's and Alertmanager's bodies ---- */

static void
alertd_set_dlv(struct alertd *ad, const char *id, enum alert_chan c,
    enum alert_dlv st, int attempts, const char *err)
{
	struct alert *a = id[0] ? alerts_find(&ad->al, id) : NULL;

	if (a == NULL)
		return;
	a->dlv[c].state = st;
	if (attempts >= 0)
		a->dlv[c].attempts = attempts;
	snprintf(a->dlv[c].last_error, sizeof a->dlv[c].last_error, "%s",
	    err ? err : "");
}

static char *
alertd_print(cJSON *o, size_t *len)
{
	char *s = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	*len = strlen(s);
	return s;
}

static void
alertd_time(char *buf, size_t len, int64_t ms)
{
	log_format_time(buf, len, ms);
}

/* One alert as Alertmanager's API v2 takes it (postableAlert). */
static cJSON *
alertd_am_alert(const struct alertd *ad, const struct alert *a, int64_t now)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *l = cJSON_AddObjectToObject(o, "labels");
	cJSON *an = cJSON_AddObjectToObject(o, "annotations");
	char name[80], ts[40], url[600];
	struct strbuf_like { char *p; size_t n, cap; } d = { NULL, 0, 0 };

	snprintf(name, sizeof name, "prodd_%s", a->test ? "test" :
	    cfg_alert_kind_name(a->kind));
	cJSON_AddStringToObject(l, "alertname", name);
	if (a->service[0] != '\0')
		cJSON_AddStringToObject(l, "service", a->service);
	cJSON_AddStringToObject(l, "severity", cfg_severity_name(a->severity));
	cJSON_AddStringToObject(l, "instance", ad->host);
	if (a->mount[0] != '\0')
		cJSON_AddStringToObject(l, "mount", a->mount);
	cJSON_AddStringToObject(an, "summary", a->summary);
	/* the description: the summary and the last lines */
	for (size_t i = 0; i <= a->nlines; i++) {
		const char *s = i == 0 ? a->summary : a->lines[i - 1].line;
		size_t n = strlen(s);

		if (d.n + n + 2 > d.cap) {
			d.cap = (d.n + n + 2) * 2;
			d.p = xrealloc(d.p, d.cap);
		}
		memcpy(d.p + d.n, s, n);
		d.n += n;
		d.p[d.n++] = i == a->nlines ? '\0' : '\n';
	}
	cJSON_AddStringToObject(an, "description", d.p);
	free(d.p);
	alertd_time(ts, sizeof ts, a->since_ms);
	cJSON_AddStringToObject(o, "startsAt", ts);
	alertd_time(ts, sizeof ts, a->state == ALERT_RESOLVED ?
	    (a->resolved_ms > now ? a->resolved_ms : now) :
	    now + ALERTD_AM_ENDS_MS);
	cJSON_AddStringToObject(o, "endsAt", ts);
	snprintf(url, sizeof url, "%s/%s%s", ad->base_url, a->service[0] ?
	    "#/services/" : "", a->service);
	cJSON_AddStringToObject(o, "generatorURL", url);
	return o;
}

/* ---- the queue ---- */

static void
dlv_free(struct dlv *d)
{
	probe_http_free(d->ph);
	free(d->body);
	free(d);
}

static void
dlv_remove(struct alertd *ad, struct dlv *d)
{
	TAILQ_REMOVE(&ad->queue, d, link);
	ad->nqueue--;
	dlv_free(d);
}

static void
alertd_test_result(struct alertd *ad, struct alertd_test *t,
    enum alert_chan c, bool ok, int attempts, const char *err)
{
	cJSON *o = cJSON_AddObjectToObject(t->result, alert_chan_name(c));

	cJSON_AddStringToObject(o, "state", ok ? "delivered" : "failed");
	cJSON_AddNumberToObject(o, "attempts", attempts);
	if (err != NULL)
		cJSON_AddStringToObject(o, "last_error", err);
	else
		cJSON_AddNullToObject(o, "last_error");
	if (--t->pending == 0) {
		LIST_REMOVE(t, link);
		t->fn(t->arg, t->result);
		free(t);
	}
	(void)ad;
}

/* Room for one more: the oldest resolve goes first, else the oldest. */
static void
alertd_make_room(struct alertd *ad)
{
	struct dlv *d, *victim = NULL;

	if (ad->nqueue < ALERTD_QUEUE_MAX)
		return;
	TAILQ_FOREACH(d, &ad->queue, link)
		if (!d->busy && !d->is_test && d->resolve) {
			victim = d;
			break;
		}
	if (victim == NULL)
		TAILQ_FOREACH(d, &ad->queue, link)
			if (!d->busy && !d->is_test) {
				victim = d;
				break;
			}
	if (victim == NULL)
		return;
	ad->counts[victim->chan][ALERTD_DROPPED]++;
	log_warn(NULL, "alert %s: %s delivery dropped: the queue is full "
	    "(%d)", victim->id[0] ? victim->id : "summary",
	    alert_chan_name(victim->chan), ALERTD_QUEUE_MAX);
	alertd_set_dlv(ad, victim->id, victim->chan, ALERT_DLV_DROPPED, -1,
	    "dropped: the queue was full");
	dlv_remove(ad, victim);
}

static struct dlv *
alertd_enqueue(struct alertd *ad, enum alert_chan c, const char *id,
    char *body, size_t len, bool resolve)
{
	struct dlv *d = xcalloc(1, sizeof *d);

	alertd_make_room(ad);
	d->chan = c;
	snprintf(d->id, sizeof d->id, "%s", id ? id : "");
	d->resolve = resolve;
	d->body = body;
	d->len = len;
	d->ad = ad;
	d->first_ms = d->next_ms = alertd_now(ad);
	d->backoff_ms = ALERTD_RETRY_FIRST_MS;
	/* Alertmanager: a change older than endsAt means nothing */
	d->give_up_ms = c == ALERT_CHAN_WEBHOOK ? ALERTD_GIVE_UP_MS :
	    ALERTD_AM_ENDS_MS;
	TAILQ_INSERT_TAIL(&ad->queue, d, link);
	ad->nqueue++;
	alertd_set_dlv(ad, d->id, c, ALERT_DLV_QUEUED, 0, NULL);
	return d;
}

/* An attempt ended: d is done (and freed), or waits for its retry. */
static void
dlv_finish(struct alertd *ad, struct dlv *d, bool ok, const char *error)
{
	int64_t now = alertd_now(ad);

	d->attempts++;
	if (d->is_test) {
		if (d->test != NULL)
			alertd_test_result(ad, d->test, d->chan, ok,
			    d->attempts, error);
		dlv_remove(ad, d);
	} else if (ok) {
		ad->counts[d->chan][ALERTD_DELIVERED]++;
		alertd_set_dlv(ad, d->id, d->chan, ALERT_DLV_DELIVERED,
		    d->attempts, NULL);
		dlv_remove(ad, d);
	} else if (now - d->first_ms + d->backoff_ms >= d->give_up_ms) {
		ad->counts[d->chan][ALERTD_FAILED]++;
		ad->counts[d->chan][ALERTD_GAVE_UP]++;
		log_warn(NULL, "alert %s: %s delivery failed (%s) after %d "
		    "attempts: given up", d->id[0] ? d->id : "summary",
		    alert_chan_name(d->chan), error, d->attempts);
		alertd_set_dlv(ad, d->id, d->chan, ALERT_DLV_FAILED,
		    d->attempts, error);
		dlv_remove(ad, d);
	} else {
		ad->counts[d->chan][ALERTD_FAILED]++;
		log_warn(NULL, "alert %s: %s delivery failed (%s), attempt %d; "
		    "again in %lld ms", d->id[0] ? d->id : "summary",
		    alert_chan_name(d->chan), error, d->attempts,
		    (long long)d->backoff_ms);
		alertd_set_dlv(ad, d->id, d->chan, ALERT_DLV_RETRYING,
		    d->attempts, error);
		d->next_ms = now + d->backoff_ms;
		d->backoff_ms *= 2;
		if (d->backoff_ms > ALERTD_RETRY_MAX_MS)
			d->backoff_ms = ALERTD_RETRY_MAX_MS;
	}
}

static void
alertd_done(void *arg, bool ok, const char *error)
{
	struct dlv *d = arg;
	struct alertd *ad = d->ad;

	ad->inflight--;
	d->busy = false;
	dlv_finish(ad, d, ok, error);
	alertd_pump(ad);
}

/* An earlier delivery of the same alert on the same channel is still in
 * the queue: this one waits, so a resolve never overtakes its firing. */
static bool
dlv_blocked(const struct alertd *ad, const struct dlv *d)
{
	const struct dlv *e;

	if (d->id[0] == '\0' || d->is_test)
		return false;
	TAILQ_FOREACH(e, &ad->queue, link) {
		if (e == d)
			return false;
		if (e->chan == d->chan && strcmp(e->id, d->id) == 0)
			return true;
	}
	return false;
}

static void
dlv_start(struct alertd *ad, struct dlv *d)
{
	char sig[128], err[160], url[600];
	const char *headers[3] = { "Content-Type: application/json", NULL,
		NULL };

	if (d->chan == ALERT_CHAN_WEBHOOK) {
		snprintf(url, sizeof url, "%s", ad->webhook ? ad->webhook : "");
		if (ad->secret != NULL) {
			alertd_sign(ad->secret, ad->secret_len, d->body, d->len,
			    sig, sizeof sig);
			headers[1] = sig;
		}
	} else {
		snprintf(url, sizeof url, "%s/api/v2/alerts", ad->am_url ?
		    ad->am_url : "");
	}
	if (d->ph == NULL)
		d->ph = probe_http_new(ad->pc, alertd_done, d);
	if (probe_http_post(d->ph, url, headers, d->body, d->len,
	    ad->timeout_ms, err, sizeof err) < 0) {
		/* a failed attempt (libcurl cannot be loaded, ...) */
		dlv_finish(ad, d, false, err);
		return;
	}
	d->busy = true;
	ad->inflight++;
	alertd_set_dlv(ad, d->id, d->chan, ALERT_DLV_SENDING, -1, NULL);
}

static void
alertd_retry_cb(uv_timer_t *t)
{
	alertd_pump(t->data);
}

/* Start what is due, up to ALERTD_INFLIGHT; the timer for the next. */
void
alertd_pump(struct alertd *ad)
{
	struct dlv *d, *next;
	int64_t now = alertd_now(ad), due = -1;

	if (ad->closing)
		return;
	for (d = TAILQ_FIRST(&ad->queue); d != NULL; d = next) {
		next = TAILQ_NEXT(d, link);
		if (d->busy)
			continue;
		if (dlv_blocked(ad, d))
			continue;
		if (d->next_ms > now) {
			if (due < 0 || d->next_ms < due)
				due = d->next_ms;
			continue;
		}
		if (ad->inflight >= ALERTD_INFLIGHT)
			break;
		dlv_start(ad, d);
		/* a start that failed at once may have freed d: begin again
		 * from the top (d now runs, waits, or is gone) */
		next = TAILQ_FIRST(&ad->queue);
	}
	if (due >= 0)
		uv_timer_start(&ad->retry, alertd_retry_cb,
		    (uint64_t)(due - now), 0);
}

/* ---- the storm window's summary ---- */

static void alertd_storm_cb(uv_timer_t *t);

void
alertd_storm_arm(struct alertd *ad)
{
	int64_t end = alert_storm_end(&ad->al.storm), now = clock_wall_ms();

	if (end <= 0 || ad->closing)
		return;
	uv_timer_start(&ad->storm, alertd_storm_cb,
	    (uint64_t)(end > now ? end - now : 0), 0);
}

static void
alertd_storm_cb(uv_timer_t *t)
{
	struct alertd *ad = t->data;
	int suppressed;
	int64_t start, now = clock_wall_ms();
	char ts[40];
	cJSON *o, *s, *f;
	size_t len;
	char *body;

	if (!alert_storm_close(&ad->al.storm, now, &suppressed, &start)) {
		alertd_storm_arm(ad);	/* early (clocks differ), or quiet */
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "version", 1);
	s = cJSON_AddObjectToObject(o, "summary");
	cJSON_AddNumberToObject(s, "suppressed", suppressed);
	alertd_time(ts, sizeof ts, start);
	cJSON_AddStringToObject(s, "window_start", ts);
	f = cJSON_AddArrayToObject(s, "firing");
	for (size_t i = 0; i < ad->al.nactive; i++)
		if (ad->al.active[i]->state == ALERT_FIRING)
			cJSON_AddItemToArray(f, cJSON_CreateString(
			    ad->al.active[i]->id));
	body = alertd_print(o, &len);
	log_warn(NULL, "alerts: %d webhook notification%s held back in the "
	    "window since %s; sending the summary", suppressed,
	    suppressed == 1 ? "" : "s", ts);
	if (ad->webhook != NULL) {
		struct dlv *d = alertd_enqueue(ad, ALERT_CHAN_WEBHOOK, "", body,
		    len, false);

		d->summary = true;
		alertd_pump(ad);
	} else {
		free(body);
	}
}

/* ---- what a change sends ---- */

static void
alertd_webhook(struct alertd *ad, struct alert *a, enum alert_change ch)
{
	cJSON *o;
	char *body;
	size_t len;
	int64_t now = clock_wall_ms();
	bool was_open = ad->al.storm.open;

	if (ad->webhook == NULL)
		return;
	if (!alert_storm_admit(&ad->al.storm, now)) {
		ad->counts[ALERT_CHAN_WEBHOOK][ALERTD_SUPPRESSED]++;
		a->dlv[ALERT_CHAN_WEBHOOK].state = ALERT_DLV_SUPPRESSED;
		return;
	}
	if (!was_open && ad->al.storm.open)
		alertd_storm_arm(ad);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "version", 1);
	cJSON_AddItemToObject(o, "alert", view_alert_json(a, 0));
	if (ch == ALERT_CH_REPEAT)
		cJSON_AddTrueToObject(o, "repeat");
	body = alertd_print(o, &len);
	alertd_enqueue(ad, ALERT_CHAN_WEBHOOK, a->id, body, len,
	    ch == ALERT_CH_RESOLVED);
}

static void
alertd_am_post(struct alertd *ad, cJSON *arr, const char *id, bool resolve)
{
	size_t len;
	char *body = alertd_print(arr, &len);

	alertd_enqueue(ad, ALERT_CHAN_ALERTMANAGER, id, body, len, resolve);
}

static void
alertd_change(void *arg, struct alert *a, enum alert_change ch)
{
	struct alertd *ad = arg;

	if (ch != ALERT_CH_REPEAT && ad->hooks.on_change != NULL)
		ad->hooks.on_change(ad->hooks.arg, a, ch);
	alertd_webhook(ad, a, ch);
	/* Alertmanager repeats by itself: changes only */
	if (ad->am_url != NULL && ch != ALERT_CH_REPEAT) {
		cJSON *arr = cJSON_CreateArray();

		cJSON_AddItemToArray(arr, alertd_am_alert(ad, a,
		    clock_wall_ms()));
		alertd_am_post(ad, arr, a->id, ch == ALERT_CH_RESOLVED);
	}
	alertd_pump(ad);
}

/* Once a minute: every firing alert to Alertmanager, in one POST. */
void
alertd_am_cb(uv_timer_t *t)
{
	struct alertd *ad = t->data;
	cJSON *arr;
	int64_t now = clock_wall_ms();

	if (ad->am_url == NULL || alerts_firing(&ad->al) == 0)
		return;
	arr = cJSON_CreateArray();
	for (size_t i = 0; i < ad->al.nactive; i++)
		if (ad->al.active[i]->state == ALERT_FIRING)
			cJSON_AddItemToArray(arr, alertd_am_alert(ad,
			    ad->al.active[i], now));
	alertd_am_post(ad, arr, "", false);
	alertd_pump(ad);
}

/* ---- the API ---- */

struct alertd *
alertd_new(uv_loop_t *loop, const struct alertd_hooks *h)
{
	struct alertd *ad = xcalloc(1, sizeof *ad);

	ad->loop = loop;
	ad->hooks = *h;
	alerts_init(&ad->al, alertd_change, ad);
	ad->pc = probe_curl_new(loop);
	TAILQ_INIT(&ad->queue);
	LIST_INIT(&ad->tests);
	uv_timer_init(loop, &ad->retry);
	uv_timer_init(loop, &ad->storm);
	uv_timer_init(loop, &ad->am);
	ad->retry.data = ad->storm.data = ad->am.data = ad;
	if (gethostname(ad->host, sizeof ad->host - 1) != 0)
		snprintf(ad->host, sizeof ad->host, "localhost");
	ad->timeout_ms = 10000;
	return ad;
}

void
alertd_configure(struct alertd *ad, const struct cfg *cfg)
{
	char err[512];
	const char *h = cfg->daemon.listen_host;

	alerts_configure(&ad->al, cfg, clock_wall_ms());
	free(ad->webhook);
	free(ad->am_url);
	free(ad->secret);
	ad->webhook = cfg->alert_webhook ? xstrdup(cfg->alert_webhook) : NULL;
	ad->am_url = NULL;
	if (cfg->alert_alertmanager != NULL) {
		size_t n = strlen(cfg->alert_alertmanager);

		ad->am_url = xstrdup(cfg->alert_alertmanager);
		while (n > 0 && ad->am_url[n - 1] == '/')
			ad->am_url[--n] = '\0';
	}
	if (alertd_read_secret(cfg, &ad->secret, &ad->secret_len, err,
	    sizeof err) < 0)
		log_error(NULL, "%s: the webhook goes unsigned", err);
	ad->timeout_ms = cfg->alert_webhook_timeout_ms;
	if (h == NULL || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0)
		h = ad->host;
	snprintf(ad->base_url, sizeof ad->base_url, "http%s://%s%s%s:%d",
	    cfg->daemon.tls_cert ? "s" : "", strchr(h, ':') ? "[" : "", h,
	    strchr(h, ':') ? "]" : "", cfg->daemon.listen_port);
	if (ad->am_url != NULL && !ad->closing)
		uv_timer_start(&ad->am, alertd_am_cb, ALERTD_AM_RESEND_MS,
		    ALERTD_AM_RESEND_MS);
	else
		uv_timer_stop(&ad->am);
	/* a channel the reload removed: what waits for it goes */
	for (struct dlv *d = TAILQ_FIRST(&ad->queue), *next; d != NULL;
	    d = next) {
		next = TAILQ_NEXT(d, link);
		if (!d->busy && !d->is_test &&
		    !(alertd_channels(ad) & (1u << d->chan)))
			dlv_remove(ad, d);
	}
	alertd_pump(ad);
}

struct lines_ctx {
	struct alert_line v[ALERT_LINES];
	size_t n;
};

static void
alertd_line(uint64_t seq, int64_t ts_ms, int stream, const char *line,
    size_t len, void *arg)
{
	struct lines_ctx *c = arg;

	(void)seq;
	if (c->n == ALERT_LINES)
		return;
	c->v[c->n].ts_ms = ts_ms;
	c->v[c->n].stream = stream;
	c->v[c->n].line = xstrndup(line, len);
	c->n++;
}

void
alertd_on_state(struct alertd *ad, const char *service, int from, int to,
    const char *reason, const struct logring *ring)
{
	struct lines_ctx c = { .n = 0 };

	if (ring != NULL)
		logring_last(ring, ALERT_LINES, 0, alertd_line, &c);
	alerts_on_state(&ad->al, service, from, to, reason, c.v, c.n,
	    clock_wall_ms());
	for (size_t i = 0; i < c.n; i++)
		free(c.v[i].line);
}

void
alertd_on_health(struct alertd *ad, const char *service, bool healthy)
{
	alerts_on_health(&ad->al, service, healthy, clock_wall_ms());
}

void
alertd_on_sample(struct alertd *ad, const struct alert_svc_sample *svcs,
    size_t n, const struct alert_host_sample *host)
{
	alerts_on_sample(&ad->al, svcs, n, host, clock_wall_ms());
}

unsigned
alertd_channels(const struct alertd *ad)
{
	return (ad->webhook ? 1u << ALERT_CHAN_WEBHOOK : 0) |
	    (ad->am_url ? 1u << ALERT_CHAN_ALERTMANAGER : 0);
}

cJSON *
alertd_list_json(const struct alertd *ad)
{
	return view_alert_list_json(&ad->al, alertd_channels(ad));
}

cJSON *
alertd_active_json(const struct alertd *ad)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < ad->al.nactive; i++)
		cJSON_AddItemToArray(a, view_alert_json(ad->al.active[i],
		    alertd_channels(ad)));
	return a;
}

size_t
alertd_firing(const struct alertd *ad)
{
	return alerts_firing(&ad->al);
}

uint64_t
alertd_count(const struct alertd *ad, enum alert_chan c,
    enum alertd_result r)
{
	return ad->counts[c][r];
}

struct alertd_test *
alertd_test(struct alertd *ad, alertd_test_fn fn, void *arg)
{
	struct alertd_test *t = xcalloc(1, sizeof *t);
	struct alert *a = alert_new_test(clock_wall_ms());
	unsigned ch = alertd_channels(ad);

	t->fn = fn;
	t->arg = arg;
	t->result = cJSON_CreateObject();
	LIST_INSERT_HEAD(&ad->tests, t, link);
	t->pending = 1;		/* until every attempt is queued */
	if (ch & (1u << ALERT_CHAN_WEBHOOK)) {
		cJSON *o = cJSON_CreateObject();
		size_t len;
		char *body;
		struct dlv *d;

		cJSON_AddNumberToObject(o, "version", 1);
		cJSON_AddItemToObject(o, "alert", view_alert_json(a, 0));
		body = alertd_print(o, &len);
		d = alertd_enqueue(ad, ALERT_CHAN_WEBHOOK, "", body, len, false);
		d->test = t;
		d->is_test = true;
		t->pending++;
	}
	if (ch & (1u << ALERT_CHAN_ALERTMANAGER)) {
		cJSON *arr = cJSON_CreateArray();
		size_t len;
		char *body;
		struct dlv *d;

		cJSON_AddItemToArray(arr, alertd_am_alert(ad, a,
		    clock_wall_ms()));
		body = alertd_print(arr, &len);
		d = alertd_enqueue(ad, ALERT_CHAN_ALERTMANAGER, "", body, len,
		    false);
		d->test = t;
		d->is_test = true;
		t->pending++;
	}
	alert_free(a);
	if (--t->pending == 0) {
		/* no channel configured: answered now */
		LIST_REMOVE(t, link);
		fn(arg, t->result);
		free(t);
		return NULL;
	}
	/* started on the loop's next turn: an attempt that fails at once
	 * must not answer before the caller holds t */
	if (!ad->closing)
		uv_timer_start(&ad->retry, alertd_retry_cb, 0, 0);
	return t;
}

void
alertd_test_cancel(struct alertd *ad, struct alertd_test *t)
{
	struct dlv *d;

	if (t == NULL)
		return;
	/* its attempts go on, answering no one */
	TAILQ_FOREACH(d, &ad->queue, link)
		if (d->test == t)
			d->test = NULL;
	LIST_REMOVE(t, link);
	cJSON_Delete(t->result);
	free(t);
}

void
alertd_close(struct alertd *ad)
{
	struct alertd_test *t;

	if (ad == NULL)
		return;
	ad->closing = true;
	while (!TAILQ_EMPTY(&ad->queue))
		dlv_remove(ad, TAILQ_FIRST(&ad->queue));
	while ((t = LIST_FIRST(&ad->tests)) != NULL) {
		LIST_REMOVE(t, link);
		cJSON_Delete(t->result);
		free(t);
	}
	probe_curl_close(ad->pc);
	ad->pc = NULL;
	uv_close((uv_handle_t *)&ad->retry, NULL);
	uv_close((uv_handle_t *)&ad->storm, NULL);
	uv_close((uv_handle_t *)&ad->am, NULL);
}

void
alertd_free(struct alertd *ad)
{
	if (ad == NULL)
		return;
	/* what changed while closing was never sent */
	while (!TAILQ_EMPTY(&ad->queue))
		dlv_remove(ad, TAILQ_FIRST(&ad->queue));
	alerts_free(&ad->al);
	free(ad->webhook);
	free(ad->am_url);
	free(ad->secret);
	free(ad);
}
