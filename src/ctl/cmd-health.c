/*
 * prodctl health: prodd's own verdict from GET /api/health in one line
 * ("healthy: 3/3 running, 3 healthy"), or its JSON with --json. The exit
 * status is the verdict (0 healthy, 1 degraded or unhealthy), so that a
 * monitoring script needs nothing but the status.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>

static int
ctl_health_run(const struct ctl_opts *go, int argc, char **argv)
{
	struct ctl_opts o = *go;
	struct ctl_client *c;
	const cJSON *h, *svcs;
	const char *status;
	double total = 0, running = 0, healthy = 0, failed = 0;
	int n, rc;

	if ((n = ctl_parse_args(&ctl_cmd_health, &o, NULL, argc, argv)) < 0)
		return CTL_USAGE;
	if (n != 0)
		return ctl_usage_error(&ctl_cmd_health, "health takes no "
		    "arguments");
	/* Opening the client fetches /api/health already. */
	if ((c = ctl_client_open(&o, &rc)) == NULL)
		return rc;
	h = ctl_client_health(c);
	status = ctl_json_str(h, "status");
	if (o.json) {
		char *s = cJSON_PrintUnformatted(h);

		printf("%s\n", s);
		free(s);
	} else {
		svcs = cJSON_GetObjectItemCaseSensitive(h, "services");
		ctl_json_num(svcs, "total", &total);
		ctl_json_num(svcs, "running", &running);
		ctl_json_num(svcs, "healthy", &healthy);
		ctl_json_num(svcs, "failed", &failed);
		ctl_fputs_color(stdout, o.color, ctl_health_color(status),
		    status != NULL ? status : "unknown");
		printf(": %.0f/%.0f running, %.0f healthy", running, total,
		    healthy);
		if (failed > 0)
			printf(", %.0f failed", failed);
		putchar('\n');
	}
	rc = status != NULL && strcmp(status, "healthy") == 0 ?
	    CTL_OK : CTL_FAILED;
	ctl_client_free(c);
	return rc;
}

const struct ctl_cmd ctl_cmd_health = {
	"health", "", "prodd's health in one line (exit 0 when healthy)",
	ctl_health_run,
};
