/*
 * The supervisor (see supervisor.h). Each service is a struct sup_svc that
 * never moves (heap, pointed to from an array by config index). Every
 * change goes through sup_dispatch(): the lifecycle table decides, this
 * file records the event and carries out the actions, then the planner is
 * asked what may start or stop next (sup_reconcile), until nothing moves.
 * A service's process handle and output pipes live on their own and are
 * freed in their close callbacks; the service itself is freed only when
 * all of them are closed.
 */
#include "prodd/supervisor.h"
#include "prodd/health.h"
#include "prodd/log.h"
#include "prodd/logs.h"
#include "prodd/metrics.h"
#include "prodd/plan.h"
#include "prodd/probe.h"
#include "prodd/spawn.h"
#include "prodd/state.h"
#include "prodd/reaper.h"
#include "prodd/strutil.h"
#include "prodd/units.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Output kept in memory per service, besides log.ring lines. */
#define SUP_RING_BYTES (256 * 1024)

struct sup_out {
	uv_pipe_t pipe;
	struct sup_svc *svc;
	int stream;
};

struct sup_svc {
	struct supervisor *sup;
	struct cfg_service *cfg;
	struct fsm_svc fsm;
	char reason[192];
	pid_t pid;			/* > 0 while its process lives */
	int64_t started_ms;		/* wall clock, of the last spawn */
	int64_t exit_ms;		/* wall clock, of the last exit */
	struct sup_out *out[2];
	uv_timer_t timer;		/* backoff, stop timeout */
	uv_timer_t ready;		/* alive long enough */
	uv_timer_t stable;		/* restart_window */
	uv_timer_t check;		/* the next health check is due */
	struct health_state health;
	struct probe *probe;		/* created at the first check */
	struct metrics_svc metrics;	/* the sampler's */
	struct logs_svc *logs;
	bool down_by_hand;		/* kept down across restarts of prodd */
	bool removed;			/* gone from the config: free when idle */
	int handles;			/* open handles that point here */
	bool closing;
};

/* Which service a pid is, for the reaper (open addressing). */
struct pidmap_entry {
	pid_t pid;
	struct sup_svc *svc;
};

struct pidmap {
	struct pidmap_entry *v;
	size_t cap, n;
};

/* Spawns run together at most this many at a time: enough for the
 * threads to share the work, few enough that what the prepared requests
 * hold (argv, environment, two pipes each) stays small. */
#define SUP_SPAWN_BATCH 32

/* A spawn prepared, waiting for the others of its pass. */
struct sup_pending {
	struct sup_svc *s;
	struct spawn_req req;
	int outp[2], errp[2];
};

struct supervisor {
	uv_loop_t *loop;
	struct cfg *cfg;
	struct sup_svc **svcs;		/* by index in cfg */
	struct sup_svc **gone;		/* removed by a reload, still alive */
	size_t ngone;
	struct cfg **retired;		/* configs the gone ones point into */
	size_t nretired;
	struct events events;
	struct reaper *reaper;
	struct prober *prober;
	struct pidmap pids;
	uv_timer_t shutdown_timer;
	struct sup_hooks hooks;
	bool shutting_down, killed_all, idle_told, closing;
	bool reconciling, dirty;
	/* spawns of one pass of the planner, run together (sup_spawn_flush) */
	bool batching;
	struct sup_pending pending[SUP_SPAWN_BATCH];
	size_t npending;
	/* scratch for the planner */
	const struct fsm_svc **states;
	struct plan_step *steps;
	int *blocked;
	size_t scratch_n;
};

static void sup_dispatch(struct sup_svc *s, const struct fsm_in *in);

/* Up, or on its way up: a stop has something to do. */
static bool
sup_active(const struct sup_svc *s)
{
	return fsm_state_alive(s->fsm.state) || s->fsm.state == FSM_WAITING ||
	    s->fsm.state == FSM_BACKOFF;
}
static void sup_reconcile(struct supervisor *sup);
static void sup_maybe_free(struct sup_svc *s);

/* ------------------------------------------------------------------ */
/* small helpers */

static int64_t
sup_now(const struct supervisor *sup)
{
	return (int64_t)uv_now(sup->loop);
}

static size_t
pidmap_slot(const struct pidmap *m, pid_t pid)
{
	return ((size_t)pid * 2654435761u) & (m->cap - 1);
}

static void pidmap_put(struct pidmap *m, pid_t pid, struct sup_svc *svc);

static void
pidmap_grow(struct pidmap *m)
{
	struct pidmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->v = xcalloc(m->cap, sizeof *m->v);
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.v[i].pid > 0)
			pidmap_put(m, old.v[i].pid, old.v[i].svc);
	free(old.v);
}

static void
pidmap_put(struct pidmap *m, pid_t pid, struct sup_svc *svc)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		pidmap_grow(m);
	for (i = pidmap_slot(m, pid); m->v[i].pid != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->v[i].pid == pid) {
			m->v[i].svc = svc;
			return;
		}
	m->v[i].pid = pid;
	m->v[i].svc = svc;
	m->n++;
}

