/*
 * services.yaml loader and validator. The file is checked in three passes:
 * bytes (size, UTF-8), YAML events (syntax, aliases, one document), then the
 * document tree against the key tables below, which name every key once
 * with its type, default, bounds and description. Every problem found is
 * recorded as "FILE:LINE:COL: message" and the walk goes on, so one run
 * reports all of a file's errors; a file with any error yields no config.
 * Cross-service rules (duplicate names, unknown dependencies, cycles) run
 * last, over the whole list.
 */
#include "prodd/config.h"
#include "prodd/graph.h"
#include "prodd/fileio.h"
#include "prodd/strutil.h"
#include "prodd/units.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define CFG_MAX_ERRORS 200
#define CFG_MAX_KEYS 48

struct pctx {
	const char *path;
	yaml_document_t *doc;
	struct cfg_errors *errs;
	size_t dropped;
	struct cfg *cfg;
	const struct cfg_context *ctx;
};

struct kdef;
typedef void (*special_fn)(struct pctx *, yaml_node_t *, void *,
    const struct kdef *);
typedef int (*scalar_fn)(const char *, void *, const struct kdef *, char *,
    size_t);

enum ktype { K_STR, K_PATH, K_INT, K_BOOL, K_DUR, K_SIZE, K_ENUM, K_SECTION,
	K_SPECIAL };

struct section;

/* One key of a mapping: how to read it, where to store it, its default. */
struct kdef {
	const char *name;
	enum ktype type;
	size_t off;			/* into the section's object */
	const char *def;		/* default, as the file would write it */
	int64_t min, max;		/* K_INT, K_DUR (ms), K_SIZE (bytes) */
	const char *const *choices;	/* K_ENUM, NULL-terminated */
	const struct section *sub;	/* K_SECTION */
	special_fn special;		/* K_SPECIAL: reads the node */
	scalar_fn scalar;		/* K_SPECIAL: reads a scalar (defaults) */
	const char *type_doc;
	const char *doc;
};

/* A mapping's keys, and what to check once all of them are read. */
struct section {
	const char *name;
	const struct kdef *keys;
	size_t nkeys;
	void (*init)(void *obj);
	void (*check)(struct pctx *, void *obj, yaml_node_t *map,
	    yaml_node_t *const *seen);
};

/* ------------------------------------------------------------------ */
/* errors */

static struct cfg_mark
cfg_node_mark(const yaml_node_t *n)
{
	struct cfg_mark m = { (int)n->start_mark.line + 1,
		(int)n->start_mark.column + 1 };
	return m;
}

static void __attribute__((format(printf, 3, 4)))
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

#define cfg_nerr(p, node, ...) cfg_err((p), cfg_node_mark(node), __VA_ARGS__)

static int
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
/* names */

static const char *const type_names[] = { "process", "fastapi", "docker",
	"systemd", NULL };
static const char *const restart_names[] = { "always", "on-failure", "never",
	NULL };
static const char *const backoff_names[] = { "fixed", "exponential", NULL };
static const char *const condition_names[] = { "started", "healthy",
	"completed", NULL };
static const char *const on_unhealthy_names[] = { "restart", "ignore", NULL };
static const char *const health_kind_names[] = { "none", "url", "tcp", "exec",
	NULL };
static const char *const log_level_names[] = { "error", "warn", "notice",
	"info", "debug", NULL };
static const char *const alert_names[] = { "service_failed", "restart_loop",
	"unhealthy", "health_slow", "high_cpu", "high_memory", "disk_full",
	NULL };

const char *cfg_type_name(enum cfg_svc_type t) { return type_names[t]; }
const char *cfg_restart_name(enum cfg_restart r) { return restart_names[r]; }
const char *cfg_condition_name(enum cfg_condition c) { return condition_names[c]; }
const char *cfg_health_kind_name(enum cfg_health_kind k) { return health_kind_names[k]; }
const char *cfg_alert_kind_name(enum cfg_alert_kind k) { return alert_names[k]; }

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
static const char *
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

static const char *
cfg_kind_noun(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return "a scalar";
	}
}

static const char *
cfg_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain empty, ~ or null scalar: the key is treated as absent. */
static bool
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
static bool
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

static int
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

static void
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
static int
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

static int
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

static int
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
static int
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

static int
cfg_scalar_url(const char *s, void *field, const struct kdef *k, char *err,
    size_t errlen)
{
	if (cfg_check_url(s, k->name, err, errlen) < 0)
		return -EINVAL;
	free(*(char **)field);
	*(char **)field = xstrdup(s);
	return 0;
}

static int
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
static int
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

/* "600/min", "10/s", "0" (off). */
static int
cfg_scalar_rate(const char *s, void *field, const struct kdef *k, char *err,
    size_t errlen)
{
	struct cfg_daemon *d = (struct cfg_daemon *)((char *)field - k->off);
	const char *slash = strchr(s, '/');
	int64_t n, win = 0;

	if (strcmp(s, "0") == 0 || strcmp(s, "off") == 0) {
		d->rate_limit = 0;
		d->rate_window_ms = 60000;
		return 0;
	}
	if (slash != NULL) {
		char *num = xstrndup(s, (size_t)(slash - s));
		const char *u = slash + 1;

		if (cfg_parse_int64(num, &n) < 0 || n < 1 || n > 1000000)
			n = -1;
		free(num);
		if (strcmp(u, "s") == 0 || strcmp(u, "sec") == 0 ||
		    strcmp(u, "second") == 0)
			win = 1000;
		else if (strcmp(u, "m") == 0 || strcmp(u, "min") == 0 ||
		    strcmp(u, "minute") == 0)
			win = 60000;
		else if (strcmp(u, "h") == 0 || strcmp(u, "hour") == 0)
			win = 3600000;
		if (n > 0 && win > 0) {
			d->rate_limit = (int)n;
			d->rate_window_ms = win;
			return 0;
		}
	}
	snprintf(err, errlen, "'%s': bad rate '%s' (write N/s, N/min or N/h "
	    "with N 1..1000000, or 0 for no limit)", k->name, s);
	return -EINVAL;
}

/* An rlimit: a count/size, or "unlimited". */
static int
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

static int
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
static int
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

/* ------------------------------------------------------------------ */
/* the generic mapping walk */

static void cfg_parse_section(struct pctx *p, const struct section *sec,
    yaml_node_t *map, void *obj, const char *where);

static void
cfg_section_defaults(const struct section *sec, void *obj)
{
	char err[256];

	if (sec->init != NULL)
		sec->init(obj);
	for (size_t i = 0; i < sec->nkeys; i++) {
		const struct kdef *k = &sec->keys[i];

		if (k->type == K_SECTION)
			cfg_section_defaults(k->sub, (char *)obj + k->off);
		else if (k->def != NULL &&
		    cfg_read_scalar(k, k->def, (char *)obj + k->off, err,
		    sizeof err) < 0)
			abort();	/* a broken table: caught by the tests */
	}
}

static void
cfg_read_key(struct pctx *p, const struct kdef *k, yaml_node_t *val, void *obj)
{
	void *field = (char *)obj + k->off;
	char err[512];

	switch (k->type) {
	case K_SECTION:
		if (val->type != YAML_MAPPING_NODE) {
			cfg_nerr(p, val, "'%s' must be a mapping, not %s",
			    k->name, cfg_kind_noun(val));
			return;
		}
		cfg_parse_section(p, k->sub, val, field, k->name);
		return;
	case K_SPECIAL:
		if (k->special != NULL) {
			k->special(p, val, obj, k);
			return;
		}
		break;
	default:
		break;
	}
	if (!cfg_want_scalar(p, val, k->name, k->type_doc))
		return;
	err[0] = '\0';
	if (cfg_read_scalar(k, cfg_scalar(val), field, err, sizeof err) < 0)
		cfg_nerr(p, val, "%s", err);
	else if (k->type == K_PATH && *(char **)field != NULL &&
	    (*(char **)field)[0] != '/') {
		char *rel = *(char **)field;

		*(char **)field = strcmp(p->cfg->dir, ".") == 0 ? xstrdup(rel) :
		    xasprintf("%s/%s", p->cfg->dir, rel);
		free(rel);
	}
}

static void
cfg_unknown_key(struct pctx *p, const struct section *sec, yaml_node_t *key,
    const char *where)
{
	const char *names[CFG_MAX_KEYS], *s = cfg_scalar(key), *near;

	for (size_t i = 0; i < sec->nkeys; i++)
		names[i] = sec->keys[i].name;
	near = cfg_suggest(s, names, sec->nkeys);
	if (near != NULL)
		cfg_nerr(p, key, "unknown key '%s' in %s; did you mean '%s'?",
		    s, where, near);
	else
		cfg_nerr(p, key, "unknown key '%s' in %s", s, where);
}

static void
cfg_parse_section(struct pctx *p, const struct section *sec, yaml_node_t *map,
    void *obj, const char *where)
{
	yaml_node_t *seen[CFG_MAX_KEYS] = { 0 };
	yaml_node_pair_t *pair;

	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(p->doc, pair->key);
		yaml_node_t *val = yaml_document_get_node(p->doc, pair->value);
		size_t i;

		if (key->type != YAML_SCALAR_NODE)
			continue;	/* reported by cfg_check_mappings */
		for (i = 0; i < sec->nkeys; i++)
			if (strcmp(sec->keys[i].name, cfg_scalar(key)) == 0)
				break;
		if (i == sec->nkeys) {
			cfg_unknown_key(p, sec, key, where);
			continue;
		}
		if (seen[i] != NULL)
			continue;	/* duplicate: reported already */
		if (cfg_is_null(val))
			continue;
		seen[i] = key;
		cfg_read_key(p, &sec->keys[i], val, obj);
	}
	if (sec->check != NULL)
		sec->check(p, obj, map, seen);
}

