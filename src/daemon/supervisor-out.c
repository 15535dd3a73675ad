/*
 * The services' output: the read ends of every service's stdout and
 * stderr pipes sit in one epoll set of the supervisor's, which the loop
 * polls as one descriptor (as the reaper does with the pidfds). A pipe
 * costs its service an int, not a libuv handle of its own (two 176-byte
 * handles per service before, and libuv's table of watched descriptors,
 * indexed by their number, grew with every service). What is read goes
 * to the service's logs; at the end of a stream the partial line is
 * flushed and the pipe closed.
 *
 * An event names its service and stream (the service's address, with the
 * stream in its lowest bit). A pipe leaves the set before it is closed,
 * and a released service is freed on a later turn of the loop (the
 * supervisor's sweep), so an event of the batch at hand never outlives
 * its service; one whose pipe closed meanwhile finds -1 and is skipped.
 */
#include "supervisor-int.h"
#include "prodd/log.h"
#include "prodd/logs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* The pipes one wake-up of the loop takes at most (more: another turn). */
#define SUP_OUT_BATCH 64
/* Reads of one pipe in one turn at most (as libuv's streams do). */
#define SUP_OUT_READS 32

/* One buffer for every pipe: a read is consumed before the next. */
static char sup_out_space[64 * 1024];

static uint64_t
sup_out_key(struct sup_svc *s, int k)
{
	return (uint64_t)(uintptr_t)s | (uint64_t)k;
}

/* Take the pipe out of the set and close it; its stream is over. */
static void
sup_out_close(struct sup_svc *s, int k)
{
	int fd = s->out_fd[k];

	if (fd < 0)
		return;
	s->out_fd[k] = -1;
	epoll_ctl(s->sup->out_ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

/* The end of the stream (or an error): flush the partial line, close. */
static void
sup_out_end(struct sup_svc *s, int k)
{
	logs_flush(s->logs, k + 1, clock_wall_ms());
	sup_out_close(s, k);
}

/* Read pipe k of s, at most max bytes (rounded up to a buffer), into
 * the service's logs. Returns false at the end of the stream or an
 * error, true when it is drained for now or the budget is spent. */
static bool
sup_out_read(struct sup_svc *s, int k, size_t max)
{
	size_t total = 0;

	while (total < max) {
		ssize_t n = read(s->out_fd[k], sup_out_space,
		    sizeof sup_out_space);

		if (n > 0) {
			logs_feed(s->logs, k + 1, sup_out_space, (size_t)n,
			    clock_wall_ms());
			total += (size_t)n;
			if ((size_t)n < sizeof sup_out_space)
				return true;	/* drained */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
	return true;			/* the rest on the next turn */
}

/* Some pipes are readable (or hung up): each gets SUP_OUT_READS buffers
 * this turn; a pipe still readable after that comes back on the next
 * (the set is level-triggered). */
static void
sup_out_cb(uv_poll_t *p, int status, int events)
{
	struct supervisor *sup = p->data;
	struct epoll_event ev[SUP_OUT_BATCH];
	int n;

	(void)status;
	(void)events;
	while ((n = epoll_wait(sup->out_ep, ev, SUP_OUT_BATCH, 0)) < 0 &&
	    errno == EINTR)
		;
	for (int i = 0; i < n; i++) {
		struct sup_svc *s = (struct sup_svc *)(uintptr_t)
		    (ev[i].data.u64 & ~(uint64_t)1);
		int k = (int)(ev[i].data.u64 & 1);

		if (s->out_fd[k] < 0)
			continue;	/* closed by an earlier one */
		if (!sup_out_read(s, k, SUP_OUT_READS * sizeof sup_out_space)) {
			sup_out_end(s, k);
			sup_maybe_free(s);
		}
	}
}

bool
sup_out_open(struct sup_svc *s, int stream, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int k = stream - 1;

	ev.data.u64 = sup_out_key(s, k);
	/* reads must never block the loop (pipes are made blocking, and
	 * one taken over from the previous prodd may be either); a pipe's
	 * read end has no other status flag to keep */
	if (s->sup->out_ep < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
	    epoll_ctl(s->sup->out_ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn(s->cfg->name, "cannot read its %s: %s", stream ==
		    LOG_STREAM_STDOUT ? "stdout" : "stderr", s->sup->out_ep < 0 ?
		    "no epoll set" : strerror(errno));
		close(fd);
		return false;
	}
	s->out_fd[k] = fd;
	return true;
}

/* Read what the pipes still hold (the process is gone, its last words
 * may not have been read yet), so the exit's last lines are complete.
 * Bounded: a group member still alive may be writing. */
void
sup_out_drain(struct sup_svc *s)
{
	for (int k = 0; k < 2; k++)
		if (s->out_fd[k] >= 0 && !sup_out_read(s, k, 1024 * 1024))
			sup_out_end(s, k);
}

/* prodd closes: the partial lines are flushed, the pipes closed. */
void
sup_out_close_all(struct sup_svc *s)
{
	for (int k = 0; k < 2; k++)
		if (s->out_fd[k] >= 0)
			sup_out_end(s, k);
}

void
sup_out_setup(struct supervisor *sup)
{
	/* without it (no descriptor or memory left at prodd's start), no
	 * output is read: sup_out_open closes each pipe and says so */
	sup->out_ep = epoll_create1(EPOLL_CLOEXEC);
	if (sup->out_ep < 0)
		return;
	if (uv_poll_init(sup->loop, &sup->out_poll, sup->out_ep) != 0) {
		close(sup->out_ep);
		sup->out_ep = -1;
		return;
	}
	sup->out_poll.data = sup;
	uv_poll_start(&sup->out_poll, UV_READABLE, sup_out_cb);
}

static void
sup_out_closed(uv_handle_t *h)
{
	(void)h;
}

void
sup_out_teardown(struct supervisor *sup)
{
	if (sup->out_ep < 0)
		return;
	uv_close((uv_handle_t *)&sup->out_poll, sup_out_closed);
	close(sup->out_ep);
	sup->out_ep = -1;
}
