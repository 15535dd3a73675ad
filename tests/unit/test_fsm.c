/*
 * Unit tests of the lifecycle table and the planner: every cell of
 * [state][event], the restart policies, backoff and its cap, the restart
 * window, max_restarts, stops and starts at awkward moments, and every row
 * of SPEC §3's table of what happens to a service's dependents.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "prodd/config.h"
#include "prodd/fsm.h"
#include "prodd/plan.h"

static struct cfg_service
svc_defaults(void)
{
	struct cfg_service c;

	memset(&c, 0, sizeof c);
	c.restart = CFG_RESTART_ON_FAILURE;
	c.max_restarts = 5;
	c.restart_window_ms = 60000;
	c.restart_delay_ms = 1000;
	c.backoff = CFG_BACKOFF_EXPONENTIAL;
	c.backoff_max_ms = 300000;
	c.stop_signal = SIGTERM;
	c.stop_timeout_ms = 10000;
	c.health.on_unhealthy = CFG_UNHEALTHY_RESTART;
	return c;
}

static struct fsm_out
step(const struct cfg_service *c, struct fsm_svc *s, enum fsm_event ev,
    int64_t now)
{
	struct fsm_in in = { .ev = ev, .now_ms = now, .exit_code = 1,
		.by_hand = true };
	struct fsm_out out;

	fsm_step(c, s, &in, &out);
	return out;
}

static struct fsm_out
exit_with(const struct cfg_service *c, struct fsm_svc *s, int code, int sig,
    int64_t now)
{
	struct fsm_in in = { .ev = FSM_EV_EXIT, .now_ms = now,
		.exit_code = code, .exit_signal = sig };
	struct fsm_out out;

	fsm_step(c, s, &in, &out);
	return out;
}

/* A service put in state st the way it gets there. */
static void
put(struct fsm_svc *s, enum fsm_state st)
{
	fsm_init(s);
	s->state = st;
	s->want = (st == FSM_STOPPED || st == FSM_STOPPING ||
	    st == FSM_FAILED || st == FSM_EXITED) ? FSM_WANT_DOWN : FSM_WANT_UP;
	if (st == FSM_FAILED || st == FSM_EXITED)
		s->want = FSM_WANT_UP;
}

/* ------------------------------------------------------------------ */