/* Index of key name in sec, for the check functions' seen[] lookups. */
static size_t
cfg_key_index(const struct section *sec, const char *name)
{
	for (size_t i = 0; i < sec->nkeys; i++)
		if (strcmp(sec->keys[i].name, name) == 0)
			return i;
	abort();
}

/* ------------------------------------------------------------------ */
/* lists and special nodes */

static void
cfg_strv_push(struct cfg_strv *sv, const char *s)
{
	sv->v = xreallocarray(sv->v, sv->n + 1, sizeof *sv->v);
	sv->v[sv->n++] = xstrdup(s);
}

static void
cfg_strv_free(struct cfg_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

/*
 * A list of scalars (a single scalar counts as a list of one). check, when
 * given, validates each item and returns an error message or NULL.
 */
static void
cfg_read_strlist(struct pctx *p, yaml_node_t *val, struct cfg_strv *out,
    const char *key, const char *(*check)(const char *, char *, size_t))
{
	yaml_node_item_t *it;
	char err[256];

	cfg_strv_free(out);
	if (val->type == YAML_SCALAR_NODE) {
		if (!cfg_want_scalar(p, val, key, "a list"))
			return;
		if (check && check(cfg_scalar(val), err, sizeof err) != NULL)
			cfg_nerr(p, val, "'%s': %s", key, err);
		else
			cfg_strv_push(out, cfg_scalar(val));
		return;
	}
	if (val->type != YAML_SEQUENCE_NODE) {
		cfg_nerr(p, val, "'%s' must be a list, not %s", key,
		    cfg_kind_noun(val));
		return;
	}
	for (it = val->data.sequence.items.start;
	    it < val->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(p->doc, *it);

		if (!cfg_want_scalar(p, n, key, "a list of strings"))
			continue;
		if (check && check(cfg_scalar(n), err, sizeof err) != NULL)
			cfg_nerr(p, n, "'%s': %s", key, err);
		else
			cfg_strv_push(out, cfg_scalar(n));
	}
}

static const char *
cfg_check_origin(const char *s, char *err, size_t errlen)
{
	if (cfg_check_url(s, "origin", err, errlen) < 0)
		return err;
	if (strchr(strstr(s, "://") + 3, '/') != NULL) {
		snprintf(err, errlen, "bad origin '%s': an origin has no path "
		    "(e.g. https://ops.example.com)", s);
		return err;
	}
	return NULL;
}

static const char *
cfg_check_abspath(const char *s, char *err, size_t errlen)
{
	if (s[0] != '/') {
		snprintf(err, errlen, "'%s' is not an absolute path", s);
		return err;
	}
	return NULL;
}

static const char *
cfg_check_hostname(const char *s, char *err, size_t errlen)
{
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' ||
		    *c == ':' || *c == '[' || *c == ']')) {
			snprintf(err, errlen, "bad host name '%s'", s);
			return err;
		}
	if (s[0] == '\0') {
		snprintf(err, errlen, "empty host name");
		return err;
	}
	return NULL;
}

static void
cfg_sp_cors(struct pctx *p, yaml_node_t *val, void *obj, const struct kdef *k)
{
	cfg_read_strlist(p, val, (struct cfg_strv *)((char *)obj + k->off),
	    k->name, cfg_check_origin);
}

static void
cfg_sp_hosts(struct pctx *p, yaml_node_t *val, void *obj, const struct kdef *k)
{
	cfg_read_strlist(p, val, (struct cfg_strv *)((char *)obj + k->off),
	    k->name, cfg_check_hostname);
}

static void
cfg_sp_disks(struct pctx *p, yaml_node_t *val, void *obj, const struct kdef *k)
{
	cfg_read_strlist(p, val, (struct cfg_strv *)((char *)obj + k->off),
	    k->name, cfg_check_abspath);
}

/* A command: a string split like a shell, or a list of words. */
static char **
cfg_read_argv(struct pctx *p, yaml_node_t *val, const char *key, size_t *argc,
    char **as_string)
{
	char **argv = NULL;

	*argc = 0;
	if (as_string != NULL)
		*as_string = NULL;
	if (val->type == YAML_SCALAR_NODE) {
		size_t pos;
		const char *why;

		if (!cfg_want_scalar(p, val, key, "a string or a list"))
			return NULL;
		if (units_split_command(cfg_scalar(val), &argv, argc, &pos,
		    &why) < 0) {
			cfg_nerr(p, val, "'%s': %s at character %zu of '%s'",
			    key, why, pos + 1, cfg_scalar(val));
			return NULL;
		}
		if (as_string != NULL)
			*as_string = xstrdup(cfg_scalar(val));
	} else if (val->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;
		bool bad = false;

		argv = xcalloc(1, sizeof *argv);
		for (it = val->data.sequence.items.start;
		    it < val->data.sequence.items.top; it++) {
			yaml_node_t *n = yaml_document_get_node(p->doc, *it);

			if (!cfg_want_scalar(p, n, key, "a list of strings")) {
				bad = true;
				continue;
			}
			argv = xreallocarray(argv, *argc + 2, sizeof *argv);
			argv[(*argc)++] = xstrdup(cfg_scalar(n));
			argv[*argc] = NULL;
		}
		if (bad) {
			units_argv_free(argv);
			*argc = 0;
			return NULL;
		}
	} else {
		cfg_nerr(p, val, "'%s' must be a string or a list, not %s", key,
		    cfg_kind_noun(val));
		return NULL;
	}
	if (*argc == 0 || argv[0][0] == '\0') {
		cfg_nerr(p, val, "'%s' is empty", key);
		units_argv_free(argv);
		if (as_string != NULL) {
			free(*as_string);
			*as_string = NULL;
		}
		*argc = 0;
		return NULL;
	}
	return argv;
}

static void
cfg_sp_command(struct pctx *p, yaml_node_t *val, void *obj,
    const struct kdef *k)
{
	struct cfg_service *s = obj;

	(void)k;
	units_argv_free(s->argv);
	free(s->command);
	s->argv = cfg_read_argv(p, val, "command", &s->argc, &s->command);
}

static void
cfg_sp_exec(struct pctx *p, yaml_node_t *val, void *obj, const struct kdef *k)
{
	struct cfg_health *h = obj;
	size_t argc;

	(void)k;
	units_argv_free(h->exec_argv);
	h->exec_argv = cfg_read_argv(p, val, "exec", &argc, NULL);
}

static bool
cfg_env_key_ok(const char *s)
{
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	    s[0] == '_'))
		return false;
	for (const char *c = s + 1; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || *c == '_'))
			return false;
	return true;
}

static void
cfg_sp_environment(struct pctx *p, yaml_node_t *val, void *obj,
    const struct kdef *k)
{
	struct cfg_service *s = obj;
	yaml_node_pair_t *pair;

	(void)k;
	if (val->type != YAML_MAPPING_NODE) {
		cfg_nerr(p, val, "'environment' must be a mapping of NAME: value, "
		    "not %s", cfg_kind_noun(val));
		return;
	}
	for (pair = val->data.mapping.pairs.start;
	    pair < val->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(p->doc, pair->key);
		yaml_node_t *vn = yaml_document_get_node(p->doc, pair->value);

		if (kn->type != YAML_SCALAR_NODE)
			continue;
		if (!cfg_env_key_ok(cfg_scalar(kn))) {
			cfg_nerr(p, kn, "'environment': bad variable name '%s' "
			    "(letters, digits and _, not starting with a digit)",
			    cfg_scalar(kn));
			continue;
		}
		if (vn->type != YAML_SCALAR_NODE) {
			cfg_nerr(p, vn, "'environment': the value of '%s' must be "
			    "a string, not %s", cfg_scalar(kn), cfg_kind_noun(vn));
			continue;
		}
		if (strlen(cfg_scalar(vn)) != vn->data.scalar.length) {
			cfg_nerr(p, vn, "'environment': the value of '%s' contains "
			    "a NUL character", cfg_scalar(kn));
			continue;
		}
		s->env = xreallocarray(s->env, s->nenv + 1, sizeof *s->env);
		s->env[s->nenv].key = xstrdup(cfg_scalar(kn));
		s->env[s->nenv].value = xstrdup(cfg_is_null(vn) ? "" :
		    cfg_scalar(vn));
		s->nenv++;
	}
}

static void
cfg_dep_push(struct cfg_service *s, const char *name, enum cfg_condition c,
    struct cfg_mark m)
{
	s->deps = xreallocarray(s->deps, s->ndeps + 1, sizeof *s->deps);
	s->deps[s->ndeps].name = xstrdup(name);
	s->deps[s->ndeps].condition = c;
	s->deps[s->ndeps].mark = m;
	s->ndeps++;
}

/* dependencies: [a, b] -- each with condition healthy. */
static void
cfg_sp_dependencies(struct pctx *p, yaml_node_t *val, void *obj,
    const struct kdef *k)
{
	struct cfg_service *s = obj;
	yaml_node_item_t *it;

	(void)k;
	if (val->type == YAML_SCALAR_NODE) {
		if (cfg_want_scalar(p, val, "dependencies", "a list"))
			cfg_dep_push(s, cfg_scalar(val), CFG_COND_HEALTHY,
			    cfg_node_mark(val));
		return;
	}
	if (val->type != YAML_SEQUENCE_NODE) {
		cfg_nerr(p, val, "'dependencies' must be a list of service names, "
		    "not %s", cfg_kind_noun(val));
		return;
	}
	for (it = val->data.sequence.items.start;
	    it < val->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(p->doc, *it);

		if (cfg_want_scalar(p, n, "dependencies", "a service name"))
			cfg_dep_push(s, cfg_scalar(n), CFG_COND_HEALTHY,
			    cfg_node_mark(n));
	}
}

