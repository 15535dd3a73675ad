/*
 * GET /metrics (SPEC §5): prodd's state model as Prometheus text
 * exposition, format 0.0.4. The shell (api-metrics.c) fills the plain
 * structs below from the supervisor, the sampler and prodd's own /proc
 * figures; prom_render writes every family, each with its # HELP and
 * # TYPE, in base units (seconds, bytes, ratios 0..1), counters named
 * _total, every service labelled service="NAME", label values escaped.
 * Also the reasons an automatic restart is counted under. Pure.
 */
#ifndef PRODD_PROM_H
#define PRODD_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prodd/fsm.h"
#include "prodd/health.h"
#include "prodd/metrics.h"
#include "prodd/strutil.h"

/* Why an automatic restart happened: the reason label of
 * prodd_service_restarts_total. */
enum prom_reason {
	PROM_REASON_EXIT,		/* exited with a code (or failed to
					 * spawn) */
	PROM_REASON_SIGNAL,		/* killed by a signal */
	PROM_REASON_UNHEALTHY,		/* on_unhealthy: restart */
	PROM_REASON_MEMORY_LIMIT,	/* over memory_limit */
	PROM_REASON_WATCHDOG,
	PROM_REASON_START_TIMEOUT,
	PROM_NREASONS
};

/* "exit", "signal", "unhealthy", "memory_limit", "watchdog",
 * "start_timeout" */
const char *prom_reason_name(enum prom_reason r);
/*
 * The reason of an automatic restart that follows event ev: an exit
 * (exit_signal 0: exit, else signal) or a failed spawn (exit), or the end
 * of a stop begun for cause (FSM_EV_UNHEALTHY or FSM_EV_LIMIT) when from
 * is FSM_STOPPING.
 */
enum prom_reason prom_restart_reason(enum fsm_event ev, enum fsm_state from,
    int exit_signal, enum fsm_event cause);

/* One service. */
struct prom_service {
	const char *name;
	enum fsm_state state;
	bool up;			/* it has a live main process */
	uint64_t restarts[PROM_NREASONS];
	bool has_exit;			/* it exited at least once */
	int exit_code;			/* -1 after a signal */
	int exit_signal;		/* 0 after an exit */
	int64_t started_ms;		/* wall clock of the last spawn; 0 */
	int64_t memory_limit;		/* bytes; 0: none (no sample) */
	const struct metrics_svc *m;	/* never NULL */
	const struct health_state *health;	/* NULL: no check */
	bool notify;			/* notify: true */
	uint64_t notify_dropped;	/* datagrams of others dropped */
};

/* prodd's own process (the client libraries' process_* families). */
struct prom_process {
	double cpu_seconds;
	int64_t rss_bytes, vm_bytes;
	int open_fds;			/* -1: unknown */
	int64_t max_fds;		/* -1: unknown */
	double start_time_s;		/* since the epoch */
};

struct prom_notif {
	const char *channel, *result;
	uint64_t n;
};

struct prom_model {
	const char *version;
	const struct prom_service *svcs;
	size_t nsvcs;
	const struct metrics_host *host;	/* NULL: no sample yet */
	const struct prom_process *self;	/* NULL: unknown */
	uint64_t alerts_firing;
	/* prodd_alert_notifications_total: one sample per (channel, result) */
	const struct prom_notif *notifs;
	size_t nnotifs;
	uint64_t ws_clients;
	/* /ws: messages rendered (each once, however many clients get it)
	 * and frames written to clients */
	uint64_t ws_rendered, ws_frames;
	/* /ws: bytes waiting to be written to the clients (ws_queued_bytes) */
	uint64_t ws_queued;
	/* heap bytes of the services' rings of recent output lines */
	uint64_t log_ring_bytes;
};

/* Append the whole exposition to sb. */
void prom_render(const struct prom_model *m, struct strbuf *sb);

/* A label value, escaped (\\, \", \n), appended to sb. */
void prom_label_value(struct strbuf *sb, const char *s);
/* A sample value: integers as such, others to the shortest text that
 * reads back the same, NaN and +Inf/-Inf as Prometheus writes them. */
void prom_value(struct strbuf *sb, double v);

#endif
