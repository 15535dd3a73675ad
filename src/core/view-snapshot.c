/*
 * The dashboard's data (see view.h): what GET /api/dashboard-data answers
 * at once -- prodd's health, the host with its history, every service
 * with its own history of cpu and rss (s->services' own bound: the /ws
 * snapshot keeps each service's last 60 points), the last hundred events,
 * and the alerts -- so the dashboard draws its first frame from one
 * request.
 * Pure.
 */
#include "prodd/view.h"

cJSON *
view_snapshot_json(const struct view_snapshot *s)
{
	cJSON *o = cJSON_CreateObject();
	uint64_t last = s->events->next_seq - 1;

	cJSON_AddItemToObject(o, "daemon", view_daemon_json(s->daemon));
	if (s->host != NULL)
		cJSON_AddItemToObject(o, "system", view_system_json(s->host,
		    s->interval_ms, s->history));
	else
		cJSON_AddNullToObject(o, "system");
	cJSON_AddItemToObject(o, "services", view_services_array(&s->services));
	view_events_add(cJSON_AddArrayToObject(o, "events"), s->events,
	    last > 100 ? last - 100 : 0);
	cJSON_AddItemToObject(o, "alerts", cJSON_CreateArray());
	return o;
}
