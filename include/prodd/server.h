/*
 * The HTTP side of prodd: one libwebsockets context on prodd's libuv loop,
 * serving the same routes on two listeners -- TCP on daemon.listen and the
 * control Unix socket -- whose sockets prodd binds and accepts on itself.
 * This module is the transport and the guard: it parses requests, applies
 * the Host/Origin checks, the bearer token for mutating calls over TCP and
 * the per-address rate limit (core/guard decides), adds the security
 * headers, and writes responses (whole, or as a chunked stream). What a
 * route means is api.c's business. Loop thread only.
 */
#ifndef PRODD_SERVER_H
#define PRODD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include <uv.h>

#include "prodd/config.h"

enum srv_method { SRV_GET, SRV_POST, SRV_OTHER };

struct srv_req {
	enum srv_method method;
	const char *path;		/* decoded, without the query */
	const char *body;		/* POST body, NUL-terminated, or NULL */
	size_t body_len;
	bool over_tcp;
	bool authorized;		/* may mutate: unix socket, or token ok */
	const char *auth_error;		/* why not, with auth_status */
	int auth_status;		/* 401 or 403 */
	bool head;			/* HEAD: answered as GET, the body
					 * left out */
	const char *accept_encoding;	/* the request's, or NULL */
	const char *if_none_match;	/* the request's, or NULL */
	void *conn;			/* the server's; do not touch */
};

/* What a static file's answer (the dashboard's) says besides its body:
 * Cache-Control: no-cache (not the API's no-store) and its ETag. */
struct srv_file {
	const char *content_type;	/* a constant */
	const char *etag;		/* strong, quoted; copied */
	bool gzip;			/* the body is gzip: Content-Encoding */
	bool vary;			/* Vary: Accept-Encoding (there is a
					 * gzip copy) */
};

struct server;
struct srv_stream;

/* Called once per complete request; must answer with server_respond*() or
 * server_stream_start() before it returns. */
typedef void (*srv_handler)(void *arg, struct srv_req *req);

/*
 * Listen on d->listen_host:listen_port and d->control_socket. On failure
 * (port in use, a live prodd on the socket, ...) returns NULL with err.
 */
struct server *server_new(uv_loop_t *loop, const struct cfg_daemon *d,
    srv_handler handler, void *arg, char *err, size_t errlen);
/* The same on listening descriptors an upgrade handed over (taken over;
 * made close-on-exec again): nothing is bound anew. */
struct server *server_new_fds(uv_loop_t *loop, const struct cfg_daemon *d,
    int tcp_fd, int unix_fd, srv_handler handler, void *arg, char *err,
    size_t errlen);
/* Hold the listeners (no accept; the backlog keeps what comes) or
 * accept again: an upgrade's hand-over. */
void server_hold(struct server *srv, bool hold);
/* The listening descriptors, for an upgrade's hand-over. */
void server_listen_fds(const struct server *srv, int *tcp_fd, int *unix_fd);

/*
 * A reload: token_file (read again; $PRODD_TOKEN still wins), hosts,
 * cors_origins and rate_limit apply to the next request. A changed rate
 * limit starts every address with a full bucket. listen and
 * control_socket are not looked at: they need a restart of prodd.
 */
void server_reconfigure(struct server *srv, const struct cfg_daemon *d);

/*
 * A reload, before anything else changes: daemon.tls's files (the running
 * paths: new ones need a restart) read again, and the next handshakes use
 * them; the listener and the connections made stay. Returns 0 (also
 * without TLS), or -1 with "tls: PATH: why" in err and the certificate in
 * use unchanged: the reload is then refused.
 */
int server_reload_tls(struct server *srv, const struct cfg_daemon *d,
    char *err, size_t errlen);

/* The value of query parameter name, URL-decoded, into buf; false when
 * absent. */
bool server_query(struct srv_req *req, const char *name, char *buf,
    size_t len);

/* Answer with JSON text already rendered (copied; a newline is added). */
void server_respond_text(struct srv_req *req, int status, const char *text,
    size_t len);
/*
 * A JSON body several requests answer with (a cached answer), reference-
 * counted: each request holds a reference until its last byte is
 * written, so many readers, however slow, cost one copy and not one
 * each. server_body_new copies text and adds a newline (as
 * server_respond_text); server_respond_body takes a reference of its own.
 */
struct server_body;
struct server_body *server_body_new(const char *text, size_t len);
void server_body_unref(struct server_body *b);
void server_respond_body(struct srv_req *req, int status,
    struct server_body *b);
/* Answer with a body of another type than JSON (text copied as it is;
 * content_type is kept, not copied: a string constant). */
void server_respond_typed(struct srv_req *req, int status,
    const char *content_type, const char *text, size_t len);
/* Answer with a static file: status 200 with len bytes of data (copied),
 * or 304 (data NULL, no body). */
void server_respond_file(struct srv_req *req, int status,
    const struct srv_file *f, const char *data, size_t len);
/* Answer with JSON; takes ownership of obj. */
void server_respond_json(struct srv_req *req, int status, cJSON *obj);
/* Answer {"error": message, "code": code}. */
void server_respond_error(struct srv_req *req, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Answer 200 with a chunked stream of newline-delimited JSON. closed(ctx)
 * is called when the client goes away (or the server closes); after it the
 * stream must not be used.
 */
struct srv_stream *server_stream_start(struct srv_req *req,
    void (*closed)(void *ctx), void *ctx);
/* Queue bytes; returns -1 (and drops the client) past the per-client
 * bound, so a slow reader never makes prodd buffer without limit. */
int server_stream_write(struct srv_stream *st, const char *data, size_t len);

/* Finish the stream (the last chunk) and close its connection; closed()
 * follows. */
void server_stream_end(struct srv_stream *st);

/* Serve /ws with hub's sessions (NULL: upgrades are refused). */
struct ws_hub;
void server_set_ws(struct server *srv, struct ws_hub *hub);

/* The TCP listener's guard (its token, hosts, rate limit): read only. */
struct guard;
const struct guard *server_guard(const struct server *srv);

/* Streams still open (ended ones close once their last chunk is out). */
size_t server_streams(const struct server *srv);

/* Stage one of the shutdown (closes every connection); stage two, after
 * the loop has run dry, frees it. */
void server_close(struct server *srv);
void server_free(struct server *srv);

#endif
