/*
 * Spawning services and their exec checks (see spawn.h): what is done
 * before and after the fork. The checks before it turn the usual mistakes
 * into a clear "spawn failed: ..." reason instead of an exit code 127 a
 * second later (a program named by its path is looked at only when its
 * exec failed, to say why); the request carries the program, its
 * arguments, its environment and its directory; when a child also needs
 * limits or another user, the exec helper (prodd-exec) runs first and
 * does what only the moment before exec can (setrlimit, initgroups). The
 * fork itself, with the one set-up every child of prodd gets, is
 * spawn-run.c's.
 */
#include "prodd/spawn.h"
#include "prodd/envfile.h"
#include "prodd/fileio.h"
#include "prodd/strutil.h"
#include "prodd/units.h"
#include "prodd/xmalloc.h"
#include "spawn-int.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

const char *
spawn_helper_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("PRODD_EXEC_HELPER");
	ssize_t n;
	char *slash;

	if (env != NULL && env[0] != '\0')
		return env;
	if (path[0] != '\0')
		return path;
	n = readlink("/proc/self/exe", path, sizeof path - 16);
	if (n <= 0) {
		snprintf(path, sizeof path, "prodd-exec");
		return path;
	}
	path[n] = '\0';
	slash = strrchr(path, '/');
	snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path),
	    "prodd-exec");
#ifdef PRODD_LIBEXECDIR
	/* installed: no helper next to the binary, the compiled-in one */
	if (access(path, X_OK) != 0)
		snprintf(path, sizeof path, "%s/prodd-exec", PRODD_LIBEXECDIR);
#endif
	return path;
}

/*
 * The last program found in PATH, kept until the end of the batch that
 * found it (spawn_run): 500 services of one program stat each PATH
 * directory once per batch, not once each. Loop thread only, as the
 * preparing of spawns is. Anything else searches anew, and a new batch
 * sees programs installed or removed meanwhile.
 */
static struct {
	char *prog, *cwd, *path;	/* the key; prog NULL: none */
	char out[PATH_MAX];
} spawn_found;

void
spawn_found_clear(void)
{
	free(spawn_found.prog);
	free(spawn_found.cwd);
	free(spawn_found.path);
	spawn_found.prog = spawn_found.cwd = spawn_found.path = NULL;
}

static bool
spawn_found_is(const char *prog, const char *cwd, const char *path)
{
	return spawn_found.prog != NULL && strcmp(spawn_found.prog, prog) == 0 &&
	    strcmp(spawn_found.path, path) == 0 &&
	    (cwd == NULL ? spawn_found.cwd == NULL :
	    spawn_found.cwd != NULL && strcmp(spawn_found.cwd, cwd) == 0);
}

static void
spawn_found_keep(const char *prog, const char *cwd, const char *path,
    const char *out)
{
	spawn_found_clear();
	spawn_found.prog = xstrdup(prog);
	spawn_found.cwd = cwd != NULL ? xstrdup(cwd) : NULL;
	spawn_found.path = xstrdup(path);
	snprintf(spawn_found.out, sizeof spawn_found.out, "%s", out);
}

/* A program named with a '/': as it is, or under cwd when relative. */
static void
spawn_join(const char *prog, const char *cwd, char *out, size_t outlen)
{
	if (prog[0] == '/' || cwd == NULL)
		snprintf(out, outlen, "%s", prog);
	else
		snprintf(out, outlen, "%s/%s", cwd, prog);
}

