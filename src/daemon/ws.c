/*
 * The /ws sessions and their fan-out (see ws.h). Every message goes into
 * a ws_buf: the rendered JSON text behind LWS_PRE bytes of headroom,
 * reference-counted, so one rendering serves every client that queues
 * it. A client holds a queue of buffers and its offset in the one being
 * written; each writeable callback writes one frame of at most
 * WS_FRAGMENT bytes (a larger message goes out as a fragmented message),
 * so lws never holds more than one fragment per slow client. Metrics are
 * not queued: a client keeps only the latest. Client messages are parsed
 * by core/wsmsg; commands run api.c's actions under the TCP listener's
 * guards (the token, the rate limit); Host and Origin are checked at the
 * upgrade like any HTTP request. Loop thread only.
 */
#include "prodd/ws.h"
#include "prodd/api.h"
#include "prodd/guard.h"
#include "prodd/log.h"
#include "prodd/logs.h"
#include "prodd/server-http.h"
#include "prodd/view.h"
#include "prodd/wsmsg.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "ws-int.h"

/* ------------------------------------------------------------------ */
/* the hub */

/* Every WS_PING_MS / 3: ping the silent clients, close the mute ones. */
static void
ws_ping_cb(uv_timer_t *t)
{
	struct ws_hub *hub = t->data;
	uint64_t now = uv_now(hub->loop);
	struct ws_conn *c;

	LIST_FOREACH(c, &hub->conns, link) {
		if (c->close_code != 0)
			continue;
		if (c->ping_ms != 0 && now - c->ping_ms >= WS_PING_MS) {
			log_notice(NULL, "ws: closing %s: no pong in %d s",
			    c->peer[0] ? c->peer : "a client",
			    WS_PING_MS / 1000);
			/* through a writeable callback: lws's own timeouts
			 * are not re-armed from outside its callbacks */
			ws_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION,
			    "no pong in time", false);
			continue;
		}
		if (c->ping_ms == 0 && now - c->last_rx_ms >= WS_PING_MS) {
			c->ping_ms = now;
			c->want_ping = true;
			lws_callback_on_writable(c->wsi);
		}
	}
}

struct ws_hub *
ws_new(uv_loop_t *loop, struct api *api)
{
	struct ws_hub *hub = xcalloc(1, sizeof *hub);
	uint64_t r = 0;

	hub->api = api;
	hub->loop = loop;
	uv_timer_init(loop, &hub->ping);
	hub->ping.data = hub;
	LIST_INIT(&hub->conns);
	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		r = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
		    (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 32;
	}
	snprintf(hub->instance, sizeof hub->instance, "%016" PRIx64, r);
	return hub;
}

void
ws_set_instance(struct ws_hub *hub, const char *instance)
{
	if (instance[0] != '\0')
		snprintf(hub->instance, sizeof hub->instance, "%s", instance);
}

void
ws_stop(struct ws_hub *hub)
{
	if (hub == NULL || hub->stopped)
		return;
	hub->stopped = true;
	uv_close((uv_handle_t *)&hub->ping, NULL);
}

void
ws_free(struct ws_hub *hub)
{
	/* the sessions went with the server's connections */
	free(hub->print);
	free(hub);
}

const char *
ws_instance(const struct ws_hub *hub)
{
	return hub->instance;
}

size_t
ws_clients(const struct ws_hub *hub)
{
	return hub != NULL ? hub->n : 0;
}

uint64_t
ws_messages_rendered(const struct ws_hub *hub)
{
	return hub != NULL ? hub->rendered : 0;
}

uint64_t
ws_frames_sent(const struct ws_hub *hub)
{
	return hub != NULL ? hub->frames : 0;
}

uint64_t
ws_queued_bytes(const struct ws_hub *hub)
{
	const struct ws_conn *c;
	const struct ws_item *it;
	uint64_t n = 0;

	if (hub == NULL)
		return 0;
	LIST_FOREACH(c, &hub->conns, link) {
		STAILQ_FOREACH(it, &c->queue, link)
			n += it->b->len;
		if (c->metrics != NULL)
			n += c->metrics->len;
		if (c->cur != NULL)
			n += c->cur->len - c->off;
	}
	return n;
}

static void
ws_broadcast(struct ws_hub *hub, cJSON *o)
{
	struct ws_buf *b = ws_render(hub, o);
	struct ws_conn *c, *next;

	for (c = LIST_FIRST(&hub->conns); c != NULL; c = next) {
		next = LIST_NEXT(c, link);
		ws_enqueue(c, b, true);
	}
	ws_unref(b);
}

