/*
 * Unit tests of the /proc parsers (procfs.c) on the files under
 * tests/fixtures/proc: copies of this machine's /proc files, and
 * hand-written ones (a 64-cpu /proc/stat with gaps, an old kernel's, a
 * meminfo without MemAvailable, a net/dev with "eth0:1234" glued, mixed
 * diskstats, hostile process names). Every buffer handed to a parser is a
 * malloc'd copy of exactly len bytes, so ASan catches any read past len;
 * every prefix of every fixture either fails or gives the complete records
 * of the whole file, never a wrong value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/procfs.h"

static const char *fixtures = "tests/fixtures";

static const char *const all_fixtures[] = {
	"stat", "meminfo", "loadavg", "uptime", "net_dev", "diskstats",
	"status", "io", "pid_stat", "stat_64cpu_gaps", "stat_old_kernel",
	"meminfo_no_available", "net_dev_glued", "diskstats_mixed",
	"pid_stat_parens", "pid_stat_newline",
};

#define NFIXTURES (sizeof all_fixtures / sizeof all_fixtures[0])
#define KB(n) ((uint64_t)(n) * 1024)

/* A malloc'd copy of exactly n bytes of b (no NUL after them). */
static char *
exact(const char *b, size_t n)
{
	char *p = malloc(n > 0 ? n : 1);

	assert_non_null(p);
	if (n > 0)
		memcpy(p, b, n);
	return p;
}

