/*
 * The sampler (see sampler.h).
 *
 * Each sample walks a work list: every service's main process, and every
 * process the last sample attributed to a service whose main process is
 * still the same (a process is attributed by the main process, the root,
 * it was found under). Each process's stat is read (CPU ticks, RSS,
 * threads), and its main thread's children (once in SAMPLER_KIDS) are
 * pushed with the same root. Once in SAMPLER_SLOW samples, on a turn of
 * its own, a process's open descriptors, I/O counters and the children of
 * all its threads are read; and every SAMPLER_SLOW samples prodd's own
 * children (orphans it subreaped, attributed by their session). Processes are kept
 * in an array sorted by pid from one sample to the next, with their
 * descriptors of /proc/PID/stat and /proc/PID/task/PID/children still
 * open (and /proc/PID/io); a process not found again is closed and
 * forgotten.
 */
#include "prodd/sampler.h"
#include "prodd/log.h"
#include "prodd/pidmap.h"
#include "prodd/procfs.h"
#include "prodd/reaper.h"
#include "prodd/xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SAMPLER_LAG_MS 100
#define SAMPLER_LAG_KEEP 10		/* the worst of the last second */
#define SAMPLER_COST_KEEP 100		/* samples whose cost is kept */
#define SAMPLER_KIDS 4			/* children lists: once in 4 samples */

struct sproc {
	int pid;
	int root;			/* the main pid it was found under */
	uint64_t start, ticks;
	uint64_t rd, wr;		/* I/O counters at the last turn */
	int64_t io_ms;			/* when they were read; 0: never */
	double rd_bps, wr_bps;		/* from the last two turns */
	int fds;			/* at the last turn; -1: not yet */
	int fd_stat, fd_kids, fd_io;	/* kept open; -1 */
};

struct sacc {			/* one service, during a sample */
	int64_t rss_pages;
	uint64_t ticks;
	double rd_bps, wr_bps;
	int procs, threads, fds;
	bool fds_known;
};

/* A service the hooks told of: its metrics are the sampler's. */
struct sm_svc {
	TAILQ_ENTRY(sm_svc) link;
	char *name;
	pid_t pid;			/* its main process at this sample */
	int64_t memory_limit;
	uint64_t round;			/* the last sample that named it */
	struct sacc acc;
	struct metrics_svc m;
};

TAILQ_HEAD(sm_svcs, sm_svc);

struct snet {
	char name[32];
	uint64_t rx, tx;
};

struct sampler {
	uv_loop_t *loop;
	struct sampler_hooks hooks;
	/* the services: every one known, by the hooks' index at this
	 * sample, sorted by name (for the views) and by main pid */
	struct sm_svcs svcs;
	size_t nsvcs;
	struct sm_svc **at, **byname;
	size_t nat, capat, nbyname;
	struct pidmap roots;
	uint64_t round;
	uv_timer_t timer, lag_timer;
	int handles, reqs;
	bool closing;
	int64_t interval_ms;
	uint32_t history;
	long clk_tck, page_size;
	/* the host */
	struct metrics_host host;
	int fd_stat, fd_meminfo, fd_loadavg, fd_uptime, fd_netdev, fd_disk;
	struct procfs_cpu cpu_prev, percpu_prev[METRICS_MAX_CPUS];
	uint64_t disk_rd_prev, disk_wr_prev;
	struct snet net_prev[METRICS_MAX_NETS];
	size_t nnet_prev;
	bool have_prev;
	char **blocks;			/* /sys/block: whole disks */
	size_t nblocks;
	char *disk_paths[METRICS_MAX_DISKS];
	bool statfs_busy[METRICS_MAX_DISKS];
	/* processes */
	struct sproc *procs, *next;	/* last sample's (by pid), this one's */
	size_t nprocs, capprocs, nnext, capnext;
	int *work_pid, *work_root;
	size_t nwork, capwork;
	struct pidmap seen;		/* this sample's processes */
	/* time */
	int64_t prev_mono_ms;
	uint64_t prev_boot_ticks;
	uint64_t nsamples;
	/* prodd itself */
	int fd_self;
	uint64_t self_ticks_prev;
	struct sampler_self self;
	uint64_t lag_expect_ns;
	double lag_hist[SAMPLER_LAG_KEEP];
	int lag_pos;
	double cost[SAMPLER_COST_KEEP];	/* CPU µs of the last samples */
	size_t ncost;
	/* a buffer for whole files */
	char *buf;
	size_t bufcap;
};