/* Find prog as execvp would, with the service's PATH and directory. */
static int
spawn_find(const char *prog, const char *cwd, char *const *env, char *out,
    size_t outlen, char *err, size_t errlen)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	int saw_eacces = 0;

	if (strchr(prog, '/') != NULL) {
		spawn_join(prog, cwd, out, outlen);
		if (access(out, X_OK) == 0) {
			struct stat st;

			if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
				snprintf(err, errlen, "%s is a directory", prog);
				return -EISDIR;
			}
			return 0;
		}
		snprintf(err, errlen, "cannot run %s: %s", prog,
		    strerror(errno));
		return -errno;
	}
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], "PATH=", 5) == 0)
			path = env[i] + 5;
	if (spawn_found_is(prog, cwd, path) &&
	    strlen(spawn_found.out) < outlen) {
		memcpy(out, spawn_found.out, strlen(spawn_found.out) + 1);
		return 0;
	}
	for (const char *p = path; ; ) {
		const char *colon = strchr(p, ':');
		size_t dl = colon ? (size_t)(colon - p) : strlen(p);
		struct stat st;

		if (dl == 0)
			snprintf(out, outlen, "%s/%s", cwd ? cwd : ".", prog);
		else
			snprintf(out, outlen, "%.*s/%s", (int)dl, p, prog);
		if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(out, X_OK) == 0) {
				spawn_found_keep(prog, cwd, path, out);
				return 0;
			}
			saw_eacces = 1;
		}
		if (colon == NULL)
			break;
		p = colon + 1;
	}
	if (saw_eacces) {
		snprintf(err, errlen, "cannot run %s: permission denied", prog);
		return -EACCES;
	}
	snprintf(err, errlen, "cannot run %s: not found in PATH (%s)", prog,
	    path);
	return -ENOENT;
}

struct spawn_user {
	uid_t uid;
	gid_t gid;
	char *name;
	struct cfg_env env[4];		/* HOME USER LOGNAME SHELL */
	size_t nenv;
};

static void
spawn_user_free(struct spawn_user *u)
{
	free(u->name);
	u->name = NULL;
	for (size_t i = 0; i < u->nenv; i++)
		free(u->env[i].value);
	u->nenv = 0;		/* a second call frees nothing twice */
}

static int
spawn_lookup_user(const struct cfg_service *svc, struct spawn_user *u,
    char *err, size_t errlen)
{
	struct passwd *pw = NULL;
	char *end;

	memset(u, 0, sizeof *u);
	if (svc->user == NULL && svc->group == NULL)
		return 0;
	if (geteuid() != 0) {
		snprintf(err, errlen, "'user'/'group' need prodd to run as root");
		return -EPERM;
	}
	if (svc->user != NULL) {
		unsigned long v;

		errno = 0;
		v = strtoul(svc->user, &end, 10);
		pw = *end == '\0' ? getpwuid((uid_t)v) : getpwnam(svc->user);
		if (pw == NULL) {
			snprintf(err, errlen, "unknown user '%s'", svc->user);
			return -ENOENT;
		}
		u->uid = pw->pw_uid;
		u->gid = pw->pw_gid;
		u->name = xstrdup(pw->pw_name);
		u->env[0] = (struct cfg_env){ (char *)"HOME", xstrdup(pw->pw_dir) };
		u->env[1] = (struct cfg_env){ (char *)"USER", xstrdup(pw->pw_name) };
		u->env[2] = (struct cfg_env){ (char *)"LOGNAME",
		    xstrdup(pw->pw_name) };
		u->env[3] = (struct cfg_env){ (char *)"SHELL",
		    xstrdup(pw->pw_shell && pw->pw_shell[0] ? pw->pw_shell :
		    "/bin/sh") };
		u->nenv = 4;
	} else {
		u->uid = 0;
		u->gid = 0;
	}
	if (svc->group != NULL) {
		struct group *gr;
		unsigned long v;

		v = strtoul(svc->group, &end, 10);
		gr = *end == '\0' ? getgrgid((gid_t)v) : getgrnam(svc->group);
		if (gr == NULL) {
			snprintf(err, errlen, "unknown group '%s'", svc->group);
			spawn_user_free(u);
			return -ENOENT;
		}
		u->gid = gr->gr_gid;
	}
	return 1;
}

static void
spawn_push(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 2, sizeof **v);
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

/* An empty request: spawn_finish on it frees nothing and returns -1. */
static void
spawn_req_init(struct spawn_req *r)
{
	memset(r, 0, sizeof *r);
	r->pid = -1;
	r->out_fd = r->err_fd = -1;
	r->pidfd = -1;
}

/*
 * The set-up of every child of prodd, services and exec checks alike: its
 * own session and group; every signal back to its default (prodd ignores
 * SIGPIPE) and none blocked; stdin /dev/null; stdout and stderr on out_fd
 * and err_fd (both on /dev/null when out_fd is -1); no other descriptor of
 * prodd's; dir, if any, as its directory. spawn-run.c carries it out:
 * the clone path by hand (spawn_child), posix_spawn told it at the spawn
 * (spawn_posix) where the clone path cannot run.
 */
