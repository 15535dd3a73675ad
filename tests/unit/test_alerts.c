/*
 * The alert rules and lifecycle (src/core/alerts.c) on a fake clock: the
 * defaults, every rule at its edges, `for`, flapping, repeat, scope and
 * replacement, a service removed by a reload while its alert fires, the
 * webhook's storm window, and the alert JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "prodd/alerts.h"
#include "prodd/fsm.h"

#define MIN 60000LL
#define HOUR_MS 3600000LL
#define T0 1800000000000LL

/* Every change reported, as "firing high_cpu/a" lines. */
struct seen {
	char log[64][256];
	int n;
};

static void
record(void *arg, struct alert *a, enum alert_change ch)
{
	struct seen *s = arg;
	static const char *const names[] = { "firing", "resolved", "repeat" };

	if (s->n < 64)
		snprintf(s->log[s->n++], sizeof s->log[0], "%s %s", names[ch],
		    a->id);
}

static int
count_of(const struct seen *s, const char *line)
{
	int n = 0;

	for (int i = 0; i < s->n; i++)
		n += strcmp(s->log[i], line) == 0;
	return n;
}

static struct cfg *
load(const char *yaml)
{
	struct cfg_errors errs;
	struct cfg *c = cfg_load_buffer("/t/services.yaml", yaml, strlen(yaml),
	    NULL, &errs);

	if (c == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i].text);
		cfg_errors_free(&errs);
	}
	assert_non_null(c);
	return c;
}

static void
setup(struct alerts *al, struct seen *s, const char *yaml)
{
	struct cfg *c = load(yaml);

	memset(s, 0, sizeof *s);
	alerts_init(al, record, s);
	alerts_configure(al, c, T0);
	cfg_free(c);
}

#define TWO_SERVICES \
	"services:\n" \
	"  - { name: a, command: /bin/true }\n" \
	"  - { name: b, command: /bin/true }\n"

static struct alert_svc_sample
svc(const char *name, double cpu, int64_t rss)
{
	struct alert_svc_sample s = { .name = name, .running = true,
		.cpu_percent = cpu, .rss = rss, .health_latency_ms = -1 };

	return s;
}

static void
test_defaults(void **state)
{
	struct alerts al;
	struct seen s;

	(void)state;
	setup(&al, &s, TWO_SERVICES);
	assert_true(alerts_rule(&al, CFG_ALERT_SERVICE_FAILED, "a")->on);
	assert_int_equal(alerts_rule(&al, CFG_ALERT_SERVICE_FAILED,
	    "a")->severity, CFG_SEV_CRITICAL);
	assert_true(alerts_rule(&al, CFG_ALERT_RESTART_LOOP, "a")->on);
	assert_true(alerts_rule(&al, CFG_ALERT_UNHEALTHY, "a")->on);
	assert_int_equal(alerts_rule(&al, CFG_ALERT_UNHEALTHY, "a")->for_ms,
	    MIN);
	assert_true(alerts_rule(&al, CFG_ALERT_DISK_FULL, NULL)->on);
	assert_true(alerts_rule(&al, CFG_ALERT_HIGH_MEMORY, NULL)->on);
	assert_true(alerts_rule(&al, CFG_ALERT_HIGH_MEMORY, NULL)->threshold ==
	    95);
	assert_false(alerts_rule(&al, CFG_ALERT_HIGH_CPU, "a")->on);
	assert_false(alerts_rule(&al, CFG_ALERT_HIGH_CPU, NULL)->on);
	assert_false(alerts_rule(&al, CFG_ALERT_HEALTH_SLOW, "a")->on);
	/* a per-service high_memory needs a rule */
	assert_false(alerts_rule(&al, CFG_ALERT_HIGH_MEMORY, "a")->on);
	alerts_free(&al);

	/* rules: [] turns every alert off */
	setup(&al, &s, TWO_SERVICES "alerts:\n  rules: []\n");
	for (int k = 0; k < CFG_ALERT_KINDS; k++) {
		assert_false(alerts_rule(&al, (enum cfg_alert_kind)k, "a")->on);
		assert_false(alerts_rule(&al, (enum cfg_alert_kind)k, NULL)->on);
	}
	alerts_free(&al);
}

