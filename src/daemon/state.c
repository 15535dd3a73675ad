/*
 * state_dir files (see state.h):
 *   prodd.lock         flock'ed while prodd runs; holds its pid
 *   groups/NAME        "pgid pid starttime bootid" of a running service
 *                      (blank while it is not running)
 *   stopped            the services stopped by hand, one per line; under
 *                      systemd in $STATE_DIRECTORY instead (SPEC §9:
 *                      /var/lib/prodd survives a reboot, /run does not)
 * A record is trusted only when the boot id is this boot's and the process
 * start time matches, so a pid reused after a reboot or by a stranger is
 * never signalled.
 */
#include "prodd/state.h"
#include "prodd/fileio.h"
#include "prodd/log.h"
#include "prodd/procfs.h"
#include "prodd/xmalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int
state_write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX + 8];
	int fd, rc = 0;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len)
		rc = -EIO;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int
state_lock(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], pid[32];
	int fd, rc;

	if ((rc = file_mkdirs(dir, 0750)) < 0) {
		snprintf(err, errlen, "cannot create state_dir %s: %s", dir,
		    strerror(-rc));
		return rc;
	}
	snprintf(path, sizeof path, "%s/prodd.lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n;

		rc = -errno;
		n = pread(fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (rc == -EWOULDBLOCK)
			snprintf(err, errlen, "another prodd (pid %s) is running "
			    "with state_dir %s", pid[0] ? pid : "?", dir);
		else
			snprintf(err, errlen, "cannot lock %s: %s", path,
			    strerror(-rc));
		close(fd);
		return rc;
	}
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0) {
		/* the lock is what matters; the pid is informative */
	}
	snprintf(path, sizeof path, "%s/groups", dir);
	file_mkdirs(path, 0750);
	return fd;
}

static const char *
state_boot_id(void)
{
	static char id[64];
	char *buf, why[128];
	size_t len, total;

	if (id[0] != '\0')
		return id;
	if (file_read_bounded("/proc/sys/kernel/random/boot_id", 63, &buf,
	    &len, &total, why, sizeof why) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(id, sizeof id, "%s", buf);
		free(buf);
	}
	if (id[0] == '\0')
		snprintf(id, sizeof id, "unknown");
	return id;
}

/*
 * A small file's first bytes, NUL-terminated (at most size - 1 of them):
 * how many, or -1 when it cannot be read as a file. One open, read and
 * close: a /proc/PID/stat, and at a start after a clean stop every
 * service's blank group record.
 */
static ssize_t
state_read_small(const char *file, char *buf, size_t size)
{
	int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static int
state_proc_stat(pid_t pid, struct procfs_stat *st)
{
	char path[64], buf[1024];	/* a stat line is < 400 bytes */
	ssize_t len;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((len = state_read_small(path, buf, sizeof buf)) <= 0)
		return -ESRCH;
	return procfs_parse_stat(buf, (size_t)len, st);
}

/*
 * A group record is rewritten in place, one fixed-size write at offset 0
 * into a file that stays: creating a file per spawn (write, then rename)
 * allocates an inode each time, which was a third of prodd's CPU while it
 * started 500 services. A record this short is one page of the page cache,
 * so a reader never sees half of one, and prodd's own death (the case the
 * records are for) loses nothing the kernel already holds.
 */
#define STATE_RECORD_LEN 128

/*
 * The start time a record holds is /proc/PID/stat's (clock ticks since
 * boot, CLOCK_BOOTTIME). It is not read back from /proc at each spawn (an
 * open, a read and a close: a sixth of the time prodd spent on a start of
 * 500 services) but taken from the clock just before the fork: the
 * kernel's own is at most a little later, so a group is ours when its
 * leader's start time is from that tick to STATE_START_SLACK ticks after.
 * A pid taken again by another process within that second would also
 * have to lead its own group of the same number.
 */
#define STATE_START_SLACK 100

static unsigned long long
state_ticks(uint64_t boot_ns)
{
	static long hz;

	if (hz <= 0 && (hz = sysconf(_SC_CLK_TCK)) <= 0)
		hz = 100;
	return (unsigned long long)(boot_ns / (1000000000u / (uint64_t)hz));
}

void
state_record(const char *dir, const char *name, pid_t pid, uint64_t boot_ns)
{
	struct procfs_stat st;
	char path[PATH_MAX], line[STATE_RECORD_LEN];
	int n, fd;

	if (boot_ns != 0)
		st.starttime = state_ticks(boot_ns);
	else if (state_proc_stat(pid, &st) < 0)
		st.starttime = 0;
	snprintf(path, sizeof path, "%s/groups/%s", dir, name);
	n = snprintf(line, sizeof line, "%ld %ld %llu %s", (long)pid,
	    (long)pid, (unsigned long long)st.starttime, state_boot_id());
	if (n < 0 || n >= STATE_RECORD_LEN - 1)
		n = STATE_RECORD_LEN - 1;
	memset(line + n, ' ', sizeof line - (size_t)n - 1);
	line[sizeof line - 1] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0640);
	if (fd < 0 || pwrite(fd, line, sizeof line, 0) != (ssize_t)sizeof line)
		log_warn(name, "cannot record its process group in %s: %s",
		    path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

void
state_forget(const char *dir, const char *name)
{
	char path[PATH_MAX], blank[STATE_RECORD_LEN];
	int fd;

	/* blanked in place, not truncated or removed: no block is freed and
	 * allocated again at every restart (see state_record) */
	snprintf(path, sizeof path, "%s/groups/%s", dir, name);
	memset(blank, ' ', sizeof blank - 1);
	blank[sizeof blank - 1] = '\n';
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0 || pwrite(fd, blank, sizeof blank, 0) != (ssize_t)sizeof blank)
		log_warn(name, "cannot clear %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

struct state_group {
	char name[CFG_NAME_MAX + 1];
	pid_t pgid;		/* 0: ended */
	int sig;
	int64_t timeout_ms;
	bool leader_gone;	/* is the group still there? not known yet */
};

/* pgids sorted with the index each came from, for state_groups_alive */
struct state_pg {
	pid_t pgid;
	size_t i;
};

static int
state_pg_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct state_pg *)a)->pgid;
	pid_t y = ((const struct state_pg *)b)->pgid;

	return x < y ? -1 : x > y;
}

