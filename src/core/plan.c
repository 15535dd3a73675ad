/*
 * The planner (see plan.h): one O(services + dependencies) pass that says
 * which services may start and which may stop now. The supervisor applies
 * the steps through fsm_step and plans again after every state change.
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
	for (size_t i = 0; i < n; i++) {
		const struct fsm_svc *st = states[i];
		const struct cfg_service *s = &cfg->services[i];

		if (blocked != NULL)
			blocked[i] = -1;
		if (st->want == FSM_WANT_DOWN) {
			switch (st->state) {
			case FSM_WAITING:
			case FSM_BACKOFF:
				steps[nsteps++] = (struct plan_step){ i,
				    FSM_EV_STOP };
				break;
			case FSM_STARTING:
			case FSM_RUNNING:
			case FSM_UNHEALTHY:
				if (!held[i])
					steps[nsteps++] = (struct plan_step){ i,
					    FSM_EV_STOP };
				break;
			default:
				break;
			}
			continue;
		}
		if (st->state != FSM_WAITING)
			continue;
		{
			int first = -1;

			for (size_t d = 0; d < s->ndeps && first < 0; d++) {
				int k = s->deps[d].index;

				if (!plan_condition_met(s->deps[d].condition,
				    states[k]->state))
					first = k;
			}
			if (first < 0)
				steps[nsteps++] = (struct plan_step){ i,
				    FSM_EV_DEPS_READY };
			else if (blocked != NULL)
				blocked[i] = first;
		}
	}
	free(held);
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
