/*
 * /proc text parsers (see procfs.h). /proc/PID/stat puts the command name
 * in parentheses, and the name itself may hold spaces and ')', so fields
 * are counted from the LAST ')' of the line.
 */
#include "prodd/procfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int
procfs_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	while (s < end && *s == ' ')
		s++;
	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	while (s < end && *s >= '0' && *s <= '9') {
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

static int
procfs_i64(const char **p, const char *end, int64_t *out)
{
	const char *s = *p;
	uint64_t v;
	int neg = 0;

	while (s < end && *s == ' ')
		s++;
	if (s < end && *s == '-') {
		neg = 1;
		s++;
	}
	if (procfs_u64(&s, end, &v) < 0)
		return -EINVAL;
	*p = s;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

int
procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *st)
{
	const char *end = buf + len, *open, *close = NULL, *p;
	int64_t f[52];
	uint64_t u;
	size_t clen;

	memset(st, 0, sizeof *st);
	for (p = buf; p < end; p++)
		if (*p == ')')
			close = p;
	open = memchr(buf, '(', len);
	if (open == NULL || close == NULL || close < open)
		return -EINVAL;
	p = buf;
	if (procfs_u64(&p, open, &u) < 0)
		return -EINVAL;
	st->pid = (int)u;
	clen = (size_t)(close - open - 1);
	if (clen >= sizeof st->comm)
		clen = sizeof st->comm - 1;
	memcpy(st->comm, open + 1, clen);
	p = close + 1;
	while (p < end && *p == ' ')
		p++;
	if (p >= end)
		return -EINVAL;
	st->state = *p++;
	/* fields 4.. (1-based, as proc(5) numbers them): read through 24 */
	for (int i = 4; i <= 24; i++)
		if (procfs_i64(&p, end, &f[i]) < 0)
			return -EINVAL;
	st->ppid = (int)f[4];
	st->pgrp = (int)f[5];
	st->session = (int)f[6];
	st->utime = (uint64_t)f[14];
	st->stime = (uint64_t)f[15];
	st->num_threads = f[20];
	st->starttime = (uint64_t)f[22];
	st->vsize = (uint64_t)f[23];
	st->rss_pages = f[24];
	return 0;
}

size_t
procfs_parse_pids(const char *buf, size_t len, int *pids, size_t max)
{
	const char *p = buf, *end = buf + len;
	size_t n = 0;
	uint64_t v;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\n'))
			p++;
		if (p >= end || procfs_u64(&p, end, &v) < 0)
			break;
		if (n < max)
			pids[n] = (int)v;
		n++;
	}
	return n;
}
