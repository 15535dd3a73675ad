/*
 * The ring of a service's recent output lines (see logring.h). Every
 * service has one and most are quiet, so nothing is allocated until the
 * first line arrives, and both stores grow by doubling up to their bounds
 * and never past them: the text lives in one circular byte buffer of at
 * most max_bytes (lines packed end to end, so no space is lost to
 * fragmentation), and the index in one circular array of at most max_lines
 * 16-byte entries. Sequence numbers are implicit (the oldest kept line is
 * next_seq - count), so they cost nothing per line. Because the text is
 * packed circularly, at most one line at a time wraps around the end of
 * the buffer; readers get that one line through a temporary copy, which
 * keeps the hot path (push) free of any copying beyond the line itself.
 */
#include "prodd/logring.h"
#include "prodd/xmalloc.h"

#include <stdlib.h>
#include <string.h>

/* Index entries keep the length and the stream in 32 bits (30 + 2), and
 * offsets in 32, so a ring's text is bounded by 1 GiB - 1; far beyond any
 * sensible configuration. */
#define LOGRING_LEN_SHIFT 2
#define LOGRING_STREAM_MASK 3u
#define LOGRING_MAX_BYTES ((size_t)(UINT32_MAX >> LOGRING_LEN_SHIFT))
/* The first allocations: most services are quiet, and the one line each
 * is sure to get is prodd's own note of its start ("started", a reason),
 * so they fit such a line; a chatty service doubles its way up from
 * there, a few reallocations at most before its bounds. */
#define LOGRING_MIN_TEXT 64
#define LOGRING_MIN_INDEX 2

struct logring_ent {
	int64_t ts_ms;
	uint32_t off;		/* where the text starts in buf */
	uint32_t len_stream;	/* len << 2 | stream */
};

struct logring {
	size_t max_lines, max_bytes;
	struct logring_ent *ent;	/* circular, ecap entries */
	size_t ecap, efirst, count;
	char *buf;			/* circular, bcap bytes */
	size_t bcap, bhead, bytes;	/* next write offset, text kept */
	uint64_t next_seq;
};

static size_t
logring_clamp_lines(size_t n)
{
	size_t lim = SIZE_MAX / sizeof(struct logring_ent) / 2;

	return n < lim ? n : lim;
}

static size_t
logring_clamp_bytes(size_t n)
{
	return n < LOGRING_MAX_BYTES ? n : LOGRING_MAX_BYTES;
}

struct logring *
logring_new(size_t max_lines, size_t max_bytes)
{
	struct logring *r = xcalloc(1, sizeof *r);

	r->max_lines = logring_clamp_lines(max_lines);
	r->max_bytes = logring_clamp_bytes(max_bytes);
	r->next_seq = 1;
	return r;
}

void
logring_free(struct logring *r)
{
	if (r == NULL)
		return;
	free(r->ent);
	free(r->buf);
	free(r);
}

static size_t
logring_ent_len(const struct logring_ent *e)
{
	return e->len_stream >> LOGRING_LEN_SHIFT;
}

static int
logring_ent_stream(const struct logring_ent *e)
{
	return (int)(e->len_stream & LOGRING_STREAM_MASK);
}

/* The index slot of entry k, counting from the oldest kept line. */
static size_t
logring_slot(const struct logring *r, size_t k)
{
	size_t i = r->efirst + k;

	return i >= r->ecap ? i - r->ecap : i;
}

static const struct logring_ent *
logring_at(const struct logring *r, size_t k)
{
	return &r->ent[logring_slot(r, k)];
}

/* Where the oldest kept text starts. */
static size_t
logring_btail(const struct logring *r)
{
	return r->bhead >= r->bytes ? r->bhead - r->bytes
	    : r->bhead + r->bcap - r->bytes;
}

static void
logring_evict_one(struct logring *r)
{
	const struct logring_ent *e = &r->ent[r->efirst];

	r->bytes -= logring_ent_len(e);
	r->efirst = r->efirst + 1 == r->ecap ? 0 : r->efirst + 1;
	if (--r->count == 0) {
		/* Start over at the front: fewer wrapped lines later. */
		r->efirst = 0;
		r->bhead = 0;
	}
}

