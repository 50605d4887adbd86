/* backoff.h — the one retry backoff policy: base * factor^attempt, times a
 * jitter factor drawn uniformly from [1 - jitter, 1 + jitter), capped. A
 * server's Retry-After, when given, is waited for at least (within the cap).
 * Used by the crawl, the alert deliveries and the story lists. Pure
 * functions; the random state belongs to its caller (one per thread). */
#ifndef HNBATCH_BACKOFF_H
#define HNBATCH_BACKOFF_H

#include <stdint.h>

struct backoff {
	double base_ms;      /* the first delay (attempt 0) */
	double factor;       /* growth per attempt (2: doubling) */
	double jitter;       /* 0: none; 0.5: x0.5 to x1.5 */
	double cap_ms;       /* no delay longer than this */
};

/* The policies of hnbatch, in one place: requests to the API (items and
 * lists) from 200 ms, doubling, x0.5-1.5, at most 10 s; alert deliveries
 * from 500 ms, doubling, at most 30 s. */
extern const struct backoff backoff_fetch, backoff_alert;

/* A seed for backoff_delay's state (any value; 0 is fine). */
uint64_t backoff_seed(uint64_t seed);

/* The wait before retry number attempt + 1 (attempt 0: the first retry).
 * retry_after_ms >= 0 is a server's Retry-After: the wait is at least that,
 * still within the cap. rng may be NULL when jitter is 0. */
double backoff_delay(const struct backoff *b, unsigned attempt,
		     double retry_after_ms, uint64_t *rng);

#endif
