/*
 * Alerts (SPEC §7): the built-in rules, their defaults and per-service
 * replacements, and each alert's life, pending -> firing -> resolved, as
 * one (rule, service) pair -- or a host pair, "high_memory/host",
 * "disk_full/host:/data". The daemon feeds plain values: every state and
 * health event of a service, and every sample (CPU, memory, health latency,
 * the host's memory and disks); the rules are evaluated then, and a
 * pending alert whose `for` has elapsed fires at the next evaluation, so
 * no rule has a timer of its own. Each change (firing, resolved, a repeat
 * due for the webhook) is reported through one callback. The webhook's
 * storm window (max_notifications per period) is accounted here too, and
 * the alert JSON of SPEC's appendix is rendered here. Pure: the clock is
 * passed in (wall-clock milliseconds), nothing here reads one.
 */
#ifndef PRODD_ALERTS_H
#define PRODD_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "prodd/config.h"

#define ALERTS_RESOLVED_KEEP 100	/* recently resolved, for the API */
#define ALERT_LINES 20			/* service_failed's last lines */
#define ALERT_RESTARTS_KEEP 64		/* restart_loop: stamps per service */

enum alert_state { ALERT_PENDING, ALERT_FIRING, ALERT_RESOLVED };
enum alert_change { ALERT_CH_FIRING, ALERT_CH_RESOLVED, ALERT_CH_REPEAT };
enum alert_chan { ALERT_CHAN_WEBHOOK, ALERT_CHAN_ALERTMANAGER, ALERT_CHANS };
/* A channel's delivery of an alert's latest change. */
enum alert_dlv { ALERT_DLV_NONE, ALERT_DLV_QUEUED, ALERT_DLV_SENDING,
	ALERT_DLV_DELIVERED, ALERT_DLV_RETRYING, ALERT_DLV_FAILED,
	ALERT_DLV_SUPPRESSED, ALERT_DLV_DROPPED };

struct alert_delivery {
	enum alert_dlv state;
	int attempts;
	char last_error[128];		/* "" : none */
};

struct alert_line {
	int64_t ts_ms;
	int stream;			/* 1 stdout, 2 stderr */
	char *line;
};

struct alert {
	char id[200];			/* "high_cpu/analytics" */
	enum cfg_alert_kind kind;
	char service[64];		/* "" : the host */
	char mount[128];		/* disk_full only */
	int severity;			/* enum cfg_severity */
	enum alert_state state;
	double value, threshold;
	int64_t for_ms;
	int64_t pending_ms;		/* the condition true since */
	int64_t since_ms;		/* firing since */
	int64_t resolved_ms;		/* 0 until resolved */
	int64_t notified_ms;		/* the last firing or repeat */
	char summary[256];
	struct alert_line *lines;
	size_t nlines;
	struct alert_delivery dlv[ALERT_CHANS];
	bool test;			/* POST /api/alerts/test's */
};

/* One effective rule: on or off, with its threshold, for and severity. */
struct alert_rule {
	bool on;
	double threshold;
	bool percent;			/* high_memory: % of the host's memory */
	int64_t for_ms;
	int severity;
};

/* A rule's override for one service. */
struct alert_svc_rules {
	char *service;
	bool has[CFG_ALERT_KINDS];
	struct alert_rule r[CFG_ALERT_KINDS];
};

/* restart_loop's memory: when each automatic restart of a service was. */
struct alert_restarts {
	char service[64];
	int64_t ts[ALERT_RESTARTS_KEEP];
	size_t head, n;
};

/* The webhook's storm window (SPEC §7). */
struct alert_storm {
	int max;			/* 0: no cap */
	int64_t window_ms;
	bool open;
	int64_t start_ms;
	int count;			/* notifications sent in the window */
	int suppressed;			/* held back past the cap */
};

typedef void (*alert_change_fn)(void *arg, struct alert *a,
    enum alert_change ch);

struct alerts {
	struct alert_rule def[CFG_ALERT_KINDS];	/* every service / the host */
	struct alert_svc_rules *ovr;
	size_t novr;
	char **services;		/* the configured services */
	size_t nservices;
	int64_t repeat_ms;
	struct alert **active;		/* pending and firing */
	size_t nactive;
	struct alert *resolved[ALERTS_RESOLVED_KEEP];	/* a ring */
	size_t rhead, nresolved;
	struct alert_restarts *restarts;
	size_t nrestarts;
	struct alert_storm storm;
	alert_change_fn on_change;
	void *arg;
};

