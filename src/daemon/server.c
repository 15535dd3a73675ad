/*
 * The HTTP transport (see server.h), on libwebsockets 4.1 with prodd's own
 * libuv loop (INTEGRATION.md §1): explicit vhosts so a failed bind is an
 * error rather than a half-started daemon, every callback falling through
 * to lws_callback_http_dummy, and the two-stage destroy. One per-session
 * struct per HTTP transaction holds the request, and then the response
 * being written: headers in one writeable callback, the body in pieces in
 * the next ones, so a slow reader only ever holds its own buffer.
 */
#include "prodd/server.h"
#include "prodd/fileio.h"
#include "prodd/log.h"
#include "prodd/strutil.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <libwebsockets.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#define SRV_MAX_BODY (64 * 1024)
#define SRV_CHUNK (64 * 1024)
#define SRV_SMALL (8 * 1024)
#define SRV_STREAM_MAX (1024 * 1024)
#define SRV_BUCKETS 1024

struct srv_bucket {
	char addr[64];
	double tokens;
	uint64_t at_ms;
};

struct server {
	struct lws_context *ctx;
	struct lws_vhost *tcp, *unix_vh;
	uv_loop_t *loop;
	srv_handler handler;
	void *arg;
	char *token;
	char **hosts;			/* accepted Host names */
	size_t nhosts;
	char **origins;			/* cors_origins */
	size_t norigins;
	int rate;			/* per window; 0 off */
	int64_t rate_window_ms;
	struct srv_bucket *buckets;
	char *sock_path;
	size_t nstreams;		/* open streams */
	size_t nconns;			/* open HTTP connections */
	bool closing;
};

struct srv_stream {
	struct lws *wsi;
	struct server *srv;
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
	char *resp;
	size_t resp_len, resp_off;
	bool headers_sent, responded, headers_failed;
	char retry_after[16];
	char allow_origin[256];
	struct srv_stream *stream;
};

static struct server *
srv_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* ------------------------------------------------------------------ */
/* responses */

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

/*
 * Responses are always made inside an lws HTTP callback, where headers may
 * be written at once: the body then goes out on the first writeable turn,
 * one loop iteration sooner.
 */
