/*
 * The messages prodd sends on /ws (see view.h and SPEC §6): the snapshot
 * wrapper with last_seq, instance and the gap reason; a sample's metrics
 * (the host's latest figures and every service's, as objects or, for a
 * client that asked, as arrays: a third of the bytes); an event with its
 * seq; an alert; a log line with its number n; a command's result with
 * the HTTP action's status and code and the client's id echoed; an error.
 * Each is rendered once here and shared by every client. Pure.
 */
#include "prodd/view.h"

#include <string.h>

cJSON *
view_ws_snapshot_json(cJSON *data, uint64_t last_seq, const char *instance,
    const char *reason)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", "snapshot");
	cJSON_AddNumberToObject(o, "last_seq", (double)last_seq);
	cJSON_AddStringToObject(o, "instance", instance);
	if (reason != NULL)
		cJSON_AddStringToObject(o, "reason", reason);
	cJSON_AddItemToObject(o, "data", data);
	return o;
}

/* A service's figures as an array in the order of view_figure_names. */
static cJSON *
compact_metrics(const struct view_service *s)
{
	double v[VIEW_FIGURES];
	cJSON *a;

	if (!s->has_metrics)
		return cJSON_CreateNull();
	view_service_figures(s, v);
	a = cJSON_CreateArray();
	for (int i = 0; i < VIEW_FIGURES; i++)
		cJSON_AddItemToArray(a, view_figure(v[i]));
	return a;
}

cJSON *
view_ws_metrics_json(int64_t ts_ms, const struct metrics_host *host,
    int64_t interval_ms, const struct view_list *services, bool compact)
{
	cJSON *o = cJSON_CreateObject(), *svcs;

	cJSON_AddStringToObject(o, "type", "metrics");
	cJSON_AddItemToObject(o, "ts", view_time(ts_ms));
	if (host != NULL)
		cJSON_AddItemToObject(o, "system", view_system_json(host,
		    interval_ms, 0));
	else
		cJSON_AddNullToObject(o, "system");
	if (compact)
		cJSON_AddItemToObject(o, "fields", cJSON_CreateStringArray(
		    view_figure_names, VIEW_FIGURES));
	svcs = cJSON_AddObjectToObject(o, "services");
	for (size_t i = 0; i < services->n; i++) {
		const struct view_service *s = services->at(services->arg, i);

		cJSON_AddItemToObject(svcs, s->name, compact ?
		    compact_metrics(s) : view_service_metrics_json(s));
	}
	/* the STATUS= texts of notify services, with every sample (no
	 * such service: no key) */
	svcs = NULL;
	for (size_t i = 0; i < services->n; i++) {
		const struct view_service *s = services->at(services->arg, i);

		if (s->notify && svcs == NULL)
			svcs = cJSON_AddObjectToObject(o, "status_text");
		if (s->notify)
			cJSON_AddItemToObject(svcs, s->name, s->status_text ?
			    cJSON_CreateString(s->status_text) :
			    cJSON_CreateNull());
	}
	return o;
}

cJSON *
view_ws_event_json(const struct event *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", "event");
	cJSON_AddItemToObject(o, "event", view_event_json(e));
	return o;
}

cJSON *
view_ws_alert_json(cJSON *alert)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", "alert");
	cJSON_AddItemToObject(o, "alert", alert);
	return o;
}

cJSON *
view_ws_log_json(const char *service, uint64_t n, int64_t ts_ms, int stream,
    const char *line, size_t len)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", "log");
	cJSON_AddStringToObject(o, "service", service);
	cJSON_AddNumberToObject(o, "n", (double)n);
	cJSON_AddStringToObject(o, "stream", stream == LOG_STREAM_STDERR ?
	    "stderr" : "stdout");
	cJSON_AddItemToObject(o, "ts", view_time(ts_ms));
	cJSON_AddItemToObject(o, "line", view_text(line, len));
	return o;
}

static void
add_id(cJSON *o, const cJSON *id)
{
	if (id != NULL)
		cJSON_AddItemToObject(o, "id", cJSON_Duplicate(id, true));
}

cJSON *
view_ws_result_json(const cJSON *id, bool ok, int status, const char *code,
    const char *message, cJSON *service)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", "result");
	add_id(o, id);
	cJSON_AddBoolToObject(o, "ok", ok);
	cJSON_AddNumberToObject(o, "status", status);
	if (code != NULL)
		cJSON_AddStringToObject(o, "code", code);
	if (message != NULL)
		cJSON_AddItemToObject(o, "message", view_text(message,
		    strlen(message)));
	if (service != NULL)
		cJSON_AddItemToObject(o, "service", service);
	return o;
}

cJSON *
view_ws_error_json(const char *message, const char *code, const cJSON *id)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", "error");
	add_id(o, id);
	cJSON_AddItemToObject(o, "error", view_text(message, strlen(message)));
	cJSON_AddStringToObject(o, "code", code);
	return o;
}
