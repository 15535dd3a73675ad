/*
 * The supervisor's side of readiness from the service itself (SPEC §3) and
 * of start_timeout. The notify socket (daemon/notify.c) reports each
 * accepted datagram here; this file decides: READY=1 (and a passed health
 * check, if any) makes a starting service ready, STATUS= is kept for the
 * API, /ws and prodctl, WATCHDOG=1 re-arms the watchdog and WATCHDOG=trigger
 * or a missed ping restarts the service under its policy, and
 * EXTEND_TIMEOUT_USEC pushes start_timeout back. RELOADING=1 and
 * STOPPING=1 are shown until the next READY=1; ERRNO= goes with the last
 * exit; MAINPID= (checked by the socket to be in the session) is shown.
 */
#include "supervisor-int.h"
#include "prodd/handover.h"
#include "prodd/log.h"
#include "prodd/notifysock.h"
#include "prodd/units.h"
#include "prodd/xmalloc.h"

#include <pwd.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
sup_start_timeout_cb(uv_timer_t *t)
{
	struct sup_svc *s = t->data;
	char why[96], dur[32];
	struct fsm_in in = { .ev = FSM_EV_START_TIMEOUT,
		.now_ms = sup_now(s->sup), .why = why };

	if (s->pid <= 0 || s->fsm.state != FSM_STARTING)
		return;
	units_format_duration(s->cfg->start_timeout_ms, dur, sizeof dur);
	snprintf(why, sizeof why, "%s%s", dur, s->cfg->notify &&
	    !s->notified_ready ? ", no READY=1" : "");
	sup_dispatch(s, &in);
}

static void
sup_watchdog_fire(struct sup_svc *s, const char *why)
{
	struct fsm_in in = { .ev = FSM_EV_WATCHDOG,
		.now_ms = sup_now(s->sup), .why = why };

	if (s->pid <= 0 || !fsm_state_alive(s->fsm.state) ||
	    s->fsm.state == FSM_STOPPING)
		return;
	logs_note(s->logs, clock_wall_ms(), "watchdog timeout");
	sup_dispatch(s, &in);
}

static void
sup_watchdog_cb(uv_timer_t *t)
{
	struct sup_svc *s = t->data;
	char why[64], dur[32];

	units_format_duration(s->cfg->watchdog_ms, dur, sizeof dur);
	snprintf(why, sizeof why, "no WATCHDOG=1 within %s", dur);
	sup_watchdog_fire(s, why);
}

void
sup_notify_init(struct sup_svc *s)
{
	s->notify_errno = s->exit_errno = -1;
}


/* The health side is satisfied: no check, or its last result passed. */
static bool
sup_health_passed(const struct sup_svc *s)
{
	return s->cfg->health.kind == CFG_HEALTH_NONE ||
	    sup_svc_health(s)->status == HEALTH_HEALTHY;
}

bool
sup_notify_ready_ok(const struct sup_svc *s)
{
	return !s->cfg->notify || s->notified_ready;
}

static void
sup_notify_msg(void *arg, const struct notify_msg *m, pid_t sender)
{
	struct sup_svc *s = arg;

	if (s->pid <= 0 || s->closing || !fsm_state_alive(s->fsm.state))
		return;
	if (m->fields & NOTIFY_STATUS) {
		free(s->status_text);
		s->status_text = xstrdup(m->status);
		s->has_status = true;
		log_debug(s->cfg->name, "STATUS=%s (pid %d)", m->status,
		    (int)sender);
	}
	if (m->fields & NOTIFY_MAINPID)
		s->notify_mainpid = m->mainpid;
	if (m->fields & NOTIFY_ERRNO)
		s->notify_errno = m->errno_value;
	if (m->fields & NOTIFY_RELOADING)
		s->notify_phase = "reloading";
	if (m->fields & NOTIFY_STOPPING)
		s->notify_phase = "stopping";
	if ((m->fields & NOTIFY_EXTEND_TIMEOUT) && s->fsm.state == FSM_STARTING &&
	    s->rare != NULL &&
	    uv_is_active((uv_handle_t *)&s->rare->start_timer)) {
		uint64_t left = uv_timer_get_due_in(&s->rare->start_timer);
		uint64_t want = m->extend_usec / 1000;

		if (want > left)
			uv_timer_start(&s->rare->start_timer,
			    sup_start_timeout_cb, want, 0);
	}
	if (m->fields & NOTIFY_READY) {
		bool first = !s->notified_ready;

		s->notified_ready = true;
		s->notify_phase = NULL;
		if (first && s->cfg->watchdog_ms > 0)
			uv_timer_start(&sup_rare(s)->watchdog, sup_watchdog_cb,
			    (uint64_t)s->cfg->watchdog_ms, 0);
		if (s->fsm.state == FSM_STARTING && sup_health_passed(s)) {
			struct fsm_in in = { .ev = FSM_EV_READY,
				.now_ms = sup_now(s->sup),
				.why = "READY=1 from the service" };

			logs_note(s->logs, clock_wall_ms(), "READY=1");
			sup_dispatch(s, &in);
			if (s->pid <= 0)
				return;
		}
	}
	if ((m->fields & NOTIFY_WATCHDOG) && s->notified_ready &&
	    s->cfg->watchdog_ms > 0)
		uv_timer_start(&sup_rare(s)->watchdog, sup_watchdog_cb,
		    (uint64_t)s->cfg->watchdog_ms, 0);
	if ((m->fields & NOTIFY_WATCHDOG_TRIGGER) && s->cfg->watchdog_ms > 0)
		sup_watchdog_fire(s, "WATCHDOG=trigger from the service");
}

