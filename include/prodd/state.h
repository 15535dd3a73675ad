/*
 * prodd's runtime state in state_dir: the lock that keeps a second prodd
 * out, the record of each running service's process group (what proves,
 * after prodd itself was killed, that a group was ours: pgid, pid, the
 * process's start time and the boot id), and the services stopped by hand
 * (kept stopped across a restart of prodd). The stopped list is replaced
 * atomically (write, then rename); a group record is rewritten in place. Loop thread only; these are small synchronous file
 * operations on a local directory.
 */
#ifndef PRODD_STATE_H
#define PRODD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "prodd/config.h"

/*
 * Create state_dir (0750) and take the lock. Returns the lock descriptor
 * (keep it open while running), or -errno with the reason in err; a lock
 * held by another prodd gives -EWOULDBLOCK and "another prodd (pid N) is
 * running with state_dir ...".
 */
int state_lock(const char *dir, char *err, size_t errlen);

/* Record that pid (leader of its own group) runs service name; boot_ns:
 * CLOCK_BOOTTIME taken just before its fork (0: unknown, read /proc). */
void state_record(const char *dir, const char *name, pid_t pid,
    uint64_t boot_ns);
/* The service's process group is gone: empty its record. */
void state_forget(const char *dir, const char *name);

/*
 * End every process group recorded by a previous prodd that can be proven
 * ours: stop_signal (from cfg, when the service is still configured;
 * SIGTERM otherwise), then SIGKILL after its stop_timeout (at most
 * max_wait_ms in all). Synchronous: runs before the loop starts. Returns
 * how many groups were ended.
 */
int state_recover(const char *dir, const struct cfg *cfg, int64_t max_wait_ms);

/* The services stopped by hand: read (names[] of n, free with
 * state_names_free), and write. In dir, or in $STATE_DIRECTORY when
 * systemd sets it (SPEC §9: kept across a reboot). */
void state_load_stopped(const char *dir, char ***names, size_t *n);
void state_save_stopped(const char *dir, char *const *names, size_t n);
void state_names_free(char **names, size_t n);

#endif
