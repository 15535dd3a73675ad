/*
 * The hand-over format (src/core/handover.c): a full state (daemon,
 * events, services with every section, binary output lines, health
 * history) rendered and parsed back equal; documents of another version,
 * with a missing key or a malformed value refused whole; the --version
 * line that names the formats a binary reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "prodd/handover.h"

static void
fill(struct handover *h)
{
	struct ho_svc *sv;
	const char bin[] = { 'a', '\0', 'b', (char)0xff, '\n', 'z' };

	handover_init(h);
	snprintf(h->instance, sizeof h->instance, "0123456789abcdef");
	h->mono_ms = 123456789;
	h->tcp_fd = 7;
	h->unix_fd = 8;
	h->lock_fd = 5;
	h->started_ms = 1699999999000;
	h->events_next_seq = 1042;
	h->nevents = 2;
	h->events = calloc(2, sizeof *h->events);
	for (size_t i = 0; i < 2; i++) {
		event_clear(&h->events[i]);
		h->events[i].seq = 1040 + i;
		h->events[i].ts_ms = 1700000000000 + (int64_t)i;
		h->events[i].kind = EVENT_EXIT;
		snprintf(h->events[i].service, sizeof h->events[i].service,
		    "svc%zu", i);
		h->events[i].pid = 4242;
		h->events[i].exit_code = 3;
		h->events[i].delay_ms = 500;
		snprintf(h->events[i].reason, sizeof h->events[i].reason,
		    "pid 4242 exited with code 3 \"quoted\"");
	}
	/* an exit event's last lines */
	h->events[1].lines = event_lines_new();
	event_lines_add(h->events[1].lines, 1700000000001, 2, "boom", 4);
	event_lines_add(h->events[1].lines, 1700000000002, 1, bin, sizeof bin);
	sv = handover_add_svc(h, "rag");
	sv->fsm.state = FSM_BACKOFF;
	sv->fsm.want = FSM_WANT_UP;
	sv->fsm.restarts = 4;
	sv->fsm.consecutive_failures = 2;
	sv->fsm.then_recover = true;
	snprintf(sv->fsm.cause, sizeof sv->fsm.cause, "unhealthy");
	sv->fsm.since_ms = 99;
	sv->fsm.ready_ms = -1;
	sv->fsm.has_exit = true;
	sv->fsm.exit_code = -1;
	sv->fsm.exit_signal = 9;
	sv->fsm.exit_ms = 1700000000123;
	snprintf(sv->reason, sizeof sv->reason, "restarting in 2 s");
	sv->restarts_by[PROM_REASON_SIGNAL] = 3;
	sv->restarts_by[PROM_REASON_EXIT] = 1;
	sv->stop_cause = FSM_EV_UNHEALTHY;
	sv->pid = 0;
	sv->exit_ms = 1700000000123;
	sv->timer_due = 123458000;
	sv->health.status = HEALTH_UNHEALTHY;
	sv->health.checks = 40;
	sv->health.failures_total = 12;
	sv->health.failures = 3;
	sv->health.lat_bucket[2] = 39;
	sv->health.lat_sum_s = 0.25;
	sv->health.last_latency_ms = 1.5;
	snprintf(sv->health.last_error, sizeof sv->health.last_error,
	    "HTTP 503");
	sv->health.hist = calloc(HEALTH_HISTORY, sizeof *sv->health.hist);
	for (int i = 0; i < 5; i++) {
		sv->health.hist[i].at_ms = 1000 + i;
		sv->health.hist[i].latency_ms = 0.5f * (float)i;
		sv->health.hist[i].ok = i % 2 == 0;
	}
	sv->health.nhist = 5;
	sv->health.hpos = 5;
	sv->part[0] = malloc(3);
	memcpy(sv->part[0], "par", 3);
	sv->part_len[0] = 3;
	sv->log_next_seq = 77;
	handover_add_line(sv, 75, 1700000000001, 1, "hello", 5);
	handover_add_line(sv, 76, 1700000000002, 2, bin, sizeof bin);

	sv = handover_add_svc(h, "web");
	sv->fsm.state = FSM_RUNNING;
	sv->fsm.want = FSM_WANT_UP;
	sv->pid = 31337;
	sv->out_fd[0] = 11;
	sv->out_fd[1] = 12;
	sv->started_ms = 1700000000000;
	sv->stable_due = 123999999;
	sv->check_due = 123456999;
	sv->down_by_hand = false;
	/* notify, mid-start: its socket, what it said, its two timers */
	sv->notify.fd = 13;
	snprintf(sv->notify.path, sizeof sv->notify.path,
	    "/var/lib/prodd/notify/web.sock");
	sv->notify.dropped = 4;
	sv->notify.mainpid_refused = 1;
	sv->notify.ready = false;
	sv->notify.has_status = true;
	snprintf(sv->notify.status, sizeof sv->notify.status,
	    "loading \"model\" 42%%");
	snprintf(sv->notify.phase, sizeof sv->notify.phase, "reloading");
	sv->notify.errno_value = 5;
	sv->notify.exit_errno = 2;
	sv->notify.main_pid = 31338;
	sv->start_timeout_due = 123460000;
	sv->watchdog_due = 123461000;
	/* analyze: two exits (one with its last lines), the last start */
	sv->nexits = 2;
	sv->exits[0].at_ms = 1700000000500;
	sv->exits[0].pid = 31000;
	sv->exits[0].code = 1;
	snprintf(sv->exits[0].reason, sizeof sv->exits[0].reason,
	    "exited with code 1");
	sv->exits[0].lines = event_lines_new();
	event_lines_add(sv->exits[0].lines, 1700000000499, 2, "Traceback", 9);
	event_lines_add(sv->exits[0].lines, 1700000000500, 1, bin, sizeof bin);
	sv->exits[1].at_ms = 1700000000100;
	sv->exits[1].pid = 30000;
	sv->exits[1].code = -1;
	sv->exits[1].signal = 9;
	sv->wanted_ms = 1700000000600;
	sv->spawned_ms = 1700000000700;
	sv->ready_ms = 0;
	sv->deps_met_ms = 1700000000650;
	snprintf(sv->waited_for, sizeof sv->waited_for, "db");
	sv = handover_add_svc(h, "batch");
	sv->down_by_hand = true;
	{
		uint16_t codes[5] = { 0, 1, 0x3c00, 0x7bff, 65535 };
		struct ho_msvc *m;

		handover_add_series(h, "cpu", codes, 5);
		handover_add_series(h, "net.eth0.rx", codes, 2);
		handover_add_series(h, "disk./var/lib", codes, 0);
		m = handover_add_msvc(h, "web");
		handover_series_set(&m->cpu, codes, 5);
		handover_series_set(&m->mem, codes + 1, 3);
		m->cpu_ticks_total = 123456;
		m->cpu_seconds_total = 1234.56;
		m->io_read_total = (uint64_t)1 << 40;
		m->io_write_total = 77;
	}
	{
		/* alerts: one firing with its last lines, one resolved, the
		 * restart times, an open storm window, a delivery waiting */
		struct alert a;
		struct alert_line l[2] = { { 1700000000400, 1, NULL },
			{ 1700000000401, 2, NULL } };
		struct ho_dlv *d;

		memset(&a, 0, sizeof a);
		snprintf(a.id, sizeof a.id, "service_failed/rag");
		a.kind = CFG_ALERT_SERVICE_FAILED;
		snprintf(a.service, sizeof a.service, "rag");
		a.severity = CFG_SEV_CRITICAL;
		a.state = ALERT_FIRING;
		a.value = 3.5;
		a.threshold = 90;
		a.since_ms = a.notified_ms = 1700000000500;
		snprintf(a.summary, sizeof a.summary, "rag failed \"hard\"");
		l[0].line = (char *)"boom";
		l[1].line = (char *)"on \xc3\xa9 stderr";
		a.lines = l;
		a.nlines = 2;
		a.dlv[ALERT_CHAN_WEBHOOK].state = ALERT_DLV_RETRYING;
		a.dlv[ALERT_CHAN_WEBHOOK].attempts = 2;
		snprintf(a.dlv[ALERT_CHAN_WEBHOOK].last_error,
		    sizeof a.dlv[0].last_error, "HTTP 500");
		handover_add_alert(h, &a);
		a.lines = NULL;
		a.nlines = 0;
		snprintf(a.id, sizeof a.id, "disk_full/host//var");
		a.kind = CFG_ALERT_DISK_FULL;
		a.service[0] = '\0';
		snprintf(a.mount, sizeof a.mount, "/var");
		a.state = ALERT_RESOLVED;
		a.resolved_ms = 1700000000900;
		handover_add_alert(h, &a);
		h->alerts.restarts = calloc(1, sizeof *h->alerts.restarts);
		h->alerts.nrestarts = 1;
		snprintf(h->alerts.restarts[0].service,
		    sizeof h->alerts.restarts[0].service, "rag");
		h->alerts.restarts[0].head = 3;	/* rendered oldest first */
		h->alerts.restarts[0].n = 2;
		h->alerts.restarts[0].ts[3] = 1700000000100;
		h->alerts.restarts[0].ts[4] = 1700000000200;
		h->alerts.storm.open = true;
		h->alerts.storm.start_ms = 1700000000450;
		h->alerts.storm.count = 5;
		h->alerts.storm.suppressed = 45;
		d = handover_add_dlv(h, "{\"alert\":1}", 11);
		d->chan = ALERT_CHAN_WEBHOOK;
		snprintf(d->id, sizeof d->id, "service_failed/rag");
		d->attempts = 2;
		d->first_ms = 123400000;
		d->next_ms = 123460000;
		d->backoff_ms = 4000;
		d->give_up_ms = 3600000;
		h->alerts.am_due = 123470000;
		h->alerts.counts[ALERT_CHAN_WEBHOOK][1] = 2;
		h->alerts.counts[ALERT_CHAN_ALERTMANAGER][0] = 9;
	}
}