#define ST(x) FSM_##x
static void
test_every_cell(void **state)
{
	/* what the defaults (on-failure, unhealthy -> restart) give; events
	 * in enum order: START RESTART STOP DEPS_READY SPAWN_FAILED READY
	 * UNHEALTHY LIMIT EXIT(1) TIMER STABLE START_TIMEOUT WATCHDOG */
	static const enum fsm_state want[FSM_NSTATES][FSM_NEVENTS] = {
		[FSM_STOPPED] = { ST(WAITING), ST(WAITING), ST(STOPPED),
		    ST(STOPPED), ST(STOPPED), ST(STOPPED), ST(STOPPED),
		    ST(STOPPED), ST(STOPPED), ST(STOPPED), ST(STOPPED),
		    ST(STOPPED), ST(STOPPED) },
		[FSM_WAITING] = { ST(WAITING), ST(WAITING), ST(STOPPED),
		    ST(STARTING), ST(WAITING), ST(WAITING), ST(WAITING),
		    ST(WAITING), ST(WAITING), ST(WAITING), ST(WAITING),
		    ST(WAITING), ST(WAITING) },
		[FSM_STARTING] = { ST(STARTING), ST(STOPPING), ST(STOPPING),
		    ST(STARTING), ST(BACKOFF), ST(RUNNING), ST(STOPPING),
		    ST(STOPPING), ST(BACKOFF), ST(STARTING), ST(STARTING),
		    ST(STOPPING), ST(STOPPING) },
		[FSM_RUNNING] = { ST(RUNNING), ST(STOPPING), ST(STOPPING),
		    ST(RUNNING), ST(RUNNING), ST(RUNNING), ST(STOPPING),
		    ST(STOPPING), ST(BACKOFF), ST(RUNNING), ST(RUNNING),
		    ST(RUNNING), ST(STOPPING) },
		[FSM_UNHEALTHY] = { ST(UNHEALTHY), ST(STOPPING), ST(STOPPING),
		    ST(UNHEALTHY), ST(UNHEALTHY), ST(RUNNING), ST(STOPPING),
		    ST(STOPPING), ST(BACKOFF), ST(UNHEALTHY), ST(UNHEALTHY),
		    ST(UNHEALTHY), ST(STOPPING) },
		[FSM_STOPPING] = { ST(STOPPING), ST(STOPPING), ST(STOPPING),
		    ST(STOPPING), ST(STOPPING), ST(STOPPING), ST(STOPPING),
		    ST(STOPPING), ST(STOPPED), ST(STOPPING), ST(STOPPING),
		    ST(STOPPING), ST(STOPPING) },
		[FSM_BACKOFF] = { ST(WAITING), ST(WAITING), ST(STOPPED),
		    ST(BACKOFF), ST(BACKOFF), ST(BACKOFF), ST(BACKOFF),
		    ST(BACKOFF), ST(BACKOFF), ST(WAITING), ST(BACKOFF),
		    ST(BACKOFF), ST(BACKOFF) },
		[FSM_FAILED] = { ST(WAITING), ST(WAITING), ST(FAILED),
		    ST(FAILED), ST(FAILED), ST(FAILED), ST(FAILED), ST(FAILED),
		    ST(FAILED), ST(FAILED), ST(FAILED),
		    ST(FAILED), ST(FAILED) },
		[FSM_EXITED] = { ST(WAITING), ST(WAITING), ST(EXITED),
		    ST(EXITED), ST(EXITED), ST(EXITED), ST(EXITED), ST(EXITED),
		    ST(EXITED), ST(EXITED), ST(EXITED),
		    ST(EXITED), ST(EXITED) },
	};
	struct cfg_service c = svc_defaults();

	(void)state;
	for (int st = 0; st < FSM_NSTATES; st++)
		for (int ev = 0; ev < FSM_NEVENTS; ev++) {
			struct fsm_svc s;
			struct fsm_out o;

			put(&s, (enum fsm_state)st);
			o = step(&c, &s, (enum fsm_event)ev, 5000);
			if (s.state != want[st][ev])
				fail_msg("%s + %s: got %s, want %s",
				    fsm_state_name((enum fsm_state)st),
				    fsm_event_name((enum fsm_event)ev),
				    fsm_state_name(s.state),
				    fsm_state_name(want[st][ev]));
			assert_int_equal(o.from, st);
			assert_int_equal(o.to, s.state);
			if (o.to != o.from)
				assert_true(o.changed && o.reason[0] != '\0');
		}
}
#undef ST

static void
test_actions(void **state)
{
	struct cfg_service c = svc_defaults();
	struct fsm_svc s;
	struct fsm_out o;

	(void)state;
	put(&s, FSM_WAITING);
	o = step(&c, &s, FSM_EV_DEPS_READY, 0);
	assert_int_equal(o.actions & FSM_DO_SPAWN, FSM_DO_SPAWN);
	o = step(&c, &s, FSM_EV_READY, 10);
	assert_true(o.actions & FSM_DO_STABLE_WATCH);
	assert_int_equal(s.ready_ms, 10);
	o = step(&c, &s, FSM_EV_STOP, 20);
	assert_true(o.actions & FSM_DO_KILL);
	assert_int_equal(o.kill_signal, SIGTERM);
	assert_true(o.actions & FSM_DO_TIMER);
	assert_int_equal(o.timer_ms, 10000);
	assert_true(o.actions & FSM_DO_UNWATCH);
	o = step(&c, &s, FSM_EV_TIMER, 10020);
	assert_true(o.actions & FSM_DO_KILL_HARD);
	assert_int_equal(s.state, FSM_STOPPING);
	assert_non_null(strstr(o.reason, "SIGKILL"));
	o = step(&c, &s, FSM_EV_TIMER, 10030);	/* a late second timer */
	assert_true(o.ignored);
	o = exit_with(&c, &s, -1, SIGKILL, 10040);
	assert_int_equal(s.state, FSM_STOPPED);
	assert_true(o.actions & FSM_DO_TIMER_STOP);
	assert_non_null(strstr(o.reason, "after SIGKILL"));
	assert_int_equal(s.exit_signal, SIGKILL);
	assert_int_equal(s.exit_code, -1);
}

