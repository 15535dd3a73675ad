/*
 * The HTTP transaction side of the server (server-http.c): the lws
 * protocol whose callbacks read a request, apply the guards of the TCP
 * listener (Host, Origin, rate limit, the bearer token of a change) and
 * hand the request to the server's handler, then write its response --
 * whole, or as a chunked stream. server.c owns the context and its vhosts
 * and makes a struct srv_http the context's user pointer. Loop thread only.
 */
#ifndef PRODD_SERVER_HTTP_H
#define PRODD_SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "prodd/server.h"

struct guard;
struct ws_hub;
struct srv_tls;
struct lws_protocols;
struct lws_vhost;

/* What the callbacks need of the server: lws_context_user() of the
 * context whose vhost uses srv_http_protocols(). */
struct srv_http {
	uv_loop_t *loop;		/* its clock times the rate limit */
	srv_handler handler;
	void *arg;
	struct guard *guard;		/* applied over TCP only */
	size_t nstreams;		/* open streams */
	size_t nconns;			/* open HTTP connections */
	struct ws_hub *ws;		/* the /ws sessions; NULL: refused */
	struct srv_tls *tls;		/* daemon.tls; NULL: plain HTTP */
};

/* The protocol list of the vhost (the "http" protocol, then the
 * terminator). */
const struct lws_protocols *srv_http_protocols(void);

/*
 * Serve accepted connection fd on vh, marked as one from the TCP listener
 * or from the control socket. The mark is the connection's own (lws's
 * opaque user data), not its vhost's: lws 4.1 moves a connection to
 * another vhost of the same port when its Host header names one, so a
 * vhost could not tell the listeners apart safely. Returns 0, or -1 when
 * lws did not take it (out of memory, or a TLS handshake refused at once:
 * the first bytes were already there); lws has then closed fd.
 */
int srv_http_adopt(struct lws_vhost *vh, int fd, bool tcp);

#endif
