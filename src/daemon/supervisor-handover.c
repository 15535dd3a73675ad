/*
 * The supervisor's part of an upgrade (SPEC §9): every service's state --
 * lifecycle, pid and process group, counters, the remaining time of each
 * timer, health, output pipes and logs, last exits and the last start,
 * notify state and socket -- and the event ring with its
 * seq, saved into a struct handover before prodd exec's its new binary,
 * and taken over from it by the new prodd in place of sup_boot. The
 * processes are never touched: they are still prodd's children (an exec
 * keeps the pid), and their pipes' descriptors were kept open across it.
 */
#include "supervisor-int.h"
#include "prodd/handover.h"
#include "prodd/log.h"
#include "prodd/reaper.h"
#include "prodd/state.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

_Static_assert(SUP_EXITS <= HANDOVER_EXITS,
    "every kept exit is handed over");

const char *
sup_handover_refusal(const struct supervisor *sup)
{
	if (sup->shutting_down)
		return "prodd is shutting down";
	if (sup->batching || sup->npending > 0)
		return "a start wave is being spawned";
	if (!LIST_EMPTY(&sup->gone))
		return "services removed by a reload are still stopping; "
		    "try again when they are gone";
	return NULL;
}

/* The monotonic time t is due, or -1 when it is not armed. */
static int64_t
sup_due(const struct supervisor *sup, const uv_timer_t *t)
{
	if (!uv_is_active((const uv_handle_t *)t))
		return -1;
	return sup_now(sup) + (int64_t)uv_timer_get_due_in(t);
}

static void
sup_save_svc(struct sup_svc *s, struct handover *h)
{
	struct ho_svc *sv = handover_add_svc(h, s->cfg->name);
	struct supervisor *sup = s->sup;

	sv->fsm = s->fsm;
	snprintf(sv->reason, sizeof sv->reason, "%s", sup_svc_reason(s));
	memcpy(sv->restarts_by, s->restarts_by, sizeof sv->restarts_by);
	sv->stop_cause = (int)s->stop_cause;
	sv->down_by_hand = s->down_by_hand;
	sv->pid = s->pid;
	sv->started_ms = s->started_ms;
	sv->exit_ms = s->exit_ms;
	for (int k = 0; k < 2; k++)
		sv->out_fd[k] = s->out_fd[k];
	sv->timer_due = sup_tm_due(&s->timer);
	sv->ready_due = sup_tm_due(&s->ready);
	sv->stable_due = sup_tm_due(&s->stable);
	sv->check_due = s->rare != NULL ?
	    sup_due(sup, &s->rare->check) : -1;
	/* a copy: the health history is the document's to free */
	sv->health = *sup_svc_health(s);
	sv->health.hist = NULL;
	sv->health.nhist = sv->health.hpos = 0;
	if (s->health != NULL && s->health->nhist > 0) {
		sv->health.hist = xcalloc(HEALTH_HISTORY,
		    sizeof *sv->health.hist);
		for (size_t i = 0; i < s->health->nhist; i++)
			sv->health.hist[i] = *health_sample_at(s->health, i);
		sv->health.nhist = s->health->nhist;
		sv->health.hpos = s->health->nhist % HEALTH_HISTORY;
	}
	logs_handover_save(s->logs, sv);
	/* analyze: the last exits (their lines shared) and the last start */
	for (size_t i = 0; i < s->nexits && i < HANDOVER_EXITS; i++) {
		struct ho_exit *x = &sv->exits[sv->nexits++];

		x->at_ms = s->exits[i].at_ms;
		x->pid = s->exits[i].pid;
		x->code = s->exits[i].code;
		x->signal = s->exits[i].signal;
		snprintf(x->reason, sizeof x->reason, "%s",
		    s->exits[i].reason);
		x->lines = s->exits[i].lines != NULL ?
		    event_lines_ref(s->exits[i].lines) : NULL;
	}
	sv->wanted_ms = s->start.wanted_ms;
	sv->spawned_ms = s->start.spawned_ms;
	sv->ready_ms = s->start.ready_ms;
	sv->deps_met_ms = s->start.deps_met_ms;
	snprintf(sv->waited_for, sizeof sv->waited_for, "%s",
	    s->start.waited_for != NULL ? s->start.waited_for : "");
	sup_notify_handover_save(s, sv);
}

static void
sup_save_event_cb(const struct event *e, void *arg)
{
	struct handover *h = arg;

	/* the document holds its own reference to an exit's lines */
	h->events[h->nevents] = *e;
	if (e->lines != NULL)
		event_lines_ref(e->lines);
	h->nevents++;
}

void
sup_handover_save(struct supervisor *sup, struct handover *h)
{
	h->events = xcalloc(sup->events.count + 1, sizeof *h->events);
	h->nevents = 0;
	events_since(&sup->events, 0, sup_save_event_cb, h);
	h->events_next_seq = sup->events.next_seq;
	for (size_t i = 0; i < sup->cfg->nservices; i++)
		sup_save_svc(sup->svcs[i], h);
}

/* Arm t to fire at monotonic time due (at once when past). */
static void
sup_rearm(struct sup_svc *s, struct sup_tm *t, int64_t due)
{
	int64_t wait = due - sup_now(s->sup);

	if (due >= 0)
		sup_tm_start(t, (uint64_t)(wait > 0 ? wait : 0));
}

