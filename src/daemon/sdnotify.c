/*
 * prodd's sd_notify(3) messages to its own service manager (see
 * sdnotify.h). Every message goes through sd_notify(0, ...): prodd keeps
 * NOTIFY_SOCKET for the next one (sd_notify(1, ...) would unset it). A
 * failed send is ignored: the manager's own timeouts are its answer. The
 * watchdog is a repeating timer on the loop, so the pings stop when the
 * loop does.
 */
#include "prodd/sdnotify.h"
#include "prodd/log.h"
#include "prodd/sd-lazy.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
sdnotify_send(struct sdnotify *sn, const char *text)
{
	int rc;

	if (!sn->enabled)
		return;
	if ((rc = sd_lazy_notify(0, text)) < 0)
		log_debug(NULL, "sd_notify: %s", strerror(-rc));
}

static void
sdnotify_watchdog_cb(uv_timer_t *t)
{
	sdnotify_send(t->data, "WATCHDOG=1");
}

void
sdnotify_init(struct sdnotify *sn, uv_loop_t *loop,
    void (*counts)(void *arg, struct sdn_counts *out), void *arg)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	uint64_t usec = 0;

	memset(sn, 0, sizeof *sn);
	sn->enabled = sock != NULL && sock[0] != '\0';
	sn->counts = counts;
	sn->arg = arg;
	uv_timer_init(loop, &sn->watchdog);
	uv_timer_init(loop, &sn->extend);
	uv_timer_init(loop, &sn->status_soon);
	sn->watchdog.data = sn->extend.data = sn->status_soon.data = sn;
	/* the pings keep nothing alive: the loop ends when prodd is done */
	uv_unref((uv_handle_t *)&sn->watchdog);
	uv_unref((uv_handle_t *)&sn->extend);
	uv_unref((uv_handle_t *)&sn->status_soon);
	if (sn->enabled && sd_lazy_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		uint64_t ms = usec / 2000;

		sn->watchdog_usec = usec;
		if (ms == 0)
			ms = 1;
		log_info(NULL, "systemd watchdog: WATCHDOG=1 every %llu ms",
		    (unsigned long long)ms);
		uv_timer_start(&sn->watchdog, sdnotify_watchdog_cb, ms, ms);
	}
}

void
sdnotify_close(struct sdnotify *sn)
{
	uv_close((uv_handle_t *)&sn->watchdog, NULL);
	uv_close((uv_handle_t *)&sn->extend, NULL);
	uv_close((uv_handle_t *)&sn->status_soon, NULL);
	free(sn->status);
	sn->status = NULL;
	sn->enabled = false;	/* the last events of the teardown: unsaid */
}

void
sdnotify_ready(struct sdnotify *sn)
{
	sdnotify_send(sn, "READY=1");
}

void
sdnotify_format_status(const struct sdn_counts *c, char *buf, size_t size)
{
	size_t len;
	const struct {
		size_t n;
		const char *what;
	} more[] = {
		{ c->starting, "starting" }, { c->unhealthy, "unhealthy" },
		{ c->stopping, "stopping" }, { c->backoff, "restarting" },
		{ c->failed, "failed" },
	};

	snprintf(buf, size, "%s%zu/%zu running, %zu healthy",
	    c->shutting_down ? "shutting down: " : "", c->alive, c->total,
	    c->healthy);
	for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
		if (more[i].n == 0)
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, ", %zu %s", more[i].n,
		    more[i].what);
	}
}

void
sdnotify_status(struct sdnotify *sn)
{
	struct sdn_counts c;
	char text[256], msg[300];

	if (!sn->enabled)
		return;
	uv_timer_stop(&sn->status_soon);
	memset(&c, 0, sizeof c);
	sn->counts(sn->arg, &c);
	sdnotify_format_status(&c, text, sizeof text);
	if (sn->status != NULL && strcmp(sn->status, text) == 0)
		return;
	free(sn->status);
	sn->status = xstrdup(text);
	snprintf(msg, sizeof msg, "STATUS=%s", text);
	sdnotify_send(sn, msg);
}

static void
sdnotify_status_cb(uv_timer_t *t)
{
	sdnotify_status(t->data);
}

void
sdnotify_changed(struct sdnotify *sn)
{
	if (sn->enabled && !uv_is_active((uv_handle_t *)&sn->status_soon))
		uv_timer_start(&sn->status_soon, sdnotify_status_cb, 0, 0);
}

void
sdnotify_reloading(struct sdnotify *sn)
{
	struct timespec ts;
	char msg[96];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	sdnotify_send(sn, msg);
}

static void
sdnotify_extend_cb(uv_timer_t *t)
{
	struct sdnotify *sn = t->data;
	char msg[64];

	if ((int64_t)uv_now(t->loop) >= sn->extend_until) {
		uv_timer_stop(t);
		return;
	}
	snprintf(msg, sizeof msg, "EXTEND_TIMEOUT_USEC=%llu",
	    (unsigned long long)SDN_EXTEND_BY_MS * 1000ULL);
	sdnotify_send(sn, msg);
}

void
sdnotify_stopping(struct sdnotify *sn, int64_t shutdown_timeout_ms)
{
	char msg[80];

	if (!sn->enabled || sn->extend_until != 0)
		return;		/* a second SIGTERM: already said */
	snprintf(msg, sizeof msg, "STOPPING=1\nEXTEND_TIMEOUT_USEC=%llu",
	    (unsigned long long)SDN_EXTEND_BY_MS * 1000ULL);
	sdnotify_send(sn, msg);
	sn->extend_until = (int64_t)uv_now(sn->extend.loop) +
	    shutdown_timeout_ms + SDN_EXTEND_GRACE_MS;
	uv_timer_start(&sn->extend, sdnotify_extend_cb, SDN_EXTEND_EVERY_MS,
	    SDN_EXTEND_EVERY_MS);
}
