/*
 * prodctl's shared declarations. Each cmd-*.c defines one struct ctl_cmd
 * (a verb) and prodctl.c lists them; a verb returns the process exit status:
 * CTL_OK, CTL_FAILED, CTL_USAGE or CTL_UNREACHABLE (SPEC §8). Below the
 * verbs sit three helpers: ctl-http.c (the HTTP client over prodd's control
 * socket, with the errno-to-message mapping and line streaming),
 * ctl-format.c (durations, sizes, colours, tables) and ctl-args.c (the
 * small option parser every verb shares).
 */
#ifndef PRODD_CTL_H
#define PRODD_CTL_H

#include <cjson/cJSON.h>

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum {
	CTL_OK = 0,
	CTL_FAILED = 1,
	CTL_USAGE = 2,
	CTL_UNREACHABLE = 3,
};

struct ctl_opts {
	const char *socket;	/* --socket or $PRODD_SOCKET; NULL: search */
	bool json;
	bool color;
	bool no_color;		/* --no-color given (also turns color off) */
};

struct ctl_cmd {
	const char *name;
	const char *usage;	/* after "prodctl NAME " */
	const char *summary;
	int (*run)(const struct ctl_opts *, int argc, char **argv);
};

extern const struct ctl_cmd ctl_cmd_analyze;
extern const struct ctl_cmd ctl_cmd_check;
extern const struct ctl_cmd ctl_cmd_events;
extern const struct ctl_cmd ctl_cmd_alerts;
extern const struct ctl_cmd ctl_cmd_health;
extern const struct ctl_cmd ctl_cmd_logs;
extern const struct ctl_cmd ctl_cmd_reload;
extern const struct ctl_cmd ctl_cmd_restart;
extern const struct ctl_cmd ctl_cmd_signal;
extern const struct ctl_cmd ctl_cmd_start;
extern const struct ctl_cmd ctl_cmd_status;
extern const struct ctl_cmd ctl_cmd_stop;
extern const struct ctl_cmd ctl_cmd_top;
extern const struct ctl_cmd ctl_cmd_upgrade;
extern const struct ctl_cmd ctl_cmd_version;

/* start, stop and restart (ctl-action.c): POST, then wait for the
 * target state unless --no-wait. */
enum ctl_action {
	CTL_ACT_START,
	CTL_ACT_STOP,
	CTL_ACT_RESTART,
};

int ctl_action_run(const struct ctl_cmd *cmd, enum ctl_action act,
    const struct ctl_opts *o, int argc, char **argv);

struct ctl_client;

/* prodctl status: the table of services (an array of service JSON), and
 * the detailed view of one service (cmd-status-detail.c). */
void ctl_status_table(const struct ctl_opts *o, const cJSON *services);
int ctl_status_detail(struct ctl_client *c, const struct ctl_opts *o,
    const char *name);

/* The client's own version line, for --version and the version verb. */
void ctl_print_client_version(void);

/* ---- options of a verb (ctl-args.c) ----------------------------------- */

enum ctl_flag_kind {
	CTL_FLAG_BOOL,		/* dst is a bool * */
	CTL_FLAG_STR,		/* dst is a const char **; takes a value */
};

struct ctl_flag {
	const char *name;	/* long name with "--", e.g. "--follow" */
	char short_name;	/* e.g. 'f', or 0 */
	enum ctl_flag_kind kind;
	void *dst;
};

/*
 * Parse a verb's arguments: flags anywhere (--name, --name=V, --name V,
 * -x, -xV, -x V), "--" ends them, --json and --no-color are accepted by
 * every verb and update *o. Positional arguments are moved to the front of
 * argv, in order; returns their count, or -1 after printing a usage
 * message for an unknown flag or a missing value.
 */
int ctl_parse_args(const struct ctl_cmd *cmd, struct ctl_opts *o,
    const struct ctl_flag *flags, int argc, char **argv);
/* Print "usage: prodctl VERB USAGE" to stderr and return CTL_USAGE. */
int ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A non-negative integer argument; false when it is not one. */
bool ctl_parse_count(const char *s, long *out);

/* ---- the HTTP client (ctl-http.c) ------------------------------------- */

struct ctl_client;

struct ctl_resp {
	long status;		/* HTTP status */
	char *body;		/* NUL-terminated */
	size_t len;
	cJSON *json;		/* body parsed, or NULL when it is not JSON */
};

/*
 * Connect to prodd (the socket from o, else the search of SPEC §1) and
 * check the API version it reports on GET /api/health. On failure prints
 * one line to stderr and returns NULL with *rc set to CTL_UNREACHABLE or
 * CTL_FAILED (wrong or missing API version).
 */
struct ctl_client *ctl_client_open(const struct ctl_opts *o, int *rc);
/* The same without the API-version check and without printing anything;
 * *err gets the one-line reason when it fails (caller frees). */
struct ctl_client *ctl_client_open_quiet(const struct ctl_opts *o,
    char **err);
void ctl_client_free(struct ctl_client *c);
/* The socket path in use, and the parsed answer of GET /api/health. */
const char *ctl_client_socket(const struct ctl_client *c);
const cJSON *ctl_client_health(const struct ctl_client *c);

