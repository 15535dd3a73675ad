/*
 * GET /metrics (see api.h): the shell side of core/prom. It reads every
 * service from the supervisor (state, live process, restarts by reason,
 * last exit, memory_limit, health-check state) and the sampler (the
 * latest figures and the counters of each service, the host), and
 * prodd's own process from
 * /proc/self (CPU seconds, memory, descriptors, start time) into
 * core/prom's plain structs, and answers 200 with what prom_render writes,
 * as Prometheus text format 0.0.4. Loop thread only.
 */
#include "prodd/alertd.h"
#include "prodd/api.h"
#include "prodd/fileio.h"
#include "prodd/logs.h"
#include "prodd/procfs.h"
#include "prodd/prom.h"
#include "prodd/sampler.h"
#include "prodd/version.h"
#include "prodd/ws.h"
#include "prodd/xmalloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define API_PROM_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A small /proc file whole into buf (NUL-terminated); its length or -1. */
static ssize_t
api_read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* The host's boot time, in seconds since the epoch (/proc/stat btime);
 * 0 when unknown. Read once: it does not change. */
static double
api_boot_time(void)
{
	static double btime = -1;
	char *buf = NULL, *p;
	size_t len, total;

	if (btime >= 0)
		return btime;
	btime = 0;
	if (file_read_bounded("/proc/stat", 1 << 20, &buf, &len, &total,
	    NULL, 0) == 0 && (p = strstr(buf, "\nbtime ")) != NULL)
		btime = strtod(p + 7, NULL);
	free(buf);
	return btime;
}

/* Open descriptors of prodd: the size of /proc/self/fd since Linux 6.2,
 * else its entries (less the one the count opens). */
static int
api_open_fds(void)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (stat("/proc/self/fd", &st) == 0 && st.st_size > 0)
		return (int)st.st_size;
	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0;
}

/* prodd's own process; false when /proc/self/stat cannot be read. */
static bool
api_self(struct prom_process *p)
{
	char buf[1024];
	struct procfs_stat st;
	struct rlimit rl;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	ssize_t n = api_read_small("/proc/self/stat", buf, sizeof buf);

	if (n <= 0 || procfs_parse_stat(buf, (size_t)n, &st) < 0)
		return false;
	if (tck <= 0)
		tck = 100;
	memset(p, 0, sizeof *p);
	p->cpu_seconds = (double)(st.utime + st.stime) / (double)tck;
	p->rss_bytes = st.rss_pages * (page > 0 ? page : 4096);
	p->vm_bytes = (int64_t)st.vsize;
	p->open_fds = api_open_fds();
	p->max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY ? (int64_t)rl.rlim_cur : -1;
	p->start_time_s = api_boot_time() + (double)st.starttime / (double)tck;
	return true;
}

void
api_metrics(struct api *api, struct srv_req *req, int64_t now)
{
	size_t n = sup_count(api->sup);
	struct prom_service *svcs = xcalloc(n + 1, sizeof *svcs);
	const struct metrics_host *host = api->sampler != NULL ?
	    sampler_host(api->sampler) : NULL;
	struct prom_process self;
	struct prom_model pm = { .version = PRODD_VERSION, .svcs = svcs,
		.nsvcs = n };
	struct strbuf sb = { 0 };
	struct prom_notif notifs[ALERT_CHANS * ALERTD_RESULTS];
	size_t nnotifs = 0;

	(void)now;
	for (size_t i = 0; i < n; i++) {
		const struct sup_svc *s = sup_svc_at(api->sup, i);
		const struct cfg_service *c = sup_svc_cfg(s);
		const struct fsm_svc *f = sup_svc_fsm(s);
		struct prom_service *p = &svcs[i];
		const struct logs_svc *lg;

		p->name = c->name;
		p->state = f->state;
		p->up = sup_svc_pid(s) > 0;
		for (int r = 0; r < PROM_NREASONS; r++)
			p->restarts[r] = sup_svc_restarts(s, (enum prom_reason)r);
		p->has_exit = f->has_exit;
		p->exit_code = f->exit_code;
		p->exit_signal = f->exit_signal;
		p->started_ms = sup_svc_started_ms(s);
		p->memory_limit = c->memory_limit;
		p->m = sampler_metrics(api->sampler, c->name);
		p->health = c->health.kind != CFG_HEALTH_NONE ?
		    sup_svc_health(s) : NULL;
		p->notify = c->notify;
		p->notify_dropped = sup_svc_notify(s, NULL);
		if ((lg = sup_svc_logs(s)) != NULL)
			pm.log_ring_bytes += logring_memory(logs_ring(lg));
	}
	/* the host before its first sample has no figures to show */
	pm.host = host != NULL && host->ts_ms != 0 ? host : NULL;
	pm.self = api_self(&self) ? &self : NULL;
	pm.alerts_firing = api->alerts ? alertd_firing(api->alerts) : 0;
	/* every configured channel's results, zeros too, so rate() works
	 * from the first scrape */
	for (int c = 0; api->alerts != NULL && c < ALERT_CHANS; c++) {
		if (!(alertd_channels(api->alerts) & (1u << c)))
			continue;
		for (int r = 0; r < ALERTD_RESULTS; r++) {
			notifs[nnotifs].channel =
			    alert_chan_name((enum alert_chan)c);
			notifs[nnotifs].result =
			    alertd_result_name((enum alertd_result)r);
			notifs[nnotifs++].n = alertd_count(api->alerts,
			    (enum alert_chan)c, (enum alertd_result)r);
		}
	}
	pm.notifs = notifs;
	pm.nnotifs = nnotifs;
	pm.ws_clients = ws_clients(api->ws);
	pm.ws_rendered = ws_messages_rendered(api->ws);
	pm.ws_frames = ws_frames_sent(api->ws);
	pm.ws_queued = ws_queued_bytes(api->ws);
	prom_render(&pm, &sb);
	server_respond_typed(req, 200, API_PROM_TYPE, sb.buf != NULL ? sb.buf :
	    "", sb.len);
	sb_free(&sb);
	free(svcs);
}
