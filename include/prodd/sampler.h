/*
 * The sampler (SPEC §4): every daemon.sample_interval it reads the host's
 * figures and each service's process tree from /proc, fills the metrics
 * of the host and of every service (metrics.h), and restarts a service
 * over its memory_limit for METRICS_LIMIT_SAMPLES samples in a row. It
 * also measures prodd itself: RSS, CPU and how late a 100 ms timer fires
 * (the event loop's lag).
 *
 * A service's processes are found by walking children from its main
 * process (/proc/PID/task/TID/children), plus the orphans prodd subreaped
 * whose session is the service's: the cost grows with the processes prodd
 * supervises, never with the processes on the host. /proc/PID/stat and the
 * children list are kept open and re-read with pread; open fds and I/O
 * counters, which move slowly, are read for each process once in
 * SAMPLER_SLOW samples, each process on its own turn.
 */
#ifndef PRODD_SAMPLER_H
#define PRODD_SAMPLER_H

#include <stdint.h>
#include <uv.h>

#include "prodd/config.h"
#include "prodd/metrics.h"
#include "prodd/supervisor.h"

#define SAMPLER_SLOW 20

struct sampler;

struct sampler_self {
	int64_t rss;			/* bytes */
	double cpu_percent;		/* over the last sample interval */
	double loop_lag_ms;		/* the last 100 ms tick, how late */
	double loop_lag_max_ms;		/* the worst over the last second */
	double sample_cpu_us;		/* CPU of the last sample */
	double sample_cpu_us_median;	/* of the last 100 */
	uint64_t samples;
};

/* on_sample runs after each sample (the WebSocket's cue); may be NULL */
struct sampler *sampler_new(uv_loop_t *loop, struct supervisor *sup,
    void (*on_sample)(void *), void *arg);
/* Apply daemon.sample_interval, history and disks (at start, at reload). */
void sampler_configure(struct sampler *sm, const struct cfg *cfg);
/* Take one sample now (the timer's work; also for benchmarks). */
void sampler_sample(struct sampler *sm);
void sampler_close(struct sampler *sm);

const struct metrics_host *sampler_host(const struct sampler *sm);
void sampler_self(const struct sampler *sm, struct sampler_self *out);
int64_t sampler_interval_ms(const struct sampler *sm);

#endif
