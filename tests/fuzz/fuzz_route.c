/*
 * libFuzzer target: what the TCP listener decides about a request before
 * any handler runs, all pure code of core/: the route table (route.c:
 * method and decoded path), the request guards (guard.c: Host, Origin,
 * Authorization and the per-address rate limit) and the dashboard's path
 * and header helpers (webpath.c: the file a path names, Accept-Encoding,
 * If-None-Match). The query string is split by libwebsockets, not by
 * prodd's code, so it is not here. The input is a method byte then
 * newline-separated fields: path, Host, Origin, Authorization,
 * Accept-Encoding, If-None-Match, the peer's address and a clock step.
 * Besides ASan and UBSan's own findings, it aborts when a decision breaks
 * what the headers promise: a found route has the method asked, a {name}
 * is one non-empty segment, paths outside the API are static GETs, a
 * normalized file path never leaves the directory, the bearer check
 * agrees with a plain comparison, and the rate limit never lets more than
 * its rate through in a window.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prodd/guard.h"
#include "prodd/route.h"
#include "prodd/webpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 8
#define TOKEN "s3cr3t-t0ken"
#define RATE 5

static void
require(int cond)
{
	if (!cond)
		abort();
}

static struct guard *
fuzz_guard(void)
{
	static struct guard *g;
	static char h1[] = "prodd.example", h2[] = "10.0.0.5",
	    o1[] = "https://dash.example", o2[] = "*";
	static char *hosts[] = { h1, h2 }, *origins[] = { o1, o2 };

	if (g == NULL) {
		struct cfg_strv h = { hosts, 2 }, o = { origins, 2 };

		g = guard_new();
		guard_set_token(g, strdup(TOKEN));
		guard_set_hosts(g, "0.0.0.0", &h);
		guard_set_origins(g, &o);
		guard_set_rate(g, RATE, 1000);
	}
	return g;
}

static void
check_route(enum route_method method, const char *path)
{
	struct route_match m;
	enum route_result r = route_match(method, path, &m);

	require(r == ROUTE_FOUND || r == ROUTE_NOT_FOUND ||
	    r == ROUTE_BAD_METHOD);
	require(route_method_name(method) != NULL);
	if (r == ROUTE_NOT_FOUND)
		return;
	require(memchr(m.name, '\0', sizeof m.name) != NULL);
	if (r == ROUTE_FOUND)
		require(m.want == method);
	else
		require(m.want != method);
	if (m.has_name)
		require(m.name[0] != '\0' && strchr(m.name, '/') == NULL &&
		    strstr(path, m.name) != NULL);
	if (m.id == ROUTE_STATIC)
		require(m.want == ROUTE_GET && !m.changes && !m.has_name);
	if (m.changes)
		require(m.want == ROUTE_POST);
}

static void
check_webpath(const char *path)
{
	char out[256];

	if (!webpath_normalize(path, out, sizeof out))
		return;
	require(path[0] == '/' || path[0] == '\0');
	require(out[0] != '/' && out[0] != '\0');
	require(strchr(out, '\\') == NULL);
	for (const char *p = out; *p; p++)
		require((unsigned char)*p >= 0x20 && *p != 0x7F);
	for (const char *seg = out; seg != NULL;) {
		size_t n = strcspn(seg, "/");

		require(n > 0);
		require(!(n == 1 && seg[0] == '.'));
		require(!(n == 2 && seg[0] == '.' && seg[1] == '.'));
		seg = seg[n] ? seg + n + 1 : NULL;
	}
	require(webpath_content_type(out) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int64_t now = 1000000;
	struct guard *g = fuzz_guard();
	char *f[NFIELDS] = { 0 }, *buf, *p, etag[WEBPATH_ETAG_MAX];
	enum route_method method;
	const char *name;
	size_t nlen;
	int retry = 0, allowed = 0;

	if (size < 1)
		return 0;
	method = data[0] % 3 == 0 ? ROUTE_GET : data[0] % 3 == 1 ?
	    ROUTE_POST : ROUTE_OTHER;
	buf = malloc(size);
	require(buf != NULL);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	p = buf;
	for (int i = 0; i < NFIELDS; i++) {
		f[i] = p;
		if (p != NULL && (p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}

	check_route(method, f[0]);
	check_webpath(f[0]);

	if (f[1] != NULL) {
		if (guard_host_name(f[1], &name, &nlen))
			require(name >= f[1] && name + nlen <= f[1] +
			    strlen(f[1]));
		(void)guard_host_ok(g, f[1]);
		if (f[2] != NULL)
			(void)guard_origin_ok(g, f[2], f[1]);
	}
	require(guard_host_ok(g, NULL) && guard_host_ok(g, ""));
	require(guard_origin_ok(g, NULL, f[1]) && guard_origin_ok(g, "", f[1]));
	if (f[3] != NULL) {
		enum guard_auth a = guard_bearer(g, f[3]);

		require(guard_token_equal(TOKEN, f[3]) ==
		    (strcmp(TOKEN, f[3]) == 0));
		require((a == GUARD_AUTH_OK) ==
		    (strncasecmp(f[3], "Bearer ", 7) == 0 &&
		    strcmp(f[3] + 7, TOKEN) == 0));
	}
	require(guard_bearer(g, NULL) == GUARD_AUTH_MISSING);
	if (f[4] != NULL)
		(void)webpath_accepts_gzip(f[4]);
	webpath_etag(data, size, etag);
	require(memchr(etag, '\0', sizeof etag) != NULL);
	require(webpath_etag_match(etag, etag) && webpath_etag_match("*", etag));
	if (f[5] != NULL)
		(void)webpath_etag_match(f[5], etag);

	/* a burst from one address within a millisecond: at most RATE pass
	 * (the bucket may hold fewer after earlier inputs) */
	if (f[6] != NULL) {
		/* the server hands over a numeric address: at most
		 * INET6_ADDRSTRLEN - 1 bytes */
		if (strlen(f[6]) > 45)
			f[6][45] = '\0';
		now += f[7] != NULL ? (int64_t)strlen(f[7]) * 97 : 1;
		for (int i = 0; i < RATE + 2; i++) {
			if (guard_rate_take(g, f[6], now, &retry))
				allowed++;
			else
				require(retry >= 1);
		}
		require(allowed <= RATE);
	}
	free(buf);
	return 0;
}
