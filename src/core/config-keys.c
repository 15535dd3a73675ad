/*
 * Every key of services.yaml, defined once: its name, what a change of it
 * needs at a reload (applies at once, restarts its service, or needs a
 * restart of prodd), how it is read (AS_DUR, AS_PATH, AS_NODE ...: see
 * config-int.h), where it is stored, its default, bounds and description.
 * The parser, the validator, the documentation (cfg_schema_walk) and a
 * reload's comparisons (config-diff.c) all follow these tables, so a new
 * key touches this file, and the struct it fills in prodd/config.h, only.
 */
#include "config-int.h"

#include "prodd/units.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* names: the values of the enum keys, in the enums' order */

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
	"watchdog", NULL };
static const char *const severity_names[] = { "info", "warning", "critical",
	NULL };

const char *
cfg_type_name(enum cfg_svc_type t)
{
	return type_names[t];
}

const char *
cfg_condition_name(enum cfg_condition c)
{
	return condition_names[c];
}

const char *
cfg_health_kind_name(enum cfg_health_kind k)
{
	return health_kind_names[k];
}

const char *
cfg_alert_kind_name(enum cfg_alert_kind k)
{
	return alert_names[k];
}

const char *
cfg_severity_name(int severity)
{
	return severity_names[severity];
}

/*
 * alerts.max_notifications: "N/s", "N/min", "N/h" or N over any duration
 * ("5/10s"), or 0 (no cap). The window is the rate's period.
 */
static int
cfg_scalar_notif(const char *s, void *field, const struct kdef *k, char *err,
    size_t errlen)
{
	struct cfg *c = (struct cfg *)((char *)field - k->off);
	int64_t n, win;

	if (strcmp(s, "0") == 0) {
		c->alert_max_notifications = 0;
		c->alert_window_ms = HOUR_MS;
		return 0;
	}
	if (cfg_parse_rate(s, true, &n, &win) == 0) {
		c->alert_max_notifications = (int)n;
		c->alert_window_ms = win;
		return 0;
	}
	snprintf(err, errlen, "'%s': bad rate '%s' (write N/h, N/min, N/s or "
	    "N/DURATION such as 5/10s, N 1..1000000; or 0 for no cap)",
	    k->name, s);
	return -EINVAL;
}

static bool
notif_same(const void *a, const void *b)
{
	const struct cfg *x = a, *y = b;

	return x->alert_max_notifications == y->alert_max_notifications &&
	    x->alert_window_ms == y->alert_window_ms;
}

static void
notif_copy(void *dst, const void *src)
{
	struct cfg *x = dst;
	const struct cfg *y = src;

	x->alert_max_notifications = y->alert_max_notifications;
	x->alert_window_ms = y->alert_window_ms;
}

static const struct kops notif_ops = { notif_same, notif_copy, NULL };

/* Limits not given are left to what prodd has (-1). */
static void
cfg_limits_init(void *obj)
{
	struct cfg_limits *l = obj;

	l->nofile = l->nproc = l->core = -1;
}

static const struct kdef depcond_keys[] = {
	KEY("condition", CFG_CHANGE_SERVICE,
	    AS_ENUM(struct depcond, condition, "healthy", condition_names,
	    "started|healthy|completed"),
	    .doc = "What the dependency must reach before this service starts: "
	    "started (spawned and alive), healthy (its health check passed, or "
	    "alive ready_after without one), completed (exited 0)."),
};

const struct section cfg_depcond_section = {
	"depends_on entry", depcond_keys, 1, NULL, NULL,
};

/* ------------------------------------------------------------------ */
/* the tables */

static const struct kdef tls_keys[] = {
	KEY("cert", CFG_CHANGE_PRODD, AS_PATH(struct cfg_daemon, tls_cert),
	    .doc = "PEM certificate chain for HTTPS/WSS (the server's "
	    "certificate first). Read again at every reload (rotation); an "
	    "unreadable file refuses the reload."),
	KEY("key", CFG_CHANGE_PRODD, AS_PATH(struct cfg_daemon, tls_key),
	    .doc = "PEM private key for cert. Read again at every reload."),
};

