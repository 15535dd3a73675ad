/*
 * spawnloop: the floor under prodd's start figure (bench/supervise.sh).
 * "spawnloop N PROG ARG..." starts N copies of PROG the way prodd starts a
 * service, and nothing else: two output pipes, posix_spawn in a new
 * session with every signal at its default, stdin from /dev/null, no
 * descriptor above 2, on one thread per core as prodd does (at most 4).
 * No configuration, no state records, no events, no event loop. It then
 * waits for SIGTERM, sends
 * SIGTERM to every group it started, reaps them all and exits 0. What it
 * takes to start N copies is what the machine itself charges for N
 * processes of PROG; prodd's own cost is what it takes beyond that.
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

static volatile sig_atomic_t spawnloop_term;

static void
spawnloop_on_term(int sig)
{
	(void)sig;
	spawnloop_term = 1;
}

struct spawnloop {
	char **argv;
	pid_t *pids;
	long n;
	atomic_long next;
	atomic_int failed;
};

static void *
spawnloop_run(void *arg)
{
	struct spawnloop *sl = arg;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	long i;

	sigemptyset(&none);
	sigfillset(&all);
	while ((i = atomic_fetch_add(&sl->next, 1)) < sl->n) {
		int out[2], err[2], rc;

		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
			perror("spawnloop: pipe2");
			atomic_store(&sl->failed, 1);
			return NULL;
		}
		posix_spawnattr_init(&attr);
		posix_spawnattr_setsigmask(&attr, &none);
		posix_spawnattr_setsigdefault(&attr, &all);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
		    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
		    0);
		posix_spawn_file_actions_adddup2(&fa, out[1], 1);
		posix_spawn_file_actions_adddup2(&fa, err[1], 2);
		posix_spawn_file_actions_addclosefrom_np(&fa, 3);
		rc = posix_spawnp(&sl->pids[i], sl->argv[0], &fa, &attr,
		    sl->argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		posix_spawnattr_destroy(&attr);
		close(out[1]);
		close(err[1]);
		if (rc != 0) {
			fprintf(stderr, "spawnloop: %s: %s\n", sl->argv[0],
			    strerror(rc));
			atomic_store(&sl->failed, 1);
			return NULL;
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct spawnloop sl;
	pthread_t tid[3];
	sigset_t term, old;
	long n, cpus;
	int nt = 0;
	char *end;

	if (argc < 3 || (n = strtol(argv[1], &end, 10)) <= 0 || *end != '\0') {
		fprintf(stderr, "usage: spawnloop N PROG [ARG...]\n");
		return 2;
	}
	memset(&sl, 0, sizeof sl);
	sl.argv = argv + 2;
	sl.n = n;
	sl.pids = calloc((size_t)n, sizeof *sl.pids);
	if (sl.pids == NULL)
		return 1;
	atomic_init(&sl.next, 0);
	atomic_init(&sl.failed, 0);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);	/* the threads inherit it */
	signal(SIGTERM, spawnloop_on_term);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	for (; nt < 3 && nt < cpus - 1 && n >= 8; nt++)
		if (pthread_create(&tid[nt], NULL, spawnloop_run, &sl) != 0)
			break;
	spawnloop_run(&sl);
	for (int i = 0; i < nt; i++)
		pthread_join(tid[i], NULL);
	if (atomic_load(&sl.failed))
		return 1;
	while (!spawnloop_term)
		sigsuspend(&old);
	for (long i = 0; i < n; i++)
		kill(-sl.pids[i], SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	free(sl.pids);
	return 0;
}
