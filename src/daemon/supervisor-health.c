/*
 * The supervisor's health checks: the schedule and the meaning are
 * core/health.c's, the checks probe.c's; here they meet the lifecycle. A
 * check runs on its grid while the process lives; a change (healthy,
 * unhealthy) is an event of its own and a READY or UNHEALTHY for the
 * lifecycle table.
 */
#include "supervisor-int.h"
#include "prodd/log.h"
#include "prodd/probe.h"

#include <stdarg.h>
#include <stdio.h>

static void sup_check_cb(uv_timer_t *t);

static void
sup_check_arm(struct sup_svc *s)
{
	int64_t wait = sup_health(s)->next_ms - sup_now(s->sup);

	uv_timer_start(&sup_rare(s)->check, sup_check_cb,
	    (uint64_t)(wait > 0 ? wait : 0), 0);
}

void
sup_health_begin(struct sup_svc *s)
{
	health_begin(sup_health(s), &s->cfg->health, sup_now(s->sup),
	    health_phase(s->cfg->name));
	sup_check_arm(s);
}

void
sup_health_resume(struct sup_svc *s)
{
	sup_check_arm(s);
}

/* The process is gone or going: no more checks, health unknown. */
void
sup_health_stop(struct sup_svc *s)
{
	if (s->rare != NULL)
		uv_timer_stop(&s->rare->check);
	if (s->probe != NULL)
		probe_cancel(s->probe);
	if (s->health != NULL && s->health->status != HEALTH_NONE)
		s->health->status = HEALTH_UNKNOWN;
}

static void
sup_health_event(struct sup_svc *s, enum health_status from,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
sup_health_event(struct sup_svc *s, enum health_status from,
    const char *fmt, ...)
{
	struct event e;
	va_list ap;

	sup_event_for(s, &e, EVENT_HEALTH);
	e.from = (int)from;
	e.to = (int)sup_health(s)->status;
	va_start(ap, fmt);
	vsnprintf(e.reason, sizeof e.reason, fmt, ap);
	va_end(ap);
	sup_emit(s->sup, &e);
}

static void
sup_probe_done(void *arg, bool ok, double latency_ms, const char *error)
{
	struct sup_svc *s = arg;
	const struct cfg_health *h = &s->cfg->health;
	enum health_status from = sup_health(s)->status;
	enum health_change ch;
	char why[160];

	if (s->pid <= 0 || s->closing)
		return;
	ch = health_result(sup_health(s), h, sup_now(s->sup), clock_wall_ms(),
	    ok, latency_ms, error);
	if (ch == HEALTH_BECAME_HEALTHY) {
		struct fsm_in in = { .ev = FSM_EV_READY,
			.now_ms = sup_now(s->sup), .why = why };

		snprintf(why, sizeof why, "healthy (%s check passed in %.1f ms)",
		    cfg_health_kind_name(h->kind), latency_ms);
		sup_health_event(s, from, "%s", why);
		/* notify: true waits for READY=1 as well, which then
		 * finds the check passed */
		if (sup_notify_ready_ok(s))
			sup_dispatch(s, &in);
	} else if (ch == HEALTH_BECAME_UNHEALTHY) {
		struct fsm_in in = { .ev = FSM_EV_UNHEALTHY,
			.now_ms = sup_now(s->sup), .why = why };

		snprintf(why, sizeof why, "%d health checks failed in a row, "
		    "the last: %s", s->health->failures,
		    s->health->last_error);
		sup_health_event(s, from, "unhealthy: %s", why);
		sup_dispatch(s, &in);
	}
}

static void
sup_check_cb(uv_timer_t *t)
{
	struct sup_svc *s = t->data;
	struct supervisor *sup = s->sup;

	if (s->pid <= 0 || s->closing || sup->closing ||
	    s->cfg->health.kind == CFG_HEALTH_NONE)
		return;
	if (s->probe == NULL)
		s->probe = probe_new(sup->prober, sup_probe_done, s);
	/* a check still in flight (timeout over interval) lets this one
	 * pass; the grid moves on either way */
	health_started(sup_health(s), &s->cfg->health, sup_now(sup));
	if (!probe_busy(s->probe))
		probe_run(s->probe, s->cfg);
	sup_check_arm(s);
}
