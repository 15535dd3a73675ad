/*
 * services.yaml's mappings and the keys that are more than a scalar. The
 * generic walk reads a mapping against its section's key table: defaults
 * first, then each key by its type (unknown keys with a did-you-mean,
 * empty values as absent), then the section's own check. The special
 * nodes -- string lists, commands, environment, both forms of
 * dependencies, the short forms, the services and alert rule lists -- are
 * the readers the tables name for the keys that need one.
 */
#include "config-int.h"
#include "prodd/strutil.h"
#include "prodd/units.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* the generic mapping walk */


void
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

void
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
size_t
cfg_key_index(const struct section *sec, const char *name)
{
	for (size_t i = 0; i < sec->nkeys; i++)
		if (strcmp(sec->keys[i].name, name) == 0)
			return i;
	abort();
}

/* ------------------------------------------------------------------ */
/* lists and special nodes */

void
cfg_strv_push(struct cfg_strv *sv, const char *s)
{
	sv->v = xreallocarray(sv->v, sv->n + 1, sizeof *sv->v);
	sv->v[sv->n++] = xstrdup(s);
}

void
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

void
cfg_sp_cors(struct pctx *p, yaml_node_t *val, void *obj, const struct kdef *k)
{
	cfg_read_strlist(p, val, (struct cfg_strv *)((char *)obj + k->off),
	    k->name, cfg_check_origin);
}

void
cfg_sp_hosts(struct pctx *p, yaml_node_t *val, void *obj, const struct kdef *k)
{
	cfg_read_strlist(p, val, (struct cfg_strv *)((char *)obj + k->off),
	    k->name, cfg_check_hostname);
}

void
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

void
cfg_sp_command(struct pctx *p, yaml_node_t *val, void *obj,
    const struct kdef *k)
{
	struct cfg_service *s = obj;

	(void)k;
	units_argv_free(s->argv);
	free(s->command);
	s->argv = cfg_read_argv(p, val, "command", &s->argc, &s->command);
}

void
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

void
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
void
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

/* depends_on: { a: {condition: healthy}, b: started, c: } */
void
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
			cfg_parse_section(p, &cfg_depcond_section, vn, &cond,
			    "a depends_on entry");
		} else if (!cfg_is_null(vn)) {
			if (!cfg_want_scalar(p, vn, cfg_scalar(kn),
			    "a mapping {condition: ...}"))
				continue;
			if (cfg_read_scalar(&cfg_depcond_section.keys[0], cfg_scalar(vn),
			    &cond, err, sizeof err) < 0) {
				cfg_nerr(p, vn, "%s", err);
				continue;
			}
		}
		cfg_dep_push(s, cfg_scalar(kn), (enum cfg_condition)cond,
		    cfg_node_mark(kn));
	}
}

void
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

void
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
void
cfg_sp_later(struct pctx *p, yaml_node_t *val, void *obj, const struct kdef *k)
{
	(void)obj;
	cfg_want_scalar(p, val, k->name, k->type_doc);
}

/* ------------------------------------------------------------------ */
/* services and rules */

void
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
		cfg_section_defaults(&cfg_rule_section, r);
		r->alert = (enum cfg_alert_kind)-1;	/* until read */
		r->mark = cfg_node_mark(n);
		cfg_parse_section(p, &cfg_rule_section, n, r, "an alert rule");
	}
}

void
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
		cfg_section_defaults(&cfg_service_section, s);
		s->mark = cfg_node_mark(node);
		cfg_parse_section(p, &cfg_service_section, node, s, "a service");
	}
}
