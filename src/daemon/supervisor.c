/*
 * The supervisor (see supervisor.h): the state machine driven. Every
 * change goes through sup_dispatch(): the lifecycle table decides, this
 * file records the event and carries out the actions, then the planner is
 * asked what may start or stop next (sup_reconcile), until nothing moves.
 * Here too: a service's creation and its end (its process handle and
 * output pipes live on their own and are freed in their close callbacks;
 * the service itself is freed only when all of them are closed), the
 * supervisor's own creation and close, and the read accessors. The verbs,
 * process handling and health checks have files of their own
 * (supervisor-int.h).
 */
#include "supervisor-int.h"
#include "prodd/log.h"
#include "prodd/probe.h"
#include "prodd/reaper.h"
#include "prodd/strutil.h"
#include "prodd/view.h"
#include "prodd/xmalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Output kept in memory per service, besides log.ring lines. */
#define SUP_RING_BYTES (256 * 1024)

int64_t
sup_now(const struct supervisor *sup)
{
	return (int64_t)uv_now(sup->loop);
}

void
sup_set_reason(struct sup_svc *s, const char *fmt, ...)
{
	char buf[SUP_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (s->reason != NULL && strcmp(s->reason, buf) == 0)
		return;
	free(s->reason);
	s->reason = xstrdup(buf);
}

/* Up, or on its way up: a stop has something to do. */
bool
sup_active(const struct sup_svc *s)
{
	return fsm_state_alive(s->fsm.state) || s->fsm.state == FSM_WAITING ||
	    s->fsm.state == FSM_BACKOFF;
}

/* An event to prodd's log and to the hooks. */
static void
sup_report(struct supervisor *sup, const struct event *stored)
{
	struct strbuf meta = { 0 };
	enum log_level lvl = LOG_LVL_INFO;

	if (stored->kind == EVENT_STATE && (stored->to == FSM_BACKOFF ||
	    stored->to == FSM_UNHEALTHY))
		lvl = LOG_LVL_WARN;
	if (stored->kind == EVENT_STATE && stored->to == FSM_FAILED)
		lvl = LOG_LVL_ERROR;
	if (stored->kind == EVENT_ALERT)
		lvl = LOG_LVL_WARN;	/* alerts fire and resolve in the log */
	if (lvl <= log_level_current) {
		view_event_text(stored, &meta);
		if (stored->kind == EVENT_STATE)
			log_emit(lvl, stored->service[0] ? stored->service : NULL,
			    meta.buf, "%s -> %s: %s",
			    fsm_state_name((enum fsm_state)stored->from),
			    fsm_state_name((enum fsm_state)stored->to),
			    stored->reason);
		else
			log_emit(lvl, stored->service[0] ? stored->service : NULL,
			    meta.buf, "%s", stored->reason);
		sb_free(&meta);
	}
	if (sup->hooks.on_event != NULL)
		sup->hooks.on_event(stored, sup->hooks.arg);
}

void
sup_emit(struct supervisor *sup, struct event *e)
{
	e->ts_ms = clock_wall_ms();
	events_push(&sup->events, e);
	if (sup->held_from == 0)
		sup_report(sup, e);
	else if (sup->events.next_seq - sup->held_from >= SUP_HOLD_MAX) {
		sup_release(sup);	/* in order, well inside the ring */
		sup_hold(sup);
	}
}

void
sup_hold(struct supervisor *sup)
{
	if (sup->held_from == 0)
		sup->held_from = sup->events.next_seq;
}

void
sup_release(struct supervisor *sup)
{
	uint64_t from = sup->held_from, end = sup->events.next_seq;
	struct event e;

	if (from == 0)
		return;		/* nothing held */
	/* what a report emits (an alert) is reported at once, after the
	 * event that caused it, as without the hold */
	sup->held_from = 0;
	for (uint64_t q = from; q < end; q++)
		if (events_get(&sup->events, q, &e))
			sup_report(sup, &e);
}

void
sup_event_for(struct sup_svc *s, struct event *e, enum event_kind kind)
{
	event_clear(e);
	e->kind = kind;
	snprintf(e->service, sizeof e->service, "%s", s->cfg->name);
	e->pid = s->pid;
}

void
sup_note(struct supervisor *sup, enum event_kind kind, const char *fmt, ...)
{
	struct event e;
	va_list ap;

	event_clear(&e);
	e.kind = kind;
	va_start(ap, fmt);
	vsnprintf(e.reason, sizeof e.reason, fmt, ap);
	va_end(ap);
	sup_emit(sup, &e);
}

void
sup_note_for(struct supervisor *sup, enum event_kind kind,
    const char *service, const char *fmt, ...)
{
	struct event e;
	va_list ap;

	event_clear(&e);
	e.kind = kind;
	snprintf(e.service, sizeof e.service, "%s", service ? service : "");
	va_start(ap, fmt);
	vsnprintf(e.reason, sizeof e.reason, fmt, ap);
	va_end(ap);
	sup_emit(sup, &e);
}

/* What a service without a health check shows (health_init's, for
 * none). */
static const struct health_state sup_no_health = {
	.status = HEALTH_NONE, .last_latency_ms = -1 };

struct health_state *
sup_health(struct sup_svc *s)
{
	if (s->health == NULL) {
		s->health = xmalloc(sizeof *s->health);
		health_init(s->health, &s->cfg->health);
	}
	return s->health;
}

struct sup_rare *
sup_rare(struct sup_svc *s)
{
	if (s->rare == NULL) {
		s->rare = xcalloc(1, sizeof *s->rare);
		uv_timer_init(s->sup->loop, &s->rare->check);
		uv_timer_init(s->sup->loop, &s->rare->start_timer);
		uv_timer_init(s->sup->loop, &s->rare->watchdog);
		s->rare->check.data = s->rare->start_timer.data =
		    s->rare->watchdog.data = s;
		s->handles += 3;
	}
	return s->rare;
}

void
sup_svc_free(struct sup_svc *s)
{
	sup_tm_stop(&s->timer);
	sup_tm_stop(&s->ready);
	sup_tm_stop(&s->stable);
	free(s->reason);
	free(s->start.waited_for);
	free(s->rare);
	free(s->health);
	free(s);
}

static void
sup_handle_closed(uv_handle_t *h)
{
	struct sup_svc *s = h->data;

	if (--s->handles == 0)
		sup_svc_free(s);
}

/* What a service holds besides its process: its logs, metrics, probe and
 * timers. The service itself is freed when the last handle has closed. */
static void
sup_svc_release(struct sup_svc *s)
{
	logs_close(s->logs);
	s->logs = NULL;
	sup_exits_clear(s);
	if (s->health != NULL)
		health_free(s->health);
	probe_free(s->probe);
	s->probe = NULL;
	sup_tm_release(s);
	if (s->rare != NULL) {
		uv_close((uv_handle_t *)&s->rare->check, sup_handle_closed);
		uv_close((uv_handle_t *)&s->rare->start_timer,
		    sup_handle_closed);
		uv_close((uv_handle_t *)&s->rare->watchdog, sup_handle_closed);
	}
	sup_notify_release(s);
}

/* A gone service that nothing runs any more: close its timers. */
void
sup_maybe_free(struct sup_svc *s)
{
	struct supervisor *sup = s->sup;

	if (!s->removed || s->closing || s->pid > 0 ||
	    s->out_fd[0] >= 0 || s->out_fd[1] >= 0 ||
	    fsm_state_alive(s->fsm.state))
		return;
	LIST_REMOVE(s, gone_link);
	if (LIST_EMPTY(&sup->gone)) {
		for (size_t i = 0; i < sup->nretired; i++)
			cfg_free(sup->retired[i]);
		sup->nretired = 0;
	}
	s->closing = true;
	sup_svc_release(s);
}

void
sup_set_waited_for(struct sup_svc *s, const char *name)
{
	char **w = &s->start.waited_for;

	if (name != NULL && *w != NULL && strcmp(*w, name) == 0)
		return;
	free(*w);
	*w = name != NULL ? xstrdup(name) : NULL;
}

/* The last start's timeline: a new start begins when the service enters
 * waiting or starting from anything else; it ends ready at its first
 * running. */
static void
sup_start_track(struct sup_svc *s, enum fsm_state from, enum fsm_state to)
{
	struct sup_start *st = &s->start;
	int64_t now = clock_wall_ms();

	if ((to == FSM_WAITING || to == FSM_STARTING) &&
	    from != FSM_WAITING && from != FSM_STARTING) {
		free(st->waited_for);
		memset(st, 0, sizeof *st);
		st->wanted_ms = now;
	}
	if (to == FSM_STARTING && from == FSM_WAITING)
		st->deps_met_ms = now;
	if (to == FSM_RUNNING && from == FSM_STARTING && st->ready_ms == 0)
		st->ready_ms = now;
}

void
sup_dispatch(struct sup_svc *s, const struct fsm_in *in)
{
	struct supervisor *sup = s->sup;
	struct fsm_out out;
	int restarts = s->fsm.restarts;
	bool ahead = sup->signalled;	/* sent by sup_run_steps: this one
					 * dispatch only, not those it causes */

	sup->signalled = false;
	fsm_step(s->cfg, &s->fsm, in, &out);
	if (ahead)
		out.actions &= ~(unsigned)(FSM_DO_KILL | FSM_DO_KILL_HARD);
	if (out.changed && out.to == FSM_STOPPING && out.from != FSM_STOPPING)
		s->stop_cause = in->ev;
	if (s->fsm.restarts > restarts)	/* an automatic restart: why */
		s->restarts_by[prom_restart_reason(in->ev, out.from,
		    in->exit_signal, s->stop_cause)]++;
	if (out.changed) {
		struct event e;

		sup_set_reason(s, "%s", out.reason);
		sup_event_for(s, &e, EVENT_STATE);
		e.from = (int)out.from;
		e.to = (int)out.to;
		e.delay_ms = out.delay_ms;
		if (in->ev == FSM_EV_EXIT) {
			e.exit_code = in->exit_signal ? -1 : in->exit_code;
			e.signal = in->exit_signal;
		}
		snprintf(e.reason, sizeof e.reason, "%s", out.reason);
		sup_emit(sup, &e);
		sup_start_track(s, out.from, out.to);
	}
	if (out.actions & FSM_DO_TIMER_STOP)
		sup_tm_stop(&s->timer);
	if (out.actions & FSM_DO_UNWATCH) {
		sup_tm_stop(&s->ready);
		sup_tm_stop(&s->stable);
		sup_health_stop(s);
		sup_notify_stop(s);
	}
	if (out.actions & FSM_DO_TIMER)
		sup_tm_start(&s->timer, (uint64_t)out.timer_ms);
	if (out.actions & FSM_DO_KILL)
		sup_kill(s, out.kill_signal);
	if (out.actions & FSM_DO_KILL_HARD)
		sup_kill(s, SIGKILL);
	if ((out.actions & FSM_DO_STABLE_WATCH) && s->cfg->restart_window_ms > 0)
		sup_tm_start(&s->stable, (uint64_t)s->cfg->restart_window_ms);
	if (out.actions & FSM_DO_SPAWN)
		sup_spawn(s);
	if (out.changed)
		sup_replan(sup, s);
}

/*
 * The steps of one pass of the planner: every stop's signal first, then
 * each step's event and other actions. A stop of many (a shutdown, stop
 * all) thus signals every group at once, and their ends overlap with the
 * events and log lines of the stops instead of waiting for them. The
 * signal is what the lifecycle table decides (asked on a copy of the
 * state, then again for real, which then sends nothing); only the signals
 * come earlier, in the same turn of the loop.
 */
static void
sup_run_steps(struct supervisor *sup, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct sup_svc *s = sup->svcs[sup->steps[k].svc];
		struct fsm_in in = { .ev = sup->steps[k].ev,
			.now_ms = sup_now(sup) };
		struct fsm_svc ahead;
		struct fsm_out out;

		sup->ahead[k] = false;
		if (in.ev != FSM_EV_STOP)
			continue;
		if (sup->shutting_down)
			in.why = "prodd is shutting down";
		/* what the table will say, on a copy: only the signal now */
		ahead = s->fsm;
		fsm_step(s->cfg, &ahead, &in, &out);
		if (out.actions & FSM_DO_KILL)
			sup_kill(s, out.kill_signal);
		if (out.actions & FSM_DO_KILL_HARD)
			sup_kill(s, SIGKILL);
		sup->ahead[k] = (out.actions &
		    (FSM_DO_KILL | FSM_DO_KILL_HARD)) != 0;
	}
	for (size_t k = 0; k < n; k++) {
		struct sup_svc *s = sup->svcs[sup->steps[k].svc];
		struct fsm_in in = { .ev = sup->steps[k].ev,
			.now_ms = sup_now(sup) };

		if (in.ev == FSM_EV_STOP && sup->shutting_down)
			in.why = "prodd is shutting down";
		sup->signalled = sup->ahead[k];
		sup_dispatch(s, &in);
	}
}

