/*
 * prodd-demo's readiness reports, by the sd_notify(3) protocol itself (no
 * libsystemd): with --notify it sends "STATUS=loading model N %" a few
 * times over its loading time (--start-delay, else 1 s), then
 * "READY=1\nSTATUS=serving" to the socket in NOTIFY_SOCKET (a path, or
 * '@' for an abstract name). With --watchdog-every S it sends WATCHDOG=1
 * every S seconds from READY=1 on (without it, at half of WATCHDOG_USEC
 * when prodd set that), and stops after --stop-watchdog-after S seconds,
 * to show a missed watchdog. Without NOTIFY_SOCKET it says so once on
 * stderr and sends nothing.
 */
#include "demo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEMO_NOTIFY_STEPS 5		/* loading 0 %, 25 %, ... 100 % */

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static uv_timer_t load_timer, dog_timer;
static int load_step;
static uint64_t dog_every_ms, dog_stop_at_ms;
static int timers_open;

static void
demo_notify_send(const char *msg)
{
	if (notify_fd < 0)
		return;
	if (sendto(notify_fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&notify_addr, notify_len) < 0)
		demo_say(2, "prodd-demo: notify: %s\n", strerror(errno));
}

static void
demo_dog_cb(uv_timer_t *t)
{
	if (dog_stop_at_ms > 0 && demo_now_ms() >= dog_stop_at_ms) {
		demo_say(2, "prodd-demo: watchdog pings stopped\n");
		uv_timer_stop(t);
		return;
	}
	demo_notify_send("WATCHDOG=1");
}

static void
demo_load_cb(uv_timer_t *t)
{
	char msg[64];

	if (load_step < DEMO_NOTIFY_STEPS) {
		snprintf(msg, sizeof msg, "STATUS=loading model %d %%",
		    load_step * 100 / (DEMO_NOTIFY_STEPS - 1));
		demo_notify_send(msg);
		load_step++;
		return;
	}
	uv_timer_stop(t);
	demo_notify_send("READY=1\nSTATUS=serving");
	if (dog_every_ms > 0) {
		if (demo_opts.stop_watchdog_after_s >= 0)
			dog_stop_at_ms = demo_now_ms() +
			    (uint64_t)(demo_opts.stop_watchdog_after_s * 1000);
		uv_timer_start(&dog_timer, demo_dog_cb, dog_every_ms,
		    dog_every_ms);
	}
}

void
demo_notify_start(uv_loop_t *loop)
{
	const char *path = getenv("NOTIFY_SOCKET");
	double load_s = demo_opts.start_delay_s > 0 ? demo_opts.start_delay_s :
	    1.0;
	uint64_t step_ms;
	size_t n;

	if (!demo_opts.notify && demo_opts.watchdog_every_s < 0)
		return;
	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (n = strlen(path)) >= sizeof notify_addr.sun_path) {
		demo_say(2, "prodd-demo: no usable NOTIFY_SOCKET: not "
		    "notifying\n");
		return;
	}
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0) {
		demo_say(2, "prodd-demo: notify socket: %s\n", strerror(errno));
		return;
	}
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, n);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (path[0] == '@' ? 0 : 1));
	if (demo_opts.watchdog_every_s > 0) {
		dog_every_ms = (uint64_t)(demo_opts.watchdog_every_s * 1000);
	} else {
		const char *usec = getenv("WATCHDOG_USEC");

		if (usec != NULL && atoll(usec) > 0)
			dog_every_ms = (uint64_t)atoll(usec) / 2000;
	}
	uv_timer_init(loop, &load_timer);
	uv_timer_init(loop, &dog_timer);
	timers_open = 1;
	step_ms = (uint64_t)(load_s * 1000) / (DEMO_NOTIFY_STEPS - 1);
	if (!demo_opts.notify) {
		/* pings only, from now on, and no READY=1 */
		if (demo_opts.stop_watchdog_after_s >= 0)
			dog_stop_at_ms = demo_now_ms() +
			    (uint64_t)(demo_opts.stop_watchdog_after_s * 1000);
		uv_timer_start(&dog_timer, demo_dog_cb, dog_every_ms,
		    dog_every_ms);
		return;
	}
	uv_timer_start(&load_timer, demo_load_cb, 0, step_ms > 0 ? step_ms : 1);
}

void
demo_notify_stop(void)
{
	if (timers_open) {
		uv_close((uv_handle_t *)&load_timer, NULL);
		uv_close((uv_handle_t *)&dog_timer, NULL);
		timers_open = 0;
	}
	if (notify_fd >= 0) {
		demo_notify_send("STOPPING=1");
		close(notify_fd);
		notify_fd = -1;
	}
}