static void
same_series(const struct ho_series *a, const struct ho_series *b)
{
	assert_int_equal(a->n, b->n);
	if (a->n > 0)
		assert_memory_equal(a->v, b->v, a->n * sizeof *a->v);
}

static void
same_lines(const struct event_lines *a, const struct event_lines *b)
{
	assert_int_equal(a == NULL, b == NULL);
	if (a == NULL)
		return;
	assert_int_equal(a->n, b->n);
	for (size_t k = 0; k < a->n; k++) {
		const struct event_line *l = &a->line[k], *m = &b->line[k];

		assert_int_equal(l->ts_ms, m->ts_ms);
		assert_int_equal(l->stream, m->stream);
		assert_int_equal(l->len, m->len);
		assert_memory_equal(a->text + l->off, b->text + m->off, l->len);
	}
}

static void
same_svc(const struct ho_svc *a, const struct ho_svc *b)
{
	assert_string_equal(a->name, b->name);
	assert_memory_equal(&a->fsm, &b->fsm, sizeof a->fsm);
	assert_string_equal(a->reason, b->reason);
	assert_memory_equal(a->restarts_by, b->restarts_by,
	    sizeof a->restarts_by);
	assert_int_equal(a->stop_cause, b->stop_cause);
	assert_int_equal(a->down_by_hand, b->down_by_hand);
	assert_int_equal(a->pid, b->pid);
	assert_int_equal(a->started_ms, b->started_ms);
	assert_int_equal(a->exit_ms, b->exit_ms);
	assert_int_equal(a->out_fd[0], b->out_fd[0]);
	assert_int_equal(a->out_fd[1], b->out_fd[1]);
	assert_int_equal(a->timer_due, b->timer_due);
	assert_int_equal(a->ready_due, b->ready_due);
	assert_int_equal(a->stable_due, b->stable_due);
	assert_int_equal(a->check_due, b->check_due);
	assert_int_equal(a->health.status, b->health.status);
	assert_int_equal(a->health.checks, b->health.checks);
	assert_int_equal(a->health.failures_total, b->health.failures_total);
	assert_int_equal(a->health.failures, b->health.failures);
	assert_memory_equal(a->health.lat_bucket, b->health.lat_bucket,
	    sizeof a->health.lat_bucket);
	assert_true(a->health.lat_sum_s == b->health.lat_sum_s);
	assert_true(a->health.last_latency_ms == b->health.last_latency_ms);
	assert_string_equal(a->health.last_error, b->health.last_error);
	assert_int_equal(a->health.nhist, b->health.nhist);
	for (size_t i = 0; i < a->health.nhist; i++) {
		const struct health_sample *x = health_sample_at(&a->health, i);
		const struct health_sample *y = health_sample_at(&b->health, i);

		assert_int_equal(x->at_ms, y->at_ms);
		assert_true(x->latency_ms == y->latency_ms);
		assert_int_equal(x->ok, y->ok);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(a->part_len[i], b->part_len[i]);
		if (a->part_len[i] > 0)
			assert_memory_equal(a->part[i], b->part[i],
			    a->part_len[i]);
	}
	assert_int_equal(a->log_next_seq, b->log_next_seq);
	assert_int_equal(a->start_timeout_due, b->start_timeout_due);
	assert_int_equal(a->watchdog_due, b->watchdog_due);
	assert_int_equal(a->notify.fd, b->notify.fd);
	assert_string_equal(a->notify.path, b->notify.path);
	assert_int_equal(a->notify.dropped, b->notify.dropped);
	assert_int_equal(a->notify.mainpid_refused, b->notify.mainpid_refused);
	assert_int_equal(a->notify.ready, b->notify.ready);
	assert_int_equal(a->notify.has_status, b->notify.has_status);
	assert_string_equal(a->notify.status, b->notify.status);
	assert_string_equal(a->notify.phase, b->notify.phase);
	assert_int_equal(a->notify.errno_value, b->notify.errno_value);
	assert_int_equal(a->notify.exit_errno, b->notify.exit_errno);
	assert_int_equal(a->notify.main_pid, b->notify.main_pid);
	assert_int_equal(a->nexits, b->nexits);
	for (size_t i = 0; i < a->nexits; i++) {
		const struct ho_exit *x = &a->exits[i], *y = &b->exits[i];

		assert_int_equal(x->at_ms, y->at_ms);
		assert_int_equal(x->pid, y->pid);
		assert_int_equal(x->code, y->code);
		assert_int_equal(x->signal, y->signal);
		assert_string_equal(x->reason, y->reason);
		same_lines(x->lines, y->lines);
	}
	assert_int_equal(a->wanted_ms, b->wanted_ms);
	assert_int_equal(a->spawned_ms, b->spawned_ms);
	assert_int_equal(a->ready_ms, b->ready_ms);
	assert_int_equal(a->deps_met_ms, b->deps_met_ms);
	assert_string_equal(a->waited_for, b->waited_for);
	assert_int_equal(a->nlines, b->nlines);
	for (size_t i = 0; i < a->nlines; i++) {
		assert_int_equal(a->lines[i].seq, b->lines[i].seq);
		assert_int_equal(a->lines[i].ts_ms, b->lines[i].ts_ms);
		assert_int_equal(a->lines[i].stream, b->lines[i].stream);
		assert_int_equal(a->lines[i].len, b->lines[i].len);
		assert_memory_equal(a->lines[i].text, b->lines[i].text,
		    a->lines[i].len);
	}
}