/* ------------------------------------------------------------------ */
/* reading */

/* The whole of fd (from offset 0) into sm->buf; its length, or -1. */
static ssize_t
sm_pread(struct sampler *sm, int fd)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = pread(fd, sm->buf + len, sm->bufcap - len,
		    (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		len += (size_t)n;
		if (n == 0 || len < sm->bufcap)
			return (ssize_t)len;
		if (sm->bufcap >= (8u << 20))
			return (ssize_t)len;	/* enough of anything */
		sm->bufcap *= 2;
		sm->buf = xrealloc(sm->buf, sm->bufcap);
	}
}

/* Open path and read it whole into sm->buf; length or -1. */
static ssize_t
sm_read_path(struct sampler *sm, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = sm_pread(sm, fd);
	close(fd);
	return n;
}

static int
sm_open(const char *path)
{
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void
sm_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int64_t
sm_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
sm_thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* ------------------------------------------------------------------ */
/* the host */

static void
sm_block_names(struct sampler *sm)
{
	static const char *const skip[] = { "loop", "ram", "zram", "dm-",
		"sr", "fd", "md", "nbd" };
	struct dirent *de;
	DIR *d = opendir("/sys/block");

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		bool bad = de->d_name[0] == '.';

		for (size_t i = 0; !bad && i < sizeof skip / sizeof *skip; i++)
			bad = strncmp(de->d_name, skip[i], strlen(skip[i])) == 0;
		if (bad)
			continue;
		sm->blocks = xreallocarray(sm->blocks, sm->nblocks + 1,
		    sizeof *sm->blocks);
		sm->blocks[sm->nblocks++] = xstrdup(de->d_name);
	}
	closedir(d);
}

static bool
sm_is_block(const struct sampler *sm, const char *name)
{
	for (size_t i = 0; i < sm->nblocks; i++)
		if (strcmp(sm->blocks[i], name) == 0)
			return true;
	return false;
}

static double
sm_pct(uint64_t part, uint64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0;
}

struct sm_statfs {
	uv_fs_t req;
	struct sampler *sm;
	size_t idx;
	char *path;
};

static void
sm_statfs_cb(uv_fs_t *req)
{
	struct sm_statfs *q = (struct sm_statfs *)req;
	struct sampler *sm = q->sm;
	size_t i = q->idx;

	sm->reqs--;
	/* the answer still fits the disk at its place (not reconfigured) */
	if (!sm->closing && i < sm->host.ndisks && sm->disk_paths[i] != NULL &&
	    strcmp(sm->disk_paths[i], q->path) == 0) {
		struct metrics_disk *d = &sm->host.disks[i];
		const uv_statfs_t *st = req->ptr;

		sm->statfs_busy[i] = false;
		d->ok = req->result == 0 && st != NULL;
		if (d->ok) {
			d->total = st->f_blocks * st->f_bsize;
			d->avail = st->f_bavail * st->f_bsize;
			d->used = (st->f_blocks - st->f_bfree) * st->f_bsize;
		}
	} else if (i < METRICS_MAX_DISKS) {
		sm->statfs_busy[i] = false;
	}
	uv_fs_req_cleanup(req);
	free(q->path);
	free(q);
	if (sm->closing && sm->handles == 0 && sm->reqs == 0)
		free(sm);
}

