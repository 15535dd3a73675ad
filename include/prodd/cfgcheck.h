/*
 * The outcome of validating a services.yaml, as prodd --check and prodctl
 * check print it.
 */
#ifndef PRODD_CFGCHECK_H
#define PRODD_CFGCHECK_H

#include "prodd/config.h"

/*
 * One line (no newline) for a valid config: "FILE: valid: 3 services, start
 * order in 3 waves: search | rag | analytics" -- services of one wave are
 * separated by ", ". Caller frees.
 */
char *cfg_check_summary(const struct cfg *cfg);

/*
 * The warnings of a valid config, one per line, each ending in a newline
 * ("FILE: warning: service 'x': type systemd is not supported yet;
 * starting it fails"), or NULL when there is none. Caller frees.
 */
char *cfg_check_warnings(const struct cfg *cfg);

#endif
