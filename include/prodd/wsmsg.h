/*
 * The messages a WebSocket client sends to /ws (SPEC §6), parsed and
 * validated: {"type":"subscribe","logs":[NAME...],"tail":N},
 * {"type":"unsubscribe","logs":[NAME...]} and {"type":"command",
 * "action":"start|stop|restart","service":NAME,"token":"...","id":ID}.
 * A message is turned into a plain struct or refused with a short text
 * that names what is wrong (malformed JSON, an unknown type, a missing or
 * wrong field), ready to go out in an error message. Whether a named
 * service exists is the caller's question. Pure: bytes in, struct out.
 */
#ifndef PRODD_WSMSG_H
#define PRODD_WSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* The largest client message: bigger ones close the connection (1009). */
#define WSMSG_MAX_BYTES 65536
/* At most this many names in one logs list. */
#define WSMSG_MAX_LOGS 1024
/* The largest tail a subscription may ask for. */
#define WSMSG_MAX_TAIL 10000
/* The longest service name and token accepted. */
#define WSMSG_NAME_MAX 255
#define WSMSG_TOKEN_MAX 4096

enum wsmsg_type {
	WSMSG_SUBSCRIBE,
	WSMSG_UNSUBSCRIBE,
	WSMSG_COMMAND,
};

enum wsmsg_action {
	WSMSG_START,
	WSMSG_STOP,
	WSMSG_RESTART,
};

struct wsmsg {
	enum wsmsg_type type;
	/* subscribe, unsubscribe: the names, as sent (not checked against
	 * the services) */
	char **logs;
	size_t nlogs;
	uint32_t tail;			/* subscribe: 0 when absent */
	/* command */
	enum wsmsg_action action;
	char *service;
	char *token;			/* NULL: none sent */
	/* the "id" to echo (a number or a string; NULL: none); also kept
	 * for a refused message whose id could be read */
	cJSON *id;
};

/*
 * Parse the len bytes at buf into m (zeroed first). Returns 0, or -1 with
 * a one-line reason in err (errlen bytes) and m holding whatever id could
 * be read, to echo in the error; wsmsg_free(m) either way.
 */
int wsmsg_parse(const char *buf, size_t len, struct wsmsg *m, char *err,
    size_t errlen);
void wsmsg_free(struct wsmsg *m);

/* "start", "stop", "restart" */
const char *wsmsg_action_name(enum wsmsg_action a);

#endif
