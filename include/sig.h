/* sig.h — SIGINT/SIGTERM handled by one thread, not by an async handler.
 * sig_start() blocks the two signals in the calling thread before any other
 * thread exists, so every thread inherits the mask; the signal thread reads
 * them from a signalfd and calls `on_signal` (in that thread). Child
 * processes must get an empty mask back (posix_spawnattr_setsigmask).
 *
 * A repeat of the first signal within SIG_SAME_MS of it is the same
 * request (timeout(1) signals its child, then the child's process group):
 * it is logged and dropped. A different signal, or the same one later, is
 * a second request: on_signal gets force = 1 (exit now). The thread is
 * stopped through an eventfd, which no other process can write; other
 * signals keep their default disposition. */
#ifndef HNBATCH_SIG_H
#define HNBATCH_SIG_H

#define SIG_SAME_MS 1000

/* on_signal(signo, force, arg): force 0 for the first request, 1 after. */
int sig_start(void (*on_signal)(int signo, int force, void *arg), void *arg);
void sig_stop(void); /* wake and join the signal thread */

#endif
