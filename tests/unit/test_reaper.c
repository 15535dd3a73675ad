/*
 * Reaping (src/daemon/reaper.c) on a real loop: a service-like child
 * spawned with a pidfd is reported once, with its wait status, through
 * its pidfd; a child without one (an orphan, an exec check) that ends at
 * the same moment, its SIGCHLD merged with the other's, is still reported
 * (by the sweep put off after pidfd ends); a sweep that meets a watched
 * child reaps it once and closes its pidfd; and the wait status built
 * from waitid's siginfo reads as waitpid's would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "prodd/reaper.h"
#include "prodd/spawn.h"

struct seen {
	pid_t pid[8];
	int status[8];
	int n;
};

static void
reaped_cb(pid_t pid, int status, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->pid[s->n] = pid;
		s->status[s->n] = status;
	}
	s->n++;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static bool
clone_path(void)
{
	return strcmp(spawn_how(), "clone") == 0;
}

/* A child of argv with a pidfd if the clone path gives one. */
static pid_t
spawn_argv(char **argv, int *pidfd)
{
	struct cfg_service s;
	struct spawn_req r, *rp = &r;
	char why[256];
	pid_t pid;

	memset(&s, 0, sizeof s);
	s.name = (char *)"t";
	s.argv = argv;
	for (s.argc = 0; argv[s.argc] != NULL; s.argc++)
		;
	s.limits.nofile = s.limits.nproc = s.limits.core = -1;
	assert_int_equal(spawn_prepare(&r, &s, -1, -1, why, sizeof why), 0);
	r.pidfd_wanted = true;
	spawn_run(&rp, 1);
	pid = spawn_finish_pidfd(&r, pidfd, why, sizeof why);
	assert_true(pid > 0);
	return pid;
}

static void
nop_cb(uv_timer_t *t)
{
	(void)t;
}

/* Run the loop until want reports (at most ms; the reaper's handles do
 * not keep a loop alive, a timer does). */
static void
run_until(uv_loop_t *loop, struct seen *s, int want, int ms)
{
	uv_timer_t alive;

	uv_timer_init(loop, &alive);
	uv_timer_start(&alive, nop_cb, 10 * 1000, 0);
	for (int i = 0; i < ms / 10 && s->n < want; i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(10 * 1000);
	}
	uv_close((uv_handle_t *)&alive, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

static void
test_pidfd_and_plain_together(void **state)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)"exit 3", NULL };
	struct seen s = { .n = 0 };
	uv_loop_t loop;
	struct reaper *r;
	pid_t a, b;
	int fd;

	(void)state;
	if (!clone_path())
		skip();		/* valgrind: posix_spawn, no pidfd */
	uv_loop_init(&loop);
	r = reaper_new(&loop, NULL, reaped_cb, &s);
	a = spawn_argv(argv, &fd);
	assert_true(fd >= 0);
	assert_int_equal(reaper_watch(r, a, fd), 0);
	/* a plain child, as an orphan or an exec check is */
	if ((b = fork()) == 0)
		_exit(5);
	assert_true(b > 0);
	usleep(100 * 1000);	/* both ended: one SIGCHLD or two */
	run_until(&loop, &s, 2, 5000);
	assert_int_equal(s.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_true(s.pid[i] == a || s.pid[i] == b);
		assert_true(WIFEXITED(s.status[i]));
		assert_int_equal(WEXITSTATUS(s.status[i]),
		    s.pid[i] == a ? 3 : 5);
	}
	assert_int_not_equal(s.pid[0], s.pid[1]);
	reaper_close(r);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void
test_signal_status(void **state)
{
	char *argv[] = { (char *)"sleep", (char *)"100", NULL };
	struct seen s = { .n = 0 };
	uv_loop_t loop;
	struct reaper *r;
	pid_t a;
	int fd;

	(void)state;
	if (!clone_path())
		skip();
	uv_loop_init(&loop);
	r = reaper_new(&loop, NULL, reaped_cb, &s);
	a = spawn_argv(argv, &fd);
	assert_int_equal(reaper_watch(r, a, fd), 0);
	assert_int_equal(kill(a, SIGKILL), 0);
	run_until(&loop, &s, 1, 5000);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.pid[0], a);
	assert_true(WIFSIGNALED(s.status[0]));
	assert_int_equal(WTERMSIG(s.status[0]), SIGKILL);
	reaper_close(r);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A sweep first (as after an upgrade): one report, the pidfd closed. */
static void
test_sweep_meets_watched(void **state)
{
	char *argv[] = { (char *)"true", NULL };
	struct seen s = { .n = 0 };
	uv_loop_t loop;
	struct reaper *r;
	int fd, fds0;
	pid_t a;

	(void)state;
	if (!clone_path())
		skip();
	uv_loop_init(&loop);
	r = reaper_new(&loop, NULL, reaped_cb, &s);
	a = spawn_argv(argv, &fd);
	assert_int_equal(reaper_watch(r, a, fd), 0);
	fds0 = count_fds();
	usleep(100 * 1000);
	reaper_sweep(r);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.pid[0], a);
	assert_int_equal(count_fds(), fds0 - 1);	/* its pidfd */
	run_until(&loop, &s, 2, 300);	/* nothing more comes */
	assert_int_equal(s.n, 1);
	reaper_close(r);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void
test_wait_status(void **state)
{
	siginfo_t si;

	(void)state;
	memset(&si, 0, sizeof si);
	si.si_code = CLD_EXITED;
	si.si_status = 42;
	assert_true(WIFEXITED(reaper_wait_status(&si)));
	assert_int_equal(WEXITSTATUS(reaper_wait_status(&si)), 42);
	si.si_code = CLD_KILLED;
	si.si_status = SIGTERM;
	assert_true(WIFSIGNALED(reaper_wait_status(&si)));
	assert_int_equal(WTERMSIG(reaper_wait_status(&si)), SIGTERM);
	assert_false(WCOREDUMP(reaper_wait_status(&si)));
	si.si_code = CLD_DUMPED;
	si.si_status = SIGSEGV;
	assert_int_equal(WTERMSIG(reaper_wait_status(&si)), SIGSEGV);
	assert_true(WCOREDUMP(reaper_wait_status(&si)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pidfd_and_plain_together),
		cmocka_unit_test(test_signal_status),
		cmocka_unit_test(test_sweep_meets_watched),
		cmocka_unit_test(test_wait_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
