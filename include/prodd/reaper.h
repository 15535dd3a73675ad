/*
 * Reaping. prodd spawns every child itself (spawn.c) and never through
 * libuv's uv_spawn, so no child of prodd is libuv's to reap. A service is
 * watched through its pidfd (reaper_watch): its end costs the same
 * whatever the number of services; any other child through SIGCHLD.
 * prodd is also a child subreaper: what its services leave behind is
 * re-parented to it. On SIGCHLD this reaps every ended child -- service or
 * orphan -- and reports each with its wait status; the supervisor tells
 * its services from orphans by pid. (Were uv_spawn ever used here, its
 * children would have to be skipped: see the owned() hook.) Loop thread
 * only.
 */
#ifndef PRODD_REAPER_H
#define PRODD_REAPER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

struct reaper;

/*
 * reaped(pid, status, arg): a child ended (status as waitpid gives it).
 * owned(pid, arg), may be NULL: true for a child some other code (libuv)
 * reaps itself; such a zombie is left alone.
 */
struct reaper *reaper_new(uv_loop_t *loop, bool (*owned)(pid_t, void *),
    void (*reaped)(pid_t, int, void *), void *arg);
/* prodd's children, every thread's (/proc/self/task/T/children, read
 * whole), in an array to free; *n its length (0 and NULL when there are
 * none or /proc cannot be read). */
int *reaper_children(size_t *n);
/* Reap now (also done on every SIGCHLD). */
void reaper_sweep(struct reaper *r);
/*
 * Watch a child through its pidfd (spawn_finish_pidfd): when it ends its
 * pidfd wakes the loop and it is reaped and reported, whatever the number
 * of prodd's other children. The reaper owns pidfd (closes it once the
 * child is reaped). 0, or -1 (errno): not watched, pidfd still the
 * caller's (the child is then reaped by a sweep on SIGCHLD).
 */
int reaper_watch(struct reaper *r, pid_t pid, int pidfd);
/* The same for a child known by pid only (taken over at an upgrade): its
 * pidfd opened here. 0, or -1 (errno). */
int reaper_adopt(struct reaper *r, pid_t pid);
/* The wait status (as waitpid gives it) of what waitid told in si. */
int reaper_wait_status(const siginfo_t *si);
/* At prodd's exit: reap what is left, waiting up to 100 ms for children
 * still dying (the orphans a group's SIGKILL just ended). Blocks. */
void reaper_finish(struct reaper *r);
void reaper_close(struct reaper *r);

#endif
