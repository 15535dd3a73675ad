/*
 * Alerts on prodd's loop: core/alerts' rules fed by the daemon, and the
 * channels an alert change goes to -- the event ring and /ws (through
 * on_change, which prodd.c wires to the supervisor and the hub), the API
 * (GET /api/alerts, POST /api/alerts/test), /metrics' counters, the
 * webhook and Alertmanager. Deliveries are libcurl transfers on the
 * probes' machinery (probe-curl.h, a multi handle of its own): never a
 * blocking call. The webhook's queue is bounded (ALERTD_QUEUE_MAX; the
 * oldest resolves go first), each delivery retried with backoff (1 s
 * doubling to 5 min) for up to 24 h, and held to max_notifications per
 * window with one summary after it. A leaf: it knows no supervisor.
 * Loop thread only.
 */
#ifndef PRODD_ALERTD_H
#define PRODD_ALERTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <cjson/cJSON.h>

#include "prodd/alerts.h"
#include "prodd/config.h"
#include "prodd/logring.h"

#define ALERTD_QUEUE_MAX 1000
#define ALERTD_INFLIGHT 4		/* webhook transfers at once */
#define ALERTD_RETRY_FIRST_MS 1000
#define ALERTD_RETRY_MAX_MS (5 * 60 * 1000)
#define ALERTD_GIVE_UP_MS (24LL * 3600 * 1000)
#define ALERTD_AM_RESEND_MS 60000	/* all firing, to Alertmanager */
#define ALERTD_AM_ENDS_MS (4 * 60 * 1000)

/* prodd_alert_notifications_total's result label */
enum alertd_result { ALERTD_DELIVERED, ALERTD_FAILED, ALERTD_SUPPRESSED,
	ALERTD_DROPPED, ALERTD_GAVE_UP, ALERTD_RESULTS };

struct alertd;

struct alertd_hooks {
	/* an alert fired or resolved (not repeats): the event ring, /ws */
	void (*on_change)(void *arg, const struct alert *a,
	    enum alert_change ch);
	void *arg;
};

struct alertd *alertd_new(uv_loop_t *loop, const struct alertd_hooks *h);
/*
 * Read cfg's webhook_secret_file: 0 with the secret (caller frees; NULL
 * when none is set), or -1 with "FILE:LINE:COL: message" in err (an
 * unreadable or empty file is a config error, at start and at a reload).
 */
int alertd_read_secret(const struct cfg *cfg, char **secret, size_t *len,
    char *err, size_t errlen);
/* "X-Prodd-Signature: sha256=HEX" of body into hdr (alert-sign.c). */
void alertd_sign(const char *secret, size_t secret_len, const char *body,
    size_t len, char *hdr, size_t hdrlen);
/* Rules and channels from cfg (at start and at each reload). */
void alertd_configure(struct alertd *ad, const struct cfg *cfg);
/* The daemon's feeds (see alerts.h); ring (may be NULL) gives
 * service_failed its last lines. */
void alertd_on_state(struct alertd *ad, const char *service, int from,
    int to, const char *reason, const struct logring *ring);
void alertd_on_health(struct alertd *ad, const char *service, bool healthy);
void alertd_on_sample(struct alertd *ad, const struct alert_svc_sample *svcs,
    size_t n, const struct alert_host_sample *host);

/* {"active": [...], "resolved": [...]} with each channel's delivery */
cJSON *alertd_list_json(const struct alertd *ad);
/* the active alerts alone: the snapshot's "alerts" */
cJSON *alertd_active_json(const struct alertd *ad);
size_t alertd_firing(const struct alertd *ad);
uint64_t alertd_count(const struct alertd *ad, enum alert_chan c,
    enum alertd_result r);
const char *alertd_result_name(enum alertd_result r);
/* Which channels are configured (bit 1 << enum alert_chan). */
unsigned alertd_channels(const struct alertd *ad);

/* An upgrade (alertd-handover.c): deliveries in flight (the old prodd
 * waits a little for them before the exec; one still in flight then is
 * sent again by the new prodd); every alert, restart_loop's memory, the
 * storm window, the queue, Alertmanager's re-send and the counters saved
 * into h, and taken over from it once alertd_configure has run (alerts
 * of services the file no longer has then resolve, as at a reload). A
 * restored alert neither fires nor notifies again. */
struct handover;
size_t alertd_inflight(const struct alertd *ad);
void alertd_handover_save(const struct alertd *ad, struct handover *h);
void alertd_handover_restore(struct alertd *ad, struct handover *h,
    const struct cfg *cfg);

/* POST /api/alerts/test: one test alert through every configured
 * channel; fn gets {"webhook": {...}, "alertmanager": {...}} (takes it)
 * once each attempt ended. Returns a handle to cancel with
 * alertd_test_cancel (the client went away) until fn was called. */
typedef void (*alertd_test_fn)(void *arg, cJSON *result);
struct alertd_test *alertd_test(struct alertd *ad, alertd_test_fn fn,
    void *arg);
void alertd_test_cancel(struct alertd *ad, struct alertd_test *t);

/* Stop every transfer and timer; free after the loop ran dry. */
void alertd_close(struct alertd *ad);
void alertd_free(struct alertd *ad);

#endif
