/*
 * The HTTP server (see server.h): one libwebsockets 4.1 context on
 * prodd's own libuv loop (INTEGRATION.md §1) with one vhost that has no
 * listener of its own. prodd binds the TCP port and the control socket
 * itself (server-listen.c), so a port in use or a live prodd on the
 * control socket is a clear error before anything starts, and adopts each
 * accepted connection into the vhost, marked with the listener it came
 * from; the transactions are server-http.c's. Here: the lifecycle (the
 * two-stage destroy), the token (token_file, or PRODD_TOKEN) and the
 * guards' settings, which a reload replaces. With daemon.tls the vhost
 * has an SSL_CTX (server-tls.c) used by the TCP listener's connections
 * only; a reload reads its files again.
 */
#include "prodd/server.h"
#include "prodd/fileio.h"
#include "prodd/guard.h"
#include "prodd/log.h"
#include "prodd/server-http.h"
#include "prodd/server-listen.h"
#include "prodd/server-tls.h"
#include "prodd/webpath.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct server {
	struct srv_http http;		/* the context's user */
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct srv_listen *tcp_l, *unix_l;
	struct srv_tls *tls;		/* NULL: plain HTTP */
	char *listen_host;		/* for the Host check */
	bool closing;
};

/* libwebsockets' complaints about what clients send (a malformed header,
 * one too long): at most this many in prodd's log per window, so that a
 * hostile client cannot fill the log (or the journal) at the rate it
 * sends garbage; the count of those left out is said with the next. */
#define SRV_LWS_LOG_MAX 20
#define SRV_LWS_LOG_WINDOW_NS (60 * 1000000000ULL)

static void
srv_lws_log(int level, const char *line)
{
	static uint64_t window_ns, dropped;
	static unsigned used;
	char msg[512];
	size_t n;

	snprintf(msg, sizeof msg, "%s", line);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (!(level & LLL_ERR)) {
		log_debug(NULL, "http: %s", msg);
		return;
	}
	if (window_ns == 0 || uv_hrtime() - window_ns >= SRV_LWS_LOG_WINDOW_NS) {
		if (dropped > 0)
			log_warn(NULL, "http: %llu more messages of the HTTP "
			    "library left out in the last minute",
			    (unsigned long long)dropped);
		window_ns = uv_hrtime();
		used = 0;
		dropped = 0;
	}
	if (used >= SRV_LWS_LOG_MAX) {
		dropped++;
		return;
	}
	used++;
	log_warn(NULL, "http: %s%s", msg, used == SRV_LWS_LOG_MAX ?
	    " (further messages of the HTTP library this minute are left "
	    "out)" : "");
}

/* The bearer token: $PRODD_TOKEN, else token_file's first line; NULL when
 * neither gives one (changes over TCP are then refused). */
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

/* The guards' settings from d; the Host names keep the address the
 * server listens on, which only a restart changes. */
static void
srv_configure(struct server *srv, const struct cfg_daemon *d)
{
	struct guard *g = srv->http.guard;

	guard_set_token(g, srv_load_token(d));
	guard_set_hosts(g, srv->listen_host, &d->hosts);
	guard_set_origins(g, &d->cors_origins);
	guard_set_rate(g, d->rate_limit, d->rate_window_ms);
}

void
server_reconfigure(struct server *srv, const struct cfg_daemon *d)
{
	bool had = guard_has_token(srv->http.guard);

	srv_configure(srv, d);
	if (had && !guard_has_token(srv->http.guard))
		log_notice(NULL, "no token configured any more: over TCP the "
		    "API is read-only");
	else if (!had && guard_has_token(srv->http.guard))
		log_notice(NULL, "a token is configured: over TCP changes are "
		    "allowed with it");
}

/*
 * The headers every response carries (SPEC §5), given to lws as the
 * vhost's own: lws adds them to each status line it writes, so the
 * answers it makes up by itself (a method it does not know, a bad %-escape
 * in the path, headers past its space) carry them as prodd's do.
 */
static const struct lws_protocol_vhost_options srv_hdr_csp = {
	NULL, NULL, "content-security-policy:", WEBPATH_CSP
};
static const struct lws_protocol_vhost_options srv_hdr_referrer = {
	&srv_hdr_csp, NULL, "referrer-policy:", "no-referrer"
};
static const struct lws_protocol_vhost_options srv_hdr_frame = {
	&srv_hdr_referrer, NULL, "x-frame-options:", "DENY"
};
static const struct lws_protocol_vhost_options srv_hdr_nosniff = {
	&srv_hdr_frame, NULL, "x-content-type-options:", "nosniff"
};

