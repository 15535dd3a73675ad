/*
 * Durations, sizes and shell-like word splitting, as services.yaml writes
 * them. Pure functions over strings; every one returns 0 or a negative errno
 * (-EINVAL for bad syntax, -ERANGE for a value that does not fit).
 */
#ifndef PRODD_UNITS_H
#define PRODD_UNITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A duration in milliseconds. A bare number is seconds ("60", "1.5");
 * otherwise one or more number+unit parts with units ms, s, m, h, d
 * ("250ms", "1.5s", "1m30s"). Negative values are refused.
 */
int units_parse_duration(const char *s, int64_t *ms);

/* A size in bytes: a number with an optional K, M, G or T (powers of 1024;
 * "KB", "KiB" and lower case are accepted too), e.g. "10M", "1.5G", "4096". */
int units_parse_size(const char *s, int64_t *bytes);

/* Render ms as the shortest exact form ("250ms", "5s", "5m", "1h30m"). */
void units_format_duration(int64_t ms, char *buf, size_t size);
/* Render bytes as the shortest exact form ("10M", "1536K", "100"). */
void units_format_size(int64_t bytes, char *buf, size_t size);

/*
 * Split a command line into words like a POSIX shell does, without running
 * one or expanding anything: blanks separate words; 'single quotes' keep
 * everything; "double quotes" keep everything but \" \\ \$ \` and
 * backslash-newline; an unquoted backslash escapes the next character.
 * On success *argv is a NULL-terminated array (free with units_argv_free)
 * and *argc its length. On -EINVAL, *errpos is the offset of the problem and
 * *why says what it is.
 */
int units_split_command(const char *s, char ***argv, size_t *argc,
    size_t *errpos, const char **why);
void units_argv_free(char **argv);

#endif
