/*
 * The routes of prodd's HTTP API (SPEC §5): what each path means, read
 * from the supervisor and rendered with core/view. The transport and its
 * guards are server.c's. Loop thread only.
 */
#ifndef PRODD_API_H
#define PRODD_API_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "prodd/events.h"
#include "prodd/server.h"
#include "prodd/supervisor.h"

struct api;

/*
 * reload(arg, msg, msglen, &errors): re-read the config like SIGHUP.
 * Returns 0 when applied (msg says what changed), or -1 when refused, with
 * *errors a JSON array of "FILE:LINE:COL: message" strings (caller frees).
 */
typedef int (*api_reload_fn)(void *arg, char *msg, size_t msglen,
    cJSON **errors);

struct api *api_new(struct supervisor *sup, api_reload_fn reload,
    void *arg);
struct sampler;
/* Where the metrics come from (NULL: none yet). */
void api_set_sampler(struct api *api, struct sampler *sm);
/* The server's request handler (arg is the struct api). */
void api_handle(void *arg, struct srv_req *req);
/* Fan-out to followers: an event happened; a service printed a line. */
void api_on_event(struct api *api, const struct event *e);
void api_on_line(struct api *api, const char *service, int stream,
    int64_t ts_ms, const char *line, size_t len);
/* Ends every follow stream (before the server closes). */
/* prodd is exiting: end every follower's stream once what is queued for
 * it is written (the clients see the last lines and a clean end). */
void api_end_streams(struct api *api);
void api_free(struct api *api);

#endif