static void
test_stop_timeout_zero(void **state)
{
	struct cfg_service c = svc_defaults();
	struct fsm_svc s;
	struct fsm_out o;

	(void)state;
	c.stop_timeout_ms = 0;
	put(&s, FSM_RUNNING);
	o = step(&c, &s, FSM_EV_STOP, 0);
	assert_true(o.actions & FSM_DO_KILL_HARD);
	assert_false(o.actions & FSM_DO_KILL);
	assert_int_equal(s.state, FSM_STOPPING);
}

static void
test_restart_policies(void **state)
{
	/* policy x (exit 0, exit 3, SIGSEGV) -> state */
	static const struct {
		enum cfg_restart policy;
		enum fsm_state after[3];
	} row[] = {
		{ CFG_RESTART_ALWAYS, { FSM_BACKOFF, FSM_BACKOFF, FSM_BACKOFF } },
		{ CFG_RESTART_ON_FAILURE, { FSM_EXITED, FSM_BACKOFF,
		    FSM_BACKOFF } },
		{ CFG_RESTART_NEVER, { FSM_EXITED, FSM_FAILED, FSM_FAILED } },
	};
	static const int code[3] = { 0, 3, -1 }, sig[3] = { 0, 0, SIGSEGV };

	(void)state;
	for (size_t r = 0; r < 3; r++)
		for (int k = 0; k < 3; k++) {
			struct cfg_service c = svc_defaults();
			struct fsm_svc s;
			struct fsm_out o;

			c.restart = row[r].policy;
			put(&s, FSM_RUNNING);
			o = exit_with(&c, &s, code[k], sig[k], 1000);
			assert_int_equal(s.state, row[r].after[k]);
			if (s.state == FSM_BACKOFF) {
				assert_int_equal(o.delay_ms, 1000);
				assert_int_equal(s.restarts, 1);
			}
			if (s.state == FSM_FAILED)
				assert_true(o.actions & FSM_DO_FAILED);
			if (sig[k]) {
				assert_non_null(strstr(o.reason,
				    "killed by signal 11"));
			} else {
				char want[32];

				snprintf(want, sizeof want, "exited with code %d",
				    code[k]);
				assert_non_null(strstr(o.reason, want));
			}
		}
}

/* Crash, wait out the backoff, start again, crash...: the delays chosen. */
static void
crash_loop(struct cfg_service *c, int64_t *delays, int n, int *final)
{
	struct fsm_svc s;
	struct fsm_out o;
	int64_t now = 0;

	put(&s, FSM_WAITING);
	for (int i = 0; i < n; i++) {
		step(c, &s, FSM_EV_DEPS_READY, now);
		o = exit_with(c, &s, 1, 0, now);
		delays[i] = o.delay_ms;
		if (s.state != FSM_BACKOFF && s.state != FSM_WAITING)
			break;
		now += o.delay_ms;
		if (s.state == FSM_BACKOFF)
			step(c, &s, FSM_EV_TIMER, now);
	}
	*final = (int)s.state;
}

static void
test_backoff_growth_and_cap(void **state)
{
	struct cfg_service c = svc_defaults();
	int64_t d[8];
	int final;

	(void)state;
	c.max_restarts = 7;
	c.backoff_max_ms = 5000;
	crash_loop(&c, d, 8, &final);
	assert_int_equal(d[0], 1000);
	assert_int_equal(d[1], 2000);
	assert_int_equal(d[2], 4000);
	assert_int_equal(d[3], 5000);
	assert_int_equal(d[6], 5000);
	assert_int_equal(d[7], -1);	/* the 8th exit: failed */
	assert_int_equal(final, FSM_FAILED);

	c.backoff = CFG_BACKOFF_FIXED;
	crash_loop(&c, d, 3, &final);
	assert_int_equal(d[0], 1000);
	assert_int_equal(d[1], 1000);
	assert_int_equal(d[2], 1000);
	assert_int_equal(fsm_backoff_delay(&c, 50), 1000);
	c.backoff = CFG_BACKOFF_EXPONENTIAL;
	c.backoff_max_ms = 300000;
	assert_int_equal(fsm_backoff_delay(&c, 60), 300000);	/* no overflow */
}

