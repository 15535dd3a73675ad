/*
 * The supervisor's lifecycle timers (src/daemon/supervisor-timers.c), on
 * a real libuv loop: timers fire in due order and, at the same due time,
 * in the order they were started (as uv timers do); a stopped timer does
 * not fire and a restarted one fires once, at its new time; a callback
 * may start and stop timers; hundreds of timers in random order come out
 * sorted; a released service is freed at the next turn of the loop, not
 * at once, and its timers never fire; each of a service's three timers
 * calls its own callback on its own service. sup_now, sup_svc_free and
 * the three callbacks, which the module takes from supervisor.c and
 * supervisor-proc.c, are the test's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/daemon/supervisor-int.h"

#include <stdlib.h>
#include <string.h>

/* What fired, in order: the index of the service, and which callback
 * ('t' sup_timer_cb, 'r' sup_ready_cb, 's' sup_stable_cb). */
static int fired[1024];
static char fired_kind[1024];
static size_t nfired;
static int freed[16];
static size_t nfreed;
/* test_callback_arms: service 0's ready timer arms another's */
static struct fixture *chain_f;

int64_t
sup_now(const struct supervisor *sup)
{
	return (int64_t)uv_now(sup->loop);
}

void
sup_svc_free(struct sup_svc *s)
{
	freed[nfreed++] = s->pid;
}

static void
record(struct sup_svc *s, char kind)
{
	fired_kind[nfired] = kind;
	fired[nfired++] = s->pid;
}

static void chain(struct sup_svc *s);

void
sup_timer_cb(struct sup_svc *s)
{
	record(s, 't');
}

void
sup_ready_cb(struct sup_svc *s)
{
	record(s, 'r');
	if (chain_f != NULL)
		chain(s);
}

void
sup_stable_cb(struct sup_svc *s)
{
	record(s, 's');
}

struct fixture {
	uv_loop_t loop;
	struct supervisor sup;
	struct sup_svc *svcs;
	size_t n;
};

static struct fixture *
fixture_new(size_t n)
{
	struct fixture *f = calloc(1, sizeof *f);

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->sup.loop = &f->loop;
	sup_tm_setup(&f->sup);
	f->svcs = calloc(n, sizeof *f->svcs);
	assert_non_null(f->svcs);
	f->n = n;
	for (size_t i = 0; i < n; i++) {
		f->svcs[i].sup = &f->sup;
		f->svcs[i].pid = (pid_t)i;
		f->svcs[i].handles = 1;
		sup_tm_init(&f->svcs[i]);
	}
	nfired = nfreed = 0;
	return f;
}

static void
fixture_free(struct fixture *f)
{
	f->sup.closing = true;
	sup_tm_close(&f->sup);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	sup_tm_teardown(&f->sup);
	free(f->svcs);
	free(f);
}

static void
test_order(void **state)
{
	struct fixture *f = fixture_new(4);

	(void)state;
	sup_tm_start(&f->svcs[0].timer, 30);
	sup_tm_start(&f->svcs[1].ready, 10);
	sup_tm_start(&f->svcs[2].stable, 20);
	sup_tm_start(&f->svcs[3].timer, 10);	/* after 1 */
	assert_true(sup_tm_due(&f->svcs[0].timer) >= sup_now(&f->sup) + 30);
	assert_int_equal(sup_tm_due(&f->svcs[0].ready), -1);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(nfired, 4);
	assert_int_equal(fired[0], 1);
	assert_int_equal(fired[1], 3);
	assert_int_equal(fired[2], 2);
	assert_int_equal(fired[3], 0);
	assert_memory_equal(fired_kind, "rtst", 4);
	assert_int_equal(sup_tm_due(&f->svcs[0].timer), -1);
	fixture_free(f);
}

static void
test_stop_and_restart(void **state)
{
	struct fixture *f = fixture_new(3);
	uint64_t t0 = uv_now(&f->loop);

	(void)state;
	sup_tm_start(&f->svcs[0].timer, 5);
	sup_tm_start(&f->svcs[1].timer, 10);
	sup_tm_start(&f->svcs[2].timer, 15);
	sup_tm_stop(&f->svcs[1].timer);
	sup_tm_stop(&f->svcs[1].timer);		/* twice: nothing */
	sup_tm_start(&f->svcs[0].timer, 40);	/* re-armed */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(nfired, 2);
	assert_int_equal(fired[0], 2);
	assert_int_equal(fired[1], 0);
	assert_true(uv_now(&f->loop) - t0 >= 40);
	fixture_free(f);
}

/* A callback that arms another service's timer and stops a third's. */
static void
chain(struct sup_svc *s)
{
	if (s->pid == 0) {
		sup_tm_start(&chain_f->svcs[1].ready, 0);
		sup_tm_stop(&chain_f->svcs[2].ready);
	}
}

static void
test_callback_arms(void **state)
{
	struct fixture *f = fixture_new(3);

	(void)state;
	chain_f = f;
	sup_tm_start(&f->svcs[0].ready, 1);
	sup_tm_start(&f->svcs[2].ready, 1);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(nfired, 2);
	assert_int_equal(fired[0], 0);
	assert_int_equal(fired[1], 1);
	chain_f = NULL;
	fixture_free(f);
}

static void
test_many_sorted(void **state)
{
	struct fixture *f = fixture_new(600);
	int64_t due[600];

	(void)state;
	srand(18);
	for (size_t i = 0; i < 600; i++) {
		struct sup_tm *t = i % 3 == 0 ? &f->svcs[i].timer :
		    i % 3 == 1 ? &f->svcs[i].ready : &f->svcs[i].stable;

		sup_tm_start(t, (uint64_t)(rand() % 25));
		due[i] = sup_tm_due(t);
	}
	/* a third stopped again, from the middle of the heap too */
	for (size_t i = 0; i < 600; i += 3)
		sup_tm_stop(&f->svcs[i].timer);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(nfired, 400);
	for (size_t k = 1; k < nfired; k++) {
		int a = fired[k - 1], b = fired[k];

		assert_true(a % 3 != 0 && b % 3 != 0);
		/* each its own callback */
		assert_int_equal(fired_kind[k], "trs"[b % 3]);
		/* by due time; at the same, in start order */
		assert_true(due[a] < due[b] || (due[a] == due[b] && a < b));
	}
	fixture_free(f);
}

static void
test_release_frees_next_turn(void **state)
{
	struct fixture *f = fixture_new(2);

	(void)state;
	sup_tm_start(&f->svcs[0].timer, 1);
	sup_tm_start(&f->svcs[1].stable, 1);
	sup_tm_release(&f->svcs[0]);
	sup_tm_release(&f->svcs[1]);
	assert_int_equal(nfreed, 0);		/* not at once */
	assert_int_equal(sup_tm_due(&f->svcs[0].timer), -1);
	uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(nfreed, 2);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(nfired, 0);
	fixture_free(f);
}

/* A service released while the supervisor closes is freed with it. */
static void
test_release_at_close(void **state)
{
	struct fixture *f = fixture_new(1);

	(void)state;
	f->sup.closing = true;
	sup_tm_release(&f->svcs[0]);
	assert_int_equal(nfreed, 0);
	fixture_free(f);
	assert_int_equal(nfreed, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_stop_and_restart),
		cmocka_unit_test(test_callback_arms),
		cmocka_unit_test(test_many_sorted),
		cmocka_unit_test(test_release_frees_next_turn),
		cmocka_unit_test(test_release_at_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
