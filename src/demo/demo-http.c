/*
 * The HTTP/1.1 server of prodd-demo, on a libuv TCP listener. It is small but
 * meant to be correct enough to serve as the supervisor's fault injector:
 * requests may arrive split across reads or pipelined, and are answered one
 * at a time and in order per connection (a delayed work request holds back
 * the requests queued behind it, as HTTP/1.1 requires); keep-alive follows
 * the protocol version and Connection header; heads (parsed by demo-head.c)
 * are capped at 16 KiB and Content-Length bodies at 1 MiB and discarded;
 * errors close the connection after a half-close and a short drain so the
 * client sees the error response instead of a reset. Input and output are
 * both bounded per connection: a client that never reads its answers stops
 * being read from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "demo.h"

#define DEMO_INBUF_HIGH (64u * 1024u)
#define DEMO_READ_CHUNK (64u * 1024u)
#define DEMO_IDLE_MS 30000u
#define DEMO_DRAIN_MS 2000u
#define DEMO_SWEEP_MS 1000u
#define DEMO_WQ_HIGH (1024u * 1024u)
#define DEMO_WQ_LOW (256u * 1024u)

enum demo_phase {
	DEMO_PH_HEAD,	/* waiting for (more of) a request head */
	DEMO_PH_BODY,	/* discarding a Content-Length body */
	DEMO_PH_WAIT,	/* response delayed by --latency-ms */
	DEMO_PH_HUNG,	/* hung health: read and discard forever */
	DEMO_PH_DRAIN,	/* half-closed, discarding input until EOF */
};

struct demo_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_shutdown_t shut;
	LIST_ENTRY(demo_conn) link;
	enum demo_phase phase;
	int open_handles;
	unsigned reading : 1;
	unsigned eof : 1;
	unsigned keep_alive : 1;
	unsigned wq_blocked : 1;
	unsigned closing : 1;
	char *in;
	size_t in_len;
	size_t in_cap;
	uint64_t body_left;
	uint64_t last_active_ms;
	struct demo_head head;	/* of the request being answered */
	struct demo_request req;	/* what demo-api sees of it */
};

struct demo_write {
	uv_write_t req;
	struct demo_conn *conn;
	char data[];
};

static uv_tcp_t demo_listener;
static uv_timer_t demo_sweep;
static int demo_listening;
static int demo_sweeping;
static LIST_HEAD(, demo_conn) demo_conns = LIST_HEAD_INITIALIZER(demo_conns);
static char demo_readbuf[DEMO_READ_CHUNK];

static void demo_conn_process(struct demo_conn *c);

static const char *
demo_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

static void
demo_conn_handle_close_cb(uv_handle_t *h)
{
	struct demo_conn *c = h->data;

	if (--c->open_handles > 0)
		return;
	free(c->in);
	demo_head_free(&c->head);
	free(c);
}

static void
demo_conn_close(struct demo_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	LIST_REMOVE(c, link);	/* once: closing guards it */
	uv_close((uv_handle_t *)&c->tcp, demo_conn_handle_close_cb);
	uv_close((uv_handle_t *)&c->timer, demo_conn_handle_close_cb);
}

static void
demo_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	/* One shared buffer is enough: libuv hands it to read_cb right away. */
	(void)h;
	(void)suggested;
	buf->base = demo_readbuf;
	buf->len = sizeof(demo_readbuf);
}

static void demo_conn_read_cb(uv_stream_t *, ssize_t, const uv_buf_t *);

static void
demo_conn_read_on(struct demo_conn *c)
{
	if (c->reading || c->eof || c->closing)
		return;
	if (uv_read_start((uv_stream_t *)&c->tcp, demo_alloc_cb,
	    demo_conn_read_cb) == 0)
		c->reading = 1;
}

static void
demo_conn_read_off(struct demo_conn *c)
{
	if (!c->reading)
		return;
	uv_read_stop((uv_stream_t *)&c->tcp);
	c->reading = 0;
}

static void
demo_conn_drain_timer_cb(uv_timer_t *t)
{
	demo_conn_close(t->data);
}

