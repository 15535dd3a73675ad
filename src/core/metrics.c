/*
 * Metrics as numbers (see metrics.h). Pure.
 */
#include "prodd/metrics.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
mring_init(struct mring *r, uint32_t cap)
{
	memset(r, 0, sizeof *r);
	r->cap = cap > 0 ? cap : 1;
	r->v = xcalloc(r->cap, sizeof *r->v);
}

void
mring_free(struct mring *r)
{
	free(r->v);
	memset(r, 0, sizeof *r);
}

void
mring_push(struct mring *r, float x)
{
	if (r->v == NULL)
		return;
	r->v[r->head] = x;
	r->head = (r->head + 1) % r->cap;
	if (r->n < r->cap)
		r->n++;
}

float
mring_at(const struct mring *r, uint32_t i)
{
	uint32_t oldest = (r->head + r->cap - r->n) % r->cap;

	return r->v[(oldest + i) % r->cap];
}

void
mring_resize(struct mring *r, uint32_t cap)
{
	struct mring n;
	uint32_t keep;

	if (r->v == NULL || cap == r->cap || cap == 0)
		return;
	mring_init(&n, cap);
	keep = r->n < cap ? r->n : cap;
	for (uint32_t i = r->n - keep; i < r->n; i++)
		mring_push(&n, mring_at(r, i));
	free(r->v);
	*r = n;
}

double
metrics_rate(uint64_t prev, uint64_t cur, int64_t dt_ms)
{
	if (dt_ms <= 0 || cur < prev)
		return 0;
	return (double)(cur - prev) * 1000.0 / (double)dt_ms;
}

uint64_t
metrics_tick_delta(bool known, uint64_t prev_start, uint64_t prev_ticks,
    uint64_t start, uint64_t ticks, uint64_t last_boot_ticks)
{
	if (known && prev_start == start)
		return ticks >= prev_ticks ? ticks - prev_ticks : 0;
	/* new (or a reused pid): all of it, if it began since last time */
	return start >= last_boot_ticks ? ticks : 0;
}

bool
metrics_over_limit(int *streak, int64_t rss, int64_t limit)
{
	if (limit <= 0 || rss <= limit) {
		*streak = 0;
		return false;
	}
	(*streak)++;
	return *streak == METRICS_LIMIT_SAMPLES;
}

void
metrics_svc_init(struct metrics_svc *m, uint32_t history)
{
	memset(m, 0, sizeof *m);
	m->fds = -1;
	mring_init(&m->cpu, history);
	mring_init(&m->mem, history);
}

void
metrics_svc_free(struct metrics_svc *m)
{
	mring_free(&m->cpu);
	mring_free(&m->mem);
}

void
metrics_svc_clear(struct metrics_svc *m)
{
	m->valid = false;
	m->cpu_percent = 0;
	m->rss = 0;
	m->procs = m->threads = 0;
	m->fds = -1;
	m->read_bps = m->write_bps = 0;
	m->over_limit = 0;
}

void
metrics_host_init(struct metrics_host *h, uint32_t history)
{
	memset(h, 0, sizeof *h);
	h->history = history;
	mring_init(&h->cpu, history);
	mring_init(&h->load, history);
	mring_init(&h->mem_used_h, history);
	mring_init(&h->swap_used_h, history);
	mring_init(&h->disk_read, history);
	mring_init(&h->disk_write, history);
}

void
metrics_host_free(struct metrics_host *h)
{
	mring_free(&h->cpu);
	mring_free(&h->load);
	mring_free(&h->mem_used_h);
	mring_free(&h->swap_used_h);
	mring_free(&h->disk_read);
	mring_free(&h->disk_write);
	for (size_t i = 0; i < METRICS_MAX_CPUS; i++)
		mring_free(&h->percpu[i]);
	for (size_t i = 0; i < h->nnets; i++) {
		mring_free(&h->nets[i].rx);
		mring_free(&h->nets[i].tx);
	}
	for (size_t i = 0; i < h->ndisks; i++)
		mring_free(&h->disks[i].used_pct);
}

void
metrics_host_resize(struct metrics_host *h, uint32_t history)
{
	h->history = history;
	mring_resize(&h->cpu, history);
	mring_resize(&h->load, history);
	mring_resize(&h->mem_used_h, history);
	mring_resize(&h->swap_used_h, history);
	mring_resize(&h->disk_read, history);
	mring_resize(&h->disk_write, history);
	for (size_t i = 0; i < METRICS_MAX_CPUS; i++)
		mring_resize(&h->percpu[i], history);
	for (size_t i = 0; i < h->nnets; i++) {
		mring_resize(&h->nets[i].rx, history);
		mring_resize(&h->nets[i].tx, history);
	}
	for (size_t i = 0; i < h->ndisks; i++)
		mring_resize(&h->disks[i].used_pct, history);
}

struct metrics_net *
metrics_host_net(struct metrics_host *h, const char *name)
{
	struct metrics_net *n;

	for (size_t i = 0; i < h->nnets; i++)
		if (strcmp(h->nets[i].name, name) == 0)
			return &h->nets[i];
	if (h->nnets == METRICS_MAX_NETS)
		return NULL;
	n = &h->nets[h->nnets++];
	memset(n, 0, sizeof *n);
	snprintf(n->name, sizeof n->name, "%s", name);
	mring_init(&n->rx, h->history);
	mring_init(&n->tx, h->history);
	return n;
}
