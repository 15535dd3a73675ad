/*
 * The planner's neighbourhood pass (plan_near, src/core/plan.c) against the
 * full pass (plan_next) on random dependency graphs and states: from any
 * states, changing one service and planning its neighbourhood gives what a
 * full pass gives for those services, and every other service's step is
 * what it was before the change; planning the neighbourhood of every
 * service is the full pass. The dependents index lists each dependent once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "prodd/plan.h"

#define N 40
#define MAXDEPS 3

struct world {
	struct cfg cfg;
	struct cfg_service svc[N];
	struct cfg_dep deps[N][MAXDEPS];
	struct fsm_svc st[N];
	const struct fsm_svc *ptr[N];
};

static unsigned int seed = 12345;

static unsigned int
rnd(unsigned int n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 16) % n;
}

static void
random_state(struct fsm_svc *st)
{
	st->state = (enum fsm_state)rnd(FSM_NSTATES);
	st->want = rnd(3) == 0 ? FSM_WANT_DOWN : FSM_WANT_UP;
}

static void
world_random(struct world *w)
{
	memset(w, 0, sizeof *w);
	for (size_t i = 0; i < N; i++) {
		w->svc[i].deps = w->deps[i];
		for (unsigned int d = 0, nd = i ? rnd(MAXDEPS + 1) : 0; d < nd;
		    d++) {
			int k = (int)rnd((unsigned int)i);
			bool dup = false;

			for (size_t e = 0; e < w->svc[i].ndeps; e++)
				dup |= w->deps[i][e].index == k;
			if (dup)
				continue;
			w->deps[i][w->svc[i].ndeps++] = (struct cfg_dep){
				.index = k,
				.condition = (enum cfg_condition)rnd(3) };
		}
		random_state(&w->st[i]);
		w->ptr[i] = &w->st[i];
	}
	w->cfg.services = w->svc;
	w->cfg.nservices = N;
}

/* step[i]: the event planned for service i, or -1 */
static void
by_service(const struct plan_step *steps, size_t n, int *step)
{
	for (size_t i = 0; i < N; i++)
		step[i] = -1;
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(step[steps[k].svc], -1);	/* once each */
		step[steps[k].svc] = (int)steps[k].ev;
	}
}

static void
test_one_change(void **state)
{
	struct plan_dependents pd = { 0 };
	struct plan_step steps[N];
	int before[N], after[N], near_step[N], blocked[N], blocked_all[N];
	size_t near[N], nnear;
	bool seen[N] = { false }, in_near[N];

	(void)state;
	for (int round = 0; round < 2000; round++) {
		struct world w;
		size_t c, n;

		world_random(&w);
		plan_dependents(&w.cfg, &pd);
		by_service(steps, plan_next(&w.cfg, w.ptr, steps, NULL), before);
		c = rnd(N);
		random_state(&w.st[c]);
		by_service(steps, plan_next(&w.cfg, w.ptr, steps, blocked_all),
		    after);
		memset(blocked, 0x55, sizeof blocked);
		n = plan_near(&w.cfg, w.ptr, &pd, &c, 1, seen, near, &nnear,
		    steps, blocked);
		by_service(steps, n, near_step);
		memset(in_near, 0, sizeof in_near);
		for (size_t k = 0; k < nnear; k++) {
			assert_false(seen[near[k]]);	/* left all false */
			if (k > 0)
				assert_true(near[k - 1] < near[k]);
			in_near[near[k]] = true;
			assert_int_equal(blocked[near[k]],
			    blocked_all[near[k]]);
		}
		assert_true(in_near[c]);
		for (size_t i = 0; i < N; i++) {
			if (in_near[i])
				assert_int_equal(near_step[i], after[i]);
			else
				assert_int_equal(before[i], after[i]);
		}
	}
	plan_dependents_free(&pd);
}

static void
test_every_service_is_the_full_pass(void **state)
{
	struct plan_dependents pd = { 0 };
	struct plan_step full[N], some[N];
	int blocked_full[N], blocked_some[N];
	size_t all[N], near[N], nnear, nf, ns;
	bool seen[N] = { false };

	(void)state;
	for (size_t i = 0; i < N; i++)
		all[i] = N - 1 - i;		/* any order */
	for (int round = 0; round < 500; round++) {
		struct world w;

		world_random(&w);
		plan_dependents(&w.cfg, &pd);
		nf = plan_next(&w.cfg, w.ptr, full, blocked_full);
		ns = plan_near(&w.cfg, w.ptr, &pd, all, N, seen, near, &nnear,
		    some, blocked_some);
		assert_int_equal(nnear, N);
		assert_int_equal(ns, nf);
		for (size_t k = 0; k < nf; k++) {
			assert_int_equal(some[k].svc, full[k].svc);
			assert_int_equal(some[k].ev, full[k].ev);
		}
		assert_memory_equal(blocked_some, blocked_full,
		    sizeof blocked_full);
	}
	plan_dependents_free(&pd);
}

static void
test_dependents_index(void **state)
{
	struct plan_dependents pd = { 0 };
	struct world w;

	(void)state;
	world_random(&w);
	plan_dependents(&w.cfg, &pd);
	for (size_t k = 0; k < N; k++) {
		size_t count = 0;

		for (size_t i = 0; i < N; i++)
			for (size_t d = 0; d < w.svc[i].ndeps; d++)
				if ((size_t)w.deps[i][d].index == k)
					count++;
		assert_int_equal(pd.off[k + 1] - pd.off[k], count);
		for (size_t j = pd.off[k]; j < pd.off[k + 1]; j++) {
			bool found = false;
			size_t i = pd.idx[j];

			for (size_t d = 0; d < w.svc[i].ndeps; d++)
				found |= (size_t)w.deps[i][d].index == k;
			assert_true(found);
		}
	}
	plan_dependents_free(&pd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_change),
		cmocka_unit_test(test_every_service_is_the_full_pass),
		cmocka_unit_test(test_dependents_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
