/*
 * notifyready: the services of bench/notify.sh, one static program
 * (no dynamic loader: its start-up is as short as a program's can be).
 *   notifyready ready DELAY_MS FILE   a notify service: sleeps DELAY_MS,
 *       sends READY=1 to $NOTIFY_SOCKET and writes the CLOCK_MONOTONIC
 *       time (ns) read just before the sendto into FILE; then pauses.
 *   notifyready stamp FILE            the dependent: writes the
 *       CLOCK_MONOTONIC time (ns) read first thing in main into FILE;
 *       then pauses.
 *   notifyready status                READY=1, then STATUS=tick N once a
 *       second, forever.
 *   notifyready idle                  READY=1, then pauses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
put(const char *file, int64_t ns)
{
	FILE *f = fopen(file, "w");

	if (f != NULL) {
		fprintf(f, "%lld\n", (long long)ns);
		fclose(f);
	}
}

static int fd = -1;
static struct sockaddr_un sa = { .sun_family = AF_UNIX };

static void
say(const char *msg)
{
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	    sizeof sa) < 0)
		perror("notifyready: sendto");
}

int
main(int argc, char **argv)
{
	int64_t t0 = mono_ns();
	const char *path = getenv("NOTIFY_SOCKET");

	if (argc == 3 && strcmp(argv[1], "stamp") == 0) {
		put(argv[2], t0);
		for (;;)
			pause();
	}
	if (path == NULL || strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "notifyready: no NOTIFY_SOCKET\n");
		return 1;
	}
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return 1;
	if (argc == 4 && strcmp(argv[1], "ready") == 0) {
		struct timespec d;
		long ms = atol(argv[2]);
		int64_t t;

		d.tv_sec = ms / 1000;
		d.tv_nsec = (ms % 1000) * 1000000L;
		nanosleep(&d, NULL);
		t = mono_ns();
		say("READY=1");
		put(argv[3], t);
		for (;;)
			pause();
	}
	say("READY=1");
	if (argc == 2 && strcmp(argv[1], "status") == 0) {
		char msg[64];

		for (unsigned long n = 1;; n++) {
			sleep(1);
			snprintf(msg, sizeof msg, "STATUS=tick %lu", n);
			say(msg);
		}
	}
	for (;;)
		pause();
}
