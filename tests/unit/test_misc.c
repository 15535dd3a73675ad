/*
 * Unit tests of the smaller pure modules: env_file parsing and the
 * service environment, /proc parsers (hostile names, truncated files), and
 * the event ring.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/envfile.h"
#include "prodd/events.h"
#include "prodd/fsm.h"
#include "prodd/procfs.h"
#include "prodd/strutil.h"
#include "prodd/view.h"
#include "prodd/xmalloc.h"

static int
parse(const char *text, struct cfg_env **v, size_t *n, char *err)
{
	return envfile_parse(text, strlen(text), v, n, err, 256);
}

static void
test_envfile(void **state)
{
	struct cfg_env *v;
	size_t n;
	char err[256];

	(void)state;
	assert_int_equal(parse("# comment\n\nA=1\nexport B=two words\n"
	    "C=\"quoted # not a comment\"\nD='single $X \\n'\n"
	    "E=\"esc \\\" \\\\ \\n\"\n  F = spaced  \nG=x # trailing\nH=\n"
	    "I=a=b\r\n", &v, &n, err), 0);
	assert_int_equal(n, 9);
	assert_string_equal(v[0].key, "A");
	assert_string_equal(v[0].value, "1");
	assert_string_equal(v[1].key, "B");
	assert_string_equal(v[1].value, "two words");
	assert_string_equal(v[2].value, "quoted # not a comment");
	assert_string_equal(v[3].value, "single $X \\n");
	assert_string_equal(v[4].value, "esc \" \\ \n");
	assert_string_equal(v[5].key, "F");
	assert_string_equal(v[5].value, "spaced");
	assert_string_equal(v[6].value, "x");
	assert_string_equal(v[7].value, "");
	assert_string_equal(v[8].value, "a=b");
	envfile_free(v, n);
	assert_int_equal(parse("A=1\nnot a pair\n", &v, &n, err), -EINVAL);
	assert_string_equal(err, "line 2: expected KEY=VALUE");
	assert_int_equal(parse("1X=1\n", &v, &n, err), -EINVAL);
	assert_non_null(strstr(err, "line 1: bad variable name '1X'"));
	assert_int_equal(parse("A=\"open\n", &v, &n, err), -EINVAL);
	assert_non_null(strstr(err, "unterminated quote"));
	assert_int_equal(envfile_parse("A=x\0y\n", 6, &v, &n, err, 256),
	    -EINVAL);
}

/* A key twice in prodd's environment is listed once, at its first place,
 * with its last value; many keys, each overridden by the config. */
static void
test_env_build_many(void **state)
{
	char *base[602], keys[300][16], vals[300][16];
	struct cfg_env conf[300];
	char **env;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 300; i++) {
		snprintf(keys[i], sizeof keys[i], "K%d", i);
		snprintf(vals[i], sizeof vals[i], "c%d", i);
		base[i] = xasprintf("K%d=b%d", i, i);
		conf[i].key = keys[i];
		conf[i].value = vals[i];
	}
	base[300] = (char *)"DUP=1";
	base[301] = (char *)"X=x";
	base[302] = (char *)"DUP=2";
	base[303] = NULL;
	env = env_build(base, NULL, 0, NULL, 0, NULL, 0);
	for (char **e = env; *e != NULL; e++)
		n++;
	assert_int_equal(n, 302);
	assert_string_equal(env[0], "K0=b0");
	assert_string_equal(env[299], "K299=b299");
	assert_string_equal(env[300], "DUP=2");
	assert_string_equal(env[301], "X=x");
	env_free(env);
	env = env_build(base, NULL, 0, conf, 300, NULL, 0);
	n = 0;
	for (char **e = env; *e != NULL; e++)
		n++;
	assert_int_equal(n, 302);
	for (int i = 0; i < 300; i++) {
		char want[32];

		snprintf(want, sizeof want, "K%d=c%d", i, i);
		assert_string_equal(env[i], want);
		free(base[i]);
	}
	env_free(env);
}

