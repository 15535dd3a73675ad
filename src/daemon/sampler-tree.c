/*
 * The services' process trees, and the metrics the sampler keeps for
 * every service it is told of (see sampler.h): the latest figures, and
 * the CPU and I/O counters of the service, to which each sample adds the
 * increase of its processes (so they survive restarts).
 *
 * Each sample walks a work list: every service's main process, and every
 * process the last sample attributed to a service whose main process is
 * still the same (a process is attributed by the main process, the root,
 * it was found under). Each process's stat is read (CPU ticks, RSS,
 * threads), and its main thread's children (once in SAMPLER_KIDS) are
 * pushed with the same root. Once in SAMPLER_SLOW samples, on a turn of
 * its own, a process's open descriptors, I/O counters and the children of
 * all its threads are read; and every SAMPLER_SLOW samples prodd's own
 * children (orphans it subreaped, attributed by their session). Processes
 * are kept in an array sorted by pid from one sample to the next, with
 * their descriptors of /proc/PID/stat and /proc/PID/task/PID/children
 * still open (and /proc/PID/io); a process not found again is closed and
 * forgotten.
 */
#include "sampler-int.h"
#include "prodd/reaper.h"
#include "prodd/xmalloc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
sm_cmp_proc(const void *a, const void *b)
{
	const struct sproc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Add pid to this sample's seen set; false when it was there. */
static bool
sm_seen_add(struct sampler *sm, int pid)
{
	return pidmap_put(&sm->seen, pid, sm) == NULL;
}

static void
sm_work(struct sampler *sm, int pid, int root)
{
	if (sm->nwork == sm->capwork) {
		sm->capwork = sm->capwork ? sm->capwork * 2 : 256;
		sm->work_pid = xreallocarray(sm->work_pid, sm->capwork,
		    sizeof *sm->work_pid);
		sm->work_root = xreallocarray(sm->work_root, sm->capwork,
		    sizeof *sm->work_root);
	}
	sm->work_pid[sm->nwork] = pid;
	sm->work_root[sm->nwork++] = root;
}

/* The service whose main pid is root, or NULL. */
static struct sm_svc *
sm_root_svc(const struct sampler *sm, int root)
{
	return pidmap_get(&sm->roots, root);
}

/* This sample's entry for pid: the last sample's (descriptors and all),
 * or a new one. An index into sm->next. */
static size_t
sm_take(struct sampler *sm, int pid, int root)
{
	struct sproc key = { .pid = pid }, *old, *p;

	if (sm->nnext == sm->capnext) {
		sm->capnext = sm->capnext ? sm->capnext * 2 : 256;
		sm->next = xreallocarray(sm->next, sm->capnext,
		    sizeof *sm->next);
	}
	p = &sm->next[sm->nnext];
	old = sm->nprocs ? bsearch(&key, sm->procs, sm->nprocs,
	    sizeof *sm->procs, sm_cmp_proc) : NULL;
	if (old != NULL && old->fd_stat != -2) {
		*p = *old;
		old->fd_stat = -2;	/* taken */
		old->fd_kids = old->fd_io = -1;
	} else {
		memset(p, 0, sizeof *p);
		p->pid = pid;
		p->fd_stat = p->fd_kids = p->fd_io = -1;
		p->fds = -1;
		p->start = UINT64_MAX;	/* not known */
	}
	p->root = root;
	return sm->nnext++;
}

static void
sm_drop_last(struct sampler *sm)
{
	struct sproc *p = &sm->next[--sm->nnext];

	sm_close(&p->fd_stat);
	sm_close(&p->fd_kids);
	sm_close(&p->fd_io);
}

/* Read pid's stat through its kept descriptor (reopened once when the
 * pid was reused or the descriptor is stale). */
static int
sm_stat(struct sampler *sm, struct sproc *p, struct procfs_stat *st)
{
	char path[64], b[1024];

	(void)sm;
	for (int attempt = 0; attempt < 2; attempt++) {
		ssize_t n;

		if (p->fd_stat < 0) {
			snprintf(path, sizeof path, "/proc/%d/stat", p->pid);
			if ((p->fd_stat = sm_open(path)) < 0)
				return -1;
		}
		n = pread(p->fd_stat, b, sizeof b, 0);
		if (n > 0 && procfs_parse_stat(b, (size_t)n, st) == 0 &&
		    st->pid == p->pid)
			return 0;
		sm_close(&p->fd_stat);
		sm_close(&p->fd_kids);
		sm_close(&p->fd_io);
	}
	return -1;
}

static void
sm_push_kids(struct sampler *sm, const char *buf, size_t len, int root)
{
	int kids[512];
	size_t n = procfs_parse_pids(buf, len, kids, 512);

	if (n > 512)
		n = 512;
	for (size_t i = 0; i < n; i++)
		sm_work(sm, kids[i], root);
}

/* Push p's children: its main thread's list, kept open, once in
 * SAMPLER_KIDS samples (a new child is seen within that many; one already
 * seen is walked from the last sample's list anyway: reading /proc is
 * what a sample costs, a few µs a read on a virtual machine); on its turn
 * every thread's. */
static void
sm_children(struct sampler *sm, struct sproc *p, int64_t threads, bool turn,
    int root)
{
	char path[320];
	ssize_t n;

	if (((unsigned)p->pid + sm->nsamples) % SAMPLER_KIDS == 0 || turn) {
		if (p->fd_kids < 0) {
			snprintf(path, sizeof path, "/proc/%d/task/%d/children",
			    p->pid, p->pid);
			p->fd_kids = sm_open(path);
		}
		if (p->fd_kids >= 0 && (n = sm_pread(sm, p->fd_kids)) > 0)
			sm_push_kids(sm, sm->buf, (size_t)n, root);
	}
	if (threads > 1 && turn) {
		struct dirent *de;
		DIR *d;

		snprintf(path, sizeof path, "/proc/%d/task", p->pid);
		if ((d = opendir(path)) == NULL)
			return;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
			    atoi(de->d_name) == p->pid)
				continue;
			snprintf(path, sizeof path, "/proc/%d/task/%s/children",
			    p->pid, de->d_name);
			if ((n = sm_read_path(sm, path)) > 0)
				sm_push_kids(sm, sm->buf, (size_t)n, root);
		}
		closedir(d);
	}
}

