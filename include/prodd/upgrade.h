/*
 * The system side of an upgrade (SPEC §9; upgrade.c): the new binary
 * checked on the loop (it runs, and its --version names the hand-over
 * format this prodd writes), the state put in a sealed memfd, and the
 * exec itself with its hygiene: every descriptor but the handed-over ones
 * marked close-on-exec, every signal blocked across it. prodd.c decides
 * when; what the state is, core/handover and the modules say.
 */
#ifndef PRODD_UPGRADE_H
#define PRODD_UPGRADE_H

#include <stddef.h>
#include <uv.h>

/* How long BINARY --version may take. */
#define UPGRADE_VERSION_MS 3000

/* The end of a check: 0 when the binary runs and its --version names
 * HANDOVER_VERSION; -1 with the reason. */
typedef void (*upgrade_check_fn)(void *arg, int rc, const char *why);
struct upgrade_check;
/* Run binary --version on the loop, under UPGRADE_VERSION_MS: fn is
 * called once, later, never from inside this call (a binary that does not
 * answer in time is killed, and refused). NULL with the reason in err
 * when it cannot even be started. */
struct upgrade_check *upgrade_check_start(uv_loop_t *loop,
    const char *binary, upgrade_check_fn fn, void *arg, char *err,
    size_t errlen);
/* Abandon a check (prodd is ending): no call of fn; the process is
 * killed, the handles closed. */
void upgrade_check_cancel(struct upgrade_check *uc);
/* A memfd holding text, sealed against any change; its descriptor
 * (close-on-exec) or -1 with the reason. */
int upgrade_memfd(const char *text, size_t len, char *err, size_t errlen);
/* What fd holds, from its start, NUL-terminated (malloc'd); NULL with
 * the reason. */
char *upgrade_read(int fd, size_t *len, char *err, size_t errlen);
/*
 * execve(binary, argv + "--handover MEMFD"): descriptors 0-2, memfd and
 * keep[] are inherited, every other one is close-on-exec; every signal is
 * blocked across the exec (the new prodd unblocks them once its handlers
 * are in place). Returns only when the exec failed: -1 with the reason,
 * the signal mask and the descriptors' flags as they were.
 */
int upgrade_exec(const char *binary, char *const *argv, int memfd,
    const int *keep, size_t nkeep, char *err, size_t errlen);

#endif
