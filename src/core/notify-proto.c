/*
 * The sd_notify(3) datagram parser (see prodd/notify.h). A datagram is
 * split at '\n'; each line is KEY=VALUE, with KEY the bytes before the
 * first '='. Numbers are plain unsigned decimals (no sign, no spaces, no
 * overflow), as sd_notify's own formatting writes them. The STATUS= text
 * is copied as it is, its control bytes made '?', cut at a UTF-8 character
 * boundary to fit. Pure.
 */
#include "prodd/notify.h"

#include <stdbool.h>
#include <string.h>

const char *
notify_result_name(enum notify_result r)
{
	switch (r) {
	case NOTIFY_OK:
		return "ok";
	case NOTIFY_EMPTY:
		return "empty";
	case NOTIFY_TOO_LONG:
		return "longer than 4096 bytes";
	case NOTIFY_HAS_NUL:
		return "has a NUL byte";
	}
	return "refused";
}

/* An unsigned decimal of n bytes up to max: true with *out. */
static bool
notify_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool
notify_is(const char *v, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(v, lit, n) == 0;
}

static void
notify_status(struct notify_msg *m, const char *v, size_t n)
{
	size_t keep = n < NOTIFY_STATUS_MAX - 1 ? n : NOTIFY_STATUS_MAX - 1;

	/* cut before a continuation byte, so no character is split (at most
	 * 3 back: a character has at most 3; more is not UTF-8 anyway) */
	if (keep < n)
		for (int back = 0; back < 3 && keep > 0 &&
		    ((unsigned char)v[keep] & 0xC0) == 0x80; back++)
			keep--;
	for (size_t i = 0; i < keep; i++) {
		unsigned char c = (unsigned char)v[i];

		m->status[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
	}
	m->status[keep] = '\0';
	m->fields |= NOTIFY_STATUS;
}

/* One line: its key k (kn bytes) and value v (vn bytes). */
static void
notify_line(struct notify_msg *m, const char *k, size_t kn, const char *v,
    size_t vn)
{
	uint64_t u;
	unsigned before = m->fields;

	if (notify_is(k, kn, "READY")) {
		if (notify_is(v, vn, "1"))
			m->fields |= NOTIFY_READY;
	} else if (notify_is(k, kn, "RELOADING")) {
		if (notify_is(v, vn, "1"))
			m->fields |= NOTIFY_RELOADING;
	} else if (notify_is(k, kn, "STOPPING")) {
		if (notify_is(v, vn, "1"))
			m->fields |= NOTIFY_STOPPING;
	} else if (notify_is(k, kn, "STATUS")) {
		notify_status(m, v, vn);
	} else if (notify_is(k, kn, "WATCHDOG")) {
		if (notify_is(v, vn, "1"))
			m->fields |= NOTIFY_WATCHDOG;
		else if (notify_is(v, vn, "trigger"))
			m->fields |= NOTIFY_WATCHDOG_TRIGGER;
	} else if (notify_is(k, kn, "WATCHDOG_USEC")) {
		if (notify_uint(v, vn, UINT64_MAX, &u) && u > 0) {
			m->watchdog_usec = u;
			m->fields |= NOTIFY_WATCHDOG_USEC;
		}
	} else if (notify_is(k, kn, "EXTEND_TIMEOUT_USEC")) {
		if (notify_uint(v, vn, UINT64_MAX, &u)) {
			m->extend_usec = u;
			m->fields |= NOTIFY_EXTEND_TIMEOUT;
		}
	} else if (notify_is(k, kn, "MAINPID")) {
		if (notify_uint(v, vn, 0x7FFFFFFF, &u) && u > 1) {
			m->mainpid = (int)u;
			m->fields |= NOTIFY_MAINPID;
		}
	} else if (notify_is(k, kn, "ERRNO")) {
		if (notify_uint(v, vn, 0x7FFFFFFF, &u)) {
			m->errno_value = (int)u;
			m->fields |= NOTIFY_ERRNO;
		}
	} else if (notify_is(k, kn, "BARRIER")) {
		if (notify_is(v, vn, "1"))
			m->fields |= NOTIFY_BARRIER;
	} else {
		m->unknown++;
		return;
	}
	/* a known key whose value set nothing (STATUS= always sets) */
	if (m->fields == before && !notify_is(k, kn, "STATUS"))
		m->invalid++;
}

enum notify_result
notify_parse(const char *buf, size_t len, struct notify_msg *m)
{
	size_t i = 0;

	memset(m, 0, sizeof *m);
	if (len == 0)
		return NOTIFY_EMPTY;
	if (len > NOTIFY_MSG_MAX)
		return NOTIFY_TOO_LONG;
	if (memchr(buf, '\0', len) != NULL)
		return NOTIFY_HAS_NUL;
	while (i < len) {
		const char *line = buf + i, *nl, *eq;
		size_t n;

		nl = memchr(line, '\n', len - i);
		n = nl != NULL ? (size_t)(nl - line) : len - i;
		i += n + (nl != NULL);
		if (n == 0)
			continue;		/* empty line, trailing newline */
		eq = memchr(line, '=', n);
		if (eq == NULL || eq == line) {
			m->invalid++;		/* no key, or cut short */
			continue;
		}
		notify_line(m, line, (size_t)(eq - line), eq + 1,
		    n - (size_t)(eq - line) - 1);
	}
	return NOTIFY_OK;
}