/*
 * One request (body may be NULL; it is sent as JSON). Returns CTL_OK with
 * *r filled (any HTTP status), or prints one line and returns
 * CTL_UNREACHABLE when prodd could not be reached or did not answer.
 */
int ctl_request(struct ctl_client *c, const char *method, const char *path,
    const char *body, struct ctl_resp *r);
void ctl_resp_free(struct ctl_resp *r);
/*
 * When r is an error answer (status >= 300 or not JSON), print
 * "prodctl: MESSAGE" (the server's "error", else the status) and return
 * CTL_FAILED; otherwise CTL_OK.
 */
int ctl_resp_check(const struct ctl_resp *r);
/* A GET that must succeed with a JSON body: ctl_request + ctl_resp_check. */
int ctl_get_json(struct ctl_client *c, const char *path, struct ctl_resp *r);

/* Called with each line of a newline-delimited JSON stream (json is NULL
 * when a line is not JSON); a non-zero return ends the stream. */
typedef int (*ctl_line_fn)(const char *line, size_t len, cJSON *json,
    void *arg);

/*
 * GET path as a stream without an overall timeout, calling fn for each
 * line, until the server ends it, fn returns non-zero, or SIGINT/SIGTERM
 * arrives (all three return CTL_OK). An HTTP error answer is printed and
 * gives CTL_FAILED; an unreachable prodd CTL_UNREACHABLE.
 */
int ctl_stream(struct ctl_client *c, const char *path, ctl_line_fn fn,
    void *arg);

/* Set by ctl_follow: a stream cut in the middle returns CTL_STREAM_LOST
 * (nothing printed) instead of CTL_UNREACHABLE, for it to resume. */
#define CTL_STREAM_LOST 100
extern bool ctl_stream_resumable;

/*
 * ctl_stream across upgrades of prodd (ctl-follow.c): path_for(last) is
 * the path to follow after record number last (key "seq", read
 * from each record); a {"upgrade": true} record is not shown: the client
 * (*cp, replaced) reconnects and follows on from the last record shown.
 */
int ctl_follow(const struct ctl_opts *o, struct ctl_client **cp,
    char *(*path_for)(double last, void *arg), void *path_arg,
    const char *key, double last, ctl_line_fn fn, void *arg);

/* URL-escape s (a service name) into a new string. */
char *ctl_escape(const char *s);

/* ---- JSON reading helpers (ctl-http.c) -------------------------------- */

/* The string at key, or NULL when missing, null or not a string. */
const char *ctl_json_str(const cJSON *obj, const char *key);
/* The number at key into *out; false when missing, null or not a number. */
bool ctl_json_num(const cJSON *obj, const char *key, double *out);

/* ---- human output (ctl-format.c) -------------------------------------- */

enum ctl_color {
	CTL_COLOR_NONE = 0,
	CTL_COLOR_GREEN,
	CTL_COLOR_YELLOW,
	CTL_COLOR_RED,
	CTL_COLOR_DIM,
	CTL_COLOR_BOLD,
};

/* Whether to colour stdout: a terminal, no --no-color, NO_COLOR unset. */
bool ctl_want_color(const struct ctl_opts *o);
/* The colour of a service state, or of a health status. */
enum ctl_color ctl_state_color(const char *state);
enum ctl_color ctl_health_color(const char *status);
/* Print s in colour c when color is true. */
void ctl_fputs_color(FILE *f, bool color, enum ctl_color c, const char *s);

/* Uptime in seconds as "45s", "5m12s", "3h4m", "2d1h". */
void ctl_format_uptime(double secs, char *buf, size_t size);
/* Bytes as "512B", "1.5K", "104.9M", "2.0G" (powers of 1024). */
void ctl_format_bytes(double bytes, char *buf, size_t size);

/* A table printed with columns padded to their widest cell; colours do not
 * count toward the width. The last column is not padded. */
struct ctl_table;

struct ctl_table *ctl_table_new(size_t ncols);
/* Add a cell to the current row (a new row starts after ncols cells). */
void ctl_table_add(struct ctl_table *t, enum ctl_color c, const char *s);
void ctl_table_print(const struct ctl_table *t, FILE *f, bool color);
/* Cells of prodd's JSON, "-" when obj has no number at key: a count, a
 * percentage ("12.5%"), a size (ctl_format_bytes). */
enum ctl_cell_kind { CTL_CELL_COUNT, CTL_CELL_PERCENT, CTL_CELL_BYTES };
void ctl_table_num(struct ctl_table *t, const cJSON *obj, const char *key,
    enum ctl_cell_kind kind);
/* The HEALTH cell of a service: "-" without a check, else the status and
 * the last check's latency ("healthy 1.2ms"), coloured. */
void ctl_table_health(struct ctl_table *t, const cJSON *svc);
void ctl_table_free(struct ctl_table *t);

/* The signal flag shared by the waiting and streaming loops: set by
 * SIGINT/SIGTERM once ctl_catch_signals has been called. */
extern volatile sig_atomic_t ctl_interrupted;
void ctl_catch_signals(void);

/* Under AddressSanitizer, the leak check at exit is made safe from a
 * SIGCONT that comes while it stops the process (ctl-lsan.c); without it,
 * nothing. Called first in main. */
void ctl_lsan_install(void);

#endif