static void
sup_scratch(struct supervisor *sup)
{
	size_t n = sup->cfg->nservices;

	if (sup->scratch_n >= n && sup->states != NULL)
		return;
	free(sup->states);
	free(sup->steps);
	free(sup->blocked);
	free(sup->changed);
	free(sup->near);
	free(sup->marked);
	free(sup->seen);
	free(sup->ahead);
	plan_dependents_free(&sup->dependents);
	sup->ahead = xcalloc(n + 1, sizeof *sup->ahead);
	sup->states = xcalloc(n + 1, sizeof *sup->states);
	sup->steps = xcalloc(n + 1, sizeof *sup->steps);
	sup->blocked = xcalloc(n + 1, sizeof *sup->blocked);
	sup->changed = xcalloc(n + 1, sizeof *sup->changed);
	sup->near = xcalloc(n + 1, sizeof *sup->near);
	sup->marked = xcalloc(n + 1, sizeof *sup->marked);
	sup->seen = xcalloc(n + 1, sizeof *sup->seen);
	sup->nchanged = 0;
	sup->plan_all = true;
	sup->down_from = 0;
	sup->scratch_n = n;
}

/* Shutting down: whether every service is down. Services stay down once
 * down (nothing starts any more), so the scan goes on from where the last
 * one stopped: O(services) over the whole shutdown, not per exit. */