static struct sup_svc *
pidmap_get(const struct pidmap *m, pid_t pid)
{
	if (m->cap == 0)
		return NULL;
	for (size_t i = pidmap_slot(m, pid); m->v[i].pid != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->v[i].pid == pid)
			return m->v[i].svc;
	return NULL;
}

static void
pidmap_del(struct pidmap *m, pid_t pid)
{
	size_t i, j;

	if (m->cap == 0)
		return;
	for (i = pidmap_slot(m, pid); m->v[i].pid != pid;
	    i = (i + 1) & (m->cap - 1))
		if (m->v[i].pid == 0)
			return;
	/* backward-shift deletion keeps every probe chain unbroken */
	m->v[i].pid = 0;
	m->n--;
	for (j = (i + 1) & (m->cap - 1); m->v[j].pid != 0;
	    j = (j + 1) & (m->cap - 1)) {
		struct pidmap_entry e = m->v[j];

		m->v[j].pid = 0;
		m->n--;
		pidmap_put(m, e.pid, e.svc);
	}
}

/* ------------------------------------------------------------------ */
/* events */

static void
sup_emit(struct supervisor *sup, struct event *e)
{
	const struct event *stored;
	struct strbuf meta = { 0 };
	enum log_level lvl = LOG_LVL_INFO;

	e->ts_ms = clock_wall_ms();
	stored = events_push(&sup->events, e);
	if (stored->kind == EVENT_STATE && (stored->to == FSM_BACKOFF ||
	    stored->to == FSM_UNHEALTHY))
		lvl = LOG_LVL_WARN;
	if (stored->kind == EVENT_STATE && stored->to == FSM_FAILED)
		lvl = LOG_LVL_ERROR;
	if (lvl <= log_level_current) {
		event_to_json(stored, &meta);
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

static void
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

/* ------------------------------------------------------------------ */
/* handles */

static void
sup_handle_closed(uv_handle_t *h)
{
	struct sup_svc *s = h->data;

	if (--s->handles == 0)
		free(s);
}

static void
sup_out_closed(uv_handle_t *h)
{
	struct sup_out *o = h->data;
	struct sup_svc *s = o->svc;

	free(o);
	if (--s->handles == 0)
		free(s);
	else
		sup_maybe_free(s);
}

static void
sup_out_close(struct sup_out *o)
{
	struct sup_svc *s = o->svc;

	s->out[o->stream - 1] = NULL;
	if (!uv_is_closing((uv_handle_t *)&o->pipe))
		uv_close((uv_handle_t *)&o->pipe, sup_out_closed);
}

static void
sup_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	/* one buffer for every pipe: a read is consumed before the next */
	static char space[64 * 1024];

	(void)h;
	(void)suggested;
	buf->base = space;
	buf->len = sizeof space;
}

static void
sup_read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct sup_out *o = st->data;
	struct sup_svc *s = o->svc;

	if (n > 0) {
		logs_feed(s->logs, o->stream, buf->base, (size_t)n,
		    clock_wall_ms());
		return;
	}
	if (n == 0)
		return;
	logs_flush(s->logs, o->stream, clock_wall_ms());
	sup_out_close(o);
}

static struct sup_out *
sup_out_open(struct sup_svc *s, int stream, int fd)
{
	struct sup_out *o = xcalloc(1, sizeof *o);

	o->svc = s;
	o->stream = stream;
	uv_pipe_init(s->sup->loop, &o->pipe, 0);
	o->pipe.data = o;
	s->handles++;
	if (uv_pipe_open(&o->pipe, fd) < 0 ||
	    uv_read_start((uv_stream_t *)&o->pipe, sup_alloc_cb,
	    sup_read_cb) < 0) {
		close(fd);
		uv_close((uv_handle_t *)&o->pipe, sup_out_closed);
		return NULL;
	}
	return o;
}

/* What a service holds besides its process: its logs, metrics, probe and
 * timers. The service itself is freed when the last handle has closed. */
static void
sup_svc_release(struct sup_svc *s)
{
	logs_close(s->logs);
	s->logs = NULL;
	metrics_svc_free(&s->metrics);
	health_free(&s->health);
	probe_free(s->probe);
	s->probe = NULL;
	uv_close((uv_handle_t *)&s->timer, sup_handle_closed);
	uv_close((uv_handle_t *)&s->ready, sup_handle_closed);
	uv_close((uv_handle_t *)&s->stable, sup_handle_closed);
	uv_close((uv_handle_t *)&s->check, sup_handle_closed);
}

/* A gone service that nothing runs any more: close its timers. */
static void
sup_maybe_free(struct sup_svc *s)
{
	struct supervisor *sup = s->sup;

	if (!s->removed || s->closing || s->pid > 0 ||
	    s->out[0] != NULL || s->out[1] != NULL ||
	    fsm_state_alive(s->fsm.state))
		return;
	for (size_t i = 0; i < sup->ngone; i++)
		if (sup->gone[i] == s) {
			sup->gone[i] = sup->gone[--sup->ngone];
			break;
		}
	if (sup->ngone == 0) {
		for (size_t i = 0; i < sup->nretired; i++)
			cfg_free(sup->retired[i]);
		sup->nretired = 0;
	}
	s->closing = true;
	sup_svc_release(s);
}

