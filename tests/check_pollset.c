/* check_pollset.c — the fetcher's event set: a watched pipe reported ready
 * and no longer after it is dropped, changes of what is watched, the timer
 * (due once, and bounding a wait), a wakeup from another thread, the
 * caller's own fds beside the set, and a callback that stops the wait. */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "pollset.h"
#include "testutil.h"

struct seen {
	int n;
	int fd[8], what[8];
	int stop;       /* returned by the callback */
};

static int on_ready(void *arg, int fd, int what)
{
	struct seen *s = arg;
	if (s->n < 8) {
		s->fd[s->n] = fd;
		s->what[s->n] = what;
	}
	s->n++;
	return s->stop;
}

START_TEST(test_pipe_ready_then_dropped)
{
	struct pollset *p = pollset_new();
	ck_assert_ptr_nonnull(p);
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(pollset_set(p, fds[0], POLLSET_IN, 0), 0);

	struct seen s = { 0 };
	ck_assert_int_eq(pollset_wait(p, 0, NULL, NULL, NULL, 0, on_ready, &s),
			 0);
	ck_assert_int_eq(s.n, 0);               /* nothing to read yet */

	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(pollset_wait(p, -1, NULL, NULL, NULL, 0, on_ready,
				      &s), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.fd[0], fds[0]);
	ck_assert(s.what[0] & POLLSET_IN);

	pollset_del(p, fds[0]);                 /* the byte is still there */
	s.n = 0;
	ck_assert_int_eq(pollset_wait(p, 0, NULL, NULL, NULL, 0, on_ready, &s),
			 0);
	ck_assert_int_eq(s.n, 0);
	close(fds[0]);
	close(fds[1]);
	pollset_free(p);
}
END_TEST

/* "known" set on an fd never added is an add; a second add is a change;
 * a change from IN to OUT reports the write end writable. */
START_TEST(test_set_add_and_change)
{
	struct pollset *p = pollset_new();
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(pollset_set(p, fds[1], POLLSET_IN, 1), 0);
	ck_assert_int_eq(pollset_set(p, fds[1], POLLSET_OUT, 0), 0);
	struct seen s = { 0 };
	ck_assert_int_eq(pollset_wait(p, -1, NULL, NULL, NULL, 0, on_ready,
				      &s), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.fd[0], fds[1]);
	ck_assert(s.what[0] & POLLSET_OUT);
	ck_assert_int_eq(pollset_set(p, -1, POLLSET_IN, 0), -1);
	close(fds[0]);
	close(fds[1]);
	pollset_free(p);
}
END_TEST

START_TEST(test_timer)
{
	struct pollset *p = pollset_new();
	ck_assert_int_eq(pollset_timer_due(p), 0);      /* none set */
	pollset_timer(p, 0);
	ck_assert_int_eq(pollset_timer_due(p), 1);
	ck_assert_int_eq(pollset_timer_due(p), 0);      /* taken once */
	pollset_timer(p, 3600 * 1000L);
	ck_assert_int_eq(pollset_timer_due(p), 0);
	pollset_timer(p, -1);
	ck_assert_int_eq(pollset_timer_due(p), 0);
	/* a wait without a limit of its own ends when the timer is due */
	pollset_timer(p, 5);
	struct seen s = { 0 };
	ck_assert_int_eq(pollset_wait(p, -1, NULL, NULL, NULL, 0, on_ready,
				      &s), 0);
	ck_assert_int_eq(pollset_timer_due(p), 1);
	ck_assert_int_eq(s.n, 0);
	pollset_free(p);
}
END_TEST

static void *waker(void *arg)
{
	pollset_wakeup(arg);
	return NULL;
}

/* Only the wakeup can end this wait (no timer, no limit): the tcase
 * timeout is what fails it. A wakeup before the wait is kept for it. */
START_TEST(test_wakeup_from_another_thread)
{
	struct pollset *p = pollset_new();
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, waker, p), 0);
	struct seen s = { 0 };
	ck_assert_int_eq(pollset_wait(p, -1, NULL, NULL, NULL, 0, on_ready,
				      &s), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(s.n, 0);               /* the eventfd is not shown */
	pollset_wakeup(p);
	pollset_wakeup(p);
	ck_assert_int_eq(pollset_wait(p, -1, NULL, NULL, NULL, 0, on_ready,
				      &s), 0);
	ck_assert_int_eq(s.n, 0);
	pollset_free(p);
}
END_TEST

/* The caller's fds are waited on with the set: a readable one ends the
 * wait and gets its revents; the set's ready fds are still handed out. */
START_TEST(test_caller_fds_and_stop)
{
	struct pollset *p = pollset_new();
	int a[2], b[2];
	ck_assert_int_eq(pipe(a), 0);
	ck_assert_int_eq(pipe(b), 0);
	ck_assert_int_eq(write(b[1], "y", 1), 1);
	short ev = POLLIN, rev = 0;
	struct seen s = { 0 };
	ck_assert_int_eq(pollset_wait(p, -1, &b[0], &ev, &rev, 1, on_ready,
				      &s), 0);
	ck_assert(rev & POLLIN);
	ck_assert_int_eq(s.n, 0);

	ck_assert_int_eq(pollset_set(p, a[0], POLLSET_IN, 0), 0);
	ck_assert_int_eq(write(a[1], "z", 1), 1);
	rev = 0;
	ck_assert_int_eq(pollset_wait(p, -1, &b[0], &ev, &rev, 1, on_ready,
				      &s), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.fd[0], a[0]);

	s.stop = 7;                             /* a callback's no stops it */
	ck_assert_int_eq(pollset_wait(p, -1, NULL, NULL, NULL, 0, on_ready,
				      &s), 7);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
	pollset_free(p);
}
END_TEST

static Suite *pollset_suite(void)
{
	Suite *s = suite_create("pollset");
	TCase *tc = tcase_create("pollset");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pipe_ready_then_dropped);
	tcase_add_test(tc, test_set_add_and_change);
	tcase_add_test(tc, test_timer);
	tcase_add_test(tc, test_wakeup_from_another_thread);
	tcase_add_test(tc, test_caller_fds_and_stop);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(pollset_suite());
}
