/*
 * /proc text parsers (see procfs.h). /proc/PID/stat puts the command name
 * in parentheses, and the name itself may hold spaces and ')', so fields
 * are counted from the LAST ')' of the line.
 *
 * Every read is bounded by end = buf + len. Numbers are read by hand (the
 * buffer is not a C string), checked for overflow, and must be followed,
 * before end, by a blank or '\n': digits that reach end may have been cut.
 * In the multi-line files only lines ending in '\n' are read.
 */
#include "prodd/procfs.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* Whether c is a blank inside a line. */
static bool
procfs_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether c may end a number or a word. */
static bool
procfs_delim(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static bool
procfs_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The first byte at or after s that is not a blank (or end). */
static const char *
procfs_skip(const char *s, const char *end)
{
	while (s < end && procfs_blank(*s))
		s++;
	return s;
}

/* Reads the digits at s into *out. Returns the byte after them, or NULL
 * when there is no digit or the value overflows. */
static const char *
procfs_digits(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0, d;

	if (s >= end || !procfs_digit(*s))
		return NULL;
	for (; s < end && procfs_digit(*s); s++) {
		d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*out = v;
	return s;
}

/* Reads an optionally negative number after blanks at *p; it must end
 * before end at a blank or '\n'. Returns 0 (and moves *p past it), or
 * -EINVAL. */
static int
procfs_num(const char **p, const char *end, bool *neg, uint64_t *mag)
{
	const char *s = procfs_skip(*p, end);
	bool minus = false;
	uint64_t v;

	if (s < end && *s == '-') {
		minus = true;
		s++;
	}
	s = procfs_digits(s, end, &v);
	if (s == NULL || s >= end || !procfs_delim(*s))
		return -EINVAL;
	*neg = minus;
	*mag = v;
	*p = s;
	return 0;
}

/* As procfs_num, for a number that is never negative. Returns 0, or
 * -EINVAL. */
static int
procfs_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v;
	bool neg;

	if (procfs_num(&s, end, &neg, &v) < 0 || neg)
		return -EINVAL;
	*out = v;
	*p = s;
	return 0;
}

/* The value of a sign and a magnitude as an int64_t. Returns 0, or -EINVAL
 * when out of range. */
static int
procfs_signed(bool neg, uint64_t v, int64_t *out)
{
	if (!neg) {
		if (v > (uint64_t)INT64_MAX)
			return -EINVAL;
		*out = (int64_t)v;
	} else if (v == (uint64_t)INT64_MAX + 1) {
		*out = INT64_MIN;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return -EINVAL;
		*out = -(int64_t)v;
	}
	return 0;
}

/* Reads a decimal such as "12.34" after blanks at *p, ending at a blank or
 * '\n' before end. Exact to the double nearest the text (as strtod) within
 * its bounds: at most 2^53 as digits without the point, at most 22
 * decimals. Returns 0, or -EINVAL. */
static int
procfs_decimal(const char **p, const char *end, double *out)
{
	const char *s = procfs_skip(*p, end);
	uint64_t m = 0, d;
	double scale = 1;
	int ndig = 0, nfrac = 0;
	bool dot = false;

	for (; s < end; s++) {
		if (*s == '.' && !dot && ndig > 0) {
			dot = true;
			continue;
		}
		if (!procfs_digit(*s))
			break;
		d = (uint64_t)(*s - '0');
		if (m > (UINT64_MAX - d) / 10)
			return -EINVAL;
		m = m * 10 + d;
		ndig++;
		if (dot)
			nfrac++;
	}
	if (ndig == 0 || (dot && nfrac == 0) || s >= end || !procfs_delim(*s))
		return -EINVAL;
	if (m > (uint64_t)1 << 53 || nfrac > 22)
		return -EINVAL;
	for (int i = 0; i < nfrac; i++)
		scale *= 10;
	*out = (double)m / scale;
	*p = s;
	return 0;
}

/* The next complete line at *p: [*line, *lend) includes its '\n'. Returns
 * false at the end, or when what is left has no '\n' (it may be cut). */
static bool
procfs_line(const char **p, const char *end, const char **line,
    const char **lend)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	if (nl == NULL)
		return false;
	*line = *p;
	*lend = nl + 1;
	*p = nl + 1;
	return true;
}

