/*
 * The planner: which lifecycle events can happen now across all services,
 * given each one's state and want and the dependency graph. Waiting
 * services whose dependencies have met their conditions may spawn; services
 * that want down are stopped once nothing that depends on them is still
 * alive (so stops run in reverse dependency order). Pure.
 */
#ifndef PRODD_PLAN_H
#define PRODD_PLAN_H

#include <stdbool.h>
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

/* Who depends on each service: idx[off[i] .. off[i + 1]) for service i. */
struct plan_dependents {
	size_t *off, *idx;
};
/* (Re)build pd for cfg (pd zeroed, or built before). */
void plan_dependents(const struct cfg *cfg, struct plan_dependents *pd);
void plan_dependents_free(struct plan_dependents *pd);
/*
 * plan_next for only the services that the changes of changed[0..nchanged)
 * can concern: each one, its dependencies (whether something alive still
 * holds them) and its dependents (whether theirs are met). Where nothing
 * else changed since the last plan, that is what plan_next would give, at
 * a cost that does not grow with the number of services. seen is scratch
 * of cfg->nservices entries, all false (and left so); near gets the
 * services looked at (room for cfg->nservices; *nnear of them), in index
 * order; blocked is written for those only.
 */
size_t plan_near(const struct cfg *cfg, const struct fsm_svc *const *states,
    const struct plan_dependents *pd, const size_t *changed, size_t nchanged,
    bool *seen, size_t *near, size_t *nnear, struct plan_step *steps,
    int *blocked);

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