const struct section cfg_tls_section = {
	"tls", tls_keys, sizeof tls_keys / sizeof *tls_keys, NULL, cfg_check_tls,
};

static const struct kdef daemon_keys[] = {
	KEY("listen", CFG_CHANGE_PRODD,
	    AS_SCALAR(struct cfg_daemon, listen_host, cfg_scalar_listen, ST_OPS,
	    "host:port"), .def = "127.0.0.1:8003", .ops = &cfg_ops_listen,
	    .example = "0.0.0.0:9003",
	    .doc = "Address of the dashboard, HTTP API, /ws and /metrics."),
	KEY("state_dir", CFG_CHANGE_PRODD, AS_PATH(struct cfg_daemon, state_dir),
	    .doc = "Runtime state: lock, pids, wishes. Default /run/prodd as "
	    "root, else $XDG_RUNTIME_DIR/prodd."),
	KEY("control_socket", CFG_CHANGE_PRODD,
	    AS_PATH(struct cfg_daemon, control_socket),
	    .doc = "The control Unix socket prodctl uses. Default "
	    "STATE_DIR/prodd.sock."),
	KEY("token_file", CFG_CHANGE_NOW, AS_PATH(struct cfg_daemon, token_file),
	    .doc = "Bearer token for mutating calls over TCP (also "
	    "$PRODD_TOKEN)."),
	KEY("cors_origins", CFG_CHANGE_NOW,
	    AS_NODE(struct cfg_daemon, cors_origins, cfg_sp_cors, ST_STRV,
	    "list of origins"), .example = "[https://ops.example.com]",
	    .doc = "Extra origins allowed besides the dashboard's own."),
	KEY("hosts", CFG_CHANGE_NOW,
	    AS_NODE(struct cfg_daemon, hosts, cfg_sp_hosts, ST_STRV,
	    "list of names"), .example = "[prodd.internal]",
	    .doc = "Extra Host header names accepted (besides listen addresses "
	    "and localhost)."),
	KEY("rate_limit", CFG_CHANGE_NOW,
	    AS_SCALAR(struct cfg_daemon, rate_limit, cfg_scalar_rate, ST_OPS,
	    "N/s|N/min|N/h|0"), .def = "600/min", .ops = &cfg_ops_rate,
	    .example = "10/s",
	    .doc = "Requests per client address on the TCP listener; 0 turns it "
	    "off."),
	KEY("tls", CFG_CHANGE_PRODD, AS_SECTION(0, cfg_tls_section),
	    .doc = "Optional HTTPS/WSS on the TCP listener: {cert, key}."),
	KEY("dashboard_dir", CFG_CHANGE_NOW,
	    AS_PATH(struct cfg_daemon, dashboard_dir),
	    .doc = "The dashboard's files (read at start and at each reload). "
	    "Default: the build's dashboard next to the binary, else "
	    "DATADIR/dashboard; a missing one given here is an error."),
	KEY("log_dir", CFG_CHANGE_NOW, AS_PATH(struct cfg_daemon, log_dir),
	    .doc = "Per-service log files. Default /var/log/prodd as root, else "
	    "$XDG_STATE_HOME/prodd/logs."),
	KEY("log_level", CFG_CHANGE_NOW,
	    AS_ENUM(struct cfg_daemon, log_level, "info", log_level_names,
	    "error|warn|notice|info|debug"),
	    .doc = "prodd's own log level (--log-level overrides it)."),
	KEY("sample_interval", CFG_CHANGE_NOW,
	    AS_DUR(struct cfg_daemon, sample_interval_ms, "1s", 100, HOUR_MS),
	    .doc = "How often /proc is sampled."),
	KEY("history", CFG_CHANGE_NOW,
	    AS_INT(struct cfg_daemon, history, "600", 1, 100000, "integer"),
	    .doc = "Samples kept per series."),
	KEY("disks", CFG_CHANGE_NOW,
	    AS_NODE(struct cfg_daemon, disks, cfg_sp_disks, ST_STRV,
	    "list of paths"), .example = "[/, /var]",
	    .doc = "Mount points whose usage is reported. Default [/]."),
	KEY("shutdown_timeout", CFG_CHANGE_NOW,
	    AS_DUR(struct cfg_daemon, shutdown_timeout_ms, "60s", 0, DAY_MS),
	    .doc = "How long a stop of everything may take before SIGKILL."),
};