/*
 * Which of the groups g[] (those with a pgid) still have a live member
 * (zombies do not count: their parent, not us, must reap them). One pass
 * over /proc for all of them, each process looked up among the sorted
 * pgids: O(processes x log n), however many groups are asked about. This
 * runs only at start, before the loop.
 */
static void
state_groups_alive(const struct state_group *g, size_t n, bool *alive)
{
	struct state_pg *pg;
	struct dirent *de;
	size_t m = 0;
	DIR *d;

	memset(alive, 0, n * sizeof *alive);
	if (n == 0 || (d = opendir("/proc")) == NULL)
		return;
	pg = xcalloc(n, sizeof *pg);
	for (size_t i = 0; i < n; i++)
		if (g[i].pgid > 0)
			pg[m++] = (struct state_pg){ g[i].pgid, i };
	qsort(pg, m, sizeof *pg, state_pg_cmp);
	while (m > 0 && (de = readdir(d)) != NULL) {
		struct procfs_stat st;
		struct state_pg key, *hit;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (state_proc_stat((pid_t)atol(de->d_name), &st) < 0 ||
		    st.state == 'Z')
			continue;
		key.pgid = (pid_t)st.pgrp;
		if ((hit = bsearch(&key, pg, m, sizeof *pg,
		    state_pg_cmp)) == NULL)
			continue;
		/* the same pgid may be asked about more than once */
		while (hit > pg && hit[-1].pgid == key.pgid)
			hit--;
		for (; hit < pg + m && hit->pgid == key.pgid; hit++)
			alive[hit->i] = true;
	}
	closedir(d);
	free(pg);
}

/* Keep of g[] the groups that are a previous prodd's and still there (a
 * group whose leader is gone: if it has a live member), and send each its
 * stop signal; *longest becomes the longest stop timeout among them. */
static void
state_end_groups(struct state_group *g, size_t *n, int64_t *longest)
{
	bool *alive = xcalloc(*n + 1, sizeof *alive);
	bool leaderless = false;
	size_t k = 0;

	/* the pass over /proc only when a leader is gone: the others are
	 * proven by their leader */
	for (size_t i = 0; i < *n; i++)
		leaderless |= g[i].leader_gone;
	if (leaderless)
		state_groups_alive(g, *n, alive);
	for (size_t i = 0; i < *n; i++) {
		if (g[i].leader_gone && !alive[i])
			continue;
		g[k] = g[i];
		if (g[k].timeout_ms > *longest)
			*longest = g[k].timeout_ms;
		log_notice(g[k].name, "ending process group %ld left by a "
		    "previous prodd", (long)g[k].pgid);
		kill(-g[k].pgid, g[k].sig);
		k++;
	}
	*n = k;
	free(alive);
}

