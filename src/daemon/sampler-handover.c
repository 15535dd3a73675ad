/*
 * The sampler's part of an upgrade (SPEC §9): the metric histories of the
 * host and of each service, and each service's counters that never go
 * down (CPU seconds, bytes read and written: /metrics), saved into the
 * hand-over and taken over by the new prodd's sampler before its first
 * sample. The rings travel as their 16-bit codes, so a history is the
 * same to the bit. The first sample after an upgrade finds every process
 * already running and adds nothing for it (as at any start): the
 * counters miss at most one interval, never count one twice.
 */
#include "sampler-int.h"
#include "prodd/handover.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The codes of r, oldest first (a new array of r->n). */
static uint16_t *
sm_codes(const struct mring *r)
{
	uint16_t *v = xcalloc(r->n + 1, sizeof *v);
	uint32_t oldest = r->cap > 0 ? (r->head + r->cap - r->n) % r->cap : 0;

	for (uint32_t i = 0; i < r->n; i++)
		v[i] = r->v[(oldest + i) % r->cap];
	return v;
}

static void
sm_save_series(struct handover *h, const char *name, const struct mring *r)
{
	uint16_t *v;

	if (r->v == NULL)
		return;
	v = sm_codes(r);
	handover_add_series(h, name, v, r->n);
	free(v);
}

static void
sm_save_ring(struct ho_series *s, const struct mring *r)
{
	uint16_t *v = sm_codes(r);

	handover_series_set(s, v, r->v != NULL ? r->n : 0);
	free(v);
}

void
sampler_handover_save(const struct sampler *sm, struct handover *h)
{
	const struct metrics_host *mh = &sm->host;
	const struct sm_svc *e;
	char name[300];

	sm_save_series(h, "cpu", &mh->cpu);
	sm_save_series(h, "load", &mh->load);
	sm_save_series(h, "mem", &mh->mem_used_h);
	sm_save_series(h, "swap", &mh->swap_used_h);
	sm_save_series(h, "disk_read", &mh->disk_read);
	sm_save_series(h, "disk_write", &mh->disk_write);
	for (size_t i = 0; i < mh->ncpus; i++) {
		snprintf(name, sizeof name, "cpu.%zu", i);
		sm_save_series(h, name, &mh->percpu[i]);
	}
	for (size_t i = 0; i < mh->nnets; i++) {
		snprintf(name, sizeof name, "net.%s.rx", mh->nets[i].name);
		sm_save_series(h, name, &mh->nets[i].rx);
		snprintf(name, sizeof name, "net.%s.tx", mh->nets[i].name);
		sm_save_series(h, name, &mh->nets[i].tx);
	}
	for (size_t i = 0; i < mh->ndisks; i++) {
		snprintf(name, sizeof name, "disk.%s", mh->disks[i].path);
		sm_save_series(h, name, &mh->disks[i].used_pct);
	}
	TAILQ_FOREACH(e, &sm->svcs, link) {
		struct ho_msvc *m = handover_add_msvc(h, e->name);

		sm_save_ring(&m->cpu, &e->m.cpu);
		sm_save_ring(&m->mem, &e->m.mem);
		m->cpu_ticks_total = e->m.cpu_ticks_total;
		m->cpu_seconds_total = e->m.cpu_seconds_total;
		m->io_read_total = e->m.io_read_total;
		m->io_write_total = e->m.io_write_total;
	}
}

/* r (initialised, of its capacity) holds s's newest codes. */
static void
sm_fill(struct mring *r, const struct ho_series *s)
{
	uint32_t skip;

	if (r->v == NULL || r->cap == 0 || s == NULL)
		return;
	skip = s->n > r->cap ? s->n - r->cap : 0;
	r->n = s->n - skip;
	for (uint32_t i = 0; i < r->n; i++)
		r->v[i] = s->v[skip + i];
	r->head = r->n % r->cap;
}

static const struct ho_series *
sm_series(const struct handover *h, const char *name)
{
	for (size_t i = 0; i < h->nseries; i++)
		if (strcmp(h->series[i].name, name) == 0)
			return &h->series[i];
	return NULL;
}

static int
sm_cmp_byname(const void *a, const void *b)
{
	const struct sm_svc *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

void
sampler_handover_restore(struct sampler *sm, const struct handover *h)
{
	struct metrics_host *mh = &sm->host;
	const struct ho_series *s;
	char name[300];
	size_t k = 0;
	struct sm_svc *e;

	sm_fill(&mh->cpu, sm_series(h, "cpu"));
	sm_fill(&mh->load, sm_series(h, "load"));
	sm_fill(&mh->mem_used_h, sm_series(h, "mem"));
	sm_fill(&mh->swap_used_h, sm_series(h, "swap"));
	sm_fill(&mh->disk_read, sm_series(h, "disk_read"));
	sm_fill(&mh->disk_write, sm_series(h, "disk_write"));
	for (size_t i = 0; i < METRICS_MAX_CPUS; i++) {
		snprintf(name, sizeof name, "cpu.%zu", i);
		if ((s = sm_series(h, name)) == NULL)
			break;
		if (i >= mh->ncpus) {
			mring_init(&mh->percpu[i], mh->history);
			mh->ncpus = i + 1;
		}
		sm_fill(&mh->percpu[i], s);
	}
	for (size_t i = 0; i < h->nseries; i++) {
		const char *n = h->series[i].name, *dot;
		struct metrics_net *mn;
		char ifname[32];

		if (strncmp(n, "net.", 4) != 0 || (dot = strrchr(n, '.')) ==
		    n + 3 || strcmp(dot, ".rx") != 0)
			continue;
		snprintf(ifname, sizeof ifname, "%.*s", (int)(dot - n - 4),
		    n + 4);
		if ((mn = metrics_host_net(mh, ifname)) == NULL)
			continue;
		sm_fill(&mn->rx, &h->series[i]);
		snprintf(name, sizeof name, "net.%s.tx", ifname);
		sm_fill(&mn->tx, sm_series(h, name));
	}
	for (size_t i = 0; i < mh->ndisks; i++) {
		snprintf(name, sizeof name, "disk.%s", mh->disks[i].path);
		sm_fill(&mh->disks[i].used_pct, sm_series(h, name));
	}
	/* the services' entries, made now: the first sample finds them by
	 * name */
	for (size_t i = 0; i < h->nmsvcs; i++) {
		const struct ho_msvc *m = &h->msvcs[i];

		e = xcalloc(1, sizeof *e);
		e->name = xstrdup(m->name);
		metrics_svc_init(&e->m, sm->history);
		sm_fill(&e->m.cpu, &m->cpu);
		sm_fill(&e->m.mem, &m->mem);
		e->m.cpu_ticks_total = m->cpu_ticks_total;
		e->m.cpu_seconds_total = m->cpu_seconds_total;
		e->m.io_read_total = m->io_read_total;
		e->m.io_write_total = m->io_write_total;
		TAILQ_INSERT_TAIL(&sm->svcs, e, link);
		sm->nsvcs++;
	}
	sm->byname = xreallocarray(sm->byname, sm->nsvcs + 1,
	    sizeof *sm->byname);
	TAILQ_FOREACH(e, &sm->svcs, link)
		sm->byname[k++] = e;
	sm->nbyname = k;
	qsort(sm->byname, k, sizeof *sm->byname, sm_cmp_byname);
}
