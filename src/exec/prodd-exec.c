/*
 * prodd-exec: the tiny program prodd spawns in place of each service, to do
 * what only the moment between fork and exec can do and libuv's spawn does
 * not: set the service's rlimits, switch user with its supplementary groups
 * (initgroups; libuv would drop them all), and close every descriptor
 * above 2 that prodd or its libraries left open. Then it execs the service
 * in its own place (same pid, same process group). It links only libc, so
 * it costs one small exec.
 *
 *   prodd-exec [-l nofile|nproc|core=N] [-u UID -g GID -n USER] -- PROG ARG...
 *
 * N is a number or "unlimited". On failure it prints one line to stderr
 * (the service's log) and exits 127 (cannot exec) or 126 (setup failed).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void __attribute__((noreturn))
exec_die(int code, const char *what, const char *arg)
{
	fprintf(stderr, "prodd-exec: %s%s%s: %s\n", what, arg ? " " : "",
	    arg ? arg : "", strerror(errno));
	exit(code);
}

static void
exec_rlimit(const char *spec)
{
	static const struct { const char *name; int res; } res[] = {
		{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC },
		{ "core", RLIMIT_CORE },
	};
	const char *eq = strchr(spec, '=');
	struct rlimit rl;
	rlim_t v;
	size_t i;

	if (eq == NULL)
		goto bad;
	for (i = 0; i < sizeof res / sizeof *res; i++)
		if (strlen(res[i].name) == (size_t)(eq - spec) &&
		    strncmp(spec, res[i].name, (size_t)(eq - spec)) == 0)
			break;
	if (i == sizeof res / sizeof *res)
		goto bad;
	if (strcmp(eq + 1, "unlimited") == 0) {
		v = RLIM_INFINITY;
	} else {
		char *end;

		errno = 0;
		v = (rlim_t)strtoull(eq + 1, &end, 10);
		if (*end != '\0' || errno != 0)
			goto bad;
	}
	rl.rlim_cur = rl.rlim_max = v;
	if (setrlimit(res[i].res, &rl) == 0)
		return;
	/* not allowed to raise the hard limit: set the soft one within it */
	if (getrlimit(res[i].res, &rl) == 0) {
		rl.rlim_cur = v <= rl.rlim_max ? v : rl.rlim_max;
		if (setrlimit(res[i].res, &rl) == 0) {
			if (v > rl.rlim_max)
				fprintf(stderr, "prodd-exec: limit %s lowered to "
				    "the hard limit %llu\n", spec,
				    (unsigned long long)rl.rlim_max);
			return;
		}
	}
	exec_die(126, "cannot set limit", spec);
bad:
	errno = EINVAL;
	exec_die(126, "bad limit", spec);
}

int
main(int argc, char **argv)
{
	const char *user = NULL;
	long uid = -1, gid = -1;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			break;
		if (strcmp(argv[i], "-l") == 0)
			exec_rlimit(argv[++i]);
		else if (strcmp(argv[i], "-u") == 0)
			uid = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-g") == 0)
			gid = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-n") == 0)
			user = argv[++i];
		else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: prodd-exec [-l RES=N] [-u UID -g GID "
		    "-n USER] -- PROG [ARG...]\n");
		return 126;
	}
	if (gid >= 0) {
		if (user != NULL && initgroups(user, (gid_t)gid) < 0)
			exec_die(126, "cannot set the groups of", user);
		if (user == NULL && setgroups(1, &(gid_t){ (gid_t)gid }) < 0)
			exec_die(126, "cannot set groups", NULL);
		if (setgid((gid_t)gid) < 0)
			exec_die(126, "cannot switch group", NULL);
	}
	if (uid >= 0 && setuid((uid_t)uid) < 0)
		exec_die(126, "cannot switch user", user);
	/* nothing of prodd's may leak into the service: glibc's closefrom
	 * is close_range(2), or a walk of /proc/self/fd where the kernel
	 * has none */
	closefrom(3);
	execvp(argv[i], argv + i);
	exec_die(127, "cannot run", argv[i]);
}