/* If the line [s, lend) starts with key, the byte after it; else NULL. */
static const char *
procfs_key(const char *s, const char *lend, const char *key)
{
	size_t n = strlen(key);

	if ((size_t)(lend - s) < n || memcmp(s, key, n) != 0)
		return NULL;
	return s + n;
}

/* Reads "N kB" at s into bytes. Returns 0, or -EINVAL (also on overflow). */
static int
procfs_kb(const char *s, const char *lend, uint64_t *bytes)
{
	uint64_t kb;

	if (procfs_u64(&s, lend, &kb) < 0 || kb > UINT64_MAX / 1024)
		return -EINVAL;
	s = procfs_skip(s, lend);
	if (lend - s < 3 || s[0] != 'k' || s[1] != 'B' || !procfs_delim(s[2]))
		return -EINVAL;
	*bytes = kb * 1024;
	return 0;
}

/* Copies the word [s, e) into a name of size 32. Returns 0, or -EINVAL
 * when it is empty, too long, or holds a NUL (which would cut the name
 * short, or leave it empty). */
static int
procfs_name(char name[32], const char *s, const char *e)
{
	size_t n = (size_t)(e - s);

	if (n == 0 || n >= 32 || memchr(s, '\0', n) != NULL)
		return -EINVAL;
	memcpy(name, s, n);
	name[n] = '\0';
	return 0;
}

/* a + b, or UINT64_MAX when that overflows. */
static uint64_t
procfs_sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int
procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *st)
{
	const char *end = buf + len, *open, *close = NULL, *p;
	struct procfs_stat r;
	int64_t f[25];
	uint64_t u[25];
	bool neg[25];
	size_t clen;

	memset(st, 0, sizeof *st);
	memset(&r, 0, sizeof r);
	for (p = buf; p < end; p++)
		if (*p == ')')
			close = p;
	/* "PID (": the first '(' is the one after the pid */
	p = buf;
	if (procfs_u64(&p, end, &u[1]) < 0 || u[1] > INT_MAX ||
	    end - p < 2 || p[0] != ' ' || p[1] != '(')
		return -EINVAL;
	open = p + 1;
	/* then ") S " */
	if (close == NULL || close < open || end - close < 4 ||
	    close[1] != ' ' || close[3] != ' ')
		return -EINVAL;
	r.pid = (int)u[1];
	clen = (size_t)(close - open - 1);
	if (clen >= sizeof r.comm)
		clen = sizeof r.comm - 1;
	memcpy(r.comm, open + 1, clen);
	r.state = close[2];
	/* fields 4.. (1-based, as proc(5) numbers them): read through 24;
	 * 14, 15, 22 and 23 are unsigned, the others signed */
	p = close + 3;
	for (int i = 4; i <= 24; i++) {
		if (procfs_num(&p, end, &neg[i], &u[i]) < 0)
			return -EINVAL;
		if (i == 14 || i == 15 || i == 22 || i == 23) {
			if (neg[i])
				return -EINVAL;
		} else if (procfs_signed(neg[i], u[i], &f[i]) < 0) {
			return -EINVAL;
		}
	}
	for (int i = 4; i <= 6; i++)
		if (f[i] < INT_MIN || f[i] > INT_MAX)
			return -EINVAL;
	r.ppid = (int)f[4];
	r.pgrp = (int)f[5];
	r.session = (int)f[6];
	r.utime = u[14];
	r.stime = u[15];
	r.num_threads = f[20];
	r.starttime = u[22];
	r.vsize = u[23];
	r.rss_pages = f[24];
	*st = r;
	return 0;
}

