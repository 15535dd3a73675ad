/*
 * The private half of the services.yaml loader, shared by its files: the
 * parse context, the shape of a key (struct kdef) and of a mapping's key
 * table (struct section), the notation the tables are written in, and
 * the functions one file of the loader lends another. The files are:
 * config-keys.c (the tables: the one file a new key touches), config-
 * scalar.c (errors, scalars, special scalars), config-nodes.c (the
 * generic mapping walk and the special nodes), config-check.c (per-section
 * and whole-file checks), config-load.c (the passes over the bytes and the
 * entry points) and config-diff.c (comparing, copying and freeing by the
 * tables; the schema walk). Nothing outside src/core/config-*.c includes it.
 */
#ifndef PRODD_CONFIG_INT_H
#define PRODD_CONFIG_INT_H

#include "prodd/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

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

/* How a key is read from the file. */
enum ktype { K_STR, K_PATH, K_INT, K_BOOL, K_DUR, K_SIZE, K_ENUM, K_SECTION,
	K_SPECIAL };

/*
 * What a key stores at its offset, for comparing, copying and freeing it
 * without knowing the key: a string, an int (enums too), a bool, an
 * int64_t (durations, sizes), a string list, a NULL-terminated argv, or
 * something only the key's own ops know. ST_ALIAS: a short form, whose
 * long form owns the field; ST_NONE: nothing kept (read by a check).
 */
enum kstore { ST_NONE, ST_ALIAS, ST_STR, ST_INT, ST_BOOL, ST_I64, ST_STRV,
	ST_ARGV, ST_OPS };

/* The operations of an ST_OPS key, on the objects of its section. */
struct kops {
	bool (*same)(const void *a, const void *b);	/* NULL: not compared */
	void (*copy)(void *dst, const void *src);	/* needed by CHANGE_PRODD */
	void (*release)(void *obj);			/* NULL: nothing owned */
};

struct section;

/* One key of a mapping: how to read it, where to store it, its default,
 * and what a change of it at a reload needs. */
struct kdef {
	const char *name;
	enum ktype type;
	enum kstore store;
	enum cfg_change change;
	size_t off;			/* into the section's object */
	const char *def;		/* default, as the file would write it */
	int64_t min, max;		/* K_INT, K_DUR (ms), K_SIZE (bytes) */
	const char *const *choices;	/* K_ENUM, NULL-terminated */
	const struct section *sub;	/* K_SECTION */
	special_fn special;		/* K_SPECIAL: reads the node */
	scalar_fn scalar;		/* K_SPECIAL: reads a scalar (defaults) */
	const struct kops *ops;		/* ST_OPS */
	const char *example;		/* K_SPECIAL: a value the file may write */
	const char *type_doc;
	const char *doc;
};

/*
 * The table's notation: KEY(name, change, AS_type(where, ...), .doc = ...).
 * Each AS_ macro names the field the key fills and its type's arguments;
 * anything else (.example, .ops, bounds of a special) follows as a
 * designated initializer.
 */
#define KEY(n, chg, ...) { .name = (n), .change = (chg), __VA_ARGS__ }
#define AS_FIELD(T, f) .off = offsetof(T, f)
#define AS_STR(T, f, tdoc) \
	.type = K_STR, .store = ST_STR, AS_FIELD(T, f), .type_doc = (tdoc)
#define AS_PATH(T, f) \
	.type = K_PATH, .store = ST_STR, AS_FIELD(T, f), .type_doc = "path"
#define AS_INT(T, f, d, lo, hi, tdoc) \
	.type = K_INT, .store = ST_INT, AS_FIELD(T, f), .def = (d), \
	.min = (lo), .max = (hi), .type_doc = (tdoc)
#define AS_BOOL(T, f, d) \
	.type = K_BOOL, .store = ST_BOOL, AS_FIELD(T, f), .def = (d), \
	.type_doc = "boolean"
#define AS_DUR(T, f, d, lo, hi) \
	.type = K_DUR, .store = ST_I64, AS_FIELD(T, f), .def = (d), \
	.min = (lo), .max = (hi), .type_doc = "duration"
#define AS_SIZE(T, f, d, lo, hi) \
	.type = K_SIZE, .store = ST_I64, AS_FIELD(T, f), .def = (d), \
	.min = (lo), .max = (hi), .type_doc = "size"
#define AS_ENUM(T, f, d, names, tdoc) \
	.type = K_ENUM, .store = ST_INT, AS_FIELD(T, f), .def = (d), \
	.choices = (names), .type_doc = (tdoc)
/* A nested mapping: its keys fill fields of T at f (0: T's own). */
#define AS_SECTION(off_, sec) \
	.type = K_SECTION, .store = ST_NONE, .off = (off_), .sub = &(sec), \
	.type_doc = "mapping"
/* A scalar read by fn, which also reads the default. */
#define AS_SCALAR(T, f, fn, st, tdoc) \
	.type = K_SPECIAL, .store = (st), AS_FIELD(T, f), .scalar = (fn), \
	.type_doc = (tdoc)
/* A node (list, mapping, scalar) read by fn. */
#define AS_NODE(T, f, fn, st, tdoc) \
	.type = K_SPECIAL, .store = (st), AS_FIELD(T, f), .special = (fn), \
	.type_doc = (tdoc)

