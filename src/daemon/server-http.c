/*
 * The HTTP transactions of the server (see server-http.h), on
 * libwebsockets 4.1: every callback falls through to
 * lws_callback_http_dummy. One per-session struct per HTTP transaction
 * holds the request, and then the response being written: headers in one
 * writeable callback, the body in pieces in the next ones (as many pieces
 * a turn as the socket takes), so a slow reader only ever holds its own
 * buffer, or a reference to a body cached answers share. Connections come
 * adopted from prodd's own listeners; requests on those of the TCP port
 * pass the guards (core/guard: Host, Origin, rate, the token of a change)
 * before the handler sees them.
 */
#include "prodd/server-http.h"
#include "prodd/guard.h"
#include "prodd/log.h"
#include "prodd/server-tls.h"
#include "prodd/strutil.h"
#include "prodd/view.h"
#include "prodd/webpath.h"
#include "prodd/ws.h"
#include "prodd/xmalloc.h"

#include <libwebsockets.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRV_MAX_BODY (64 * 1024)
#define SRV_CHUNK (64 * 1024)
/* A piece of a response body: one lws_write. When the socket takes only
 * part of one, lws keeps a copy of the rest: a smaller piece bounds that
 * copy per slow reader (pieces follow one another in a turn while the
 * socket takes them). */
#define SRV_PIECE (16 * 1024)
#define SRV_SMALL (8 * 1024)
#define SRV_STREAM_MAX (1024 * 1024)

struct srv_stream {
	struct lws *wsi;
	struct srv_http *http;
	struct strbuf out;		/* queued, not yet written */
	void (*closed)(void *);
	void *ctx;
	bool dead, ending;
};

/* Per HTTP transaction (lws allocates and zeroes it). */
struct pss {
	enum srv_method method;
	char path[1024];
	char *body;
	size_t body_len;
	bool body_too_big;
	/* the response */
	int status;
	char *resp;			/* owned, or the shared body's text */
	struct server_body *shared;	/* a reference held; NULL: owned */
	size_t resp_len, resp_off;
	bool headers_sent, responded, headers_failed;
	char retry_after[16];
	char allow_origin[256];
	const char *content_type;	/* NULL: JSON (or NDJSON, streamed) */
	bool head;			/* HEAD: no body goes out */
	bool is_file;			/* a static file: no-cache, ETag */
	bool gzip, vary;
	char etag[WEBPATH_ETAG_MAX];
	char accept_encoding[256], if_none_match[512];
	struct srv_stream *stream;
	void *ws;			/* an upgraded connection: ws.c's */
};

/* The opaque user data of a connection from the TCP listener. */
static char srv_tcp_mark;

static struct srv_http *
srv_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* The mark is on the connection: a stream of a multiplexed connection
 * (HTTP/2) is a wsi of its own, whose network wsi holds it. */
static bool
srv_over_tcp(struct lws *wsi)
{
	struct lws *net = lws_get_network_wsi(wsi);

	return lws_get_opaque_user_data(net != NULL ? net : wsi) ==
	    &srv_tcp_mark;
}

