/*
 * prodctl status NAME, with exactly one NAME: the detailed view, like
 * systemctl status -- the service's row of the status table, then its
 * state and since when, the STATUS= text the service sent (when it sent
 * one), its process tree with each process's CPU time and memory (read
 * from /proc on this host; prodd's figures for the whole tree above it),
 * health and its last checks, its last exits with the lines each instance
 * wrote last, and its last 10 log lines. With --json: the service's JSON
 * (GET /api/services/NAME) with "log_lines" added.
 */
#include "ctl.h"

#include "prodd/procfs.h"
#include "prodd/xmalloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DETAIL_LOG_LINES 10
#define DETAIL_CHECKS 5
#define DETAIL_MAX_PROCS 256

static void
detail_label(bool color, const char *label)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%10s:", label);
	ctl_fputs_color(stdout, color, CTL_COLOR_BOLD, buf);
	fputc(' ', stdout);
}

/* Print text as one line: control characters (a line of a service's
 * output may hold any byte) shown as '?'. */
static void
detail_text(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s,
		    stdout);
}

/* "TS STREAM LINE" lines of an array of {ts, stream, line}. */
static void
detail_lines(const cJSON *a, const char *indent)
{
	const cJSON *l;

	cJSON_ArrayForEach(l, a) {
		const char *ts = ctl_json_str(l, "ts");
		const char *st = ctl_json_str(l, "stream");

		printf("%s%s %s ", indent, ts != NULL ? ts : "-",
		    st != NULL ? st : "-");
		detail_text(ctl_json_str(l, "line"));
		fputc('\n', stdout);
	}
}

/* The processes of the session the main process leads (each service
 * runs in its own), as a tree under it: pid, CPU time, RSS, command. */
static void
detail_tree_from(const struct procfs_stat *ps, size_t n, int parent,
    int depth, bool *shown, long tck, long page)
{
	for (size_t i = 0; i < n; i++) {
		char cpu[32], rss[32];

		if (shown[i] || ps[i].ppid != parent)
			continue;
		shown[i] = true;
		ctl_format_uptime((double)(ps[i].utime + ps[i].stime) /
		    (double)tck, cpu, sizeof cpu);
		ctl_format_bytes((double)ps[i].rss_pages * (double)page, rss,
		    sizeof rss);
		printf("%12s%*s%s%d %s  cpu %s  rss %s\n", "", depth * 2, "",
		    depth > 0 ? "`-" : "", ps[i].pid, ps[i].comm, cpu, rss);
		if (depth < 16)
			detail_tree_from(ps, n, ps[i].pid, depth + 1, shown,
			    tck, page);
	}
}

/* A small /proc file into buf (NUL-terminated); its length, or -1. */
static ssize_t
detail_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static void
detail_tree(int mainpid)
{
	struct procfs_stat *ps = xcalloc(DETAIL_MAX_PROCS, sizeof *ps);
	bool shown[DETAIL_MAX_PROCS] = { false };
	size_t n = 0;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	DIR *d = opendir("/proc");
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL &&
	    n < DETAIL_MAX_PROCS) {
		char path[300], buf[1024];
		ssize_t len;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		len = detail_read(path, buf, sizeof buf);
		if (len <= 0 || procfs_parse_stat(buf, (size_t)len, &ps[n]) < 0)
			continue;
		if (ps[n].session == mainpid)
			n++;
	}
	if (d != NULL)
		closedir(d);
	/* the main process first, then whatever has no parent in the
	 * session (orphans prodd adopted) */
	for (size_t i = 0; i < n; i++)
		if (ps[i].pid == mainpid && !shown[i]) {
			int ppid = ps[i].ppid;

			ps[i].ppid = -1;
			detail_tree_from(ps, n, -1, 0, shown, tck, page);
			ps[i].ppid = ppid;
		}
	for (size_t i = 0; i < n; i++)
		if (!shown[i]) {
			int ppid = ps[i].ppid;

			ps[i].ppid = -1;
			detail_tree_from(ps, n, -1, 0, shown, tck, page);
			ps[i].ppid = ppid;
		}
	free(ps);
}

static void
detail_health(const cJSON *svc, bool color)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(svc, "health");
	const cJSON *hist = cJSON_GetObjectItemCaseSensitive(h, "history");
	const char *status = ctl_json_str(h, "status");
	const char *kind = ctl_json_str(h, "kind");
	const char *err = ctl_json_str(h, "last_error");
	double v;
	int n, from;

	detail_label(color, "Health");
	ctl_fputs_color(stdout, color, ctl_health_color(status),
	    status != NULL ? status : "-");
	if (kind == NULL) {
		printf(" (no health check)\n");
		return;
	}
	printf(" (%s check", kind);
	if (ctl_json_num(h, "failures", &v))
		printf(", %.0f failure%s in a row", v, v == 1 ? "" : "s");
	printf(")");
	if (err != NULL) {
		printf(", last error: ");
		detail_text(err);
	}
	fputc('\n', stdout);
	n = cJSON_GetArraySize(hist);
	from = n > DETAIL_CHECKS ? n - DETAIL_CHECKS : 0;
	for (int i = n - 1; i >= from; i--) {
		const cJSON *c = cJSON_GetArrayItem(hist, i);
		const char *at = ctl_json_str(c, "at");
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(c, "ok");

		printf("%12scheck %s %s", "", at != NULL ? at : "-",
		    cJSON_IsTrue(ok) ? "ok" : "failed");
		if (ctl_json_num(c, "latency_ms", &v))
			printf(" %.1f ms", v);
		fputc('\n', stdout);
	}
}

