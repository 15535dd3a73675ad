/*
 * alertd's part of an upgrade (see alertd.h): the alerts as core/alerts
 * holds them (pending and firing, then the recently resolved, oldest
 * first), restart_loop's restart times, the storm window, every queued
 * delivery (a test's excepted: whoever waited for it is gone) with its
 * attempts and next-try time, Alertmanager's re-send at its remaining
 * time, and the counters of /metrics -- into the hand-over, and back.
 * Nothing is reported on restore: the alerts were reported by the old
 * prodd, and the queue goes on where it was.
 */
#include "alertd-int.h"
#include "prodd/handover.h"
#include "prodd/log.h"
#include "prodd/probe-curl.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(ALERTD_RESULTS <= HANDOVER_ALERT_RESULTS,
    "every result counter is handed over");

size_t
alertd_inflight(const struct alertd *ad)
{
	return ad->inflight;
}

void
alertd_handover_save(const struct alertd *ad, struct handover *h)
{
	const struct alerts *al = &ad->al;
	struct ho_alerts *ho = &h->alerts;
	int64_t now = (int64_t)uv_now(ad->loop);
	const struct dlv *d;

	for (size_t i = 0; i < al->nactive; i++)
		handover_add_alert(h, al->active[i]);
	for (size_t i = 0; i < al->nresolved; i++)
		handover_add_alert(h, al->resolved[(al->rhead + i) %
		    ALERTS_RESOLVED_KEEP]);
	if (al->nrestarts > 0) {
		ho->restarts = xcalloc(al->nrestarts, sizeof *ho->restarts);
		memcpy(ho->restarts, al->restarts,
		    al->nrestarts * sizeof *ho->restarts);
		ho->nrestarts = al->nrestarts;
	}
	ho->storm = al->storm;
	TAILQ_FOREACH(d, &ad->queue, link) {
		struct ho_dlv *o;

		if (d->is_test)
			continue;
		o = handover_add_dlv(h, d->body, d->len);
		o->chan = (int)d->chan;
		snprintf(o->id, sizeof o->id, "%s", d->id);
		o->resolve = d->resolve;
		o->summary = d->summary;
		o->attempts = d->attempts;
		o->first_ms = d->first_ms;
		/* one still in flight: its answer is lost, so it is sent
		 * again at once (at least once, never lost) */
		o->next_ms = d->busy ? now : d->next_ms;
		o->backoff_ms = d->backoff_ms;
		o->give_up_ms = d->give_up_ms;
	}
	ho->am_due = uv_is_active((const uv_handle_t *)&ad->am) ? now +
	    (int64_t)uv_timer_get_due_in(&ad->am) : -1;
	for (int c = 0; c < ALERT_CHANS; c++)
		for (int r = 0; r < ALERTD_RESULTS; r++)
			ho->counts[c][r] = ad->counts[c][r];
}

/* a into the resolved ring, the oldest going when it is full */
static void
alertd_restore_resolved(struct alerts *al, struct alert *a)
{
	if (al->nresolved == ALERTS_RESOLVED_KEEP) {
		alert_free(al->resolved[al->rhead]);
		al->rhead = (al->rhead + 1) % ALERTS_RESOLVED_KEEP;
		al->nresolved--;
	}
	al->resolved[(al->rhead + al->nresolved) % ALERTS_RESOLVED_KEEP] = a;
	al->nresolved++;
}

void
alertd_handover_restore(struct alertd *ad, struct handover *h,
    const struct cfg *cfg)
{
	struct alerts *al = &ad->al;
	struct ho_alerts *ho = &h->alerts;
	int64_t now = (int64_t)uv_now(ad->loop);

	for (size_t i = 0; i < ho->n; i++) {
		struct alert *a = ho->v[i];

		ho->v[i] = NULL;	/* the alert moves */
		if (a->state == ALERT_RESOLVED) {
			alertd_restore_resolved(al, a);
			continue;
		}
		al->active = xreallocarray(al->active, al->nactive + 1,
		    sizeof *al->active);
		al->active[al->nactive++] = a;
	}
	free(al->restarts);
	al->restarts = ho->restarts;
	al->nrestarts = ho->nrestarts;
	ho->restarts = NULL;
	ho->nrestarts = 0;
	/* the window's size and cap are the file's; its state is kept */
	al->storm.open = ho->storm.open;
	al->storm.start_ms = ho->storm.start_ms;
	al->storm.count = ho->storm.count;
	al->storm.suppressed = ho->storm.suppressed;
	for (size_t i = 0; i < ho->nqueue; i++) {
		struct ho_dlv *o = &ho->queue[i];
		struct dlv *d;

		if (!(alertd_channels(ad) & (1u << o->chan)))
			continue;
		d = xcalloc(1, sizeof *d);
		d->chan = (enum alert_chan)o->chan;
		snprintf(d->id, sizeof d->id, "%s", o->id);
		d->resolve = o->resolve;
		d->summary = o->summary;
		d->body = o->body;
		d->len = o->len;
		o->body = NULL;
		d->attempts = o->attempts;
		d->first_ms = o->first_ms;
		d->next_ms = o->next_ms;
		d->backoff_ms = o->backoff_ms;
		d->give_up_ms = o->give_up_ms;
		d->ad = ad;
		TAILQ_INSERT_TAIL(&ad->queue, d, link);
		ad->nqueue++;
	}
	if (ad->am_url != NULL && ho->am_due >= 0)
		uv_timer_start(&ad->am, alertd_am_cb, (uint64_t)(ho->am_due >
		    now ? ho->am_due - now : 0), ALERTD_AM_RESEND_MS);
	for (int c = 0; c < ALERT_CHANS; c++)
		for (int r = 0; r < ALERTD_RESULTS; r++)
			ad->counts[c][r] = ho->counts[c][r];
	/* services the file no longer has, rules turned off: as at a
	 * reload */
	alerts_configure(al, cfg, clock_wall_ms());
	alertd_storm_arm(ad);
	alertd_pump(ad);
}
