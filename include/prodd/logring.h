/*
 * An in-memory ring of a service's recent output lines, bounded both in
 * lines and in bytes: pushing past either bound evicts the oldest lines.
 * Every line gets a sequence number (1, 2, ...; never reused), so a reader
 * can ask for what came after the last line it saw. Pure.
 */
#ifndef PRODD_LOGRING_H
#define PRODD_LOGRING_H

#include <stddef.h>
#include <stdint.h>

enum { LOG_STREAM_STDOUT = 1, LOG_STREAM_STDERR = 2 };

struct logring;

/* A ring keeping at most max_lines lines and max_bytes bytes of text. A
 * bound of 0 keeps nothing (pushes only advance the sequence). */
struct logring *logring_new(size_t max_lines, size_t max_bytes);
void logring_free(struct logring *r);
/* Change the bounds; evicts at once to meet smaller ones. */
void logring_set_bounds(struct logring *r, size_t max_lines, size_t max_bytes);

/* Copy one line (without its newline) in; len may be 0. A line longer
 * than max_bytes is kept truncated to max_bytes. */
void logring_push(struct logring *r, int64_t ts_ms, int stream,
    const char *line, size_t len);

size_t logring_count(const struct logring *r);
size_t logring_bytes(const struct logring *r);
/* The sequence number the next pushed line will get. */
uint64_t logring_next_seq(const struct logring *r);
/* An upgrade's new prodd taking a ring over: the number the next line
 * gets, for a ring still empty (lines then pushed number on from it). */
void logring_set_next_seq(struct logring *r, uint64_t seq);
/* Heap bytes the ring holds (its struct, text and index): a few dozen
 * until the first line, never more than max_bytes + 16 * max_lines plus
 * that. */
size_t logring_memory(const struct logring *r);

typedef void (*logring_fn)(uint64_t seq, int64_t ts_ms, int stream,
    const char *line, size_t len, void *arg);

/* Call fn for the last n lines (of stream, or of both when stream is 0),
 * oldest first. */
void logring_last(const struct logring *r, size_t n, int stream,
    logring_fn fn, void *arg);
/* Call fn for every line still kept with seq >= from, oldest first. */
void logring_since(const struct logring *r, uint64_t from, logring_fn fn,
    void *arg);
/* The same, for the last n of those lines only (an instance's last lines:
 * from is the sequence the ring had at its spawn). */
void logring_since_last(const struct logring *r, uint64_t from, size_t n,
    logring_fn fn, void *arg);

#endif
