/*
 * Parsing and printing of durations and sizes, and POSIX-shell-like word
 * splitting for `command:` strings (see units.h). No locale is consulted:
 * the decimal separator is always '.'.
 */
#include "prodd/units.h"
#include "prodd/strutil.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Read "digits[.digits]" at *p into an integer part and a fraction scaled
 * to 1e-9. Returns false when there is no digit.
 */
static bool
units_number(const char **p, uint64_t *whole, uint64_t *nano)
{
	const char *s = *p;
	uint64_t w = 0, f = 0, scale = 100000000;
	bool any = false;

	while (*s >= '0' && *s <= '9') {
		if (w > (UINT64_MAX - 9) / 10)
			w = UINT64_MAX;		/* caught as -ERANGE later */
		else
			w = w * 10 + (uint64_t)(*s - '0');
		s++;
		any = true;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			f += (uint64_t)(*s - '0') * scale;
			scale /= 10;
			s++;
			any = true;
		}
	}
	*p = s;
	*whole = w;
	*nano = f;
	return any;
}

/* whole.nano * mult, rounded, into *out; -ERANGE past INT64_MAX. */
static int
units_scale(uint64_t whole, uint64_t nano, uint64_t mult, uint64_t *out)
{
	long double v = (long double)whole * mult +
	    (long double)nano * mult / 1e9L;

	if (whole == UINT64_MAX || v > (long double)INT64_MAX)
		return -ERANGE;
	*out = (uint64_t)(v + 0.5L);
	return 0;
}

int
units_parse_duration(const char *s, int64_t *ms)
{
	static const struct { const char *name; uint64_t ms; } unit[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	const char *p = s;
	uint64_t total = 0, whole, nano, part;
	int parts = 0;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return -EINVAL;
	while (*p != '\0' && *p != ' ') {
		size_t u, best = 0, bestlen = 0;

		if (!units_number(&p, &whole, &nano))
			return -EINVAL;
		for (u = 0; u < sizeof unit / sizeof *unit; u++) {
			size_t l = strlen(unit[u].name);

			if (strncmp(p, unit[u].name, l) == 0 && l > bestlen) {
				best = u;
				bestlen = l;
			}
		}
		if (bestlen == 0) {
			/* a bare number, alone, is seconds */
			if (parts == 0 && (*p == '\0' || *p == ' ')) {
				if (units_scale(whole, nano, 1000, &part) < 0)
					return -ERANGE;
				total = part;
				parts++;
				break;
			}
			return -EINVAL;
		}
		p += bestlen;
		if (units_scale(whole, nano, unit[best].ms, &part) < 0 ||
		    total + part > (uint64_t)INT64_MAX)
			return -ERANGE;
		total += part;
		parts++;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return -EINVAL;
	*ms = (int64_t)total;
	return 0;
}

int
units_parse_size(const char *s, int64_t *bytes)
{
	const char *p = s;
	uint64_t whole, nano, mult = 1, v;

	while (*p == ' ')
		p++;
	if (!units_number(&p, &whole, &nano))
		return -EINVAL;
	while (*p == ' ')
		p++;
	switch (*p) {
	case 'k': case 'K': mult = 1ULL << 10; p++; break;
	case 'm': case 'M': mult = 1ULL << 20; p++; break;
	case 'g': case 'G': mult = 1ULL << 30; p++; break;
	case 't': case 'T': mult = 1ULL << 40; p++; break;
	default: break;
	}
	if (mult != 1 && *p == 'i')
		p++;
	if (*p == 'B' || (*p == 'b' && mult != 1))
		p++;
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return -EINVAL;
	if (units_scale(whole, nano, mult, &v) < 0)
		return -ERANGE;
	*bytes = (int64_t)v;
	return 0;
}

void
units_format_duration(int64_t ms, char *buf, size_t size)
{
	struct strbuf sb = { 0 };
	static const struct { const char *name; int64_t ms; } unit[] = {
		{ "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
	};

	if (ms == 0) {
		snprintf(buf, size, "0s");
		return;
	}
	for (size_t u = 0; u < sizeof unit / sizeof *unit; u++) {
		if (ms >= unit[u].ms) {
			sb_printf(&sb, "%lld%s", (long long)(ms / unit[u].ms),
			    unit[u].name);
			ms %= unit[u].ms;
		}
	}
	snprintf(buf, size, "%s", sb.buf);
	sb_free(&sb);
}

void
units_format_size(int64_t bytes, char *buf, size_t size)
{
	static const char suffix[] = "TGMK";

	for (int i = 0; i < 4; i++) {
		int64_t m = (int64_t)1 << (10 * (4 - i));

		if (bytes != 0 && bytes % m == 0) {
			snprintf(buf, size, "%lld%c", (long long)(bytes / m),
			    suffix[i]);
			return;
		}
	}
	snprintf(buf, size, "%lld", (long long)bytes);
}

void
units_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **a = argv; *a != NULL; a++)
		free(*a);
	free(argv);
}

int
units_split_command(const char *s, char ***argvp, size_t *argcp,
    size_t *errpos, const char **why)
{
	struct strbuf word = { 0 };
	char **argv = NULL;
	size_t argc = 0, i = 0, quote_at = 0;
	bool in_word = false;
	enum { Q_NONE, Q_SINGLE, Q_DOUBLE } q = Q_NONE;

	for (;;) {
		char c = s[i];

		if (c == '\0') {
			if (q != Q_NONE) {
				*errpos = quote_at;
				*why = q == Q_SINGLE ? "unterminated single quote"
				    : "unterminated double quote";
				goto fail;
			}
			break;
		}
		if (q == Q_SINGLE) {
			if (c == '\'')
				q = Q_NONE;
			else
				sb_putc(&word, c);
			i++;
			continue;
		}
		if (q == Q_DOUBLE) {
			if (c == '"') {
				q = Q_NONE;
			} else if (c == '\\' && s[i + 1] != '\0' &&
			    strchr("\"\\$`\n", s[i + 1]) != NULL) {
				if (s[i + 1] != '\n')
					sb_putc(&word, s[i + 1]);
				i++;
			} else {
				sb_putc(&word, c);
			}
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				argv = xreallocarray(argv, argc + 2, sizeof *argv);
				argv[argc++] = sb_steal(&word);
				argv[argc] = NULL;
				in_word = false;
			}
			i++;
			continue;
		}
		in_word = true;
		if (c == '\'' || c == '"') {
			q = c == '\'' ? Q_SINGLE : Q_DOUBLE;
			quote_at = i;
		} else if (c == '\\') {
			if (s[i + 1] == '\0') {
				*errpos = i;
				*why = "backslash at the end of the command";
				goto fail;
			}
			if (s[i + 1] != '\n')
				sb_putc(&word, s[i + 1]);
			else if (word.len == 0)
				in_word = false;
			i++;
		} else {
			sb_putc(&word, c);
		}
		i++;
	}
	if (in_word) {
		argv = xreallocarray(argv, argc + 2, sizeof *argv);
		argv[argc++] = sb_steal(&word);
		argv[argc] = NULL;
	}
	sb_free(&word);
	if (argv == NULL) {
		argv = xcalloc(1, sizeof *argv);
	}
	*argvp = argv;
	*argcp = argc;
	return 0;
fail:
	sb_free(&word);
	units_argv_free(argv);
	return -EINVAL;
}
