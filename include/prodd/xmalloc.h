/*
 * Allocation that cannot fail: every function here aborts the program with a
 * message when memory runs out, so callers never check for NULL. A
 * supervisor that cannot allocate cannot supervise; systemd's Restart= (or
 * the operator) brings it back.
 */
#ifndef PRODD_XMALLOC_H
#define PRODD_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