size_t
procfs_parse_pids(const char *buf, size_t len, int *pids, size_t max)
{
	const char *p = buf, *end = buf + len;
	size_t n = 0;
	uint64_t v;

	/* the kernel ends every pid with a space; a last one without it is
	 * still taken, as callers may trim */
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\n'))
			p++;
		if (p >= end)
			break;
		p = procfs_digits(p, end, &v);
		if (p == NULL || v > INT_MAX || (p < end && *p != ' ' &&
		    *p != '\n'))
			break;
		if (n < max)
			pids[n] = (int)v;
		n++;
	}
	return n;
}

uint64_t
procfs_cpu_busy(const struct procfs_cpu *c)
{
	uint64_t v = c->user;

	v = procfs_sat_add(v, c->nice);
	v = procfs_sat_add(v, c->system);
	v = procfs_sat_add(v, c->irq);
	v = procfs_sat_add(v, c->softirq);
	return procfs_sat_add(v, c->steal);
}

uint64_t
procfs_cpu_total(const struct procfs_cpu *c)
{
	uint64_t v = procfs_cpu_busy(c);

	v = procfs_sat_add(v, c->idle);
	return procfs_sat_add(v, c->iowait);
}

/* Reads the numbers of a "cpu" line from s (after the name) to lend.
 * Returns 0, or -EINVAL when fewer than 4 or one is malformed. */
static int
procfs_cpu_line(const char *s, const char *lend, struct procfs_cpu *c)
{
	uint64_t f[8] = { 0 };
	int n;

	for (n = 0; n < 8; n++) {
		s = procfs_skip(s, lend);
		if (s < lend && *s == '\n')
			break;
		if (procfs_u64(&s, lend, &f[n]) < 0)
			return -EINVAL;
	}
	if (n < 4)
		return -EINVAL;
	c->user = f[0];
	c->nice = f[1];
	c->system = f[2];
	c->idle = f[3];
	c->iowait = f[4];
	c->irq = f[5];
	c->softirq = f[6];
	c->steal = f[7];
	return 0;
}

int
procfs_parse_cpustat(const char *buf, size_t len, struct procfs_cpu *total,
    struct procfs_cpu *cpus, size_t max, size_t *ncpus)
{
	const char *p = buf, *end = buf + len, *line, *lend, *s;
	struct procfs_cpu c;
	bool seen = false;
	uint64_t id;

	memset(total, 0, sizeof *total);
	if (max > 0)
		memset(cpus, 0, max * sizeof *cpus);
	*ncpus = 0;
	while (procfs_line(&p, end, &line, &lend)) {
		if ((s = procfs_key(line, lend, "cpu")) == NULL)
			continue;
		if (procfs_blank(*s)) {
			if (!seen && procfs_cpu_line(s, lend, total) == 0)
				seen = true;
			continue;
		}
		/* "cpuN ", N an int as the kernel's cpu numbers */
		s = procfs_digits(s, lend, &id);
		if (s == NULL || !procfs_blank(*s) || id >= INT_MAX ||
		    procfs_cpu_line(s, lend, &c) < 0)
			continue;
		if (id < max)
			cpus[id] = c;
		if (id + 1 > *ncpus)
			*ncpus = (size_t)id + 1;
	}
	return seen ? 0 : -EINVAL;
}

