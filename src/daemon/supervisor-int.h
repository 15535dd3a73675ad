/*
 * The supervisor's insides, shared by its files and by nothing else:
 * supervisor.c (the state machine driven: events, the dispatcher, the
 * planner's passes, services' life and death), supervisor-verbs.c (start,
 * stop, restart, all, reload, shutdown), supervisor-proc.c (spawns,
 * output pipes, exits, kills, timers), supervisor-timers.c (the
 * lifecycle timers of every service on one uv timer) and
 * supervisor-health.c (health checks meeting the lifecycle). Each
 * service is a struct sup_svc that never moves (heap; the config's order
 * is kept in an array of pointers, the services a reload removed in a
 * list). Loop thread only.
 */
#ifndef PRODD_SUPERVISOR_INT_H
#define PRODD_SUPERVISOR_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <uv.h>

#include "prodd/config.h"
#include "prodd/events.h"
#include "prodd/fsm.h"
#include "prodd/health.h"
#include "prodd/logs.h"
#include "prodd/notify.h"
#include "prodd/pidmap.h"
#include "prodd/plan.h"
#include "prodd/prom.h"
#include "prodd/spawn.h"
#include "prodd/supervisor.h"

/* The timers that only some services use: the health check's, and a
 * notify: true service's start_timeout and watchdog. Made when one is
 * first armed (most services never arm them: 456 bytes saved each),
 * freed with the service. */
struct sup_rare {
	uv_timer_t check;		/* the next health check is due */
	uv_timer_t start_timer;		/* start_timeout */
	uv_timer_t watchdog;		/* watchdog */
};

/* Which of a service's three lifecycle timers a struct sup_tm is: what
 * it calls, and where its service is (the struct it sits in). */
enum sup_tm_kind { SUP_TM_TIMER, SUP_TM_READY, SUP_TM_STABLE };

/* A lifecycle timer of a service (supervisor-timers.c): in the
 * supervisor's heap while armed. */
struct sup_tm {
	int64_t due;			/* loop time (ms) */
	uint64_t seq;			/* start order: ties fire in it */
	uint32_t idx;			/* in the heap; UINT32_MAX: idle */
	uint8_t kind;			/* enum sup_tm_kind */
};

/* A service keeps this many of its last exits, with their last lines. */
#define SUP_EXITS 5

