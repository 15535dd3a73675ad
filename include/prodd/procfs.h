/*
 * Parsers of /proc text, pure: the caller reads the file, these read the
 * bytes. Hostile input (a process name with spaces and parentheses, a
 * truncated file) gives an error, never a wrong field.
 *
 * Common rules: a buffer is exactly len bytes, not NUL-terminated; a number
 * is bounded (an overflow makes its field or line malformed, never a wrapped
 * value) and must end before len, at a blank or '\n', since digits that run
 * to the end may have been cut. In the multi-line files a last line without
 * its '\n' may have been cut too, and is ignored.
 */
#ifndef PRODD_PROCFS_H
#define PRODD_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct procfs_stat {
	int pid;
	char comm[32];
	char state;
	int ppid, pgrp, session;
	uint64_t utime, stime;		/* clock ticks */
	int64_t num_threads;
	uint64_t starttime;		/* clock ticks after boot */
	uint64_t vsize;
	int64_t rss_pages;
};

/* Parse the text of /proc/PID/stat; the name ends at the LAST ')'.
 * Returns 0, or -EINVAL. */
int procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *st);

/* Parse a list of pids separated by spaces (/proc/PID/task/TID/children).
 * Stores at most max; returns how many were found (may exceed max). */
size_t procfs_parse_pids(const char *buf, size_t len, int *pids, size_t max);

struct procfs_cpu {	/* clock ticks, one line of /proc/stat */
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
};

/* busy = user+nice+system+irq+softirq+steal; total = busy+idle+iowait
 * (both saturate at UINT64_MAX rather than wrap) */
uint64_t procfs_cpu_busy(const struct procfs_cpu *c);
uint64_t procfs_cpu_total(const struct procfs_cpu *c);

/* /proc/stat: the "cpu" line into *total, "cpuN" lines into cpus[N]
 * (N < max; cpus may be NULL when max is 0; entries not seen are zeroed);
 * *ncpus = 1 + the highest N seen (may exceed max). Returns 0, or -EINVAL
 * when there is no well-formed "cpu " line. Missing trailing fields (older
 * kernels, at least 4 fields) are 0. */
int procfs_parse_cpustat(const char *buf, size_t len, struct procfs_cpu *total,
    struct procfs_cpu *cpus, size_t max, size_t *ncpus);

struct procfs_meminfo {	/* bytes */
	uint64_t total, free, available, buffers, cached, swap_total, swap_free;
	bool has_available;
};

/* /proc/meminfo (values in kB there). Returns 0, or -EINVAL without
 * MemTotal, MemFree, Buffers, Cached, SwapTotal or SwapFree (every kernel
 * prints them; one missing means a cut file). When MemAvailable is absent,
 * has_available is false and available = free+buffers+cached. */
int procfs_parse_meminfo(const char *buf, size_t len, struct procfs_meminfo *m);

struct procfs_loadavg { double load1, load5, load15; int running, total; };

/* /proc/loadavg. Returns 0, or -EINVAL. */
int procfs_parse_loadavg(const char *buf, size_t len, struct procfs_loadavg *l);

/* /proc/uptime: seconds since boot (and idle seconds, may be NULL).
 * Returns 0, or -EINVAL (both numbers must be there). */
int procfs_parse_uptime(const char *buf, size_t len, double *uptime_s,
    double *idle_s);

struct procfs_netdev {
	char name[32];
	uint64_t rx_bytes, rx_packets, rx_errs, rx_drop;
	uint64_t tx_bytes, tx_packets, tx_errs, tx_drop;
};

/* /proc/net/dev: interfaces after the two header lines, "NAME:" then 16
 * numbers ("eth0:123" may have no space after the colon). Stores at most
 * max, returns how many were found (may exceed max). Malformed lines are
 * skipped. */
size_t procfs_parse_netdev(const char *buf, size_t len,
    struct procfs_netdev *out, size_t max);

struct procfs_disk {
	unsigned major, minor;
	char name[32];
	uint64_t reads, sectors_read, writes, sectors_written; /* 512 bytes */
};

/* /proc/diskstats: lines of 14, 18 or 20 fields (more, from later kernels,
 * are ignored); other lines are skipped. Stores at most max, returns how
 * many were found (may exceed max). */
size_t procfs_parse_diskstats(const char *buf, size_t len,
    struct procfs_disk *out, size_t max);

struct procfs_status {	/* /proc/PID/status; -1 when the field is absent */
	int64_t vm_rss, rss_anon, rss_file, rss_shmem, vm_swap;	/* bytes */
	int64_t threads;
	int64_t uid;	/* real uid, first field of Uid: */
};

/* /proc/PID/status. Returns 0, or -EINVAL without Uid: or Threads: (both
 * always there; Threads: comes after every memory line, so a file cut
 * before it could have lost some). A malformed line counts as absent. */
int procfs_parse_status(const char *buf, size_t len, struct procfs_status *s);

struct procfs_io {	/* /proc/PID/io, bytes */
	uint64_t rchar, wchar, read_bytes, write_bytes, cancelled_write_bytes;
};

/* /proc/PID/io. Returns 0, or -EINVAL when any of the five is missing
 * (the kernel prints all of them at once; one missing means a cut file). */
int procfs_parse_io(const char *buf, size_t len, struct procfs_io *io);

#endif
