/*
 * prodctl upgrade [BINARY] [--no-wait]: make prodd replace its program in
 * place (SPEC §9), BINARY or, without it, the path prodd was started
 * from; no service restarts. prodd checks BINARY first and refuses one
 * that does not run or cannot read its hand-over format (exit 1, with
 * the reason, nothing changed). Then this waits until the new prodd
 * answers and reports its "upgraded in place" event (or the failure it
 * logged), up to 30 s. A prodd that is not running is exit 3, as for
 * every verb: the package's postinst takes that as no error.
 */
#include "ctl.h"

#include "prodd/xmalloc.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTL_UPGRADE_WAIT_MS 30000

/* The seq of the newest event prodd has, or 0. */
static double
ctl_upgrade_last_seq(struct ctl_client *c)
{
	struct ctl_resp r;
	double seq = 0;

	if (ctl_request(c, "GET", "/api/events?since=0", NULL, &r) != CTL_OK)
		return 0;
	if (!ctl_json_num(r.json, "last_seq", &seq)) {
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(r.json,
		    "events");

		ctl_json_num(cJSON_GetArrayItem(list, cJSON_GetArraySize(list) -
		    1), "seq", &seq);
	}
	ctl_resp_free(&r);
	return seq;
}

/* The outcome among prodd's daemon events after seq: 0 upgraded, 1
 * failed (reason printed), -1 not yet. */
static int
ctl_upgrade_outcome(struct ctl_client *c, double after, bool json)
{
	struct ctl_resp r;
	const cJSON *e;
	char *path = xasprintf("/api/events?since=%.0f", after);
	int out = -1;

	if (ctl_request(c, "GET", path, NULL, &r) != CTL_OK) {
		free(path);
		return -1;
	}
	free(path);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r.json,
	    "events")) {
		const char *reason = ctl_json_str(e, "reason");
		const char *kind = ctl_json_str(e, "kind");

		if (reason == NULL || kind == NULL ||
		    strcmp(kind, "daemon") != 0)
			continue;
		if (strncmp(reason, "upgraded in place", 17) == 0)
			out = 0;
		else if (strncmp(reason, "upgrade failed", 14) == 0 ||
		    strncmp(reason, "upgrade called off", 18) == 0)
			out = 1;
		else
			continue;
		if (json) {
			char *s = cJSON_PrintUnformatted(e);

			printf("%s\n", s);
			free(s);
		} else if (out == 0)
			printf("%s\n", reason);
		else
			fprintf(stderr, "prodctl: %s\n", reason);
		break;
	}
	ctl_resp_free(&r);
	return out;
}

static int
ctl_upgrade_run(const struct ctl_opts *go, int argc, char **argv)
{
	struct ctl_opts o = *go;
	struct ctl_client *c;
	struct ctl_resp r;
	bool no_wait = false;
	const struct ctl_flag flags[] = {
		{ "--no-wait", 0, CTL_FLAG_BOOL, &no_wait },
		{ NULL, 0, CTL_FLAG_BOOL, NULL },
	};
	struct timespec nap = { 0, 50 * 1000000L };
	char path[PATH_MAX], *body = NULL, *err = NULL;
	const char *msg;
	double seq;
	int n, rc;

	if ((n = ctl_parse_args(&ctl_cmd_upgrade, &o, flags, argc, argv)) < 0)
		return CTL_USAGE;
	if (n > 1)
		return ctl_usage_error(&ctl_cmd_upgrade, "upgrade takes at most "
		    "one binary");
	if ((c = ctl_client_open(&o, &rc)) == NULL)
		return rc;
	if (n == 1) {
		cJSON *b = cJSON_CreateObject();

		/* prodd's working directory is not ours */
		cJSON_AddStringToObject(b, "binary", realpath(argv[0], path) ?
		    path : argv[0]);
		body = cJSON_PrintUnformatted(b);
		cJSON_Delete(b);
	}
	seq = ctl_upgrade_last_seq(c);
	rc = ctl_request(c, "POST", "/api/upgrade", body, &r);
	free(body);
	if (rc != CTL_OK)
		goto out;
	if ((rc = ctl_resp_check(&r)) != CTL_OK) {
		ctl_resp_free(&r);
		goto out;
	}
	if (!o.json && (msg = ctl_json_str(r.json, "message")) != NULL)
		printf("%s\n", msg);
	ctl_resp_free(&r);
	if (no_wait)
		goto out;
	/* the old connection ends with the old program */
	ctl_client_free(c);
	c = NULL;
	for (int waited = 0; waited < CTL_UPGRADE_WAIT_MS; waited += 50) {
		int out;

		nanosleep(&nap, NULL);
		free(err);
		err = NULL;
		if ((c = ctl_client_open_quiet(&o, &err)) == NULL) {
			/* the listener is handed over, never closed: nobody
			 * listening means the new binary died */
			if (strstr(err, "is prodd running") != NULL)
				break;
			continue;
		}
		out = ctl_upgrade_outcome(c, seq, o.json);
		if (out >= 0) {
			rc = out == 0 ? CTL_OK : CTL_FAILED;
			goto out;
		}
		ctl_client_free(c);
		c = NULL;
	}
	fprintf(stderr, "prodctl: the new prodd did not take over: %s (its "
	    "services keep running; the next start of prodd ends them)\n",
	    err != NULL ? err : "no outcome within 30 s");
	rc = CTL_FAILED;
out:
	free(err);
	if (c != NULL)
		ctl_client_free(c);
	return rc;
}

const struct ctl_cmd ctl_cmd_upgrade = {
	"upgrade", "[BINARY] [--no-wait]",
	"replace prodd's program in place (default: the one it runs); "
	"no service restarts",
	ctl_upgrade_run,
};
