/*
 * services.yaml's rules beyond one key's value: the checks a section runs
 * once its keys are read (tls needs both files; a health check takes
 * exactly one probe; what each service type needs and refuses; short and
 * long forms not both; an alert rule's threshold for its kind), then the
 * whole-file rules: duplicate and non-string keys anywhere, duplicate
 * service names, unknown dependencies (with a did-you-mean), dependency
 * cycles with their path, and alert rules naming unknown services.
 */
#include "config-int.h"
#include "prodd/graph.h"
#include "prodd/strutil.h"
#include "prodd/units.h"
#include "prodd/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* sections */

void
cfg_check_tls(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen)
{
	struct cfg_daemon *d = obj;
	yaml_node_t *cert = seen[cfg_key_index(&cfg_tls_section, "cert")];
	yaml_node_t *key = seen[cfg_key_index(&cfg_tls_section, "key")];

	if ((d->tls_cert == NULL) != (d->tls_key == NULL))
		cfg_nerr(p, map, "'tls' needs both 'cert' and 'key'");
	/* the files are read by the daemon (the loader reads no other
	 * file): it reports their problems where the file names them */
	d->tls_cert_mark = cfg_node_mark(cert != NULL ? cert : map);
	d->tls_key_mark = cfg_node_mark(key != NULL ? key : map);
}

void
cfg_check_health(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen)
{
	struct cfg_health *h = obj;
	const char *kinds[] = { "url", "tcp", "exec" };
	yaml_node_t *first = NULL;
	int n = 0;

	for (int i = 0; i < 3; i++) {
		yaml_node_t *k = seen[cfg_key_index(&cfg_health_section,
		    kinds[i])];

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

void
cfg_check_rule(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen)
{
	struct cfg_alert_rule *r = obj;
	yaml_node_t *tk = seen[cfg_key_index(&cfg_rule_section, "threshold")];
	yaml_node_t *tv;
	const char *s;
	int64_t v;

	if (seen[cfg_key_index(&cfg_rule_section, "alert")] == NULL) {
		cfg_nerr(p, map, "alert rule is missing 'alert'");
		return;
	}
	if ((int)r->alert < 0)
		return;		/* bad value, reported */
	r->for_given = seen[cfg_key_index(&cfg_rule_section, "for")] != NULL;
	r->severity_given =
	    seen[cfg_key_index(&cfg_rule_section, "severity")] != NULL;
	r->threshold_given = tk != NULL;
	if (tk == NULL) {
		/* the default rule's (alerts.h) fills it in later */
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
	case CFG_ALERT_WATCHDOG:
		cfg_nerr(p, tk, "'threshold' does not apply to alert '%s'",
		    cfg_alert_kind_name(r->alert));
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
			    "(0 < %% <= %g)", s, cfg_alert_kind_name(r->alert), max);
			return;
		}
		r->threshold = d;
		r->threshold_is_percent = true;
		return;
	}
	}
}

/*
 * The alerts section once read: whether rules were given (absent: the
 * defaults), where the secret file was named (its reading is the
 * daemon's), and no two rules for one alert and service.
 */
void
cfg_check_alerts(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen)
{
	struct cfg *c = obj;
	yaml_node_t *sk = seen[cfg_key_index(&cfg_alerts_section, "rules")];

	(void)map;
	c->alert_rules_given = sk != NULL;
	sk = seen[cfg_key_index(&cfg_alerts_section, "webhook_secret_file")];
	if (sk != NULL)
		c->alert_secret_mark = cfg_node_mark(sk);
	for (size_t i = 0; i < c->nalert_rules; i++) {
		const struct cfg_alert_rule *a = &c->alert_rules[i];

		if ((int)a->alert < 0)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct cfg_alert_rule *b = &c->alert_rules[j];

			if (b->alert != a->alert)
				continue;
			if ((a->service == NULL) != (b->service == NULL) ||
			    (a->service != NULL &&
			    strcmp(a->service, b->service) != 0))
				continue;
			cfg_err(p, a->mark, "a second rule for alert '%s' and "
			    "%s%s%s (the first is at line %d)",
			    cfg_alert_kind_name(a->alert),
			    a->service ? "service '" : "every service",
			    a->service ? a->service : "", a->service ? "'" : "",
			    b->mark.line);
			break;
		}
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
	yaml_node_t *a = seen[cfg_key_index(&cfg_service_section, shortk)];
	yaml_node_t *b = seen[cfg_key_index(&cfg_service_section, longk)];
	yaml_node_t *later;

	if (a == NULL || b == NULL)
		return;
	later = a->start_mark.index > b->start_mark.index ? a : b;
	cfg_nerr(p, later, "give either '%s' or '%s', not both", shortk, longk);
}

void
cfg_check_service(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen)
{
	struct cfg_service *s = obj;
	const struct section *sec = &cfg_service_section;
	const char *tname = cfg_type_name(s->type);
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
		/* the seed's form: command alone, its first word the image */
		if (cfg_key_given(sec, seen, "image") == NULL &&
		    cfg_key_given(sec, seen, "command") == NULL)
			cfg_nerr(p, map, "service %s (type docker) needs an "
			    "'image' (or a 'command' whose first word is the "
			    "image)", who);
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
	if (s->watchdog_ms > 0 && !s->notify)
		cfg_nerr(p, seen[cfg_key_index(sec, "watchdog")], "'watchdog' "
		    "needs 'notify: true' (service %s)", who);

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
void
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

void
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
