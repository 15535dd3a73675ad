/*
 * HTTP checks: libcurl's multi interface on libuv (see probe-curl.h).
 * CURLMOPT_SOCKETFUNCTION maps curl's sockets to uv_poll handles,
 * CURLMOPT_TIMERFUNCTION to one uv_timer, and every finished transfer is
 * collected after each socket_action and reported to its probe. The
 * multi's connection cache is at least as large as the number of probes.
 * Sockets are opened close-on-exec, so a service spawned while a check is
 * in flight does not inherit one. A check's timeout is curl's own
 * (CURLOPT_TIMEOUT_MS), so a url check needs no timer of the probe's.
 */
#include "prodd/probe-curl.h"
#include "prodd/curl-lazy.h"
#include "prodd/version.h"
#include "prodd/xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#define PROBE_HTTP_ERR_MAX 96

struct probe_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct probe_curl *pc;
	LIST_ENTRY(probe_sock) link;
};

struct probe_curl {
	uv_loop_t *loop;
	const struct curl_lazy *cu;	/* libcurl, once loaded */
	CURLM *multi;
	uv_timer_t timer;
	LIST_HEAD(, probe_sock) socks;	/* live poll handles */
	long nprobes, maxconnects;
	int handles;			/* open uv handles */
	bool closing;
};

struct probe_http {
	struct probe_curl *pc;
	probe_http_fn fn;
	void *arg;
	CURL *easy;
	bool in_multi;
	int expect_lo, expect_hi;
	int64_t timeout_ms;
	struct curl_slist *headers;	/* a POST's, until it ends */
	char errbuf[CURL_ERROR_SIZE];
};

static void
probe_curl_handle_closed(struct probe_curl *pc)
{
	if (--pc->handles == 0 && pc->closing)
		free(pc);
}

static void
probe_curl_timer_closed(uv_handle_t *h)
{
	probe_curl_handle_closed(h->data);
}

static void
probe_sock_closed(uv_handle_t *h)
{
	struct probe_sock *ps = (struct probe_sock *)h;
	struct probe_curl *pc = ps->pc;

	free(ps);
	probe_curl_handle_closed(pc);
}

static void
probe_sock_drop(struct probe_sock *ps)
{
	LIST_REMOVE(ps, link);
	/* synchronously: EPOLL_CTL_DEL before curl closes the fd */
	uv_poll_stop(&ps->poll);
	uv_close((uv_handle_t *)&ps->poll, probe_sock_closed);
}

/* Every finished transfer: its result to its probe. */
static void
probe_curl_check(struct probe_curl *pc)
{
	CURLMsg *msg;
	int left;

	while ((msg = pc->cu->multi_info_read(pc->multi, &left)) != NULL) {
		struct probe_http *ph = NULL;
		CURLcode rc;
		long code = 0, oserr = 0;
		char err[PROBE_HTTP_ERR_MAX];

		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		pc->cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&ph);
		pc->cu->easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
		    &code);
		pc->cu->easy_getinfo(msg->easy_handle, CURLINFO_OS_ERRNO, &oserr);
		pc->cu->multi_remove_handle(pc->multi, msg->easy_handle);
		if (ph == NULL)
			continue;
		ph->in_multi = false;
		if (rc == CURLE_OK && code >= ph->expect_lo &&
		    code <= ph->expect_hi) {
			ph->fn(ph->arg, true, NULL);
			continue;
		}
		if (rc == CURLE_OK)
			snprintf(err, sizeof err, "HTTP %ld", code);
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			snprintf(err, sizeof err, "timeout after %lld ms",
			    (long long)ph->timeout_ms);
		else if (rc == CURLE_COULDNT_CONNECT && oserr == ECONNREFUSED)
			snprintf(err, sizeof err, "connection refused");
		else if (rc == CURLE_COULDNT_CONNECT && oserr != 0)
			snprintf(err, sizeof err, "cannot connect: %s",
			    strerror((int)oserr));
		else if (rc == CURLE_TOO_MANY_REDIRECTS)
			snprintf(err, sizeof err, "too many redirects");
		else
			snprintf(err, sizeof err, "%.90s", ph->errbuf[0] ?
			    ph->errbuf : pc->cu->easy_strerror(rc));
		ph->fn(ph->arg, false, err);
	}
}

static void
probe_poll_cb(uv_poll_t *h, int status, int events)
{
	struct probe_sock *ps = (struct probe_sock *)h;
	struct probe_curl *pc = ps->pc;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;	/* libuv says POLLERR as EBADF */
	else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	pc->cu->multi_socket_action(pc->multi, ps->fd, flags, &running);
	probe_curl_check(pc);
}

