/*
 * The health checks of one service (SPEC §2-3), as decisions only: when
 * the next check is due, and what a check's result does to the service's
 * health. The shell (probe.c, supervisor.c) runs the checks and the
 * timers; this file never reads a clock or touches the system. Pure.
 *
 * Schedule: checks run on a fixed grid, anchor + k * interval, so a late
 * check does not push the next ones back; the anchor is the spawn time
 * plus phase * interval (phase in [0, 1), different per service), which
 * spreads the checks of many services over the interval instead of having
 * them all due at once. The first check comes early: phase * min(interval,
 * HEALTH_FIRST_SPREAD_MS) after the spawn.
 *
 * Meaning: a success makes the service healthy at once (at any time); a
 * failure counts only after start_period; retries consecutive counted
 * failures make it unhealthy. Only those two changes are reported, never
 * a check that changes nothing.
 */
#ifndef PRODD_HEALTH_H
#define PRODD_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prodd/config.h"

#define HEALTH_HISTORY 32		/* checks kept per service */
#define HEALTH_FIRST_SPREAD_MS 500	/* the first check, at most this late */
#define HEALTH_ERROR_MAX 96
/* The upper bounds of the check-latency histogram, in seconds (a last,
 * implicit bucket is +Inf): from 1 ms, a local tcp connect, to 10 s, a
 * slow url check near any sane timeout. */
#define HEALTH_NBUCKETS 13
extern const double health_bucket_le[HEALTH_NBUCKETS];

enum health_status { HEALTH_NONE, HEALTH_UNKNOWN, HEALTH_HEALTHY,
	HEALTH_UNHEALTHY };
enum health_change { HEALTH_SAME, HEALTH_BECAME_HEALTHY,
	HEALTH_BECAME_UNHEALTHY };

/* One finished check. */
struct health_sample {
	int64_t at_ms;			/* wall clock, when it ended */
	float latency_ms;
	bool ok;
};

struct health_state {
	enum health_status status;
	int64_t started_ms;		/* monotonic: the spawn checked */
	int64_t anchor_ms;		/* monotonic: the grid's origin */
	int64_t next_ms;		/* monotonic: the next check is due */
	int failures;			/* consecutive failures that count */
	uint64_t checks, failures_total;
	/* every check's latency: how many fell in each bucket (not
	 * cumulative; over the last bound: checks minus their sum), and the
	 * sum in seconds */
	uint64_t lat_bucket[HEALTH_NBUCKETS];
	double lat_sum_s;
	double last_latency_ms;		/* < 0: none yet */
	int64_t last_check_ms;		/* wall clock; 0: none yet */
	int64_t last_late_ms;		/* how late the last check started */
	char last_error[HEALTH_ERROR_MAX];	/* "" when it passed */
	struct health_sample *hist;	/* a ring of HEALTH_HISTORY, made at
					 * the first result */
	size_t nhist, hpos;		/* kept, and the next slot */
};

/* No process yet: status none (no check configured) or unknown. */
void health_init(struct health_state *h, const struct cfg_health *c);
/* What health_result allocated. */
void health_free(struct health_state *h);
/* A new process was spawned at now_ms (monotonic): unknown, no counted
 * failures, the first check due soon. phase in [0, 1). */
void health_begin(struct health_state *h, const struct cfg_health *c,
    int64_t now_ms, double phase);
/* A check starts at now_ms: records how late it is against the grid and
 * moves next_ms to the first grid point after now_ms. Returns the
 * lateness in ms (>= 0). */
int64_t health_started(struct health_state *h, const struct cfg_health *c,
    int64_t now_ms);
/* A check ended: ok, or failed with error ("timeout", "HTTP 500", ...).
 * now_ms is monotonic (for start_period), wall_ms is for the record. */
enum health_change health_result(struct health_state *h,
    const struct cfg_health *c, int64_t now_ms, int64_t wall_ms, bool ok,
    double latency_ms, const char *error);
/* The i-th kept sample, oldest first (i < h->nhist). */
const struct health_sample *health_sample_at(const struct health_state *h,
    size_t i);

const char *health_status_name(enum health_status s);
/* A stable number in [0, 1) from a name: the phase of its checks. */
double health_phase(const char *name);

#endif