static void
test_max_restarts_three(void **state)
{
	/* SPEC: exits at once, max_restarts 3: restarted exactly 3 times,
	 * 1 s, 2 s, 4 s, then failed, and it stays down */
	struct cfg_service c = svc_defaults();
	int64_t d[5];
	int final;
	struct fsm_svc s;
	struct fsm_out o;

	(void)state;
	c.max_restarts = 3;
	crash_loop(&c, d, 5, &final);
	assert_int_equal(d[0], 1000);
	assert_int_equal(d[1], 2000);
	assert_int_equal(d[2], 4000);
	assert_int_equal(d[3], -1);
	assert_int_equal(final, FSM_FAILED);

	put(&s, FSM_FAILED);
	s.consecutive_failures = 3;
	s.restarts = 3;
	o = step(&c, &s, FSM_EV_TIMER, 0);
	assert_true(o.ignored);
	assert_int_equal(s.state, FSM_FAILED);
	/* a person's start resets the count and the backoff */
	step(&c, &s, FSM_EV_START, 0);
	assert_int_equal(s.state, FSM_WAITING);
	assert_int_equal(s.consecutive_failures, 0);
	assert_int_equal(s.restarts, 3);
	step(&c, &s, FSM_EV_DEPS_READY, 0);
	o = exit_with(&c, &s, 1, 0, 100);
	assert_int_equal(o.delay_ms, 1000);
}

static void
test_max_restarts_zero(void **state)
{
	struct cfg_service c = svc_defaults();
	struct fsm_svc s;
	struct fsm_out o;

	(void)state;
	c.max_restarts = 0;
	put(&s, FSM_RUNNING);
	o = exit_with(&c, &s, 1, 0, 0);
	assert_int_equal(s.state, FSM_FAILED);
	assert_non_null(strstr(o.reason, "gave up after 0 restarts"));
}

static void
test_restart_window(void **state)
{
	struct cfg_service c = svc_defaults();
	struct fsm_svc s;
	struct fsm_out o;

	(void)state;
	put(&s, FSM_STARTING);
	s.consecutive_failures = 3;
	step(&c, &s, FSM_EV_READY, 1000);
	/* ran 59 s: still counts */
	o = exit_with(&c, &s, 1, 0, 60000 - 1);
	assert_int_equal(o.delay_ms, 8000);
	assert_int_equal(s.consecutive_failures, 4);
	/* ran the full window: the slate is clean */
	put(&s, FSM_STARTING);
	s.consecutive_failures = 3;
	step(&c, &s, FSM_EV_READY, 1000);
	o = exit_with(&c, &s, 1, 0, 61000);
	assert_int_equal(o.delay_ms, 1000);
	assert_int_equal(s.consecutive_failures, 1);
	/* the stable timer clears it while running */
	put(&s, FSM_RUNNING);
	s.consecutive_failures = 4;
	o = step(&c, &s, FSM_EV_STABLE, 0);
	assert_int_equal(s.consecutive_failures, 0);
	assert_int_equal(s.state, FSM_RUNNING);
	/* never ready: a crash in starting always counts */
	put(&s, FSM_STARTING);
	s.consecutive_failures = 2;
	o = exit_with(&c, &s, 1, 0, 999999);
	assert_int_equal(s.consecutive_failures, 3);
}

static void
test_delay_zero(void **state)
{
	struct cfg_service c = svc_defaults();
	struct fsm_svc s;
	struct fsm_out o;

	(void)state;
	c.restart_delay_ms = 0;
	put(&s, FSM_RUNNING);
	o = exit_with(&c, &s, 1, 0, 0);
	assert_int_equal(s.state, FSM_WAITING);	/* straight back */
	assert_false(o.actions & FSM_DO_TIMER);
	assert_int_equal(o.delay_ms, 0);
	assert_int_equal(s.restarts, 1);
}

static void
test_stop_during_backoff(void **state)
{
	struct cfg_service c = svc_defaults();
	struct fsm_svc s;
	struct fsm_out o;

	(void)state;
	put(&s, FSM_RUNNING);
	exit_with(&c, &s, 1, 0, 0);
	assert_int_equal(s.state, FSM_BACKOFF);
	o = step(&c, &s, FSM_EV_STOP, 10);
	assert_int_equal(s.state, FSM_STOPPED);
	assert_true(o.actions & FSM_DO_TIMER_STOP);
	assert_int_equal(s.want, FSM_WANT_DOWN);
	o = step(&c, &s, FSM_EV_TIMER, 1000);	/* the timer raced */
	assert_true(o.ignored);
	assert_int_equal(s.state, FSM_STOPPED);
}

