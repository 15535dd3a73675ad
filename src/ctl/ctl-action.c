/*
 * What start, stop and restart share: issue the POST (per name, or
 * start-all/stop-all), print prodd's message, then wait for each service to
 * reach its target state by polling every 100 ms — running for start,
 * running with a new process for restart, stopped for stop — and fail early
 * with the service's reason when it lands in failed (or backoff/exited for
 * a start), instead of sitting out the whole timeout. A state the service
 * was already in before the POST is not taken as the outcome until the
 * service has been seen to move: prodd may apply the action a loop turn
 * after answering, and "failed" from the last run is not this run's verdict.
 */
#include "ctl.h"

#include "prodd/log.h"

#include "prodd/units.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTL_POLL_MS 100

struct ctl_target {
	char *name;
	char *before_state;	/* state before the POST, or NULL */
	char *before_run;	/* "pid|started_at" before the POST */
	bool nothing_to_do;	/* prodd answered 200 */
	bool moved;		/* seen in a state other than before_state */
	bool done;
};

struct ctl_action_ctx {
	struct ctl_client *client;
	const struct ctl_opts *o;
	enum ctl_action act;
	struct ctl_target *t;
	size_t n, cap;
	int rc;			/* worst outcome so far */
};

static const char *const ctl_act_name[] = { "start", "stop", "restart" };

static void
ctl_worse(struct ctl_action_ctx *x, int rc)
{
	/* Unreachable beats failed beats ok. */
	if (rc == CTL_UNREACHABLE || (rc == CTL_FAILED && x->rc == CTL_OK))
		x->rc = rc;
}

/* Which run of a service this is: a restart must see a different one. */
static char *
ctl_run_key(const cJSON *svc)
{
	const char *at = ctl_json_str(svc, "started_at");
	double pid;

	if (!ctl_json_num(svc, "pid", &pid))
		return NULL;
	return xasprintf("%.0f|%s", pid, at != NULL ? at : "");
}

static struct ctl_target *
ctl_target_find(struct ctl_action_ctx *x, const char *name)
{
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->t[i].name, name) == 0)
			return &x->t[i];
	return NULL;
}

static struct ctl_target *
ctl_target_add(struct ctl_action_ctx *x, const char *name)
{
	struct ctl_target *t;

	if ((t = ctl_target_find(x, name)) != NULL)
		return t;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 8;
		x->t = xreallocarray(x->t, x->cap, sizeof *x->t);
	}
	t = &x->t[x->n++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	return t;
}

static void
ctl_target_before(struct ctl_target *t, const cJSON *svc)
{
	const char *state = ctl_json_str(svc, "state");

	free(t->before_state);
	free(t->before_run);
	t->before_state = state != NULL ? xstrdup(state) : NULL;
	t->before_run = ctl_run_key(svc);
}

static bool
ctl_enabled(const cJSON *svc)
{
	/* A server without the key: take the service as enabled. */
	return !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(svc,
	    "enabled"));
}

/* Record every service's state before acting; for --all, the targets are
 * the enabled services. */
static int
ctl_action_before(struct ctl_action_ctx *x, bool all)
{
	struct ctl_resp r;
	const cJSON *svc;
	int rc;

	if ((rc = ctl_get_json(x->client, "/api/services", &r)) != CTL_OK)
		return rc;
	cJSON_ArrayForEach(svc, cJSON_GetObjectItemCaseSensitive(r.json,
	    "services")) {
		const char *name = ctl_json_str(svc, "name");
		struct ctl_target *t;

		if (name == NULL)
			continue;
		if (all && ctl_enabled(svc))
			t = ctl_target_add(x, name);
		else
			t = ctl_target_find(x, name);
		if (t != NULL)
			ctl_target_before(t, svc);
	}
	ctl_resp_free(&r);
	return CTL_OK;
}

/* Print what prodd said about the POST: its message, or the body with
 * --json. */
