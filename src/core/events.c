/*
 * The event ring (see events.h): a fixed array allocated once, written
 * round-robin, so recording an event never allocates. Its JSON, for the
 * API and for prodd's log alike, is core/view's.
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

void
events_free(struct events *r)
{
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

const struct event *
events_push(struct events *r, const struct event *e)
{
	size_t at = (r->head + r->count) % r->cap;

	if (r->count == r->cap) {
		at = r->head;
		r->head = (r->head + 1) % r->cap;
	} else {
		r->count++;
	}
	r->v[at] = *e;
	r->v[at].seq = r->next_seq++;
	return &r->v[at];
}

size_t
events_since(const struct events *r, uint64_t after,
    void (*fn)(const struct event *, void *), void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < r->count; i++) {
		const struct event *e = &r->v[(r->head + i) % r->cap];

		if (e->seq > after) {
			fn(e, arg);
			n++;
		}
	}
	return n;
}
