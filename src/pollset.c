/* pollset.c — one epoll set of sockets, a timer and a wakeup eventfd.
 *
 * fetch.c keeps curl's sockets here (curl says which to watch and when its
 * next timeout is due) and hands curl only the sockets that are ready, so
 * the cost of a wait does not grow with the number of transfers in flight
 * (curl_multi_poll() polls every socket, curl_multi_perform() walks every
 * transfer on each call).  The eventfd in the same set is the wakeup.
 *
 * Threads: the owner only, except pollset_wakeup() (a write to the eventfd,
 * safe from any thread).  Nothing here is shared, so nothing is locked.
 */
#include "pollset.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"

struct pollset {
	int epfd;            /* the watched fds and the eventfd */
	int evfd;            /* pollset_wakeup() writes here: any thread */
	double due;          /* the timer (monotonic ms), < 0 none */
};

struct pollset *pollset_new(void)
{
	struct pollset *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->due = -1;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = p->evfd };
	if (p->epfd < 0 || p->evfd < 0 ||
	    epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->evfd, &ev) != 0) {
		pollset_free(p);
		return NULL;
	}
	return p;
}

void pollset_free(struct pollset *p)
{
	if (!p)
		return;
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->evfd >= 0)
		close(p->evfd);
	free(p);
}

int pollset_set(struct pollset *p, int fd, int what, int known)
{
	struct epoll_event ev = { .data.fd = fd };
	if (what & POLLSET_IN)
		ev.events |= EPOLLIN;
	if (what & POLLSET_OUT)
		ev.events |= EPOLLOUT;
	if (known) {
		if (epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
	}
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
		return 0;
	return errno == EEXIST &&
	       epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -1;
}

void pollset_del(struct pollset *p, int fd)
{
	epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL);
}

void pollset_timer(struct pollset *p, long ms)
{
	p->due = ms < 0 ? -1.0 : clock_now_ms() + (double)ms;
}

int pollset_timer_due(struct pollset *p)
{
	if (p->due < 0 || p->due > clock_now_ms())
		return 0;
	p->due = -1;
	return 1;
}

void pollset_wakeup(struct pollset *p)
{
	uint64_t one = 1;
	ssize_t r = write(p->evfd, &one, sizeof one);
	(void)r; /* EAGAIN: the counter is full, a wakeup is pending anyway */
}

/* The epoll set and the caller's fds together, in one poll(); then what
 * the epoll set has, without waiting. */
static int wait_with(struct pollset *p, int wait, const int *fds,
		     const short *events, short *revents, size_t nfds,
		     struct epoll_event *evs, int max)
{
	struct pollfd pf[9] = { { .fd = p->epfd, .events = POLLIN } };
	if (nfds > 8)
		nfds = 8;
	for (size_t i = 0; i < nfds; i++)
		pf[i + 1] = (struct pollfd){ fds[i], events[i], 0 };
	if (poll(pf, nfds + 1, wait) < 0 && errno != EINTR)
		return -1;
	for (size_t i = 0; revents && i < nfds; i++)
		revents[i] = pf[i + 1].revents;
	return epoll_wait(p->epfd, evs, max, 0);
}

int pollset_wait(struct pollset *p, int timeout_ms, const int *fds,
		 const short *events, short *revents, size_t nfds,
		 pollset_ready_fn *ready, void *arg)
{
	int wait = timeout_ms;
	if (p->due >= 0) {
		double left = p->due - clock_now_ms();
		int t = left <= 0 ? 0 : (int)left + 1;
		if (wait < 0 || t < wait)
			wait = t;
	}
	struct epoll_event evs[64];
	int n = nfds > 0 ? wait_with(p, wait, fds, events, revents, nfds,
				     evs, 64)
			 : epoll_wait(p->epfd, evs, 64, wait);
	if (n < 0 && errno != EINTR)
		return -1;
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		if (fd == p->evfd) {
			uint64_t v;
			ssize_t r = read(p->evfd, &v, sizeof v);
			(void)r; /* EAGAIN: another read got it first */
			continue;
		}
		int what = 0;
		if (evs[i].events & (EPOLLIN | EPOLLHUP))
			what |= POLLSET_IN;
		if (evs[i].events & EPOLLOUT)
			what |= POLLSET_OUT;
		if (evs[i].events & EPOLLERR)
			what |= POLLSET_ERR;
		int rc = ready(arg, fd, what);
		if (rc != 0)
			return rc;
	}
	return 0;
}
