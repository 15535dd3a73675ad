/*
 * The alert JSON of SPEC's appendix (id, alert, service, severity, state,
 * value, threshold, since, resolved_at, summary, last_lines, deliveries),
 * and the list GET /api/alerts answers: the active alerts, then the
 * recently resolved ones, newest first. One renderer, for the API, /ws,
 * the snapshot, the webhook and prodd's log. Pure.
 */
#include "prodd/alerts.h"
#include "prodd/view.h"

#include <stdio.h>

const char *
alert_state_name(enum alert_state s)
{
	static const char *const n[] = { "pending", "firing", "resolved" };

	return n[s];
}

const char *
alert_dlv_name(enum alert_dlv d)
{
	static const char *const n[] = { "none", "queued", "sending",
		"delivered", "retrying", "failed", "suppressed", "dropped" };

	return n[d];
}

const char *
alert_chan_name(enum alert_chan c)
{
	static const char *const n[] = { "webhook", "alertmanager" };

	return n[c];
}

static cJSON *
num_or_null(double v, bool has)
{
	return has ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

cJSON *
view_alert_json(const struct alert *a, unsigned channels)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *d;
	bool thr = a->kind != CFG_ALERT_SERVICE_FAILED &&
	    a->kind != CFG_ALERT_UNHEALTHY && a->kind != CFG_ALERT_WATCHDOG &&
	    !a->test;

	cJSON_AddStringToObject(o, "id", a->id);
	cJSON_AddStringToObject(o, "alert", a->test ? "test" :
	    cfg_alert_kind_name(a->kind));
	if (a->service[0] != '\0')
		cJSON_AddStringToObject(o, "service", a->service);
	else
		cJSON_AddNullToObject(o, "service");
	if (a->mount[0] != '\0')
		cJSON_AddStringToObject(o, "mount", a->mount);
	cJSON_AddStringToObject(o, "severity", cfg_severity_name(a->severity));
	cJSON_AddStringToObject(o, "state", alert_state_name(a->state));
	cJSON_AddItemToObject(o, "value", num_or_null(a->value, thr));
	cJSON_AddItemToObject(o, "threshold", num_or_null(a->threshold, thr));
	cJSON_AddItemToObject(o, "since", view_time(a->state == ALERT_PENDING ?
	    a->pending_ms : a->since_ms));
	cJSON_AddItemToObject(o, "resolved_at", a->resolved_ms > 0 ?
	    view_time(a->resolved_ms) : cJSON_CreateNull());
	cJSON_AddStringToObject(o, "summary", a->summary);
	if (a->kind == CFG_ALERT_SERVICE_FAILED && !a->test) {
		cJSON *ll = cJSON_AddArrayToObject(o, "last_lines");

		for (size_t i = 0; i < a->nlines; i++) {
			cJSON *l = cJSON_CreateObject();

			cJSON_AddItemToObject(l, "ts",
			    view_time(a->lines[i].ts_ms));
			cJSON_AddStringToObject(l, "stream",
			    a->lines[i].stream == 2 ? "stderr" : "stdout");
			cJSON_AddStringToObject(l, "line", a->lines[i].line);
			cJSON_AddItemToArray(ll, l);
		}
	}
	d = cJSON_AddObjectToObject(o, "deliveries");
	for (int c = 0; c < ALERT_CHANS; c++) {
		const struct alert_delivery *x = &a->dlv[c];
		cJSON *one;

		if (!(channels & (1u << c)))
			continue;
		one = cJSON_AddObjectToObject(d, alert_chan_name(
		    (enum alert_chan)c));
		cJSON_AddStringToObject(one, "state", alert_dlv_name(x->state));
		cJSON_AddNumberToObject(one, "attempts", x->attempts);
		if (x->last_error[0] != '\0')
			cJSON_AddStringToObject(one, "last_error", x->last_error);
		else
			cJSON_AddNullToObject(one, "last_error");
	}
	return o;
}

cJSON *
view_alert_list_json(const struct alerts *al, unsigned channels)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *act = cJSON_AddArrayToObject(o, "active");
	cJSON *res = cJSON_AddArrayToObject(o, "resolved");

	for (size_t i = 0; i < al->nactive; i++)
		cJSON_AddItemToArray(act, view_alert_json(al->active[i],
		    channels));
	for (size_t j = 0; j < al->nresolved; j++) {
		size_t at = (al->rhead + al->nresolved - 1 - j) %
		    ALERTS_RESOLVED_KEEP;

		cJSON_AddItemToArray(res, view_alert_json(al->resolved[at],
		    channels));
	}
	return o;
}
