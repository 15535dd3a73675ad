/*
 * prodctl signal NAME SIG: send a signal to a service's process group
 * through prodd (SIGHUP, HUP, hup or 1 all work). Names are passed on as
 * SIGNAME and numbers as numbers; prodd owns the list of what it accepts.
 */
#include "ctl.h"

#include "prodd/strutil.h"
#include "prodd/xmalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *
ctl_signal_body(const char *sig)
{
	struct strbuf name = { 0 }, body = { 0 };
	long num;

	if (ctl_parse_count(sig, &num)) {
		sb_printf(&body, "{\"signal\":%ld}", num);
		return sb_steal(&body);
	}
	if (strncasecmp(sig, "SIG", 3) != 0)
		sb_puts(&name, "SIG");
	for (const char *p = sig; *p; p++)
		sb_putc(&name, (char)toupper((unsigned char)*p));
	sb_puts(&body, "{\"signal\":");
	sb_json_str(&body, name.buf, name.len);
	sb_putc(&body, '}');
	sb_free(&name);
	return sb_steal(&body);
}

static int
ctl_signal_run(const struct ctl_opts *go, int argc, char **argv)
{
	struct ctl_opts o = *go;
	struct ctl_client *c;
	struct ctl_resp r;
	char *esc, *path, *body;
	const char *msg;
	int n, rc;

	if ((n = ctl_parse_args(&ctl_cmd_signal, &o, NULL, argc, argv)) < 0)
		return CTL_USAGE;
	if (n != 2)
		return ctl_usage_error(&ctl_cmd_signal, "signal needs a "
		    "service and a signal");
	if ((c = ctl_client_open(&o, &rc)) == NULL)
		return rc;
	esc = ctl_escape(argv[0]);
	path = xasprintf("/api/services/%s/signal", esc);
	body = ctl_signal_body(argv[1]);
	if ((rc = ctl_request(c, "POST", path, body, &r)) == CTL_OK) {
		if ((rc = ctl_resp_check(&r)) == CTL_OK) {
			if (o.json)
				printf("%s\n", r.body);
			else if ((msg = ctl_json_str(r.json, "message")))
				printf("%s\n", msg);
		}
		ctl_resp_free(&r);
	}
	free(body);
	free(path);
	free(esc);
	ctl_client_free(c);
	return rc;
}

const struct ctl_cmd ctl_cmd_signal = {
	"signal", "NAME SIGNAL", "send a signal (e.g. HUP) to a service",
	ctl_signal_run,
};
