/*
 * libFuzzer target: every /proc parser of core/procfs.c (PID/stat, the
 * children list, /proc/stat, meminfo, loadavg, uptime, net/dev,
 * diskstats, PID/status, PID/io), each given the same bytes, exactly len
 * of them with no NUL after (as the sampler reads a file). Besides ASan
 * and UBSan's own findings, it aborts when a result breaks what
 * prodd/procfs.h promises: names NUL-terminated in their field, counts
 * that report what was found while storing at most max, a process name
 * cut at the last ')', CPU sums that saturate, and no success on an empty
 * or cut file where the header says so.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXN 8

static void
require(int cond)
{
	if (!cond)
		abort();
}

static void
check_cpu(const struct procfs_cpu *c)
{
	uint64_t busy = procfs_cpu_busy(c), total = procfs_cpu_total(c);

	require(total >= busy);
	require(busy >= c->user && busy >= c->system && busy >= c->steal);
	require(total >= c->idle && total >= c->iowait);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b;
	char *buf = malloc(size ? size : 1);
	struct procfs_stat st;
	struct procfs_cpu total, cpus[MAXN];
	struct procfs_meminfo mi;
	struct procfs_loadavg la;
	struct procfs_netdev nd[MAXN];
	struct procfs_disk dk[MAXN];
	struct procfs_status ps;
	struct procfs_io io;
	int pids[MAXN];
	size_t n, ncpus = 0;
	double up, idle;

	require(buf != NULL);
	memcpy(buf, data, size);
	b = buf;

	if (procfs_parse_stat(b, size, &st) == 0) {
		const char *close = memrchr(b, ')', size);

		require(memchr(st.comm, '\0', sizeof st.comm) != NULL);
		require(close != NULL && memchr(b, '(', size) < (void *)close);
	}
	n = procfs_parse_pids(b, size, pids, MAXN);
	for (size_t i = 0; i < n && i < MAXN; i++)
		require(pids[i] >= 0);
	if (procfs_parse_cpustat(b, size, &total, cpus, MAXN, &ncpus) == 0) {
		check_cpu(&total);
		for (size_t i = 0; i < ncpus && i < MAXN; i++)
			check_cpu(&cpus[i]);
	}
	require(procfs_parse_cpustat(b, size, &total, NULL, 0, &ncpus) ==
	    procfs_parse_cpustat(b, size, &total, cpus, MAXN, &ncpus));
	if (procfs_parse_meminfo(b, size, &mi) == 0 && !mi.has_available)
		require(mi.available >= mi.free || mi.available == UINT64_MAX);
	(void)procfs_parse_loadavg(b, size, &la);
	(void)procfs_parse_uptime(b, size, &up, &idle);
	(void)procfs_parse_uptime(b, size, &up, NULL);
	n = procfs_parse_netdev(b, size, nd, MAXN);
	for (size_t i = 0; i < n && i < MAXN; i++)
		require(memchr(nd[i].name, '\0', sizeof nd[i].name) != NULL &&
		    nd[i].name[0] != '\0');
	require(procfs_parse_netdev(b, size, NULL, 0) == n);
	n = procfs_parse_diskstats(b, size, dk, MAXN);
	for (size_t i = 0; i < n && i < MAXN; i++)
		require(memchr(dk[i].name, '\0', sizeof dk[i].name) != NULL);
	require(procfs_parse_diskstats(b, size, NULL, 0) == n);
	if (procfs_parse_status(b, size, &ps) == 0)
		require(ps.threads >= 0 && ps.uid >= 0);
	(void)procfs_parse_io(b, size, &io);
	if (size == 0) {
		require(procfs_parse_stat(b, 0, &st) == -EINVAL);
		require(procfs_parse_meminfo(b, 0, &mi) == -EINVAL);
		require(procfs_parse_io(b, 0, &io) == -EINVAL);
		require(procfs_parse_status(b, 0, &ps) == -EINVAL);
	}
	free(buf);
	return 0;
}