/* A connection accepted on the TCP port. A TLS handshake refused during
 * the adoption (plain HTTP on the port, an old version) was logged at
 * debug level already: it is the client's, not prodd's, failure. */
static void
srv_accept_tcp_cb(void *arg, int fd)
{
	struct server *srv = arg;
	unsigned long refused = srv->tls ? srv_tls_refusals(srv->tls) : 0;

	if (srv_http_adopt(srv->vh, fd, true) < 0 && (srv->tls == NULL ||
	    srv_tls_refusals(srv->tls) == refused))
		log_warn(NULL, "http: a new connection could not be served");
}

/* A connection accepted on the control socket. */
static void
srv_accept_unix_cb(void *arg, int fd)
{
	if (srv_http_adopt(((struct server *)arg)->vh, fd, false) < 0)
		log_warn(NULL, "http: a new connection could not be served");
}

struct server *
server_new(uv_loop_t *loop, const struct cfg_daemon *d, srv_handler handler,
    void *arg, char *err, size_t errlen)
{
	return server_new_fds(loop, d, -1, -1, handler, arg, err, errlen);
}

void
server_hold(struct server *srv, bool hold)
{
	if (srv->tcp_l != NULL)
		srv_listen_hold(srv->tcp_l, hold);
	if (srv->unix_l != NULL)
		srv_listen_hold(srv->unix_l, hold);
}

void
server_listen_fds(const struct server *srv, int *tcp_fd, int *unix_fd)
{
	*tcp_fd = srv->tcp_l != NULL ? srv_listen_fd(srv->tcp_l) : -1;
	*unix_fd = srv->unix_l != NULL ? srv_listen_fd(srv->unix_l) : -1;
}

/*
 * lws sizes two tables by the descriptor limit when its context is made
 * (sysconf(_SC_OPEN_MAX)): 16 bytes for every descriptor prodd may open,
 * zeroed at once. prodd raises its soft limit to the hard one, so under
 * systemd (hard limit 524,288) that was 8 MiB, under docker (1,048,576)
 * 16 MiB, whatever the number of services. The context is made under a
 * soft limit of at most SRV_LWS_FDS, and the limit is put back at once:
 * a socket takes the lowest free descriptor, so lws meets one past its
 * tables only while prodd holds 65,536 descriptors at once (some 9,000
 * services), and then refuses that connection.
 */
#define SRV_LWS_FDS 65536

static struct lws_context *
srv_lws_context(const struct lws_context_creation_info *info)
{
	struct rlimit rl, capped;
	struct lws_context *ctx;
	bool cap = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > SRV_LWS_FDS);

	if (cap) {
		capped = rl;
		capped.rlim_cur = SRV_LWS_FDS;
		cap = setrlimit(RLIMIT_NOFILE, &capped) == 0;
	}
	ctx = lws_create_context(info);
	if (cap && setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn(NULL, "cannot put the descriptor limit back to %llu: "
		    "%s", (unsigned long long)rl.rlim_cur, strerror(errno));
	return ctx;
}

