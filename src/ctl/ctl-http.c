/*
 * prodctl's HTTP client: libcurl over prodd's control Unix socket. It finds
 * the socket (SPEC §1), checks the API version prodd reports once per run,
 * turns every way of not reaching prodd into exactly one line on stderr and
 * exit status 3 (with the reason a person can act on: not running, refused,
 * not in the group), and streams newline-delimited JSON for the -f verbs.
 * One curl handle serves a whole run, so the 100 ms polls of a waiting
 * start reuse one connection.
 */
#include "ctl.h"

#include "prodd/strutil.h"
#include "prodd/version.h"
#include "prodd/xmalloc.h"

#include <curl/curl.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define CTL_CONNECT_TIMEOUT_MS 2000L
#define CTL_REQUEST_TIMEOUT_MS 10000L
/* A stream line longer than this is dropped: prodd cuts output lines at
 * 64 KiB, so even fully escaped one fits many times over. */
#define CTL_MAX_LINE (4u << 20)
/* A non-streaming answer larger than this is refused rather than held. */
#define CTL_MAX_BODY (64u << 20)

struct ctl_client {
	char *socket;
	CURL *curl;
	struct curl_slist *headers;
	cJSON *health;
	char errbuf[CURL_ERROR_SIZE];
};

volatile sig_atomic_t ctl_interrupted;
bool ctl_stream_resumable;

static void
ctl_on_signal_cb(int sig)
{
	(void)sig;
	ctl_interrupted = 1;
}

void
ctl_catch_signals(void)
{
	struct sigaction sa;

	/* No SA_RESTART: a signal should cut a poll or a sleep short. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ctl_on_signal_cb;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

const char *
ctl_json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool
ctl_json_num(const cJSON *obj, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v))
		return false;
	*out = v->valuedouble;
	return true;
}

char *
ctl_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf sb = { 0 };

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
			sb_putc(&sb, (char)*p);
		} else {
			sb_putc(&sb, '%');
			sb_putc(&sb, hex[*p >> 4]);
			sb_putc(&sb, hex[*p & 15]);
		}
	}
	return sb_steal(&sb);
}

static bool
ctl_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* SPEC §1: --socket, $PRODD_SOCKET, then the first that exists of the
 * system and the per-user path. When neither exists the system path is
 * named, since that is where a packaged prodd would be. */
static char *
ctl_find_socket(const struct ctl_opts *o)
{
	const char *env = getenv("PRODD_SOCKET"), *xdg;
	static const char sys_path[] = "/run/prodd/prodd.sock";
	char *user_path;

	if (o->socket != NULL && o->socket[0] != '\0')
		return xstrdup(o->socket);
	if (env != NULL && env[0] != '\0')
		return xstrdup(env);
	if (ctl_exists(sys_path))
		return xstrdup(sys_path);
	xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg != NULL && xdg[0] != '\0') {
		user_path = xasprintf("%s/prodd/prodd.sock", xdg);
		if (ctl_exists(user_path))
			return user_path;
		free(user_path);
	}
	return xstrdup(sys_path);
}

/* The reason a connection failed, in the words a person can act on. */
static char *
ctl_unreachable_reason(struct ctl_client *c, CURLcode cc)
{
	long os_errno = 0;
	double connect_time = 0;

	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(c->curl, CURLINFO_CONNECT_TIME, &connect_time);
	if (cc == CURLE_COULDNT_CONNECT || (os_errno != 0 &&
	    connect_time == 0)) {
		switch (os_errno) {
		case ENOENT:
		case ECONNREFUSED:
		case ENOTDIR:
			return xasprintf("%s — is prodd running?",
			    strerror((int)os_errno));
		case EACCES:
		case EPERM:
			return xasprintf("%s — are you in the prodd group?",
			    strerror((int)os_errno));
		case 0:
			break;
		default:
			return xstrdup(strerror((int)os_errno));
		}
	}
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return xstrdup(connect_time == 0 ?
		    "connection timed out — is prodd stuck?" :
		    "no answer within 10 s — is prodd stuck?");
	if (cc == CURLE_GOT_NOTHING)
		return xstrdup("it closed the connection without an answer");
	return xstrdup(c->errbuf[0] != '\0' ? c->errbuf :
	    curl_easy_strerror(cc));
}