static void
srv_set_response(struct lws *wsi, struct pss *p, int status, char *body,
    size_t len)
{
	srv_body_free(p->resp);
	p->status = status;
	p->resp = body;
	p->resp_len = len;
	p->resp_off = 0;
	p->responded = true;
	if (srv_write_headers(wsi, p) < 0) {
		p->headers_failed = true;
	} else if (len <= SRV_SMALL && lws_send_pipe_choked(wsi) == 0) {
		/* a small body follows its headers at once: one turn, and the
		 * kernel usually gets both in one segment */
		if (lws_write(wsi, (unsigned char *)body, len,
		    LWS_WRITE_HTTP_FINAL) < 0)
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
	srv_set_response(wsi, lws_wsi_user(wsi), status, body, len + 1);
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
	srv_set_response(wsi, p, status, body, n + 1);
}

void
server_respond_error(struct srv_req *req, int status, const char *code,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	cJSON *o = cJSON_CreateObject();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(o, "error", msg);
	cJSON_AddStringToObject(o, "code", code);
	server_respond_json(req, status, o);
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
	st->srv = srv_of(wsi);
	st->closed = closed;
	st->ctx = ctx;
	st->srv->nstreams++;
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
	st->srv->nstreams--;
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

#define HDR(name, value)						\
	do {								\
		if (lws_add_http_header_by_name(wsi,			\
		    (const unsigned char *)(name),			\
		    (const unsigned char *)(value), (int)strlen(value),	\
		    &pos, end))						\
			return -1;					\
	} while (0)
	if (lws_add_http_common_headers(wsi, (unsigned)p->status,
	    p->stream ? "application/x-ndjson" : "application/json", clen,
	    &pos, end))
		return -1;
	HDR("x-content-type-options:", "nosniff");
	HDR("x-frame-options:", "DENY");
	HDR("referrer-policy:", "no-referrer");
	HDR("cache-control:", "no-store");
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
	{
		size_t left = p->resp_len - p->resp_off;
		size_t n = left < SRV_CHUNK ? left : SRV_CHUNK;
		bool last = n == left;

		/* in place: the LWS_PRE bytes before it are sent already, or
		 * the buffer's own headroom */
		if (lws_write(wsi, (unsigned char *)p->resp + p->resp_off, n,
		    last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0)
			return -1;
		p->resp_off += n;
		if (!last) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
done:
	srv_body_free(p->resp);
	p->resp = NULL;
	p->responded = false;
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the guards */

static bool
srv_token_ok(const struct server *srv, const char *given)
{
	size_t a = strlen(srv->token), b = strlen(given);
	unsigned char diff = (unsigned char)(a != b);

	/* constant time in the length of the secret */
	for (size_t i = 0; i < a; i++)
		diff |= (unsigned char)(srv->token[i] ^ (i < b ? given[i] : 0));
	return diff == 0;
}

/* The Host header without its port (and without [] around v6). */
static void
srv_host_name(const char *host, char *out, size_t len)
{
	const char *end;

	if (host[0] == '[') {
		end = strchr(host, ']');
		snprintf(out, len, "%.*s", end ? (int)(end - host - 1) :
		    (int)strlen(host + 1), host + 1);
		return;
	}
	end = strrchr(host, ':');
	snprintf(out, len, "%.*s", end ? (int)(end - host) : (int)strlen(host),
	    host);
}

static bool
srv_host_ok(const struct server *srv, const char *host)
{
	char name[256];

	srv_host_name(host, name, sizeof name);
	for (size_t i = 0; i < srv->nhosts; i++)
		if (strcasecmp(srv->hosts[i], name) == 0)
			return true;
	return false;
}

static bool
srv_rate_ok(struct server *srv, const char *addr, char *retry, size_t rlen)
{
	uint64_t now = uv_now(srv->loop);
	unsigned h = 5381;
	struct srv_bucket *b;
	double per_ms;

	if (srv->rate <= 0)
		return true;
	for (const char *c = addr; *c; c++)
		h = h * 33 + (unsigned char)*c;
	b = &srv->buckets[h % SRV_BUCKETS];
	per_ms = (double)srv->rate / (double)srv->rate_window_ms;
	if (strcmp(b->addr, addr) != 0) {
		/* a new address (or a collision: the newcomer takes the slot) */
		snprintf(b->addr, sizeof b->addr, "%s", addr);
		b->tokens = srv->rate;
		b->at_ms = now;
	}
	b->tokens += (double)(now - b->at_ms) * per_ms;
	if (b->tokens > srv->rate)
		b->tokens = srv->rate;
	b->at_ms = now;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return true;
	}
	snprintf(retry, rlen, "%d", (int)((1.0 - b->tokens) / per_ms / 1000.0) +
	    1);
	return false;
}

static bool
srv_origin_allowed(const struct server *srv, const char *origin,
    const char *host)
{
	char own[300];

	snprintf(own, sizeof own, "http://%s", host);
	if (strcasecmp(origin, own) == 0)
		return true;
	snprintf(own, sizeof own, "https://%s", host);
	if (strcasecmp(origin, own) == 0)
		return true;
	for (size_t i = 0; i < srv->norigins; i++)
		if (strcasecmp(srv->origins[i], origin) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* requests */

bool
server_query(struct srv_req *req, const char *name, char *buf, size_t len)
{
	struct lws *wsi = req->conn;
	size_t nl = strlen(name);
	char frag[1024];

	for (int i = 0; ; i++) {
		int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag,
		    WSI_TOKEN_HTTP_URI_ARGS, i);

		if (n < 0)
			return false;
		if (strncmp(frag, name, nl) == 0 &&
		    (frag[nl] == '=' || frag[nl] == '\0')) {
			snprintf(buf, len, "%s", frag[nl] ? frag + nl + 1 : "");
			return true;
		}
	}
}

static void
srv_dispatch(struct lws *wsi, struct pss *p)
{
	struct server *srv = srv_of(wsi);
	struct srv_req req = { .method = p->method, .path = p->path,
		.body = p->body, .body_len = p->body_len, .conn = wsi };
	char auth[600];

	req.over_tcp = lws_get_vhost(wsi) == srv->tcp;
	req.authorized = !req.over_tcp;
	if (req.over_tcp) {
		if (srv->token == NULL) {
			req.auth_status = 403;
			req.auth_error = "changes over TCP are disabled: no "
			    "token is configured (set daemon.token_file or "
			    "PRODD_TOKEN; prodctl uses the control socket)";
		} else if (lws_hdr_copy(wsi, auth, sizeof auth,
		    WSI_TOKEN_HTTP_AUTHORIZATION) <= 0) {
			req.auth_status = 401;
			req.auth_error = "this call needs 'Authorization: Bearer "
			    "TOKEN'";
		} else if (strncasecmp(auth, "Bearer ", 7) != 0 ||
		    !srv_token_ok(srv, auth + 7)) {
			req.auth_status = 403;
			req.auth_error = "wrong token";
		} else {
			req.authorized = true;
		}
	}
	srv->handler(srv->arg, &req);
	if (!p->responded)
		server_respond_error(&req, 500, "internal", "no response");
}

/* A new request: method, path, and the guards. Returns -1 to hang up. */
static int
srv_http(struct lws *wsi, struct pss *p, const char *in)
{
	struct server *srv = srv_of(wsi);
	char *uri = NULL, buf[1024], peer[64];
	int ulen = 0, m = lws_http_get_uri_and_method(wsi, &uri, &ulen);
	bool tcp = lws_get_vhost(wsi) == srv->tcp;

	(void)in;
	memset(p, 0, sizeof *p);
	p->method = m == LWSHUMETH_GET ? SRV_GET : m == LWSHUMETH_POST ?
	    SRV_POST : SRV_OTHER;
	snprintf(p->path, sizeof p->path, "%.*s", ulen, uri ? uri : "/");
	p->path[strcspn(p->path, "?")] = '\0';
	if (tcp) {
		lws_get_peer_simple(wsi, peer, sizeof peer);
		if (lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HOST) > 0 &&
		    !srv_host_ok(srv, buf)) {
			srv_error(wsi, p, 403, "forbidden_host", "unknown Host "
			    "header (add the name to daemon.hosts)");
			return 0;
		}
		if (lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_ORIGIN) > 0) {
			char host[256] = "";

			lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST);
			if (!srv_origin_allowed(srv, buf, host)) {
				srv_error(wsi, p, 403, "forbidden_origin",
				    "this Origin is not allowed (see "
				    "daemon.cors_origins)");
				return 0;
			}
			snprintf(p->allow_origin, sizeof p->allow_origin, "%s",
			    buf);
		}
		if (!srv_rate_ok(srv, peer, p->retry_after,
		    sizeof p->retry_after)) {
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
			srv_body_free(p->resp);
			p->resp = NULL;
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

/* ------------------------------------------------------------------ */
/* listeners */

static void
srv_lws_log(int level, const char *line)
{
	char msg[512];
	size_t n;

	snprintf(msg, sizeof msg, "%s", line);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (level & LLL_ERR)
		log_warn(NULL, "http: %s", msg);
	else
		log_debug(NULL, "http: %s", msg);
}

/* Bind once ourselves, for a clear reason when the port is taken. */
static int
srv_probe_tcp(const char *host, int port, bool reuse, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, rc = 0;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		return 0;	/* a name: lws resolves it */
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	if (reuse)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port,
		    strerror(errno));
	}
	close(fd);
	return rc;
}

/* A live prodd answering on path? Then it is not ours to replace. */
static bool
srv_socket_live(const char *path)
{
	struct sockaddr_un sa;
	int fd, rc;

	if (strlen(path) >= sizeof sa.sun_path)
		return false;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	close(fd);
	return rc == 0;
}

static void
srv_add_host(struct server *srv, const char *h)
{
	srv->hosts = xreallocarray(srv->hosts, srv->nhosts + 1,
	    sizeof *srv->hosts);
	srv->hosts[srv->nhosts++] = xstrdup(h);
}

static char *
srv_load_token(const struct cfg_daemon *d)
{
	const char *env = getenv("PRODD_TOKEN");
	char *buf, why[256];
	size_t len, total;

	if (env != NULL && env[0] != '\0')
		return xstrdup(env);
	if (d->token_file == NULL)
		return NULL;
	if (file_read_bounded(d->token_file, 4096, &buf, &len, &total, why,
	    sizeof why) < 0) {
		log_warn(NULL, "token_file %s: %s: changes over TCP stay "
		    "disabled", d->token_file, why);
		return NULL;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (len == 0) {
		free(buf);
		log_warn(NULL, "token_file %s is empty: changes over TCP stay "
		    "disabled", d->token_file);
		return NULL;
	}
	return buf;
}

struct server *
server_new(uv_loop_t *loop, const struct cfg_daemon *d, srv_handler handler,
    void *arg, char *err, size_t errlen)
{
	struct server *srv = xcalloc(1, sizeof *srv);
	struct lws_context_creation_info info;
	void *foreign[1] = { loop };
	char dir[PATH_MAX], *slash;

	srv->loop = loop;
	srv->handler = handler;
	srv->arg = arg;
	srv->rate = d->rate_limit;
	srv->rate_window_ms = d->rate_window_ms > 0 ? d->rate_window_ms : 60000;
	srv->buckets = xcalloc(SRV_BUCKETS, sizeof *srv->buckets);
	srv->token = srv_load_token(d);
	srv_add_host(srv, "localhost");
	srv_add_host(srv, "127.0.0.1");
	srv_add_host(srv, "::1");
	srv_add_host(srv, d->listen_host);
	for (size_t i = 0; i < d->hosts.n; i++)
		srv_add_host(srv, d->hosts.v[i]);
	for (size_t i = 0; i < d->cors_origins.n; i++) {
		srv->origins = xreallocarray(srv->origins, srv->norigins + 1,
		    sizeof *srv->origins);
		srv->origins[srv->norigins++] = xstrdup(d->cors_origins.v[i]);
	}
	srv->sock_path = xstrdup(d->control_socket);

	if (srv_probe_tcp(d->listen_host, d->listen_port, true, err, errlen) < 0)
		goto fail;
	if (srv_socket_live(d->control_socket)) {
		snprintf(err, errlen, "another prodd is listening on %s",
		    d->control_socket);
		goto fail;
	}
	snprintf(dir, sizeof dir, "%s", d->control_socket);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		int rc = file_mkdirs(dir, 0755);

		if (rc < 0) {
			snprintf(err, errlen, "cannot create %s: %s", dir,
			    strerror(-rc));
			goto fail;
		}
	}
	unlink(d->control_socket);	/* stale: nobody answers on it */

	lws_set_log_level(LLL_ERR | LLL_WARN, srv_lws_log);
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_LIBUV |
	    LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.foreign_loops = foreign;
	info.user = srv;
	info.pcontext = &srv->ctx;
	srv->ctx = lws_create_context(&info);
	if (srv->ctx == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server (is the "
		    "libwebsockets-evlib-uv package installed?)");
		goto fail;
	}
	memset(&info, 0, sizeof info);
	info.vhost_name = "tcp";
	info.port = d->listen_port;
	info.iface = d->listen_host;
	info.protocols = srv_protocols;
	info.timeout_secs = 20;
	info.keepalive_timeout = 30;
	srv->tcp = lws_create_vhost(srv->ctx, &info);
	if (srv->tcp == NULL) {
		/* lws does not say why; a plain bind does */
		if (srv_probe_tcp(d->listen_host, d->listen_port, false, err,
		    errlen) == 0)
			snprintf(err, errlen, "cannot listen on %s:%d",
			    d->listen_host, d->listen_port);
		goto fail_ctx;
	}
	memset(&info, 0, sizeof info);
	info.vhost_name = "unix";
	info.options = LWS_SERVER_OPTION_UNIX_SOCK;
	info.iface = d->control_socket;
	info.protocols = srv_protocols;
	info.timeout_secs = 20;
	info.keepalive_timeout = 30;
	srv->unix_vh = lws_create_vhost(srv->ctx, &info);
	if (srv->unix_vh == NULL) {
		snprintf(err, errlen, "cannot listen on %s", d->control_socket);
		goto fail_ctx;
	}
	/* lws applies a mode only with a uid/gid set: do it ourselves */
	if (chmod(d->control_socket, 0660) < 0)
		log_warn(NULL, "cannot chmod %s: %s", d->control_socket,
		    strerror(errno));
	log_notice(NULL, "listening on http://%s:%d and %s", d->listen_host,
	    d->listen_port, d->control_socket);
	if (srv->token == NULL)
		log_notice(NULL, "no token configured: over TCP the API is "
		    "read-only");
	return srv;
fail_ctx:
	/* the two-stage destroy: the caller creates the server before
	 * anything else is on the loop, so this run ends when lws's own
	 * handles are closed */
	lws_context_destroy(srv->ctx);
	uv_run(loop, UV_RUN_DEFAULT);
	if (srv->ctx != NULL)
		lws_context_destroy(srv->ctx);
	srv->ctx = NULL;
fail:
	server_free(srv);
	return NULL;
}

size_t
server_streams(const struct server *srv)
{
	return srv->nstreams;
}

void
server_close(struct server *srv)
{
	if (srv->closing)
		return;
	srv->closing = true;
	if (srv->ctx != NULL)
		lws_context_destroy(srv->ctx);
}

void
server_free(struct server *srv)
{
	if (srv->ctx != NULL)
		lws_context_destroy(srv->ctx);
	if (srv->sock_path != NULL && srv->closing)
		unlink(srv->sock_path);
	for (size_t i = 0; i < srv->nhosts; i++)
		free(srv->hosts[i]);
	free(srv->hosts);
	for (size_t i = 0; i < srv->norigins; i++)
		free(srv->origins[i]);
	free(srv->origins);
	if (srv->token != NULL) {
		explicit_bzero(srv->token, strlen(srv->token));
		free(srv->token);
	}
	free(srv->buckets);
	free(srv->sock_path);
	free(srv);
}
