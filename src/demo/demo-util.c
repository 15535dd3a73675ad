/*
 * Small helpers for prodd-demo: a growable buffer with a JSON string escaper,
 * allocation that dies loudly instead of limping on, and output through
 * write(2) so every message reaches a pipe as one whole line at once no matter
 * how stdio is buffered or whether the reader is slow.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"

static uint64_t demo_start_ns;

void *
demo_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		demo_say(2, "prodd-demo: out of memory\n");
		abort();
	}
	return p;
}

void *
demo_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL) {
		demo_say(2, "prodd-demo: out of memory\n");
		abort();
	}
	return q;
}

void
demo_buf_reserve(struct demo_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap;

	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->p = demo_xrealloc(b->p, cap);
	b->cap = cap;
}

void
demo_buf_add(struct demo_buf *b, const void *data, size_t n)
{
	demo_buf_reserve(b, n);
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
demo_buf_adds(struct demo_buf *b, const char *s)
{
	demo_buf_add(b, s, strlen(s));
}

void
demo_buf_addc(struct demo_buf *b, char c)
{
	demo_buf_add(b, &c, 1);
}

void
demo_buf_printf(struct demo_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	demo_buf_reserve(b, 128);
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		demo_buf_reserve(b, (size_t)n);
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
	}
	b->len += (size_t)n;
}

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes are not
 * well-formed; echoed query text is arbitrary bytes and the JSON we emit must
 * stay valid, so bad sequences become U+FFFD instead of passing through.
 */
static size_t
demo_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void
demo_buf_json_str(struct demo_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, l;

	demo_buf_addc(b, '"');
	while (i < n) {
		unsigned char c = u[i];

		switch (c) {
		case '"':
			demo_buf_adds(b, "\\\"");
			i++;
			continue;
		case '\\':
			demo_buf_adds(b, "\\\\");
			i++;
			continue;
		case '\n':
			demo_buf_adds(b, "\\n");
			i++;
			continue;
		case '\r':
			demo_buf_adds(b, "\\r");
			i++;
			continue;
		case '\t':
			demo_buf_adds(b, "\\t");
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			demo_buf_printf(b, "\\u%04x", c);
			i++;
			continue;
		}
		l = demo_utf8_len(u + i, n - i);
		if (l == 0) {
			demo_buf_adds(b, "\\ufffd");
			i++;
			continue;
		}
		demo_buf_add(b, u + i, l);
		i += l;
	}
	demo_buf_addc(b, '"');
}

void
demo_buf_free(struct demo_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

/*
 * Returns 0 or a negative errno. A non-blocking descriptor (a supervisor may
 * hand us such a pipe) is waited on with poll so a full pipe slows us down
 * instead of dropping half a line.
 */
int
demo_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };

				(void)poll(&pfd, 1, -1);
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void
demo_say(int fd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	(void)demo_write_all(fd, line, (size_t)n);
}

void
demo_set_start(uint64_t hrtime_ns)
{
	demo_start_ns = hrtime_ns;
}

uint64_t
demo_now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

double
demo_uptime_s(void)
{
	return (double)(uv_hrtime() - demo_start_ns) / 1e9;
}

const char *
demo_role_name(enum demo_role role)
{
	switch (role) {
	case DEMO_ROLE_SEARCH:
		return "search";
	case DEMO_ROLE_RAG:
		return "rag";
	case DEMO_ROLE_ANALYTICS:
		return "analytics";
	}
	return "search";
}

void
demo_http_date(char *out, size_t outsz)
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(out, outsz, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		snprintf(out, outsz, "Thu, 01 Jan 1970 00:00:00 GMT");
}