static const struct kdef depcond_keys[] = {
	{ .name = "condition", .type = K_ENUM, .off = 0, .def = "healthy",
	  .choices = condition_names, .type_doc = "started|healthy|completed",
	  .doc = "What the dependency must reach before this service starts: "
		 "started (spawned and alive), healthy (its health check "
		 "passed, or alive ready_after without one), completed "
		 "(exited 0)." },
};
static const struct section depcond_section = {
	"depends_on entry", depcond_keys, 1, NULL, NULL,
};

/* depends_on: { a: {condition: healthy}, b: started, c: } */
static void
cfg_sp_depends_on(struct pctx *p, yaml_node_t *val, void *obj,
    const struct kdef *k)
{
	struct cfg_service *s = obj;
	yaml_node_pair_t *pair;

	(void)k;
	if (val->type != YAML_MAPPING_NODE) {
		cfg_nerr(p, val, "'depends_on' must be a mapping of service: "
		    "{condition: ...}, not %s (for a plain list, use "
		    "'dependencies')", cfg_kind_noun(val));
		return;
	}
	for (pair = val->data.mapping.pairs.start;
	    pair < val->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(p->doc, pair->key);
		yaml_node_t *vn = yaml_document_get_node(p->doc, pair->value);
		int cond = CFG_COND_HEALTHY;
		char err[256];

		if (kn->type != YAML_SCALAR_NODE)
			continue;
		if (vn->type == YAML_MAPPING_NODE) {
			cfg_parse_section(p, &depcond_section, vn, &cond,
			    "a depends_on entry");
		} else if (!cfg_is_null(vn)) {
			if (!cfg_want_scalar(p, vn, cfg_scalar(kn),
			    "a mapping {condition: ...}"))
				continue;
			if (cfg_read_scalar(&depcond_keys[0], cfg_scalar(vn),
			    &cond, err, sizeof err) < 0) {
				cfg_nerr(p, vn, "%s", err);
				continue;
			}
		}
		cfg_dep_push(s, cfg_scalar(kn), (enum cfg_condition)cond,
		    cfg_node_mark(kn));
	}
}

static void
cfg_sp_auto_restart(struct pctx *p, yaml_node_t *val, void *obj,
    const struct kdef *k)
{
	struct cfg_service *s = obj;
	static const struct kdef b = { .name = "auto_restart", .type = K_BOOL };
	bool on;
	char err[256];

	(void)k;
	if (!cfg_want_scalar(p, val, "auto_restart", "true or false"))
		return;
	if (cfg_read_scalar(&b, cfg_scalar(val), &on, err, sizeof err) < 0) {
		cfg_nerr(p, val, "%s", err);
		return;
	}
	s->restart = on ? CFG_RESTART_ALWAYS : CFG_RESTART_NEVER;
}

static void
cfg_sp_health_url(struct pctx *p, yaml_node_t *val, void *obj,
    const struct kdef *k)
{
	struct cfg_service *s = obj;
	char err[512];

	if (!cfg_want_scalar(p, val, k->name, "a URL"))
		return;
	if (cfg_scalar_url(cfg_scalar(val), &s->health.url, k, err,
	    sizeof err) < 0) {
		cfg_nerr(p, val, "%s", err);
		return;
	}
	s->health.kind = CFG_HEALTH_URL;
}

/* A key that the section's check function reads itself. */
static void
cfg_sp_later(struct pctx *p, yaml_node_t *val, void *obj, const struct kdef *k)
{
	(void)obj;
	cfg_want_scalar(p, val, k->name, k->type_doc);
}

/* ------------------------------------------------------------------ */
/* the tables */

#define OFF(type, field) offsetof(type, field)

static const struct kdef tls_keys[] = {
	{ "cert", K_PATH, OFF(struct cfg_daemon, tls_cert), NULL, 0, 0, NULL,
	  NULL, NULL, NULL, "path", "PEM certificate chain for HTTPS/WSS." },
	{ "key", K_PATH, OFF(struct cfg_daemon, tls_key), NULL, 0, 0, NULL,
	  NULL, NULL, NULL, "path", "PEM private key for cert." },
};

static void
cfg_check_tls(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen)
{
	struct cfg_daemon *d = obj;

	(void)seen;
	if ((d->tls_cert == NULL) != (d->tls_key == NULL))
		cfg_nerr(p, map, "'tls' needs both 'cert' and 'key'");
}

static const struct section tls_section = {
	"tls", tls_keys, sizeof tls_keys / sizeof *tls_keys, NULL, cfg_check_tls,
};

static const struct kdef daemon_keys[] = {
	{ "listen", K_SPECIAL, OFF(struct cfg_daemon, listen_host),
	  "127.0.0.1:8003", 0, 0, NULL, NULL, NULL, cfg_scalar_listen,
	  "host:port", "Address of the dashboard, HTTP API, /ws and /metrics." },
	{ "state_dir", K_PATH, OFF(struct cfg_daemon, state_dir), NULL, 0, 0,
	  NULL, NULL, NULL, NULL, "path",
	  "Runtime state: lock, pids, wishes. Default /run/prodd as root, "
	  "else $XDG_RUNTIME_DIR/prodd." },
	{ "control_socket", K_PATH, OFF(struct cfg_daemon, control_socket),
	  NULL, 0, 0, NULL, NULL, NULL, NULL, "path",
	  "The control Unix socket prodctl uses. Default STATE_DIR/prodd.sock." },
	{ "token_file", K_PATH, OFF(struct cfg_daemon, token_file), NULL, 0, 0,
	  NULL, NULL, NULL, NULL, "path",
	  "Bearer token for mutating calls over TCP (also $PRODD_TOKEN)." },
	{ "cors_origins", K_SPECIAL, OFF(struct cfg_daemon, cors_origins), NULL,
	  0, 0, NULL, NULL, cfg_sp_cors, NULL, "list of origins",
	  "Extra origins allowed besides the dashboard's own." },
	{ "hosts", K_SPECIAL, OFF(struct cfg_daemon, hosts), NULL, 0, 0, NULL,
	  NULL, cfg_sp_hosts, NULL, "list of names",
	  "Extra Host header names accepted (besides listen addresses and "
	  "localhost)." },
	{ "rate_limit", K_SPECIAL, OFF(struct cfg_daemon, rate_limit),
	  "600/min", 0, 0, NULL, NULL, NULL, cfg_scalar_rate, "N/s|N/min|N/h|0",
	  "Requests per client address on the TCP listener; 0 turns it off." },
	{ "tls", K_SECTION, 0, NULL, 0, 0, NULL, &tls_section, NULL, NULL,
	  "mapping", "Optional HTTPS/WSS on the TCP listener: {cert, key}." },
	{ "log_dir", K_PATH, OFF(struct cfg_daemon, log_dir), NULL, 0, 0, NULL,
	  NULL, NULL, NULL, "path",
	  "Per-service log files. Default /var/log/prodd as root, else "
	  "$XDG_STATE_HOME/prodd/logs." },
	{ "log_level", K_ENUM, OFF(struct cfg_daemon, log_level), "info", 0, 0,
	  log_level_names, NULL, NULL, NULL, "error|warn|notice|info|debug",
	  "prodd's own log level (--log-level overrides it)." },
	{ "sample_interval", K_DUR, OFF(struct cfg_daemon, sample_interval_ms),
	  "1s", 100, 3600000, NULL, NULL, NULL, NULL, "duration",
	  "How often /proc is sampled." },
	{ "history", K_INT, OFF(struct cfg_daemon, history), "600", 1, 100000,
	  NULL, NULL, NULL, NULL, "integer", "Samples kept per series." },
	{ "disks", K_SPECIAL, OFF(struct cfg_daemon, disks), NULL, 0, 0, NULL,
	  NULL, cfg_sp_disks, NULL, "list of paths",
	  "Mount points whose usage is reported. Default [/]." },
	{ "shutdown_timeout", K_DUR, OFF(struct cfg_daemon, shutdown_timeout_ms),
	  "60s", 0, 86400000, NULL, NULL, NULL, NULL, "duration",
	  "How long a stop of everything may take before SIGKILL." },
};

static const struct section daemon_section = {
	"daemon", daemon_keys, sizeof daemon_keys / sizeof *daemon_keys, NULL,
	NULL,
};

static const struct kdef limits_keys[] = {
	{ "nofile", K_SPECIAL, OFF(struct cfg_limits, nofile), NULL, 1,
	  1 << 30, NULL, NULL, NULL, cfg_scalar_rlimit, "integer|unlimited",
	  "RLIMIT_NOFILE: open files." },
	{ "nproc", K_SPECIAL, OFF(struct cfg_limits, nproc), NULL, 1, 1 << 22,
	  NULL, NULL, NULL, cfg_scalar_rlimit, "integer|unlimited",
	  "RLIMIT_NPROC: processes of the service's user." },
	{ "core", K_SPECIAL, OFF(struct cfg_limits, core), NULL, 0, INT64_MAX,
	  NULL, NULL, NULL, cfg_scalar_rlimit, "size|unlimited",
	  "RLIMIT_CORE: largest core dump." },
};

static void
cfg_limits_init(void *obj)
{
	struct cfg_limits *l = obj;

	l->nofile = l->nproc = l->core = -1;
}