static int
probe_curl_socket(CURL *e, curl_socket_t s, int what, void *userp,
    void *socketp)
{
	struct probe_curl *pc = userp;
	struct probe_sock *ps = socketp;
	int events = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (ps != NULL) {
			pc->cu->multi_assign(pc->multi, s, NULL);
			probe_sock_drop(ps);
		}
		return 0;
	}
	if (ps == NULL) {
		ps = xcalloc(1, sizeof *ps);
		ps->fd = s;
		ps->pc = pc;
		if (uv_poll_init_socket(pc->loop, &ps->poll, s) != 0) {
			free(ps);
			return -1;
		}
		pc->handles++;
		LIST_INSERT_HEAD(&pc->socks, ps, link);
		pc->cu->multi_assign(pc->multi, s, ps);
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
	struct probe_curl *pc = t->data;
	int running;

	pc->cu->multi_socket_action(pc->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	probe_curl_check(pc);
}

static int
probe_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
	struct probe_curl *pc = userp;

	(void)m;
	if (timeout_ms < 0)
		uv_timer_stop(&pc->timer);
	else
		uv_timer_start(&pc->timer, probe_curl_timer_cb,
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

struct probe_curl *
probe_curl_new(uv_loop_t *loop)
{
	struct probe_curl *pc = xcalloc(1, sizeof *pc);

	pc->loop = loop;
	uv_timer_init(loop, &pc->timer);
	pc->timer.data = pc;
	uv_unref((uv_handle_t *)&pc->timer);
	pc->handles = 1;
	return pc;
}

/* libcurl is loaded and set up at the first url check, not before (see
 * curl-lazy.h): a configuration without url checks never pays for it.
 * 0, or -1 with the reason in err. */
static int
probe_curl_load(struct probe_curl *pc, char *err, size_t errlen)
{
	if (pc->multi != NULL)
		return 0;
	pc->cu = curl_lazy_load(err, errlen);
	if (pc->cu == NULL)
		return -1;
	if (pc->cu->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "cannot set up libcurl");
		return -1;
	}
	pc->multi = pc->cu->multi_init();
	if (pc->multi == NULL) {
		pc->cu->global_cleanup();
		snprintf(err, errlen, "cannot set up libcurl");
		return -1;
	}
	pc->cu->multi_setopt(pc->multi, CURLMOPT_SOCKETFUNCTION,
	    probe_curl_socket);
	pc->cu->multi_setopt(pc->multi, CURLMOPT_SOCKETDATA, pc);
	pc->cu->multi_setopt(pc->multi, CURLMOPT_TIMERFUNCTION,
	    probe_curl_timer);
	pc->cu->multi_setopt(pc->multi, CURLMOPT_TIMERDATA, pc);
	pc->maxconnects = pc->nprobes > 16 ? pc->nprobes : 16L;
	pc->cu->multi_setopt(pc->multi, CURLMOPT_MAXCONNECTS, pc->maxconnects);
	return 0;
}

void
probe_curl_probes(struct probe_curl *pc, long n)
{
	pc->nprobes = n;
	/* a connection cache at least as large as the number of probes */
	if (pc->multi != NULL && n > pc->maxconnects) {
		pc->maxconnects = n;
		pc->cu->multi_setopt(pc->multi, CURLMOPT_MAXCONNECTS, n);
	}
}

void
probe_curl_close(struct probe_curl *pc)
{
	if (pc == NULL)
		return;
	pc->closing = true;
	if (pc->multi != NULL) {
		pc->cu->multi_cleanup(pc->multi);
		pc->multi = NULL;
		pc->cu->global_cleanup();
		curl_lazy_unload();
		pc->cu = NULL;
	}
	while (!LIST_EMPTY(&pc->socks))
		probe_sock_drop(LIST_FIRST(&pc->socks));
	uv_close((uv_handle_t *)&pc->timer, probe_curl_timer_closed);
}

struct probe_http *
probe_http_new(struct probe_curl *pc, probe_http_fn fn, void *arg)
{
	struct probe_http *ph = xcalloc(1, sizeof *ph);

	ph->pc = pc;
	ph->fn = fn;
	ph->arg = arg;
	return ph;
}

/* The easy handle, made at the first check of its probe. */
static int
probe_http_easy(struct probe_http *ph, char *err, size_t errlen)
{
	const struct curl_lazy *cu = ph->pc->cu;

	if (ph->easy != NULL)
		return 0;
	ph->easy = cu->easy_init();
	if (ph->easy == NULL) {
		snprintf(err, errlen, "cannot create an HTTP handle");
		return -1;
	}
	cu->easy_setopt(ph->easy, CURLOPT_PRIVATE, (char *)ph);
	cu->easy_setopt(ph->easy, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(ph->easy, CURLOPT_ERRORBUFFER, ph->errbuf);
	cu->easy_setopt(ph->easy, CURLOPT_WRITEFUNCTION, probe_discard);
	cu->easy_setopt(ph->easy, CURLOPT_OPENSOCKETFUNCTION,
	    probe_open_socket);
	cu->easy_setopt(ph->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(ph->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(ph->easy, CURLOPT_MAXREDIRS, 5L);
	/* a health answer is small: the smallest receive buffer curl allows
	 * (the default 16 KiB, kept by each of 500 easy handles, was 8 MiB of
	 * prodd's memory) */
	cu->easy_setopt(ph->easy, CURLOPT_BUFFERSIZE, 1024L);
	/* a health URL names the service itself, never a proxy */
	cu->easy_setopt(ph->easy, CURLOPT_NOPROXY, "*");
	cu->easy_setopt(ph->easy, CURLOPT_USERAGENT,
	    "prodd/" PRODD_VERSION " (health check)");
	return 0;
}

int
probe_http_start(struct probe_http *ph, const struct cfg_health *h,
    char *err, size_t errlen)
{
	struct probe_curl *pc = ph->pc;
	const struct curl_lazy *cu;
	CURLMcode mrc;

	if (ph->in_multi) {
		snprintf(err, errlen, "a check is still in flight");
		return -1;
	}
	if (probe_curl_load(pc, err, errlen) < 0 ||
	    probe_http_easy(ph, err, errlen) < 0)
		return -1;
	cu = pc->cu;
	ph->errbuf[0] = '\0';
	ph->expect_lo = h->expect_lo;
	ph->expect_hi = h->expect_hi;
	ph->timeout_ms = h->timeout_ms;
	cu->easy_setopt(ph->easy, CURLOPT_URL, h->url);
	cu->easy_setopt(ph->easy, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	cu->easy_setopt(ph->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)h->timeout_ms);
	cu->easy_setopt(ph->easy, CURLOPT_FOLLOWLOCATION,
	    h->follow_redirects ? 1L : 0L);
	mrc = cu->multi_add_handle(pc->multi, ph->easy);
	if (mrc != CURLM_OK) {
		snprintf(err, errlen, "%s", cu->multi_strerror(mrc));
		return -1;
	}
	ph->in_multi = true;
	return 0;
}

int
probe_http_post(struct probe_http *ph, const char *url,
    const char *const *headers, const char *body, size_t len,
    int64_t timeout_ms, char *err, size_t errlen)
{
	struct probe_curl *pc = ph->pc;
	const struct curl_lazy *cu;
	CURLMcode mrc;

	if (ph->in_multi) {
		snprintf(err, errlen, "a delivery is still in flight");
		return -1;
	}
	if (probe_curl_load(pc, err, errlen) < 0 ||
	    probe_http_easy(ph, err, errlen) < 0)
		return -1;
	cu = pc->cu;
	if (ph->headers != NULL)
		cu->slist_free_all(ph->headers);
	ph->headers = NULL;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		ph->headers = cu->slist_append(ph->headers, headers[i]);
	ph->errbuf[0] = '\0';
	ph->expect_lo = 200;
	ph->expect_hi = 299;
	ph->timeout_ms = timeout_ms;
	cu->easy_setopt(ph->easy, CURLOPT_URL, url);
	cu->easy_setopt(ph->easy, CURLOPT_HTTPHEADER, ph->headers);
	cu->easy_setopt(ph->easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)len);
	cu->easy_setopt(ph->easy, CURLOPT_COPYPOSTFIELDS, body);
	cu->easy_setopt(ph->easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	cu->easy_setopt(ph->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	cu->easy_setopt(ph->easy, CURLOPT_FOLLOWLOCATION, 0L);
	cu->easy_setopt(ph->easy, CURLOPT_USERAGENT,
	    "prodd/" PRODD_VERSION " (alerts)");
	mrc = cu->multi_add_handle(pc->multi, ph->easy);
	if (mrc != CURLM_OK) {
		snprintf(err, errlen, "%s", cu->multi_strerror(mrc));
		return -1;
	}
	ph->in_multi = true;
	return 0;
}

void
probe_http_cancel(struct probe_http *ph)
{
	if (ph == NULL || !ph->in_multi)
		return;
	if (ph->pc->multi != NULL)
		ph->pc->cu->multi_remove_handle(ph->pc->multi, ph->easy);
	ph->in_multi = false;
}

void
probe_http_free(struct probe_http *ph)
{
	if (ph == NULL)
		return;
	probe_http_cancel(ph);
	if (ph->easy != NULL)
		ph->pc->cu->easy_cleanup(ph->easy);
	if (ph->headers != NULL)
		ph->pc->cu->slist_free_all(ph->headers);
	free(ph);
}
