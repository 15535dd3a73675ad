/*
 * The hand-over parser's getters (handover-int.h): a key of an object as
 * the type it must have, numbers checked whole and within the range their
 * C type holds (a cast of a double out of range is undefined), enums
 * within their values. The first error wins and names the key; every
 * getter after it does nothing, so a section's parser reads straight on
 * and the document is refused whole. Pure.
 */
#include "handover-int.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ho_fail(struct ho_parse *ps, const char *key, const char *what)
{
	if (ps->failed)
		return;
	ps->failed = true;
	snprintf(ps->err, ps->errlen, "hand-over %s: %s %s", ps->where, key,
	    what);
}

cJSON *
ho_get(struct ho_parse *ps, const cJSON *o, const char *k, int type)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (v == NULL) {
		ho_fail(ps, k, "is missing");
		return NULL;
	}
	if ((v->type & 0xff) != type && !(type == cJSON_True &&
	    cJSON_IsBool(v))) {
		ho_fail(ps, k, "has the wrong type");
		return NULL;
	}
	return v;
}

double
ho_get_num(struct ho_parse *ps, const cJSON *o, const char *k)
{
	cJSON *v = ho_get(ps, o, k, cJSON_Number);

	if (v != NULL && !isfinite(v->valuedouble)) {
		ho_fail(ps, k, "is not a finite number");
		return 0;
	}
	return v != NULL ? v->valuedouble : 0;
}

/* d is a whole number in [lo, hi] (a cast of it is defined) */
bool
ho_whole(double d, double lo, double hi)
{
	return isfinite(d) && d == floor(d) && d >= lo && d <= hi;
}

/* An array element as a count (0 when it is no number), failing the
 * parse when it is one out of range. */
uint64_t
ho_elem_u64(struct ho_parse *ps, const char *k, const cJSON *e)
{
	if (!cJSON_IsNumber(e))
		return 0;
	if (!ho_whole(e->valuedouble, 0, 9007199254740992.0)) {
		ho_fail(ps, k, "has a number out of range");
		return 0;
	}
	return (uint64_t)e->valuedouble;
}

/* A whole number in [lo, hi] (both within +-2^53, where a JSON number is
 * still exact); anything else fails the parse: converting an
 * out-of-range double is undefined in C. */
static int64_t
ho_get_whole(struct ho_parse *ps, const cJSON *o, const char *k, double lo,
    double hi)
{
	double d = ho_get_num(ps, o, k);

	if (ps->failed)
		return 0;
	if (!ho_whole(d, lo, hi)) {
		ho_fail(ps, k, "is out of range");
		return 0;
	}
	return (int64_t)d;
}

int
ho_get_int(struct ho_parse *ps, const cJSON *o, const char *k)
{
	return (int)ho_get_whole(ps, o, k, INT_MIN, INT_MAX);
}

int64_t
ho_get_i64(struct ho_parse *ps, const cJSON *o, const char *k)
{
	return ho_get_whole(ps, o, k, -9007199254740992.0, 9007199254740992.0);
}

uint64_t
ho_get_u64(struct ho_parse *ps, const cJSON *o, const char *k)
{
	return (uint64_t)ho_get_whole(ps, o, k, 0, 9007199254740992.0);
}

/* An int in [lo, hi] (an enum's values, a state that names an array's
 * entry). */
int
ho_get_enum(struct ho_parse *ps, const cJSON *o, const char *k, int lo,
    int hi)
{
	return (int)ho_get_whole(ps, o, k, lo, hi);
}

bool
ho_get_bool(struct ho_parse *ps, const cJSON *o, const char *k)
{
	cJSON *v = ho_get(ps, o, k, cJSON_True);

	return v != NULL && cJSON_IsTrue(v);
}

void
ho_get_str(struct ho_parse *ps, const cJSON *o, const char *k, char *buf,
    size_t len)
{
	cJSON *v = ho_get(ps, o, k, cJSON_String);

	snprintf(buf, len, "%s", v != NULL ? v->valuestring : "");
}