static const struct section limits_section = {
	"limits", limits_keys, sizeof limits_keys / sizeof *limits_keys,
	cfg_limits_init, NULL,
};

static const struct kdef log_keys[] = {
	{ "max_size", K_SIZE, OFF(struct cfg_logopts, max_size), "10M", 4096,
	  (int64_t)16 << 30, NULL, NULL, NULL, NULL, "size",
	  "Rotate LOG_DIR/NAME.log when it reaches this size." },
	{ "keep", K_INT, OFF(struct cfg_logopts, keep), "5", 0, 100, NULL, NULL,
	  NULL, NULL, "integer", "Rotated files kept (NAME.log.1 ...)." },
	{ "ring", K_INT, OFF(struct cfg_logopts, ring), "1000", 0, 1000000,
	  NULL, NULL, NULL, NULL, "integer",
	  "Lines kept in memory for the API, the dashboard and prodctl logs." },
};

static const struct section log_section = {
	"log", log_keys, sizeof log_keys / sizeof *log_keys, NULL, NULL,
};

static void cfg_check_health(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen);

static const struct kdef health_keys[] = {
	{ "url", K_SPECIAL, OFF(struct cfg_health, url), NULL, 0, 0, NULL, NULL,
	  NULL, cfg_scalar_url, "URL", "HTTP(S) GET probe." },
	{ "expect_status", K_SPECIAL, OFF(struct cfg_health, expect_lo),
	  "200-299", 0, 0, NULL, NULL, NULL, cfg_scalar_status, "code|lo-hi",
	  "Statuses that count as healthy for url probes." },
	{ "tcp", K_SPECIAL, OFF(struct cfg_health, tcp_host), NULL, 0, 0, NULL,
	  NULL, NULL, cfg_scalar_tcp, "host:port", "TCP connect probe." },
	{ "exec", K_SPECIAL, 0, NULL, 0, 0, NULL, NULL, cfg_sp_exec, NULL,
	  "command", "Command probe: healthy when it exits 0." },
	{ "interval", K_DUR, OFF(struct cfg_health, interval_ms), "5s", 100,
	  86400000, NULL, NULL, NULL, NULL, "duration", "Time between probes." },
	{ "timeout", K_DUR, OFF(struct cfg_health, timeout_ms), "2s", 10,
	  3600000, NULL, NULL, NULL, NULL, "duration",
	  "A probe that takes longer fails." },
	{ "retries", K_INT, OFF(struct cfg_health, retries), "3", 1, 1000, NULL,
	  NULL, NULL, NULL, "integer",
	  "Consecutive failures before the service is unhealthy." },
	{ "start_period", K_DUR, OFF(struct cfg_health, start_period_ms), "30s",
	  0, 86400000, NULL, NULL, NULL, NULL, "duration",
	  "Failures this soon after a start don't count." },
	{ "on_unhealthy", K_ENUM, OFF(struct cfg_health, on_unhealthy),
	  "restart", 0, 0, on_unhealthy_names, NULL, NULL, NULL,
	  "restart|ignore", "What to do when the service turns unhealthy." },
	{ "follow_redirects", K_BOOL, OFF(struct cfg_health, follow_redirects),
	  "false", 0, 0, NULL, NULL, NULL, NULL, "true|false",
	  "url probes: follow redirects (at most 5) instead of judging the "
	  "3xx itself." },
};

static const struct section health_section = {
	"health_check", health_keys, sizeof health_keys / sizeof *health_keys,
	NULL, cfg_check_health,
};

static void
cfg_check_health(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen)
{
	struct cfg_health *h = obj;
	const char *kinds[] = { "url", "tcp", "exec" };
	yaml_node_t *first = NULL;
	int n = 0;

	for (int i = 0; i < 3; i++) {
		yaml_node_t *k = seen[cfg_key_index(&health_section, kinds[i])];

		if (k == NULL)
			continue;
		if (n++ == 0) {
			first = k;
			h->kind = (enum cfg_health_kind)(CFG_HEALTH_URL + i);
		} else {
			cfg_nerr(p, k, "'health_check' takes exactly one of url, "
			    "tcp, exec: '%s' and '%s' both given",
			    cfg_scalar(first), kinds[i]);
		}
	}
	if (n == 0)
		cfg_nerr(p, map, "'health_check' needs one of url, tcp, exec");
}

static void cfg_check_service(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen);

static const struct kdef service_keys[] = {
	{ "name", K_SPECIAL, OFF(struct cfg_service, name), NULL, 0, 0, NULL,
	  NULL, NULL, cfg_scalar_name, "name",
	  "Required. [a-z0-9][a-z0-9._-]{0,62}." },
	{ "type", K_ENUM, OFF(struct cfg_service, type), "process", 0, 0,
	  type_names, NULL, NULL, NULL, "process|fastapi|docker|systemd",
	  "How the service is run." },
	{ "command", K_SPECIAL, 0, NULL, 0, 0, NULL, NULL, cfg_sp_command, NULL,
	  "string|list", "The program and its arguments; a string is split "
	  "like a shell splits words, but no shell runs." },
	{ "shell", K_BOOL, OFF(struct cfg_service, shell), "false", 0, 0, NULL,
	  NULL, NULL, NULL, "boolean", "true: run command with /bin/sh -c." },
	{ "app", K_STR, OFF(struct cfg_service, app), NULL, 0, 0, NULL, NULL,
	  NULL, NULL, "module:attr", "fastapi only: uvicorn APP --host "
	  "127.0.0.1 --port PORT." },
	{ "image", K_STR, OFF(struct cfg_service, image), NULL, 0, 0, NULL, NULL,
	  NULL, NULL, "image", "docker only: the image to run." },
	{ "unit", K_STR, OFF(struct cfg_service, unit), NULL, 0, 0, NULL, NULL,
	  NULL, NULL, "unit", "systemd only: the unit to manage." },
	{ "working_dir", K_PATH, OFF(struct cfg_service, working_dir), NULL, 0,
	  0, NULL, NULL, NULL, NULL, "path", "Directory the service runs in." },
	{ "environment", K_SPECIAL, 0, NULL, 0, 0, NULL, NULL,
	  cfg_sp_environment, NULL, "mapping", "Variables set last." },
	{ "env_file", K_PATH, OFF(struct cfg_service, env_file), NULL, 0, 0,
	  NULL, NULL, NULL, NULL, "path", "KEY=VALUE lines read at each start." },
	{ "user", K_SPECIAL, OFF(struct cfg_service, user), NULL, 0, 0, NULL,
	  NULL, NULL, cfg_scalar_account, "name|uid",
	  "Run as this user (prodd must be root)." },
	{ "group", K_SPECIAL, OFF(struct cfg_service, group), NULL, 0, 0, NULL,
	  NULL, NULL, cfg_scalar_account, "name|gid",
	  "Primary group (default: the user's)." },
	{ "port", K_INT, OFF(struct cfg_service, port), NULL, 1, 65535, NULL,
	  NULL, NULL, NULL, "1..65535", "The port the service listens on." },
	{ "dependencies", K_SPECIAL, 0, NULL, 0, 0, NULL, NULL,
	  cfg_sp_dependencies, NULL, "list of names",
	  "Short form: start after each is healthy." },
	{ "depends_on", K_SPECIAL, 0, NULL, 0, 0, NULL, NULL, cfg_sp_depends_on,
	  NULL, "mapping", "Long form: NAME: {condition: started|healthy|"
	  "completed}." },
	{ "health_check_url", K_SPECIAL, 0, NULL, 0, 0, NULL, NULL,
	  cfg_sp_health_url, NULL, "URL", "Short form of health_check: {url}." },
	{ "health_check", K_SECTION, OFF(struct cfg_service, health), NULL, 0, 0,
	  NULL, &health_section, NULL, NULL, "mapping",
	  "Exactly one of url, tcp, exec, with timing." },
	{ "auto_restart", K_SPECIAL, 0, NULL, 0, 0, NULL, NULL,
	  cfg_sp_auto_restart, NULL, "boolean",
	  "Short form: true = restart: always, false = restart: never." },
	{ "restart", K_ENUM, OFF(struct cfg_service, restart), "on-failure", 0,
	  0, restart_names, NULL, NULL, NULL, "always|on-failure|never",
	  "When an exit is followed by a restart." },
	{ "max_restarts", K_INT, OFF(struct cfg_service, max_restarts), "5", 0,
	  1000000, NULL, NULL, NULL, NULL, "integer",
	  "Consecutive automatic restarts before 'failed'." },
	{ "restart_window", K_DUR, OFF(struct cfg_service, restart_window_ms),
	  "60s", 0, 86400000, NULL, NULL, NULL, NULL, "duration",
	  "Running this long without trouble resets the count." },
	{ "restart_delay", K_DUR, OFF(struct cfg_service, restart_delay_ms),
	  "1s", 0, 86400000, NULL, NULL, NULL, NULL, "duration",
	  "First delay before a restart." },
	{ "backoff", K_ENUM, OFF(struct cfg_service, backoff), "exponential", 0,
	  0, backoff_names, NULL, NULL, NULL, "fixed|exponential",
	  "exponential doubles the delay at each restart, up to backoff_max." },
	{ "backoff_max", K_DUR, OFF(struct cfg_service, backoff_max_ms), "5m",
	  0, 86400000, NULL, NULL, NULL, NULL, "duration",
	  "Longest delay between restarts." },
	{ "stop_signal", K_SPECIAL, OFF(struct cfg_service, stop_signal),
	  "SIGTERM", 0, 0, NULL, NULL, NULL, cfg_scalar_signal, "signal",
	  "Sent to the process group to stop the service." },
	{ "stop_timeout", K_DUR, OFF(struct cfg_service, stop_timeout_ms), "10s",
	  0, 3600000, NULL, NULL, NULL, NULL, "duration",
	  "Then SIGKILL to the whole process group." },
	{ "memory_limit", K_SIZE, OFF(struct cfg_service, memory_limit), NULL,
	  1 << 20, INT64_MAX, NULL, NULL, NULL, NULL, "size",
	  "Restart when the process tree's RSS exceeds it." },
	{ "limits", K_SECTION, OFF(struct cfg_service, limits), NULL, 0, 0, NULL,
	  &limits_section, NULL, NULL, "mapping",
	  "rlimits set before exec: nofile, nproc, core." },
	{ "log", K_SECTION, OFF(struct cfg_service, log), NULL, 0, 0, NULL,
	  &log_section, NULL, NULL, "mapping",
	  "Output capture: max_size, keep, ring." },
	{ "enabled", K_BOOL, OFF(struct cfg_service, enabled), "true", 0, 0,
	  NULL, NULL, NULL, NULL, "boolean",
	  "false: known, but not started by start --all." },
	{ "ready_after", K_DUR, OFF(struct cfg_service, ready_after_ms), "1s",
	  0, 3600000, NULL, NULL, NULL, NULL, "duration",
	  "With no health check: alive this long counts as healthy." },
};

