/*
 * prodctl events [-f] [--since SEQ] [-n N]: prodd's events, one per line —
 * "TS SERVICE FROM -> TO: REASON" for state changes, "TS SERVICE KIND:
 * REASON" for the others — or their JSON with --json. Without --since the
 * last N (default 20) are shown; with -f new ones follow as they happen,
 * picking up exactly after the last one shown (by sequence number), so
 * that none is lost or shown twice between the two requests (nor across
 * an upgrade of prodd: ctl_follow reconnects).
 */
#include "ctl.h"

#include "prodd/xmalloc.h"

#include <stdlib.h>
#include <string.h>

struct ctl_events {
	const struct ctl_opts *o;
};

static void
ctl_events_print(const struct ctl_opts *o, const cJSON *e)
{
	const char *ts = ctl_json_str(e, "ts");
	const char *svc = ctl_json_str(e, "service");
	const char *kind = ctl_json_str(e, "kind");
	const char *from = ctl_json_str(e, "from");
	const char *to = ctl_json_str(e, "to");
	const char *reason = ctl_json_str(e, "reason");

	ctl_fputs_color(stdout, o->color, CTL_COLOR_DIM, ts != NULL ? ts : "-");
	/* Events of prodd itself (reload, daemon) have no service. */
	printf(" %s ", svc != NULL ? svc : "prodd");
	if (kind != NULL && strcmp(kind, "state") == 0 && to != NULL) {
		printf("%s -> ", from != NULL ? from : "?");
		ctl_fputs_color(stdout, o->color, ctl_state_color(to), to);
	} else {
		fputs(kind != NULL ? kind : "?", stdout);
	}
	if (reason != NULL)
		printf(": %s", reason);
	putchar('\n');
}

static int
ctl_events_line_cb(const char *line, size_t len, cJSON *json, void *arg)
{
	struct ctl_events *ev = arg;

	if (ev->o->json)
		printf("%.*s\n", (int)len, line);
	else if (json != NULL)
		ctl_events_print(ev->o, json);
	fflush(stdout);
	return 0;
}

static char *
ctl_events_path(double last, void *arg)
{
	(void)arg;
	return xasprintf("/api/events?since=%.0f&follow=1", last);
}

static int
ctl_events_run(const struct ctl_opts *go, int argc, char **argv)
{
	struct ctl_opts o = *go;
	struct ctl_events ev = { .o = &o };
	struct ctl_client *c;
	bool follow = false;
	const char *since = NULL, *count = NULL;
	const struct ctl_flag flags[] = {
		{ "--follow", 'f', CTL_FLAG_BOOL, &follow },
		{ "--since", 0, CTL_FLAG_STR, &since },
		{ "--lines", 'n', CTL_FLAG_STR, &count },
		{ NULL, 0, CTL_FLAG_BOOL, NULL },
	};
	struct ctl_resp r;
	const cJSON *list, *e;
	long since_seq = 0, nmax = 20;
	double last_seq = 0;
	char *path;
	int n, rc, len, skip;

	if ((n = ctl_parse_args(&ctl_cmd_events, &o, flags, argc, argv)) < 0)
		return CTL_USAGE;
	if (n != 0)
		return ctl_usage_error(&ctl_cmd_events, "events takes no "
		    "names");
	if (since != NULL && !ctl_parse_count(since, &since_seq))
		return ctl_usage_error(&ctl_cmd_events, "bad --since '%s' (a "
		    "sequence number)", since);
	if (count != NULL && !ctl_parse_count(count, &nmax))
		return ctl_usage_error(&ctl_cmd_events, "bad -n '%s' (a "
		    "number of events)", count);
	/* --since alone means everything after it; -n still caps it. */
	if (since != NULL && count == NULL)
		nmax = -1;
	if ((c = ctl_client_open(&o, &rc)) == NULL)
		return rc;
	path = xasprintf("/api/events?since=%ld", since_seq);
	rc = ctl_get_json(c, path, &r);
	free(path);
	if (rc != CTL_OK)
		goto out;
	list = cJSON_GetObjectItemCaseSensitive(r.json, "events");
	len = cJSON_GetArraySize(list);
	skip = nmax >= 0 && len > nmax ? len - (int)nmax : 0;
	if (o.json && !follow) {
		/* prodd's shape, cut to the last N: events and last_seq. */
		cJSON *out = cJSON_CreateObject();
		cJSON *shown = cJSON_AddArrayToObject(out, "events");
		char *s;

		cJSON_ArrayForEach(e, list)
			if (skip-- <= 0)
				cJSON_AddItemReferenceToArray(shown,
				    (cJSON *)e);
		if (ctl_json_num(r.json, "last_seq", &last_seq))
			cJSON_AddNumberToObject(out, "last_seq", last_seq);
		s = cJSON_PrintUnformatted(out);
		printf("%s\n", s);
		free(s);
		cJSON_Delete(out);
	} else {
		cJSON_ArrayForEach(e, list) {
			if (skip-- > 0)
				continue;
			if (o.json) {
				char *s = cJSON_PrintUnformatted(e);

				printf("%s\n", s);
				free(s);
			} else {
				ctl_events_print(&o, e);
			}
		}
	}
	fflush(stdout);
	if (!ctl_json_num(r.json, "last_seq", &last_seq)) {
		/* Without last_seq, the newest event shown is the mark. */
		e = cJSON_GetArrayItem(list, len - 1);
		if (!ctl_json_num(e, "seq", &last_seq))
			last_seq = (double)since_seq;
	}
	ctl_resp_free(&r);
	if (follow) {
		ctl_catch_signals();
		rc = ctl_follow(&o, &c, ctl_events_path, NULL, "seq", last_seq,
		    ctl_events_line_cb, &ev);
	}
out:
	ctl_client_free(c);
	return rc;
}

const struct ctl_cmd ctl_cmd_events = {
	"events", "[-f] [--since SEQ] [-n N]",
	"prodd's events, one per line (-f: follow)",
	ctl_events_run,
};
