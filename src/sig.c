/* sig.c — the signal thread (see sig.h).
 * Threads: started and stopped by main; the callback runs on the signal
 * thread, which alone reads `sfd` and owns first_signo/first_ms. `efd` is
 * the stop message: main writes it in sig_stop() and joins the thread. */
#include "sig.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

static pthread_t th;
static int running;
static int sfd = -1, efd = -1;
static void (*cb)(int, int, void *);
static void *cb_arg;

static const char *name(int signo)
{
	return signo == SIGINT ? "SIGINT" : "SIGTERM";
}

static void *sig_main(void *unused)
{
	(void)unused;
	int first = 0;
	double first_ms = 0;
	struct pollfd p[2] = { { .fd = sfd, .events = POLLIN },
			       { .fd = efd, .events = POLLIN } };
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		struct signalfd_siginfo si;
		if (!(p[0].revents & POLLIN) ||
		    read(sfd, &si, sizeof si) != (ssize_t)sizeof si)
			continue;
		int signo = (int)si.ssi_signo;
		double now = clock_now_ms();
		if (!first) {
			first = signo;
			first_ms = now;
			cb(signo, 0, cb_arg);
		} else if (signo == first && now - first_ms < SIG_SAME_MS) {
			log_info("%s again within %d ms: the same request",
				 name(signo), SIG_SAME_MS);
		} else {
			cb(signo, 1, cb_arg);
		}
	}
	return NULL;
}

int sig_start(void (*on_signal)(int, int, void *), void *arg)
{
	cb = on_signal;
	cb_arg = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	efd = eventfd(0, EFD_CLOEXEC);
	if (sfd < 0 || efd < 0 || pthread_create(&th, NULL, sig_main, NULL)) {
		if (sfd >= 0)
			close(sfd);
		if (efd >= 0)
			close(efd);
		sfd = efd = -1;
		return -1;
	}
	running = 1;
	return 0;
}

void sig_stop(void)
{
	if (!running)
		return;
	uint64_t one = 1;
	if (write(efd, &one, sizeof one) != (ssize_t)sizeof one)
		abort(); /* an eventfd write cannot fail here */
	pthread_join(th, NULL);
	close(sfd);
	close(efd);
	sfd = efd = -1;
	running = 0;
}
