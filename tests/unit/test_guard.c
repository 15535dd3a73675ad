/*
 * Unit tests of core/guard: the token compare and the bearer header, the
 * Host check (ports, IPv6 brackets, case, malformed values, missing
 * header), the Origin check (own origin, configured ones, never a
 * wildcard) and the rate limit's buckets on an explicit clock (burst,
 * refill, Retry-After, addresses apart, a new setting).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/guard.h"
#include "prodd/xmalloc.h"

static void
test_token_equal(void **state)
{
	(void)state;
	assert_true(guard_token_equal("tok-123", "tok-123"));
	assert_false(guard_token_equal("tok-123", "tok-12"));
	assert_false(guard_token_equal("tok-123", "tok-1234"));
	assert_false(guard_token_equal("tok-123", "TOK-123"));
	assert_false(guard_token_equal("tok-123", ""));
	assert_false(guard_token_equal("tok-123", "tok-124"));
	assert_true(guard_token_equal("", ""));
}

static void
test_bearer(void **state)
{
	struct guard *g = guard_new();

	(void)state;
	assert_int_equal(guard_bearer(g, "Bearer x"), GUARD_AUTH_NO_TOKEN);
	assert_int_equal(guard_bearer(g, NULL), GUARD_AUTH_NO_TOKEN);
	assert_false(guard_has_token(g));
	guard_set_token(g, xstrdup("s3cret"));
	assert_true(guard_has_token(g));
	assert_int_equal(guard_bearer(g, NULL), GUARD_AUTH_MISSING);
	assert_int_equal(guard_bearer(g, ""), GUARD_AUTH_MISSING);
	assert_int_equal(guard_bearer(g, "Bearer s3cret"), GUARD_AUTH_OK);
	assert_int_equal(guard_bearer(g, "bearer s3cret"), GUARD_AUTH_OK);
	assert_int_equal(guard_bearer(g, "Bearer wrong"), GUARD_AUTH_WRONG);
	assert_int_equal(guard_bearer(g, "Bearer s3cret "), GUARD_AUTH_WRONG);
	assert_int_equal(guard_bearer(g, "Bearer  s3cret"), GUARD_AUTH_WRONG);
	assert_int_equal(guard_bearer(g, "Basic s3cret"), GUARD_AUTH_WRONG);
	assert_int_equal(guard_bearer(g, "s3cret"), GUARD_AUTH_WRONG);
	assert_int_equal(guard_bearer(g, "Bearer"), GUARD_AUTH_WRONG);
	/* replaced (a reload): the old one is refused at once */
	guard_set_token(g, xstrdup("other"));
	assert_int_equal(guard_bearer(g, "Bearer s3cret"), GUARD_AUTH_WRONG);
	assert_int_equal(guard_bearer(g, "Bearer other"), GUARD_AUTH_OK);
	guard_set_token(g, NULL);
	assert_int_equal(guard_bearer(g, "Bearer other"), GUARD_AUTH_NO_TOKEN);
	guard_free(g);
}

static void
name_is(const char *host, const char *want)
{
	const char *name;
	size_t len;

	assert_true(guard_host_name(host, &name, &len));
	assert_int_equal(len, strlen(want));
	assert_memory_equal(name, want, len);
}

static void
test_host_name(void **state)
{
	const char *name;
	size_t len;

	(void)state;
	name_is("localhost", "localhost");
	name_is("localhost:8003", "localhost");
	name_is("localhost:", "localhost");
	name_is("127.0.0.1:80", "127.0.0.1");
	name_is("[::1]", "::1");
	name_is("[::1]:8003", "::1");
	name_is("[fe80::1%25eth0]:1", "fe80::1%25eth0");
	name_is(":8003", "");
	assert_false(guard_host_name("[::1", &name, &len));
	assert_false(guard_host_name("[::1]x", &name, &len));
	assert_false(guard_host_name("[::1]:80x", &name, &len));
	assert_false(guard_host_name("::1", &name, &len));
	assert_false(guard_host_name("a:b:c", &name, &len));
	assert_false(guard_host_name("host:port", &name, &len));
}