static void
test_start_during_stopping(void **state)
{
	struct cfg_service c = svc_defaults();
	struct fsm_svc s;
	struct fsm_out o;

	(void)state;
	put(&s, FSM_RUNNING);
	step(&c, &s, FSM_EV_STOP, 0);
	o = step(&c, &s, FSM_EV_START, 5);
	assert_int_equal(s.state, FSM_STOPPING);
	assert_int_equal(s.want, FSM_WANT_UP);
	o = exit_with(&c, &s, 0, SIGTERM, 10);
	assert_int_equal(s.state, FSM_WAITING);
	assert_non_null(strstr(o.reason, "starting again"));
	assert_int_equal(s.restarts, 0);
	/* and a stop after that start calls the start off */
	put(&s, FSM_RUNNING);
	step(&c, &s, FSM_EV_STOP, 0);
	step(&c, &s, FSM_EV_START, 1);
	step(&c, &s, FSM_EV_STOP, 2);
	exit_with(&c, &s, 0, SIGTERM, 3);
	assert_int_equal(s.state, FSM_STOPPED);
}

static void
test_manual_restart(void **state)
{
	struct cfg_service c = svc_defaults();
	struct fsm_svc s;
	struct fsm_out o;

	(void)state;
	put(&s, FSM_RUNNING);
	s.consecutive_failures = 4;
	o = step(&c, &s, FSM_EV_RESTART, 0);
	assert_int_equal(s.state, FSM_STOPPING);
	assert_true(o.actions & FSM_DO_KILL);
	assert_int_equal(s.consecutive_failures, 0);
	exit_with(&c, &s, 0, SIGTERM, 5);
	assert_int_equal(s.state, FSM_WAITING);
	assert_int_equal(s.restarts, 0);	/* by hand: not counted */
	/* restart of a backoff skips the delay */
	put(&s, FSM_RUNNING);
	exit_with(&c, &s, 1, 0, 0);
	o = step(&c, &s, FSM_EV_RESTART, 1);
	assert_int_equal(s.state, FSM_WAITING);
	assert_true(o.actions & FSM_DO_TIMER_STOP);
}

/* fsm_want_down: the want only, and a planned start called off; the
 * stop itself is the planner's (FSM_EV_STOP) */
static void
test_want_down(void **state)
{
	struct cfg_service c = svc_defaults();
	struct fsm_svc s;
	struct fsm_out o;

	(void)state;
	put(&s, FSM_RUNNING);
	fsm_want_down(&s);
	assert_int_equal(s.want, FSM_WANT_DOWN);
	assert_int_equal(s.state, FSM_RUNNING);
	o = step(&c, &s, FSM_EV_STOP, 0);
	assert_int_equal(s.state, FSM_STOPPING);
	assert_true(o.actions & FSM_DO_KILL);
	/* a restart under way: wanting it down calls the start off */
	put(&s, FSM_RUNNING);
	step(&c, &s, FSM_EV_RESTART, 0);
	assert_true(s.then_start);
	fsm_want_down(&s);
	assert_false(s.then_start);
	exit_with(&c, &s, 0, SIGTERM, 5);
	assert_int_equal(s.state, FSM_STOPPED);
	assert_int_equal(s.want, FSM_WANT_DOWN);
}

static void
test_unhealthy(void **state)
{
	struct cfg_service c = svc_defaults();
	struct fsm_svc s;
	struct fsm_out o;
	struct fsm_in in = { .ev = FSM_EV_UNHEALTHY, .now_ms = 0,
		.why = "HTTP 503" };

	(void)state;
	put(&s, FSM_RUNNING);
	fsm_step(&c, &s, &in, &o);
	assert_int_equal(s.state, FSM_STOPPING);
	assert_non_null(strstr(o.reason, "unhealthy (HTTP 503)"));
	o = exit_with(&c, &s, 0, SIGTERM, 10);
	assert_int_equal(s.state, FSM_BACKOFF);
	assert_int_equal(s.restarts, 1);
	assert_non_null(strstr(o.reason, "unhealthy (HTTP 503)"));

	c.health.on_unhealthy = CFG_UNHEALTHY_IGNORE;
	put(&s, FSM_RUNNING);
	fsm_step(&c, &s, &in, &o);
	assert_int_equal(s.state, FSM_UNHEALTHY);
	fsm_step(&c, &s, &in, &o);
	assert_true(o.ignored);
	o = step(&c, &s, FSM_EV_READY, 20);
	assert_int_equal(s.state, FSM_RUNNING);
}

