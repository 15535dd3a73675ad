/*
 * Unit tests of the static files' pure helpers (core/webpath): request
 * paths made into file names and the traversal attempts refused, content
 * types, Accept-Encoding with q-values, ETags (strong, different for
 * different bytes) and If-None-Match lists, weak tags and "*".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "prodd/webpath.h"

static void
test_normalize_ok(void **state)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "/", "index.html" },
		{ "", "index.html" },
		{ "/index.html", "index.html" },
		{ "/app.js", "app.js" },
		{ "/assets/chart.mjs", "assets/chart.mjs" },
		{ "/assets/", "assets/index.html" },
		{ "//assets//chart.mjs", "assets/chart.mjs" },
		{ "/a.b/c..d/...", "a.b/c..d/..." },
		{ "/.well-known/x", ".well-known/x" },
		{ "/%2e%2e", "%2e%2e" },	/* decoded once, by lws */
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		assert_true(webpath_normalize(ok[i].in, out, sizeof out));
		assert_string_equal(out, ok[i].out);
	}
}

static void
test_normalize_refused(void **state)
{
	static const char *const bad[] = {
		"/..", "/../etc/passwd", "/a/../../etc/passwd", "/a/..",
		"/./index.html", "/.", "/a/./b", "..", "index.html",
		"/a\\..\\b", "/a\\b", "/x\ty", "/x\ny", "/x\x7fy", "/x\x01",
		"/assets/../../../etc/shadow",
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		strcpy(out, "unchanged?");
		assert_false(webpath_normalize(bad[i], out, sizeof out));
	}
}

static void
test_normalize_fits(void **state)
{
	char out[12];

	(void)state;
	assert_true(webpath_normalize("/0123456789a", out, sizeof out));
	assert_string_equal(out, "0123456789a");
	assert_false(webpath_normalize("/0123456789ab", out, sizeof out));
	assert_false(webpath_normalize("/01234/56789", out, sizeof out - 1));
	/* "/x/" needs room for "x/index.html" */
	assert_false(webpath_normalize("/x/", out, sizeof out));
	assert_true(webpath_normalize("/", out, sizeof out));
	assert_false(webpath_normalize("/", out, 10));
	assert_false(webpath_normalize("/", out, 0));
}

static void
test_content_types(void **state)
{
	(void)state;
	assert_string_equal(webpath_content_type("index.html"),
	    "text/html; charset=utf-8");
	assert_string_equal(webpath_content_type("a/app.js"),
	    "text/javascript; charset=utf-8");
	assert_string_equal(webpath_content_type("chart.mjs"),
	    "text/javascript; charset=utf-8");
	assert_string_equal(webpath_content_type("style.CSS"),
	    "text/css; charset=utf-8");
	assert_string_equal(webpath_content_type("favicon.svg"),
	    "image/svg+xml");
	assert_string_equal(webpath_content_type("shot.png"), "image/png");
	assert_string_equal(webpath_content_type("favicon.ico"),
	    "image/x-icon");
	assert_string_equal(webpath_content_type("data.json"),
	    "application/json");
	assert_string_equal(webpath_content_type("app.js.map"),
	    "application/json");
	assert_string_equal(webpath_content_type("f.woff2"), "font/woff2");
	assert_string_equal(webpath_content_type("app.js.gz"),
	    "application/gzip");
	/* unknown, none, or a dot in a directory's name only */
	assert_string_equal(webpath_content_type("x.exe"),
	    "application/octet-stream");
	assert_string_equal(webpath_content_type("README"),
	    "application/octet-stream");
	assert_string_equal(webpath_content_type("v1.2/README"),
	    "application/octet-stream");
}

static void
test_accepts_gzip(void **state)
{
	static const char *const yes[] = {
		"gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8, *;q=0.1",
		"GZIP", " deflate , gzip ", "x-gzip", "*", "gzip;q=0.001",
		"identity, *;q=0.5", "gzip;q=0, gzip",
	};
	static const char *const no[] = {
		"", "identity", "deflate, br", "gzip;q=0", "gzip; q=0.0",
		"*;q=0", "gzip;q=0, *", "gzipx", "gzi", "br, *;q=0",
		"gzip;q=abc",
	};

	(void)state;
	assert_false(webpath_accepts_gzip(NULL));
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		if (!webpath_accepts_gzip(yes[i]))
			fail_msg("'%s' should allow gzip", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		if (webpath_accepts_gzip(no[i]))
			fail_msg("'%s' should not allow gzip", no[i]);
}

static void
test_etag(void **state)
{
	char a[WEBPATH_ETAG_MAX], b[WEBPATH_ETAG_MAX], c[WEBPATH_ETAG_MAX];

	(void)state;
	webpath_etag("hello", 5, a);
	webpath_etag("hello", 5, b);
	webpath_etag("hellp", 5, c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	/* strong: quoted, no W/ */
	assert_int_equal(a[0], '"');
	assert_int_equal(a[strlen(a) - 1], '"');
	webpath_etag("", 0, c);
	assert_string_not_equal(a, c);
	assert_true(strlen(c) < WEBPATH_ETAG_MAX);
}

static void
test_etag_match(void **state)
{
	const char *tag = "\"0123abcd-5\"";

	(void)state;
	assert_false(webpath_etag_match(NULL, tag));
	assert_false(webpath_etag_match("", tag));
	assert_true(webpath_etag_match("\"0123abcd-5\"", tag));
	assert_true(webpath_etag_match("W/\"0123abcd-5\"", tag));
	assert_true(webpath_etag_match("\"x\", \"0123abcd-5\"", tag));
	assert_true(webpath_etag_match("\"x\",W/\"0123abcd-5\" ", tag));
	assert_true(webpath_etag_match("*", tag));
	assert_false(webpath_etag_match("\"0123abcd-6\"", tag));
	assert_false(webpath_etag_match("\"0123abcd-5", tag));
	assert_false(webpath_etag_match("0123abcd-5", tag));
	assert_false(webpath_etag_match("\"0123abcd\"", tag));
	assert_false(webpath_etag_match("\"0123abcd-5\"x", "\"0123abcd-5x\""));
	assert_false(webpath_etag_match("\"\"", tag));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_ok),
		cmocka_unit_test(test_normalize_refused),
		cmocka_unit_test(test_normalize_fits),
		cmocka_unit_test(test_content_types),
		cmocka_unit_test(test_accepts_gzip),
		cmocka_unit_test(test_etag),
		cmocka_unit_test(test_etag_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