const struct section cfg_daemon_section = {
	"daemon", daemon_keys, sizeof daemon_keys / sizeof *daemon_keys, NULL,
	NULL,
};

static const struct kdef limits_keys[] = {
	KEY("nofile", CFG_CHANGE_SERVICE,
	    AS_SCALAR(struct cfg_limits, nofile, cfg_scalar_rlimit, ST_I64,
	    "integer|unlimited"), .min = 1, .max = 1 << 30,
	    .example = "65536", .doc = "RLIMIT_NOFILE: open files."),
	KEY("nproc", CFG_CHANGE_SERVICE,
	    AS_SCALAR(struct cfg_limits, nproc, cfg_scalar_rlimit, ST_I64,
	    "integer|unlimited"), .min = 1, .max = 1 << 22,
	    .example = "4096",
	    .doc = "RLIMIT_NPROC: processes of the service's user."),
	KEY("core", CFG_CHANGE_SERVICE,
	    AS_SCALAR(struct cfg_limits, core, cfg_scalar_rlimit, ST_I64,
	    "size|unlimited"), .min = 0, .max = INT64_MAX,
	    .example = "unlimited", .doc = "RLIMIT_CORE: largest core dump."),
};

static const struct section limits_section = {
	"limits", limits_keys, sizeof limits_keys / sizeof *limits_keys,
	cfg_limits_init, NULL,
};

static const struct kdef log_keys[] = {
	KEY("max_size", CFG_CHANGE_SERVICE,
	    AS_SIZE(struct cfg_logopts, max_size, "10M", 4096,
	    (int64_t)16 << 30),
	    .doc = "Rotate LOG_DIR/NAME.log when it reaches this size."),
	KEY("keep", CFG_CHANGE_SERVICE,
	    AS_INT(struct cfg_logopts, keep, "5", 0, 100, "integer"),
	    .doc = "Rotated files kept (NAME.log.1 ...)."),
	KEY("ring", CFG_CHANGE_SERVICE,
	    AS_INT(struct cfg_logopts, ring, "1000", 0, 1000000, "integer"),
	    .doc = "Lines kept in memory for the API, the dashboard and prodctl "
	    "logs."),
};

static const struct section log_section = {
	"log", log_keys, sizeof log_keys / sizeof *log_keys, NULL, NULL,
};