static void
same_alerts(const struct ho_alerts *a, const struct ho_alerts *b)
{
	assert_int_equal(a->n, 2);
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct alert *x = a->v[i], *y = b->v[i];

		assert_string_equal(x->id, y->id);
		assert_int_equal(x->kind, y->kind);
		assert_string_equal(x->service, y->service);
		assert_string_equal(x->mount, y->mount);
		assert_int_equal(x->severity, y->severity);
		assert_int_equal(x->state, y->state);
		assert_true(x->value == y->value);
		assert_true(x->threshold == y->threshold);
		assert_int_equal(x->for_ms, y->for_ms);
		assert_int_equal(x->pending_ms, y->pending_ms);
		assert_int_equal(x->since_ms, y->since_ms);
		assert_int_equal(x->resolved_ms, y->resolved_ms);
		assert_int_equal(x->notified_ms, y->notified_ms);
		assert_string_equal(x->summary, y->summary);
		assert_int_equal(x->test, y->test);
		assert_int_equal(x->nlines, y->nlines);
		for (size_t k = 0; k < x->nlines; k++) {
			assert_int_equal(x->lines[k].ts_ms, y->lines[k].ts_ms);
			assert_int_equal(x->lines[k].stream,
			    y->lines[k].stream);
			assert_string_equal(x->lines[k].line,
			    y->lines[k].line);
		}
		for (int c = 0; c < ALERT_CHANS; c++) {
			assert_int_equal(x->dlv[c].state, y->dlv[c].state);
			assert_int_equal(x->dlv[c].attempts,
			    y->dlv[c].attempts);
			assert_string_equal(x->dlv[c].last_error,
			    y->dlv[c].last_error);
		}
	}
	assert_int_equal(b->nrestarts, 1);
	assert_string_equal(b->restarts[0].service, "rag");
	assert_int_equal(b->restarts[0].n, 2);
	assert_int_equal(b->restarts[0].ts[(b->restarts[0].head) %
	    ALERT_RESTARTS_KEEP], 1700000000100);
	assert_int_equal(b->restarts[0].ts[(b->restarts[0].head + 1) %
	    ALERT_RESTARTS_KEEP], 1700000000200);
	assert_int_equal(a->storm.open, b->storm.open);
	assert_int_equal(a->storm.start_ms, b->storm.start_ms);
	assert_int_equal(a->storm.count, b->storm.count);
	assert_int_equal(a->storm.suppressed, b->storm.suppressed);
	assert_int_equal(a->nqueue, 1);
	assert_int_equal(a->nqueue, b->nqueue);
	assert_int_equal(a->queue[0].chan, b->queue[0].chan);
	assert_string_equal(a->queue[0].id, b->queue[0].id);
	assert_int_equal(a->queue[0].resolve, b->queue[0].resolve);
	assert_int_equal(a->queue[0].summary, b->queue[0].summary);
	assert_int_equal(a->queue[0].len, b->queue[0].len);
	assert_memory_equal(a->queue[0].body, b->queue[0].body,
	    a->queue[0].len);
	assert_int_equal(a->queue[0].attempts, b->queue[0].attempts);
	assert_int_equal(a->queue[0].first_ms, b->queue[0].first_ms);
	assert_int_equal(a->queue[0].next_ms, b->queue[0].next_ms);
	assert_int_equal(a->queue[0].backoff_ms, b->queue[0].backoff_ms);
	assert_int_equal(a->queue[0].give_up_ms, b->queue[0].give_up_ms);
	assert_int_equal(a->am_due, b->am_due);
	assert_memory_equal(a->counts, b->counts, sizeof a->counts);
}