static void
test_rule_defaults_and_scope(void **state)
{
	struct alerts al;
	struct seen s;
	const struct alert_rule *r;

	(void)state;
	setup(&al, &s, TWO_SERVICES
	    "alerts:\n  rules:\n"
	    "    - { alert: unhealthy }\n"
	    "    - { alert: unhealthy, service: b, for: 5s, severity: critical }\n"
	    "    - { alert: disk_full }\n"
	    "    - { alert: restart_loop, service: a, enabled: false }\n"
	    "    - { alert: high_cpu, service: a, threshold: 150, for: 2m }\n");
	/* omitted for/severity: the default rule's */
	r = alerts_rule(&al, CFG_ALERT_UNHEALTHY, "a");
	assert_true(r->on);
	assert_int_equal(r->for_ms, MIN);
	assert_int_equal(r->severity, CFG_SEV_WARNING);
	/* a rule with service replaces the general one for it */
	r = alerts_rule(&al, CFG_ALERT_UNHEALTHY, "b");
	assert_int_equal(r->for_ms, 5000);
	assert_int_equal(r->severity, CFG_SEV_CRITICAL);
	r = alerts_rule(&al, CFG_ALERT_DISK_FULL, NULL);
	assert_true(r->on && r->threshold == 90 && r->for_ms == 5 * MIN);
	/* rules given: the defaults not listed are off */
	assert_false(alerts_rule(&al, CFG_ALERT_SERVICE_FAILED, "a")->on);
	assert_false(alerts_rule(&al, CFG_ALERT_HIGH_MEMORY, NULL)->on);
	assert_false(alerts_rule(&al, CFG_ALERT_RESTART_LOOP, "a")->on);
	r = alerts_rule(&al, CFG_ALERT_HIGH_CPU, "a");
	assert_true(r->on && r->threshold == 150 && r->for_ms == 2 * MIN);
	assert_false(alerts_rule(&al, CFG_ALERT_HIGH_CPU, "b")->on);
	alerts_free(&al);
}

static void
test_service_failed(void **state)
{
	struct alerts al;
	struct seen s;
	struct alert_line lines[25];
	char text[25][16];
	struct alert *a;
	cJSON *j, *ll;

	(void)state;
	for (int i = 0; i < 25; i++) {
		snprintf(text[i], sizeof text[i], "line %d", i);
		lines[i].ts_ms = T0 + i;
		lines[i].stream = i % 2 ? 2 : 1;
		lines[i].line = text[i];
	}
	setup(&al, &s, TWO_SERVICES);
	alerts_on_state(&al, "a", FSM_STARTING, FSM_BACKOFF, "exited with "
	    "code 1", NULL, 0, T0);
	assert_int_equal(s.n, 0);
	alerts_on_state(&al, "a", FSM_STARTING, FSM_FAILED, "exited with code "
	    "1; max_restarts reached", lines, 25, T0 + 1000);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.log[0], "firing service_failed/a");
	assert_int_equal(alerts_firing(&al), 1);
	a = alerts_find(&al, "service_failed/a");
	assert_non_null(a);
	assert_int_equal(a->nlines, ALERT_LINES);
	assert_string_equal(a->lines[0].line, "line 5");
	assert_non_null(strstr(a->summary, "a failed"));
	j = view_alert_json(a, 1u << ALERT_CHAN_WEBHOOK);
	assert_string_equal(cJSON_GetObjectItem(j, "id")->valuestring,
	    "service_failed/a");
	assert_string_equal(cJSON_GetObjectItem(j, "severity")->valuestring,
	    "critical");
	assert_string_equal(cJSON_GetObjectItem(j, "state")->valuestring,
	    "firing");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "resolved_at")));
	ll = cJSON_GetObjectItem(j, "last_lines");
	assert_int_equal(cJSON_GetArraySize(ll), 20);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(ll, 19),
	    "line")->valuestring, "line 24");
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j,
	    "deliveries"), "webhook"));
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "deliveries"),
	    "alertmanager"));
	cJSON_Delete(j);
	/* still failed: nothing more; a start by hand: starting, then
	 * running resolves it, once */
	alerts_on_state(&al, "a", FSM_FAILED, FSM_STARTING, "start", NULL, 0,
	    T0 + 2000);
	assert_int_equal(s.n, 1);
	alerts_on_state(&al, "a", FSM_STARTING, FSM_RUNNING, "healthy", NULL,
	    0, T0 + 3000);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.log[1], "resolved service_failed/a");
	alerts_on_state(&al, "a", FSM_RUNNING, FSM_RUNNING, "x", NULL, 0,
	    T0 + 4000);
	assert_int_equal(s.n, 2);
	assert_int_equal(alerts_firing(&al), 0);
	a = alerts_find(&al, "service_failed/a");
	assert_int_equal(a->state, ALERT_RESOLVED);
	assert_int_equal(a->resolved_ms, T0 + 3000);
	j = view_alert_list_json(&al, 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "active")),
	    0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j,
	    "resolved")), 1);
	cJSON_Delete(j);
	alerts_free(&al);
}

