/*
 * Reaping (see reaper.h). Two ways in. A child with a pidfd (spawn-run.c's
 * clone path: the services) has it in one epoll set of the reaper's,
 * which the loop polls, so an exit wakes the loop with that child's pid
 * at hand and costs one waitid(P_PID): nothing walks prodd's list of
 * children, whose length is the number of services. Every other child
 * (orphans re-parented to prodd, exec checks, children of posix_spawn) is
 * found on SIGCHLD: waitid(P_ALL, WNOWAIT) first looks at the next ended child without
 * reaping it, so a child that belongs to someone else is never stolen:
 * then the loop stops and the children list of /proc/self/task/ *
 * /children is swept instead, pid by pid. That peek walks the list of
 * children, once per ended child and once more to find none left. A
 * service's exit sends SIGCHLD too (exec gives every process that exit
 * signal back), so after pidfd ends the sweep is put off a little and
 * done once for all of them (reaper_sigchld_cb); a sweep that meets a
 * watched child reaps it and closes its pidfd (one report either way).
 */
#include "prodd/reaper.h"
#include "prodd/pidmap.h"
#include "prodd/procfs.h"
#include "prodd/xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The pidfds one wake-up of the loop takes at most (more: another turn). */
#define REAPER_BATCH 64
/* A sweep after pidfd ends: at most this late (ms). Only an orphan or an
 * exec check that ended at about the same time as a service waits. */
#define REAPER_LATER_MS 250
/* how long prodd waits, at its exit, for the children it killed */
#define REAPER_LAST_MS 100

struct reaper {
	uv_loop_t *loop;
	uv_signal_t sigchld;
	uv_timer_t later;		/* the sweep after pidfd ends */
	uv_poll_t pidfds;		/* on ep, once there is one */
	int ep;				/* epoll set of the pidfds, or -1 */
	struct pidmap watched;		/* pid -> its pidfd + 1 */
	size_t since_sweep;		/* pidfd ends since the last sweep */
	int handles;			/* open handles, freed at 0 */
	bool (*owned)(pid_t, void *);
	void (*reaped)(pid_t, int, void *);
	void *arg;
	bool closing;
};

int *
reaper_children(size_t *n)
{
	struct dirent *de;
	int *pids = NULL;
	size_t cap = 0;
	DIR *d;

	*n = 0;
	if ((d = opendir("/proc/self/task")) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		char path[300], *buf = NULL;
		size_t bcap = 0, len = 0, k;
		ssize_t r;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/children",
		    de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		do {	/* the whole list, however long */
			if (bcap - len < 4096)
				buf = xrealloc(buf, bcap = bcap ? bcap * 2 : 8192);
			r = read(fd, buf + len, bcap - len);
			if (r > 0)
				len += (size_t)r;
		} while (r > 0);
		close(fd);
		k = procfs_parse_pids(buf, len, NULL, 0);
		if (k > 0) {
			if (*n + k > cap)
				pids = xreallocarray(pids, cap = *n + k,
				    sizeof *pids);
			*n += procfs_parse_pids(buf, len, pids + *n, k);
		}
		free(buf);
	}
	closedir(d);
	return pids;
}

/* pid, watched through its pidfd, was reaped: the pidfd goes. */
static void
reaper_unwatch(struct reaper *r, pid_t pid)
{
	void *v = pidmap_get(&r->watched, pid);
	int fd;

	if (v == NULL)
		return;
	fd = (int)((intptr_t)v - 1);
	pidmap_del(&r->watched, pid);
	epoll_ctl(r->ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

/* The slow path, when a foreign-owned zombie blocks the peek. */
static void
reaper_sweep_children(struct reaper *r)
{
	size_t n;
	int *pids = reaper_children(&n);

	for (size_t i = 0; i < n; i++) {
		int status;

		if (r->owned && r->owned(pids[i], r->arg))
			continue;
		if (waitpid(pids[i], &status, WNOHANG | __WALL) == pids[i]) {
			reaper_unwatch(r, pids[i]);
			r->reaped(pids[i], status, r->arg);
		}
	}
	free(pids);
}

void
reaper_sweep(struct reaper *r)
{
	r->since_sweep = 0;
	for (;;) {
		siginfo_t si;
		int status;

		memset(&si, 0, sizeof si);
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT |
		    __WALL) < 0 || si.si_pid == 0)
			return;
		if (r->owned != NULL && r->owned(si.si_pid, r->arg)) {
			reaper_sweep_children(r);
			return;
		}
		if (waitpid(si.si_pid, &status, WNOHANG | __WALL) ==
		    si.si_pid) {
			reaper_unwatch(r, si.si_pid);
			r->reaped(si.si_pid, status, r->arg);
		}
	}
}

int
reaper_wait_status(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	default:	/* CLD_KILLED */
		return si->si_status & 0x7f;
	}
}