static void
spawn_setup(struct spawn_req *r, const char *dir, int out_fd, int err_fd)
{
	r->dir = dir != NULL ? xstrdup(dir) : NULL;
	r->out_fd = out_fd;
	r->err_fd = out_fd < 0 ? -1 : err_fd;
}

/*
 * One child of svc: argv (NULL-terminated) as svc's user and group, with
 * its limits, in its working_dir, with prodd's environment, svc's env_file
 * if with_env_file, its environment and its user's variables. Through the
 * exec helper when there is a user, a group or a limit to set, else
 * directly.
 */
static int
spawn_prepare_argv(struct spawn_req *r, const struct cfg_service *svc,
    char *const *argv, bool with_env_file, const struct cfg_env *extra,
    size_t nextra, int out_fd, int err_fd, char *err, size_t errlen)
{
	struct cfg_env last[4 + SPAWN_EXTRA_ENV_MAX];
	size_t nlast;
	struct cfg_env *filev = NULL;
	size_t nfile = 0, nargs = 0;
	struct spawn_user user;
	char **env = NULL, **args = NULL, prog[PATH_MAX];
	const char *path;
	struct stat st;
	int has_user, rc = -1;
	bool direct, recheck = false;

	spawn_req_init(r);
	memset(&user, 0, sizeof user);
	if (svc->working_dir != NULL) {
		const char *why = NULL;

		if (stat(svc->working_dir, &st) < 0)
			why = strerror(errno);
		else if (!S_ISDIR(st.st_mode))
			why = "not a directory";
		if (why != NULL) {
			snprintf(err, errlen, "working_dir %s: %s",
			    svc->working_dir, why);
			return -1;
		}
	}
	if (with_env_file && svc->env_file != NULL) {
		char *buf, why[256];
		size_t len, total;
		int prc;

		if (file_read_bounded(svc->env_file, 1 << 20, &buf, &len, &total,
		    why, sizeof why) < 0) {
			snprintf(err, errlen, "env_file %s: %s", svc->env_file,
			    why);
			return -1;
		}
		prc = total > len ? -EFBIG : envfile_parse(buf, len, &filev,
		    &nfile, why, sizeof why);
		free(buf);
		if (prc < 0) {
			snprintf(err, errlen, "env_file %s: %s", svc->env_file,
			    prc == -EFBIG ? "larger than 1 MiB" : why);
			return -1;
		}
	}
	if ((has_user = spawn_lookup_user(svc, &user, err, errlen)) < 0)
		goto out;
	/* the user's variables, then prodd's own for this spawn */
	nlast = 0;
	for (size_t i = 0; i < user.nenv; i++)
		last[nlast++] = user.env[i];
	for (size_t i = 0; i < nextra && i < SPAWN_EXTRA_ENV_MAX; i++)
		last[nlast++] = extra[i];
	env = env_build(environ, filev, nfile, svc->env, svc->nenv, last,
	    nlast);
	direct = has_user == 0 && svc->limits.nofile < 0 &&
	    svc->limits.nproc < 0 && svc->limits.core < 0;
	if (direct && strchr(argv[0], '/') != NULL) {
		/* a path: the exec itself tells whether it runs, and a
		 * failure is explained then (spawn_finish): two walks of the
		 * path fewer in every spawn */
		spawn_join(argv[0], svc->working_dir, prog, sizeof prog);
		recheck = true;
	} else if (spawn_find(argv[0], svc->working_dir, env, prog,
	    sizeof prog, err, errlen) < 0)
		goto out;

	if (direct) {
		/* nothing only the helper can do: exec the program directly,
		 * one exec instead of two; closefrom stands in for the
		 * helper's */
		for (size_t i = 0; argv[i] != NULL; i++)
			spawn_push(&args, &nargs, xstrdup(argv[i]));
		path = prog;
		goto run;
	}
	path = spawn_helper_path();
	spawn_push(&args, &nargs, xstrdup(path));
	{
		static const char *const lname[] = { "nofile", "nproc", "core" };
		const int64_t lval[] = { svc->limits.nofile, svc->limits.nproc,
			svc->limits.core };

		for (int i = 0; i < 3; i++) {
			if (lval[i] < 0)
				continue;
			spawn_push(&args, &nargs, xstrdup("-l"));
			spawn_push(&args, &nargs, lval[i] == INT64_MAX ?
			    xasprintf("%s=unlimited", lname[i]) :
			    xasprintf("%s=%lld", lname[i], (long long)lval[i]));
		}
	}
	if (has_user > 0) {
		spawn_push(&args, &nargs, xstrdup("-g"));
		spawn_push(&args, &nargs, xasprintf("%u", (unsigned)user.gid));
		if (svc->user != NULL) {
			spawn_push(&args, &nargs, xstrdup("-u"));
			spawn_push(&args, &nargs, xasprintf("%u",
			    (unsigned)user.uid));
			spawn_push(&args, &nargs, xstrdup("-n"));
			spawn_push(&args, &nargs, xstrdup(user.name));
		}
	}
	spawn_push(&args, &nargs, xstrdup("--"));
	spawn_push(&args, &nargs, xstrdup(prog));
	for (size_t i = 1; argv[i] != NULL; i++)
		spawn_push(&args, &nargs, xstrdup(argv[i]));

run:
	spawn_setup(r, svc->working_dir, out_fd, err_fd);
	r->path = xstrdup(path);
	r->args = args;
	r->env = env;
	args = env = NULL;
	r->prepared = true;
	r->recheck = recheck;
	rc = 0;
out:
	if (rc < 0)
		spawn_found_clear();	/* no spawn_run may follow */
	spawn_user_free(&user);
	envfile_free(filev, nfile);
	env_free(env);
	units_argv_free(args);
	return rc;
}