static void
test_host_ok(void **state)
{
	struct guard *g = guard_new();
	char n1[] = "prodd.test", n2[] = "Ops.Example.COM";
	char *names[] = { n1, n2 };
	struct cfg_strv hosts = { names, 2 };

	(void)state;
	/* no header: HTTP/1.0, no browser */
	assert_true(guard_host_ok(g, NULL));
	assert_true(guard_host_ok(g, ""));
	/* localhost and the loopback addresses always */
	assert_true(guard_host_ok(g, "localhost"));
	assert_true(guard_host_ok(g, "LOCALHOST:8003"));
	assert_true(guard_host_ok(g, "127.0.0.1:8003"));
	assert_true(guard_host_ok(g, "[::1]:8003"));
	assert_true(guard_host_ok(g, "[::1]"));
	assert_false(guard_host_ok(g, "::1"));
	assert_false(guard_host_ok(g, "[::1"));
	assert_false(guard_host_ok(g, "localhost."));
	assert_false(guard_host_ok(g, "localhost.evil.example"));
	assert_false(guard_host_ok(g, "evil.localhost"));
	assert_false(guard_host_ok(g, "127.0.0.2"));
	assert_false(guard_host_ok(g, ":8003"));
	assert_false(guard_host_ok(g, "prodd.test"));
	/* the listen address and daemon.hosts */
	guard_set_hosts(g, "10.1.2.3", &hosts);
	assert_true(guard_host_ok(g, "10.1.2.3:8003"));
	assert_true(guard_host_ok(g, "prodd.test"));
	assert_true(guard_host_ok(g, "PRODD.TEST:1"));
	assert_true(guard_host_ok(g, "ops.example.com"));
	assert_false(guard_host_ok(g, "prodd.test.evil"));
	assert_false(guard_host_ok(g, "prodd.tes"));
	assert_true(guard_host_ok(g, "localhost"));
	/* an IPv6 listen address is matched inside its brackets */
	guard_set_hosts(g, "fd00::5", NULL);
	assert_true(guard_host_ok(g, "[fd00::5]:8003"));
	assert_true(guard_host_ok(g, "[FD00::5]"));
	assert_false(guard_host_ok(g, "fd00::5"));
	/* replaced, not added to */
	assert_false(guard_host_ok(g, "prodd.test"));
	assert_false(guard_host_ok(g, "10.1.2.3"));
	guard_free(g);
}

static void
test_origin_ok(void **state)
{
	struct guard *g = guard_new();
	char o1[] = "https://ops.example.com", o2[] = "*";
	char *list[] = { o1, o2 };
	struct cfg_strv origins = { list, 2 };

	(void)state;
	/* no Origin: not a cross-origin browser request */
	assert_true(guard_origin_ok(g, NULL, "127.0.0.1:8003"));
	assert_true(guard_origin_ok(g, "", "127.0.0.1:8003"));
	/* the page's own origin, either scheme, any case */
	assert_true(guard_origin_ok(g, "http://127.0.0.1:8003",
	    "127.0.0.1:8003"));
	assert_true(guard_origin_ok(g, "https://127.0.0.1:8003",
	    "127.0.0.1:8003"));
	assert_true(guard_origin_ok(g, "HTTP://LocalHost:8003",
	    "localhost:8003"));
	assert_false(guard_origin_ok(g, "http://127.0.0.1:8004",
	    "127.0.0.1:8003"));
	assert_false(guard_origin_ok(g, "http://127.0.0.1", "127.0.0.1:8003"));
	assert_false(guard_origin_ok(g, "ftp://127.0.0.1:8003",
	    "127.0.0.1:8003"));
	assert_false(guard_origin_ok(g, "http://evil.example",
	    "127.0.0.1:8003"));
	assert_false(guard_origin_ok(g, "null", "127.0.0.1:8003"));
	/* with no Host there is no own origin */
	assert_false(guard_origin_ok(g, "http://", ""));
	assert_false(guard_origin_ok(g, "http://", NULL));
	/* configured origins, whole; "*" is never a wildcard */
	guard_set_origins(g, &origins);
	assert_true(guard_origin_ok(g, "https://ops.example.com", "x"));
	assert_true(guard_origin_ok(g, "https://OPS.example.com", "x"));
	assert_false(guard_origin_ok(g, "http://ops.example.com", "x"));
	assert_false(guard_origin_ok(g, "https://ops.example.com.evil", "x"));
	assert_false(guard_origin_ok(g, "https://evil.example", "x"));
	/* replaced at a reload */
	guard_set_origins(g, NULL);
	assert_false(guard_origin_ok(g, "https://ops.example.com", "x"));
	guard_free(g);
}