/* Reap the children whose pidfds are readable: how many. */
static size_t
reaper_drain(struct reaper *r)
{
	struct epoll_event ev[REAPER_BATCH];
	size_t done = 0;
	int n;

	if (r->ep < 0)
		return 0;
	do {
		n = epoll_wait(r->ep, ev, REAPER_BATCH, 0);
		for (int i = 0; i < n && !r->closing; i++) {
			pid_t pid = (pid_t)ev[i].data.u64;
			void *v = pidmap_get(&r->watched, pid);
			siginfo_t si;
			int rc;

			if (v == NULL)
				continue;	/* reaped by a sweep meanwhile */
			/* by pid, which cannot be reused before this reaps
			 * it: waitid(P_PIDFD) walks every child of prodd's
			 * (kernel 6.x waits for a pidfd's thread group) */
			memset(&si, 0, sizeof si);
			while ((rc = waitid(P_PID, (id_t)pid, &si,
			    WEXITED | WNOHANG | __WALL)) < 0 && errno == EINTR)
				;
			if (rc == 0 && si.si_pid == 0)
				continue;	/* not ended after all */
			reaper_unwatch(r, pid);
			if (rc == 0) {
				r->reaped(pid, reaper_wait_status(&si), r->arg);
				done++;
			}
		}
	} while (n == REAPER_BATCH && !r->closing);
	r->since_sweep += done;
	return done;
}

static void
reaper_pidfds_cb(uv_poll_t *h, int status, int events)
{
	(void)status;
	(void)events;
	reaper_drain(h->data);
}

int
reaper_watch(struct reaper *r, pid_t pid, int pidfd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (r->ep < 0) {
		if ((r->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		    uv_poll_init(r->loop, &r->pidfds, r->ep) != 0) {
			if (r->ep >= 0)
				close(r->ep);
			r->ep = -1;
			return -1;
		}
		r->pidfds.data = r;
		r->handles++;
		uv_poll_start(&r->pidfds, UV_READABLE, reaper_pidfds_cb);
		uv_unref((uv_handle_t *)&r->pidfds);
	}
	ev.data.u64 = (uint64_t)(uint32_t)pid;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, pidfd, &ev) < 0)
		return -1;
	pidmap_put(&r->watched, pid, (void *)((intptr_t)pidfd + 1));
	return 0;
}

int
reaper_adopt(struct reaper *r, pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || reaper_watch(r, pid, fd) < 0) {
		close(fd);
		return -1;
	}
	return 0;
}

static void
reaper_later_cb(uv_timer_t *t)
{
	reaper_sweep(t->data);
}

/*
 * A SIGCHLD: from a child with a pidfd (then reaped through it, here or
 * by the pidfd's own wake-up) or from any other. Signals coalesce, so
 * one SIGCHLD may stand for both: once a pidfd has told of an end, the
 * sweep that finds the others, a walk of every child, waits
 * REAPER_LATER_MS and is done once for every exit meanwhile. A service's
 * end never waits for it.
 */
static void
reaper_sigchld_cb(uv_signal_t *h, int sig)
{
	struct reaper *r = h->data;

	(void)sig;
	reaper_drain(r);
	if (r->since_sweep == 0)
		reaper_sweep(r);
	else if (!uv_is_active((uv_handle_t *)&r->later))
		uv_timer_start(&r->later, reaper_later_cb, REAPER_LATER_MS, 0);
}

struct reaper *
reaper_new(uv_loop_t *loop, bool (*owned)(pid_t, void *),
    void (*reaped)(pid_t, int, void *), void *arg)
{
	struct reaper *r = xcalloc(1, sizeof *r);

	r->loop = loop;
	r->ep = -1;
	r->handles = 2;
	r->owned = owned;
	r->reaped = reaped;
	r->arg = arg;
	uv_signal_init(loop, &r->sigchld);
	r->sigchld.data = r;
	uv_signal_start(&r->sigchld, reaper_sigchld_cb, SIGCHLD);
	uv_unref((uv_handle_t *)&r->sigchld);
	uv_timer_init(loop, &r->later);
	r->later.data = r;
	uv_unref((uv_handle_t *)&r->later);
	return r;
}

static void
reaper_close_cb(uv_handle_t *h)
{
	struct reaper *r = h->data;

	if (--r->handles == 0) {
		pidmap_free(&r->watched);
		free(r);
	}
}

/*
 * Whether prodd still has a child (ended or not): waitid with WNOWAIT
 * fails with ECHILD when none is left.
 */
static bool
reaper_has_children(void)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0;
}

/*
 * prodd's last sweep, at its exit: the orphans of a service's group die
 * from the group's SIGKILL moments after its main process, and the sweep
 * that would reap them waits REAPER_LATER_MS; left to init they would
 * linger as zombies where init does not reap. So: sweep now, and while
 * children are left, again every 2 ms for at most REAPER_LAST_MS.
 */
void
reaper_finish(struct reaper *r)
{
	for (int i = 0; i <= REAPER_LAST_MS / 2; i++) {
		struct timespec ts = { 0, 2 * 1000 * 1000 };

		reaper_sweep(r);	/* every ended child, watched or not */
		if (!reaper_has_children())
			return;
		nanosleep(&ts, NULL);
	}
}

void
reaper_close(struct reaper *r)
{
	r->closing = true;
	uv_close((uv_handle_t *)&r->sigchld, reaper_close_cb);
	uv_close((uv_handle_t *)&r->later, reaper_close_cb);
	if (r->ep >= 0) {
		uv_close((uv_handle_t *)&r->pidfds, reaper_close_cb);
		close(r->ep);
		r->ep = -1;
	}
	/* children still running at the end: their pidfds only */
	for (size_t i = 0; i < r->watched.cap; i++)
		if (r->watched.v[i].pid > 0)
			close((int)((intptr_t)r->watched.v[i].val - 1));
	pidmap_free(&r->watched);
}
