/*
 * prodd's side of an upgrade (SPEC §9; see prodd-int.h): the request
 * checked (no other under way, the supervisor not mid-wave, the file
 * still loads; then, on the loop, the new binary runs and reads the
 * format), the service manager told (RELOADING=1), the followers
 * and /ws clients told, a short wait for their last records, then the
 * whole state rendered into a sealed memfd and the exec (upgrade.c);
 * and, in the new prodd, the state read back from --handover FD.
 */
#include "prodd-int.h"
#include "prodd/api.h"
#include "prodd/config.h"
#include "prodd/handover.h"
#include "prodd/log.h"
#include "prodd/sampler.h"
#include "prodd/sdnotify.h"
#include "prodd/server.h"
#include "prodd/static.h"
#include "prodd/supervisor.h"
#include "prodd/upgrade.h"
#include "prodd/ws.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The exec of an upgrade: the whole state into a sealed memfd, then the
 * new binary in prodd's place. Runs from a loop callback, and nothing of
 * the loop runs between the state's rendering and the exec. */
static void
prodd_handover_exec(struct prodd *p)
{
	struct handover h;
	char err[512], *text;
	size_t len, nkeep = 0;
	int memfd, *keep;
	uint64_t t0 = uv_hrtime();

	handover_init(&h);
	snprintf(h.instance, sizeof h.instance, "%s", ws_instance(p->ws));
	h.mono_ms = (int64_t)uv_now(&p->loop);
	server_listen_fds(p->srv, &h.tcp_fd, &h.unix_fd);
	h.lock_fd = p->lock_fd;
	h.started_ms = api_started_ms(p->api);
	sup_handover_save(p->sup, &h);
	sampler_handover_save(p->sampler, &h);
	alertd_handover_save(p->alerts, &h);
	text = handover_render(&h, &len);
	keep = xcalloc(3 + 3 * h.nsvcs, sizeof *keep);
	keep[nkeep++] = h.tcp_fd;
	keep[nkeep++] = h.unix_fd;
	keep[nkeep++] = h.lock_fd;
	for (size_t i = 0; i < h.nsvcs; i++) {
		for (int k = 0; k < 2; k++)
			keep[nkeep++] = h.svcs[i].out_fd[k];
		keep[nkeep++] = h.svcs[i].notify.fd;
	}
	handover_free(&h);
	if ((memfd = upgrade_memfd(text, len, err, sizeof err)) >= 0) {
		/* the loop's time is that of this turn's start: the state's
		 * rendering is said on its own */
		log_notice(NULL, "upgrade: handing %zu bytes of state over to "
		    "%s after %" PRId64 " ms, rendered in %.1f ms (%zu "
		    "streams, %zu /ws clients still open)", len,
		    p->upgrade_binary, (int64_t)uv_now(&p->loop) -
		    (p->upgrade_until - PRODD_UPGRADE_DRAIN_MS),
		    (double)(uv_hrtime() - t0) / 1e6, server_streams(p->srv),
		    ws_clients(p->ws));
		upgrade_exec(p->upgrade_binary, p->argv, memfd, keep, nkeep,
		    err, sizeof err);
		close(memfd);
	}
	/* still here: the exec failed; prodd goes on as it was */
	free(text);
	free(keep);
	p->upgrading = false;
	server_hold(p->srv, false);
	sdnotify_ready(&p->sdn);	/* the reload it announced is over */
	sup_note(p->sup, EVENT_DAEMON, "upgrade failed: %s; prodd goes on "
	    "unchanged", err);
}

/* Waiting for /ws clients' close frames, followers' last records and
 * alert deliveries in flight. */
static void
prodd_upgrade_tick_cb(uv_timer_t *t)
{
	struct prodd *p = t->data;

	if (++p->upgrade_ticks < 2 || ((server_streams(p->srv) > 0 ||
	    ws_clients(p->ws) > 0 || alertd_inflight(p->alerts) > 0) &&
	    (int64_t)uv_now(&p->loop) < p->upgrade_until))
		return;
	uv_timer_stop(t);
	if (sup_handover_refusal(p->sup) != NULL) {
		sup_note(p->sup, EVENT_DAEMON, "upgrade called off: %s",
		    sup_handover_refusal(p->sup));
		p->upgrading = false;
		server_hold(p->srv, false);
		sdnotify_ready(&p->sdn);
		return;
	}
	prodd_handover_exec(p);
}

