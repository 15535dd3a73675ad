/*
 * prodctl check FILE: validate a services.yaml offline, with the same
 * loader prodd uses. Exit 0 and a summary, or 1 and every error.
 */
#include "ctl.h"

#include "prodd/cfgcheck.h"
#include "prodd/cfgenv.h"
#include "prodd/config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

static int
ctl_check_run(const struct ctl_opts *o, int argc, char **argv)
{
	struct cfg_context ctx;
	struct cfg_errors errs;
	struct cfg *cfg;
	char cwd[PATH_MAX], *summary;

	(void)o;
	if (argc != 1) {
		fprintf(stderr, "usage: prodctl check FILE\n");
		return CTL_USAGE;
	}
	cfg_context_from_process(&ctx, cwd, sizeof cwd);
	if ((cfg = cfg_load_file(argv[0], &ctx, &errs)) == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i].text);
		fprintf(stderr, "%s: %zu error%s\n", argv[0], errs.n,
		    errs.n == 1 ? "" : "s");
		cfg_errors_free(&errs);
		return CTL_FAILED;
	}
	summary = cfg_check_warnings(cfg);
	if (summary != NULL)
		fputs(summary, stderr);
	free(summary);
	summary = cfg_check_summary(cfg);
	printf("%s\n", summary);
	free(summary);
	cfg_free(cfg);
	return CTL_OK;
}

const struct ctl_cmd ctl_cmd_check = {
	"check", "FILE", "validate a services.yaml without a running prodd",
	ctl_check_run,
};