static void
test_limit_and_spawn_failed(void **state)
{
	struct cfg_service c = svc_defaults();
	struct fsm_svc s;
	struct fsm_out o;
	struct fsm_in in = { .ev = FSM_EV_LIMIT, .why = "RSS 2.1G > 2G" };

	(void)state;
	put(&s, FSM_RUNNING);
	fsm_step(&c, &s, &in, &o);
	assert_int_equal(s.state, FSM_STOPPING);
	o = exit_with(&c, &s, 0, SIGTERM, 10);
	assert_int_equal(s.state, FSM_BACKOFF);
	assert_non_null(strstr(o.reason, "over its memory limit"));

	put(&s, FSM_STARTING);
	in.ev = FSM_EV_SPAWN_FAILED;
	in.why = "no such file: /nope";
	fsm_step(&c, &s, &in, &o);
	assert_int_equal(s.state, FSM_BACKOFF);
	assert_int_equal(s.consecutive_failures, 1);
	assert_non_null(strstr(o.reason, "spawn failed: no such file"));
	c.max_restarts = 0;
	put(&s, FSM_STARTING);
	fsm_step(&c, &s, &in, &o);
	assert_int_equal(s.state, FSM_FAILED);
}

/* ------------------------------------------------------------------ */
/* the planner */

struct world {
	struct cfg cfg;
	struct cfg_service svc[4];
	struct cfg_dep deps[4][3];
	struct fsm_svc st[4];
	const struct fsm_svc *ptr[4];
};

/* search(0) <- rag(1) <- analytics(2, also on search); jobs(3) alone */
static void
world_init(struct world *w)
{
	static const char *names[] = { "search", "rag", "analytics", "jobs" };

	memset(w, 0, sizeof *w);
	for (int i = 0; i < 4; i++) {
		w->svc[i] = svc_defaults();
		w->svc[i].name = (char *)names[i];
		w->svc[i].deps = w->deps[i];
		fsm_init(&w->st[i]);
		w->ptr[i] = &w->st[i];
	}
	w->deps[1][0] = (struct cfg_dep){ .index = 0,
		.condition = CFG_COND_HEALTHY };
	w->svc[1].ndeps = 1;
	w->deps[2][0] = (struct cfg_dep){ .index = 0,
		.condition = CFG_COND_HEALTHY };
	w->deps[2][1] = (struct cfg_dep){ .index = 1,
		.condition = CFG_COND_HEALTHY };
	w->svc[2].ndeps = 2;
	w->cfg.services = w->svc;
	w->cfg.nservices = 4;
}

static void
world_set(struct world *w, int i, enum fsm_state st, enum fsm_want want)
{
	w->st[i].state = st;
	w->st[i].want = want;
}

static size_t
plan(struct world *w, struct plan_step *steps, int *blocked)
{
	return plan_next(&w->cfg, w->ptr, steps, blocked);
}

static void
test_plan_start_waves(void **state)
{
	struct world w;
	struct plan_step st[4];
	int blocked[4];
	size_t n;

	(void)state;
	world_init(&w);
	for (int i = 0; i < 4; i++)
		world_set(&w, i, FSM_WAITING, FSM_WANT_UP);
	n = plan(&w, st, blocked);
	assert_int_equal(n, 2);	/* search and jobs: independent, parallel */
	assert_int_equal(st[0].svc, 0);
	assert_int_equal(st[0].ev, FSM_EV_DEPS_READY);
	assert_int_equal(st[1].svc, 3);
	assert_int_equal(blocked[1], 0);
	assert_int_equal(blocked[2], 0);
	/* spawned is not ready */
	world_set(&w, 0, FSM_STARTING, FSM_WANT_UP);
	world_set(&w, 3, FSM_STARTING, FSM_WANT_UP);
	assert_int_equal(plan(&w, st, blocked), 0);
	world_set(&w, 0, FSM_RUNNING, FSM_WANT_UP);
	n = plan(&w, st, blocked);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].svc, 1);
	assert_int_equal(blocked[2], 1);	/* now rag holds analytics */
	world_set(&w, 1, FSM_RUNNING, FSM_WANT_UP);
	n = plan(&w, st, blocked);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].svc, 2);
}