static bool
sup_all_down(struct supervisor *sup)
{
	const struct sup_svc *g;

	for (; sup->down_from < sup->cfg->nservices; sup->down_from++) {
		const struct sup_svc *s = sup->svcs[sup->down_from];

		if (sup_active(s) || s->pid > 0)
			return false;
	}
	LIST_FOREACH(g, &sup->gone, gone_link)
		if (g->pid > 0)
			return false;
	return true;
}

/* s's state changed: plan for it and its neighbours next time. */
static void
sup_mark(struct supervisor *sup, const struct sup_svc *s)
{
	size_t i;

	if (sup->scratch_n == 0 || sup->states == NULL) {
		sup->plan_all = true;	/* a reload is under way */
		return;
	}
	sup_scratch(sup);
	if (s->cfg < sup->cfg->services ||
	    s->cfg >= sup->cfg->services + sup->cfg->nservices) {
		sup->plan_all = true;	/* removed by a reload */
		return;
	}
	i = (size_t)(s->cfg - sup->cfg->services);
	if (sup->svcs[i] != s) {
		sup->plan_all = true;
		return;
	}
	if (!sup->marked[i]) {
		sup->marked[i] = true;
		sup->changed[sup->nchanged++] = i;
	}
}

/* One pass of the planner: every service after sup_reconcile, else the
 * neighbourhoods of those that changed. The blocked reasons of the
 * services looked at. */
