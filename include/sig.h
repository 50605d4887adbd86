/* sig.h — SIGINT/SIGTERM handled by one thread with sigwait(), not by an
 * async handler. sig_start() blocks the signals in the calling thread before
 * any other thread exists, so every thread inherits the mask and only the
 * signal thread receives them; it then calls `on_signal` (in that thread)
 * with the signal number and how many have arrived so far. Child processes
 * must get an empty mask back (posix_spawnattr_setsigmask). */
#ifndef HNBATCH_SIG_H
#define HNBATCH_SIG_H

int sig_start(void (*on_signal)(int signo, int count, void *arg), void *arg);
void sig_stop(void); /* wake and join the signal thread */

#endif
