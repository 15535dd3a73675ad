/*
 * prodd's main: command line, config discovery, and --check. The daemon
 * proper (the loop, the supervisor, the listeners) is wired here as it
 * lands; see the README's code map.
 */
#include "prodd/cfgcheck.h"
#include "prodd/cfgenv.h"
#include "prodd/config.h"
#include "prodd/log.h"
#include "prodd/version.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
prodd_usage(FILE *f)
{
	fprintf(f,
	    "usage: prodd [-c FILE] [--check] [--log-level LEVEL] "
	    "[--log-format json|text]\n"
	    "\n"
	    "  -c, --config FILE   services file (default: $PRODD_CONFIG, "
	    "./services.yaml,\n"
	    "                      /etc/prodd/services.yaml)\n"
	    "      --check         validate the file and exit (0 valid, 1 not)\n"
	    "      --foreground    run in the foreground (the default; prodd "
	    "never forks itself)\n"
	    "      --log-level L   error, warn, notice, info or debug\n"
	    "      --log-format F  json (default) or text\n"
	    "      --version       print the version\n"
	    "  -h, --help          this help\n");
}

/* The config file to use when -c is not given. */
static const char *
prodd_find_config(void)
{
	const char *env = getenv("PRODD_CONFIG");

	if (env != NULL && env[0] != '\0')
		return env;
	if (access("services.yaml", F_OK) == 0)
		return "services.yaml";
	return "/etc/prodd/services.yaml";
}

/* Print every error, or the summary; the exit status of --check. */
static int
prodd_check(const char *path)
{
	struct cfg_context ctx;
	struct cfg_errors errs;
	struct cfg *cfg;
	char cwd[PATH_MAX], *summary;

	cfg_context_from_process(&ctx, cwd, sizeof cwd);
	if ((cfg = cfg_load_file(path, &ctx, &errs)) == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i].text);
		fprintf(stderr, "%s: %zu error%s\n", path, errs.n,
		    errs.n == 1 ? "" : "s");
		cfg_errors_free(&errs);
		return 1;
	}
	summary = cfg_check_summary(cfg);
	printf("%s\n", summary);
	free(summary);
	cfg_free(cfg);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	int ch, check = 0, v;

	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'F':
			break;
		case 'L':
			if ((v = log_level_parse(optarg)) < 0) {
				fprintf(stderr, "prodd: unknown log level '%s' "
				    "(error, warn, notice, info, debug)\n", optarg);
				return 2;
			}
			log_set_level((enum log_level)v);
			break;
		case 'f':
			if ((v = log_format_parse(optarg)) < 0) {
				fprintf(stderr, "prodd: unknown log format '%s' "
				    "(json, text)\n", optarg);
				return 2;
			}
			log_set_format((enum log_format)v);
			break;
		case 'V':
			printf("prodd %s (API %d)\n", PRODD_VERSION,
			    PRODD_API_VERSION);
			return 0;
		case 'h':
			prodd_usage(stdout);
			return 0;
		default:
			prodd_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "prodd: unexpected argument '%s'\n", argv[optind]);
		prodd_usage(stderr);
		return 2;
	}
	if (config == NULL)
		config = prodd_find_config();
	if (check)
		return prodd_check(config);
	if (prodd_check(config) != 0)
		return 1;
	log_error(NULL, "supervision is not part of this build yet: only "
	    "--check is available");
	return 1;
}
