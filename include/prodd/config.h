/*
 * services.yaml: the schema, the loader and the validator. The file is read
 * with libyaml's document API into the plain structs below, with every
 * default applied and every relative path resolved against the file's own
 * directory. All keys are described once, in the tables of
 * src/core/config-keys.c, which the parser, the validator, the
 * documentation and a reload's comparisons follow. Pure: no system calls
 * beyond reading the one file handed in.
 */
#ifndef PRODD_CONFIG_H
#define PRODD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_FILE_SIZE (1024 * 1024)
#define CFG_NAME_MAX 63

enum cfg_svc_type { CFG_TYPE_PROCESS, CFG_TYPE_FASTAPI, CFG_TYPE_DOCKER,
	CFG_TYPE_SYSTEMD };
enum cfg_restart { CFG_RESTART_ALWAYS, CFG_RESTART_ON_FAILURE,
	CFG_RESTART_NEVER };
enum cfg_backoff { CFG_BACKOFF_FIXED, CFG_BACKOFF_EXPONENTIAL };
enum cfg_condition { CFG_COND_STARTED, CFG_COND_HEALTHY, CFG_COND_COMPLETED };
enum cfg_health_kind { CFG_HEALTH_NONE, CFG_HEALTH_URL, CFG_HEALTH_TCP,
	CFG_HEALTH_EXEC };
enum cfg_on_unhealthy { CFG_UNHEALTHY_RESTART, CFG_UNHEALTHY_IGNORE };
enum cfg_alert_kind { CFG_ALERT_SERVICE_FAILED, CFG_ALERT_RESTART_LOOP,
	CFG_ALERT_UNHEALTHY, CFG_ALERT_HEALTH_SLOW, CFG_ALERT_HIGH_CPU,
	CFG_ALERT_HIGH_MEMORY, CFG_ALERT_DISK_FULL, CFG_ALERT_WATCHDOG };
#define CFG_ALERT_KINDS (CFG_ALERT_WATCHDOG + 1)
enum cfg_severity { CFG_SEV_INFO, CFG_SEV_WARNING, CFG_SEV_CRITICAL };

/*
 * What a change of a key needs at a reload: it applies at once, it
 * restarts the service it belongs to, or it needs a restart of prodd (the
 * reload says so and keeps the running value).
 */
enum cfg_change { CFG_CHANGE_NOW, CFG_CHANGE_SERVICE, CFG_CHANGE_PRODD };

/* Where a value came from in the file: 1-based line and column. */
struct cfg_mark {
	int line;
	int col;
};

struct cfg_strv {
	char **v;
	size_t n;
};

struct cfg_env {
	char *key;
	char *value;
};

struct cfg_dep {
	char *name;
	enum cfg_condition condition;
	int index;			/* the dependency's index in services */
	struct cfg_mark mark;		/* of the dependency's name */
};

struct cfg_health {
	enum cfg_health_kind kind;
	int tcp_port;
	char *url;			/* url: http(s)://host[:port]/path */
	char *tcp_host;			/* tcp: host:port */
	char **exec_argv;		/* exec: NULL-terminated */
	int64_t interval_ms, timeout_ms, start_period_ms;
	int expect_lo, expect_hi;	/* expect_status, inclusive */
	int retries;
	enum cfg_on_unhealthy on_unhealthy;
	bool follow_redirects;		/* url: follow 3xx (at most 5) */
};

struct cfg_limits {
	int64_t nofile, nproc, core;	/* -1: not set (inherit prodd's) */
};

struct cfg_logopts {
	int64_t max_size;
	int keep;
	int ring;
};

struct cfg_service {
	/* (in this order, not the file's, so that no padding is left
	 * between fields: there is one per service) */
	char *name;
	enum cfg_svc_type type;
	int port;			/* 0: none */
	/* The command to exec, final: split, or /bin/sh -c, or built from
	 * app/image/unit by type. NULL-terminated; argc without the NULL. */
	char **argv;
	size_t argc;
	char *command;			/* as written, when given as a string */
	char *app, *image, *unit;
	char *working_dir;		/* absolute, or NULL */
	struct cfg_env *env;
	size_t nenv;
	char *env_file;			/* absolute, or NULL */
	char *user, *group;
	struct cfg_dep *deps;
	size_t ndeps;
	struct cfg_health health;
	enum cfg_restart restart;
	int max_restarts;
	int64_t restart_window_ms, restart_delay_ms, backoff_max_ms;
	enum cfg_backoff backoff;
	int stop_signal;
	int64_t stop_timeout_ms;
	int64_t memory_limit;		/* bytes; 0: none */
	struct cfg_limits limits;
	struct cfg_logopts log;
	int64_t ready_after_ms;		/* no check: alive this long is ready */
	int64_t start_timeout_ms;	/* 0: no limit */
	int64_t watchdog_ms;		/* 0: off; needs notify */
	struct cfg_mark mark;		/* of the service's mapping */
	bool shell;
	bool enabled;
	bool notify;			/* ready at READY=1 (sd_notify) */
};

struct cfg_alert_rule {
	enum cfg_alert_kind alert;
	char *service;			/* NULL: every service / the host */
	double threshold;		/* %, bytes, ms or a count: see docs */
	bool threshold_is_percent;
	int64_t for_ms;
	int severity;			/* enum cfg_severity */
	bool enabled;
	/* which of threshold, for, severity the file gave: the others come
	 * from the default rule of the same alert (alerts.h) */
	bool threshold_given, for_given, severity_given;
	struct cfg_mark mark;
};

