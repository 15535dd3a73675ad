/*
 * spawnloop: the machine's floor under prodd's supervision figures
 * (bench/supervise.sh). "spawnloop [-r] [-x PROG [ARG...] --] N PROG
 * ARG..." starts N copies of PROG (then, with -x, one of the other program)
 * the way prodd starts a service, and nothing else: two output pipes,
 * posix_spawn in a new session with every signal at its default, stdin
 * from /dev/null, no descriptor above 2, on one thread per core as prodd
 * does (at most 4). It keeps no pipe's read end (nobody reads the output),
 * so each spawn copies a table of a handful of descriptors, whatever N is.
 * No configuration, no state records, no events, no logs, no event loop.
 * With -r it respawns a child the moment it is reaped (blocking in
 * sigwaitinfo for SIGCHLD; one waitpid(-1) per ended child, the pid found
 * by a scan of an array: below a microsecond for 1,000). On SIGTERM it
 * sends SIGTERM to every group it started, reaps them all and exits 0.
 * What it takes to start, respawn, stop or hold N copies is what the
 * machine itself charges for N processes of PROG; prodd's own cost is what
 * it takes beyond that.
 * Exit status: 0; 1 on a failed spawn; 2 on bad arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct spawnloop {
	char **argv, **xargv;	/* the N copies' program, the extra one's */
	pid_t *pids;		/* n + (xargv != NULL) */
	long n;
	atomic_long next;
	atomic_int failed;
};

/* Start child i (the extra program when i == n); 0 or -1. */
static int
spawnloop_one(struct spawnloop *sl, long i)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	char **argv = i < sl->n ? sl->argv : sl->xargv;
	int out[2], err[2], rc;

	sigemptyset(&none);
	sigfillset(&all);
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		perror("spawnloop: pipe2");
		return -1;
	}
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	rc = posix_spawnp(&sl->pids[i], argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	for (int k = 0; k < 2; k++) {
		close(out[k]);
		close(err[k]);
	}
	if (rc != 0) {
		fprintf(stderr, "spawnloop: %s: %s\n", argv[0], strerror(rc));
		return -1;
	}
	return 0;
}

static void *
spawnloop_run(void *arg)
{
	struct spawnloop *sl = arg;
	long i;

	while ((i = atomic_fetch_add(&sl->next, 1)) < sl->n)
		if (spawnloop_one(sl, i) < 0) {
			atomic_store(&sl->failed, 1);
			return NULL;
		}
	return NULL;
}

static int
spawnloop_usage(void)
{
	fprintf(stderr, "usage: spawnloop [-r] [-x PROG [ARG...] --] N PROG "
	    "[ARG...]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct spawnloop sl;
	pthread_t tid[3];
	sigset_t wait_for;
	siginfo_t si;
	long n, cpus, total;
	int nt = 0, respawn = 0, a = 1;
	char *end;

	memset(&sl, 0, sizeof sl);
	for (; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "-r") == 0) {
			respawn = 1;
		} else if (strcmp(argv[a], "-x") == 0 && a + 1 < argc) {
			sl.xargv = argv + a + 1;
			while (a < argc && strcmp(argv[a], "--") != 0)
				a++;
			if (a == argc)
				return spawnloop_usage();
			argv[a] = NULL;		/* ends the extra's argv */
		} else {
			return spawnloop_usage();
		}
	}
	if (argc - a < 2 || (n = strtol(argv[a], &end, 10)) <= 0 ||
	    *end != '\0')
		return spawnloop_usage();
	sl.argv = argv + a + 1;
	sl.n = n;
	total = n + (sl.xargv != NULL);
	sl.pids = calloc((size_t)total, sizeof *sl.pids);
	if (sl.pids == NULL)
		return 1;
	atomic_init(&sl.next, 0);
	atomic_init(&sl.failed, 0);
	/* SIGTERM and SIGCHLD are taken by sigwaitinfo; the threads inherit
	 * the mask */
	sigemptyset(&wait_for);
	sigaddset(&wait_for, SIGTERM);
	sigaddset(&wait_for, SIGCHLD);
	sigprocmask(SIG_BLOCK, &wait_for, NULL);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	for (; nt < 3 && nt < cpus - 1 && n >= 8; nt++)
		if (pthread_create(&tid[nt], NULL, spawnloop_run, &sl) != 0)
			break;
	spawnloop_run(&sl);
	for (int i = 0; i < nt; i++)
		pthread_join(tid[i], NULL);
	if (atomic_load(&sl.failed) ||
	    (sl.xargv != NULL && spawnloop_one(&sl, n) < 0))
		return 1;
	for (;;) {
		pid_t pid;

		if (sigwaitinfo(&wait_for, &si) < 0)
			continue;
		if (si.si_signo == SIGTERM)
			break;
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
			long i = 0;

			while (i < total && sl.pids[i] != pid)
				i++;
			if (i < total && respawn && spawnloop_one(&sl, i) < 0)
				return 1;
		}
	}
	for (long i = 0; i < total; i++)
		kill(-sl.pids[i], SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	free(sl.pids);
	return 0;
}