/* ------------------------------------------------------------------ */
/* spawn and exit */

/* The service's main process ended (the reaper reaped it). */
static void
sup_exit(struct sup_svc *s, int status, int term_signal)
{
	struct supervisor *sup = s->sup;
	struct fsm_in in = { .ev = FSM_EV_EXIT, .now_ms = sup_now(sup),
		.exit_code = term_signal ? -1 : status,
		.exit_signal = term_signal };
	struct event e;
	pid_t pid = s->pid;

	pidmap_del(&sup->pids, pid);
	s->exit_ms = clock_wall_ms();
	metrics_svc_clear(&s->metrics);
	/* whatever is left of its group goes with it */
	kill(-pid, SIGKILL);
	state_forget(sup->cfg->daemon.state_dir, s->cfg->name);
	sup_event_for(s, &e, EVENT_EXIT);
	e.exit_code = term_signal ? -1 : status;
	e.signal = term_signal;
	if (term_signal)
		snprintf(e.reason, sizeof e.reason, "pid %d killed by signal %d",
		    pid, term_signal);
	else
		snprintf(e.reason, sizeof e.reason, "pid %d exited with code %d",
		    pid, status);
	sup_emit(sup, &e);
	logs_note(s->logs, clock_wall_ms(), e.reason);
	s->pid = 0;		/* before the dispatch: it may spawn anew */
	sup_dispatch(s, &in);
	sup_maybe_free(s);
	sup_reconcile(sup);
}

static void sup_ready_cb(uv_timer_t *t);
static void sup_health_begin(struct sup_svc *s);
static void sup_spawn_flush(struct supervisor *sup);

/* A spawn that failed before or at posix_spawn: an event, not a crash. */
static void
sup_spawn_failed(struct sup_svc *s, const char *why)
{
	struct fsm_in in = { .ev = FSM_EV_SPAWN_FAILED,
		.now_ms = sup_now(s->sup), .why = why };

	s->pid = 0;
	logs_note(s->logs, clock_wall_ms(), why);
	sup_dispatch(s, &in);
}

/* After posix_spawn: the pid (or the reason it failed), its pipes, its
 * record, its events, and what tells when it is ready. */
static void
sup_spawn_end(struct sup_pending *p)
{
	struct sup_svc *s = p->s;
	struct supervisor *sup = s->sup;
	char err[512];
	struct event e;

	s->pid = spawn_finish(&p->req, err, sizeof err);
	close(p->outp[1]);
	close(p->errp[1]);
	if (s->pid <= 0) {
		close(p->outp[0]);
		close(p->errp[0]);
		sup_spawn_failed(s, err);
		return;
	}
	s->started_ms = clock_wall_ms();
	pidmap_put(&sup->pids, s->pid, s);
	state_record(sup->cfg->daemon.state_dir, s->cfg->name, s->pid);
	s->out[0] = sup_out_open(s, LOG_STREAM_STDOUT, p->outp[0]);
	s->out[1] = sup_out_open(s, LOG_STREAM_STDERR, p->errp[0]);
	sup_event_for(s, &e, EVENT_SPAWN);
	snprintf(e.reason, sizeof e.reason, "started pid %d", s->pid);
	sup_emit(sup, &e);
	logs_note(s->logs, s->started_ms, e.reason);
	if (s->cfg->health.kind == CFG_HEALTH_NONE)
		uv_timer_start(&s->ready, sup_ready_cb,
		    (uint64_t)s->cfg->ready_after_ms, 0);
	else
		sup_health_begin(s);
}

/* Spawn s: now, or with the others of the planner's pass when one is
 * being carried out (sup->batching). */
static void
sup_spawn(struct sup_svc *s)
{
	struct supervisor *sup = s->sup;
	struct sup_pending one, *p = &one;
	char err[512];

	if (sup->batching)
		p = &sup->pending[sup->npending];
	p->s = s;
	p->outp[0] = p->outp[1] = p->errp[0] = p->errp[1] = -1;
	if (pipe2(p->outp, O_CLOEXEC) < 0 || pipe2(p->errp, O_CLOEXEC) < 0) {
		snprintf(err, sizeof err, "cannot make output pipes: %s",
		    strerror(errno));
		if (p->outp[0] >= 0) {
			close(p->outp[0]);
			close(p->outp[1]);
		}
		sup_spawn_failed(s, err);
		return;
	}
	if (spawn_prepare(&p->req, s->cfg, p->outp[1], p->errp[1], err,
	    sizeof err) < 0) {
		for (int i = 0; i < 2; i++) {
			close(p->outp[i]);
			close(p->errp[i]);
		}
		sup_spawn_failed(s, err);
		return;
	}
	if (sup->batching) {
		if (++sup->npending == SUP_SPAWN_BATCH)
			sup_spawn_flush(sup);
		return;
	}
	{
		struct spawn_req *r = &p->req;

		spawn_run(&r, 1);
	}
	sup_spawn_end(p);
}

/* The spawns queued so far, on as many threads as there are cores, then
 * each one's end in the order they were asked for. */
