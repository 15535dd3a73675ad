/*
 * The parts of prodd's main shared by its files (private to src/daemon):
 * the daemon's state (struct prodd), the loading of the file with its
 * TLS files, webhook secret and dashboard (prodd-load.c), and the upgrade
 * glue (prodd-upgrade.c) that prodd.c's loop and signals call.
 */
#ifndef PRODD_DAEMON_PRODD_INT_H
#define PRODD_DAEMON_PRODD_INT_H

#include "prodd/alertd.h"
#include "prodd/handover.h"
#include "prodd/sdnotify.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct cfg;
struct static_site;
struct upgrade_check;

/* At exit, how long the streams of followers may take to finish. */
#define PRODD_DRAIN_MS 500
/* At an upgrade, how long /ws clients' close frames and followers' last
 * records may take to go out before the exec. */
#define PRODD_UPGRADE_DRAIN_MS 1000

struct prodd {
	uv_loop_t loop;
	uv_signal_t sigterm, sigint, sighup, sigusr2;
	uv_timer_t drain;		/* at exit: streams finishing */
	int64_t drain_until;
	struct supervisor *sup;
	struct server *srv;
	struct api *api;
	struct ws_hub *ws;
	struct sampler *sampler;
	struct sdnotify sdn;
	struct static_site *site;	/* the dashboard's files */
	struct alertd *alerts;
	const char *config_path;
	bool log_level_forced;
	int lock_fd;
	/* upgrades: the command line and binary to exec again, the state
	 * taken over at start (--handover FD), and one under way */
	char **argv;
	char self[PATH_MAX];
	int handover_fd;
	uv_timer_t upgrade;
	int64_t upgrade_until;
	int upgrade_ticks;
	bool upgrading;
	char upgrade_binary[PATH_MAX];
	struct upgrade_check *check;	/* the new binary's --version */
};

/* The config file to use when -c is not given. */
const char *prodd_find_config(void);
/* Load path (and, with sitep, the dashboard's files); on errors print
 * them (stderr, or the log) and, when errsp is given, collect them there
 * as a JSON array; return NULL. */
struct cfg *prodd_load(const char *path, bool to_log, cJSON **errsp,
    struct static_site **sitep);
/* --check: 0 when the file is valid (its summary printed), else 1. */
int prodd_check(const char *path);

/* POST /api/upgrade and SIGUSR2: check, then hand over (asynchronous). */
int prodd_upgrade(void *arg, const char *binary, char *msg, size_t msglen);
/* At start with --handover FD: the state parsed into h, the lock taken
 * over; -1 (logged) when it cannot be. */
int prodd_take_handover(struct prodd *p, struct handover *h);

#endif
