/*
 * A /ws client's outgoing side (see ws.c): every message goes into a
 * ws_buf, the rendered JSON text behind LWS_PRE bytes of headroom,
 * reference-counted, so one rendering serves every client that queues
 * it; a client's queue of them, bounded; and the writeable turn that
 * writes one frame of at most WS_FRAGMENT bytes, a ping, or the close
 * frame. Loop thread only.
 */
#include "ws-int.h"
#include "prodd/log.h"
#include "prodd/ws.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* buffers */

struct ws_buf *
ws_render(struct ws_hub *hub, cJSON *o)
{
	char *t = NULL;
	const char *src;
	size_t len;
	struct ws_buf *b;

	if (hub->print == NULL)
		hub->print = xmalloc(WS_PRINT_MAX);
	if (cJSON_PrintPreallocated(o, hub->print, WS_PRINT_MAX, 0)) {
		src = hub->print;
	} else {
		t = cJSON_PrintUnformatted(o);
		src = t;
	}
	len = strlen(src);
	b = xmalloc(sizeof *b + LWS_PRE + len);
	b->refs = 1;
	b->len = len;
	memcpy(b->mem + LWS_PRE, src, len);
	cJSON_free(t);
	cJSON_Delete(o);
	hub->rendered++;
	return b;
}

void
ws_unref(struct ws_buf *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

/* Close c with code: at once (its queue dropped), or with flush after
 * what is queued for it (no new message is queued meanwhile). */
void
ws_close(struct ws_conn *c, int code, const char *why, bool flush)
{
	struct ws_item *it;

	if (c->close_code != 0)
		return;
	c->close_code = code;
	c->close_why = why;
	ws_unref(c->metrics);
	c->metrics = NULL;
	lws_callback_on_writable(c->wsi);
	/* a client that reads nothing never gets a writeable callback */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, WS_CLOSE_GRACE_S);
	if (flush)
		return;
	while ((it = STAILQ_FIRST(&c->queue)) != NULL) {
		STAILQ_REMOVE_HEAD(&c->queue, link);
		ws_unref(it->b);
		free(it);
	}
	c->queued = 0;
	if (c->cur != NULL && c->off == 0) {
		ws_unref(c->cur);
		c->cur = NULL;
	}
}

/* Queue b (a new reference) for c; a bounded item past the bound closes
 * the client with 1008. */
void
ws_enqueue(struct ws_conn *c, struct ws_buf *b, bool bounded)
{
	struct ws_item *it;

	if (c->close_code != 0)
		return;
	if (bounded && c->queued + b->len > WS_QUEUE_MAX) {
		log_notice(NULL, "ws: closing %s: more than %d bytes queued",
		    c->peer[0] ? c->peer : "a client", WS_QUEUE_MAX);
		ws_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION,
		    "too slow: its queue is over the bound", false);
		return;
	}
	it = xmalloc(sizeof *it);
	it->b = b;
	it->bounded = bounded;
	b->refs++;
	if (bounded)
		c->queued += b->len;
	STAILQ_INSERT_TAIL(&c->queue, it, link);
	lws_callback_on_writable(c->wsi);
}

/* Render o for c alone and queue it. */
void
ws_send(struct ws_conn *c, cJSON *o, bool bounded)
{
	struct ws_buf *b = ws_render(c->hub, o);

	ws_enqueue(c, b, bounded);
	ws_unref(b);
}

/* One frame of what c has to send. */
int
ws_writeable(struct ws_conn *c)
{
	size_t rem, n;
	unsigned char *src;
	int flags;

	if (c->close_code != 0 && c->cur == NULL && STAILQ_EMPTY(&c->queue)) {
		/* the close frame, written here: lws 4.1 sends none for a
		 * connection closed by a failing writeable callback or a
		 * timeout, whatever lws_close_reason said */
		unsigned char fr[LWS_PRE + 2 + 123];
		size_t wl = strlen(c->close_why);

		if (wl > 123)
			wl = 123;
		fr[LWS_PRE] = (unsigned char)(c->close_code >> 8);
		fr[LWS_PRE + 1] = (unsigned char)(c->close_code & 0xff);
		memcpy(fr + LWS_PRE + 2, c->close_why, wl);
		lws_write(c->wsi, fr + LWS_PRE, wl + 2, WS_WRITE_CLOSE);
		return -1;
	}
	if (c->want_ping) {
		/* a control frame may come between two fragments; lws 4.1
		 * reports no empty pong, so the ping carries a payload */
		unsigned char ping[LWS_PRE + 5];

		c->want_ping = false;
		memcpy(ping + LWS_PRE, "prodd", 5);
		if (lws_write(c->wsi, ping + LWS_PRE, 5, LWS_WRITE_PING) < 5)
			return -1;
		lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->cur == NULL) {
		struct ws_item *it = STAILQ_FIRST(&c->queue);

		if (it != NULL) {
			STAILQ_REMOVE_HEAD(&c->queue, link);
			c->cur = it->b;
			c->cur_bounded = it->bounded;
			free(it);
		} else if (c->metrics != NULL) {
			c->cur = c->metrics;
			c->cur_bounded = false;
			c->metrics = NULL;
		} else {
			return 0;
		}
		c->off = 0;
	}
	rem = c->cur->len - c->off;
	n = rem > WS_FRAGMENT ? WS_FRAGMENT : rem;
	flags = c->off == 0 ? LWS_WRITE_TEXT : LWS_WRITE_CONTINUATION;
	if (n < rem)
		flags |= LWS_WRITE_NO_FIN;
	if (c->off == 0) {
		/* lws writes the frame header into the headroom: the shared
		 * buffer's own, one client at a time */
		src = c->cur->mem + LWS_PRE;
	} else {
		/* the bytes before a later fragment are text: copy it */
		if (c->scratch == NULL)
			c->scratch = xmalloc(LWS_PRE + WS_FRAGMENT);
		memcpy(c->scratch + LWS_PRE, c->cur->mem + LWS_PRE + c->off, n);
		src = c->scratch + LWS_PRE;
	}
	if (lws_write(c->wsi, src, n, (enum lws_write_protocol)flags) <
	    (int)n)
		return -1;
	c->hub->frames++;
	c->off += n;
	if (c->off == c->cur->len) {
		if (c->cur_bounded)
			c->queued -= c->cur->len;
		ws_unref(c->cur);
		c->cur = NULL;
		c->off = 0;
	}
	if (c->cur != NULL || !STAILQ_EMPTY(&c->queue) || c->metrics != NULL ||
	    c->close_code != 0)
		lws_callback_on_writable(c->wsi);
	return 0;
}
