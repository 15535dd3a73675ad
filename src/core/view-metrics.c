/*
 * JSON views of the metrics (see view.h): history rings as arrays, the
 * host's latest values and series, the names of the host's series, and
 * the answer of GET /api/metrics/history. Values are rounded here, once,
 * so every client sees the same digits. Pure.
 */
#include "prodd/view.h"
#include "prodd/xmalloc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *
view_ring_json(const struct mring *r, uint32_t last)
{
	cJSON *a = cJSON_CreateArray();
	uint32_t from = last > 0 && last < r->n ? r->n - last : 0;

	for (uint32_t i = from; i < r->n; i++) {
		double v = mring_at(r, i);

		/* three decimals are plenty, and keep the text short */
		cJSON_AddItemToArray(a, cJSON_CreateNumber(
		    (double)(int64_t)(v * 1000 + (v < 0 ? -0.5 : 0.5)) / 1000));
	}
	return a;
}

static double
view_round(double v, double to)
{
	return (double)(int64_t)(v * to + 0.5) / to;
}

cJSON *
view_system_json(const struct metrics_host *h, int64_t interval_ms,
    uint32_t history)
{
	cJSON *o = cJSON_CreateObject(), *a, *x, *hist = NULL;

	cJSON_AddItemToObject(o, "ts", view_time(h->ts_ms));
	cJSON_AddNumberToObject(o, "interval_ms", (double)interval_ms);
	cJSON_AddNumberToObject(o, "cpu_percent", view_round(h->cpu_percent,
	    100));
	a = cJSON_AddArrayToObject(o, "cpus");
	for (size_t i = 0; i < h->ncpus; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(view_round(
		    h->cpus[i], 100)));
	a = cJSON_AddArrayToObject(o, "load");
	cJSON_AddItemToArray(a, cJSON_CreateNumber(h->load1));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(h->load5));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(h->load15));
	x = cJSON_AddObjectToObject(o, "memory");
	cJSON_AddNumberToObject(x, "total", (double)h->mem_total);
	cJSON_AddNumberToObject(x, "available", (double)h->mem_available);
	cJSON_AddNumberToObject(x, "used", (double)h->mem_used);
	x = cJSON_AddObjectToObject(o, "swap");
	cJSON_AddNumberToObject(x, "total", (double)h->swap_total);
	cJSON_AddNumberToObject(x, "used", (double)h->swap_used);
	a = cJSON_AddArrayToObject(o, "disks");
	for (size_t i = 0; i < h->ndisks; i++) {
		const struct metrics_disk *d = &h->disks[i];

		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "path", d->path);
		if (d->ok) {
			cJSON_AddNumberToObject(x, "total", (double)d->total);
			cJSON_AddNumberToObject(x, "used", (double)d->used);
			cJSON_AddNumberToObject(x, "available", (double)d->avail);
			cJSON_AddNumberToObject(x, "used_percent", view_round(
			    d->used + d->avail > 0 ? 100.0 * (double)d->used /
			    (double)(d->used + d->avail) : 0, 100));
		} else {
			cJSON_AddNullToObject(x, "total");
		}
		cJSON_AddItemToArray(a, x);
	}
	x = cJSON_AddObjectToObject(o, "disk_io");
	cJSON_AddNumberToObject(x, "read_bps", view_round(h->disk_read_bps, 1));
	cJSON_AddNumberToObject(x, "write_bps", view_round(h->disk_write_bps,
	    1));
	a = cJSON_AddArrayToObject(o, "network");
	for (size_t i = 0; i < h->nnets; i++) {
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", h->nets[i].name);
		cJSON_AddNumberToObject(x, "rx_bps", view_round(
		    h->nets[i].rx_bps, 1));
		cJSON_AddNumberToObject(x, "tx_bps", view_round(
		    h->nets[i].tx_bps, 1));
		cJSON_AddItemToArray(a, x);
	}
	cJSON_AddNumberToObject(o, "uptime_s", view_round(h->uptime_s, 100));
	if (history == 0)
		return o;
	if (history == ~0u)
		history = 0;	/* all */
	hist = cJSON_AddObjectToObject(o, "history");
	cJSON_AddItemToObject(hist, "cpu", view_ring_json(&h->cpu, history));
	cJSON_AddItemToObject(hist, "load1", view_ring_json(&h->load, history));
	cJSON_AddItemToObject(hist, "mem_used", view_ring_json(&h->mem_used_h,
	    history));
	cJSON_AddItemToObject(hist, "swap_used", view_ring_json(
	    &h->swap_used_h, history));
	cJSON_AddItemToObject(hist, "disk_read_bps", view_ring_json(
	    &h->disk_read, history));
	cJSON_AddItemToObject(hist, "disk_write_bps", view_ring_json(
	    &h->disk_write, history));
	a = cJSON_AddArrayToObject(hist, "cpus");
	for (size_t i = 0; i < h->ncpus; i++)
		cJSON_AddItemToArray(a, view_ring_json(&h->percpu[i], history));
	x = cJSON_AddObjectToObject(hist, "network");
	for (size_t i = 0; i < h->nnets; i++) {
		cJSON *n = cJSON_AddObjectToObject(x, h->nets[i].name);

		cJSON_AddItemToObject(n, "rx_bps", view_ring_json(
		    &h->nets[i].rx, history));
		cJSON_AddItemToObject(n, "tx_bps", view_ring_json(
		    &h->nets[i].tx, history));
	}
	x = cJSON_AddObjectToObject(hist, "disks");
	for (size_t i = 0; i < h->ndisks; i++)
		cJSON_AddItemToObject(x, h->disks[i].path, view_ring_json(
		    &h->disks[i].used_pct, history));
	return o;
}

