/*
 * The sampler (see sampler.h): the timer that takes a sample every
 * daemon.sample_interval (the host's figures, sampler-host.c; the
 * services' process trees, sampler-tree.c), prodd's own RSS and CPU, the
 * loop's lag (how late that same timer fires: prodd keeps no timer only
 * to measure it, so an idle prodd wakes once a sample), what a sample
 * costs, and the reading of /proc files through kept descriptors.
 */
#include "sampler-int.h"
#include "prodd/log.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* reading */

/* The whole of fd (from offset 0) into sm->buf; its length, or -1. */
ssize_t
sm_pread(struct sampler *sm, int fd)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = pread(fd, sm->buf + len, sm->bufcap - len,
		    (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		len += (size_t)n;
		if (n == 0 || len < sm->bufcap)
			return (ssize_t)len;
		if (sm->bufcap >= (8u << 20))
			return (ssize_t)len;	/* enough of anything */
		sm->bufcap *= 2;
		sm->buf = xrealloc(sm->buf, sm->bufcap);
	}
}

/* Open path and read it whole into sm->buf; length or -1. */
ssize_t
sm_read_path(struct sampler *sm, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = sm_pread(sm, fd);
	close(fd);
	return n;
}

int
sm_open(const char *path)
{
	return open(path, O_RDONLY | O_CLOEXEC);
}

void
sm_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int64_t
sm_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
sm_thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* prodd itself, and the loop's lag */

static void
sm_self(struct sampler *sm, int64_t dt_ms)
{
	struct procfs_stat st;
	char b[1024];
	ssize_t n;

	if (sm->fd_self < 0)
		return;
	n = pread(sm->fd_self, b, sizeof b, 0);
	if (n <= 0 || procfs_parse_stat(b, (size_t)n, &st) != 0)
		return;
	if (sm->self_ticks_prev > 0 && dt_ms > 0)
		sm->self.cpu_percent = (double)(st.utime + st.stime -
		    sm->self_ticks_prev) * 100000.0 / (double)sm->clk_tck /
		    (double)dt_ms;
	sm->self_ticks_prev = st.utime + st.stime;
	sm->self.rss = st.rss_pages * sm->page_size;
}

/* The loop's lag is measured on the sample timer, which prodd runs anyway
 * (a timer of its own would wake an idle prodd for nothing): how late,
 * against the time libuv was asked to run it, its callback runs is how
 * long the loop was busy elsewhere (or the machine did not run prodd). */

/* Note when the (just armed) sample timer is due, on uv_hrtime's clock:
 * libuv's loop time is the same monotonic clock in ms. */
static void
sm_lag_due(struct sampler *sm)
{
	sm->lag_due_ns = (uv_now(sm->loop) +
	    uv_timer_get_due_in(&sm->timer)) * 1000000;
}

/* The sample timer fired at now_ns (uv_hrtime): record how late. */
static void
sm_lag(struct sampler *sm, uint64_t now_ns)
{
	double lag, worst = 0;

	if (sm->lag_due_ns == 0)
		return;
	lag = now_ns > sm->lag_due_ns ?
	    (double)(now_ns - sm->lag_due_ns) / 1e6 : 0;
	sm->self.loop_lag_ms = lag;
	sm->lag_hist[sm->lag_pos] = lag;
	sm->lag_pos = (sm->lag_pos + 1) % SAMPLER_LAG_KEEP;
	for (int i = 0; i < SAMPLER_LAG_KEEP; i++)
		if (sm->lag_hist[i] > worst)
			worst = sm->lag_hist[i];
	sm->self.loop_lag_max_ms = worst;
}

static int
sm_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void
sampler_sample(struct sampler *sm)
{
	double c0 = sm_thread_cpu_us();
	int64_t now = sm_mono_ms();
	int64_t dt = sm->have_prev ? now - sm->prev_mono_ms : 0;

	sm_host(sm, dt);
	sm_services(sm, dt, now);
	sm_self(sm, dt);
	sm->host.ts_ms = clock_wall_ms();
	sm->prev_mono_ms = now;
	sm->prev_boot_ticks = (uint64_t)(sm->host.uptime_s *
	    (double)sm->clk_tck);
	sm->have_prev = true;
	sm->nsamples++;
	sm->self.samples = sm->nsamples;
	sm->self.sample_cpu_us = sm_thread_cpu_us() - c0;
	sm->cost[sm->ncost++ % SAMPLER_COST_KEEP] = sm->self.sample_cpu_us;
	{
		size_t n = sm->ncost < SAMPLER_COST_KEEP ? sm->ncost :
		    SAMPLER_COST_KEEP;
		double v[SAMPLER_COST_KEEP];

		memcpy(v, sm->cost, n * sizeof *v);
		qsort(v, n, sizeof *v, sm_cmp_double);
		sm->self.sample_cpu_us_median = n % 2 ? v[n / 2] :
		    (v[n / 2 - 1] + v[n / 2]) / 2;
	}
	if (sm->hooks.on_sample != NULL)
		sm->hooks.on_sample(sm->hooks.arg);
}