/* Open descriptors: since Linux 6.2 the size of /proc/PID/fd is their
 * count (one stat); before, the directory is read. */
static int
sm_count_fds(int pid)
{
	char path[64];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof path, "/proc/%d/fd", pid);
	if (stat(path, &st) == 0 && st.st_size > 0)
		return (int)st.st_size;
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The slow-moving figures of one process, on its turn (one sample in
 * SAMPLER_SLOW, a different one for each pid, so that no sample reads
 * them all): open descriptors, and the I/O rates and bytes since its
 * last turn (the bytes into a; all of them for a process that began
 * since the last sample, fresh). */
static void
sm_turn(struct sampler *sm, struct sproc *p, int64_t now_ms, struct sacc *a,
    bool fresh)
{
	char path[64];
	struct procfs_io io;
	ssize_t n;

	p->fds = sm_count_fds(p->pid);
	if (p->fd_io < 0) {
		snprintf(path, sizeof path, "/proc/%d/io", p->pid);
		p->fd_io = sm_open(path);
	}
	if (p->fd_io >= 0 && (n = sm_pread(sm, p->fd_io)) > 0 &&
	    procfs_parse_io(sm->buf, (size_t)n, &io) == 0) {
		if (p->io_ms > 0) {
			p->rd_bps = metrics_rate(p->rd, io.read_bytes,
			    now_ms - p->io_ms);
			p->wr_bps = metrics_rate(p->wr, io.write_bytes,
			    now_ms - p->io_ms);
		}
		a->rd_bytes += metrics_io_delta(p->io_ms > 0, p->rd,
		    io.read_bytes, fresh);
		a->wr_bytes += metrics_io_delta(p->io_ms > 0, p->wr,
		    io.write_bytes, fresh);
		p->rd = io.read_bytes;
		p->wr = io.write_bytes;
		p->io_ms = now_ms;
	}
}

/* Run the work list: each process once, its children after it. */
static void
sm_walk(struct sampler *sm, int64_t now_ms)
{
	while (sm->nwork > 0) {
		int pid = sm->work_pid[--sm->nwork];
		int root = sm->work_root[sm->nwork];
		struct sm_svc *e = sm_root_svc(sm, root);
		struct procfs_stat st;
		struct sproc *p;
		struct sacc *a;
		size_t at;
		bool known, turn;

		if (e == NULL || pid <= 0 || !sm_seen_add(sm, pid))
			continue;
		at = sm_take(sm, pid, root);
		p = &sm->next[at];
		known = p->start != UINT64_MAX;
		if (sm_stat(sm, p, &st) < 0) {
			sm_drop_last(sm);	/* gone */
			continue;
		}
		a = &e->acc;
		a->ticks += metrics_tick_delta(known, p->start, p->ticks,
		    st.starttime, st.utime + st.stime, sm->prev_boot_ticks);
		if (known && p->start != st.starttime) {
			/* the pid was reused: another process */
			p->io_ms = 0;
			p->rd_bps = p->wr_bps = 0;
			p->fds = -1;
		}
		p->start = st.starttime;
		p->ticks = st.utime + st.stime;
		a->rss_pages += st.rss_pages > 0 ? st.rss_pages : 0;
		a->threads += (int)st.num_threads;
		a->procs++;
		turn = !known ||
		    ((unsigned)pid + sm->nsamples) % SAMPLER_SLOW == 0;
		if (turn)
			sm_turn(sm, p, now_ms, a,
			    st.starttime >= sm->prev_boot_ticks);
		if (p->fds >= 0) {
			a->fds += p->fds;
			a->fds_known = true;
		}
		a->rd_bps += p->rd_bps;
		a->wr_bps += p->wr_bps;
		sm_children(sm, p, st.num_threads, turn, root);
	}
}

