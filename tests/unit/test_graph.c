/*
 * Unit tests of the dependency graph: waves, start and stop order, cycles
 * (with their paths), and transitive dependencies and dependents.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "prodd/graph.h"
#include "prodd/xmalloc.h"

/* edges as pairs {a, b}: a depends on b */
static void
build(struct graph *g, size_t n, const size_t (*e)[2], size_t ne)
{
	graph_init(g, n);
	for (size_t i = 0; i < ne; i++)
		graph_add_edge(g, e[i][0], e[i][1]);
}

static void
test_waves_demo(void **state)
{
	/* search=0, rag=1 (search), analytics=2 (search, rag) */
	static const size_t e[][2] = { { 1, 0 }, { 2, 0 }, { 2, 1 } };
	struct graph g;
	int wave[3];
	size_t order[3];

	(void)state;
	build(&g, 3, e, 3);
	assert_int_equal(graph_waves(&g, wave), 3);
	assert_int_equal(wave[0], 0);
	assert_int_equal(wave[1], 1);
	assert_int_equal(wave[2], 2);
	assert_int_equal(graph_start_order(&g, order), 0);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 2);
	graph_free(&g);
}

static void
test_waves_parallel(void **state)
{
	/* 0 and 3 independent; 1 needs 0; 2 needs 3; 4 needs 1 and 2 */
	static const size_t e[][2] = { { 1, 0 }, { 2, 3 }, { 4, 1 }, { 4, 2 } };
	struct graph g;
	int wave[5];
	size_t order[5];
	static const size_t want[] = { 0, 3, 1, 2, 4 };

	(void)state;
	build(&g, 5, e, 4);
	assert_int_equal(graph_waves(&g, wave), 3);
	assert_int_equal(wave[0], 0);
	assert_int_equal(wave[3], 0);
	assert_int_equal(wave[1], 1);
	assert_int_equal(wave[2], 1);
	assert_int_equal(wave[4], 2);
	assert_int_equal(graph_start_order(&g, order), 0);
	/* stop order is this read backwards: 4, 2, 1, 3, 0 */
	assert_memory_equal(order, want, sizeof want);
	graph_free(&g);
}

static void
test_waves_empty_and_single(void **state)
{
	struct graph g;
	int wave[1];

	(void)state;
	graph_init(&g, 0);
	assert_int_equal(graph_waves(&g, wave), 0);
	graph_free(&g);
	graph_init(&g, 1);
	assert_int_equal(graph_waves(&g, wave), 1);
	assert_int_equal(wave[0], 0);
	graph_free(&g);
}

static void
test_longest_path_wave(void **state)
{
	/* 3 needs 0 directly and, through 2 -> 1, indirectly: wave 3 */
	static const size_t e[][2] = { { 3, 0 }, { 3, 2 }, { 2, 1 }, { 1, 0 } };
	struct graph g;
	int wave[4];

	(void)state;
	build(&g, 4, e, 4);
	assert_int_equal(graph_waves(&g, wave), 4);
	assert_int_equal(wave[3], 3);
	graph_free(&g);
}

static void
test_cycle_path(void **state)
{
	/* 0 -> 1 -> 2 -> 0, and 3 -> 0 outside it */
	static const size_t e[][2] = { { 0, 1 }, { 1, 2 }, { 2, 0 }, { 3, 0 } };
	struct graph g;
	struct graph_cycles cy;
	int wave[4];
	size_t order[4];

	(void)state;
	build(&g, 4, e, 4);
	graph_find_cycles(&g, &cy);
	assert_int_equal(cy.n, 1);
	assert_int_equal(cy.v[0].len, 3);
	assert_int_equal(cy.v[0].nodes[0], 0);
	assert_int_equal(cy.v[0].nodes[1], 1);
	assert_int_equal(cy.v[0].nodes[2], 2);
	assert_int_equal(graph_waves(&g, wave), -1);
	assert_int_equal(wave[0], -1);
	assert_int_equal(wave[3], -1);	/* behind the cycle */
	assert_int_equal(graph_start_order(&g, order), -1);
	graph_cycles_free(&cy);
	graph_free(&g);
}

