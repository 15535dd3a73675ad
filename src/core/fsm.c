/*
 * The service lifecycle table (see fsm.h). Each cell of table[state][event]
 * is a small transition function, or NULL when the event means nothing in
 * that state (a late timer, a second stop). The restart policy -- the
 * decision between backoff, failed and exited after an unplanned exit --
 * lives in one place, fsm_recover().
 */
#include "prodd/fsm.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const fsm_state_names[FSM_NSTATES] = {
	"stopped", "waiting", "starting", "running", "unhealthy", "stopping",
	"backoff", "failed", "exited",
};

static const char *const fsm_event_names[FSM_NEVENTS] = {
	"start", "restart", "stop", "deps-ready", "spawn-failed", "ready",
	"unhealthy", "limit", "exit", "timer", "stable", "start_timeout",
	"watchdog",
};

const char *
fsm_state_name(enum fsm_state st)
{
	return (unsigned)st < FSM_NSTATES ? fsm_state_names[st] : "unknown";
}

const char *
fsm_event_name(enum fsm_event ev)
{
	return (unsigned)ev < FSM_NEVENTS ? fsm_event_names[ev] : "unknown";
}

bool
fsm_state_alive(enum fsm_state st)
{
	return st == FSM_STARTING || st == FSM_RUNNING ||
	    st == FSM_UNHEALTHY || st == FSM_STOPPING;
}

void
fsm_init(struct fsm_svc *s)
{
	memset(s, 0, sizeof *s);
	s->state = FSM_STOPPED;
	s->want = FSM_WANT_DOWN;
	s->ready_ms = -1;
	s->exit_code = -1;
}

void
fsm_want_down(struct fsm_svc *s)
{
	s->want = FSM_WANT_DOWN;
	s->then_start = false;
}

int64_t
fsm_backoff_delay(const struct cfg_service *c, int n)
{
	int64_t d = c->restart_delay_ms;

	if (c->backoff == CFG_BACKOFF_EXPONENTIAL)
		for (int i = 0; i < n && d < c->backoff_max_ms; i++)
			d *= 2;
	if (d > c->backoff_max_ms)
		d = c->backoff_max_ms;
	return d;
}

static void __attribute__((format(printf, 4, 5)))
fsm_go(struct fsm_svc *s, const struct fsm_in *in, struct fsm_out *out,
    const char *fmt, ...)
{
	enum fsm_state to = out->to;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof out->reason, fmt, ap);
	va_end(ap);
	if (s->state != to || out->changed) {
		out->changed = true;
		s->since_ms = in->now_ms;
	}
	s->state = to;
}

#define GO(st, ...) do { out->to = (st); fsm_go(s, in, out, __VA_ARGS__); } while (0)

/* "exited with code 3", "killed by signal 9" */
static void
fsm_describe_exit(const struct fsm_in *in, char *buf, size_t size)
{
	if (in->exit_signal != 0)
		snprintf(buf, size, "killed by signal %d", in->exit_signal);
	else
		snprintf(buf, size, "exited with code %d", in->exit_code);
}

static void
fsm_record_exit(struct fsm_svc *s, const struct fsm_in *in)
{
	s->has_exit = true;
	s->exit_code = in->exit_signal ? -1 : in->exit_code;
	s->exit_signal = in->exit_signal;
	s->exit_ms = in->now_ms;
}

static void
fsm_begin_stop(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out, const char *why)
{
	s->killed = false;
	out->actions |= FSM_DO_UNWATCH;
	if (c->stop_timeout_ms == 0) {
		s->killed = true;
		out->actions |= FSM_DO_KILL_HARD | FSM_DO_TIMER_STOP;
	} else {
		out->actions |= FSM_DO_KILL | FSM_DO_TIMER;
		out->kill_signal = c->stop_signal;
		out->timer_ms = c->stop_timeout_ms;
	}
	GO(FSM_STOPPING, "%s", why);
}

/*
 * After an unplanned end (an exit, a failed spawn, or a stop for an
 * unhealthy or oversized service): restart after a delay, or give up.
 * what says what happened ("exited with code 1").
 */
