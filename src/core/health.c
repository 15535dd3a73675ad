/*
 * Health-check decisions (see health.h). Pure.
 */
#include "prodd/health.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double health_bucket_le[HEALTH_NBUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

/* Count one check's latency in its bucket (the first bound >= it). */
static void
health_count_latency(struct health_state *h, double latency_ms)
{
	double s = latency_ms > 0 ? latency_ms / 1000.0 : 0;

	h->lat_sum_s += s;
	for (size_t i = 0; i < HEALTH_NBUCKETS; i++)
		if (s <= health_bucket_le[i]) {
			h->lat_bucket[i]++;
			return;
		}
}

void
health_init(struct health_state *h, const struct cfg_health *c)
{
	memset(h, 0, sizeof *h);
	h->status = c->kind == CFG_HEALTH_NONE ? HEALTH_NONE : HEALTH_UNKNOWN;
	h->last_latency_ms = -1;
}

void
health_free(struct health_state *h)
{
	free(h->hist);
	h->hist = NULL;
	h->nhist = h->hpos = 0;
}

void
health_begin(struct health_state *h, const struct cfg_health *c,
    int64_t now_ms, double phase)
{
	int64_t interval = c->interval_ms > 0 ? c->interval_ms : 1;
	int64_t first = interval < HEALTH_FIRST_SPREAD_MS ? interval :
	    HEALTH_FIRST_SPREAD_MS;

	if (phase < 0 || phase >= 1)
		phase = 0;
	if (c->kind == CFG_HEALTH_NONE) {
		h->status = HEALTH_NONE;
		return;
	}
	h->status = HEALTH_UNKNOWN;
	h->failures = 0;
	h->started_ms = now_ms;
	h->anchor_ms = now_ms + (int64_t)(phase * (double)interval);
	h->next_ms = now_ms + (int64_t)(phase * (double)first);
	h->last_late_ms = 0;
	/* the history, counters and last result stay: they describe the
	 * service, not only this process */
}

/* The first grid point strictly after t. */
static int64_t
health_grid_after(const struct health_state *h, int64_t interval, int64_t t)
{
	int64_t k;

	if (t < h->anchor_ms)
		return h->anchor_ms;
	k = (t - h->anchor_ms) / interval + 1;
	return h->anchor_ms + k * interval;
}

int64_t
health_started(struct health_state *h, const struct cfg_health *c,
    int64_t now_ms)
{
	int64_t interval = c->interval_ms > 0 ? c->interval_ms : 1;
	int64_t late = now_ms - h->next_ms;

	if (late < 0)
		late = 0;
	h->last_late_ms = late;
	/* a timer that fired a little early still runs the check due */
	h->next_ms = health_grid_after(h, interval, now_ms > h->next_ms ?
	    now_ms : h->next_ms);
	return late;
}

enum health_change
health_result(struct health_state *h, const struct cfg_health *c,
    int64_t now_ms, int64_t wall_ms, bool ok, double latency_ms,
    const char *error)
{
	struct health_sample *s;

	if (h->hist == NULL)	/* at the first check: most services have none */
		h->hist = xcalloc(HEALTH_HISTORY, sizeof *h->hist);
	s = &h->hist[h->hpos];
	s->at_ms = wall_ms;
	s->latency_ms = (float)latency_ms;
	s->ok = ok;
	h->hpos = (h->hpos + 1) % HEALTH_HISTORY;
	if (h->nhist < HEALTH_HISTORY)
		h->nhist++;
	h->checks++;
	health_count_latency(h, latency_ms);
	h->last_latency_ms = latency_ms;
	h->last_check_ms = wall_ms;
	if (ok) {
		h->last_error[0] = '\0';
		h->failures = 0;
		if (h->status == HEALTH_HEALTHY)
			return HEALTH_SAME;
		h->status = HEALTH_HEALTHY;
		return HEALTH_BECAME_HEALTHY;
	}
	h->failures_total++;
	snprintf(h->last_error, sizeof h->last_error, "%s",
	    error != NULL && error[0] != '\0' ? error : "failed");
	if (now_ms - h->started_ms < c->start_period_ms)
		return HEALTH_SAME;	/* still in its start period */
	if (h->failures < INT32_MAX)
		h->failures++;
	if (h->failures < (c->retries > 0 ? c->retries : 1) ||
	    h->status == HEALTH_UNHEALTHY)
		return HEALTH_SAME;
	h->status = HEALTH_UNHEALTHY;
	return HEALTH_BECAME_UNHEALTHY;
}

const struct health_sample *
health_sample_at(const struct health_state *h, size_t i)
{
	size_t oldest = (h->hpos + HEALTH_HISTORY - h->nhist) % HEALTH_HISTORY;

	return &h->hist[(oldest + i) % HEALTH_HISTORY];
}

const char *
health_status_name(enum health_status s)
{
	switch (s) {
	case HEALTH_NONE:
		return "none";
	case HEALTH_UNKNOWN:
		return "unknown";
	case HEALTH_HEALTHY:
		return "healthy";
	case HEALTH_UNHEALTHY:
		return "unhealthy";
	}
	return "unknown";
}

double
health_phase(const char *name)
{
	uint32_t x = 2166136261u;	/* FNV-1a, then a final mix */

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		x ^= *p;
		x *= 16777619u;
	}
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	return (double)x / 4294967296.0;
}
