/*
 * struct strbuf (common/strutil.c) as prodd-demo uses it: a buffer emptied
 * with sb_reset and filled again keeps its memory and stays a C string;
 * the JSON escaping of request text the demo echoes (controls, DEL,
 * invalid UTF-8) gives valid JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "prodd/strutil.h"

static void
test_reset_keeps_memory(void **state)
{
	struct strbuf sb = { 0 };
	char *mem;
	size_t cap;

	(void)state;
	sb_reset(&sb);	/* nothing allocated yet: still fine */
	assert_null(sb.buf);
	assert_int_equal(sb.len, 0);
	sb_printf(&sb, "%s-%d", "first", 1);
	assert_string_equal(sb.buf, "first-1");
	mem = sb.buf;
	cap = sb.cap;
	sb_reset(&sb);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
	assert_ptr_equal(sb.buf, mem);
	assert_int_equal(sb.cap, cap);
	sb_puts(&sb, "two");
	sb_putc(&sb, '!');
	assert_string_equal(sb.buf, "two!");
	assert_int_equal(sb.len, 4);
	sb_free(&sb);
}

static void
test_json_echo(void **state)
{
	struct strbuf sb = { 0 };

	(void)state;
	sb_json_str(&sb, "\"q\"\\\t\x7f", 6);
	assert_string_equal(sb.buf, "\"\\\"q\\\"\\\\\\t\\u007f\"");
	sb_reset(&sb);
	/* a truncated sequence, an overlong one and a valid é */
	sb_json_str(&sb, "\xe2\x82 \xc0\xaf \xc3\xa9", 8);
	assert_string_equal(sb.buf,
	    "\"\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd \xc3\xa9\"");
	sb_free(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_keeps_memory),
		cmocka_unit_test(test_json_echo),
	};

	return cmocka_run_group_tests_name("strbuf", tests, NULL, NULL);
}
