/*
 * prodctl start NAME...|--all [--no-wait] [--timeout S]: prodd starts the
 * service's missing dependencies first; prodctl waits until each named
 * service is running. The POST and the wait are shared with stop and
 * restart in ctl-action.c.
 */
#include "ctl.h"

static int
ctl_start_run(const struct ctl_opts *o, int argc, char **argv)
{
	return ctl_action_run(&ctl_cmd_start, CTL_ACT_START, o, argc, argv);
}

const struct ctl_cmd ctl_cmd_start = {
	"start", "NAME...|--all [--no-wait] [--timeout S]",
	"start services and wait until they run",
	ctl_start_run,
};
