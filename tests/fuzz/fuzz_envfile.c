/*
 * libFuzzer target: the env_file parser (core/envfile.c) and the
 * environment it builds (env_build), on any bytes as a file. Besides ASan
 * and UBSan's own findings, it aborts when a result breaks what
 * prodd/envfile.h promises: a refused file says "line N: why" and yields
 * nothing, an accepted one gives non-empty keys without '=' or NUL, and
 * the environment built from it holds each key once, with the file's last
 * value for it, and none of prodd's own secrets unless the file sets it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/envfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
require(int cond)
{
	if (!cond)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[] = "PATH=/usr/bin", home[] = "HOME=/root",
	    secret[] = "PRODD_TOKEN=secret";
	static char *const base[] = { path, home, secret, NULL };
	struct cfg_env *v = NULL;
	size_t n = 0;
	char err[256] = "";
	char *buf = malloc(size ? size : 1);
	char **env;
	int r;

	require(buf != NULL);
	memcpy(buf, data, size);
	r = envfile_parse(buf, size, &v, &n, err, sizeof err);
	if (r != 0) {
		require(r == -EINVAL);
		require(strncmp(err, "line ", 5) == 0);
		require(memchr(err, '\0', sizeof err) != NULL);
		require(v == NULL && n == 0);
		free(buf);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		require(v[i].key != NULL && v[i].value != NULL);
		require(v[i].key[0] != '\0' && strchr(v[i].key, '=') == NULL);
	}
	env = env_build(base, v, n, NULL, 0, NULL, 0);
	require(env != NULL);
	for (size_t i = 0; env[i] != NULL; i++) {
		const char *eq = strchr(env[i], '=');

		require(eq != NULL && eq > env[i]);
		/* prodd's own secrets never pass; the file may set them */
		if (env_is_private(env[i], (size_t)(eq - env[i]))) {
			size_t j;

			for (j = 0; j < n; j++)
				if (strlen(v[j].key) == (size_t)(eq - env[i]) &&
				    memcmp(v[j].key, env[i],
				    (size_t)(eq - env[i])) == 0)
					break;
			require(j < n);
		}
		for (size_t j = 0; j < i; j++)
			require(strncmp(env[j], env[i],
			    (size_t)(eq - env[i]) + 1) != 0);
	}
	/* the file's last value of each key it sets wins over prodd's */
	for (size_t i = 0; i < n; i++) {
		size_t kl = strlen(v[i].key), last = i, k;

		for (size_t j = i + 1; j < n; j++)
			if (strcmp(v[j].key, v[i].key) == 0)
				last = j;
		for (k = 0; env[k] != NULL; k++)
			if (strncmp(env[k], v[i].key, kl) == 0 &&
			    env[k][kl] == '=')
				break;
		require(env[k] != NULL);
		require(strcmp(env[k] + kl + 1, v[last].value) == 0);
	}
	env_free(env);
	envfile_free(v, n);
	free(buf);
	return 0;
}
