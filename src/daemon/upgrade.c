/*
 * The system side of an upgrade (see upgrade.h). The check runs the new
 * binary with --version under a deadline, its output read through a
 * pipe (prodd's loop waits: it is a few milliseconds for a real prodd).
 * The exec marks every descriptor from 3 up close-on-exec at once
 * (close_range; a walk of /proc/self/fd where the kernel lacks it), then
 * clears the flag on exactly the handed-over ones: a socket some library
 * opened without the flag must not outlive the old image, or its peer
 * never sees EOF.
 */
#include "prodd/upgrade.h"
#include "prodd/handover.h"
#include "prodd/xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int64_t
upgrade_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run binary --version; its output (stdout and stderr) into out. Returns
 * its wait status, or -1 with err. */
static int
upgrade_run_version(const char *binary, char *out, size_t outlen, char *err,
    size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	char *argv[] = { (char *)binary, (char *)"--version", NULL };
	int p[2], rc, status = 0;
	size_t n = 0;
	pid_t pid;
	int64_t until = upgrade_mono_ms() + UPGRADE_VERSION_MS;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(&pid, binary, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		snprintf(err, errlen, "cannot run %s: %s", binary, strerror(rc));
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int64_t left = until - upgrade_mono_ms();
		ssize_t r;

		if (left <= 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(p[0]);
			snprintf(err, errlen, "%s --version did not answer within "
			    "%d ms", binary, UPGRADE_VERSION_MS);
			return -1;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			break;
		if (pfd.revents == 0)
			continue;
		r = read(p[0], out + n, outlen - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == outlen - 1)
			break;
	}
	out[n] = '\0';
	close(p[0]);
	/* its output is closed: it is ending (or lingers; then it is ended) */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

int
upgrade_check_binary(const char *binary, char *err, size_t errlen)
{
	char out[1024], *nl;
	int st;

	if (access(binary, X_OK) != 0) {
		snprintf(err, errlen, "cannot run %s: %s", binary,
		    strerror(errno));
		return -1;
	}
	if ((st = upgrade_run_version(binary, out, sizeof out, err,
	    errlen)) < 0)
		return -1;
	if ((nl = strchr(out, '\n')) != NULL && nl[1] != '\0' &&
	    nl[1 + strcspn(nl + 1, "\n")] != '\0')
		nl[1 + strcspn(nl + 1, "\n")] = '\0';
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		out[strcspn(out, "\n")] = '\0';
		if (WIFSIGNALED(st))
			snprintf(err, errlen, "%s --version was killed by signal "
			    "%d", binary, WTERMSIG(st));
		else
			snprintf(err, errlen, "%s --version failed (exit code "
			    "%d)%s%.200s", binary, WEXITSTATUS(st),
			    out[0] ? ": " : "", out);
		return -1;
	}
	if (!handover_version_ok(out, HANDOVER_VERSION)) {
		out[strcspn(out, "\n")] = '\0';
		snprintf(err, errlen, "%s cannot read hand-over format %d (its "
		    "--version, '%.120s', names no \"handover %d\")", binary,
		    HANDOVER_VERSION, out, HANDOVER_VERSION);
		return -1;
	}
	return 0;
}

int
upgrade_memfd(const char *text, size_t len, char *err, size_t errlen)
{
	int fd = memfd_create("prodd-handover", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING);
	size_t off = 0;

	if (fd < 0) {
		snprintf(err, errlen, "cannot make the hand-over memfd: %s",
		    strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "cannot write the hand-over: %s",
			    strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK |
	    F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		snprintf(err, errlen, "cannot seal the hand-over: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

char *
upgrade_read(int fd, size_t *len, char *err, size_t errlen)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = xmalloc(cap);

	for (;;) {
		ssize_t r;

		if (n + 1 == cap)
			buf = xrealloc(buf, cap *= 2);
		r = pread(fd, buf + n, cap - 1 - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read the hand-over (fd %d): "
			    "%s", fd, strerror(errno));
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Every descriptor from 3 up close-on-exec. */
static void
upgrade_cloexec_all(void)
{
	DIR *d;
	struct dirent *de;

	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);

		if (fd > 2 && fd != dirfd(d))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
}

int
upgrade_exec(const char *binary, char *const *argv, int memfd,
    const int *keep, size_t nkeep, char *err, size_t errlen)
{
	size_t argc = 0, k = 0;
	char **nargv, fdarg[16];
	sigset_t all, old;
	int std_flags[3], e;

	while (argv[argc] != NULL)
		argc++;
	nargv = xcalloc(argc + 3, sizeof *nargv);
	/* a --handover of an earlier upgrade is not passed on */
	for (size_t i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--handover") == 0 && i + 1 < argc) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--handover=", 11) == 0)
			continue;
		nargv[k++] = argv[i];
	}
	snprintf(fdarg, sizeof fdarg, "%d", memfd);
	nargv[k++] = (char *)"--handover";
	nargv[k++] = fdarg;
	nargv[k] = NULL;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	upgrade_cloexec_all();
	for (int fd = 0; fd < 3; fd++) {
		std_flags[fd] = fcntl(fd, F_GETFD);
		fcntl(fd, F_SETFD, 0);
	}
	fcntl(memfd, F_SETFD, 0);
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] >= 0)
			fcntl(keep[i], F_SETFD, 0);
	execve(binary, nargv, environ);
	e = errno;
	/* still here: as it was */
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] >= 0)
			fcntl(keep[i], F_SETFD, FD_CLOEXEC);
	fcntl(memfd, F_SETFD, FD_CLOEXEC);
	for (int fd = 0; fd < 3; fd++)
		if (std_flags[fd] >= 0)
			fcntl(fd, F_SETFD, std_flags[fd]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(nargv);
	snprintf(err, errlen, "cannot execute %s: %s", binary, strerror(e));
	return -1;
}