/* The fixture tests/fixtures/proc/NAME in a buffer of exactly *len bytes. */
static char *
load(const char *name, size_t *len)
{
	char path[512], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof path, "%s/proc/%s", fixtures, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* ------------------------------------------------------------------ */
/* parsers on a string, through an exact copy */

static int
cpustat_s(const char *s, struct procfs_cpu *total, struct procfs_cpu *cpus,
    size_t max, size_t *ncpus)
{
	char *b = exact(s, strlen(s));
	int rc = procfs_parse_cpustat(b, strlen(s), total, cpus, max, ncpus);

	free(b);
	return rc;
}

static int
meminfo_s(const char *s, struct procfs_meminfo *m)
{
	char *b = exact(s, strlen(s));
	int rc = procfs_parse_meminfo(b, strlen(s), m);

	free(b);
	return rc;
}

static int
loadavg_s(const char *s, struct procfs_loadavg *l)
{
	char *b = exact(s, strlen(s));
	int rc = procfs_parse_loadavg(b, strlen(s), l);

	free(b);
	return rc;
}

static int
uptime_s(const char *s, double *up, double *idle)
{
	char *b = exact(s, strlen(s));
	int rc = procfs_parse_uptime(b, strlen(s), up, idle);

	free(b);
	return rc;
}

static int
status_s(const char *s, struct procfs_status *st)
{
	char *b = exact(s, strlen(s));
	int rc = procfs_parse_status(b, strlen(s), st);

	free(b);
	return rc;
}

static int
io_s(const char *s, struct procfs_io *io)
{
	char *b = exact(s, strlen(s));
	int rc = procfs_parse_io(b, strlen(s), io);

	free(b);
	return rc;
}

static int
stat_s(const char *s, struct procfs_stat *st)
{
	char *b = exact(s, strlen(s));
	int rc = procfs_parse_stat(b, strlen(s), st);

	free(b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* equality of records */

static int
cpu_eq(const struct procfs_cpu *a, const struct procfs_cpu *b)
{
	return a->user == b->user && a->nice == b->nice &&
	    a->system == b->system && a->idle == b->idle &&
	    a->iowait == b->iowait && a->irq == b->irq &&
	    a->softirq == b->softirq && a->steal == b->steal;
}

static int
cpu_zero(const struct procfs_cpu *a)
{
	static const struct procfs_cpu z;

	return cpu_eq(a, &z);
}

static int
meminfo_eq(const struct procfs_meminfo *a, const struct procfs_meminfo *b)
{
	return a->total == b->total && a->free == b->free &&
	    a->available == b->available && a->buffers == b->buffers &&
	    a->cached == b->cached && a->swap_total == b->swap_total &&
	    a->swap_free == b->swap_free &&
	    a->has_available == b->has_available;
}

static int
netdev_eq(const struct procfs_netdev *a, const struct procfs_netdev *b)
{
	return strcmp(a->name, b->name) == 0 && a->rx_bytes == b->rx_bytes &&
	    a->rx_packets == b->rx_packets && a->rx_errs == b->rx_errs &&
	    a->rx_drop == b->rx_drop && a->tx_bytes == b->tx_bytes &&
	    a->tx_packets == b->tx_packets && a->tx_errs == b->tx_errs &&
	    a->tx_drop == b->tx_drop;
}

static int
disk_eq(const struct procfs_disk *a, const struct procfs_disk *b)
{
	return a->major == b->major && a->minor == b->minor &&
	    strcmp(a->name, b->name) == 0 && a->reads == b->reads &&
	    a->sectors_read == b->sectors_read && a->writes == b->writes &&
	    a->sectors_written == b->sectors_written;
}

static int
status_eq(const struct procfs_status *a, const struct procfs_status *b)
{
	return a->vm_rss == b->vm_rss && a->rss_anon == b->rss_anon &&
	    a->rss_file == b->rss_file && a->rss_shmem == b->rss_shmem &&
	    a->vm_swap == b->vm_swap && a->threads == b->threads &&
	    a->uid == b->uid;
}

static int
io_eq(const struct procfs_io *a, const struct procfs_io *b)
{
	return a->rchar == b->rchar && a->wchar == b->wchar &&
	    a->read_bytes == b->read_bytes &&
	    a->write_bytes == b->write_bytes &&
	    a->cancelled_write_bytes == b->cancelled_write_bytes;
}

static int
stat_eq(const struct procfs_stat *a, const struct procfs_stat *b)
{
	return a->pid == b->pid && strcmp(a->comm, b->comm) == 0 &&
	    a->state == b->state && a->ppid == b->ppid && a->pgrp == b->pgrp &&
	    a->session == b->session && a->utime == b->utime &&
	    a->stime == b->stime && a->num_threads == b->num_threads &&
	    a->starttime == b->starttime && a->vsize == b->vsize &&
	    a->rss_pages == b->rss_pages;
}

/* ------------------------------------------------------------------ */
/* /proc/stat */

static void
assert_cpu(const struct procfs_cpu *c, uint64_t user, uint64_t nice,
    uint64_t system, uint64_t idle, uint64_t iowait, uint64_t irq,
    uint64_t softirq, uint64_t steal)
{
	assert_int_equal(c->user, user);
	assert_int_equal(c->nice, nice);
	assert_int_equal(c->system, system);
	assert_int_equal(c->idle, idle);
	assert_int_equal(c->iowait, iowait);
	assert_int_equal(c->irq, irq);
	assert_int_equal(c->softirq, softirq);
	assert_int_equal(c->steal, steal);
}

static void
test_cpustat_real(void **state)
{
	struct procfs_cpu total, cpus[4];
	size_t len, n;
	char *b = load("stat", &len);

	(void)state;
	assert_int_equal(procfs_parse_cpustat(b, len, &total, cpus, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_cpu(&total, 542718, 0, 617808, 1099094, 1162, 0, 13293, 0);
	assert_cpu(&cpus[0], 263008, 0, 307382, 560796, 213, 0, 5416, 0);
	assert_cpu(&cpus[1], 279709, 0, 310426, 538297, 948, 0, 7876, 0);
	assert_true(cpu_zero(&cpus[2]) && cpu_zero(&cpus[3]));
	assert_int_equal(procfs_cpu_busy(&total), 542718 + 617808 + 13293);
	assert_int_equal(procfs_cpu_total(&total),
	    542718 + 617808 + 13293 + 1099094 + 1162);
	/* cpus may be NULL with max 0: only the count */
	assert_int_equal(procfs_parse_cpustat(b, len, &total, NULL, 0, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(total.user, 542718);
	free(b);
}

static void
test_cpustat_64_gaps(void **state)
{
	static const unsigned ids[] = { 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 31, 40,
		62, 63 };
	struct procfs_cpu total, cpus[64], few[8];
	size_t len, n, k = 0;
	char *b = load("stat_64cpu_gaps", &len);

	(void)state;
	assert_int_equal(procfs_parse_cpustat(b, len, &total, cpus, 64, &n), 0);
	assert_int_equal(n, 64);
	assert_cpu(&total, 9000000, 120, 4500000, 80000000, 3000, 200, 7000,
	    50);
	for (unsigned i = 0; i < 64; i++) {
		if (k < sizeof ids / sizeof ids[0] && ids[k] == i) {
			assert_cpu(&cpus[i], 1000 + i, i, 2000 + i, 300000 + i,
			    10 + i, 0, 5 + i, 1);
			k++;
		} else {
			assert_true(cpu_zero(&cpus[i]));	/* a gap */
		}
	}
	assert_int_equal(procfs_cpu_busy(&cpus[63]), 1063 + 63 + 2063 + 68 + 1);
	assert_int_equal(procfs_cpu_total(&cpus[63]),
	    1063 + 63 + 2063 + 68 + 1 + 300063 + 73);
	/* max below the count: stores 8, still counts 64 */
	assert_int_equal(procfs_parse_cpustat(b, len, &total, few, 8, &n), 0);
	assert_int_equal(n, 64);
	assert_cpu(&few[7], 1007, 7, 2007, 300007, 17, 0, 12, 1);
	free(b);
}

static void
test_cpustat_old_kernel(void **state)
{
	struct procfs_cpu total, cpus[4];
	size_t len, n;
	char *b = load("stat_old_kernel", &len);

	(void)state;
	assert_int_equal(procfs_parse_cpustat(b, len, &total, cpus, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_cpu(&total, 12345, 67, 8901, 234567, 0, 0, 0, 0);
	assert_cpu(&cpus[0], 6000, 30, 4400, 117000, 0, 0, 0, 0);
	assert_cpu(&cpus[1], 6345, 37, 4501, 117567, 0, 0, 0, 0);
	assert_int_equal(procfs_cpu_busy(&total), 12345 + 67 + 8901);
	assert_int_equal(procfs_cpu_total(&total), 12345 + 67 + 8901 + 234567);
	free(b);
}

static void
test_cpustat_hostile(void **state)
{
	struct procfs_cpu total, cpus[4];
	struct procfs_cpu big = { UINT64_MAX, 1, 0, 0, 0, 0, 0, 0 };
	size_t n;

	(void)state;
	assert_int_equal(cpustat_s("", &total, cpus, 4, &n), -EINVAL);
	assert_int_equal(cpustat_s("cpu0 1 2 3 4\n", &total, cpus, 4, &n),
	    -EINVAL);
	assert_int_equal(n, 1);
	/* fewer than 4 fields, an overflow, junk: no "cpu " line */
	assert_int_equal(cpustat_s("cpu  1 2 3\n", &total, cpus, 4, &n),
	    -EINVAL);
	assert_int_equal(cpustat_s("cpu  18446744073709551616 2 3 4\n",
	    &total, cpus, 4, &n), -EINVAL);
	assert_int_equal(cpustat_s("cpu  1 2 3 4x\n", &total, cpus, 4, &n),
	    -EINVAL);
	assert_int_equal(cpustat_s("cpu  1 2 -3 4\n", &total, cpus, 4, &n),
	    -EINVAL);
	/* the line must end with '\n': a last line without it may be cut */
	assert_int_equal(cpustat_s("cpu  1 2 3 4 5 6 7 8", &total, cpus, 4,
	    &n), -EINVAL);
	/* the largest value is fine; bad cpuN lines are skipped */
	assert_int_equal(cpustat_s("cpu  18446744073709551615 0 0 0\n"
	    "cpu1 1 1 1\ncpu2x 1 1 1 1\ncpu99999999999 1 1 1 1\n"
	    "cpu3 5 6 7 8\ncpu 9 9 9 9\n", &total, cpus, 4, &n), 0);
	assert_int_equal(total.user, UINT64_MAX);
	assert_int_equal(n, 4);
	assert_true(cpu_zero(&cpus[1]) && cpu_zero(&cpus[2]));
	assert_cpu(&cpus[3], 5, 6, 7, 8, 0, 0, 0, 0);
	/* sums saturate */
	assert_int_equal(procfs_cpu_busy(&big), UINT64_MAX);
	assert_int_equal(procfs_cpu_total(&big), UINT64_MAX);
}

/* ------------------------------------------------------------------ */
/* /proc/meminfo */

static void
test_meminfo_real(void **state)
{
	struct procfs_meminfo m;
	size_t len;
	char *b = load("meminfo", &len);

	(void)state;
	assert_int_equal(procfs_parse_meminfo(b, len, &m), 0);
	assert_int_equal(m.total, KB(24683620));
	assert_int_equal(m.free, KB(24178644));
	assert_true(m.has_available);
	assert_int_equal(m.available, KB(24302124));
	assert_int_equal(m.buffers, KB(2692));
	assert_int_equal(m.cached, KB(301396));
	assert_int_equal(m.swap_total, 0);
	assert_int_equal(m.swap_free, 0);
	free(b);
}

static void
test_meminfo_no_available(void **state)
{
	struct procfs_meminfo m;
	size_t len;
	char *b = load("meminfo_no_available", &len);

	(void)state;
	assert_int_equal(procfs_parse_meminfo(b, len, &m), 0);
	assert_int_equal(m.total, KB(1035264));
	assert_int_equal(m.free, KB(16384));
	assert_false(m.has_available);
	assert_int_equal(m.available, KB(16384 + 65536 + 262144));
	assert_int_equal(m.buffers, KB(65536));
	assert_int_equal(m.cached, KB(262144));	/* not SwapCached */
	assert_int_equal(m.swap_total, KB(2097148));
	assert_int_equal(m.swap_free, KB(2000000));
	free(b);
}

#define MEM_REST "MemFree: 1 kB\nBuffers: 2 kB\nCached: 3 kB\n" \
	"SwapTotal: 4 kB\nSwapFree: 5 kB\n"

static void
test_meminfo_hostile(void **state)
{
	struct procfs_meminfo m;

	(void)state;
	assert_int_equal(meminfo_s(MEM_REST "MemTotal: 10 kB\n", &m), 0);
	assert_int_equal(m.total, KB(10));
	assert_int_equal(m.available, KB(6));
	assert_int_equal(meminfo_s(MEM_REST, &m), -EINVAL);
	assert_int_equal(m.total, 0);
	/* malformed MemTotal: as absent */
	assert_int_equal(meminfo_s(MEM_REST "MemTotal: 10\n", &m), -EINVAL);
	assert_int_equal(meminfo_s(MEM_REST "MemTotal: 10 MB\n", &m), -EINVAL);
	assert_int_equal(meminfo_s(MEM_REST "MemTotal: x kB\n", &m), -EINVAL);
	/* kB * 1024 overflows, and the digits themselves */
	assert_int_equal(meminfo_s(MEM_REST "MemTotal: 18014398509481984 kB\n",
	    &m), -EINVAL);
	assert_int_equal(meminfo_s(MEM_REST "MemTotal: 18014398509481983 kB\n",
	    &m), 0);
	assert_int_equal(m.total, UINT64_MAX - 1023);
	assert_int_equal(meminfo_s(MEM_REST
	    "MemTotal: 99999999999999999999999 kB\n", &m), -EINVAL);
	/* every required line */
	assert_int_equal(meminfo_s("MemTotal: 10 kB\nMemFree: 1 kB\n"
	    "MemAvailable: 2 kB\nBuffers: 2 kB\nCached: 3 kB\n"
	    "SwapTotal: 4 kB\n", &m), -EINVAL);
	/* the fallback sum overflowing */
	assert_int_equal(meminfo_s("MemTotal: 1 kB\n"
	    "MemFree: 18014398509481983 kB\nBuffers: 1 kB\nCached: 0 kB\n"
	    "SwapTotal: 0 kB\nSwapFree: 0 kB\n", &m), -EINVAL);
	/* cut: the last line without '\n' is not read */
	assert_int_equal(meminfo_s(MEM_REST "MemTotal: 10 kB", &m), -EINVAL);
	assert_int_equal(meminfo_s(MEM_REST "MemTotal: 10 kB\nMemAvailable: 7",
	    &m), 0);
	assert_false(m.has_available);
}

/* ------------------------------------------------------------------ */
/* /proc/loadavg, /proc/uptime */

static void
test_loadavg(void **state)
{
	struct procfs_loadavg l;
	size_t len;
	char *b = load("loadavg", &len);

	(void)state;
	assert_int_equal(procfs_parse_loadavg(b, len, &l), 0);
	assert_true(l.load1 == 7.44);
	assert_true(l.load5 == 3.77);
	assert_true(l.load15 == 3.28);
	assert_int_equal(l.running, 5);
	assert_int_equal(l.total, 120);
	free(b);
	assert_int_equal(loadavg_s("0.00 0.01 12345.67 1/2 3\n", &l), 0);
	assert_true(l.load1 == 0.0 && l.load5 == 0.01 && l.load15 == 12345.67);
	assert_int_equal(l.running, 1);
	assert_int_equal(l.total, 2);
	assert_int_equal(loadavg_s("1 2 3 4/5 6\n", &l), 0);
	assert_true(l.load15 == 3.0);
	assert_int_equal(loadavg_s("0.52 0.58 0.59 2/1234 5", &l), 0);
	assert_int_equal(l.total, 1234);
	/* cut, malformed, out of range */
	assert_int_equal(loadavg_s("0.52 0.58 0.59 2/12", &l), -EINVAL);
	assert_int_equal(l.total, 0);
	assert_int_equal(loadavg_s("0.52 0.58 0.5", &l), -EINVAL);
	assert_int_equal(loadavg_s("0.52 0.58 0.59 2 1234 5\n", &l), -EINVAL);
	assert_int_equal(loadavg_s("0.52 0.58 . 2/1234 5\n", &l), -EINVAL);
	assert_int_equal(loadavg_s("0.52 0.58 1. 2/1234 5\n", &l), -EINVAL);
	assert_int_equal(loadavg_s("0.52 0.58 1.2.3 2/1234 5\n", &l), -EINVAL);
	assert_int_equal(loadavg_s("-0.5 0.58 0.59 2/1234 5\n", &l), -EINVAL);
	assert_int_equal(loadavg_s("0.5 0.5 0.5 2/2147483648 5\n", &l),
	    -EINVAL);
	assert_int_equal(loadavg_s("0.5 0.5 99999999999999999999.5 2/3 5\n",
	    &l), -EINVAL);
}

static void
test_uptime(void **state)
{
	double up, idle;
	size_t len;
	char *b = load("uptime", &len);

	(void)state;
	assert_int_equal(procfs_parse_uptime(b, len, &up, &idle), 0);
	assert_true(up == 11413.32);
	assert_true(idle == 10990.94);
	assert_int_equal(procfs_parse_uptime(b, len, &up, NULL), 0);
	assert_true(up == 11413.32);
	free(b);
	assert_int_equal(uptime_s("350735.47 234388.90\n", &up, &idle), 0);
	assert_true(up == 350735.47 && idle == 234388.90);
	/* cut in either number, or a number missing */
	assert_int_equal(uptime_s("350735.47 234388.9", &up, &idle), -EINVAL);
	assert_true(up == 0 && idle == 0);
	assert_int_equal(uptime_s("350735.4", &up, NULL), -EINVAL);
	assert_int_equal(uptime_s("350735.47\n", &up, NULL), -EINVAL);
	assert_int_equal(uptime_s("350735.47 x\n", &up, NULL), -EINVAL);
	assert_int_equal(uptime_s("", &up, NULL), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* /proc/net/dev */

static void
assert_netdev(const struct procfs_netdev *d, const char *name,
    uint64_t rxb, uint64_t rxp, uint64_t rxe, uint64_t rxd, uint64_t txb,
    uint64_t txp, uint64_t txe, uint64_t txd)
{
	assert_string_equal(d->name, name);
	assert_int_equal(d->rx_bytes, rxb);
	assert_int_equal(d->rx_packets, rxp);
	assert_int_equal(d->rx_errs, rxe);
	assert_int_equal(d->rx_drop, rxd);
	assert_int_equal(d->tx_bytes, txb);
	assert_int_equal(d->tx_packets, txp);
	assert_int_equal(d->tx_errs, txe);
	assert_int_equal(d->tx_drop, txd);
}

static void
test_netdev_real(void **state)
{
	struct procfs_netdev d[8];
	size_t len;
	char *b = load("net_dev", &len);

	(void)state;
	assert_int_equal(procfs_parse_netdev(b, len, d, 8), 4);
	assert_netdev(&d[0], "lo", 27303136386, 31928223, 0, 0, 27303136386,
	    31928223, 0, 0);
	assert_netdev(&d[1], "ifb0", 0, 0, 0, 0, 0, 0, 0, 0);
	assert_netdev(&d[2], "ifb1", 0, 0, 0, 0, 0, 0, 0, 0);
	assert_netdev(&d[3], "eth0", 19780829, 888, 0, 0, 57110, 743, 0, 0);
	/* stores at most max, counts all */
	assert_int_equal(procfs_parse_netdev(b, len, d, 1), 4);
	assert_int_equal(procfs_parse_netdev(b, len, NULL, 0), 4);
	free(b);
}

/* A name holding a NUL (found by tests/fuzz/fuzz_procfs.c) is a
 * malformed line, not an interface named "" or cut short; the same for
 * a disk. */
static void
test_name_with_nul(void **state)
{
	static const char dev[] = "Inter-|   Receive\n face |bytes\n"
	    "  \0\0lo: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n"
	    "  e\0th0: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n"
	    "  eth1: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n";
	static const char disk[] = "   8       0 s\0da 1 0 2 0 3 0 4 0 0 0 0\n"
	    "   8       1 sdb 1 0 2 0 3 0 4 0 0 0 0\n";
	struct procfs_netdev d[4];
	struct procfs_disk k[4];

	(void)state;
	assert_int_equal(procfs_parse_netdev(dev, sizeof dev - 1, d, 4), 1);
	assert_string_equal(d[0].name, "eth1");
	assert_int_equal(procfs_parse_diskstats(disk, sizeof disk - 1, k, 4),
	    1);
	assert_string_equal(k[0].name, "sdb");
}

static void
test_netdev_glued(void **state)
{
	struct procfs_netdev d[8];
	size_t len;
	char *b = load("net_dev_glued", &len);

	(void)state;
	/* bad0 (3 numbers), big0 (overflow), neg0, a line without ':' and
	 * a name of 35 bytes are skipped */
	assert_int_equal(procfs_parse_netdev(b, len, d, 8), 4);
	assert_netdev(&d[0], "lo", 123456, 789, 0, 0, 123456, 789, 0, 0);
	assert_netdev(&d[1], "eth0", 1234, 56, 1, 2, 7890, 12, 3, 4);
	assert_netdev(&d[2], "br-lan", UINT64_MAX, 1, 0, 0, 99, 2, 0, 0);
	assert_netdev(&d[3], "wlan0", 5000000000, 4000000, 10, 20, 600000000,
	    500000, 30, 40);
	free(b);
}

/* ------------------------------------------------------------------ */
/* /proc/diskstats */

static void
assert_disk(const struct procfs_disk *d, unsigned major, unsigned minor,
    const char *name, uint64_t reads, uint64_t sr, uint64_t writes,
    uint64_t sw)
{
	assert_int_equal(d->major, major);
	assert_int_equal(d->minor, minor);
	assert_string_equal(d->name, name);
	assert_int_equal(d->reads, reads);
	assert_int_equal(d->sectors_read, sr);
	assert_int_equal(d->writes, writes);
	assert_int_equal(d->sectors_written, sw);
}

static void
test_diskstats_real(void **state)
{
	struct procfs_disk d[16];
	size_t len;
	char *b = load("diskstats", &len);
	char name[8];

	(void)state;
	assert_int_equal(procfs_parse_diskstats(b, len, d, 16), 10);
	for (unsigned i = 0; i < 8; i++) {
		snprintf(name, sizeof name, "loop%u", i);
		assert_disk(&d[i], 7, i, name, 0, 0, 0, 0);
	}
	assert_disk(&d[8], 254, 0, "vda", 227033, 11592754, 34761, 3174952);
	assert_disk(&d[9], 253, 0, "zram0", 0, 0, 0, 0);
	assert_int_equal(procfs_parse_diskstats(b, len, d, 2), 10);
	free(b);
}

static void
test_diskstats_mixed(void **state)
{
	struct procfs_disk d[16];
	size_t len;
	char *b = load("diskstats_mixed", &len);

	(void)state;
	/* 14, 14, 20, 18, 20 fields, then 13 fields, junk, an overflow, a
	 * major beyond unsigned (skipped), and 24 fields (a later kernel) */
	assert_int_equal(procfs_parse_diskstats(b, len, d, 16), 6);
	assert_disk(&d[0], 8, 0, "sda", 1000, 30000, 500, 7000);
	assert_disk(&d[1], 8, 1, "sda1", 100, 3000, 50, 700);
	assert_disk(&d[2], 259, 0, "nvme0n1", 226868, 11591162, 34754,
	    3174496);
	assert_disk(&d[3], 259, 1, "nvme0n1p1", 11, 22, 33, 44);
	assert_disk(&d[4], 253, 0, "dm-0", 5, 40, 6, 48);
	assert_disk(&d[5], 179, 0, "mmcblk0", 7, 56, 8, 64);
	free(b);
}

/* ------------------------------------------------------------------ */
/* /proc/PID/status, /proc/PID/io */

static void
test_status(void **state)
{
	struct procfs_status s;
	size_t len;
	char *b = load("status", &len);

	(void)state;
	assert_int_equal(procfs_parse_status(b, len, &s), 0);
	assert_int_equal(s.vm_rss, KB(1784));
	assert_int_equal(s.rss_anon, KB(116));
	assert_int_equal(s.rss_file, KB(1668));
	assert_int_equal(s.rss_shmem, 0);
	assert_int_equal(s.vm_swap, 0);
	assert_int_equal(s.threads, 1);
	assert_int_equal(s.uid, 0);
	free(b);
	/* a kernel thread: no memory lines */
	assert_int_equal(status_s("Name:\tkthreadd\nUid:\t0\t0\t0\t0\n"
	    "Threads:\t1\n", &s), 0);
	assert_int_equal(s.vm_rss, -1);
	assert_int_equal(s.rss_anon, -1);
	assert_int_equal(s.rss_file, -1);
	assert_int_equal(s.rss_shmem, -1);
	assert_int_equal(s.vm_swap, -1);
	assert_int_equal(s.threads, 1);
	assert_int_equal(s.uid, 0);
	/* the real uid is the first; malformed lines count as absent */
	assert_int_equal(status_s("Uid:\t1000\t0\t0\t0\nVmRSS:\t 12 kB\n"
	    "RssAnon:\t9007199254740992 kB\nRssFile:\t-4 kB\nVmSwap:\t3\n"
	    "RssShmem:\t5 kB\nThreads:\t64\n", &s), 0);
	assert_int_equal(s.uid, 1000);
	assert_int_equal(s.vm_rss, KB(12));
	assert_int_equal(s.rss_anon, -1);	/* beyond INT64_MAX bytes */
	assert_int_equal(s.rss_file, -1);
	assert_int_equal(s.vm_swap, -1);
	assert_int_equal(s.rss_shmem, KB(5));
	assert_int_equal(s.threads, 64);
	/* without Uid: or Threads: (or with a uid beyond 32 bits) */
	assert_int_equal(status_s("Uid:\t0\t0\t0\t0\nVmRSS:\t1 kB\n", &s),
	    -EINVAL);
	assert_int_equal(status_s("Threads:\t1\n", &s), -EINVAL);
	assert_int_equal(status_s("Uid:\t4294967296\nThreads:\t1\n", &s),
	    -EINVAL);
	assert_int_equal(status_s("Uid:\t4294967295\nThreads:\t1\n", &s), 0);
	assert_int_equal(s.uid, 4294967295);
	assert_int_equal(status_s("Uid:\t0\nThreads:\t1", &s), -EINVAL);
}

static void
test_io(void **state)
{
	struct procfs_io io;
	size_t len;
	char *b = load("io", &len);

	(void)state;
	assert_int_equal(procfs_parse_io(b, len, &io), 0);
	assert_int_equal(io.rchar, 6976);
	assert_int_equal(io.wchar, 0);
	assert_int_equal(io.read_bytes, 0);
	assert_int_equal(io.write_bytes, 0);
	assert_int_equal(io.cancelled_write_bytes, 0);
	free(b);
	assert_int_equal(io_s("rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\n"
	    "read_bytes: 18446744073709551615\nwrite_bytes: 6\n"
	    "cancelled_write_bytes: 7\n", &io), 0);
	assert_int_equal(io.rchar, 1);
	assert_int_equal(io.wchar, 2);
	assert_int_equal(io.read_bytes, UINT64_MAX);
	assert_int_equal(io.write_bytes, 6);
	assert_int_equal(io.cancelled_write_bytes, 7);
	/* one missing, malformed or cut */
	assert_int_equal(io_s("rchar: 1\nwchar: 2\nread_bytes: 5\n"
	    "cancelled_write_bytes: 7\n", &io), -EINVAL);
	assert_int_equal(io.read_bytes, 0);
	assert_int_equal(io_s("rchar: 1\nwchar: 2\nread_bytes: 5\n"
	    "write_bytes: 18446744073709551616\ncancelled_write_bytes: 7\n",
	    &io), -EINVAL);
	assert_int_equal(io_s("rchar: 1\nwchar: 2\nread_bytes: 5\n"
	    "write_bytes: 6\ncancelled_write_bytes: 7", &io), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* /proc/PID/stat */

static void
test_stat_real(void **state)
{
	struct procfs_stat st;
	size_t len;
	char *b = load("pid_stat", &len);

	(void)state;
	assert_int_equal(procfs_parse_stat(b, len, &st), 0);
	assert_int_equal(st.pid, 19043);
	assert_string_equal(st.comm, "cat");
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, 19020);
	assert_int_equal(st.pgrp, 19020);
	assert_int_equal(st.session, 11284);
	assert_int_equal(st.utime, 0);
	assert_int_equal(st.stime, 0);
	assert_int_equal(st.num_threads, 1);
	assert_int_equal(st.starttime, 1141339);
	assert_int_equal(st.vsize, 3133440);
	assert_int_equal(st.rss_pages, 415);
	free(b);
}

static void
test_stat_parens(void **state)
{
	struct procfs_stat st;
	size_t len;
	char *b = load("pid_stat_parens", &len);

	(void)state;
	assert_int_equal(procfs_parse_stat(b, len, &st), 0);
	assert_int_equal(st.pid, 4242);
	assert_string_equal(st.comm, "a) b (c");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.pgrp, 4242);
	assert_int_equal(st.session, 4242);
	assert_int_equal(st.utime, 25);
	assert_int_equal(st.stime, 13);
	assert_int_equal(st.num_threads, 3);
	assert_int_equal(st.starttime, 987654);
	assert_int_equal(st.vsize, 12345678);
	assert_int_equal(st.rss_pages, 321);
	free(b);
}

static void
test_stat_newline(void **state)
{
	struct procfs_stat st;
	size_t len;
	char *b = load("pid_stat_newline", &len);

	(void)state;
	assert_int_equal(procfs_parse_stat(b, len, &st), 0);
	assert_int_equal(st.pid, 77);
	assert_string_equal(st.comm, "x\ny");
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, 2);
	assert_int_equal(st.pgrp, 77);
	assert_int_equal(st.session, 77);
	assert_int_equal(st.utime, UINT64_MAX);
	assert_int_equal(st.stime, 7);
	assert_int_equal(st.num_threads, 1);
	assert_int_equal(st.starttime, 42);
	assert_int_equal(st.vsize, 0);
	assert_int_equal(st.rss_pages, 0);
	free(b);
}

#define STAT_TAIL " 0 -1 4194560 100 0 0 0 25 13 0 0 20 0 3 0 987654 " \
	"12345678 321 18446744073709551615 1 1 0\n"

static void
test_stat_hostile(void **state)
{
	struct procfs_stat st;

	(void)state;
	assert_int_equal(stat_s("1 (x) S 0 1 1" STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "x");
	/* a name longer than comm is cut to 31 bytes */
	assert_int_equal(stat_s("1 (0123456789012345678901234567890123) S "
	    "0 1 1" STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "0123456789012345678901234567890");
	assert_int_equal(stat_s("1 () S 0 1 1" STAT_TAIL, &st), 0);
	assert_string_equal(st.comm, "");
	/* pid, ppid beyond int; a negative or overflowing unsigned field */
	assert_int_equal(stat_s("2147483648 (x) S 0 1 1" STAT_TAIL, &st),
	    -EINVAL);
	assert_int_equal(stat_s("1 (x) S 2147483648 1 1" STAT_TAIL, &st),
	    -EINVAL);
	assert_int_equal(stat_s("1 (x) S -2147483649 1 1" STAT_TAIL, &st),
	    -EINVAL);
	assert_int_equal(stat_s("1 (x) S 0 1 1 0 -1 4194560 100 0 0 0 -25 13 "
	    "0 0 20 0 3 0 987654 12345678 321 0\n", &st), -EINVAL);
	assert_int_equal(stat_s("1 (x) S 0 1 1 0 -1 4194560 100 0 0 0 "
	    "18446744073709551616 13 0 0 20 0 3 0 987654 12345678 321 0\n",
	    &st), -EINVAL);
	assert_int_equal(st.pid, 0);	/* nothing kept on error */
	assert_int_equal(stat_s("1 (x) S 0 1 1 0 -1 4194560 100 0 0 0 1 13 "
	    "0 0 20 0 3 0 987654 12345678 -9223372036854775809 0\n", &st),
	    -EINVAL);
	assert_int_equal(stat_s("1 (x) S 0 1 1 0 -1 4194560 100 0 0 0 1 13 "
	    "0 0 20 0 3 0 987654 12345678 -9223372036854775808 0\n", &st), 0);
	assert_int_equal(st.rss_pages, INT64_MIN);
	/* the shape: "PID (", ") S " */
	assert_int_equal(stat_s("1(x) S 0 1 1" STAT_TAIL, &st), -EINVAL);
	assert_int_equal(stat_s("1 (x)S 0 1 1" STAT_TAIL, &st), -EINVAL);
	assert_int_equal(stat_s("1 (x) SS 0 1 1" STAT_TAIL, &st), -EINVAL);
	assert_int_equal(stat_s("1 x) S 0 1 1" STAT_TAIL, &st), -EINVAL);
	assert_int_equal(stat_s("1 (x S 0 1 1" STAT_TAIL, &st), -EINVAL);
	assert_int_equal(stat_s(") 1 (x S 0 1 1" STAT_TAIL, &st), -EINVAL);
	assert_int_equal(stat_s("1 (x) S 0 1 1 0 -1 4194560 100 0 0 0 25 13 "
	    "0 0 20 0 3 0 987654 12345678 32", &st), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* every prefix: an error, or the records of the whole file */

static void
test_truncated_cpustat(void **state)
{
	static const char *const names[] = { "stat", "stat_64cpu_gaps",
		"stat_old_kernel" };
	struct procfs_cpu ftotal, fcpus[64], total, cpus[64];
	size_t len, fn, n, ok;
	char *b, *c;

	(void)state;
	for (size_t f = 0; f < 3; f++) {
		b = load(names[f], &len);
		assert_int_equal(procfs_parse_cpustat(b, len, &ftotal, fcpus,
		    64, &fn), 0);
		ok = 0;
		for (size_t cut = 0; cut < len; cut++) {
			c = exact(b, cut);
			if (procfs_parse_cpustat(c, cut, &total, cpus, 64,
			    &n) == 0) {
				ok++;
				assert_true(cpu_eq(&total, &ftotal));
				assert_true(n <= fn);
				for (size_t i = 0; i < 64; i++)
					assert_true(cpu_zero(&cpus[i]) ||
					    cpu_eq(&cpus[i], &fcpus[i]));
			}
			free(c);
		}
		assert_true(ok > 0);
		free(b);
	}
	/* cut in the middle of the "cpu " line's last number */
	assert_int_equal(cpustat_s("cpu  1 2 3 4 5 6 7 8", &total, cpus, 64,
	    &n), -EINVAL);
}

static void
test_truncated_meminfo(void **state)
{
	static const char *const names[] = { "meminfo",
		"meminfo_no_available" };
	struct procfs_meminfo full, m;
	size_t len, ok;
	char *b, *c;

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		b = load(names[f], &len);
		assert_int_equal(procfs_parse_meminfo(b, len, &full), 0);
		ok = 0;
		for (size_t cut = 0; cut < len; cut++) {
			c = exact(b, cut);
			if (procfs_parse_meminfo(c, cut, &m) == 0) {
				ok++;
				assert_true(meminfo_eq(&m, &full));
			}
			free(c);
		}
		assert_true(ok > 0);
		free(b);
	}
}

static void
test_truncated_loadavg_uptime(void **state)
{
	struct procfs_loadavg fl, l;
	double fup, fidle, up, idle;
	size_t len;
	char *b, *c;

	(void)state;
	b = load("loadavg", &len);
	assert_int_equal(procfs_parse_loadavg(b, len, &fl), 0);
	for (size_t cut = 0; cut < len; cut++) {
		c = exact(b, cut);
		if (procfs_parse_loadavg(c, cut, &l) == 0)
			assert_true(l.load1 == fl.load1 &&
			    l.load5 == fl.load5 && l.load15 == fl.load15 &&
			    l.running == fl.running && l.total == fl.total);
		free(c);
	}
	free(b);
	b = load("uptime", &len);
	assert_int_equal(procfs_parse_uptime(b, len, &fup, &fidle), 0);
	for (size_t cut = 0; cut < len; cut++) {
		c = exact(b, cut);
		/* the last number only ends at the '\n' */
		assert_int_equal(procfs_parse_uptime(c, cut, &up, &idle),
		    -EINVAL);
		free(c);
	}
	free(b);
}

static void
test_truncated_netdev(void **state)
{
	static const char *const names[] = { "net_dev", "net_dev_glued" };
	struct procfs_netdev full[16], d[16];
	size_t len, fn, n;
	char *b, *c;

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		b = load(names[f], &len);
		fn = procfs_parse_netdev(b, len, full, 16);
		assert_true(fn > 0 && fn <= 16);
		for (size_t cut = 0; cut < len; cut++) {
			c = exact(b, cut);
			n = procfs_parse_netdev(c, cut, d, 16);
			assert_true(n < fn);	/* the last line is cut */
			for (size_t i = 0; i < n; i++)
				assert_true(netdev_eq(&d[i], &full[i]));
			free(c);
		}
		free(b);
	}
}

static void
test_truncated_diskstats(void **state)
{
	static const char *const names[] = { "diskstats", "diskstats_mixed" };
	struct procfs_disk full[16], d[16];
	size_t len, fn, n;
	char *b, *c;

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		b = load(names[f], &len);
		fn = procfs_parse_diskstats(b, len, full, 16);
		assert_true(fn > 0 && fn <= 16);
		for (size_t cut = 0; cut < len; cut++) {
			c = exact(b, cut);
			n = procfs_parse_diskstats(c, cut, d, 16);
			assert_true(n < fn);
			for (size_t i = 0; i < n; i++)
				assert_true(disk_eq(&d[i], &full[i]));
			free(c);
		}
		free(b);
	}
}

static void
test_truncated_status_io(void **state)
{
	struct procfs_status fs, s;
	struct procfs_io fio, io;
	size_t len, ok = 0;
	char *b, *c;

	(void)state;
	b = load("status", &len);
	assert_int_equal(procfs_parse_status(b, len, &fs), 0);
	for (size_t cut = 0; cut < len; cut++) {
		c = exact(b, cut);
		if (procfs_parse_status(c, cut, &s) == 0) {
			ok++;
			assert_true(status_eq(&s, &fs));
		}
		free(c);
	}
	assert_true(ok > 0);
	free(b);
	b = load("io", &len);
	assert_int_equal(procfs_parse_io(b, len, &fio), 0);
	for (size_t cut = 0; cut < len; cut++) {
		c = exact(b, cut);
		assert_int_equal(procfs_parse_io(c, cut, &io), -EINVAL);
		free(c);
	}
	/* the file, then a cut line repeating a key: not read */
	c = malloc(len + 9);
	assert_non_null(c);
	memcpy(c, b, len);
	memcpy(c + len, "rchar: 99", 9);
	assert_int_equal(procfs_parse_io(c, len + 9, &io), 0);
	assert_true(io_eq(&io, &fio));
	free(c);
	free(b);
}

static void
test_truncated_stat(void **state)
{
	static const char *const names[] = { "pid_stat", "pid_stat_parens",
		"pid_stat_newline" };
	struct procfs_stat full, st;
	size_t len, ok;
	char *b, *c;

	(void)state;
	for (size_t f = 0; f < 3; f++) {
		b = load(names[f], &len);
		assert_int_equal(procfs_parse_stat(b, len, &full), 0);
		ok = 0;
		for (size_t cut = 0; cut < len; cut++) {
			c = exact(b, cut);
			if (procfs_parse_stat(c, cut, &st) == 0) {
				ok++;
				assert_true(stat_eq(&st, &full));
			} else {
				assert_int_equal(st.pid, 0);
			}
			free(c);
		}
		assert_true(ok > 0);	/* once field 24 is whole */
		free(b);
	}
}

/* Every parser on every prefix of every fixture: ASan and valgrind see any
 * read past len; results are not checked. */
static void
test_prefix_fuzz(void **state)
{
	struct procfs_cpu total, cpus[8];
	struct procfs_meminfo m;
	struct procfs_loadavg l;
	struct procfs_netdev nd[4];
	struct procfs_disk dk[4];
	struct procfs_status s;
	struct procfs_io io;
	struct procfs_stat st;
	double up, idle;
	int pids[4];
	size_t len, n, runs = 0;
	char *b, *c;

	(void)state;
	for (size_t f = 0; f < NFIXTURES; f++) {
		b = load(all_fixtures[f], &len);
		for (size_t cut = 0; cut <= len; cut++) {
			c = exact(b, cut);
			(void)procfs_parse_cpustat(c, cut, &total, cpus, 8, &n);
			(void)procfs_parse_meminfo(c, cut, &m);
			(void)procfs_parse_loadavg(c, cut, &l);
			(void)procfs_parse_uptime(c, cut, &up, &idle);
			(void)procfs_parse_netdev(c, cut, nd, 4);
			(void)procfs_parse_diskstats(c, cut, dk, 4);
			(void)procfs_parse_status(c, cut, &s);
			(void)procfs_parse_io(c, cut, &io);
			(void)procfs_parse_stat(c, cut, &st);
			(void)procfs_parse_pids(c, cut, pids, 4);
			/* and the suffix from cut: any start, too */
			free(c);
			c = exact(b + cut, len - cut);
			(void)procfs_parse_cpustat(c, len - cut, &total, cpus,
			    8, &n);
			(void)procfs_parse_netdev(c, len - cut, nd, 4);
			(void)procfs_parse_diskstats(c, len - cut, dk, 4);
			(void)procfs_parse_stat(c, len - cut, &st);
			free(c);
			runs++;
		}
		free(b);
	}
	assert_true(runs > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpustat_real),
		cmocka_unit_test(test_cpustat_64_gaps),
		cmocka_unit_test(test_cpustat_old_kernel),
		cmocka_unit_test(test_cpustat_hostile),
		cmocka_unit_test(test_meminfo_real),
		cmocka_unit_test(test_meminfo_no_available),
		cmocka_unit_test(test_meminfo_hostile),
		cmocka_unit_test(test_loadavg),
		cmocka_unit_test(test_uptime),
		cmocka_unit_test(test_netdev_real),
		cmocka_unit_test(test_netdev_glued),
		cmocka_unit_test(test_name_with_nul),
		cmocka_unit_test(test_diskstats_real),
		cmocka_unit_test(test_diskstats_mixed),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_stat_real),
		cmocka_unit_test(test_stat_parens),
		cmocka_unit_test(test_stat_newline),
		cmocka_unit_test(test_stat_hostile),
		cmocka_unit_test(test_truncated_cpustat),
		cmocka_unit_test(test_truncated_meminfo),
		cmocka_unit_test(test_truncated_loadavg_uptime),
		cmocka_unit_test(test_truncated_netdev),
		cmocka_unit_test(test_truncated_diskstats),
		cmocka_unit_test(test_truncated_status_io),
		cmocka_unit_test(test_truncated_stat),
		cmocka_unit_test(test_prefix_fuzz),
	};

	if (getenv("FIXTURES") != NULL)
		fixtures = getenv("FIXTURES");
	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