static const struct kdef health_keys[] = {
	KEY("url", CFG_CHANGE_SERVICE,
	    AS_SCALAR(struct cfg_health, url, cfg_scalar_url, ST_STR, "URL"),
	    .example = "http://127.0.0.1:8001/api/health",
	    .doc = "HTTP(S) GET probe."),
	KEY("expect_status", CFG_CHANGE_SERVICE,
	    AS_SCALAR(struct cfg_health, expect_lo, cfg_scalar_status, ST_OPS,
	    "code|lo-hi"), .def = "200-299", .ops = &cfg_ops_status,
	    .example = "204",
	    .doc = "Statuses that count as healthy for url probes."),
	KEY("tcp", CFG_CHANGE_SERVICE,
	    AS_SCALAR(struct cfg_health, tcp_host, cfg_scalar_tcp, ST_OPS,
	    "host:port"), .ops = &cfg_ops_tcp, .example = "localhost:8000",
	    .doc = "TCP connect probe."),
	KEY("exec", CFG_CHANGE_SERVICE,
	    AS_NODE(struct cfg_health, exec_argv, cfg_sp_exec, ST_ARGV,
	    "command"), .example = "[./check.sh, --quick]",
	    .doc = "Command probe: healthy when it exits 0."),
	KEY("interval", CFG_CHANGE_SERVICE,
	    AS_DUR(struct cfg_health, interval_ms, "5s", 100, DAY_MS),
	    .doc = "Time between probes."),
	KEY("timeout", CFG_CHANGE_SERVICE,
	    AS_DUR(struct cfg_health, timeout_ms, "2s", 10, HOUR_MS),
	    .doc = "A probe that takes longer fails."),
	KEY("retries", CFG_CHANGE_SERVICE,
	    AS_INT(struct cfg_health, retries, "3", 1, 1000, "integer"),
	    .doc = "Consecutive failures before the service is unhealthy."),
	KEY("start_period", CFG_CHANGE_SERVICE,
	    AS_DUR(struct cfg_health, start_period_ms, "30s", 0, DAY_MS),
	    .doc = "Failures this soon after a start don't count."),
	KEY("on_unhealthy", CFG_CHANGE_SERVICE,
	    AS_ENUM(struct cfg_health, on_unhealthy, "restart",
	    on_unhealthy_names, "restart|ignore"),
	    .doc = "What to do when the service turns unhealthy."),
	/* a boolean whose messages have always said "true|false" */
	KEY("follow_redirects", CFG_CHANGE_SERVICE,
	    .type = K_BOOL, .store = ST_BOOL,
	    AS_FIELD(struct cfg_health, follow_redirects), .def = "false",
	    .type_doc = "true|false",
	    .doc = "url probes: follow redirects (at most 5) instead of judging "
	    "the 3xx itself."),
};

const struct section cfg_health_section = {
	"health_check", health_keys, sizeof health_keys / sizeof *health_keys,
	NULL, cfg_check_health,
};