/* Move the index into an array of cap entries (>= count), oldest first. */
static void
logring_index_resize(struct logring *r, size_t cap)
{
	struct logring_ent *n;
	size_t first;

	if (cap == 0) {
		free(r->ent);
		r->ent = NULL;
		r->ecap = r->efirst = 0;
		return;
	}
	if (r->efirst == 0 || r->count == 0) {
		/* Nothing wraps: realloc may grow or shrink in place. */
		r->ent = xreallocarray(r->ent, cap, sizeof *r->ent);
		r->ecap = cap;
		r->efirst = 0;
		return;
	}
	n = xreallocarray(NULL, cap, sizeof *n);
	first = r->ecap - r->efirst;
	if (first > r->count)
		first = r->count;
	memcpy(n, r->ent + r->efirst, first * sizeof *n);
	memcpy(n + first, r->ent, (r->count - first) * sizeof *n);
	free(r->ent);
	r->ent = n;
	r->ecap = cap;
	r->efirst = 0;
}

/* Move the text into a buffer of cap bytes (>= bytes), packed from offset
 * 0, and rebase every entry's offset. */
static void
logring_text_resize(struct logring *r, size_t cap)
{
	size_t tail, first, old = r->bcap;

	if (cap == 0) {
		free(r->buf);
		r->buf = NULL;
		r->bcap = r->bhead = 0;
		return;
	}
	tail = old ? logring_btail(r) : 0;
	if (tail == 0) {
		/* Already packed from 0: realloc may work in place. */
		r->buf = xrealloc(r->buf, cap);
	} else {
		char *n = xmalloc(cap);

		first = old - tail;
		if (first > r->bytes)
			first = r->bytes;
		memcpy(n, r->buf + tail, first);
		memcpy(n + first, r->buf, r->bytes - first);
		free(r->buf);
		r->buf = n;
	}
	for (size_t k = 0; k < r->count; k++) {
		struct logring_ent *e = &r->ent[logring_slot(r, k)];
		size_t off = e->off;

		off = off >= tail ? off - tail : off + old - tail;
		/* Only an empty line can land on cap (sitting at the head of
		 * a full buffer); where an empty line points does not
		 * matter, as long as it is inside the buffer. */
		e->off = (uint32_t)(off < cap ? off : 0);
	}
	r->bcap = cap;
	r->bhead = r->bytes == cap ? 0 : r->bytes;
}

void
logring_set_bounds(struct logring *r, size_t max_lines, size_t max_bytes)
{
	r->max_lines = logring_clamp_lines(max_lines);
	r->max_bytes = logring_clamp_bytes(max_bytes);
	if (r->max_lines == 0 || r->max_bytes == 0) {
		/* Keeping nothing: hand all the memory back. */
		r->count = r->bytes = 0;
		r->efirst = 0;
		logring_index_resize(r, 0);
		logring_text_resize(r, 0);
		return;
	}
	while (r->count > r->max_lines || r->bytes > r->max_bytes)
		logring_evict_one(r);
	/* The heap must follow the new bounds too, not only the contents. */
	if (r->ecap > r->max_lines)
		logring_index_resize(r, r->max_lines);
	if (r->bcap > r->max_bytes)
		logring_text_resize(r, r->max_bytes);
}

/* Capacity for need units, doubling from cur (or min), at most max. */
static size_t
logring_grow(size_t cur, size_t need, size_t min, size_t max)
{
	size_t cap = cur ? cur : min;

	while (cap < need && cap <= max / 2)
		cap *= 2;
	if (cap < need)
		cap = need;
	return cap < max ? cap : max;
}