static void
ctl_action_say(const struct ctl_action_ctx *x, const struct ctl_resp *r)
{
	const char *msg = ctl_json_str(r->json, "message");

	if (x->o->json)
		printf("%s%s", r->body,
		    r->len > 0 && r->body[r->len - 1] == '\n' ? "" : "\n");
	else if (msg != NULL)
		printf("%s\n", msg);
	fflush(stdout);
}

static void
ctl_action_note_move(struct ctl_target *t, const cJSON *svc)
{
	const char *state = ctl_json_str(svc, "state");

	if (state != NULL && (t->before_state == NULL ||
	    strcmp(state, t->before_state) != 0))
		t->moved = true;
}

static void
ctl_action_post_one(struct ctl_action_ctx *x, struct ctl_target *t)
{
	char *esc = ctl_escape(t->name);
	char *path = xasprintf("/api/services/%s/%s", esc,
	    ctl_act_name[x->act]);
	struct ctl_resp r;
	int rc;

	rc = ctl_request(x->client, "POST", path, NULL, &r);
	free(path);
	free(esc);
	if (rc != CTL_OK) {
		ctl_worse(x, rc);
		t->done = true;
		return;
	}
	if (ctl_resp_check(&r) != CTL_OK) {
		ctl_worse(x, CTL_FAILED);
		t->done = true;
	} else {
		ctl_action_say(x, &r);
		t->nothing_to_do = r.status == 200;
		ctl_action_note_move(t, cJSON_GetObjectItemCaseSensitive(
		    r.json, "service"));
	}
	ctl_resp_free(&r);
}

static void
ctl_action_post_all(struct ctl_action_ctx *x)
{
	struct ctl_resp r;
	const cJSON *svc;
	int rc;

	rc = ctl_request(x->client, "POST", x->act == CTL_ACT_START ?
	    "/api/start-all" : "/api/stop-all", NULL, &r);
	if (rc != CTL_OK) {
		ctl_worse(x, rc);
		return;
	}
	if (ctl_resp_check(&r) != CTL_OK) {
		ctl_worse(x, CTL_FAILED);
		ctl_resp_free(&r);
		return;
	}
	ctl_action_say(x, &r);
	cJSON_ArrayForEach(svc, cJSON_GetObjectItemCaseSensitive(r.json,
	    "services")) {
		const char *name = ctl_json_str(svc, "name");
		struct ctl_target *t;

		if (name == NULL || !ctl_enabled(svc))
			continue;
		t = ctl_target_add(x, name);
		t->nothing_to_do = r.status == 200;
		ctl_action_note_move(t, svc);
	}
	ctl_resp_free(&r);
}

static const char *
ctl_action_goal(enum ctl_action act)
{
	return act == CTL_ACT_STOP ? "stopped" : "running";
}

/* Has t reached its goal in svc, failed (message printed), or neither? */
static int
ctl_action_judge(struct ctl_action_ctx *x, struct ctl_target *t,
    const cJSON *svc)
{
	const char *state = ctl_json_str(svc, "state");
	const char *reason = ctl_json_str(svc, "reason");
	bool settled;
	char *run;
	double pid;

	if (state == NULL)
		return 0;
	ctl_action_note_move(t, svc);
	run = ctl_run_key(svc);
	switch (x->act) {
	case CTL_ACT_START:
		settled = strcmp(state, "running") == 0;
		break;
	case CTL_ACT_RESTART:
		/* A new process: the old one may still be running when the
		 * first poll comes. */
		settled = strcmp(state, "running") == 0 && run != NULL &&
		    (t->before_run == NULL || strcmp(run, t->before_run) != 0);
		break;
	case CTL_ACT_STOP:
	default:
		/* Nothing to stop: an exited or failed service has no
		 * process either. */
		settled = strcmp(state, "stopped") == 0 ||
		    (t->nothing_to_do && (strcmp(state, "exited") == 0 ||
		    strcmp(state, "failed") == 0));
		break;
	}
	free(run);
	if (settled) {
		if (!x->o->json) {
			if (ctl_json_num(svc, "pid", &pid))
				printf("%s: %s (pid %.0f)\n", t->name, state,
				    pid);
			else
				printf("%s: %s\n", t->name, state);
			fflush(stdout);
		}
		return 1;
	}
	if ((t->moved || t->nothing_to_do) && (strcmp(state, "failed") == 0 ||
	    (x->act != CTL_ACT_STOP && (strcmp(state, "backoff") == 0 ||
	    strcmp(state, "exited") == 0)))) {
		fprintf(stderr, "prodctl: %s: %s failed: now %s%s%s%s\n",
		    t->name, ctl_act_name[x->act], state,
		    reason != NULL ? " (" : "", reason != NULL ? reason : "",
		    reason != NULL ? ")" : "");
		return -1;
	}
	return 0;
}

