/*
 * What the key tables know beyond reading: how to compare, copy and free
 * each key's value without knowing the key. Each key stores one of a few
 * shapes (a string, an int, a bool, an int64_t, a string list, an argv)
 * or, for the few that fill several fields, has its own operations here
 * (struct kops). A reload's questions are answered by walking the tables:
 * which daemon keys changed and what each change needs, whether a service
 * must restart, which running values to keep until prodd restarts. Also
 * cfg_free and the schema walk for documentation.
 */
#include "config-int.h"
#include "prodd/strutil.h"
#include "prodd/units.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* shapes */

static bool
str_same(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static void
str_copy(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL ? xstrdup(src) : NULL;
}

static bool
strv_same(const struct cfg_strv *a, const struct cfg_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static void
strv_copy(struct cfg_strv *dst, const struct cfg_strv *src)
{
	cfg_strv_free(dst);
	for (size_t i = 0; i < src->n; i++)
		cfg_strv_push(dst, src->v[i]);
}

/* NULL-terminated; a NULL argv is the empty one. */
static bool
argv_same(char *const *a, char *const *b)
{
	size_t i = 0;

	if (a == NULL || b == NULL)
		return (a == NULL || a[0] == NULL) && (b == NULL || b[0] == NULL);
	for (; a[i] != NULL && b[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return a[i] == NULL && b[i] == NULL;
}

static char **
argv_dup(char *const *src, size_t *argc)
{
	size_t n = 0;
	char **v;

	if (src == NULL)
		return NULL;
	while (src[n] != NULL)
		n++;
	v = xcalloc(n + 1, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(src[i]);
	if (argc != NULL)
		*argc = n;
	return v;
}

/* ------------------------------------------------------------------ */
/* the keys that fill more than one field */

static bool
listen_same(const void *a, const void *b)
{
	const struct cfg_daemon *x = a, *y = b;

	return str_same(x->listen_host, y->listen_host) &&
	    x->listen_port == y->listen_port;
}

static void
listen_copy(void *dst, const void *src)
{
	struct cfg_daemon *x = dst;
	const struct cfg_daemon *y = src;

	str_copy(&x->listen_host, y->listen_host);
	x->listen_port = y->listen_port;
}

static void
listen_release(void *obj)
{
	free(((struct cfg_daemon *)obj)->listen_host);
}

const struct kops cfg_ops_listen = { listen_same, listen_copy,
	listen_release };

static bool
rate_same(const void *a, const void *b)
{
	const struct cfg_daemon *x = a, *y = b;

	return x->rate_limit == y->rate_limit &&
	    x->rate_window_ms == y->rate_window_ms;
}

static void
rate_copy(void *dst, const void *src)
{
	struct cfg_daemon *x = dst;
	const struct cfg_daemon *y = src;

	x->rate_limit = y->rate_limit;
	x->rate_window_ms = y->rate_window_ms;
}

const struct kops cfg_ops_rate = { rate_same, rate_copy, NULL };

static bool
status_same(const void *a, const void *b)
{
	const struct cfg_health *x = a, *y = b;

	return x->expect_lo == y->expect_lo && x->expect_hi == y->expect_hi;
}

const struct kops cfg_ops_status = { status_same, NULL, NULL };

static bool
tcp_same(const void *a, const void *b)
{
	const struct cfg_health *x = a, *y = b;

	return str_same(x->tcp_host, y->tcp_host) && x->tcp_port == y->tcp_port;
}

static void
tcp_release(void *obj)
{
	free(((struct cfg_health *)obj)->tcp_host);
}

const struct kops cfg_ops_tcp = { tcp_same, NULL, tcp_release };

/* The command as it will run: the argv derived from command, shell, app,
 * image and port, compared whole. */
static bool
command_same(const void *a, const void *b)
{
	const struct cfg_service *x = a, *y = b;

	return x->argc == y->argc && argv_same(x->argv, y->argv);
}

static void
command_release(void *obj)
{
	struct cfg_service *s = obj;

	units_argv_free(s->argv);
	free(s->command);
}

const struct kops cfg_ops_command = { command_same, NULL, command_release };

static bool
env_same(const void *a, const void *b)
{
	const struct cfg_service *x = a, *y = b;

	if (x->nenv != y->nenv)
		return false;
	for (size_t i = 0; i < x->nenv; i++)
		if (strcmp(x->env[i].key, y->env[i].key) != 0 ||
		    strcmp(x->env[i].value, y->env[i].value) != 0)
			return false;
	return true;
}

static void
env_release(void *obj)
{
	struct cfg_service *s = obj;

	for (size_t i = 0; i < s->nenv; i++) {
		free(s->env[i].key);
		free(s->env[i].value);
	}
	free(s->env);
}

const struct kops cfg_ops_env = { env_same, NULL, env_release };

/* Names and conditions, in order (both forms fill the same list). */
static bool
deps_same(const void *a, const void *b)
{
	const struct cfg_service *x = a, *y = b;

	if (x->ndeps != y->ndeps)
		return false;
	for (size_t i = 0; i < x->ndeps; i++)
		if (strcmp(x->deps[i].name, y->deps[i].name) != 0 ||
		    x->deps[i].condition != y->deps[i].condition)
			return false;
	return true;
}

static void
deps_release(void *obj)
{
	struct cfg_service *s = obj;

	for (size_t i = 0; i < s->ndeps; i++)
		free(s->deps[i].name);
	free(s->deps);
}

const struct kops cfg_ops_deps = { deps_same, NULL, deps_release };

static void
rules_release(void *obj)
{
	struct cfg *c = obj;

	for (size_t i = 0; i < c->nalert_rules; i++)
		cfg_section_release(&cfg_rule_section, &c->alert_rules[i]);
	free(c->alert_rules);
}

const struct kops cfg_ops_rules = { NULL, NULL, rules_release };

static void
services_release(void *obj)
{
	struct cfg *c = obj;

	for (size_t i = 0; i < c->nservices; i++)
		cfg_section_release(&cfg_service_section, &c->services[i]);
	free(c->services);
}

const struct kops cfg_ops_services = { NULL, NULL, services_release };

/* ------------------------------------------------------------------ */
/* one key, by what it stores */

static const void *
key_field(const struct kdef *k, const void *obj)
{
	return (const char *)obj + k->off;
}

static bool
key_same(const struct kdef *k, const void *a, const void *b)
{
	const void *x = key_field(k, a), *y = key_field(k, b);

	switch (k->store) {
	case ST_STR:
		return str_same(*(char *const *)x, *(char *const *)y);
	case ST_INT:
		return *(const int *)x == *(const int *)y;
	case ST_BOOL:
		return *(const bool *)x == *(const bool *)y;
	case ST_I64:
		return *(const int64_t *)x == *(const int64_t *)y;
	case ST_STRV:
		return strv_same(x, y);
	case ST_ARGV:
		return argv_same(*(char **const *)x, *(char **const *)y);
	case ST_OPS:
		return k->ops->same == NULL || k->ops->same(a, b);
	case ST_NONE:
	case ST_ALIAS:
		break;
	}
	return true;
}

static void
key_copy(const struct kdef *k, void *dst, const void *src)
{
	void *x = (char *)dst + k->off;
	const void *y = key_field(k, src);

	switch (k->store) {
	case ST_STR:
		str_copy(x, *(char *const *)y);
		return;
	case ST_INT:
		*(int *)x = *(const int *)y;
		return;
	case ST_BOOL:
		*(bool *)x = *(const bool *)y;
		return;
	case ST_I64:
		*(int64_t *)x = *(const int64_t *)y;
		return;
	case ST_STRV:
		strv_copy(x, y);
		return;
	case ST_ARGV:
		units_argv_free(*(char ***)x);
		*(char ***)x = argv_dup(*(char **const *)y, NULL);
		return;
	case ST_OPS:
		if (k->ops->copy == NULL)
			abort();	/* a broken table: caught by the tests */
		k->ops->copy(dst, src);
		return;
	case ST_NONE:
	case ST_ALIAS:
		return;
	}
}

static void
key_release(const struct kdef *k, void *obj)
{
	void *x = (char *)obj + k->off;

	switch (k->store) {
	case ST_STR:
		free(*(char **)x);
		*(char **)x = NULL;
		return;
	case ST_STRV:
		cfg_strv_free(x);
		return;
	case ST_ARGV:
		units_argv_free(*(char ***)x);
		*(char ***)x = NULL;
		return;
	case ST_OPS:
		if (k->ops->release != NULL)
			k->ops->release(obj);
		return;
	default:
		return;
	}
}

/* ------------------------------------------------------------------ */
/* sections */

void
cfg_section_release(const struct section *sec, void *obj)
{
	for (size_t i = 0; i < sec->nkeys; i++) {
		const struct kdef *k = &sec->keys[i];

		if (k->type == K_SECTION)
			cfg_section_release(k->sub, (char *)obj + k->off);
		else
			key_release(k, obj);
	}
}

/* Reports each key of sec that differs between a and b; prefix names the
 * enclosing section ("tls."), or is "". */
static int
cfg_section_diff(const struct section *sec, const char *prefix,
    const void *a, const void *b, cfg_change_fn fn, void *arg)
{
	char label[96];
	int n = 0;

	for (size_t i = 0; i < sec->nkeys; i++) {
		const struct kdef *k = &sec->keys[i];

		snprintf(label, sizeof label, "%s%s", prefix, k->name);
		if (k->type == K_SECTION) {
			char sub[sizeof label + 1];

			snprintf(sub, sizeof sub, "%s.", label);
			n += cfg_section_diff(k->sub, sub,
			    (const char *)a + k->off, (const char *)b + k->off,
			    fn, arg);
		} else if (!key_same(k, a, b)) {
			n++;
			if (fn != NULL)
				fn(label, k->change, arg);
		}
	}
	return n;
}

static void
cfg_section_keep(const struct section *sec, void *dst, const void *src)
{
	for (size_t i = 0; i < sec->nkeys; i++) {
		const struct kdef *k = &sec->keys[i];

		if (k->type == K_SECTION)
			cfg_section_keep(k->sub, (char *)dst + k->off,
			    (const char *)src + k->off);
		else if (k->change == CFG_CHANGE_PRODD)
			key_copy(k, dst, src);
	}
}

/* ------------------------------------------------------------------ */
/* the reload's questions */

int
cfg_daemon_diff(const struct cfg_daemon *a, const struct cfg_daemon *b,
    cfg_change_fn fn, void *arg)
{
	return cfg_section_diff(&cfg_daemon_section, "", a, b, fn, arg);
}

int
cfg_service_diff(const struct cfg_service *a, const struct cfg_service *b,
    cfg_change_fn fn, void *arg)
{
	return cfg_section_diff(&cfg_service_section, "", a, b, fn, arg);
}

static void
cfg_count_restarts(const char *key, enum cfg_change change, void *arg)
{
	(void)key;
	if (change != CFG_CHANGE_NOW)
		(*(int *)arg)++;
}

bool
cfg_service_equal(const struct cfg_service *a, const struct cfg_service *b)
{
	int n = 0;

	cfg_service_diff(a, b, cfg_count_restarts, &n);
	return n == 0;
}

void
cfg_daemon_keep(struct cfg_daemon *new_d, const struct cfg_daemon *old)
{
	cfg_section_keep(&cfg_daemon_section, new_d, old);
}

const char *
cfg_change_name(enum cfg_change c)
{
	switch (c) {
	case CFG_CHANGE_NOW:
		return "applies at once";
	case CFG_CHANGE_SERVICE:
		return "restarts the service";
	case CFG_CHANGE_PRODD:
		return "needs a restart of prodd";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* the rest of a config's life */

void
cfg_free(struct cfg *c)
{
	if (c == NULL)
		return;
	cfg_section_release(&cfg_root_section, c);
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
		bool bounded = k->type == K_INT || k->type == K_DUR ||
		    k->type == K_SIZE;
		char lo[32], hi[32];
		struct cfg_key_doc d = { .section = label, .name = k->name,
			.type = k->type_doc, .def = k->def, .doc = k->doc,
			.change = k->change, .is_section = k->type == K_SECTION,
			.choices = k->choices, .example = k->example };

		if (bounded) {
			cfg_fmt_value(k, k->min, lo, sizeof lo);
			cfg_fmt_value(k, k->max, hi, sizeof hi);
			d.lo = lo;
			d.hi = hi;
		}
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
	cfg_walk_section(&cfg_root_section, "", fn, arg);
	cfg_walk_section(&cfg_service_section, "services[]", fn, arg);
	cfg_walk_section(&cfg_depcond_section, "services[].depends_on.NAME",
	    fn, arg);
	cfg_walk_section(&cfg_rule_section, "alerts.rules[]", fn, arg);
}
