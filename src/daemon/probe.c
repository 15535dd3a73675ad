/*
 * Health probes on the loop (see probe.h): one probe's checks, started,
 * timed out, reaped and reported.
 *
 * url: a transfer on the one libcurl multi handle of probe-curl.c; its
 * timeout is curl's.
 *
 * tcp: uv_tcp_connect (a name goes through uv_getaddrinfo first, on
 * libuv's thread pool), ended by the probe's timer at the timeout.
 *
 * exec: spawned as its service is (spawn_prepare_check: the service's
 * user, groups, limits, working_dir and environment, through prodd-exec
 * when needed) in a new session (so its own process group), stdin,
 * stdout and stderr on /dev/null, nothing else inherited; the reaper
 * hands its exit here (prober_reaped); at the timeout the whole group
 * gets SIGKILL and the check fails.
 *
 * Results are never delivered from inside probe_run: an immediate
 * failure (a spawn that cannot happen, an address that cannot be parsed)
 * goes through the probe's timer with a 0 ms timeout.
 */
#include "prodd/probe.h"
#include "prodd/probe-curl.h"
#include "prodd/spawn.h"
#include "prodd/xmalloc.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define PROBE_ERR_MAX 96

/* An exec probe's process, until reaped (its probe may be gone). */
struct probe_child {
	pid_t pid;
	struct probe *owner;		/* NULL: abandoned, reap only */
};

struct prober {
	uv_loop_t *loop;
	struct probe_curl *curl;	/* url checks */
	struct probe_child *kids;
	size_t nkids, capkids;
	long nprobes;
};

/* One tcp check's handle: outlives its probe when cancelled. */
struct probe_tcp {
	uv_tcp_t tcp;
	uv_connect_t conn;
	struct probe *owner;
};

struct probe_gai {
	uv_getaddrinfo_t req;
	struct probe *owner;
	int port;
};

struct probe {
	struct prober *p;
	probe_done_fn fn;
	void *arg;
	enum cfg_health_kind kind;	/* of the check in flight */
	bool busy;
	uint64_t t0_ns;
	int64_t timeout_ms;
	uv_timer_t timer;		/* tcp/exec timeout; deferred results */
	/* url */
	struct probe_http *http;
	/* tcp */
	struct probe_tcp *tcp;
	struct probe_gai *gai;
	/* exec */
	pid_t pid;
	/* a result waiting for the timer (deferred) */
	bool pending, pending_ok;
	char pending_err[PROBE_ERR_MAX];
	bool freeing;
};