static void
sup_restore_svc(struct sup_svc *s, struct ho_svc *sv)
{
	struct supervisor *sup = s->sup;
	size_t nexits;

	s->fsm = sv->fsm;
	sup_set_reason(s, "%s", sv->reason);
	memcpy(s->restarts_by, sv->restarts_by, sizeof s->restarts_by);
	s->stop_cause = (enum fsm_event)sv->stop_cause;
	s->down_by_hand = sv->down_by_hand;
	s->started_ms = sv->started_ms;
	s->exit_ms = sv->exit_ms;
	s->pid = sv->pid;
	if (s->pid > 0) {
		pidmap_put(&sup->pids, s->pid, s);
		/* its end told by a pidfd, as for a spawn (else by the
		 * SIGCHLD sweep) */
		if (reaper_adopt(sup->reaper, s->pid) < 0)
			log_warn(s->cfg->name, "cannot watch pid %d: %s",
			    s->pid, strerror(errno));
	}
	for (int k = 0; k < 2; k++) {
		if (sv->out_fd[k] < 0)
			continue;
		/* close-on-exec again, for the services spawned from now */
		fcntl(sv->out_fd[k], F_SETFD, FD_CLOEXEC);
		sup_out_open(s, k == 0 ? LOG_STREAM_STDOUT :
		    LOG_STREAM_STDERR, sv->out_fd[k]);
		sv->out_fd[k] = -1;
	}
	if (s->health != NULL || sv->health.status != HEALTH_NONE ||
	    sv->health.checks > 0 || sv->health.hist != NULL) {
		health_free(sup_health(s));
		*s->health = sv->health;
	}
	sv->health.hist = NULL;
	sv->health.nhist = 0;
	logs_handover_restore(s->logs, sv);
	sup_exits_clear(s);
	nexits = sv->nexits < SUP_EXITS ? sv->nexits : SUP_EXITS;
	if (nexits > 0)
		s->exits = xcalloc(nexits, sizeof *s->exits);
	for (size_t i = 0; i < nexits; i++) {
		struct sup_exit *x = &s->exits[s->nexits++];

		x->at_ms = sv->exits[i].at_ms;
		x->pid = sv->exits[i].pid;
		x->code = sv->exits[i].code;
		x->signal = sv->exits[i].signal;
		snprintf(x->reason, sizeof x->reason, "%s",
		    sv->exits[i].reason);
		x->lines = sv->exits[i].lines;	/* the reference moves */
		sv->exits[i].lines = NULL;
	}
	s->start.wanted_ms = sv->wanted_ms;
	s->start.spawned_ms = sv->spawned_ms;
	s->start.ready_ms = sv->ready_ms;
	s->start.deps_met_ms = sv->deps_met_ms;
	sup_set_waited_for(s, sv->waited_for[0] != '\0' ? sv->waited_for :
	    NULL);
	sup_notify_handover_restore(s, sv);
	sup_rearm(s, &s->timer, sv->timer_due);
	sup_rearm(s, &s->ready, sv->ready_due);
	sup_rearm(s, &s->stable, sv->stable_due);
	if (sv->check_due >= 0 && s->pid > 0)
		sup_health_resume(s);
}

/* A service the hand-over has and the file no longer does: its group
 * ends, as a reload that removed it would have ended it. */
static void
sup_restore_orphan(struct supervisor *sup, struct ho_svc *sv)
{
	for (int k = 0; k < 2; k++)
		if (sv->out_fd[k] >= 0) {
			close(sv->out_fd[k]);
			sv->out_fd[k] = -1;
		}
	if (sv->notify.fd >= 0) {
		close(sv->notify.fd);
		unlink(sv->notify.path);
		sv->notify.fd = -1;
	}
	if (sv->pid <= 0)
		return;
	log_warn(sv->name, "no longer in the file: ending process group %d",
	    sv->pid);
	kill(-sv->pid, SIGTERM);
	reaper_adopt(sup->reaper, sv->pid);	/* reported as an orphan */
	state_forget(sup->cfg->daemon.state_dir, sv->name);
}

void
sup_handover_restore(struct supervisor *sup, struct handover *h)
{
	char **stopped;
	size_t nstopped, kept = 0;

	for (size_t i = 0; i < h->nevents; i++) {
		sup->events.next_seq = h->events[i].seq;
		events_push(&sup->events, &h->events[i]);
	}
	if (h->events_next_seq > sup->events.next_seq)
		sup->events.next_seq = h->events_next_seq;
	for (size_t i = 0; i < h->nsvcs; i++) {
		struct sup_svc *s = sup_find(sup, h->svcs[i].name);

		if (s == NULL) {
			sup_restore_orphan(sup, &h->svcs[i]);
			continue;
		}
		sup_restore_svc(s, &h->svcs[i]);
		kept += s->pid > 0;
	}
	/* services the file added since: as at a start of prodd */
	state_load_stopped(sup->cfg->daemon.state_dir, &stopped, &nstopped);
	for (size_t i = 0; i < sup->cfg->nservices; i++) {
		struct sup_svc *s = sup->svcs[i];
		struct fsm_in in = { .ev = FSM_EV_START, .now_ms = sup_now(sup) };
		bool by_hand = false;

		if (handover_find(h, s->cfg->name) != NULL)
			continue;
		for (size_t k = 0; k < nstopped; k++)
			by_hand |= strcmp(stopped[k], s->cfg->name) == 0;
		s->down_by_hand = by_hand;
		if (!s->cfg->enabled || by_hand)
			continue;
		sup->reconciling = true;
		sup_dispatch(s, &in);
		sup->reconciling = false;
	}
	state_names_free(stopped, nstopped);
	sup_note(sup, EVENT_DAEMON, "upgraded in place: %zu services taken "
	    "over, %zu processes kept running", h->nsvcs, kept);
	/* what ended during the exec is a zombie by now */
	reaper_sweep(sup->reaper);
	sup_reconcile(sup);
}
