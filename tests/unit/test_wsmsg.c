/*
 * Unit tests of the /ws messages: the client's messages parsed and
 * validated (subscribe with tail, unsubscribe, command with its action,
 * token and id; every refusal: malformed JSON, trailing text, not an
 * object, unknown or missing type, wrong or missing fields, too many
 * names, a tail out of range, an oversized message) and the server's
 * messages rendered (snapshot with last_seq, instance and reason,
 * metrics, event with seq, log with n, result, error, alert).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/view.h"
#include "prodd/wsmsg.h"

static int
parse(const char *s, struct wsmsg *m, char *err, size_t errlen)
{
	return wsmsg_parse(s, strlen(s), m, err, errlen);
}

static void
refused(const char *s, const char *want)
{
	struct wsmsg m;
	char err[160];

	if (parse(s, &m, err, sizeof err) == 0)
		fail_msg("accepted: %s", s);
	if (strstr(err, want) == NULL)
		fail_msg("%s: error \"%s\" lacks \"%s\"", s, err, want);
	wsmsg_free(&m);
}

static void
test_subscribe(void **state)
{
	struct wsmsg m;
	char err[160];

	(void)state;
	assert_int_equal(parse("{\"type\":\"subscribe\",\"logs\":[\"a\",\"b\"],"
	    "\"tail\":20, \"extra\": 1}\n", &m, err, sizeof err), 0);
	assert_int_equal(m.type, WSMSG_SUBSCRIBE);
	assert_int_equal(m.nlogs, 2);
	assert_string_equal(m.logs[0], "a");
	assert_string_equal(m.logs[1], "b");
	assert_int_equal(m.tail, 20);
	assert_null(m.id);
	wsmsg_free(&m);

	assert_int_equal(parse("{\"type\":\"subscribe\",\"logs\":[]}", &m,
	    err, sizeof err), 0);
	assert_int_equal(m.nlogs, 0);
	assert_int_equal(m.tail, 0);
	wsmsg_free(&m);

	assert_int_equal(parse("{\"type\":\"unsubscribe\",\"logs\":[\"a\"],"
	    "\"id\":\"x\"}", &m, err, sizeof err), 0);
	assert_int_equal(m.type, WSMSG_UNSUBSCRIBE);
	assert_int_equal(m.nlogs, 1);
	assert_string_equal(m.id->valuestring, "x");
	wsmsg_free(&m);

	/* the bounds themselves */
	assert_int_equal(parse("{\"type\":\"subscribe\",\"logs\":[\"a\"],"
	    "\"tail\":10000}", &m, err, sizeof err), 0);
	assert_int_equal(m.tail, WSMSG_MAX_TAIL);
	wsmsg_free(&m);
}

static void
test_command(void **state)
{
	static const struct {
		const char *action;
		enum wsmsg_action a;
	} acts[] = { { "start", WSMSG_START }, { "stop", WSMSG_STOP },
		{ "restart", WSMSG_RESTART } };
	struct wsmsg m;
	char err[160], buf[256];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		snprintf(buf, sizeof buf, "{\"type\":\"command\",\"action\":"
		    "\"%s\",\"service\":\"web\",\"token\":\"s3\",\"id\":7}",
		    acts[i].action);
		assert_int_equal(parse(buf, &m, err, sizeof err), 0);
		assert_int_equal(m.type, WSMSG_COMMAND);
		assert_int_equal(m.action, acts[i].a);
		assert_string_equal(wsmsg_action_name(m.action),
		    acts[i].action);
		assert_string_equal(m.service, "web");
		assert_string_equal(m.token, "s3");
		assert_true(cJSON_IsNumber(m.id) && m.id->valueint == 7);
		wsmsg_free(&m);
	}
	/* no token: for the control socket, or refused later over TCP */
	assert_int_equal(parse("{\"type\":\"command\",\"action\":\"stop\","
	    "\"service\":\"web\"}", &m, err, sizeof err), 0);
	assert_null(m.token);
	assert_null(m.id);
	wsmsg_free(&m);
}

