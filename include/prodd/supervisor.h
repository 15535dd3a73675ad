/*
 * The supervisor: the one module that changes service state. It feeds
 * events (exits, timers, operator requests) to each service's lifecycle
 * table (core/fsm), asks the planner (core/plan) what may start or stop
 * next, and carries out the actions: spawns, signals to process groups,
 * timers, output capture, state_dir records, events. Loop thread only.
 */
#ifndef PRODD_SUPERVISOR_H
#define PRODD_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "prodd/config.h"
#include "prodd/events.h"
#include "prodd/fsm.h"
#include "prodd/prom.h"

struct supervisor;
struct sup_svc;
struct health_state;

/* One exit of a service's main process, kept with its last lines. */
struct sup_exit {
	int64_t at_ms;			/* wall clock */
	int pid, code, signal;		/* code -1 / signal 0: not that way */
	char reason[192];
	struct event_lines *lines;	/* a reference; NULL: none */
};

/* A service's last start: when it was wanted (began waiting or
 * starting), spawned and ready (wall clock ms; 0: not yet), and the
 * dependency it waited for last, until its dependencies were met. */
struct sup_start {
	int64_t wanted_ms, spawned_ms, ready_ms, deps_met_ms;
	char *waited_for;		/* heap; NULL: it waited for none */
};

struct sup_hooks {
	/* every event, after it is in the ring and in prodd's log */
	void (*on_event)(const struct event *e, void *arg);
	/* shutting down, and nothing is alive any more */
	void (*on_idle)(void *arg);
	/* every line a service prints (and prodd's notes about it) */
	void (*on_line)(void *arg, const char *service, int stream,
	    int64_t ts_ms, const char *line, size_t len);
	void *arg;
};

/* Takes ownership of cfg. */
struct supervisor *sup_new(uv_loop_t *loop, struct cfg *cfg,
    const struct sup_hooks *hooks);
/* Start every enabled service not stopped by hand (state_dir's record). */
void sup_boot(struct supervisor *sup);

/*
 * Operator requests. Return 0 when the action is under way, 1 when there
 * was nothing to do, -ENOENT for an unknown service, -ESHUTDOWN while
 * shutting down. msg (may be NULL) gets a one-line summary, e.g. "stopping
 * rag; also analytics, which depends on it".
 */
int sup_start(struct supervisor *sup, const char *name, char *msg,
    size_t msglen);
int sup_stop(struct supervisor *sup, const char *name, char *msg,
    size_t msglen);
int sup_restart(struct supervisor *sup, const char *name, char *msg,
    size_t msglen);
int sup_start_all(struct supervisor *sup);
int sup_stop_all(struct supervisor *sup);

/* Apply a new, valid config as a diff (takes ownership of cfg); msg gets
 * "N added, N removed, N changed, N unchanged". */
void sup_reload(struct supervisor *sup, struct cfg *cfg, char *msg,
    size_t msglen);

/* Stop everything in reverse dependency order, within shutdown_timeout;
 * then on_idle. A second call sends SIGKILL to every group at once. */
void sup_shutdown(struct supervisor *sup);
bool sup_shutting_down(const struct supervisor *sup);
/* Record a daemon event (e.g. "reload refused"). */
void sup_note(struct supervisor *sup, enum event_kind kind, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
/* The same, about one service (NULL or "": about prodd), e.g. an alert. */
void sup_note_for(struct supervisor *sup, enum event_kind kind,
    const char *service, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/*
 * An upgrade (supervisor-handover.c). Why the state cannot be handed over
 * now (NULL: it can); the whole state into h (services and events; the
 * descriptors stay open, the caller keeps them across the exec); and, in
 * the new prodd, after sup_new and in place of sup_boot, the state taken
 * over from h (its descriptors become the supervisor's).
 */
struct handover;
const char *sup_handover_refusal(const struct supervisor *sup);
void sup_handover_save(struct supervisor *sup, struct handover *h);
void sup_handover_restore(struct supervisor *sup, struct handover *h);

/* Close every handle; the caller then runs the loop until it is empty
 * and calls sup_free. */
void sup_close(struct supervisor *sup);
void sup_free(struct supervisor *sup);

const struct cfg *sup_cfg(const struct supervisor *sup);
const struct events *sup_events(const struct supervisor *sup);
size_t sup_count(const struct supervisor *sup);
struct sup_svc *sup_svc_at(const struct supervisor *sup, size_t i);
struct sup_svc *sup_find(const struct supervisor *sup, const char *name);

/* Read access to one service, for the API and tests. */
const struct cfg_service *sup_svc_cfg(const struct sup_svc *s);
const struct fsm_svc *sup_svc_fsm(const struct sup_svc *s);
pid_t sup_svc_pid(const struct sup_svc *s);
const char *sup_svc_reason(const struct sup_svc *s);
int64_t sup_svc_started_ms(const struct sup_svc *s);	/* wall clock */
struct logs_svc *sup_svc_logs(const struct sup_svc *s);
bool sup_svc_down_by_hand(const struct sup_svc *s);
int64_t sup_svc_exit_ms(const struct sup_svc *s);	/* wall clock; 0 */
const struct health_state *sup_svc_health(const struct sup_svc *s);
/* Its i-th last exit, newest first; NULL past the kept ones. */
const struct sup_exit *sup_svc_exit(const struct sup_svc *s, size_t i);
/* Its last start (wanted_ms 0: never started). */
const struct sup_start *sup_svc_start(const struct sup_svc *s);
/* Its automatic restarts for reason r (they add up to fsm.restarts). */
uint64_t sup_svc_restarts(const struct sup_svc *s, enum prom_reason r);
/* What a notify: true service said (SPEC §3): its STATUS= text (NULL:
 * none since the spawn), whether READY=1 came, RELOADING/STOPPING shown
 * until the next READY=1, ERRNO= (-1: none; of this instance, and of the
 * one that last exited), MAINPID= (0: none). */
struct sup_notify_view {
	const char *status_text;
	bool ready;
	const char *phase;
	int errno_value;
	int exit_errno;			/* ERRNO= of the instance that last
					 * exited, or -1 */
	int main_pid;
};
/* Fills *v when not NULL; returns the datagrams dropped so far. */
uint64_t sup_svc_notify(const struct sup_svc *s, struct sup_notify_view *v);
/* The sampler saw name over its memory_limit long enough: restart it
 * (nothing when it is unknown or not running). */
void sup_over_limit(struct supervisor *sup, const char *name,
    const char *why);

#endif
