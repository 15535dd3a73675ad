/*
 * The supervisor's verbs: start (dependencies first), stop (dependents
 * first), restart, start-all and stop-all, the operator's wishes kept in
 * state_dir, the boot, the shutdown (ordered, then SIGKILL at
 * shutdown_timeout or at a second request) and the reload applied as a
 * diff of two configs. Each verb changes wants through core/fsm and lets
 * the planner order the rest.
 */
#include "supervisor-int.h"
#include "prodd/log.h"
#include "prodd/state.h"
#include "prodd/strutil.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
			sup_set_reason(s, "stopped by hand "
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

/* The end of start or stop of service i: the one-line summary ("starting
 * rag; first its dependencies: search", "rag is already running"), then
 * the planner's turn. also lists the others the verb took along. */
static void
sup_verb_done(struct supervisor *sup, int i, int rc, const char *doing,
    const char *first, struct strbuf *also, char *msg, size_t msglen)
{
	const char *name = sup->svcs[i]->cfg->name;

	if (rc == 0 && also->len)
		sup_msg(msg, msglen, "%s %s; first %s: %s", doing, name, first,
		    also->buf);
	else if (rc == 0)
		sup_msg(msg, msglen, "%s %s", doing, name);
	else
		sup_msg(msg, msglen, "%s is already %s", name,
		    fsm_state_name(sup->svcs[i]->fsm.state));
	sb_free(also);
	sup_reconcile(sup);
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
	sup_verb_done(sup, i, rc, "starting", "its dependencies", &also, msg,
	    msglen);
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
			fsm_want_down(&s->fsm);
			if ((int)k != i && sup_active(s))
				sb_printf(&also, "%s%s", also.len ? ", " : "",
				    s->cfg->name);
		}
	}
	free(set);
	sup_save_wishes(sup);
	sup_verb_done(sup, i, rc, "stopping", "what depends on it", &also, msg,
	    msglen);
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
		fsm_want_down(&s->fsm);
	}
	sup_save_wishes(sup);
	sup_reconcile(sup);
	return stopping ? 0 : 1;
}

static void
sup_shutdown_timer_cb(uv_timer_t *t)
{
	struct supervisor *sup = t->data;

	log_warn(NULL, "shutdown_timeout passed: SIGKILL to every service");
	sup_shutdown(sup);
}

void
sup_shutdown(struct supervisor *sup)
{
	struct sup_svc *s;

	if (sup->shutting_down) {
		if (sup->killed_all)
			return;
		sup->killed_all = true;
		sup_note(sup, EVENT_DAEMON, "SIGKILL to every process group");
		for (size_t i = 0; i < sup->cfg->nservices; i++)
			sup_kill(sup->svcs[i], SIGKILL);
		LIST_FOREACH(s, &sup->gone, gone_link)
			sup_kill(s, SIGKILL);
		return;
	}
	sup->shutting_down = true;
	sup_note(sup, EVENT_DAEMON, "shutting down: stopping every service "
	    "in reverse dependency order");
	for (size_t i = 0; i < sup->cfg->nservices; i++) {
		fsm_want_down(&sup->svcs[i]->fsm);
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
		/* every kept service: daemon.log_dir applies at once, and a
		 * log file that failed is tried again */
		{
			struct logs_opts lo;

			sup_logs_opts(sup, c, &lo);
			logs_reconfigure(s->logs, &lo);
		}
		if (cfg_service_equal(s->cfg, c)) {
			s->cfg = c;
			same++;
			continue;
		}
		changed++;
		s->cfg = c;
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
		LIST_INSERT_HEAD(&sup->gone, s, gone_link);
		fsm_want_down(&s->fsm);
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
	for (struct sup_svc *s = LIST_FIRST(&sup->gone), *next; s != NULL;
	    s = next) {
		next = LIST_NEXT(s, gone_link);
		sup_maybe_free(s);
	}
	sup_reconcile(sup);
}
