/*
 * Metrics (SPEC §4) as numbers: history rings of 16-bit floats, rates from
 * counters that may reset, the CPU a process used between two samples
 * when processes come and go, the memory_limit rule, and the latest values
 * of the host and of each service. The shell (sampler.c) reads /proc and
 * fills these; view.c renders them. Pure.
 */
#ifndef PRODD_METRICS_H
#define PRODD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The newest cap values of a series (each >= 0), oldest first through
 * mring_at, kept in 16 bits each: within 0.05 % of what was pushed. */
struct mring {
	uint16_t *v;			/* mring_encode'd */
	uint32_t cap, n, head;		/* head: the next slot */
};

/* x >= 0 in 16 bits and back: relative error <= 2^-11; below 2^-14
 * (and anything negative or NaN) is 0; from about 2^49 (5.6e14) up, the
 * largest code. */
uint16_t mring_encode(float x);
float mring_decode(uint16_t c);

void mring_init(struct mring *r, uint32_t cap);
void mring_free(struct mring *r);
void mring_push(struct mring *r, float x);
float mring_at(const struct mring *r, uint32_t i);
/* A new capacity, keeping the newest values. */
void mring_resize(struct mring *r, uint32_t cap);

/* Per second, from a counter read dt_ms apart: 0 when it went backwards
 * (a reset, a new process) or no time passed. Never negative. */
double metrics_rate(uint64_t prev, uint64_t cur, int64_t dt_ms);

/*
 * The CPU ticks a process used since the last sample. known: it was seen
 * then, with prev_start and prev_ticks. A process seen for the first time
 * counts all its ticks only if it started after the last sample
 * (last_boot_ticks, in ticks after boot); otherwise (prodd just started,
 * or it was missed) it counts nothing rather than years of CPU at once. A
 * pid reused by another process (another start time) is a new process.
 */
uint64_t metrics_tick_delta(bool known, uint64_t prev_start,
    uint64_t prev_ticks, uint64_t start, uint64_t ticks,
    uint64_t last_boot_ticks);

/* How many samples in a row over memory_limit make a restart. */
#define METRICS_LIMIT_SAMPLES 2
/* Update the streak of samples over limit (0: no limit); true when this
 * sample completes METRICS_LIMIT_SAMPLES in a row. */
bool metrics_over_limit(int *streak, int64_t rss, int64_t limit);

/* The latest of one service, summed over its process tree. */
struct metrics_svc {
	double cpu_percent;		/* 100 = one core */
	int64_t rss;			/* bytes */
	double read_bps, write_bps;
	int procs, threads, fds;	/* fds: -1 until counted */
	int over_limit;			/* the streak */
	bool valid;			/* sampled at least once since spawn */
	struct mring cpu, mem;		/* history: cpu %, rss bytes */
	/* counters of the service, not of a process: each sample adds its
	 * increase, so they never go down, across restarts too (clear
	 * keeps them) */
	uint64_t cpu_ticks_total;
	double cpu_seconds_total;	/* the ticks, in seconds */
	uint64_t io_read_total, io_write_total;	/* bytes */
};

void metrics_svc_init(struct metrics_svc *m, uint32_t history);
void metrics_svc_free(struct metrics_svc *m);
/* The process is gone: no latest values (the history and the counters
 * stay). */
void metrics_svc_clear(struct metrics_svc *m);
/* One sample's increase of the service's counters: ticks of CPU (at
 * clk_tck a second) and bytes read and written. */
void metrics_svc_add(struct metrics_svc *m, uint64_t ticks, long clk_tck,
    uint64_t read_bytes, uint64_t write_bytes);
/*
 * The increase of a process's I/O counter since its last reading:
 * known, it was read before (prev); otherwise all of cur when the process
 * began since the last sample (fresh), else nothing (like
 * metrics_tick_delta: a process found late never adds its past at once).
 * A counter that went back adds 0.
 */
uint64_t metrics_io_delta(bool known, uint64_t prev, uint64_t cur,
    bool fresh);

#define METRICS_MAX_CPUS 256
#define METRICS_MAX_NETS 32
#define METRICS_MAX_DISKS 16

struct metrics_net {
	char name[32];
	double rx_bps, tx_bps;
	struct mring rx, tx;
};

struct metrics_disk {
	char path[256];
	bool ok;			/* statvfs worked */
	uint64_t total, used, avail;	/* bytes */
	struct mring used_pct;
};

struct metrics_host {
	int64_t ts_ms;			/* wall clock of the latest sample; 0 */
	uint32_t history;
	double cpu_percent;		/* busy, all cores (100 = all) */
	size_t ncpus;
	double cpus[METRICS_MAX_CPUS];	/* busy % per core */
	double load1, load5, load15;
	uint64_t mem_total, mem_available, mem_used;
	uint64_t swap_total, swap_used;
	double disk_read_bps, disk_write_bps;
	double uptime_s;
	size_t nnets, ndisks;
	struct metrics_net nets[METRICS_MAX_NETS];
	struct metrics_disk disks[METRICS_MAX_DISKS];
	struct mring cpu, load, mem_used_h, swap_used_h, disk_read, disk_write;
	struct mring percpu[METRICS_MAX_CPUS];
};

void metrics_host_init(struct metrics_host *h, uint32_t history);
void metrics_host_free(struct metrics_host *h);
void metrics_host_resize(struct metrics_host *h, uint32_t history);
/* The entry of interface name, made when new (NULL when full). */
struct metrics_net *metrics_host_net(struct metrics_host *h,
    const char *name);

#endif
