/*
 * The request-head parser of prodd-demo (see demo-head.h): pure functions
 * over a buffer, no libuv and no I/O, so every rule can be unit-tested. It
 * is strict where proxies disagree (whitespace before a colon, obsolete
 * line folding, a second differing Content-Length, any Transfer-Encoding),
 * because that is where request smuggling starts, and lenient where
 * RFC 9112 asks (bare LF line ends, blank lines before a request).
 */
#include "demo-head.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prodd/xmalloc.h"

size_t
demo_head_blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && (p[i] == '\r' || p[i] == '\n'); i++)
		;
	return i;
}

size_t
demo_head_end(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int
demo_head_tchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Case-insensitive search for a token in a comma-separated header value. */
static int
demo_head_has_token(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok), i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
			return 1;
	}
	return 0;
}

/* What the header fields say, before it is checked as a whole. */
struct demo_head_fields {
	int minor;
	int conn_close;
	int conn_keep_alive;
	int expect_continue;
	int has_cl;
	uint64_t cl;
	int cl_huge;
	int has_te;
	int te_chunked;
};

/*
 * Parses one header field line. Returns 0, or an HTTP status for errors.
 * Whitespace before the colon and obsolete line folding are rejected because
 * proxies disagree about them and that is how request smuggling starts.
 */
static int
demo_head_field(struct demo_head_fields *h, const char *line, size_t n)
{
	size_t i = 0, vs, ve;
	const char *name = line;
	size_t nl;

	if (n > 0 && (line[0] == ' ' || line[0] == '\t'))
		return 400;
	while (i < n && demo_head_tchar((unsigned char)line[i]))
		i++;
	if (i == 0 || i >= n || line[i] != ':')
		return 400;
	nl = i;
	i++;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	vs = i;
	ve = n;
	while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t'))
		ve--;
	for (i = vs; i < ve; i++) {
		unsigned char ch = (unsigned char)line[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return 400;
	}
	if (nl == 14 && strncasecmp(name, "content-length", nl) == 0) {
		uint64_t v = 0;
		int huge = 0;

		if (ve == vs)
			return 400;
		for (i = vs; i < ve; i++) {
			if (line[i] < '0' || line[i] > '9')
				return 400;
			if (v > (UINT64_MAX - 9) / 10)
				huge = 1;
			else
				v = v * 10 + (uint64_t)(line[i] - '0');
		}
		if (h->has_cl && (h->cl != v || h->cl_huge != huge))
			return 400;
		h->has_cl = 1;
		h->cl = v;
		h->cl_huge = huge;
	} else if (nl == 17 &&
	    strncasecmp(name, "transfer-encoding", nl) == 0) {
		h->has_te = 1;
		if (demo_head_has_token(line + vs, ve - vs, "chunked"))
			h->te_chunked = 1;
	} else if (nl == 10 && strncasecmp(name, "connection", nl) == 0) {
		if (demo_head_has_token(line + vs, ve - vs, "close"))
			h->conn_close = 1;
		if (demo_head_has_token(line + vs, ve - vs, "keep-alive"))
			h->conn_keep_alive = 1;
	} else if (nl == 6 && strncasecmp(name, "expect", nl) == 0) {
		if (ve - vs == 12 &&
		    strncasecmp(line + vs, "100-continue", 12) == 0)
			h->expect_continue = 1;
	}
	return 0;
}

/* Copies the request target into h->target and splits off the query. */
static int
demo_head_target(struct demo_head *h, const char *t, size_t n)
{
	size_t i, plen;
	char *q;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)t[i];

		if (ch <= 0x20 || ch == 0x7f)
			return 400;
	}
	if (n >= 7 && (strncasecmp(t, "http://", 7) == 0 ||
		       (n >= 8 && strncasecmp(t, "https://", 8) == 0))) {
		/* absolute-form: drop scheme and authority */
		size_t skip = t[4] == ':' ? 7 : 8;

		t += skip;
		n -= skip;
		for (i = 0; i < n && t[i] != '/' && t[i] != '?'; i++)
			;
		if (i == 0)
			return 400;
		t += i;
		n -= i;
		if (n == 0) {
			t = "/";
			n = 1;
		}
	}
	if (n == 0 || (t[0] != '/' && t[0] != '?'))
		return 400;
	for (plen = 0; plen < n && t[plen] != '#'; plen++)
		;
	free(h->target);
	h->target = xmalloc(plen + 2);
	if (t[0] == '?') {
		/* "http://host?x" has an empty path, which means "/" */
		h->target[0] = '/';
		memcpy(h->target + 1, t, plen);
		h->target[plen + 1] = '\0';
	} else {
		memcpy(h->target, t, plen);
		h->target[plen] = '\0';
	}
	h->path = h->target;
	q = strchr(h->target, '?');
	if (q) {
		*q = '\0';
		h->query = q + 1;
	} else {
		h->query = "";
	}
	return 0;
}

