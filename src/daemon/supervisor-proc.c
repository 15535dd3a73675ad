/*
 * The supervisor's process handling: a spawn (at once, or with the others
 * of one pass of the planner, run together on threads by spawn-run.c), the
 * exit of its main process (the reaper's report, told from orphans and
 * exec probes by pid), signals to its process group, and the timers that
 * feed the lifecycle table (backoff and stop timeout, alive long enough,
 * restart_window). Its output pipes are supervisor-out.c's.
 */
#include "supervisor-int.h"
#include "prodd/log.h"
#include "prodd/probe.h"
#include "prodd/reaper.h"
#include "prodd/state.h"
#include "prodd/units.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* An exit's last lines: made at the first (a service that printed
 * nothing since its spawn has none to hold: NULL, ~700 bytes less) */
static void
sup_lines_cb(uint64_t seq, int64_t ts_ms, int stream, const char *line,
    size_t len, void *arg)
{
	struct event_lines **lines = arg;

	(void)seq;
	if (*lines == NULL)
		*lines = event_lines_new();
	event_lines_add(*lines, ts_ms, stream, line, len);
}

void
sup_exits_clear(struct sup_svc *s)
{
	for (size_t i = 0; i < s->nexits; i++)
		event_lines_unref(s->exits[i].lines);
	s->nexits = 0;
	free(s->exits);
	s->exits = NULL;
}

/* Keep the exit (newest first, SUP_EXITS of them) with its lines. The
 * records grow one at a time: a service that ended once holds one
 * (224 bytes), not five. */
static void
sup_exit_keep(struct sup_svc *s, const struct event *e)
{
	struct sup_exit *x;

	if (s->nexits == SUP_EXITS)
		event_lines_unref(s->exits[--s->nexits].lines);
	else
		s->exits = xreallocarray(s->exits, s->nexits + 1,
		    sizeof *s->exits);
	memmove(&s->exits[1], &s->exits[0], s->nexits * sizeof s->exits[0]);
	s->nexits++;
	x = &s->exits[0];
	x->at_ms = s->exit_ms;
	x->pid = e->pid;
	x->code = e->exit_code;
	x->signal = e->signal;
	snprintf(x->reason, sizeof x->reason, "%s", e->reason);
	x->lines = event_lines_ref(e->lines);
}

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

	sup_hold(sup);
	pidmap_del(&sup->pids, pid);
	s->exit_ms = clock_wall_ms();
	/* whatever is left of its group goes with it */
	kill(-pid, SIGKILL);
	sup_out_drain(s);
	sup_event_for(s, &e, EVENT_EXIT);
	logring_since_last(logs_ring(s->logs), s->line_from, EVENT_LAST_LINES,
	    sup_lines_cb, &e.lines);
	e.exit_code = term_signal ? -1 : status;
	e.signal = term_signal;
	if (term_signal)
		snprintf(e.reason, sizeof e.reason, "pid %d killed by signal %d",
		    pid, term_signal);
	else
		snprintf(e.reason, sizeof e.reason, "pid %d exited with code %d",
		    pid, status);
	sup_emit(sup, &e);
	sup_exit_keep(s, &e);
	event_lines_unref(e.lines);	/* the ring and the service hold it */
	logs_note(s->logs, clock_wall_ms(), e.reason);
	s->pid = 0;		/* before the dispatch: it may spawn anew */
	s->exit_errno = s->notify_errno;
	sup_notify_stop(s);
	sup_dispatch(s, &in);
	/* its group's record goes, unless a respawn has written the new
	 * group's over it already */
	if (s->pid == 0)
		state_forget(sup->cfg->daemon.state_dir, s->cfg->name);
	sup_maybe_free(s);
	sup_replan(sup, NULL);	/* the shutdown may be over */
	sup_release(sup);
}

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
	int pidfd;
	uint64_t boot_ns = p->req.boot_ns;

	s->pid = spawn_finish_pidfd(&p->req, &pidfd, err, sizeof err);
	/* not watched: its SIGCHLD's sweep reaps it, a walk of every child */
	if (s->pid > 0 && pidfd >= 0 &&
	    reaper_watch(sup->reaper, s->pid, pidfd) < 0)
		close(pidfd);
	close(p->outp[1]);
	close(p->errp[1]);
	if (s->pid <= 0) {
		close(p->outp[0]);
		close(p->errp[0]);
		sup_spawn_failed(s, err);
		return;
	}
	s->started_ms = clock_wall_ms();
	if (s->start.spawned_ms == 0)
		s->start.spawned_ms = s->started_ms;
	pidmap_put(&sup->pids, s->pid, s);
	state_record(sup->cfg->daemon.state_dir, s->cfg->name, s->pid, boot_ns);
	sup_out_open(s, LOG_STREAM_STDOUT, p->outp[0]);
	sup_out_open(s, LOG_STREAM_STDERR, p->errp[0]);
	sup_event_for(s, &e, EVENT_SPAWN);
	snprintf(e.reason, sizeof e.reason, "started pid %d", s->pid);
	sup_emit(sup, &e);
	logs_note(s->logs, s->started_ms, e.reason);
	sup_notify_spawned(s);
	s->line_from = logring_next_seq(logs_ring(s->logs));
	/* with notify: true, READY=1 makes it ready, not time alone */
	if (s->cfg->health.kind == CFG_HEALTH_NONE && !s->cfg->notify)
		sup_tm_start(&s->ready, (uint64_t)s->cfg->ready_after_ms);
	else if (s->cfg->health.kind != CFG_HEALTH_NONE)
		sup_health_begin(s);
}

