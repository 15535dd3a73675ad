/*
 * The planner: which lifecycle events can happen now across all services,
 * given each one's state and want and the dependency graph. Waiting
 * services whose dependencies have met their conditions may spawn; services
 * that want down are stopped once nothing that depends on them is still
 * alive (so stops run in reverse dependency order). Pure.
 */
#ifndef PRODD_PLAN_H
#define PRODD_PLAN_H

#include <stddef.h>

#include "prodd/config.h"
#include "prodd/fsm.h"

struct plan_step {
	size_t svc;
	enum fsm_event ev;	/* FSM_EV_DEPS_READY or FSM_EV_STOP */
};

/*
 * Fill steps (room for cfg->nservices entries) and return how many.
 * states[i] is service i's lifecycle record. blocked, when not NULL, gets
 * for each waiting service that wants up the index of its first dependency
 * not ready, else -1.
 */
size_t plan_next(const struct cfg *cfg, const struct fsm_svc *const *states,
    struct plan_step *steps, int *blocked);

/*
 * The services an operator's action on service i reaches (SPEC §3): for a
 * start, i and everything it depends on, directly or not; for a stop, i and
 * everything that depends on it. out[] has cfg->nservices entries.
 */
void plan_start_set(const struct cfg *cfg, size_t i, bool *out);
void plan_stop_set(const struct cfg *cfg, size_t i, bool *out);

/* Whether dependency state st meets condition c. */
bool plan_condition_met(enum cfg_condition c, enum fsm_state st);

#endif
