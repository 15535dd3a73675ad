/*
 * Health probes on prodd's loop (SPEC §2-3): url (GET through one libcurl
 * multi handle driven by uv_poll and uv_timer, connections kept and
 * reused: probe-curl.h), tcp (a non-blocking connect on the loop) and exec
 * (a command spawned as its service is -- its user, groups, limits,
 * working_dir -- in its own process group, killed at the timeout; see
 * spawn.h). Nothing here ever blocks: a hanging or refusing endpoint costs
 * one socket and one timer, and other probes keep their cadence. What a
 * result means is decided in the pure core (health.c); this file only runs
 * checks and reports.
 */
#ifndef PRODD_PROBE_H
#define PRODD_PROBE_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "prodd/config.h"

struct prober;
struct probe;

/* A check ended: ok, or failed with a short reason ("timeout after 2000
 * ms", "connection refused", "HTTP 500", "exit 3"). latency_ms is from
 * the start of the check to its end. */
typedef void (*probe_done_fn)(void *arg, bool ok, double latency_ms,
    const char *error);

struct prober *prober_new(uv_loop_t *loop);
/* Cancel every check, kill the exec checks still running and close the
 * handles, which are freed once libuv has closed them (keep the loop
 * running). Probes must be freed first. */
void prober_close(struct prober *p);
/* The reaper found pid ended with status: true when it was an exec probe
 * (then it is handled here). */
bool prober_reaped(struct prober *p, pid_t pid, int status);

struct probe *probe_new(struct prober *p, probe_done_fn fn, void *arg);
/* Run one check of svc's health_check now. The result comes later,
 * through fn, never from inside this call. Returns -1 (and runs nothing)
 * while a check is still in flight. */
int probe_run(struct probe *pr, const struct cfg_service *svc);
bool probe_busy(const struct probe *pr);
/* Abandon the check in flight, if any: no result will come. */
void probe_cancel(struct probe *pr);
void probe_free(struct probe *pr);

#endif