static size_t
sup_plan(struct supervisor *sup)
{
	size_t n, nlooked, *looked;

	if (sup->plan_all) {
		/* svcs[] changes at a reload only, which plans everything:
		 * a pass for a few services touches a few */
		for (size_t i = 0; i < sup->cfg->nservices; i++)
			sup->states[i] = &sup->svcs[i]->fsm;
		plan_dependents(sup->cfg, &sup->dependents);
		n = plan_next(sup->cfg, sup->states, sup->steps, sup->blocked);
		nlooked = sup->cfg->nservices;
		looked = NULL;
	} else {
		n = plan_near(sup->cfg, sup->states, &sup->dependents,
		    sup->changed, sup->nchanged, sup->seen, sup->near,
		    &nlooked, sup->steps, sup->blocked);
		looked = sup->near;
	}
	for (size_t c = 0; c < sup->nchanged; c++)
		sup->marked[sup->changed[c]] = false;
	sup->nchanged = 0;
	sup->plan_all = false;
	for (size_t k = 0; k < nlooked; k++) {
		size_t i = looked != NULL ? looked[k] : k;
		struct sup_svc *s = sup->svcs[i];

		if (sup->blocked[i] >= 0) {
			const struct sup_svc *d = sup->svcs[sup->blocked[i]];

			sup_set_reason(s, "waiting for '%s' (%s)", d->cfg->name,
			    fsm_state_name(d->fsm.state));
			sup_set_waited_for(s, d->cfg->name);
		}
	}
	return n;
}