static void
test_restart_loop(void **state)
{
	struct alerts al;
	struct seen s;

	(void)state;
	setup(&al, &s, TWO_SERVICES);
	/* 3 automatic restarts within 10 min: fires at the third */
	alerts_on_state(&al, "b", FSM_RUNNING, FSM_BACKOFF, "exit", NULL, 0,
	    T0);
	alerts_on_state(&al, "b", FSM_RUNNING, FSM_BACKOFF, "exit", NULL, 0,
	    T0 + 4 * MIN);
	assert_int_equal(s.n, 0);
	/* the first is out of the window by now: 2 within 10 min */
	alerts_on_state(&al, "b", FSM_RUNNING, FSM_BACKOFF, "exit", NULL, 0,
	    T0 + 10 * MIN);
	assert_int_equal(s.n, 0);
	alerts_on_state(&al, "b", FSM_RUNNING, FSM_BACKOFF, "exit", NULL, 0,
	    T0 + 11 * MIN);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.log[0], "firing restart_loop/b");
	assert_true(alerts_find(&al, "restart_loop/b")->value == 3);
	/* a fourth: still one alert */
	alerts_on_state(&al, "b", FSM_RUNNING, FSM_BACKOFF, "exit", NULL, 0,
	    T0 + 12 * MIN);
	assert_int_equal(s.n, 1);
	/* samples age the window: below 3 restarts in the last 10 min it
	 * resolves (restarts at 4, 10, 11, 12 min; at 20.5 min: 11, 12) */
	alerts_tick(&al, T0 + 19 * MIN);
	assert_int_equal(s.n, 1);
	alerts_tick(&al, T0 + 20 * MIN + 30000);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.log[1], "resolved restart_loop/b");
	alerts_free(&al);
}

static void
test_unhealthy_for_and_flapping(void **state)
{
	struct alerts al;
	struct seen s;

	(void)state;
	setup(&al, &s, TWO_SERVICES);
	/* flapping faster than for (1 min) never fires */
	for (int i = 0; i < 10; i++) {
		alerts_on_health(&al, "a", false, T0 + i * 40000);
		alerts_tick(&al, T0 + i * 40000 + 30000);
		alerts_on_health(&al, "a", true, T0 + i * 40000 + 35000);
	}
	assert_int_equal(s.n, 0);
	assert_int_equal(al.nactive, 0);
	/* unhealthy: pending, then firing at the first evaluation past 1m */
	alerts_on_health(&al, "a", false, T0 + HOUR_MS);
	alerts_tick(&al, T0 + HOUR_MS + MIN - 1);
	assert_int_equal(s.n, 0);
	assert_int_equal(al.active[0]->state, ALERT_PENDING);
	/* across the restarts it causes, it stays */
	alerts_on_state(&al, "a", FSM_UNHEALTHY, FSM_STOPPING, "unhealthy",
	    NULL, 0, T0 + HOUR_MS + 100);
	alerts_on_state(&al, "a", FSM_STOPPING, FSM_BACKOFF, "restart", NULL,
	    0, T0 + HOUR_MS + 200);
	alerts_tick(&al, T0 + HOUR_MS + MIN);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.log[0], "firing unhealthy/a");
	/* a passing check resolves it at once */
	alerts_on_health(&al, "a", true, T0 + HOUR_MS + MIN + 5);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.log[1], "resolved unhealthy/a");
	alerts_free(&al);
}

