/*
 * libFuzzer target: the hand-over state of an upgrade (core/handover.c)
 * on any bytes, exactly len of them with no NUL after. The new prodd
 * parses what the old one wrote; a state it cannot read must be refused
 * whole. Besides ASan and UBSan's own findings, it aborts when a result
 * breaks what prodd/handover.h promises: a refusal has a reason; an
 * accepted state renders to a text that parses again, and that second
 * state renders to the very same text (nothing lost or made up between
 * two prodds).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/handover.h"

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
	struct handover a, b;
	char err[512], *buf, *t1, *t2;
	size_t n1, n2;

	buf = malloc(size ? size : 1);
	require(buf != NULL);
	memcpy(buf, data, size);
	memset(err, 0, sizeof err);
	if (handover_parse(buf, size, &a, err, sizeof err) != 0) {
		free(buf);
		require(err[0] != '\0');
		handover_free(&a);
		return 0;
	}
	free(buf);	/* the state must not point into the text */
	t1 = handover_render(&a, &n1);
	require(t1 != NULL);
	require(handover_parse(t1, n1, &b, err, sizeof err) == 0);
	t2 = handover_render(&b, &n2);
	require(t2 != NULL && n1 == n2 && memcmp(t1, t2, n1) == 0);
	free(t1);
	free(t2);
	handover_free(&a);
	handover_free(&b);
	return 0;
}