static void
test_env_build(void **state)
{
	char *base[] = { (char *)"PATH=/bin", (char *)"PRODD_TOKEN=s", (char *)"NOTIFY_SOCKET=/x",
		(char *)"WATCHDOG_USEC=1", (char *)"WATCHDOG_PID=2", (char *)"LISTEN_FDS=3",
		(char *)"LISTEN_FDNAMES=x", (char *)"JOURNAL_STREAM=1", (char *)"INVOCATION_ID=i",
		(char *)"KEEP=1", (char *)"OVER=base", (char *)"junk", NULL };
	struct cfg_env file[] = { { (char *)"OVER", (char *)"file" }, { (char *)"F", (char *)"f" } };
	struct cfg_env conf[] = { { (char *)"OVER", (char *)"conf" }, { (char *)"C", (char *)"c" } };
	struct cfg_env user[] = { { (char *)"HOME", (char *)"/home/u" } };
	char **env;
	size_t n = 0;

	(void)state;
	env = env_build(base, file, 2, conf, 2, user, 1);
	for (char **e = env; *e != NULL; e++)
		n++;
	assert_int_equal(n, 6);
	assert_string_equal(env[0], "PATH=/bin");
	assert_string_equal(env[1], "KEEP=1");
	assert_string_equal(env[2], "OVER=conf");
	assert_string_equal(env[3], "F=f");
	assert_string_equal(env[4], "C=c");
	assert_string_equal(env[5], "HOME=/home/u");
	env_free(env);
	assert_true(env_is_private("PRODD_TOKEN", 11));
	assert_false(env_is_private("PRODD_TOKENX", 12));
	assert_true(env_is_private("WATCHDOG_ANYTHING", 17));
}

static void
test_procfs_stat(void **state)
{
	static const char line[] = "4242 (my (weird) proc) S 1 4242 4242 0 -1 "
	    "4194560 100 0 0 0 25 13 0 0 20 0 3 0 987654 12345678 321 "
	    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
	struct procfs_stat st;

	(void)state;
	assert_int_equal(procfs_parse_stat(line, sizeof line - 1, &st), 0);
	assert_int_equal(st.pid, 4242);
	assert_string_equal(st.comm, "my (weird) proc");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.pgrp, 4242);
	assert_int_equal(st.session, 4242);
	assert_int_equal(st.utime, 25);
	assert_int_equal(st.stime, 13);
	assert_int_equal(st.num_threads, 3);
	assert_int_equal(st.starttime, 987654);
	assert_int_equal(st.rss_pages, 321);
	/* truncated anywhere: an error, never garbage */
	for (size_t cut = 0; cut < 90; cut++)
		assert_int_equal(procfs_parse_stat(line, cut, &st), -EINVAL);
	assert_int_equal(procfs_parse_stat("12 noparens S 1", 15, &st), -EINVAL);
	assert_int_equal(procfs_parse_stat("x (a) S", 7, &st), -EINVAL);
}

static void
test_procfs_pids(void **state)
{
	int pids[3];

	(void)state;
	assert_int_equal(procfs_parse_pids("10 20 30 40 \n", 13, pids, 3), 4);
	assert_int_equal(pids[0], 10);
	assert_int_equal(pids[2], 30);
	assert_int_equal(procfs_parse_pids("", 0, pids, 3), 0);
	assert_int_equal(procfs_parse_pids("7", 1, pids, 3), 1);
}

struct seen {
	uint64_t seqs[8];
	size_t n;
};

static void
collect(const struct event *e, void *arg)
{
	struct seen *s = arg;

	s->seqs[s->n++] = e->seq;
}