static void
demo_conn_shutdown_cb(uv_shutdown_t *req, int status)
{
	struct demo_conn *c = req->data;

	if (c->closing)
		return;
	if (status < 0 || c->eof) {
		demo_conn_close(c);
		return;
	}
	/*
	 * Closing with unread input makes the kernel send RST, which can destroy
	 * the error response before the client reads it; keep swallowing input
	 * for a moment so the client gets to see our answer and our FIN.
	 */
	demo_conn_read_on(c);
	if (!c->reading) {
		demo_conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, demo_conn_drain_timer_cb, DEMO_DRAIN_MS, 0);
}

/* Graceful end: flush queued responses, send FIN, then drain and close. */
static void
demo_conn_finish(struct demo_conn *c)
{
	if (c->closing || c->phase == DEMO_PH_DRAIN)
		return;
	c->phase = DEMO_PH_DRAIN;
	c->in_len = 0;
	uv_timer_stop(&c->timer);
	c->shut.data = c;
	if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp,
	    demo_conn_shutdown_cb) != 0)
		demo_conn_close(c);
}

static void
demo_conn_write_cb(uv_write_t *req, int status)
{
	struct demo_write *w = (struct demo_write *)req;
	struct demo_conn *c = w->conn;

	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		demo_conn_close(c);
		return;
	}
	c->last_active_ms = demo_now_ms();
	if (c->wq_blocked &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) <= DEMO_WQ_LOW) {
		c->wq_blocked = 0;
		demo_conn_process(c);
	}
}

static void
demo_conn_write(struct demo_conn *c, const char *data, size_t len)
{
	struct demo_write *w;
	uv_buf_t buf;

	if (c->closing)
		return;
	w = xmalloc(sizeof(*w) + len);
	w->conn = c;
	memcpy(w->data, data, len);
	buf = uv_buf_init(w->data, (unsigned int)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1,
	    demo_conn_write_cb) != 0) {
		free(w);
		demo_conn_close(c);
		return;
	}
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) >
	    DEMO_WQ_HIGH)
		c->wq_blocked = 1;
}

static void
demo_conn_send(struct demo_conn *c, const struct demo_response *resp,
	       int head_only, int keep_alive)
{
	struct strbuf out = { 0 };
	char date[64];

	demo_http_date(date, sizeof(date));
	sb_printf(&out,
	    "HTTP/1.1 %d %s\r\n"
	    "Date: %s\r\n"
	    "Server: prodd-demo/" DEMO_VERSION "\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "Connection: %s\r\n",
	    resp->status, demo_http_reason(resp->status), date,
	    resp->content_type ? resp->content_type : "application/json",
	    resp->body.len, keep_alive ? "keep-alive" : "close");
	if (resp->allow)
		sb_printf(&out, "Allow: %s\r\n", resp->allow);
	sb_puts(&out, "\r\n");
	if (!head_only && resp->body.len > 0)
		sb_append(&out, resp->body.buf, resp->body.len);
	demo_conn_write(c, out.buf, out.len);
	sb_free(&out);
}

/* Protocol-level error: answer, then close the connection. */
static void
demo_conn_error(struct demo_conn *c, int status, const char *msg)
{
	struct demo_response resp = { .status = status };

	sb_puts(&resp.body, "{\"error\":");
	sb_json_str(&resp.body, msg, strlen(msg));
	sb_puts(&resp.body, "}");
	demo_conn_send(c, &resp, 0, 0);
	sb_free(&resp.body);
	demo_conn_finish(c);
}

static void
demo_conn_respond(struct demo_conn *c)
{
	struct demo_response resp = { .status = 500 };

	demo_api_respond(&c->req, &resp);
	demo_conn_send(c, &resp, c->req.method == DEMO_M_HEAD, c->keep_alive);
	sb_free(&resp.body);
	demo_head_free(&c->head);
	c->last_active_ms = demo_now_ms();
	if (!c->keep_alive) {
		demo_conn_finish(c);
		return;
	}
	c->phase = DEMO_PH_HEAD;
}

