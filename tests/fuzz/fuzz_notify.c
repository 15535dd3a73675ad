/*
 * libFuzzer target: the sd_notify datagram parser (core/notify-proto.c).
 * Any bytes in; besides ASan and UBSan's own findings, it aborts when a
 * result breaks what prodd/notify.h promises: a refused datagram carries
 * no field, the STATUS= text is NUL-terminated in its buffer with no
 * control byte and no UTF-8 character cut, each numeric field is in its
 * range when set, and the same bytes parse the same way twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/notify.h"

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
	struct notify_msg a, b;
	enum notify_result r = notify_parse((const char *)data, size, &a);
	size_t n;

	require(notify_parse((const char *)data, size, &b) == r);
	require(memcmp(&a, &b, sizeof a) == 0);
	require(notify_result_name(r) != NULL);
	if (size == 0)
		require(r == NOTIFY_EMPTY);
	else if (size > NOTIFY_MSG_MAX)
		require(r == NOTIFY_TOO_LONG);
	if (r != NOTIFY_OK) {
		require(a.fields == 0 && a.status[0] == '\0');
		return 0;
	}
	require(memchr(data, '\0', size) == NULL);
	n = strnlen(a.status, sizeof a.status);
	require(n < sizeof a.status);
	for (size_t i = 0; i < n; i++)
		require((unsigned char)a.status[i] >= 0x20 &&
		    (unsigned char)a.status[i] != 0x7F);
	if (!(a.fields & NOTIFY_STATUS))
		require(n == 0);
	/* the text is the last STATUS= value of the datagram, control bytes
	 * made '?', cut (if at all) before a UTF-8 continuation byte */
	if (a.fields & NOTIFY_STATUS) {
		size_t at = SIZE_MAX, vlen;

		for (size_t i = 0; i + 7 <= size; i++)
			if ((i == 0 || data[i - 1] == '\n') &&
			    memcmp(data + i, "STATUS=", 7) == 0)
				at = i + 7;
		require(at != SIZE_MAX);
		for (vlen = 0; at + vlen < size && data[at + vlen] != '\n'; vlen++)
			;
		require(n <= vlen);
		for (size_t k = 0; k < n; k++) {
			unsigned char c = data[at + k];

			require(a.status[k] == (c < 0x20 || c == 0x7F ? '?' :
			    (char)c));
		}
		if (n < vlen) {
			require(n >= sizeof a.status - 4);
			require((data[at + n] & 0xC0) != 0x80 ||
			    n == sizeof a.status - 4);
		}
	}
	if (a.fields & NOTIFY_MAINPID)
		require(a.mainpid > 1);
	else
		require(a.mainpid == 0);
	if (a.fields & NOTIFY_WATCHDOG_USEC)
		require(a.watchdog_usec > 0);
	if (!(a.fields & NOTIFY_EXTEND_TIMEOUT))
		require(a.extend_usec == 0);
	if (a.fields & NOTIFY_ERRNO)
		require(a.errno_value >= 0);
	require((a.fields & ~0x7FFu) == 0);
	return 0;
}
