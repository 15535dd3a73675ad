/*
 * Spawning services and their exec checks (see spawn.h). The checks
 * before the spawn turn the usual mistakes into a clear "spawn failed:
 * ..." reason instead of an exit code 127 a second later. One set-up
 * gives every child of prodd its session, signals, descriptors and
 * directory: a clone that shares prodd's memory and descriptor table until
 * it unshares a table of a few descriptors (see "The clone path" below),
 * or posix_spawn where that cannot run (valgrind); when a child also needs
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
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
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

static void
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

/* Now on CLOCK_BOOTTIME, the clock of a process's start time. */
static uint64_t
spawn_boot_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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

/* An argument vector spawn_push built: each word, then the array. */
static void
spawn_args_free(char **v)
{
	if (v == NULL)
		return;
	for (char **w = v; *w != NULL; w++)
		free(*w);
	free(v);
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
 * prodd's; dir, if any, as its directory. The clone path does it by hand
 * (spawn_child); posix_spawn is told it at the spawn (spawn_posix), where
 * the clone path cannot run.
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
	spawn_args_free(args);
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

/*
 * The clone path. posix_spawn's vfork copies prodd's whole descriptor
 * table into the child (3,000 descriptors at 500 services: the services'
 * pipes, log files and records), and the child's closefrom then closes
 * every one of them again: a spawn cost O(services). Here the child shares
 * prodd's table (CLONE_FILES) and its first act is close_range(HI, ~0,
 * CLOSE_RANGE_UNSHARE), which gives it a private table holding only the
 * descriptors below HI. For that to be enough, the few descriptors a child
 * needs sit below HI: /dev/null and two slots per spawning thread, taken
 * at process start (before anything else is opened, so they are the
 * lowest numbers); a spawn moves its pipes' write ends into its thread's
 * slots (dup3 over the /dev/null placeholders) and puts the placeholders
 * back afterwards. The child runs on its own small stack, in prodd's
 * memory while prodd's thread waits (CLONE_VM|CLONE_VFORK, as posix_spawn
 * does), makes raw system calls only, and reports a failure before exec
 * through memory. A request with pidfd_wanted (a service) is cloned with
 * CLONE_PIDFD and no exit signal, and its pidfd returned: the reaper
 * watches it, so that finding which child ended never walks every child
 * (the exec gives the child SIGCHLD back as its exit signal all the same).
 *
 * Valgrind does not run clone(CLONE_VM|CLONE_VFORK|CLONE_FILES) (it knows
 * fork and vfork only): under valgrind (its preload in LD_PRELOAD), with
 * PRODD_SPAWN=posix_spawn in the environment, on a kernel without
 * close_range (before 5.9) or if the slots could not be taken, prodd uses
 * posix_spawn as before, with the same set-up.
 */
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#define SPAWN_STACK (32 * 1024)

/* the kernel's struct sigaction: SIG_DFL needs no restorer */
struct spawn_ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

static struct {
	int null_fd;				/* /dev/null, read and write */
	int slot[SPAWN_THREADS_MAX][2];		/* stdout, stderr */
	unsigned int hi;			/* above every slot */
	atomic_bool on;
} spawn_fds = { .null_fd = -1 };

static _Alignas(64) char spawn_stack[SPAWN_THREADS_MAX][SPAWN_STACK];

/* What the child reads, and writes back when it cannot exec. */
struct spawn_child_arg {
	const struct spawn_req *r;
	int out, err;				/* slots, or -1: /dev/null */
	volatile int fail;			/* errno before exec */
};

__attribute__((constructor)) static void
spawn_reserve(void)
{
	const char *pre = getenv("LD_PRELOAD");
	const char *how = getenv("PRODD_SPAWN");
	int fd, hi;

	if ((pre != NULL && strstr(pre, "vgpreload") != NULL) ||
	    (how != NULL && strcmp(how, "posix_spawn") == 0))
		return;
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return;
	if (fd < 3) {
		/* stdin/out/err closed: leave them to what fills them */
		int up = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		close(fd);
		if ((fd = up) < 0)
			return;
	}
	hi = fd;
	for (int t = 0; t < SPAWN_THREADS_MAX; t++)
		for (int k = 0; k < 2; k++) {
			int s = fcntl(fd, F_DUPFD_CLOEXEC, 3);

			if (s < 0)
				return;		/* no clone path; a few leak */
			spawn_fds.slot[t][k] = s;
			if (s > hi)
				hi = s;
		}
	spawn_fds.null_fd = fd;
	spawn_fds.hi = (unsigned int)hi + 1;
	atomic_store(&spawn_fds.on, true);
}

/* The child: raw system calls only (it runs in prodd's memory on its own
 * stack, so nothing that allocates, locks or is instrumented). */
__attribute__((no_sanitize("address", "undefined")))
static int
spawn_child(void *arg)
{
	struct spawn_child_arg *a = arg;
	const struct spawn_req *r = a->r;
	struct spawn_ksigaction dfl = { SIG_DFL, 0, NULL, 0 };
	unsigned long none = 0;
	int null = spawn_fds.null_fd;

	if (syscall(SYS_close_range, spawn_fds.hi, ~0U,
	    CLOSE_RANGE_UNSHARE) < 0)
		goto fail;
	for (int sig = 1; sig < 65; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof none);
	if (syscall(SYS_setsid) < 0 ||
	    syscall(SYS_dup3, null, 0, 0) < 0 ||
	    syscall(SYS_dup3, a->out >= 0 ? a->out : null, 1, 0) < 0 ||
	    syscall(SYS_dup3, a->err >= 0 ? a->err : null, 2, 0) < 0 ||
	    syscall(SYS_close_range, 3, ~0U, 0) < 0)
		goto fail;
	if (r->dir != NULL && syscall(SYS_chdir, r->dir) < 0)
		goto fail;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof none);
	syscall(SYS_execve, r->path, r->args, r->env);
fail:
	a->fail = errno != 0 ? errno : EINVAL;
	syscall(SYS_exit, 127);
	return 127;
}

