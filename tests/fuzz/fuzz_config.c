/*
 * libFuzzer target: the configuration loader (cfg_load_buffer, so libyaml,
 * the key tables, every scalar parser and the whole validation pass) on
 * any bytes as services.yaml. Besides ASan and UBSan's own findings, it
 * aborts when a result breaks what prodd/config.h promises: a load either
 * succeeds with no error or fails with at least one, every error has its
 * text, errors come sorted by position, and a loaded config compared with
 * itself reports no change (the reload diff) and has a check summary.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/cfgcheck.h"
#include "prodd/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
require(int cond)
{
	if (!cond)
		abort();
}

static void
count_change(const char *key, enum cfg_change change, void *arg)
{
	(void)change;
	require(key != NULL);
	(*(int *)arg)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cfg_context ctx = { .root = false,
		.xdg_runtime_dir = "/run/user/1000",
		.xdg_state_home = "/home/u/.local/state", .home = "/home/u",
		.cwd = "/srv", .uid = 1000 };
	struct cfg_errors errs = { 0 };
	struct cfg *c;
	char *buf;

	/* exactly size bytes, not NUL-terminated: an over-read is caught */
	buf = malloc(size ? size : 1);
	require(buf != NULL);
	memcpy(buf, data, size);
	c = cfg_load_buffer("fuzz.yaml", buf, size, &ctx, &errs);
	if (c == NULL) {
		require(errs.n > 0);
		for (size_t i = 0; i < errs.n; i++) {
			require(errs.v[i].text != NULL);
			if (i > 0)
				require(errs.v[i - 1].mark.line <
				    errs.v[i].mark.line ||
				    (errs.v[i - 1].mark.line ==
				    errs.v[i].mark.line &&
				    errs.v[i - 1].mark.col <=
				    errs.v[i].mark.col));
		}
	} else {
		int n = 0;
		char *sum;

		require(errs.n == 0);
		require(cfg_daemon_diff(&c->daemon, &c->daemon, count_change,
		    &n) == 0 && n == 0);
		for (size_t i = 0; i < c->nservices; i++) {
			require(c->services[i].name != NULL);
			require(cfg_service_index(c, c->services[i].name) ==
			    (int)i);
			require(cfg_service_diff(&c->services[i],
			    &c->services[i], count_change, &n) == 0 && n == 0);
			require(cfg_service_equal(&c->services[i],
			    &c->services[i]));
		}
		sum = cfg_check_summary(c);
		require(sum != NULL);
		free(sum);
		cfg_free(c);
	}
	cfg_errors_free(&errs);
	free(buf);
	return 0;
}
