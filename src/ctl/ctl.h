/*
 * prodctl's verbs: each cmd-*.c defines one struct ctl_cmd, and prodctl.c
 * lists them. A verb returns the process exit status: CTL_OK, CTL_FAILED,
 * CTL_USAGE or CTL_UNREACHABLE (SPEC §8).
 */
#ifndef PRODD_CTL_H
#define PRODD_CTL_H

#include <stdbool.h>

enum {
	CTL_OK = 0,
	CTL_FAILED = 1,
	CTL_USAGE = 2,
	CTL_UNREACHABLE = 3,
};

struct ctl_opts {
	const char *socket;
	bool json;
	bool color;
};

struct ctl_cmd {
	const char *name;
	const char *usage;	/* after "prodctl NAME " */
	const char *summary;
	int (*run)(const struct ctl_opts *, int argc, char **argv);
};

extern const struct ctl_cmd ctl_cmd_check;
extern const struct ctl_cmd ctl_cmd_version;

#endif