static const struct kdef service_keys[] = {
	KEY("name", CFG_CHANGE_SERVICE,
	    AS_SCALAR(struct cfg_service, name, cfg_scalar_name, ST_STR, "name"),
	    .example = "search-api",
	    .doc = "Required. [a-z0-9][a-z0-9._-]{0,62}."),
	KEY("type", CFG_CHANGE_SERVICE,
	    AS_ENUM(struct cfg_service, type, "process", type_names,
	    "process|fastapi|docker|systemd"),
	    .doc = "How the service is run."),
	KEY("command", CFG_CHANGE_SERVICE,
	    AS_NODE(struct cfg_service, argv, cfg_sp_command, ST_OPS,
	    "string|list"), .ops = &cfg_ops_command,
	    .example = "python3 -m search --port 8000",
	    .doc = "The program and its arguments; a string is split like a "
	    "shell splits words, but no shell runs."),
	KEY("shell", CFG_CHANGE_SERVICE,
	    AS_BOOL(struct cfg_service, shell, "false"),
	    .doc = "true: run command with /bin/sh -c."),
	KEY("app", CFG_CHANGE_SERVICE,
	    AS_STR(struct cfg_service, app, "module:attr"),
	    .doc = "fastapi only: uvicorn APP --host 127.0.0.1 --port PORT."),
	KEY("image", CFG_CHANGE_SERVICE,
	    AS_STR(struct cfg_service, image, "image"),
	    .doc = "docker only: the image to run."),
	KEY("unit", CFG_CHANGE_SERVICE,
	    AS_STR(struct cfg_service, unit, "unit"),
	    .doc = "systemd only: the unit to manage."),
	KEY("working_dir", CFG_CHANGE_SERVICE,
	    AS_PATH(struct cfg_service, working_dir),
	    .doc = "Directory the service runs in."),
	KEY("environment", CFG_CHANGE_SERVICE,
	    AS_NODE(struct cfg_service, env, cfg_sp_environment, ST_OPS,
	    "mapping"), .ops = &cfg_ops_env, .example = "{ WORKERS: 4 }",
	    .doc = "Variables set last."),
	KEY("env_file", CFG_CHANGE_SERVICE,
	    AS_PATH(struct cfg_service, env_file),
	    .doc = "KEY=VALUE lines read at each start."),
	KEY("user", CFG_CHANGE_SERVICE,
	    AS_SCALAR(struct cfg_service, user, cfg_scalar_account, ST_STR,
	    "name|uid"), .example = "search",
	    .doc = "Run as this user (prodd must be root)."),
	KEY("group", CFG_CHANGE_SERVICE,
	    AS_SCALAR(struct cfg_service, group, cfg_scalar_account, ST_STR,
	    "name|gid"), .example = "search",
	    .doc = "Primary group (default: the user's)."),
	KEY("port", CFG_CHANGE_SERVICE,
	    AS_INT(struct cfg_service, port, NULL, 1, 65535, "1..65535"),
	    .doc = "The port the service listens on."),
	KEY("dependencies", CFG_CHANGE_SERVICE,
	    AS_NODE(struct cfg_service, deps, cfg_sp_dependencies, ST_ALIAS,
	    "list of names"), .example = "[other]",
	    .doc = "Short form: start after each is healthy."),
	KEY("depends_on", CFG_CHANGE_SERVICE,
	    AS_NODE(struct cfg_service, deps, cfg_sp_depends_on, ST_OPS,
	    "mapping"), .ops = &cfg_ops_deps, .example = "{ other: started }",
	    .doc = "Long form: NAME: {condition: started|healthy|completed}."),
	KEY("health_check_url", CFG_CHANGE_SERVICE,
	    AS_NODE(struct cfg_service, health.url, cfg_sp_health_url, ST_ALIAS,
	    "URL"), .example = "http://127.0.0.1:8001/api/health",
	    .doc = "Short form of health_check: {url}."),
	KEY("health_check", CFG_CHANGE_SERVICE,
	    AS_SECTION(offsetof(struct cfg_service, health),
	    cfg_health_section),
	    .doc = "Exactly one of url, tcp, exec, with timing."),
	KEY("auto_restart", CFG_CHANGE_SERVICE,
	    AS_NODE(struct cfg_service, restart, cfg_sp_auto_restart, ST_ALIAS,
	    "boolean"), .example = "true",
	    .doc = "Short form: true = restart: always, false = restart: never."),
	KEY("restart", CFG_CHANGE_SERVICE,
	    AS_ENUM(struct cfg_service, restart, "on-failure", restart_names,
	    "always|on-failure|never"),
	    .doc = "When an exit is followed by a restart."),
	KEY("max_restarts", CFG_CHANGE_SERVICE,
	    AS_INT(struct cfg_service, max_restarts, "5", 0, 1000000, "integer"),
	    .doc = "Consecutive automatic restarts before 'failed'."),
	KEY("restart_window", CFG_CHANGE_SERVICE,
	    AS_DUR(struct cfg_service, restart_window_ms, "60s", 0, DAY_MS),
	    .doc = "Running this long without trouble resets the count."),
	KEY("restart_delay", CFG_CHANGE_SERVICE,
	    AS_DUR(struct cfg_service, restart_delay_ms, "1s", 0, DAY_MS),
	    .doc = "First delay before a restart."),
	KEY("backoff", CFG_CHANGE_SERVICE,
	    AS_ENUM(struct cfg_service, backoff, "exponential", backoff_names,
	    "fixed|exponential"),
	    .doc = "exponential doubles the delay at each restart, up to "
	    "backoff_max."),
	KEY("backoff_max", CFG_CHANGE_SERVICE,
	    AS_DUR(struct cfg_service, backoff_max_ms, "5m", 0, DAY_MS),
	    .doc = "Longest delay between restarts."),
	KEY("stop_signal", CFG_CHANGE_SERVICE,
	    AS_SCALAR(struct cfg_service, stop_signal, cfg_scalar_signal, ST_INT,
	    "signal"), .def = "SIGTERM", .example = "SIGINT",
	    .doc = "Sent to the process group to stop the service."),
	KEY("stop_timeout", CFG_CHANGE_SERVICE,
	    AS_DUR(struct cfg_service, stop_timeout_ms, "10s", 0, HOUR_MS),
	    .doc = "Then SIGKILL to the whole process group."),
	KEY("memory_limit", CFG_CHANGE_SERVICE,
	    AS_SIZE(struct cfg_service, memory_limit, NULL, 1 << 20, INT64_MAX),
	    .doc = "Restart when the process tree's RSS exceeds it."),
	KEY("limits", CFG_CHANGE_SERVICE,
	    AS_SECTION(offsetof(struct cfg_service, limits), limits_section),
	    .doc = "rlimits set before exec: nofile, nproc, core."),
	KEY("log", CFG_CHANGE_SERVICE,
	    AS_SECTION(offsetof(struct cfg_service, log), log_section),
	    .doc = "Output capture: max_size, keep, ring."),
	KEY("enabled", CFG_CHANGE_SERVICE,
	    AS_BOOL(struct cfg_service, enabled, "true"),
	    .doc = "false: known, but not started by start --all."),
	KEY("ready_after", CFG_CHANGE_SERVICE,
	    AS_DUR(struct cfg_service, ready_after_ms, "1s", 0, HOUR_MS),
	    .doc = "With no health check: alive this long counts as healthy."),
	KEY("notify", CFG_CHANGE_SERVICE,
	    AS_BOOL(struct cfg_service, notify, "false"),
	    .doc = "true: ready when the service itself sends READY=1 on its "
	    "NOTIFY_SOCKET (the sd_notify protocol), and its health check, "
	    "if any, passed."),
	KEY("start_timeout", CFG_CHANGE_SERVICE,
	    AS_DUR(struct cfg_service, start_timeout_ms, "0s", 0, DAY_MS),
	    .example = "5m",
	    .doc = "Not ready this long after the spawn: stopped, counted as a "
	    "failed start (EXTEND_TIMEOUT_USEC extends it); 0: no limit."),
	KEY("watchdog", CFG_CHANGE_SERVICE,
	    AS_DUR(struct cfg_service, watchdog_ms, "0s", 0, DAY_MS),
	    .example = "30s",
	    .doc = "Needs notify: no WATCHDOG=1 this long after READY=1 or the "
	    "last one, or WATCHDOG=trigger: restarted (\"watchdog timeout\"); "
	    "the service gets WATCHDOG_USEC. 0: off."),
};