static void
test_two_cycles_and_self(void **state)
{
	/* 0 <-> 1, 2 -> 2 (self), 3 -> 4 -> 5 -> 3 plus a chord 4 -> 3 */
	static const size_t e[][2] = { { 0, 1 }, { 1, 0 }, { 2, 2 }, { 3, 4 },
		{ 4, 5 }, { 5, 3 }, { 4, 3 } };
	struct graph g;
	struct graph_cycles cy;

	(void)state;
	build(&g, 6, e, 7);
	graph_find_cycles(&g, &cy);
	assert_int_equal(cy.n, 3);
	assert_int_equal(cy.v[0].len, 2);
	assert_int_equal(cy.v[0].nodes[0], 0);
	assert_int_equal(cy.v[1].len, 1);
	assert_int_equal(cy.v[1].nodes[0], 2);
	/* shortest cycle through 3: 3 -> 4 -> 3 */
	assert_int_equal(cy.v[2].len, 2);
	assert_int_equal(cy.v[2].nodes[0], 3);
	assert_int_equal(cy.v[2].nodes[1], 4);
	graph_cycles_free(&cy);
	graph_free(&g);
}

static void
test_no_cycle_in_dag(void **state)
{
	static const size_t e[][2] = { { 1, 0 }, { 2, 0 }, { 2, 1 } };
	struct graph g;
	struct graph_cycles cy;

	(void)state;
	build(&g, 3, e, 3);
	graph_find_cycles(&g, &cy);
	assert_int_equal(cy.n, 0);
	graph_cycles_free(&cy);
	graph_free(&g);
}

static void
test_transitive(void **state)
{
	/* 1 -> 0, 2 -> 1, 3 -> 0, 4 alone, 5 -> 2 */
	static const size_t e[][2] = { { 1, 0 }, { 2, 1 }, { 3, 0 }, { 5, 2 } };
	struct graph g;
	bool out[6];

	(void)state;
	build(&g, 6, e, 4);
	graph_dependencies(&g, 5, out);
	assert_true(out[2] && out[1] && out[0]);
	assert_false(out[3] || out[4] || out[5]);
	graph_dependents(&g, 0, out);
	assert_true(out[1] && out[2] && out[3] && out[5]);
	assert_false(out[0] || out[4]);
	graph_dependents(&g, 4, out);
	for (int i = 0; i < 6; i++)
		assert_false(out[i]);
	graph_dependencies(&g, 0, out);
	for (int i = 0; i < 6; i++)
		assert_false(out[i]);
	graph_free(&g);
}

static void
test_long_chain(void **state)
{
	/* 20000 services in one chain: no recursion, one wave each */
	enum { N = 20000 };
	struct graph g;
	int *wave = xmalloc(N * sizeof *wave);
	struct graph_cycles cy;
	bool *out = xmalloc(N * sizeof *out);

	(void)state;
	graph_init(&g, N);
	for (size_t i = 1; i < N; i++)
		graph_add_edge(&g, i, i - 1);
	assert_int_equal(graph_waves(&g, wave), N);
	graph_find_cycles(&g, &cy);
	assert_int_equal(cy.n, 0);
	graph_dependents(&g, 0, out);
	assert_true(out[N - 1]);
	/* close it: one cycle of N */
	graph_add_edge(&g, 0, N - 1);
	graph_cycles_free(&cy);
	graph_find_cycles(&g, &cy);
	assert_int_equal(cy.n, 1);
	assert_int_equal(cy.v[0].len, N);
	graph_cycles_free(&cy);
	graph_free(&g);
	free(wave);
	free(out);
}

static void
test_duplicate_edges(void **state)
{
	struct graph g;

	(void)state;
	graph_init(&g, 2);
	graph_add_edge(&g, 1, 0);
	graph_add_edge(&g, 1, 0);
	assert_int_equal(g.nadj[1], 1);
	graph_free(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waves_demo),
		cmocka_unit_test(test_waves_parallel),
		cmocka_unit_test(test_waves_empty_and_single),
		cmocka_unit_test(test_longest_path_wave),
		cmocka_unit_test(test_cycle_path),
		cmocka_unit_test(test_two_cycles_and_self),
		cmocka_unit_test(test_no_cycle_in_dag),
		cmocka_unit_test(test_transitive),
		cmocka_unit_test(test_long_chain),
		cmocka_unit_test(test_duplicate_edges),
	};

	return cmocka_run_group_tests_name("graph", tests, NULL, NULL);
}
