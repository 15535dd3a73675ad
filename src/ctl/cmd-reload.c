/*
 * prodctl reload: ask prodd to re-read its services file (as SIGHUP does).
 * A file with errors is refused whole by prodd (422): each of its errors
 * goes to stderr as FILE:LINE:COL: message, like prodctl check prints them,
 * and the exit status is 1.
 */
#include "ctl.h"

static int
ctl_reload_run(const struct ctl_opts *go, int argc, char **argv)
{
	struct ctl_opts o = *go;
	struct ctl_client *c;
	struct ctl_resp r;
	const cJSON *e;
	const char *msg;
	int n, rc;

	if ((n = ctl_parse_args(&ctl_cmd_reload, &o, NULL, argc, argv)) < 0)
		return CTL_USAGE;
	if (n != 0)
		return ctl_usage_error(&ctl_cmd_reload, "reload takes no "
		    "arguments");
	if ((c = ctl_client_open(&o, &rc)) == NULL)
		return rc;
	if ((rc = ctl_request(c, "POST", "/api/reload", NULL, &r)) != CTL_OK)
		goto out;
	if ((rc = ctl_resp_check(&r)) == CTL_OK) {
		if (o.json)
			printf("%s\n", r.body);
		else if ((msg = ctl_json_str(r.json, "message")) != NULL)
			printf("%s\n", msg);
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r.json,
	    "errors"))
		if (cJSON_IsString(e))
			fprintf(stderr, "%s\n", e->valuestring);
	ctl_resp_free(&r);
out:
	ctl_client_free(c);
	return rc;
}

const struct ctl_cmd ctl_cmd_reload = {
	"reload", "", "re-read the services file (refused whole if invalid)",
	ctl_reload_run,
};
