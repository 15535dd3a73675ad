/*
 * prodd's main: command line, config discovery, --check, and the daemon:
 * one libuv loop on which the supervisor runs every service. Signals come
 * through uv_signal_t: SIGTERM/SIGINT stop everything in reverse
 * dependency order and exit (a second one: SIGKILL to every group);
 * SIGHUP reloads the file; SIGUSR2 (or POST /api/upgrade) upgrades prodd
 * in place: the state handed over to the new binary exec'd in its place,
 * which starts with --handover FD and takes it over (SPEC §9). Under
 * systemd: the readiness protocol (sdnotify.c) and, when stderr is the
 * journal, native journal entries (journal.c). The loading of the file
 * is in prodd-load.c, the upgrade glue in prodd-upgrade.c.
 */
#include "prodd-int.h"
#include "prodd/alertd.h"
#include "prodd/api.h"
#include "prodd/config.h"
#include "prodd/journal.h"
#include "prodd/health.h"
#include "prodd/handover.h"
#include "prodd/loopcheck.h"
#include "prodd/log.h"
#include "prodd/logs.h"
#include "prodd/server.h"
#include "prodd/state.h"
#include "prodd/static.h"
#include "prodd/sampler.h"
#include "prodd/sdnotify.h"
#include "prodd/supervisor.h"
#include "prodd/upgrade.h"
#include "prodd/version.h"
#include "prodd/view.h"
#include "prodd/ws.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>


static void
prodd_usage(FILE *f)
{
	fprintf(f,
	    "usage: prodd [-c FILE] [--check] [--log-level LEVEL] "
	    "[--log-format auto|json|text|journal]\n"
	    "\n"
	    "  -c, --config FILE   services file (default: $PRODD_CONFIG, "
	    "./services.yaml,\n"
	    "                      /etc/prodd/services.yaml)\n"
	    "      --check         validate the file and exit (0 valid, 1 not)\n"
	    "      --foreground    run in the foreground (the default; prodd "
	    "never forks itself)\n"
	    "      --log-level L   error, warn, notice, info or debug\n"
	    "      --log-format F  auto (default: journal when stderr is the "
	    "journal's\n"
	    "                      stream, else json), json, text or journal\n"
	    "      --handover FD   take over an upgraded prodd's state (given "
	    "by prodd\n"
	    "                      itself when it upgrades)\n"
	    "      --version       print the version and the hand-over formats "
	    "it reads\n"
	    "  -h, --help          this help\n"
	    "\n"
	    "Signals: TERM or INT stop every service in reverse dependency "
	    "order, then exit\n"
	    "(a second one kills them all at once); HUP reloads the file; "
	    "USR2 upgrades\n"
	    "prodd in place (prodctl upgrade), restarting no service.\n");
}

static void
prodd_raise_nofile(void)
{
	struct rlimit rl;

	/* two pipes per service, plus probes and clients: past 1024 soon */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn(NULL, "cannot raise the descriptor limit: %s",
			    strerror(errno));
	}
}

/* A daemon key changed at a reload: say so when it cannot apply now. */
static void
prodd_daemon_change(const char *key, enum cfg_change change, void *arg)
{
	(void)arg;
	if (change == CFG_CHANGE_PRODD)
		log_warn(NULL, "daemon.%s changed: restart prodd to apply", key);
}

/* The services' states counted, for the STATUS= line. */
static void
prodd_sdn_counts_cb(void *arg, struct sdn_counts *c)
{
	struct prodd *p = arg;

	c->total = sup_count(p->sup);
	c->shutting_down = sup_shutting_down(p->sup);
	for (size_t i = 0; i < c->total; i++) {
		enum fsm_state st = sup_svc_fsm(sup_svc_at(p->sup, i))->state;

		c->alive += fsm_state_alive(st);
		c->healthy += st == FSM_RUNNING;
		c->starting += st == FSM_STARTING;
		c->unhealthy += st == FSM_UNHEALTHY;
		c->stopping += st == FSM_STOPPING;
		c->backoff += st == FSM_BACKOFF;
		c->failed += st == FSM_FAILED;
	}
}

