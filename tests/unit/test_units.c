/*
 * Unit tests of durations, sizes and shell-like command splitting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "prodd/strutil.h"
#include "prodd/units.h"

static void
test_duration_ok(void **state)
{
	static const struct { const char *s; int64_t ms; } ok[] = {
		{ "0", 0 }, { "60", 60000 }, { "1.5", 1500 }, { "250ms", 250 },
		{ "1.5s", 1500 }, { "5m", 300000 }, { "2h", 7200000 },
		{ "1m30s", 90000 }, { "1h2m3s4ms", 3723004 }, { "1d", 86400000 },
		{ " 10s ", 10000 }, { "0.5ms", 1 }, { "0s", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		int64_t v = -1;

		assert_int_equal(units_parse_duration(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].ms);
	}
}

static void
test_duration_bad(void **state)
{
	static const char *const bad[] = { "", "x", "10x", "-5", "5 s", "1.5.2s",
		"s", "ms", "1m 30s", "5sec", "1e3", "0x10" };
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(units_parse_duration(bad[i], &v), -EINVAL);
	assert_int_equal(units_parse_duration("99999999999999999999h", &v),
	    -ERANGE);
	assert_int_equal(units_parse_duration("9999999999999999d", &v), -ERANGE);
}

static void
test_size(void **state)
{
	static const struct { const char *s; int64_t b; } ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "10M", 10 << 20 },
		{ "2G", (int64_t)2 << 30 }, { "512K", 512 << 10 },
		{ "1.5G", (int64_t)3 << 29 }, { "10MB", 10 << 20 },
		{ "10MiB", 10 << 20 }, { "1k", 1024 }, { "1T", (int64_t)1 << 40 },
		{ "100B", 100 },
	};
	static const char *const bad[] = { "", "M", "10X", "-1M", "10 M B x",
		"1.2.3K", "ten" };
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		assert_int_equal(units_parse_size(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].b);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(units_parse_size(bad[i], &v), -EINVAL);
	assert_int_equal(units_parse_size("99999999999T", &v), -ERANGE);
}

static void
test_format(void **state)
{
	char buf[32];

	(void)state;
	units_format_duration(0, buf, sizeof buf);
	assert_string_equal(buf, "0s");
	units_format_duration(90000, buf, sizeof buf);
	assert_string_equal(buf, "1m30s");
	units_format_duration(250, buf, sizeof buf);
	assert_string_equal(buf, "250ms");
	units_format_duration(86400000, buf, sizeof buf);
	assert_string_equal(buf, "24h");
	units_format_size(10 << 20, buf, sizeof buf);
	assert_string_equal(buf, "10M");
	units_format_size(1536 << 10, buf, sizeof buf);
	assert_string_equal(buf, "1536K");
	units_format_size(100, buf, sizeof buf);
	assert_string_equal(buf, "100");
}

static void
split_expect(const char *cmd, const char *const *want, size_t n)
{
	char **argv;
	size_t argc, pos;
	const char *why;

	assert_int_equal(units_split_command(cmd, &argv, &argc, &pos, &why), 0);
	assert_int_equal(argc, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[n]);
	units_argv_free(argv);
}

static void
test_split(void **state)
{
	(void)state;
	split_expect("python3 app.py", (const char *[]){ "python3", "app.py" }, 2);
	split_expect("  a   b\tc\n", (const char *[]){ "a", "b", "c" }, 3);
	split_expect("a 'b c' \"d e\"", (const char *[]){ "a", "b c", "d e" }, 3);
	split_expect("a\\ b", (const char *[]){ "a b" }, 1);
	split_expect("'$HOME' \"$HOME\"", (const char *[]){ "$HOME", "$HOME" }, 2);
	split_expect("\"a\\\"b\" 'c\\d'", (const char *[]){ "a\"b", "c\\d" }, 2);
	split_expect("\"x\\n\"", (const char *[]){ "x\\n" }, 1);
	split_expect("'' \"\"", (const char *[]){ "", "" }, 2);
	split_expect("pre'mid'post", (const char *[]){ "premidpost" }, 1);
	split_expect("a | b > c", (const char *[]){ "a", "|", "b", ">", "c" }, 5);
	split_expect("", NULL, 0);
}

static void
test_split_bad(void **state)
{
	char **argv;
	size_t argc, pos;
	const char *why;

	(void)state;
	assert_int_equal(units_split_command("a 'b", &argv, &argc, &pos, &why),
	    -EINVAL);
	assert_int_equal(pos, 2);
	assert_string_equal(why, "unterminated single quote");
	assert_int_equal(units_split_command("a \"b", &argv, &argc, &pos, &why),
	    -EINVAL);
	assert_string_equal(why, "unterminated double quote");
	assert_int_equal(units_split_command("a b\\", &argv, &argc, &pos, &why),
	    -EINVAL);
	assert_int_equal(pos, 3);
}

static void
test_strutil(void **state)
{
	struct strbuf sb = { 0 };

	(void)state;
	assert_int_equal(str_edit_distance("kitten", "sitting", 5), 3);
	assert_int_equal(str_edit_distance("same", "same", 2), 0);
	assert_true(str_edit_distance("abc", "xyzxyzxyz", 2) > 2);
	assert_int_equal(utf8_first_invalid("h\xc3\xa9llo", 6), 6);
	assert_int_equal(utf8_first_invalid("ab\xff", 3), 2);
	assert_int_equal(utf8_first_invalid("\xc0\xaf", 2), 0);	/* overlong */
	assert_int_equal(utf8_first_invalid("\xed\xa0\x80", 3), 0); /* surrogate */
	sb_json_str(&sb, "a\"b\\\n\x01\xff", 7);
	assert_string_equal(sb.buf, "\"a\\\"b\\\\\\n\\u0001\xef\xbf\xbd\"");
	sb_free(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_ok),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_bad),
		cmocka_unit_test(test_strutil),
	};

	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