static void
sup_spawn_flush(struct supervisor *sup)
{
	struct spawn_req *reqs[SUP_SPAWN_BATCH];
	size_t n = sup->npending;
	bool batching = sup->batching;

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		reqs[i] = &sup->pending[i].req;
	spawn_run(reqs, n);
	/* an end may dispatch, and so spawn again: at once, not into this
	 * batch */
	sup->batching = false;
	sup->npending = 0;
	for (size_t i = 0; i < n; i++)
		sup_spawn_end(&sup->pending[i]);
	sup->batching = batching;
}

/* ------------------------------------------------------------------ */
/* the dispatcher */

static void
sup_timer_cb(uv_timer_t *t)
{
	struct sup_svc *s = t->data;
	struct fsm_in in = { .ev = FSM_EV_TIMER, .now_ms = sup_now(s->sup) };

	sup_dispatch(s, &in);
}

static void
sup_ready_cb(uv_timer_t *t)
{
	struct sup_svc *s = t->data;
	char why[48], dur[32];
	struct fsm_in in = { .ev = FSM_EV_READY, .now_ms = sup_now(s->sup),
		.why = why };

	units_format_duration(s->cfg->ready_after_ms, dur, sizeof dur);
	snprintf(why, sizeof why, "alive for %s", dur);
	sup_dispatch(s, &in);
}

static void
sup_stable_cb(uv_timer_t *t)
{
	struct sup_svc *s = t->data;
	struct fsm_in in = { .ev = FSM_EV_STABLE, .now_ms = sup_now(s->sup) };

	sup_dispatch(s, &in);
}

/* ------------------------------------------------------------------ */
/* health checks: the schedule and the meaning are health.c's, the checks
 * probe.c's; here they meet the lifecycle */

static void sup_check_cb(uv_timer_t *t);

static void
sup_check_arm(struct sup_svc *s)
{
	int64_t wait = s->health.next_ms - sup_now(s->sup);

	uv_timer_start(&s->check, sup_check_cb,
	    (uint64_t)(wait > 0 ? wait : 0), 0);
}

static void
sup_health_begin(struct sup_svc *s)
{
	health_begin(&s->health, &s->cfg->health, sup_now(s->sup),
	    health_phase(s->cfg->name));
	sup_check_arm(s);
}

