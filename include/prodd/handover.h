/*
 * The hand-over format of an upgrade (SPEC §9): everything a running prodd
 * knows that a new prodd exec'd in its place must take over, rendered as
 * one JSON document and parsed back. Versioned and sectioned: the top
 * level is {"handover": HANDOVER_VERSION, "daemon": {...}, "events": {...},
 * "services": [...], "metrics": {...}, "alerts": {...}}, one section per
 * module, so each module adds its
 * own; a document of another version, or missing a section this version
 * needs, is refused whole (never half-restored). Descriptors are numbers
 * here: the shell keeps them open across the exec. Monotonic times are
 * CLOCK_MONOTONIC milliseconds (libuv's loop time), which an exec does not
 * change. Pure: no system call.
 */
#ifndef PRODD_HANDOVER_H
#define PRODD_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prodd/alerts.h"
#include "prodd/config.h"
#include "prodd/events.h"
#include "prodd/fsm.h"
#include "prodd/health.h"
#include "prodd/prom.h"

/* The format this prodd writes and reads; `prodd --version`'s second line
 * names it ("handover 1"). */
#define HANDOVER_VERSION 1

/* One kept output line of a service (its ring). */
struct ho_line {
	uint64_t seq;
	int64_t ts_ms;
	int stream;
	char *text;
	size_t len;
};

/* At most this many of a service's last exits are handed over. */
#define HANDOVER_EXITS 8

/* One of a service's last exits (analyze), newest first. */
struct ho_exit {
	int64_t at_ms;			/* wall clock */
	int pid, code, signal;
	char reason[192];
	struct event_lines *lines;	/* a reference; NULL: none */
};

/* What a notify: true service said, and its socket (notify). */
struct ho_notify {
	int fd;				/* the bound socket; -1: none */
	char path[108];			/* where it is bound */
	uint64_t dropped, mainpid_refused;
	bool ready, has_status;
	char status[256];
	char phase[16];			/* "", "reloading", "stopping" */
	int errno_value, exit_errno, main_pid;
};

/* One service. Timers: the monotonic time each is due, -1 when not
 * armed. */
struct ho_svc {
	char name[CFG_NAME_MAX + 1];
	struct fsm_svc fsm;
	char reason[192];
	uint64_t restarts_by[PROM_NREASONS];
	int stop_cause;			/* enum fsm_event */
	bool down_by_hand;
	int pid;			/* 0: none */
	int64_t started_ms, exit_ms;	/* wall clock */
	int out_fd[2];			/* stdout, stderr; -1: closed */
	int64_t timer_due, ready_due, stable_due, check_due;
	struct health_state health;	/* hist owned (nhist samples) */
	/* logs: the unterminated tail of each stream, the ring */
	char *part[2];
	size_t part_len[2];
	uint64_t log_next_seq;
	struct ho_line *lines;
	size_t nlines;
	/* analyze: the last exits and the last start's timeline (wall ms) */
	struct ho_exit exits[HANDOVER_EXITS];
	size_t nexits;
	int64_t wanted_ms, spawned_ms, ready_ms, deps_met_ms;
	char waited_for[64];
	/* notify, and the timers of start_timeout and watchdog */
	struct ho_notify notify;
	int64_t start_timeout_due, watchdog_due;
};

/* A metric history (struct mring's 16-bit codes, oldest first), by name:
 * "cpu", "load", "mem", "swap", "disk_read", "disk_write", "cpu.N",
 * "net.NAME.rx"/".tx", "disk.PATH" for the host. */
struct ho_series {
	char name[300];
	uint32_t n;
	uint16_t *v;
};

/* The sampler's own of one service: its histories and the counters that
 * never go down (/metrics). */
struct ho_msvc {
	char name[CFG_NAME_MAX + 1];
	struct ho_series cpu, mem;
	uint64_t cpu_ticks_total, io_read_total, io_write_total;
	double cpu_seconds_total;
};

/* One delivery waiting in the alerts' queue (webhook or Alertmanager):
 * its body as it will be sent, its attempts, when it was queued, is due
 * next and is given up (monotonic ms), and its next backoff. */
struct ho_dlv {
	int chan;			/* enum alert_chan */
	char id[200];			/* the alert's; "" for a summary */
	bool resolve, summary;
	char *body;
	size_t len;
	int attempts;
	int64_t first_ms, next_ms, backoff_ms, give_up_ms;
};

/* The alerts' result counters kept per channel (prodd_alert_
 * notifications_total's result label), at most this many results. */
#define HANDOVER_ALERT_RESULTS 8

/* The alerts (alertd): every alert, pending and firing first, then the
 * recently resolved oldest first (wall clock times, as core/alerts keeps
 * them); restart_loop's restart times; the storm window; the delivery
 * queue; when Alertmanager's re-send is due (monotonic, -1: none); and
 * the counters of /metrics. */
struct ho_alerts {
	struct alert **v;
	size_t n;
	struct alert_restarts *restarts;
	size_t nrestarts;
	struct alert_storm storm;
	struct ho_dlv *queue;
	size_t nqueue;
	int64_t am_due;
	uint64_t counts[ALERT_CHANS][HANDOVER_ALERT_RESULTS];
};

struct handover {
	int version;
	char instance[17];		/* the /ws instance, kept */
	int64_t mono_ms;		/* when it was written */
	int tcp_fd, unix_fd;		/* the listeners */
	int lock_fd;			/* state_dir's lock, still held */
	int64_t started_ms;		/* prodd's first start (wall ms) */
	uint64_t events_next_seq;
	struct event *events;		/* oldest first */
	size_t nevents;
	struct ho_svc *svcs;
	size_t nsvcs;
	/* metrics: the host's histories, each service's */
	struct ho_series *series;
	size_t nseries;
	struct ho_msvc *msvcs;
	size_t nmsvcs;
	struct ho_alerts alerts;
};

void handover_init(struct handover *h);
void handover_free(struct handover *h);
/* A new service entry at the end (zeroed, fds -1, timers -1). */
struct ho_svc *handover_add_svc(struct handover *h, const char *name);
/* Copy len bytes into a new ring line of sv. */
void handover_add_line(struct ho_svc *sv, uint64_t seq, int64_t ts_ms,
    int stream, const char *text, size_t len);
/* A new host series (codes copied) at the end. */
void handover_add_series(struct handover *h, const char *name,
    const uint16_t *v, uint32_t n);
/* A new service's metrics entry at the end (zeroed). */
struct ho_msvc *handover_add_msvc(struct handover *h, const char *name);
/* Fill s with n codes (copied). */
void handover_series_set(struct ho_series *s, const uint16_t *v, uint32_t n);
/* A copy of alert a at the end of h's alerts (lines copied too). */
void handover_add_alert(struct handover *h, const struct alert *a);
/* A delivery at the end of h's queue, its body copied. */
struct ho_dlv *handover_add_dlv(struct handover *h, const char *body,
    size_t len);
/* The JSON text (malloc'd, NUL-terminated); *len its length. */
char *handover_render(const struct handover *h, size_t *len);
/* Parse text into h (handover_init'ed by it). 0, or -1 with the reason
 * in err and h left empty. */
int handover_parse(const char *text, size_t len, struct handover *h,
    char *err, size_t errlen);
/* Find a service by name; NULL when absent. */
struct ho_svc *handover_find(struct handover *h, const char *name);
/* Does a --version output name format `version` among those it reads?
 * (its second line: "handover 1" or "handover 1 2"). */
bool handover_version_ok(const char *version_output, int version);

#endif