/* Say in the log which dashboard is served, or why none is. */
static void
prodd_site_note(const struct static_site *site)
{
	if (site->dir == NULL)
		log_warn(NULL, "%s", site->why);
	else
		log_info(NULL, "dashboard: %s (%zu files, %zu bytes)",
		    site->dir, site->nfiles, site->bytes);
}

static int
prodd_reload_file(struct prodd *p, char *msg, size_t msglen, cJSON **errors)
{
	struct static_site *site = NULL;
	struct cfg *cfg = prodd_load(p->config_path, true, errors, &site);
	const struct cfg *old = sup_cfg(p->sup);
	char why[PATH_MAX + 256];

	if (cfg == NULL) {
		sup_note(p->sup, EVENT_RELOAD, "reload of %s refused: the file "
		    "has errors (see the log); nothing was changed",
		    p->config_path);
		snprintf(msg, msglen, "the file has errors; nothing was changed");
		return -1;
	}
	/* what needs a restart of prodd keeps its running value */
	cfg_daemon_diff(&old->daemon, &cfg->daemon, prodd_daemon_change, NULL);
	cfg_daemon_keep(&cfg->daemon, &old->daemon);
	/* the certificate read again (rotation), or nothing changes */
	if (server_reload_tls(p->srv, &cfg->daemon, why, sizeof why) < 0) {
		log_error(NULL, "%s", why);
		sup_note(p->sup, EVENT_RELOAD, "reload of %s refused: %s; "
		    "nothing was changed", p->config_path, why);
		snprintf(msg, msglen, "%s; nothing was changed", why);
		if (errors != NULL) {
			*errors = cJSON_CreateArray();
			cJSON_AddItemToArray(*errors, cJSON_CreateString(why));
		}
		static_site_free(site);
		cfg_free(cfg);
		return -1;
	}
	if (!p->log_level_forced)
		log_set_level((enum log_level)cfg->daemon.log_level);
	server_reconfigure(p->srv, &cfg->daemon);
	/* the dashboard's files, read again: a rebuilt page shows now */
	prodd_site_note(site);
	api_set_site(p->api, site);
	static_site_free(p->site);
	p->site = site;
	sup_reload(p->sup, cfg, msg, msglen);
	sampler_configure(p->sampler, cfg);
	alertd_configure(p->alerts, sup_cfg(p->sup));
	return 0;
}

/* A reload (SIGHUP or the API), told to the service manager around it. */
static int
prodd_reload(void *arg, char *msg, size_t msglen, cJSON **errors)
{
	struct prodd *p = arg;
	int rc;

	sdnotify_reloading(&p->sdn);
	rc = prodd_reload_file(p, msg, msglen, errors);
	sdnotify_ready(&p->sdn);
	sdnotify_changed(&p->sdn);
	return rc;
}

static void
prodd_signal_cb(uv_signal_t *h, int sig)
{
	struct prodd *p = h->data;

	if (sig == SIGUSR2) {
		char msg[512];

		log_notice(NULL, "SIGUSR2: upgrading in place");
		if (prodd_upgrade(p, NULL, msg, sizeof msg) < 0)
			log_error(NULL, "upgrade refused: %s", msg);
		return;
	}
	if (sig == SIGHUP) {
		char msg[256];
		cJSON *errors = NULL;

		log_notice(NULL, "SIGHUP: reloading %s", p->config_path);
		prodd_reload(p, msg, sizeof msg, &errors);
		cJSON_Delete(errors);
		return;
	}
	log_notice(NULL, "%s: shutting down", sig == SIGINT ? "SIGINT" :
	    "SIGTERM");
	sdnotify_stopping(&p->sdn, sup_cfg(p->sup)->daemon.shutdown_timeout_ms);
	sup_shutdown(p->sup);
}

