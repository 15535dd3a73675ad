/*
 * Bounded whole-file reads (see fileio.h). Reading stops at the bound, so
 * a huge or endless file (a FIFO, /dev/zero) costs at most max bytes.
 */
#include "prodd/fileio.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
file_read_bounded(const char *path, size_t max, char **bufp, size_t *lenp,
    size_t *totalp, char *why, size_t whylen)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		e = errno;
		snprintf(why, whylen, "cannot open: %s", strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		e = S_ISDIR(st.st_mode) ? EISDIR : errno;
		snprintf(why, whylen, "cannot read: %s", strerror(e));
		close(fd);
		return -e;
	}
	buf = xmalloc(max + 2);
	while (len <= max) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			snprintf(why, whylen, "cannot read: %s", strerror(e));
			close(fd);
			free(buf);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*totalp = S_ISREG(st.st_mode) && (size_t)st.st_size > len ?
	    (size_t)st.st_size : len;
	if (len > max)
		len = max;
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
file_mkdirs(const char *dir, mode_t mode)
{
	char *p, *s;
	int rc = 0;

	if (mkdir(dir, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -errno;
	/* A parent is missing: create the chain from the top. */
	s = xstrdup(dir);
	for (p = s + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(s, mode) != 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*p = '/';
	}
	if (rc == 0 && mkdir(s, mode) != 0 && errno != EEXIST)
		rc = -errno;
	free(s);
	return rc;
}
