/*
 * prodctl's exit-time leak check under AddressSanitizer, safe from a
 * SIGCONT. LeakSanitizer's check at exit stops the process with ptrace:
 * a tracer task attaches to each thread (PTRACE_ATTACH, which sends it a
 * SIGSTOP) and waits for that SIGSTOP, while the main thread spins in
 * sched_yield until the tracer is done. A SIGCONT generated in between
 * discards the pending SIGSTOP; the tracer hands the SIGCONT back and
 * waits on for a stop that never comes, and the main thread spins for
 * ever. timeout(1) and systemd send SIGCONT right after the SIGTERM that
 * ends `prodctl logs -f` (to the process and to its group), so on a busy
 * machine it could land there. Here prodctl runs the check itself, at the
 * end of its atexit handlers (LeakSanitizer's own is then skipped), with
 * a SIGCONT handler that, while the check runs and a tracer is attached,
 * raises the SIGSTOP the tracer waits for. Without AddressSanitizer this
 * is nothing at all.
 */
#include "ctl.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CTL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CTL_ASAN 1
#endif

#ifdef CTL_ASAN
#include <sanitizer/lsan_interface.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t ctl_lsan_scanning;

/* Is a tracer attached? From /proc/self/status, with async-signal-safe
 * calls only. */
static bool
ctl_lsan_traced(void)
{
	char buf[4096];
	const char *p;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if ((p = strstr(buf, "TracerPid:")) == NULL)
		return false;
	for (p += 10; *p == ' ' || *p == '\t'; p++)
		;
	return *p >= '1' && *p <= '9';
}

static void
ctl_lsan_cont_cb(int sig)
{
	int saved = errno;

	(void)sig;
	/* the SIGSTOP this SIGCONT discarded, for the tracer that waits for
	 * it; a second one pending at once is the same one */
	if (ctl_lsan_scanning && ctl_lsan_traced())
		raise(SIGSTOP);
	errno = saved;
}

static void
ctl_lsan_check(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ctl_lsan_cont_cb;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCONT, &sa, NULL);
	ctl_lsan_scanning = 1;
	__lsan_do_leak_check();
	ctl_lsan_scanning = 0;
}

void
ctl_lsan_install(void)
{
	/* the first registered, so the last run: after every cleanup */
	atexit(ctl_lsan_check);
}
#else
void
ctl_lsan_install(void)
{
}
#endif