/* The process is gone or going: no more checks, health unknown. */
static void
sup_health_stop(struct sup_svc *s)
{
	uv_timer_stop(&s->check);
	if (s->probe != NULL)
		probe_cancel(s->probe);
	if (s->health.status != HEALTH_NONE)
		s->health.status = HEALTH_UNKNOWN;
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
	e.to = (int)s->health.status;
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
	enum health_status from = s->health.status;
	enum health_change ch;
	char why[160];

	if (s->pid <= 0 || s->closing)
		return;
	ch = health_result(&s->health, h, sup_now(s->sup), clock_wall_ms(), ok,
	    latency_ms, error);
	if (ch == HEALTH_BECAME_HEALTHY) {
		struct fsm_in in = { .ev = FSM_EV_READY,
			.now_ms = sup_now(s->sup), .why = why };

		snprintf(why, sizeof why, "healthy (%s check passed in %.1f ms)",
		    cfg_health_kind_name(h->kind), latency_ms);
		sup_health_event(s, from, "%s", why);
		sup_dispatch(s, &in);
	} else if (ch == HEALTH_BECAME_UNHEALTHY) {
		struct fsm_in in = { .ev = FSM_EV_UNHEALTHY,
			.now_ms = sup_now(s->sup), .why = why };

		snprintf(why, sizeof why, "%d health checks failed in a row, "
		    "the last: %s", s->health.failures, s->health.last_error);
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
	health_started(&s->health, &s->cfg->health, sup_now(sup));
	if (!probe_busy(s->probe))
		probe_run(s->probe, s->cfg);
	sup_check_arm(s);
}

static void
sup_kill(struct sup_svc *s, int sig)
{
	if (s->pid > 0 && kill(-s->pid, sig) < 0 && errno != ESRCH)
		log_warn(s->cfg->name, "cannot signal process group %d: %s",
		    s->pid, strerror(errno));
}

static void
sup_dispatch(struct sup_svc *s, const struct fsm_in *in)
{
	struct supervisor *sup = s->sup;
	struct fsm_out out;

	fsm_step(s->cfg, &s->fsm, in, &out);
	if (out.changed) {
		struct event e;

		snprintf(s->reason, sizeof s->reason, "%s", out.reason);
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
	}
	if (out.actions & FSM_DO_TIMER_STOP)
		uv_timer_stop(&s->timer);
	if (out.actions & FSM_DO_UNWATCH) {
		uv_timer_stop(&s->ready);
		uv_timer_stop(&s->stable);
		sup_health_stop(s);
	}
	if (out.actions & FSM_DO_TIMER)
		uv_timer_start(&s->timer, sup_timer_cb, (uint64_t)out.timer_ms, 0);
	if (out.actions & FSM_DO_KILL)
		sup_kill(s, out.kill_signal);
	if (out.actions & FSM_DO_KILL_HARD)
		sup_kill(s, SIGKILL);
	if ((out.actions & FSM_DO_STABLE_WATCH) && s->cfg->restart_window_ms > 0)
		uv_timer_start(&s->stable, sup_stable_cb,
		    (uint64_t)s->cfg->restart_window_ms, 0);
	if (out.actions & FSM_DO_SPAWN)
		sup_spawn(s);
	if (out.changed)
		sup_reconcile(sup);
}

/* ------------------------------------------------------------------ */
/* planning */

static void
sup_scratch(struct supervisor *sup)
{
	size_t n = sup->cfg->nservices;

	if (sup->scratch_n >= n && sup->states != NULL)
		return;
	free(sup->states);
	free(sup->steps);
	free(sup->blocked);
	sup->states = xcalloc(n + 1, sizeof *sup->states);
	sup->steps = xcalloc(n + 1, sizeof *sup->steps);
	sup->blocked = xcalloc(n + 1, sizeof *sup->blocked);
	sup->scratch_n = n;
}

static bool
sup_all_down(const struct supervisor *sup)
{
	for (size_t i = 0; i < sup->cfg->nservices; i++) {
		const struct sup_svc *s = sup->svcs[i];

		if (sup_active(s) || s->pid > 0)
			return false;
	}
	for (size_t i = 0; i < sup->ngone; i++)
		if (sup->gone[i]->pid > 0)
			return false;
	return true;
}

static void
sup_reconcile(struct supervisor *sup)
{
	if (sup->reconciling) {
		sup->dirty = true;
		return;
	}
	sup->reconciling = true;
	sup_scratch(sup);
	do {
		size_t n;

		sup->dirty = false;
		for (size_t i = 0; i < sup->cfg->nservices; i++)
			sup->states[i] = &sup->svcs[i]->fsm;
		n = plan_next(sup->cfg, sup->states, sup->steps, sup->blocked);
		for (size_t i = 0; i < sup->cfg->nservices; i++) {
			struct sup_svc *s = sup->svcs[i];

			if (sup->blocked[i] >= 0) {
				const struct sup_svc *d =
				    sup->svcs[sup->blocked[i]];

				snprintf(s->reason, sizeof s->reason,
				    "waiting for '%s' (%s)", d->cfg->name,
				    fsm_state_name(d->fsm.state));
			}
		}
		sup->batching = true;
		for (size_t k = 0; k < n; k++) {
			struct sup_svc *s = sup->svcs[sup->steps[k].svc];
			struct fsm_in in = { .ev = sup->steps[k].ev,
				.now_ms = sup_now(sup) };

			if (in.ev == FSM_EV_STOP && sup->shutting_down)
				in.why = "prodd is shutting down";
			sup_dispatch(s, &in);
		}
		sup->batching = false;
		sup_spawn_flush(sup);
		if (n > 0)
			sup->dirty = true;
	} while (sup->dirty);
	sup->reconciling = false;
	if (sup->shutting_down && !sup->idle_told && sup_all_down(sup)) {
		sup->idle_told = true;
		uv_timer_stop(&sup->shutdown_timer);
		if (sup->hooks.on_idle != NULL)
			sup->hooks.on_idle(sup->hooks.arg);
	}
}

/* ------------------------------------------------------------------ */
/* services */

static void
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

static struct sup_svc *
sup_svc_new(struct supervisor *sup, struct cfg_service *c)
{
	struct sup_svc *s = xcalloc(1, sizeof *s);
	struct logs_opts lo;
	char err[256];

	s->sup = sup;
	s->cfg = c;
	fsm_init(&s->fsm);
	snprintf(s->reason, sizeof s->reason, "not started");
	uv_timer_init(sup->loop, &s->timer);
	uv_timer_init(sup->loop, &s->ready);
	uv_timer_init(sup->loop, &s->stable);
	uv_timer_init(sup->loop, &s->check);
	s->timer.data = s->ready.data = s->stable.data = s->check.data = s;
	s->handles = 4;
	health_init(&s->health, &c->health);
	metrics_svc_init(&s->metrics, (uint32_t)sup->cfg->daemon.history);
	err[0] = '\0';
	sup_logs_opts(sup, c, &lo);
	s->logs = logs_open(&lo, err, sizeof err);
	if (err[0] != '\0')
		log_warn(c->name, "output is kept in memory only: %s", err);
	logs_set_listener(s->logs, sup_line_cb, s);
	return s;
}

static void
sup_reaped_cb(pid_t pid, int status, void *arg)
{
	struct supervisor *sup = arg;
	struct sup_svc *s = pidmap_get(&sup->pids, pid);

	if (s == NULL && prober_reaped(sup->prober, pid, status))
		return;		/* an exec health check */
	if (s != NULL) {
		sup_exit(s, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		return;
	}
	if (WIFSIGNALED(status))
		log_debug(NULL, "reaped orphan %d (killed by signal %d)", pid,
		    WTERMSIG(status));
	else
		log_debug(NULL, "reaped orphan %d (exit code %d)", pid,
		    WEXITSTATUS(status));
}

static void
sup_shutdown_timer_cb(uv_timer_t *t)
{
	struct supervisor *sup = t->data;

	log_warn(NULL, "shutdown_timeout passed: SIGKILL to every service");
	sup_shutdown(sup);
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
	sup->svcs = xcalloc(cfg->nservices + 1, sizeof *sup->svcs);
	for (size_t i = 0; i < cfg->nservices; i++)
		sup->svcs[i] = sup_svc_new(sup, &cfg->services[i]);
	sup->reaper = reaper_new(loop, NULL, sup_reaped_cb, sup);
	sup->prober = prober_new(loop);
	uv_timer_init(loop, &sup->shutdown_timer);
	sup->shutdown_timer.data = sup;
	return sup;
}

static void
sup_save_wishes(struct supervisor *sup)
{
	char **names = xcalloc(sup->cfg->nservices + 1, sizeof *names);
	size_t n = 0;

	for (size_t i = 0; i < sup->cfg->nservices; i++)
		if (sup->svcs[i]->down_by_hand)
			names[n++] = sup->cfg->services[i].name;
	state_save_stopped(sup->cfg->daemon.state_dir, names, n);
	free(names);
}

void
sup_boot(struct supervisor *sup)
{
	char **names;
	size_t n;

	state_load_stopped(sup->cfg->daemon.state_dir, &names, &n);
	for (size_t i = 0; i < n; i++) {
		struct sup_svc *s = sup_find(sup, names[i]);

		if (s != NULL) {
			s->down_by_hand = true;
			snprintf(s->reason, sizeof s->reason, "stopped by hand "
			    "(kept across restarts of prodd)");
		}
	}
	state_names_free(names, n);
	for (size_t i = 0; i < sup->cfg->nservices; i++) {
		struct sup_svc *s = sup->svcs[i];
		struct fsm_in in = { .ev = FSM_EV_START, .now_ms = sup_now(sup) };

		if (!s->cfg->enabled || s->down_by_hand)
			continue;
		sup->reconciling = true;	/* plan once, after all */
		sup_dispatch(s, &in);
		sup->reconciling = false;
	}
	sup_reconcile(sup);
}

static int
sup_index(const struct supervisor *sup, const char *name)
{
	return cfg_service_index(sup->cfg, name);
}

static void
sup_msg(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
sup_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || msglen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

int
sup_start(struct supervisor *sup, const char *name, char *msg, size_t msglen)
{
	int i = sup_index(sup, name);
	bool *set;
	int rc = 1;
	struct strbuf also = { 0 };

	if (i < 0) {
		sup_msg(msg, msglen, "unknown service '%s'", name);
		return -ENOENT;
	}
	if (sup->shutting_down) {
		sup_msg(msg, msglen, "prodd is shutting down");
		return -ESHUTDOWN;
	}
	set = xcalloc(sup->cfg->nservices, sizeof *set);
	plan_start_set(sup->cfg, (size_t)i, set);
	sup->reconciling = true;
	for (size_t k = 0; k < sup->cfg->nservices; k++) {
		struct sup_svc *s = sup->svcs[k];
		struct fsm_in in = { .ev = FSM_EV_START, .now_ms = sup_now(sup),
			.by_hand = true };
		enum fsm_state before = s->fsm.state;

		if (!set[k])
			continue;
		s->down_by_hand = false;
		if (s->fsm.want == FSM_WANT_UP && before != FSM_FAILED &&
		    before != FSM_EXITED && before != FSM_STOPPED &&
		    before != FSM_BACKOFF && before != FSM_STOPPING)
			continue;
		sup_dispatch(s, &in);
		rc = 0;
		if ((int)k != i)
			sb_printf(&also, "%s%s", also.len ? ", " : "",
			    s->cfg->name);
	}
	sup->reconciling = false;
	free(set);
	sup_save_wishes(sup);
	if (rc == 0 && also.len)
		sup_msg(msg, msglen, "starting %s; first its dependencies: %s",
		    name, also.buf);
	else if (rc == 0)
		sup_msg(msg, msglen, "starting %s", name);
	else
		sup_msg(msg, msglen, "%s is already %s", name,
		    fsm_state_name(sup->svcs[i]->fsm.state));
	sb_free(&also);
	sup_reconcile(sup);
	return rc;
}

int
sup_stop(struct supervisor *sup, const char *name, char *msg, size_t msglen)
{
	int i = sup_index(sup, name);
	bool *set;
	int rc = 1;
	struct strbuf also = { 0 };

	if (i < 0) {
		sup_msg(msg, msglen, "unknown service '%s'", name);
		return -ENOENT;
	}
	set = xcalloc(sup->cfg->nservices, sizeof *set);
	plan_stop_set(sup->cfg, (size_t)i, set);
	for (size_t k = 0; k < sup->cfg->nservices; k++) {
		struct sup_svc *s = sup->svcs[k];

		if (!set[k])
			continue;
		s->down_by_hand = true;
		if (s->fsm.want == FSM_WANT_UP ||
		    s->fsm.state != FSM_STOPPED) {
			if (sup_active(s))
				rc = 0;
			s->fsm.want = FSM_WANT_DOWN;
			s->fsm.then_start = false;
			if ((int)k != i && sup_active(s))
				sb_printf(&also, "%s%s", also.len ? ", " : "",
				    s->cfg->name);
		}
	}
	free(set);
	sup_save_wishes(sup);
	if (also.len)
		sup_msg(msg, msglen, "stopping %s; first what depends on it: %s",
		    name, also.buf);
	else if (rc == 0)
		sup_msg(msg, msglen, "stopping %s", name);
	else
		sup_msg(msg, msglen, "%s is already %s", name,
		    fsm_state_name(sup->svcs[i]->fsm.state));
	sb_free(&also);
	sup_reconcile(sup);
	return rc;
}

int
sup_restart(struct supervisor *sup, const char *name, char *msg,
    size_t msglen)
{
	int i = sup_index(sup, name);
	struct sup_svc *s;
	struct fsm_in in = { .ev = FSM_EV_RESTART, .by_hand = true };

	if (i < 0) {
		sup_msg(msg, msglen, "unknown service '%s'", name);
		return -ENOENT;
	}
	if (sup->shutting_down) {
		sup_msg(msg, msglen, "prodd is shutting down");
		return -ESHUTDOWN;
	}
	s = sup->svcs[i];
	if (s->fsm.state == FSM_STOPPED || s->fsm.state == FSM_FAILED ||
	    s->fsm.state == FSM_EXITED)
		return sup_start(sup, name, msg, msglen);
	s->down_by_hand = false;
	in.now_ms = sup_now(sup);
	sup_dispatch(s, &in);
	sup_save_wishes(sup);
	sup_msg(msg, msglen, "restarting %s", name);
	sup_reconcile(sup);
	return 0;
}

int
sup_start_all(struct supervisor *sup)
{
	int started = 0;

	if (sup->shutting_down)
		return -ESHUTDOWN;
	sup->reconciling = true;
	for (size_t i = 0; i < sup->cfg->nservices; i++) {
		struct sup_svc *s = sup->svcs[i];
		struct fsm_in in = { .ev = FSM_EV_START, .now_ms = sup_now(sup),
			.by_hand = true };

		if (!s->cfg->enabled)
			continue;
		s->down_by_hand = false;
		if (s->fsm.state == FSM_STOPPED || s->fsm.state == FSM_FAILED ||
		    s->fsm.state == FSM_EXITED || s->fsm.state == FSM_STOPPING ||
		    s->fsm.state == FSM_BACKOFF) {
			sup_dispatch(s, &in);
			started++;
		}
	}
	sup->reconciling = false;
	sup_save_wishes(sup);
	sup_reconcile(sup);
	return started ? 0 : 1;
}

int
sup_stop_all(struct supervisor *sup)
{
	int stopping = 0;

	for (size_t i = 0; i < sup->cfg->nservices; i++) {
		struct sup_svc *s = sup->svcs[i];

		s->down_by_hand = true;
		if (sup_active(s))
			stopping++;
		s->fsm.want = FSM_WANT_DOWN;
		s->fsm.then_start = false;
	}
	sup_save_wishes(sup);
	sup_reconcile(sup);
	return stopping ? 0 : 1;
}

void
sup_shutdown(struct supervisor *sup)
{
	if (sup->shutting_down) {
		if (sup->killed_all)
			return;
		sup->killed_all = true;
		sup_note(sup, EVENT_DAEMON, "SIGKILL to every process group");
		for (size_t i = 0; i < sup->cfg->nservices; i++)
			sup_kill(sup->svcs[i], SIGKILL);
		for (size_t i = 0; i < sup->ngone; i++)
			sup_kill(sup->gone[i], SIGKILL);
		return;
	}
	sup->shutting_down = true;
	sup_note(sup, EVENT_DAEMON, "shutting down: stopping every service "
	    "in reverse dependency order");
	for (size_t i = 0; i < sup->cfg->nservices; i++) {
		sup->svcs[i]->fsm.want = FSM_WANT_DOWN;
		sup->svcs[i]->fsm.then_start = false;
	}
	uv_timer_start(&sup->shutdown_timer, sup_shutdown_timer_cb,
	    (uint64_t)sup->cfg->daemon.shutdown_timeout_ms, 0);
	sup_reconcile(sup);
}

bool
sup_shutting_down(const struct supervisor *sup)
{
	return sup->shutting_down;
}

void
sup_reload(struct supervisor *sup, struct cfg *cfg, char *msg, size_t msglen)
{
	struct cfg *old = sup->cfg;
	struct sup_svc **svcs = xcalloc(cfg->nservices + 1, sizeof *svcs);
	bool *kept = xcalloc(old->nservices + 1, sizeof *kept);
	int added = 0, removed = 0, changed = 0, same = 0;
	bool old_in_use = false;

	sup->reconciling = true;
	sup->cfg = cfg;
	sup->scratch_n = 0;	/* sizes may have changed */
	for (size_t i = 0; i < cfg->nservices; i++) {
		struct cfg_service *c = &cfg->services[i];
		int j = cfg_service_index(old, c->name);
		struct sup_svc *s;

		if (j < 0) {
			s = svcs[i] = sup_svc_new(sup, c);
			added++;
			if (c->enabled && !sup->shutting_down) {
				struct fsm_in in = { .ev = FSM_EV_START,
					.now_ms = sup_now(sup) };

				sup_dispatch(s, &in);
			}
			continue;
		}
		kept[j] = true;
		s = svcs[i] = sup->svcs[j];
		if (cfg_service_equal(s->cfg, c)) {
			s->cfg = c;
			same++;
			continue;
		}
		changed++;
		s->cfg = c;
		{
			struct logs_opts lo;

			sup_logs_opts(sup, c, &lo);
			logs_reconfigure(s->logs, &lo);
		}
		if (s->fsm.want == FSM_WANT_UP && !sup->shutting_down) {
			struct fsm_in in = { .ev = FSM_EV_RESTART,
				.now_ms = sup_now(sup), .why = "config changed" };

			sup_dispatch(s, &in);
		}
	}
	for (size_t j = 0; j < old->nservices; j++) {
		struct sup_svc *s = sup->svcs[j];

		if (kept[j])
			continue;
		removed++;
		s->removed = true;
		s->down_by_hand = false;
		sup->gone = xreallocarray(sup->gone, sup->ngone + 1,
		    sizeof *sup->gone);
		sup->gone[sup->ngone++] = s;
		s->fsm.want = FSM_WANT_DOWN;
		if (sup_active(s)) {
			struct fsm_in in = { .ev = FSM_EV_STOP,
				.now_ms = sup_now(sup),
				.why = "removed from the config" };

			sup_dispatch(s, &in);
		}
		old_in_use = true;
	}
	free(kept);
	free(sup->svcs);
	sup->svcs = svcs;
	for (size_t i = 0; i < cfg->nservices; i++) {
		mring_resize(&svcs[i]->metrics.cpu, (uint32_t)cfg->daemon.history);
		mring_resize(&svcs[i]->metrics.mem, (uint32_t)cfg->daemon.history);
	}
	if (old_in_use) {
		sup->retired = xreallocarray(sup->retired, sup->nretired + 1,
		    sizeof *sup->retired);
		sup->retired[sup->nretired++] = old;
	} else {
		cfg_free(old);
	}
	sup->reconciling = false;
	sup_msg(msg, msglen, "%d added, %d removed, %d changed, %d unchanged",
	    added, removed, changed, same);
	sup_note(sup, EVENT_RELOAD, "reloaded %s: %d added, %d removed, "
	    "%d changed, %d unchanged", cfg->path, added, removed, changed,
	    same);
	sup_save_wishes(sup);
	/* gone services that were idle can go now */
	for (size_t k = sup->ngone; k > 0; k--)
		sup_maybe_free(sup->gone[k - 1]);
	sup_reconcile(sup);
}

static void
sup_close_svc(struct sup_svc *s)
{
	if (s->closing)
		return;
	s->closing = true;
	for (int k = 0; k < 2; k++)
		if (s->out[k] != NULL) {
			logs_flush(s->logs, s->out[k]->stream, clock_wall_ms());
			sup_out_close(s->out[k]);
		}
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
	sup->closing = true;
	for (size_t i = 0; i < sup->cfg->nservices; i++)
		sup_close_svc(sup->svcs[i]);
	for (size_t i = 0; i < sup->ngone; i++)
		sup_close_svc(sup->gone[i]);
	reaper_close(sup->reaper);
	prober_close(sup->prober);
	sup->prober = NULL;
	uv_close((uv_handle_t *)&sup->shutdown_timer, sup_noop_close);
}

void
sup_free(struct supervisor *sup)
{
	for (size_t i = 0; i < sup->nretired; i++)
		cfg_free(sup->retired[i]);
	free(sup->retired);
	free(sup->gone);
	free(sup->svcs);
	free(sup->states);
	free(sup->steps);
	free(sup->blocked);
	free(sup->pids.v);
	events_free(&sup->events);
	cfg_free(sup->cfg);
	free(sup);
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
const char *sup_svc_reason(const struct sup_svc *s) { return s->reason; }
int64_t sup_svc_started_ms(const struct sup_svc *s) { return s->started_ms; }
struct logs_svc *sup_svc_logs(const struct sup_svc *s) { return s->logs; }
bool sup_svc_down_by_hand(const struct sup_svc *s) { return s->down_by_hand; }
int64_t sup_svc_exit_ms(const struct sup_svc *s) { return s->exit_ms; }
const struct health_state *sup_svc_health(const struct sup_svc *s) { return &s->health; }
const struct metrics_svc *sup_svc_metrics(const struct sup_svc *s) { return &s->metrics; }
struct metrics_svc *sup_svc_metrics_mut(struct sup_svc *s) { return &s->metrics; }

void
sup_over_limit(struct sup_svc *s, const char *why)
{
	struct fsm_in in = { .ev = FSM_EV_LIMIT, .now_ms = sup_now(s->sup),
		.why = why };

	if (s->pid > 0 && !s->closing)
		sup_dispatch(s, &in);
}
