/*
 * Running prepared spawns (see spawn.h; spawn.c prepares and finishes
 * them): one set-up gives every child of prodd its session, signals,
 * descriptors and directory, by a clone that shares prodd's memory and
 * descriptor table until it unshares a table of a few descriptors, or by
 * posix_spawn where that cannot run (valgrind); a batch runs on one
 * thread per core.
 */
#include "prodd/spawn.h"
#include "spawn-int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <stdatomic.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Now on CLOCK_BOOTTIME, the clock of a process's start time. */
static uint64_t
spawn_boot_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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

