/*
 * The alert rules and each alert's life (alerts.h): the default rules of
 * SPEC §7, the file's rules (a rule with `service` replaces the general
 * one for that service; a field it omits comes from the default rule of
 * the same alert), and the evaluation of each condition when an event or
 * a sample brings a new value. pending -> firing once the condition held
 * for `for` (checked at each evaluation: no timer per rule), resolved as
 * soon as it is false; a pending alert whose condition ends just goes.
 * The webhook's storm window is plain counting over the clock passed in.
 * Pure.
 */
#include "prodd/alerts.h"
#include "prodd/fsm.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_MS 60000

void
alerts_default_rule(enum cfg_alert_kind k, struct alert_rule *out,
    bool *on_by_default)
{
	bool on = false;

	memset(out, 0, sizeof *out);
	out->on = true;
	out->severity = CFG_SEV_WARNING;
	switch (k) {
	case CFG_ALERT_SERVICE_FAILED:
		out->severity = CFG_SEV_CRITICAL;
		on = true;
		break;
	case CFG_ALERT_RESTART_LOOP:
		out->threshold = 3;
		out->for_ms = 10 * MIN_MS;
		on = true;
		break;
	case CFG_ALERT_UNHEALTHY:
		out->for_ms = MIN_MS;
		on = true;
		break;
	case CFG_ALERT_HEALTH_SLOW:
		out->threshold = 1000;	/* ms */
		break;
	case CFG_ALERT_HIGH_CPU:
		out->threshold = 90;
		break;
	case CFG_ALERT_HIGH_MEMORY:
		out->threshold = 95;
		out->percent = true;
		out->for_ms = 5 * MIN_MS;
		on = true;
		break;
	case CFG_ALERT_DISK_FULL:
		out->threshold = 90;
		out->percent = true;
		out->for_ms = 5 * MIN_MS;
		on = true;
		break;
	case CFG_ALERT_WATCHDOG:
		break;
	}
	if (on_by_default != NULL)
		*on_by_default = on;
}

/* high_cpu, high_memory and disk_full without a service are the host's. */
static bool
kind_has_host(enum cfg_alert_kind k)
{
	return k == CFG_ALERT_HIGH_CPU || k == CFG_ALERT_HIGH_MEMORY ||
	    k == CFG_ALERT_DISK_FULL;
}

void
alerts_init(struct alerts *al, alert_change_fn fn, void *arg)
{
	memset(al, 0, sizeof *al);
	al->on_change = fn;
	al->arg = arg;
	for (int k = 0; k < CFG_ALERT_KINDS; k++) {
		bool on;

		alerts_default_rule((enum cfg_alert_kind)k, &al->def[k], &on);
		al->def[k].on = on;
	}
	al->repeat_ms = 4LL * 3600 * 1000;
	alert_storm_config(&al->storm, 20, 3600 * 1000);
}

void
alert_free(struct alert *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nlines; i++)
		free(a->lines[i].line);
	free(a->lines);
	free(a);
}

static void
alerts_free_rules(struct alerts *al)
{
	for (size_t i = 0; i < al->novr; i++)
		free(al->ovr[i].service);
	free(al->ovr);
	al->ovr = NULL;
	al->novr = 0;
	for (size_t i = 0; i < al->nservices; i++)
		free(al->services[i]);
	free(al->services);
	al->services = NULL;
	al->nservices = 0;
}

void
alerts_free(struct alerts *al)
{
	for (size_t i = 0; i < al->nactive; i++)
		alert_free(al->active[i]);
	free(al->active);
	for (size_t i = 0; i < al->nresolved; i++)
		alert_free(al->resolved[(al->rhead + i) % ALERTS_RESOLVED_KEEP]);
	free(al->restarts);
	alerts_free_rules(al);
	memset(al, 0, sizeof *al);
}

static struct alert_svc_rules *
ovr_find(const struct alerts *al, const char *service)
{
	for (size_t i = 0; i < al->novr; i++)
		if (strcmp(al->ovr[i].service, service) == 0)
			return &al->ovr[i];
	return NULL;
}

