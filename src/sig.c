/* sig.c — the signal thread (see sig.h).
 * Threads: started and stopped by main; the callback runs on the signal
 * thread. `count` is only touched by the signal thread. Shutdown: main sends
 * SIGUSR1 to the thread with pthread_kill and joins it. */
#include "sig.h"

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

static pthread_t th;
static int running;
static sigset_t set;
static void (*cb)(int, int, void *);
static void *cb_arg;

static void *sig_main(void *unused)
{
	(void)unused;
	int count = 0;
	for (;;) {
		int signo;
		if (sigwait(&set, &signo) != 0)
			continue;
		if (signo == SIGUSR1)
			break;
		cb(signo, ++count, cb_arg);
	}
	return NULL;
}

int sig_start(void (*on_signal)(int, int, void *), void *arg)
{
	cb = on_signal;
	cb_arg = arg;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	if (pthread_create(&th, NULL, sig_main, NULL) != 0)
		return -1;
	running = 1;
	return 0;
}

void sig_stop(void)
{
	if (!running)
		return;
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	running = 0;
}