static void
fsm_recover(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out, const char *what,
    bool clean_exit)
{
	int64_t delay;

	out->actions |= FSM_DO_UNWATCH;
	if (s->want == FSM_WANT_DOWN) {
		GO(FSM_STOPPED, "%s", what);
		return;
	}
	if (clean_exit && c->restart != CFG_RESTART_ALWAYS) {
		GO(FSM_EXITED, "%s", what);
		return;
	}
	if (c->restart == CFG_RESTART_NEVER) {
		out->actions |= FSM_DO_FAILED;
		GO(FSM_FAILED, "%s; restart: never", what);
		return;
	}
	/* a run of restart_window without trouble wipes the slate */
	if (s->ready_ms >= 0 && in->now_ms - s->ready_ms >= c->restart_window_ms)
		s->consecutive_failures = 0;
	if (s->consecutive_failures >= c->max_restarts) {
		out->actions |= FSM_DO_FAILED;
		GO(FSM_FAILED, "%s; gave up after %d restart%s in a row", what,
		    s->consecutive_failures,
		    s->consecutive_failures == 1 ? "" : "s");
		return;
	}
	delay = fsm_backoff_delay(c, s->consecutive_failures);
	s->consecutive_failures++;
	s->restarts++;
	s->ready_ms = -1;
	out->delay_ms = delay;
	if (delay == 0) {
		GO(FSM_WAITING, "%s; restarting now (restart %d of %d)", what,
		    s->consecutive_failures, c->max_restarts);
		return;
	}
	out->actions |= FSM_DO_TIMER;
	out->timer_ms = delay;
	GO(FSM_BACKOFF, "%s; restarting in %lld ms (restart %d of %d)", what,
	    (long long)delay, s->consecutive_failures, c->max_restarts);
}

/* ------------------------------------------------------------------ */
/* transitions */

typedef void (*fsm_fn)(const struct cfg_service *, struct fsm_svc *,
    const struct fsm_in *, struct fsm_out *);

static void
fsm_reset_failures(struct fsm_svc *s, const struct fsm_in *in)
{
	if (in->by_hand || in->ev == FSM_EV_RESTART)
		s->consecutive_failures = 0;
}

/* stopped, exited, failed + start/restart: wait for dependencies */
static void
t_start_idle(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	(void)c;
	s->want = FSM_WANT_UP;
	fsm_reset_failures(s, in);
	s->then_start = s->then_recover = false;
	GO(FSM_WAITING, "%s", in->ev == FSM_EV_RESTART ? "restart requested" :
	    in->by_hand ? "start requested" : "starting");
}

/* waiting/starting/running/unhealthy + start: already on its way up */
static void
t_start_up(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	(void)c;
	(void)out;
	s->want = FSM_WANT_UP;
	fsm_reset_failures(s, in);
	out->ignored = true;
}

/* backoff + start: a person's start skips the delay */
static void
t_start_backoff(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	s->want = FSM_WANT_UP;
	if (!in->by_hand && in->ev != FSM_EV_RESTART) {
		out->ignored = true;
		return;
	}
	out->actions |= FSM_DO_TIMER_STOP;
	t_start_idle(c, s, in, out);
}

/* stopping + start/restart: start again once it is down */
static void
t_start_stopping(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	(void)c;
	(void)out;
	s->want = FSM_WANT_UP;
	fsm_reset_failures(s, in);
	s->then_start = true;
	s->then_recover = false;
	out->ignored = true;
}

/* starting/running/unhealthy + restart: stop, then start */
static void
t_restart_alive(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	s->want = FSM_WANT_UP;
	s->consecutive_failures = 0;
	s->then_start = true;
	s->then_recover = false;
	fsm_begin_stop(c, s, in, out, "restart requested");
}

/* waiting + stop */
static void
t_stop_waiting(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	(void)c;
	s->want = FSM_WANT_DOWN;
	GO(FSM_STOPPED, "%s", in->why ? in->why : "stop requested");
}

/* starting/running/unhealthy + stop */
static void
t_stop_alive(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	s->want = FSM_WANT_DOWN;
	s->then_start = s->then_recover = false;
	fsm_begin_stop(c, s, in, out, in->why ? in->why : "stop requested");
}

