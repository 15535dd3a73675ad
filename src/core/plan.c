/*
 * The planner (see plan.h): one O(services + dependencies) pass that says
 * which services may start and which may stop now, and the same for the
 * neighbourhood of the services that changed (plan_near: O(their
 * dependencies and dependents)). The supervisor applies the steps through
 * fsm_step and plans again after every state change.
 */
#include "prodd/plan.h"
#include "prodd/graph.h"
#include "prodd/xmalloc.h"

#include <stdlib.h>

bool
plan_condition_met(enum cfg_condition c, enum fsm_state st)
{
	switch (c) {
	case CFG_COND_STARTED:
		return st == FSM_STARTING || st == FSM_RUNNING ||
		    st == FSM_UNHEALTHY;
	case CFG_COND_HEALTHY:
		return st == FSM_RUNNING;
	case CFG_COND_COMPLETED:
		return st == FSM_EXITED;
	}
	return false;
}

/* The step, if any, for service i (held: something alive depends on it);
 * blocked[i] as plan_next says. */
static void
plan_one(const struct cfg *cfg, const struct fsm_svc *const *states,
    size_t i, bool held, struct plan_step *steps, size_t *nsteps,
    int *blocked)
{
	const struct fsm_svc *st = states[i];
	const struct cfg_service *s = &cfg->services[i];
	int first = -1;

	if (blocked != NULL)
		blocked[i] = -1;
	if (st->want == FSM_WANT_DOWN) {
		switch (st->state) {
		case FSM_WAITING:
		case FSM_BACKOFF:
			steps[(*nsteps)++] = (struct plan_step){ i, FSM_EV_STOP };
			break;
		case FSM_STARTING:
		case FSM_RUNNING:
		case FSM_UNHEALTHY:
			if (!held)
				steps[(*nsteps)++] = (struct plan_step){ i,
				    FSM_EV_STOP };
			break;
		default:
			break;
		}
		return;
	}
	if (st->state != FSM_WAITING)
		return;
	for (size_t d = 0; d < s->ndeps && first < 0; d++) {
		int k = s->deps[d].index;

		if (!plan_condition_met(s->deps[d].condition, states[k]->state))
			first = k;
	}
	if (first < 0)
		steps[(*nsteps)++] = (struct plan_step){ i, FSM_EV_DEPS_READY };
	else if (blocked != NULL)
		blocked[i] = first;
}

size_t
plan_next(const struct cfg *cfg, const struct fsm_svc *const *states,
    struct plan_step *steps, int *blocked)
{
	size_t n = cfg->nservices, nsteps = 0;
	bool *held = xcalloc(n ? n : 1, sizeof *held);

	/* held[i]: something that depends on i is still alive */
	for (size_t j = 0; j < n; j++) {
		const struct cfg_service *s = &cfg->services[j];

		if (!fsm_state_alive(states[j]->state))
			continue;
		for (size_t d = 0; d < s->ndeps; d++)
			held[s->deps[d].index] = true;
	}
	for (size_t i = 0; i < n; i++)
		plan_one(cfg, states, i, held[i], steps, &nsteps, blocked);
	free(held);
	return nsteps;
}

void
plan_dependents(const struct cfg *cfg, struct plan_dependents *pd)
{
	size_t n = cfg->nservices, total = 0;
	size_t *fill;

	for (size_t i = 0; i < n; i++)
		total += cfg->services[i].ndeps;
	free(pd->off);
	free(pd->idx);
	pd->off = xcalloc(n + 1, sizeof *pd->off);
	pd->idx = xcalloc(total ? total : 1, sizeof *pd->idx);
	for (size_t i = 0; i < n; i++)
		for (size_t d = 0; d < cfg->services[i].ndeps; d++)
			pd->off[cfg->services[i].deps[d].index + 1]++;
	for (size_t i = 0; i < n; i++)
		pd->off[i + 1] += pd->off[i];
	fill = xcalloc(n ? n : 1, sizeof *fill);
	for (size_t i = 0; i < n; i++)
		for (size_t d = 0; d < cfg->services[i].ndeps; d++) {
			size_t k = (size_t)cfg->services[i].deps[d].index;

			pd->idx[pd->off[k] + fill[k]++] = i;
		}
	free(fill);
}

void
plan_dependents_free(struct plan_dependents *pd)
{
	free(pd->off);
	free(pd->idx);
	pd->off = pd->idx = NULL;
}

static int
plan_cmp_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

size_t
plan_near(const struct cfg *cfg, const struct fsm_svc *const *states,
    const struct plan_dependents *pd, const size_t *changed, size_t nchanged,
    bool *seen, size_t *near, size_t *nnear, struct plan_step *steps,
    int *blocked)
{
	size_t nsteps = 0, m = 0;

#define PLAN_ADD(k) do {						\
		size_t k_ = (k);					\
		if (!seen[k_]) {					\
			seen[k_] = true;				\
			near[m++] = k_;					\
		}							\
	} while (0)
	for (size_t c = 0; c < nchanged; c++) {
		size_t i = changed[c];
		const struct cfg_service *s = &cfg->services[i];

		PLAN_ADD(i);
		for (size_t d = 0; d < s->ndeps; d++)
			PLAN_ADD((size_t)s->deps[d].index);
		for (size_t k = pd->off[i]; k < pd->off[i + 1]; k++)
			PLAN_ADD(pd->idx[k]);
	}
#undef PLAN_ADD
	/* in index order, as plan_next gives them */
	qsort(near, m, sizeof *near, plan_cmp_index);
	for (size_t a = 0; a < m; a++) {
		size_t i = near[a];
		bool held = false;

		seen[i] = false;
		for (size_t k = pd->off[i]; k < pd->off[i + 1] && !held; k++)
			held = fsm_state_alive(states[pd->idx[k]]->state);
		plan_one(cfg, states, i, held, steps, &nsteps, blocked);
	}
	*nnear = m;
	return nsteps;
}

static void
plan_graph(const struct cfg *cfg, struct graph *g)
{
	graph_init(g, cfg->nservices);
	for (size_t i = 0; i < cfg->nservices; i++)
		for (size_t d = 0; d < cfg->services[i].ndeps; d++)
			graph_add_edge(g, i, (size_t)cfg->services[i].deps[d].index);
}

void
plan_start_set(const struct cfg *cfg, size_t i, bool *out)
{
	struct graph g;

	plan_graph(cfg, &g);
	graph_dependencies(&g, i, out);
	out[i] = true;
	graph_free(&g);
}

void
plan_stop_set(const struct cfg *cfg, size_t i, bool *out)
{
	struct graph g;

	plan_graph(cfg, &g);
	graph_dependents(&g, i, out);
	out[i] = true;
	graph_free(&g);
}
