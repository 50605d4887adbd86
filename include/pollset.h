/* pollset.h — one epoll set of sockets, a timer and a wakeup, for one
 * thread's transfers (fetch.c puts curl's sockets in it).
 * A pollset belongs to the thread that created it; only pollset_wakeup()
 * may be called from other threads. */
#ifndef HNBATCH_POLLSET_H
#define HNBATCH_POLLSET_H

#include <stddef.h>

enum { POLLSET_IN = 1, POLLSET_OUT = 2, POLLSET_ERR = 4 };

struct pollset;

/* NULL when the epoll set or the eventfd cannot be made. */
struct pollset *pollset_new(void);
void pollset_free(struct pollset *p);

/* Watch fd for `what` (POLLSET_IN | POLLSET_OUT), added or changed;
 * `known`: fd was set before (tried as a change first). 0 or -1. */
int pollset_set(struct pollset *p, int fd, int what, int known);
void pollset_del(struct pollset *p, int fd);

/* The timer: due in ms from now (< 0: none), and whether it is due now
 * (taking it: a due timer is reported once). */
void pollset_timer(struct pollset *p, long ms);
int pollset_timer_due(struct pollset *p);

/* Any thread: make the owner's pollset_wait() return. */
void pollset_wakeup(struct pollset *p);

/* Wait up to timeout_ms (< 0: no limit but the timer) for a watched fd,
 * the timer or a wakeup; with nfds > 0 (at most 8), also for the caller's
 * fds (their revents filled in).  Each ready watched fd goes to
 * ready(arg, fd, what); a non-zero return stops there and is returned.
 * 0, or -1 when the wait itself failed. */
typedef int pollset_ready_fn(void *arg, int fd, int what);
int pollset_wait(struct pollset *p, int timeout_ms, const int *fds,
		 const short *events, short *revents, size_t nfds,
		 pollset_ready_fn *ready, void *arg);

#endif
