/*
 * prodd's own log to the journal, natively (sd_journal_sendv): is stderr
 * the journal's stream, and the log sink that sends each record with the
 * fields of SPEC §9 (PRIORITY, PRODD_SERVICE, PRODD_EVENT, PRODD_PID,
 * PRODD_EXIT_STATUS, a fixed MESSAGE_ID per event kind, MESSAGE). A
 * daemon leaf: it knows the log's records, not the supervisor.
 */
#ifndef PRODD_JOURNAL_H
#define PRODD_JOURNAL_H

#include "prodd/log.h"

#include <stdbool.h>

/*
 * True when fd 2 is the stream systemd connected to the journal:
 * JOURNAL_STREAM ("DEV:INO") names the device and inode fstat(2) of fd 2
 * reports. The variable alone proves nothing: descendants inherit it
 * with a stderr of their own.
 */
bool journal_stream_is_stderr(void);

/* The MESSAGE_ID (32 hex digits) of an event kind ("state", "exit", ...),
 * or NULL for a name that is not one. */
const char *journal_message_id(const char *kind);

/* The log sink (log_set_sink): one native journal entry per record; a
 * record the journal refused goes to stderr as JSON. */
int journal_sink(enum log_level level, const char *service,
    const char *metadata, const char *message);

#endif
