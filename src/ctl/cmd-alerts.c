/*
 * prodctl alerts [-f]: prodd's alerts -- the active ones (firing, or
 * pending their `for`), then the recently resolved, one per line: "STATE
 * SEVERITY ID SINCE: SUMMARY", with each configured channel's delivery
 * ("webhook delivered", "webhook retrying (3): connection refused").
 * --json prints prodd's answer as it is. With -f, every alert change
 * that follows is printed as it happens (the events of kind alert, from
 * right after the list was read, so none is lost between the two).
 */
#include "ctl.h"

#include "prodd/xmalloc.h"

#include <stdlib.h>
#include <string.h>

static void
ctl_alerts_print(const struct ctl_opts *o, const cJSON *a)
{
	const char *state = ctl_json_str(a, "state");
	const char *sev = ctl_json_str(a, "severity");
	const char *id = ctl_json_str(a, "id");
	const char *since = ctl_json_str(a, "since");
	const char *res = ctl_json_str(a, "resolved_at");
	const char *sum = ctl_json_str(a, "summary");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(a, "deliveries");
	const cJSON *ch;
	enum ctl_color color = state == NULL ? CTL_COLOR_NONE :
	    strcmp(state, "firing") == 0 ? CTL_COLOR_RED :
	    strcmp(state, "pending") == 0 ? CTL_COLOR_YELLOW : CTL_COLOR_GREEN;

	ctl_fputs_color(stdout, o->color, color, state ? state : "?");
	printf(" %s %s ", sev ? sev : "?", id ? id : "?");
	ctl_fputs_color(stdout, o->color, CTL_COLOR_DIM, res ? res :
	    since ? since : "-");
	printf(": %s", sum ? sum : "");
	cJSON_ArrayForEach(ch, d) {
		const char *st = ctl_json_str(ch, "state");
		const char *err = ctl_json_str(ch, "last_error");
		double att = 0;

		ctl_json_num(ch, "attempts", &att);
		printf(" [%s %s", ch->string, st ? st : "?");
		if (att > 1)
			printf(" (%.0f)", att);
		if (err != NULL)
			printf(": %s", err);
		putchar(']');
	}
	putchar('\n');
}

static int
ctl_alerts_line_cb(const char *line, size_t len, cJSON *json, void *arg)
{
	const struct ctl_opts *o = arg;
	const char *kind = ctl_json_str(json, "kind");
	const char *ts = ctl_json_str(json, "ts");
	const char *reason = ctl_json_str(json, "reason");

	if (kind == NULL || strcmp(kind, "alert") != 0)
		return 0;
	if (o->json) {
		printf("%.*s\n", (int)len, line);
	} else {
		ctl_fputs_color(stdout, o->color, CTL_COLOR_DIM, ts ? ts : "-");
		printf(" %s\n", reason ? reason : "");
	}
	fflush(stdout);
	return 0;
}

static int
ctl_alerts_run(const struct ctl_opts *go, int argc, char **argv)
{
	struct ctl_opts o = *go;
	struct ctl_client *c;
	bool follow = false;
	const struct ctl_flag flags[] = {
		{ "--follow", 'f', CTL_FLAG_BOOL, &follow },
		{ NULL, 0, CTL_FLAG_BOOL, NULL },
	};
	struct ctl_resp r, ev;
	const cJSON *a;
	double last_seq = 0;
	char *path;
	int n, rc;

	if ((n = ctl_parse_args(&ctl_cmd_alerts, &o, flags, argc, argv)) < 0)
		return CTL_USAGE;
	if (n != 0)
		return ctl_usage_error(&ctl_cmd_alerts, "alerts takes no names");
	if ((c = ctl_client_open(&o, &rc)) == NULL)
		return rc;
	/* the mark first: a change after it is followed, never lost */
	if (follow) {
		if ((rc = ctl_get_json(c, "/api/events?since=0", &ev)) != CTL_OK)
			goto out;
		ctl_json_num(ev.json, "last_seq", &last_seq);
		ctl_resp_free(&ev);
	}
	if ((rc = ctl_get_json(c, "/api/alerts", &r)) != CTL_OK)
		goto out;
	if (o.json) {
		char *s = cJSON_PrintUnformatted(r.json);

		printf("%s\n", s);
		free(s);
	} else {
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(r.json,
		    "active"))
			ctl_alerts_print(&o, a);
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(r.json,
		    "resolved"))
			ctl_alerts_print(&o, a);
	}
	fflush(stdout);
	ctl_resp_free(&r);
	if (follow) {
		ctl_catch_signals();
		path = xasprintf("/api/events?since=%.0f&follow=1", last_seq);
		rc = ctl_stream(c, path, ctl_alerts_line_cb, &o);
		free(path);
	}
out:
	ctl_client_free(c);
	return rc;
}

const struct ctl_cmd ctl_cmd_alerts = {
	"alerts", "[-f]",
	"active and recently resolved alerts, with their deliveries (-f: "
	"follow)",
	ctl_alerts_run,
};
