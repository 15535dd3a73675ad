/*
 * prodd's own listening sockets (server-listen.c): the TCP port and the
 * control socket are bound and listened on here, not by libwebsockets, so
 * that prodd holds their descriptors (an upgrade can hand them over), and
 * each is watched on the loop; every accepted connection goes to a
 * callback, which gives it to libwebsockets. Loop thread only.
 */
#ifndef PRODD_SERVER_LISTEN_H
#define PRODD_SERVER_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct srv_listen;

/* A new connection: fd is non-blocking and close-on-exec, and the
 * callback's to keep or close. */
typedef void (*srv_listen_cb)(void *arg, int fd);

/*
 * A listening TCP socket on host (an address, or a name resolved once) and
 * port, with SO_REUSEADDR (not SO_REUSEPORT: a second prodd cannot share
 * it). Returns the descriptor, or -errno with "cannot listen on
 * HOST:PORT: why" in err.
 */
int srv_listen_tcp(const char *host, int port, char *err, size_t errlen);

/*
 * A listening Unix socket on path, mode 0660 from the start (created
 * under a umask, then chmod). Refused when a live program answers on path
 * ("another prodd is listening on PATH"); a stale socket file is replaced;
 * the parent directory is created if missing. Returns the descriptor, or
 * -errno with a message in err.
 */
int srv_listen_unix(const char *path, char *err, size_t errlen);

/*
 * Watch listening descriptor fd (taken over) on loop; cb(arg, fd) for each
 * accepted connection. When unlink_path is given (the control socket), it
 * is removed when the listener closes.
 */
struct srv_listen *srv_listen_start(uv_loop_t *loop, int fd,
    const char *unlink_path, srv_listen_cb cb, void *arg);

/* Hold (stop accepting: connections wait in the backlog) or accept
 * again. An upgrade holds its listeners while it hands over, so that a
 * client connecting then is answered by the new prodd. */
void srv_listen_hold(struct srv_listen *l, bool hold);
/* The listening descriptor (an upgrade hands it over as it is: an exec
 * closes nothing, so the socket file stays and no connection is lost). */
int srv_listen_fd(const struct srv_listen *l);
/* Stop accepting and close the descriptor (and remove the socket file);
 * the memory goes with the handles' close callbacks. */
void srv_listen_close(struct srv_listen *l);

#endif
