/*
 * Reaping (see reaper.h). waitid(WNOWAIT) first looks at the next ended
 * child without reaping it, so a child that belongs to someone else is
 * never stolen: then the loop stops and the children list of
 * /proc/self/task/ * /children is swept instead, pid by pid. With no such
 * child (prodd's case) each SIGCHLD costs one waitid per ended child,
 * whatever the number of services.
 */
#include "prodd/reaper.h"
#include "prodd/procfs.h"
#include "prodd/xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct reaper {
	uv_signal_t sigchld;
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
		if (waitpid(pids[i], &status, WNOHANG) == pids[i])
			r->reaped(pids[i], status, r->arg);
	}
	free(pids);
}

void
reaper_sweep(struct reaper *r)
{
	for (;;) {
		siginfo_t si;
		int status;

		memset(&si, 0, sizeof si);
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    si.si_pid == 0)
			return;
		if (r->owned != NULL && r->owned(si.si_pid, r->arg)) {
			reaper_sweep_children(r);
			return;
		}
		if (waitpid(si.si_pid, &status, WNOHANG) == si.si_pid)
			r->reaped(si.si_pid, status, r->arg);
	}
}

static void
reaper_sigchld_cb(uv_signal_t *h, int sig)
{
	(void)sig;
	reaper_sweep(h->data);
}

struct reaper *
reaper_new(uv_loop_t *loop, bool (*owned)(pid_t, void *),
    void (*reaped)(pid_t, int, void *), void *arg)
{
	struct reaper *r = xcalloc(1, sizeof *r);

	r->owned = owned;
	r->reaped = reaped;
	r->arg = arg;
	uv_signal_init(loop, &r->sigchld);
	r->sigchld.data = r;
	uv_signal_start(&r->sigchld, reaper_sigchld_cb, SIGCHLD);
	uv_unref((uv_handle_t *)&r->sigchld);
	return r;
}

static void
reaper_close_cb(uv_handle_t *h)
{
	free(h->data);
}

void
reaper_close(struct reaper *r)
{
	r->closing = true;
	uv_close((uv_handle_t *)&r->sigchld, reaper_close_cb);
}