static const struct section service_section = {
	"service", service_keys, sizeof service_keys / sizeof *service_keys,
	NULL, cfg_check_service,
};

static void cfg_check_rule(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen);

static const struct kdef rule_keys[] = {
	{ "alert", K_ENUM, OFF(struct cfg_alert_rule, alert), NULL, 0, 0,
	  alert_names, NULL, NULL, NULL,
	  "service_failed|restart_loop|unhealthy|health_slow|high_cpu|"
	  "high_memory|disk_full", "Required: which built-in alert." },
	{ "service", K_SPECIAL, OFF(struct cfg_alert_rule, service), NULL, 0, 0,
	  NULL, NULL, NULL, cfg_scalar_name, "name",
	  "Only this service (default: every service, or the host)." },
	{ "threshold", K_SPECIAL, 0, NULL, 0, 0, NULL, NULL, cfg_sp_later, NULL,
	  "number|size|duration",
	  "high_cpu: % (of one core for a service, of the host otherwise); "
	  "high_memory: a size for a service, % of the host otherwise; "
	  "disk_full: % used; health_slow: a duration; restart_loop: restarts." },
	{ "for", K_DUR, OFF(struct cfg_alert_rule, for_ms), "0s", 0, 86400000,
	  NULL, NULL, NULL, NULL, "duration",
	  "How long the condition must hold (restart_loop: the window)." },
	{ "enabled", K_BOOL, OFF(struct cfg_alert_rule, enabled), "true", 0, 0,
	  NULL, NULL, NULL, NULL, "boolean", "false turns the rule off." },
};

static const struct section rule_section = {
	"alert rule", rule_keys, sizeof rule_keys / sizeof *rule_keys, NULL,
	cfg_check_rule,
};

static void cfg_sp_rules(struct pctx *p, yaml_node_t *val, void *obj,
    const struct kdef *k);

static const struct kdef alerts_keys[] = {
	{ "webhook", K_SPECIAL, OFF(struct cfg, alert_webhook), NULL, 0, 0, NULL,
	  NULL, NULL, cfg_scalar_url, "URL",
	  "Optional: alerts are POSTed here as JSON." },
	{ "rules", K_SPECIAL, 0, NULL, 0, 0, NULL, NULL, cfg_sp_rules, NULL,
	  "list", "Thresholds of the built-in alerts." },
};

static const struct section alerts_section = {
	"alerts", alerts_keys, sizeof alerts_keys / sizeof *alerts_keys, NULL,
	NULL,
};

static void cfg_sp_services(struct pctx *p, yaml_node_t *val, void *obj,
    const struct kdef *k);

static const struct kdef root_keys[] = {
	{ "version", K_INT, OFF(struct cfg, version), "1", 1, 1, NULL, NULL,
	  NULL, NULL, "1", "The format's version." },
	{ "daemon", K_SECTION, OFF(struct cfg, daemon), NULL, 0, 0, NULL,
	  &daemon_section, NULL, NULL, "mapping", "prodd's own settings." },
	{ "services", K_SPECIAL, 0, NULL, 0, 0, NULL, NULL, cfg_sp_services,
	  NULL, "list", "Required: the services, each a mapping." },
	{ "alerts", K_SECTION, 0, NULL, 0, 0, NULL, &alerts_section, NULL, NULL,
	  "mapping", "Alert thresholds and delivery." },
};

static const struct section root_section = {
	"the top level", root_keys, sizeof root_keys / sizeof *root_keys, NULL,
	NULL,
};

/* ------------------------------------------------------------------ */
/* services and rules */

static void
cfg_sp_rules(struct pctx *p, yaml_node_t *val, void *obj, const struct kdef *k)
{
	struct cfg *c = obj;
	yaml_node_item_t *it;

	(void)k;
	if (val->type != YAML_SEQUENCE_NODE) {
		cfg_nerr(p, val, "'rules' must be a list, not %s",
		    cfg_kind_noun(val));
		return;
	}
	for (it = val->data.sequence.items.start;
	    it < val->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(p->doc, *it);
		struct cfg_alert_rule *r;

		if (n->type != YAML_MAPPING_NODE) {
			cfg_nerr(p, n, "each alert rule must be a mapping, not %s",
			    cfg_kind_noun(n));
			continue;
		}
		c->alert_rules = xreallocarray(c->alert_rules,
		    c->nalert_rules + 1, sizeof *c->alert_rules);
		r = &c->alert_rules[c->nalert_rules++];
		memset(r, 0, sizeof *r);
		cfg_section_defaults(&rule_section, r);
		r->alert = (enum cfg_alert_kind)-1;	/* until read */
		r->mark = cfg_node_mark(n);
		cfg_parse_section(p, &rule_section, n, r, "an alert rule");
	}
}

static void
cfg_check_rule(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen)
{
	struct cfg_alert_rule *r = obj;
	yaml_node_t *tk = seen[cfg_key_index(&rule_section, "threshold")];
	yaml_node_t *tv;
	const char *s;
	int64_t v;

	if (seen[cfg_key_index(&rule_section, "alert")] == NULL) {
		cfg_nerr(p, map, "alert rule is missing 'alert'");
		return;
	}
	if ((int)r->alert < 0)
		return;		/* bad value, reported */
	if (tk == NULL) {
		static const double def[] = { 0, 5, 0, 1000, 90, 90, 90 };

		r->threshold = def[r->alert];
		r->threshold_is_percent = r->alert == CFG_ALERT_HIGH_CPU ||
		    r->alert == CFG_ALERT_DISK_FULL ||
		    (r->alert == CFG_ALERT_HIGH_MEMORY && r->service == NULL);
		return;
	}
	tv = NULL;
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
	    pr < map->data.mapping.pairs.top; pr++)
		if (yaml_document_get_node(p->doc, pr->key) == tk)
			tv = yaml_document_get_node(p->doc, pr->value);
	if (tv == NULL || tv->type != YAML_SCALAR_NODE)
		return;
	s = cfg_scalar(tv);
	switch (r->alert) {
	case CFG_ALERT_SERVICE_FAILED:
	case CFG_ALERT_UNHEALTHY:
		cfg_nerr(p, tk, "'threshold' does not apply to alert '%s'",
		    alert_names[r->alert]);
		return;
	case CFG_ALERT_HEALTH_SLOW:
		if (units_parse_duration(s, &v) < 0) {
			cfg_nerr(p, tv, "'threshold': bad duration '%s' for "
			    "health_slow (e.g. 500ms)", s);
			return;
		}
		r->threshold = (double)v;
		return;
	case CFG_ALERT_RESTART_LOOP:
		if (cfg_parse_int64(s, &v) < 0 || v < 1 || v > 1000000) {
			cfg_nerr(p, tv, "'threshold': restart_loop needs a count "
			    "of restarts 1..1000000, got '%s'", s);
			return;
		}
		r->threshold = (double)v;
		return;
	case CFG_ALERT_HIGH_MEMORY:
		if (r->service != NULL && strchr(s, '%') == NULL) {
			if (units_parse_size(s, &v) < 0 || v <= 0) {
				cfg_nerr(p, tv, "'threshold': bad size '%s' (e.g. "
				    "2G)", s);
				return;
			}
			r->threshold = (double)v;
			return;
		}
		/* FALLTHROUGH */
	case CFG_ALERT_HIGH_CPU:
	case CFG_ALERT_DISK_FULL: {
		char *end;
		double d = strtod(s, &end);
		double max = r->alert == CFG_ALERT_HIGH_CPU && r->service ?
		    100000 : 100;

		if (end == s || (*end != '\0' && strcmp(end, "%") != 0) ||
		    !(d > 0 && d <= max)) {
			cfg_nerr(p, tv, "'threshold': bad percentage '%s' for %s "
			    "(0 < %% <= %g)", s, alert_names[r->alert], max);
			return;
		}
		r->threshold = d;
		r->threshold_is_percent = true;
		return;
	}
	}
}