/* One spawn on thread slot w; false when clone cannot be used at all. */
static bool
spawn_clone(struct spawn_req *r, unsigned int w)
{
	struct spawn_child_arg a = { .r = r, .out = -1, .err = -1 };
	const int *slot = spawn_fds.slot[w];
	sigset_t all, old;
	pid_t pid;
	int e = 0, pidfd = -1;
	/* with a pidfd, no exit signal: no SIGCHLD, and so no walk of every
	 * child of prodd's (waitid(P_ALL)) to find which one ended */
	int flags = CLONE_VM | CLONE_VFORK | CLONE_FILES |
	    (r->pidfd_wanted ? CLONE_PIDFD : SIGCHLD);

	if (r->out_fd >= 0) {
		if (dup3(r->out_fd, slot[0], O_CLOEXEC) < 0 ||
		    dup3(r->err_fd, slot[1], O_CLOEXEC) < 0) {
			r->rc = errno;
			r->pid = -1;
			goto release;
		}
		a.out = slot[0];
		a.err = slot[1];
	}
	/* no handler of prodd's may run in the child */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r->boot_ns = spawn_boot_ns();
	pid = clone(spawn_child, spawn_stack[w] + SPAWN_STACK, flags, &a,
	    &pidfd);
	if (pid < 0)
		e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0 && (e == ENOSYS || e == EINVAL)) {
		atomic_store(&spawn_fds.on, false);
		dup3(spawn_fds.null_fd, slot[0], O_CLOEXEC);
		dup3(spawn_fds.null_fd, slot[1], O_CLOEXEC);
		return false;
	}
	if (pid > 0 && a.fail == ENOSYS) {
		/* close_range unknown to this kernel */
		waitpid(pid, NULL, __WALL);
		if (pidfd >= 0)
			close(pidfd);
		atomic_store(&spawn_fds.on, false);
		dup3(spawn_fds.null_fd, slot[0], O_CLOEXEC);
		dup3(spawn_fds.null_fd, slot[1], O_CLOEXEC);
		return false;
	}
	if (pid < 0) {
		r->rc = e;
		r->pid = -1;
	} else if (a.fail != 0) {
		waitpid(pid, NULL, __WALL);	/* never seen by the reaper */
		if (pidfd >= 0)
			close(pidfd);
		r->rc = a.fail;
		r->pid = -1;
	} else {
		r->rc = 0;
		r->pid = pid;
		r->pidfd = r->pidfd_wanted ? pidfd : -1;
	}
