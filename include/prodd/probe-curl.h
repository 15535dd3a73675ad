/*
 * HTTP health checks on prodd's loop: one libcurl multi handle for every
 * url probe, driven by uv_poll handles (one a socket curl watches) and one
 * uv_timer (curl's), as INTEGRATION.md §2 says. Each probe keeps its easy
 * handle and the multi handle keeps connections, so a check every few
 * seconds reuses one keep-alive connection. libcurl is loaded at the first
 * check (curl-lazy.h), not before. probe.c schedules the checks and owns
 * their timeouts' reporting; this module only runs transfers and reports
 * how each one ended.
 */
#ifndef PRODD_PROBE_CURL_H
#define PRODD_PROBE_CURL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "prodd/config.h"

struct probe_curl;		/* the multi handle on the loop */
struct probe_http;		/* one probe's transfer */

/* A transfer ended: ok (a status within expect_status), or failed with a
 * short reason ("HTTP 500", "timeout after 2000 ms", "connection
 * refused", ...). Called from the loop, never from inside a call of this
 * module's API but for probe_curl_close (which reports nothing). */
typedef void (*probe_http_fn)(void *arg, bool ok, const char *error);

struct probe_curl *probe_curl_new(uv_loop_t *loop);
/* Every transfer must be freed first. Unloads libcurl; frees itself once
 * libuv has closed its handles (keep the loop running). */
void probe_curl_close(struct probe_curl *pc);
/* This many probes exist: the connection cache is kept at least that
 * large (and at least 16). */
void probe_curl_probes(struct probe_curl *pc, long n);

struct probe_http *probe_http_new(struct probe_curl *pc, probe_http_fn fn,
    void *arg);
/* Start one GET of h->url: 0, or -1 with the reason in err (libcurl cannot
 * be loaded, no handle) and nothing started. At most one at a time. */
int probe_http_start(struct probe_http *ph, const struct cfg_health *h,
    char *err, size_t errlen);
/*
 * Start one POST of body (copied) to url with the extra header lines
 * (NULL-terminated, may be NULL; copied), within timeout_ms; it succeeds
 * on a 2xx answer. For alert deliveries, which share this machinery on a
 * multi handle of their own. 0, or -1 with the reason in err.
 */
int probe_http_post(struct probe_http *ph, const char *url,
    const char *const *headers, const char *body, size_t len,
    int64_t timeout_ms, char *err, size_t errlen);
/* Abandon the transfer in flight, if any: fn will not be called for it. */
void probe_http_cancel(struct probe_http *ph);
void probe_http_free(struct probe_http *ph);

#endif
