/*
 * libFuzzer target: the small parsers of src/common shared by the config
 * and the API -- durations, sizes, the shell-like command splitter
 * (units.c) and the UTF-8 and JSON string helpers (strutil.c) -- on any
 * bytes. Besides ASan and UBSan's own findings, it aborts when a result
 * breaks a promise of prodd/units.h or prodd/strutil.h: a parsed value is
 * never negative and reads back the same from its formatted form, a split
 * command re-quoted splits into the same words, a failed split points
 * inside the text and says why, and sb_json_str always writes valid UTF-8.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prodd/strutil.h"
#include "prodd/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
require(int cond)
{
	if (!cond)
		abort();
}

static void
check_duration(const char *s)
{
	int64_t ms = -1, back = -1;
	char out[64];
	int r = units_parse_duration(s, &ms);

	require(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r != 0)
		return;
	require(ms >= 0);
	units_format_duration(ms, out, sizeof out);
	require(units_parse_duration(out, &back) == 0 && back == ms);
}

static void
check_size(const char *s)
{
	int64_t b = -1, back = -1;
	char out[64];
	int r = units_parse_size(s, &b);

	require(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r != 0)
		return;
	require(b >= 0);
	units_format_size(b, out, sizeof out);
	require(units_parse_size(out, &back) == 0 && back == b);
}

static void
check_split(const char *s, size_t len)
{
	char **argv = NULL, **again = NULL;
	size_t argc = 0, argc2 = 0, errpos = 0;
	const char *why = NULL;
	struct strbuf q = { 0 };
	int r = units_split_command(s, &argv, &argc, &errpos, &why);

	if (r != 0) {
		require(r == -EINVAL);
		require(why != NULL && errpos <= len);
		return;
	}
	require(argv != NULL && argv[argc] == NULL);
	/* every word single-quoted ('\'' for a quote) splits back the same */
	for (size_t i = 0; i < argc; i++) {
		require(argv[i] != NULL);
		sb_puts(&q, i ? " '" : "'");
		for (const char *p = argv[i]; *p; p++)
			sb_puts(&q, *p == '\'' ? "'\\''" : (char[]){ *p, 0 });
		sb_putc(&q, '\'');
	}
	sb_putc(&q, '\0');
	require(units_split_command(q.buf, &again, &argc2, &errpos, &why) ==
	    0);
	require(argc2 == argc);
	for (size_t i = 0; i < argc; i++)
		require(strcmp(argv[i], again[i]) == 0);
	units_argv_free(again);
	units_argv_free(argv);
	sb_free(&q);
}

static void
check_utf8(const char *s, size_t len)
{
	struct strbuf sb = { 0 };
	size_t bad = utf8_first_invalid(s, len);

	require(bad <= len);
	for (size_t i = 0; i < bad;) {
		size_t n = utf8_seq_len((const unsigned char *)s + i, bad - i);

		require(n >= 1 && n <= 4 && i + n <= bad);
		i += n;
	}
	if (bad < len)
		require(utf8_seq_len((const unsigned char *)s + bad,
		    len - bad) == 0);
	sb_json_str(&sb, s, len);
	require(sb.len >= 2 && sb.buf[0] == '"' && sb.buf[sb.len - 1] == '"');
	require(strlen(sb.buf) == sb.len);
	require(utf8_first_invalid(sb.buf, sb.len) == sb.len);
	for (size_t i = 0; i < sb.len; i++)
		require((unsigned char)sb.buf[i] >= 0x20);
	sb_free(&sb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	size_t half;

	require(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	check_utf8(s, size);
	/* the C-string parsers see the text up to its first NUL */
	check_duration(s);
	check_size(s);
	check_split(s, strlen(s));
	half = strlen(s) / 2;
	{
		char *a = strndup(s, half);
		size_t d, max = 8;

		require(a != NULL);
		size_t e;

		/* symmetric (or past max both ways), 0 only for equal
		 * strings (of at most 64 bytes: longer ones are not
		 * compared) */
		d = str_edit_distance(a, s + half, max);
		e = str_edit_distance(s + half, a, max);
		require(d == e || (d > max && e > max));
		if (strlen(a) <= 64 && strlen(s + half) <= 64)
			require((d == 0) == (strcmp(a, s + half) == 0));
		free(a);
	}
	free(s);
	return 0;
}
