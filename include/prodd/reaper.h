/*
 * The orphan reaper. prodd is a child subreaper, so the processes its
 * services leave behind are re-parented to it and, when they end, must be
 * reaped by it. libuv reaps only the pids it spawned, with waitpid(pid); a
 * waitpid(-1) would steal those and their exit callbacks would never run.
 * So on SIGCHLD (deferred to a uv_check, after libuv's own pass) this
 * lists prodd's children from /proc/self/task/ * /children and reaps, with
 * waitpid(pid, WNOHANG), each one that libuv does not own. A short sweep
 * timer runs while orphans are alive, as a backstop for races. Loop thread
 * only.
 */
#ifndef PRODD_REAPER_H
#define PRODD_REAPER_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

struct reaper;

/* owned(pid, arg): whether libuv owns pid (a spawned service whose exit
 * callback has not run). reaped(pid, status, arg): an orphan was reaped. */
struct reaper *reaper_new(uv_loop_t *loop, bool (*owned)(pid_t, void *),
    void (*reaped)(pid_t, int, void *), void *arg);
/* Reap now (also called on every SIGCHLD). */
void reaper_sweep(struct reaper *r);
/* Children of prodd that are not libuv's and still alive, as of the last
 * sweep. */
unsigned reaper_orphans(const struct reaper *r);
void reaper_close(struct reaper *r);

#endif