int
procfs_parse_meminfo(const char *buf, size_t len, struct procfs_meminfo *m)
{
	static const char *const keys[] = { "MemTotal:", "MemFree:",
		"MemAvailable:", "Buffers:", "Cached:", "SwapTotal:",
		"SwapFree:" };
	const char *p = buf, *end = buf + len, *line, *lend, *s;
	uint64_t v[7] = { 0 };
	unsigned seen = 0;

	memset(m, 0, sizeof *m);
	while (procfs_line(&p, end, &line, &lend))
		for (size_t i = 0; i < 7; i++)
			if ((s = procfs_key(line, lend, keys[i])) != NULL) {
				if (procfs_kb(s, lend, &v[i]) == 0)
					seen |= 1u << i;
				break;
			}
	/* all but MemAvailable (keys[2]) are required */
	if ((seen | 1u << 2) != 0x7f)
		return -EINVAL;
	m->total = v[0];
	m->free = v[1];
	m->buffers = v[3];
	m->cached = v[4];
	m->swap_total = v[5];
	m->swap_free = v[6];
	m->has_available = (seen & 1u << 2) != 0;
	if (m->has_available) {
		m->available = v[2];
	} else {
		if (v[1] > UINT64_MAX - v[3] ||
		    v[1] + v[3] > UINT64_MAX - v[4]) {
			memset(m, 0, sizeof *m);
			return -EINVAL;
		}
		m->available = v[1] + v[3] + v[4];
	}
	return 0;
}

int
procfs_parse_loadavg(const char *buf, size_t len, struct procfs_loadavg *l)
{
	const char *p = buf, *end = buf + len;
	struct procfs_loadavg r;
	uint64_t run, tot;

	memset(l, 0, sizeof *l);
	if (procfs_decimal(&p, end, &r.load1) < 0 ||
	    procfs_decimal(&p, end, &r.load5) < 0 ||
	    procfs_decimal(&p, end, &r.load15) < 0)
		return -EINVAL;
	/* "running/total " */
	p = procfs_digits(procfs_skip(p, end), end, &run);
	if (p == NULL || p >= end || *p != '/')
		return -EINVAL;
	p = procfs_digits(p + 1, end, &tot);
	if (p == NULL || p >= end || !procfs_delim(*p) || run > INT_MAX ||
	    tot > INT_MAX)
		return -EINVAL;
	r.running = (int)run;
	r.total = (int)tot;
	*l = r;
	return 0;
}

int
procfs_parse_uptime(const char *buf, size_t len, double *uptime_s,
    double *idle_s)
{
	const char *p = buf, *end = buf + len;
	double up, idle;

	*uptime_s = 0;
	if (idle_s != NULL)
		*idle_s = 0;
	if (procfs_decimal(&p, end, &up) < 0 ||
	    procfs_decimal(&p, end, &idle) < 0)
		return -EINVAL;
	*uptime_s = up;
	if (idle_s != NULL)
		*idle_s = idle;
	return 0;
}

size_t
procfs_parse_netdev(const char *buf, size_t len, struct procfs_netdev *out,
    size_t max)
{
	const char *p = buf, *end = buf + len, *line, *lend, *s, *colon;
	struct procfs_netdev d;
	uint64_t f[16];
	size_t n = 0;
	int i;

	/* two header lines */
	if (!procfs_line(&p, end, &line, &lend) ||
	    !procfs_line(&p, end, &line, &lend))
		return 0;
	while (procfs_line(&p, end, &line, &lend)) {
		s = procfs_skip(line, lend);
		/* the name: no blank, up to the first ':' */
		for (colon = s; *colon != ':' && !procfs_delim(*colon); colon++)
			;
		if (*colon != ':')
			continue;
		memset(&d, 0, sizeof d);
		if (procfs_name(d.name, s, colon) < 0)
			continue;
		s = colon + 1;
		for (i = 0; i < 16; i++)
			if (procfs_u64(&s, lend, &f[i]) < 0)
				break;
		if (i < 16)
			continue;
		d.rx_bytes = f[0];
		d.rx_packets = f[1];
		d.rx_errs = f[2];
		d.rx_drop = f[3];
		d.tx_bytes = f[8];
		d.tx_packets = f[9];
		d.tx_errs = f[10];
		d.tx_drop = f[11];
		if (n < max)
			out[n] = d;
		n++;
	}
	return n;
}