static void
test_round_trip(void **state)
{
	struct handover a, b, c;
	char err[256], *t1, *t2;
	size_t n1, n2;

	(void)state;
	fill(&a);
	t1 = handover_render(&a, &n1);
	assert_int_equal(handover_parse(t1, n1, &b, err, sizeof err), 0);
	assert_int_equal(b.version, HANDOVER_VERSION);
	assert_string_equal(b.instance, a.instance);
	assert_int_equal(b.mono_ms, a.mono_ms);
	assert_int_equal(b.tcp_fd, 7);
	assert_int_equal(b.unix_fd, 8);
	assert_int_equal(b.lock_fd, 5);
	assert_int_equal(b.started_ms, 1699999999000);
	assert_int_equal(b.events_next_seq, 1042);
	assert_int_equal(b.nevents, 2);
	for (size_t i = 0; i < 2; i++) {
		struct event x = a.events[i], y = b.events[i];

		same_lines(x.lines, y.lines);
		x.lines = y.lines = NULL;
		assert_memory_equal(&x, &y, sizeof x);
	}
	assert_non_null(b.events[1].lines);
	assert_int_equal(b.events[1].lines->n, 2);
	assert_int_equal(b.nsvcs, 3);
	for (size_t i = 0; i < 3; i++)
		same_svc(&a.svcs[i], &b.svcs[i]);
	assert_int_equal(b.nseries, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(b.series[i].name, a.series[i].name);
		same_series(&a.series[i], &b.series[i]);
	}
	assert_int_equal(b.nmsvcs, 1);
	assert_string_equal(b.msvcs[0].name, "web");
	same_series(&a.msvcs[0].cpu, &b.msvcs[0].cpu);
	same_series(&a.msvcs[0].mem, &b.msvcs[0].mem);
	assert_int_equal(b.msvcs[0].cpu_ticks_total, 123456);
	assert_true(b.msvcs[0].cpu_seconds_total == 1234.56);
	assert_int_equal(b.msvcs[0].io_read_total, (uint64_t)1 << 40);
	assert_int_equal(b.msvcs[0].io_write_total, 77);
	assert_non_null(handover_find(&b, "web"));
	assert_int_equal(handover_find(&b, "web")->pid, 31337);
	assert_null(handover_find(&b, "nope"));
	same_alerts(&a.alerts, &b.alerts);
	/* and again: a state taken over and handed on is the same text */
	t2 = handover_render(&b, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(t1, t2, n1);
	assert_int_equal(handover_parse(t2, n2, &c, err, sizeof err), 0);
	handover_free(&a);
	handover_free(&b);
	handover_free(&c);
	free(t1);
	free(t2);
}

/* Last lines that are all empty (a service that printed only blank
 * lines before it exited) are handed over as such: their text is a
 * buffer, not NULL, so rendering them is no pointer arithmetic on NULL
 * (found by fuzz_handover under UBSan). */
static void
test_empty_lines(void **state)
{
	struct handover a, b;
	struct ho_svc *sv;
	char err[256], *t;
	size_t n;

	(void)state;
	handover_init(&a);
	sv = handover_add_svc(&a, "blank");
	sv->nexits = 1;
	sv->exits[0].at_ms = 1700000000500;
	sv->exits[0].lines = event_lines_new();
	event_lines_add(sv->exits[0].lines, 1700000000499, 1, "", 0);
	event_lines_add(sv->exits[0].lines, 1700000000500, 2, "", 0);
	assert_non_null(sv->exits[0].lines->text);
	t = handover_render(&a, &n);
	assert_int_equal(handover_parse(t, n, &b, err, sizeof err), 0);
	assert_non_null(handover_find(&b, "blank"));
	same_lines(sv->exits[0].lines, handover_find(&b, "blank")->exits[0].lines);
	assert_non_null(handover_find(&b, "blank")->exits[0].lines->text);
	handover_free(&a);
	handover_free(&b);
	free(t);
}

/* Replace the first `from` in text with `to`; parse it; expect refusal
 * with `want` in the reason. */
static void
refused(const char *text, const char *from, const char *to,
    const char *want)
{
	const char *p = strstr(text, from);
	char *bad, err[256];
	struct handover h;

	assert_non_null(p);
	bad = malloc(strlen(text) + strlen(to) + 1);
	memcpy(bad, text, (size_t)(p - text));
	strcpy(bad + (p - text), to);
	strcat(bad, p + strlen(from));
	err[0] = '\0';
	assert_int_equal(handover_parse(bad, strlen(bad), &h, err, sizeof err),
	    -1);
	if (strstr(err, want) == NULL)
		fail_msg("reason '%s' lacks '%s'", err, want);
	/* refused whole: nothing kept */
	assert_int_equal(h.nsvcs, 0);
	assert_null(h.svcs);
	assert_int_equal(h.nevents, 0);
	free(bad);
}

static void
test_refused(void **state)
{
	struct handover a;
	char *t, err[128];
	size_t n;
	struct handover h;

	(void)state;
	fill(&a);
	t = handover_render(&a, &n);
	refused(t, "\"handover\":1", "\"handover\":2", "format 2");
	refused(t, "\"handover\":1", "\"handove\":1", "handover is missing");
	refused(t, "\"events\":{", "\"evnts\":{", "events is missing");
	refused(t, "\"pid\":31337", "\"pid\":\"x\"", "web: pid has the wrong");
	refused(t, "\"stdout_fd\":11", "\"stdout_f\":11", "stdout_fd is missing");
	refused(t, "\"state\":6", "\"state\":99", "state is out of range");
	refused(t, "\"aGVsbG8=\"", "\"a@\"", "malformed line");
	refused(t, "\"lat_bucket\":[", "\"lat_bucket\":[1,", "wrong length");
	refused(t, "{", "[", "not a JSON object");
	refused(t, "\"io_write_total\":77", "\"io_write\":77",
	    "io_write_total is missing");
	refused(t, "\"metrics\":{", "\"metric\":{", "metrics is missing");
	refused(t, "\"started_ms\":1699999999000", "\"started\":1",
	    "started_ms is missing");
	refused(t, "\"watchdog\":123461000", "\"watchdog\":\"x\"",
	    "web: watchdog has the wrong type");
	refused(t, "\"notify\":{", "\"notfy\":{", "notify is missing");
	refused(t, "\"phase\":\"reloading\"", "\"phase\":\"dancing\"",
	    "phase is not");
	refused(t, "\"analyze\":{", "\"analyse\":{", "analyze is missing");
	refused(t, "\"waited_for\":\"db\"", "\"waited\":\"db\"",
	    "waited_for is missing");
	refused(t, "\"has_lines\":true", "\"has_lines\":1",
	    "has_lines has the wrong type");
	refused(t, "\"alerts\":{\"alerts\"", "\"alert\":{\"alerts\"",
	    "alerts is missing");
	refused(t, "\"storm\":{", "\"strom\":{", "storm is missing");
	refused(t, "\"am_due\":123470000", "\"am_due\":null",
	    "am_due has the wrong type");
	refused(t, "\"chan\":0", "\"chan\":7", "chan is out of range");
	refused(t, "\"suppressed\":45", "\"suppressed\":\"45\"",
	    "suppressed has the wrong type");
	assert_int_equal(handover_parse("{", 1, &h, err, sizeof err), -1);
	handover_free(&a);
	free(t);
}

static void
test_version_line(void **state)
{
	(void)state;
	assert_true(handover_version_ok("prodd 0.1 (API 1)\nhandover 1\n", 1));
	assert_true(handover_version_ok("prodd 0.2 (API 1)\nhandover 2 1\n", 1));
	assert_false(handover_version_ok("prodd 0.2 (API 1)\nhandover 2\n", 1));
	assert_false(handover_version_ok("prodd 0.1 (API 1)\n", 1));
	assert_false(handover_version_ok("prodd 0.1", 1));
	assert_false(handover_version_ok("x\nhandover \n", 1));
	assert_false(handover_version_ok("x\nhandover 11\n", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_lines),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_version_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