/* The service's user and group as numbers, for the socket's owner. */
static void
sup_notify_owner(const struct cfg_service *c, uid_t *uid, gid_t *gid)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (c->user != NULL) {
		char *end;
		unsigned long v = strtoul(c->user, &end, 10);
		struct passwd *pw = *end == '\0' ? getpwuid((uid_t)v) :
		    getpwnam(c->user);

		if (pw != NULL) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
		}
	}
	if (c->group != NULL) {
		char *end;
		unsigned long v = strtoul(c->group, &end, 10);
		struct group *gr = *end == '\0' ? getgrgid((gid_t)v) :
		    getgrnam(c->group);

		if (gr != NULL)
			*gid = gr->gr_gid;
	}
}

int
sup_notify_env(struct sup_svc *s, struct cfg_env *env, size_t max,
    char *err, size_t errlen)
{
	static char path[NOTIFY_PATH_MAX], usec[32];
	size_t n = 0;

	if (!s->cfg->notify) {
		if (s->notify != NULL) {	/* a reload turned it off */
			notify_sock_close(s->notify);
			s->notify = NULL;
		}
		return 0;
	}
	if (s->notify == NULL) {
		uid_t uid;
		gid_t gid;
		char why[256];

		sup_notify_owner(s->cfg, &uid, &gid);
		s->notify = notify_sock_open(s->sup->loop,
		    s->sup->cfg->daemon.state_dir, s->cfg->name, uid, gid,
		    sup_notify_msg, s, why, sizeof why);
		if (s->notify == NULL) {
			snprintf(err, errlen, "cannot make its notify socket: %s",
			    why);
			return -1;
		}
	}
	/* the values are copied by the spawn's preparation at once */
	snprintf(path, sizeof path, "%s", notify_sock_path(s->notify));
	if (n < max)
		env[n++] = (struct cfg_env){ (char *)"NOTIFY_SOCKET", path };
	if (s->cfg->watchdog_ms > 0 && n < max) {
		snprintf(usec, sizeof usec, "%" PRId64,
		    s->cfg->watchdog_ms * 1000);
		env[n++] = (struct cfg_env){ (char *)"WATCHDOG_USEC", usec };
	}
	return (int)n;
}

void
sup_notify_spawned(struct sup_svc *s)
{
	s->notified_ready = false;
	s->has_status = false;
	free(s->status_text);
	s->status_text = NULL;
	s->notify_phase = NULL;
	s->notify_errno = -1;
	s->notify_mainpid = 0;
	if (s->notify != NULL)
		notify_sock_watch(s->notify, s->pid);
	if (s->cfg->start_timeout_ms > 0)
		uv_timer_start(&sup_rare(s)->start_timer, sup_start_timeout_cb,
		    (uint64_t)s->cfg->start_timeout_ms, 0);
}

void
sup_notify_stop(struct sup_svc *s)
{
	if (s->rare != NULL) {
		uv_timer_stop(&s->rare->start_timer);
		uv_timer_stop(&s->rare->watchdog);
	}
	if (s->notify != NULL && s->pid <= 0)
		notify_sock_watch(s->notify, 0);
}

