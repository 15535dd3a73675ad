/*
 * The pid map (src/common/pidmap.c): put, get, replace, delete (with the
 * probe chains it must keep whole), growth, and clearing for reuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "prodd/pidmap.h"

static int vals[8];

static void
test_put_get_del(void **state)
{
	struct pidmap m = { 0 };

	(void)state;
	assert_null(pidmap_get(&m, 42));
	pidmap_del(&m, 42);		/* empty: nothing to do */
	assert_null(pidmap_put(&m, 42, &vals[0]));
	assert_ptr_equal(pidmap_get(&m, 42), &vals[0]);
	assert_ptr_equal(pidmap_put(&m, 42, &vals[1]), &vals[0]);
	assert_ptr_equal(pidmap_get(&m, 42), &vals[1]);
	assert_int_equal(m.n, 1);
	pidmap_del(&m, 42);
	assert_null(pidmap_get(&m, 42));
	assert_int_equal(m.n, 0);
	/* 0 and negative pids are never in the map: asking for or deleting
	 * one changes nothing (0 marks a free slot) */
	assert_null(pidmap_put(&m, 7, &vals[0]));
	pidmap_del(&m, 0);
	pidmap_del(&m, 0);
	pidmap_del(&m, -1);
	assert_null(pidmap_get(&m, 0));
	assert_int_equal(m.n, 1);
	assert_ptr_equal(pidmap_get(&m, 7), &vals[0]);
	pidmap_free(&m);
}

/* Pids that land on the same slot: deleting the first must leave the
 * others reachable. */
static void
test_collisions(void **state)
{
	struct pidmap m = { 0 };
	pid_t p[4];

	(void)state;
	pidmap_put(&m, 1, &vals[0]);
	/* with 64 slots, pids 64 apart share a slot */
	for (int i = 0; i < 4; i++) {
		p[i] = (pid_t)(7 + 64 * i);
		pidmap_put(&m, p[i], &vals[i]);
	}
	assert_int_equal(m.cap, 64);
	pidmap_del(&m, p[0]);
	for (int i = 1; i < 4; i++)
		assert_ptr_equal(pidmap_get(&m, p[i]), &vals[i]);
	pidmap_del(&m, p[2]);
	assert_ptr_equal(pidmap_get(&m, p[1]), &vals[1]);
	assert_ptr_equal(pidmap_get(&m, p[3]), &vals[3]);
	assert_null(pidmap_get(&m, p[2]));
	assert_int_equal(m.n, 3);
	pidmap_free(&m);
}

static void
test_grow_and_clear(void **state)
{
	struct pidmap m = { 0 };

	(void)state;
	for (pid_t pid = 1; pid <= 5000; pid++)
		pidmap_put(&m, pid * 3, &vals[pid % 8]);
	assert_int_equal(m.n, 5000);
	assert_true(m.cap >= 10000);
	for (pid_t pid = 1; pid <= 5000; pid++)
		assert_ptr_equal(pidmap_get(&m, pid * 3), &vals[pid % 8]);
	for (pid_t pid = 1; pid <= 5000; pid += 2)
		pidmap_del(&m, pid * 3);
	for (pid_t pid = 1; pid <= 5000; pid++)
		if (pid % 2)
			assert_null(pidmap_get(&m, pid * 3));
		else
			assert_ptr_equal(pidmap_get(&m, pid * 3),
			    &vals[pid % 8]);
	pidmap_clear(&m, 10);
	assert_int_equal(m.n, 0);
	assert_null(pidmap_get(&m, 6));
	assert_null(pidmap_put(&m, 6, &vals[0]));
	pidmap_free(&m);
	pidmap_clear(&m, 100);		/* sized for 100 at once */
	assert_true(m.cap >= 216);
	pidmap_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_del),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_grow_and_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
