/*
 * Following across an upgrade of prodd (SPEC §9): `logs -f` and `events
 * -f` read a stream whose last record, when prodd upgrades itself, is
 * {"upgrade": true}. Then the stream ends, and this reconnects (the new
 * prodd answers on the same socket within moments; it is waited for, up
 * to CTL_FOLLOW_BACK_MS) and asks again for what came after the last
 * record shown -- events and lines by their seq (SPEC's line number) -- so
 * nothing is lost or shown twice, as long as prodd still keeps it (the
 * log ring, the event ring). A stream cut without its end (a follower so
 * far behind that the upgrade could not wait for it) is resumed the same
 * way when prodd answers again.
 */
#include "ctl.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long the new prodd may take to answer again. */
#define CTL_FOLLOW_BACK_MS 30000

struct ctl_follow_ctx {
	const char *key;
	double last;
	bool upgraded;
	ctl_line_fn fn;
	void *arg;
};

static int
ctl_follow_line_cb(const char *line, size_t len, cJSON *json, void *arg)
{
	struct ctl_follow_ctx *fc = arg;
	double v;

	if (json != NULL && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(json,
	    "upgrade"))) {
		fc->upgraded = true;
		return 1;
	}
	if (json != NULL && ctl_json_num(json, fc->key, &v))
		fc->last = v;
	return fc->fn(line, len, json, fc->arg);
}

/* A new client, waiting for prodd to answer again; NULL when it did not
 * (the reason printed) or when interrupted. */
static struct ctl_client *
ctl_follow_reconnect(const struct ctl_opts *o)
{
	struct timespec nap = { 0, 50 * 1000000L };
	struct ctl_client *c;
	char *err = NULL;

	for (int waited = 0; !ctl_interrupted; waited += 50) {
		free(err);
		err = NULL;
		if ((c = ctl_client_open_quiet(o, &err)) != NULL)
			return c;
		/* an upgrade never closes the listener: nobody listening
		 * means prodd is gone */
		if (waited >= CTL_FOLLOW_BACK_MS || strstr(err, "is prodd "
		    "running") != NULL)
			break;
		nanosleep(&nap, NULL);
	}
	if (!ctl_interrupted)
		fprintf(stderr, "prodctl: lost the connection to prodd: %s\n",
		    err != NULL ? err : "no answer");
	free(err);
	return NULL;
}

int
ctl_follow(const struct ctl_opts *o, struct ctl_client **cp,
    char *(*path_for)(double last, void *arg), void *path_arg,
    const char *key, double last, ctl_line_fn fn, void *arg)
{
	struct ctl_follow_ctx fc = { .key = key, .last = last, .fn = fn,
		.arg = arg };
	int rc;

	ctl_stream_resumable = true;
	for (;;) {
		char *path = path_for(fc.last, path_arg);

		fc.upgraded = false;
		rc = ctl_stream(*cp, path, ctl_follow_line_cb, &fc);
		free(path);
		if (ctl_interrupted)
			return CTL_OK;
		/* cut in the middle: an upgrade whose last record did not
		 * make it out in time looks the same; prodd answering again
		 * tells */
		if (rc != CTL_STREAM_LOST && (rc != CTL_OK || !fc.upgraded))
			return rc;
		ctl_client_free(*cp);
		if ((*cp = ctl_follow_reconnect(o)) == NULL)
			return ctl_interrupted ? CTL_OK : CTL_UNREACHABLE;
	}
}