struct sup_svc {
	struct supervisor *sup;
	struct cfg_service *cfg;
	struct fsm_svc fsm;
	char *reason;			/* heap; NULL: "not started" */
	/* its automatic restarts (fsm.restarts) by reason, and the event
	 * that began the current stop (what a restart after it is for) */
	uint64_t restarts_by[PROM_NREASONS];
	enum fsm_event stop_cause;
	pid_t pid;			/* > 0 while its process lives */
	int64_t started_ms;		/* wall clock, of the last spawn */
	int64_t exit_ms;		/* wall clock, of the last exit */
	uint64_t line_from;		/* the log ring's sequence at the spawn */
	struct sup_exit *exits;		/* nexits (at most SUP_EXITS),
					 * newest first; grown by one at
					 * each exit until full */
	size_t nexits;
	struct sup_start start;		/* the last start's timeline */
	int out_fd[2];			/* output pipes' read ends, or -1
					 * (supervisor-out.c) */
	struct sup_tm timer;		/* backoff, stop timeout */
	struct sup_tm ready;		/* alive long enough */
	struct sup_tm stable;		/* restart_window */
	struct health_state *health;	/* NULL until it has a check */
	struct probe *probe;		/* created at the first check */
	struct logs_svc *logs;
	/* notify: true and start_timeout (supervisor-notify.c) */
	struct notify_sock *notify;	/* made at the first spawn */
	struct sup_rare *rare;		/* made when first armed */
	char *status_text;		/* heap; NULL: none since the spawn */
	const char *notify_phase;	/* "reloading", "stopping", NULL */
	int notify_errno;		/* ERRNO=, or -1 */
	int exit_errno;			/* ERRNO= when it last exited, or -1 */
	pid_t notify_mainpid;		/* MAINPID=, or 0 */
	int handles;			/* open handles that point here */
	bool notified_ready;		/* READY=1 since the spawn */
	bool has_status;		/* status_text was sent */
	bool down_by_hand;		/* kept down across restarts of prodd */
	bool removed;			/* gone from the config: free when idle */
	bool closing;
	LIST_ENTRY(sup_svc) gone_link;	/* in supervisor.gone when removed */
	SLIST_ENTRY(sup_svc) free_link;	/* released: in sup.freeing */
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
	LIST_HEAD(, sup_svc) gone;	/* removed by a reload, still alive */
	struct cfg **retired;		/* configs the gone ones point into */
	size_t nretired;
	struct events events;
	struct reaper *reaper;
	struct prober *prober;
	struct pidmap pids;		/* main pid -> its service */
	int out_ep;			/* epoll set of the output pipes */
	uv_poll_t out_poll;		/* on out_ep */
	uv_timer_t shutdown_timer;
	/* the services' lifecycle timers (supervisor-timers.c) */
	uv_timer_t tm_timer;
	struct sup_tm **tm_heap;
	size_t tm_n, tm_cap;
	uint64_t tm_seq;
	bool tm_firing;
	SLIST_HEAD(, sup_svc) freeing;	/* released, freed next turn */
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
	bool *ahead;			/* by step: its signal sent ahead */
	bool signalled;			/* the dispatch under way: sent */
	int *blocked;
	size_t scratch_n;
	/* what changed since the last plan (plan_near), unless plan_all */
	struct plan_dependents dependents;	/* of cfg, built by a full plan */
	size_t *changed, nchanged, *near;
	bool *marked, *seen;
	bool plan_all;
	size_t down_from;	/* shutting down: every service below is down */
	/* events pushed from this number on are reported (log, hooks) at
	 * sup_release; 0: none held */
	uint64_t held_from;
};

