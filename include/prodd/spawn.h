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

#include <uv.h>

#include "prodd/config.h"

/* The helper next to the running prodd (or $PRODD_EXEC_HELPER). */
const char *spawn_helper_path(void);

/*
 * Spawn svc. out_fd and err_fd become its stdout and stderr (the caller
 * closes its copies afterwards). On success returns a started process
 * handle (heap; data set to data; close it with spawn_close after its
 * exit_cb); on failure NULL, with the reason in err.
 */
uv_process_t *spawn_service(uv_loop_t *loop, const struct cfg_service *svc,
    int out_fd, int err_fd, uv_exit_cb exit_cb, void *data, char *err,
    size_t errlen);
void spawn_close(uv_process_t *proc);

#endif
