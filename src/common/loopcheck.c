/*
 * Closing a libuv loop and naming what was left open (see loopcheck.h).
 * uv_walk visits the handles still on the loop (the loop's own internal
 * ones are not counted, as uv_loop_close does not count them), so the
 * message lists exactly what kept uv_loop_close from succeeding.
 */
#include "prodd/loopcheck.h"

#include <stdio.h>
#include <string.h>

struct loop_walk {
	char *buf;
	size_t len, used;
	int n;
};

static void
loop_walk_cb(uv_handle_t *h, void *arg)
{
	struct loop_walk *w = arg;
	const char *type = uv_handle_type_name(uv_handle_get_type(h));
	int k;

	w->n++;
	if (w->used >= w->len)
		return;
	k = snprintf(w->buf + w->used, w->len - w->used, "%s%s",
	    w->n == 1 ? "" : ", ", type != NULL ? type : "unknown");
	if (k > 0)
		w->used += (size_t)k;
}

int
loop_close_check(uv_loop_t *loop, char *msg, size_t msglen)
{
	char types[512];
	struct loop_walk w = { types, sizeof types, 0, 0 };

	if (msglen > 0)
		msg[0] = '\0';
	if (uv_loop_close(loop) == 0)
		return 0;
	types[0] = '\0';
	uv_walk(loop, loop_walk_cb, &w);
	if (w.n == 0)	/* busy with requests only: still not closed */
		snprintf(types, sizeof types, "pending requests");
	snprintf(msg, msglen, "loop closed with %d open handle%s: %s", w.n,
	    w.n == 1 ? "" : "s", types);
	return w.n > 0 ? w.n : 1;
}
