/*
 * Spawning one service (SPEC §3): its environment, working directory, user
 * and limits, through the exec helper (prodd-exec), in its own session and
 * process group, stdin from /dev/null, stdout and stderr into the pipes
 * the caller gives. Everything that can be known to fail before the fork
 * (a missing working_dir or env_file, an unknown user, a program not found
 * or not executable) is reported here, with a reason, as a failed spawn.
 * Loop thread only.
 */
#ifndef PRODD_SPAWN_H
#define PRODD_SPAWN_H

#include <sys/types.h>

#include "prodd/config.h"

/* The helper next to the running prodd (or $PRODD_EXEC_HELPER). */
const char *spawn_helper_path(void);

/*
 * Spawn svc with posix_spawn (a vfork: no page tables copied, which on a
 * virtual machine is most of the cost of a fork). out_fd and err_fd become
 * its stdout and stderr (the caller closes its copies afterwards). Returns
 * the pid (leader of its own session and group), or -1 with the reason in
 * err. The caller reaps it (see reaper.h): libuv never owns our children.
 */
pid_t spawn_service(const struct cfg_service *svc, int out_fd, int err_fd,
    char *err, size_t errlen);

#endif
