/*
 * Spawning (src/daemon/spawn.c, spawn-run.c) with prodd's descriptor table full: the
 * child holds stdin, stdout and stderr and nothing else of the thousands
 * of descriptors its parent has open; its output reaches the pipes it was
 * given and the parent sees their end once the child is gone (no copy of
 * a pipe's write end stays behind in the parent); a failure between the
 * fork and the exec (a working_dir removed after the checks) comes back as
 * a failed spawn with its reason, for one request and for a batch spread
 * over threads. Under valgrind prodd falls back to posix_spawn, and these
 * hold the same (the failure before exec is skipped there: valgrind makes
 * the vfork a fork, whose failed child reports its own leaks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prodd/spawn.h"

#define EXTRA_FDS 2000

static int extra[EXTRA_FDS];

static int
setup(void **state)
{
	(void)state;
	for (int i = 0; i < EXTRA_FDS; i++)
		if ((extra[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
			return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	for (int i = 0; i < EXTRA_FDS; i++)
		close(extra[i]);
	return 0;
}

/* All of fd until EOF (at most 5 s, else fails) into buf. */
static size_t
read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&p, 1, 5000), 1);  /* else: no EOF */
		n = read(fd, buf + len, cap - 1 - len);
		assert_true(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

/* Under valgrind or by request, prodd spawns with posix_spawn. */
static int
posix_wanted(void)
{
	const char *pre = getenv("LD_PRELOAD"), *how = getenv("PRODD_SPAWN");

	return (pre != NULL && strstr(pre, "vgpreload") != NULL) ||
	    (how != NULL && strcmp(how, "posix_spawn") == 0);
}

static struct cfg_service
service(char **argv)
{
	struct cfg_service s;

	memset(&s, 0, sizeof s);
	s.name = (char *)"t";
	s.argv = argv;
	for (s.argc = 0; argv[s.argc] != NULL; s.argc++)
		;
	s.limits.nofile = s.limits.nproc = s.limits.core = -1;
	return s;
}

static int
reap(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void
test_only_three_descriptors(void **state)
{
	char *argv[] = { (char *)"sh", (char *)"-c",
	    (char *)"ls /proc/$$/fd; echo oops >&2", NULL };
	struct cfg_service s = service(argv);
	struct spawn_req r, *rp = &r;
	int out[2], err[2];
	char buf[4096], why[256];
	pid_t pid;

	(void)state;
	if (!posix_wanted())
		assert_string_equal(spawn_how(), "clone");
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	assert_int_equal(spawn_prepare(&r, &s, out[1], err[1], why,
	    sizeof why), 0);
	spawn_run(&rp, 1);
	close(out[1]);
	close(err[1]);
	pid = spawn_finish(&r, why, sizeof why);
	assert_true(pid > 0);
	/* ls lists the shell's descriptors */
	read_all(out[0], buf, sizeof buf);
	assert_string_equal(buf, "0\n1\n2\n");
	read_all(err[0], buf, sizeof buf);
	assert_string_equal(buf, "oops\n");
	assert_int_equal(reap(pid), 0);
	close(out[0]);
	close(err[0]);
}

static void
test_failure_before_exec(void **state)
{
	char *argv[] = { (char *)"true", NULL };
	char dir[] = "/tmp/prodd-test-spawn.XXXXXX";
	struct cfg_service s = service(argv);
	struct spawn_req r, *rp = &r;
	char why[256];
	pid_t pid;

	(void)state;
	if (getenv("LD_PRELOAD") != NULL &&
	    strstr(getenv("LD_PRELOAD"), "vgpreload") != NULL)
		skip();		/* the failed child, a fork there, reports leaks */
	assert_non_null(mkdtemp(dir));
	s.working_dir = dir;
	assert_int_equal(spawn_prepare(&r, &s, -1, -1, why, sizeof why), 0);
	assert_int_equal(rmdir(dir), 0);	/* gone after the checks */
	spawn_run(&rp, 1);
	why[0] = '\0';
	pid = spawn_finish(&r, why, sizeof why);
	if (pid > 0) {
		/* posix_spawn's child may fail after reporting success */
		assert_true(posix_wanted());
		assert_int_equal(reap(pid), 127 << 8);
		return;
	}
	assert_int_equal(pid, -1);
	assert_non_null(strstr(why, "cannot start"));
	assert_non_null(strstr(why, strerror(ENOENT)));
	/* nothing left to reap: the failed child was reaped by the spawn */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* A batch on several threads: each child's output in its own pipes, and
 * every pipe ends once its child is gone. */
static void
test_batch(void **state)
{
	enum { N = 24 };
	char *argv[] = { (char *)"sh", (char *)"-c",
	    (char *)"echo $0; ls /proc/$$/fd", NULL, NULL };
	struct spawn_req r[N], *rp[N];
	int out[N][2];
	char arg[N][8], buf[256], want[64], why[256];
	pid_t pid[N];

	(void)state;
	for (int i = 0; i < N; i++) {
		struct cfg_service s;

		snprintf(arg[i], sizeof arg[i], "c%d", i);
		argv[3] = arg[i];
		s = service(argv);
		assert_int_equal(pipe2(out[i], O_CLOEXEC), 0);
		assert_int_equal(spawn_prepare(&r[i], &s, out[i][1], out[i][1],
		    why, sizeof why), 0);
		rp[i] = &r[i];
	}
	spawn_run(rp, N);
	for (int i = 0; i < N; i++) {
		close(out[i][1]);
		pid[i] = spawn_finish(&r[i], why, sizeof why);
		assert_true(pid[i] > 0);
	}
	for (int i = 0; i < N; i++) {
		read_all(out[i][0], buf, sizeof buf);
		snprintf(want, sizeof want, "c%d\n0\n1\n2\n", i);
		assert_string_equal(buf, want);
		assert_int_equal(reap(pid[i]), 0);
		close(out[i][0]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_three_descriptors),
		cmocka_unit_test(test_failure_before_exec),
		cmocka_unit_test(test_batch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
