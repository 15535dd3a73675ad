/*
 * httpfarm: the many HTTP services of the health-probe benchmark
 * (bench/probes.sh) in one single-threaded process, so that 500 services
 * can be probed without running 500 servers.
 *   httpfarm [--stamp-file F] BASEPORT N OUTFILE
 * listens on 127.0.0.1, ports BASEPORT .. BASEPORT+N-1 (one epoll loop,
 * non-blocking sockets) and answers every HTTP/1.1 request (headers up to
 * CRLFCRLF, no body; keep-alive and pipelining) with "200 ok". For each
 * request it records the port and the CLOCK_MONOTONIC time in ns at which
 * its bytes were read, in memory (at most FARM_RECORDS; beyond, requests
 * are answered and counted as dropped). It prints "ready" on stdout once
 * every port listens. On SIGUSR1 it appends its CLOCK_MONOTONIC time in ns
 * to F (one line, one write), so a script can mark a window in the clock
 * of the records. On SIGTERM or SIGINT it writes every record as a line
 * "PORT NS" to OUTFILE, a summary on stderr, and exits 0. It raises its
 * descriptor limit to the hard one; "Connection: close" (and HTTP/1.0
 * without keep-alive) is honoured; a header block over FARM_IN bytes gets
 * a 431 and the connection is closed. Exit status: 1
 * when a port cannot be listened on or OUTFILE cannot be written; 2 on bad
 * arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FARM_RECORDS (4 * 1024 * 1024)	/* requests kept */
#define FARM_IN 8192			/* a request's headers, at most */
#define FARM_OUT 16384			/* answers not yet written */
#define FARM_EVENTS 256

static const char farm_ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
    "Content-Type: text/plain\r\n\r\nok";
static const char farm_ok_close[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
    "Content-Type: text/plain\r\nConnection: close\r\n\r\nok";
static const char farm_bad[] = "HTTP/1.1 431 Request Header Fields Too "
    "Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

enum { FARM_LISTENER, FARM_CONN, FARM_SIGNAL };

/* What an epoll event points at: each begins with its kind. */
struct farm_listener {
	int kind;
	int fd;
	uint16_t port;
};

struct farm_signal {
	int kind;
	int fd;
};

struct farm_conn {
	int kind;
	int fd;
	uint16_t port;
	struct farm_conn *prev, *next;	/* every open connection */
	int closing;		/* close once out is written */
	int blocked;		/* out is full: waiting for EPOLLOUT */
	int64_t read_ns;	/* when the unparsed bytes were read */
	size_t inlen, outoff, outlen;
	char in[FARM_IN];
	char out[FARM_OUT];
};

static int farm_ep = -1;
static int farm_spare = -1;	/* given up to accept (and close) on EMFILE */
static const char *farm_stamp;
static int64_t *farm_ns;
static uint16_t *farm_port;
static size_t farm_nrec;
static unsigned long long farm_dropped, farm_requests, farm_conns;
static unsigned long long farm_errors;	/* connections refused */
static int farm_live;		/* connections open now */
static struct farm_conn *farm_list;

static int64_t
farm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A decimal number in [min, max], or -1. */
static long
farm_number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	return v;
}

static void
farm_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			fprintf(stderr, "httpfarm: setrlimit: %s\n",
			    strerror(errno));
	}
}

static int
farm_watch(int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.ptr = ptr;
	return epoll_ctl(farm_ep, op, fd, &ev);
}

