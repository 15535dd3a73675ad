/*
 * services.yaml's values, one scalar at a time: the error list every pass
 * reports into ("FILE:LINE:COL: message", capped), signal names, the
 * did-you-mean suggestion, and the reading of a scalar as a key's type --
 * strings, paths, integers, booleans, durations, sizes and enums with
 * their bounds, and the special scalars (host:port, URLs, signals, status
 * ranges, rates, rlimits, names) that the key tables name.
 */
#include "config-int.h"
#include "prodd/strutil.h"
#include "prodd/units.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CFG_MAX_ERRORS 200

/* ------------------------------------------------------------------ */
/* errors */

struct cfg_mark
cfg_node_mark(const yaml_node_t *n)
{
	struct cfg_mark m = { (int)n->start_mark.line + 1,
		(int)n->start_mark.column + 1 };
	return m;
}

void
cfg_err(struct pctx *p, struct cfg_mark m, const char *fmt, ...)
{
	struct strbuf sb = { 0 };
	va_list ap;

	if (p->errs->n >= CFG_MAX_ERRORS) {
		p->dropped++;
		return;
	}
	sb_printf(&sb, "%s:%d:%d: ", p->path, m.line, m.col);
	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	p->errs->v = xreallocarray(p->errs->v, p->errs->n + 1,
	    sizeof *p->errs->v);
	p->errs->v[p->errs->n].mark = m;
	p->errs->v[p->errs->n].text = sb_steal(&sb);
	p->errs->n++;
}

int
cfg_err_cmp(const void *a, const void *b)
{
	const struct cfg_error *x = a, *y = b;

	if (x->mark.line != y->mark.line)
		return x->mark.line < y->mark.line ? -1 : 1;
	if (x->mark.col != y->mark.col)
		return x->mark.col < y->mark.col ? -1 : 1;
	/* keep the order they were found in: texts are unique per place */
	return x->text < y->text ? -1 : x->text > y->text;
}

void
cfg_errors_free(struct cfg_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->v[i].text);
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

/* ------------------------------------------------------------------ */
/* signals, and the nearest of some names */

static const struct { const char *name; int num; } signal_table[] = {
	{ "SIGHUP", SIGHUP }, { "SIGINT", SIGINT }, { "SIGQUIT", SIGQUIT },
	{ "SIGABRT", SIGABRT }, { "SIGKILL", SIGKILL }, { "SIGUSR1", SIGUSR1 },
	{ "SIGUSR2", SIGUSR2 }, { "SIGPIPE", SIGPIPE }, { "SIGALRM", SIGALRM },
	{ "SIGTERM", SIGTERM }, { "SIGCONT", SIGCONT }, { "SIGSTOP", SIGSTOP },
	{ "SIGTSTP", SIGTSTP }, { "SIGWINCH", SIGWINCH }, { "SIGPWR", SIGPWR },
	{ "SIGIO", SIGIO }, { "SIGXCPU", SIGXCPU },
};

const char *
cfg_signal_name(int sig)
{
	for (size_t i = 0; i < sizeof signal_table / sizeof *signal_table; i++)
		if (signal_table[i].num == sig)
			return signal_table[i].name;
	return NULL;
}

int
cfg_signal_parse(const char *s)
{
	const char *bare = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;

	for (size_t i = 0; i < sizeof signal_table / sizeof *signal_table; i++)
		if (strcasecmp(bare, signal_table[i].name + 3) == 0)
			return signal_table[i].num;
	return -1;
}

/* The closest of names[] to s, if it is close enough to be a typo. */
const char *
cfg_suggest(const char *s, const char *const *names, size_t n)
{
	size_t best = SIZE_MAX, max = strlen(s) <= 4 ? 1 : 2;
	const char *pick = NULL;

	for (size_t i = 0; i < n; i++) {
		size_t d = str_edit_distance(s, names[i], max);

		if (d <= max && d < best) {
			best = d;
			pick = names[i];
		}
	}
	return pick;
}

/* ------------------------------------------------------------------ */
/* scalars */

const char *
cfg_kind_noun(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return "a scalar";
	}
}

