/*
 * Unit tests of core/prom (/metrics as Prometheus text): the exact
 * samples of a small model (a running service with a health check, one
 * failed by signal 9: last_exit_code 137; the memory_limit only for
 * the service that has one), a HELP and a TYPE before every
 * family, label escaping, the state set, the latency histogram
 * (cumulative, +Inf equal to _count), sample values, the restart reasons,
 * and counters that survive a restart (metrics.c fed two processes in a
 * row).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "prodd/health.h"
#include "prodd/metrics.h"
#include "prodd/prom.h"

static const struct cfg_health hc_tcp = { .kind = CFG_HEALTH_TCP,
	.interval_ms = 1000, .timeout_ms = 1000, .retries = 3 };

/* The text without its comment lines. */
static char *
samples_of(const char *text)
{
	char *out = calloc(1, strlen(text) + 1), *o = out;

	while (*text != '\0') {
		const char *nl = strchr(text, '\n');
		size_t n = nl != NULL ? (size_t)(nl - text) + 1 : strlen(text);

		if (text[0] != '#') {
			memcpy(o, text, n);
			o += n;
		}
		text += n;
	}
	return out;
}

struct model {
	struct metrics_svc m[2];
	struct health_state h;
	struct prom_service s[2];
	struct prom_process self;
	struct prom_model pm;
};

static void
model_init(struct model *x)
{
	memset(x, 0, sizeof *x);
	metrics_svc_init(&x->m[0], 4);
	metrics_svc_init(&x->m[1], 4);
	x->m[0].valid = true;
	x->m[0].rss = 1048576;
	x->m[0].procs = 2;
	x->m[0].threads = 5;
	x->m[0].fds = 7;
	x->m[0].cpu_seconds_total = 1.5;
	x->m[0].io_read_total = 4096;
	x->m[0].io_write_total = 8192;
	x->m[1].cpu_seconds_total = 2.25;	/* from its dead processes */
	health_init(&x->h, &hc_tcp);
	health_begin(&x->h, &hc_tcp, 0, 0);
	/* 1 ms (on a bound: counted in it), 30 ms, and 20 s (over every
	 * bound: only in +Inf), the last one failed */
	health_result(&x->h, &hc_tcp, 10, 1000, true, 1, NULL);
	health_result(&x->h, &hc_tcp, 20, 2000, true, 30, NULL);
	health_result(&x->h, &hc_tcp, 30, 3000, false, 20000, "timeout");
	x->s[0] = (struct prom_service){ .name = "api", .state = FSM_RUNNING,
		.up = true, .started_ms = 1700000000123,
		.memory_limit = 2097152, .m = &x->m[0], .health = &x->h };
	x->s[0].restarts[PROM_REASON_EXIT] = 1;
	x->s[1] = (struct prom_service){ .name = "worker",
		.state = FSM_FAILED, .has_exit = true, .exit_code = -1,
		.exit_signal = 9, .started_ms = 1700000001000, .m = &x->m[1] };
	x->s[1].restarts[PROM_REASON_SIGNAL] = 3;
	x->self = (struct prom_process){ .cpu_seconds = 0.25,
		.rss_bytes = 1000, .vm_bytes = 2000, .open_fds = 5,
		.max_fds = 1024, .start_time_s = 1700000000.5 };
	x->pm = (struct prom_model){ .version = "1.2.3", .svcs = x->s,
		.nsvcs = 2, .host = NULL, .self = &x->self,
		.log_ring_bytes = 81920 };
}

static void
model_free(struct model *x)
{
	metrics_svc_free(&x->m[0]);
	metrics_svc_free(&x->m[1]);
	health_free(&x->h);
}

