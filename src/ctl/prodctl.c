/*
 * prodctl's main: the global options (before the verb), then one verb from
 * the table below, tmux-style: each verb is a struct ctl_cmd in its own
 * cmd-*.c. Exit statuses are SPEC §8's: 0 ok, 1 failed, 2 usage, 3 prodd
 * not reachable.
 */
#include "ctl.h"

#include "prodd/version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct ctl_cmd *const ctl_cmds[] = {
	&ctl_cmd_status,
	&ctl_cmd_top,
	&ctl_cmd_start,
	&ctl_cmd_stop,
	&ctl_cmd_restart,
	&ctl_cmd_signal,
	&ctl_cmd_reload,
	&ctl_cmd_upgrade,
	&ctl_cmd_logs,
	&ctl_cmd_events,
	&ctl_cmd_alerts,
	&ctl_cmd_health,
	&ctl_cmd_analyze,
	&ctl_cmd_check,
	&ctl_cmd_version,
};

#define CTL_NCMDS (sizeof ctl_cmds / sizeof *ctl_cmds)

void
ctl_print_client_version(void)
{
	printf("prodctl %s (API %d)\n", PRODD_VERSION, PRODD_API_VERSION);
}

static void
ctl_usage(FILE *f)
{
	fprintf(f, "usage: prodctl [--socket PATH] [--json] [--no-color] "
	    "COMMAND [ARGS]\n"
	    "       prodctl --help | --version\n\ncommands:\n");
	for (size_t i = 0; i < CTL_NCMDS; i++)
		fprintf(f, "  %s %s\n      %s\n", ctl_cmds[i]->name,
		    ctl_cmds[i]->usage, ctl_cmds[i]->summary);
	fprintf(f, "\nThe socket is --socket, else $PRODD_SOCKET, else the "
	    "first that exists of\n/run/prodd/prodd.sock and "
	    "$XDG_RUNTIME_DIR/prodd/prodd.sock.\n"
	    "Exit status: 0 ok, 1 failed, 2 usage, 3 prodd not reachable.\n");
}

int
main(int argc, char **argv)
{
	struct ctl_opts o = { 0 };
	int i;

	ctl_lsan_install();
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			o.json = true;
		} else if (strcmp(argv[i], "--no-color") == 0) {
			o.no_color = true;
		} else if (strcmp(argv[i], "--socket") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "prodctl: option '--socket' "
				    "needs a value\n");
				ctl_usage(stderr);
				return CTL_USAGE;
			}
			o.socket = argv[++i];
		} else if (strncmp(argv[i], "--socket=", 9) == 0) {
			o.socket = argv[i] + 9;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			ctl_usage(stdout);
			return CTL_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			/* The client alone: --version never touches the
			 * network (the version verb asks prodd too). */
			ctl_print_client_version();
			return CTL_OK;
		} else {
			fprintf(stderr, "prodctl: unknown option '%s'\n",
			    argv[i]);
			ctl_usage(stderr);
			return CTL_USAGE;
		}
	}
	o.color = ctl_want_color(&o);
	if (i == argc) {
		ctl_usage(stderr);
		return CTL_USAGE;
	}
	if (strcmp(argv[i], "help") == 0) {
		ctl_usage(stdout);
		return CTL_OK;
	}
	for (size_t c = 0; c < CTL_NCMDS; c++)
		if (strcmp(ctl_cmds[c]->name, argv[i]) == 0)
			return ctl_cmds[c]->run(&o, argc - i - 1, argv + i + 1);
	fprintf(stderr, "prodctl: unknown command '%s'\n", argv[i]);
	ctl_usage(stderr);
	return CTL_USAGE;
}