static void probe_finish(struct probe *pr, bool ok, const char *error);
static void probe_fail_soon(struct probe *pr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static double
probe_elapsed_ms(const struct probe *pr)
{
	return (double)(uv_hrtime() - pr->t0_ns) / 1e6;
}

/* ------------------------------------------------------------------ */
/* the prober */

struct prober *
prober_new(uv_loop_t *loop)
{
	struct prober *p = xcalloc(1, sizeof *p);

	p->loop = loop;
	p->curl = probe_curl_new(loop);
	return p;
}

void
prober_close(struct prober *p)
{
	if (p == NULL)
		return;
	probe_curl_close(p->curl);
	/* exec probes still running: end their groups (they are reaped by
	 * whoever reaps prodd's children from now on) */
	for (size_t i = 0; i < p->nkids; i++)
		kill(-p->kids[i].pid, SIGKILL);
	free(p->kids);
	free(p);
}

static void
prober_add_kid(struct prober *p, pid_t pid, struct probe *owner)
{
	if (p->nkids == p->capkids) {
		p->capkids = p->capkids ? p->capkids * 2 : 8;
		p->kids = xreallocarray(p->kids, p->capkids, sizeof *p->kids);
	}
	p->kids[p->nkids++] = (struct probe_child){ pid, owner };
}

/* Forget owner in the kids list (its check was abandoned). */
static void
prober_orphan_kid(struct prober *p, pid_t pid)
{
	for (size_t i = 0; i < p->nkids; i++)
		if (p->kids[i].pid == pid)
			p->kids[i].owner = NULL;
}

bool
prober_reaped(struct prober *p, pid_t pid, int status)
{
	struct probe *pr;
	char err[PROBE_ERR_MAX];
	size_t i;

	if (p == NULL)
		return false;
	for (i = 0; i < p->nkids; i++)
		if (p->kids[i].pid == pid)
			break;
	if (i == p->nkids)
		return false;
	pr = p->kids[i].owner;
	p->kids[i] = p->kids[--p->nkids];
	/* whatever the check left running in its group goes with it (the
	 * group id cannot be reused while a member lives) */
	kill(-pid, SIGKILL);
	if (pr == NULL || !pr->busy || pr->pid != pid)
		return true;
	pr->pid = 0;
	uv_timer_stop(&pr->timer);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		probe_finish(pr, true, NULL);
		return true;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(err, sizeof err, "exit 127 (command not found?)");
	else if (WIFEXITED(status))
		snprintf(err, sizeof err, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(err, sizeof err, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(err, sizeof err, "ended with status %d", status);
	probe_finish(pr, false, err);
	return true;
}

/* ------------------------------------------------------------------ */
/* one probe */

struct probe *
probe_new(struct prober *p, probe_done_fn fn, void *arg)
{
	struct probe *pr = xcalloc(1, sizeof *pr);

	pr->p = p;
	pr->fn = fn;
	pr->arg = arg;
	uv_timer_init(p->loop, &pr->timer);
	pr->timer.data = pr;
	probe_curl_probes(p->curl, ++p->nprobes);
	return pr;
}

bool
probe_busy(const struct probe *pr)
{
	return pr->busy;
}

/* The check is over: report it (unless it was abandoned). */
static void
probe_finish(struct probe *pr, bool ok, const char *error)
{
	double ms;

	if (!pr->busy)
		return;
	ms = probe_elapsed_ms(pr);
	pr->busy = false;
	uv_timer_stop(&pr->timer);
	pr->fn(pr->arg, ok, ms, ok ? NULL : error);
}

static void
probe_tcp_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Close the tcp check's handle; the probe forgets it. */
static void
probe_tcp_drop(struct probe *pr)
{
	if (pr->tcp != NULL) {
		pr->tcp->owner = NULL;
		uv_close((uv_handle_t *)&pr->tcp->tcp, probe_tcp_closed);
		pr->tcp = NULL;
	}
	if (pr->gai != NULL) {
		pr->gai->owner = NULL;
		uv_cancel((uv_req_t *)&pr->gai->req);	/* best effort */
		pr->gai = NULL;
	}
}

static void
probe_connect_cb(uv_connect_t *req, int status)
{
	struct probe_tcp *t = req->data;
	struct probe *pr = t->owner;
	char err[PROBE_ERR_MAX];

	if (pr == NULL)
		return;		/* abandoned: its close is under way */
	probe_tcp_drop(pr);
	if (status == 0) {
		probe_finish(pr, true, NULL);
		return;
	}
	if (status == UV_ECONNREFUSED)
		snprintf(err, sizeof err, "connection refused");
	else
		snprintf(err, sizeof err, "cannot connect: %s",
		    uv_strerror(status));
	probe_finish(pr, false, err);
}

static void
probe_tcp_connect(struct probe *pr, const struct sockaddr *sa)
{
	struct probe_tcp *t = xcalloc(1, sizeof *t);
	int rc;

	t->owner = pr;
	t->tcp.data = t;
	t->conn.data = t;
	uv_tcp_init(pr->p->loop, &t->tcp);
	pr->tcp = t;
	rc = uv_tcp_connect(&t->conn, &t->tcp, sa, probe_connect_cb);
	if (rc != 0) {
		probe_tcp_drop(pr);
		probe_fail_soon(pr, "cannot connect: %s", uv_strerror(rc));
	}
}

static void
probe_gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct probe_gai *g = req->data;
	struct probe *pr = g->owner;

	if (pr == NULL) {
		uv_freeaddrinfo(res);
		free(g);
		return;
	}
	pr->gai = NULL;
	if (status != 0 || res == NULL) {
		char err[PROBE_ERR_MAX];

		snprintf(err, sizeof err, "cannot resolve: %s",
		    uv_strerror(status ? status : UV_EAI_NONAME));
		uv_freeaddrinfo(res);
		free(g);
		probe_finish(pr, false, err);
		return;
	}
	if (res->ai_family == AF_INET)
		((struct sockaddr_in *)res->ai_addr)->sin_port =
		    htons((uint16_t)g->port);
	else if (res->ai_family == AF_INET6)
		((struct sockaddr_in6 *)res->ai_addr)->sin6_port =
		    htons((uint16_t)g->port);
	probe_tcp_connect(pr, res->ai_addr);
	uv_freeaddrinfo(res);
	free(g);
}

/* The probe's timer: a timeout, or a result deferred out of probe_run. */
static void
probe_timer_cb(uv_timer_t *t)
{
	struct probe *pr = t->data;
	char err[PROBE_ERR_MAX];

	if (pr->pending) {
		pr->pending = false;
		probe_finish(pr, pr->pending_ok, pr->pending_err);
		return;
	}
	if (!pr->busy)
		return;
	snprintf(err, sizeof err, "timeout after %lld ms",
	    (long long)pr->timeout_ms);
	if (pr->kind == CFG_HEALTH_EXEC && pr->pid > 0) {
		/* the whole group: a check script's children too */
		kill(-pr->pid, SIGKILL);
		prober_orphan_kid(pr->p, pr->pid);
		pr->pid = 0;
	}
	probe_tcp_drop(pr);
	probe_finish(pr, false, err);
}

/* Fail the check in flight on the next loop turn. */
static void
probe_fail_soon(struct probe *pr, const char *fmt, ...)
{
	va_list ap;

	pr->pending = true;
	pr->pending_ok = false;
	va_start(ap, fmt);
	vsnprintf(pr->pending_err, sizeof pr->pending_err, fmt, ap);
	va_end(ap);
	uv_timer_start(&pr->timer, probe_timer_cb, 0, 0);
}

/* A url check's transfer ended. */
static void
probe_http_done(void *arg, bool ok, const char *error)
{
	probe_finish(arg, ok, error);
}

static void
probe_run_url(struct probe *pr, const struct cfg_health *h)
{
	char err[PROBE_ERR_MAX];

	if (pr->http == NULL)
		pr->http = probe_http_new(pr->p->curl, probe_http_done, pr);
	if (probe_http_start(pr->http, h, err, sizeof err) < 0)
		probe_fail_soon(pr, "%s", err);
}

static void
probe_run_tcp(struct probe *pr, const struct cfg_health *h)
{
	struct sockaddr_storage ss;
	char port[16];
	int rc;

	uv_timer_start(&pr->timer, probe_timer_cb, (uint64_t)h->timeout_ms, 0);
	if (uv_ip4_addr(h->tcp_host, h->tcp_port,
	    (struct sockaddr_in *)&ss) == 0 ||
	    uv_ip6_addr(h->tcp_host, h->tcp_port,
	    (struct sockaddr_in6 *)&ss) == 0) {
		probe_tcp_connect(pr, (struct sockaddr *)&ss);
		return;
	}
	pr->gai = xcalloc(1, sizeof *pr->gai);
	pr->gai->owner = pr;
	pr->gai->port = h->tcp_port;
	pr->gai->req.data = pr->gai;
	snprintf(port, sizeof port, "%d", h->tcp_port);
	rc = uv_getaddrinfo(pr->p->loop, &pr->gai->req, probe_gai_cb,
	    h->tcp_host, NULL, &(struct addrinfo){ .ai_socktype = SOCK_STREAM });
	if (rc != 0) {
		free(pr->gai);
		pr->gai = NULL;
		probe_fail_soon(pr, "cannot resolve %s: %s", h->tcp_host,
		    uv_strerror(rc));
	}
}

/* An exec check: spawned as its service is (see spawn.h). */
static void
probe_run_exec(struct probe *pr, const struct cfg_service *svc)
{
	struct spawn_req req, *r = &req;
	char err[256];
	pid_t pid;

	if (spawn_prepare_check(r, svc, err, sizeof err) < 0) {
		probe_fail_soon(pr, "%s", err);
		return;
	}
	spawn_run(&r, 1);
	pid = spawn_finish(r, err, sizeof err);
	if (pid < 0) {
		probe_fail_soon(pr, "%s", err);
		return;
	}
	pr->pid = pid;
	prober_add_kid(pr->p, pid, pr);
	uv_timer_start(&pr->timer, probe_timer_cb,
	    (uint64_t)svc->health.timeout_ms, 0);
}

int
probe_run(struct probe *pr, const struct cfg_service *svc)
{
	const struct cfg_health *h = &svc->health;

	if (pr->busy || pr->freeing)
		return -1;
	pr->busy = true;
	pr->pending = false;
	pr->kind = h->kind;
	pr->timeout_ms = h->timeout_ms;
	pr->t0_ns = uv_hrtime();
	switch (h->kind) {
	case CFG_HEALTH_URL:
		probe_run_url(pr, h);
		break;
	case CFG_HEALTH_TCP:
		probe_run_tcp(pr, h);
		break;
	case CFG_HEALTH_EXEC:
		probe_run_exec(pr, svc);
		break;
	default:
		probe_fail_soon(pr, "no health check");
		break;
	}
	return 0;
}

void
probe_cancel(struct probe *pr)
{
	if (!pr->busy)
		return;
	pr->busy = false;
	pr->pending = false;
	uv_timer_stop(&pr->timer);
	probe_http_cancel(pr->http);
	probe_tcp_drop(pr);
	if (pr->pid > 0) {
		kill(-pr->pid, SIGKILL);
		prober_orphan_kid(pr->p, pr->pid);
		pr->pid = 0;
	}
}

static void
probe_closed(uv_handle_t *h)
{
	struct probe *pr = h->data;

	free(pr);
}

void
probe_free(struct probe *pr)
{
	if (pr == NULL)
		return;
	probe_cancel(pr);
	pr->freeing = true;
	probe_http_free(pr->http);
	pr->http = NULL;
	probe_curl_probes(pr->p->curl, --pr->p->nprobes);
	uv_close((uv_handle_t *)&pr->timer, probe_closed);
}
