/*
 * prodctl status [NAME...]: every service (or the named ones) as a table —
 * with exactly one NAME, the detailed view of cmd-status-detail.c —
 * NAME STATE PID UPTIME CPU MEM RESTARTS HEALTH (status and the last
 * check's latency), then the reason for any
 * state but running, or else the service's own STATUS= text — or, with --json, prodd's own JSON (the list, one
 * service, or an array for several names). An unknown name is reported on
 * stderr and makes the exit status 1, but the others are still shown: a
 * typo in one name should not hide the rest.
 */
#include "ctl.h"

#include "prodd/xmalloc.h"

#include <stdlib.h>
#include <string.h>

static void
ctl_status_row(struct ctl_table *t, const cJSON *svc)
{
	const char *name = ctl_json_str(svc, "name");
	const char *state = ctl_json_str(svc, "state");
	const char *reason = ctl_json_str(svc, "reason");
	const char *text = ctl_json_str(svc, "status_text");
	const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(svc,
	    "metrics");
	char buf[64];
	double v;

	ctl_table_add(t, CTL_COLOR_NONE, name != NULL ? name : "?");
	ctl_table_add(t, ctl_state_color(state), state != NULL ? state : "?");
	ctl_table_num(t, svc, "pid", CTL_CELL_COUNT);
	if (ctl_json_num(svc, "uptime_s", &v))
		ctl_format_uptime(v, buf, sizeof buf);
	else
		snprintf(buf, sizeof buf, "-");
	ctl_table_add(t, CTL_COLOR_NONE, buf);
	/* metrics is null until prodd samples /proc: "-" then. */
	ctl_table_num(t, metrics, "cpu_percent", CTL_CELL_PERCENT);
	ctl_table_num(t, metrics, "rss_bytes", CTL_CELL_BYTES);
	ctl_table_num(t, svc, "restarts", CTL_CELL_COUNT);
	ctl_table_health(t, svc);
	if (state != NULL && strcmp(state, "running") != 0 && reason != NULL)
		ctl_table_add(t, CTL_COLOR_DIM, reason);
	else
		ctl_table_add(t, CTL_COLOR_NONE, text != NULL ? text : "");
}

void
ctl_status_table(const struct ctl_opts *o, const cJSON *services)
{
	static const char *const head[] = {
		"NAME", "STATE", "PID", "UPTIME", "CPU", "MEM", "RESTARTS",
		"HEALTH", "",
	};
	struct ctl_table *t = ctl_table_new(sizeof head / sizeof *head);
	const cJSON *svc;

	for (size_t i = 0; i < sizeof head / sizeof *head; i++)
		ctl_table_add(t, CTL_COLOR_BOLD, head[i]);
	cJSON_ArrayForEach(svc, services)
		ctl_status_row(t, svc);
	ctl_table_print(t, stdout, o->color);
	ctl_table_free(t);
}

static int
ctl_status_all(struct ctl_client *c, const struct ctl_opts *o)
{
	struct ctl_resp r;
	const cJSON *list;
	int rc;

	if ((rc = ctl_get_json(c, "/api/services", &r)) != CTL_OK)
		return rc;
	list = cJSON_GetObjectItemCaseSensitive(r.json, "services");
	if (!cJSON_IsArray(list)) {
		fprintf(stderr, "prodctl: unexpected answer from prodd "
		    "(no \"services\" list)\n");
		rc = CTL_FAILED;
	} else if (o->json) {
		fputs(r.body, stdout);
		if (r.len == 0 || r.body[r.len - 1] != '\n')
			fputc('\n', stdout);
	} else {
		ctl_status_table(o, list);
	}
	ctl_resp_free(&r);
	return rc;
}

static int
ctl_status_run(const struct ctl_opts *go, int argc, char **argv)
{
	struct ctl_opts o = *go;
	struct ctl_client *c;
	cJSON *found;
	int n, rc, worst = CTL_OK;

	if ((n = ctl_parse_args(&ctl_cmd_status, &o, NULL, argc, argv)) < 0)
		return CTL_USAGE;
	if ((c = ctl_client_open(&o, &rc)) == NULL)
		return rc;
	if (n == 0) {
		rc = ctl_status_all(c, &o);
		ctl_client_free(c);
		return rc;
	}
	if (n == 1) {
		rc = ctl_status_detail(c, &o, argv[0]);
		ctl_client_free(c);
		return rc;
	}
	found = cJSON_CreateArray();
	for (int i = 0; i < n; i++) {
		char *esc = ctl_escape(argv[i]);
		char *path = xasprintf("/api/services/%s", esc);
		struct ctl_resp r;

		rc = ctl_get_json(c, path, &r);
		free(path);
		free(esc);
		if (rc == CTL_UNREACHABLE) {
			worst = rc;
			break;
		}
		if (rc != CTL_OK) {
			worst = CTL_FAILED;
			continue;
		}
		cJSON_AddItemToArray(found, r.json);
		r.json = NULL;
		ctl_resp_free(&r);
	}
	if (o.json && worst != CTL_UNREACHABLE) {
		char *s = cJSON_PrintUnformatted(found);

		printf("%s\n", s);
		free(s);
	} else if (worst != CTL_UNREACHABLE && cJSON_GetArraySize(found) > 0) {
		ctl_status_table(&o, found);
	}
	cJSON_Delete(found);
	ctl_client_free(c);
	return worst;
}

const struct ctl_cmd ctl_cmd_status = {
	"status", "[NAME...]", "show the services (a table, or --json)",
	ctl_status_run,
};
