/*
 * Unit tests of the sd_notify(3) datagram parser: every field SPEC §3
 * lists, the values each accepts and refuses, garbage, oversize and
 * datagrams cut short.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "prodd/config.h"
#include "prodd/notify.h"

static enum notify_result
parse(const char *s, struct notify_msg *m)
{
	return notify_parse(s, strlen(s), m);
}

static void
test_every_field(void **state)
{
	struct notify_msg m;

	(void)state;
	assert_int_equal(parse("READY=1\nSTATUS=loading model 40 %\n"
	    "RELOADING=1\nSTOPPING=1\nWATCHDOG=1\nWATCHDOG_USEC=2000000\n"
	    "EXTEND_TIMEOUT_USEC=5000000\nMAINPID=4242\nERRNO=2\nBARRIER=1\n",
	    &m), NOTIFY_OK);
	assert_int_equal(m.fields, NOTIFY_READY | NOTIFY_STATUS |
	    NOTIFY_RELOADING | NOTIFY_STOPPING | NOTIFY_WATCHDOG |
	    NOTIFY_WATCHDOG_USEC | NOTIFY_EXTEND_TIMEOUT | NOTIFY_MAINPID |
	    NOTIFY_ERRNO | NOTIFY_BARRIER);
	assert_string_equal(m.status, "loading model 40 %");
	assert_int_equal(m.watchdog_usec, 2000000);
	assert_int_equal(m.extend_usec, 5000000);
	assert_int_equal(m.mainpid, 4242);
	assert_int_equal(m.errno_value, 2);
	assert_int_equal(m.invalid, 0);
	assert_int_equal(m.unknown, 0);

	assert_int_equal(parse("WATCHDOG=trigger", &m), NOTIFY_OK);
	assert_int_equal(m.fields, NOTIFY_WATCHDOG_TRIGGER);
	/* an empty STATUS= clears the text: it is still a STATUS */
	assert_int_equal(parse("STATUS=", &m), NOTIFY_OK);
	assert_int_equal(m.fields, NOTIFY_STATUS);
	assert_string_equal(m.status, "");
	/* the last of a key wins; no trailing newline needed */
	assert_int_equal(parse("STATUS=a\nSTATUS=b", &m), NOTIFY_OK);
	assert_string_equal(m.status, "b");
	assert_int_equal(parse("EXTEND_TIMEOUT_USEC=0", &m), NOTIFY_OK);
	assert_int_equal(m.fields, NOTIFY_EXTEND_TIMEOUT);
	assert_int_equal(m.extend_usec, 0);
	assert_int_equal(parse("EXTEND_TIMEOUT_USEC=18446744073709551615", &m),
	    NOTIFY_OK);
	assert_true(m.extend_usec == UINT64_MAX);
}

static void
test_bad_values(void **state)
{
	static const char *const bad[] = {
		"READY=0", "READY=yes", "READY=", "READY=11", "STOPPING=2",
		"RELOADING=true", "WATCHDOG=0", "WATCHDOG=Trigger",
		"WATCHDOG_USEC=0", "WATCHDOG_USEC=-5", "WATCHDOG_USEC=1e6",
		"EXTEND_TIMEOUT_USEC=18446744073709551616",
		"EXTEND_TIMEOUT_USEC= 5", "EXTEND_TIMEOUT_USEC=",
		"MAINPID=0", "MAINPID=1", "MAINPID=-1", "MAINPID=2147483648",
		"MAINPID=12a", "ERRNO=-1", "ERRNO=x", "BARRIER=2",
	};
	struct notify_msg m;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(parse(bad[i], &m), NOTIFY_OK);
		if (m.fields != 0 || m.invalid != 1)
			fail_msg("'%s': fields %#x invalid %u", bad[i], m.fields,
			    m.invalid);
	}
}

static void
test_garbage(void **state)
{
	struct notify_msg m;
	char big[NOTIFY_MSG_MAX + 1];

	(void)state;
	assert_int_equal(notify_parse("", 0, &m), NOTIFY_EMPTY);
	assert_int_equal(notify_parse("READY=1\0X", 9, &m), NOTIFY_HAS_NUL);
	assert_int_equal(m.fields, 0);
	memset(big, 'a', sizeof big);
	memcpy(big, "READY=1\n", 8);
	assert_int_equal(notify_parse(big, sizeof big, &m), NOTIFY_TOO_LONG);
	assert_int_equal(m.fields, 0);
	/* exactly the bound is fine */
	assert_int_equal(notify_parse(big, NOTIFY_MSG_MAX, &m), NOTIFY_OK);
	assert_int_equal(m.fields, NOTIFY_READY);
	assert_int_equal(m.invalid, 1);
	/* lines with no '=' or no key are skipped, the rest kept */
	assert_int_equal(parse("hello\n=1\n\n\nREADY=1\n\xff\xfe", &m),
	    NOTIFY_OK);
	assert_int_equal(m.fields, NOTIFY_READY);
	assert_int_equal(m.invalid, 3);
	/* unknown keys are ignored, apart; keys are case-sensitive */
	assert_int_equal(parse("FDSTORE=1\nready=1\nX_CUSTOM=2", &m),
	    NOTIFY_OK);
	assert_int_equal(m.fields, 0);
	assert_int_equal(m.unknown, 3);
	assert_string_equal(notify_result_name(NOTIFY_TOO_LONG),
	    "longer than 4096 bytes");
}

