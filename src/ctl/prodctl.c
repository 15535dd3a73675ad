/*
 * prodctl's main: global options, then one verb from the table below.
 */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct ctl_cmd *const ctl_cmds[] = {
	&ctl_cmd_check,
	&ctl_cmd_version,
};

#define CTL_NCMDS (sizeof ctl_cmds / sizeof *ctl_cmds)

static void
ctl_usage(FILE *f)
{
	fprintf(f, "usage: prodctl [--socket PATH] [--json] [--no-color] "
	    "COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < CTL_NCMDS; i++)
		fprintf(f, "  %-8s %-10s %s\n", ctl_cmds[i]->name,
		    ctl_cmds[i]->usage, ctl_cmds[i]->summary);
}

int
main(int argc, char **argv)
{
	struct ctl_opts o = { .color = isatty(STDOUT_FILENO) != 0 };
	int i;

	o.socket = getenv("PRODD_SOCKET");
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			o.json = true;
		else if (strcmp(argv[i], "--no-color") == 0)
			o.color = false;
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			o.socket = argv[++i];
		else if (strncmp(argv[i], "--socket=", 9) == 0)
			o.socket = argv[i] + 9;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			ctl_usage(stdout);
			return CTL_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			return ctl_cmd_version.run(&o, 0, NULL);
		} else {
			fprintf(stderr, "prodctl: unknown option '%s'\n",
			    argv[i]);
			return CTL_USAGE;
		}
	}
	if (i == argc) {
		ctl_usage(stderr);
		return CTL_USAGE;
	}
	for (size_t c = 0; c < CTL_NCMDS; c++)
		if (strcmp(ctl_cmds[c]->name, argv[i]) == 0)
			return ctl_cmds[c]->run(&o, argc - i - 1, argv + i + 1);
	fprintf(stderr, "prodctl: unknown command '%s' (see prodctl --help)\n",
	    argv[i]);
	return CTL_USAGE;
}