static void
cfg_sp_services(struct pctx *p, yaml_node_t *val, void *obj,
    const struct kdef *k)
{
	struct cfg *c = obj;
	yaml_node_item_t *it;
	size_t n;

	(void)k;
	if (val->type != YAML_SEQUENCE_NODE) {
		cfg_nerr(p, val, "'services' must be a list of services, not %s",
		    cfg_kind_noun(val));
		return;
	}
	n = (size_t)(val->data.sequence.items.top -
	    val->data.sequence.items.start);
	c->services = xcalloc(n ? n : 1, sizeof *c->services);
	for (it = val->data.sequence.items.start;
	    it < val->data.sequence.items.top; it++) {
		yaml_node_t *node = yaml_document_get_node(p->doc, *it);
		struct cfg_service *s;

		if (node->type != YAML_MAPPING_NODE) {
			cfg_nerr(p, node, "each service must be a mapping, not %s",
			    cfg_kind_noun(node));
			continue;
		}
		s = &c->services[c->nservices++];
		cfg_section_defaults(&service_section, s);
		s->mark = cfg_node_mark(node);
		cfg_parse_section(p, &service_section, node, s, "a service");
	}
}

static const char *
cfg_key_given(const struct section *sec, yaml_node_t *const *seen,
    const char *name)
{
	yaml_node_t *k = seen[cfg_key_index(sec, name)];

	return k ? cfg_scalar(k) : NULL;
}

/* Both the short and the long form given: report at the later one. */
static void
cfg_check_forms(struct pctx *p, yaml_node_t *const *seen, const char *shortk,
    const char *longk)
{
	yaml_node_t *a = seen[cfg_key_index(&service_section, shortk)];
	yaml_node_t *b = seen[cfg_key_index(&service_section, longk)];
	yaml_node_t *later;

	if (a == NULL || b == NULL)
		return;
	later = a->start_mark.index > b->start_mark.index ? a : b;
	cfg_nerr(p, later, "give either '%s' or '%s', not both", shortk, longk);
}

static void
cfg_check_service(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen)
{
	struct cfg_service *s = obj;
	const struct section *sec = &service_section;
	const char *tname = type_names[s->type];
	const char *who;
	char label[CFG_NAME_MAX + 16];

	if (s->name == NULL) {
		if (cfg_key_given(sec, seen, "name") == NULL)
			cfg_nerr(p, map, "service is missing 'name'");
		who = "this service";
	} else {
		snprintf(label, sizeof label, "'%s'", s->name);
		who = label;
	}
	cfg_check_forms(p, seen, "dependencies", "depends_on");
	cfg_check_forms(p, seen, "health_check_url", "health_check");
	cfg_check_forms(p, seen, "auto_restart", "restart");

	/* what each type needs, and what it does not take */
	{
		static const struct { const char *key; int types; } only[] = {
			{ "app", 1 << CFG_TYPE_FASTAPI },
			{ "image", 1 << CFG_TYPE_DOCKER },
			{ "unit", 1 << CFG_TYPE_SYSTEMD },
			{ "command", ~(1 << CFG_TYPE_SYSTEMD) },
			{ "shell", (1 << CFG_TYPE_PROCESS) | (1 << CFG_TYPE_FASTAPI) },
		};

		for (size_t i = 0; i < sizeof only / sizeof *only; i++) {
			yaml_node_t *kn = seen[cfg_key_index(sec, only[i].key)];

			if (kn != NULL && !(only[i].types & (1 << s->type)))
				cfg_nerr(p, kn, "'%s' does not apply to type %s "
				    "(service %s)", only[i].key, tname, who);
		}
	}
	switch (s->type) {
	case CFG_TYPE_PROCESS:
		if (cfg_key_given(sec, seen, "command") == NULL)
			cfg_nerr(p, map, "service %s (type process) needs a "
			    "'command'", who);
		break;
	case CFG_TYPE_FASTAPI: {
		yaml_node_t *cmd = seen[cfg_key_index(sec, "command")];
		yaml_node_t *app = seen[cfg_key_index(sec, "app")];

		if (cmd == NULL && app == NULL)
			cfg_nerr(p, map, "service %s (type fastapi) needs "
			    "'command' or 'app'", who);
		else if (cmd != NULL && app != NULL)
			cfg_nerr(p, app->start_mark.index > cmd->start_mark.index ?
			    app : cmd, "service %s (type fastapi) takes "
			    "'command' or 'app', not both", who);
		if (cfg_key_given(sec, seen, "port") == NULL)
			cfg_nerr(p, map, "service %s (type fastapi) needs a "
			    "'port'", who);
		break;
	}
	case CFG_TYPE_DOCKER:
		if (cfg_key_given(sec, seen, "image") == NULL)
			cfg_nerr(p, map, "service %s (type docker) needs an "
			    "'image'", who);
		break;
	case CFG_TYPE_SYSTEMD:
		if (cfg_key_given(sec, seen, "unit") == NULL)
			cfg_nerr(p, map, "service %s (type systemd) needs a "
			    "'unit'", who);
		break;
	}
	if (s->shell && s->argv != NULL && s->command == NULL)
		cfg_nerr(p, seen[cfg_key_index(sec, "shell")], "with 'shell: "
		    "true', 'command' must be a string");
	if (seen[cfg_key_index(sec, "backoff_max")] != NULL &&
	    s->backoff_max_ms < s->restart_delay_ms)
		cfg_nerr(p, seen[cfg_key_index(sec, "backoff_max")],
		    "'backoff_max' is shorter than 'restart_delay'");
	if (s->backoff_max_ms < s->restart_delay_ms)
		s->backoff_max_ms = s->restart_delay_ms;

	/* dependencies: itself, or one listed twice */
	for (size_t i = 0; i < s->ndeps; i++) {
		if (s->name != NULL && strcmp(s->deps[i].name, s->name) == 0) {
			cfg_err(p, s->deps[i].mark, "service '%s' depends on "
			    "itself", s->name);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->deps[i].name, s->deps[j].name) == 0) {
				cfg_err(p, s->deps[i].mark, "dependency '%s' is "
				    "listed twice", s->deps[i].name);
				break;
			}
	}
}

/* ------------------------------------------------------------------ */
/* whole-file checks */

/* Duplicate keys and non-string keys, in every mapping of the document. */
static void
cfg_check_mappings(struct pctx *p)
{
	for (yaml_node_t *m = p->doc->nodes.start; m < p->doc->nodes.top; m++) {
		yaml_node_pair_t *a, *b, *start, *top;

		if (m->type != YAML_MAPPING_NODE)
			continue;
		start = m->data.mapping.pairs.start;
		top = m->data.mapping.pairs.top;
		for (a = start; a < top; a++) {
			yaml_node_t *ka = yaml_document_get_node(p->doc, a->key);

			if (ka->type != YAML_SCALAR_NODE) {
				cfg_nerr(p, ka, "keys must be plain strings, not %s",
				    cfg_kind_noun(ka));
				continue;
			}
			for (b = start; b < a; b++) {
				yaml_node_t *kb = yaml_document_get_node(p->doc,
				    b->key);

				if (kb->type == YAML_SCALAR_NODE &&
				    kb->data.scalar.length == ka->data.scalar.length &&
				    memcmp(cfg_scalar(kb), cfg_scalar(ka),
				    ka->data.scalar.length) == 0) {
					cfg_nerr(p, ka, "duplicate key '%s' (first "
					    "at line %d)", cfg_scalar(ka),
					    (int)kb->start_mark.line + 1);
					break;
				}
			}
		}
	}
}

struct name_ix {
	const char *name;
	size_t ix;
};

static int
cfg_name_ix_cmp(const void *a, const void *b)
{
	const struct name_ix *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->ix < y->ix ? -1 : x->ix > y->ix;
}