const struct mring *
view_host_series(const struct metrics_host *h, const char *name)
{
	static const struct { const char *name; size_t off; } fixed[] = {
		{ "cpu", offsetof(struct metrics_host, cpu) },
		{ "load1", offsetof(struct metrics_host, load) },
		{ "mem_used", offsetof(struct metrics_host, mem_used_h) },
		{ "swap_used", offsetof(struct metrics_host, swap_used_h) },
		{ "disk_read_bps", offsetof(struct metrics_host, disk_read) },
		{ "disk_write_bps", offsetof(struct metrics_host, disk_write) },
	};

	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		if (strcmp(name, fixed[i].name) == 0)
			return (const struct mring *)((const char *)h +
			    fixed[i].off);
	if (strncmp(name, "cpu", 3) == 0 && name[3] >= '0' && name[3] <= '9') {
		char *end;
		unsigned long c = strtoul(name + 3, &end, 10);

		return *end == '\0' && c < h->ncpus ? &h->percpu[c] : NULL;
	}
	for (size_t i = 0; i < h->nnets; i++) {
		if (strncmp(name, "rx:", 3) == 0 &&
		    strcmp(name + 3, h->nets[i].name) == 0)
			return &h->nets[i].rx;
		if (strncmp(name, "tx:", 3) == 0 &&
		    strcmp(name + 3, h->nets[i].name) == 0)
			return &h->nets[i].tx;
	}
	for (size_t i = 0; i < h->ndisks; i++)
		if (strncmp(name, "disk:", 5) == 0 &&
		    strcmp(name + 5, h->disks[i].path) == 0)
			return &h->disks[i].used_pct;
	return NULL;
}

cJSON *
view_history_json(const char *service, const struct metrics_svc *m,
    const struct metrics_host *h, int64_t interval_ms, const char *series,
    char *bad, size_t badlen)
{
	char *list = xstrdup(series), *save = NULL, *tok;
	cJSON *o = cJSON_CreateObject(), *so;

	if (m != NULL)
		cJSON_AddStringToObject(o, "service", service);
	else
		cJSON_AddNullToObject(o, "service");
	cJSON_AddNumberToObject(o, "interval_ms", (double)interval_ms);
	cJSON_AddItemToObject(o, "end", view_time(h->ts_ms));
	so = cJSON_AddObjectToObject(o, "series");
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		const struct mring *r;

		if (m != NULL)
			r = strcmp(tok, "cpu") == 0 ? &m->cpu :
			    strcmp(tok, "rss") == 0 ? &m->mem : NULL;
		else
			r = view_host_series(h, tok);
		if (r == NULL) {
			snprintf(bad, badlen, "%s", tok);
			free(list);
			cJSON_Delete(o);
			return NULL;
		}
		cJSON_AddItemToObject(so, tok, view_ring_json(r, 0));
	}
	free(list);
	return o;
}
