/*
 * A map from process id to a pointer: open addressing with linear probing
 * and backward-shift deletion, so a lookup is a few probes whatever the
 * pids. The supervisor tells its services (and probes) from orphans with
 * one; the sampler finds a service by its main pid, and marks the
 * processes one sample has seen, with others. A zeroed struct is an empty
 * map. Not thread-safe.
 */
#ifndef PRODD_PIDMAP_H
#define PRODD_PIDMAP_H

#include <stddef.h>
#include <sys/types.h>

struct pidmap_entry {
	pid_t pid;			/* 0: a free slot */
	void *val;
};

struct pidmap {
	struct pidmap_entry *v;
	size_t cap, n;			/* cap: 0 or a power of two */
};

/* Map pid (> 0) to val (not NULL); returns the value it had, or NULL
 * when it was not there. */
void *pidmap_put(struct pidmap *m, pid_t pid, void *val);
/* The value of pid, or NULL (also for pid <= 0). */
void *pidmap_get(const struct pidmap *m, pid_t pid);
/* Forget pid (nothing when it is not there, or not > 0). */
void pidmap_del(struct pidmap *m, pid_t pid);
/* Empty the map, keeping room for expect pids without growing. */
void pidmap_clear(struct pidmap *m, size_t expect);
void pidmap_free(struct pidmap *m);

#endif