static int
cfg_lookup(const struct name_ix *ix, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix[mid].name, name);

		if (c == 0) {
			/* the first of equal names is the one that counts */
			while (mid > 0 && strcmp(ix[mid - 1].name, name) == 0)
				mid--;
			return (int)ix[mid].ix;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static const char *
cfg_suggest_service(struct cfg *c, const char *s)
{
	size_t best = SIZE_MAX, max = strlen(s) <= 4 ? 1 : 2;
	const char *pick = NULL;

	for (size_t i = 0; i < c->nservices; i++) {
		size_t d;

		if (c->services[i].name == NULL)
			continue;
		d = str_edit_distance(s, c->services[i].name, max);
		if (d <= max && d < best) {
			best = d;
			pick = c->services[i].name;
		}
	}
	return pick;
}

static void
cfg_check_references(struct pctx *p)
{
	struct cfg *c = p->cfg;
	struct name_ix *ix = xcalloc(c->nservices + 1, sizeof *ix);
	size_t n = 0;
	struct graph g;

	for (size_t i = 0; i < c->nservices; i++)
		if (c->services[i].name != NULL) {
			ix[n].name = c->services[i].name;
			ix[n].ix = i;
			n++;
		}
	qsort(ix, n, sizeof *ix, cfg_name_ix_cmp);
	for (size_t i = 1; i < n; i++)
		if (strcmp(ix[i].name, ix[i - 1].name) == 0) {
			const struct cfg_service *first, *dup;

			first = &c->services[cfg_lookup(ix, n, ix[i].name)];
			dup = &c->services[ix[i].ix];
			cfg_err(p, dup->mark, "duplicate service name '%s' (first "
			    "at line %d)", dup->name, first->mark.line);
		}

	graph_init(&g, c->nservices);
	for (size_t i = 0; i < c->nservices; i++) {
		struct cfg_service *s = &c->services[i];

		for (size_t d = 0; d < s->ndeps; d++) {
			int to = cfg_lookup(ix, n, s->deps[d].name);

			if (to < 0) {
				const char *near = cfg_suggest_service(c,
				    s->deps[d].name);

				if (near != NULL)
					cfg_err(p, s->deps[d].mark, "unknown "
					    "dependency '%s'; did you mean '%s'?",
					    s->deps[d].name, near);
				else
					cfg_err(p, s->deps[d].mark, "unknown "
					    "dependency '%s' (no service has "
					    "that name)", s->deps[d].name);
			} else {
				s->deps[d].index = to;
				if ((size_t)to != i)
					graph_add_edge(&g, i, (size_t)to);
			}
		}
	}
	{
		struct graph_cycles cy;

		graph_find_cycles(&g, &cy);
		for (size_t k = 0; k < cy.n; k++) {
			struct strbuf sb = { 0 };
			const size_t *path = cy.v[k].nodes;
			size_t len = cy.v[k].len;
			const struct cfg_service *from = &c->services[path[0]];
			struct cfg_mark m = from->mark;

			for (size_t d = 0; d < from->ndeps; d++)
				if (strcmp(from->deps[d].name,
				    c->services[path[1 % len]].name) == 0) {
					m = from->deps[d].mark;
					break;
				}
			for (size_t j = 0; j < len; j++)
				sb_printf(&sb, "%s -> ", c->services[path[j]].name);
			sb_puts(&sb, c->services[path[0]].name);
			cfg_err(p, m, "dependency cycle: %s", sb.buf);
			sb_free(&sb);
		}
		graph_cycles_free(&cy);
	}
	graph_free(&g);

	for (size_t i = 0; i < c->nalert_rules; i++) {
		struct cfg_alert_rule *r = &c->alert_rules[i];

		if (r->service != NULL && cfg_lookup(ix, n, r->service) < 0)
			cfg_err(p, r->mark, "alert rule names unknown service "
			    "'%s'", r->service);
	}
	free(ix);
}

/* ------------------------------------------------------------------ */
/* finishing: derived values and defaults that depend on the caller */

static void
cfg_finish_service(struct cfg_service *s, const char *dir)
{
	char port[16];

	if (s->shell && s->command != NULL) {
		units_argv_free(s->argv);
		s->argv = xcalloc(4, sizeof *s->argv);
		s->argv[0] = xstrdup("/bin/sh");
		s->argv[1] = xstrdup("-c");
		s->argv[2] = xstrdup(s->command);
		s->argc = 3;
	}
	if (s->type == CFG_TYPE_FASTAPI && s->argv == NULL && s->app != NULL) {
		snprintf(port, sizeof port, "%d", s->port);
		s->argv = xcalloc(7, sizeof *s->argv);
		s->argv[0] = xstrdup("uvicorn");
		s->argv[1] = xstrdup(s->app);
		s->argv[2] = xstrdup("--host");
		s->argv[3] = xstrdup("127.0.0.1");
		s->argv[4] = xstrdup("--port");
		s->argv[5] = xstrdup(port);
		s->argc = 6;
	}
	if (s->type == CFG_TYPE_DOCKER) {
		/* docker run --rm --init --name prodd-NAME IMAGE [command...] */
		char **argv = xcalloc(s->argc + 8, sizeof *argv);
		size_t n = 0;

		argv[n++] = xstrdup("docker");
		argv[n++] = xstrdup("run");
		argv[n++] = xstrdup("--rm");
		argv[n++] = xstrdup("--init");
		argv[n++] = xstrdup("--name");
		argv[n++] = xasprintf("prodd-%s", s->name);
		argv[n++] = xstrdup(s->image);
		for (size_t i = 0; i < s->argc; i++)
			argv[n++] = xstrdup(s->argv[i]);
		units_argv_free(s->argv);
		s->argv = argv;
		s->argc = n;
	}
	if (s->argv == NULL)
		s->argv = xcalloc(1, sizeof *s->argv);	/* systemd: no argv */
	/* commands, like paths, are relative to the file's directory */
	if (s->working_dir == NULL)
		s->working_dir = xstrdup(dir);
	if (s->health.kind == CFG_HEALTH_TCP && s->health.tcp_host == NULL)
		s->health.tcp_host = xstrdup("127.0.0.1");
	/* a fastapi service without a check: its conventional endpoint */
	if (s->type == CFG_TYPE_FASTAPI && s->health.kind == CFG_HEALTH_NONE &&
	    s->port > 0) {
		s->health.kind = CFG_HEALTH_URL;
		s->health.url = xasprintf("http://127.0.0.1:%d/api/health",
		    s->port);
	}
}

static void
cfg_finish(struct cfg *c, const struct cfg_context *ctx)
{
	struct cfg_daemon *d = &c->daemon;

	if (d->state_dir == NULL) {
		if (ctx->root)
			d->state_dir = xstrdup("/run/prodd");
		else if (ctx->xdg_runtime_dir != NULL &&
		    ctx->xdg_runtime_dir[0] == '/')
			d->state_dir = xasprintf("%s/prodd", ctx->xdg_runtime_dir);
		else
			d->state_dir = xasprintf("/tmp/prodd-%u", ctx->uid);
	}
	if (d->control_socket == NULL)
		d->control_socket = xasprintf("%s/prodd.sock", d->state_dir);
	if (d->log_dir == NULL) {
		if (ctx->root)
			d->log_dir = xstrdup("/var/log/prodd");
		else if (ctx->xdg_state_home != NULL &&
		    ctx->xdg_state_home[0] == '/')
			d->log_dir = xasprintf("%s/prodd/logs",
			    ctx->xdg_state_home);
		else if (ctx->home != NULL && ctx->home[0] == '/')
			d->log_dir = xasprintf("%s/.local/state/prodd/logs",
			    ctx->home);
		else
			d->log_dir = xasprintf("%s/logs", d->state_dir);
	}
	if (d->disks.n == 0)
		cfg_strv_push(&d->disks, "/");
	for (size_t i = 0; i < c->nservices; i++)
		cfg_finish_service(&c->services[i], c->dir);
}

/* ------------------------------------------------------------------ */
/* entry points */

static struct cfg_mark
cfg_offset_mark(const char *buf, size_t off)
{
	struct cfg_mark m = { 1, 1 };
	size_t i = 0;

	while (i < off) {
		if (buf[i] == '\n') {
			m.line++;
			m.col = 1;
			i++;
		} else {
			/* columns count characters, as libyaml's marks do */
			size_t k = utf8_seq_len((const unsigned char *)buf + i,
			    off - i);

			i += k ? k : 1;
			m.col++;
		}
	}
	return m;
}

static void
cfg_yaml_error(struct pctx *p, yaml_parser_t *y, const char *buf)
{
	struct cfg_mark m;

	if (y->error == YAML_READER_ERROR) {
		m = cfg_offset_mark(buf, y->problem_offset);
		cfg_err(p, m, "YAML error: %s", y->problem ? y->problem :
		    "cannot read the file");
		return;
	}
	m.line = (int)y->problem_mark.line + 1;
	m.col = (int)y->problem_mark.column + 1;
	if (y->context != NULL)
		cfg_err(p, m, "YAML syntax error: %s (%s at line %d column %d)",
		    y->problem ? y->problem : "unknown problem", y->context,
		    (int)y->context_mark.line + 1,
		    (int)y->context_mark.column + 1);
	else
		cfg_err(p, m, "YAML syntax error: %s",
		    y->problem ? y->problem : "unknown problem");
}

/*
 * The event pass: syntax errors, aliases (refused: shared nodes make
 * "billion laughs" expansions possible) and extra documents. Returns true
 * when the document API may load the buffer.
 */
static bool
cfg_scan_events(struct pctx *p, const char *buf, size_t len)
{
	yaml_parser_t y;
	yaml_event_t ev;
	int docs = 0;
	bool ok = true, done = false;

	yaml_parser_initialize(&y);
	yaml_parser_set_input_string(&y, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&y, &ev)) {
			cfg_yaml_error(p, &y, buf);
			ok = false;
			break;
		}
		switch (ev.type) {
		case YAML_ALIAS_EVENT:
			cfg_err(p, (struct cfg_mark){ (int)ev.start_mark.line + 1,
			    (int)ev.start_mark.column + 1 }, "YAML aliases are "
			    "not allowed ('*%s'): write the value out",
			    (const char *)ev.data.alias.anchor);
			ok = false;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs == 2) {
				cfg_err(p, (struct cfg_mark){
				    (int)ev.start_mark.line + 1,
				    (int)ev.start_mark.column + 1 },
				    "only one YAML document is allowed per file");
				ok = false;
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&y);
	return ok;
}

static char *
cfg_dirname(const char *path, const struct cfg_context *ctx)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	if (dir[0] != '/' && ctx->cwd != NULL && ctx->cwd[0] == '/') {
		char *abs = strcmp(dir, ".") == 0 ? xstrdup(ctx->cwd) :
		    xasprintf("%s/%s", ctx->cwd, dir);

		free(dir);
		dir = abs;
	}
	return dir;
}

