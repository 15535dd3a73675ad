/*
 * Parsing and validation of the messages clients send to /ws (see
 * wsmsg.h): the JSON is read with cJSON (length-bounded, so a message
 * needs no terminating NUL), every field is checked for its type and
 * range, unknown fields are ignored, and a refusal says which field and
 * why. Pure.
 */
#include "prodd/wsmsg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/xmalloc.h"

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A string field of at most max bytes, without NUL. */
static int
str_field(const cJSON *o, const char *key, size_t max, bool required,
    char **out, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	size_t n;

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v)) {
		if (required)
			return fail(err, errlen, "missing field \"%s\"", key);
		return 0;
	}
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return fail(err, errlen, "\"%s\" must be a string", key);
	n = strlen(v->valuestring);
	if (n == 0 && required)
		return fail(err, errlen, "\"%s\" must not be empty", key);
	if (n > max)
		return fail(err, errlen, "\"%s\" is longer than %zu bytes", key,
		    max);
	*out = xstrdup(v->valuestring);
	return 0;
}

static int
parse_logs(const cJSON *o, struct wsmsg *m, char *err, size_t errlen)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "logs"), *it;
	int n;

	if (a == NULL)
		return fail(err, errlen, "missing field \"logs\"");
	if (!cJSON_IsArray(a))
		return fail(err, errlen,
		    "\"logs\" must be an array of service names");
	n = cJSON_GetArraySize(a);
	if (n > WSMSG_MAX_LOGS)
		return fail(err, errlen, "\"logs\" has more than %d names",
		    WSMSG_MAX_LOGS);
	m->logs = xcalloc((size_t)n + 1, sizeof *m->logs);
	cJSON_ArrayForEach(it, a) {
		size_t len;

		if (!cJSON_IsString(it) || it->valuestring == NULL)
			return fail(err, errlen,
			    "\"logs\" must be an array of service names");
		len = strlen(it->valuestring);
		if (len == 0 || len > WSMSG_NAME_MAX)
			return fail(err, errlen,
			    "\"logs\" has an empty or too long name");
		m->logs[m->nlogs++] = xstrdup(it->valuestring);
	}
	return 0;
}

static int
parse_tail(const cJSON *o, struct wsmsg *m, char *err, size_t errlen)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "tail");
	double d;

	if (t == NULL || cJSON_IsNull(t))
		return 0;
	if (!cJSON_IsNumber(t))
		return fail(err, errlen, "\"tail\" must be a number");
	d = t->valuedouble;
	if (!isfinite(d) || d < 0 || d != floor(d) || d > WSMSG_MAX_TAIL)
		return fail(err, errlen,
		    "\"tail\" must be an integer from 0 to %d", WSMSG_MAX_TAIL);
	m->tail = (uint32_t)d;
	return 0;
}

static int
parse_command(const cJSON *o, struct wsmsg *m, char *err, size_t errlen)
{
	char *action;

	if (str_field(o, "action", 16, true, &action, err, errlen) < 0) {
		if (cJSON_GetObjectItemCaseSensitive(o, "action") != NULL)
			return fail(err, errlen,
			    "\"action\" must be start, stop or restart");
		return -1;
	}
	if (strcmp(action, "start") == 0)
		m->action = WSMSG_START;
	else if (strcmp(action, "stop") == 0)
		m->action = WSMSG_STOP;
	else if (strcmp(action, "restart") == 0)
		m->action = WSMSG_RESTART;
	else {
		free(action);
		return fail(err, errlen,
		    "\"action\" must be start, stop or restart");
	}
	free(action);
	if (str_field(o, "service", WSMSG_NAME_MAX, true, &m->service, err,
	    errlen) < 0)
		return -1;
	return str_field(o, "token", WSMSG_TOKEN_MAX, false, &m->token, err,
	    errlen);
}

int
wsmsg_parse(const char *buf, size_t len, struct wsmsg *m, char *err,
    size_t errlen)
{
	cJSON *o;
	const cJSON *type, *id;
	const char *end = NULL;
	int rc = -1;

	memset(m, 0, sizeof *m);
	if (errlen > 0)
		err[0] = '\0';
	if (len > WSMSG_MAX_BYTES)
		return fail(err, errlen, "message larger than %d bytes",
		    WSMSG_MAX_BYTES);
	if (len == 0 || buf == NULL)
		return fail(err, errlen, "empty message");
	o = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (o == NULL)
		return fail(err, errlen, "malformed JSON");
	while (end < buf + len && (*end == ' ' || *end == '\t' ||
	    *end == '\n' || *end == '\r'))
		end++;
	if (end != buf + len) {
		cJSON_Delete(o);
		return fail(err, errlen, "malformed JSON: text after the object");
	}
	if (!cJSON_IsObject(o)) {
		fail(err, errlen, "a message must be a JSON object");
		goto out;
	}
	id = cJSON_GetObjectItemCaseSensitive(o, "id");
	if (id != NULL && (cJSON_IsNumber(id) || cJSON_IsString(id)))
		m->id = cJSON_Duplicate(id, true);
	else if (id != NULL && !cJSON_IsNull(id)) {
		fail(err, errlen, "\"id\" must be a number or a string");
		goto out;
	}
	type = cJSON_GetObjectItemCaseSensitive(o, "type");
	if (type == NULL) {
		fail(err, errlen, "missing field \"type\"");
		goto out;
	}
	if (!cJSON_IsString(type) || type->valuestring == NULL) {
		fail(err, errlen, "\"type\" must be a string");
		goto out;
	}
	if (strcmp(type->valuestring, "subscribe") == 0) {
		m->type = WSMSG_SUBSCRIBE;
		rc = parse_logs(o, m, err, errlen);
		if (rc == 0)
			rc = parse_tail(o, m, err, errlen);
	} else if (strcmp(type->valuestring, "unsubscribe") == 0) {
		m->type = WSMSG_UNSUBSCRIBE;
		rc = parse_logs(o, m, err, errlen);
	} else if (strcmp(type->valuestring, "command") == 0) {
		m->type = WSMSG_COMMAND;
		rc = parse_command(o, m, err, errlen);
	} else {
		fail(err, errlen, "unknown message type");
	}
out:
	cJSON_Delete(o);
	if (rc < 0) {
		cJSON *keep = m->id;

		m->id = NULL;
		wsmsg_free(m);
		m->id = keep;
	}
	return rc;
}

void
wsmsg_free(struct wsmsg *m)
{
	for (size_t i = 0; i < m->nlogs; i++)
		free(m->logs[i]);
	free(m->logs);
	free(m->service);
	if (m->token != NULL) {
		memset(m->token, 0, strlen(m->token));
		free(m->token);
	}
	cJSON_Delete(m->id);
	memset(m, 0, sizeof *m);
}

const char *
wsmsg_action_name(enum wsmsg_action a)
{
	switch (a) {
	case WSMSG_START:
		return "start";
	case WSMSG_STOP:
		return "stop";
	case WSMSG_RESTART:
		return "restart";
	}
	return "?";
}
