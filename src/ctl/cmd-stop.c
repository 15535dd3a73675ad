/*
 * prodctl stop NAME...|--all [--no-wait] [--timeout S]: prodd stops what
 * depends on a service first, and says so in its message; prodctl waits
 * until each named service is stopped. The POST and the wait are shared
 * with start and restart in ctl-action.c.
 */
#include "ctl.h"

static int
ctl_stop_run(const struct ctl_opts *o, int argc, char **argv)
{
	return ctl_action_run(&ctl_cmd_stop, CTL_ACT_STOP, o, argc, argv);
}

const struct ctl_cmd ctl_cmd_stop = {
	"stop", "NAME...|--all [--no-wait] [--timeout S]",
	"stop services (dependents first) and wait",
	ctl_stop_run,
};