const struct alert_rule *
alerts_rule(const struct alerts *al, enum cfg_alert_kind k,
    const char *service)
{
	static const struct alert_rule off = { .on = false };
	const struct alert_svc_rules *o;

	if (service == NULL || service[0] == '\0')
		return kind_has_host(k) ? &al->def[k] : &off;
	o = service ? ovr_find(al, service) : NULL;
	if (o != NULL && o->has[k])
		return &o->r[k];
	/* a general high_cpu/high_memory/disk_full rule is the host's */
	if (kind_has_host(k))
		return &off;
	return &al->def[k];
}

/* A file's rule with the default rule's values where it omits them. */
static void
rule_from_cfg(const struct cfg_alert_rule *r, struct alert_rule *out)
{
	alerts_default_rule(r->alert, out, NULL);
	out->on = r->enabled;
	if (r->threshold_given) {
		out->threshold = r->threshold;
		out->percent = r->alert == CFG_ALERT_HIGH_MEMORY ?
		    r->threshold_is_percent : out->percent;
	}
	if (r->for_given)
		out->for_ms = r->for_ms;
	if (r->severity_given)
		out->severity = r->severity;
}

static bool
service_known(const struct alerts *al, const char *name)
{
	for (size_t i = 0; i < al->nservices; i++)
		if (strcmp(al->services[i], name) == 0)
			return true;
	return false;
}

static void alert_resolve(struct alerts *al, size_t i, int64_t now);

void
alerts_configure(struct alerts *al, const struct cfg *cfg, int64_t now)
{
	alerts_free_rules(al);
	for (int k = 0; k < CFG_ALERT_KINDS; k++) {
		bool on;

		alerts_default_rule((enum cfg_alert_kind)k, &al->def[k], &on);
		al->def[k].on = cfg->alert_rules_given ? false : on;
	}
	for (size_t i = 0; i < cfg->nalert_rules; i++) {
		const struct cfg_alert_rule *r = &cfg->alert_rules[i];
		struct alert_svc_rules *o;

		if ((int)r->alert < 0 || r->alert >= CFG_ALERT_KINDS)
			continue;
		if (r->service == NULL) {
			rule_from_cfg(r, &al->def[r->alert]);
			continue;
		}
		if ((o = ovr_find(al, r->service)) == NULL) {
			al->ovr = xreallocarray(al->ovr, al->novr + 1,
			    sizeof *al->ovr);
			o = &al->ovr[al->novr++];
			memset(o, 0, sizeof *o);
			o->service = xstrdup(r->service);
		}
		o->has[r->alert] = true;
		rule_from_cfg(r, &o->r[r->alert]);
	}
	al->services = xcalloc(cfg->nservices + 1, sizeof *al->services);
	for (size_t i = 0; i < cfg->nservices; i++)
		al->services[i] = xstrdup(cfg->services[i].name);
	al->nservices = cfg->nservices;
	al->repeat_ms = cfg->alert_repeat_ms;
	if (al->storm.max != cfg->alert_max_notifications ||
	    al->storm.window_ms != cfg->alert_window_ms)
		alert_storm_config(&al->storm, cfg->alert_max_notifications,
		    cfg->alert_window_ms);

	/* services gone and rules turned off: their alerts end now */
	for (size_t i = 0; i < al->nactive;) {
		struct alert *a = al->active[i];
		const struct alert_rule *r = alerts_rule(al, a->kind,
		    a->service);

		if ((a->service[0] != '\0' && !service_known(al, a->service)) ||
		    !r->on) {
			alert_resolve(al, i, now);
			continue;
		}
		a->threshold = r->threshold;
		a->severity = r->severity;
		a->for_ms = r->for_ms;
		i++;
	}
}

static size_t
alert_index(const struct alerts *al, const char *id)
{
	for (size_t i = 0; i < al->nactive; i++)
		if (strcmp(al->active[i]->id, id) == 0)
			return i;
	return (size_t)-1;
}

struct alert *
alerts_find(const struct alerts *al, const char *id)
{
	size_t i = alert_index(al, id);

	if (i != (size_t)-1)
		return al->active[i];
	for (size_t j = 0; j < al->nresolved; j++) {
		size_t at = (al->rhead + al->nresolved - 1 - j) %
		    ALERTS_RESOLVED_KEEP;

		if (strcmp(al->resolved[at]->id, id) == 0)
			return al->resolved[at];
	}
	return NULL;
}

