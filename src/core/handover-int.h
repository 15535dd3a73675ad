/*
 * The private half of the hand-over format, shared by its files:
 * handover.c (the document, its daemon, events, services and metrics
 * sections, the base64 and the strict getters), handover-svc.c (an event
 * of the ring with an exit's last lines, and a service's later sections:
 * analyze -- its last exits with their last lines and its last start's
 * timeline --, notify and their timers) and handover-alerts.c (the alerts
 * section). The parser's getters record the first missing or mistyped
 * key in struct ho_parse and refuse the rest. Nothing outside
 * src/core/handover*.c includes it.
 */
#ifndef PRODD_HANDOVER_INT_H
#define PRODD_HANDOVER_INT_H

#include "prodd/handover.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* parsing: the first error wins, the rest is skipped */
struct ho_parse {
	char *err;
	size_t errlen;
	bool failed;
	const char *where;
};

void ho_put_num(cJSON *o, const char *k, double v);
/* bytes as base64 */
void ho_put_bytes(cJSON *o, const char *k, const char *p, size_t n);

void ho_fail(struct ho_parse *ps, const char *key, const char *what);
/* o's key k of the cJSON type (cJSON_True: a boolean), or NULL (failed) */
cJSON *ho_get(struct ho_parse *ps, const cJSON *o, const char *k, int type);
double ho_get_num(struct ho_parse *ps, const cJSON *o, const char *k);
bool ho_whole(double d, double lo, double hi);
uint64_t ho_elem_u64(struct ho_parse *ps, const char *k, const cJSON *e);
int ho_get_int(struct ho_parse *ps, const cJSON *o, const char *k);
int64_t ho_get_i64(struct ho_parse *ps, const cJSON *o, const char *k);
uint64_t ho_get_u64(struct ho_parse *ps, const cJSON *o, const char *k);
int ho_get_enum(struct ho_parse *ps, const cJSON *o, const char *k, int lo,
    int hi);
bool ho_get_bool(struct ho_parse *ps, const cJSON *o, const char *k);
void ho_get_str(struct ho_parse *ps, const cJSON *o, const char *k, char *buf,
    size_t len);
/* base64 decoded (malloc'd, NUL-terminated), or NULL (failed) */
char *ho_get_bytes(struct ho_parse *ps, const cJSON *o, const char *k,
    size_t *len);

/* handover-svc.c: one event of the ring, with an exit's last lines */
cJSON *ho_render_event(const struct event *e);
void ho_parse_event(struct ho_parse *ps, const cJSON *o, struct event *e);
/* handover-svc.c: a service's analyze and notify sections, and the two
 * timers of notify (start_timeout, watchdog) inside its "timers" */
void ho_svc_later_init(struct ho_svc *sv);
void ho_svc_later_free(struct ho_svc *sv);
void ho_render_svc_later(cJSON *o, cJSON *timers, const struct ho_svc *sv);
void ho_parse_svc_later(struct ho_parse *ps, const cJSON *o,
    const cJSON *timers, struct ho_svc *sv);

/* handover-alerts.c: the "alerts" section */
void ho_alerts_free(struct ho_alerts *al);
void ho_render_alerts(cJSON *root, const struct handover *h);
void ho_parse_alerts(struct ho_parse *ps, const cJSON *root,
    struct handover *h);

#endif