static void
test_events(void **state)
{
	struct events r;
	struct event e;
	struct seen s = { { 0 }, 0 };
	struct strbuf sb = { 0 };
	const struct event *st;

	(void)state;
	events_init(&r, 4);
	for (int i = 0; i < 6; i++) {
		event_clear(&e);
		e.kind = EVENT_STATE;
		snprintf(e.service, sizeof e.service, "svc%d", i);
		st = events_push(&r, &e);
		assert_int_equal(st->seq, (uint64_t)i + 1);
	}
	/* a ring of 4: the oldest two fell off */
	assert_int_equal(events_since(&r, 0, collect, &s), 4);
	assert_int_equal(s.seqs[0], 3);
	assert_int_equal(s.seqs[3], 6);
	s.n = 0;
	assert_int_equal(events_since(&r, 5, collect, &s), 1);
	assert_int_equal(s.seqs[0], 6);
	/* one by its number: only those still kept */
	assert_false(events_get(&r, 2, &e));
	assert_true(events_get(&r, 3, &e));
	assert_int_equal(e.seq, 3);
	assert_string_equal(e.service, "svc2");
	assert_true(events_get(&r, 6, &e));
	assert_string_equal(e.service, "svc5");
	assert_false(events_get(&r, 7, &e));
	event_clear(&e);
	e.kind = EVENT_STATE;
	e.ts_ms = 1795338001123LL;
	snprintf(e.service, sizeof e.service, "rag");
	e.from = FSM_RUNNING;
	e.to = FSM_BACKOFF;
	e.pid = 4100;
	e.exit_code = 1;
	e.delay_ms = 2000;
	snprintf(e.reason, sizeof e.reason, "exited with \"code\" 1");
	st = events_push(&r, &e);
	view_event_text(st, &sb);
	assert_string_equal(sb.buf, "{\"seq\":7,\"ts\":\"2026-11-22T09:00:01.123Z\","
	    "\"service\":\"rag\",\"kind\":\"state\",\"from\":\"running\","
	    "\"to\":\"backoff\",\"reason\":\"exited with \\\"code\\\" 1\","
	    "\"pid\":4100,\"exit_code\":1,\"signal\":null,\"delay_ms\":2000}");
	sb_free(&sb);
	events_free(&r);
}

/* The ring keeps each event compactly (its strings at their length):
 * every field reads back as it was pushed, the longest strings whole,
 * an empty service empty. */
static void
keep_copy(const struct event *e, void *arg)
{
	struct event *out = arg;

	out[e->seq - 1] = *e;
}

static void
test_events_round_trip(void **state)
{
	struct events r;
	struct event e[3], got[3];

	(void)state;
	events_init(&r, 3);
	for (int i = 0; i < 3; i++)
		event_clear(&e[i]);
	e[0].kind = EVENT_EXIT;
	e[0].ts_ms = 1795338001123LL;
	memset(e[0].service, 's', sizeof e[0].service - 1);
	memset(e[0].reason, 'r', sizeof e[0].reason - 1);
	e[0].from = FSM_RUNNING;
	e[0].to = FSM_BACKOFF;
	e[0].pid = 2147483000;
	e[0].exit_code = 255;
	e[0].signal = 9;
	e[0].delay_ms = 3600000;
	e[0].lines = event_lines_new();
	event_lines_add(e[0].lines, 5, 1, "last", 4);
	e[1].kind = EVENT_DAEMON;
	snprintf(e[1].reason, sizeof e[1].reason, "reloaded");
	e[2].kind = EVENT_HEALTH;
	snprintf(e[2].service, sizeof e[2].service, "rag");
	for (int i = 0; i < 3; i++)
		events_push(&r, &e[i]);
	event_lines_unref(e[0].lines);
	assert_int_equal(events_since(&r, 0, keep_copy, got), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(got[i].seq, (uint64_t)i + 1);
		assert_int_equal(got[i].kind, e[i].kind);
		assert_int_equal(got[i].ts_ms, e[i].ts_ms);
		assert_string_equal(got[i].service, e[i].service);
		assert_string_equal(got[i].reason, e[i].reason);
		assert_int_equal(got[i].from, e[i].from);
		assert_int_equal(got[i].to, e[i].to);
		assert_int_equal(got[i].pid, e[i].pid);
		assert_int_equal(got[i].exit_code, e[i].exit_code);
		assert_int_equal(got[i].signal, e[i].signal);
		assert_int_equal(got[i].delay_ms, e[i].delay_ms);
	}
	assert_int_equal(strlen(got[0].service), sizeof e[0].service - 1);
	assert_int_equal(strlen(got[0].reason), sizeof e[0].reason - 1);
	assert_string_equal(got[1].service, "");
	assert_int_equal(got[0].lines->n, 1);
	assert_null(got[1].lines);
	events_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envfile),
		cmocka_unit_test(test_env_build),
		cmocka_unit_test(test_env_build_many),
		cmocka_unit_test(test_procfs_stat),
		cmocka_unit_test(test_procfs_pids),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_events_round_trip),
	};

	return cmocka_run_group_tests_name("misc", tests, NULL, NULL);
}
