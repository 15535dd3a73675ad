/*
 * One state model, many views: the JSON of a service, an event, prodd's
 * health, an error -- rendered once here, for the API, the WebSocket and
 * prodctl --json alike. The shell fills plain view structs; this file
 * only renders (cJSON) and decides prodd's overall status. Pure.
 */
#ifndef PRODD_VIEW_H
#define PRODD_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "prodd/events.h"
#include "prodd/fsm.h"
#include "prodd/health.h"
#include "prodd/metrics.h"

struct view_dep {
	const char *name;
	const char *condition;
};

struct view_service {
	const char *name, *type, *reason;
	enum fsm_state state;
	enum fsm_want want;
	int pid;			/* 0: none */
	int64_t started_at_ms;		/* wall clock; 0: never */
	int64_t now_ms;			/* wall clock, for uptime */
	int restarts, consecutive_failures;
	bool has_exit;
	int exit_code, exit_signal;	/* -1 / 0 when not applicable */
	int64_t exit_at_ms;
	/* health: kind NULL means no check; health NULL means none yet */
	const char *health_kind;
	const struct health_state *health;
	bool detail;			/* with the health-check history */
	const struct view_dep *deps;
	size_t ndeps;
	int port;			/* 0: none */
	const char *const *env_keys;
	size_t nenv;
	bool enabled, stopped_by_hand;
	bool has_metrics;
	double cpu_percent, read_bps, write_bps;
	int64_t rss_bytes;
	int processes, threads, fds;
};

/* Counts for prodd's health. */
struct view_counts {
	size_t total, running, healthy, failed;
	size_t wanted, wanted_healthy, wanted_failed;
};

/* Add one service to the counts (disabled and stopped-by-hand ones do not
 * count as wanted). */
void view_count(struct view_counts *c, const struct view_service *s);
/* "healthy": every wanted service runs and is healthy; "unhealthy": any
 * wanted one failed; "degraded" otherwise. */
const char *view_status(const struct view_counts *c);

cJSON *view_service_json(const struct view_service *s);
/* A history ring as a JSON array, oldest first (at most the newest last
 * values; 0: all). Values are rounded to 3 significant decimals. */
cJSON *view_ring_json(const struct mring *r, uint32_t last);
/* The host: the latest values, and with history > 0 (or ~0u: all) the
 * newest that many values of every series. */
cJSON *view_system_json(const struct metrics_host *h, int64_t interval_ms,
    uint32_t history);
cJSON *view_event_json(const struct event *e);
cJSON *view_error_json(const char *message, const char *code);
/* An RFC 3339 UTC time with milliseconds, or JSON null for 0. */
cJSON *view_time(int64_t epoch_ms);

#endif
