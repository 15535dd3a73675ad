/*
 * The sampler's insides, shared by its three files and by nothing else:
 * sampler.c (the timer, the loop's lag, prodd's own figures, the reading
 * of /proc files and the wiring), sampler-host.c (the host's figures) and
 * sampler-tree.c (each service's process tree, and the metrics the
 * sampler keeps for every service). Loop thread only.
 */
#ifndef PRODD_SAMPLER_INT_H
#define PRODD_SAMPLER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <uv.h>

#include "prodd/config.h"
#include "prodd/metrics.h"
#include "prodd/pidmap.h"
#include "prodd/procfs.h"
#include "prodd/sampler.h"

#define SAMPLER_LAG_KEEP 10		/* loop_lag_max_ms: the last 10 samples */
/* Disk usage (statvfs) is read once in SAMPLER_DISK_EVERY samples, or once
 * in SAMPLER_DISK_MIN_MS if that is longer: it moves slowly, and each read
 * on the thread pool wakes the loop once more. */
#define SAMPLER_DISK_EVERY 10
#define SAMPLER_DISK_MIN_MS 10000
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
	uint64_t rd_bytes, wr_bytes;	/* read and written since last time */
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
	uv_timer_t timer;
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
	uint64_t disk_wait;		/* samples until the disks are read */
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
	uint64_t lag_due_ns;		/* the sample timer's due time; 0 */
	double lag_hist[SAMPLER_LAG_KEEP];
	int lag_pos;
	double cost[SAMPLER_COST_KEEP];	/* CPU µs of the last samples */
	size_t ncost;
	/* a buffer for whole files */
	char *buf;
	size_t bufcap;
};

/* sampler.c: reading /proc */
/* The whole of fd (from offset 0) into sm->buf; its length, or -1. */
ssize_t sm_pread(struct sampler *sm, int fd);
/* Open path and read it whole into sm->buf; length or -1. */
ssize_t sm_read_path(struct sampler *sm, const char *path);
int sm_open(const char *path);
void sm_close(int *fd);

/* sampler-host.c */
void sm_block_names(struct sampler *sm);
void sm_host(struct sampler *sm, int64_t dt_ms);
void sm_host_configure(struct sampler *sm, const struct cfg_daemon *d);
void sm_host_close(struct sampler *sm);

/* sampler-tree.c */
void sm_services(struct sampler *sm, int64_t dt_ms, int64_t now_ms);
void sm_tree_resize(struct sampler *sm);
void sm_tree_close(struct sampler *sm);

#endif