const char *
cfg_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain empty, ~ or null scalar: the key is treated as absent. */
bool
cfg_is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = cfg_scalar(n);
	return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* A scalar whose text has no NUL inside (libyaml allows "\0" escapes). */
bool
cfg_want_scalar(struct pctx *p, yaml_node_t *n, const char *key,
    const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		cfg_nerr(p, n, "'%s' must be %s, not %s", key, what,
		    cfg_kind_noun(n));
		return false;
	}
	if (strlen(cfg_scalar(n)) != n->data.scalar.length) {
		cfg_nerr(p, n, "'%s' contains a NUL character", key);
		return false;
	}
	return true;
}

int
cfg_parse_int64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (*s == '\0' || *s == ' ' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

void
cfg_fmt_value(const struct kdef *k, int64_t v, char *buf, size_t size)
{
	if (k->type == K_DUR)
		units_format_duration(v, buf, size);
	else if (k->type == K_SIZE)
		units_format_size(v, buf, size);
	else
		snprintf(buf, size, "%lld", (long long)v);
}

static int
cfg_check_range(const struct kdef *k, int64_t v, const char *s, char *err,
    size_t errlen)
{
	char lo[32], hi[32];

	if (v >= k->min && v <= k->max)
		return 0;
	cfg_fmt_value(k, k->min, lo, sizeof lo);
	cfg_fmt_value(k, k->max, hi, sizeof hi);
	snprintf(err, errlen, "'%s': %s is out of range %s..%s", k->name, s,
	    lo, hi);
	return -ERANGE;
}

/* Read scalar s as key k's type into field. Bounds apply. */
int
cfg_read_scalar(const struct kdef *k, const char *s, void *field, char *err,
    size_t errlen)
{
	int64_t v;
	int rc;

	switch (k->type) {
	case K_STR:
	case K_PATH:
		if (s[0] == '\0') {
			snprintf(err, errlen, "'%s' must not be empty", k->name);
			return -EINVAL;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(s);
		return 0;
	case K_INT:
		rc = cfg_parse_int64(s, &v);
		if (rc == -EINVAL) {
			snprintf(err, errlen, "'%s' must be an integer, got '%s'",
			    k->name, s);
			return rc;
		}
		if (rc == -ERANGE)
			v = s[0] == '-' ? INT64_MIN : INT64_MAX;
		if ((rc = cfg_check_range(k, v, s, err, errlen)) < 0)
			return rc;
		*(int *)field = (int)v;
		return 0;
	case K_BOOL:
		if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
		    strcmp(s, "TRUE") == 0) {
			*(bool *)field = true;
			return 0;
		}
		if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
		    strcmp(s, "FALSE") == 0) {
			*(bool *)field = false;
			return 0;
		}
		snprintf(err, errlen, "'%s' must be true or false, got '%s'",
		    k->name, s);
		return -EINVAL;
	case K_DUR:
		rc = units_parse_duration(s, &v);
		if (rc == -EINVAL) {
			snprintf(err, errlen, "'%s': bad duration '%s' (write "
			    "seconds, or a number with ms, s, m or h: '1.5s', "
			    "'250ms', '5m')", k->name, s);
			return rc;
		}
		if (rc < 0) {
			snprintf(err, errlen, "'%s': duration '%s' is too long",
			    k->name, s);
			return rc;
		}
		if ((rc = cfg_check_range(k, v, s, err, errlen)) < 0)
			return rc;
		*(int64_t *)field = v;
		return 0;
	case K_SIZE:
		rc = units_parse_size(s, &v);
		if (rc == -EINVAL) {
			snprintf(err, errlen, "'%s': bad size '%s' (write bytes, "
			    "or a number with K, M or G: '512M', '2G')", k->name,
			    s);
			return rc;
		}
		if (rc < 0) {
			snprintf(err, errlen, "'%s': size '%s' is too large",
			    k->name, s);
			return rc;
		}
		if ((rc = cfg_check_range(k, v, s, err, errlen)) < 0)
			return rc;
		*(int64_t *)field = v;
		return 0;
	case K_ENUM:
		for (int i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(s, k->choices[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		{
			struct strbuf sb = { 0 };
			size_t n = 0;
			const char *near;

			for (; k->choices[n] != NULL; n++)
				sb_printf(&sb, "%s%s", n ? ", " : "",
				    k->choices[n]);
			near = cfg_suggest(s, k->choices, n);
			if (near != NULL)
				snprintf(err, errlen, "'%s': unknown value '%s'; "
				    "did you mean '%s'? (one of %s)", k->name, s,
				    near, sb.buf);
			else
				snprintf(err, errlen, "'%s': unknown value '%s' "
				    "(one of %s)", k->name, s, sb.buf);
			sb_free(&sb);
		}
		return -EINVAL;
	case K_SPECIAL:
		return k->scalar(s, field, k, err, errlen);
	case K_SECTION:
		break;
	}
	snprintf(err, errlen, "'%s': internal error", k->name);
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* special scalars: each also reads its default from the table */

static int
cfg_read_port(const char *s, int *port)
{
	int64_t v;

	if (cfg_parse_int64(s, &v) < 0 || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* "host:port", "[v6]:port", or a bare port (host then stays NULL). */
static int
cfg_split_hostport(const char *s, char **host, int *port, const char *key,
    char *err, size_t errlen)
{
	const char *colon, *ps;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':') {
			snprintf(err, errlen, "'%s': bad address '%s' (write "
			    "host:port, or [v6-address]:port)", key, s);
			return -EINVAL;
		}
		ps = close + 2;
		if (cfg_read_port(ps, port) < 0)
			goto badport;
		*host = xstrndup(s + 1, (size_t)(close - s - 1));
		return 0;
	}
	colon = strrchr(s, ':');
	if (colon == NULL) {
		if (cfg_read_port(s, port) < 0) {
			snprintf(err, errlen, "'%s': bad address '%s' (write "
			    "host:port)", key, s);
			return -EINVAL;
		}
		*host = NULL;
		return 0;
	}
	if (colon == s || strchr(s, ':') != colon) {
		snprintf(err, errlen, "'%s': bad address '%s' (write host:port, "
		    "or [v6-address]:port)", key, s);
		return -EINVAL;
	}
	ps = colon + 1;
	if (cfg_read_port(ps, port) < 0)
		goto badport;
	*host = xstrndup(s, (size_t)(colon - s));
	for (const char *c = *host; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' ||
		    *c == '_')) {
			snprintf(err, errlen, "'%s': bad host name '%s'", key,
			    *host);
			free(*host);
			*host = NULL;
			return -EINVAL;
		}
	}
	return 0;
badport:
	snprintf(err, errlen, "'%s': bad port '%s' in '%s' (1..65535)", key, ps,
	    s);
	return -EINVAL;
}

int
cfg_scalar_listen(const char *s, void *field, const struct kdef *k, char *err,
    size_t errlen)
{
	struct cfg_daemon *d = (struct cfg_daemon *)((char *)field - k->off);
	char *host;
	int port;

	if (cfg_split_hostport(s, &host, &port, k->name, err, errlen) < 0)
		return -EINVAL;
	free(d->listen_host);
	d->listen_host = host ? host : xstrdup("127.0.0.1");
	d->listen_port = port;
	return 0;
}

int
cfg_scalar_tcp(const char *s, void *field, const struct kdef *k, char *err,
    size_t errlen)
{
	struct cfg_health *h = (struct cfg_health *)((char *)field - k->off);
	char *host;
	int port;

	if (cfg_split_hostport(s, &host, &port, k->name, err, errlen) < 0)
		return -EINVAL;
	free(h->tcp_host);
	h->tcp_host = host ? host : xstrdup("127.0.0.1");
	h->tcp_port = port;
	return 0;
}

/* http://host[:port][/path...] or https://; no user info, no fragment. */
int
cfg_check_url(const char *s, const char *key, char *err, size_t errlen)
{
	const char *rest, *hostend, *why = NULL;
	size_t hostlen;

	if (strncmp(s, "http://", 7) == 0)
		rest = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		rest = s + 8;
	else {
		snprintf(err, errlen, "'%s': bad URL '%s': it must start with "
		    "http:// or https://", key, s);
		return -EINVAL;
	}
	hostend = rest + strcspn(rest, "/?#");
	hostlen = (size_t)(hostend - rest);
	if (hostlen == 0)
		why = "no host";
	else if (memchr(rest, '@', hostlen) != NULL)
		why = "user names and passwords are not supported";
	else if (strchr(s, '#') != NULL)
		why = "a #fragment is not sent to a server";
	else if (strpbrk(s, " \t\r\n") != NULL)
		why = "spaces must be written %20";
	else {
		char *hp = xstrndup(rest, hostlen), *host = NULL;
		int port;
		char sub[256];

		if (strchr(hp, ':') != NULL || hp[0] == '[') {
			if (cfg_split_hostport(hp, &host, &port, key, sub,
			    sizeof sub) < 0)
				why = "bad host or port";
			else if (host == NULL || host[0] == '\0')
				why = "no host";
		} else {
			for (const char *c = hp; *c; c++)
				if (!((*c >= 'a' && *c <= 'z') ||
				    (*c >= 'A' && *c <= 'Z') ||
				    (*c >= '0' && *c <= '9') || *c == '.' ||
				    *c == '-' || *c == '_'))
					why = "bad host name";
		}
		free(host);
		free(hp);
	}
	if (why != NULL) {
		snprintf(err, errlen, "'%s': bad URL '%s': %s", key, s, why);
		return -EINVAL;
	}
	return 0;
}

int
cfg_scalar_url(const char *s, void *field, const struct kdef *k, char *err,
    size_t errlen)
{
	if (cfg_check_url(s, k->name, err, errlen) < 0)
		return -EINVAL;
	free(*(char **)field);
	*(char **)field = xstrdup(s);
	return 0;
}

int
cfg_scalar_signal(const char *s, void *field, const struct kdef *k, char *err,
    size_t errlen)
{
	int sig = cfg_signal_parse(s);

	if (sig < 0) {
		const char *names[sizeof signal_table / sizeof *signal_table];
		const char *near;
		char up[64];
		size_t n = sizeof names / sizeof *names, i;

		for (i = 0; i < n; i++)
			names[i] = signal_table[i].name;
		/* compare as "SIGXXX" in upper case */
		memcpy(up, "SIG", 4);
		i = strncasecmp(s, "SIG", 3) == 0 ? 3 : 0;
		for (size_t j = 3; s[i] && j < sizeof up - 1; i++, j++) {
			up[j] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 :
			    s[i]);
			up[j + 1] = '\0';
		}
		near = cfg_suggest(up, names, n);
		if (near != NULL)
			snprintf(err, errlen, "'%s': unknown signal '%s'; did you "
			    "mean '%s'?", k->name, s, near);
		else
			snprintf(err, errlen, "'%s': unknown signal '%s' (e.g. "
			    "SIGTERM, SIGINT, SIGQUIT)", k->name, s);
		return -EINVAL;
	}
	*(int *)field = sig;
	return 0;
}

/* "200", "200-299". */
int
cfg_scalar_status(const char *s, void *field, const struct kdef *k, char *err,
    size_t errlen)
{
	struct cfg_health *h = (struct cfg_health *)((char *)field - k->off);
	int64_t lo, hi;
	const char *dash = strchr(s, '-');
	int ok;

	if (dash == NULL) {
		ok = cfg_parse_int64(s, &lo) == 0;
		hi = lo;
	} else {
		char *a = xstrndup(s, (size_t)(dash - s));

		ok = cfg_parse_int64(a, &lo) == 0 &&
		    cfg_parse_int64(dash + 1, &hi) == 0;
		free(a);
	}
	if (!ok || lo < 100 || hi > 599 || lo > hi) {
		snprintf(err, errlen, "'%s': bad status '%s' (write a code "
		    "100..599 or a range such as 200-299)", k->name, s);
		return -EINVAL;
	}
	h->expect_lo = (int)lo;
	h->expect_hi = (int)hi;
	return 0;
}

/*
 * A rate "N/UNIT" (UNIT s, sec, second, m, min, minute, h, hour) or, with
 * any_window, "N/DURATION" (1 s to 7 days, e.g. 5/10s): N 1..1000000 into
 * *n and the period in ms into *win_ms; -1 when s is no such rate.
 */
int
cfg_parse_rate(const char *s, bool any_window, int64_t *n, int64_t *win_ms)
{
	const char *slash = strchr(s, '/'), *u;
	char *num;
	int64_t win = -1;

	if (slash == NULL)
		return -1;
	num = xstrndup(s, (size_t)(slash - s));
	if (cfg_parse_int64(num, n) < 0 || *n < 1 || *n > 1000000)
		*n = -1;
	free(num);
	u = slash + 1;
	if (strcmp(u, "s") == 0 || strcmp(u, "sec") == 0 ||
	    strcmp(u, "second") == 0)
		win = 1000;
	else if (strcmp(u, "m") == 0 || strcmp(u, "min") == 0 ||
	    strcmp(u, "minute") == 0)
		win = 60000;
	else if (strcmp(u, "h") == 0 || strcmp(u, "hour") == 0)
		win = 3600000;
	else if (any_window && (units_parse_duration(u, &win) < 0 ||
	    win < 1000 || win > 7LL * 86400000))
		win = -1;
	if (*n < 1 || win < 1)
		return -1;
	*win_ms = win;
	return 0;
}

/* "600/min", "10/s", "0" (off). */
int
cfg_scalar_rate(const char *s, void *field, const struct kdef *k, char *err,
    size_t errlen)
{
	struct cfg_daemon *d = (struct cfg_daemon *)((char *)field - k->off);
	int64_t n, win;

	if (strcmp(s, "0") == 0 || strcmp(s, "off") == 0) {
		d->rate_limit = 0;
		d->rate_window_ms = 60000;
		return 0;
	}
	if (cfg_parse_rate(s, false, &n, &win) == 0) {
		d->rate_limit = (int)n;
		d->rate_window_ms = win;
		return 0;
	}
	snprintf(err, errlen, "'%s': bad rate '%s' (write N/s, N/min or N/h "
	    "with N 1..1000000, or 0 for no limit)", k->name, s);
	return -EINVAL;
}

/* An rlimit: a count/size, or "unlimited". */
int
cfg_scalar_rlimit(const char *s, void *field, const struct kdef *k, char *err,
    size_t errlen)
{
	int64_t v;

	if (strcmp(s, "unlimited") == 0 || strcmp(s, "infinity") == 0) {
		*(int64_t *)field = INT64_MAX;
		return 0;
	}
	if (units_parse_size(s, &v) < 0 || v < k->min || v > k->max) {
		snprintf(err, errlen, "'%s': bad limit '%s' (a number %lld.."
		    "%lld, or unlimited)", k->name, s, (long long)k->min,
		    (long long)k->max);
		return -EINVAL;
	}
	*(int64_t *)field = v;
	return 0;
}

static bool
cfg_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CFG_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

int
cfg_scalar_name(const char *s, void *field, const struct kdef *k, char *err,
    size_t errlen)
{
	(void)k;
	if (!cfg_name_ok(s)) {
		snprintf(err, errlen, "invalid service name '%s': use 1-63 "
		    "characters of a-z 0-9 . _ -, starting with a letter or "
		    "digit", s);
		return -EINVAL;
	}
	free(*(char **)field);
	*(char **)field = xstrdup(s);
	return 0;
}

/* A user or group: a POSIX-ish name or a number. */
int
cfg_scalar_account(const char *s, void *field, const struct kdef *k, char *err,
    size_t errlen)
{
	size_t n = strlen(s);
	bool ok = n > 0 && n <= 32;

	for (size_t i = 0; ok && i < n; i++) {
		char c = s[i];

		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    (c == '-' && i > 0) || (c == '$' && i == n - 1);
	}
	if (!ok) {
		snprintf(err, errlen, "'%s': bad %s name '%s'", k->name,
		    k->name, s);
		return -EINVAL;
	}
	free(*(char **)field);
	*(char **)field = xstrdup(s);
	return 0;
}
