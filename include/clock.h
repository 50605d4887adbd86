/* clock.h — the one clock of hnbatch: monotonic milliseconds, and the
 * absolute times that condition variables on CLOCK_MONOTONIC wait for.
 * Pure functions over the system clock; safe from any thread. */
#ifndef HNBATCH_CLOCK_H
#define HNBATCH_CLOCK_H

#include <pthread.h>
#include <time.h>

/* Monotonic milliseconds since an arbitrary start (CLOCK_MONOTONIC). */
double clock_now_ms(void);

/* The CLOCK_MONOTONIC time `ms` milliseconds from now (ms < 0 counts as 0),
 * for pthread_cond_timedwait on a condvar made by clock_cond_init(). */
struct timespec clock_after_ms(double ms);

/* A condition variable that waits on CLOCK_MONOTONIC. Returns 0 or -1. */
int clock_cond_init(pthread_cond_t *cv);

/* Wait on cv (made by clock_cond_init, mu held) until signalled or `ms`
 * milliseconds passed (ms < 0: no limit). Returns 0 when signalled (or
 * woken spuriously), ETIMEDOUT when the time passed. */
int clock_cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, double ms);

#endif