static int
demo_head_request_line(struct demo_head *h, struct demo_head_fields *f,
    const char *line, size_t n)
{
	const char *sp1, *sp2, *ver;
	size_t mlen, vlen, i;

	sp1 = memchr(line, ' ', n);
	if (sp1 == NULL)
		return 400;
	mlen = (size_t)(sp1 - line);
	if (mlen == 0 || mlen > 32)
		return 400;
	for (i = 0; i < mlen; i++)
		if (!demo_head_tchar((unsigned char)line[i]))
			return 400;
	sp2 = memchr(sp1 + 1, ' ', n - mlen - 1);
	if (sp2 == NULL || sp2 == sp1 + 1)
		return 400;
	ver = sp2 + 1;
	vlen = n - (size_t)(ver - line);
	if (vlen != 8 || memcmp(ver, "HTTP/", 5) != 0 ||
	    ver[5] < '0' || ver[5] > '9' || ver[6] != '.' ||
	    ver[7] < '0' || ver[7] > '9')
		return 400;
	if (ver[5] != '1')
		return 505;
	f->minor = ver[7] - '0';
	if (mlen == 3 && memcmp(line, "GET", 3) == 0)
		h->method = DEMO_M_GET;
	else if (mlen == 4 && memcmp(line, "HEAD", 4) == 0)
		h->method = DEMO_M_HEAD;
	else if (mlen == 4 && memcmp(line, "POST", 4) == 0)
		h->method = DEMO_M_POST;
	else
		h->method = DEMO_M_OTHER;
	return demo_head_target(h, sp1 + 1, (size_t)(sp2 - sp1 - 1));
}

static int
demo_head_lines(const char *p, size_t len, struct demo_head *h)
{
	struct demo_head_fields f = { 0 };
	const char *end = p + len;
	int first = 1, rc;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		if (nl == NULL)
			return 400;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (memchr(p, '\r', n) != NULL || memchr(p, '\0', n) != NULL)
			return 400;
		if (n == 0)
			break;
		rc = first ? demo_head_request_line(h, &f, p, n) :
		    demo_head_field(&f, p, n);
		if (rc != 0)
			return rc;
		first = 0;
		p = nl + 1;
	}
	if (first)
		return 400;
	if (f.has_te)
		return f.te_chunked ? 411 : 400;
	if (f.has_cl && (f.cl_huge || f.cl > DEMO_BODY_MAX))
		return 413;
	if (f.minor >= 1)
		h->keep_alive = !f.conn_close;
	else
		h->keep_alive = f.conn_keep_alive && !f.conn_close;
	h->body_len = f.has_cl ? f.cl : 0;
	h->expect_continue = f.expect_continue;
	return 0;
}

int
demo_head_parse(const char *p, size_t len, struct demo_head *h)
{
	int rc;

	memset(h, 0, sizeof *h);
	if ((rc = demo_head_lines(p, len, h)) != 0)
		demo_head_free(h);
	return rc;
}

void
demo_head_free(struct demo_head *h)
{
	free(h->target);
	h->target = NULL;
	h->path = NULL;
	h->query = NULL;
}

const char *
demo_head_error(int status)
{
	switch (status) {
	case 411: return "chunked request bodies are not supported";
	case 413: return "request body too large";
	case 431: return "request header too large";
	case 505: return "http version not supported";
	default: return "bad request";
	}
}

