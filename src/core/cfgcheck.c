/*
 * The one-line summary of a valid config: how many services, and the start
 * order in waves (a wave is the services whose dependencies are all in
 * earlier waves, and which start together); and the warnings of a valid
 * config (what loads but will not run: type systemd, for now).
 */
#include "prodd/cfgcheck.h"
#include "prodd/graph.h"
#include "prodd/strutil.h"
#include "prodd/xmalloc.h"

#include <stdlib.h>

char *
cfg_check_summary(const struct cfg *cfg)
{
	struct strbuf sb = { 0 };
	struct graph g;
	int *wave, nwaves;

	graph_init(&g, cfg->nservices);
	for (size_t i = 0; i < cfg->nservices; i++)
		for (size_t d = 0; d < cfg->services[i].ndeps; d++)
			graph_add_edge(&g, i,
			    (size_t)cfg->services[i].deps[d].index);
	wave = xcalloc(cfg->nservices + 1, sizeof *wave);
	nwaves = graph_waves(&g, wave);
	sb_printf(&sb, "%s: valid: %zu service%s", cfg->path, cfg->nservices,
	    cfg->nservices == 1 ? "" : "s");
	if (nwaves > 0) {
		sb_printf(&sb, ", start order in %d wave%s: ", nwaves,
		    nwaves == 1 ? "" : "s");
		for (int w = 0; w < nwaves; w++) {
			const char *sep = w ? " | " : "";

			for (size_t i = 0; i < cfg->nservices; i++)
				if (wave[i] == w) {
					sb_printf(&sb, "%s%s", sep,
					    cfg->services[i].name);
					sep = ", ";
				}
		}
	}
	free(wave);
	graph_free(&g);
	return sb_steal(&sb);
}

char *
cfg_check_warnings(const struct cfg *cfg)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; i < cfg->nservices; i++)
		if (cfg->services[i].type == CFG_TYPE_SYSTEMD)
			sb_printf(&sb, "%s: warning: service '%s': type "
			    "systemd is not supported yet; starting it fails\n",
			    cfg->path, cfg->services[i].name);
	return sb.len > 0 ? sb_steal(&sb) : (sb_free(&sb), NULL);
}
