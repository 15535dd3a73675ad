/*
 * The notify sockets of `notify: true` services (see prodd/notifysock.h).
 * Each socket is watched by a uv_poll on the loop; a readable socket is
 * drained (a bounded number of datagrams per wakeup, so one chatty
 * service cannot hold the loop). The sender's credentials come with each
 * datagram (SO_PASSCRED), and its /proc/PID/stat is read at that moment,
 * never a cached process tree: a pid reused since the datagram was sent
 * would have to be in the service's session too. At an upgrade the bound
 * socket is handed over by its descriptor and adopted by the new prodd:
 * a datagram queued across the exec waits in it, and is read after.
 */
#include "prodd/notifysock.h"
#include "prodd/fileio.h"
#include "prodd/log.h"
#include "prodd/procfs.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define NOTIFY_MAX_FDS 16		/* descriptors taken per datagram */
#define NOTIFY_DRAIN 64			/* datagrams per wakeup */
#define NOTIFY_CHAIN_MAX 64		/* parents walked at most */

struct notify_sock {
	uv_poll_t poll;
	int fd;
	char path[NOTIFY_PATH_MAX];
	pid_t main_pid;
	notify_msg_fn fn;
	void *arg;
	uint64_t dropped, mainpid_refused;
};

static uint32_t
notify_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The stat of pid, read now: 0, or -1 when it is gone or unreadable. */
static int
notify_stat(pid_t pid, struct procfs_stat *st)
{
	char path[32], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n <= 0 || procfs_parse_stat(buf, (size_t)n, st) < 0)
		return -1;
	return 0;
}

/* pid is in the session led by main, as /proc says now. */
static bool
notify_in_session(pid_t pid, pid_t main)
{
	struct procfs_stat st;

	return pid > 0 && main > 0 && notify_stat(pid, &st) == 0 &&
	    st.session == main;
}

/* pid may notify for the service whose main process is main: in its
 * session, or its parent chain reaches main. */
static bool
notify_sender_ok(pid_t pid, pid_t main)
{
	struct procfs_stat st;

	if (pid <= 0 || main <= 0 || notify_stat(pid, &st) < 0)
		return false;
	if (st.session == main || pid == main)
		return true;
	for (int i = 0; i < NOTIFY_CHAIN_MAX && st.ppid > 1; i++) {
		if (st.ppid == main)
			return true;
		if (notify_stat(st.ppid, &st) < 0)
			return false;
	}
	return false;
}

/* The descriptors a datagram carried: closed, whatever they are. */
static void
notify_close_fds(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL;
	    c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		    i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			close(fd);
		}
	}
}

static const struct ucred *
notify_creds(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL;
	    c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred)))
			return (const struct ucred *)(void *)CMSG_DATA(c);
	return NULL;
}