static void
test_cut_short(void **state)
{
	static const char full[] = "STATUS=loading\nREADY=1\nMAINPID=123";
	struct notify_msg m;

	(void)state;
	/* every prefix parses; READY counts only once "READY=1" is whole */
	for (size_t n = 1; n <= sizeof full - 1; n++) {
		assert_int_equal(notify_parse(full, n, &m), NOTIFY_OK);
		assert_int_equal(!!(m.fields & NOTIFY_READY), n >= 22);
		if (m.fields & NOTIFY_MAINPID)
			assert_true(n >= 33);	/* "MAINPID=12" */
	}
	assert_int_equal(notify_parse(full, 21, &m), NOTIFY_OK);
	assert_int_equal(m.fields, NOTIFY_STATUS);
	assert_int_equal(m.invalid, 1);		/* "READY=" */
	assert_int_equal(notify_parse(full, 17, &m), NOTIFY_OK);
	assert_int_equal(m.invalid, 1);		/* "RE": no '=' */
}

static void
test_status_text(void **state)
{
	char buf[1200], want[NOTIFY_STATUS_MAX];
	struct notify_msg m;
	size_t n;

	(void)state;
	assert_int_equal(parse("STATUS=tab\there\rbell\x07", &m), NOTIFY_OK);
	assert_string_equal(m.status, "tab?here?bell?");
	assert_int_equal(parse("STATUS=40 \xc2\xb0 \xe2\x9c\x93", &m), NOTIFY_OK);
	assert_string_equal(m.status, "40 \xc2\xb0 \xe2\x9c\x93");
	/* long text: cut to fit, never inside a character */
	n = (size_t)snprintf(buf, sizeof buf, "STATUS=");
	while (n + 2 < 7 + 300) {
		buf[n++] = '\xc3';
		buf[n++] = '\xa9';	/* é, two bytes */
	}
	buf[n++] = 'a';
	buf[n] = '\0';
	assert_int_equal(parse(buf, &m), NOTIFY_OK);
	assert_int_equal(strlen(m.status), NOTIFY_STATUS_MAX - 2);
	memcpy(want, buf + 7, NOTIFY_STATUS_MAX - 2);
	want[NOTIFY_STATUS_MAX - 2] = '\0';
	assert_string_equal(m.status, want);
	/* ASCII fills the whole buffer */
	memset(buf, 'x', 400);
	memcpy(buf, "STATUS=", 7);
	assert_int_equal(notify_parse(buf, 400, &m), NOTIFY_OK);
	assert_int_equal(strlen(m.status), NOTIFY_STATUS_MAX - 1);
}

static struct cfg *
load(const char *text, struct cfg_errors *errs)
{
	memset(errs, 0, sizeof *errs);
	return cfg_load_buffer("/x/services.yaml", text, strlen(text), NULL,
	    errs);
}

/* notify, start_timeout and watchdog: defaults, values, the check that
 * watchdog needs notify, and that a change restarts the service */
static void
test_config_keys(void **state)
{
	struct cfg_errors errs;
	struct cfg *a, *b;

	(void)state;
	a = load("services:\n  - name: a\n    command: x\n", &errs);
	assert_non_null(a);
	assert_false(a->services[0].notify);
	assert_int_equal(a->services[0].start_timeout_ms, 0);
	assert_int_equal(a->services[0].watchdog_ms, 0);
	b = load("services:\n  - name: a\n    command: x\n    notify: true\n"
	    "    start_timeout: 90s\n    watchdog: 2s\n", &errs);
	assert_non_null(b);
	assert_true(b->services[0].notify);
	assert_int_equal(b->services[0].start_timeout_ms, 90000);
	assert_int_equal(b->services[0].watchdog_ms, 2000);
	assert_false(cfg_service_equal(&a->services[0], &b->services[0]));
	cfg_free(a);
	cfg_free(b);
	a = load("services:\n  - name: a\n    command: x\n    watchdog: 2s\n",
	    &errs);
	assert_null(a);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0].text, "4:5: 'watchdog' needs "
	    "'notify: true'"));
	cfg_errors_free(&errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_cut_short),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_config_keys),
	};

	return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
