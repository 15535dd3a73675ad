/*
 * libFuzzer target: the messages a WebSocket client sends to /ws
 * (core/wsmsg.c, through cJSON) on any bytes, exactly len of them with
 * no NUL after, as a frame delivers them. Besides ASan and UBSan's own
 * findings, it aborts when a result breaks what prodd/wsmsg.h promises: a
 * refused message has a one-line reason, an accepted one is of a known
 * type with its fields in their bounds (names non-empty and at most
 * WSMSG_NAME_MAX bytes, at most WSMSG_MAX_LOGS of them, tail at most
 * WSMSG_MAX_TAIL, a command's service set), and the same bytes parse the
 * same way twice (no state kept between messages).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/wsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
require(int cond)
{
	if (!cond)
		abort();
}

static int
parse(const uint8_t *data, size_t size, struct wsmsg *m, char *err,
    size_t errlen)
{
	char *buf = malloc(size ? size : 1);
	int r;

	require(buf != NULL);
	memcpy(buf, data, size);
	memset(err, 0, errlen);
	r = wsmsg_parse(buf, size, m, err, errlen);
	free(buf);	/* the message must not point into the frame */
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wsmsg a, b;
	char ea[256], eb[256];
	int ra = parse(data, size, &a, ea, sizeof ea);
	int rb = parse(data, size, &b, eb, sizeof eb);

	require(ra == rb);
	if (ra != 0) {
		require(ra == -1);
		require(ea[0] != '\0' && strchr(ea, '\n') == NULL);
		require(strcmp(ea, eb) == 0);
	} else {
		require(a.type == WSMSG_SUBSCRIBE ||
		    a.type == WSMSG_UNSUBSCRIBE || a.type == WSMSG_COMMAND);
		require(a.type == b.type && a.nlogs == b.nlogs &&
		    a.tail == b.tail);
		require(a.nlogs <= WSMSG_MAX_LOGS && a.tail <= WSMSG_MAX_TAIL);
		for (size_t i = 0; i < a.nlogs; i++) {
			size_t n = strlen(a.logs[i]);

			require(n > 0 && n <= WSMSG_NAME_MAX);
			require(strcmp(a.logs[i], b.logs[i]) == 0);
		}
		if (a.type == WSMSG_COMMAND) {
			require(a.service != NULL && a.service[0] != '\0' &&
			    strlen(a.service) <= WSMSG_NAME_MAX);
			require(wsmsg_action_name(a.action) != NULL);
			if (a.token != NULL)
				require(strlen(a.token) <= WSMSG_TOKEN_MAX);
		}
	}
	require((a.id == NULL) == (b.id == NULL));
	if (a.id != NULL)
		require(cJSON_IsNumber(a.id) || cJSON_IsString(a.id));
	wsmsg_free(&a);
	wsmsg_free(&b);
	return 0;
}
