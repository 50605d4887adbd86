/* clock.c — monotonic time and condvar deadlines (see clock.h).
 * No state: safe from any thread. */
#include "clock.h"

#include <errno.h>
#include <math.h>

double clock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct timespec clock_after_ms(double ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!(ms > 0))
		return ts;
	if (ms > 1e12)
		ms = 1e12; /* ~30 years: no overflow of tv_sec */
	double whole = floor(ms / 1e3);
	ts.tv_sec += (time_t)whole;
	ts.tv_nsec += (long)((ms - whole * 1e3) * 1e6);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int clock_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	int rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
	return rc == 0 ? 0 : -1;
}

int clock_cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, double ms)
{
	if (ms < 0)
		return pthread_cond_wait(cv, mu);
	struct timespec ts = clock_after_ms(ms);
	int rc = pthread_cond_timedwait(cv, mu, &ts);
	return rc == ETIMEDOUT ? ETIMEDOUT : 0;
}