void
sup_reconcile(struct supervisor *sup)
{
	sup_scratch(sup);
	sup->plan_all = true;
	sup_replan(sup, NULL);
}

void
sup_replan(struct supervisor *sup, struct sup_svc *changed)
{
	if (changed != NULL)
		sup_mark(sup, changed);
	if (sup->reconciling) {
		sup->dirty = true;
		return;
	}
	sup->reconciling = true;
	sup_scratch(sup);
	do {
		size_t n;

		sup->dirty = false;
		n = sup_plan(sup);
		sup->batching = true;
		sup_run_steps(sup, n);
		sup->batching = false;
		sup_spawn_flush(sup);
		if (n > 0)
			sup->dirty = true;
	} while (sup->dirty);
	sup->reconciling = false;
	if (sup->shutting_down && !sup->idle_told && sup_all_down(sup)) {
		sup->idle_told = true;
		uv_timer_stop(&sup->shutdown_timer);
		sup_release(sup);	/* the last events before the end */
		if (sup->hooks.on_idle != NULL)
			sup->hooks.on_idle(sup->hooks.arg);
	}
}

void
sup_logs_opts(const struct supervisor *sup, const struct cfg_service *c,
    struct logs_opts *o)
{
	o->dir = sup->cfg->daemon.log_dir;
	o->name = c->name;
	o->max_size = c->log.max_size;
	o->keep = c->log.keep;
	o->ring_lines = (size_t)c->log.ring;
	o->ring_bytes = c->log.ring > 0 ? SUP_RING_BYTES : 0;
}

static void
sup_line_cb(void *arg, int stream, int64_t ts_ms, const char *line,
    size_t len)
{
	struct sup_svc *s = arg;
	struct supervisor *sup = s->sup;

	if (sup->hooks.on_line != NULL)
		sup->hooks.on_line(sup->hooks.arg, s->cfg->name, stream, ts_ms,
		    line, len);
}

struct sup_svc *
sup_svc_new(struct supervisor *sup, struct cfg_service *c)
{
	struct sup_svc *s = xcalloc(1, sizeof *s);
	struct logs_opts lo;
	char err[256];

	s->sup = sup;
	s->cfg = c;
	fsm_init(&s->fsm);
	sup_tm_init(s);
	s->handles = 1;		/* its own: dropped after its release */
	s->out_fd[0] = s->out_fd[1] = -1;
	sup_notify_init(s);
	if (c->health.kind != CFG_HEALTH_NONE)
		(void)sup_health(s);
	err[0] = '\0';
	sup_logs_opts(sup, c, &lo);
	s->logs = logs_open(&lo, err, sizeof err);
	if (err[0] != '\0')
		log_warn(c->name, "output is kept in memory only: %s", err);
	logs_set_listener(s->logs, sup_line_cb, s);
	return s;
}

struct supervisor *
sup_new(uv_loop_t *loop, struct cfg *cfg, const struct sup_hooks *hooks)
{
	struct supervisor *sup = xcalloc(1, sizeof *sup);

	sup->loop = loop;
	sup->cfg = cfg;
	if (hooks != NULL)
		sup->hooks = *hooks;
	events_init(&sup->events, EVENTS_RING_DEFAULT);
	LIST_INIT(&sup->gone);
	sup->svcs = xcalloc(cfg->nservices + 1, sizeof *sup->svcs);
	for (size_t i = 0; i < cfg->nservices; i++)
		sup->svcs[i] = sup_svc_new(sup, &cfg->services[i]);
	sup->reaper = reaper_new(loop, NULL, sup_reaped_cb, sup);
	sup->prober = prober_new(loop);
	sup_out_setup(sup);
	uv_timer_init(loop, &sup->shutdown_timer);
	sup_tm_setup(sup);
	sup->shutdown_timer.data = sup;
	return sup;
}

