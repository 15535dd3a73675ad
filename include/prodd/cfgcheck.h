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

#endif
