/*
 * The pure helpers of static file serving (see webpath.h): a request path
 * checked segment by segment into a relative file name, the content type
 * table, the Accept-Encoding and If-None-Match parsers (lists of tokens
 * with parameters, as RFC 9110 writes them) and the ETag hash.
 */
#include "prodd/webpath.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool
webpath_normalize(const char *path, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p = path;
	bool dir = true;	/* the last segment named a directory */

	if (outlen == 0)
		return false;
	out[0] = '\0';
	if (path[0] == '\0')
		path = p = "/";
	if (path[0] != '/')
		return false;
	while (*p != '\0') {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;		/* the path ends with '/' */
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)p[i];

			if (c < 0x20 || c == 0x7f || c == '\\')
				return false;
		}
		if (o + (o > 0) + n + 1 > outlen)
			return false;
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, p, n);
		o += n;
		out[o] = '\0';
		p += n;
		dir = *p == '/';
	}
	if (dir) {
		size_t n = strlen(WEBPATH_INDEX);

		if (o + (o > 0) + n + 1 > outlen)
			return false;
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, WEBPATH_INDEX, n + 1);
	}
	return true;
}

static const struct {
	const char *ext;
	const char *type;
} webpath_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "ico", "image/x-icon" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "webmanifest", "application/manifest+json" },
	{ "woff2", "font/woff2" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "gz", "application/gzip" },
};

const char *
webpath_content_type(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *dot = strrchr(slash != NULL ? slash + 1 : name, '.');

	if (dot != NULL)
		for (size_t i = 0;
		    i < sizeof webpath_types / sizeof *webpath_types; i++)
			if (strcasecmp(dot + 1, webpath_types[i].ext) == 0)
				return webpath_types[i].type;
	return "application/octet-stream";
}

/* The next element of a comma-separated list: its token (up to ';',
 * spaces trimmed) and its q (1 without one; 0 for a malformed one).
 * Returns the rest of the list, NULL at its end. */
static const char *
webpath_list_next(const char *s, char *tok, size_t toklen, double *q)
{
	size_t n;
	const char *end, *params;

	s += strspn(s, " \t,");
	if (*s == '\0')
		return NULL;
	end = s + strcspn(s, ",");
	n = strcspn(s, ";,");
	params = s + n;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	snprintf(tok, toklen, "%.*s", (int)(n < toklen ? n : toklen - 1), s);
	*q = 1;
	while (params < end && *params == ';') {
		const char *a = params + 1;

		a += strspn(a, " \t");
		if ((a[0] == 'q' || a[0] == 'Q') && a[1] == '=') {
			char *e;

			*q = strtod(a + 2, &e);
			if (e == a + 2 || *q < 0 || *q > 1)
				*q = 0;
		}
		params = a + strcspn(a, ";,");
	}
	return end;
}

bool
webpath_accepts_gzip(const char *accept_encoding)
{
	const char *s = accept_encoding;
	char tok[32];
	double q;
	int gzip = -1, star = -1;	/* -1: not named; else q > 0 */

	if (s == NULL)
		return false;
	while ((s = webpath_list_next(s, tok, sizeof tok, &q)) != NULL) {
		if (strcasecmp(tok, "gzip") == 0 ||
		    strcasecmp(tok, "x-gzip") == 0)
			gzip = gzip == 1 ? 1 : q > 0;
		else if (strcmp(tok, "*") == 0)
			star = q > 0;
	}
	return gzip >= 0 ? gzip == 1 : star == 1;
}

void
webpath_etag(const void *data, size_t len, char *out)
{
	const unsigned char *b = data;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	snprintf(out, WEBPATH_ETAG_MAX, "\"%016" PRIx64 "-%zx\"", h, len);
}

bool
webpath_etag_match(const char *if_none_match, const char *etag)
{
	const char *s = if_none_match;
	const char *want = etag;
	size_t wlen = strlen(etag);

	if (s == NULL)
		return false;
	if (strncmp(want, "W/", 2) == 0) {
		want += 2;
		wlen -= 2;
	}
	for (;;) {
		const char *t;
		size_t n;

		s += strspn(s, " \t,");
		if (*s == '\0')
			return false;
		if (*s == '*')
			return true;
		t = s;
		if (strncmp(t, "W/", 2) == 0)
			t += 2;
		if (*t != '"')
			return false;	/* malformed: no match */
		/* an entity tag is a quoted string without escapes */
		n = (size_t)(strchr(t + 1, '"') != NULL ?
		    strchr(t + 1, '"') - t + 1 : 0);
		if (n == 0)
			return false;
		if (n == wlen && memcmp(t, want, n) == 0)
			return true;
		s = t + n;
	}
}