/* Orphans prodd subreaped: attributed by their session (a service's
 * session is its main pid). */
static void
sm_orphans(struct sampler *sm)
{
	size_t n;
	int *kids = reaper_children(&n);

	for (size_t i = 0; i < n; i++) {
		struct procfs_stat st;
		char path[64], b[1024];
		int fd;
		ssize_t r;

		if (sm_root_svc(sm, kids[i]) != NULL)
			continue;	/* a main process */
		snprintf(path, sizeof path, "/proc/%d/stat", kids[i]);
		if ((fd = sm_open(path)) < 0)
			continue;
		r = read(fd, b, sizeof b);
		close(fd);
		if (r > 0 && procfs_parse_stat(b, (size_t)r, &st) == 0 &&
		    sm_root_svc(sm, st.session) != NULL)
			sm_work(sm, kids[i], st.session);
	}
	free(kids);
}

/* the services, and their metrics */

static int
sm_cmp_name(const void *a, const void *b)
{
	const struct sm_svc *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* The service called name, or NULL (from the last rebuild of byname). */
static struct sm_svc *
sm_svc_find(const struct sampler *sm, const char *name)
{
	struct sm_svc key = { .name = (char *)name }, *k = &key, **at;

	if (sm->nbyname == 0)
		return NULL;
	at = bsearch(&k, sm->byname, sm->nbyname, sizeof *sm->byname,
	    sm_cmp_name);
	return at != NULL ? *at : NULL;
}

static void
sm_svc_free(struct sm_svc *e)
{
	metrics_svc_free(&e->m);
	free(e->name);
	free(e);
}

/* Ask the hooks for the services of this sample: reuse each one's entry
 * (by its place when that did not change, else by name), add the new,
 * drop those no longer named, and map each main pid to its service. */
static void
sm_roots(struct sampler *sm)
{
	size_t n = sm->hooks.count != NULL ? sm->hooks.count(sm->hooks.arg) : 0;
	bool changed = false;
	struct sm_svc *e, *t;

	sm->round++;
	if (n > sm->capat) {
		sm->capat = n;
		sm->at = xreallocarray(sm->at, n, sizeof *sm->at);
	}
	pidmap_clear(&sm->roots, n);
	for (size_t i = 0; i < n; i++) {
		struct sampler_root r = { .name = "" };

		sm->hooks.root(sm->hooks.arg, i, &r);
		e = i < sm->nat && strcmp(sm->at[i]->name, r.name) == 0 ?
		    sm->at[i] : sm_svc_find(sm, r.name);
		if (e == NULL || e->round == sm->round) {
			e = xcalloc(1, sizeof *e);
			e->name = xstrdup(r.name);
			metrics_svc_init(&e->m, sm->history);
			TAILQ_INSERT_TAIL(&sm->svcs, e, link);
			sm->nsvcs++;
			changed = true;
		}
		e->round = sm->round;
		e->pid = r.pid;
		e->memory_limit = r.memory_limit;
		memset(&e->acc, 0, sizeof e->acc);
		sm->at[i] = e;
		if (r.pid > 0)
			pidmap_put(&sm->roots, r.pid, e);
	}
	sm->nat = n;
	/* (glibc's queue.h has no _FOREACH_SAFE) */
	for (e = TAILQ_FIRST(&sm->svcs); sm->nsvcs > n && e != NULL; e = t) {
		t = TAILQ_NEXT(e, link);
		if (e->round != sm->round) {
			TAILQ_REMOVE(&sm->svcs, e, link);
			sm->nsvcs--;
			sm_svc_free(e);
			changed = true;
		}
	}
	if (changed) {
		size_t k = 0;

		sm->byname = xreallocarray(sm->byname, sm->nsvcs + 1,
		    sizeof *sm->byname);
		TAILQ_FOREACH(e, &sm->svcs, link)
			sm->byname[k++] = e;
		sm->nbyname = k;
		qsort(sm->byname, k, sizeof *sm->byname, sm_cmp_name);
	}
}

void
sm_services(struct sampler *sm, int64_t dt_ms, int64_t now_ms)
{
	sm_roots(sm);

	/* the work: main processes, then what the last sample found */
	pidmap_clear(&sm->seen, sm->nprocs + sm->roots.n);
	sm->nnext = 0;
	sm->nwork = 0;
	for (size_t i = 0; i < sm->nprocs; i++)
		if (sm_root_svc(sm, sm->procs[i].root) != NULL)
			sm_work(sm, sm->procs[i].pid, sm->procs[i].root);
	for (size_t i = 0; i < sm->nat; i++)
		if (sm->at[i]->pid > 0)
			sm_work(sm, sm->at[i]->pid, sm->at[i]->pid);
	sm_walk(sm, now_ms);
	/* orphans that were never seen under their service: now and then */
	if (sm->nsamples % SAMPLER_SLOW == 0) {
		sm_orphans(sm);
		sm_walk(sm, now_ms);
	}
	/* what was not found again is gone */
	for (size_t i = 0; i < sm->nprocs; i++)
		if (sm->procs[i].fd_stat != -2) {
			sm_close(&sm->procs[i].fd_stat);
			sm_close(&sm->procs[i].fd_kids);
			sm_close(&sm->procs[i].fd_io);
		}
	{
		struct sproc *t = sm->procs;
		size_t cap = sm->capprocs;

		sm->procs = sm->next;
		sm->capprocs = sm->capnext;
		sm->nprocs = sm->nnext;
		sm->next = t;
		sm->capnext = cap;
		sm->nnext = 0;
	}
	if (sm->nprocs > 1)
		qsort(sm->procs, sm->nprocs, sizeof *sm->procs, sm_cmp_proc);

	/* the results */
	for (size_t i = 0; i < sm->nat; i++) {
		struct sm_svc *e = sm->at[i];
		struct metrics_svc *m = &e->m;
		const struct sacc *a = &e->acc;
		char why[160];

		if (e->pid <= 0 || a->procs == 0) {
			metrics_svc_clear(m);
			mring_push(&m->cpu, 0);
			mring_push(&m->mem, 0);
			continue;
		}
		m->cpu_percent = dt_ms > 0 ? (double)a->ticks * 100000.0 /
		    (double)sm->clk_tck / (double)dt_ms : 0;
		metrics_svc_add(m, a->ticks, sm->clk_tck, a->rd_bytes,
		    a->wr_bytes);
		m->rss = a->rss_pages * sm->page_size;
		m->procs = a->procs;
		m->threads = a->threads;
		m->fds = a->fds_known ? a->fds : -1;
		m->read_bps = a->rd_bps;
		m->write_bps = a->wr_bps;
		m->valid = true;
		mring_push(&m->cpu, (float)m->cpu_percent);
		mring_push(&m->mem, (float)m->rss);
		if (metrics_over_limit(&m->over_limit, m->rss,
		    e->memory_limit)) {
			snprintf(why, sizeof why, "RSS %lld MiB over its "
			    "memory_limit of %lld MiB for %d samples",
			    (long long)(m->rss >> 20),
			    (long long)(e->memory_limit >> 20),
			    METRICS_LIMIT_SAMPLES);
			m->over_limit = 0;
			if (sm->hooks.over_limit != NULL)
				sm->hooks.over_limit(sm->hooks.arg, e->name,
				    why);
		}
	}
}

const struct metrics_svc *
sampler_metrics(const struct sampler *sm, const char *name)
{
	static const struct metrics_svc none = { .fds = -1 };
	const struct sm_svc *e = sm != NULL ? sm_svc_find(sm, name) : NULL;

	return e != NULL ? &e->m : &none;
}

void
sampler_forget(struct sampler *sm, const char *name)
{
	struct sm_svc *e = sm != NULL ? sm_svc_find(sm, name) : NULL;

	if (e != NULL)
		metrics_svc_clear(&e->m);
}

/* Every service's metrics to the new sm->history. */
void
sm_tree_resize(struct sampler *sm)
{
	struct sm_svc *e;

	TAILQ_FOREACH(e, &sm->svcs, link) {
		mring_resize(&e->m.cpu, sm->history);
		mring_resize(&e->m.mem, sm->history);
	}
}

void
sm_tree_close(struct sampler *sm)
{
	for (size_t i = 0; i < sm->nprocs; i++) {
		sm_close(&sm->procs[i].fd_stat);
		sm_close(&sm->procs[i].fd_kids);
		sm_close(&sm->procs[i].fd_io);
	}
	free(sm->procs);
	free(sm->next);
	free(sm->work_pid);
	free(sm->work_root);
	pidmap_free(&sm->seen);
	while (!TAILQ_EMPTY(&sm->svcs)) {
		struct sm_svc *e = TAILQ_FIRST(&sm->svcs);

		TAILQ_REMOVE(&sm->svcs, e, link);
		sm_svc_free(e);
	}
	free(sm->at);
	free(sm->byname);
	pidmap_free(&sm->roots);
}