static size_t
ctl_body_cb(char *data, size_t size, size_t n, void *arg)
{
	struct strbuf *sb = arg;

	if (sb->len + size * n > CTL_MAX_BODY)
		return 0;
	sb_append(sb, data, size * n);
	return size * n;
}

/* Options every request shares; the handle is reset first so nothing of
 * the previous request (a POST body, a write callback) carries over. The
 * connection cache survives curl_easy_reset. */
static void
ctl_setup(struct ctl_client *c, const char *path)
{
	char *url = xasprintf("http://localhost%s", path);

	curl_easy_reset(c->curl);
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, c->socket);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    CTL_CONNECT_TIMEOUT_MS);
	/* Timeouts by poll, never by SIGALRM. */
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT,
	    "prodctl/" PRODD_VERSION);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	free(url);
}

static void
ctl_parse_body(struct ctl_resp *r)
{
	r->json = r->len > 0 ? cJSON_ParseWithLength(r->body, r->len) : NULL;
}

/* Perform the prepared request into r; CTL_UNREACHABLE (reason in *why)
 * when there was no HTTP answer. */
static int
ctl_perform(struct ctl_client *c, struct ctl_resp *r, char **why)
{
	struct strbuf sb = { 0 };
	CURLcode cc;

	memset(r, 0, sizeof *r);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, CTL_REQUEST_TIMEOUT_MS);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, ctl_body_cb);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &sb);
	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK) {
		*why = ctl_unreachable_reason(c, cc);
		sb_free(&sb);
		return CTL_UNREACHABLE;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	r->len = sb.len;
	r->body = sb.buf != NULL ? sb_steal(&sb) : xstrdup("");
	ctl_parse_body(r);
	return CTL_OK;
}

static void
ctl_print_unreachable(const struct ctl_client *c, const char *why)
{
	fprintf(stderr, "prodctl: cannot reach prodd at %s: %s\n", c->socket,
	    why);
}

int
ctl_request(struct ctl_client *c, const char *method, const char *path,
    const char *body, struct ctl_resp *r)
{
	char *why = NULL;
	int rc;

	ctl_setup(c, path);
	if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS,
		    body != NULL ? body : "");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE,
		    (long)(body != NULL ? strlen(body) : 0));
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST,
			    method);
	}
	if ((rc = ctl_perform(c, r, &why)) != CTL_OK) {
		ctl_print_unreachable(c, why);
		free(why);
	}
	return rc;
}

void
ctl_resp_free(struct ctl_resp *r)
{
	cJSON_Delete(r->json);
	free(r->body);
	memset(r, 0, sizeof *r);
}

int
ctl_resp_check(const struct ctl_resp *r)
{
	const char *msg;

	if (r->status >= 200 && r->status < 300 && r->json != NULL)
		return CTL_OK;
	if ((msg = ctl_json_str(r->json, "error")) != NULL) {
		fprintf(stderr, "prodctl: %s\n", msg);
		return CTL_FAILED;
	}
	/* Not prodd's error shape: say what came back, briefly. */
	fprintf(stderr, "prodctl: unexpected answer from prodd (HTTP %ld%s)\n",
	    r->status, r->json == NULL ? ", not JSON" : "");
	return CTL_FAILED;
}

int
ctl_get_json(struct ctl_client *c, const char *path, struct ctl_resp *r)
{
	int rc;

	if ((rc = ctl_request(c, "GET", path, NULL, r)) != CTL_OK)
		return rc;
	if ((rc = ctl_resp_check(r)) != CTL_OK)
		ctl_resp_free(r);
	return rc;
}

