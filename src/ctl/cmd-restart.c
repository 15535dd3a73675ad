/*
 * prodctl restart NAME...|--all [--no-wait] [--timeout S]: dependents are
 * left alone; prodctl waits until a new process of each named service is
 * running, so a script can rely on the restart having happened. The POST
 * and the wait are shared with start and stop in ctl-action.c.
 */
#include "ctl.h"

static int
ctl_restart_run(const struct ctl_opts *o, int argc, char **argv)
{
	return ctl_action_run(&ctl_cmd_restart, CTL_ACT_RESTART, o, argc,
	    argv);
}

const struct ctl_cmd ctl_cmd_restart = {
	"restart", "NAME...|--all [--no-wait] [--timeout S]",
	"restart services and wait for the new process",
	ctl_restart_run,
};
