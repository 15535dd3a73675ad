/*
 * prodd's own readiness protocol with its service manager (sd_notify(3),
 * libsystemd): READY=1, a STATUS= summary sent only when its text
 * changes, WATCHDOG=1 from a timer on the loop at half of WATCHDOG_USEC
 * (a stuck loop stops it), RELOADING=1 with MONOTONIC_USEC= around a
 * reload, STOPPING=1 and EXTEND_TIMEOUT_USEC= while the shutdown runs.
 * Without NOTIFY_SOCKET every call does nothing. prodd keeps its
 * NOTIFY_SOCKET (sd_notify(0, ...)); the services never see it (core
 * envfile removes it and the other variables systemd set for prodd).
 * A daemon leaf: it is told the counts, it does not read the supervisor.
 */
#ifndef PRODD_SDNOTIFY_H
#define PRODD_SDNOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* While the shutdown runs, EXTEND_TIMEOUT_USEC= this often, each asking
 * for SDN_EXTEND_BY_MS more. */
#define SDN_EXTEND_EVERY_MS 1000
#define SDN_EXTEND_BY_MS 5000
/* After shutdown_timeout, prodd's SIGKILL ends everything: extend for at
 * most this long beyond it, then let the manager's own timeout act. */
#define SDN_EXTEND_GRACE_MS 5000

struct sdn_counts;

struct sdnotify {
	bool enabled;			/* NOTIFY_SOCKET is set */
	uint64_t watchdog_usec;		/* 0: no watchdog asked */
	uv_timer_t watchdog, extend;
	uv_timer_t status_soon;		/* changes of one loop turn: one STATUS= */
	void (*counts)(void *arg, struct sdn_counts *out);
	void *arg;
	int64_t extend_until;		/* loop time; extend no longer then */
	char *status;			/* the last STATUS= text sent */
};

/* How many services are in which state, for the STATUS= line. */
struct sdn_counts {
	size_t total;
	size_t alive;			/* a process: starting .. stopping */
	size_t healthy;			/* running (ready; healthy if checked) */
	size_t starting, unhealthy, stopping, backoff, failed;
	bool shutting_down;
};

/* counts(arg, out) fills out with the services' states, when STATUS= is
 * due. */
void sdnotify_init(struct sdnotify *sn, uv_loop_t *loop,
    void (*counts)(void *arg, struct sdn_counts *out), void *arg);
/* Close its timers (the loop must run for their close callbacks). */
void sdnotify_close(struct sdnotify *sn);

void sdnotify_ready(struct sdnotify *sn);
/* Something changed: STATUS= of the counts at the end of this loop turn
 * (several changes at once make one message), when its text is not the
 * one sent last. */
void sdnotify_changed(struct sdnotify *sn);
/* The same, at once. */
void sdnotify_status(struct sdnotify *sn);
/* "3/3 running, 2 healthy, 1 starting": the summary, into buf. */
void sdnotify_format_status(const struct sdn_counts *c, char *buf,
    size_t size);
/* RELOADING=1 with MONOTONIC_USEC=now; READY=1 follows (sdnotify_ready). */
void sdnotify_reloading(struct sdnotify *sn);
/* STOPPING=1 and EXTEND_TIMEOUT_USEC=, renewed every SDN_EXTEND_EVERY_MS
 * for at most shutdown_timeout_ms + SDN_EXTEND_GRACE_MS. */
void sdnotify_stopping(struct sdnotify *sn, int64_t shutdown_timeout_ms);

#endif
