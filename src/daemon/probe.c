/*
 * Health probes on the loop (see probe.h).
 *
 * url: one CURLM for every probe, driven as INTEGRATION.md §2 says:
 * CURLMOPT_SOCKETFUNCTION maps curl's sockets to uv_poll handles,
 * CURLMOPT_TIMERFUNCTION to one uv_timer, and every finished transfer is
 * collected after each socket_action. Each probe keeps its easy handle,
 * and the multi handle keeps connections (its cache is at least as large
 * as the number of probes), so a check every few seconds reuses one
 * keep-alive connection. Sockets are opened close-on-exec, so a service
 * spawned while a check is in flight does not inherit one.
 *
 * tcp: uv_tcp_connect (a name goes through uv_getaddrinfo first, on
 * libuv's thread pool), ended by the probe's timer at the timeout.
 *
 * exec: posix_spawnp in a new session (so its own process group), stdin,
 * stdout and stderr on /dev/null, nothing else inherited; the reaper hands
 * its exit here (prober_reaped); at the timeout the whole group gets
 * SIGKILL and the check fails.
 *
 * Results are never delivered from inside probe_run: an immediate
 * failure (a spawn that cannot happen, an address that cannot be parsed)
 * goes through the probe's timer with a 0 ms timeout.
 */
#include "prodd/probe.h"
#include "prodd/curl-lazy.h"
#include "prodd/envfile.h"
#include "prodd/log.h"
#include "prodd/version.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>


extern char **environ;

#define PROBE_ERR_MAX 96

struct probe_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct prober *p;
	struct probe_sock *prev, *next;
};

/* An exec probe's process, until reaped (its probe may be gone). */
struct probe_child {
	pid_t pid;
	struct probe *owner;		/* NULL: abandoned, reap only */
};

struct prober {
	uv_loop_t *loop;
	const struct curl_lazy *cu;	/* libcurl, once loaded */
	CURLM *multi;
	uv_timer_t curl_timer;
	struct probe_sock *socks;	/* live poll handles */
	struct probe_child *kids;
	size_t nkids, capkids;
	long nprobes;
	int handles;			/* open uv handles */
	bool closing;
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
	CURL *easy;
	bool in_multi;
	int expect_lo, expect_hi;
	char errbuf[CURL_ERROR_SIZE];
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
/* curl on the loop */

static void
probe_handle_closed(uv_handle_t *h)
{
	struct prober *p = h->data;

	if (--p->handles == 0 && p->closing)
		free(p);
}

static void
probe_sock_closed(uv_handle_t *h)
{
	struct probe_sock *ps = (struct probe_sock *)h;
	struct prober *p = ps->p;

	free(ps);
	if (--p->handles == 0 && p->closing)
		free(p);
}

static void
probe_sock_drop(struct prober *p, struct probe_sock *ps)
{
	if (ps->prev != NULL)
		ps->prev->next = ps->next;
	else
		p->socks = ps->next;
	if (ps->next != NULL)
		ps->next->prev = ps->prev;
	/* synchronously: EPOLL_CTL_DEL before curl closes the fd */
	uv_poll_stop(&ps->poll);
	uv_close((uv_handle_t *)&ps->poll, probe_sock_closed);
}

/* Every finished transfer: its result to its probe. */
static void
probe_check_multi(struct prober *p)
{
	CURLMsg *msg;
	int left;

	while ((msg = p->cu->multi_info_read(p->multi, &left)) != NULL) {
		struct probe *pr = NULL;
		CURLcode rc;
		long code = 0, oserr = 0;
		char err[PROBE_ERR_MAX];

		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		p->cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&pr);
		p->cu->easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		p->cu->easy_getinfo(msg->easy_handle, CURLINFO_OS_ERRNO, &oserr);
		p->cu->multi_remove_handle(p->multi, msg->easy_handle);
		if (pr == NULL)
			continue;
		pr->in_multi = false;
		if (rc == CURLE_OK && code >= pr->expect_lo &&
		    code <= pr->expect_hi) {
			probe_finish(pr, true, NULL);
			continue;
		}
		if (rc == CURLE_OK)
			snprintf(err, sizeof err, "HTTP %ld", code);
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			snprintf(err, sizeof err, "timeout after %lld ms",
			    (long long)pr->timeout_ms);
		else if (rc == CURLE_COULDNT_CONNECT && oserr == ECONNREFUSED)
			snprintf(err, sizeof err, "connection refused");
		else if (rc == CURLE_COULDNT_CONNECT && oserr != 0)
			snprintf(err, sizeof err, "cannot connect: %s",
			    strerror((int)oserr));
		else if (rc == CURLE_TOO_MANY_REDIRECTS)
			snprintf(err, sizeof err, "too many redirects");
		else
			snprintf(err, sizeof err, "%.90s", pr->errbuf[0] ?
			    pr->errbuf : p->cu->easy_strerror(rc));
		probe_finish(pr, false, err);
	}
}