static void
test_exact_samples(void **state)
{
	struct model x;
	struct strbuf sb = { 0 }, sum = { 0 };
	char *got, *want;

	(void)state;
	model_init(&x);
	prom_render(&x.pm, &sb);
	prom_value(&sum, 1 / 1000.0 + 30 / 1000.0 + 20000 / 1000.0);
	assert_int_equal(asprintf(&want,
	    "prodd_build_info{version=\"1.2.3\"} 1\n"
	    "prodd_service_up{service=\"api\"} 1\n"
	    "prodd_service_up{service=\"worker\"} 0\n"
	    "prodd_service_ready{service=\"api\"} 1\n"
	    "prodd_service_ready{service=\"worker\"} 0\n"
	    "prodd_service_state{service=\"api\",state=\"stopped\"} 0\n"
	    "prodd_service_state{service=\"api\",state=\"waiting\"} 0\n"
	    "prodd_service_state{service=\"api\",state=\"starting\"} 0\n"
	    "prodd_service_state{service=\"api\",state=\"running\"} 1\n"
	    "prodd_service_state{service=\"api\",state=\"unhealthy\"} 0\n"
	    "prodd_service_state{service=\"api\",state=\"stopping\"} 0\n"
	    "prodd_service_state{service=\"api\",state=\"backoff\"} 0\n"
	    "prodd_service_state{service=\"api\",state=\"failed\"} 0\n"
	    "prodd_service_state{service=\"api\",state=\"exited\"} 0\n"
	    "prodd_service_state{service=\"worker\",state=\"stopped\"} 0\n"
	    "prodd_service_state{service=\"worker\",state=\"waiting\"} 0\n"
	    "prodd_service_state{service=\"worker\",state=\"starting\"} 0\n"
	    "prodd_service_state{service=\"worker\",state=\"running\"} 0\n"
	    "prodd_service_state{service=\"worker\",state=\"unhealthy\"} 0\n"
	    "prodd_service_state{service=\"worker\",state=\"stopping\"} 0\n"
	    "prodd_service_state{service=\"worker\",state=\"backoff\"} 0\n"
	    "prodd_service_state{service=\"worker\",state=\"failed\"} 1\n"
	    "prodd_service_state{service=\"worker\",state=\"exited\"} 0\n"
	    "prodd_service_restarts_total{service=\"api\",reason=\"exit\"} 1\n"
	    "prodd_service_restarts_total{service=\"api\",reason=\"signal\"} 0\n"
	    "prodd_service_restarts_total{service=\"api\",reason=\"unhealthy\"} 0\n"
	    "prodd_service_restarts_total{service=\"api\",reason=\"memory_limit\"} 0\n"
	    "prodd_service_restarts_total{service=\"api\",reason=\"watchdog\"} 0\n"
	    "prodd_service_restarts_total{service=\"api\",reason=\"start_timeout\"} 0\n"
	    "prodd_service_restarts_total{service=\"worker\",reason=\"exit\"} 0\n"
	    "prodd_service_restarts_total{service=\"worker\",reason=\"signal\"} 3\n"
	    "prodd_service_restarts_total{service=\"worker\",reason=\"unhealthy\"} 0\n"
	    "prodd_service_restarts_total{service=\"worker\",reason=\"memory_limit\"} 0\n"
	    "prodd_service_restarts_total{service=\"worker\",reason=\"watchdog\"} 0\n"
	    "prodd_service_restarts_total{service=\"worker\",reason=\"start_timeout\"} 0\n"
	    "prodd_service_start_time_seconds{service=\"api\"} 1700000000.123\n"
	    "prodd_service_start_time_seconds{service=\"worker\"} 1700000001\n"
	    "prodd_service_last_exit_code{service=\"worker\"} 137\n"
	    "prodd_service_last_exit_signal{service=\"worker\"} 9\n"
	    "prodd_service_cpu_seconds_total{service=\"api\"} 1.5\n"
	    "prodd_service_cpu_seconds_total{service=\"worker\"} 2.25\n"
	    "prodd_service_memory_rss_bytes{service=\"api\"} 1048576\n"
	    "prodd_service_memory_rss_bytes{service=\"worker\"} 0\n"
	    "prodd_service_memory_limit_bytes{service=\"api\"} 2097152\n"
	    "prodd_service_processes{service=\"api\"} 2\n"
	    "prodd_service_processes{service=\"worker\"} 0\n"
	    "prodd_service_threads{service=\"api\"} 5\n"
	    "prodd_service_threads{service=\"worker\"} 0\n"
	    "prodd_service_open_fds{service=\"api\"} 7\n"
	    "prodd_service_io_read_bytes_total{service=\"api\"} 4096\n"
	    "prodd_service_io_read_bytes_total{service=\"worker\"} 0\n"
	    "prodd_service_io_write_bytes_total{service=\"api\"} 8192\n"
	    "prodd_service_io_write_bytes_total{service=\"worker\"} 0\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"0.001\"} 1\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"0.0025\"} 1\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"0.005\"} 1\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"0.01\"} 1\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"0.025\"} 1\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"0.05\"} 2\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"0.1\"} 2\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"0.25\"} 2\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"0.5\"} 2\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"1\"} 2\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"2.5\"} 2\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"5\"} 2\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"10\"} 2\n"
	    "prodd_health_check_duration_seconds_bucket{service=\"api\",le=\"+Inf\"} 3\n"
	    "prodd_health_check_duration_seconds_sum{service=\"api\"} %s\n"
	    "prodd_health_check_duration_seconds_count{service=\"api\"} 3\n"
	    "prodd_health_check_failures_total{service=\"api\"} 1\n"
	    "prodd_alerts_firing 0\n"
	    "prodd_ws_clients 0\n"
	    "prodd_ws_messages_rendered_total 0\n"
	    "prodd_ws_frames_sent_total 0\n"
	    "prodd_ws_queued_bytes 0\n"
	    "prodd_log_ring_bytes 81920\n"
	    "process_cpu_seconds_total 0.25\n"
	    "process_resident_memory_bytes 1000\n"
	    "process_virtual_memory_bytes 2000\n"
	    "process_open_fds 5\n"
	    "process_max_fds 1024\n"
	    "process_start_time_seconds 1700000000.5\n", sum.buf) > 0, 1);
	got = samples_of(sb.buf);
	assert_string_equal(got, want);
	free(got);
	free(want);
	sb_free(&sum);
	sb_free(&sb);
	model_free(&x);
}