static int
farm_listen(struct farm_listener *l, uint16_t port)
{
	struct sockaddr_in sin;
	int one = 1;

	l->kind = FARM_LISTENER;
	l->port = port;
	if ((l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0) {
		fprintf(stderr, "httpfarm: socket: %s\n", strerror(errno));
		return -1;
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(l->fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    listen(l->fd, 1024) < 0 ||
	    farm_watch(EPOLL_CTL_ADD, l->fd, EPOLLIN, l) < 0) {
		fprintf(stderr, "httpfarm: 127.0.0.1:%u: %s\n", port,
		    strerror(errno));
		close(l->fd);
		l->fd = -1;
		return -1;
	}
	return 0;
}

static void
farm_close(struct farm_conn *c)
{
	close(c->fd);	/* also leaves the epoll set */
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		farm_list = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c);
	farm_live--;
}

static void
farm_accept(struct farm_listener *l)
{
	struct farm_conn *c;
	int fd;

	for (;;) {
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if ((errno == EMFILE || errno == ENFILE) &&
			    farm_spare >= 0) {
				/* refuse one, or the listener stays ready */
				close(farm_spare);
				fd = accept(l->fd, NULL, NULL);
				if (fd >= 0) {
					farm_errors++;
					close(fd);
				}
				farm_spare = open("/dev/null",
				    O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					return;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				farm_errors++;
			return;
		}
		if ((c = malloc(sizeof *c)) == NULL) {
			farm_errors++;
			close(fd);
			continue;
		}
		c->kind = FARM_CONN;
		c->fd = fd;
		c->port = l->port;
		c->closing = c->blocked = 0;
		c->read_ns = 0;
		c->inlen = c->outoff = c->outlen = 0;
		if (farm_watch(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, c) < 0) {
			farm_errors++;
			close(fd);
			free(c);
			continue;
		}
		c->prev = NULL;
		if ((c->next = farm_list) != NULL)
			c->next->prev = c;
		farm_list = c;
		farm_conns++;
		farm_live++;
	}
}

/* Write what out holds; 0 (all written or EAGAIN), or -1: close it. */
static int
farm_flush(struct farm_conn *c)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	else if (c->outoff > 0) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	return 0;
}

static void
farm_queue(struct farm_conn *c, const char *s, size_t len)
{
	memcpy(c->out + c->outlen, s, len);
	c->outlen += len;
}

/* Does the header block ask for the connection to be closed? */
static int
farm_wants_close(const char *req, size_t len)
{
	const char *p, *end = req + len, *eol;
	int http10 = 0, keepalive = 0, close_it = 0;

	if ((eol = memchr(req, '\n', len)) == NULL)
		return 1;
	if (eol - req >= 9 && memcmp(eol - 9, "HTTP/1.0", 8) == 0)
		http10 = 1;
	for (p = eol + 1; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		if (eol - p > 11 && strncasecmp(p, "connection:", 11) == 0) {
			const char *v = p + 11;

			for (; v < eol; v++) {
				if (eol - v >= 5 && strncasecmp(v, "close", 5) == 0)
					close_it = 1;
				if (eol - v >= 10 &&
				    strncasecmp(v, "keep-alive", 10) == 0)
					keepalive = 1;
			}
		}
	}
	return close_it || (http10 && !keepalive);
}

static void
farm_record(uint16_t port, int64_t ns)
{
	farm_requests++;
	if (farm_nrec == FARM_RECORDS) {
		farm_dropped++;
		return;
	}
	farm_port[farm_nrec] = port;
	farm_ns[farm_nrec] = ns;
	farm_nrec++;
}

/*
 * Answer the complete requests in c->in while out has room for an answer;
 * a request too large for in is refused and c->closing set.
 */
static void
farm_parse(struct farm_conn *c)
{
	size_t pos = 0;
	char *end;

	while (!c->closing && FARM_OUT - c->outlen >= sizeof farm_ok_close) {
		end = memmem(c->in + pos, c->inlen - pos, "\r\n\r\n", 4);
		if (end == NULL)
			break;
		end += 4;
		farm_record(c->port, c->read_ns);
		if (farm_wants_close(c->in + pos, (size_t)(end - (c->in + pos)))) {
			c->closing = 1;
			farm_queue(c, farm_ok_close, sizeof farm_ok_close - 1);
		} else
			farm_queue(c, farm_ok, sizeof farm_ok - 1);
		pos = (size_t)(end - c->in);
	}
	if (pos > 0) {
		memmove(c->in, c->in + pos, c->inlen - pos);
		c->inlen -= pos;
	}
	if (!c->closing && c->inlen == FARM_IN) {
		/* a header block that fills the buffer: refuse it */
		c->closing = 1;
		if (FARM_OUT - c->outlen >= sizeof farm_bad)
			farm_queue(c, farm_bad, sizeof farm_bad - 1);
	}
}

/*
 * After a read or a write: answer what can be answered, write it, and
 * watch for input or for room to write. 0, or -1 when c is to be closed.
 */
static int
farm_progress(struct farm_conn *c)
{
	int blocked;

	for (;;) {
		farm_parse(c);
		if (farm_flush(c) < 0)
			return -1;
		if (c->closing && c->outlen == 0)
			return -1;
		/* room again and whole requests left: answer them too */
		if (c->closing || c->outlen > 0 ||
		    memmem(c->in, c->inlen, "\r\n\r\n", 4) == NULL)
			break;
	}
	blocked = c->outlen > 0;
	if (blocked != c->blocked) {
		if (farm_watch(EPOLL_CTL_MOD, c->fd, blocked ? EPOLLOUT :
		    EPOLLIN | EPOLLRDHUP, c) < 0)
			return -1;
		c->blocked = blocked;
	}
	return 0;
}

static void
farm_read(struct farm_conn *c)
{
	ssize_t n;

	for (;;) {
		n = read(c->fd, c->in + c->inlen, FARM_IN - c->inlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			farm_close(c);	/* ECONNRESET and the like */
			return;
		}
		if (n == 0) {
			/* the client is gone (or half-closed): answer
			 * nothing more */
			farm_close(c);
			return;
		}
		c->read_ns = farm_now_ns();
		c->inlen += (size_t)n;
		if (farm_progress(c) < 0) {
			farm_close(c);
			return;
		}
		if (c->blocked)
			return;	/* no more input until out drains */
	}
}

static void
farm_event(struct farm_conn *c, uint32_t events)
{
	if (c->blocked) {
		if (events & (EPOLLERR | EPOLLHUP)) {
			farm_close(c);
			return;
		}
		if (farm_progress(c) < 0) {
			farm_close(c);
			return;
		}
		if (c->blocked)
			return;
	}
	/* EPOLLIN, EPOLLRDHUP, EPOLLHUP, EPOLLERR: read says which */
	farm_read(c);
}

/* SIGUSR1: append the time now to the stamp file. */
static void
farm_stamp_now(void)
{
	char line[32];
	int fd, len;

	if (farm_stamp == NULL)
		return;
	len = snprintf(line, sizeof line, "%lld\n", (long long)farm_now_ns());
	if ((fd = open(farm_stamp, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) < 0) {
		fprintf(stderr, "httpfarm: %s: %s\n", farm_stamp,
		    strerror(errno));
		return;
	}
	if (write(fd, line, (size_t)len) != len)
		fprintf(stderr, "httpfarm: write %s: %s\n", farm_stamp,
		    strerror(errno));
	close(fd);
}

/* Digits of v, backwards from end; returns the first one. */
static char *
farm_digits(char *end, unsigned long long v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return end;
}

/* Every record as "PORT NS\n"; 0, or -1 with a message. */
static int
farm_write(const char *path)
{
	static char buf[1 << 16];
	char num[24], *p;
	size_t i, len = 0, k;
	FILE *f;

	if ((f = fopen(path, "we")) == NULL) {
		fprintf(stderr, "httpfarm: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < farm_nrec; i++) {
		if (sizeof buf - len < 2 * sizeof num) {
			fwrite(buf, 1, len, f);
			len = 0;
		}
		p = farm_digits(num + sizeof num, farm_port[i]);
		k = (size_t)(num + sizeof num - p);
		memcpy(buf + len, p, k);
		len += k;
		buf[len++] = ' ';
		p = farm_digits(num + sizeof num,
		    (unsigned long long)farm_ns[i]);
		k = (size_t)(num + sizeof num - p);
		memcpy(buf + len, p, k);
		len += k;
		buf[len++] = '\n';
	}
	fwrite(buf, 1, len, f);
	if (ferror(f)) {
		fprintf(stderr, "httpfarm: write %s: %s\n", path,
		    strerror(errno));
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "httpfarm: write %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
farm_usage(void)
{
	fprintf(stderr, "usage: httpfarm [--stamp-file F] BASEPORT N "
	    "OUTFILE\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct epoll_event ev[FARM_EVENTS];
	struct farm_listener *ls;
	struct farm_signal sig = { FARM_SIGNAL, -1 };
	struct signalfd_siginfo si;
	const char *out;
	long base, n, i;
	int done = 0, k, nev, rc = 0;
	sigset_t mask;

	if (argc >= 3 && strcmp(argv[1], "--stamp-file") == 0) {
		farm_stamp = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc != 4 || (base = farm_number(argv[1], 1, 65535)) < 0 ||
	    (n = farm_number(argv[2], 1, 65536)) < 0 || base + n - 1 > 65535)
		return farm_usage();
	out = argv[3];
	farm_raise_nofile();
	farm_ns = malloc(FARM_RECORDS * sizeof *farm_ns);
	farm_port = malloc(FARM_RECORDS * sizeof *farm_port);
	ls = calloc((size_t)n, sizeof *ls);
	if (farm_ns == NULL || farm_port == NULL || ls == NULL) {
		fprintf(stderr, "httpfarm: out of memory\n");
		return 1;
	}
	/* the signals arrive as events of the loop */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (farm_ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    farm_watch(EPOLL_CTL_ADD, sig.fd, EPOLLIN, &sig) < 0) {
		fprintf(stderr, "httpfarm: %s\n", strerror(errno));
		return 1;
	}
	farm_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < n; i++) {
		if (farm_listen(&ls[i], (uint16_t)(base + i)) < 0)
			return 1;
	}
	printf("ready\n");
	fflush(stdout);

	while (!done) {
		if ((nev = epoll_wait(farm_ep, ev, FARM_EVENTS, -1)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "httpfarm: epoll_wait: %s\n",
			    strerror(errno));
			rc = 1;
			break;
		}
		for (k = 0; k < nev; k++) {
			int kind = *(int *)ev[k].data.ptr;

			if (kind == FARM_LISTENER)
				farm_accept(ev[k].data.ptr);
			else if (kind == FARM_CONN)
				farm_event(ev[k].data.ptr, ev[k].events);
			else {
				while (read(sig.fd, &si, sizeof si) ==
				    sizeof si) {
					if (si.ssi_signo == SIGUSR1)
						farm_stamp_now();
					else
						done = 1;
				}
			}
			/* a connection closed by an earlier event of this
			 * batch is never in a later one: each fd is in the
			 * batch once, and only its own event closes it */
		}
	}

	if (farm_write(out) < 0)
		rc = 1;
	fprintf(stderr, "httpfarm: %llu requests on %ld ports (%llu dropped), "
	    "%llu connections (%d open at the end), %llu refused\n",
	    farm_requests, n, farm_dropped, farm_conns, farm_live,
	    farm_errors);
	while (farm_list != NULL)
		farm_close(farm_list);
	for (i = 0; i < n; i++)
		close(ls[i].fd);
	close(sig.fd);
	close(farm_ep);
	if (farm_spare >= 0)
		close(farm_spare);
	free(ls);
	free(farm_ns);
	free(farm_port);
	return rc;
}