/* One datagram: 1 when one was read, 0 when none is left. */
static int
notify_read_one(struct notify_sock *ns)
{
	static char buf[NOTIFY_MSG_MAX + 1];
	union {
		char space[CMSG_SPACE(sizeof(struct ucred)) +
		    CMSG_SPACE(NOTIFY_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof buf };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.space, .msg_controllen = sizeof ctl.space };
	const struct ucred *cred;
	struct notify_msg m;
	pid_t sender = 0;
	ssize_t n;

	n = recvmsg(ns->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	if (n < 0)
		return errno == EINTR ? 1 : 0;
	if ((cred = notify_creds(&mh)) != NULL)
		sender = cred->pid;
	if (!notify_sender_ok(sender, ns->main_pid)) {
		ns->dropped++;
		log_debug(NULL, "notify socket %s: dropped a datagram from pid "
		    "%d, not of the service", ns->path, (int)sender);
	} else if ((mh.msg_flags & MSG_TRUNC) || (size_t)n > NOTIFY_MSG_MAX ||
	    notify_parse(buf, (size_t)n, &m) != NOTIFY_OK) {
		ns->dropped++;
		log_debug(NULL, "notify socket %s: refused a datagram of %zd "
		    "bytes from pid %d", ns->path, n, (int)sender);
	} else {
		if ((m.fields & NOTIFY_MAINPID) &&
		    !notify_in_session(m.mainpid, ns->main_pid)) {
			m.fields &= ~(unsigned)NOTIFY_MAINPID;
			ns->mainpid_refused++;
		}
		ns->fn(ns->arg, &m, sender);
	}
	/* after the datagram is handled: a BARRIER=1 waiter wakes now */
	notify_close_fds(&mh);
	return 1;
}

static void
notify_poll_cb(uv_poll_t *h, int status, int events)
{
	struct notify_sock *ns = h->data;

	if (status < 0 || !(events & UV_READABLE))
		return;
	for (int i = 0; i < NOTIFY_DRAIN && ns->fd >= 0; i++)
		if (notify_read_one(ns) == 0)
			break;
}

/* Where the socket goes: in state_dir when it fits, else in /tmp. */
static int
notify_place(struct notify_sock *ns, const char *state_dir, const char *name,
    char *err, size_t errlen)
{
	char dir[4096];
	uint32_t h = notify_hash(name);
	int n;

	snprintf(dir, sizeof dir, "%s/n", state_dir);
	/* the name when it fits (names are path-safe), else its hash */
	n = snprintf(ns->path, sizeof ns->path, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof ns->path)
		n = snprintf(ns->path, sizeof ns->path, "%s/%08x", dir, h);
	if (n < 0 || (size_t)n >= sizeof ns->path) {
		snprintf(dir, sizeof dir, "/tmp/prodd-notify-%u-%08x",
		    (unsigned)getuid(), notify_hash(state_dir));
		if (snprintf(ns->path, sizeof ns->path, "%.64s/%08x", dir,
		    h) >= (int)sizeof ns->path) {
			snprintf(err, errlen, "no socket path fits");
			return -1;
		}
		log_warn(name, "state_dir is too deep for a socket path (%d "
		    "bytes, sun_path holds %d): the notify socket is %s", n,
		    NOTIFY_PATH_MAX - 1, ns->path);
		if (mkdir(dir, 0711) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot make %s: %s", dir,
			    strerror(errno));
			return -1;
		}
	} else if (file_mkdirs(dir, 0711) < 0) {
		snprintf(err, errlen, "cannot make %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	{
		struct stat st;

		/* ours, not someone's planted directory; searchable by the
		 * services' users, not listable */
		if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != getuid()) {
			snprintf(err, errlen, "%s is not a directory of prodd's",
			    dir);
			return -1;
		}
		chmod(dir, 0711);
		/* state_dir itself must be searchable to reach it */
		if (stat(state_dir, &st) == 0 && (st.st_mode & 0011) != 0011 &&
		    st.st_uid == getuid())
			chmod(state_dir, (st.st_mode & 07777) | 0011);
	}
	return 0;
}

struct notify_sock *
notify_sock_open(uv_loop_t *loop, const char *state_dir, const char *name,
    uid_t owner, gid_t group, notify_msg_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct notify_sock *ns = xcalloc(1, sizeof *ns);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int one = 1;

	ns->fd = -1;
	ns->fn = fn;
	ns->arg = arg;
	if (notify_place(ns, state_dir, name, err, errlen) < 0)
		goto fail;
	memcpy(sa.sun_path, ns->path, strlen(ns->path) + 1);
	ns->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ns->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	if (setsockopt(ns->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
		snprintf(err, errlen, "SO_PASSCRED: %s", strerror(errno));
		goto fail;
	}
	unlink(ns->path);	/* a socket of an earlier prodd of this dir */
	if (bind(ns->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		snprintf(err, errlen, "bind %s: %s", ns->path, strerror(errno));
		goto fail;
	}
	if (chmod(ns->path, 0600) < 0 ||
	    ((owner != (uid_t)-1 || group != (gid_t)-1) &&
	    chown(ns->path, owner, group) < 0)) {
		snprintf(err, errlen, "%s: %s", ns->path, strerror(errno));
		unlink(ns->path);
		goto fail;
	}
	if (uv_poll_init(loop, &ns->poll, ns->fd) < 0) {
		snprintf(err, errlen, "cannot watch %s", ns->path);
		unlink(ns->path);
		goto fail;
	}
	ns->poll.data = ns;
	uv_poll_start(&ns->poll, UV_READABLE, notify_poll_cb);
	return ns;
fail:
	if (ns->fd >= 0)
		close(ns->fd);
	free(ns);
	return NULL;
}

struct notify_sock *
notify_sock_adopt(uv_loop_t *loop, int fd, const char *path,
    uint64_t dropped, uint64_t mainpid_refused, notify_msg_fn fn, void *arg,
    char *err, size_t errlen)
{
	struct notify_sock *ns;
	int type = 0;
	socklen_t tlen = sizeof type;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
	    type != SOCK_DGRAM) {
		snprintf(err, errlen, "descriptor %d is not a datagram socket",
		    fd);
		return NULL;
	}
	if (strlen(path) >= NOTIFY_PATH_MAX) {
		snprintf(err, errlen, "path too long");
		return NULL;
	}
	ns = xcalloc(1, sizeof *ns);
	ns->fd = fd;
	snprintf(ns->path, sizeof ns->path, "%s", path);
	ns->fn = fn;
	ns->arg = arg;
	ns->dropped = dropped;
	ns->mainpid_refused = mainpid_refused;
	/* close-on-exec again, and non-blocking (the exec kept both as
	 * they were, but the flag was cleared for the exec itself) */
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (uv_poll_init(loop, &ns->poll, fd) < 0) {
		snprintf(err, errlen, "cannot watch %s", path);
		free(ns);
		return NULL;
	}
	ns->poll.data = ns;
	uv_poll_start(&ns->poll, UV_READABLE, notify_poll_cb);
	return ns;
}

int
notify_sock_fd(const struct notify_sock *ns)
{
	return ns->fd;
}

const char *
notify_sock_path(const struct notify_sock *ns)
{
	return ns->path;
}

void
notify_sock_watch(struct notify_sock *ns, pid_t main_pid)
{
	ns->main_pid = main_pid;
}

uint64_t
notify_sock_dropped(const struct notify_sock *ns)
{
	return ns->dropped;
}

uint64_t
notify_sock_mainpid_refused(const struct notify_sock *ns)
{
	return ns->mainpid_refused;
}

static void
notify_closed(uv_handle_t *h)
{
	struct notify_sock *ns = h->data;

	close(ns->fd);
	free(ns);
}

void
notify_sock_close(struct notify_sock *ns)
{
	if (ns == NULL)
		return;
	unlink(ns->path);
	uv_poll_stop(&ns->poll);
	uv_close((uv_handle_t *)&ns->poll, notify_closed);
}
