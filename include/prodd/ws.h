/*
 * The live stream /ws (SPEC §6): WebSocket sessions on the server's
 * libwebsockets vhost and the fan-out to them. A connection gets the
 * snapshot first (or, resuming with ?since=SEQ, the events it missed),
 * then the metrics of each sample, every event, the log lines of the
 * services it subscribed to, and the results of its commands. Each
 * message for many clients is rendered once into a reference-counted
 * buffer that every client's queue shares; large ones go out as
 * fragments, one per writeable callback. A client is bounded: metrics are
 * coalesced to the latest, events and lines queue up to WS_QUEUE_MAX and
 * past it the client is closed with 1008. Loop thread only.
 */
#ifndef PRODD_WS_H
#define PRODD_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <uv.h>

#include "prodd/events.h"

/* What one client may have queued (events, lines, answers). */
#define WS_QUEUE_MAX (1024 * 1024)
/* The largest frame written at once; larger messages are fragmented. */
#define WS_FRAGMENT (16 * 1024)
/* A client silent this long is pinged; one that then stays silent as long
 * again is closed. */
#define WS_PING_MS 30000

struct api;
struct ws_hub;
struct srv_http;
struct lws;

/* The hub of every /ws session; instance is made here, at random. Its
 * ping timer runs on loop while a client is connected. */
struct ws_hub *ws_new(uv_loop_t *loop, struct api *api);
/* Close the hub's timer (the shutdown); ws_free once the loop ran dry. */
void ws_stop(struct ws_hub *hub);
void ws_free(struct ws_hub *hub);
/* This run's id (16 hex digits). */
const char *ws_instance(const struct ws_hub *hub);
/* An upgrade's new prodd keeps the old one's instance: its clients
 * resume by seq. */
void ws_set_instance(struct ws_hub *hub, const char *instance);

/* The fan-out: an event happened, a service printed a line (the last
 * one of its log ring, whose number it gets), a sample was taken, an
 * alert changed (takes alert). */
void ws_on_event(struct ws_hub *hub, const struct event *e);
void ws_on_line(struct ws_hub *hub, const char *service, int stream,
    int64_t ts_ms, const char *line, size_t len);
void ws_on_sample(struct ws_hub *hub);
void ws_on_alert(struct ws_hub *hub, cJSON *alert);

/* Close every session with code (1001 at shutdown). */
void ws_close_all(struct ws_hub *hub, int code);

/* For /metrics. */
size_t ws_clients(const struct ws_hub *hub);
uint64_t ws_messages_rendered(const struct ws_hub *hub);
uint64_t ws_frames_sent(const struct ws_hub *hub);
/* Bytes waiting to be written to the clients: their queues, their latest
 * metrics, the rest of the message each is writing (a shared message
 * counts once for each client that holds it). Walks the clients. */
uint64_t ws_queued_bytes(const struct ws_hub *hub);

/*
 * The server's part (server-http.c): a WebSocket callback reason of a
 * connection (reason an enum lws_callback_reasons; slot the connection's
 * own pointer, NULL at first; tcp: from the TCP listener). Returns
 * nonzero to refuse the connection or to close it.
 */
int ws_callback(struct srv_http *http, struct lws *wsi, int reason,
    void **slot, void *in, size_t len, bool tcp);

#endif