/* Disk usage through libuv's thread pool: a hung mount never blocks. */
static void
sm_disks(struct sampler *sm)
{
	for (size_t i = 0; i < sm->host.ndisks; i++) {
		struct sm_statfs *q;

		if (sm->statfs_busy[i])
			continue;
		q = xcalloc(1, sizeof *q);
		q->sm = sm;
		q->idx = i;
		q->path = xstrdup(sm->disk_paths[i]);
		if (uv_fs_statfs(sm->loop, &q->req, q->path,
		    sm_statfs_cb) != 0) {
			free(q->path);
			free(q);
			continue;
		}
		sm->statfs_busy[i] = true;
		sm->reqs++;
	}
	for (size_t i = 0; i < sm->host.ndisks; i++) {
		struct metrics_disk *d = &sm->host.disks[i];

		mring_push(&d->used_pct, (float)(d->ok ? sm_pct(d->used,
		    d->used + d->avail) : 0));
	}
}

static void
sm_host(struct sampler *sm, int64_t dt_ms)
{
	struct metrics_host *h = &sm->host;
	struct procfs_cpu total, cpus[METRICS_MAX_CPUS];
	size_t ncpus = 0;
	ssize_t n;

	if (sm->fd_stat >= 0 && (n = sm_pread(sm, sm->fd_stat)) > 0 &&
	    procfs_parse_cpustat(sm->buf, (size_t)n, &total, cpus,
	    METRICS_MAX_CPUS, &ncpus) == 0) {
		if (ncpus > METRICS_MAX_CPUS)
			ncpus = METRICS_MAX_CPUS;
		if (sm->have_prev) {
			uint64_t b0 = procfs_cpu_busy(&sm->cpu_prev);
			uint64_t t0 = procfs_cpu_total(&sm->cpu_prev);
			uint64_t b1 = procfs_cpu_busy(&total);
			uint64_t t1 = procfs_cpu_total(&total);

			h->cpu_percent = b1 >= b0 && t1 > t0 ?
			    sm_pct(b1 - b0, t1 - t0) : 0;
			for (size_t i = 0; i < ncpus; i++) {
				b0 = procfs_cpu_busy(&sm->percpu_prev[i]);
				t0 = procfs_cpu_total(&sm->percpu_prev[i]);
				b1 = procfs_cpu_busy(&cpus[i]);
				t1 = procfs_cpu_total(&cpus[i]);
				h->cpus[i] = b1 >= b0 && t1 > t0 ?
				    sm_pct(b1 - b0, t1 - t0) : 0;
			}
		}
		for (size_t i = h->ncpus; i < ncpus; i++)
			mring_init(&h->percpu[i], h->history);
		if (ncpus > h->ncpus)
			h->ncpus = ncpus;
		sm->cpu_prev = total;
		memcpy(sm->percpu_prev, cpus, ncpus * sizeof *cpus);
	}
	if (sm->fd_meminfo >= 0 && (n = sm_pread(sm, sm->fd_meminfo)) > 0) {
		struct procfs_meminfo m;

		if (procfs_parse_meminfo(sm->buf, (size_t)n, &m) == 0) {
			h->mem_total = m.total;
			h->mem_available = m.available;
			h->mem_used = m.total > m.available ?
			    m.total - m.available : 0;
			h->swap_total = m.swap_total;
			h->swap_used = m.swap_total > m.swap_free ?
			    m.swap_total - m.swap_free : 0;
		}
	}
	if (sm->fd_loadavg >= 0 && (n = sm_pread(sm, sm->fd_loadavg)) > 0) {
		struct procfs_loadavg l;

		if (procfs_parse_loadavg(sm->buf, (size_t)n, &l) == 0) {
			h->load1 = l.load1;
			h->load5 = l.load5;
			h->load15 = l.load15;
		}
	}
	if (sm->fd_uptime >= 0 && (n = sm_pread(sm, sm->fd_uptime)) > 0)
		procfs_parse_uptime(sm->buf, (size_t)n, &h->uptime_s, NULL);
	if (sm->fd_netdev >= 0 && (n = sm_pread(sm, sm->fd_netdev)) > 0) {
		struct procfs_netdev nd[METRICS_MAX_NETS];
		size_t nn = procfs_parse_netdev(sm->buf, (size_t)n, nd,
		    METRICS_MAX_NETS);
		struct snet prev[METRICS_MAX_NETS];
		size_t nprev = sm->nnet_prev;

		if (nn > METRICS_MAX_NETS)
			nn = METRICS_MAX_NETS;
		memcpy(prev, sm->net_prev, sizeof prev);
		for (size_t i = 0; i < nn; i++) {
			struct metrics_net *mn = metrics_host_net(h, nd[i].name);

			if (mn == NULL)
				continue;
			mn->rx_bps = mn->tx_bps = 0;
			for (size_t j = 0; j < nprev && sm->have_prev; j++)
				if (strcmp(prev[j].name, nd[i].name) == 0) {
					mn->rx_bps = metrics_rate(prev[j].rx,
					    nd[i].rx_bytes, dt_ms);
					mn->tx_bps = metrics_rate(prev[j].tx,
					    nd[i].tx_bytes, dt_ms);
				}
			snprintf(sm->net_prev[i].name, sizeof sm->net_prev[i].name,
			    "%.31s", nd[i].name);
			sm->net_prev[i].rx = nd[i].rx_bytes;
			sm->net_prev[i].tx = nd[i].tx_bytes;
		}
		sm->nnet_prev = nn;
	}
	if (sm->fd_disk >= 0 && (n = sm_pread(sm, sm->fd_disk)) > 0) {
		struct procfs_disk *dk = xcalloc(256, sizeof *dk);
		size_t nd = procfs_parse_diskstats(sm->buf, (size_t)n, dk, 256);
		uint64_t rd = 0, wr = 0;

		if (nd > 256)
			nd = 256;
		for (size_t i = 0; i < nd; i++)
			if (sm_is_block(sm, dk[i].name)) {
				rd += dk[i].sectors_read * 512;
				wr += dk[i].sectors_written * 512;
			}
		if (sm->have_prev) {
			h->disk_read_bps = metrics_rate(sm->disk_rd_prev, rd,
			    dt_ms);
			h->disk_write_bps = metrics_rate(sm->disk_wr_prev, wr,
			    dt_ms);
		}
		sm->disk_rd_prev = rd;
		sm->disk_wr_prev = wr;
		free(dk);
	}
	sm_disks(sm);
	mring_push(&h->cpu, (float)h->cpu_percent);
	mring_push(&h->load, (float)h->load1);
	mring_push(&h->mem_used_h, (float)h->mem_used);
	mring_push(&h->swap_used_h, (float)h->swap_used);
	mring_push(&h->disk_read, (float)h->disk_read_bps);
	mring_push(&h->disk_write, (float)h->disk_write_bps);
	for (size_t i = 0; i < h->ncpus; i++)
		mring_push(&h->percpu[i], (float)h->cpus[i]);
	for (size_t i = 0; i < h->nnets; i++) {
		mring_push(&h->nets[i].rx, (float)h->nets[i].rx_bps);
		mring_push(&h->nets[i].tx, (float)h->nets[i].tx_bps);
	}
}

