/*
 * Where the start time went (SPEC §5 GET /api/analyze, §8 prodctl
 * analyze): from each service's last start -- when it was wanted, when
 * its dependencies were met, spawned, ready, and the dependency it waited
 * for last -- the span of the whole start and its critical chain: the
 * dependency path that made the last service to become ready ready last,
 * like systemd-analyze critical-chain. Pure.
 */
#ifndef PRODD_ANALYZE_H
#define PRODD_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

/* One service's last start (wall clock ms; 0: not that far). */
struct analyze_svc {
	const char *name;
	const char *state;		/* its state now */
	int64_t wanted_ms, deps_met_ms, spawned_ms, ready_ms;
	const char *waited_for;		/* NULL or "": waited for none */
};

struct analyze_result {
	int64_t origin_ms;		/* the earliest wanted; 0: none */
	int64_t end_ms;			/* the latest ready; 0: none */
	int last;			/* the service ready last; -1: none */
	/* the critical chain, the last service first, down to the one
	 * that waited for nothing; indexes into the input */
	size_t *chain;			/* room for n entries, the caller's */
	size_t nchain;
};

/* Analyse n services; r->chain must have room for n entries. */
void analyze_run(const struct analyze_svc *v, size_t n,
    struct analyze_result *r);

/* The order of the timeline: by wanted, then spawned, then ready, then
 * name; never-started services last. order gets n indexes. */
void analyze_order(const struct analyze_svc *v, size_t n, size_t *order);

#endif
