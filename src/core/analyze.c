/*
 * Where the start time went (see analyze.h). The critical chain is walked
 * back from the service that became ready last: each link is the
 * dependency the supervisor saw it wait for last (the one whose condition
 * was met last, which released it), as long as that dependency has a
 * start of its own that ended no later; a service that waited for
 * nothing ends the chain, its start was not held up by any other.
 */
#include "prodd/analyze.h"
#include "prodd/xmalloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int
analyze_find(const struct analyze_svc *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].name != NULL && strcmp(v[i].name, name) == 0)
			return (int)i;
	return -1;
}

void
analyze_run(const struct analyze_svc *v, size_t n, struct analyze_result *r)
{
	size_t cur;

	r->origin_ms = 0;
	r->end_ms = 0;
	r->last = -1;
	r->nchain = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].wanted_ms > 0 && (r->origin_ms == 0 ||
		    v[i].wanted_ms < r->origin_ms))
			r->origin_ms = v[i].wanted_ms;
		if (v[i].ready_ms > 0 && v[i].ready_ms >= r->end_ms) {
			/* equal times: the first in the file, like a tie
			 * anywhere else */
			if (v[i].ready_ms > r->end_ms || r->last < 0)
				r->last = (int)i;
			r->end_ms = v[i].ready_ms;
		}
	}
	if (r->last < 0)
		return;
	cur = (size_t)r->last;
	r->chain[r->nchain++] = cur;
	while (r->nchain < n) {
		const struct analyze_svc *s = &v[cur];
		int d;
		bool seen = false;

		if (s->waited_for == NULL || s->waited_for[0] == '\0')
			break;
		d = analyze_find(v, n, s->waited_for);
		if (d < 0 || v[d].ready_ms <= 0 || v[d].ready_ms > s->ready_ms)
			break;
		for (size_t k = 0; k < r->nchain; k++)
			seen |= r->chain[k] == (size_t)d;
		if (seen)
			break;
		cur = (size_t)d;
		r->chain[r->nchain++] = cur;
	}
}

/* The sort's input, for qsort's comparator. */
struct analyze_cmp {
	const struct analyze_svc *v;
	size_t i;
};

static int
analyze_cmp_time(int64_t a, int64_t b)
{
	if (a == b)
		return 0;
	if (a == 0)
		return 1;	/* not that far: after */
	if (b == 0)
		return -1;
	return a < b ? -1 : 1;
}

static int
analyze_cmp_cb(const void *pa, const void *pb)
{
	const struct analyze_cmp *a = pa, *b = pb;
	const struct analyze_svc *x = &a->v[a->i], *y = &b->v[b->i];
	int c;

	if ((c = analyze_cmp_time(x->wanted_ms, y->wanted_ms)) != 0 ||
	    (c = analyze_cmp_time(x->spawned_ms, y->spawned_ms)) != 0 ||
	    (c = analyze_cmp_time(x->ready_ms, y->ready_ms)) != 0)
		return c;
	if (x->name != NULL && y->name != NULL &&
	    (c = strcmp(x->name, y->name)) != 0)
		return c;
	return a->i < b->i ? -1 : a->i > b->i;
}

void
analyze_order(const struct analyze_svc *v, size_t n, size_t *order)
{
	struct analyze_cmp *t;

	if (n == 0)
		return;
	t = xcalloc(n, sizeof *t);
	for (size_t i = 0; i < n; i++)
		t[i] = (struct analyze_cmp){ v, i };
	qsort(t, n, sizeof *t, analyze_cmp_cb);
	for (size_t i = 0; i < n; i++)
		order[i] = t[i].i;
	free(t);
}