static struct ctl_client *
ctl_client_new(const struct ctl_opts *o)
{
	static bool global_done;
	struct ctl_client *c = xcalloc(1, sizeof *c);

	if (!global_done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		atexit(curl_global_cleanup);
		global_done = true;
	}
	c->socket = ctl_find_socket(o);
	if ((c->curl = curl_easy_init()) == NULL) {
		fprintf(stderr, "prodctl: cannot initialise libcurl\n");
		exit(CTL_FAILED);
	}
	c->headers = curl_slist_append(NULL, "Accept: application/json");
	c->headers = curl_slist_append(c->headers,
	    "Content-Type: application/json");
	/* Small bodies only: no 100-continue round trip. */
	c->headers = curl_slist_append(c->headers, "Expect:");
	return c;
}

/* Fetch /api/health into c->health; the reason in *why when prodd could
 * not be reached (a non-JSON answer leaves c->health NULL). */
static int
ctl_fetch_health(struct ctl_client *c, char **why)
{
	struct ctl_resp r;
	int rc;

	if (strlen(c->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		*why = xstrdup("the socket path is too long");
		return CTL_UNREACHABLE;
	}
	ctl_setup(c, "/api/health");
	if ((rc = ctl_perform(c, &r, why)) != CTL_OK)
		return rc;
	c->health = r.json;
	r.json = NULL;
	ctl_resp_free(&r);
	return CTL_OK;
}

struct ctl_client *
ctl_client_open_quiet(const struct ctl_opts *o, char **err)
{
	struct ctl_client *c = ctl_client_new(o);
	char *why = NULL;

	if (ctl_fetch_health(c, &why) != CTL_OK) {
		*err = xasprintf("cannot reach prodd at %s: %s", c->socket,
		    why);
		free(why);
		ctl_client_free(c);
		return NULL;
	}
	return c;
}

struct ctl_client *
ctl_client_open(const struct ctl_opts *o, int *rc)
{
	struct ctl_client *c = ctl_client_new(o);
	char *why = NULL;
	double v;

	if ((*rc = ctl_fetch_health(c, &why)) != CTL_OK) {
		ctl_print_unreachable(c, why);
		free(why);
		ctl_client_free(c);
		return NULL;
	}
	if (!ctl_json_num(c->health, "api_version", &v)) {
		fprintf(stderr, "prodctl: the server at %s did not report an "
		    "API version; is it prodd?\n", c->socket);
		*rc = CTL_FAILED;
	} else if (v != PRODD_API_VERSION) {
		fprintf(stderr, "prodctl: prodd at %s speaks API %g; this "
		    "prodctl %s speaks API %d — use the prodctl of the same "
		    "release\n", c->socket, v, PRODD_VERSION,
		    PRODD_API_VERSION);
		*rc = CTL_FAILED;
	}
	if (*rc != CTL_OK) {
		ctl_client_free(c);
		return NULL;
	}
	return c;
}

void
ctl_client_free(struct ctl_client *c)
{
	if (c == NULL)
		return;
	cJSON_Delete(c->health);
	curl_slist_free_all(c->headers);
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	free(c->socket);
	free(c);
}

const char *
ctl_client_socket(const struct ctl_client *c)
{
	return c->socket;
}

const cJSON *
ctl_client_health(const struct ctl_client *c)
{
	return c->health;
}

/* ---- streaming -------------------------------------------------------- */

struct ctl_streamer {
	CURL *curl;
	ctl_line_fn fn;
	void *arg;
	long status;		/* 0 until the first body bytes */
	struct strbuf pending;	/* a line not yet ended by '\n' */
	struct strbuf errbody;	/* the body of an error answer */
	bool dropping;		/* inside an over-long line */
	bool stop;		/* fn asked to end */
};

static void
ctl_stream_line(struct ctl_streamer *st, const char *s, size_t n)
{
	cJSON *json;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n == 0 || st->stop)
		return;
	json = cJSON_ParseWithLength(s, n);
	if (st->fn(s, n, json, st->arg) != 0)
		st->stop = true;
	cJSON_Delete(json);
}

