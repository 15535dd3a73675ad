/*
 * The event ring (see events.h): a fixed array allocated once, written
 * round-robin, so recording an event never allocates.
 */
#include "prodd/events.h"
#include "prodd/health.h"
#include "prodd/fsm.h"
#include "prodd/log.h"
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

void
event_to_json(const struct event *e, struct strbuf *sb)
{
	char ts[40];

	log_format_time(ts, sizeof ts, e->ts_ms);
	sb_printf(sb, "{\"seq\":%llu,\"ts\":\"%s\",\"service\":",
	    (unsigned long long)e->seq, ts);
	if (e->service[0])
		sb_json_str(sb, e->service, strlen(e->service));
	else
		sb_puts(sb, "null");
	sb_printf(sb, ",\"kind\":\"%s\"", event_kind_name(e->kind));
	/* a health event goes from one health status to another */
	if (e->from >= 0)
		sb_printf(sb, ",\"from\":\"%s\"", e->kind == EVENT_HEALTH ?
		    health_status_name((enum health_status)e->from) :
		    fsm_state_name((enum fsm_state)e->from));
	else
		sb_puts(sb, ",\"from\":null");
	if (e->to >= 0)
		sb_printf(sb, ",\"to\":\"%s\"", e->kind == EVENT_HEALTH ?
		    health_status_name((enum health_status)e->to) :
		    fsm_state_name((enum fsm_state)e->to));
	else
		sb_puts(sb, ",\"to\":null");
	sb_puts(sb, ",\"reason\":");
	sb_json_str(sb, e->reason, strlen(e->reason));
	if (e->pid > 0)
		sb_printf(sb, ",\"pid\":%d", e->pid);
	else
		sb_puts(sb, ",\"pid\":null");
	if (e->exit_code >= 0)
		sb_printf(sb, ",\"exit_code\":%d", e->exit_code);
	else
		sb_puts(sb, ",\"exit_code\":null");
	if (e->signal > 0)
		sb_printf(sb, ",\"signal\":%d", e->signal);
	else
		sb_puts(sb, ",\"signal\":null");
	if (e->delay_ms >= 0)
		sb_printf(sb, ",\"delay_ms\":%lld}", (long long)e->delay_ms);
	else
		sb_puts(sb, ",\"delay_ms\":null}");
}
