/*
 * Spawning services and exec health checks (SPEC §3): environment,
 * working directory, user and limits (the last two through the exec helper
 * prodd-exec, the others directly), each in its own session and process
 * group, stdin from /dev/null, stdout and stderr into the pipes the caller
 * gives (a check's on /dev/null). A service's exec check is spawned as
 * the service is, by the same set-up: as its user, with its groups and
 * limits, in its working_dir. Everything that can be known to fail before
 * the fork (a missing working_dir or env_file, an unknown user, a program
 * not found in PATH or not executable) is reported, with a reason, as a
 * failed spawn: before the fork, or for a program named by its path after
 * its exec failed, with the same reason.
 *
 * A spawn has three steps: spawn_prepare (the checks, argv and
 * environment; loop thread; spawn.c), spawn_run (the vfork-like clone
 * itself, for many requests at once on several threads; spawn-run.c) and
 * spawn_finish (the result; spawn.c). The spawn waits until the child has exec'd, and on a virtual machine
 * that exec is most of the cost of starting a service; with one thread
 * per core, 500 services start in the time of 500 / cores execs.
 */
#ifndef PRODD_SPAWN_H
#define PRODD_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "prodd/config.h"

/* The exec helper: $PRODD_EXEC_HELPER, else the one next to the running
 * prodd (the build tree), else the installed PRODD_LIBEXECDIR/prodd-exec. */
const char *spawn_helper_path(void);

/* spawn_run uses threads from this many requests on, at most this many. */
#define SPAWN_PARALLEL_MIN 8
#define SPAWN_THREADS_MAX 4

/* One spawn: what spawn_prepare made, then what the spawn said. */
struct spawn_req {
	bool prepared;
	bool recheck;			/* a failure: look at the path then */
	char *path, *dir;
	char **args, **env;
	int out_fd, err_fd;		/* the child's stdout, stderr; -1 */
	pid_t pid;
	int rc;				/* 0, or the errno of the spawn */
	/* set by the caller after spawn_prepare: on the clone path the
	 * child gets a pidfd (CLONE_PIDFD), for the caller to watch
	 * (reaper_watch) */
	bool pidfd_wanted;
	int pidfd;			/* >= 0: the child's pidfd */
	uint64_t boot_ns;		/* CLOCK_BOOTTIME just before the fork */
};

/*
 * Everything before the fork, for svc: 0, or -1 with the reason in err
 * (and nothing to free). out_fd and err_fd will be its stdout and stderr;
 * they must stay open until spawn_run (the caller closes its copies
 * afterwards).
 */
int spawn_prepare(struct spawn_req *r, const struct cfg_service *svc,
    int out_fd, int err_fd, char *err, size_t errlen);
/*
 * The same, with variables of prodd's own for this spawn (NOTIFY_SOCKET,
 * WATCHDOG_USEC: at most SPAWN_EXTRA_ENV_MAX), set after every other.
 */
#define SPAWN_EXTRA_ENV_MAX 4
int spawn_prepare_env(struct spawn_req *r, const struct cfg_service *svc,
    const struct cfg_env *extra, size_t nextra, int out_fd, int err_fd,
    char *err, size_t errlen);
/*
 * The same for one run of svc's exec health check (health.exec_argv): as
 * svc's user and group, with its limits, in its working_dir, with prodd's
 * environment, svc's env_file (read at each run, as at each spawn), its
 * environment and its user's HOME, USER, LOGNAME and SHELL: the check sees
 * what the service sees; stdout and stderr on /dev/null.
 */
int spawn_prepare_check(struct spawn_req *r, const struct cfg_service *svc,
    char *err, size_t errlen);
/*
 * Spawn every prepared request (a vfork: no page tables copied, which on
 * a virtual machine is most of the cost of a fork, nor, on the clone path,
 * prodd's descriptor table): on this
 * thread alone when there are few, else also on up to SPAWN_THREADS_MAX - 1
 * others (one per CPU), which take no signal. Returns when every one has
 * been tried.
 */
void spawn_run(struct spawn_req *const *reqs, size_t n);
/*
 * How spawn_run starts children: "clone" (clone(CLONE_VM|CLONE_VFORK|
 * CLONE_FILES), the child unsharing a table of a few descriptors: a spawn
 * costs the same whatever the number of descriptors prodd holds) or
 * "posix_spawn" (under valgrind, with PRODD_SPAWN=posix_spawn, or on a
 * kernel without close_range).
 */
const char *spawn_how(void);
/*
 * The pid (leader of its own session and group), or -1 with the reason in
 * err; frees what the request held. The caller reaps the child (see
 * reaper.h): libuv never owns prodd's children.
 */
pid_t spawn_finish(struct spawn_req *r, char *err, size_t errlen);
/*
 * The same, and the child's pidfd in *pidfd (the caller's to close), or
 * -1: the child was not cloned with one (posix_spawn, or pidfd_wanted
 * unset). Either way it has exec'd and sends SIGCHLD when it ends (the
 * exec gives it that exit signal); the pidfd tells which child ended
 * without a walk of every child. spawn_finish closes the pidfd it does
 * not return.
 */
pid_t spawn_finish_pidfd(struct spawn_req *r, int *pidfd, char *err,
    size_t errlen);

#endif
