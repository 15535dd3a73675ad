/*
 * The lifecycle of one service (SPEC §3) as a [state][event] table. The
 * state (what the process is) is kept apart from the want (what the
 * operator asked for). fsm_step() applies one event and says what to do:
 * the actions for the shell to run, and the state change with its reason.
 * Pure: time comes in with the event, nothing is read from the system.
 */
#ifndef PRODD_FSM_H
#define PRODD_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "prodd/config.h"

enum fsm_state {
	FSM_STOPPED,
	FSM_WAITING,		/* wants up; dependencies not ready yet */
	FSM_STARTING,		/* spawned, not ready yet */
	FSM_RUNNING,		/* ready: healthy if it has a check */
	FSM_UNHEALTHY,
	FSM_STOPPING,
	FSM_BACKOFF,		/* delay before an automatic restart */
	FSM_FAILED,
	FSM_EXITED,		/* ended with code 0, restart not always */
	FSM_NSTATES
};

enum fsm_want { FSM_WANT_DOWN, FSM_WANT_UP };

enum fsm_event {
	FSM_EV_START,		/* the operator (or start-all) wants it up */
	FSM_EV_RESTART,		/* the operator asks for a restart */
	FSM_EV_STOP,		/* stop it now (ordering is the planner's) */
	FSM_EV_DEPS_READY,	/* every dependency met its condition */
	FSM_EV_SPAWN_FAILED,	/* the process could not be started */
	FSM_EV_READY,		/* its readiness condition holds */
	FSM_EV_UNHEALTHY,	/* its health check failed enough */
	FSM_EV_LIMIT,		/* memory_limit exceeded: restart it */
	FSM_EV_EXIT,		/* the process ended */
	FSM_EV_TIMER,		/* its timer fired: backoff over, or stop timeout */
	FSM_EV_STABLE,		/* ran restart_window without trouble */
	FSM_EV_START_TIMEOUT,	/* not ready within start_timeout */
	FSM_EV_WATCHDOG,	/* notify watchdog missed, or triggered */
	FSM_NEVENTS
};

/* What the shell must do, as bits of fsm_out.actions. */
enum fsm_action {
	FSM_DO_SPAWN = 1 << 0,		/* spawn; then watch for readiness */
	FSM_DO_KILL = 1 << 1,		/* stop_signal to the process group */
	FSM_DO_KILL_HARD = 1 << 2,	/* SIGKILL to the process group */
	FSM_DO_TIMER = 1 << 3,		/* (re)arm the timer: out.timer_ms */
	FSM_DO_TIMER_STOP = 1 << 4,	/* cancel the timer */
	FSM_DO_STABLE_WATCH = 1 << 5,	/* arm the restart_window timer */
	FSM_DO_UNWATCH = 1 << 6,	/* stop readiness/health/stable watches */
	FSM_DO_FAILED = 1 << 7,		/* it just failed: alert */
};

struct fsm_svc {
	enum fsm_state state;
	enum fsm_want want;
	int restarts;			/* automatic restarts since prodd started */
	int consecutive_failures;	/* what max_restarts caps */
	bool then_start;		/* stopping, then start again (by hand) */
	bool then_recover;		/* stopping, then the restart policy */
	bool killed;			/* SIGKILL sent in this stop */
	/* the last exit */
	bool has_exit;
	int exit_code;			/* -1 when killed by a signal */
	int exit_signal;		/* 0 when it exited */
	int64_t exit_ms;
	int64_t since_ms;		/* when the state was entered */
	int64_t ready_ms;		/* when it last became ready; -1 */
	char cause[128];		/* why this stop began (then_recover) */
};

struct fsm_in {
	enum fsm_event ev;
	int64_t now_ms;
	int exit_code;			/* FSM_EV_EXIT: code, or -1 */
	int exit_signal;		/* FSM_EV_EXIT: signal, or 0 */
	bool by_hand;			/* FSM_EV_START: an operator's start */
	const char *why;		/* optional detail for the reason */
};

struct fsm_out {
	unsigned actions;
	int64_t timer_ms;		/* with FSM_DO_TIMER */
	int kill_signal;		/* with FSM_DO_KILL */
	enum fsm_state from, to;
	bool changed;			/* from != to, or a restart in place */
	int64_t delay_ms;		/* restart delay chosen, or -1 */
	bool ignored;			/* the event means nothing in this state */
	char reason[192];
};

void fsm_init(struct fsm_svc *s);
/*
 * The operator (or the shutdown, or a reload that removed the service)
 * wants it down: only the want changes, and a start planned for after a
 * stop is called off. No state changes here: the planner turns the want
 * into FSM_EV_STOP steps, dependents first. Every write of a service's
 * want outside this file goes through here or an fsm_step().
 */
void fsm_want_down(struct fsm_svc *s);
void fsm_step(const struct cfg_service *c, struct fsm_svc *s,
    const struct fsm_in *in, struct fsm_out *out);

/* The delay before automatic restart number n+1 (n failures so far). */
int64_t fsm_backoff_delay(const struct cfg_service *c, int n);

const char *fsm_state_name(enum fsm_state st);
const char *fsm_event_name(enum fsm_event ev);
/* The process is alive in this state (spawned and not yet reaped). */
bool fsm_state_alive(enum fsm_state st);

#endif
