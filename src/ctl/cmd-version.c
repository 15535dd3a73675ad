/*
 * prodctl version: the client's version and API, and prodd's when it can
 * be reached. An unreachable prodd is not an error here (a note on stderr,
 * exit 0): "which prodctl is this" must work on a host where prodd is
 * down. No API-version check either: showing a mismatch is the point.
 */
#include "ctl.h"

#include "prodd/version.h"

#include <stdlib.h>

static int
ctl_version_run(const struct ctl_opts *go, int argc, char **argv)
{
	struct ctl_opts o = *go;
	struct ctl_client *c;
	const cJSON *h = NULL;
	const char *v = NULL;
	char *err = NULL;
	double api = 0;
	bool have_api = false;
	int n;

	if ((n = ctl_parse_args(&ctl_cmd_version, &o, NULL, argc, argv)) < 0)
		return CTL_USAGE;
	if (n != 0)
		return ctl_usage_error(&ctl_cmd_version, "version takes no "
		    "arguments");
	if ((c = ctl_client_open_quiet(&o, &err)) != NULL) {
		h = ctl_client_health(c);
		v = ctl_json_str(h, "version");
		have_api = ctl_json_num(h, "api_version", &api);
	}
	if (o.json) {
		cJSON *out = cJSON_CreateObject(), *me, *them;
		char *s;

		me = cJSON_AddObjectToObject(out, "prodctl");
		cJSON_AddStringToObject(me, "version", PRODD_VERSION);
		cJSON_AddNumberToObject(me, "api_version", PRODD_API_VERSION);
		if (c == NULL) {
			cJSON_AddNullToObject(out, "prodd");
		} else {
			them = cJSON_AddObjectToObject(out, "prodd");
			if (v != NULL)
				cJSON_AddStringToObject(them, "version", v);
			else
				cJSON_AddNullToObject(them, "version");
			if (have_api)
				cJSON_AddNumberToObject(them, "api_version",
				    api);
			else
				cJSON_AddNullToObject(them, "api_version");
		}
		s = cJSON_PrintUnformatted(out);
		printf("%s\n", s);
		free(s);
		cJSON_Delete(out);
	} else {
		ctl_print_client_version();
		if (c != NULL && have_api)
			printf("prodd %s (API %g)\n", v != NULL ? v : "?",
			    api);
		else if (c != NULL)
			printf("prodd %s (API unknown)\n", v != NULL ? v : "?");
	}
	fflush(stdout);
	if (err != NULL)
		fprintf(stderr, "prodctl: %s\n", err);
	free(err);
	ctl_client_free(c);
	return CTL_OK;
}

const struct ctl_cmd ctl_cmd_version = {
	"version", "", "print prodctl's version, and prodd's when it runs",
	ctl_version_run,
};