/* supervisor.c */
int64_t sup_now(const struct supervisor *sup);
/* Set s's reason (at most SUP_REASON_MAX bytes kept). */
#define SUP_REASON_MAX 192
void sup_set_reason(struct sup_svc *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The dependency s's start waits for (its name, copied; NULL: none). */
void sup_set_waited_for(struct sup_svc *s, const char *name);
/* Up, or on its way up: a stop has something to do. */
bool sup_active(const struct sup_svc *s);
void sup_emit(struct supervisor *sup, struct event *e);
/*
 * Hold the reports of the events emitted from now on (prodd's log lines,
 * the hooks: API, /ws, alerts) until sup_release, which makes them in
 * order: a respawn acts first and tells after, as its floor does. The
 * events themselves are in the ring at once. At most SUP_HOLD_MAX are
 * held (far fewer than the ring keeps); past it they are made then.
 */
#define SUP_HOLD_MAX 64
void sup_hold(struct supervisor *sup);
void sup_release(struct supervisor *sup);
void sup_event_for(struct sup_svc *s, struct event *e, enum event_kind kind);
/* Feed one event to s's lifecycle table and carry out what it says. */
void sup_dispatch(struct sup_svc *s, const struct fsm_in *in);
/* Ask the planner what may start or stop now, until nothing moves. */
void sup_reconcile(struct supervisor *sup);
/* Plan again for what changed since the last plan (after s's state
 * changed, s != NULL; for nothing else but the shutdown's end, NULL). */
void sup_replan(struct supervisor *sup, struct sup_svc *s);
void sup_maybe_free(struct sup_svc *s);
/* The last handle of s has closed: free what is left. */
void sup_svc_free(struct sup_svc *s);
/* s's health state, made (as health_init makes it) at the first use. */
struct health_state *sup_health(struct sup_svc *s);
/* s's rare timers, made (and counted in s->handles) at the first use. */
struct sup_rare *sup_rare(struct sup_svc *s);
struct sup_svc *sup_svc_new(struct supervisor *sup, struct cfg_service *c);
void sup_logs_opts(const struct supervisor *sup, const struct cfg_service *c,
    struct logs_opts *o);
int sup_index(const struct supervisor *sup, const char *name);

/* supervisor-out.c: the output pipes. s reads fd as stream
 * (LOG_STREAM_STDOUT or _STDERR; false: fd is closed, not read); what
 * the pipes still hold at an exit; every pipe closed at prodd's end; the
 * set made and closed with the supervisor. */
bool sup_out_open(struct sup_svc *s, int stream, int fd);
void sup_out_drain(struct sup_svc *s);
void sup_out_close_all(struct sup_svc *s);
void sup_out_setup(struct supervisor *sup);
void sup_out_teardown(struct supervisor *sup);

/* supervisor-proc.c */
/* Forget s's last exits (their lines released) and free their room. */
void sup_exits_clear(struct sup_svc *s);
void sup_ready_cb(struct sup_svc *s);
void sup_spawn(struct sup_svc *s);
void sup_spawn_flush(struct supervisor *sup);
void sup_kill(struct sup_svc *s, int sig);
void sup_timer_cb(struct sup_svc *s);
void sup_stable_cb(struct sup_svc *s);

/* supervisor-timers.c */
void sup_tm_setup(struct supervisor *sup);
/* At the supervisor's close (after every service's release): the uv
 * timer closes, and the released services are freed with it. */
void sup_tm_close(struct supervisor *sup);
void sup_tm_teardown(struct supervisor *sup);
/* s's three timers, idle. */
void sup_tm_init(struct sup_svc *s);
/* Arm t (one of its service's three) to call its callback in ms
 * (sup_timer_cb, sup_ready_cb or sup_stable_cb; re-armed if it was). */
void sup_tm_start(struct sup_tm *t, uint64_t ms);
void sup_tm_stop(struct sup_tm *t);
/* When t is due (loop time), or -1 when it is not armed. */
int64_t sup_tm_due(const struct sup_tm *t);
/* s is released: its timers stopped; its own reference (one of
 * s->handles) is dropped at the next turn of the loop. */
void sup_tm_release(struct sup_svc *s);
void sup_reaped_cb(pid_t pid, int status, void *arg);

/* supervisor-notify.c */
void sup_notify_init(struct sup_svc *s);
/* Before a spawn: the socket (made once), and the variables the service
 * gets (NOTIFY_SOCKET, WATCHDOG_USEC) into env: how many, or -1 with the
 * reason in err. */
int sup_notify_env(struct sup_svc *s, struct cfg_env *env, size_t max,
    char *err, size_t errlen);
/* After a spawn: senders are checked against the new process; the
 * start_timeout begins. */
void sup_notify_spawned(struct sup_svc *s);
/* The process is gone or going: no more timeouts; its datagrams dropped. */
void sup_notify_stop(struct sup_svc *s);
/* May a passed health check make s ready: not before READY=1. */
bool sup_notify_ready_ok(const struct sup_svc *s);
/* Close the socket, free the status text (the timers are s->rare's,
 * closed with it). */
void sup_notify_release(struct sup_svc *s);
/* An upgrade: the notify state and socket, start_timeout and watchdog
 * saved into sv / taken over from it (the socket adopted, the timers
 * re-armed at their remaining time). */
struct ho_svc;
void sup_notify_handover_save(const struct sup_svc *s, struct ho_svc *sv);
void sup_notify_handover_restore(struct sup_svc *s, struct ho_svc *sv);

/* supervisor-health.c */
void sup_health_begin(struct sup_svc *s);
/* The process is gone or going: no more checks, health unknown. */
void sup_health_stop(struct sup_svc *s);
/* After an upgrade: the next check at the health state's next_ms. */
void sup_health_resume(struct sup_svc *s);

#endif