static void
ctl_action_judge_one(struct ctl_action_ctx *x, struct ctl_target *t,
    const cJSON *svc)
{
	int v = ctl_action_judge(x, t, svc);

	if (v != 0) {
		t->done = true;
		if (v < 0)
			ctl_worse(x, CTL_FAILED);
	}
}

static size_t
ctl_action_pending(const struct ctl_action_ctx *x, struct ctl_target **one)
{
	size_t n = 0;

	for (size_t i = 0; i < x->n; i++)
		if (!x->t[i].done) {
			*one = &x->t[i];
			n++;
		}
	return n;
}

/* One poll: the one service, or the list when several are pending. */
static int
ctl_action_poll(struct ctl_action_ctx *x)
{
	struct ctl_target *one = NULL;
	size_t pending = ctl_action_pending(x, &one);
	struct ctl_resp r;
	const cJSON *svc;
	char *esc, *path;
	int rc;

	if (pending == 1) {
		esc = ctl_escape(one->name);
		path = xasprintf("/api/services/%s", esc);
		rc = ctl_request(x->client, "GET", path, NULL, &r);
		free(esc);
		if (rc != CTL_OK) {
			free(path);
			return rc;
		}
		if (r.status == 404) {
			fprintf(stderr, "prodctl: %s: it was removed while "
			    "waiting\n", one->name);
			one->done = true;
			ctl_worse(x, CTL_FAILED);
		} else if ((rc = ctl_resp_check(&r)) != CTL_OK) {
			/* rc says it; nothing to judge */
		} else if (ctl_json_str(r.json, "name") == NULL ||
		    strcmp(ctl_json_str(r.json, "name"), one->name) != 0) {
			/* Not this service: nothing to judge from this
			 * answer; the next poll will tell. */
		} else {
			ctl_action_judge_one(x, one, r.json);
		}
		free(path);
		ctl_resp_free(&r);
		return rc;
	}
	if ((rc = ctl_get_json(x->client, "/api/services", &r)) != CTL_OK)
		return rc;
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r.json,
	    "services"))) {
		/* Not the list: never conclude "removed" from that; the
		 * next poll will tell. */
		ctl_resp_free(&r);
		return CTL_OK;
	}
	for (size_t i = 0; i < x->n; i++) {
		struct ctl_target *t = &x->t[i];
		bool seen = false;

		if (t->done)
			continue;
		cJSON_ArrayForEach(svc, cJSON_GetObjectItemCaseSensitive(
		    r.json, "services")) {
			const char *name = ctl_json_str(svc, "name");

			if (name != NULL && strcmp(name, t->name) == 0) {
				ctl_action_judge_one(x, t, svc);
				seen = true;
				break;
			}
		}
		if (!seen) {
			fprintf(stderr, "prodctl: %s: it was removed while "
			    "waiting\n", t->name);
			t->done = true;
			ctl_worse(x, CTL_FAILED);
		}
	}
	ctl_resp_free(&r);
	return CTL_OK;
}