void
ws_on_event(struct ws_hub *hub, const struct event *e)
{
	if (hub == NULL || hub->n == 0)
		return;
	ws_broadcast(hub, view_ws_event_json(e));
}

void
ws_on_alert(struct ws_hub *hub, cJSON *alert)
{
	if (hub == NULL || hub->n == 0) {
		cJSON_Delete(alert);
		return;
	}
	ws_broadcast(hub, view_ws_alert_json(alert));
}

static bool
ws_subscribed(const struct ws_conn *c, const char *service)
{
	for (size_t i = 0; i < c->nsubs; i++)
		if (strcmp(c->subs[i], service) == 0)
			return true;
	return false;
}

void
ws_on_line(struct ws_hub *hub, const char *service, int stream,
    int64_t ts_ms, const char *line, size_t len)
{
	struct ws_buf *b = NULL;
	struct ws_conn *c, *next;

	if (hub == NULL)
		return;
	for (c = LIST_FIRST(&hub->conns); c != NULL; c = next) {
		next = LIST_NEXT(c, link);
		if (!ws_subscribed(c, service))
			continue;
		if (b == NULL) {
			struct sup_svc *s = sup_find(hub->api->sup, service);
			uint64_t n = s != NULL ? logring_next_seq(logs_ring(
			    sup_svc_logs(s))) - 1 : 0;

			b = ws_render(hub, view_ws_log_json(service, n, ts_ms,
			    stream, line, len));
		}
		ws_enqueue(c, b, true);
	}
	ws_unref(b);
}

void
ws_on_sample(struct ws_hub *hub)
{
	struct ws_buf *b[2] = { NULL, NULL };	/* objects, compact */
	struct ws_conn *c;
	int64_t now;

	if (hub == NULL || hub->n == 0)
		return;
	now = clock_wall_ms();
	LIST_FOREACH(c, &hub->conns, link) {
		struct ws_buf **f = &b[c->compact];

		if (c->close_code != 0)
			continue;
		/* each form rendered once, when a client takes it */
		if (*f == NULL)
			*f = ws_render(hub, api_ws_metrics_json(hub->api, now,
			    c->compact));
		/* coalesced: a client behind keeps only the latest */
		ws_unref(c->metrics);
		c->metrics = *f;
		(*f)->refs++;
		lws_callback_on_writable(c->wsi);
	}
	ws_unref(b[0]);
	ws_unref(b[1]);
}

void
ws_close_all(struct ws_hub *hub, int code)
{
	struct ws_conn *c;

	if (hub == NULL)
		return;
	LIST_FOREACH(c, &hub->conns, link)
		ws_close(c, code, code == LWS_CLOSE_STATUS_GOINGAWAY ?
		    "prodd is shutting down" : code == 1012 ?
		    "prodd is upgrading: reconnect and resume" : "closed", true);
}

/* ------------------------------------------------------------------ */
/* a session */

static void
ws_snapshot(struct ws_conn *c, const char *reason)
{
	const struct events *ev = sup_events(c->hub->api->sup);

	/* rendered after the last event it includes */
	/* the host's whole history; each service's last points only (its
	 * page fetches the rest): 500 services' whole rings are megabytes */
	ws_send(c, view_ws_snapshot_json(api_snapshot_json(c->hub->api,
	    clock_wall_ms(), ~0u, WS_SNAPSHOT_POINTS), ev->next_seq - 1,
	    c->hub->instance, reason), false);
}

static void
ws_replay_cb(const struct event *e, void *arg)
{
	ws_send(arg, view_ws_event_json(e), false);
}

static void
ws_error(struct ws_conn *c, const char *message, const char *code,
    const cJSON *id)
{
	ws_send(c, view_ws_error_json(message, code, id), true);
}

/* ?since=SEQ[&instance=ID]: the events after SEQ, or a snapshot with
 * reason "gap" when they cannot all be given. */
static void
ws_start(struct ws_conn *c)
{
	const struct events *ev = sup_events(c->hub->api->sup);
	char sbuf[48], ibuf[64];
	const char *since, *inst, *form;
	uint64_t seq, first, last = ev->next_seq - 1;
	char *end;

	/* ?metrics=compact|objects: the form of its metrics messages */
	form = lws_get_urlarg_by_name(c->wsi, "metrics=", sbuf,
	    (int)sizeof sbuf);
	if (form != NULL && strcmp(form, "compact") == 0)
		c->compact = true;
	else if (form != NULL && strcmp(form, "objects") != 0)
		ws_error(c, "metrics must be compact or objects", "bad_request",
		    NULL);
	since = lws_get_urlarg_by_name(c->wsi, "since=", sbuf, (int)sizeof sbuf);
	if (since == NULL) {
		ws_snapshot(c, NULL);
		return;
	}
	inst = lws_get_urlarg_by_name(c->wsi, "instance=", ibuf,
	    (int)sizeof ibuf);
	errno = 0;
	seq = strtoull(since, &end, 10);
	first = ev->count > 0 ? ev->v[ev->head].seq : ev->next_seq;
	if (since[0] < '0' || since[0] > '9' || *end != '\0' || errno != 0 ||
	    seq > last || seq + 1 < first || (inst != NULL &&
	    strcmp(inst, c->hub->instance) != 0)) {
		ws_snapshot(c, "gap");
		return;
	}
	events_since(ev, seq, ws_replay_cb, c);
}

