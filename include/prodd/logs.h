/*
 * Output capture for one service: bytes read from its stdout and stderr
 * pipes go in; complete lines come out time-stamped, appended to
 * LOG_DIR/NAME.log (rotated by size), kept in an in-memory ring, and
 * handed to an optional listener. No libuv: the caller reads the pipes and
 * feeds the bytes. Writes go to a regular file and never wait on anything
 * but the page cache; a write error drops the line from the file (counted),
 * never the ring, and never stops the service.
 */
#ifndef PRODD_LOGS_H
#define PRODD_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "prodd/logring.h"

/* A line longer than this is cut into pieces of this size. */
#define LOGS_MAX_LINE (64 * 1024)

struct logs_opts {
	const char *dir;	/* created (with parents) if missing */
	const char *name;	/* the service: file NAME.log */
	int64_t max_size;	/* rotate when the file would pass this */
	int keep;		/* rotated files kept: NAME.log.1 .. NAME.log.keep */
	size_t ring_lines;
	size_t ring_bytes;
};

struct logs_svc;

typedef void (*logs_line_fn)(void *arg, int stream, int64_t ts_ms,
    const char *line, size_t len);

/*
 * Open capture for one service. Never NULL: when the file cannot be
 * opened, lines are still kept in the ring, and err says why.
 */
struct logs_svc *logs_open(const struct logs_opts *o, char *err,
    size_t errlen);
/* Apply new options (a reload): bounds, rotation; reopens the file when
 * dir or name changed. */
void logs_reconfigure(struct logs_svc *l, const struct logs_opts *o);
void logs_close(struct logs_svc *l);

/* Bytes read from a stream (LOG_STREAM_STDOUT or _STDERR). */
void logs_feed(struct logs_svc *l, int stream, const char *data, size_t len,
    int64_t now_ms);
/* The stream ended (EOF): a last line without a newline is emitted. */
void logs_flush(struct logs_svc *l, int stream, int64_t now_ms);
/* A line that did not come from the service (prodd's own note, e.g.
 * "--- started pid 123"), into file and ring as stream 0's neighbour:
 * it is recorded with stream LOG_STREAM_STDERR. */
void logs_note(struct logs_svc *l, int64_t now_ms, const char *text);

void logs_set_listener(struct logs_svc *l, logs_line_fn fn, void *arg);
const struct logring *logs_ring(const struct logs_svc *l);
/* Lines that could not be written to the file. */
uint64_t logs_write_errors(const struct logs_svc *l);
/* An upgrade: what a new prodd needs to go on where this one stops (the
 * unterminated tail of each stream, the ring and its numbering) into sv,
 * and taken over from it into a freshly opened l. */
struct ho_svc;
void logs_handover_save(const struct logs_svc *l, struct ho_svc *sv);
void logs_handover_restore(struct logs_svc *l, const struct ho_svc *sv);
/* The path of the current file. */
const char *logs_path(const struct logs_svc *l);

#endif