struct cfg_daemon {
	char *listen_host;
	int listen_port;
	char *state_dir, *control_socket, *token_file, *log_dir;
	struct cfg_strv cors_origins, hosts, disks;
	int rate_limit;			/* requests per rate_window_ms; 0: off */
	int64_t rate_window_ms;
	char *tls_cert, *tls_key;	/* both or neither */
	char *dashboard_dir;		/* NULL: the default (daemon/static) */
	/* where the file gives them, for the daemon's errors about the
	 * files themselves (unreadable, not PEM, a key that does not match) */
	struct cfg_mark tls_cert_mark, tls_key_mark;
	int log_level;			/* enum log_level */
	int64_t sample_interval_ms;
	int history;
	int64_t shutdown_timeout_ms;
};

struct cfg {
	int version;
	char *path;			/* as given */
	char *dir;			/* its directory, for relative paths */
	struct cfg_daemon daemon;
	struct cfg_service *services;	/* in file order */
	size_t nservices;
	char *alert_webhook;
	char *alert_secret_file;	/* absolute, or NULL */
	struct cfg_mark alert_secret_mark;
	int64_t alert_webhook_timeout_ms;
	char *alert_alertmanager;
	int64_t alert_repeat_ms;	/* 0: never repeat */
	int alert_max_notifications;	/* per alert_window_ms; 0: no cap */
	int64_t alert_window_ms;
	struct cfg_alert_rule *alert_rules;
	size_t nalert_rules;
	bool alert_rules_given;		/* false: the default rules apply */
};

/* One problem in the file, already formatted as "FILE:LINE:COL: message". */
struct cfg_error {
	struct cfg_mark mark;
	char *text;
};

struct cfg_errors {
	struct cfg_error *v;
	size_t n;
};

/*
 * What the defaults that depend on who runs prodd are made of. Filled by
 * the caller (the daemon from getuid() and the environment), so the loader
 * stays pure. Any field may be NULL.
 */
struct cfg_context {
	bool root;
	const char *xdg_runtime_dir;	/* for state_dir when not root */
	const char *xdg_state_home;	/* for log_dir when not root */
	const char *home;		/* for log_dir without XDG_STATE_HOME */
	const char *cwd;		/* to make a relative file path absolute */
	unsigned uid;			/* for the fallback state_dir */
};

/*
 * Load and validate FILE. On success returns a config (free with
 * cfg_free) and leaves errs empty; on failure returns NULL with every
 * problem of the file in errs, sorted by position (free with
 * cfg_errors_free). ctx may be NULL (treated as root with no XDG vars).
 */
struct cfg *cfg_load_file(const char *path, const struct cfg_context *ctx,
    struct cfg_errors *errs);
/* Same, from a buffer; path names it in messages and anchors relative paths. */
struct cfg *cfg_load_buffer(const char *path, const char *buf, size_t len,
    const struct cfg_context *ctx, struct cfg_errors *errs);
void cfg_free(struct cfg *cfg);
void cfg_errors_free(struct cfg_errors *errs);

/*
 * A reload's comparisons, derived from the key tables: each key's value
 * is compared by what it stores (strings, lists, numbers, nested sections
 * key by key), so a new key is compared without further code.
 *
 * fn is called for each key whose value differs between a and b, named as
 * the file writes it ("listen", "tls.cert", "health_check.interval"),
 * with what its change needs. Each returns the number of keys reported.
 */
typedef void (*cfg_change_fn)(const char *key, enum cfg_change change,
    void *arg);
int cfg_daemon_diff(const struct cfg_daemon *a, const struct cfg_daemon *b,
    cfg_change_fn fn, void *arg);
int cfg_service_diff(const struct cfg_service *a, const struct cfg_service *b,
    cfg_change_fn fn, void *arg);

/*
 * Whether two services are configured the same for a reload: false when a
 * key whose change restarts the service differs (every field, dependencies
 * included). A reload restarts a service only when this is false.
 */
bool cfg_service_equal(const struct cfg_service *a,
    const struct cfg_service *b);

/*
 * Puts the running value (from old) of every daemon key whose change needs
 * a restart of prodd back into new, so a reload keeps them.
 */
void cfg_daemon_keep(struct cfg_daemon *new_d, const struct cfg_daemon *old);

/* "applies at once", "restarts the service", "needs a restart of prodd". */
const char *cfg_change_name(enum cfg_change c);

/* Index of the service called name, or -1. */
int cfg_service_index(const struct cfg *cfg, const char *name);

const char *cfg_type_name(enum cfg_svc_type t);
const char *cfg_condition_name(enum cfg_condition c);
const char *cfg_health_kind_name(enum cfg_health_kind k);
const char *cfg_alert_kind_name(enum cfg_alert_kind k);
const char *cfg_severity_name(int severity);
/* "SIGTERM" for 15; NULL when the number is not a known signal. */
const char *cfg_signal_name(int sig);
/* 15 for "SIGTERM", "TERM" or "sigterm"; -1 when unknown. */
int cfg_signal_parse(const char *s);

/*
 * The schema, for documentation (and for tests that cover every key):
 * each section lists its keys with a type name, the default as the file
 * would write it, bounds and a description.
 */
struct cfg_key_doc {
	const char *section;		/* "daemon", "services[]", ... */
	const char *name;
	const char *type;
	const char *def;		/* NULL: none, or computed */
	const char *doc;
	enum cfg_change change;		/* what a change needs at a reload */
	bool is_section;		/* a mapping of keys, walked after */
	const char *lo, *hi;		/* bounds as the file writes them, or NULL */
	const char *const *choices;	/* an enum's values, or NULL */
	const char *example;		/* another value the file may write, or NULL */
};
/* Calls fn for every key of every section, in table order. */
void cfg_schema_walk(void (*fn)(const struct cfg_key_doc *, void *), void *arg);

#endif