size_t
procfs_parse_diskstats(const char *buf, size_t len, struct procfs_disk *out,
    size_t max)
{
	const char *p = buf, *end = buf + len, *line, *lend, *s, *e;
	struct procfs_disk d;
	uint64_t maj, min, f[11], v;
	size_t n = 0, nf;

	while (procfs_line(&p, end, &line, &lend)) {
		s = line;
		if (procfs_u64(&s, lend, &maj) < 0 || maj > UINT_MAX ||
		    procfs_u64(&s, lend, &min) < 0 || min > UINT_MAX)
			continue;
		s = procfs_skip(s, lend);
		for (e = s; !procfs_delim(*e); e++)
			;
		memset(&d, 0, sizeof d);
		if (procfs_name(d.name, s, e) < 0)
			continue;
		/* the numbers after the name, all well-formed, counted */
		for (s = e, nf = 0;; nf++) {
			s = procfs_skip(s, lend);
			if (*s == '\n' || procfs_u64(&s, lend, &v) < 0)
				break;
			if (nf < 11)
				f[nf] = v;
		}
		nf += 3;
		if (*s != '\n' || (nf != 14 && nf != 18 && nf < 20))
			continue;
		d.major = (unsigned)maj;
		d.minor = (unsigned)min;
		d.reads = f[0];
		d.sectors_read = f[2];
		d.writes = f[4];
		d.sectors_written = f[6];
		if (n < max)
			out[n] = d;
		n++;
	}
	return n;
}

int
procfs_parse_status(const char *buf, size_t len, struct procfs_status *st)
{
	static const char *const kb_keys[] = { "VmRSS:", "RssAnon:",
		"RssFile:", "RssShmem:", "VmSwap:" };
	const char *p = buf, *end = buf + len, *line, *lend, *s;
	int64_t *kb_fields[] = { &st->vm_rss, &st->rss_anon, &st->rss_file,
		&st->rss_shmem, &st->vm_swap };
	uint64_t v;

	st->vm_rss = st->rss_anon = st->rss_file = st->rss_shmem = -1;
	st->vm_swap = st->threads = st->uid = -1;
	while (procfs_line(&p, end, &line, &lend)) {
		if ((s = procfs_key(line, lend, "Threads:")) != NULL) {
			if (procfs_u64(&s, lend, &v) == 0 &&
			    v <= (uint64_t)INT64_MAX)
				st->threads = (int64_t)v;
			continue;
		}
		if ((s = procfs_key(line, lend, "Uid:")) != NULL) {
			if (procfs_u64(&s, lend, &v) == 0 && v <= UINT32_MAX)
				st->uid = (int64_t)v;
			continue;
		}
		for (size_t i = 0; i < 5; i++)
			if ((s = procfs_key(line, lend, kb_keys[i])) != NULL) {
				if (procfs_kb(s, lend, &v) == 0 &&
				    v <= (uint64_t)INT64_MAX)
					*kb_fields[i] = (int64_t)v;
				break;
			}
	}
	return st->threads >= 0 && st->uid >= 0 ? 0 : -EINVAL;
}

int
procfs_parse_io(const char *buf, size_t len, struct procfs_io *io)
{
	static const char *const keys[] = { "rchar:", "wchar:", "read_bytes:",
		"write_bytes:", "cancelled_write_bytes:" };
	const char *p = buf, *end = buf + len, *line, *lend, *s;
	uint64_t *fields[] = { &io->rchar, &io->wchar, &io->read_bytes,
		&io->write_bytes, &io->cancelled_write_bytes };
	unsigned seen = 0;

	memset(io, 0, sizeof *io);
	while (procfs_line(&p, end, &line, &lend))
		for (size_t i = 0; i < 5; i++)
			if ((s = procfs_key(line, lend, keys[i])) != NULL) {
				if (procfs_u64(&s, lend, fields[i]) == 0)
					seen |= 1u << i;
				break;
			}
	if (seen != 0x1f) {
		memset(io, 0, sizeof *io);
		return -EINVAL;
	}
	return 0;
}