static void
ws_tail_cb(uint64_t seq, int64_t ts, int stream, const char *line,
    size_t len, void *arg)
{
	void **a = arg;

	ws_send(a[0], view_ws_log_json(a[1], seq, ts, stream, line, len),
	    true);
}

static void
ws_subscribe(struct ws_conn *c, const struct wsmsg *m, bool on)
{
	char msg[WSMSG_NAME_MAX + 64];

	for (size_t i = 0; i < m->nlogs; i++) {
		const char *name = m->logs[i];
		struct sup_svc *s = sup_find(c->hub->api->sup, name);
		size_t j;

		if (s == NULL) {
			snprintf(msg, sizeof msg, "unknown service '%s'", name);
			ws_error(c, msg, "not_found", m->id);
			continue;
		}
		for (j = 0; j < c->nsubs; j++)
			if (strcmp(c->subs[j], name) == 0)
				break;
		if (!on) {
			if (j < c->nsubs) {
				free(c->subs[j]);
				c->subs[j] = c->subs[--c->nsubs];
			}
			continue;
		}
		if (m->tail > 0) {
			void *a[2] = { c, (void *)(uintptr_t)name };

			logring_last(logs_ring(sup_svc_logs(s)), m->tail, 0,
			    ws_tail_cb, a);
		}
		if (j == c->nsubs) {
			c->subs = xreallocarray(c->subs, c->nsubs + 1,
			    sizeof *c->subs);
			c->subs[c->nsubs++] = xstrdup(name);
		}
	}
}

static void
ws_result_error(struct ws_conn *c, const cJSON *id, int status,
    const char *code, const char *message)
{
	ws_send(c, view_ws_result_json(id, false, status, code, message,
	    NULL), true);
}

static void
ws_command(struct ws_conn *c, struct srv_http *http, const struct wsmsg *m)
{
	char msg[512], auth[WSMSG_TOKEN_MAX + 16];
	const char *code;
	cJSON *svc;
	int status, retry = 0;

	if (c->tcp) {
		if (!guard_rate_take(http->guard, c->peer,
		    (int64_t)uv_now(http->loop), &retry)) {
			ws_result_error(c, m->id, 429, "rate_limited",
			    "too many requests; slow down");
			return;
		}
		if (m->token != NULL)
			snprintf(auth, sizeof auth, "Bearer %s", m->token);
		switch (guard_bearer(http->guard, m->token != NULL ? auth :
		    NULL)) {
		case GUARD_AUTH_NO_TOKEN:
			ws_result_error(c, m->id, 403, "forbidden", "changes "
			    "over TCP are disabled: no token is configured");
			return;
		case GUARD_AUTH_MISSING:
			ws_result_error(c, m->id, 401, "unauthorized",
			    "a command needs its \"token\"");
			return;
		case GUARD_AUTH_WRONG:
			ws_result_error(c, m->id, 403, "forbidden",
			    "wrong token");
			if (++c->wrong_tokens >= WS_MAX_WRONG_TOKENS)
				ws_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION,
				    "too many wrong tokens", true);
			memset(auth, 0, sizeof auth);
			return;
		case GUARD_AUTH_OK:
			break;
		}
		memset(auth, 0, sizeof auth);
	}
	status = api_act(c->hub->api, m->action == WSMSG_START ? API_START :
	    m->action == WSMSG_STOP ? API_STOP : API_RESTART, m->service, msg,
	    sizeof msg, &code, &svc);
	ws_send(c, view_ws_result_json(m->id, code == NULL, status, code, msg,
	    svc), true);
}

