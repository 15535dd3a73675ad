/*
 * The services' lifecycle timers (backoff and stop timeout, ready_after,
 * restart_window) on one uv timer for the whole supervisor: each timer
 * is a 24-byte struct sup_tm in a binary min-heap ordered by due time,
 * then by the order they were started (as libuv orders its own), and the
 * one uv timer is armed for the soonest. A uv_timer_t per timer per
 * service cost 152 bytes each. The same uv timer also frees the services
 * released since its last turn (sup_tm_release), as uv_close's callback
 * did when each service owned uv timers. A timer knows its service and
 * its callback by its kind, which is also the member of struct sup_svc
 * it is. Loop thread only.
 */
#include "supervisor-int.h"
#include "prodd/xmalloc.h"
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define SUP_TM_IDLE UINT32_MAX

/* Each kind of timer: where it sits in its service, and what it calls. */
static const struct {
	size_t off;
	void (*cb)(struct sup_svc *s);
} sup_tm_kinds[] = {
	[SUP_TM_TIMER] = { offsetof(struct sup_svc, timer), sup_timer_cb },
	[SUP_TM_READY] = { offsetof(struct sup_svc, ready), sup_ready_cb },
	[SUP_TM_STABLE] = { offsetof(struct sup_svc, stable), sup_stable_cb },
};

/* The service t belongs to. */
static struct sup_svc *
sup_tm_svc(struct sup_tm *t)
{
	return (struct sup_svc *)(void *)((char *)t -
	    sup_tm_kinds[t->kind].off);
}

static bool
sup_tm_before(const struct sup_tm *a, const struct sup_tm *b)
{
	return a->due != b->due ? a->due < b->due : a->seq < b->seq;
}

static void
sup_tm_place(struct supervisor *sup, size_t i, struct sup_tm *t)
{
	sup->tm_heap[i] = t;
	t->idx = (uint32_t)i;
}

static void
sup_tm_up(struct supervisor *sup, size_t i)
{
	struct sup_tm *t = sup->tm_heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!sup_tm_before(t, sup->tm_heap[p]))
			break;
		sup_tm_place(sup, i, sup->tm_heap[p]);
		i = p;
	}
	sup_tm_place(sup, i, t);
}

static void
sup_tm_down(struct supervisor *sup, size_t i)
{
	struct sup_tm *t = sup->tm_heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= sup->tm_n)
			break;
		if (c + 1 < sup->tm_n &&
		    sup_tm_before(sup->tm_heap[c + 1], sup->tm_heap[c]))
			c++;
		if (!sup_tm_before(sup->tm_heap[c], t))
			break;
		sup_tm_place(sup, i, sup->tm_heap[c]);
		i = c;
	}
	sup_tm_place(sup, i, t);
}

static void sup_tm_cb(uv_timer_t *u);

/* The uv timer for the soonest (at once when services wait to be
 * freed), or stopped when nothing is due. */
static void
sup_tm_arm(struct supervisor *sup)
{
	int64_t wait;

	if (sup->tm_firing || sup->closing)
		return;
	if (!SLIST_EMPTY(&sup->freeing))
		wait = 0;
	else if (sup->tm_n == 0) {
		uv_timer_stop(&sup->tm_timer);
		return;
	} else
		wait = sup->tm_heap[0]->due - sup_now(sup);
	uv_timer_start(&sup->tm_timer, sup_tm_cb,
	    (uint64_t)(wait > 0 ? wait : 0), 0);
}

static void
sup_tm_remove(struct supervisor *sup, struct sup_tm *t)
{
	size_t i = t->idx;
	struct sup_tm *last = sup->tm_heap[--sup->tm_n];

	t->idx = SUP_TM_IDLE;
	if (last == t)
		return;
	sup_tm_place(sup, i, last);
	if (i > 0 && sup_tm_before(last, sup->tm_heap[(i - 1) / 2]))
		sup_tm_up(sup, i);
	else
		sup_tm_down(sup, i);
}

