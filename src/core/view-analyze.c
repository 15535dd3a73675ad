/*
 * The JSON of GET /api/analyze (see analyze.h for the analysis): the span
 * of the last start, every service's timeline (wall clock times and
 * offsets from the earliest wanted), what each waited for, and the
 * critical chain, the service ready last first. Pure.
 */
#include "prodd/view.h"

static cJSON *
view_offset(int64_t t, int64_t origin)
{
	if (t <= 0 || origin <= 0)
		return cJSON_CreateNull();
	return cJSON_CreateNumber((double)(t - origin));
}

static cJSON *
view_span(int64_t from, int64_t to)
{
	if (from <= 0 || to <= 0)
		return cJSON_CreateNull();
	return cJSON_CreateNumber((double)(to - from));
}

cJSON *
view_analyze_json(const struct analyze_svc *v, size_t n,
    const struct analyze_result *r, const size_t *order)
{
	cJSON *o = cJSON_CreateObject(), *a;

	cJSON_AddItemToObject(o, "started_at", view_time(r->origin_ms));
	cJSON_AddItemToObject(o, "finished_at", view_time(r->end_ms));
	cJSON_AddItemToObject(o, "total_ms", view_span(r->origin_ms,
	    r->end_ms));
	cJSON_AddItemToObject(o, "last", r->last < 0 ? cJSON_CreateNull() :
	    cJSON_CreateString(v[r->last].name));
	a = cJSON_AddArrayToObject(o, "services");
	for (size_t k = 0; k < n; k++) {
		const struct analyze_svc *s = &v[order[k]];
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "name", s->name);
		cJSON_AddStringToObject(e, "state", s->state);
		cJSON_AddItemToObject(e, "wanted_at", view_time(s->wanted_ms));
		cJSON_AddItemToObject(e, "spawned_at",
		    view_time(s->spawned_ms));
		cJSON_AddItemToObject(e, "ready_at", view_time(s->ready_ms));
		cJSON_AddItemToObject(e, "wanted_ms", view_offset(s->wanted_ms,
		    r->origin_ms));
		cJSON_AddItemToObject(e, "spawned_ms",
		    view_offset(s->spawned_ms, r->origin_ms));
		cJSON_AddItemToObject(e, "ready_ms", view_offset(s->ready_ms,
		    r->origin_ms));
		cJSON_AddItemToObject(e, "waited_ms", view_span(s->wanted_ms,
		    s->spawned_ms));
		cJSON_AddItemToObject(e, "start_ms", view_span(s->spawned_ms,
		    s->ready_ms));
		if (s->waited_for != NULL && s->waited_for[0] != '\0') {
			cJSON *w = cJSON_AddObjectToObject(e, "waited_for");

			cJSON_AddStringToObject(w, "name", s->waited_for);
			cJSON_AddItemToObject(w, "until",
			    view_time(s->deps_met_ms));
			cJSON_AddItemToObject(w, "until_ms",
			    view_offset(s->deps_met_ms, r->origin_ms));
		} else {
			cJSON_AddNullToObject(e, "waited_for");
		}
		cJSON_AddItemToArray(a, e);
	}
	a = cJSON_AddArrayToObject(o, "critical_chain");
	for (size_t k = 0; k < r->nchain; k++) {
		const struct analyze_svc *s = &v[r->chain[k]];
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "name", s->name);
		cJSON_AddItemToObject(e, "ready_at", view_time(s->ready_ms));
		cJSON_AddItemToObject(e, "ready_ms", view_offset(s->ready_ms,
		    r->origin_ms));
		cJSON_AddItemToObject(e, "start_ms", view_span(s->spawned_ms,
		    s->ready_ms));
		cJSON_AddItemToArray(a, e);
	}
	return o;
}