static void
sm_timer_cb(uv_timer_t *t)
{
	struct sampler *sm = t->data;

	sm_lag(sm, uv_hrtime());
	/* a repeating timer: libuv armed it again before this call */
	sm_lag_due(sm);
	sampler_sample(sm);
}

struct sampler *
sampler_new(uv_loop_t *loop, const struct sampler_hooks *h)
{
	struct sampler *sm = xcalloc(1, sizeof *sm);
	double up = 0;
	ssize_t n;

	sm->loop = loop;
	sm->hooks = *h;
	TAILQ_INIT(&sm->svcs);
	sm->clk_tck = sysconf(_SC_CLK_TCK);
	sm->page_size = sysconf(_SC_PAGESIZE);
	if (sm->clk_tck <= 0)
		sm->clk_tck = 100;
	if (sm->page_size <= 0)
		sm->page_size = 4096;
	sm->bufcap = 64 * 1024;
	sm->buf = xmalloc(sm->bufcap);
	sm->fd_stat = sm_open("/proc/stat");
	sm->fd_meminfo = sm_open("/proc/meminfo");
	sm->fd_loadavg = sm_open("/proc/loadavg");
	sm->fd_uptime = sm_open("/proc/uptime");
	sm->fd_netdev = sm_open("/proc/net/dev");
	sm->fd_disk = sm_open("/proc/diskstats");
	sm->fd_self = sm_open("/proc/self/stat");
	sm_block_names(sm);
	/* processes started from now on count all their CPU */
	if (sm->fd_uptime >= 0 && (n = sm_pread(sm, sm->fd_uptime)) > 0 &&
	    procfs_parse_uptime(sm->buf, (size_t)n, &up, NULL) == 0)
		sm->prev_boot_ticks = (uint64_t)(up * (double)sm->clk_tck);
	sm->prev_mono_ms = sm_mono_ms();
	metrics_host_init(&sm->host, 600);
	uv_timer_init(loop, &sm->timer);
	sm->timer.data = sm;
	sm->handles = 1;
	return sm;
}

void
sampler_configure(struct sampler *sm, const struct cfg *cfg)
{
	const struct cfg_daemon *d = &cfg->daemon;

	if (sm->history != (uint32_t)d->history) {
		sm->history = (uint32_t)d->history;
		sm_tree_resize(sm);
	}
	sm_host_configure(sm, d);
	if (sm->interval_ms != d->sample_interval_ms) {
		sm->interval_ms = d->sample_interval_ms;
		/* due an interval from now, not from the loop's last wake-up
		 * (the lag is measured against it) */
		uv_update_time(sm->loop);
		uv_timer_start(&sm->timer, sm_timer_cb,
		    (uint64_t)sm->interval_ms, (uint64_t)sm->interval_ms);
		sm_lag_due(sm);
	}
}

static void
sm_closed(uv_handle_t *h)
{
	struct sampler *sm = h->data;

	if (--sm->handles == 0 && sm->reqs == 0)
		free(sm);
}

void
sampler_close(struct sampler *sm)
{
	if (sm == NULL)
		return;
	sm->closing = true;
	sm_tree_close(sm);
	sm_host_close(sm);
	free(sm->buf);
	sm_close(&sm->fd_self);
	uv_close((uv_handle_t *)&sm->timer, sm_closed);
}

const struct metrics_host *
sampler_host(const struct sampler *sm)
{
	return &sm->host;
}

void
sampler_self(const struct sampler *sm, struct sampler_self *out)
{
	*out = sm->self;
}

int64_t
sampler_interval_ms(const struct sampler *sm)
{
	return sm->interval_ms;
}