static void
ws_message(struct ws_conn *c, struct srv_http *http, const char *buf,
    size_t len)
{
	struct wsmsg m;
	char err[256];

	if (wsmsg_parse(buf, len, &m, err, sizeof err) < 0) {
		ws_error(c, err, "bad_request", m.id);
		wsmsg_free(&m);
		return;
	}
	switch (m.type) {
	case WSMSG_SUBSCRIBE:
		ws_subscribe(c, &m, true);
		break;
	case WSMSG_UNSUBSCRIBE:
		ws_subscribe(c, &m, false);
		break;
	case WSMSG_COMMAND:
		ws_command(c, http, &m);
		break;
	}
	wsmsg_free(&m);
}

/* A piece of a client message. Returns -1 to close. */
static int
ws_receive(struct ws_conn *c, struct srv_http *http, const void *in,
    size_t len)
{
	size_t more = lws_remaining_packet_payload(c->wsi);

	if (c->close_code != 0)
		return 0;
	if (c->rx_len + len + more > WSMSG_MAX_BYTES) {
		static const char why[] = "message larger than 64 KiB";

		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    (unsigned char *)(uintptr_t)why, sizeof why - 1);
		return -1;
	}
	if (len > 0) {
		c->rx = xrealloc(c->rx, c->rx_len + len);
		memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += len;
	}
	if (!lws_is_final_fragment(c->wsi))
		return 0;
	if (lws_frame_is_binary(c->wsi))
		ws_error(c, "binary messages are not accepted: send JSON text",
		    "bad_request", NULL);
	else
		ws_message(c, http, c->rx, c->rx_len);
	free(c->rx);
	c->rx = NULL;
	c->rx_len = 0;
	return 0;
}

/* The upgrade: /ws only, and over TCP the Host and Origin of HTTP. */
static int
ws_filter(struct srv_http *http, struct lws *wsi, bool tcp)
{
	char uri[256] = "", host[256] = "", origin[256];

	if (http->ws == NULL || lws_hdr_copy(wsi, uri, sizeof uri,
	    WSI_TOKEN_GET_URI) <= 0)
		return -1;
	uri[strcspn(uri, "?")] = '\0';
	if (strcmp(uri, "/ws") != 0)
		return -1;
	if (!tcp)
		return 0;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HOST) > 0 &&
	    (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) < 0 ||
	    !guard_host_ok(http->guard, host)))
		return -1;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0 &&
	    (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) < 0 ||
	    !guard_origin_ok(http->guard, origin, host)))
		return -1;
	return 0;
}

static void
ws_closed(struct ws_conn *c)
{
	struct ws_item *it;

	LIST_REMOVE(c, link);
	if (--c->hub->n == 0 && !c->hub->stopped)
		uv_timer_stop(&c->hub->ping);
	while ((it = STAILQ_FIRST(&c->queue)) != NULL) {
		STAILQ_REMOVE_HEAD(&c->queue, link);
		ws_unref(it->b);
		free(it);
	}
	ws_unref(c->metrics);
	ws_unref(c->cur);
	for (size_t i = 0; i < c->nsubs; i++)
		free(c->subs[i]);
	free(c->subs);
	free(c->scratch);
	free(c->rx);
	free(c);
}

int
ws_callback(struct srv_http *http, struct lws *wsi, int reason, void **slot,
    void *in, size_t len, bool tcp)
{
	struct ws_conn *c = slot != NULL ? *slot : NULL;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return ws_filter(http, wsi, tcp);
	case LWS_CALLBACK_ESTABLISHED:
		if (slot == NULL || http->ws == NULL)
			return -1;
		c = xcalloc(1, sizeof *c);
		c->hub = http->ws;
		c->wsi = wsi;
		c->tcp = tcp;
		STAILQ_INIT(&c->queue);
		if (tcp)
			lws_get_peer_simple(wsi, c->peer, sizeof c->peer);
		LIST_INSERT_HEAD(&c->hub->conns, c, link);
		c->last_rx_ms = uv_now(c->hub->loop);
		if (c->hub->n++ == 0 && !c->hub->stopped)
			uv_timer_start(&c->hub->ping, ws_ping_cb,
			    WS_PING_MS / 3, WS_PING_MS / 3);
		*slot = c;
		ws_start(c);
		return 0;
	case LWS_CALLBACK_RECEIVE:
	case LWS_CALLBACK_RECEIVE_PONG:
		if (c == NULL)
			return -1;
		/* any frame shows the client is there */
		c->last_rx_ms = uv_now(c->hub->loop);
		c->ping_ms = 0;
		if (reason == LWS_CALLBACK_RECEIVE_PONG)
			return 0;
		return ws_receive(c, http, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return c != NULL ? ws_writeable(c) : 0;
	case LWS_CALLBACK_CLOSED:
		if (c != NULL) {
			ws_closed(c);
			*slot = NULL;
		}
		return 0;
	default:
		return 0;
	}
}
