/*
 * Whole-file reading with a size bound, for configuration and env files.
 */
#ifndef PRODD_FILEIO_H
#define PRODD_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Read at most max bytes of path into a new NUL-terminated buffer (*buf,
 * *len). *total is the file's full size, which may exceed max (the caller
 * decides whether that is an error). Returns 0, or -errno with a message in
 * why ("cannot open: No such file or directory").
 */
int file_read_bounded(const char *path, size_t max, char **buf, size_t *len,
    size_t *total, char *why, size_t whylen);

/*
 * mkdir -p: create dir and any missing parent with mode. Returns 0 (also
 * when it exists), or -errno. One mkdir when the parent is there.
 */
int file_mkdirs(const char *dir, mode_t mode);

#endif
