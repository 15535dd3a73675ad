/*
 * A service's environment (SPEC §3): prodd's own, minus its secrets and
 * systemd's variables, then the env_file, then `environment`, then the
 * user's HOME/USER/LOGNAME/SHELL. And the env_file syntax: KEY=VALUE lines,
 * '#' comments, optional "export ", optional single or double quotes, no
 * expansion. Pure.
 */
#ifndef PRODD_ENVFILE_H
#define PRODD_ENVFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "prodd/config.h"

/*
 * Parse an env_file. On success *out (free with envfile_free) holds the
 * pairs in file order. On -EINVAL, err says "line N: why".
 */
int envfile_parse(const char *buf, size_t len, struct cfg_env **out,
    size_t *n, char *err, size_t errlen);
void envfile_free(struct cfg_env *v, size_t n);

/* Whether prodd keeps this variable (of its own environment) from services. */
bool env_is_private(const char *key, size_t keylen);

/*
 * base: prodd's environ ("K=V" strings). Each later list overrides the
 * earlier ones. Returns a NULL-terminated array of new "K=V" strings, in
 * a stable order, the array and its strings in one allocation (free with
 * env_free).
 */
char **env_build(char *const *base, const struct cfg_env *file, size_t nfile,
    const struct cfg_env *conf, size_t nconf, const struct cfg_env *user,
    size_t nuser);
void env_free(char **env);

#endif