/* ------------------------------------------------------------------ */
/* processes */

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
 * them all): open descriptors and the I/O rates since its last turn. */
static void
sm_turn(struct sampler *sm, struct sproc *p, int64_t now_ms)
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
			sm_turn(sm, p, now_ms);
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

static void
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

/* ------------------------------------------------------------------ */
/* prodd itself, and the loop's lag */

static void
sm_self(struct sampler *sm, int64_t dt_ms)
{
	struct procfs_stat st;
	char b[1024];
	ssize_t n;

	if (sm->fd_self < 0)
		return;
	n = pread(sm->fd_self, b, sizeof b, 0);
	if (n <= 0 || procfs_parse_stat(b, (size_t)n, &st) != 0)
		return;
	if (sm->self_ticks_prev > 0 && dt_ms > 0)
		sm->self.cpu_percent = (double)(st.utime + st.stime -
		    sm->self_ticks_prev) * 100000.0 / (double)sm->clk_tck /
		    (double)dt_ms;
	sm->self_ticks_prev = st.utime + st.stime;
	sm->self.rss = st.rss_pages * sm->page_size;
}

/* A one-shot 100 ms timer, armed again at each firing: how late it fires
 * is how long the loop was busy elsewhere. */
static void
sm_lag_cb(uv_timer_t *t)
{
	struct sampler *sm = t->data;
	uint64_t now = uv_hrtime(), due = sm->lag_expect_ns;
	double lag, worst = 0;

	lag = now > due ? (double)(now - due) / 1e6 : 0;
	sm->self.loop_lag_ms = lag;
	sm->lag_hist[sm->lag_pos] = lag;
	sm->lag_pos = (sm->lag_pos + 1) % SAMPLER_LAG_KEEP;
	for (int i = 0; i < SAMPLER_LAG_KEEP; i++)
		if (sm->lag_hist[i] > worst)
			worst = sm->lag_hist[i];
	sm->self.loop_lag_max_ms = worst;
	sm->lag_expect_ns = now + (uint64_t)SAMPLER_LAG_MS * 1000000;
	uv_timer_start(t, sm_lag_cb, SAMPLER_LAG_MS, 0);
}

