/*
 * Parsers of /proc text, pure: the caller reads the file, these read the
 * bytes. Hostile input (a process name with spaces and parentheses, a
 * truncated file) gives an error, never a wrong field.
 */
#ifndef PRODD_PROCFS_H
#define PRODD_PROCFS_H

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

/* Parse the text of /proc/PID/stat. Returns 0, or -EINVAL. */
int procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *st);

/* Parse a list of pids separated by spaces (/proc/PID/task/TID/children).
 * Stores at most max; returns how many were found (may exceed max). */
size_t procfs_parse_pids(const char *buf, size_t len, int *pids, size_t max);

#endif