static void
demo_conn_delay_cb(uv_timer_t *t)
{
	struct demo_conn *c = t->data;

	if (c->closing || c->phase != DEMO_PH_WAIT)
		return;
	demo_conn_respond(c);
	demo_conn_process(c);
}

static void
demo_conn_dispatch(struct demo_conn *c)
{
	c->req.start_ns = uv_hrtime();
	switch (demo_api_plan(&c->req)) {
	case DEMO_PLAN_HANG:
		/* Keep reading so we notice when the prober gives up and closes. */
		c->phase = DEMO_PH_HUNG;
		c->in_len = 0;
		demo_head_free(&c->head);
		return;
	case DEMO_PLAN_DELAY:
		c->phase = DEMO_PH_WAIT;
		uv_timer_start(&c->timer, demo_conn_delay_cb,
		    demo_opts.latency_ms, 0);
		return;
	case DEMO_PLAN_NOW:
		demo_conn_respond(c);
		return;
	}
}

static void
demo_conn_consume(struct demo_conn *c, size_t n)
{
	if (n >= c->in_len) {
		c->in_len = 0;
		return;
	}
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

static void
demo_conn_process(struct demo_conn *c)
{
	for (;;) {
		struct demo_head h;
		size_t head_len;
		int rc;

		if (c->closing || c->wq_blocked || c->phase == DEMO_PH_WAIT ||
		    c->phase == DEMO_PH_HUNG || c->phase == DEMO_PH_DRAIN)
			break;
		if (c->phase == DEMO_PH_BODY) {
			size_t n = c->in_len < c->body_left ? c->in_len :
			    (size_t)c->body_left;

			demo_conn_consume(c, n);
			c->body_left -= n;
			if (c->body_left > 0)
				break;
			c->phase = DEMO_PH_HEAD;
			demo_conn_dispatch(c);
			continue;
		}
		/* RFC 9112 2.2: ignore empty lines before a request line. */
		demo_conn_consume(c, demo_head_blank(c->in, c->in_len));
		if (c->in_len == 0)
			break;
		head_len = demo_head_end(c->in,
		    c->in_len < DEMO_HEAD_MAX ? c->in_len : DEMO_HEAD_MAX);
		if (head_len == 0) {
			if (c->in_len >= DEMO_HEAD_MAX)
				demo_conn_error(c, 431, demo_head_error(431));
			break;
		}
		if ((rc = demo_head_parse(c->in, head_len, &h)) != 0) {
			demo_conn_error(c, rc, demo_head_error(rc));
			break;
		}
		demo_head_free(&c->head);
		c->head = h;
		c->req.method = h.method;
		c->req.path = h.path;
		c->req.query = h.query;
		c->keep_alive = h.keep_alive;
		c->body_left = h.body_len;
		demo_conn_consume(c, head_len);
		if (c->body_left > 0) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

			if (h.expect_continue && c->in_len == 0)
				demo_conn_write(c, cont, sizeof(cont) - 1);
			c->phase = DEMO_PH_BODY;
			continue;
		}
		demo_conn_dispatch(c);
	}
	if (c->closing || c->phase == DEMO_PH_DRAIN)
		return;
	if (c->eof) {
		/* No more requests can come; end once the last answer is queued. */
		if (c->phase == DEMO_PH_HEAD && !c->wq_blocked)
			demo_conn_finish(c);
		else if (c->phase == DEMO_PH_BODY || c->phase == DEMO_PH_HUNG)
			demo_conn_close(c);
		return;
	}
	if (c->phase == DEMO_PH_HUNG || c->in_len < DEMO_INBUF_HIGH)
		demo_conn_read_on(c);
	else
		demo_conn_read_off(c);
}

