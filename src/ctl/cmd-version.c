/*
 * prodctl version: the client's version (and, once the API exists, the
 * daemon's).
 */
#include "ctl.h"

#include "prodd/version.h"

#include <stdio.h>

static int
ctl_version_run(const struct ctl_opts *o, int argc, char **argv)
{
	(void)o;
	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: prodctl version\n");
		return CTL_USAGE;
	}
	printf("prodctl %s (API %d)\n", PRODD_VERSION, PRODD_API_VERSION);
	return CTL_OK;
}

const struct ctl_cmd ctl_cmd_version = {
	"version", "", "print the version", ctl_version_run,
};
