/*
 * prodd-demo's request-head parser (src/demo/demo-head.c): where a head
 * ends, what a good one says (method, path and query, keep-alive by
 * version and Connection, body length, 100-continue, absolute-form
 * targets) and the status each bad one gets, the request-smuggling shapes
 * (whitespace before a colon, folded lines, two Content-Lengths,
 * Transfer-Encoding) among them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/demo/demo-head.h"

/* Parses the NUL-terminated head s, which must be complete. */
static int
parse(const char *s, struct demo_head *h)
{
	size_t n = strlen(s);

	assert_int_equal(demo_head_end(s, n), n);
	return demo_head_parse(s, n, h);
}

static void
test_head_end(void **state)
{
	static const char crlf[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET";
	static const char lf[] = "GET / HTTP/1.1\nHost: x\n\nrest";

	(void)state;
	assert_int_equal(demo_head_end(crlf, sizeof crlf - 1), sizeof crlf - 4);
	assert_int_equal(demo_head_end(lf, sizeof lf - 1), sizeof lf - 5);
	assert_int_equal(demo_head_end(crlf, 20), 0);	/* not there yet */
	assert_int_equal(demo_head_end("GET / HTTP/1.1\r\n\r", 17), 0);
	assert_int_equal(demo_head_blank("\r\n\nGET", 6), 3);
	assert_int_equal(demo_head_blank("GET", 3), 0);
}

static void
test_parse_ok(void **state)
{
	struct demo_head h;

	(void)state;
	assert_int_equal(parse("GET /api/search?q=a+b&k=2 HTTP/1.1\r\n"
	    "Host: x\r\n\r\n", &h), 0);
	assert_int_equal(h.method, DEMO_M_GET);
	assert_string_equal(h.path, "/api/search");
	assert_string_equal(h.query, "q=a+b&k=2");
	assert_true(h.keep_alive);
	assert_int_equal(h.body_len, 0);
	assert_false(h.expect_continue);
	demo_head_free(&h);
	assert_null(h.target);

	assert_int_equal(parse("POST /api/events#frag HTTP/1.1\n"
	    "Content-Length: 12\nExpect: 100-continue\n"
	    "Connection: foo, Close\n\n", &h), 0);
	assert_int_equal(h.method, DEMO_M_POST);
	assert_string_equal(h.path, "/api/events");
	assert_string_equal(h.query, "");
	assert_false(h.keep_alive);
	assert_int_equal(h.body_len, 12);
	assert_true(h.expect_continue);
	demo_head_free(&h);

	assert_int_equal(parse("HEAD / HTTP/1.0\r\n\r\n", &h), 0);
	assert_int_equal(h.method, DEMO_M_HEAD);
	assert_false(h.keep_alive);	/* 1.0 closes by default */
	demo_head_free(&h);
	assert_int_equal(parse("DELETE / HTTP/1.0\r\n"
	    "Connection: keep-alive\r\n\r\n", &h), 0);
	assert_int_equal(h.method, DEMO_M_OTHER);
	assert_true(h.keep_alive);
	demo_head_free(&h);
}

static void
test_absolute_form(void **state)
{
	struct demo_head h;

	(void)state;
	assert_int_equal(parse("GET http://example.com:8000/api/health?x=1 "
	    "HTTP/1.1\r\n\r\n", &h), 0);
	assert_string_equal(h.path, "/api/health");
	assert_string_equal(h.query, "x=1");
	demo_head_free(&h);
	assert_int_equal(parse("GET https://example.com?q HTTP/1.1\r\n\r\n",
	    &h), 0);
	assert_string_equal(h.path, "/");
	assert_string_equal(h.query, "q");
	demo_head_free(&h);
	assert_int_equal(parse("GET http:///x HTTP/1.1\r\n\r\n", &h), 400);
	assert_null(h.target);
}

static void
test_parse_errors(void **state)
{
	static const struct {
		const char *head;
		int status;
	} bad[] = {
		{ "GARBAGE\r\n\r\n", 400 },
		{ "GET  / HTTP/1.1\r\n\r\n", 400 },
		{ "GET noslash HTTP/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1 \r\n\r\n", 400 },
		{ "GET / HTTP/2.0\r\n\r\n", 505 },
		{ "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: 5\r\n"
		  "Content-Length: 6\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n", 413 },
		{ "POST / HTTP/1.1\r\nContent-Length: "
		  "99999999999999999999999\r\n\r\n", 413 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		  411 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400 },
	};
	struct demo_head h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = parse(bad[i].head, &h);

		if (rc != bad[i].status)
			fail_msg("%s: %d, want %d", bad[i].head, rc, bad[i].status);
		assert_null(h.target);	/* nothing left to free */
	}
	/* Two equal Content-Lengths are one. */
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
	    "content-length: 5\r\n\r\n", &h), 0);
	assert_int_equal(h.body_len, 5);
	demo_head_free(&h);
	assert_string_equal(demo_head_error(411),
	    "chunked request bodies are not supported");
	assert_string_equal(demo_head_error(400), "bad request");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_end),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_absolute_form),
		cmocka_unit_test(test_parse_errors),
	};

	return cmocka_run_group_tests_name("demo_head", tests, NULL, NULL);
}