static void
test_thresholds(void **state)
{
	struct alerts al;
	struct seen s;
	struct alert_svc_sample v[2];
	struct alert_mount m[2] = { { "/", 50 }, { "/data", 91 } };
	struct alert_host_sample h = { .valid = true, .cpu_percent = 10,
		.mem_percent = 96, .mem_total = 1LL << 33, .mounts = m,
		.nmounts = 2 };
	struct alert *a;

	(void)state;
	setup(&al, &s, TWO_SERVICES
	    "alerts:\n  rules:\n"
	    "    - { alert: high_cpu, service: a, threshold: 90, for: 2m }\n"
	    "    - { alert: high_memory, service: b, threshold: 1G, for: 0 }\n"
	    "    - { alert: high_memory, threshold: 95, for: 5m }\n"
	    "    - { alert: disk_full, for: 0 }\n"
	    "    - { alert: health_slow, threshold: 500ms, for: 10s }\n");
	v[0] = svc("a", 97.2, 100);
	v[1] = svc("b", 1, (1LL << 30) + 1);
	v[1].health_latency_ms = 600;
	alerts_on_sample(&al, v, 2, &h, T0);
	/* for 0: at once; the others pending */
	assert_int_equal(s.n, 2);
	assert_string_equal(s.log[0], "firing high_memory/b");
	assert_string_equal(s.log[1], "firing disk_full/host:/data");
	a = alerts_find(&al, "disk_full/host:/data");
	assert_string_equal(a->mount, "/data");
	assert_true(a->value == 91);
	/* exactly at the threshold is not over it */
	v[1].rss = 1LL << 30;
	v[0].cpu_percent = 90;
	alerts_on_sample(&al, v, 2, &h, T0 + 1000);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.log[2], "resolved high_memory/b");
	/* the pending high_cpu/a just went: it never fired */
	assert_null(alerts_find(&al, "high_cpu/a"));
	/* high_cpu/a again over: pending from now, fires 2 min later */
	v[0].cpu_percent = 97.2;
	alerts_on_sample(&al, v, 2, &h, T0 + 2000);
	alerts_on_sample(&al, v, 2, &h, T0 + 2000 + 2 * MIN - 1);
	assert_int_equal(count_of(&s, "firing high_cpu/a"), 0);
	alerts_on_sample(&al, v, 2, &h, T0 + 2000 + 2 * MIN);
	assert_int_equal(count_of(&s, "firing high_cpu/a"), 1);
	a = alerts_find(&al, "high_cpu/a");
	assert_string_equal(a->summary, "a CPU 97 % > 90 % for 2m");
	/* health_slow: for 10s, long elapsed by now (b's latency 600 ms) */
	assert_int_equal(count_of(&s, "firing health_slow/b"), 1);
	assert_int_equal(alerts_find(&al, "health_slow/b")->state,
	    ALERT_FIRING);
	/* the host's memory: 96 % for 5 min */
	alerts_on_sample(&al, v, 2, &h, T0 + 5 * MIN);
	a = alerts_find(&al, "high_memory/host");
	assert_non_null(a);
	assert_int_equal(a->state, ALERT_FIRING);
	assert_string_equal(a->service, "");
	/* a service that stops: its threshold alerts resolve */
	v[0].running = false;
	alerts_on_sample(&al, v, 2, &h, T0 + 6 * MIN);
	assert_int_equal(alerts_find(&al, "high_cpu/a")->state,
	    ALERT_RESOLVED);
	alerts_free(&al);
}

static void
test_watchdog(void **state)
{
	struct alerts al;
	struct seen s;

	(void)state;
	setup(&al, &s, TWO_SERVICES "alerts:\n  rules:\n"
	    "    - { alert: watchdog }\n");
	alerts_on_state(&al, "a", FSM_RUNNING, FSM_STOPPING, "watchdog "
	    "timeout", NULL, 0, T0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.log[0], "firing watchdog/a");
	alerts_on_state(&al, "a", FSM_STARTING, FSM_RUNNING, "ready", NULL, 0,
	    T0 + 5000);
	assert_int_equal(s.n, 2);
	alerts_free(&al);
}

static void
test_repeat(void **state)
{
	struct alerts al;
	struct seen s;

	(void)state;
	setup(&al, &s, TWO_SERVICES "alerts:\n  repeat_interval: 1h\n");
	alerts_on_state(&al, "a", FSM_BACKOFF, FSM_FAILED, "gave up", NULL, 0,
	    T0);
	alerts_tick(&al, T0 + HOUR_MS - 1);
	assert_int_equal(s.n, 1);
	alerts_tick(&al, T0 + HOUR_MS);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.log[1], "repeat service_failed/a");
	alerts_tick(&al, T0 + HOUR_MS + 1000);
	assert_int_equal(s.n, 2);
	alerts_tick(&al, T0 + 2 * HOUR_MS);
	assert_int_equal(s.n, 3);
	alerts_free(&al);
}

