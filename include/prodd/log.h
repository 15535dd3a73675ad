/*
 * prodd's own log: one JSON object per line on stderr
 * ({"timestamp","level","service","message","metadata"}), or one readable
 * line with LOG_FORMAT_TEXT, or, when a sink is set (the journal, from the
 * daemon: log_set_sink), handed to it instead. The level is checked in the
 * macro, before any argument is evaluated, so disabled debug logging costs
 * one comparison.
 */
#ifndef PRODD_LOG_H
#define PRODD_LOG_H

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

enum log_format {
	LOG_FORMAT_JSON = 0,
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JOURNAL,	/* a sink does the writing (log_set_sink) */
	LOG_FORMAT_AUTO,	/* the journal when stderr is it, else JSON */
};

/*
 * Where a record goes instead of stderr: the level, the service (or
 * NULL), the metadata (a JSON object's text, or NULL) and the formatted
 * message. Returns 0 when the record was taken; anything else and the
 * record is written to stderr as usual (never both).
 */
typedef int (*log_sink_fn)(enum log_level level, const char *service,
    const char *metadata, const char *message);

extern enum log_level log_level_current;

void log_set_level(enum log_level level);
/* JSON or TEXT: the form of what goes to stderr. */
void log_set_format(enum log_format format);
/* Every record to fn from now on (NULL: back to stderr). */
void log_set_sink(log_sink_fn fn);
/* Parse "error|warn|notice|info|debug"; -1 when unknown. */
int log_level_parse(const char *s);
const char *log_level_name(enum log_level level);
/* Parse "auto|json|text|journal"; -1 when unknown. */
int log_format_parse(const char *s);

/*
 * Write one record. service may be NULL; metadata, when not NULL, must be
 * the text of a JSON object and is embedded as it is.
 */
void log_emit(enum log_level level, const char *service, const char *metadata,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_at(lvl, svc, meta, ...)                                        \
	do {                                                               \
		if ((lvl) <= log_level_current)                            \
			log_emit((lvl), (svc), (meta), __VA_ARGS__);       \
	} while (0)

#define log_error(svc, ...)  log_at(LOG_LVL_ERROR, svc, NULL, __VA_ARGS__)
#define log_warn(svc, ...)   log_at(LOG_LVL_WARN, svc, NULL, __VA_ARGS__)
#define log_notice(svc, ...) log_at(LOG_LVL_NOTICE, svc, NULL, __VA_ARGS__)
#define log_info(svc, ...)   log_at(LOG_LVL_INFO, svc, NULL, __VA_ARGS__)
#define log_debug(svc, ...)  log_at(LOG_LVL_DEBUG, svc, NULL, __VA_ARGS__)

/* Milliseconds of the wall clock (epoch), and of the monotonic clock. */
long long clock_wall_ms(void);
long long clock_mono_ms(void);

/* Format an RFC 3339 UTC timestamp with milliseconds ("...T09:00:01.123Z"). */
void log_format_time(char *buf, unsigned long size, long long epoch_ms);

#endif