/* ------------------------------------------------------------------ */

static int
sm_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void
sampler_sample(struct sampler *sm)
{
	double c0 = sm_thread_cpu_us();
	int64_t now = sm_mono_ms();
	int64_t dt = sm->have_prev ? now - sm->prev_mono_ms : 0;

	sm_host(sm, dt);
	sm_services(sm, dt, now);
	sm_self(sm, dt);
	sm->host.ts_ms = clock_wall_ms();
	sm->prev_mono_ms = now;
	sm->prev_boot_ticks = (uint64_t)(sm->host.uptime_s *
	    (double)sm->clk_tck);
	sm->have_prev = true;
	sm->nsamples++;
	sm->self.samples = sm->nsamples;
	sm->self.sample_cpu_us = sm_thread_cpu_us() - c0;
	sm->cost[sm->ncost++ % SAMPLER_COST_KEEP] = sm->self.sample_cpu_us;
	{
		size_t n = sm->ncost < SAMPLER_COST_KEEP ? sm->ncost :
		    SAMPLER_COST_KEEP;
		double v[SAMPLER_COST_KEEP];

		memcpy(v, sm->cost, n * sizeof *v);
		qsort(v, n, sizeof *v, sm_cmp_double);
		sm->self.sample_cpu_us_median = n % 2 ? v[n / 2] :
		    (v[n / 2 - 1] + v[n / 2]) / 2;
	}
	if (sm->hooks.on_sample != NULL)
		sm->hooks.on_sample(sm->hooks.arg);
}

static void
sm_timer_cb(uv_timer_t *t)
{
	sampler_sample(t->data);
}

struct sampler *
sampler_new(uv_loop_t *loop, const struct sampler_hooks *h)
{
	struct sampler *sm = xcalloc(1, sizeof *sm);
	double up = 0;
	ssize_t n;

	sm->loop = loop;
	sm->hooks = *h;
	TAILQ_INIT(&sm->svcs);
	sm->clk_tck = sysconf(_SC_CLK_TCK);
	sm->page_size = sysconf(_SC_PAGESIZE);
	if (sm->clk_tck <= 0)
		sm->clk_tck = 100;
	if (sm->page_size <= 0)
		sm->page_size = 4096;
	sm->bufcap = 64 * 1024;
	sm->buf = xmalloc(sm->bufcap);
	sm->fd_stat = sm_open("/proc/stat");
	sm->fd_meminfo = sm_open("/proc/meminfo");
	sm->fd_loadavg = sm_open("/proc/loadavg");
	sm->fd_uptime = sm_open("/proc/uptime");
	sm->fd_netdev = sm_open("/proc/net/dev");
	sm->fd_disk = sm_open("/proc/diskstats");
	sm->fd_self = sm_open("/proc/self/stat");
	sm_block_names(sm);
	/* processes started from now on count all their CPU */
	if (sm->fd_uptime >= 0 && (n = sm_pread(sm, sm->fd_uptime)) > 0 &&
	    procfs_parse_uptime(sm->buf, (size_t)n, &up, NULL) == 0)
		sm->prev_boot_ticks = (uint64_t)(up * (double)sm->clk_tck);
	sm->prev_mono_ms = sm_mono_ms();
	metrics_host_init(&sm->host, 600);
	uv_timer_init(loop, &sm->timer);
	uv_timer_init(loop, &sm->lag_timer);
	sm->timer.data = sm->lag_timer.data = sm;
	sm->handles = 2;
	sm->lag_expect_ns = uv_hrtime() + (uint64_t)SAMPLER_LAG_MS * 1000000;
	uv_timer_start(&sm->lag_timer, sm_lag_cb, SAMPLER_LAG_MS, 0);
	return sm;
}