static void
test_refusals(void **state)
{
	(void)state;
	refused("{", "malformed JSON");
	refused("", "empty");
	refused("{\"type\":\"subscribe\",\"logs\":[]} x", "malformed JSON");
	refused("[1,2]", "JSON object");
	refused("\"subscribe\"", "JSON object");
	refused("{}", "missing field \"type\"");
	refused("{\"type\":3}", "\"type\" must be a string");
	refused("{\"type\":\"shutdown\"}", "unknown message type");
	refused("{\"type\":\"subscribe\"}", "missing field \"logs\"");
	refused("{\"type\":\"subscribe\",\"logs\":\"a\"}", "\"logs\" must be");
	refused("{\"type\":\"subscribe\",\"logs\":[1]}", "\"logs\" must be");
	refused("{\"type\":\"subscribe\",\"logs\":[\"\"]}", "empty or too long");
	refused("{\"type\":\"unsubscribe\",\"logs\":{}}", "\"logs\" must be");
	refused("{\"type\":\"subscribe\",\"logs\":[],\"tail\":\"5\"}",
	    "\"tail\" must be a number");
	refused("{\"type\":\"subscribe\",\"logs\":[],\"tail\":-1}",
	    "from 0 to 10000");
	refused("{\"type\":\"subscribe\",\"logs\":[],\"tail\":1.5}",
	    "from 0 to 10000");
	refused("{\"type\":\"subscribe\",\"logs\":[],\"tail\":10001}",
	    "from 0 to 10000");
	refused("{\"type\":\"subscribe\",\"logs\":[],\"tail\":1e300}",
	    "from 0 to 10000");
	refused("{\"type\":\"command\",\"service\":\"a\"}",
	    "missing field \"action\"");
	refused("{\"type\":\"command\",\"action\":\"kill\",\"service\":\"a\"}",
	    "start, stop or restart");
	refused("{\"type\":\"command\",\"action\":5,\"service\":\"a\"}",
	    "start, stop or restart");
	refused("{\"type\":\"command\",\"action\":\"stop\"}",
	    "missing field \"service\"");
	refused("{\"type\":\"command\",\"action\":\"stop\",\"service\":\"\"}",
	    "must not be empty");
	refused("{\"type\":\"command\",\"action\":\"stop\",\"service\":[]}",
	    "\"service\" must be a string");
	refused("{\"type\":\"command\",\"action\":\"stop\",\"service\":\"a\","
	    "\"token\":1}", "\"token\" must be a string");
	refused("{\"type\":\"command\",\"action\":\"stop\",\"service\":\"a\","
	    "\"id\":{}}", "\"id\" must be a number or a string");
}

static void
test_refusal_keeps_id(void **state)
{
	struct wsmsg m;
	char err[160];

	(void)state;
	assert_int_equal(parse("{\"type\":\"command\",\"id\":\"q1\","
	    "\"action\":\"nope\",\"service\":\"a\"}", &m, err, sizeof err), -1);
	assert_non_null(m.id);
	assert_string_equal(m.id->valuestring, "q1");
	assert_null(m.service);
	wsmsg_free(&m);
	assert_null(m.id);
}

static void
test_sizes(void **state)
{
	struct wsmsg m;
	char err[160], *big, *names;
	size_t n = WSMSG_MAX_BYTES + 1, off = 0;

	(void)state;
	/* over the limit: refused before any parsing */
	big = malloc(n);
	memset(big, ' ', n);
	assert_int_equal(wsmsg_parse(big, n, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "larger than 65536"));
	wsmsg_free(&m);
	/* not NUL-terminated: only len bytes are read */
	memcpy(big, "{\"type\":\"subscribe\",\"logs\":[]}XXXX", 35);
	assert_int_equal(wsmsg_parse(big, 30, &m, err, sizeof err), 0);
	wsmsg_free(&m);
	/* a name too long; too many names */
	memset(big, 'a', n);
	off = (size_t)snprintf(big, n, "{\"type\":\"subscribe\",\"logs\":[\"");
	off += WSMSG_NAME_MAX + 1;
	memcpy(big + off, "\"]}", 3);
	assert_int_equal(wsmsg_parse(big, off + 3, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "too long"));
	wsmsg_free(&m);
	names = malloc(8 * (WSMSG_MAX_LOGS + 2) + 64);
	off = (size_t)sprintf(names, "{\"type\":\"subscribe\",\"logs\":[");
	for (int i = 0; i <= WSMSG_MAX_LOGS; i++)
		off += (size_t)sprintf(names + off, "%s\"s%d\"", i ? "," : "",
		    i);
	strcpy(names + off, "]}");
	assert_int_equal(parse(names, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "more than 1024"));
	wsmsg_free(&m);
	/* deep nesting is malformed, not a crash */
	memset(big, '[', n);
	assert_int_equal(wsmsg_parse(big, WSMSG_MAX_BYTES, &m, err, sizeof err),
	    -1);
	wsmsg_free(&m);
	/* a tiny error buffer is not overrun */
	assert_int_equal(parse("{", &m, err, 4), -1);
	assert_int_equal(strlen(err), 3);
	wsmsg_free(&m);
	free(names);
	free(big);
}

