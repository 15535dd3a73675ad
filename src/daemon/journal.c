/*
 * prodd's own log as native journal entries (see journal.h). Each record
 * becomes one sd_journal_sendv() datagram: MESSAGE, PRIORITY from the
 * level, SYSLOG_IDENTIFIER, PRODD_SERVICE when it is about a service, and,
 * when the record is an event (its metadata is the event's JSON), the
 * event's kind as PRODD_EVENT with that kind's fixed MESSAGE_ID, and its
 * pid, exit status, signal and state change as PRODD_* fields, so
 * `journalctl PRODD_SERVICE=rag` or `journalctl MESSAGE_ID=...` select
 * them. Nothing is written to stderr for a record the journal took.
 */
#include "prodd/journal.h"
#include "prodd/sd-lazy.h"
#include "prodd/strutil.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
/* CODE_FILE= would always name this file: left out */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <unistd.h>

/* Fixed for good: operators filter on them (listed in prodd(8) and
 * README.md). Never reuse or change one. */
static const struct {
	const char *kind;
	const char *id;
} journal_ids[] = {
	{ "state",  "5e32fcc2ab824c58b8caa6448b938ec2" },
	{ "spawn",  "3a0217e34c52436796745ac2aad97e3c" },
	{ "exit",   "0c2c830998cb47a29fc852e75db5d614" },
	{ "health", "f3e638de18fe4659a5b6778ad87ddccf" },
	{ "reload", "3518b2a523ae466893a92d643ae73068" },
	{ "alert",  "1a0c8cc1fdf045b09dda19225c22d557" },
	{ "daemon", "3d6dec5f5d144211b48a5270076c076d" },
};

/* syslog priorities of error, warn, notice, info, debug */
static const int journal_priority[] = { 3, 4, 5, 6, 7 };

#define JOURNAL_MAX_FIELDS 16
#define JOURNAL_FIELD_LEN 256

bool
journal_stream_is_stderr(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	if (env == NULL || sscanf(env, "%llu:%llu%n", &dev, &ino, &end) != 2 ||
	    env[end] != '\0')
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

const char *
journal_message_id(const char *kind)
{
	for (size_t i = 0; i < sizeof journal_ids / sizeof *journal_ids; i++)
		if (strcmp(kind, journal_ids[i].kind) == 0)
			return journal_ids[i].id;
	return NULL;
}

struct journal_entry {
	struct iovec iov[JOURNAL_MAX_FIELDS];
	char buf[JOURNAL_MAX_FIELDS][JOURNAL_FIELD_LEN];
	int n;
};

static void
journal_field(struct journal_entry *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
journal_field(struct journal_entry *j, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (j->n >= JOURNAL_MAX_FIELDS)
		return;
	va_start(ap, fmt);
	len = vsnprintf(j->buf[j->n], JOURNAL_FIELD_LEN, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len >= JOURNAL_FIELD_LEN)
		len = JOURNAL_FIELD_LEN - 1;
	j->iov[j->n].iov_base = j->buf[j->n];
	j->iov[j->n].iov_len = (size_t)len;
	j->n++;
}

/* NAME=number from a member of the event, when it is a number */
static void
journal_number(struct journal_entry *j, const cJSON *ev, const char *member,
    const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, member);

	if (cJSON_IsNumber(v))
		journal_field(j, "%s=%.0f", name, v->valuedouble);
}

static void
journal_string(struct journal_entry *j, const cJSON *ev, const char *member,
    const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, member);

	if (cJSON_IsString(v))
		journal_field(j, "%s=%s", name, v->valuestring);
}

/* The fields of an event record (its metadata is the event's JSON). */
static void
journal_event_fields(struct journal_entry *j, const char *metadata)
{
	cJSON *ev = cJSON_Parse(metadata);
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(ev, "kind");
	const char *id;

	if (cJSON_IsString(kind)) {
		journal_field(j, "PRODD_EVENT=%s", kind->valuestring);
		if ((id = journal_message_id(kind->valuestring)) != NULL)
			journal_field(j, "MESSAGE_ID=%s", id);
		journal_number(j, ev, "pid", "PRODD_PID");
		journal_number(j, ev, "exit_code", "PRODD_EXIT_STATUS");
		journal_number(j, ev, "signal", "PRODD_SIGNAL");
		journal_string(j, ev, "from", "PRODD_FROM");
		journal_string(j, ev, "to", "PRODD_TO");
		journal_number(j, ev, "seq", "PRODD_SEQ");
	}
	cJSON_Delete(ev);
}

int
journal_sink(enum log_level level, const char *service, const char *metadata,
    const char *message)
{
	struct journal_entry j;
	struct strbuf msg = { 0 };
	int rc;

	j.n = 0;
	/* the message may be long and hold anything: its own buffer */
	sb_puts(&msg, "MESSAGE=");
	sb_puts(&msg, message);
	j.iov[j.n].iov_base = msg.buf;
	j.iov[j.n].iov_len = msg.len;
	j.n++;
	journal_field(&j, "PRIORITY=%d", (unsigned)level <
	    sizeof journal_priority / sizeof *journal_priority ?
	    journal_priority[level] : 6);
	journal_field(&j, "SYSLOG_IDENTIFIER=prodd");
	if (service != NULL)
		journal_field(&j, "PRODD_SERVICE=%s", service);
	if (metadata != NULL)
		journal_event_fields(&j, metadata);
	rc = sd_lazy_journal_sendv(j.iov, j.n);
	sb_free(&msg);
	return rc < 0 ? -1 : 0;
}