static void
demo_conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct demo_conn *c = s->data;

	if (c->closing || nread == 0)
		return;
	if (nread < 0) {
		if (nread != UV_EOF) {
			demo_conn_close(c);
			return;
		}
		c->eof = 1;
		demo_conn_read_off(c);
		if (c->phase == DEMO_PH_DRAIN || c->phase == DEMO_PH_HUNG) {
			demo_conn_close(c);
			return;
		}
		demo_conn_process(c);
		return;
	}
	c->last_active_ms = demo_now_ms();
	if (c->phase == DEMO_PH_DRAIN || c->phase == DEMO_PH_HUNG)
		return;
	if (c->in_len + (size_t)nread + 1 > c->in_cap) {
		size_t cap = c->in_cap ? c->in_cap : 4096;

		while (cap < c->in_len + (size_t)nread + 1)
			cap *= 2;
		c->in = xrealloc(c->in, cap);
		c->in_cap = cap;
	}
	memcpy(c->in + c->in_len, buf->base, (size_t)nread);
	c->in_len += (size_t)nread;
	demo_conn_process(c);
	/* Don't keep a big buffer around after a large pipelined burst. */
	if (c->in_len == 0 && c->in_cap > 2 * DEMO_HEAD_MAX && !c->closing) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
}

static void
demo_connection_cb(uv_stream_t *server, int status)
{
	struct demo_conn *c;

	if (status < 0) {
		/* Once a second at most: EMFILE repeats for every pending client. */
		static uint64_t last_ms;
		uint64_t now = demo_now_ms();

		if (last_ms == 0 || now - last_ms >= 1000) {
			last_ms = now;
			demo_say(2, "prodd-demo: accept failed: %s\n",
			    uv_strerror(status));
		}
		return;
	}
	c = xmalloc(sizeof(*c));
	memset(c, 0, sizeof(*c));
	uv_tcp_init(server->loop, &c->tcp);
	uv_timer_init(server->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->open_handles = 2;
	c->phase = DEMO_PH_HEAD;
	c->last_active_ms = demo_now_ms();
	LIST_INSERT_HEAD(&demo_conns, c, link);
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		demo_conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	demo_conn_read_on(c);
	if (!c->reading)
		demo_conn_close(c);
}

/*
 * Hung-health and delayed connections are exempt: the former must stay open
 * until the prober gives up, the latter ends by itself.
 */
static void
demo_sweep_cb(uv_timer_t *t)
{
	uint64_t now = demo_now_ms();
	struct demo_conn *c, *next;

	(void)t;
	for (c = LIST_FIRST(&demo_conns); c; c = next) {
		next = LIST_NEXT(c, link);
		if ((c->phase == DEMO_PH_HEAD || c->phase == DEMO_PH_BODY) &&
		    now - c->last_active_ms >= DEMO_IDLE_MS)
			demo_conn_close(c);
	}
}

int
demo_http_listen(uv_loop_t *loop, const struct sockaddr *addr)
{
	int rc;

	rc = uv_tcp_init(loop, &demo_listener);
	if (rc != 0)
		return rc;
	demo_listening = 1;
	rc = uv_tcp_bind(&demo_listener, addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&demo_listener, 511,
		    demo_connection_cb);
	if (rc != 0)
		return rc;
	uv_timer_init(loop, &demo_sweep);
	uv_timer_start(&demo_sweep, demo_sweep_cb, DEMO_SWEEP_MS,
	    DEMO_SWEEP_MS);
	demo_sweeping = 1;
	return 0;
}

int
demo_http_port(void)
{
	struct sockaddr_storage ss;
	int len = (int)sizeof(ss), rc;

	if ((rc = uv_tcp_getsockname(&demo_listener, (struct sockaddr *)&ss,
	    &len)) != 0)
		return rc;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -EAFNOSUPPORT;
}

void
demo_http_close_all(void)
{
	if (demo_listening) {
		demo_listening = 0;
		uv_close((uv_handle_t *)&demo_listener, NULL);
	}
	if (demo_sweeping) {
		demo_sweeping = 0;
		uv_close((uv_handle_t *)&demo_sweep, NULL);
	}
	while (!LIST_EMPTY(&demo_conns))
		demo_conn_close(LIST_FIRST(&demo_conns));
}