size_t
alerts_firing(const struct alerts *al)
{
	size_t n = 0;

	for (size_t i = 0; i < al->nactive; i++)
		n += al->active[i]->state == ALERT_FIRING;
	return n;
}

static void
fmt_dur(char *buf, size_t len, int64_t ms)
{
	if (ms % 3600000 == 0 && ms > 0)
		snprintf(buf, len, "%lldh", (long long)(ms / 3600000));
	else if (ms % 60000 == 0 && ms > 0)
		snprintf(buf, len, "%lldm", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldms", (long long)ms);
}

static void
alert_summarize(struct alert *a, const char *reason)
{
	const char *who = a->service[0] ? a->service : "host";
	char f[32] = "", fr[48] = "";

	if (a->for_ms > 0) {
		fmt_dur(f, sizeof f, a->for_ms);
		snprintf(fr, sizeof fr, " for %s", f);
	}
	switch (a->kind) {
	case CFG_ALERT_SERVICE_FAILED:
		snprintf(a->summary, sizeof a->summary, "%s failed%s%s", who,
		    reason && *reason ? ": " : "", reason ? reason : "");
		break;
	case CFG_ALERT_RESTART_LOOP:
		snprintf(a->summary, sizeof a->summary, "%s restarted %.0f "
		    "times within %s (>= %.0f)", who, a->value, f, a->threshold);
		break;
	case CFG_ALERT_UNHEALTHY:
		snprintf(a->summary, sizeof a->summary, "%s unhealthy%s", who,
		    fr);
		break;
	case CFG_ALERT_HEALTH_SLOW:
		snprintf(a->summary, sizeof a->summary, "%s health check %.0f "
		    "ms > %.0f ms%s", who, a->value, a->threshold, fr);
		break;
	case CFG_ALERT_HIGH_CPU:
		snprintf(a->summary, sizeof a->summary, "%s CPU %.0f %% > %.0f "
		    "%%%s", who, a->value, a->threshold, fr);
		break;
	case CFG_ALERT_HIGH_MEMORY:
		if (a->service[0] && a->value > 100 && a->threshold > 100)
			snprintf(a->summary, sizeof a->summary, "%s memory %.0f "
			    "MiB > %.0f MiB%s", who, a->value / 1048576,
			    a->threshold / 1048576, fr);
		else
			snprintf(a->summary, sizeof a->summary, "%s memory %.0f "
			    "%% > %.0f %%%s", who, a->value, a->threshold, fr);
		break;
	case CFG_ALERT_DISK_FULL:
		snprintf(a->summary, sizeof a->summary, "disk %s %.0f %% used "
		    "> %.0f %%%s", a->mount, a->value, a->threshold, fr);
		break;
	case CFG_ALERT_WATCHDOG:
		snprintf(a->summary, sizeof a->summary, "%s missed its "
		    "watchdog%s%s", who, reason && *reason ? ": " : "",
		    reason ? reason : "");
		break;
	}
}

static void
report(struct alerts *al, struct alert *a, enum alert_change ch)
{
	if (al->on_change != NULL)
		al->on_change(al->arg, a, ch);
}

/* Move active[i] to the resolved ring; report it if it was firing. */
static void
alert_resolve(struct alerts *al, size_t i, int64_t now)
{
	struct alert *a = al->active[i];
	size_t at;

	memmove(&al->active[i], &al->active[i + 1],
	    (al->nactive - i - 1) * sizeof *al->active);
	al->nactive--;
	if (a->state != ALERT_FIRING) {
		alert_free(a);		/* pending: never fired, nothing to say */
		return;
	}
	a->state = ALERT_RESOLVED;
	a->resolved_ms = now;
	if (al->nresolved == ALERTS_RESOLVED_KEEP) {
		alert_free(al->resolved[al->rhead]);
		al->rhead = (al->rhead + 1) % ALERTS_RESOLVED_KEEP;
		al->nresolved--;
	}
	at = (al->rhead + al->nresolved) % ALERTS_RESOLVED_KEEP;
	al->resolved[at] = a;
	al->nresolved++;
	report(al, a, ALERT_CH_RESOLVED);
}

static void
alert_fire(struct alerts *al, struct alert *a, int64_t now,
    const char *reason)
{
	a->state = ALERT_FIRING;
	a->since_ms = now;
	a->notified_ms = now;
	alert_summarize(a, reason);
	report(al, a, ALERT_CH_FIRING);
}

static void
alert_id(char *buf, size_t len, enum cfg_alert_kind k, const char *service,
    const char *mount)
{
	if (service != NULL && service[0] != '\0')
		snprintf(buf, len, "%s/%s", cfg_alert_kind_name(k), service);
	else if (mount != NULL)
		snprintf(buf, len, "%s/host:%s", cfg_alert_kind_name(k), mount);
	else
		snprintf(buf, len, "%s/host", cfg_alert_kind_name(k));
}

static void
alert_set_lines(struct alert *a, const struct alert_line *lines, size_t n)
{
	for (size_t i = 0; i < a->nlines; i++)
		free(a->lines[i].line);
	free(a->lines);
	a->lines = NULL;
	a->nlines = 0;
	if (n > ALERT_LINES) {
		lines += n - ALERT_LINES;
		n = ALERT_LINES;
	}
	if (n == 0)
		return;
	a->lines = xcalloc(n, sizeof *a->lines);
	for (size_t i = 0; i < n; i++) {
		a->lines[i].ts_ms = lines[i].ts_ms;
		a->lines[i].stream = lines[i].stream;
		a->lines[i].line = xstrdup(lines[i].line ? lines[i].line : "");
	}
	a->nlines = n;
}

/*
 * The one evaluation: the condition of (k, service, mount) is cond, with
 * value. Creates the pending alert, fires it once for has elapsed,
 * resolves it when cond is false.
 */
static void
alerts_eval(struct alerts *al, enum cfg_alert_kind k, const char *service,
    const char *mount, bool cond, double value, const char *reason,
    const struct alert_line *lines, size_t nlines, int64_t now)
{
	const struct alert_rule *r = alerts_rule(al, k, service);
	/* restart_loop's `for` is its counting window: it fires at once */
	int64_t hold = k == CFG_ALERT_RESTART_LOOP ? 0 : r->for_ms;
	char id[sizeof ((struct alert *)0)->id];
	size_t i;
	struct alert *a;

	/* the common case of a sample: nothing to do, and nothing active */
	if ((!cond || !r->on) && al->nactive == 0)
		return;
	alert_id(id, sizeof id, k, service, mount);
	i = alert_index(al, id);
	if (!cond || !r->on) {
		if (i != (size_t)-1)
			alert_resolve(al, i, now);
		return;
	}
	if (i == (size_t)-1) {
		a = xcalloc(1, sizeof *a);
		memcpy(a->id, id, sizeof a->id);
		a->kind = k;
		snprintf(a->service, sizeof a->service, "%s",
		    service ? service : "");
		snprintf(a->mount, sizeof a->mount, "%s", mount ? mount : "");
		a->state = ALERT_PENDING;
		a->pending_ms = now;
		al->active = xreallocarray(al->active, al->nactive + 1,
		    sizeof *al->active);
		al->active[al->nactive++] = a;
	} else {
		a = al->active[i];
	}
	a->value = value;
	a->threshold = r->threshold;
	a->severity = r->severity;
	a->for_ms = r->for_ms;
	if (lines != NULL && nlines > 0)
		alert_set_lines(a, lines, nlines);
	if (a->state == ALERT_PENDING && now - a->pending_ms >= hold)
		alert_fire(al, a, now, reason);
	else if (a->state == ALERT_FIRING)
		alert_summarize(a, reason);
}

/* Whether an alert of kind k for service is active. */
static struct alert *
active_of(const struct alerts *al, enum cfg_alert_kind k, const char *service)
{
	char id[sizeof ((struct alert *)0)->id];
	size_t i;

	alert_id(id, sizeof id, k, service, NULL);
	i = alert_index(al, id);
	return i == (size_t)-1 ? NULL : al->active[i];
}

/* A service's restart stamps: NULL until its first restart (most
 * services never restart, and an entry is 600 bytes). */
static struct alert_restarts *
restarts_find(const struct alerts *al, const char *service)
{
	for (size_t i = 0; i < al->nrestarts; i++)
		if (strcmp(al->restarts[i].service, service) == 0)
			return &al->restarts[i];
	return NULL;
}

static struct alert_restarts *
restarts_of(struct alerts *al, const char *service)
{
	struct alert_restarts *r = restarts_find(al, service);

	if (r != NULL)
		return r;
	al->restarts = xreallocarray(al->restarts, al->nrestarts + 1,
	    sizeof *al->restarts);
	r = &al->restarts[al->nrestarts++];
	memset(r, 0, sizeof *r);
	snprintf(r->service, sizeof r->service, "%s", service);
	return r;
}

/* Restarts within the rule's window ending now (older ones drop out). */
static size_t
restarts_within(struct alert_restarts *r, int64_t window_ms, int64_t now)
{
	while (r->n > 0 && now - r->ts[r->head] >= window_ms) {
		r->head = (r->head + 1) % ALERT_RESTARTS_KEEP;
		r->n--;
	}
	return r->n;
}

static void
restart_loop_eval(struct alerts *al, const char *service, int64_t now)
{
	const struct alert_rule *r = alerts_rule(al, CFG_ALERT_RESTART_LOOP,
	    service);
	struct alert_restarts *rs = restarts_find(al, service);
	int64_t win = r->for_ms > 0 ? r->for_ms : 10 * MIN_MS;
	size_t n = rs != NULL ? restarts_within(rs, win, now) : 0;
	bool cond = r->on && (double)n >= r->threshold && r->threshold > 0;

	if (active_of(al, CFG_ALERT_RESTART_LOOP, service) == NULL && !cond)
		return;
	alerts_eval(al, CFG_ALERT_RESTART_LOOP, service, NULL, cond,
	    (double)n, NULL, NULL, 0, now);
}

void
alerts_on_state(struct alerts *al, const char *service, int from, int to,
    const char *reason, const struct alert_line *lines, size_t nlines,
    int64_t now)
{
	bool up = to == FSM_RUNNING;
	bool down_by_choice = to == FSM_STOPPED || to == FSM_EXITED;

	(void)from;
	if (to == FSM_BACKOFF) {
		struct alert_restarts *rs = restarts_of(al, service);

		if (rs->n == ALERT_RESTARTS_KEEP) {
			rs->head = (rs->head + 1) % ALERT_RESTARTS_KEEP;
			rs->n--;
		}
		rs->ts[(rs->head + rs->n) % ALERT_RESTARTS_KEEP] = now;
		rs->n++;
	}
	restart_loop_eval(al, service, now);
	if (to == FSM_FAILED)
		alerts_eval(al, CFG_ALERT_SERVICE_FAILED, service, NULL, true,
		    1, reason, lines, nlines, now);
	else if (up || down_by_choice)
		alerts_eval(al, CFG_ALERT_SERVICE_FAILED, service, NULL, false,
		    0, NULL, NULL, 0, now);
	if (reason != NULL && strstr(reason, "watchdog") != NULL &&
	    !up && !down_by_choice)
		alerts_eval(al, CFG_ALERT_WATCHDOG, service, NULL, true, 1,
		    reason, NULL, 0, now);
	else if (up || down_by_choice)
		alerts_eval(al, CFG_ALERT_WATCHDOG, service, NULL, false, 0,
		    NULL, NULL, 0, now);
	/* a service stopped or done is no longer unhealthy; across the
	 * restarts it causes it still is, until a check passes */
	if (down_by_choice)
		alerts_eval(al, CFG_ALERT_UNHEALTHY, service, NULL, false, 0,
		    NULL, NULL, 0, now);
}

void
alerts_on_health(struct alerts *al, const char *service, bool healthy,
    int64_t now)
{
	alerts_eval(al, CFG_ALERT_UNHEALTHY, service, NULL, !healthy,
	    healthy ? 0 : 1, NULL, NULL, 0, now);
}

static void
eval_threshold(struct alerts *al, enum cfg_alert_kind k, const char *service,
    const char *mount, bool valid, double v, int64_t now)
{
	const struct alert_rule *r = alerts_rule(al, k, service);

	alerts_eval(al, k, service, mount, r->on && valid && v > r->threshold,
	    v, NULL, NULL, 0, now);
}

void
alerts_on_sample(struct alerts *al, const struct alert_svc_sample *svcs,
    size_t n, const struct alert_host_sample *host, int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		const struct alert_svc_sample *s = &svcs[i];
		const struct alert_rule *mr = alerts_rule(al,
		    CFG_ALERT_HIGH_MEMORY, s->name);
		double mem = (double)s->rss;

		if (mr->percent) {
			mem = host != NULL && host->mem_total > 0 ?
			    100.0 * (double)s->rss / (double)host->mem_total : 0;
		}
		eval_threshold(al, CFG_ALERT_HIGH_CPU, s->name, NULL,
		    s->running, s->cpu_percent, now);
		eval_threshold(al, CFG_ALERT_HIGH_MEMORY, s->name, NULL,
		    s->running, mem, now);
		eval_threshold(al, CFG_ALERT_HEALTH_SLOW, s->name, NULL,
		    s->running && s->health_latency_ms >= 0,
		    s->health_latency_ms, now);
	}
	if (host != NULL && host->valid) {
		eval_threshold(al, CFG_ALERT_HIGH_CPU, NULL, NULL, true,
		    host->cpu_percent, now);
		eval_threshold(al, CFG_ALERT_HIGH_MEMORY, NULL, NULL, true,
		    host->mem_percent, now);
		for (size_t i = 0; i < host->nmounts; i++)
			eval_threshold(al, CFG_ALERT_DISK_FULL, NULL,
			    host->mounts[i].path, true,
			    host->mounts[i].used_percent, now);
	}
	alerts_tick(al, now);
}