/* The new binary answered its --version: the upgrade goes on, or is
 * called off with the reason (an event: prodctl upgrade reports it). */
static void
prodd_upgrade_checked(void *arg, int rc, const char *why)
{
	struct prodd *p = arg;
	const char *refusal = sup_handover_refusal(p->sup);

	p->check = NULL;
	if (rc < 0 || refusal != NULL) {
		p->upgrading = false;
		sup_note(p->sup, EVENT_DAEMON, "upgrade called off: %s",
		    rc < 0 ? why : refusal);
		return;
	}
	/* to the service manager an upgrade is a reload: RELOADING=1 now,
	 * READY=1 from the new prodd once it has taken over (or from this
	 * one when the upgrade is called off); the pid stays the same */
	sdnotify_reloading(&p->sdn);
	/* who connects from now on is answered by the new prodd */
	server_hold(p->srv, true);
	sup_note(p->sup, EVENT_DAEMON, "upgrading in place to %s",
	    p->upgrade_binary);
	/* followers and /ws clients are told, and reconnect to the new
	 * prodd */
	api_upgrade_streams(p->api);
	ws_close_all(p->ws, 1012);
	p->upgrade_ticks = 0;
	p->upgrade_until = (int64_t)uv_now(&p->loop) + PRODD_UPGRADE_DRAIN_MS;
	/* at least two turns of the loop (the answers in flight go out),
	 * 1 ms apart: the listeners wait meanwhile */
	uv_timer_start(&p->upgrade, prodd_upgrade_tick_cb, 1, 1);
}

/* POST /api/upgrade and SIGUSR2: the quick checks here (the answer says
 * a refusal), then the new binary's --version on the loop, then the
 * hand-over (asynchronous: its end, or why it was called off, is an
 * event). */
int
prodd_upgrade(void *arg, const char *binary, char *msg, size_t msglen)
{
	struct prodd *p = arg;
	const char *why;
	char path[PATH_MAX];
	struct cfg *cfg;
	struct static_site *site = NULL;

	if (p->upgrading) {
		snprintf(msg, msglen, "an upgrade is already under way");
		return -1;
	}
	if ((why = sup_handover_refusal(p->sup)) != NULL) {
		snprintf(msg, msglen, "%s", why);
		return -1;
	}
	/* the new prodd reads the file again: one it would refuse would
	 * leave every service without its prodd */
	if ((cfg = prodd_load(p->config_path, true, NULL, &site)) == NULL) {
		snprintf(msg, msglen, "%s has errors (see the log): the new "
		    "prodd could not start on it; fix it first", p->config_path);
		return -1;
	}
	static_site_free(site);
	cfg_free(cfg);
	if (binary == NULL)
		binary = p->self;
	if (realpath(binary, path) == NULL) {
		snprintf(msg, msglen, "cannot run %s: %s", binary,
		    strerror(errno));
		return -1;
	}
	p->check = upgrade_check_start(&p->loop, path, prodd_upgrade_checked,
	    p, msg, msglen);
	if (p->check == NULL)
		return -1;
	snprintf(p->upgrade_binary, sizeof p->upgrade_binary, "%s", path);
	p->upgrading = true;
	snprintf(msg, msglen, "checking %s, then upgrading in place", path);
	return 0;
}

/* The state an upgraded prodd left in the descriptor --handover names:
 * parsed whole, or refused (then the state_dir records are what the next
 * start ends the services with). */
int
prodd_take_handover(struct prodd *p, struct handover *h)
{
	char err[512], *text;
	size_t len;
	int rc;

	text = upgrade_read(p->handover_fd, &len, err, sizeof err);
	close(p->handover_fd);
	p->handover_fd = -1;
	if (text == NULL) {
		log_error(NULL, "%s", err);
		return -1;
	}
	rc = handover_parse(text, len, h, err, sizeof err);
	free(text);
	if (rc < 0) {
		log_error(NULL, "cannot take the upgrade over: %s", err);
		return -1;
	}
	p->lock_fd = h->lock_fd;
	fcntl(p->lock_fd, F_SETFD, FD_CLOEXEC);
	return 0;
}