void
logring_push(struct logring *r, int64_t ts_ms, int stream, const char *line,
    size_t len)
{
	struct logring_ent *e;
	size_t first;

	r->next_seq++;
	if (r->max_lines == 0 || r->max_bytes == 0)
		return;
	if (len > r->max_bytes)
		len = r->max_bytes;
	if (r->count == r->max_lines)
		logring_evict_one(r);
	/* Ends: count reaches 0 with bytes 0, and len <= max_bytes. */
	while (r->bytes + len > r->max_bytes)
		logring_evict_one(r);
	if (r->count == r->ecap)
		logring_index_resize(r, logring_grow(r->ecap, r->count + 1,
		    LOGRING_MIN_INDEX, r->max_lines));
	if (r->bcap - r->bytes < len)
		logring_text_resize(r, logring_grow(r->bcap, r->bytes + len,
		    LOGRING_MIN_TEXT, r->max_bytes));

	e = &r->ent[logring_slot(r, r->count)];
	e->ts_ms = ts_ms;
	e->off = (uint32_t)r->bhead;
	e->len_stream = (uint32_t)(len << LOGRING_LEN_SHIFT) |
	    ((unsigned)stream & LOGRING_STREAM_MASK);
	r->count++;
	if (len == 0)
		return;
	first = r->bcap - r->bhead;
	if (first >= len) {
		memcpy(r->buf + r->bhead, line, len);
	} else {
		memcpy(r->buf + r->bhead, line, first);
		memcpy(r->buf, line + first, len - first);
	}
	r->bhead += len;
	if (r->bhead >= r->bcap)
		r->bhead -= r->bcap;
	r->bytes += len;
}

size_t
logring_count(const struct logring *r)
{
	return r->count;
}

size_t
logring_bytes(const struct logring *r)
{
	return r->bytes;
}

uint64_t
logring_next_seq(const struct logring *r)
{
	return r->next_seq;
}

void
logring_set_next_seq(struct logring *r, uint64_t seq)
{
	if (r->count == 0 && seq > 0)
		r->next_seq = seq;
}

size_t
logring_memory(const struct logring *r)
{
	return sizeof *r + r->ecap * sizeof *r->ent + r->bcap;
}

/* Hand entry k to fn; the one line that wraps around the end of the text
 * buffer is passed through a temporary contiguous copy. */
static void
logring_call(const struct logring *r, size_t k, logring_fn fn, void *arg)
{
	const struct logring_ent *e = logring_at(r, k);
	uint64_t seq = r->next_seq - r->count + k;
	size_t len = logring_ent_len(e), first;
	char *tmp;

	if (len == 0 || (size_t)e->off + len <= r->bcap) {
		fn(seq, e->ts_ms, logring_ent_stream(e),
		    r->buf ? r->buf + e->off : "", len, arg);
		return;
	}
	first = r->bcap - e->off;
	tmp = xmalloc(len);
	memcpy(tmp, r->buf + e->off, first);
	memcpy(tmp + first, r->buf, len - first);
	fn(seq, e->ts_ms, logring_ent_stream(e), tmp, len, arg);
	free(tmp);
}

void
logring_last(const struct logring *r, size_t n, int stream, logring_fn fn,
    void *arg)
{
	size_t start, found = 0;

	if (n == 0 || r->count == 0)
		return;
	if (stream == 0) {
		for (size_t k = r->count > n ? r->count - n : 0; k < r->count;
		    k++)
			logring_call(r, k, fn, arg);
		return;
	}
	/* Walk back to the n-th matching line, then replay forward. */
	start = r->count;
	while (start > 0 && found < n) {
		start--;
		if (logring_ent_stream(logring_at(r, start)) == stream)
			found++;
	}
	for (size_t k = start; k < r->count; k++)
		if (logring_ent_stream(logring_at(r, k)) == stream)
			logring_call(r, k, fn, arg);
}

void
logring_since(const struct logring *r, uint64_t from, logring_fn fn,
    void *arg)
{
	uint64_t first_seq = r->next_seq - r->count;
	size_t k = 0;

	if (from > first_seq) {
		if (from - first_seq >= r->count)
			return;
		k = (size_t)(from - first_seq);
	}
	for (; k < r->count; k++)
		logring_call(r, k, fn, arg);
}

void
logring_since_last(const struct logring *r, uint64_t from, size_t n,
    logring_fn fn, void *arg)
{
	uint64_t first_seq = r->next_seq - r->count;
	size_t k = 0;

	if (n == 0)
		return;
	if (from > first_seq) {
		if (from - first_seq >= r->count)
			return;
		k = (size_t)(from - first_seq);
	}
	if (r->count - k > n)
		k = r->count - n;
	for (; k < r->count; k++)
		logring_call(r, k, fn, arg);
}