int
srv_http_adopt(struct lws_vhost *vh, int fd, bool tcp)
{
	lws_adopt_desc_t info;

	memset(&info, 0, sizeof info);
	info.vh = vh;
	/* TLS, when the vhost has it (daemon.tls), on the TCP listener
	 * only: the control socket stays plain */
	info.type = LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP |
	    (tcp ? LWS_ADOPT_ALLOW_SSL : 0);
	info.fd.sockfd = fd;
	info.opaque = tcp ? &srv_tcp_mark : NULL;
	return lws_adopt_descriptor_vhost_via_info(&info) != NULL ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* responses */

/* A body shared by the requests that answer with it (see server.h). */
struct server_body {
	unsigned refs;
	size_t len;
	char text[];			/* len bytes */
};

struct server_body *
server_body_new(const char *text, size_t len)
{
	struct server_body *b = xmalloc(sizeof *b + len + 1);

	b->refs = 1;
	b->len = len + 1;
	memcpy(b->text, text, len);
	b->text[len] = '\n';
	return b;
}

void
server_body_unref(struct server_body *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

static int srv_write_headers(struct lws *wsi, struct pss *p);

/* A body buffer with LWS_PRE bytes of room before it, as lws_write wants:
 * the body is written from where it is, never copied again. */
static char *
srv_body_alloc(size_t len)
{
	return (char *)xmalloc(LWS_PRE + len + 1) + LWS_PRE;
}

static void
srv_body_free(char *body)
{
	if (body != NULL)
		free(body - LWS_PRE);
}

/* Let go of the response body: free it, or drop the reference. */
static void
srv_resp_release(struct pss *p)
{
	if (p->shared != NULL)
		server_body_unref(p->shared);
	else
		srv_body_free(p->resp);
	p->shared = NULL;
	p->resp = NULL;
}

/* Write n bytes of the body from resp_off. An owned body is written in
 * place (the LWS_PRE bytes before it are sent already, or the buffer's
 * own headroom); a shared one through a copy, its bytes before the piece
 * being other readers' text. */
static int
srv_write_piece(struct lws *wsi, struct pss *p, size_t n,
    enum lws_write_protocol wp)
{
	unsigned char copy[LWS_PRE + SRV_PIECE];
	unsigned char *src = (unsigned char *)p->resp + p->resp_off;

	if (p->shared != NULL) {
		memcpy(copy + LWS_PRE, src, n);
		src = copy + LWS_PRE;
	}
	return lws_write(wsi, src, n, wp);
}

/*
 * Responses are always made inside an lws HTTP callback, where headers may
 * be written at once: the body then goes out on the first writeable turn,
 * one loop iteration sooner.
 */
static void
srv_set_response(struct lws *wsi, struct pss *p, int status, char *body,
    size_t len, struct server_body *shared)
{
	srv_resp_release(p);
	p->status = status;
	p->resp = body;
	p->shared = shared;
	p->resp_len = len;
	p->resp_off = 0;
	p->responded = true;
	/* the request is read: lws's pending timeout (timeout_secs, armed
	 * for reading it) must not cut the answer short when the loop is
	 * slow to come back to it; a reader that stalls holds only its own
	 * connection and a reference, as it does once the body is started */
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	if (srv_write_headers(wsi, p) < 0) {
		p->headers_failed = true;
	} else if (p->head) {
		/* the length was said; the body is an empty final write */
		p->resp_len = 0;
	} else if (len <= SRV_SMALL && lws_send_pipe_choked(wsi) == 0) {
		/* a small body follows its headers at once: one turn, and the
		 * kernel usually gets both in one segment */
		if (srv_write_piece(wsi, p, len, LWS_WRITE_HTTP_FINAL) < 0)
			p->headers_failed = true;
		else
			p->resp_off = len;
	}
	lws_callback_on_writable(wsi);
}

void
server_respond_text(struct srv_req *req, int status, const char *text,
    size_t len)
{
	struct lws *wsi = req->conn;
	char *body = srv_body_alloc(len + 1);

	memcpy(body, text, len);
	body[len] = '\n';
	body[len + 1] = '\0';
	srv_set_response(wsi, lws_wsi_user(wsi), status, body, len + 1,
	    NULL);
}

void
server_respond_body(struct srv_req *req, int status, struct server_body *b)
{
	struct lws *wsi = req->conn;

	b->refs++;
	srv_set_response(wsi, lws_wsi_user(wsi), status, b->text, b->len, b);
}

void
server_respond_typed(struct srv_req *req, int status,
    const char *content_type, const char *text, size_t len)
{
	struct lws *wsi = req->conn;
	struct pss *p = lws_wsi_user(wsi);
	char *body = srv_body_alloc(len);

	memcpy(body, text, len);
	p->content_type = content_type;
	srv_set_response(wsi, p, status, body, len, NULL);
}

void
server_respond_file(struct srv_req *req, int status,
    const struct srv_file *f, const char *data, size_t len)
{
	struct lws *wsi = req->conn;
	struct pss *p = lws_wsi_user(wsi);
	char *body = srv_body_alloc(data != NULL ? len : 0);

	if (data != NULL)
		memcpy(body, data, len);
	else
		len = 0;
	p->content_type = f->content_type;
	p->is_file = true;
	p->gzip = f->gzip;
	p->vary = f->vary;
	snprintf(p->etag, sizeof p->etag, "%s", f->etag);
	srv_set_response(wsi, p, status, body, len, NULL);
}

void
server_respond_json(struct srv_req *req, int status, cJSON *obj)
{
	struct lws *wsi = req->conn;
	struct pss *p = lws_wsi_user(wsi);
	char *text = cJSON_PrintUnformatted(obj);
	size_t n = strlen(text);
	char *body = srv_body_alloc(n + 1);

	memcpy(body, text, n);
	body[n] = '\n';
	body[n + 1] = '\0';
	cJSON_free(text);
	cJSON_Delete(obj);
	srv_set_response(wsi, p, status, body, n + 1, NULL);
}

void
server_respond_error(struct srv_req *req, int status, const char *code,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	server_respond_json(req, status, view_error_json(msg, code));
}

/* An error before the handler ran (no srv_req yet). */
static void
srv_error(struct lws *wsi, struct pss *p, int status, const char *code,
    const char *msg)
{
	struct srv_req r = { .conn = wsi };

	(void)p;
	server_respond_error(&r, status, code, "%s", msg);
}

struct srv_stream *
server_stream_start(struct srv_req *req, void (*closed)(void *), void *ctx)
{
	struct lws *wsi = req->conn;
	struct pss *p = lws_wsi_user(wsi);
	struct srv_stream *st = xcalloc(1, sizeof *st);

	st->wsi = wsi;
	st->http = srv_of(wsi);
	st->closed = closed;
	st->ctx = ctx;
	st->http->nstreams++;
	p->stream = st;
	p->status = 200;
	p->responded = true;
	lws_callback_on_writable(wsi);
	return st;
}

int
server_stream_write(struct srv_stream *st, const char *data, size_t len)
{
	if (st->dead)
		return -1;
	if (st->out.len + len > SRV_STREAM_MAX) {
		/* a reader this slow is dropped, not buffered for */
		st->dead = true;
		lws_set_timeout(st->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
		    LWS_TO_KILL_ASYNC);
		return -1;
	}
	sb_append(&st->out, data, len);
	lws_callback_on_writable(st->wsi);
	return 0;
}

void
server_stream_end(struct srv_stream *st)
{
	if (st->dead)
		return;
	st->ending = true;
	lws_callback_on_writable(st->wsi);
}

static void
srv_stream_closed(struct pss *p)
{
	struct srv_stream *st = p->stream;

	if (st == NULL)
		return;
	p->stream = NULL;
	st->http->nstreams--;
	if (st->closed != NULL)
		st->closed(st->ctx);
	sb_free(&st->out);
	free(st);
}

static int
srv_write_headers(struct lws *wsi, struct pss *p)
{
	unsigned char buf[LWS_PRE + 2048], *start = &buf[LWS_PRE], *pos = start,
	    *end = &buf[sizeof buf - 1];
	lws_filepos_t clen = p->stream ? LWS_ILLEGAL_HTTP_CONTENT_LEN :
	    (lws_filepos_t)p->resp_len;
	const char *type = p->content_type != NULL ? p->content_type :
	    p->stream ? "application/x-ndjson" : "application/json";
	char num[32];

#define HDR(name, value)						\
	do {								\
		if (lws_add_http_header_by_name(wsi,			\
		    (const unsigned char *)(name),			\
		    (const unsigned char *)(value), (int)strlen(value),	\
		    &pos, end))						\
			return -1;					\
	} while (0)
	if (p->status == 304 || (p->head && p->stream == NULL)) {
		/* no body follows: lws must not wait for one (its own
		 * content-length would have it count the bytes written) */
		if (lws_add_http_header_status(wsi, (unsigned)p->status, &pos,
		    end))
			return -1;
		if (p->status != 304) {
			snprintf(num, sizeof num, "%zu", p->resp_len);
			HDR("content-type:", type);
			HDR("content-length:", num);
		}
	} else if (lws_add_http_common_headers(wsi, (unsigned)p->status,
	    type, clen, &pos, end)) {
		return -1;
	}
	/* nosniff, X-Frame-Options, Referrer-Policy and the CSP come with
	 * the status line: they are the vhost's (server.c) */
	/* the dashboard's files are revalidated by ETag; the API's
	 * answers never stored */
	HDR("cache-control:", p->is_file ? "no-cache" : "no-store");
	if (p->is_file && p->etag[0])
		HDR("etag:", p->etag);
	if (p->gzip)
		HDR("content-encoding:", "gzip");
	if (p->vary)
		HDR("vary:", "Accept-Encoding");
	if (p->stream)
		HDR("transfer-encoding:", "chunked");
	if (p->retry_after[0])
		HDR("retry-after:", p->retry_after);
	if (p->allow_origin[0]) {
		HDR("access-control-allow-origin:", p->allow_origin);
		HDR("vary:", "Origin");
	}
#undef HDR
	if (lws_finalize_write_http_header(wsi, start, &pos, end))
		return -1;
	p->headers_sent = true;
	return 0;
}

/* One writeable turn: headers, or the next piece of the body. Returns
 * -1 to close the connection. */
static int
srv_writeable(struct lws *wsi, struct pss *p)
{
	if (!p->responded)
		return 0;
	if (p->headers_failed)
		return -1;
	if (!p->headers_sent) {
		if (srv_write_headers(wsi, p) < 0)
			return -1;
		if (p->head && p->stream == NULL)
			p->resp_len = 0;	/* as in srv_set_response */
		/* a stream asked with HEAD: its headers say what a GET gets;
		 * its connection ends there (a stream's always does) */
		if (p->head && p->stream != NULL)
			return -1;
		if (p->stream != NULL) {
			/* a stream may stay quiet for hours: no lws timeout,
			 * and the request headers' storage goes back to the
			 * pool */
			lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
			lws_http_headers_detach(wsi);
		}
		if (p->stream != NULL || p->resp_off < p->resp_len) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	if (p->stream == NULL && p->resp_off == p->resp_len && p->resp_len > 0)
		goto done;
	if (p->stream != NULL) {
		struct srv_stream *st = p->stream;
		size_t n = st->out.len < SRV_CHUNK ? st->out.len : SRV_CHUNK;
		unsigned char *buf;
		int hl;

		if (n == 0 && st->ending) {
			/* the last chunk, then hang up: a stream has no
			 * successor on its connection */
			unsigned char end[LWS_PRE + 8];

			memcpy(end + LWS_PRE, "0\r\n\r\n", 5);
			lws_write(wsi, end + LWS_PRE, 5, LWS_WRITE_HTTP_FINAL);
			return -1;
		}
		if (n == 0)
			return st->dead ? -1 : 0;
		/* chunked framing by hand: SIZE CRLF DATA CRLF */
		buf = xmalloc(LWS_PRE + n + 16);
		hl = snprintf((char *)buf + LWS_PRE, 16, "%zx\r\n", n);
		memcpy(buf + LWS_PRE + hl, st->out.buf, n);
		memcpy(buf + LWS_PRE + hl + n, "\r\n", 2);
		if (lws_write(wsi, buf + LWS_PRE, (size_t)hl + n + 2,
		    LWS_WRITE_HTTP) < 0) {
			free(buf);
			return -1;
		}
		free(buf);
		memmove(st->out.buf, st->out.buf + n, st->out.len - n);
		st->out.len -= n;
		/* more to write, or the last chunk still to send */
		if (st->out.len > 0 || st->ending)
			lws_callback_on_writable(wsi);
		return 0;
	}
	/* pieces of the body while the socket takes them: one piece a
	 * loop turn would keep each answer alive for many turns of a busy
	 * loop */
	for (;;) {
		size_t left = p->resp_len - p->resp_off;
		size_t n = left < SRV_PIECE ? left : SRV_PIECE;
		bool last = n == left;

		if (srv_write_piece(wsi, p, n,
		    last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0)
			return -1;
		p->resp_off += n;
		if (last)
			break;
		if (lws_send_pipe_choked(wsi)) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
done:
	srv_resp_release(p);
	p->responded = false;
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* requests */

bool
server_query(struct srv_req *req, const char *name, char *buf, size_t len)
{
	char key[64], frag[1024];
	const char *v;

	/* "name=": lws matches the argument by this prefix (so "names=x"
	 * is not taken for "name") and gives the value after it */
	snprintf(key, sizeof key, "%s=", name);
	v = lws_get_urlarg_by_name(req->conn, key, frag, (int)sizeof frag);
	if (v == NULL)
		return false;
	snprintf(buf, len, "%s", v);
	return true;
}

static void
srv_dispatch(struct lws *wsi, struct pss *p)
{
	struct srv_http *http = srv_of(wsi);
	struct srv_req req = { .method = p->method, .path = p->path,
		.body = p->body, .body_len = p->body_len, .head = p->head,
		.conn = wsi };
	char auth[600];

	if (lws_hdr_copy(wsi, p->accept_encoding, sizeof p->accept_encoding,
	    WSI_TOKEN_HTTP_ACCEPT_ENCODING) > 0)
		req.accept_encoding = p->accept_encoding;
	if (lws_hdr_copy(wsi, p->if_none_match, sizeof p->if_none_match,
	    WSI_TOKEN_HTTP_IF_NONE_MATCH) > 0)
		req.if_none_match = p->if_none_match;

	req.over_tcp = srv_over_tcp(wsi);
	req.authorized = !req.over_tcp;
	if (req.over_tcp) {
		switch (guard_bearer(http->guard, lws_hdr_copy(wsi, auth,
		    sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) > 0 ? auth :
		    NULL)) {
		case GUARD_AUTH_NO_TOKEN:
			req.auth_status = 403;
			req.auth_error = "changes over TCP are disabled: no "
			    "token is configured (set daemon.token_file or "
			    "PRODD_TOKEN; prodctl uses the control socket)";
			break;
		case GUARD_AUTH_MISSING:
			req.auth_status = 401;
			req.auth_error = "this call needs 'Authorization: Bearer "
			    "TOKEN'";
			break;
		case GUARD_AUTH_WRONG:
			req.auth_status = 403;
			req.auth_error = "wrong token";
			break;
		case GUARD_AUTH_OK:
			req.authorized = true;
			break;
		}
	}
	http->handler(http->arg, &req);
	if (!p->responded)
		server_respond_error(&req, 500, "internal", "no response");
}

/* A new request: method, path, and the guards. Returns -1 to hang up. */
static int
srv_http(struct lws *wsi, struct pss *p, const char *in)
{
	struct srv_http *http = srv_of(wsi);
	char *uri = NULL, buf[1024], peer[64] = "";
	int ulen = 0, m = lws_http_get_uri_and_method(wsi, &uri, &ulen);
	bool tcp = srv_over_tcp(wsi);

	(void)in;
	memset(p, 0, sizeof *p);
	/* HEAD is a GET whose body is left out */
	p->head = m == LWSHUMETH_HEAD;
	p->method = m == LWSHUMETH_GET || p->head ? SRV_GET :
	    m == LWSHUMETH_POST ? SRV_POST : SRV_OTHER;
	snprintf(p->path, sizeof p->path, "%.*s", ulen, uri ? uri : "/");
	p->path[strcspn(p->path, "?")] = '\0';
	if (uri != NULL && ulen > 0 && memchr(uri, '\0', (size_t)ulen) != NULL) {
		/* a %00 decoded: the path would end early, and name another
		 * file than the one asked for */
		srv_error(wsi, p, 400, "bad_request", "a NUL in the path");
		return 0;
	}
	if (tcp) {
		char host[256] = "";
		int retry = 0;

		/* a header too long for the buffer is refused, not skipped */
		if (lws_hdr_total_length(wsi, WSI_TOKEN_HOST) > 0 &&
		    (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) < 0 ||
		    !guard_host_ok(http->guard, host))) {
			srv_error(wsi, p, 403, "forbidden_host", "unknown Host "
			    "header (add the name to daemon.hosts)");
			return 0;
		}
		if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0) {
			if (lws_hdr_copy(wsi, p->allow_origin,
			    sizeof p->allow_origin, WSI_TOKEN_ORIGIN) < 0 ||
			    !guard_origin_ok(http->guard, p->allow_origin,
			    host)) {
				p->allow_origin[0] = '\0';
				srv_error(wsi, p, 403, "forbidden_origin",
				    "this Origin is not allowed (see "
				    "daemon.cors_origins)");
				return 0;
			}
		}
		lws_get_peer_simple(wsi, peer, sizeof peer);
		if (!guard_rate_take(http->guard, peer,
		    (int64_t)uv_now(http->loop), &retry)) {
			snprintf(p->retry_after, sizeof p->retry_after, "%d",
			    retry);
			srv_error(wsi, p, 429, "rate_limited", "too many "
			    "requests; slow down");
			return 0;
		}
	}
	if (p->method == SRV_OTHER) {
		if (m == LWSHUMETH_OPTIONS && p->allow_origin[0]) {
			srv_error(wsi, p, 405, "method_not_allowed",
			    "preflight requests are not needed: use GET or "
			    "POST with a bearer token");
			return 0;
		}
		srv_error(wsi, p, 405, "method_not_allowed", "method not "
		    "allowed");
		return 0;
	}
	if (p->method == SRV_POST) {
		unsigned long long clen = 0;

		if (lws_hdr_copy(wsi, buf, sizeof buf,
		    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
			clen = strtoull(buf, NULL, 10);
		if (clen > SRV_MAX_BODY) {
			srv_error(wsi, p, 413, "too_large", "the body is larger "
			    "than 64 KiB");
			return 0;
		}
		/* with a Content-Length (even 0) or a chunked body, lws goes on
		 * to BODY and BODY_COMPLETION: answer there, once */
		if (lws_hdr_total_length(wsi,
		    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 ||
		    lws_hdr_total_length(wsi,
		    WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
			return 0;
	}
	srv_dispatch(wsi, p);
	return 0;
}

static int
srv_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct pss *p = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
	case LWS_CALLBACK_ESTABLISHED:
	case LWS_CALLBACK_RECEIVE:
	case LWS_CALLBACK_RECEIVE_PONG:
	case LWS_CALLBACK_SERVER_WRITEABLE:
	case LWS_CALLBACK_CLOSED:
		/* an upgrade to /ws (lws binds it to the vhost's default
		 * protocol, this one): the session is ws.c's */
		if (ws_callback(srv_of(wsi), wsi, (int)reason, p != NULL ?
		    &p->ws : NULL, in, len, srv_over_tcp(wsi)) != 0)
			return -1;
		break;
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		/* the vhost's SSL_CTX, once, when daemon.tls is set */
		return srv_tls_attach(srv_of(wsi)->tls, user) < 0 ? 1 : 0;
	case LWS_CALLBACK_HTTP:
		if (srv_http(wsi, p, in) < 0)
			return -1;
		return 0;
	case LWS_CALLBACK_HTTP_BODY:
		if (p->body_too_big || len == 0 || p->responded)
			return 0;
		if (p->body_len + len > SRV_MAX_BODY) {
			p->body_too_big = true;
			free(p->body);
			p->body = NULL;
			return 0;
		}
		p->body = xrealloc(p->body, p->body_len + len + 1);
		memcpy(p->body + p->body_len, in, len);
		p->body_len += len;
		p->body[p->body_len] = '\0';
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (p->responded)
			return 0;	/* answered already (an early error) */
		if (p->body_too_big)
			srv_error(wsi, p, 413, "too_large", "the body is larger "
			    "than 64 KiB");
		else
			srv_dispatch(wsi, p);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return srv_writeable(wsi, p);
	case LWS_CALLBACK_HTTP_BIND_PROTOCOL:
		srv_of(wsi)->nconns++;
		break;
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		/* the last client of a burst is gone: give back to the system
		 * the heap its answers used (glibc by itself only trims the
		 * top of the heap), so that prodd's RSS is what it holds */
		if (srv_of(wsi)->nconns > 0 && --srv_of(wsi)->nconns == 0)
			malloc_trim(0);
		/* FALLTHROUGH */
	case LWS_CALLBACK_CLOSED_HTTP:
		if (p != NULL) {
			srv_stream_closed(p);
			free(p->body);
			p->body = NULL;
			srv_resp_release(p);
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols srv_protocols[] = {
	{ "http", srv_callback, sizeof(struct pss), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

const struct lws_protocols *
srv_http_protocols(void)
{
	return srv_protocols;
}
