/* workq.c — the work queue, a binary min-heap (order: see workq.h).
 * Locking: every field is guarded by q->mu (`len` mirrors n for readers
 * without it); the condition variable cv is signalled on push (when someone
 * waits) and broadcast on close.
 * The key, most significant first: 12 bits of depth, inverted (4095: a
 * fetch; deeper items than 4094 share the place of 4094), 20 bits of rank
 * (saturating), 32 bits of push order (it wraps after 2^32 pushes, which
 * only reorders equals). */
#include "workq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static void must(int rc)
{
	if (rc != 0)
		abort(); /* a mutex or condvar failing is a broken invariant */
}

int workq_init(struct workq *q)
{
	memset(q, 0, sizeof *q);
	if (clock_cond_init(&q->cv) != 0)
		return -1;
	if (pthread_mutex_init(&q->mu, NULL) != 0) {
		pthread_cond_destroy(&q->cv);
		return -1;
	}
	return 0;
}

void workq_destroy(struct workq *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q->v);
	q->v = NULL;
}

enum { DEPTH_BITS = 12, RANK_BITS = 20 };

static uint64_t key_of(const struct work *w, uint32_t seq)
{
	const uint64_t dmax = (1u << DEPTH_BITS) - 1;
	const uint64_t rmax = (1u << RANK_BITS) - 1;
	uint64_t d = w->tag ? dmax : w->depth < dmax ? w->depth : dmax - 1;
	uint64_t r = w->rank < rmax ? w->rank : rmax;
	return ((dmax - d) << (64 - DEPTH_BITS)) | (r << 32) | seq;
}

uint32_t workq_kid_rank(uint32_t parent, size_t i, size_t n)
{
	size_t back = i < n ? n - 1 - i : 0;
	uint64_t place = i <= back ? 2 * (uint64_t)i : 2 * (uint64_t)back + 1;
	return place < (uint64_t)(UINT32_MAX - parent)
	       ? parent + (uint32_t)place : UINT32_MAX;
}

static void sift_up(struct workq_ent *v, size_t j, struct workq_ent e)
{
	while (j > 0 && v[(j - 1) / 2].key > e.key) {
		v[j] = v[(j - 1) / 2];
		j = (j - 1) / 2;
	}
	v[j] = e;
}

/* Removes v[0] from the heap of n entries; returns the new count. */
static size_t take_top(struct workq_ent *v, size_t n)
{
	struct workq_ent last = v[--n];
	size_t j = 0;
	for (;;) {
		size_t c = 2 * j + 1;
		if (c >= n)
			break;
		if (c + 1 < n && v[c + 1].key < v[c].key)
			c++;
		if (v[c].key >= last.key)
			break;
		v[j] = v[c];
		j = c;
	}
	if (n > 0)
		v[j] = last;
	return n;
}

int workq_push(struct workq *q, const struct work *w, size_t n)
{
	if (n == 0)
		return 0;
	must(pthread_mutex_lock(&q->mu));
	if (q->n + n > q->cap) {
		size_t cap = q->cap ? q->cap : 256;
		while (cap < q->n + n)
			cap *= 2;
		struct workq_ent *v = realloc(q->v, cap * sizeof *v);
		if (!v) {
			must(pthread_mutex_unlock(&q->mu));
			return -1;
		}
		q->v = v;
		q->cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		struct workq_ent e = { key_of(&w[i], q->seq++), w[i] };
		sift_up(q->v, q->n++, e);
	}
	atomic_store_explicit(&q->len, q->n, memory_order_relaxed);
	if (q->waiting) {
		if (n > 1)
			must(pthread_cond_broadcast(&q->cv));
		else
			must(pthread_cond_signal(&q->cv));
	}
	must(pthread_mutex_unlock(&q->mu));
	return 0;
}

size_t workq_pop(struct workq *q, struct work *out, size_t max,
		 int timeout_ms)
{
	struct timespec until = { 0, 0 };
	if (timeout_ms > 0)
		until = clock_after_ms(timeout_ms);
	must(pthread_mutex_lock(&q->mu));
	while (q->n == 0 && !q->closed && timeout_ms != 0) {
		q->waiting++;
		int rc = timeout_ms < 0 ? pthread_cond_wait(&q->cv, &q->mu)
					: pthread_cond_timedwait(&q->cv, &q->mu,
								 &until);
		q->waiting--;
		if (rc == ETIMEDOUT)
			break;
		must(rc);
	}
	/* q->mu is held here */
	size_t k = q->n < max ? q->n : max;
	for (size_t i = 0; i < k; i++) {
		out[i] = q->v[0].w;
		q->n = take_top(q->v, q->n);
	}
	atomic_store_explicit(&q->len, q->n, memory_order_relaxed);
	if (q->cap > 4096 && q->n < q->cap / 8) {
		size_t cap = q->cap / 2;
		struct workq_ent *v = realloc(q->v, cap * sizeof *v);
		if (v) {
			q->v = v;
			q->cap = cap;
		}
	}
	must(pthread_mutex_unlock(&q->mu));
	return k;
}

void workq_close(struct workq *q)
{
	must(pthread_mutex_lock(&q->mu));
	q->closed = 1;
	must(pthread_cond_broadcast(&q->cv));
	must(pthread_mutex_unlock(&q->mu));
}

int workq_has_work(struct workq *q)
{
	return atomic_load_explicit(&q->len, memory_order_relaxed) > 0;
}

size_t workq_len(struct workq *q)
{
	must(pthread_mutex_lock(&q->mu));
	size_t n = q->n;
	must(pthread_mutex_unlock(&q->mu));
	return n;
}