void
sampler_configure(struct sampler *sm, const struct cfg *cfg)
{
	const struct cfg_daemon *d = &cfg->daemon;
	size_t nd = d->disks.n;

	if (sm->history != (uint32_t)d->history) {
		struct sm_svc *e;

		sm->history = (uint32_t)d->history;
		TAILQ_FOREACH(e, &sm->svcs, link) {
			mring_resize(&e->m.cpu, sm->history);
			mring_resize(&e->m.mem, sm->history);
		}
	}
	metrics_host_resize(&sm->host, sm->history);
	/* the disks: kept by position when the list is the same */
	if (nd > METRICS_MAX_DISKS)
		nd = METRICS_MAX_DISKS;
	for (size_t i = 0; i < nd; i++) {
		const char *path = d->disks.v[i];
		struct metrics_disk *md = &sm->host.disks[i];

		if (i < sm->host.ndisks && sm->disk_paths[i] != NULL &&
		    strcmp(sm->disk_paths[i], path) == 0)
			continue;
		if (i < sm->host.ndisks)
			mring_free(&md->used_pct);
		free(sm->disk_paths[i]);
		sm->disk_paths[i] = xstrdup(path);
		memset(md, 0, sizeof *md);
		snprintf(md->path, sizeof md->path, "%s", path);
		mring_init(&md->used_pct, sm->history);
	}
	for (size_t i = nd; i < sm->host.ndisks; i++) {
		mring_free(&sm->host.disks[i].used_pct);
		free(sm->disk_paths[i]);
		sm->disk_paths[i] = NULL;
	}
	sm->host.ndisks = nd;
	if (sm->interval_ms != d->sample_interval_ms) {
		sm->interval_ms = d->sample_interval_ms;
		uv_timer_start(&sm->timer, sm_timer_cb,
		    (uint64_t)sm->interval_ms, (uint64_t)sm->interval_ms);
	}
}

static void
sm_closed(uv_handle_t *h)
{
	struct sampler *sm = h->data;

	if (--sm->handles == 0 && sm->reqs == 0)
		free(sm);
}

void
sampler_close(struct sampler *sm)
{
	if (sm == NULL)
		return;
	sm->closing = true;
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
	free(sm->buf);
	for (size_t i = 0; i < sm->nblocks; i++)
		free(sm->blocks[i]);
	free(sm->blocks);
	for (size_t i = 0; i < METRICS_MAX_DISKS; i++)
		free(sm->disk_paths[i]);
	metrics_host_free(&sm->host);
	sm_close(&sm->fd_stat);
	sm_close(&sm->fd_meminfo);
	sm_close(&sm->fd_loadavg);
	sm_close(&sm->fd_uptime);
	sm_close(&sm->fd_netdev);
	sm_close(&sm->fd_disk);
	sm_close(&sm->fd_self);
	uv_close((uv_handle_t *)&sm->timer, sm_closed);
	uv_close((uv_handle_t *)&sm->lag_timer, sm_closed);
}

const struct metrics_host *
sampler_host(const struct sampler *sm)
{
	return &sm->host;
}

void
sampler_self(const struct sampler *sm, struct sampler_self *out)
{
	*out = sm->self;
}

int64_t
sampler_interval_ms(const struct sampler *sm)
{
	return sm->interval_ms;
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