/* The last stage of the shutdown: close everything left on the loop. */
static void
prodd_teardown(struct prodd *p)
{
	uv_close((uv_handle_t *)&p->drain, NULL);
	api_set_sampler(p->api, NULL);
	sampler_close(p->sampler);
	p->sampler = NULL;
	server_close(p->srv);
	ws_stop(p->ws);
	uv_close((uv_handle_t *)&p->sigterm, NULL);
	uv_close((uv_handle_t *)&p->sigint, NULL);
	uv_close((uv_handle_t *)&p->sighup, NULL);
	sdnotify_close(&p->sdn);
	alertd_close(p->alerts);
	uv_close((uv_handle_t *)&p->sigusr2, NULL);
	uv_close((uv_handle_t *)&p->upgrade, NULL);
	upgrade_check_cancel(p->check);	/* a check still running */
	p->check = NULL;
	sup_close(p->sup);
}

static void
prodd_drain_cb(uv_timer_t *t)
{
	struct prodd *p = t->data;

	if ((server_streams(p->srv) > 0 || ws_clients(p->ws) > 0) &&
	    (int64_t)uv_now(&p->loop) < p->drain_until)
		return;
	uv_timer_stop(t);
	prodd_teardown(p);
}

static void
prodd_idle_cb(void *arg)
{
	struct prodd *p = arg;

	log_notice(NULL, "every service is stopped: exiting");
	/* followers get what is queued for them (the services' last lines,
	 * the last events) and a clean end, for at most PRODD_DRAIN_MS */
	api_end_streams(p->api);
	/* and /ws clients a close frame: 1001, going away */
	ws_close_all(p->ws, 1001);
	if (server_streams(p->srv) == 0 && ws_clients(p->ws) == 0) {
		prodd_teardown(p);
		return;
	}
	p->drain_until = (int64_t)uv_now(&p->loop) + PRODD_DRAIN_MS;
	uv_timer_start(&p->drain, prodd_drain_cb, 10, 10);
}

/* What an event tells the alert rules: state changes (with the
 * service's last lines, for service_failed) and health verdicts. */
static void
prodd_alert_feed(struct prodd *p, const struct event *e)
{
	const struct sup_svc *s;
	const struct logs_svc *l;

	if (e->service[0] == '\0')
		return;
	if (e->kind == EVENT_STATE) {
		/* the service found by name (a pass over all) only when
		 * its lines are wanted */
		s = e->to == FSM_FAILED ? sup_find(p->sup, e->service) : NULL;
		l = s != NULL ? sup_svc_logs(s) : NULL;
		/* the last lines only for service_failed, which carries them */
		alertd_on_state(p->alerts, e->service, e->from, e->to, e->reason,
		    l != NULL && e->to == FSM_FAILED ? logs_ring(l) : NULL);
	} else if (e->kind == EVENT_HEALTH && e->to == HEALTH_HEALTHY) {
		alertd_on_health(p->alerts, e->service, true);
	} else if (e->kind == EVENT_HEALTH && e->to == HEALTH_UNHEALTHY) {
		alertd_on_health(p->alerts, e->service, false);
	}
}

/* An alert fired or resolved: an event (the ring, the log, followers)
 * and a /ws alert message. */
static void
prodd_alert_cb(void *arg, const struct alert *a, enum alert_change ch)
{
	struct prodd *p = arg;

	sup_note_for(p->sup, EVENT_ALERT, a->service, "%s %s: %s", a->id,
	    ch == ALERT_CH_RESOLVED ? "resolved" : "firing", a->summary);
	ws_on_alert(p->ws, view_alert_json(a, alertd_channels(p->alerts)));
}

static void
prodd_event_cb(const struct event *e, void *arg)
{
	struct prodd *p = arg;

	/* a service's latest figures end with its main process */
	if (e->kind == EVENT_EXIT && p->sampler != NULL)
		sampler_forget(p->sampler, e->service);
	if (p->api != NULL)
		api_on_event(p->api, e);
	ws_on_event(p->ws, e);
	sdnotify_changed(&p->sdn);
	/* last: an alert it causes is an event of its own, after this one */
	if (p->alerts != NULL)
		prodd_alert_feed(p, e);
}

/* The sampler's view of the services, and its "over memory_limit". */
static size_t
prodd_sm_count_cb(void *arg)
{
	return sup_count(((struct prodd *)arg)->sup);
}

