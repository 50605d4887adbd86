/* backoff.c — retry delays (see backoff.h). No globals: the jitter's
 * generator state is the caller's, so no locking is needed. */
#include "backoff.h"

#include <math.h>

const struct backoff backoff_fetch = { 200, 2, 0.5, 10000 };
const struct backoff backoff_alert = { 500, 2, 0.0, 30000 };

uint64_t backoff_seed(uint64_t seed)
{
	return seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
}

/* xorshift64*: a uniform double in [0, 1). */
static double uniform(uint64_t *rng)
{
	uint64_t x = *rng ? *rng : 1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*rng = x;
	x *= UINT64_C(2685821657736338717);
	return (double)(x >> 11) / 9007199254740992.0;
}

double backoff_delay(const struct backoff *b, unsigned attempt,
		     double retry_after_ms, uint64_t *rng)
{
	double d = b->base_ms * pow(b->factor, attempt > 64 ? 64 : attempt);
	if (b->jitter > 0 && rng)
		d *= 1.0 - b->jitter + 2.0 * b->jitter * uniform(rng);
	if (retry_after_ms >= 0 && retry_after_ms > d)
		d = retry_after_ms;
	if (!(d <= b->cap_ms))
		d = b->cap_ms;
	return d < 0 ? 0 : d;
}
