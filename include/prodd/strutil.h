/*
 * Small string helpers shared by every program: a growable buffer, JSON
 * string escaping, edit distance (for "did you mean"), and UTF-8 checking.
 */
#ifndef PRODD_STRUTIL_H
#define PRODD_STRUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* A growable, always NUL-terminated byte buffer. Zero-initialise to use. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

void sb_append(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Append s (n bytes) as a quoted JSON string; invalid UTF-8 becomes U+FFFD. */
void sb_json_str(struct strbuf *sb, const char *s, size_t n);
/* Empty sb, keeping its memory for what comes next. */
void sb_reset(struct strbuf *sb);
/* Hand the buffer to the caller (never NULL) and reset sb. */
char *sb_steal(struct strbuf *sb);
void sb_free(struct strbuf *sb);

/* Levenshtein distance between a and b, stopping early past max. */
size_t str_edit_distance(const char *a, const char *b, size_t max);
/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/* Offset of the first invalid UTF-8 byte in s, or n when it is all valid. */
size_t utf8_first_invalid(const char *s, size_t n);

#endif