static void
prodd_sm_root_cb(void *arg, size_t i, struct sampler_root *out)
{
	const struct sup_svc *s = sup_svc_at(((struct prodd *)arg)->sup, i);
	const struct cfg_service *c = sup_svc_cfg(s);

	out->name = c->name;
	out->pid = sup_svc_pid(s);
	out->memory_limit = c->memory_limit;
}

static void
prodd_sm_over_limit_cb(void *arg, const char *name, const char *why)
{
	sup_over_limit(((struct prodd *)arg)->sup, name, why);
}

static void
prodd_line_cb(void *arg, const char *service, int stream, int64_t ts_ms,
    const char *line, size_t len)
{
	struct prodd *p = arg;

	if (p->api != NULL)
		api_on_line(p->api, service, stream, ts_ms, line, len);
	ws_on_line(p->ws, service, stream, ts_ms, line, len);
}

/* A sample's figures to the alert rules: each service's CPU, memory and
 * last health latency; the host's CPU, memory and disks. */
static void
prodd_alert_sample(struct prodd *p)
{
	size_t n = sup_count(p->sup);
	struct alert_svc_sample *v = xcalloc(n + 1, sizeof *v);
	const struct metrics_host *mh = sampler_host(p->sampler);
	struct alert_mount mounts[METRICS_MAX_DISKS];
	struct alert_host_sample h = { .valid = mh != NULL && mh->ts_ms != 0 };

	for (size_t i = 0; i < n; i++) {
		const struct sup_svc *s = sup_svc_at(p->sup, i);
		const struct cfg_service *c = sup_svc_cfg(s);
		const struct metrics_svc *m = sampler_metrics(p->sampler,
		    c->name);
		const struct health_state *hs = sup_svc_health(s);

		v[i].name = c->name;
		v[i].running = sup_svc_pid(s) > 0 && m != NULL && m->valid;
		v[i].cpu_percent = m != NULL ? m->cpu_percent : 0;
		v[i].rss = m != NULL ? m->rss : 0;
		v[i].health_latency_ms = c->health.kind != CFG_HEALTH_NONE &&
		    hs != NULL ? hs->last_latency_ms : -1;
	}
	if (h.valid) {
		h.cpu_percent = mh->cpu_percent;
		h.mem_total = (int64_t)mh->mem_total;
		h.mem_percent = mh->mem_total > 0 ? 100.0 *
		    (double)mh->mem_used / (double)mh->mem_total : 0;
		for (size_t i = 0; i < mh->ndisks && i < METRICS_MAX_DISKS;
		    i++) {
			if (!mh->disks[i].ok || mh->disks[i].total == 0)
				continue;
			mounts[h.nmounts].path = mh->disks[i].path;
			mounts[h.nmounts++].used_percent = 100.0 *
			    (double)mh->disks[i].used /
			    (double)mh->disks[i].total;
		}
		h.mounts = mounts;
	}
	alertd_on_sample(p->alerts, v, n, &h);
	free(v);
}

/* A sample was taken: the /ws clients' metrics message. */
static void
prodd_sm_sample_cb(void *arg)
{
	struct prodd *p = arg;

	ws_on_sample(p->ws);
	prodd_alert_sample(p);
}

static void
prodd_api_cb(void *arg, struct srv_req *req)
{
	struct prodd *p = arg;

	/* an upgrade under way takes no new work: its state is being
	 * handed over */
	if (p->upgrading && req->method == SRV_POST) {
		server_respond_error(req, 503, "upgrading", "prodd is upgrading "
		    "itself: try again in a moment");
		return;
	}
	api_handle(p->api, req);
}

