/*
 * The private half of alertd (alertd.h), shared by its files: alertd.c
 * (the queue, the bodies, the storm summary, the API) and
 * alertd-handover.c (an upgrade: the alerts, the queue and the timers
 * saved into the hand-over, and taken over from it). Nothing outside
 * src/daemon/alertd*.c includes it.
 */
#ifndef PRODD_DAEMON_ALERTD_INT_H
#define PRODD_DAEMON_ALERTD_INT_H

#include "prodd/alertd.h"
#include "prodd/alerts.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <uv.h>

struct alertd_test {
	alertd_test_fn fn;
	void *arg;
	int pending;			/* attempts not yet ended */
	cJSON *result;
	LIST_ENTRY(alertd_test) link;
};

/* One delivery: a body for one channel, its attempts and next due time. */
struct dlv {
	TAILQ_ENTRY(dlv) link;
	enum alert_chan chan;
	char id[200];			/* the alert's; "" for a summary */
	bool resolve, summary;
	bool is_test;			/* a test's attempt: no retries */
	struct alertd_test *test;	/* who waits for it (NULL: gone) */
	char *body;
	size_t len;
	int attempts;
	int64_t first_ms, next_ms, backoff_ms;	/* uv_now */
	int64_t give_up_ms;
	struct probe_http *ph;		/* its transfer, once started */
	bool busy;			/* in flight */
	struct alertd *ad;
};

TAILQ_HEAD(dlv_list, dlv);

struct alertd {
	uv_loop_t *loop;
	struct alertd_hooks hooks;
	struct alerts al;
	struct probe_curl *pc;
	struct dlv_list queue;
	size_t nqueue, inflight;
	uv_timer_t retry, storm, am;
	char *webhook, *am_url, *secret;
	size_t secret_len;
	int64_t timeout_ms;
	char host[256];
	char base_url[300];		/* the dashboard's, for generatorURL */
	uint64_t counts[ALERT_CHANS][ALERTD_RESULTS];
	LIST_HEAD(, alertd_test) tests;
	bool closing;
};

/* Start what is due, up to ALERTD_INFLIGHT; arm the timer for the next. */
void alertd_pump(struct alertd *ad);
/* Arm the storm window's timer for its end (nothing when it is closed). */
void alertd_storm_arm(struct alertd *ad);
/* Alertmanager's once-a-minute re-send of every firing alert. */
void alertd_am_cb(uv_timer_t *t);

#endif