static void
sup_close_svc(struct sup_svc *s)
{
	if (s->closing)
		return;
	s->closing = true;
	sup_out_close_all(s);
	if (s->pid > 0) {
		/* still running at exit: it will not be reaped by us */
		pidmap_del(&s->sup->pids, s->pid);
		s->pid = 0;
	}
	sup_svc_release(s);
}

static void
sup_noop_close(uv_handle_t *h)
{
	(void)h;
}

void
sup_close(struct supervisor *sup)
{
	struct sup_svc *s;

	/* the orphans the last stops killed, reaped while every service
	 * still stands */
	reaper_finish(sup->reaper);
	sup->closing = true;
	for (size_t i = 0; i < sup->cfg->nservices; i++)
		sup_close_svc(sup->svcs[i]);
	LIST_FOREACH(s, &sup->gone, gone_link)
		sup_close_svc(s);
	reaper_close(sup->reaper);
	prober_close(sup->prober);
	sup->prober = NULL;
	uv_close((uv_handle_t *)&sup->shutdown_timer, sup_noop_close);
	sup_out_teardown(sup);
	sup_tm_close(sup);
}

void
sup_free(struct supervisor *sup)
{
	sup_tm_teardown(sup);
	for (size_t i = 0; i < sup->nretired; i++)
		cfg_free(sup->retired[i]);
	free(sup->retired);
	free(sup->svcs);
	free(sup->states);
	free(sup->steps);
	free(sup->blocked);
	free(sup->changed);
	free(sup->near);
	free(sup->marked);
	free(sup->seen);
	free(sup->ahead);
	plan_dependents_free(&sup->dependents);
	pidmap_free(&sup->pids);
	events_free(&sup->events);
	cfg_free(sup->cfg);
	free(sup);
}

int
sup_index(const struct supervisor *sup, const char *name)
{
	return cfg_service_index(sup->cfg, name);
}

const struct cfg *sup_cfg(const struct supervisor *sup) { return sup->cfg; }
const struct events *sup_events(const struct supervisor *sup) { return &sup->events; }
size_t sup_count(const struct supervisor *sup) { return sup->cfg->nservices; }

struct sup_svc *
sup_svc_at(const struct supervisor *sup, size_t i)
{
	return i < sup->cfg->nservices ? sup->svcs[i] : NULL;
}

struct sup_svc *
sup_find(const struct supervisor *sup, const char *name)
{
	int i = sup_index(sup, name);

	return i < 0 ? NULL : sup->svcs[i];
}

const struct cfg_service *sup_svc_cfg(const struct sup_svc *s) { return s->cfg; }
const struct fsm_svc *sup_svc_fsm(const struct sup_svc *s) { return &s->fsm; }
pid_t sup_svc_pid(const struct sup_svc *s) { return s->pid; }
const char *sup_svc_reason(const struct sup_svc *s) { return s->reason != NULL ? s->reason : "not started"; }
int64_t sup_svc_started_ms(const struct sup_svc *s) { return s->started_ms; }
struct logs_svc *sup_svc_logs(const struct sup_svc *s) { return s->logs; }
bool sup_svc_down_by_hand(const struct sup_svc *s) { return s->down_by_hand; }
int64_t sup_svc_exit_ms(const struct sup_svc *s) { return s->exit_ms; }
const struct health_state *sup_svc_health(const struct sup_svc *s) { return s->health != NULL ? s->health : &sup_no_health; }
const struct sup_exit *sup_svc_exit(const struct sup_svc *s, size_t i) { return i < s->nexits ? &s->exits[i] : NULL; }
const struct sup_start *sup_svc_start(const struct sup_svc *s) { return &s->start; }
uint64_t sup_svc_restarts(const struct sup_svc *s, enum prom_reason r) { return (unsigned)r < PROM_NREASONS ? s->restarts_by[r] : 0; }

void
sup_over_limit(struct supervisor *sup, const char *name, const char *why)
{
	struct sup_svc *s = sup_find(sup, name);
	struct fsm_in in = { .ev = FSM_EV_LIMIT, .now_ms = sup_now(sup),
		.why = why };

	if (s != NULL && s->pid > 0 && !s->closing)
		sup_dispatch(s, &in);
}