static void
probe_poll_cb(uv_poll_t *h, int status, int events)
{
	struct probe_sock *ps = (struct probe_sock *)h;
	struct prober *p = ps->p;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;	/* libuv says POLLERR as EBADF */
	else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	p->cu->multi_socket_action(p->multi, ps->fd, flags, &running);
	probe_check_multi(p);
}

static int
probe_curl_socket(CURL *e, curl_socket_t s, int what, void *userp,
    void *socketp)
{
	struct prober *p = userp;
	struct probe_sock *ps = socketp;
	int events = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (ps != NULL) {
			p->cu->multi_assign(p->multi, s, NULL);
			probe_sock_drop(p, ps);
		}
		return 0;
	}
	if (ps == NULL) {
		ps = xcalloc(1, sizeof *ps);
		ps->fd = s;
		ps->p = p;
		if (uv_poll_init_socket(p->loop, &ps->poll, s) != 0) {
			free(ps);
			return -1;
		}
		p->handles++;
		ps->next = p->socks;
		if (p->socks != NULL)
			p->socks->prev = ps;
		p->socks = ps;
		p->cu->multi_assign(p->multi, s, ps);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	uv_poll_start(&ps->poll, events, probe_poll_cb);
	return 0;
}

static void
probe_curl_timer_cb(uv_timer_t *t)
{
	struct prober *p = t->data;
	int running;

	p->cu->multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	probe_check_multi(p);
}

static int
probe_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
	struct prober *p = userp;

	(void)m;
	if (timeout_ms < 0)
		uv_timer_stop(&p->curl_timer);
	else
		uv_timer_start(&p->curl_timer, probe_curl_timer_cb,
		    (uint64_t)timeout_ms, 0);
	return 0;
}

/* Probe sockets are close-on-exec: a service spawned meanwhile must not
 * inherit one (INTEGRATION.md §6.2). */
static curl_socket_t
probe_open_socket(void *clientp, curlsocktype purpose,
    struct curl_sockaddr *a)
{
	(void)clientp;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t
probe_discard(char *ptr, size_t size, size_t n, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * n;
}

/* ------------------------------------------------------------------ */
/* the prober */

struct prober *
prober_new(uv_loop_t *loop)
{
	struct prober *p = xcalloc(1, sizeof *p);

	p->loop = loop;
	uv_timer_init(loop, &p->curl_timer);
	p->curl_timer.data = p;
	uv_unref((uv_handle_t *)&p->curl_timer);
	p->handles = 1;
	return p;
}

/* libcurl is loaded and set up at the first url check, not before (see
 * curl-lazy.h): a configuration without url checks never pays for it.
 * 0, or -1 with the reason in err. */
static int
prober_curl(struct prober *p, char *err, size_t errlen)
{
	if (p->multi != NULL)
		return 0;
	p->cu = curl_lazy_load(err, errlen);
	if (p->cu == NULL)
		return -1;
	if (p->cu->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "cannot set up libcurl");
		return -1;
	}
	p->multi = p->cu->multi_init();
	if (p->multi == NULL) {
		p->cu->global_cleanup();
		snprintf(err, errlen, "cannot set up libcurl");
		return -1;
	}
	p->cu->multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION,
	    probe_curl_socket);
	p->cu->multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p);
	p->cu->multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, probe_curl_timer);
	p->cu->multi_setopt(p->multi, CURLMOPT_TIMERDATA, p);
	/* a connection cache at least as large as the number of probes */
	p->cu->multi_setopt(p->multi, CURLMOPT_MAXCONNECTS,
	    p->nprobes > 16 ? p->nprobes : 16L);
	return 0;
}

void
prober_close(struct prober *p)
{
	if (p == NULL)
		return;
	p->closing = true;
	if (p->multi != NULL) {
		p->cu->multi_cleanup(p->multi);
		p->multi = NULL;
		p->cu->global_cleanup();
		curl_lazy_unload();
		p->cu = NULL;
	}
	while (p->socks != NULL)
		probe_sock_drop(p, p->socks);
	/* exec probes still running: end their groups (they are reaped by
	 * whoever reaps prodd's children from now on) */
	for (size_t i = 0; i < p->nkids; i++)
		kill(-p->kids[i].pid, SIGKILL);
	free(p->kids);
	p->kids = NULL;
	p->nkids = 0;
	uv_close((uv_handle_t *)&p->curl_timer, probe_handle_closed);
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
	p->nprobes++;
	/* a connection cache at least as large as the number of probes */
	if (p->nprobes > 16 && p->multi != NULL)
		p->cu->multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, p->nprobes);
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