release:
	if (a.out >= 0) {
		dup3(spawn_fds.null_fd, slot[0], O_CLOEXEC);
		dup3(spawn_fds.null_fd, slot[1], O_CLOEXEC);
	}
	return true;
}

const char *
spawn_how(void)
{
	return atomic_load(&spawn_fds.on) ? "clone" : "posix_spawn";
}

/* The set-up of spawn_setup, told to posix_spawn. Built here and only
 * here: each file action costs an allocation and a getrlimit. */
static void
spawn_posix(struct spawn_req *r)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;

	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (r->out_fd < 0) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
		    O_WRONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	} else {
		posix_spawn_file_actions_adddup2(&fa, r->out_fd, 1);
		posix_spawn_file_actions_adddup2(&fa, r->err_fd, 2);
	}
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (r->dir != NULL)
		posix_spawn_file_actions_addchdir_np(&fa, r->dir);
	r->boot_ns = spawn_boot_ns();
	r->rc = posix_spawn(&r->pid, r->path, &fa, &attr, r->args, r->env);
	if (r->rc != 0)
		r->pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
}

static void
spawn_one(struct spawn_req *r, unsigned int w)
{
	if (atomic_load(&spawn_fds.on) && spawn_clone(r, w))
		return;
	spawn_posix(r);
}

/* The requests of one spawn_run, shared by its threads. */
struct spawn_batch {
	struct spawn_req *const *reqs;
	size_t n;
	atomic_size_t next;
};

/* One thread of a spawn_run: its slot and the batch. */
struct spawn_worker_arg {
	struct spawn_batch *b;
	unsigned int w;
};

static void *
spawn_worker(void *arg)
{
	struct spawn_worker_arg *wa = arg;
	struct spawn_batch *b = wa->b;
	size_t i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n)
		spawn_one(b->reqs[i], wa->w);
	return NULL;
}

void
spawn_run(struct spawn_req *const *reqs, size_t n)
{
	struct spawn_batch b = { .reqs = reqs, .n = n };
	struct spawn_worker_arg wa[SPAWN_THREADS_MAX];
	pthread_t tid[SPAWN_THREADS_MAX];
	size_t nt = 0, want;
	long cpus;

	atomic_init(&b.next, 0);
	for (unsigned int w = 0; w < SPAWN_THREADS_MAX; w++)
		wa[w] = (struct spawn_worker_arg){ &b, w };
	want = 1;
	/* asked only for a batch worth threads: the count of cores is a
	 * file in /sys read anew each time (a respawn needs none) */
	if (n >= SPAWN_PARALLEL_MIN) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		want = cpus > 1 ? (size_t)cpus : 1;
		if (want > SPAWN_THREADS_MAX)
			want = SPAWN_THREADS_MAX;
	}
	if (want > 1) {
		sigset_t all, old;

		/* the helpers take no signal: those are the loop's */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		for (; nt < want - 1; nt++)
			if (pthread_create(&tid[nt], NULL, spawn_worker,
			    &wa[nt + 1]) != 0)
				break;	/* fewer threads: still every spawn */
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	spawn_worker(&wa[0]);
	for (size_t i = 0; i < nt; i++)
		pthread_join(tid[i], NULL);
	spawn_found_clear();	/* the next batch searches anew */
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

	if (r->prepared) {
		char where[PATH_MAX];

		/* a path not looked at before: why it did not run, as the
		 * look would have said (not found, a directory, ...) */
		if (r->rc != 0 && (!r->recheck || spawn_find(r->args[0], r->dir,
		    NULL, where, sizeof where, err, errlen) == 0))
			snprintf(err, errlen, "cannot start %s: %s",
			    r->args[0], strerror(r->rc));
		if (r->rc != 0)
			pid = -1;
	}
	free(r->path);
	free(r->dir);
	spawn_args_free(r->args);
	env_free(r->env);
	spawn_req_init(r);
	return pid;
}
