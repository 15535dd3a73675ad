/*
 * The host's figures, from /proc files kept open: CPU (total and per
 * core), memory and swap, load, uptime, network bytes/s per interface,
 * disk bytes/s of whole disks (/sys/block), and the use of each of
 * daemon.disks (statvfs on libuv's thread pool, so a hung mount never
 * blocks the loop; once in SAMPLER_DISK_EVERY samples or
 * SAMPLER_DISK_MIN_MS, whichever is longer, since each answer wakes the
 * loop and disk usage moves slowly); each pushed into its history.
 */
#include "sampler-int.h"
#include "prodd/xmalloc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
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

/* Samples between two reads of disk usage, at this sample_interval. */
static uint64_t
sm_disk_every(const struct sampler *sm)
{
	uint64_t every = SAMPLER_DISK_EVERY;

	if (sm->interval_ms > 0 && (uint64_t)sm->interval_ms * every <
	    SAMPLER_DISK_MIN_MS)
		every = (SAMPLER_DISK_MIN_MS + (uint64_t)sm->interval_ms - 1) /
		    (uint64_t)sm->interval_ms;
	return every;
}

/* Disk usage through libuv's thread pool: a hung mount never blocks. Read
 * at the first sample, after a change of daemon.disks, and then once in
 * sm_disk_every samples; the history repeats the last answer between. */
static void
sm_disks(struct sampler *sm)
{
	bool read = sm->disk_wait == 0;

	if (read)
		sm->disk_wait = sm_disk_every(sm) - 1;
	else
		sm->disk_wait--;
	for (size_t i = 0; read && i < sm->host.ndisks; i++) {
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

void
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

/* The history and the disks of daemon: (at start, at reload). */
void
sm_host_configure(struct sampler *sm, const struct cfg_daemon *d)
{
	size_t nd = d->disks.n;

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
		sm->disk_wait = 0;	/* a new disk: read at the next sample */
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
}

void
sm_host_close(struct sampler *sm)
{
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
}
