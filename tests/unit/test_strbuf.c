/*
 * struct strbuf (common/strutil.c) as prodd-demo uses it: a buffer emptied
 * with sb_reset and filled again keeps its memory and stays a C string;
 * sb_printf formats in the room there is or grows, exactly at the edge;
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

/* sb_printf formats in place when it fits and grows when it does not. */
static void
test_printf_room(void **state)
{
	struct strbuf sb = { 0 };
	char big[300];

	(void)state;
	sb_printf(&sb, "%s", "");	/* nothing, and nothing allocated */
	assert_int_equal(sb.len, 0);
	sb_printf(&sb, "%060d", 7);
	assert_int_equal(sb.cap, 64);
	sb_printf(&sb, "%03d", 42);	/* 63 bytes and the NUL: fits */
	assert_int_equal(sb.cap, 64);
	assert_int_equal(sb.len, 63);
	sb_printf(&sb, "%c", 'x');	/* the 64th byte: grows */
	assert_int_equal(sb.len, 64);
	assert_true(sb.cap > 64);
	assert_int_equal(strlen(sb.buf), 64);
	assert_memory_equal(sb.buf + 56, "0007042x", 9);
	sb_printf(&sb, "%s", "");
	assert_int_equal(sb.len, 64);
	assert_int_equal(sb.buf[64], '\0');
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sb_reset(&sb);
	sb_printf(&sb, "<%s>", big);	/* longer than the room: grows once */
	assert_int_equal(sb.len, sizeof big + 1);
	assert_int_equal(sb.buf[0], '<');
	assert_int_equal(sb.buf[sb.len - 1], '>');
	assert_int_equal(strlen(sb.buf), sb.len);
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
		cmocka_unit_test(test_printf_room),
		cmocka_unit_test(test_json_echo),
	};

	return cmocka_run_group_tests_name("strbuf", tests, NULL, NULL);
}