static void
test_plan_conditions(void **state)
{
	(void)state;
	assert_true(plan_condition_met(CFG_COND_STARTED, FSM_STARTING));
	assert_true(plan_condition_met(CFG_COND_STARTED, FSM_UNHEALTHY));
	assert_false(plan_condition_met(CFG_COND_STARTED, FSM_BACKOFF));
	assert_false(plan_condition_met(CFG_COND_STARTED, FSM_EXITED));
	assert_true(plan_condition_met(CFG_COND_HEALTHY, FSM_RUNNING));
	assert_false(plan_condition_met(CFG_COND_HEALTHY, FSM_STARTING));
	assert_false(plan_condition_met(CFG_COND_HEALTHY, FSM_UNHEALTHY));
	assert_true(plan_condition_met(CFG_COND_COMPLETED, FSM_EXITED));
	assert_false(plan_condition_met(CFG_COND_COMPLETED, FSM_RUNNING));
	assert_false(plan_condition_met(CFG_COND_COMPLETED, FSM_FAILED));
}

static void
test_plan_stop_order(void **state)
{
	struct world w;
	struct plan_step st[4];
	size_t n;

	(void)state;
	world_init(&w);
	for (int i = 0; i < 4; i++)
		world_set(&w, i, FSM_RUNNING, FSM_WANT_DOWN);
	/* shutdown: leaves first -- analytics and jobs */
	n = plan(&w, st, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(st[0].svc, 2);
	assert_int_equal(st[0].ev, FSM_EV_STOP);
	assert_int_equal(st[1].svc, 3);
	world_set(&w, 2, FSM_STOPPING, FSM_WANT_DOWN);
	world_set(&w, 3, FSM_STOPPING, FSM_WANT_DOWN);
	assert_int_equal(plan(&w, st, NULL), 0);	/* still alive */
	world_set(&w, 2, FSM_STOPPED, FSM_WANT_DOWN);
	n = plan(&w, st, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].svc, 1);
	world_set(&w, 1, FSM_STOPPED, FSM_WANT_DOWN);
	n = plan(&w, st, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].svc, 0);
}

/* SPEC §3, row 1: stop X by hand -- its dependents are stopped first, and
 * stay down until started. */
static void
test_row_stop_by_hand(void **state)
{
	struct world w;
	struct plan_step st[4];
	bool set[4];
	size_t n;

	(void)state;
	world_init(&w);
	for (int i = 0; i < 4; i++)
		world_set(&w, i, FSM_RUNNING, FSM_WANT_UP);
	plan_stop_set(&w.cfg, 0, set);
	assert_true(set[0] && set[1] && set[2]);
	assert_false(set[3]);
	for (int i = 0; i < 4; i++)
		if (set[i])
			w.st[i].want = FSM_WANT_DOWN;
	n = plan(&w, st, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].svc, 2);	/* analytics first */
	world_set(&w, 2, FSM_STOPPED, FSM_WANT_DOWN);
	n = plan(&w, st, NULL);
	assert_int_equal(st[0].svc, 1);
	world_set(&w, 1, FSM_STOPPED, FSM_WANT_DOWN);
	n = plan(&w, st, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].svc, 0);
	world_set(&w, 0, FSM_STOPPED, FSM_WANT_DOWN);
	/* they stay down: nothing plans them back up */
	assert_int_equal(plan(&w, st, NULL), 0);
	assert_int_equal(w.st[3].state, FSM_RUNNING);	/* untouched */
}

/* Row 2: start X -- dependents untouched; X's dependencies first. */
static void
test_row_start_by_hand(void **state)
{
	struct world w;
	struct plan_step st[4];
	bool set[4];
	size_t n;

	(void)state;
	world_init(&w);
	plan_start_set(&w.cfg, 2, set);
	assert_true(set[0] && set[1] && set[2]);
	assert_false(set[3]);
	plan_start_set(&w.cfg, 1, set);
	assert_true(set[0] && set[1]);
	assert_false(set[2]);	/* analytics depends on rag: untouched */
	for (int i = 0; i < 4; i++)
		if (set[i]) {
			struct cfg_service c = svc_defaults();
			struct fsm_in in = { .ev = FSM_EV_START, .by_hand = true };
			struct fsm_out o;

			fsm_step(&c, &w.st[i], &in, &o);
		}
	n = plan(&w, st, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].svc, 0);	/* search first */
	assert_int_equal(w.st[2].state, FSM_STOPPED);
}

