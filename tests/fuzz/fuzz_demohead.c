/*
 * libFuzzer target: prodd-demo's HTTP/1.1 request head parser
 * (src/demo/demo-head.c) on any bytes, as a connection reads them: blank
 * lines skipped, the head's end found, then parsed. Besides ASan and
 * UBSan's own findings, it aborts when a result breaks what demo-head.h
 * promises: the end is inside the buffer and just past a blank line, a
 * parse either fills the head (method known, path starting with '/',
 * query with no '#', body length at most DEMO_BODY_MAX) or names one of
 * the statuses 400, 411, 413 or 505 with a message for it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/demo/demo-head.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
require(int cond)
{
	if (!cond)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	const char *p;
	size_t skip, end, n;
	struct demo_head h;
	int r;

	require(buf != NULL);
	memcpy(buf, data, size);
	skip = demo_head_blank(buf, size);
	require(skip <= size);
	p = buf + skip;
	n = size - skip;
	end = demo_head_end(p, n);
	if (end == 0) {
		free(buf);
		return 0;
	}
	require(end >= 2 && end <= n && p[end - 1] == '\n');
	r = demo_head_parse(p, end, &h);
	if (r == 0) {
		require(h.method >= DEMO_M_GET && h.method <= DEMO_M_OTHER);
		require(h.target != NULL && h.path != NULL && h.query != NULL);
		require(h.path[0] == '/');
		require(strchr(h.query, '#') == NULL);
		require(h.body_len <= DEMO_BODY_MAX);
		require(h.keep_alive == 0 || h.keep_alive == 1);
		demo_head_free(&h);
	} else {
		require(r == 400 || r == 411 || r == 413 || r == 505);
		require(demo_head_error(r) != NULL);
	}
	free(buf);
	return 0;
}