/* Free the released services whose last handle has closed. */
static void
sup_tm_sweep(struct supervisor *sup)
{
	while (!SLIST_EMPTY(&sup->freeing)) {
		struct sup_svc *s = SLIST_FIRST(&sup->freeing);

		SLIST_REMOVE_HEAD(&sup->freeing, free_link);
		if (--s->handles == 0)
			sup_svc_free(s);
	}
}

static void
sup_tm_cb(uv_timer_t *u)
{
	struct supervisor *sup = u->data;
	int64_t now = sup_now(sup);

	sup_tm_sweep(sup);
	sup->tm_firing = true;
	/* one at a time: a callback may start or stop any timer */
	while (sup->tm_n > 0 && sup->tm_heap[0]->due <= now) {
		struct sup_tm *t = sup->tm_heap[0];

		sup_tm_remove(sup, t);
		sup_tm_kinds[t->kind].cb(sup_tm_svc(t));
	}
	sup->tm_firing = false;
	sup_tm_arm(sup);
}

void
sup_tm_setup(struct supervisor *sup)
{
	uv_timer_init(sup->loop, &sup->tm_timer);
	sup->tm_timer.data = sup;
	SLIST_INIT(&sup->freeing);
}

static void
sup_tm_closed(uv_handle_t *h)
{
	struct supervisor *sup = h->data;

	sup_tm_sweep(sup);
}

void
sup_tm_close(struct supervisor *sup)
{
	uv_close((uv_handle_t *)&sup->tm_timer, sup_tm_closed);
}

void
sup_tm_teardown(struct supervisor *sup)
{
	free(sup->tm_heap);
	sup->tm_heap = NULL;
	sup->tm_n = sup->tm_cap = 0;
}

static void
sup_tm_idle(struct sup_tm *t, enum sup_tm_kind kind)
{
	t->due = 0;
	t->seq = 0;
	t->idx = SUP_TM_IDLE;
	t->kind = (uint8_t)kind;
}

void
sup_tm_init(struct sup_svc *s)
{
	sup_tm_idle(&s->timer, SUP_TM_TIMER);
	sup_tm_idle(&s->ready, SUP_TM_READY);
	sup_tm_idle(&s->stable, SUP_TM_STABLE);
}

void
sup_tm_start(struct sup_tm *t, uint64_t ms)
{
	struct supervisor *sup = sup_tm_svc(t)->sup;

	if (t->idx != SUP_TM_IDLE)
		sup_tm_remove(sup, t);
	if (sup->tm_n == sup->tm_cap) {
		sup->tm_cap = sup->tm_cap ? 2 * sup->tm_cap : 64;
		sup->tm_heap = xreallocarray(sup->tm_heap, sup->tm_cap,
		    sizeof *sup->tm_heap);
	}
	t->due = sup_now(sup) + (int64_t)ms;
	t->seq = ++sup->tm_seq;
	sup->tm_heap[sup->tm_n] = t;
	t->idx = (uint32_t)sup->tm_n++;
	sup_tm_up(sup, t->idx);
	sup_tm_arm(sup);
}

void
sup_tm_stop(struct sup_tm *t)
{
	struct supervisor *sup = sup_tm_svc(t)->sup;

	if (t->idx == SUP_TM_IDLE)
		return;
	sup_tm_remove(sup, t);
	sup_tm_arm(sup);
}

int64_t
sup_tm_due(const struct sup_tm *t)
{
	return t->idx == SUP_TM_IDLE ? -1 : t->due;
}

void
sup_tm_release(struct sup_svc *s)
{
	struct supervisor *sup = s->sup;

	sup_tm_stop(&s->timer);
	sup_tm_stop(&s->ready);
	sup_tm_stop(&s->stable);
	SLIST_INSERT_HEAD(&sup->freeing, s, free_link);
	sup_tm_arm(sup);
}