/* What a sample says of one service. */
struct alert_svc_sample {
	const char *name;
	bool running;
	double cpu_percent;		/* of one core */
	int64_t rss;			/* bytes */
	double health_latency_ms;	/* < 0: no latency known */
};

struct alert_mount {
	const char *path;
	double used_percent;
};

/* What a sample says of the host. */
struct alert_host_sample {
	bool valid;
	double cpu_percent;		/* of the whole host */
	double mem_percent;
	int64_t mem_total;		/* bytes */
	const struct alert_mount *mounts;
	size_t nmounts;
};

void alerts_init(struct alerts *al, alert_change_fn fn, void *arg);
void alerts_free(struct alerts *al);
/* The default rule of each alert (SPEC §7), and whether it is on when
 * alerts.rules is absent. */
void alerts_default_rule(enum cfg_alert_kind k, struct alert_rule *out,
    bool *on_by_default);
/* Apply cfg's rules, repeat_interval, max_notifications and services (at
 * start and at each reload): alerts of services no longer configured, and
 * of rules turned off, resolve now. */
void alerts_configure(struct alerts *al, const struct cfg *cfg, int64_t now);
/* The effective rule of alert k for service (NULL: the host's). */
const struct alert_rule *alerts_rule(const struct alerts *al,
    enum cfg_alert_kind k, const char *service);

/*
 * A service's state changed (enum fsm_state values; reason as the event
 * says it). A move to failed fires service_failed with the given last
 * lines (copied; may be NULL/0); restarts scheduled (to backoff) feed
 * restart_loop; a reason naming the watchdog fires watchdog; running (or
 * stopped, exited) resolves them.
 */
void alerts_on_state(struct alerts *al, const char *service, int from,
    int to, const char *reason, const struct alert_line *lines,
    size_t nlines, int64_t now);
/* A service's health verdict changed: healthy false fires unhealthy (after
 * its for), true resolves it. */
void alerts_on_health(struct alerts *al, const char *service, bool healthy,
    int64_t now);
/* A sample: every threshold rule is evaluated, then alerts_tick. */
void alerts_on_sample(struct alerts *al, const struct alert_svc_sample *svcs,
    size_t n, const struct alert_host_sample *host, int64_t now);
/* Pending alerts whose for elapsed fire; restart_loop windows age; firing
 * alerts due a repeat report ALERT_CH_REPEAT. */
void alerts_tick(struct alerts *al, int64_t now);

/* Read access: the active ones (pending and firing), resolved newest
 * first. */
size_t alerts_firing(const struct alerts *al);
struct alert *alerts_find(const struct alerts *al, const char *id);

/*
 * The storm window: may a notification go out now? Counts it when it may;
 * counts it suppressed when not. storm_close reports a window that ended
 * with notifications held back (returns true once, with the count and the
 * window's start; the window is then closed).
 */
void alert_storm_config(struct alert_storm *st, int max, int64_t window_ms);
bool alert_storm_admit(struct alert_storm *st, int64_t now);
bool alert_storm_close(struct alert_storm *st, int64_t now, int *suppressed,
    int64_t *window_start);
/* When the open window ends (0: none open). */
int64_t alert_storm_end(const struct alert_storm *st);

/* An alert by itself, for POST /api/alerts/test: caller frees with
 * alert_free. */
struct alert *alert_new_test(int64_t now);
void alert_free(struct alert *a);

/* ---- view-alerts.c: the JSON of SPEC's appendix ---- */
const char *alert_state_name(enum alert_state s);
const char *alert_dlv_name(enum alert_dlv d);
const char *alert_chan_name(enum alert_chan c);
/* The alert JSON; channels: which channels to list under "deliveries"
 * (bit 1 << enum alert_chan). */
cJSON *view_alert_json(const struct alert *a, unsigned channels);
/* {"active": [...], "resolved": [...]} */
cJSON *view_alert_list_json(const struct alerts *al, unsigned channels);

#endif
