/*
 * Events: sequence-numbered records of what happened (state changes,
 * spawns, exits, restarts, reloads), each with its reason, kept in a
 * bounded ring (the oldest fall off). core/view renders them as the JSON
 * of SPEC's appendix. Pure.
 */
#ifndef PRODD_EVENTS_H
#define PRODD_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENTS_RING_DEFAULT 1000
/* An exit event carries at most this many of the instance's last lines. */
#define EVENT_LAST_LINES 20
/* Bounds of those lines, so that a ring of exits stays small whatever the
 * services print: each line is cut to EVENT_LINE_MAX bytes, and the oldest
 * lines go while the text passes EVENT_LINES_MAX_BYTES (the newest line
 * always stays). 1000 exit events hold 16 MiB at most. */
#define EVENT_LINE_MAX 2048
#define EVENT_LINES_MAX_BYTES (16 * 1024)

/*
 * The last lines an instance wrote, attached to its exit event: an index
 * and one buffer of their text, shared by reference count between the event ring and whoever keeps the exit longer (a
 * service's last exits).
 */
struct event_line {
	int64_t ts_ms;
	int stream;			/* LOG_STREAM_STDOUT or _STDERR */
	size_t off, len;		/* in text */
};
struct event_lines {
	unsigned refs;
	size_t n;
	struct event_line line[EVENT_LAST_LINES];
	size_t bytes;			/* the kept lines' text */
	size_t used, cap;
	char *text;			/* not NULL once a line is added */
};

enum event_kind { EVENT_STATE, EVENT_SPAWN, EVENT_EXIT, EVENT_HEALTH,
	EVENT_RELOAD, EVENT_ALERT, EVENT_DAEMON };

struct event {
	uint64_t seq;			/* set by events_push */
	int64_t ts_ms;
	enum event_kind kind;
	char service[64];		/* "" when about prodd itself */
	int from, to;			/* enum fsm_state (health events:
				 * enum health_status), or -1 */
	int pid;			/* 0: none */
	int exit_code;			/* -1: none */
	int signal;			/* 0: none */
	int64_t delay_ms;		/* -1: none */
	char reason[192];
	/* exit events: the instance's last lines (NULL: none); the ring
	 * holds one reference of its own once the event is pushed */
	struct event_lines *lines;
};

/* How the ring keeps an event: its numbers, and its service and reason
 * in one allocation of their own lengths (the two arrays of struct event
 * are 256 bytes, most of them unused: a ring of 1000 compact records
 * holds ~110 KB where whole events held 315 KB). */
struct event_rec {
	uint64_t seq;
	int64_t ts_ms;
	int64_t delay_ms;
	struct event_lines *lines;
	char *text;			/* service NUL reason NUL */
	int32_t pid, exit_code, signal;
	int8_t kind, from, to;
	uint8_t service_len;
};

struct events {
	struct event_rec *v;
	size_t cap, head, count;
	uint64_t next_seq;
};

void events_init(struct events *r, size_t cap);
void events_free(struct events *r);
/* An event with every optional field at "none". */
void event_clear(struct event *e);
/* Store a copy with the next sequence number, which is set in e too;
 * returns e. The copy takes a reference of e->lines. */
const struct event *events_push(struct events *r, struct event *e);
/* Call fn for every kept event with seq > after, oldest first (each a
 * struct event made from its record, valid during the call); returns how
 * many. */
size_t events_since(const struct events *r, uint64_t after,
    void (*fn)(const struct event *, void *), void *arg);
/* The kept event numbered seq into *out (its lines the ring's, valid while
 * it is kept); false when it is not kept (fallen off, or not yet pushed). */
bool events_get(const struct events *r, uint64_t seq, struct event *out);
const char *event_kind_name(enum event_kind k);

/* Lines, empty, with one reference. */
struct event_lines *event_lines_new(void);
/* Append one line (cut to EVENT_LINE_MAX); past EVENT_LAST_LINES lines or
 * EVENT_LINES_MAX_BYTES the oldest go. */
void event_lines_add(struct event_lines *l, int64_t ts_ms, int stream,
    const char *text, size_t len);
struct event_lines *event_lines_ref(struct event_lines *l);
void event_lines_unref(struct event_lines *l);

#endif