#define DAY_MS 86400000
#define HOUR_MS 3600000

/* A mapping's keys, and what to check once all of them are read. */
struct section {
	const char *name;
	const struct kdef *keys;
	size_t nkeys;
	void (*init)(void *obj);
	void (*check)(struct pctx *, void *obj, yaml_node_t *map,
	    yaml_node_t *const *seen);
};

/* the objects of a depends_on entry's one-key section */
struct depcond {
	int condition;
};

/* the tables (config-keys.c) */
extern const struct section cfg_root_section, cfg_daemon_section,
    cfg_service_section, cfg_health_section, cfg_rule_section,
    cfg_alerts_section, cfg_depcond_section, cfg_tls_section;

/* the operations of ST_OPS keys (config-diff.c) */
extern const struct kops cfg_ops_listen, cfg_ops_rate, cfg_ops_status,
    cfg_ops_tcp, cfg_ops_command, cfg_ops_env, cfg_ops_deps, cfg_ops_rules,
    cfg_ops_services;

/* errors (config-scalar.c) */
struct cfg_mark cfg_node_mark(const yaml_node_t *n);
void cfg_err(struct pctx *p, struct cfg_mark m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define cfg_nerr(p, node, ...) cfg_err((p), cfg_node_mark(node), __VA_ARGS__)
int cfg_err_cmp(const void *a, const void *b);

/* scalars (config-scalar.c) */
const char *cfg_suggest(const char *s, const char *const *names, size_t n);
const char *cfg_kind_noun(const yaml_node_t *n);
const char *cfg_scalar(const yaml_node_t *n);
bool cfg_is_null(const yaml_node_t *n);
bool cfg_want_scalar(struct pctx *p, yaml_node_t *n, const char *key,
    const char *what);
int cfg_parse_int64(const char *s, int64_t *out);
void cfg_fmt_value(const struct kdef *k, int64_t v, char *buf, size_t size);
int cfg_read_scalar(const struct kdef *k, const char *s, void *field,
    char *err, size_t errlen);
int cfg_check_url(const char *s, const char *key, char *err, size_t errlen);
int cfg_scalar_listen(const char *, void *, const struct kdef *, char *,
    size_t);
int cfg_scalar_tcp(const char *, void *, const struct kdef *, char *, size_t);
int cfg_scalar_url(const char *, void *, const struct kdef *, char *, size_t);
int cfg_scalar_signal(const char *, void *, const struct kdef *, char *,
    size_t);
int cfg_scalar_status(const char *, void *, const struct kdef *, char *,
    size_t);
int cfg_parse_rate(const char *s, bool any_window, int64_t *n,
    int64_t *win_ms);
int cfg_scalar_rate(const char *, void *, const struct kdef *, char *,
    size_t);
int cfg_scalar_rlimit(const char *, void *, const struct kdef *, char *,
    size_t);
int cfg_scalar_name(const char *, void *, const struct kdef *, char *,
    size_t);
int cfg_scalar_account(const char *, void *, const struct kdef *, char *,
    size_t);

/* the mapping walk and the special nodes (config-nodes.c) */
void cfg_section_defaults(const struct section *sec, void *obj);
void cfg_parse_section(struct pctx *p, const struct section *sec,
    yaml_node_t *map, void *obj, const char *where);
size_t cfg_key_index(const struct section *sec, const char *name);
void cfg_strv_push(struct cfg_strv *sv, const char *s);
void cfg_strv_free(struct cfg_strv *sv);
void cfg_sp_cors(struct pctx *, yaml_node_t *, void *, const struct kdef *);
void cfg_sp_hosts(struct pctx *, yaml_node_t *, void *, const struct kdef *);
void cfg_sp_disks(struct pctx *, yaml_node_t *, void *, const struct kdef *);
void cfg_sp_command(struct pctx *, yaml_node_t *, void *,
    const struct kdef *);
void cfg_sp_exec(struct pctx *, yaml_node_t *, void *, const struct kdef *);
void cfg_sp_environment(struct pctx *, yaml_node_t *, void *,
    const struct kdef *);
void cfg_sp_dependencies(struct pctx *, yaml_node_t *, void *,
    const struct kdef *);
void cfg_sp_depends_on(struct pctx *, yaml_node_t *, void *,
    const struct kdef *);
void cfg_sp_auto_restart(struct pctx *, yaml_node_t *, void *,
    const struct kdef *);
void cfg_sp_health_url(struct pctx *, yaml_node_t *, void *,
    const struct kdef *);
void cfg_sp_later(struct pctx *, yaml_node_t *, void *, const struct kdef *);
void cfg_sp_rules(struct pctx *, yaml_node_t *, void *, const struct kdef *);
void cfg_sp_services(struct pctx *, yaml_node_t *, void *,
    const struct kdef *);

/* checks (config-check.c) */
void cfg_check_tls(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen);
void cfg_check_health(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen);
void cfg_check_service(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen);
void cfg_check_rule(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen);
void cfg_check_alerts(struct pctx *p, void *obj, yaml_node_t *map,
    yaml_node_t *const *seen);
void cfg_check_mappings(struct pctx *p);
void cfg_check_references(struct pctx *p);

/* freeing by the tables (config-diff.c) */
void cfg_section_release(const struct section *sec, void *obj);

#endif