void
sup_notify_release(struct sup_svc *s)
{
	notify_sock_close(s->notify);
	s->notify = NULL;
	free(s->status_text);
	s->status_text = NULL;
}

uint64_t
sup_svc_notify(const struct sup_svc *s, struct sup_notify_view *v)
{
	if (v != NULL) {
		v->status_text = s->has_status ? s->status_text : NULL;
		v->ready = s->notified_ready;
		v->phase = s->notify_phase;
		v->errno_value = s->notify_errno;
		v->exit_errno = s->exit_errno;
		v->main_pid = (int)s->notify_mainpid;
	}
	return s->notify != NULL ? notify_sock_dropped(s->notify) : 0;
}

/* The monotonic time t is due, or -1 when it is not armed. */
static int64_t
sup_notify_due(const struct sup_svc *s, const uv_timer_t *t)
{
	if (t == NULL || !uv_is_active((const uv_handle_t *)t))
		return -1;
	return sup_now(s->sup) + (int64_t)uv_timer_get_due_in(t);
}

void
sup_notify_handover_save(const struct sup_svc *s, struct ho_svc *sv)
{
	struct ho_notify *n = &sv->notify;

	sv->start_timeout_due = sup_notify_due(s, s->rare != NULL ?
	    &s->rare->start_timer : NULL);
	sv->watchdog_due = sup_notify_due(s, s->rare != NULL ?
	    &s->rare->watchdog : NULL);
	if (s->notify != NULL) {
		n->fd = notify_sock_fd(s->notify);
		snprintf(n->path, sizeof n->path, "%s",
		    notify_sock_path(s->notify));
		n->dropped = notify_sock_dropped(s->notify);
		n->mainpid_refused = notify_sock_mainpid_refused(s->notify);
	}
	n->ready = s->notified_ready;
	n->has_status = s->has_status;
	snprintf(n->status, sizeof n->status, "%s",
	    s->status_text != NULL ? s->status_text : "");
	snprintf(n->phase, sizeof n->phase, "%s", s->notify_phase != NULL ?
	    s->notify_phase : "");
	n->errno_value = s->notify_errno;
	n->exit_errno = s->exit_errno;
	n->main_pid = (int)s->notify_mainpid;
}

/* Arm t to fire at monotonic time due (at once when past). */
static void
sup_notify_rearm(struct sup_svc *s, bool watchdog, uv_timer_cb cb,
    int64_t due)
{
	int64_t wait = due - sup_now(s->sup);

	if (due >= 0)
		uv_timer_start(watchdog ? &sup_rare(s)->watchdog :
		    &sup_rare(s)->start_timer, cb,
		    (uint64_t)(wait > 0 ? wait : 0), 0);
}

void
sup_notify_handover_restore(struct sup_svc *s, struct ho_svc *sv)
{
	struct ho_notify *n = &sv->notify;
	char why[256];

	if (n->fd >= 0 && !s->cfg->notify) {
		/* the file turned notify off: the socket is not needed */
		close(n->fd);
		unlink(n->path);
	} else if (n->fd >= 0) {
		s->notify = notify_sock_adopt(s->sup->loop, n->fd, n->path,
		    n->dropped, n->mainpid_refused, sup_notify_msg, s, why,
		    sizeof why);
		if (s->notify == NULL) {
			log_warn(s->cfg->name, "notify socket not taken over: "
			    "%s", why);
			close(n->fd);
		} else if (s->pid > 0)
			notify_sock_watch(s->notify, s->pid);
	}
	n->fd = -1;
	s->notified_ready = n->ready;
	s->has_status = n->has_status;
	free(s->status_text);
	s->status_text = n->has_status ? xstrdup(n->status) : NULL;
	s->notify_phase = strcmp(n->phase, "reloading") == 0 ? "reloading" :
	    strcmp(n->phase, "stopping") == 0 ? "stopping" : NULL;
	s->notify_errno = n->errno_value;
	s->exit_errno = n->exit_errno;
	s->notify_mainpid = n->main_pid;
	if (s->pid <= 0)
		return;
	sup_notify_rearm(s, false, sup_start_timeout_cb,
	    sv->start_timeout_due);
	if (s->cfg->watchdog_ms > 0)
		sup_notify_rearm(s, true, sup_watchdog_cb,
		    sv->watchdog_due);
}
