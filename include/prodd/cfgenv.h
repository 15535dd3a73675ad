/*
 * Fill a cfg_context from the running process (uid, XDG variables, cwd):
 * the part of config loading that depends on who runs it, kept out of the
 * pure loader. Shared by prodd and prodctl.
 */
#ifndef PRODD_CFGENV_H
#define PRODD_CFGENV_H

#include "prodd/config.h"

#include <stdlib.h>
#include <unistd.h>

static inline void
cfg_context_from_process(struct cfg_context *ctx, char *cwd, size_t cwdlen)
{
	ctx->uid = (unsigned)getuid();
	ctx->root = ctx->uid == 0;
	ctx->xdg_runtime_dir = getenv("XDG_RUNTIME_DIR");
	ctx->xdg_state_home = getenv("XDG_STATE_HOME");
	ctx->home = getenv("HOME");
	ctx->cwd = getcwd(cwd, cwdlen);
}

#endif
