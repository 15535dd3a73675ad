/*
 * Small helpers for prodd-demo: output through write(2), so every message
 * reaches a pipe as one whole line at once no matter how stdio is buffered
 * or whether the reader is slow; the clocks (uptime since start, monotonic
 * milliseconds); the role's name and the HTTP Date header. Buffers,
 * allocation and JSON escaping come from common/ (strutil.h, xmalloc.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"

static uint64_t demo_start_ns;

/*
 * Returns 0 or a negative errno. A non-blocking descriptor (a supervisor may
 * hand us such a pipe) is waited on with poll so a full pipe slows us down
 * instead of dropping half a line.
 */
int
demo_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };

				(void)poll(&pfd, 1, -1);
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void
demo_say(int fd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	(void)demo_write_all(fd, line, (size_t)n);
}

void
demo_set_start(uint64_t hrtime_ns)
{
	demo_start_ns = hrtime_ns;
}

uint64_t
demo_now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

double
demo_uptime_s(void)
{
	return (double)(uv_hrtime() - demo_start_ns) / 1e9;
}

const char *
demo_role_name(enum demo_role role)
{
	switch (role) {
	case DEMO_ROLE_SEARCH:
		return "search";
	case DEMO_ROLE_RAG:
		return "rag";
	case DEMO_ROLE_ANALYTICS:
		return "analytics";
	}
	return "search";
}

void
demo_http_date(char *out, size_t outsz)
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(out, outsz, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		snprintf(out, outsz, "Thu, 01 Jan 1970 00:00:00 GMT");
}
