/*
 * prodd's loading of its file (see prodd-int.h): the services file, the
 * TLS files the loader does not read, the webhook's secret and the
 * dashboard's files, with the errors to stderr (--check, the first
 * start) or to the log and a JSON array (a reload, an upgrade's check);
 * and --check itself, which prints the file's summary.
 */
#include "prodd-int.h"
#include "prodd/alertd.h"
#include "prodd/cfgcheck.h"
#include "prodd/cfgenv.h"
#include "prodd/config.h"
#include "prodd/log.h"
#include "prodd/server-tls.h"
#include "prodd/static.h"
#include "prodd/view.h"
#include "prodd/xmalloc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The config file to use when -c is not given. */
const char *
prodd_find_config(void)
{
	const char *env = getenv("PRODD_CONFIG");

	if (env != NULL && env[0] != '\0')
		return env;
	if (access("services.yaml", F_OK) == 0)
		return "services.yaml";
	return "/etc/prodd/services.yaml";
}

/*
 * The dashboard's files of cfg into *sitep: an explicit dashboard_dir
 * that cannot be read is an error of the file (0 or -1 as prodd_load,
 * reported the same way); a missing default is not.
 */
static int
prodd_load_site(struct cfg *cfg, bool to_log, cJSON **errsp,
    struct static_site **sitep)
{
	char err[PATH_MAX + 256], *text;

	*sitep = static_site_load(cfg->daemon.dashboard_dir, err, sizeof err);
	if (*sitep != NULL)
		return 0;
	text = xasprintf("%s: daemon.dashboard_dir: %s", cfg->path, err);
	if (errsp != NULL) {
		*errsp = cJSON_CreateArray();
		cJSON_AddItemToArray(*errsp, cJSON_CreateString(text));
	}
	if (to_log) {
		log_error(NULL, "%s", text);
	} else {
		fprintf(stderr, "%s\n", text);
		fprintf(stderr, "%s: 1 error\n", cfg->path);
	}
	free(text);
	return -1;
}

/* --check: warnings go to stderr as plain lines, not to the log */
static bool prodd_checking;

/* The rest of a load, past the file and the TLS files: the webhook's
 * secret, then (with sitep) the dashboard's files; then the warnings. */
static struct cfg *
prodd_load_rest(struct cfg *cfg, const char *path, bool to_log,
    cJSON **errsp, struct static_site **sitep)
{
	char err[1024], *secret, *warn, *line, *save = NULL;
	size_t len;

	if (alertd_read_secret(cfg, &secret, &len, err, sizeof err) != 0) {
		cfg_free(cfg);
		if (errsp != NULL) {
			*errsp = cJSON_CreateArray();
			cJSON_AddItemToArray(*errsp, cJSON_CreateString(err));
		}
		if (to_log)
			log_error(NULL, "%s", err);
		else
			fprintf(stderr, "%s\n%s: 1 error\n", err, path);
		return NULL;
	}
	free(secret);
	if (sitep != NULL && prodd_load_site(cfg, to_log, errsp, sitep) < 0) {
		cfg_free(cfg);
		return NULL;
	}
	warn = cfg_check_warnings(cfg);
	for (line = warn != NULL ? strtok_r(warn, "\n", &save) : NULL;
	    line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (!to_log && prodd_checking)
			fprintf(stderr, "%s\n", line);
		else
			log_warn(NULL, "%s", line);
	}
	free(warn);
	return cfg;
}

/* Load path (and, with sitep, the dashboard's files); on errors print
 * them (stderr, or the log) and, when errsp is given, collect them there
 * as a JSON array; return NULL. */
struct cfg *
prodd_load(const char *path, bool to_log, cJSON **errsp,
    struct static_site **sitep)
{
	struct cfg_context ctx;
	struct cfg_errors errs;
	struct cfg *cfg;
	char cwd[PATH_MAX];

	cfg_context_from_process(&ctx, cwd, sizeof cwd);
	if ((cfg = cfg_load_file(path, &ctx, &errs)) != NULL) {
		/* the files the loader does not read: tls's cert and key */
		if (srv_tls_check_cfg(cfg, &errs) == 0)
			return prodd_load_rest(cfg, path, to_log, errsp, sitep);
		cfg_free(cfg);
	}
	if (errsp != NULL)
		*errsp = view_config_errors_json(&errs);
	for (size_t i = 0; i < errs.n; i++) {
		if (to_log)
			log_error(NULL, "%s", errs.v[i].text);
		else
			fprintf(stderr, "%s\n", errs.v[i].text);
	}
	if (!to_log)
		fprintf(stderr, "%s: %zu error%s\n", path, errs.n,
		    errs.n == 1 ? "" : "s");
	cfg_errors_free(&errs);
	return NULL;
}

int
prodd_check(const char *path)
{
	struct static_site *site = NULL;
	struct cfg *cfg;
	char *summary;

	prodd_checking = true;
	cfg = prodd_load(path, false, NULL, &site);
	if (cfg == NULL)
		return 1;
	static_site_free(site);
	summary = cfg_check_summary(cfg);
	printf("%s\n", summary);
	free(summary);
	cfg_free(cfg);
	return 0;
}
