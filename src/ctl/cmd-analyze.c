/*
 * prodctl analyze: where the last start's time went (GET /api/analyze),
 * like systemd-analyze: the span of the start, a timeline of every
 * service (when it was wanted, spawned and ready, as offsets from the
 * first wanted, and what it waited for until when), then the critical
 * chain, the service ready last at the top and below it, indented, the
 * dependency that held each up: "@" is when it was ready, "+" how long it
 * took from its spawn. --json prints prodd's answer as it is.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

/* An offset in ms as "+1.234s", or "-" when absent. */
static void
analyze_off(const cJSON *o, const char *key, const char *sign, char *buf,
    size_t size)
{
	double v;

	if (ctl_json_num(o, key, &v))
		snprintf(buf, size, "%s%.3fs", sign, v / 1000.0);
	else
		snprintf(buf, size, "-");
}

static void
analyze_print(const struct ctl_opts *o, const cJSON *a)
{
	static const char *const head[] = {
		"NAME", "STATE", "WANTED", "SPAWNED", "READY", "TOOK",
		"WAITED FOR",
	};
	const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(a, "services");
	const cJSON *chain = cJSON_GetObjectItemCaseSensitive(a,
	    "critical_chain");
	const cJSON *s;
	struct ctl_table *t = ctl_table_new(sizeof head / sizeof *head);
	const char *from = ctl_json_str(a, "started_at");
	const char *last = ctl_json_str(a, "last");
	double total;
	int depth = 0;

	if (ctl_json_num(a, "total_ms", &total))
		printf("startup: %.3fs from %s until %s, ready last: %s\n\n",
		    total / 1000.0, from != NULL ? from : "-",
		    ctl_json_str(a, "finished_at"), last != NULL ? last : "-");
	else if (from != NULL)
		printf("startup: began %s, no service is ready yet\n\n", from);
	else
		printf("startup: no service has been started\n\n");
	for (size_t i = 0; i < sizeof head / sizeof *head; i++)
		ctl_table_add(t, CTL_COLOR_BOLD, head[i]);
	cJSON_ArrayForEach(s, svcs) {
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(s,
		    "waited_for");
		const char *state = ctl_json_str(s, "state");
		char buf[160], until[32];

		ctl_table_add(t, CTL_COLOR_NONE, ctl_json_str(s, "name"));
		ctl_table_add(t, ctl_state_color(state), state != NULL ?
		    state : "?");
		analyze_off(s, "wanted_ms", "+", buf, sizeof buf);
		ctl_table_add(t, CTL_COLOR_NONE, buf);
		analyze_off(s, "spawned_ms", "+", buf, sizeof buf);
		ctl_table_add(t, CTL_COLOR_NONE, buf);
		analyze_off(s, "ready_ms", "+", buf, sizeof buf);
		ctl_table_add(t, CTL_COLOR_NONE, buf);
		analyze_off(s, "start_ms", "", buf, sizeof buf);
		ctl_table_add(t, CTL_COLOR_NONE, buf);
		if (cJSON_IsObject(w)) {
			analyze_off(w, "until_ms", "+", until, sizeof until);
			snprintf(buf, sizeof buf, "%s (until %s)",
			    ctl_json_str(w, "name"), until);
			ctl_table_add(t, CTL_COLOR_NONE, buf);
		} else {
			ctl_table_add(t, CTL_COLOR_NONE, "-");
		}
	}
	ctl_table_print(t, stdout, o->color);
	ctl_table_free(t);
	if (cJSON_GetArraySize(chain) == 0)
		return;
	printf("\ncritical chain (@ ready, + took from its spawn):\n");
	cJSON_ArrayForEach(s, chain) {
		char at[32], took[32];

		analyze_off(s, "ready_ms", "@", at, sizeof at);
		analyze_off(s, "start_ms", "+", took, sizeof took);
		printf("%*s%s", depth * 2, "", depth > 0 ? "`-" : "");
		ctl_fputs_color(stdout, o->color, depth == 0 ? CTL_COLOR_RED :
		    CTL_COLOR_NONE, ctl_json_str(s, "name"));
		printf(" %s %s\n", at, took);
		depth++;
	}
}

static int
ctl_analyze_run(const struct ctl_opts *go, int argc, char **argv)
{
	struct ctl_opts o = *go;
	struct ctl_client *c;
	struct ctl_resp r;
	int n, rc;

	if ((n = ctl_parse_args(&ctl_cmd_analyze, &o, NULL, argc, argv)) < 0)
		return CTL_USAGE;
	if (n != 0)
		return ctl_usage_error(&ctl_cmd_analyze, "analyze takes no "
		    "arguments");
	if ((c = ctl_client_open(&o, &rc)) == NULL)
		return rc;
	if ((rc = ctl_get_json(c, "/api/analyze", &r)) == CTL_OK) {
		if (o.json) {
			fputs(r.body, stdout);
			if (r.len == 0 || r.body[r.len - 1] != '\n')
				fputc('\n', stdout);
		} else {
			analyze_print(&o, r.json);
		}
		ctl_resp_free(&r);
	}
	ctl_client_free(c);
	return rc;
}

const struct ctl_cmd ctl_cmd_analyze = {
	"analyze", "", "the last start: timeline and critical chain",
	ctl_analyze_run,
};
