/*
 * prodd's own log (see log.h). Each record is built in memory and written
 * with a single write(2) so lines from one process never interleave, and a
 * failed write is ignored: the log must never stop the daemon. A sink set
 * by the daemon (the journal) takes the records instead of stderr; this
 * file knows nothing of what it is.
 */
#include "prodd/log.h"
#include "prodd/strutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

enum log_level log_level_current = LOG_LVL_INFO;
static enum log_format log_format_current = LOG_FORMAT_JSON;
static log_sink_fn log_sink;

static const char *const log_level_names[] = {
	"error", "warn", "notice", "info", "debug",
};

void
log_set_level(enum log_level level)
{
	log_level_current = level;
}

void
log_set_format(enum log_format format)
{
	log_format_current = format;
}

void
log_set_sink(log_sink_fn fn)
{
	log_sink = fn;
}

int
log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof log_level_names / sizeof *log_level_names; i++)
		if (strcasecmp(s, log_level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "warning") == 0)
		return LOG_LVL_WARN;
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof log_level_names / sizeof *log_level_names)
		return "unknown";
	return log_level_names[level];
}

int
log_format_parse(const char *s)
{
	if (strcasecmp(s, "json") == 0)
		return LOG_FORMAT_JSON;
	if (strcasecmp(s, "text") == 0)
		return LOG_FORMAT_TEXT;
	if (strcasecmp(s, "journal") == 0)
		return LOG_FORMAT_JOURNAL;
	if (strcasecmp(s, "auto") == 0)
		return LOG_FORMAT_AUTO;
	return -1;
}

void
log_format_time(char *buf, unsigned long size, long long epoch_ms)
{
	time_t secs = (time_t)(epoch_ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(epoch_ms % 1000));
}

long long
clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
log_emit(enum log_level level, const char *service, const char *metadata,
    const char *fmt, ...)
{
	struct strbuf msg = { 0 }, line = { 0 };
	char when[40];
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (log_sink != NULL &&
	    log_sink(level, service, metadata, msg.buf ? msg.buf : "") == 0) {
		sb_free(&msg);
		return;
	}
	log_format_time(when, sizeof when, clock_wall_ms());

	if (log_format_current == LOG_FORMAT_TEXT) {
		sb_printf(&line, "%s %-6s ", when, log_level_name(level));
		if (service != NULL)
			sb_printf(&line, "[%s] ", service);
		/* the readable form: the message says it; metadata is for
		 * machines, which read the JSON form */
		sb_append(&line, msg.buf ? msg.buf : "", msg.len);
	} else {
		sb_printf(&line, "{\"timestamp\":\"%s\",\"level\":\"%s\","
		    "\"service\":", when, log_level_name(level));
		if (service != NULL)
			sb_json_str(&line, service, strlen(service));
		else
			sb_puts(&line, "null");
		sb_puts(&line, ",\"message\":");
		sb_json_str(&line, msg.buf ? msg.buf : "", msg.len);
		sb_printf(&line, ",\"metadata\":%s}", metadata ? metadata : "{}");
	}
	sb_putc(&line, '\n');
	if (write(STDERR_FILENO, line.buf, line.len) < 0) {
		/* nowhere left to report it */
	}
	sb_free(&msg);
	sb_free(&line);
}
