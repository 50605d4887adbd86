/* admit.c — a worker's admission to the crawl's limit of requests in
 * flight: the limit's tokens, the worker's share of it, waking another
 * worker, and handing the limiter what was measured (worker.c calls these
 * from its own thread; see crawl.c for the design).
 *
 * Threads: the tokens are the crawl's atomic `inflight`, taken with a
 * compare-and-swap against limit_get() so that no two workers take the
 * same token; `hungry` is each worker's atomic flag, cleared with an
 * exchange by the one waker that wakes it; the batch is the calling
 * worker's own; limit_feed() takes the limiter's lock once a turn.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "crawl_int.h"
#include "log.h"

/* Take up to want tokens of the crawl's limit; the number taken. */
size_t admit_tokens(struct worker *wk, size_t want)
{
	struct crawl *c = wk->c;
	size_t lim = limit_get(&c->lim);
	uint_fast64_t cur = atomic_load(&c->inflight), n;
	do {
		if (cur >= lim) {
			wk->batch.blocked++;
			return 0;
		}
		n = lim - cur < want ? lim - cur : want;
	} while (!atomic_compare_exchange_weak(&c->inflight, &cur, cur + n));
	if (cur + n > wk->batch.inflight_max)
		wk->batch.inflight_max = cur + n;
	return n;
}

/* This worker's share of the limit: what it may have in flight. */
size_t admit_share(const struct worker *wk)
{
	struct crawl *c = wk->c;
	size_t s = limit_share(limit_get(&c->lim), c->o.threads);
	return s < wk->window ? s : wk->window;
}

/* Wake one worker that waits with room to spare (its `hungry` set). The
 * exchange clears the flag, so two wakers never both wake the same worker
 * for nothing; the worker sets it again before its next pop. */
void admit_wake_one(struct crawl *c, struct worker *self)
{
	size_t start = (size_t)(self - c->workers);
	for (size_t k = 1; k < c->nworkers; k++) {
		struct worker *o = &c->workers[(start + k) % c->nworkers];
		if (atomic_load(&o->hungry) && atomic_exchange(&o->hungry, 0)) {
			fetcher_wakeup(o->f);
			return;
		}
	}
}

/* -c auto: hand this turn's answer times and overloads to the limiter. */
void admit_feed(struct worker *wk)
{
	struct crawl *c = wk->c;
	struct limit_change ch;
	if (!c->lim_auto || wk->batch.n + wk->batch.overload == 0)
		return;
	if (limit_feed(&c->lim, clock_now_ms(), &wk->batch, &ch))
		log_debug("concurrency limit %zu -> %zu (%s: answers %.1f ms, "
			  "least %.1f ms, %zu overloaded of %zu)", ch.from,
			  ch.to, limit_why_str(ch.why), ch.avg_ms, ch.min_ms,
			  ch.overload, ch.overload + ch.n);
	memset(&wk->batch, 0, sizeof wk->batch);
}