int
spawn_prepare(struct spawn_req *r, const struct cfg_service *svc,
    int out_fd, int err_fd, char *err, size_t errlen)
{
	return spawn_prepare_env(r, svc, NULL, 0, out_fd, err_fd, err, errlen);
}

int
spawn_prepare_env(struct spawn_req *r, const struct cfg_service *svc,
    const struct cfg_env *extra, size_t nextra, int out_fd, int err_fd,
    char *err, size_t errlen)
{
	if (svc->argc == 0) {
		spawn_req_init(r);
		snprintf(err, errlen, "type %s is not supported yet",
		    cfg_type_name(svc->type));
		return -1;
	}
	return spawn_prepare_argv(r, svc, svc->argv, true, extra, nextra,
	    out_fd, err_fd, err, errlen);
}

int
spawn_prepare_check(struct spawn_req *r, const struct cfg_service *svc,
    char *err, size_t errlen)
{
	if (svc->health.kind != CFG_HEALTH_EXEC ||
	    svc->health.exec_argv == NULL || svc->health.exec_argv[0] == NULL) {
		spawn_req_init(r);
		snprintf(err, errlen, "no exec check");
		return -1;
	}
	return spawn_prepare_argv(r, svc, svc->health.exec_argv, true, NULL,
	    0, -1, -1, err, errlen);
}

pid_t
spawn_finish(struct spawn_req *r, char *err, size_t errlen)
{
	return spawn_finish_pidfd(r, NULL, err, errlen);
}

pid_t
spawn_finish_pidfd(struct spawn_req *r, int *pidfd, char *err,
    size_t errlen)
{
	pid_t pid = r->pid;

	if (pidfd != NULL)
		*pidfd = r->pidfd;
	else if (r->pidfd >= 0)
		close(r->pidfd);
	r->pidfd = -1;

	if (r->prepared && r->rc != 0) {
		char where[PATH_MAX];

		/* a path not looked at before: why it did not run, as the
		 * look would have said (not found, a directory, ...) */
		if (!r->recheck || spawn_find(r->args[0], r->dir, NULL, where,
		    sizeof where, err, errlen) == 0)
			snprintf(err, errlen, "cannot start %s: %s",
			    r->args[0], strerror(r->rc));
		pid = -1;
	}
	free(r->path);
	free(r->dir);
	units_argv_free(r->args);
	env_free(r->env);
	spawn_req_init(r);
	return pid;
}