const struct section cfg_service_section = {
	"service", service_keys, sizeof service_keys / sizeof *service_keys,
	NULL, cfg_check_service,
};

static const struct kdef rule_keys[] = {
	KEY("alert", CFG_CHANGE_NOW,
	    AS_ENUM(struct cfg_alert_rule, alert, NULL, alert_names,
	    "service_failed|restart_loop|unhealthy|health_slow|high_cpu|"
	    "high_memory|disk_full|watchdog"),
	    .doc = "Required: which built-in alert."),
	KEY("service", CFG_CHANGE_NOW,
	    AS_SCALAR(struct cfg_alert_rule, service, cfg_scalar_name, ST_STR,
	    "name"), .example = "search-api",
	    .doc = "Only this service (default: every service, or the host)."),
	KEY("threshold", CFG_CHANGE_NOW,
	    AS_NODE(struct cfg_alert_rule, threshold, cfg_sp_later, ST_NONE,
	    "number|size|duration"), .example = "90",
	    .doc = "high_cpu: % (of one core for a service, of the host "
	    "otherwise); high_memory: a size for a service, % of the host "
	    "otherwise; disk_full: % used; health_slow: a duration; "
	    "restart_loop: restarts."),
	KEY("for", CFG_CHANGE_NOW,
	    AS_DUR(struct cfg_alert_rule, for_ms, "0s", 0, DAY_MS),
	    .doc = "How long the condition must hold (restart_loop: the "
	    "window). Omitted: the default rule's."),
	KEY("severity", CFG_CHANGE_NOW,
	    AS_ENUM(struct cfg_alert_rule, severity, "warning", severity_names,
	    "info|warning|critical"),
	    .doc = "Carried by the alert. Omitted: the default rule's, else "
	    "warning."),
	KEY("enabled", CFG_CHANGE_NOW,
	    AS_BOOL(struct cfg_alert_rule, enabled, "true"),
	    .doc = "false turns the rule off."),
};