void
alerts_tick(struct alerts *al, int64_t now)
{
	/* restart_loop windows age out */
	for (size_t i = 0; i < al->nrestarts; i++)
		if (active_of(al, CFG_ALERT_RESTART_LOOP,
		    al->restarts[i].service) != NULL)
			restart_loop_eval(al, al->restarts[i].service, now);
	for (size_t i = 0; i < al->nactive; i++) {
		struct alert *a = al->active[i];

		if (a->state == ALERT_PENDING &&
		    a->kind != CFG_ALERT_RESTART_LOOP &&
		    now - a->pending_ms >= a->for_ms)
			alert_fire(al, a, now, NULL);
		else if (a->state == ALERT_FIRING && al->repeat_ms > 0 &&
		    now - a->notified_ms >= al->repeat_ms) {
			a->notified_ms = now;
			report(al, a, ALERT_CH_REPEAT);
		}
	}
}

struct alert *
alert_new_test(int64_t now)
{
	struct alert *a = xcalloc(1, sizeof *a);

	snprintf(a->id, sizeof a->id, "test/host");
	a->kind = CFG_ALERT_SERVICE_FAILED;
	a->severity = CFG_SEV_INFO;
	a->state = ALERT_FIRING;
	a->since_ms = a->pending_ms = a->notified_ms = now;
	a->test = true;
	snprintf(a->summary, sizeof a->summary, "a test alert from prodd");
	return a;
}