/* backoff + stop: the restart is called off */
static void
t_stop_backoff(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	(void)c;
	s->want = FSM_WANT_DOWN;
	out->actions |= FSM_DO_TIMER_STOP;
	GO(FSM_STOPPED, "%s", in->why ? in->why : "stop requested");
}

/* stopping + stop: already going down; a restart is called off */
static void
t_stop_stopping(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	(void)c;
	(void)in;
	s->want = FSM_WANT_DOWN;
	s->then_start = s->then_recover = false;
	out->ignored = true;
}

/* stopped/exited/failed + stop: nothing runs; remember the wish */
static void
t_stop_idle(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	(void)c;
	(void)in;
	s->want = FSM_WANT_DOWN;
	out->ignored = true;
}

/* waiting + deps ready: spawn */
static void
t_deps_ready(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	(void)c;
	if (s->want != FSM_WANT_UP) {
		out->ignored = true;
		return;
	}
	s->ready_ms = -1;
	out->actions |= FSM_DO_SPAWN;
	GO(FSM_STARTING, "%s", in->why ? in->why : "dependencies ready");
}

/* starting + spawn failed: counts as a failed start */
static void
t_spawn_failed(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	char what[160];

	snprintf(what, sizeof what, "spawn failed: %s",
	    in->why ? in->why : "unknown error");
	fsm_recover(c, s, in, out, what, false);
}

/* starting/unhealthy + ready */
static void
t_ready(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	(void)c;
	/* ready for the first time since the spawn (from starting, or from
	 * unhealthy when on_unhealthy: ignore kept a never-healthy one) */
	if (s->state == FSM_STARTING || s->ready_ms < 0) {
		s->ready_ms = in->now_ms;
		out->actions |= FSM_DO_STABLE_WATCH;
	}
	GO(FSM_RUNNING, "%s", in->why ? in->why : "ready");
}

/* starting/running + unhealthy */
static void
t_unhealthy(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	const char *why = in->why ? in->why : "health check failing";

	if (c->health.on_unhealthy == CFG_UNHEALTHY_RESTART) {
		snprintf(s->cause, sizeof s->cause, "unhealthy (%s)", why);
		s->then_recover = true;
		s->then_start = false;
		fsm_begin_stop(c, s, in, out, s->cause);
		return;
	}
	if (s->state == FSM_UNHEALTHY) {
		out->ignored = true;
		return;
	}
	GO(FSM_UNHEALTHY, "%s", why);
}

/* starting/running/unhealthy + memory limit */
static void
t_limit(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	snprintf(s->cause, sizeof s->cause, "over its memory limit (%s)",
	    in->why ? in->why : "memory_limit");
	s->then_recover = true;
	s->then_start = false;
	fsm_begin_stop(c, s, in, out, s->cause);
}

/* starting + start_timeout, starting/running/unhealthy + watchdog: stop
 * it, then the restart policy, as after a failure */
static void
t_timeout(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	if (in->ev == FSM_EV_START_TIMEOUT)
		snprintf(s->cause, sizeof s->cause, "not ready within "
		    "start_timeout (%s)", in->why ? in->why : "start_timeout");
	else
		snprintf(s->cause, sizeof s->cause, "watchdog timeout (%s)",
		    in->why ? in->why : "no WATCHDOG=1 in time");
	s->then_recover = true;
	s->then_start = false;
	fsm_begin_stop(c, s, in, out, s->cause);
}

/* starting/running/unhealthy + exit: unplanned */
static void
t_exit_alive(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	char what[96];

	fsm_record_exit(s, in);
	fsm_describe_exit(in, what, sizeof what);
	fsm_recover(c, s, in, out, what, in->exit_signal == 0 &&
	    in->exit_code == 0);
}

/* stopping + exit: the stop is done */
static void
t_exit_stopping(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	char what[128];

	fsm_record_exit(s, in);
	out->actions |= FSM_DO_TIMER_STOP | FSM_DO_UNWATCH;
	fsm_describe_exit(in, what, sizeof what);
	if (s->then_recover) {
		s->then_recover = false;
		fsm_recover(c, s, in, out, s->cause, false);
		return;
	}
	if (s->then_start && s->want == FSM_WANT_UP) {
		s->then_start = false;
		GO(FSM_WAITING, "stopped (%s); starting again", what);
		return;
	}
	s->then_start = false;
	GO(FSM_STOPPED, "stopped (%s%s)", what, s->killed ?
	    " after SIGKILL" : "");
}

