/*
 * The pid map (see pidmap.h). The table is kept at most half full; a
 * deletion shifts the entries after it back into place, so no tombstones
 * pile up in a map whose pids come and go all day.
 */
#include "prodd/pidmap.h"
#include "prodd/xmalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Fibonacci hashing: the high bits of the product, which every bit of
 * the pid moves (cap is a power of two, at least 64) */
static size_t
pidmap_slot(const struct pidmap *m, pid_t pid)
{
	return (size_t)(((uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ull) >>
	    (64 - __builtin_ctzll((unsigned long long)m->cap)));
}

static void
pidmap_rehash(struct pidmap *m, size_t cap)
{
	struct pidmap old = *m;

	m->cap = cap;
	m->v = xcalloc(m->cap, sizeof *m->v);
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.v[i].pid > 0)
			pidmap_put(m, old.v[i].pid, old.v[i].val);
	free(old.v);
}

void *
pidmap_put(struct pidmap *m, pid_t pid, void *val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		pidmap_rehash(m, m->cap ? m->cap * 2 : 64);
	for (i = pidmap_slot(m, pid); m->v[i].pid != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->v[i].pid == pid) {
			void *was = m->v[i].val;

			m->v[i].val = val;
			return was;
		}
	m->v[i].pid = pid;
	m->v[i].val = val;
	m->n++;
	return NULL;
}

void *
pidmap_get(const struct pidmap *m, pid_t pid)
{
	if (m->cap == 0 || pid <= 0)
		return NULL;
	for (size_t i = pidmap_slot(m, pid); m->v[i].pid != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->v[i].pid == pid)
			return m->v[i].val;
	return NULL;
}

void
pidmap_del(struct pidmap *m, pid_t pid)
{
	size_t i, j;

	if (m->cap == 0 || pid <= 0)	/* 0 marks a free slot */
		return;
	for (i = pidmap_slot(m, pid); m->v[i].pid != pid;
	    i = (i + 1) & (m->cap - 1))
		if (m->v[i].pid == 0)
			return;
	/* backward-shift deletion keeps every probe chain unbroken */
	m->v[i].pid = 0;
	m->n--;
	for (j = (i + 1) & (m->cap - 1); m->v[j].pid != 0;
	    j = (j + 1) & (m->cap - 1)) {
		struct pidmap_entry e = m->v[j];

		m->v[j].pid = 0;
		m->n--;
		pidmap_put(m, e.pid, e.val);
	}
}

void
pidmap_clear(struct pidmap *m, size_t expect)
{
	size_t cap = m->cap ? m->cap : 64;

	while (cap < expect * 2 + 16)
		cap *= 2;
	if (cap > m->cap) {
		free(m->v);
		m->v = xcalloc(cap, sizeof *m->v);
		m->cap = cap;
	} else if (m->n > 0) {
		memset(m->v, 0, m->cap * sizeof *m->v);
	}
	m->n = 0;
}

void
pidmap_free(struct pidmap *m)
{
	free(m->v);
	memset(m, 0, sizeof *m);
}