const struct section cfg_rule_section = {
	"alert rule", rule_keys, sizeof rule_keys / sizeof *rule_keys, NULL,
	cfg_check_rule,
};

static const struct kdef alerts_keys[] = {
	KEY("webhook", CFG_CHANGE_NOW,
	    AS_SCALAR(struct cfg, alert_webhook, cfg_scalar_url, ST_STR, "URL"),
	    .example = "http://127.0.0.1:9000/hook",
	    .doc = "Optional: alerts are POSTed here as JSON."),
	KEY("webhook_secret_file", CFG_CHANGE_NOW,
	    AS_PATH(struct cfg, alert_secret_file),
	    .doc = "HMAC-SHA256 key of the webhook's X-Prodd-Signature (one "
	    "trailing newline stripped); unreadable or empty is an error."),
	KEY("webhook_timeout", CFG_CHANGE_NOW,
	    AS_DUR(struct cfg, alert_webhook_timeout_ms, "10s", 100, HOUR_MS),
	    .doc = "Per webhook delivery attempt."),
	KEY("alertmanager", CFG_CHANGE_NOW,
	    AS_SCALAR(struct cfg, alert_alertmanager, cfg_scalar_url, ST_STR,
	    "URL"), .example = "http://127.0.0.1:9093",
	    .doc = "Optional: Prometheus Alertmanager (API v2) base URL."),
	KEY("repeat_interval", CFG_CHANGE_NOW,
	    AS_DUR(struct cfg, alert_repeat_ms, "4h", 0, 30LL * DAY_MS),
	    .doc = "Webhook: a still-firing alert is sent again this often (0: "
	    "never)."),
	KEY("max_notifications", CFG_CHANGE_NOW,
	    AS_SCALAR(struct cfg, alert_max_notifications, cfg_scalar_notif,
	    ST_OPS, "N/h|N/min|N/s|N/DURATION|0"), .def = "20/h",
	    .ops = &notif_ops, .example = "20/h",
	    .doc = "Webhook: notifications per window; past it one summary at "
	    "the window's end, then silence until it ends."),
	KEY("rules", CFG_CHANGE_NOW,
	    AS_NODE(struct cfg, alert_rules, cfg_sp_rules, ST_OPS, "list"),
	    .ops = &cfg_ops_rules, .example = "[{ alert: service_failed }]",
	    .doc = "Thresholds of the built-in alerts."),
};

const struct section cfg_alerts_section = {
	"alerts", alerts_keys, sizeof alerts_keys / sizeof *alerts_keys, NULL,
	cfg_check_alerts,
};

static const struct kdef root_keys[] = {
	KEY("version", CFG_CHANGE_NOW, AS_INT(struct cfg, version, "1", 1, 1, "1"),
	    .doc = "The format's version."),
	KEY("daemon", CFG_CHANGE_NOW,
	    AS_SECTION(offsetof(struct cfg, daemon), cfg_daemon_section),
	    .doc = "prodd's own settings."),
	KEY("services", CFG_CHANGE_SERVICE,
	    AS_NODE(struct cfg, services, cfg_sp_services, ST_OPS, "list"),
	    .ops = &cfg_ops_services,
	    .doc = "Required: the services, each a mapping."),
	KEY("alerts", CFG_CHANGE_NOW, AS_SECTION(0, cfg_alerts_section),
	    .doc = "Alert thresholds and delivery."),
};

const struct section cfg_root_section = {
	"the top level", root_keys, sizeof root_keys / sizeof *root_keys, NULL,
	NULL,
};

