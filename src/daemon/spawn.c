/*
 * Spawning services and their exec checks (see spawn.h). The checks
 * before the spawn turn the usual mistakes into a clear "spawn failed:
 * ..." reason instead of an exit code 127 a second later. One set-up
 * (spawn_setup) gives every child of prodd its session, signals,
 * descriptors and directory through posix_spawn; when a child also needs
 * limits or another user, the exec helper (prodd-exec) runs first and
 * does what only the moment before exec can (setrlimit, initgroups).
 */
#include "prodd/spawn.h"
#include "prodd/envfile.h"
#include "prodd/fileio.h"
#include "prodd/strutil.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <spawn.h>
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

/* Find prog as execvp would, with the service's PATH and directory. */
static int
spawn_find(const char *prog, const char *cwd, char *const *env, char *out,
    size_t outlen, char *err, size_t errlen)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	int saw_eacces = 0;

	if (strchr(prog, '/') != NULL) {
		if (prog[0] == '/' || cwd == NULL)
			snprintf(out, outlen, "%s", prog);
		else
			snprintf(out, outlen, "%s/%s", cwd, prog);
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
	for (const char *p = path; ; ) {
		const char *colon = strchr(p, ':');
		size_t dl = colon ? (size_t)(colon - p) : strlen(p);
		struct stat st;

		if (dl == 0)
			snprintf(out, outlen, "%s/%s", cwd ? cwd : ".", prog);
		else
			snprintf(out, outlen, "%.*s/%s", (int)dl, p, prog);
		if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
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
}

/*
 * The posix_spawn set-up of every child of prodd, services and exec
 * checks alike: its own session and group; every signal back to its
 * default (prodd ignores SIGPIPE) and none blocked; stdin /dev/null;
 * stdout and stderr on out_fd and err_fd (both on /dev/null when out_fd is
 * -1); no other descriptor of prodd's; dir, if any, as its directory.
 */
static void
spawn_setup(struct spawn_req *r, const char *dir, int out_fd, int err_fd)
{
	sigset_t none, all;

	posix_spawnattr_init(&r->attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&r->attr, &none);
	posix_spawnattr_setsigdefault(&r->attr, &all);
	posix_spawnattr_setflags(&r->attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&r->fa);
	posix_spawn_file_actions_addopen(&r->fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_fd < 0) {
		posix_spawn_file_actions_addopen(&r->fa, 1, "/dev/null",
		    O_WRONLY, 0);
		posix_spawn_file_actions_adddup2(&r->fa, 1, 2);
	} else {
		posix_spawn_file_actions_adddup2(&r->fa, out_fd, 1);
		posix_spawn_file_actions_adddup2(&r->fa, err_fd, 2);
	}
	posix_spawn_file_actions_addclosefrom_np(&r->fa, 3);
	if (dir != NULL)
		posix_spawn_file_actions_addchdir_np(&r->fa, dir);
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
	if (spawn_find(argv[0], svc->working_dir, env, prog, sizeof prog,
	    err, errlen) < 0)
		goto out;

	if (has_user == 0 && svc->limits.nofile < 0 && svc->limits.nproc < 0 &&
	    svc->limits.core < 0) {
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
	rc = 0;
out:
	spawn_user_free(&user);
	envfile_free(filev, nfile);
	env_free(env);
	env_free(args);
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

static void
spawn_one(struct spawn_req *r)
{
	r->rc = posix_spawn(&r->pid, r->path, &r->fa, &r->attr, r->args,
	    r->env);
	if (r->rc != 0)
		r->pid = -1;
}

/* The requests of one spawn_run, shared by its threads. */
struct spawn_batch {
	struct spawn_req *const *reqs;
	size_t n;
	atomic_size_t next;
};

static void *
spawn_worker(void *arg)
{
	struct spawn_batch *b = arg;
	size_t i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n)
		spawn_one(b->reqs[i]);
	return NULL;
}

void
spawn_run(struct spawn_req *const *reqs, size_t n)
{
	struct spawn_batch b = { .reqs = reqs, .n = n };
	pthread_t tid[SPAWN_THREADS_MAX];
	size_t nt = 0, want;
	long cpus;

	atomic_init(&b.next, 0);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	want = cpus > 1 ? (size_t)cpus : 1;
	if (want > SPAWN_THREADS_MAX)
		want = SPAWN_THREADS_MAX;
	if (n < SPAWN_PARALLEL_MIN)
		want = 1;
	if (want > 1) {
		sigset_t all, old;

		/* the helpers take no signal: those are the loop's */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		for (; nt < want - 1; nt++)
			if (pthread_create(&tid[nt], NULL, spawn_worker, &b) != 0)
				break;	/* fewer threads: still every spawn */
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	spawn_worker(&b);
	for (size_t i = 0; i < nt; i++)
		pthread_join(tid[i], NULL);
}

pid_t
spawn_finish(struct spawn_req *r, char *err, size_t errlen)
{
	pid_t pid = r->pid;

	if (r->prepared) {
		if (r->rc != 0) {
			snprintf(err, errlen, "cannot start %s: %s",
			    r->args[0], strerror(r->rc));
			pid = -1;
		}
		posix_spawn_file_actions_destroy(&r->fa);
		posix_spawnattr_destroy(&r->attr);
	}
	free(r->path);
	env_free(r->args);
	env_free(r->env);
	spawn_req_init(r);
	return pid;
}
