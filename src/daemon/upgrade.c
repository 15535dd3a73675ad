/*
 * The system side of an upgrade (see upgrade.h). The check runs the new
 * binary with --version under a deadline, on the loop: its output and
 * exit status come through pipes, nothing waits.
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
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/*
 * The check of the new binary, on the loop. BINARY --version runs under
 * /bin/sh, which reports the binary's exit status on descriptor 3 once
 * it ended: prodd's reaper reaps every child of prodd (the shell
 * included) as soon as it ends, so a status waited for directly would be
 * taken by the reaper first; the shell waits for the binary, its own
 * child, instead. Its output (stdout and stderr) comes on one pipe, the
 * status on another; both at their end, or the deadline, decide.
 */
struct upgrade_check {
	uv_pipe_t out, st;
	uv_timer_t timer;
	pid_t pid;			/* the shell: its group holds both */
	char binary[PATH_MAX];
	char buf[1024], stbuf[32];
	size_t n, stn;
	int ends;			/* pipes at their end */
	int open;			/* handles not yet closed */
	bool done;
	upgrade_check_fn fn;
	void *arg;
};

static void
upgrade_check_closed(uv_handle_t *h)
{
	struct upgrade_check *uc = h->data;

	if (--uc->open == 0)
		free(uc);
}

/* Ends the check: the handles closed, fn called unless it was
 * cancelled. Before both pipes ended (the deadline, a cancel) the group
 * is killed: the binary never answered, or lingers. */
static void
upgrade_check_end(struct upgrade_check *uc, const char *why)
{
	if (uc->done)
		return;
	uc->done = true;
	if (uc->ends < 2)
		kill(-uc->pid, SIGKILL);
	uv_close((uv_handle_t *)&uc->out, upgrade_check_closed);
	uv_close((uv_handle_t *)&uc->st, upgrade_check_closed);
	uv_close((uv_handle_t *)&uc->timer, upgrade_check_closed);
	if (uc->fn != NULL)
		uc->fn(uc->arg, why == NULL ? 0 : -1, why);
}

/* Both pipes ended: what the output and the status say. */
static void
upgrade_check_decide(struct upgrade_check *uc)
{
	char why[PATH_MAX + 512], *nl, *end;
	char *out = uc->buf;
	long st;

	uc->buf[uc->n] = '\0';
	uc->stbuf[uc->stn] = '\0';
	st = strtol(uc->stbuf, &end, 10);
	if (end == uc->stbuf || (*end != '\n' && *end != '\0')) {
		snprintf(why, sizeof why, "%s --version ended without an exit "
		    "status", uc->binary);
		upgrade_check_end(uc, why);
		return;
	}
	if ((nl = strchr(out, '\n')) != NULL && nl[1] != '\0' &&
	    nl[1 + strcspn(nl + 1, "\n")] != '\0')
		nl[1 + strcspn(nl + 1, "\n")] = '\0';
	if (st != 0) {
		out[strcspn(out, "\n")] = '\0';
		/* the shell's convention: 128 + N for a signal N */
		if (st > 128 && st < 128 + 65)
			snprintf(why, sizeof why, "%s --version was killed by "
			    "signal %ld", uc->binary, st - 128);
		else
			snprintf(why, sizeof why, "%s --version failed (exit "
			    "code %ld)%s%.200s", uc->binary, st,
			    out[0] ? ": " : "", out);
		upgrade_check_end(uc, why);
		return;
	}
	if (!handover_version_ok(out, HANDOVER_VERSION)) {
		out[strcspn(out, "\n")] = '\0';
		snprintf(why, sizeof why, "%s cannot read hand-over format %d "
		    "(its --version, '%.120s', names no \"handover %d\")",
		    uc->binary, HANDOVER_VERSION, out, HANDOVER_VERSION);
		upgrade_check_end(uc, why);
		return;
	}
	upgrade_check_end(uc, NULL);
}

static void
upgrade_check_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct upgrade_check *uc = h->data;
	bool out = h == (uv_handle_t *)&uc->out;
	size_t used = out ? uc->n : uc->stn;
	size_t cap = out ? sizeof uc->buf : sizeof uc->stbuf;
	static char sink[256];	/* past the first kilobyte: dropped */

	(void)hint;
	if (used + 1 < cap)
		*b = uv_buf_init((out ? uc->buf : uc->stbuf) + used,
		    (unsigned)(cap - 1 - used));
	else
		*b = uv_buf_init(sink, sizeof sink);
}

static void
upgrade_check_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct upgrade_check *uc = s->data;
	bool out = s == (uv_stream_t *)&uc->out;

	if (uc->done)
		return;
	if (nread > 0) {
		size_t *used = out ? &uc->n : &uc->stn;
		char *base = out ? uc->buf : uc->stbuf;

		if (b->base == base + *used)
			*used += (size_t)nread;
		return;
	}
	if (nread == 0)
		return;
	uv_read_stop(s);
	if (++uc->ends == 2)
		upgrade_check_decide(uc);
}

static void
upgrade_check_timeout(uv_timer_t *t)
{
	struct upgrade_check *uc = t->data;
	char why[PATH_MAX + 64];

	snprintf(why, sizeof why, "%s --version did not answer within %d ms",
	    uc->binary, UPGRADE_VERSION_MS);
	upgrade_check_end(uc, why);
}

struct upgrade_check *
upgrade_check_start(uv_loop_t *loop, const char *binary, upgrade_check_fn fn,
    void *arg, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	/* the status after the output: 3 is closed for the binary */
	char *argv[] = { (char *)"/bin/sh", (char *)"-c",
		(char *)"\"$0\" --version 3>&-; echo $? >&3",
		(char *)binary, NULL };
	struct upgrade_check *uc;
	int po[2], ps[2], rc;

	if (access(binary, X_OK) != 0) {
		snprintf(err, errlen, "cannot run %s: %s", binary,
		    strerror(errno));
		return NULL;
	}
	if (pipe2(po, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot make a pipe: %s",
		    strerror(errno));
		return NULL;
	}
	if (pipe2(ps, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot make a pipe: %s",
		    strerror(errno));
		close(po[0]);
		close(po[1]);
		return NULL;
	}
	uc = xcalloc(1, sizeof *uc);
	snprintf(uc->binary, sizeof uc->binary, "%s", binary);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, po[1], 2);
	posix_spawn_file_actions_adddup2(&fa, ps[1], 3);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(&uc->pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(po[1]);
	close(ps[1]);
	if (rc != 0) {
		close(po[0]);
		close(ps[0]);
		free(uc);
		snprintf(err, errlen, "cannot run /bin/sh for %s --version: %s",
		    binary, strerror(rc));
		return NULL;
	}
	uv_pipe_init(loop, &uc->out, 0);
	uv_pipe_init(loop, &uc->st, 0);
	uv_timer_init(loop, &uc->timer);
	uc->out.data = uc->st.data = uc->timer.data = uc;
	uc->open = 3;
	uv_pipe_open(&uc->out, po[0]);
	uv_pipe_open(&uc->st, ps[0]);
	uv_read_start((uv_stream_t *)&uc->out, upgrade_check_alloc,
	    upgrade_check_read);
	uv_read_start((uv_stream_t *)&uc->st, upgrade_check_alloc,
	    upgrade_check_read);
	uv_timer_start(&uc->timer, upgrade_check_timeout, UPGRADE_VERSION_MS,
	    0);
	uc->fn = fn;
	uc->arg = arg;
	return uc;
}

void
upgrade_check_cancel(struct upgrade_check *uc)
{
	if (uc == NULL)
		return;
	uc->fn = NULL;
	upgrade_check_end(uc, NULL);
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