static int
prodd_run(struct prodd *p)
{
	struct sup_hooks hooks = { .on_idle = prodd_idle_cb,
		.on_event = prodd_event_cb, .on_line = prodd_line_cb, .arg = p };
	struct alertd_hooks al_hooks = { .on_change = prodd_alert_cb,
		.arg = p };
	struct sampler_hooks sm_hooks = { .count = prodd_sm_count_cb,
		.root = prodd_sm_root_cb, .over_limit = prodd_sm_over_limit_cb,
		.on_sample = prodd_sm_sample_cb,
		.arg = p };
	struct cfg *cfg;
	char err[512];
	int recovered;
	struct handover ho;
	bool taking_over = p->handover_fd >= 0;
	int subreaper = 0;

	if ((cfg = prodd_load(p->config_path, false, NULL, &p->site)) == NULL)
		return 1;
	if (!p->log_level_forced)
		log_set_level((enum log_level)cfg->daemon.log_level);
	prodd_site_note(p->site);
	prodd_raise_nofile();
	/* the subreaper flag survives an exec: checked, not assumed */
	if (taking_over && prctl(PR_GET_CHILD_SUBREAPER, &subreaper) == 0 &&
	    !subreaper)
		log_warn(NULL, "upgrade: the child-subreaper flag was lost "
		    "across the exec; set again");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn(NULL, "cannot become a child subreaper: %s",
		    strerror(errno));
	handover_init(&ho);
	if (taking_over && prodd_take_handover(p, &ho) < 0) {
		cfg_free(cfg);
		return 1;
	}
	if (!taking_over && (p->lock_fd = state_lock(cfg->daemon.state_dir,
	    err, sizeof err)) < 0) {
		log_error(NULL, "%s", err);
		cfg_free(cfg);
		static_site_free(p->site);
		return 1;
	}
	/* a hand-over's services are ours, alive: nothing to recover */
	recovered = taking_over ? 0 : state_recover(cfg->daemon.state_dir,
	    cfg, cfg->daemon.shutdown_timeout_ms);
	if (recovered > 0)
		log_notice(NULL, "ended %d process group%s left by a previous "
		    "prodd", recovered, recovered == 1 ? "" : "s");

	uv_loop_init(&p->loop);
	/* the listeners first, while nothing else is on the loop: a failure
	 * then unwinds cleanly, and no service was started for nothing */
	p->srv = server_new_fds(&p->loop, &cfg->daemon, ho.tcp_fd, ho.unix_fd,
	    prodd_api_cb, p, err, sizeof err);
	if (p->srv == NULL) {
		log_error(NULL, "%s", err);
		handover_free(&ho);
		uv_loop_close(&p->loop);
		cfg_free(cfg);
		static_site_free(p->site);
		close(p->lock_fd);
		return 1;
	}
	p->sup = sup_new(&p->loop, cfg, &hooks);
	p->api = api_new(p->sup, prodd_reload, p);
	api_set_site(p->api, p->site);
	api_set_guard(p->api, server_guard(p->srv));
	p->ws = ws_new(&p->loop, p->api);
	api_set_ws(p->api, p->ws);
	api_set_upgrade(p->api, prodd_upgrade);
	server_set_ws(p->srv, p->ws);
	p->sampler = sampler_new(&p->loop, &sm_hooks);
	sampler_configure(p->sampler, cfg);
	api_set_sampler(p->api, p->sampler);
	p->alerts = alertd_new(&p->loop, &al_hooks);
	alertd_configure(p->alerts, sup_cfg(p->sup));
	api_set_alerts(p->api, p->alerts);
	uv_timer_init(&p->loop, &p->drain);
	p->drain.data = p;
	sdnotify_init(&p->sdn, &p->loop, prodd_sdn_counts_cb, p);
	uv_signal_init(&p->loop, &p->sigterm);
	uv_signal_init(&p->loop, &p->sigint);
	uv_signal_init(&p->loop, &p->sighup);
	uv_signal_init(&p->loop, &p->sigusr2);
	uv_timer_init(&p->loop, &p->upgrade);
	p->sigterm.data = p->sigint.data = p->sighup.data = p;
	p->sigusr2.data = p->upgrade.data = p;
	uv_signal_start(&p->sigterm, prodd_signal_cb, SIGTERM);
	uv_signal_start(&p->sigint, prodd_signal_cb, SIGINT);
	uv_signal_start(&p->sighup, prodd_signal_cb, SIGHUP);
	uv_signal_start(&p->sigusr2, prodd_signal_cb, SIGUSR2);
	log_notice(NULL, "prodd %s: %zu services from %s%s", PRODD_VERSION,
	    cfg->nservices, cfg->path, taking_over ? ", taken over from the "
	    "prodd it replaced" : "");
	if (taking_over) {
		sigset_t none;

		ws_set_instance(p->ws, ho.instance);
		if (ho.started_ms > 0)
			api_set_started_ms(p->api, ho.started_ms);
		sampler_handover_restore(p->sampler, &ho);
		/* the alerts first: what the supervisor's restore finds (an
		 * exit during the exec) changes them as at any time */
		alertd_handover_restore(p->alerts, &ho, sup_cfg(p->sup));
		sup_handover_restore(p->sup, &ho);
		handover_free(&ho);
		/* blocked across the exec; the handlers are in place now */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	} else
		sup_boot(p->sup);
	/* the listeners answer and the initial start is issued (or the
	 * services are taken over) */
	sdnotify_ready(&p->sdn);
	sdnotify_status(&p->sdn);
	uv_run(&p->loop, UV_RUN_DEFAULT);
	/* the close callbacks of everything sup_close closed */
	uv_run(&p->loop, UV_RUN_DEFAULT);
	server_free(p->srv);	/* the second stage of lws's destroy */
	ws_free(p->ws);		/* its sessions closed with the server */
	api_free(p->api);
	static_site_free(p->site);
	alertd_free(p->alerts);
	sup_free(p->sup);
	close(p->lock_fd);
	if (loop_close_check(&p->loop, err, sizeof err) != 0) {
		log_error(NULL, "%s", err);
		return LOOP_EXIT_OPEN_HANDLES;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "version", no_argument, NULL, 'V' },
		{ "handover", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct prodd p;
	enum log_format format = LOG_FORMAT_AUTO;
	int ch, check = 0, v;

	memset(&p, 0, sizeof p);
	p.handover_fd = -1;
	p.argv = argv;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			p.config_path = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'F':
			break;
		case 'L':
			if ((v = log_level_parse(optarg)) < 0) {
				fprintf(stderr, "prodd: unknown log level '%s' "
				    "(error, warn, notice, info, debug)\n", optarg);
				return 2;
			}
			log_set_level((enum log_level)v);
			p.log_level_forced = true;
			break;
		case 'f':
			if ((v = log_format_parse(optarg)) < 0) {
				fprintf(stderr, "prodd: unknown log format '%s' "
				    "(auto, json, text, journal)\n", optarg);
				return 2;
			}
			format = (enum log_format)v;
			break;
		case 'V':
			/* the second line: the hand-over formats it reads */
			printf("prodd %s (API %d)\nhandover %d\n", PRODD_VERSION,
			    PRODD_API_VERSION, HANDOVER_VERSION);
			return 0;
		case 'H': {
			char *end;
			long fd = strtol(optarg, &end, 10);

			if (*end != '\0' || end == optarg || fd < 3 ||
			    fd > INT_MAX) {
				fprintf(stderr, "prodd: --handover takes a "
				    "descriptor number, not '%s'\n", optarg);
				return 2;
			}
			p.handover_fd = (int)fd;
			break;
		}
		case 'h':
			prodd_usage(stdout);
			return 0;
		default:
			prodd_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "prodd: unexpected argument '%s'\n", argv[optind]);
		prodd_usage(stderr);
		return 2;
	}
	if (p.config_path == NULL)
		p.config_path = prodd_find_config();
	if (check)
		return prodd_check(p.config_path);
	if (format == LOG_FORMAT_AUTO)
		format = journal_stream_is_stderr() ? LOG_FORMAT_JOURNAL :
		    LOG_FORMAT_JSON;
	if (format == LOG_FORMAT_JOURNAL)
		log_set_sink(journal_sink);
	else
		log_set_format(format);
	/* resolved now: a package upgrade replaces the file later (and
	 * under valgrind /proc/self/exe is valgrind's) */
	if (strchr(argv[0], '/') == NULL || realpath(argv[0], p.self) == NULL) {
		ssize_t n = readlink("/proc/self/exe", p.self,
		    sizeof p.self - 1);

		p.self[n > 0 ? n : 0] = '\0';
	}
	uv_disable_stdio_inheritance();
	signal(SIGPIPE, SIG_IGN);
	return prodd_run(&p);
}
