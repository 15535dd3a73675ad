/*
 * Metrics as numbers (see metrics.h). Pure.
 */
#include "prodd/metrics.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A history value in 16 bits: a float's exponent, cut to the window
 * 2^-14 .. 2^49, and its 10 high mantissa bits, rounded. Every series is
 * >= 0 (percentages, loads, bytes, bytes per second), so no sign bit.
 * The relative error is at most 2^-11 (0.05 %); integers up to 2048 and
 * most round figures (0, 50, 100, powers of two) are exact; below 2^-14
 * is 0, above the window is its largest value. Half the memory of a float,
 * which is most of what a service's history costs.
 */
#define MRING_E0 112u			/* float exponent of code 1 << 10, - 1 */

uint16_t
mring_encode(float x)
{
	uint32_t b, e;

	if (!(x > 0))			/* 0, negative, NaN */
		return 0;
	memcpy(&b, &x, sizeof b);
	b += 1u << 12;			/* round the 13 bits dropped */
	e = b >> 23;			/* 255 for inf */
	if (e <= MRING_E0)
		return 0;
	if (e > MRING_E0 + 63)
		return 0xffff;
	return (uint16_t)(((e - MRING_E0) << 10) | ((b >> 13) & 0x3ffu));
}

float
mring_decode(uint16_t c)
{
	uint32_t b;
	float x;

	if ((c >> 10) == 0)
		return 0;
	b = ((uint32_t)(c >> 10) + MRING_E0) << 23 | (uint32_t)(c & 0x3ffu) << 13;
	memcpy(&x, &b, sizeof x);
	return x;
}

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

static void
mring_push_code(struct mring *r, uint16_t c)
{
	r->v[r->head] = c;
	r->head = (r->head + 1) % r->cap;
	if (r->n < r->cap)
		r->n++;
}

void
mring_push(struct mring *r, float x)
{
	if (r->v != NULL)
		mring_push_code(r, mring_encode(x));
}

static uint16_t
mring_code_at(const struct mring *r, uint32_t i)
{
	uint32_t oldest = (r->head + r->cap - r->n) % r->cap;

	return r->v[(oldest + i) % r->cap];
}

float
mring_at(const struct mring *r, uint32_t i)
{
	return mring_decode(mring_code_at(r, i));
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
		mring_push_code(&n, mring_code_at(r, i));
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
metrics_svc_add(struct metrics_svc *m, uint64_t ticks, long clk_tck,
    uint64_t read_bytes, uint64_t write_bytes)
{
	/* summed in ticks, so the seconds are exact to a tick however many
	 * samples were added */
	m->cpu_ticks_total += ticks;
	if (clk_tck > 0)
		m->cpu_seconds_total = (double)m->cpu_ticks_total /
		    (double)clk_tck;
	m->io_read_total += read_bytes;
	m->io_write_total += write_bytes;
}

uint64_t
metrics_io_delta(bool known, uint64_t prev, uint64_t cur, bool fresh)
{
	if (known)
		return cur >= prev ? cur - prev : 0;
	return fresh ? cur : 0;
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