/* ---- the storm window ---- */

void
alert_storm_config(struct alert_storm *st, int max, int64_t window_ms)
{
	memset(st, 0, sizeof *st);
	st->max = max;
	st->window_ms = window_ms > 0 ? window_ms : 3600 * 1000;
}

int64_t
alert_storm_end(const struct alert_storm *st)
{
	return st->open ? st->start_ms + st->window_ms : 0;
}

bool
alert_storm_close(struct alert_storm *st, int64_t now, int *suppressed,
    int64_t *window_start)
{
	bool due;

	if (!st->open || now < st->start_ms + st->window_ms)
		return false;
	due = st->suppressed > 0;
	if (suppressed != NULL)
		*suppressed = st->suppressed;
	if (window_start != NULL)
		*window_start = st->start_ms;
	st->open = false;
	st->count = st->suppressed = 0;
	return due;
}

bool
alert_storm_admit(struct alert_storm *st, int64_t now)
{
	if (st->max <= 0)
		return true;
	if (st->open && now >= st->start_ms + st->window_ms) {
		/* a window that ended with nothing held back just closes;
		 * one with a summary due waits for alert_storm_close */
		if (st->suppressed == 0)
			st->open = false;
		else {
			st->suppressed++;
			return false;
		}
	}
	if (!st->open) {
		st->open = true;
		st->start_ms = now;
		st->count = 0;
		st->suppressed = 0;
	}
	if (st->count < st->max) {
		st->count++;
		return true;
	}
	st->suppressed++;
	return false;
}