/* Every sample's family had its # HELP and # TYPE before it, once, and
 * counters end in _total. */
static void
test_help_and_type(void **state)
{
	struct model x;
	struct strbuf sb = { 0 };
	char fam[128] = "", type[32] = "";
	int nfam = 0;

	(void)state;
	model_init(&x);
	prom_render(&x.pm, &sb);
	for (char *line = strtok(sb.buf, "\n"); line != NULL;
	    line = strtok(NULL, "\n")) {
		char name[128];
		size_t n;

		if (strncmp(line, "# HELP ", 7) == 0) {
			n = strcspn(line + 7, " ");
			assert_true(n < sizeof fam);
			snprintf(fam, sizeof fam, "%.*s", (int)n, line + 7);
			type[0] = '\0';
			nfam++;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(strncmp(line + 7, fam, strlen(fam)), 0);
			snprintf(type, sizeof type, "%s", line + 8 +
			    strlen(fam));
			assert_true(strcmp(type, "gauge") == 0 ||
			    strcmp(type, "counter") == 0 ||
			    strcmp(type, "histogram") == 0);
			if (strcmp(type, "counter") == 0)
				assert_non_null(strstr(fam, "_total"));
			continue;
		}
		n = strcspn(line, "{ ");
		snprintf(name, sizeof name, "%.*s", (int)n, line);
		assert_true(type[0] != '\0');
		assert_int_equal(strncmp(name, fam, strlen(fam)), 0);
		if (strcmp(type, "histogram") != 0)
			assert_string_equal(name, fam);
	}
	/* SPEC §5's families (and the host's: 19 of them) */
	assert_true(nfam >= 40);
	sb_free(&sb);
	model_free(&x);
}

static void
test_escaping(void **state)
{
	struct model x;
	struct strbuf sb = { 0 };

	(void)state;
	prom_label_value(&sb, "a\\b\"c\nd");
	assert_string_equal(sb.buf, "a\\\\b\\\"c\\nd");
	sb_reset(&sb);
	model_init(&x);
	x.s[0].name = "we\"ird\\name\nx";
	x.pm.version = "1.0 \"beta\"";
	prom_render(&x.pm, &sb);
	assert_non_null(strstr(sb.buf,
	    "prodd_service_up{service=\"we\\\"ird\\\\name\\nx\"} 1\n"));
	assert_non_null(strstr(sb.buf,
	    "prodd_build_info{version=\"1.0 \\\"beta\\\"\"} 1\n"));
	/* no raw newline inside a label: every line is a comment or a
	 * sample of a prodd_ or process_ family */
	for (char *l = strtok(sb.buf, "\n"); l != NULL; l = strtok(NULL, "\n"))
		assert_true(l[0] == '#' || strncmp(l, "prodd_", 6) == 0 ||
		    strncmp(l, "process_", 8) == 0);
	sb_free(&sb);
	model_free(&x);
}

