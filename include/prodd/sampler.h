/*
 * The sampler (SPEC §4): every daemon.sample_interval it reads the host's
 * figures and each service's process tree from /proc, fills the metrics
 * of the host and of every service (metrics.h), and restarts a service
 * over its memory_limit for METRICS_LIMIT_SAMPLES samples in a row. It
 * also measures prodd itself: RSS, CPU and how late the sample timer fires
 * (the event loop's lag, measured on the timer prodd has anyway).
 *
 * A service's processes are found by walking children from its main
 * process (/proc/PID/task/TID/children), plus the orphans prodd subreaped
 * whose session is the service's: the cost grows with the processes prodd
 * supervises, never with the processes on the host. /proc/PID/stat and the
 * children list are kept open and re-read with pread; open fds and I/O
 * counters, which move slowly, are read for each process once in
 * SAMPLER_SLOW samples, each process on its own turn.
 *
 * The sampler is a leaf: it knows no supervisor. The services it walks
 * come through the roots hook (name, main pid, memory_limit), "over
 * memory_limit" goes back through over_limit, and it owns each service's
 * metrics, which the views read by name. Loop thread only.
 */
#ifndef PRODD_SAMPLER_H
#define PRODD_SAMPLER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "prodd/config.h"
#include "prodd/metrics.h"

#define SAMPLER_SLOW 20

struct sampler;

struct sampler_self {
	int64_t rss;			/* bytes */
	double cpu_percent;		/* over the last sample interval */
	double loop_lag_ms;		/* the last sample timer, how late */
	double loop_lag_max_ms;		/* the worst of the last 10 samples */
	double sample_cpu_us;		/* CPU of the last sample */
	double sample_cpu_us_median;	/* of the last 100 */
	uint64_t samples;
};

/* One service, as the sampler is told of it at each sample. */
struct sampler_root {
	const char *name;		/* copied: need not outlive the call */
	pid_t pid;			/* its main process; <= 0: not running */
	int64_t memory_limit;		/* bytes; 0: none */
};

struct sampler_hooks {
	/* how many services there are, and the i-th of them (i < count) */
	size_t (*count)(void *arg);
	void (*root)(void *arg, size_t i, struct sampler_root *out);
	/* name was over its memory_limit METRICS_LIMIT_SAMPLES samples in a
	 * row; why says by how much. May be NULL. */
	void (*over_limit)(void *arg, const char *name, const char *why);
	/* after each sample (the WebSocket's cue); may be NULL */
	void (*on_sample)(void *arg);
	void *arg;
};

struct sampler *sampler_new(uv_loop_t *loop, const struct sampler_hooks *h);
/* Apply daemon.sample_interval, history and disks (at start, at reload). */
void sampler_configure(struct sampler *sm, const struct cfg *cfg);
/* Take one sample now (the timer's work; also for benchmarks). */
void sampler_sample(struct sampler *sm);
void sampler_close(struct sampler *sm);

const struct metrics_host *sampler_host(const struct sampler *sm);
/* A service's metrics (latest values and history), by name: those of a
 * service not sampled yet (or of sm NULL) are empty. Valid until the next
 * sample or reconfiguration. */
const struct metrics_svc *sampler_metrics(const struct sampler *sm,
    const char *name);
/* The service's main process ended: its latest values go now, before the
 * next sample (the history stays). */
void sampler_forget(struct sampler *sm, const char *name);
void sampler_self(const struct sampler *sm, struct sampler_self *out);
int64_t sampler_interval_ms(const struct sampler *sm);

/* An upgrade (sampler-handover.c): the histories and the services'
 * counters into h; and, in the new prodd, after sampler_configure and
 * before the first sample, taken over from h. */
struct handover;
void sampler_handover_save(const struct sampler *sm, struct handover *h);
void sampler_handover_restore(struct sampler *sm, const struct handover *h);

#endif