struct server *
server_new_fds(uv_loop_t *loop, const struct cfg_daemon *d, int tcp_fd,
    int unix_fd, srv_handler handler, void *arg, char *err, size_t errlen)
{
	struct server *srv = xcalloc(1, sizeof *srv);
	struct lws_context_creation_info info;
	void *foreign[1] = { loop };
	bool adopted = tcp_fd >= 0 && unix_fd >= 0;

	srv->http.loop = loop;
	srv->http.handler = handler;
	srv->http.arg = arg;
	srv->http.guard = guard_new();
	srv->listen_host = xstrdup(d->listen_host);
	srv_configure(srv, d);
	if (d->tls_cert != NULL && d->tls_key != NULL) {
		char why[PATH_MAX + 256];

		if ((srv->tls = srv_tls_new(d->tls_cert, d->tls_key, why,
		    sizeof why)) == NULL) {
			snprintf(err, errlen, "tls: %s", why);
			server_free(srv);
			return NULL;
		}
		srv->http.tls = srv->tls;
	}

	/* the sockets first: their failures are the ones a user meets */
	if (adopted) {
		fcntl(tcp_fd, F_SETFD, FD_CLOEXEC);
		fcntl(unix_fd, F_SETFD, FD_CLOEXEC);
	} else if ((tcp_fd = srv_listen_tcp(d->listen_host, d->listen_port,
	    err, errlen)) < 0)
		goto fail;
	else if ((unix_fd = srv_listen_unix(d->control_socket, err,
	    errlen)) < 0)
		goto fail;

	/* answers of 128 KiB and more (/api/services, the snapshots, at
	 * hundreds of services) are mapped and unmapped on their own: by
	 * default glibc raises this threshold to the largest block freed
	 * and serves the next ones from the heap, whose top then stays as
	 * high as the most of them ever alive at once. Setting it also
	 * stops the trim threshold's own growth (it stays at 128 KiB), so a
	 * freed top of the heap goes back to the system. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	lws_set_log_level(LLL_ERR | LLL_WARN, srv_lws_log);
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_LIBUV |
	    LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.foreign_loops = foreign;
	info.user = &srv->http;
	info.pcontext = &srv->ctx;
	if (srv->tls != NULL)
		srv_tls_context_info(&info);
	srv->ctx = srv_lws_context(&info);
	if (srv->ctx == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server (is the "
		    "libwebsockets-evlib-uv package installed?)");
		goto fail;
	}
	/* both listeners' connections on one vhost: see srv_http_adopt */
	memset(&info, 0, sizeof info);
	info.vhost_name = "prodd";
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.protocols = srv_http_protocols();
	info.headers = &srv_hdr_nosniff;
	info.timeout_secs = 20;
	info.keepalive_timeout = 30;
	if (srv->tls != NULL)
		srv_tls_vhost_info(&info);
	if ((srv->vh = lws_create_vhost(srv->ctx, &info)) == NULL) {
		snprintf(err, errlen, "cannot start the HTTP server: %s",
		    srv->tls != NULL ? "TLS could not be set up" : "no vhost");
		goto fail_ctx;
	}
	srv->tcp_l = srv_listen_start(loop, tcp_fd, NULL, srv_accept_tcp_cb,
	    srv);
	srv->unix_l = srv_listen_start(loop, unix_fd, d->control_socket,
	    srv_accept_unix_cb, srv);
	log_notice(NULL, "%s on %s://%s:%d and %s", adopted ? "still "
	    "listening" : "listening", srv->tls != NULL ? "https" : "http",
	    d->listen_host, d->listen_port, d->control_socket);
	if (srv->tls != NULL) {
		char desc[256];

		srv_tls_describe(srv->tls, desc, sizeof desc);
		log_notice(NULL, "https: certificate %s", desc);
	}
	if (!guard_has_token(srv->http.guard))
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
	if (tcp_fd >= 0)
		close(tcp_fd);
	if (unix_fd >= 0) {
		close(unix_fd);
		unlink(d->control_socket);
	}
	server_free(srv);
	return NULL;
}

int
server_reload_tls(struct server *srv, const struct cfg_daemon *d, char *err,
    size_t errlen)
{
	char why[PATH_MAX + 256], desc[256];

	if (srv->tls == NULL || d->tls_cert == NULL || d->tls_key == NULL)
		return 0;
	if (srv_tls_reload(srv->tls, d->tls_cert, d->tls_key, why,
	    sizeof why) < 0) {
		snprintf(err, errlen, "tls: %s", why);
		return -1;
	}
	srv_tls_describe(srv->tls, desc, sizeof desc);
	log_notice(NULL, "https: certificate read again: %s", desc);
	return 0;
}

void
server_set_ws(struct server *srv, struct ws_hub *hub)
{
	srv->http.ws = hub;
}

const struct guard *
server_guard(const struct server *srv)
{
	return srv->http.guard;
}

size_t
server_streams(const struct server *srv)
{
	return srv->http.nstreams;
}

void
server_close(struct server *srv)
{
	if (srv->closing)
		return;
	srv->closing = true;
	/* no new connection, and the control socket's file goes */
	srv_listen_close(srv->tcp_l);
	srv_listen_close(srv->unix_l);
	srv->tcp_l = srv->unix_l = NULL;
	if (srv->ctx != NULL)
		lws_context_destroy(srv->ctx);
}

void
server_free(struct server *srv)
{
	if (srv->ctx != NULL)
		lws_context_destroy(srv->ctx);
	guard_free(srv->http.guard);
	srv_tls_free(srv->tls);
	free(srv->listen_host);
	free(srv);
}