static char *
render(cJSON *o)
{
	char *t = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	return t;
}

static const struct view_service *
at_svc(void *arg, size_t i)
{
	return (const struct view_service *)arg + i;
}

static void
test_server_messages(void **state)
{
	struct view_service sv[2];
	struct view_list l = { 2, at_svc, sv };
	struct event e;
	cJSON *id = cJSON_CreateNumber(7), *o;
	char *t;

	(void)state;
	t = render(view_ws_snapshot_json(cJSON_CreateObject(), 42, "abc",
	    NULL));
	assert_string_equal(t, "{\"type\":\"snapshot\",\"last_seq\":42,"
	    "\"instance\":\"abc\",\"data\":{}}");
	free(t);
	t = render(view_ws_snapshot_json(cJSON_CreateObject(), 0, "abc",
	    "gap"));
	assert_non_null(strstr(t, "\"reason\":\"gap\""));
	free(t);

	memset(sv, 0, sizeof sv);
	sv[0].name = "web";
	sv[0].has_metrics = true;
	sv[0].cpu_percent = 12.345;
	sv[0].rss_bytes = 1000;
	sv[0].fds = -1;
	sv[1].name = "db";
	t = render(view_ws_metrics_json(1795338001123LL, NULL, 1000, &l, false));
	assert_string_equal(t, "{\"type\":\"metrics\",\"ts\":"
	    "\"2026-11-22T09:00:01.123Z\",\"system\":null,\"services\":{"
	    "\"web\":{\"cpu_percent\":12.35,\"rss_bytes\":1000,\"processes\":0,"
	    "\"threads\":0,\"fds\":null,\"read_bps\":0,\"write_bps\":0},"
	    "\"db\":null}}");
	free(t);
	/* the compact form: the same figures as arrays, in "fields" order */
	t = render(view_ws_metrics_json(1795338001123LL, NULL, 1000, &l,
	    true));
	assert_string_equal(t, "{\"type\":\"metrics\",\"ts\":"
	    "\"2026-11-22T09:00:01.123Z\",\"system\":null,\"fields\":["
	    "\"cpu_percent\",\"rss_bytes\",\"processes\",\"threads\","
	    "\"fds\",\"read_bps\",\"write_bps\"],\"services\":{"
	    "\"web\":[12.35,1000,0,0,null,0,0],\"db\":null}}");
	free(t);

	memset(&e, 0, sizeof e);
	e.seq = 9;
	e.kind = EVENT_STATE;
	e.from = e.to = -1;
	e.exit_code = -1;
	e.delay_ms = -1;
	strcpy(e.service, "web");
	o = view_ws_event_json(&e);
	assert_string_equal(cJSON_GetObjectItem(o, "type")->valuestring,
	    "event");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "event"),
	    "seq")->valueint, 9);
	cJSON_Delete(o);

	t = render(view_ws_log_json("web", 5, 1795338001123LL,
	    LOG_STREAM_STDERR, "hi\0x", 4));
	assert_string_equal(t, "{\"type\":\"log\",\"service\":\"web\",\"n\":5,"
	    "\"stream\":\"stderr\",\"ts\":\"2026-11-22T09:00:01.123Z\","
	    "\"line\":\"hi\\u0000x\"}");
	free(t);

	t = render(view_ws_result_json(id, false, 403, "forbidden",
	    "a token is needed", NULL));
	assert_string_equal(t, "{\"type\":\"result\",\"id\":7,\"ok\":false,"
	    "\"status\":403,\"code\":\"forbidden\",\"message\":"
	    "\"a token is needed\"}");
	free(t);
	t = render(view_ws_result_json(NULL, true, 200, NULL, NULL,
	    cJSON_CreateObject()));
	assert_string_equal(t, "{\"type\":\"result\",\"ok\":true,"
	    "\"status\":200,\"service\":{}}");
	free(t);
	t = render(view_ws_error_json("malformed JSON", "bad_request", id));
	assert_string_equal(t, "{\"type\":\"error\",\"id\":7,\"error\":"
	    "\"malformed JSON\",\"code\":\"bad_request\"}");
	free(t);
	t = render(view_ws_alert_json(cJSON_CreateObject()));
	assert_string_equal(t, "{\"type\":\"alert\",\"alert\":{}}");
	free(t);
	cJSON_Delete(id);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subscribe),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_refusal_keeps_id),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_server_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
