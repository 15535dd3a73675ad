/*
 * The API's follow streams (see api.h): GET /api/services/NAME/logs and
 * /api/events with follow=1 become chunked streams of newline-delimited
 * JSON, each line rendered by core/view exactly as the whole answers
 * render it. The supervisor's hooks feed them (api_on_line, api_on_event);
 * a follower that reads too slowly is dropped by the server, never
 * buffered for, and a reload that removes a followed service ends its
 * followers' streams.
 */
#include "prodd/api.h"
#include "prodd/logs.h"
#include "prodd/strutil.h"
#include "prodd/view.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum follow_kind { FOLLOW_LOGS, FOLLOW_EVENTS };

struct follower {
	LIST_ENTRY(follower) link;
	struct api *api;
	struct srv_stream *st;
	enum follow_kind kind;
	char service[CFG_NAME_MAX + 1];
	int stream;			/* 0: both */
};

static void
api_follower_closed_cb(void *ctx)
{
	struct follower *f = ctx;

	LIST_REMOVE(f, link);
	free(f);
}

static struct follower *
api_follow(struct api *api, struct srv_req *req, enum follow_kind kind,
    const char *service, int stream)
{
	struct follower *f = xcalloc(1, sizeof *f);

	f->api = api;
	f->kind = kind;
	f->stream = stream;
	if (service != NULL)
		snprintf(f->service, sizeof f->service, "%s", service);
	LIST_INSERT_HEAD(&api->followers, f, link);
	f->st = server_stream_start(req, api_follower_closed_cb, f);
	return f;
}

/* Append obj's text and a newline to sb; frees obj. */
static void
api_ndjson(struct strbuf *sb, cJSON *obj)
{
	char *t = cJSON_PrintUnformatted(obj);

	sb_puts(sb, t);
	sb_putc(sb, '\n');
	cJSON_free(t);
	cJSON_Delete(obj);
}

static void
api_line_add_cb(uint64_t seq, int64_t ts, int stream, const char *line,
    size_t len, void *arg)
{
	api_ndjson(arg, view_logline_json(seq, ts, stream, line, len));
}

struct api_since {
	struct strbuf *sb;
	int stream;
};

static void
api_line_since_cb(uint64_t seq, int64_t ts, int stream, const char *line,
    size_t len, void *arg)
{
	struct api_since *as = arg;

	if (as->stream == 0 || as->stream == stream)
		api_line_add_cb(seq, ts, stream, line, len, as->sb);
}

void
api_follow_logs(struct api *api, struct srv_req *req, struct sup_svc *s,
    size_t n, int stream, uint64_t since)
{
	struct strbuf sb = { 0 };
	struct follower *f = api_follow(api, req, FOLLOW_LOGS,
	    sup_svc_cfg(s)->name, stream);
	struct api_since as = { .sb = &sb, .stream = stream };

	if (since > 0)
		logring_since(logs_ring(sup_svc_logs(s)), since + 1,
		    api_line_since_cb, &as);
	else
		logring_last(logs_ring(sup_svc_logs(s)), n, stream,
		    api_line_add_cb, &sb);
	if (sb.len > 0)
		server_stream_write(f->st, sb.buf, sb.len);
	sb_free(&sb);
}

static void
api_event_add_cb(const struct event *e, void *arg)
{
	api_ndjson(arg, view_event_json(e));
}

void
api_follow_events(struct api *api, struct srv_req *req, uint64_t after)
{
	struct strbuf sb = { 0 };
	struct follower *f = api_follow(api, req, FOLLOW_EVENTS, NULL, 0);

	events_since(sup_events(api->sup), after, api_event_add_cb, &sb);
	if (sb.len > 0)
		server_stream_write(f->st, sb.buf, sb.len);
	sb_free(&sb);
}

void
api_on_line(struct api *api, const char *service, int stream, int64_t ts_ms,
    const char *line, size_t len)
{
	struct strbuf sb = { 0 };
	struct follower *f, *next;
	struct sup_svc *s = NULL;

	for (f = LIST_FIRST(&api->followers); f != NULL; f = next) {
		next = LIST_NEXT(f, link);
		if (f->kind != FOLLOW_LOGS || strcmp(f->service, service) != 0 ||
		    (f->stream != 0 && f->stream != stream))
			continue;
		if (sb.len == 0) {
			s = sup_find(api->sup, service);
			api_ndjson(&sb, view_logline_json(s ? logring_next_seq(
			    logs_ring(sup_svc_logs(s))) - 1 : 0, ts_ms, stream,
			    line, len));
		}
		server_stream_write(f->st, sb.buf, sb.len);
	}
	sb_free(&sb);
}

void
api_on_event(struct api *api, const struct event *e)
{
	struct strbuf sb = { 0 };
	struct follower *f, *next;

	/* a reload may have removed services someone follows the logs of */
	if (e->kind == EVENT_RELOAD)
		LIST_FOREACH(f, &api->followers, link)
			if (f->kind == FOLLOW_LOGS &&
			    sup_find(api->sup, f->service) == NULL)
				server_stream_end(f->st);

	for (f = LIST_FIRST(&api->followers); f != NULL; f = next) {
		next = LIST_NEXT(f, link);
		if (f->kind != FOLLOW_EVENTS)
			continue;
		if (sb.len == 0)
			api_ndjson(&sb, view_event_json(e));
		server_stream_write(f->st, sb.buf, sb.len);
	}
	sb_free(&sb);
}

void
api_end_streams(struct api *api)
{
	struct follower *f;

	LIST_FOREACH(f, &api->followers, link)
		server_stream_end(f->st);
}

void
api_upgrade_streams(struct api *api)
{
	static const char rec[] = "{\"upgrade\":true}\n";
	struct follower *f, *next;

	for (f = LIST_FIRST(&api->followers); f != NULL; f = next) {
		next = LIST_NEXT(f, link);
		if (server_stream_write(f->st, rec, sizeof rec - 1) == 0)
			server_stream_end(f->st);
	}
}

void
api_followers_free(struct api *api)
{
	while (!LIST_EMPTY(&api->followers)) {
		struct follower *f = LIST_FIRST(&api->followers);

		LIST_REMOVE(f, link);
		free(f);
	}
}