static void
test_rate(void **state)
{
	struct guard *g = guard_new();
	int retry = 0;

	(void)state;
	/* no limit */
	for (int i = 0; i < 1000; i++)
		assert_true(guard_rate_take(g, "10.0.0.1", 0, &retry));
	/* 5 a second: a burst of 5, then refused, with when to retry */
	guard_set_rate(g, 5, 1000);
	for (int i = 0; i < 5; i++)
		assert_true(guard_rate_take(g, "10.0.0.1", 1000, &retry));
	retry = 0;
	assert_false(guard_rate_take(g, "10.0.0.1", 1000, &retry));
	assert_int_equal(retry, 1);
	/* another address has its own bucket */
	assert_true(guard_rate_take(g, "10.0.0.2", 1000, &retry));
	/* 200 ms: one token back, one only */
	assert_true(guard_rate_take(g, "10.0.0.1", 1200, &retry));
	assert_false(guard_rate_take(g, "10.0.0.1", 1200, &retry));
	/* 100 ms: half a token, still refused */
	assert_false(guard_rate_take(g, "10.0.0.1", 1300, &retry));
	/* a long pause refills to the size of the bucket, not beyond */
	for (int i = 0; i < 5; i++)
		assert_true(guard_rate_take(g, "10.0.0.1", 60000, &retry));
	assert_false(guard_rate_take(g, "10.0.0.1", 60000, &retry));
	/* a clock that goes backwards takes nothing away, gives nothing */
	assert_false(guard_rate_take(g, "10.0.0.1", 50000, &retry));
	/* the same setting again keeps the buckets */
	guard_set_rate(g, 5, 1000);
	assert_false(guard_rate_take(g, "10.0.0.1", 60000, &retry));
	/* a new setting: full buckets of the new size */
	guard_set_rate(g, 2, 60000);
	assert_true(guard_rate_take(g, "10.0.0.1", 60000, &retry));
	assert_true(guard_rate_take(g, "10.0.0.1", 60000, &retry));
	assert_false(guard_rate_take(g, "10.0.0.1", 60000, &retry));
	/* 2 a minute: the next token in 30 s (said as the whole second
	 * after it) */
	assert_int_equal(retry, 31);
	assert_false(guard_rate_take(g, "10.0.0.1", 75000, &retry));
	assert_int_equal(retry, 16);
	assert_true(guard_rate_take(g, "10.0.0.1", 90000, &retry));
	/* an unknown peer (empty address) is limited like any other */
	guard_set_rate(g, 1, 1000);
	assert_true(guard_rate_take(g, "", 0, &retry));
	assert_false(guard_rate_take(g, "", 0, &retry));
	/* off again */
	guard_set_rate(g, 0, 1000);
	assert_true(guard_rate_take(g, "", 0, &retry));
	guard_free(g);
}

/* Every address keeps its own bucket, however many there are and however
 * their hashes fall: two addresses taking turns never reset each other. */
static void
test_rate_many(void **state)
{
	struct guard *g = guard_new();
	char addr[64];
	int retry = 0, served;

	(void)state;
	guard_set_rate(g, 3, 3600000);
	/* the pair that shared a slot of the old fixed table, in turns */
	served = 0;
	for (int i = 0; i < 10; i++) {
		served += guard_rate_take(g, "127.0.0.120", 0, &retry);
		served += guard_rate_take(g, "127.0.0.201", 0, &retry);
	}
	assert_int_equal(served, 6);
	/* 5000 addresses in turns, 5 rounds: 3 served each, then refused */
	served = 0;
	for (int round = 0; round < 5; round++)
		for (int i = 0; i < 5000; i++) {
			snprintf(addr, sizeof addr, "10.%d.%d.1", i / 256,
			    i % 256);
			served += guard_rate_take(g, addr, round, &retry);
		}
	assert_int_equal(served, 5000 * 3);
	/* a full table of addresses still limited: a newcomer waits */
	for (int i = 0; i < 20000; i++) {
		snprintf(addr, sizeof addr, "fd00::%x", i);
		guard_rate_take(g, addr, 10, &retry);
	}
	retry = 0;
	assert_false(guard_rate_take(g, "192.0.2.1", 10, &retry));
	assert_int_equal(retry, 1);
	/* and every limited one is still limited */
	assert_false(guard_rate_take(g, "127.0.0.120", 10, &retry));
	assert_false(guard_rate_take(g, "10.0.0.1", 10, &retry));
	/* an hour on, every bucket is full again: the table is swept, the
	 * newcomer served */
	assert_true(guard_rate_take(g, "192.0.2.1", 3600010, &retry));
	guard_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_equal),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_host_name),
		cmocka_unit_test(test_host_ok),
		cmocka_unit_test(test_origin_ok),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_rate_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
