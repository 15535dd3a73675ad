/*
 * tick: the service and the stopwatch of the supervision benchmark
 * (bench/supervise.sh). Every time it takes is CLOCK_MONOTONIC in
 * nanoseconds, so readings taken by different processes compare. As
 * "tick FILE" it is the service: it appends "NS PID" (its start time, its
 * pid) to FILE and sleeps until killed, so under prodd with restart_delay 0
 * each line is one (re)spawn. "tick --kill PID FILE [WATCH MS]" appends
 * "NS PID" to FILE with the time taken just before it sends SIGKILL to PID
 * (a respawn's latency is the next start line minus this one), then waits,
 * without forking anything, at most MS ms until the file WATCH grows.
 * "tick --stamp FILE PROG ARG..." appends the time and execs PROG in its own
 * place (the clock of prodd's start). "tick --children PID COMM N MS" polls
 * every 5 ms, at most MS ms, until N children of PID run COMM, and prints
 * that time. "tick --term PID MS" sends SIGTERM to PID and prints the
 * nanoseconds until PID has exited (gone or a zombie; polled every 0.5 ms,
 * at most MS ms). Lines go out in one write on an O_APPEND descriptor, so a
 * reader never sees half of one. Exit status: 0; 1 on a failure or a
 * timeout; 2 on bad arguments.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* pids already seen running COMM: a bit per pid (Linux pids < 2^22) */
#define TICK_PID_LIMIT (1 << 22)
static unsigned char tick_seen[TICK_PID_LIMIT / 8];

static int64_t
tick_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
tick_sleep_ns(long ns)
{
	struct timespec ts = { 0, ns };

	nanosleep(&ts, NULL);
}

