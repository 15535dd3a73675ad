/*
 * The /ws hub and its sessions, private to ws.c (sessions, fan-out) and
 * ws-out.c (a client's queue of shared buffers and the writeable turn
 * that writes them). Loop thread only.
 */
#ifndef PRODD_WS_INT_H
#define PRODD_WS_INT_H

#include "prodd/api.h"

#include <cjson/cJSON.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <uv.h>

/* lws_write's opcode for a close frame: lws 4.1 keeps it private (it is
 * meant for lws_close_reason, which does not work here, see
 * ws_writeable). */
#define WS_WRITE_CLOSE ((enum lws_write_protocol)4)
/* Points of each service's cpu and rss history in the snapshot (SPEC
 * §10: sparklines). */
#define WS_SNAPSHOT_POINTS 60

/* Wrong tokens one connection may send before it is closed. */
#define WS_MAX_WRONG_TOKENS 5
/* Messages up to this size are printed into the hub's one print buffer,
 * then copied at their exact size: a client's queue of log lines is then
 * its lines, with no print buffer (grown by doubling, then freed) left as
 * a hole beside each, which would about double the heap it takes. */
#define WS_PRINT_MAX (64 * 1024)
/* How long a closed client that reads nothing may hold its connection
 * (its queue is gone already) before it is cut without a close frame. */
#define WS_CLOSE_GRACE_S 30

struct ws_buf {
	unsigned refs;
	size_t len;
	unsigned char mem[];		/* LWS_PRE, then len bytes of text */
};

struct ws_item {
	STAILQ_ENTRY(ws_item) link;
	struct ws_buf *b;
	bool bounded;
};

struct ws_conn {
	LIST_ENTRY(ws_conn) link;
	struct ws_hub *hub;
	struct lws *wsi;
	bool tcp;
	char peer[64];
	STAILQ_HEAD(, ws_item) queue;
	size_t queued;			/* bytes of bounded items */
	struct ws_buf *metrics;		/* the latest, not yet written */
	bool compact;			/* ?metrics=compact: arrays */
	struct ws_buf *cur;		/* being written */
	bool cur_bounded;
	size_t off;
	unsigned char *scratch;		/* LWS_PRE + WS_FRAGMENT */
	char **subs;
	size_t nsubs;
	int wrong_tokens;
	int close_code;			/* 0: open */
	const char *close_why;
	char *rx;
	size_t rx_len;
	uint64_t last_rx_ms;		/* loop time of its last frame */
	uint64_t ping_ms;		/* a ping is out since; 0: none */
	bool want_ping;
};

struct ws_hub {
	struct api *api;
	LIST_HEAD(, ws_conn) conns;
	size_t n;
	uint64_t rendered, frames;
	char *print;			/* WS_PRINT_MAX bytes, at the first use */
	char instance[17];
	uv_loop_t *loop;
	uv_timer_t ping;		/* runs while n > 0 */
	bool stopped;
};

/* ws-out.c */
struct ws_buf *ws_render(struct ws_hub *hub, cJSON *o);
void ws_unref(struct ws_buf *b);
void ws_close(struct ws_conn *c, int code, const char *why, bool flush);
void ws_enqueue(struct ws_conn *c, struct ws_buf *b, bool bounded);
void ws_send(struct ws_conn *c, cJSON *o, bool bounded);
int ws_writeable(struct ws_conn *c);

#endif