static void
probe_run_url(struct probe *pr, const struct cfg_health *h)
{
	const struct curl_lazy *cu;
	CURLMcode mrc;
	char err[PROBE_ERR_MAX];

	if (prober_curl(pr->p, err, sizeof err) < 0) {
		probe_fail_soon(pr, "%s", err);
		return;
	}
	cu = pr->p->cu;
	if (pr->easy == NULL) {
		pr->easy = cu->easy_init();
		if (pr->easy == NULL) {
			probe_fail_soon(pr, "cannot create an HTTP handle");
			return;
		}
		cu->easy_setopt(pr->easy, CURLOPT_PRIVATE, (char *)pr);
		cu->easy_setopt(pr->easy, CURLOPT_NOSIGNAL, 1L);
		cu->easy_setopt(pr->easy, CURLOPT_ERRORBUFFER, pr->errbuf);
		cu->easy_setopt(pr->easy, CURLOPT_WRITEFUNCTION, probe_discard);
		cu->easy_setopt(pr->easy, CURLOPT_OPENSOCKETFUNCTION,
		    probe_open_socket);
		cu->easy_setopt(pr->easy, CURLOPT_PROTOCOLS_STR, "http,https");
		cu->easy_setopt(pr->easy, CURLOPT_REDIR_PROTOCOLS_STR,
		    "http,https");
		cu->easy_setopt(pr->easy, CURLOPT_MAXREDIRS, 5L);
		/* a health answer is small: the smallest receive buffer
		 * curl allows (the default 16 KiB, kept by each of 500 easy
		 * handles, was 8 MiB of prodd's memory) */
		cu->easy_setopt(pr->easy, CURLOPT_BUFFERSIZE, 1024L);
		/* a health URL names the service itself, never a proxy */
		cu->easy_setopt(pr->easy, CURLOPT_NOPROXY, "*");
		cu->easy_setopt(pr->easy, CURLOPT_USERAGENT,
		    "prodd/" PRODD_VERSION " (health check)");
	}
	pr->errbuf[0] = '\0';
	pr->expect_lo = h->expect_lo;
	pr->expect_hi = h->expect_hi;
	cu->easy_setopt(pr->easy, CURLOPT_URL, h->url);
	cu->easy_setopt(pr->easy, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	cu->easy_setopt(pr->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)h->timeout_ms);
	cu->easy_setopt(pr->easy, CURLOPT_FOLLOWLOCATION,
	    h->follow_redirects ? 1L : 0L);
	mrc = cu->multi_add_handle(pr->p->multi, pr->easy);
	if (mrc != CURLM_OK) {
		probe_fail_soon(pr, "%s", cu->multi_strerror(mrc));
		return;
	}
	pr->in_multi = true;
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

static void
probe_run_exec(struct probe *pr, const struct cfg_service *svc)
{
	const struct cfg_health *h = &svc->health;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	char **env;
	pid_t pid;
	int rc;

	env = env_build(environ, NULL, 0, svc->env, svc->nenv, NULL, 0);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (svc->working_dir != NULL)
		posix_spawn_file_actions_addchdir_np(&fa, svc->working_dir);
	rc = posix_spawnp(&pid, h->exec_argv[0], &fa, &attr, h->exec_argv,
	    env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	env_free(env);
	if (rc != 0) {
		probe_fail_soon(pr, "cannot run %s: %s", h->exec_argv[0],
		    strerror(rc));
		return;
	}
	pr->pid = pid;
	prober_add_kid(pr->p, pid, pr);
	uv_timer_start(&pr->timer, probe_timer_cb, (uint64_t)h->timeout_ms, 0);
}

int
probe_run(struct probe *pr, const struct cfg_service *svc)
{
	const struct cfg_health *h = &svc->health;

	if (pr->busy || pr->freeing || pr->p->closing)
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
	if (pr->in_multi && pr->p->multi != NULL) {
		pr->p->cu->multi_remove_handle(pr->p->multi, pr->easy);
		pr->in_multi = false;
	}
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
	if (pr->easy != NULL)
		pr->p->cu->easy_cleanup(pr->easy);
	pr->easy = NULL;
	pr->p->nprobes--;
	uv_close((uv_handle_t *)&pr->timer, probe_closed);
}
