/*
 * Unit tests of the services.yaml loader: every bad fixture under
 * tests/fixtures/bad is refused with the exact LINE:COLUMN and message its
 * "# expect:" lines give; the good fixtures load with the values they
 * write; defaults, derived commands, path resolution and the limits on
 * hostile input hold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/cfgcheck.h"
#include "prodd/config.h"
#include "prodd/fileio.h"
#include "prodd/strutil.h"
#include "prodd/xmalloc.h"

static const char *fixtures = "tests/fixtures";

static const struct cfg_context ctx_root = { .root = true, .cwd = "/srv" };

/* ------------------------------------------------------------------ */
/* bad fixtures, one test each */

static void
check_bad_fixture(void **state)
{
	const char *path = *state;
	struct cfg_errors errs;
	struct cfg *c;
	char *buf, why[256], expfile[4096];
	size_t len, total;
	int nexp = 0;
	bool sidecar;

	c = cfg_load_file(path, &ctx_root, &errs);
	assert_null(c);
	assert_true(errs.n > 0);
	/* expectations: "# expect: L:C: text" lines, or FILE.expect */
	snprintf(expfile, sizeof expfile, "%s.expect", path);
	sidecar = file_read_bounded(expfile, 65536, &buf, &len, &total, why,
	    sizeof why) == 0;
	if (!sidecar)
		assert_int_equal(file_read_bounded(path, 1 << 20, &buf, &len,
		    &total, why, sizeof why), 0);
	for (char *line = buf, *next; line != NULL && *line; line = next) {
		int l, col, off = 0;
		bool found = false;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, "# expect: ", 10) == 0)
			line += 10;
		else if (!sidecar)
			continue;
		if (sscanf(line, "%d:%d: %n", &l, &col, &off) != 2 || off == 0)
			continue;
		nexp++;
		for (size_t i = 0; i < errs.n && !found; i++) {
			char prefix[4200];

			snprintf(prefix, sizeof prefix, "%s:%d:%d: ", path, l, col);
			if (errs.v[i].mark.line == l && errs.v[i].mark.col == col &&
			    strncmp(errs.v[i].text, prefix, strlen(prefix)) == 0 &&
			    strstr(errs.v[i].text, line + off) != NULL)
				found = true;
		}
		if (!found) {
			for (size_t i = 0; i < errs.n; i++)
				print_error("got: %s\n", errs.v[i].text);
			fail_msg("%s: no error '%s'", path, line);
		}
	}
	assert_true(nexp > 0);
	free(buf);
	cfg_errors_free(&errs);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_bad_fixtures(void)
{
	char dir[4096], **names = NULL;
	struct CMUnitTest *tests;
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int rc;

	snprintf(dir, sizeof dir, "%s/bad", fixtures);
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "cannot open %s\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > 5 && strcmp(de->d_name + l - 5, ".yaml") == 0) {
			names = xreallocarray(names, n + 1, sizeof *names);
			names[n++] = xasprintf("%s/%s", dir, de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof *names, name_cmp);
	tests = xcalloc(n, sizeof *tests);
	for (size_t i = 0; i < n; i++) {
		tests[i].name = strrchr(names[i], '/') + 1;
		tests[i].test_func = check_bad_fixture;
		tests[i].initial_state = names[i];
	}
	rc = _cmocka_run_group_tests("bad-fixtures", tests, n, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	return rc;
}

/* ------------------------------------------------------------------ */
/* helpers for inline files */

static struct cfg *
load(const char *yaml, struct cfg_errors *errs)
{
	return cfg_load_buffer("t.yaml", yaml, strlen(yaml), &ctx_root, errs);
}

static struct cfg *
load_ok(const char *yaml)
{
	struct cfg_errors errs;
	struct cfg *c = load(yaml, &errs);

	if (c == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			print_error("%s\n", errs.v[i].text);
		fail_msg("expected a valid config");
	}
	return c;
}

/* The one error of yaml, which must be at line:col and contain text. */
static void
expect_error(const char *yaml, int line, int col, const char *text)
{
	struct cfg_errors errs;
	struct cfg *c = load(yaml, &errs);

	assert_null(c);
	for (size_t i = 0; i < errs.n; i++)
		if (errs.v[i].mark.line == line && errs.v[i].mark.col == col &&
		    strstr(errs.v[i].text, text) != NULL) {
			cfg_errors_free(&errs);
			return;
		}
	for (size_t i = 0; i < errs.n; i++)
		print_error("got: %s\n", errs.v[i].text);
	fail_msg("no error %d:%d: %s", line, col, text);
}

static struct cfg *
load_fixture(const char *name)
{
	char path[4096];
	struct cfg_errors errs;
	struct cfg *c;

	snprintf(path, sizeof path, "%s/good/%s", fixtures, name);
	c = cfg_load_file(path, &ctx_root, &errs);
	if (c == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			print_error("%s\n", errs.v[i].text);
		fail_msg("%s should load", path);
	}
	return c;
}

/* ------------------------------------------------------------------ */

static void
test_seed_format(void **state)
{
	struct cfg *c = load_fixture("seed.yaml");
	const struct cfg_service *s;

	(void)state;
	assert_int_equal(c->nservices, 2);
	s = &c->services[1];
	assert_string_equal(s->name, "search-discovery-api");
	assert_int_equal(s->type, CFG_TYPE_FASTAPI);
	assert_int_equal(s->argc, 2);
	assert_string_equal(s->argv[0], "python");
	assert_string_equal(s->argv[1], "search-discovery-web.py");
	assert_null(s->argv[2]);
	assert_int_equal(s->port, 8000);
	assert_int_equal(s->health.kind, CFG_HEALTH_URL);
	assert_string_equal(s->health.url, "http://localhost:8000/api/health");
	assert_int_equal(s->health.interval_ms, 5000);
	assert_int_equal(s->health.timeout_ms, 2000);
	assert_int_equal(s->health.retries, 3);
	assert_int_equal(s->health.start_period_ms, 30000);
	assert_int_equal(s->health.expect_lo, 200);
	assert_int_equal(s->health.expect_hi, 299);
	assert_int_equal(s->nenv, 1);
	assert_string_equal(s->env[0].key, "ENVIRONMENT");
	assert_string_equal(s->env[0].value, "production");
	assert_int_equal(s->restart, CFG_RESTART_ALWAYS);
	assert_int_equal(s->max_restarts, 3);
	assert_int_equal(s->restart_delay_ms, 60000);
	assert_int_equal(s->ndeps, 1);
	assert_string_equal(s->deps[0].name, "database-service");
	assert_int_equal(s->deps[0].index, 0);
	assert_int_equal(s->deps[0].condition, CFG_COND_HEALTHY);
	cfg_free(c);
}

static void
test_defaults(void **state)
{
	struct cfg *c = load_ok("services:\n  - name: a\n    command: x\n");
	const struct cfg_service *s = &c->services[0];
	const struct cfg_daemon *d = &c->daemon;

	(void)state;
	assert_int_equal(c->version, 1);
	assert_int_equal(s->type, CFG_TYPE_PROCESS);
	assert_int_equal(s->restart, CFG_RESTART_ON_FAILURE);
	assert_int_equal(s->max_restarts, 5);
	assert_int_equal(s->restart_window_ms, 60000);
	assert_int_equal(s->restart_delay_ms, 1000);
	assert_int_equal(s->backoff, CFG_BACKOFF_EXPONENTIAL);
	assert_int_equal(s->backoff_max_ms, 300000);
	assert_int_equal(s->stop_signal, SIGTERM);
	assert_int_equal(s->stop_timeout_ms, 10000);
	assert_int_equal(s->memory_limit, 0);
	assert_int_equal(s->limits.nofile, -1);
	assert_int_equal(s->limits.core, -1);
	assert_int_equal(s->log.max_size, 10 << 20);
	assert_int_equal(s->log.keep, 5);
	assert_int_equal(s->log.ring, 1000);
	assert_true(s->enabled);
	assert_int_equal(s->ready_after_ms, 1000);
	assert_false(s->shell);
	assert_int_equal(s->health.kind, CFG_HEALTH_NONE);
	assert_int_equal(s->health.on_unhealthy, CFG_UNHEALTHY_RESTART);
	assert_int_equal(s->port, 0);
	/* the default working directory is the file's */
	assert_string_equal(s->working_dir, "/srv");
	assert_string_equal(d->listen_host, "127.0.0.1");
	assert_int_equal(d->listen_port, 8003);
	assert_string_equal(d->state_dir, "/run/prodd");
	assert_string_equal(d->control_socket, "/run/prodd/prodd.sock");
	assert_string_equal(d->log_dir, "/var/log/prodd");
	assert_int_equal(d->rate_limit, 600);
	assert_int_equal(d->rate_window_ms, 60000);
	assert_int_equal(d->sample_interval_ms, 1000);
	assert_int_equal(d->history, 600);
	assert_int_equal(d->shutdown_timeout_ms, 60000);
	assert_int_equal(d->disks.n, 1);
	assert_string_equal(d->disks.v[0], "/");
	assert_int_equal(d->log_level, 3);	/* info */
	assert_null(d->token_file);
	assert_null(d->tls_cert);
	cfg_free(c);
}

static void
test_full_schema(void **state)
{
	struct cfg *c = load_fixture("full.yaml");
	const struct cfg_daemon *d = &c->daemon;
	const struct cfg_service *s;
	char dir[4096];

	(void)state;
	snprintf(dir, sizeof dir, "/srv/%s/good", fixtures);
	assert_string_equal(d->listen_host, "0.0.0.0");
	assert_int_equal(d->listen_port, 9003);
	assert_true(strncmp(d->state_dir, dir, strlen(dir)) == 0);
	assert_string_equal(d->state_dir + strlen(dir), "/state");
	assert_string_equal(d->control_socket, "/tmp/prodd-test.sock");
	assert_string_equal(d->token_file + strlen(dir), "/token");
	assert_string_equal(d->cors_origins.v[0], "https://ops.example.com");
	assert_string_equal(d->hosts.v[0], "prodd.internal");
	assert_int_equal(d->rate_limit, 10);
	assert_int_equal(d->rate_window_ms, 1000);
	assert_string_equal(d->tls_cert + strlen(dir), "/tls/cert.pem");
	assert_string_equal(d->tls_key, "/etc/prodd/key.pem");
	/* where the keys are, for the daemon's errors about the files */
	assert_int_equal(d->tls_cert_mark.line, 11);
	assert_int_equal(d->tls_cert_mark.col, 10);
	assert_int_equal(d->tls_key_mark.line, 11);
	assert_int_equal(d->tls_key_mark.col, 30);
	assert_int_equal(d->log_level, 4);
	assert_int_equal(d->sample_interval_ms, 500);
	assert_int_equal(d->history, 120);
	assert_int_equal(d->disks.n, 2);
	assert_int_equal(d->shutdown_timeout_ms, 90000);

	assert_int_equal(c->nservices, 6);
	s = &c->services[0];
	assert_int_equal(s->argc, 5);
	assert_string_equal(s->argv[2], "search");
	assert_string_equal(s->working_dir, "/srv/search");
	assert_int_equal(s->nenv, 3);
	assert_string_equal(s->env[1].value, "4");
	assert_string_equal(s->env[2].value, "");
	assert_string_equal(s->env_file + strlen(dir), "/search.env");
	assert_string_equal(s->user, "search");
	assert_string_equal(s->group, "search");
	assert_int_equal(s->health.kind, CFG_HEALTH_TCP);
	assert_string_equal(s->health.tcp_host, "localhost");
	assert_int_equal(s->health.tcp_port, 8000);
	assert_int_equal(s->health.interval_ms, 2000);
	assert_int_equal(s->health.timeout_ms, 500);
	assert_int_equal(s->health.retries, 5);
	assert_int_equal(s->health.start_period_ms, 60000);
	assert_int_equal(s->health.on_unhealthy, CFG_UNHEALTHY_IGNORE);
	assert_int_equal(s->restart, CFG_RESTART_ALWAYS);
	assert_int_equal(s->max_restarts, 10);
	assert_int_equal(s->restart_window_ms, 120000);
	assert_int_equal(s->restart_delay_ms, 250);
	assert_int_equal(s->backoff, CFG_BACKOFF_FIXED);
	assert_int_equal(s->backoff_max_ms, 10000);
	assert_int_equal(s->stop_signal, SIGINT);
	assert_int_equal(s->stop_timeout_ms, 3000);
	assert_int_equal(s->memory_limit, (int64_t)3 << 29);
	assert_int_equal(s->limits.nofile, 65536);
	assert_int_equal(s->limits.nproc, 4096);
	assert_int_equal(s->limits.core, INT64_MAX);
	assert_int_equal(s->log.max_size, 1 << 20);
	assert_int_equal(s->log.keep, 2);
	assert_int_equal(s->log.ring, 50);
	assert_false(s->enabled);
	assert_int_equal(s->ready_after_ms, 200);

	s = &c->services[1];	/* fastapi app */
	assert_int_equal(s->argc, 6);
	assert_string_equal(s->argv[0], "uvicorn");
	assert_string_equal(s->argv[1], "rag.main:app");
	assert_string_equal(s->argv[5], "8001");
	assert_int_equal(s->deps[0].condition, CFG_COND_STARTED);
	assert_int_equal(s->health.kind, CFG_HEALTH_URL);
	assert_int_equal(s->health.expect_lo, 200);
	assert_int_equal(s->health.expect_hi, 204);
	assert_true(s->health.follow_redirects);

	s = &c->services[2];	/* quoting */
	assert_int_equal(s->argc, 5);
	assert_string_equal(s->argv[2], "two words");
	assert_string_equal(s->argv[3], "single $X");
	assert_string_equal(s->argv[4], "back slash");

	s = &c->services[3];	/* shell */
	assert_int_equal(s->argc, 3);
	assert_string_equal(s->argv[0], "/bin/sh");
	assert_string_equal(s->argv[1], "-c");
	assert_string_equal(s->argv[2], "echo \"ready\" && sleep 1");
	assert_int_equal(s->ndeps, 2);
	assert_int_equal(s->deps[0].condition, CFG_COND_COMPLETED);
	assert_int_equal(s->deps[1].condition, CFG_COND_HEALTHY);
	assert_int_equal(s->health.kind, CFG_HEALTH_EXEC);
	assert_string_equal(s->health.exec_argv[1], "--quick");

	s = &c->services[4];	/* docker */
	assert_string_equal(s->argv[0], "docker");
	assert_string_equal(s->argv[5], "prodd-db");
	assert_string_equal(s->argv[6], "postgres:16");
	assert_string_equal(s->argv[7], "postgres");
	assert_int_equal(s->argc, 10);

	s = &c->services[5];	/* systemd */
	assert_string_equal(s->unit, "nginx.service");
	assert_int_equal(s->argc, 0);
	assert_null(s->argv[0]);

	assert_string_equal(c->alert_webhook, "http://127.0.0.1:9000/hook");
	assert_non_null(strstr(c->alert_secret_file, "/hook.key"));
	assert_int_equal(c->alert_webhook_timeout_ms, 5000);
	assert_string_equal(c->alert_alertmanager, "http://127.0.0.1:9093");
	assert_int_equal(c->alert_repeat_ms, 2 * 3600 * 1000);
	assert_int_equal(c->alert_max_notifications, 10);
	assert_int_equal(c->alert_window_ms, 30 * 60 * 1000);
	assert_true(c->alert_rules_given);
	assert_int_equal(c->nalert_rules, 9);
	assert_int_equal(c->alert_rules[0].alert, CFG_ALERT_HIGH_CPU);
	assert_true(c->alert_rules[0].threshold == 90.0);
	assert_int_equal(c->alert_rules[0].for_ms, 60000);
	assert_true(c->alert_rules[1].threshold == (double)((int64_t)2 << 30));
	assert_false(c->alert_rules[1].threshold_is_percent);
	assert_true(c->alert_rules[2].threshold == 85.0);
	assert_true(c->alert_rules[2].threshold_is_percent);
	assert_true(c->alert_rules[4].threshold == 500.0);
	assert_true(c->alert_rules[5].threshold == 3.0);
	assert_int_equal(c->alert_rules[6].severity, CFG_SEV_WARNING);
	assert_true(c->alert_rules[6].severity_given);
	assert_int_equal(c->alert_rules[7].alert, CFG_ALERT_WATCHDOG);
	assert_int_equal(c->alert_rules[7].severity, CFG_SEV_CRITICAL);
	assert_false(c->alert_rules[8].enabled);
	cfg_free(c);
}

static void
test_context_defaults(void **state)
{
	const char *y = "services: []\n";
	struct cfg_context user = { .uid = 1000,
		.xdg_runtime_dir = "/run/user/1000", .home = "/home/u",
		.cwd = "/home/u/p" };
	struct cfg_context bare = { .uid = 1000 };
	struct cfg_errors errs;
	struct cfg *c;

	(void)state;
	c = cfg_load_buffer("etc/s.yaml", y, strlen(y), &user, &errs);
	assert_non_null(c);
	assert_string_equal(c->dir, "/home/u/p/etc");
	assert_string_equal(c->daemon.state_dir, "/run/user/1000/prodd");
	assert_string_equal(c->daemon.control_socket,
	    "/run/user/1000/prodd/prodd.sock");
	assert_string_equal(c->daemon.log_dir, "/home/u/.local/state/prodd/logs");
	cfg_free(c);
	user.xdg_state_home = "/home/u/.state";
	c = cfg_load_buffer("s.yaml", y, strlen(y), &user, &errs);
	assert_string_equal(c->daemon.log_dir, "/home/u/.state/prodd/logs");
	assert_string_equal(c->dir, "/home/u/p");
	cfg_free(c);
	c = cfg_load_buffer("/etc/prodd/s.yaml", y, strlen(y), &bare, &errs);
	assert_string_equal(c->daemon.state_dir, "/tmp/prodd-1000");
	assert_string_equal(c->daemon.log_dir, "/tmp/prodd-1000/logs");
	assert_string_equal(c->dir, "/etc/prodd");
	cfg_free(c);
	c = cfg_load_buffer("/s.yaml", y, strlen(y), NULL, &errs);
	assert_string_equal(c->dir, "/");
	cfg_free(c);
}

static void
test_short_forms(void **state)
{
	struct cfg *c = load_ok(
	    "services:\n"
	    "  - name: a\n    command: x\n    auto_restart: false\n"
	    "  - name: b\n    command: x\n    dependencies: a\n"
	    "  - name: c\n    command: x\n"
	    "    depends_on: { a: started, b: , }\n");

	(void)state;
	assert_int_equal(c->services[0].restart, CFG_RESTART_NEVER);
	assert_int_equal(c->services[1].ndeps, 1);
	assert_int_equal(c->services[1].deps[0].condition, CFG_COND_HEALTHY);
	assert_int_equal(c->services[2].deps[0].condition, CFG_COND_STARTED);
	assert_int_equal(c->services[2].deps[1].condition, CFG_COND_HEALTHY);
	cfg_free(c);
}

static void
test_listen_forms(void **state)
{
	struct cfg *c;

	(void)state;
	c = load_ok("daemon: { listen: 9000 }\nservices: []\n");
	assert_string_equal(c->daemon.listen_host, "127.0.0.1");
	assert_int_equal(c->daemon.listen_port, 9000);
	cfg_free(c);
	c = load_ok("daemon: { listen: '[::1]:9001', rate_limit: 0 }\n"
	    "services: []\n");
	assert_string_equal(c->daemon.listen_host, "::1");
	assert_int_equal(c->daemon.listen_port, 9001);
	assert_int_equal(c->daemon.rate_limit, 0);
	cfg_free(c);
	expect_error("daemon: { listen: 'a:b:c' }\nservices: []\n", 1, 19,
	    "bad address");
}

static void
test_more_errors(void **state)
{
	(void)state;
	/* a dependency listed twice */
	expect_error("services:\n  - name: a\n    command: x\n"
	    "  - name: b\n    command: x\n    dependencies: [a, a]\n", 6, 23,
	    "dependency 'a' is listed twice");
	/* a second document */
	expect_error("services: []\n---\nservices: []\n", 2, 1,
	    "only one YAML document");
	/* a NUL byte in the file */
	{
		static const char y[] = "services: []\n# \0\n";
		struct cfg_errors errs;

		assert_null(cfg_load_buffer("t.yaml", y, sizeof y - 1, &ctx_root,
		    &errs));
		assert_int_equal(errs.v[0].mark.line, 2);
		assert_int_equal(errs.v[0].mark.col, 3);
		cfg_errors_free(&errs);
	}
	/* a NUL escaped in a string */
	expect_error("services:\n  - name: a\n    command: \"x\\0y\"\n", 3, 14,
	    "contains a NUL character");
	/* shell with a list */
	expect_error("services:\n  - name: a\n    command: [a, b]\n"
	    "    shell: true\n", 4, 5, "'command' must be a string");
	/* backoff_max below restart_delay */
	expect_error("services:\n  - name: a\n    command: x\n"
	    "    restart_delay: 1m\n    backoff_max: 10s\n", 5, 5,
	    "'backoff_max' is shorter than 'restart_delay'");
	/* an empty command */
	expect_error("services:\n  - name: a\n    command: '  '\n", 3, 14,
	    "'command' is empty");
	/* a bad environment name */
	expect_error("services:\n  - name: a\n    command: x\n"
	    "    environment: { 1A: x }\n", 4, 20, "bad variable name '1A'");
	/* a list as a key */
	expect_error("services: []\n? [a]\n: b\n", 2, 3,
	    "keys must be plain strings");
	/* an unknown service in an alert rule */
	expect_error("services: []\nalerts:\n  rules:\n"
	    "    - { alert: high_cpu, service: nope }\n", 4, 7,
	    "unknown service 'nope'");
	/* a threshold where none applies */
	expect_error("services: []\nalerts:\n  rules:\n"
	    "    - { alert: service_failed, threshold: 3 }\n", 4, 32,
	    "does not apply");
	/* ready_after beyond its bound */
	expect_error("services:\n  - name: a\n    command: x\n"
	    "    ready_after: 2h\n", 4, 18, "'ready_after': 2h is out of range "
	    "0s..1h");
	/* a docker-only key on a process */
	expect_error("services:\n  - name: a\n    command: x\n    image: y\n",
	    4, 5, "'image' does not apply to type process");
	/* the file too big */
	{
		size_t n = CFG_MAX_FILE_SIZE + 10;
		char *big = xmalloc(n);
		struct cfg_errors errs;

		memset(big, '#', n);
		assert_null(cfg_load_buffer("t.yaml", big, n, &ctx_root, &errs));
		assert_int_equal(errs.n, 1);
		assert_non_null(strstr(errs.v[0].text, "t.yaml:1:1: the file is"));
		cfg_errors_free(&errs);
		free(big);
	}
}

static void
test_errors_sorted_and_capped(void **state)
{
	struct strbuf sb = { 0 };
	struct cfg_errors errs;

	(void)state;
	/* errors come out by position, the cross-service ones included */
	expect_error("services:\n  - name: a\n    command: x\n"
	    "    dependencies: [zz]\n  - name: b\n    port: 0\n", 4, 20,
	    "unknown dependency");
	{
		const char *y = "services:\n  - name: a\n    command: x\n"
		    "    dependencies: [zz]\n  - name: b\n    command: x\n"
		    "    port: 0\n";

		assert_null(load(y, &errs));
		assert_int_equal(errs.n, 2);
		assert_int_equal(errs.v[0].mark.line, 4);
		assert_int_equal(errs.v[1].mark.line, 7);
		cfg_errors_free(&errs);
	}
	sb_puts(&sb, "services:\n  - name: a\n    command: x\n");
	for (int i = 0; i < 500; i++)
		sb_printf(&sb, "    bad%d: 1\n", i);
	assert_null(load(sb.buf, &errs));
	assert_int_equal(errs.n, 201);
	assert_non_null(strstr(errs.v[200].text, "300 more errors not shown"));
	cfg_errors_free(&errs);
	sb_free(&sb);
}

static void
test_hostile_nesting(void **state)
{
	struct strbuf sb = { 0 };
	struct cfg_errors errs;

	(void)state;
	sb_puts(&sb, "services: ");
	for (int i = 0; i < 20000; i++)
		sb_putc(&sb, '[');
	for (int i = 0; i < 20000; i++)
		sb_putc(&sb, ']');
	sb_putc(&sb, '\n');
	assert_null(load(sb.buf, &errs));
	assert_true(errs.n >= 1);
	cfg_errors_free(&errs);
	sb_free(&sb);
}

static void
count_key(const struct cfg_key_doc *d, void *arg)
{
	assert_non_null(d->name);
	assert_non_null(d->type);
	assert_non_null(d->doc);
	assert_true(strlen(d->doc) > 5);
	(*(int *)arg)++;
}

static void
test_schema_walk(void **state)
{
	int n = 0;

	(void)state;
	cfg_schema_walk(count_key, &n);
	/* root 4 + daemon 15 + tls 2 + alerts 7 + service 34 + health 10 +
	 * limits 3 + log 3 + depends_on 1 + rule 6 */
	assert_int_equal(n, 85);
}

static void
test_signals(void **state)
{
	(void)state;
	assert_int_equal(cfg_signal_parse("SIGTERM"), SIGTERM);
	assert_int_equal(cfg_signal_parse("term"), SIGTERM);
	assert_int_equal(cfg_signal_parse("sigquit"), SIGQUIT);
	assert_int_equal(cfg_signal_parse("SIGNOPE"), -1);
	assert_string_equal(cfg_signal_name(SIGKILL), "SIGKILL");
	assert_null(cfg_signal_name(0));
}

static void
test_service_index(void **state)
{
	struct cfg *c = load_ok("services:\n  - name: a\n    command: x\n"
	    "  - name: b\n    command: y\n");

	(void)state;
	assert_int_equal(cfg_service_index(c, "b"), 1);
	assert_int_equal(cfg_service_index(c, "c"), -1);
	cfg_free(c);
}

static void
test_ready_after(void **state)
{
	struct cfg *a = load_ok("services:\n  - name: a\n    command: x\n");
	struct cfg *b = load_ok("services:\n  - name: a\n    command: x\n"
	    "    ready_after: 0\n");
	struct cfg *c = load_ok("services:\n  - name: a\n    command: x\n"
	    "    ready_after: 1s\n");

	(void)state;
	assert_int_equal(a->services[0].ready_after_ms, 1000);
	assert_int_equal(b->services[0].ready_after_ms, 0);
	/* a reload that changes it restarts the service */
	assert_false(cfg_service_equal(&a->services[0], &b->services[0]));
	assert_true(cfg_service_equal(&a->services[0], &c->services[0]));
	cfg_free(a);
	cfg_free(b);
	cfg_free(c);
}

/* ------------------------------------------------------------------ */
/* every key of the tables: a change of it is seen by a reload */

#define MAX_CANDS 24

struct tkey {
	char section[64];
	char name[32];
	enum cfg_change change;
	bool is_section;
	const char *def;		/* the same as leaving the key out */
	const char *cand[MAX_CANDS];	/* NULL first: the key left out */
	char bounds[2][32];
	size_t ncand;
};

struct tkeys {
	struct tkey v[256];	/* fixed: candidates point into it */
	size_t n;
};

static void
add_cand(struct tkey *k, const char *v)
{
	if (v == NULL)
		return;
	for (size_t i = 1; i < k->ncand; i++)
		if (strcmp(k->cand[i], v) == 0)
			return;
	if (k->ncand < MAX_CANDS)
		k->cand[k->ncand++] = v;
}

/* Values the key may take, from what the table says of it. */
static void
collect_key(const struct cfg_key_doc *d, void *arg)
{
	struct tkeys *t = arg;
	struct tkey *k;

	assert_true(t->n < sizeof t->v / sizeof *t->v);
	k = &t->v[t->n++];
	memset(k, 0, sizeof *k);
	snprintf(k->section, sizeof k->section, "%s", d->section);
	snprintf(k->name, sizeof k->name, "%s", d->name);
	k->change = d->change;
	k->is_section = d->is_section;
	k->def = d->def;
	k->cand[k->ncand++] = NULL;
	if (d->lo != NULL) {
		snprintf(k->bounds[0], sizeof k->bounds[0], "%s", d->lo);
		snprintf(k->bounds[1], sizeof k->bounds[1], "%s", d->hi);
	}
}

static void
fill_cands(struct tkey *k, const struct cfg_key_doc *d)
{
	add_cand(k, d->def);
	add_cand(k, d->example);
	if (k->bounds[0][0] != '\0') {
		add_cand(k, k->bounds[0]);
		add_cand(k, k->bounds[1]);
	}
	for (size_t i = 0; d->choices != NULL && d->choices[i] != NULL; i++)
		add_cand(k, d->choices[i]);
	add_cand(k, "true");
	add_cand(k, "false");
	add_cand(k, "sample");
	add_cand(k, "sample.two");
}

static void
collect_full(const struct cfg_key_doc *d, void *arg)
{
	struct tkeys *t = arg;

	collect_key(d, arg);
	fill_cands(&t->v[t->n - 1], d);
}

/* "services[].health_check" -> "health_check", "services[]" -> "". */
static const char *
sub_path(const char *section, const char *top)
{
	size_t n = strlen(top);

	if (strncmp(section, top, n) != 0)
		return NULL;
	return section[n] == '.' ? section + n + 1 : section + n;
}

/* Lines of the context with the key's own line left out. */
static void
put_ctx(struct strbuf *sb, const char *const *ctx, const char *key,
    const char *indent)
{
	for (size_t i = 0; ctx != NULL && ctx[i] != NULL; i++) {
		size_t n = strlen(key);

		if (strncmp(ctx[i], key, n) == 0 && ctx[i][n] == ':')
			continue;
		sb_printf(sb, "%s%s\n", indent, ctx[i]);
	}
}

/* A service "a" (after "other", which dependencies may name) with the
 * context's lines and key: value placed at path inside it. */
static char *
service_yaml(const char *path, const char *const *svc_ctx,
    const char *const *sub_ctx, const char *key, const char *value)
{
	struct strbuf sb = { 0 };
	char indent[32] = "    ";

	sb_puts(&sb, "services:\n  - name: other\n    command: x\n");
	if (strcmp(key, "name") == 0 && *path == '\0') {
		if (value != NULL)
			sb_printf(&sb, "  - name: %s\n", value);
		else
			sb_puts(&sb, "  - command: y\n");
	} else {
		sb_puts(&sb, "  - name: a\n");
	}
	put_ctx(&sb, svc_ctx, *path == '\0' ? key : "", "    ");
	if (*path != '\0') {
		char *copy = xstrdup(path);

		for (char *part = strtok(copy, "."); part != NULL;
		    part = strtok(NULL, ".")) {
			sb_printf(&sb, "%s%s:\n", indent,
			    strcmp(part, "NAME") == 0 ? "other" : part);
			strcat(indent, "  ");
		}
		free(copy);
		put_ctx(&sb, sub_ctx, key, indent);
	}
	if (value != NULL && !(strcmp(key, "name") == 0 && *path == '\0'))
		sb_printf(&sb, "%s%s: %s\n", indent, key, value);
	return sb_steal(&sb);
}

static struct cfg *
try_load(const char *yaml)
{
	struct cfg_errors errs;
	struct cfg *c = cfg_load_buffer("t.yaml", yaml, strlen(yaml), &ctx_root,
	    &errs);

	cfg_errors_free(&errs);
	return c;
}

static void
count_change(const char *key, enum cfg_change change, void *arg)
{
	(void)key;
	(void)change;
	(*(int *)arg)++;
}

/* SPEC §2: docker's command alone names the image (the seed's form);
 * with more words, the rest is the container's command; without either,
 * an error. type systemd loads, with a warning. */
static void
test_docker_command_is_image(void **state)
{
	struct cfg *c;
	char *w;

	(void)state;
	c = load_ok("services:\n"
	    "  - name: web\n    type: docker\n    command: nginx:latest\n"
	    "  - name: job\n    type: docker\n"
	    "    command: busybox:1 sh -c 'echo hi'\n"
	    "  - name: u\n    type: systemd\n    unit: u.service\n");
	assert_int_equal(c->services[0].argc, 7);
	assert_string_equal(c->services[0].argv[5], "prodd-web");
	assert_string_equal(c->services[0].argv[6], "nginx:latest");
	assert_null(c->services[0].argv[7]);
	assert_string_equal(c->services[0].image, "nginx:latest");
	assert_int_equal(c->services[1].argc, 10);
	assert_string_equal(c->services[1].argv[6], "busybox:1");
	assert_string_equal(c->services[1].argv[7], "sh");
	assert_string_equal(c->services[1].argv[9], "echo hi");
	w = cfg_check_warnings(c);
	assert_non_null(w);
	assert_non_null(strstr(w, "t.yaml: warning: service 'u': type systemd "
	    "is not supported yet"));
	assert_null(strstr(w, "'web'"));
	free(w);
	cfg_free(c);
	c = load_ok("services:\n  - name: p\n    command: x\n");
	assert_null(cfg_check_warnings(c));
	cfg_free(c);
	expect_error("services:\n  - name: d\n    type: docker\n", 2, 5,
	    "needs an 'image' (or a 'command'");
}

static void
test_every_service_key_restarts(void **state)
{
	static const char *const svc_ctx[][4] = {
		{ "command: x" },
		{ "type: fastapi", "port: 8000", "command: x" },
		{ "type: fastapi", "port: 8000", "app: m:app" },
		{ "type: docker", "image: i" },
		{ "type: systemd", "unit: u.service" },
		{ "command: x", "notify: true" },	/* for watchdog */
	};
	static const char *const sub_ctx[][2] = { { NULL }, { "tcp: 127.0.0.1:1" } };
	struct tkeys *t = xcalloc(1, sizeof *t);
	size_t tried = 0;

	(void)state;
	cfg_schema_walk(collect_full, t);
	for (size_t i = 0; i < t->n; i++) {
		struct tkey *k = &t->v[i];
		const char *path = sub_path(k->section, "services[]");
		bool done = false;

		if (path == NULL || k->is_section)
			continue;
		tried++;
		for (size_t c = 0; !done && c < sizeof svc_ctx / sizeof *svc_ctx;
		    c++)
			for (size_t x = 0; !done && x < 2; x++) {
				struct cfg *got[2] = { NULL, NULL };
				const char *val[2] = { NULL, NULL };
				size_t ngot = 0;

				if (*path == '\0' && x > 0)
					break;
				for (size_t v = 0; v < k->ncand && ngot < 2; v++) {
					char *y;

					/* the default is what leaving it out gives */
					if (k->cand[v] == k->def && ngot > 0 &&
					    val[0] == NULL)
						continue;
					y = service_yaml(path, svc_ctx[c], sub_ctx[x],
					    k->name, k->cand[v]);
					if ((got[ngot] = try_load(y)) != NULL)
						val[ngot++] = k->cand[v];
					free(y);
				}
				if (ngot == 2) {
					int n = 0;
					const struct cfg_service *a =
					    &got[0]->services[1];
					const struct cfg_service *b =
					    &got[1]->services[1];

					done = true;
					cfg_service_diff(a, b, count_change, &n);
					if (n == 0 || (k->change != CFG_CHANGE_NOW &&
					    cfg_service_equal(a, b)))
						fail_msg("%s.%s: '%s' and '%s' compare "
						    "equal", k->section, k->name,
						    val[0] ? val[0] : "(absent)",
						    val[1] ? val[1] : "(absent)");
				}
				cfg_free(got[0]);
				cfg_free(got[1]);
			}
		if (!done)
			fail_msg("%s.%s: no two valid values to compare (give "
			    "the key an .example)", k->section, k->name);
	}
	/* every key of a service and its sections was reached */
	assert_true(tried >= 45);
	free(t);
}

struct seen_change {
	const char *want;
	enum cfg_change change;
	bool found;
	int prodd;
};

static void
find_change(const char *key, enum cfg_change change, void *arg)
{
	struct seen_change *s = arg;

	if (strcmp(key, s->want) == 0) {
		s->found = true;
		s->change = change;
	}
	if (change == CFG_CHANGE_PRODD)
		s->prodd++;
}

static void
test_every_daemon_key_diffed(void **state)
{
	static const char *const tls_ctx[] = { "cert: /c.pem", "key: /k.pem",
		NULL };
	struct tkeys *t = xcalloc(1, sizeof *t);
	size_t tried = 0;

	(void)state;
	cfg_schema_walk(collect_full, t);
	for (size_t i = 0; i < t->n; i++) {
		struct tkey *k = &t->v[i];
		const char *path = sub_path(k->section, ".daemon");
		struct cfg *got[2] = { NULL, NULL };
		const char *val[2] = { NULL, NULL };
		size_t ngot = 0;
		char label[96];

		if (path == NULL || k->is_section)
			continue;
		tried++;
		snprintf(label, sizeof label, "%s%s%s", path, *path ? "." : "",
		    k->name);
		for (size_t v = 0; v < k->ncand && ngot < 2; v++) {
			struct strbuf sb = { 0 };

			if (k->cand[v] == k->def && ngot > 0 && val[0] == NULL)
				continue;
			sb_puts(&sb, "daemon:\n");
			if (*path != '\0') {
				sb_printf(&sb, "  %s:\n", path);
				put_ctx(&sb, tls_ctx, k->name, "    ");
			}
			if (k->cand[v] != NULL)
				sb_printf(&sb, "%s%s: %s\n", *path ? "    " : "  ",
				    k->name, k->cand[v]);
			sb_puts(&sb, "services: []\n");
			if ((got[ngot] = try_load(sb.buf)) != NULL)
				val[ngot++] = k->cand[v];
			sb_free(&sb);
		}
		if (ngot < 2)
			fail_msg("daemon.%s: no two valid values to compare",
			    label);
		{
			struct seen_change s = { .want = label };

			cfg_daemon_diff(&got[0]->daemon, &got[1]->daemon,
			    find_change, &s);
			if (!s.found)
				fail_msg("daemon.%s: '%s' and '%s' compare equal",
				    label, val[0] ? val[0] : "(absent)",
				    val[1] ? val[1] : "(absent)");
			assert_int_equal(s.change, k->change);
			/* what needs a restart of prodd can be kept */
			cfg_daemon_keep(&got[1]->daemon, &got[0]->daemon);
			s.prodd = 0;
			cfg_daemon_diff(&got[0]->daemon, &got[1]->daemon,
			    find_change, &s);
			assert_int_equal(s.prodd, 0);
		}
		cfg_free(got[0]);
		cfg_free(got[1]);
	}
	assert_int_equal(tried, 16);	/* 14 keys, tls.cert, tls.key */
	free(t);
}

static void
change_of(const struct cfg_key_doc *d, void *arg)
{
	struct seen_change *s = arg;
	char full[96];

	snprintf(full, sizeof full, "%s.%s", d->section, d->name);
	if (strcmp(full, s->want) == 0) {
		s->found = true;
		s->change = d->change;
	}
}

static void
test_daemon_change_classes(void **state)
{
	/* SPEC §3: these need a restart of prodd, the rest apply at once */
	static const char *const prodd[] = { "listen", "control_socket",
		"state_dir", "tls", "tls.cert", "tls.key" };
	static const char *const now[] = { "token_file", "hosts",
		"cors_origins", "rate_limit", "log_dir", "dashboard_dir",
		"log_level", "sample_interval", "history", "disks",
		"shutdown_timeout" };
	char want[64];

	(void)state;
	for (size_t i = 0; i < sizeof prodd / sizeof *prodd; i++) {
		struct seen_change s = { .want = want };

		snprintf(want, sizeof want, ".daemon.%s", prodd[i]);
		if (strchr(prodd[i], '.') != NULL)
			snprintf(want, sizeof want, ".daemon.%s", prodd[i]);
		cfg_schema_walk(change_of, &s);
		assert_true(s.found);
		assert_int_equal(s.change, CFG_CHANGE_PRODD);
	}
	for (size_t i = 0; i < sizeof now / sizeof *now; i++) {
		struct seen_change s = { .want = want };

		snprintf(want, sizeof want, ".daemon.%s", now[i]);
		cfg_schema_walk(change_of, &s);
		assert_true(s.found);
		assert_int_equal(s.change, CFG_CHANGE_NOW);
	}
	assert_string_equal(cfg_change_name(CFG_CHANGE_PRODD),
	    "needs a restart of prodd");
}

static void
test_reload_keeps_what_needs_prodd(void **state)
{
	struct cfg *a = load_ok("daemon:\n  listen: 9000\n  hosts: [a.b]\n"
	    "  tls: { cert: /c1, key: /k1 }\nservices: []\n");
	struct cfg *b = load_ok("daemon:\n  listen: '[::1]:9001'\n"
	    "  hosts: [c.d]\n  tls: { cert: /c2, key: /k1 }\n"
	    "  state_dir: /s\nservices: []\n");
	struct seen_change s = { .want = "hosts" };

	(void)state;
	/* listen, tls.cert, state_dir, control_socket (it follows state_dir),
	 * hosts */
	assert_int_equal(cfg_daemon_diff(&a->daemon, &b->daemon, find_change,
	    &s), 5);
	assert_true(s.found);
	assert_int_equal(s.change, CFG_CHANGE_NOW);
	assert_int_equal(s.prodd, 4);
	cfg_daemon_keep(&b->daemon, &a->daemon);
	assert_string_equal(b->daemon.listen_host, "127.0.0.1");
	assert_int_equal(b->daemon.listen_port, 9000);
	assert_string_equal(b->daemon.tls_cert, "/c1");
	assert_string_equal(b->daemon.state_dir, "/run/prodd");
	assert_string_equal(b->daemon.control_socket, "/run/prodd/prodd.sock");
	/* what applies at once is the new value */
	assert_string_equal(b->daemon.hosts.v[0], "c.d");
	assert_int_equal(cfg_daemon_diff(&a->daemon, &b->daemon, NULL, NULL), 1);
	cfg_free(a);
	cfg_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_format),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_schema),
		cmocka_unit_test(test_context_defaults),
		cmocka_unit_test(test_short_forms),
		cmocka_unit_test(test_listen_forms),
		cmocka_unit_test(test_more_errors),
		cmocka_unit_test(test_errors_sorted_and_capped),
		cmocka_unit_test(test_hostile_nesting),
		cmocka_unit_test(test_schema_walk),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_service_index),
		cmocka_unit_test(test_ready_after),
		cmocka_unit_test(test_every_service_key_restarts),
		cmocka_unit_test(test_docker_command_is_image),
		cmocka_unit_test(test_every_daemon_key_diffed),
		cmocka_unit_test(test_daemon_change_classes),
		cmocka_unit_test(test_reload_keeps_what_needs_prodd),
	};
	int rc;

	if (getenv("FIXTURES") != NULL)
		fixtures = getenv("FIXTURES");
	rc = cmocka_run_group_tests_name("config", tests, NULL, NULL);
	rc += run_bad_fixtures();
	return rc;
}