static size_t
ctl_stream_cb(char *data, size_t size, size_t n, void *arg)
{
	struct ctl_streamer *st = arg;
	size_t len = size * n;
	const char *p = data, *end = data + len, *nl;

	if (st->status == 0)
		curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE,
		    &st->status);
	if (st->status != 200) {
		if (st->errbody.len < 65536)
			sb_append(&st->errbody, data, len);
		return len;
	}
	while (p < end && !st->stop) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			if (!st->dropping &&
			    st->pending.len + (size_t)(end - p) <= CTL_MAX_LINE)
				sb_append(&st->pending, p, (size_t)(end - p));
			else {
				st->dropping = true;
				st->pending.len = 0;
			}
			break;
		}
		if (st->dropping) {
			st->dropping = false;
		} else if (st->pending.len > 0) {
			sb_append(&st->pending, p, (size_t)(nl - p));
			ctl_stream_line(st, st->pending.buf, st->pending.len);
			st->pending.len = 0;
		} else {
			ctl_stream_line(st, p, (size_t)(nl - p));
		}
		p = nl + 1;
	}
	/* Returning short ends the transfer; st->stop says it was asked. */
	return st->stop ? 0 : len;
}

int
ctl_stream(struct ctl_client *c, const char *path, ctl_line_fn fn,
    void *arg)
{
	struct ctl_streamer st = { .curl = c->curl, .fn = fn, .arg = arg };
	CURLM *multi;
	CURLMsg *msg;
	CURLcode cc = CURLE_OK;
	int running = 1, left, rc = CTL_OK;
	bool done = false;

	ctl_setup(c, path);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, ctl_stream_cb);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &st);
	/* A follow can idle for hours: keep the connection alive. */
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	multi = curl_multi_init();
	curl_multi_add_handle(multi, c->curl);
	/* The multi interface so that a signal is seen within 200 ms: an
	 * easy perform would sit in its own poll until data arrives. */
	while (running && !ctl_interrupted && !st.stop) {
		curl_multi_perform(multi, &running);
		if (running && !ctl_interrupted && !st.stop)
			curl_multi_poll(multi, NULL, 0, 200, NULL);
	}
	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE) {
			cc = msg->data.result;
			done = true;
		}
	if (st.status == 0)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &st.status);
	if (done && st.status == 200 && st.pending.len > 0 && !st.dropping)
		ctl_stream_line(&st, st.pending.buf, st.pending.len);
	if (ctl_interrupted || st.stop) {
		rc = CTL_OK;
	} else if (done && cc != CURLE_OK && cc != CURLE_WRITE_ERROR) {
		char *why = ctl_unreachable_reason(c, cc);

		if (st.status == 0) {
			ctl_print_unreachable(c, why);
		} else if (ctl_stream_resumable) {
			/* the caller reconnects and resumes */
			rc = CTL_STREAM_LOST;
			free(why);
			goto done;
		} else {
			/* prodd went away in the middle of the stream. */
			fprintf(stderr, "prodctl: lost the connection to "
			    "prodd at %s: %s\n", c->socket, why);
		}
		free(why);
		rc = CTL_UNREACHABLE;
	} else if (st.status != 200) {
		struct ctl_resp r = {
			.status = st.status, .body = st.errbody.buf,
			.len = st.errbody.len,
		};

		ctl_parse_body(&r);
		rc = ctl_resp_check(&r);
		if (rc == CTL_OK) {
			fprintf(stderr, "prodctl: unexpected answer from "
			    "prodd (HTTP %ld)\n", st.status);
			rc = CTL_FAILED;
		}
		cJSON_Delete(r.json);
	}
done:
	curl_multi_remove_handle(multi, c->curl);
	curl_multi_cleanup(multi);
	sb_free(&st.pending);
	sb_free(&st.errbody);
	return rc;
}
