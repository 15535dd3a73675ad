/*
 * loop_close_check: a clean loop closes and says nothing; a loop left
 * with a timer and an idle handle open is caught, counted and named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "prodd/loopcheck.h"

static void
close_cb(uv_handle_t *h)
{
	(void)h;
}

static void
test_clean_loop(void **state)
{
	uv_loop_t loop;
	uv_timer_t t;
	char msg[256];

	(void)state;
	uv_loop_init(&loop);
	uv_timer_init(&loop, &t);
	uv_close((uv_handle_t *)&t, close_cb);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(loop_close_check(&loop, msg, sizeof msg), 0);
	assert_string_equal(msg, "");
}

static void
test_open_handles_named(void **state)
{
	uv_loop_t loop;
	uv_timer_t t;
	uv_idle_t idle;
	char msg[256];

	(void)state;
	uv_loop_init(&loop);
	uv_timer_init(&loop, &t);
	uv_idle_init(&loop, &idle);
	assert_int_equal(loop_close_check(&loop, msg, sizeof msg), 2);
	assert_non_null(strstr(msg, "loop closed with 2 open handles: "));
	assert_non_null(strstr(msg, "timer"));
	assert_non_null(strstr(msg, "idle"));
	/* now close them for real, so the test itself leaks nothing */
	uv_close((uv_handle_t *)&t, close_cb);
	uv_close((uv_handle_t *)&idle, close_cb);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(loop_close_check(&loop, msg, sizeof msg), 0);
}

static void
test_one_handle_singular(void **state)
{
	uv_loop_t loop;
	uv_timer_t t;
	char msg[256];

	(void)state;
	uv_loop_init(&loop);
	uv_timer_init(&loop, &t);
	assert_int_equal(loop_close_check(&loop, msg, sizeof msg), 1);
	assert_string_equal(msg, "loop closed with 1 open handle: timer");
	uv_close((uv_handle_t *)&t, close_cb);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(loop_close_check(&loop, msg, sizeof msg), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_loop),
		cmocka_unit_test(test_open_handles_named),
		cmocka_unit_test(test_one_handle_singular),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