/* Spawn s: now, or with the others of the planner's pass when one is
 * being carried out (sup->batching). */
void
sup_spawn(struct sup_svc *s)
{
	struct supervisor *sup = s->sup;
	struct sup_pending one, *p = &one;
	struct cfg_env extra[SPAWN_EXTRA_ENV_MAX];
	int nextra;
	char err[512];

	if (sup->batching)
		p = &sup->pending[sup->npending];
	p->s = s;
	p->outp[0] = p->outp[1] = p->errp[0] = p->errp[1] = -1;
	if ((nextra = sup_notify_env(s, extra, SPAWN_EXTRA_ENV_MAX, err,
	    sizeof err)) < 0) {
		sup_spawn_failed(s, err);
		return;
	}
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
	if (spawn_prepare_env(&p->req, s->cfg, extra, (size_t)nextra,
	    p->outp[1], p->errp[1], err, sizeof err) < 0) {
		for (int i = 0; i < 2; i++) {
			close(p->outp[i]);
			close(p->errp[i]);
		}
		sup_spawn_failed(s, err);
		return;
	}
	p->req.pidfd_wanted = true;	/* its end: reaper_watch */
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
void
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

void
sup_timer_cb(struct sup_svc *s)
{
	struct fsm_in in = { .ev = FSM_EV_TIMER, .now_ms = sup_now(s->sup) };

	sup_dispatch(s, &in);
}

void
sup_ready_cb(struct sup_svc *s)
{
	char why[48], dur[32];
	struct fsm_in in = { .ev = FSM_EV_READY, .now_ms = sup_now(s->sup),
		.why = why };

	units_format_duration(s->cfg->ready_after_ms, dur, sizeof dur);
	snprintf(why, sizeof why, "alive for %s", dur);
	sup_dispatch(s, &in);
}

void
sup_stable_cb(struct sup_svc *s)
{
	struct fsm_in in = { .ev = FSM_EV_STABLE, .now_ms = sup_now(s->sup) };

	sup_dispatch(s, &in);
}

void
sup_kill(struct sup_svc *s, int sig)
{
	if (s->pid > 0 && kill(-s->pid, sig) < 0 && errno != ESRCH)
		log_warn(s->cfg->name, "cannot signal process group %d: %s",
		    s->pid, strerror(errno));
}

void
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