/* Rows 3 and 4: restart X by hand, or X crashes and restarts -- the
 * dependents are untouched. */
static void
test_row_restart_and_crash(void **state)
{
	struct world w;
	struct plan_step st[4];
	struct cfg_service c = svc_defaults();

	(void)state;
	world_init(&w);
	for (int i = 0; i < 4; i++)
		world_set(&w, i, FSM_RUNNING, FSM_WANT_UP);
	step(&c, &w.st[0], FSM_EV_RESTART, 0);
	assert_int_equal(w.st[0].state, FSM_STOPPING);
	assert_int_equal(plan(&w, st, NULL), 0);
	exit_with(&c, &w.st[0], 0, SIGTERM, 10);
	assert_int_equal(w.st[0].state, FSM_WAITING);
	assert_int_equal(plan(&w, st, NULL), 1);	/* search back up */
	assert_int_equal(st[0].svc, 0);
	assert_int_equal(w.st[1].state, FSM_RUNNING);
	assert_int_equal(w.st[2].state, FSM_RUNNING);

	world_set(&w, 0, FSM_RUNNING, FSM_WANT_UP);
	exit_with(&c, &w.st[0], 1, 0, 20);
	assert_int_equal(w.st[0].state, FSM_BACKOFF);
	assert_int_equal(plan(&w, st, NULL), 0);
	assert_int_equal(w.st[1].state, FSM_RUNNING);
}

/* Row 5: X ends failed -- a dependent still waiting stays waiting, its
 * reason naming X, and proceeds when X becomes ready. */
static void
test_row_dependency_failed(void **state)
{
	struct world w;
	struct plan_step st[4];
	int blocked[4];

	(void)state;
	world_init(&w);
	world_set(&w, 0, FSM_FAILED, FSM_WANT_UP);
	world_set(&w, 1, FSM_WAITING, FSM_WANT_UP);
	assert_int_equal(plan(&w, st, blocked), 0);
	assert_int_equal(blocked[1], 0);
	assert_int_equal(w.st[1].state, FSM_WAITING);
	world_set(&w, 0, FSM_RUNNING, FSM_WANT_UP);
	assert_int_equal(plan(&w, st, blocked), 1);
	assert_int_equal(st[0].svc, 1);
	assert_int_equal(st[0].ev, FSM_EV_DEPS_READY);
}

static void
test_plan_down_while_waiting(void **state)
{
	struct world w;
	struct plan_step st[4];

	(void)state;
	world_init(&w);
	world_set(&w, 1, FSM_WAITING, FSM_WANT_DOWN);
	world_set(&w, 2, FSM_BACKOFF, FSM_WANT_DOWN);
	assert_int_equal(plan(&w, st, NULL), 2);
	assert_int_equal(st[0].ev, FSM_EV_STOP);
	assert_int_equal(st[1].ev, FSM_EV_STOP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_cell),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_stop_timeout_zero),
		cmocka_unit_test(test_restart_policies),
		cmocka_unit_test(test_backoff_growth_and_cap),
		cmocka_unit_test(test_max_restarts_three),
		cmocka_unit_test(test_max_restarts_zero),
		cmocka_unit_test(test_restart_window),
		cmocka_unit_test(test_delay_zero),
		cmocka_unit_test(test_stop_during_backoff),
		cmocka_unit_test(test_start_during_stopping),
		cmocka_unit_test(test_manual_restart),
		cmocka_unit_test(test_want_down),
		cmocka_unit_test(test_unhealthy),
		cmocka_unit_test(test_limit_and_spawn_failed),
		cmocka_unit_test(test_plan_start_waves),
		cmocka_unit_test(test_plan_conditions),
		cmocka_unit_test(test_plan_stop_order),
		cmocka_unit_test(test_row_stop_by_hand),
		cmocka_unit_test(test_row_start_by_hand),
		cmocka_unit_test(test_row_restart_and_crash),
		cmocka_unit_test(test_row_dependency_failed),
		cmocka_unit_test(test_plan_down_while_waiting),
	};

	return cmocka_run_group_tests_name("fsm", tests, NULL, NULL);
}