static void
detail_exits(const cJSON *svc, bool color)
{
	const cJSON *exits = cJSON_GetObjectItemCaseSensitive(svc,
	    "last_exits"), *x;

	if (cJSON_GetArraySize(exits) == 0)
		return;
	detail_label(color, "Exits");
	printf("the last %d, newest first\n", cJSON_GetArraySize(exits));
	cJSON_ArrayForEach(x, exits) {
		const char *at = ctl_json_str(x, "at");
		const cJSON *lines = cJSON_GetObjectItemCaseSensitive(x,
		    "last_lines");

		printf("%12s%s ", "", at != NULL ? at : "-");
		detail_text(ctl_json_str(x, "reason"));
		fputc('\n', stdout);
		if (cJSON_GetArraySize(lines) == 0)
			printf("%14s(no output)\n", "");
		detail_lines(lines, "              ");
	}
}

static void
detail_print(const struct ctl_opts *o, const cJSON *svc, const cJSON *logs)
{
	const char *state = ctl_json_str(svc, "state");
	const char *since = ctl_json_str(svc, "started_at");
	const char *reason = ctl_json_str(svc, "reason");
	const char *text = ctl_json_str(svc, "status_text");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(svc, "metrics");
	const cJSON *last = cJSON_GetObjectItemCaseSensitive(svc, "last_exit");
	double v, pid = 0;
	char buf[64];

	detail_label(o->color, "State");
	ctl_fputs_color(stdout, o->color, ctl_state_color(state),
	    state != NULL ? state : "?");
	if (since != NULL && ctl_json_num(svc, "uptime_s", &v)) {
		ctl_format_uptime(v, buf, sizeof buf);
		printf(" since %s (%s)", since, buf);
	} else if (ctl_json_str(last, "at") != NULL) {
		printf(" since %s", ctl_json_str(last, "at"));
	}
	printf(", want %s\n", ctl_json_str(svc, "want") != NULL ?
	    ctl_json_str(svc, "want") : "?");
	if (reason != NULL) {
		detail_label(o->color, "Reason");
		detail_text(reason);
		fputc('\n', stdout);
	}
	if (text != NULL) {
		detail_label(o->color, "Status");
		detail_text(text);
		fputc('\n', stdout);
	}
	if (ctl_json_num(svc, "pid", &pid)) {
		detail_label(o->color, "Main PID");
		printf("%.0f\n", pid);
	}
	if (cJSON_IsObject(m)) {
		double procs = 0, thr = 0, rss = 0, cpu = 0;

		ctl_json_num(m, "processes", &procs);
		ctl_json_num(m, "threads", &thr);
		ctl_json_num(m, "rss_bytes", &rss);
		ctl_json_num(m, "cpu_percent", &cpu);
		ctl_format_bytes(rss, buf, sizeof buf);
		detail_label(o->color, "Tasks");
		printf("%.0f processes, %.0f threads; CPU %.1f%%, memory %s\n",
		    procs, thr, cpu, buf);
	}
	if (pid > 0) {
		detail_label(o->color, "Processes");
		printf("pid, CPU time, RSS\n");
		detail_tree((int)pid);
	}
	if (ctl_json_num(svc, "restarts", &v)) {
		detail_label(o->color, "Restarts");
		printf("%.0f\n", v);
	}
	detail_health(svc, o->color);
	detail_exits(svc, o->color);
	if (cJSON_GetArraySize(logs) > 0) {
		detail_label(o->color, "Log");
		printf("the last %d lines\n", cJSON_GetArraySize(logs));
		detail_lines(logs, "            ");
	}
}

int
ctl_status_detail(struct ctl_client *c, const struct ctl_opts *o,
    const char *name)
{
	char *esc = ctl_escape(name);
	char *path = xasprintf("/api/services/%s", esc);
	struct ctl_resp r, l;
	cJSON *logs = NULL;
	int rc;

	rc = ctl_get_json(c, path, &r);
	free(path);
	if (rc != CTL_OK) {
		free(esc);
		return rc == CTL_UNREACHABLE ? rc : CTL_FAILED;
	}
	path = xasprintf("/api/services/%s/logs?lines=%d", esc,
	    DETAIL_LOG_LINES);
	free(esc);
	rc = ctl_get_json(c, path, &l);
	free(path);
	if (rc == CTL_UNREACHABLE) {
		ctl_resp_free(&r);
		return rc;
	}
	if (rc == CTL_OK) {
		logs = cJSON_DetachItemFromObjectCaseSensitive(l.json, "lines");
		ctl_resp_free(&l);
	}
	if (logs == NULL)
		logs = cJSON_CreateArray();
	if (o->json) {
		char *s;

		cJSON_AddItemToObject(r.json, "log_lines", logs);
		s = cJSON_PrintUnformatted(r.json);
		printf("%s\n", s);
		free(s);
	} else {
		cJSON *one = cJSON_CreateArray();

		cJSON_AddItemReferenceToArray(one, r.json);
		ctl_status_table(o, one);
		cJSON_Delete(one);
		fputc('\n', stdout);
		detail_print(o, r.json, logs);
		cJSON_Delete(logs);
	}
	ctl_resp_free(&r);
	return CTL_OK;
}
