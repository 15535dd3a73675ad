/*
 * The event ring (see events.h): a fixed array of compact records written
 * round-robin, each with its service and reason in one small allocation
 * of their length (freed when the event falls off), and turned back into
 * a struct event when read. Its JSON, for the API and for prodd's log
 * alike, is core/view's.
 */
#include "prodd/events.h"
#include "prodd/xmalloc.h"

#include <stdlib.h>
#include <string.h>

static const char *const event_kind_names[] = { "state", "spawn", "exit",
	"health", "reload", "alert", "daemon" };

const char *
event_kind_name(enum event_kind k)
{
	return (unsigned)k < sizeof event_kind_names / sizeof *event_kind_names ?
	    event_kind_names[k] : "unknown";
}

void
events_init(struct events *r, size_t cap)
{
	memset(r, 0, sizeof *r);
	r->cap = cap ? cap : 1;
	r->v = xcalloc(r->cap, sizeof *r->v);
	r->next_seq = 1;
}

static void
events_rec_drop(struct event_rec *rec)
{
	event_lines_unref(rec->lines);
	free(rec->text);
	rec->lines = NULL;
	rec->text = NULL;
}

void
events_free(struct events *r)
{
	for (size_t i = 0; i < r->count; i++)
		events_rec_drop(&r->v[(r->head + i) % r->cap]);
	free(r->v);
	memset(r, 0, sizeof *r);
}

void
event_clear(struct event *e)
{
	memset(e, 0, sizeof *e);
	e->from = e->to = -1;
	e->exit_code = -1;
	e->delay_ms = -1;
}

/* The record of e (its strings bounded by their arrays, as they are read
 * back into them). */
static void
events_rec_set(struct event_rec *rec, const struct event *e)
{
	size_t sl = strnlen(e->service, sizeof e->service - 1);
	size_t rl = strnlen(e->reason, sizeof e->reason - 1);

	rec->ts_ms = e->ts_ms;
	rec->delay_ms = e->delay_ms;
	rec->lines = e->lines;
	rec->pid = e->pid;
	rec->exit_code = e->exit_code;
	rec->signal = e->signal;
	rec->kind = (int8_t)e->kind;
	rec->from = (int8_t)e->from;
	rec->to = (int8_t)e->to;
	rec->service_len = (uint8_t)sl;
	rec->text = xmalloc(sl + rl + 2);
	memcpy(rec->text, e->service, sl);
	rec->text[sl] = '\0';
	memcpy(rec->text + sl + 1, e->reason, rl);
	rec->text[sl + 1 + rl] = '\0';
}

static void
events_rec_get(const struct event_rec *rec, struct event *e)
{
	const char *reason = rec->text + rec->service_len + 1;

	e->seq = rec->seq;
	e->ts_ms = rec->ts_ms;
	e->kind = (enum event_kind)rec->kind;
	memcpy(e->service, rec->text, rec->service_len + 1u);
	e->from = rec->from;
	e->to = rec->to;
	e->pid = rec->pid;
	e->exit_code = rec->exit_code;
	e->signal = rec->signal;
	e->delay_ms = rec->delay_ms;
	memcpy(e->reason, reason, strlen(reason) + 1);
	e->lines = rec->lines;
}

const struct event *
events_push(struct events *r, struct event *e)
{
	size_t at = (r->head + r->count) % r->cap;

	if (r->count == r->cap) {
		at = r->head;
		r->head = (r->head + 1) % r->cap;
		events_rec_drop(&r->v[at]);
	} else {
		r->count++;
	}
	e->seq = r->next_seq++;
	events_rec_set(&r->v[at], e);
	r->v[at].seq = e->seq;
	if (e->lines != NULL)
		event_lines_ref(e->lines);
	/* as read back: the strings bounded as the record keeps them */
	e->service[sizeof e->service - 1] = '\0';
	e->reason[sizeof e->reason - 1] = '\0';
	return e;
}

bool
events_get(const struct events *r, uint64_t seq, struct event *out)
{
	uint64_t first;

	if (r->count == 0)
		return false;
	first = r->v[r->head].seq;
	if (seq < first || seq - first >= r->count)
		return false;
	events_rec_get(&r->v[(r->head + (size_t)(seq - first)) % r->cap], out);
	return true;
}

size_t
events_since(const struct events *r, uint64_t after,
    void (*fn)(const struct event *, void *), void *arg)
{
	struct event e;
	size_t n = 0;

	for (size_t i = 0; i < r->count; i++) {
		const struct event_rec *rec = &r->v[(r->head + i) % r->cap];

		if (rec->seq > after) {
			events_rec_get(rec, &e);
			fn(&e, arg);
			n++;
		}
	}
	return n;
}

struct event_lines *
event_lines_new(void)
{
	struct event_lines *l = xcalloc(1, sizeof *l);

	l->refs = 1;
	return l;
}

void
event_lines_add(struct event_lines *l, int64_t ts_ms, int stream,
    const char *text, size_t len)
{
	struct event_line *ln;

	if (len > EVENT_LINE_MAX)
		len = EVENT_LINE_MAX;
	/* the oldest go; their text stays until the buffer is compacted
	 * below */
	while (l->n > 0 && (l->n == EVENT_LAST_LINES ||
	    l->bytes + len > EVENT_LINES_MAX_BYTES)) {
		l->bytes -= l->line[0].len;
		memmove(&l->line[0], &l->line[1],
		    (l->n - 1) * sizeof l->line[0]);
		l->n--;
	}
	if (l->used + len > l->cap && l->n > 0 && l->line[0].off > 0) {
		size_t drop = l->line[0].off;

		memmove(l->text, l->text + drop, l->used - drop);
		l->used -= drop;
		for (size_t i = 0; i < l->n; i++)
			l->line[i].off -= drop;
	} else if (l->n == 0) {
		l->used = 0;
	}
	/* text is made with the first line, even an empty one: readers
	 * take text + off for any line, which NULL + 0 would not be */
	if (l->text == NULL || l->used + len > l->cap) {
		size_t cap = l->cap ? l->cap : 256;

		while (cap < l->used + len)
			cap *= 2;
		l->text = xrealloc(l->text, cap);
		l->cap = cap;
	}
	ln = &l->line[l->n++];
	ln->ts_ms = ts_ms;
	ln->stream = stream;
	ln->off = l->used;
	ln->len = len;
	if (len > 0)
		memcpy(l->text + l->used, text, len);
	l->used += len;
	l->bytes += len;
}

struct event_lines *
event_lines_ref(struct event_lines *l)
{
	if (l != NULL)
		l->refs++;
	return l;
}

void
event_lines_unref(struct event_lines *l)
{
	if (l == NULL || --l->refs > 0)
		return;
	free(l->text);
	free(l);
}