int
state_recover(const char *dir, const struct cfg *cfg, int64_t max_wait_ms)
{
	struct state_group *g = NULL;
	size_t n = 0;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int64_t start, longest = 0;
	int ended = 0;

	snprintf(path, sizeof path, "%s/groups", dir);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char file[PATH_MAX + 64], buf[257], boot[64];
		ssize_t len;
		long pgid, pid;
		unsigned long long start_t;
		struct procfs_stat st;
		bool orphaned = false;
		int idx;

		if (de->d_name[0] == '.' || strlen(de->d_name) > CFG_NAME_MAX ||
		    strstr(de->d_name, ".tmp") != NULL)
			continue;
		snprintf(file, sizeof file, "%s/%s", path, de->d_name);
		/* a record is 128 bytes: what is past 256 is not one */
		if ((len = state_read_small(file, buf, sizeof buf)) < 0)
			continue;
		idx = cfg ? cfg_service_index(cfg, de->d_name) : -1;
		if (len == 0 || sscanf(buf, "%ld %ld %llu %63s", &pgid, &pid,
		    &start_t, boot) != 4 || pgid <= 1 || pid <= 1 ||
		    pgid > INT_MAX || pid > INT_MAX) {
			/* blank (the service was not running) or not ours
			 * to read (a pgid past pid_t would wrap, even to -1:
			 * every process): nothing to end. A blank one stays
			 * as it is: after a clean stop, every record is */
			bool blank = strspn(buf, " \n") == (size_t)len;

			if (idx < 0)
				unlink(file);
			else if (!blank)
				state_forget(dir, de->d_name);
			continue;
		}
		/* read once: kept (blanked) for a service still configured,
		 * so its next start rewrites it in place */
		if (idx < 0)
			unlink(file);
		else
			state_forget(dir, de->d_name);
		if (strcmp(boot, state_boot_id()) != 0)
			continue;	/* another boot: those pids mean nothing */
		if (state_proc_stat((pid_t)pid, &st) == 0) {
			if (st.starttime < start_t || st.starttime - start_t >
			    STATE_START_SLACK || st.pgrp != pgid)
				continue;	/* the pid is someone else's now */
		} else {
			/* the leader is gone; while its group lives the pgid
			 * cannot have been reused. Which of those groups live
			 * is asked below, for all of them in one pass over
			 * /proc (one pass each took seconds with 500 of
			 * them on a busy host). */
			orphaned = true;
		}
		g = xreallocarray(g, n + 1, sizeof *g);
		snprintf(g[n].name, sizeof g[n].name, "%s", de->d_name);
		g[n].pgid = (pid_t)pgid;
		g[n].sig = idx >= 0 ? cfg->services[idx].stop_signal : SIGTERM;
		g[n].timeout_ms = idx >= 0 ? cfg->services[idx].stop_timeout_ms :
		    10000;
		if (g[n].timeout_ms > max_wait_ms)
			g[n].timeout_ms = max_wait_ms;
		g[n].leader_gone = orphaned;
		n++;
	}
	closedir(d);
	state_end_groups(g, &n, &longest);
	start = clock_mono_ms();
	{
		bool *alive = xcalloc(n + 1, sizeof *alive);

		for (;;) {
			size_t left = 0;
			int64_t waited = clock_mono_ms() - start;

			state_groups_alive(g, n, alive);
			for (size_t i = 0; i < n; i++) {
				if (g[i].pgid == 0)
					continue;
				if (!alive[i]) {
					g[i].pgid = 0;
					ended++;
					continue;
				}
				if (waited >= g[i].timeout_ms) {
					log_warn(g[i].name, "old process group %ld "
					    "did not stop: SIGKILL",
					    (long)g[i].pgid);
					kill(-g[i].pgid, SIGKILL);
					g[i].timeout_ms = INT64_MAX;
				}
				left++;
			}
			if (left == 0 || waited > longest + 5000)
				break;
			usleep(10000);
		}
		free(alive);
	}
	free(g);
	return ended;
}

/* The file of the wishes: $STATE_DIRECTORY/stopped when systemd gives
 * the unit a state directory (its first, if several), else in dir. */
static void
state_stopped_path(const char *dir, char *path, size_t len)
{
	const char *env = getenv("STATE_DIRECTORY");

	if (env != NULL && env[0] == '/')
		snprintf(path, len, "%.*s/stopped", (int)strcspn(env, ":"), env);
	else
		snprintf(path, len, "%s/stopped", dir);
}

void
state_load_stopped(const char *dir, char ***names, size_t *n)
{
	char path[PATH_MAX], *buf, why[128];
	size_t len, total;

	*names = NULL;
	*n = 0;
	state_stopped_path(dir, path, sizeof path);
	if (file_read_bounded(path, 1 << 20, &buf, &len, &total, why,
	    sizeof why) < 0)
		return;
	for (char *line = strtok(buf, "\n"); line != NULL;
	    line = strtok(NULL, "\n")) {
		if (line[0] == '\0')
			continue;
		*names = xreallocarray(*names, *n + 1, sizeof **names);
		(*names)[(*n)++] = xstrdup(line);
	}
	free(buf);
}

void
state_save_stopped(const char *dir, char *const *names, size_t n)
{
	char path[PATH_MAX];
	size_t cap = 1, len = 0;
	char *buf;

	for (size_t i = 0; i < n; i++)
		cap += strlen(names[i]) + 1;
	buf = xmalloc(cap);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "%s\n", names[i]);
	state_stopped_path(dir, path, sizeof path);
	if (state_write_atomic(path, buf, len) < 0)
		log_warn(NULL, "cannot save %s: %s", path, strerror(errno));
	free(buf);
}

void
state_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