/* Exactly one state is 1 for each service, whatever the state. */
static void
test_state_set(void **state)
{
	struct model x;

	(void)state;
	model_init(&x);
	for (int st = 0; st < FSM_NSTATES; st++) {
		struct strbuf sb = { 0 };
		char want[128];
		int ones = 0, zeros = 0;
		const char *p;

		x.s[0].state = (enum fsm_state)st;
		prom_render(&x.pm, &sb);
		for (p = sb.buf; (p = strstr(p, "prodd_service_state{service="
		    "\"api\",")) != NULL; p++) {
			const char *e = strchr(p, '\n');

			if (e[-1] == '1' && e[-2] == ' ')
				ones++;
			else if (e[-1] == '0' && e[-2] == ' ')
				zeros++;
		}
		assert_int_equal(ones, 1);
		assert_int_equal(zeros, FSM_NSTATES - 1);
		snprintf(want, sizeof want, "prodd_service_state{service=\"api\","
		    "state=\"%s\"} 1\n", fsm_state_name((enum fsm_state)st));
		assert_non_null(strstr(sb.buf, want));
		/* ready only in running */
		assert_non_null(strstr(sb.buf, st == FSM_RUNNING ?
		    "prodd_service_ready{service=\"api\"} 1\n" :
		    "prodd_service_ready{service=\"api\"} 0\n"));
		sb_free(&sb);
	}
	model_free(&x);
}

/* Many latencies: the buckets never go down, +Inf is _count, and the
 * sum is the latencies'. */
static void
test_histogram(void **state)
{
	struct health_state h;
	struct prom_service s = { .name = "h", .state = FSM_RUNNING };
	struct metrics_svc m;
	struct prom_model pm = { .version = "x", .svcs = &s, .nsvcs = 1 };
	struct strbuf sb = { 0 };
	double sum = 0, prev = -1, inf = -1, count = -2, got_sum = -1;
	int nb = 0;

	(void)state;
	metrics_svc_init(&m, 2);
	health_init(&h, &hc_tcp);
	health_begin(&h, &hc_tcp, 0, 0);
	srand(7);
	for (int i = 0; i < 500; i++) {
		double ms = (double)(rand() % 15000) / (1 + rand() % 100);

		sum += ms / 1000.0;
		health_result(&h, &hc_tcp, i, i, i % 3 != 0, ms, "x");
	}
	s.m = &m;
	s.health = &h;
	prom_render(&pm, &sb);
	assert_non_null(strstr(sb.buf,
	    "prodd_health_check_failures_total{service=\"h\"} 167\n"));
	for (char *l = strtok(sb.buf, "\n"); l != NULL; l = strtok(NULL, "\n")) {
		const char *v = strrchr(l, ' ') + 1;

		if (strncmp(l, "prodd_health_check_duration_seconds_bucket", 42)
		    == 0) {
			assert_true(atof(v) >= prev);
			prev = atof(v);
			nb++;
			if (strstr(l, "le=\"+Inf\"") != NULL)
				inf = atof(v);
		} else if (strncmp(l, "prodd_health_check_duration_seconds_count",
		    41) == 0) {
			count = atof(v);
		} else if (strncmp(l, "prodd_health_check_duration_seconds_sum",
		    39) == 0) {
			got_sum = atof(v);
		}
	}
	assert_int_equal(nb, HEALTH_NBUCKETS + 1);
	assert_true(inf == 500 && count == 500);
	assert_true(fabs(got_sum - sum) < 1e-6 * sum);
	sb_free(&sb);
	health_free(&h);
	metrics_svc_free(&m);
}

static void
test_values(void **state)
{
	static const struct { double v; const char *text; } cases[] = {
		{ 0, "0" }, { -0.0, "0" }, { 1, "1" }, { -3, "-3" },
		{ 0.5, "0.5" }, { 0.1, "0.1" }, { 137, "137" },
		{ 1700000000.123, "1700000000.123" },
		{ 25276182528.0, "25276182528" }, { 1e20, "1e+20" },
		{ 1.0 / 3, "0.33333333333333331" },
	};
	struct strbuf sb = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		sb_reset(&sb);
		prom_value(&sb, cases[i].v);
		assert_string_equal(sb.buf, cases[i].text);
		assert_true(strtod(sb.buf, NULL) == cases[i].v);
	}
	sb_reset(&sb);
	prom_value(&sb, NAN);
	assert_string_equal(sb.buf, "NaN");
	sb_reset(&sb);
	prom_value(&sb, INFINITY);
	assert_string_equal(sb.buf, "+Inf");
	sb_reset(&sb);
	prom_value(&sb, -INFINITY);
	assert_string_equal(sb.buf, "-Inf");
	sb_free(&sb);
}

