/*
 * The option parser every verb shares. getopt_long would do, but it keeps
 * global state and wants the verb as argv[0]; this one is a table walk over
 * the verb's own arguments, accepts flags before and after the names
 * ("prodctl logs rag -f" and "prodctl logs -f rag" both work), and lets
 * --json and --no-color follow the verb too, since people type them there.
 */
#include "ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int
ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fputs("prodctl: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: prodctl %s%s%s\n", cmd->name,
	    cmd->usage[0] != '\0' ? " " : "", cmd->usage);
	return CTL_USAGE;
}

bool
ctl_parse_count(const char *s, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return false;
	*out = v;
	return true;
}

/* The flag that arg names, and where its attached value starts (after '='
 * for a long flag, after the letter for a short one), or NULL. */
static const struct ctl_flag *
ctl_find_flag(const struct ctl_flag *flags, const char *arg,
    const char **inline_val)
{
	*inline_val = NULL;
	if (flags == NULL)
		return NULL;
	for (const struct ctl_flag *f = flags; f->name != NULL; f++) {
		size_t n = strlen(f->name);

		if (arg[1] == '-') {
			if (strncmp(arg, f->name, n) != 0)
				continue;
			if (arg[n] == '\0')
				return f;
			if (arg[n] == '=' && f->kind == CTL_FLAG_STR) {
				*inline_val = arg + n + 1;
				return f;
			}
		} else if (f->short_name != 0 && arg[1] == f->short_name) {
			if (arg[2] == '\0')
				return f;
			if (f->kind == CTL_FLAG_STR) {
				*inline_val = arg + 2;
				return f;
			}
		}
	}
	return NULL;
}

int
ctl_parse_args(const struct ctl_cmd *cmd, struct ctl_opts *o,
    const struct ctl_flag *flags, int argc, char **argv)
{
	int npos = 0;
	bool flags_done = false;

	for (int i = 0; i < argc; i++) {
		const struct ctl_flag *f;
		const char *arg = argv[i], *val;

		if (flags_done || arg[0] != '-' || arg[1] == '\0') {
			argv[npos++] = argv[i];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			flags_done = true;
			continue;
		}
		if (strcmp(arg, "--json") == 0) {
			o->json = true;
			continue;
		}
		if (strcmp(arg, "--no-color") == 0) {
			o->color = false;
			o->no_color = true;
			continue;
		}
		if ((f = ctl_find_flag(flags, arg, &val)) == NULL) {
			ctl_usage_error(cmd, "unknown option '%s' for %s",
			    arg, cmd->name);
			return -1;
		}
		if (f->kind == CTL_FLAG_BOOL) {
			*(bool *)f->dst = true;
			continue;
		}
		if (val == NULL) {
			if (i + 1 >= argc) {
				ctl_usage_error(cmd, "option '%s' needs a "
				    "value", arg);
				return -1;
			}
			val = argv[++i];
		}
		*(const char **)f->dst = val;
	}
	return npos;
}
