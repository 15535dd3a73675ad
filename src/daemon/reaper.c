/*
 * Orphan reaping without waitpid(-1) (see reaper.h). The children list of
 * every task of prodd is read; a pid libuv owns is skipped (libuv reaps it
 * in its own SIGCHLD pass); any other is an orphan re-parented to us, and
 * is reaped if it has ended.
 */
#include "prodd/reaper.h"
#include "prodd/procfs.h"
#include "prodd/xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REAPER_SWEEP_MS 250

struct reaper {
	uv_signal_t sigchld;
	uv_check_t check;
	uv_timer_t sweep;
	bool (*owned)(pid_t, void *);
	void (*reaped)(pid_t, int, void *);
	void *arg;
	unsigned orphans;
	int closing;
};

static void reaper_sweep_cb(uv_timer_t *h);

static void
reaper_scan_file(struct reaper *r, const char *path, unsigned *alive)
{
	char buf[8192];
	int pids[1024];
	ssize_t n;
	size_t np;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n <= 0)
		return;
	np = procfs_parse_pids(buf, (size_t)n, pids,
	    sizeof pids / sizeof *pids);
	if (np > sizeof pids / sizeof *pids)
		np = sizeof pids / sizeof *pids;	/* the sweep gets the rest */
	for (size_t i = 0; i < np; i++) {
		int status;
		pid_t got;

		if (r->owned(pids[i], r->arg))
			continue;
		got = waitpid(pids[i], &status, WNOHANG);
		if (got == pids[i]) {
			if (r->reaped != NULL)
				r->reaped(got, status, r->arg);
		} else if (got == 0) {
			(*alive)++;
		}
	}
}

void
reaper_sweep(struct reaper *r)
{
	unsigned alive = 0;
	struct dirent *de;
	DIR *d;

	if ((d = opendir("/proc/self/task")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[300];

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/children",
		    de->d_name);
		reaper_scan_file(r, path, &alive);
	}
	closedir(d);
	r->orphans = alive;
	if (r->closing)
		return;
	/* sweep again soon while orphans live; otherwise SIGCHLD suffices */
	if (alive > 0 && !uv_is_active((uv_handle_t *)&r->sweep))
		uv_timer_start(&r->sweep, reaper_sweep_cb, REAPER_SWEEP_MS,
		    REAPER_SWEEP_MS);
	else if (alive == 0)
		uv_timer_stop(&r->sweep);
}

static void
reaper_check_cb(uv_check_t *h)
{
	struct reaper *r = h->data;

	uv_check_stop(h);
	reaper_sweep(r);
}

static void
reaper_sigchld_cb(uv_signal_t *h, int sig)
{
	struct reaper *r = h->data;

	(void)sig;
	/* after every SIGCHLD watcher of this iteration, libuv's included */
	uv_check_start(&r->check, reaper_check_cb);
}

static void
reaper_sweep_cb(uv_timer_t *h)
{
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
	uv_check_init(loop, &r->check);
	uv_timer_init(loop, &r->sweep);
	r->sigchld.data = r->check.data = r->sweep.data = r;
	uv_signal_start(&r->sigchld, reaper_sigchld_cb, SIGCHLD);
	uv_unref((uv_handle_t *)&r->sigchld);
	uv_unref((uv_handle_t *)&r->check);
	uv_unref((uv_handle_t *)&r->sweep);
	return r;
}

unsigned
reaper_orphans(const struct reaper *r)
{
	return r->orphans;
}

static void
reaper_close_cb(uv_handle_t *h)
{
	struct reaper *r = h->data;

	if (--r->closing == 0)
		free(r);
}

void
reaper_close(struct reaper *r)
{
	r->closing = 3;
	uv_close((uv_handle_t *)&r->sigchld, reaper_close_cb);
	uv_close((uv_handle_t *)&r->check, reaper_close_cb);
	uv_close((uv_handle_t *)&r->sweep, reaper_close_cb);
}