static void
test_removed_by_reload(void **state)
{
	struct alerts al;
	struct seen s;
	struct cfg *c;

	(void)state;
	setup(&al, &s, TWO_SERVICES);
	alerts_on_state(&al, "b", FSM_BACKOFF, FSM_FAILED, "gave up", NULL, 0,
	    T0);
	alerts_on_health(&al, "b", false, T0);		/* pending */
	assert_int_equal(s.n, 1);
	c = load("services:\n  - { name: a, command: /bin/true }\n");
	alerts_configure(&al, c, T0 + 1000);
	cfg_free(c);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.log[1], "resolved service_failed/b");
	assert_int_equal(al.nactive, 0);
	assert_int_equal(alerts_find(&al, "service_failed/b")->resolved_ms,
	    T0 + 1000);
	/* a rule turned off by a reload: its alerts resolve too */
	alerts_on_state(&al, "a", FSM_BACKOFF, FSM_FAILED, "gave up", NULL, 0,
	    T0 + 2000);
	c = load("services:\n  - { name: a, command: /bin/true }\n"
	    "alerts:\n  rules: [{ alert: unhealthy }]\n");
	alerts_configure(&al, c, T0 + 3000);
	cfg_free(c);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.log[3], "resolved service_failed/a");
	alerts_free(&al);
}

static void
test_storm_window(void **state)
{
	struct alert_storm st;
	int sent = 0, supp = -1;
	int64_t start = 0;

	(void)state;
	alert_storm_config(&st, 5, 10000);
	assert_int_equal(alert_storm_end(&st), 0);
	/* the first ones are never held back; the window opens with the
	 * first, lasts the period */
	for (int i = 0; i < 50; i++)
		sent += alert_storm_admit(&st, T0 + 100 + i * 100);
	assert_int_equal(sent, 5);
	assert_int_equal(alert_storm_end(&st), T0 + 100 + 10000);
	assert_false(alert_storm_close(&st, T0 + 10099, &supp, &start));
	assert_true(alert_storm_close(&st, T0 + 10100, &supp, &start));
	assert_int_equal(supp, 45);
	assert_int_equal(start, T0 + 100);
	assert_false(alert_storm_close(&st, T0 + 10200, &supp, &start));
	/* a new window with the next notification */
	assert_true(alert_storm_admit(&st, T0 + 30000));
	assert_int_equal(alert_storm_end(&st), T0 + 40000);
	/* a window that ends with nothing held back closes quietly */
	assert_false(alert_storm_close(&st, T0 + 40000, &supp, &start));
	assert_true(alert_storm_admit(&st, T0 + 50000));
	/* past the end but before its summary went: still held back */
	for (int i = 0; i < 4; i++)
		assert_true(alert_storm_admit(&st, T0 + 50001 + i));
	assert_false(alert_storm_admit(&st, T0 + 50010));
	assert_false(alert_storm_admit(&st, T0 + 60001));
	assert_true(alert_storm_close(&st, T0 + 60002, &supp, &start));
	assert_int_equal(supp, 2);
	/* no cap */
	alert_storm_config(&st, 0, 1000);
	for (int i = 0; i < 100; i++)
		assert_true(alert_storm_admit(&st, T0 + i));
}

static void
test_many_services_one_each(void **state)
{
	struct alerts al;
	struct seen s;
	struct cfg *c;
	char yaml[8192] = "services:\n";

	(void)state;
	for (int i = 0; i < 50; i++) {
		char line[64];

		snprintf(line, sizeof line, "  - { name: s%d, command: /x }\n",
		    i);
		strcat(yaml, line);
	}
	c = load(yaml);
	memset(&s, 0, sizeof s);
	alerts_init(&al, record, &s);
	alerts_configure(&al, c, T0);
	cfg_free(c);
	for (int i = 0; i < 50; i++) {
		char name[8];

		snprintf(name, sizeof name, "s%d", i);
		alerts_on_state(&al, name, FSM_BACKOFF, FSM_FAILED, "x", NULL,
		    0, T0 + i);
		alerts_on_state(&al, name, FSM_BACKOFF, FSM_FAILED, "x", NULL,
		    0, T0 + i + 1);
	}
	assert_int_equal(alerts_firing(&al), 50);
	assert_int_equal(s.n, 50);
	alerts_free(&al);
}

static void
test_test_alert(void **state)
{
	struct alert *a = alert_new_test(T0);
	cJSON *j = view_alert_json(a, 3);

	(void)state;
	assert_string_equal(cJSON_GetObjectItem(j, "alert")->valuestring,
	    "test");
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j,
	    "deliveries"), "alertmanager"));
	cJSON_Delete(j);
	alert_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_rule_defaults_and_scope),
		cmocka_unit_test(test_service_failed),
		cmocka_unit_test(test_restart_loop),
		cmocka_unit_test(test_unhealthy_for_and_flapping),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_watchdog),
		cmocka_unit_test(test_repeat),
		cmocka_unit_test(test_removed_by_reload),
		cmocka_unit_test(test_storm_window),
		cmocka_unit_test(test_many_services_one_each),
		cmocka_unit_test(test_test_alert),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
