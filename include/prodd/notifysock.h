/*
 * A service's notify socket (SPEC §3): the AF_UNIX datagram socket whose
 * path a `notify: true` service gets in NOTIFY_SOCKET. A daemon leaf: it
 * makes the socket (in state_dir/n/, owned by the service's user, mode
 * 0600, SO_PASSCRED), reads each datagram as it arrives, checks its
 * sender against /proc read then (the sender is in the session of the
 * service's main process, or its parent chain reaches that process;
 * anything else, a sender already gone included, is dropped and counted),
 * parses it (core/notify-proto.c) and hands the fields to the caller's
 * callback. MAINPID= naming a process outside the session is taken out
 * of the message and counted. Descriptors sent along (BARRIER=1's) are
 * closed once the datagram carrying them, and so every one before it,
 * has been handled. The leaf reports; the supervisor decides.
 */
#ifndef PRODD_NOTIFYSOCK_H
#define PRODD_NOTIFYSOCK_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "prodd/notify.h"

/* sun_path's size, with its NUL */
#define NOTIFY_PATH_MAX 108

struct notify_sock;

/* One accepted datagram: its fields, and the pid that sent it. */
typedef void (*notify_msg_fn)(void *arg, const struct notify_msg *m,
    pid_t sender);

/*
 * The socket for service name: state_dir/n/NAME, or state_dir/n/HASH
 * (HASH: 8 hex digits of the name) when that is longer than sun_path
 * holds, or, when that is too, /tmp/prodd-notify-UID-HASH2/HASH (HASH2: of
 * state_dir; a warning says so). owner/group: the service's user and group (-1: prodd's). NULL
 * with the reason in err.
 */
struct notify_sock *notify_sock_open(uv_loop_t *loop, const char *state_dir,
    const char *name, uid_t owner, gid_t group, notify_msg_fn fn, void *arg,
    char *err, size_t errlen);
/* An upgrade: the socket an old prodd bound at path, handed over as fd
 * with its counters, watched again (NULL with the reason when fd is no
 * datagram socket; the caller then closes it). */
struct notify_sock *notify_sock_adopt(uv_loop_t *loop, int fd,
    const char *path, uint64_t dropped, uint64_t mainpid_refused,
    notify_msg_fn fn, void *arg, char *err, size_t errlen);
/* The socket's descriptor (to hand over). */
int notify_sock_fd(const struct notify_sock *ns);
const char *notify_sock_path(const struct notify_sock *ns);
/* Senders are checked against this process (the service's main process
 * and session leader); 0: every datagram is dropped. */
void notify_sock_watch(struct notify_sock *ns, pid_t main_pid);
/* Datagrams dropped (foreign or gone sender, refused, garbage), and
 * MAINPID= fields refused, since the socket was made. */
uint64_t notify_sock_dropped(const struct notify_sock *ns);
uint64_t notify_sock_mainpid_refused(const struct notify_sock *ns);
/* Remove the path and close; freed once libuv let go of the handle. */
void notify_sock_close(struct notify_sock *ns);

#endif