static void
test_reasons(void **state)
{
	(void)state;
	assert_int_equal(prom_restart_reason(FSM_EV_EXIT, FSM_RUNNING, 0,
	    FSM_EV_START), PROM_REASON_EXIT);
	assert_int_equal(prom_restart_reason(FSM_EV_EXIT, FSM_STARTING, 9,
	    FSM_EV_START), PROM_REASON_SIGNAL);
	assert_int_equal(prom_restart_reason(FSM_EV_SPAWN_FAILED,
	    FSM_STARTING, 0, FSM_EV_START), PROM_REASON_EXIT);
	/* a stop begun for a reason: that reason, whatever ended it */
	assert_int_equal(prom_restart_reason(FSM_EV_EXIT, FSM_STOPPING, 15,
	    FSM_EV_UNHEALTHY), PROM_REASON_UNHEALTHY);
	assert_int_equal(prom_restart_reason(FSM_EV_EXIT, FSM_STOPPING, 9,
	    FSM_EV_LIMIT), PROM_REASON_MEMORY_LIMIT);
	assert_string_equal(prom_reason_name(PROM_REASON_MEMORY_LIMIT),
	    "memory_limit");
	assert_string_equal(prom_reason_name(PROM_REASON_START_TIMEOUT),
	    "start_timeout");
	assert_string_equal(prom_reason_name(PROM_REASON_WATCHDOG),
	    "watchdog");
}

/* Two processes of one service in a row, as the sampler feeds them:
 * the CPU and I/O counters only ever go up, across the restart. */
static void
test_counters_survive_restart(void **state)
{
	struct metrics_svc m;
	struct prom_service s = { .name = "w", .state = FSM_RUNNING,
		.up = true };
	struct prom_model pm = { .version = "x", .svcs = &s, .nsvcs = 1 };
	struct strbuf sb = { 0 };
	double last = 0;
	uint64_t last_rd = 0;
	/* per sample: process start, its ticks, its read bytes, and the
	 * boot ticks of the sample before */
	static const struct { uint64_t start, ticks, rd, boot; bool known; }
	    feed[] = {
		{ 1000, 50, 100, 900, false },	/* A, new since last time */
		{ 1000, 80, 300, 1100, true },
		{ 1000, 120, 350, 1200, true },
		/* A dies; B starts: its pid is new */
		{ 1250, 10, 40, 1200, false },
		{ 1250, 30, 90, 1300, true },
	};

	(void)state;
	metrics_svc_init(&m, 4);
	s.m = &m;
	for (size_t i = 0; i < sizeof feed / sizeof *feed; i++) {
		bool known = feed[i].known;
		uint64_t t = metrics_tick_delta(known, feed[i].start,
		    known ? feed[i - 1].ticks : 0, feed[i].start, feed[i].ticks,
		    feed[i].boot);
		uint64_t rd = metrics_io_delta(known, known ? feed[i - 1].rd :
		    0, feed[i].rd, feed[i].start >= feed[i].boot);

		if (i == 3)
			metrics_svc_clear(&m);	/* A's end */
		metrics_svc_add(&m, t, 100, rd, 0);
		assert_true(m.cpu_seconds_total >= last);
		assert_true(m.io_read_total >= last_rd);
		last = m.cpu_seconds_total;
		last_rd = m.io_read_total;
	}
	/* A: 120 ticks and 350 bytes; B: 30 and 90 */
	assert_true(fabs(m.cpu_seconds_total - 1.5) < 1e-9);
	assert_int_equal(m.io_read_total, 440);
	/* a process found late adds none of its past; a counter that went
	 * back adds nothing */
	assert_int_equal(metrics_io_delta(false, 0, 5000, false), 0);
	assert_int_equal(metrics_io_delta(true, 500, 100, false), 0);
	prom_render(&pm, &sb);
	assert_non_null(strstr(sb.buf,
	    "prodd_service_cpu_seconds_total{service=\"w\"} 1.5\n"));
	assert_non_null(strstr(sb.buf,
	    "prodd_service_io_read_bytes_total{service=\"w\"} 440\n"));
	sb_free(&sb);
	metrics_svc_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_samples),
		cmocka_unit_test(test_help_and_type),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_state_set),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_counters_survive_restart),
	};

	return cmocka_run_group_tests_name("prom", tests, NULL, NULL);
}
