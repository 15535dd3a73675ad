/*
 * The sd_notify(3) protocol, as a pure parser (SPEC §3): one datagram of
 * newline-separated KEY=VALUE assignments in, the fields prodd acts on
 * out (READY=1, RELOADING=1, STOPPING=1, STATUS=, WATCHDOG=1,
 * WATCHDOG=trigger, WATCHDOG_USEC=, EXTEND_TIMEOUT_USEC=, MAINPID=,
 * ERRNO=, BARRIER=1). A datagram larger than NOTIFY_MSG_MAX or with a NUL
 * byte in it is refused whole, as systemd refuses it; inside an accepted
 * datagram a line that is not KEY=VALUE, or a known key with a value out
 * of its range, is skipped and counted, and unknown keys are ignored
 * (counted apart). When a key comes twice, the last one wins. No system
 * calls: the socket side is src/daemon/notify.c.
 */
#ifndef PRODD_NOTIFY_H
#define PRODD_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

/* systemd's own bound on a notification (its NOTIFY_BUFFER_MAX) */
#define NOTIFY_MSG_MAX 4096
/* STATUS= text kept, bytes with the NUL; longer text is cut at a UTF-8
 * character boundary */
#define NOTIFY_STATUS_MAX 256

/* The fields a datagram carried, as bits of notify_msg.fields. */
enum notify_field {
	NOTIFY_READY = 1 << 0,
	NOTIFY_RELOADING = 1 << 1,
	NOTIFY_STOPPING = 1 << 2,
	NOTIFY_STATUS = 1 << 3,
	NOTIFY_WATCHDOG = 1 << 4,		/* WATCHDOG=1: a ping */
	NOTIFY_WATCHDOG_TRIGGER = 1 << 5,	/* WATCHDOG=trigger */
	NOTIFY_WATCHDOG_USEC = 1 << 6,
	NOTIFY_EXTEND_TIMEOUT = 1 << 7,
	NOTIFY_MAINPID = 1 << 8,
	NOTIFY_ERRNO = 1 << 9,
	NOTIFY_BARRIER = 1 << 10,
};

struct notify_msg {
	unsigned fields;
	char status[NOTIFY_STATUS_MAX];	/* control bytes made '?' */
	uint64_t watchdog_usec;		/* > 0 */
	uint64_t extend_usec;		/* >= 0 */
	int mainpid;			/* > 1 */
	int errno_value;		/* >= 0 */
	unsigned invalid;		/* lines skipped: malformed, out of range */
	unsigned unknown;		/* keys prodd does not know */
};

enum notify_result {
	NOTIFY_OK = 0,
	NOTIFY_EMPTY = -1,		/* zero bytes */
	NOTIFY_TOO_LONG = -2,		/* over NOTIFY_MSG_MAX */
	NOTIFY_HAS_NUL = -3,		/* a NUL byte inside */
};

/* Parse one datagram of len bytes (not NUL-terminated) into *m. */
enum notify_result notify_parse(const char *buf, size_t len,
    struct notify_msg *m);
/* "empty", "longer than 4096 bytes", ... for a refused datagram */
const char *notify_result_name(enum notify_result r);

#endif
