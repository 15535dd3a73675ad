/*
 * One state model, many views: every JSON the world sees -- a service, an
 * event (in the API and in prodd's own log line), a service's output
 * line, prodd's health, the host and its history series (and their
 * names), the dashboard snapshot, an error -- is rendered once here, for
 * the API, the WebSocket and prodctl --json alike. The shell fills plain
 * view structs; these files only render (cJSON) and decide prodd's
 * overall status: view.c (services, events, lines, prodd's health),
 * view-answers.c (lists, readiness, messages), view-metrics.c (the host,
 * history rings and series), view-snapshot.c (the dashboard's data),
 * view-ws.c (the messages of the /ws stream).
 * Pure.
 */
#ifndef PRODD_VIEW_H
#define PRODD_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "prodd/analyze.h"
#include "prodd/config.h"
#include "prodd/events.h"
#include "prodd/fsm.h"
#include "prodd/health.h"
#include "prodd/logring.h"
#include "prodd/metrics.h"
#include "prodd/strutil.h"

struct view_dep {
	const char *name;
	const char *condition;
};

/* One of a service's last exits, with its last lines. */
struct view_exit {
	int64_t at_ms;
	int pid, code, signal;		/* code < 0 / signal 0: not that way */
	const char *reason;
	const struct event_lines *lines;
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
	/* with hist_cpu set, a "history" of cpu % and rss bytes: the newest
	 * history values of each (0: all) */
	const struct mring *hist_cpu, *hist_rss;
	uint32_t history;
	/* notify: true (SPEC §3): status_text is the STATUS= text (NULL:
	 * none, also for other services); the rest is shown in "notify" */
	bool notify;
	const char *status_text, *notify_phase;
	bool notify_ready;
	int notify_errno;		/* -1: none */
	int notify_exit_errno;		/* ERRNO= of the last exit; -1: none */
	int notify_main_pid;		/* 0: none */
	uint64_t notify_dropped;
	/* with exits set (one service's detail), "last_exits": newest
	 * first, each with its last lines */
	const struct view_exit *exits;
	size_t nexits;
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
/* A service's latest figures {"cpu_percent", "rss_bytes", ...}, or JSON
 * null when it has none. */
cJSON *view_service_metrics_json(const struct view_service *s);
/* The same figures one by one (with has_metrics): their names, and their
 * values in that order, NAN for one not known (JSON null, view_figure). */
#define VIEW_FIGURES 7
extern const char *const view_figure_names[VIEW_FIGURES];
void view_service_figures(const struct view_service *s,
    double v[VIEW_FIGURES]);
cJSON *view_figure(double v);

/* Services one at a time: the i-th of n is at(arg, i), valid until the
 * next call (the shell fills one view struct after another). */
struct view_list {
	size_t n;
	const struct view_service *(*at)(void *arg, size_t i);
	void *arg;
};

/* prodd itself, for GET /api/health and the snapshot. */
struct view_self {
	int64_t rss;
	double cpu_percent, loop_lag_ms, loop_lag_max_ms;
	double sample_cpu_us, sample_cpu_us_median;
	uint64_t samples;
};

struct view_daemon {
	struct view_counts counts;
	const char *version;
	int api_version;
	int64_t now_ms, started_ms;	/* wall clock */
	int pid;
	bool shutting_down;
	const struct view_self *self;	/* NULL: not sampling */
};

cJSON *view_daemon_json(const struct view_daemon *d);

/*
 * A string as JSON, valid UTF-8 whatever its bytes: an invalid byte
 * becomes U+FFFD and a NUL is kept, escaped as \u0000, so a line is
 * never cut short. Every text from outside prodd goes through it.
 */
cJSON *view_text(const char *s, size_t n);

cJSON *view_event_json(const struct event *e);
/* An exit's last lines: [{"ts","stream","line"}] ([] for NULL). */
cJSON *view_last_lines_json(const struct event_lines *l);
/* The same event as one line of JSON text, appended to sb: the metadata
 * of prodd's log line of the event. */
void view_event_text(const struct event *e, struct strbuf *sb);
/* {"events": [...every kept event with seq > after], "last_seq"} */
cJSON *view_events_json(const struct events *ev, uint64_t after);
/* The kept events with seq > after, appended to the array a. */
void view_events_add(cJSON *a, const struct events *ev, uint64_t after);

/* One output line of a service: {"seq","ts","stream","line"}, for /logs
 * and /logs?follow=1 alike (see view_text). */
cJSON *view_logline_json(uint64_t seq, int64_t ts_ms, int stream,
    const char *line, size_t len);
/* {"service", "lines": [the last n lines of stream (0: both)]} */
cJSON *view_logs_json(const char *service, const struct logring *r,
    size_t n, int stream);

cJSON *view_error_json(const char *message, const char *code);
/* An RFC 3339 UTC time with milliseconds, or JSON null for 0. */
cJSON *view_time(int64_t epoch_ms);

/* GET /api/analyze: the last start's span, the timeline (services in
 * order, see analyze_order) and the critical chain (view-analyze.c). */
cJSON *view_analyze_json(const struct analyze_svc *v, size_t n,
    const struct analyze_result *r, const size_t *order);

/* ---- view-answers.c: the small answers of the API ---- */

/* [every service of l] */
cJSON *view_services_array(const struct view_list *l);
/* {"services": [every service of l]} */
cJSON *view_services_json(const struct view_list *l);
/* {"status": "ready" or "not_ready", "not_ready": [names]}: ready when
 * every enabled service of l runs (and is healthy). */
cJSON *view_ready_json(const struct view_list *l, bool *ready);
/* {"message": message}, with key: item too when key is not NULL (takes
 * item). */
cJSON *view_message_json(const char *message, const char *key, cJSON *item);
/* The 422 of a refused reload, with errors (taken; NULL: none). */
cJSON *view_invalid_config_json(cJSON *errors);
/* A refused file's errors, "FILE:LINE:COL: message" each, as an array. */
cJSON *view_config_errors_json(const struct cfg_errors *errs);
/* {"status": "alive"} */
cJSON *view_live_json(void);
/* {"active": [], "resolved": []}: no alerts yet */
cJSON *view_alerts_json(void);

/* ---- view-metrics.c ---- */

/* A history ring as a JSON array, oldest first (at most the newest last
 * values; 0: all). Values are rounded to 3 significant decimals. */
cJSON *view_ring_json(const struct mring *r, uint32_t last);
/* The host: the latest values, and with history > 0 (or ~0u: all) the
 * newest that many values of every series. */
cJSON *view_system_json(const struct metrics_host *h, int64_t interval_ms,
    uint32_t history);
/* The host's series by name: cpu, load1, mem_used, swap_used,
 * disk_read_bps, disk_write_bps, cpuN, rx:IF, tx:IF, disk:PATH; NULL for
 * any other. */
const struct mring *view_host_series(const struct metrics_host *h,
    const char *name);
/*
 * GET /api/metrics/history: the series named in the comma-separated list
 * series, of the service called service (m: its metrics; series cpu and
 * rss), or of the host h when m is NULL. NULL when a name is unknown, with
 * that name in bad.
 */
cJSON *view_history_json(const char *service, const struct metrics_svc *m,
    const struct metrics_host *h, int64_t interval_ms, const char *series,
    char *bad, size_t badlen);

/* ---- view-snapshot.c ---- */

/* What the dashboard loads at once (GET /api/dashboard-data). */
struct view_snapshot {
	const struct view_daemon *daemon;
	const struct metrics_host *host;	/* NULL: not sampling */
	int64_t interval_ms;
	uint32_t history;		/* per series; ~0u: all */
	struct view_list services;	/* with their history rings */
	const struct events *events;	/* the last 100 of them */
};

cJSON *view_snapshot_json(const struct view_snapshot *s);

/* ---- view-ws.c: the server's messages on /ws (SPEC §6) ---- */

/* {"type":"snapshot","data":<dashboard-data>,"last_seq","instance"},
 * with "reason" when reason is not NULL ("gap"). Takes data. */
cJSON *view_ws_snapshot_json(cJSON *data, uint64_t last_seq,
    const char *instance, const char *reason);
/* {"type":"metrics","ts","system":{latest host figures} or null,
 * "services":{NAME:{latest figures} or null}}; compact (a client's
 * ?metrics=compact): "fields":[the figures' names] before "services",
 * and each service's figures an array in that order, or null */
cJSON *view_ws_metrics_json(int64_t ts_ms, const struct metrics_host *host,
    int64_t interval_ms, const struct view_list *services, bool compact);
/* {"type":"event","event":{...with its seq}} */
cJSON *view_ws_event_json(const struct event *e);
/* {"type":"alert","alert":alert} (takes alert) */
cJSON *view_ws_alert_json(cJSON *alert);
/* {"type":"log","service","n","stream","ts","line"}: n is the line's
 * number in its service's output. */
cJSON *view_ws_log_json(const char *service, uint64_t n, int64_t ts_ms,
    int stream, const char *line, size_t len);
/* {"type":"result","id"?,"ok","status","code"?,"message"?,"service"?}:
 * id (copied; NULL: none), code and message NULL when absent; service
 * (taken) the service object on success. */
cJSON *view_ws_result_json(const cJSON *id, bool ok, int status,
    const char *code, const char *message, cJSON *service);
/* {"type":"error","error","code","id"?} (id copied; NULL: none) */
cJSON *view_ws_error_json(const char *message, const char *code,
    const cJSON *id);

#endif
