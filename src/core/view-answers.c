/*
 * The small answers of the API (see view.h): the list of services, the
 * readiness verdict with the names of what is not ready, the one-line
 * messages of the actions (with the service or services they touched),
 * a refused reload's errors, liveness and the alerts. The readiness rule
 * is decided here, on the view structs, like prodd's overall status.
 * Pure.
 */
#include "prodd/view.h"

#include <string.h>

cJSON *
view_services_array(const struct view_list *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < l->n; i++)
		cJSON_AddItemToArray(a, view_service_json(l->at(l->arg, i)));
	return a;
}

cJSON *
view_services_json(const struct view_list *l)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "services", view_services_array(l));
	return o;
}

cJSON *
view_ready_json(const struct view_list *l, bool *ready)
{
	cJSON *o = cJSON_CreateObject(), *not = cJSON_CreateArray();

	*ready = true;
	for (size_t i = 0; i < l->n; i++) {
		const struct view_service *s = l->at(l->arg, i);

		if (!s->enabled || s->state == FSM_RUNNING)
			continue;
		*ready = false;
		cJSON_AddItemToArray(not, cJSON_CreateString(s->name));
	}
	cJSON_AddStringToObject(o, "status", *ready ? "ready" : "not_ready");
	cJSON_AddItemToObject(o, "not_ready", not);
	return o;
}

cJSON *
view_message_json(const char *message, const char *key, cJSON *item)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "message", view_text(message,
	    strlen(message)));
	if (key != NULL)
		cJSON_AddItemToObject(o, key, item);
	return o;
}

cJSON *
view_invalid_config_json(cJSON *errors)
{
	cJSON *o = view_error_json("the file has errors; nothing was changed",
	    "invalid_config");

	cJSON_AddItemToObject(o, "errors", errors != NULL ? errors :
	    cJSON_CreateArray());
	return o;
}

cJSON *
view_config_errors_json(const struct cfg_errors *errs)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < errs->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(errs->v[i].text));
	return a;
}

cJSON *
view_live_json(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "status", "alive");
	return o;
}

cJSON *
view_alerts_json(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "active", cJSON_CreateArray());
	cJSON_AddItemToObject(o, "resolved", cJSON_CreateArray());
	return o;
}