/* stopping + timer: stop_timeout is over */
static void
t_stop_timeout(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	if (s->killed) {
		out->ignored = true;
		return;
	}
	s->killed = true;
	out->actions |= FSM_DO_KILL_HARD;
	out->changed = true;
	GO(FSM_STOPPING, "did not stop within %lld ms: SIGKILL",
	    (long long)c->stop_timeout_ms);
}

/* backoff + timer: restart */
static void
t_backoff_over(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	(void)c;
	if (s->want != FSM_WANT_UP) {
		GO(FSM_STOPPED, "restart called off");
		return;
	}
	GO(FSM_WAITING, "restart delay over");
}

/* running + stable */
static void
t_stable(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	(void)c;
	(void)in;
	s->consecutive_failures = 0;
	out->ignored = true;
}

#define S FSM_STOPPED
static const fsm_fn fsm_table[FSM_NSTATES][FSM_NEVENTS] = {
	/*               START             RESTART          STOP             DEPS_READY    SPAWN_FAILED    READY    UNHEALTHY    LIMIT    EXIT             TIMER           STABLE     START_TIMEOUT WATCHDOG */
	[FSM_STOPPED] =  { t_start_idle,     t_start_idle,    t_stop_idle,     NULL,         NULL,           NULL,    NULL,        NULL,    NULL,            NULL,           NULL,      NULL,      NULL },
	[FSM_WAITING] =  { t_start_up,       t_start_up,      t_stop_waiting,  t_deps_ready, NULL,           NULL,    NULL,        NULL,    NULL,            NULL,           NULL,      NULL,      NULL },
	[FSM_STARTING] = { t_start_up,       t_restart_alive, t_stop_alive,    NULL,         t_spawn_failed, t_ready, t_unhealthy, t_limit, t_exit_alive,    NULL,           NULL,      t_timeout, t_timeout },
	[FSM_RUNNING] =  { t_start_up,       t_restart_alive, t_stop_alive,    NULL,         NULL,           NULL,    t_unhealthy, t_limit, t_exit_alive,    NULL,           t_stable,  NULL,      t_timeout },
	[FSM_UNHEALTHY]= { t_start_up,       t_restart_alive, t_stop_alive,    NULL,         NULL,           t_ready, t_unhealthy, t_limit, t_exit_alive,    NULL,           t_stable,  NULL,      t_timeout },
	[FSM_STOPPING] = { t_start_stopping, t_start_stopping,t_stop_stopping, NULL,         NULL,           NULL,    NULL,        NULL,    t_exit_stopping, t_stop_timeout, NULL,      NULL,      NULL },
	[FSM_BACKOFF] =  { t_start_backoff,  t_start_backoff, t_stop_backoff,  NULL,         NULL,           NULL,    NULL,        NULL,    NULL,            t_backoff_over, NULL,      NULL,      NULL },
	[FSM_FAILED] =   { t_start_idle,     t_start_idle,    t_stop_idle,     NULL,         NULL,           NULL,    NULL,        NULL,    NULL,            NULL,           NULL,      NULL,      NULL },
	[FSM_EXITED] =   { t_start_idle,     t_start_idle,    t_stop_idle,     NULL,         NULL,           NULL,    NULL,        NULL,    NULL,            NULL,           NULL,      NULL,      NULL },
};
#undef S

void
fsm_step(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out)
{
	fsm_fn fn;

	memset(out, 0, sizeof *out);
	out->from = out->to = s->state;
	out->delay_ms = -1;
	if ((unsigned)s->state >= FSM_NSTATES ||
	    (unsigned)in->ev >= FSM_NEVENTS ||
	    (fn = fsm_table[s->state][in->ev]) == NULL) {
		out->ignored = true;
		return;
	}
	fn(c, s, in, out);
	out->to = s->state;
}
