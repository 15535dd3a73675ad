/*
 * The HTTP/1.1 request head as prodd-demo reads it: where a head ends in
 * a buffer, and what it says (method, target split into path and query,
 * keep-alive, the body's length, Expect: 100-continue). Pure functions
 * over bytes, no libuv: demo-http.c feeds them what a connection read.
 */
#ifndef PRODD_DEMO_HEAD_H
#define PRODD_DEMO_HEAD_H

#include <stddef.h>
#include <stdint.h>

#define DEMO_HEAD_MAX (16u * 1024u)	/* longer heads are answered 431 */
#define DEMO_BODY_MAX (1024u * 1024u)	/* longer bodies are answered 413 */

enum demo_method {
	DEMO_M_GET,
	DEMO_M_HEAD,
	DEMO_M_POST,
	DEMO_M_OTHER,
};

/* One parsed head; path and query point into target, which it owns. */
struct demo_head {
	enum demo_method method;
	char *target;		/* path, NUL, query (no fragment) */
	const char *path;	/* "/" at least */
	const char *query;	/* without '?', "" when absent */
	int keep_alive;		/* by version and Connection */
	int expect_continue;
	uint64_t body_len;	/* Content-Length, 0 when absent */
};

/* Bytes of blank lines (CR, LF) before a request line, to skip. */
size_t demo_head_blank(const char *p, size_t n);
/* Offset just past the blank line ending the head, or 0 if not there yet. */
size_t demo_head_end(const char *p, size_t n);
/*
 * Parses the head in p[0..len) (len from demo_head_end). Returns 0 with h
 * filled (free it with demo_head_free), or the HTTP status to answer
 * (400, 411, 413, 505) with nothing to free.
 */
int demo_head_parse(const char *p, size_t len, struct demo_head *h);
void demo_head_free(struct demo_head *h);
/* The error message sent with an HTTP error status of the parser. */
const char *demo_head_error(int status);

#endif