/* Append "NS PID\n" to path in one write; 0, or -1 with a message. */
static int
tick_append(const char *path, int64_t ns, long pid)
{
	char line[64];
	int fd, len;

	len = snprintf(line, sizeof line, "%lld %ld\n", (long long)ns, pid);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) < 0) {
		fprintf(stderr, "tick: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (write(fd, line, (size_t)len) != len) {
		fprintf(stderr, "tick: write %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* A decimal number >= 0, or -1. */
static long
tick_number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return -1;
	return v;
}

/* Read a small file whole into buf (NUL-terminated); its length or -1. */
static ssize_t
tick_read(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while ((size_t)len + 1 < size &&
	    (n = read(fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* The size of path, or -1. */
static off_t
tick_size(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : st.st_size;
}

/*
 * SIGKILL pid, append the time to path; with watch, then wait (polling its
 * size every 1 ms, at most ms ms) until watch grows: the waiting forks and
 * execs nothing, so it takes no CPU from the respawn it waits for.
 */
static int
tick_kill(const char *pidarg, const char *path, const char *watch,
    const char *msarg)
{
	long pid = tick_number(pidarg), ms = msarg ? tick_number(msarg) : 0;
	off_t before = watch ? tick_size(watch) : 0;
	int64_t ns, end;

	if (pid <= 1 || pid >= TICK_PID_LIMIT || ms < 0) {
		fprintf(stderr, "tick: bad --kill arguments\n");
		return 2;
	}
	ns = tick_now_ns();
	if (kill((pid_t)pid, SIGKILL) < 0) {
		fprintf(stderr, "tick: kill %ld: %s\n", pid, strerror(errno));
		return 1;
	}
	if (tick_append(path, ns, pid) < 0)
		return 1;
	end = ns + (int64_t)ms * 1000000;
	while (watch != NULL && tick_size(watch) <= before) {
		if (tick_now_ns() >= end) {
			fprintf(stderr, "tick: %s did not grow %ld ms after "
			    "the kill\n", watch, ms);
			return 1;
		}
		tick_sleep_ns(1000000);
	}
	return 0;
}

static int
tick_stamp(const char *path, char **argv)
{
	if (tick_append(path, tick_now_ns(), (long)getpid()) < 0)
		return 1;
	execvp(argv[0], argv);
	fprintf(stderr, "tick: cannot run %s: %s\n", argv[0], strerror(errno));
	return 1;
}

/* How many children of pid run comm; newly seen ones are remembered. */
static long
tick_count(long pid, const char *comm, long counted)
{
	char path[64], buf[65536], name[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%ld/task", pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *p, *end;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%ld/task/%.20s/children",
		    pid, de->d_name);
		if (tick_read(path, buf, sizeof buf) <= 0)
			continue;
		for (p = buf; ; p = end) {
			long child = strtol(p, &end, 10);
			ssize_t n;

			if (end == p)
				break;
			if (child <= 0 || child >= TICK_PID_LIMIT ||
			    tick_seen[child / 8] & (1u << (child % 8)))
				continue;
			snprintf(path, sizeof path, "/proc/%ld/comm", child);
			if ((n = tick_read(path, name, sizeof name)) <= 0)
				continue;
			if (name[n - 1] == '\n')
				name[n - 1] = '\0';
			if (strcmp(name, comm) == 0) {
				tick_seen[child / 8] |= (unsigned char)
				    (1u << (child % 8));
				counted++;
			}
		}
	}
	closedir(d);
	return counted;
}

static int
tick_children(const char *pidarg, const char *comm, const char *narg,
    const char *msarg)
{
	long pid = tick_number(pidarg), want = tick_number(narg);
	long ms = tick_number(msarg), have = 0, got;
	int64_t end;

	if (pid <= 0 || want < 0 || ms < 0) {
		fprintf(stderr, "tick: bad --children arguments\n");
		return 2;
	}
	end = tick_now_ns() + (int64_t)ms * 1000000;
	for (;;) {
		if ((got = tick_count(pid, comm, have)) < 0) {
			fprintf(stderr, "tick: process %ld is gone\n", pid);
			return 1;
		}
		have = got;
		if (have >= want) {
			printf("%lld\n", (long long)tick_now_ns());
			return 0;
		}
		if (tick_now_ns() >= end) {
			fprintf(stderr, "tick: %ld of %ld children run %s after "
			    "%ld ms\n", have, want, comm, ms);
			return 1;
		}
		tick_sleep_ns(5000000);
	}
}

/* Has pid exited (no such process, or a zombie)? */
static int
tick_gone(long pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if (tick_read(path, buf, sizeof buf) <= 0)
		return 1;
	/* "PID (COMM) S ...": COMM may hold anything, ')' included */
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0')
		return 1;
	return p[2] == 'Z' || p[2] == 'X';
}

static int
tick_term(const char *pidarg, const char *msarg)
{
	long pid = tick_number(pidarg), ms = tick_number(msarg);
	int64_t t0, end;

	if (pid <= 1 || ms < 0) {
		fprintf(stderr, "tick: bad --term arguments\n");
		return 2;
	}
	t0 = tick_now_ns();
	if (kill((pid_t)pid, SIGTERM) < 0) {
		fprintf(stderr, "tick: kill %ld: %s\n", pid, strerror(errno));
		return 1;
	}
	end = t0 + (int64_t)ms * 1000000;
	while (!tick_gone(pid)) {
		if (tick_now_ns() >= end) {
			fprintf(stderr, "tick: %ld still runs %ld ms after "
			    "SIGTERM\n", pid, ms);
			return 1;
		}
		tick_sleep_ns(500000);
	}
	printf("%lld\n", (long long)(tick_now_ns() - t0));
	return 0;
}

int
main(int argc, char **argv)
{
	int64_t start = tick_now_ns();

	if ((argc == 4 || argc == 6) && strcmp(argv[1], "--kill") == 0)
		return tick_kill(argv[2], argv[3], argc == 6 ? argv[4] : NULL,
		    argc == 6 ? argv[5] : NULL);
	if (argc >= 4 && strcmp(argv[1], "--stamp") == 0)
		return tick_stamp(argv[2], argv + 3);
	if (argc == 6 && strcmp(argv[1], "--children") == 0)
		return tick_children(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 4 && strcmp(argv[1], "--term") == 0)
		return tick_term(argv[2], argv[3]);
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: tick FILE | "
		    "tick --kill PID FILE [WATCH MS] |\n"
		    "       tick --stamp FILE PROG [ARG...] | "
		    "tick --children PID COMM N MS |\n"
		    "       tick --term PID MS\n");
		return 2;
	}
	if (tick_append(argv[1], start, (long)getpid()) < 0)
		return 1;
	for (;;)
		pause();
}
