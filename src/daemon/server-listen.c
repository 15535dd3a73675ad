/*
 * prodd's listening sockets (see server-listen.h): binding the TCP port
 * and the control socket with a clear reason when that fails (a port in
 * use, another prodd on the socket), and accepting on the loop. A
 * listener is a uv_poll_t on the listening descriptor: when it is
 * readable, accept4() in a bounded batch and hand each connection on.
 * Out of descriptors, a listener pauses for a moment (a uv_timer_t)
 * instead of spinning on a socket that stays readable.
 */
#include "prodd/server-listen.h"
#include "prodd/fileio.h"
#include "prodd/log.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Connections accepted per readable turn, so that the loop goes on. */
#define SRV_ACCEPT_BATCH 64
/* Out of descriptors: accept again after this long. */
#define SRV_ACCEPT_PAUSE_MS 100
/* and say so at most this often */
#define SRV_ACCEPT_WARN_MS 10000

struct srv_listen {
	uv_poll_t poll;
	uv_timer_t pause;
	int fd;
	bool tcp;
	int pending;			/* close callbacks still to come */
	char *unlink_path;
	srv_listen_cb cb;
	void *arg;
	uint64_t warned_ms;
	bool warned;
};

int
srv_listen_tcp(const char *host, int port, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char service[16];
	int fd = -1, one = 1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(service, sizeof service, "%d", port);
	if ((rc = getaddrinfo(host, service, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -EINVAL;
	}
	/* one address: of a name with several, the first IPv4 one (a name
	 * such as localhost then means 127.0.0.1, as it always has) */
	ai = res;
	for (struct addrinfo *a = res; a != NULL; a = a->ai_next)
		if (a->ai_family == AF_INET) {
			ai = a;
			break;
		}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, SOMAXCONN) < 0)
		goto fail;
	freeaddrinfo(res);
	return fd;
fail:
	rc = -errno;
	snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port,
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return rc;
}

/* A live program answering on path? Then it is not ours to replace. A
 * non-blocking connect: a full backlog (EAGAIN) is someone alive too. */
static bool
srv_listen_live(const struct sockaddr_un *sa)
{
	int fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return false;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
	if (rc < 0 && errno == EAGAIN)
		rc = 0;
	close(fd);
	return rc == 0;
}

int
srv_listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	char dir[PATH_MAX], *slash;
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "cannot listen on %s: the path is longer "
		    "than %zu bytes", path, sizeof sa.sun_path - 1);
		return -ENAMETOOLONG;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (srv_listen_live(&sa)) {
		snprintf(err, errlen, "another prodd is listening on %s", path);
		return -EADDRINUSE;
	}
	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if ((rc = file_mkdirs(dir, 0755)) < 0) {
			snprintf(err, errlen, "cannot create %s: %s", dir,
			    strerror(-rc));
			return rc;
		}
	}
	unlink(path);	/* stale: nobody answers on it */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		goto fail;
	/* born 0660: no moment when others may connect */
	old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc < 0)
		goto fail;
	if (chmod(path, 0660) < 0)
		log_warn(NULL, "cannot chmod %s: %s", path, strerror(errno));
	if (listen(fd, SOMAXCONN) < 0) {
		rc = -errno;
		unlink(path);
		errno = -rc;
		goto fail;
	}
	return fd;
fail:
	rc = -errno;
	snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

static void srv_listen_poll_cb(uv_poll_t *h, int status, int events);

static void
srv_listen_resume_cb(uv_timer_t *t)
{
	struct srv_listen *l = t->data;

	uv_poll_start(&l->poll, UV_READABLE, srv_listen_poll_cb);
}

/* Out of descriptors (or memory): the pending connection stays in the
 * backlog, and the socket stays readable; stop watching it for a moment. */
static void
srv_listen_pause(struct srv_listen *l, int err)
{
	uint64_t now = uv_now(l->poll.loop);

	if (!l->warned || now - l->warned_ms >= SRV_ACCEPT_WARN_MS) {
		log_warn(NULL, "http: cannot accept a connection: %s (trying "
		    "again every %d ms)", strerror(err), SRV_ACCEPT_PAUSE_MS);
		l->warned = true;
		l->warned_ms = now;
	}
	uv_poll_stop(&l->poll);
	uv_timer_start(&l->pause, srv_listen_resume_cb, SRV_ACCEPT_PAUSE_MS, 0);
}

static void
srv_listen_poll_cb(uv_poll_t *h, int status, int events)
{
	struct srv_listen *l = h->data;
	int one = 1;

	(void)events;
	if (status < 0) {
		/* libuv has stopped watching the socket: watch it again after
		 * the pause, rather than never accept on it again */
		srv_listen_pause(l, -status);
		return;
	}
	for (int i = 0; i < SRV_ACCEPT_BATCH; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				srv_listen_pause(l, errno);
				return;
			}
			/* the connection's own error (reset, aborted, a
			 * network one): the next in the backlog may be fine */
			continue;
		}
		/* small answers go out at once, as lws's own listener did */
		if (l->tcp)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof one);
		l->cb(l->arg, fd);
	}
}

struct srv_listen *
srv_listen_start(uv_loop_t *loop, int fd, const char *unlink_path,
    srv_listen_cb cb, void *arg)
{
	struct srv_listen *l = xcalloc(1, sizeof *l);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	l->fd = fd;
	l->cb = cb;
	l->arg = arg;
	l->tcp = getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
	l->unlink_path = unlink_path ? xstrdup(unlink_path) : NULL;
	uv_poll_init_socket(loop, &l->poll, fd);
	uv_timer_init(loop, &l->pause);
	l->poll.data = l->pause.data = l;
	uv_poll_start(&l->poll, UV_READABLE, srv_listen_poll_cb);
	return l;
}

void
srv_listen_hold(struct srv_listen *l, bool hold)
{
	uv_timer_stop(&l->pause);
	if (hold)
		uv_poll_stop(&l->poll);
	else
		uv_poll_start(&l->poll, UV_READABLE, srv_listen_poll_cb);
}

int
srv_listen_fd(const struct srv_listen *l)
{
	return l->fd;
}

static void
srv_listen_closed_cb(uv_handle_t *h)
{
	struct srv_listen *l = h->data;

	if (--l->pending > 0)
		return;
	free(l->unlink_path);
	free(l);
}

void
srv_listen_close(struct srv_listen *l)
{
	if (l == NULL)
		return;
	/* uv_close stops the poll at once: the descriptor may go now */
	l->pending = 2;
	uv_close((uv_handle_t *)&l->poll, srv_listen_closed_cb);
	uv_close((uv_handle_t *)&l->pause, srv_listen_closed_cb);
	close(l->fd);
	if (l->unlink_path != NULL)
		unlink(l->unlink_path);
}