struct cfg *
cfg_load_buffer(const char *path, const char *buf, size_t len,
    const struct cfg_context *ctx, struct cfg_errors *errs)
{
	static const struct cfg_context root_ctx = { .root = true };
	struct pctx p = { .path = path, .errs = errs, .ctx = ctx };
	struct cfg *c = xcalloc(1, sizeof *c);
	yaml_parser_t y;
	yaml_document_t doc;
	yaml_node_t *root;
	size_t bad;

	if (ctx == NULL)
		ctx = p.ctx = &root_ctx;
	errs->v = NULL;
	errs->n = 0;
	c->path = xstrdup(path);
	c->dir = cfg_dirname(path, ctx);
	p.cfg = c;
	cfg_section_defaults(&root_section, c);

	if (len > CFG_MAX_FILE_SIZE) {
		cfg_err(&p, (struct cfg_mark){ 1, 1 }, "the file is %.1f MiB; "
		    "the limit is 1 MiB", (double)len / (1024 * 1024));
		goto fail;
	}
	if ((bad = utf8_first_invalid(buf, len)) != len) {
		cfg_err(&p, cfg_offset_mark(buf, bad), "invalid UTF-8 (byte "
		    "0x%02x); the file must be UTF-8 text",
		    (unsigned char)buf[bad]);
		goto fail;
	}
	if (memchr(buf, '\0', len) != NULL) {
		cfg_err(&p, cfg_offset_mark(buf, (size_t)((const char *)
		    memchr(buf, '\0', len) - buf)), "NUL byte in the file");
		goto fail;
	}
	if (!cfg_scan_events(&p, buf, len))
		goto fail;

	yaml_parser_initialize(&y);
	yaml_parser_set_input_string(&y, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&y, &doc)) {
		cfg_yaml_error(&p, &y, buf);
		yaml_parser_delete(&y);
		goto fail;
	}
	yaml_parser_delete(&y);
	p.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || cfg_is_null(root)) {
		cfg_err(&p, (struct cfg_mark){ 1, 1 }, "the file is empty; "
		    "expected a mapping with a 'services' list");
	} else if (root->type != YAML_MAPPING_NODE) {
		cfg_nerr(&p, root, "the top level must be a mapping with a "
		    "'services' list, not %s", cfg_kind_noun(root));
	} else {
		yaml_node_t *seen_services = NULL;

		cfg_check_mappings(&p);
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
		    pr < root->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(&doc, pr->key);

			if (k->type == YAML_SCALAR_NODE &&
			    strcmp(cfg_scalar(k), "services") == 0)
				seen_services = k;
		}
		cfg_parse_section(&p, &root_section, root, c, "the top level");
		if (seen_services == NULL)
			cfg_nerr(&p, root, "missing 'services' (a list of the "
			    "services to run)");
		cfg_check_references(&p);
	}
	yaml_document_delete(&doc);
	if (errs->n > 0)
		goto fail;
	cfg_finish(c, ctx);
	return c;
fail:
	if (p.dropped > 0) {
		struct cfg_mark last = errs->v[errs->n - 1].mark;

		/* not through cfg_err: that one is full */
		errs->v = xreallocarray(errs->v, errs->n + 1, sizeof *errs->v);
		errs->v[errs->n].mark = last;
		errs->v[errs->n].mark.line = INT32_MAX;
		errs->v[errs->n].text = xasprintf("%s: %zu more errors not shown",
		    path, p.dropped);
		errs->n++;
	}
	qsort(errs->v, errs->n, sizeof *errs->v, cfg_err_cmp);
	cfg_free(c);
	return NULL;
}

struct cfg *
cfg_load_file(const char *path, const struct cfg_context *ctx,
    struct cfg_errors *errs)
{
	char *buf, why[256];
	size_t len, total;
	struct cfg *c;

	errs->v = NULL;
	errs->n = 0;
	if (file_read_bounded(path, CFG_MAX_FILE_SIZE, &buf, &len, &total, why,
	    sizeof why) < 0) {
		errs->v = xcalloc(1, sizeof *errs->v);
		errs->v[0].text = xasprintf("%s: %s", path, why);
		errs->n = 1;
		return NULL;
	}
	if (total > CFG_MAX_FILE_SIZE) {
		free(buf);
		errs->v = xcalloc(1, sizeof *errs->v);
		errs->v[0].mark = (struct cfg_mark){ 1, 1 };
		errs->v[0].text = xasprintf("%s:1:1: the file is %.1f MiB; the "
		    "limit is 1 MiB", path, (double)total / (1024 * 1024));
		errs->n = 1;
		return NULL;
	}
	c = cfg_load_buffer(path, buf, len, ctx, errs);
	free(buf);
	return c;
}

static void
cfg_service_free(struct cfg_service *s)
{
	free(s->name);
	units_argv_free(s->argv);
	free(s->command);
	free(s->app);
	free(s->image);
	free(s->unit);
	free(s->working_dir);
	for (size_t i = 0; i < s->nenv; i++) {
		free(s->env[i].key);
		free(s->env[i].value);
	}
	free(s->env);
	free(s->env_file);
	free(s->user);
	free(s->group);
	for (size_t i = 0; i < s->ndeps; i++)
		free(s->deps[i].name);
	free(s->deps);
	free(s->health.url);
	free(s->health.tcp_host);
	units_argv_free(s->health.exec_argv);
}

void
cfg_free(struct cfg *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nservices; i++)
		cfg_service_free(&c->services[i]);
	free(c->services);
	for (size_t i = 0; i < c->nalert_rules; i++)
		free(c->alert_rules[i].service);
	free(c->alert_rules);
	free(c->alert_webhook);
	free(c->daemon.listen_host);
	free(c->daemon.state_dir);
	free(c->daemon.control_socket);
	free(c->daemon.token_file);
	free(c->daemon.log_dir);
	free(c->daemon.tls_cert);
	free(c->daemon.tls_key);
	cfg_strv_free(&c->daemon.cors_origins);
	cfg_strv_free(&c->daemon.hosts);
	cfg_strv_free(&c->daemon.disks);
	free(c->path);
	free(c->dir);
	free(c);
}

int
cfg_service_index(const struct cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (cfg->services[i].name != NULL &&
		    strcmp(cfg->services[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* schema for documentation */

static void
cfg_walk_section(const struct section *sec, const char *label,
    void (*fn)(const struct cfg_key_doc *, void *), void *arg)
{
	for (size_t i = 0; i < sec->nkeys; i++) {
		const struct kdef *k = &sec->keys[i];
		struct cfg_key_doc d = { label, k->name, k->type_doc, k->def,
			k->doc };

		fn(&d, arg);
	}
	for (size_t i = 0; i < sec->nkeys; i++) {
		const struct kdef *k = &sec->keys[i];

		if (k->type == K_SECTION) {
			char *sub = xasprintf("%s.%s", label, k->name);

			cfg_walk_section(k->sub, sub, fn, arg);
			free(sub);
		}
	}
}

void
cfg_schema_walk(void (*fn)(const struct cfg_key_doc *, void *), void *arg)
{
	cfg_walk_section(&root_section, "", fn, arg);
	cfg_walk_section(&service_section, "services[]", fn, arg);
	cfg_walk_section(&depcond_section, "services[].depends_on.NAME", fn,
	    arg);
	cfg_walk_section(&rule_section, "alerts.rules[]", fn, arg);
}

/* Every field that matters, in one canonical string. */
static void
cfg_service_fingerprint(const struct cfg_service *s, struct strbuf *sb)
{
	const struct cfg_health *h = &s->health;

#define FP_STR(x) do {						\
		if (x)							\
			sb_json_str(sb, (x), strlen(x));		\
		else							\
			sb_puts(sb, "~");				\
		sb_putc(sb, '|');					\
	} while (0)
	FP_STR(s->name);
	sb_printf(sb, "%d|%d|", (int)s->type, (int)s->shell);
	for (size_t i = 0; i < s->argc; i++)
		FP_STR(s->argv[i]);
	sb_printf(sb, "#%zu|", s->argc);
	FP_STR(s->app);
	FP_STR(s->image);
	FP_STR(s->unit);
	FP_STR(s->working_dir);
	for (size_t i = 0; i < s->nenv; i++) {
		FP_STR(s->env[i].key);
		FP_STR(s->env[i].value);
	}
	sb_printf(sb, "#%zu|", s->nenv);
	FP_STR(s->env_file);
	FP_STR(s->user);
	FP_STR(s->group);
	sb_printf(sb, "%d|", s->port);
	for (size_t i = 0; i < s->ndeps; i++) {
		FP_STR(s->deps[i].name);
		sb_printf(sb, "%d|", (int)s->deps[i].condition);
	}
	sb_printf(sb, "#%zu|%d|", s->ndeps, (int)h->kind);
	FP_STR(h->url);
	FP_STR(h->tcp_host);
	sb_printf(sb, "%d|%d|%d|", h->expect_lo, h->expect_hi, h->tcp_port);
	for (char **a = h->exec_argv; a != NULL && *a != NULL; a++)
		FP_STR(*a);
	sb_printf(sb, "%lld|%lld|%lld|%d|%d|%d|", (long long)h->interval_ms,
	    (long long)h->timeout_ms, (long long)h->start_period_ms, h->retries,
	    (int)h->on_unhealthy, (int)h->follow_redirects);
	sb_printf(sb, "%d|%d|%lld|%lld|%lld|%d|%d|%lld|%lld|", (int)s->restart,
	    s->max_restarts, (long long)s->restart_window_ms,
	    (long long)s->restart_delay_ms, (long long)s->backoff_max_ms,
	    (int)s->backoff, s->stop_signal, (long long)s->stop_timeout_ms,
	    (long long)s->memory_limit);
	sb_printf(sb, "%lld|%lld|%lld|%lld|%d|%d|%d", (long long)s->limits.nofile,
	    (long long)s->limits.nproc, (long long)s->limits.core,
	    (long long)s->log.max_size, s->log.keep, s->log.ring,
	    (int)s->enabled);
	sb_printf(sb, "|%lld", (long long)s->ready_after_ms);
#undef FP_STR
}

bool
cfg_service_equal(const struct cfg_service *a, const struct cfg_service *b)
{
	struct strbuf x = { 0 }, y = { 0 };
	bool eq;

	cfg_service_fingerprint(a, &x);
	cfg_service_fingerprint(b, &y);
	eq = x.len == y.len && memcmp(x.buf, y.buf, x.len) == 0;
	sb_free(&x);
	sb_free(&y);
	return eq;
}
