/*
 * prodctl logs NAME [-f] [-n N] [--stream stdout|stderr]: a service's last
 * captured output lines as "TIMESTAMP STREAM LINE" (or prodd's JSON with
 * --json), from prodd's in-memory ring. With -f the lines keep coming from
 * a chunked stream until Ctrl-C or until prodd ends it (both exit 0), and
 * go on across an upgrade of prodd (by line number); each line is flushed
 * at once so that a pipe sees it at once.
 */
#include "ctl.h"

#include "prodd/xmalloc.h"

#include <stdlib.h>
#include <string.h>

struct ctl_logs {
	const struct ctl_opts *o;
	const char *esc, *stream;
	long nlines;
};

/* The follow request: the last N lines, or after an upgrade the lines
 * numbered after the last one shown. */
static char *
ctl_logs_path(double last, void *arg)
{
	struct ctl_logs *lg = arg;

	if (last > 0)
		return xasprintf("/api/services/%s/logs?since=%.0f%s%s&follow=1",
		    lg->esc, last, lg->stream != NULL ? "&stream=" : "",
		    lg->stream != NULL ? lg->stream : "");
	return xasprintf("/api/services/%s/logs?lines=%ld%s%s&follow=1",
	    lg->esc, lg->nlines, lg->stream != NULL ? "&stream=" : "",
	    lg->stream != NULL ? lg->stream : "");
}

static void
ctl_logs_print(const struct ctl_opts *o, const cJSON *l)
{
	const char *ts = ctl_json_str(l, "ts");
	const char *stream = ctl_json_str(l, "stream");
	const char *line = ctl_json_str(l, "line");

	ctl_fputs_color(stdout, o->color, CTL_COLOR_DIM, ts != NULL ? ts : "-");
	putchar(' ');
	ctl_fputs_color(stdout, o->color, stream != NULL &&
	    strcmp(stream, "stderr") == 0 ? CTL_COLOR_YELLOW : CTL_COLOR_NONE,
	    stream != NULL ? stream : "-");
	putchar(' ');
	fputs(line != NULL ? line : "", stdout);
	putchar('\n');
}

static int
ctl_logs_line_cb(const char *line, size_t len, cJSON *json, void *arg)
{
	struct ctl_logs *lg = arg;

	if (lg->o->json)
		printf("%.*s\n", (int)len, line);
	else if (json != NULL)
		ctl_logs_print(lg->o, json);
	fflush(stdout);
	return 0;
}

static int
ctl_logs_run(const struct ctl_opts *go, int argc, char **argv)
{
	struct ctl_opts o = *go;
	struct ctl_logs lg = { .o = &o };
	struct ctl_client *c;
	bool follow = false;
	const char *lines = "20", *stream = NULL;
	const struct ctl_flag flags[] = {
		{ "--follow", 'f', CTL_FLAG_BOOL, &follow },
		{ "--lines", 'n', CTL_FLAG_STR, &lines },
		{ "--stream", 's', CTL_FLAG_STR, &stream },
		{ NULL, 0, CTL_FLAG_BOOL, NULL },
	};
	struct ctl_resp r;
	const cJSON *l;
	char *esc, *path;
	long nlines;
	int n, rc;

	if ((n = ctl_parse_args(&ctl_cmd_logs, &o, flags, argc, argv)) < 0)
		return CTL_USAGE;
	if (n != 1)
		return ctl_usage_error(&ctl_cmd_logs, "logs needs one service");
	if (!ctl_parse_count(lines, &nlines))
		return ctl_usage_error(&ctl_cmd_logs, "bad -n '%s' (a number "
		    "of lines)", lines);
	if (stream != NULL && strcmp(stream, "stdout") != 0 &&
	    strcmp(stream, "stderr") != 0)
		return ctl_usage_error(&ctl_cmd_logs, "bad --stream '%s' "
		    "(stdout or stderr)", stream);
	if ((c = ctl_client_open(&o, &rc)) == NULL)
		return rc;
	esc = ctl_escape(argv[0]);
	path = xasprintf("/api/services/%s/logs?lines=%ld%s%s%s", esc, nlines,
	    stream != NULL ? "&stream=" : "", stream != NULL ? stream : "",
	    follow ? "&follow=1" : "");
	if (follow) {
		lg.esc = esc;
		lg.stream = stream;
		lg.nlines = nlines;
		ctl_catch_signals();
		rc = ctl_follow(&o, &c, ctl_logs_path, &lg, "seq", 0,
		    ctl_logs_line_cb, &lg);
	} else if ((rc = ctl_get_json(c, path, &r)) == CTL_OK) {
		if (o.json) {
			printf("%s\n", r.body);
		} else {
			cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(
			    r.json, "lines"))
				ctl_logs_print(&o, l);
		}
		ctl_resp_free(&r);
	}
	free(path);
	free(esc);
	ctl_client_free(c);
	return rc;
}

const struct ctl_cmd ctl_cmd_logs = {
	"logs", "NAME [-f] [-n N] [--stream stdout|stderr]",
	"a service's last output lines (-f: follow)",
	ctl_logs_run,
};