/* Say, for each service still pending at the deadline, where it is. */
static void
ctl_action_timed_out(struct ctl_action_ctx *x, const char *timeout)
{
	for (size_t i = 0; i < x->n; i++) {
		struct ctl_target *t = &x->t[i];
		char *esc, *path;
		struct ctl_resp r;
		const char *state = NULL, *reason = NULL;

		if (t->done)
			continue;
		esc = ctl_escape(t->name);
		path = xasprintf("/api/services/%s", esc);
		memset(&r, 0, sizeof r);
		if (ctl_request(x->client, "GET", path, NULL, &r) == CTL_OK) {
			state = ctl_json_str(r.json, "state");
			reason = ctl_json_str(r.json, "reason");
		}
		fprintf(stderr, "prodctl: %s: timed out after %s waiting for "
		    "it to be %s (now %s%s%s)\n", t->name, timeout,
		    ctl_action_goal(x->act), state != NULL ? state : "?",
		    reason != NULL ? ": " : "", reason != NULL ? reason : "");
		ctl_resp_free(&r);
		free(path);
		free(esc);
	}
	ctl_worse(x, CTL_FAILED);
}

static int
ctl_action_wait(struct ctl_action_ctx *x, int64_t timeout_ms,
    const char *timeout)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	struct ctl_target *one;
	int rc;

	for (;;) {
		if (ctl_action_pending(x, &one) == 0)
			return x->rc;
		if ((rc = ctl_action_poll(x)) != CTL_OK) {
			ctl_worse(x, rc);
			return x->rc;
		}
		if (ctl_action_pending(x, &one) == 0)
			return x->rc;
		if (clock_mono_ms() >= deadline) {
			ctl_action_timed_out(x, timeout);
			return x->rc;
		}
		nanosleep(&(struct timespec){ 0, CTL_POLL_MS * 1000000L },
		    NULL);
	}
}

int
ctl_action_run(const struct ctl_cmd *cmd, enum ctl_action act,
    const struct ctl_opts *go, int argc, char **argv)
{
	struct ctl_opts o = *go;
	struct ctl_action_ctx x = { .o = &o, .act = act };
	bool all = false, no_wait = false;
	const char *timeout = "60";
	const struct ctl_flag flags[] = {
		{ "--all", 'a', CTL_FLAG_BOOL, &all },
		{ "--no-wait", 0, CTL_FLAG_BOOL, &no_wait },
		{ "--timeout", 't', CTL_FLAG_STR, &timeout },
		{ NULL, 0, CTL_FLAG_BOOL, NULL },
	};
	int64_t timeout_ms;
	char shown[32];
	int n, rc;

	if ((n = ctl_parse_args(cmd, &o, flags, argc, argv)) < 0)
		return CTL_USAGE;
	if (n == 0 && !all)
		return ctl_usage_error(cmd, "name a service, or --all");
	if (n > 0 && all)
		return ctl_usage_error(cmd, "either names or --all, not both");
	if (units_parse_duration(timeout, &timeout_ms) != 0)
		return ctl_usage_error(cmd, "bad --timeout '%s' (seconds, "
		    "or e.g. 90s, 2m)", timeout);
	units_format_duration(timeout_ms, shown, sizeof shown);
	if ((x.client = ctl_client_open(&o, &rc)) == NULL)
		return rc;
	for (int i = 0; i < n; i++)
		ctl_target_add(&x, argv[i]);
	if ((rc = ctl_action_before(&x, all)) != CTL_OK) {
		ctl_worse(&x, rc);
		goto out;
	}
	if (all && act != CTL_ACT_RESTART) {
		ctl_action_post_all(&x);
	} else {
		/* There is no restart-all route: one restart per service,
		 * which leaves dependents alone as a single restart does. */
		for (size_t i = 0; i < x.n && x.rc != CTL_UNREACHABLE; i++)
			ctl_action_post_one(&x, &x.t[i]);
	}
	if (!no_wait && x.rc != CTL_UNREACHABLE)
		ctl_action_wait(&x, timeout_ms, shown);
out:
	for (size_t i = 0; i < x.n; i++) {
		free(x.t[i].name);
		free(x.t[i].before_state);
		free(x.t[i].before_run);
	}
	free(x.t);
	ctl_client_free(x.client);
	return x.rc;
}
