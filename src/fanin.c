/* fanin.c — per-root pending counter and seen set (see fanin.h).
 * Threads: any worker. pending is atomic; the set is guarded by f->mu. */
#include "fanin.h"

#include <stdlib.h>

int fanin_init(struct fanin *f, uint64_t root_id)
{
	atomic_init(&f->pending, 1);
	u64set_init(&f->seen);
	if (pthread_mutex_init(&f->mu, NULL) != 0)
		return -1;
	if (u64set_add(&f->seen, root_id) < 0) {
		pthread_mutex_destroy(&f->mu);
		return -1;
	}
	return 0;
}

void fanin_destroy(struct fanin *f)
{
	pthread_mutex_destroy(&f->mu);
	u64set_free(&f->seen);
}

size_t fanin_claim(struct fanin *f, uint64_t *kids, size_t n)
{
	if (n == 0)
		return 0;
	if (pthread_mutex_lock(&f->mu) != 0)
		abort();
	size_t kept = (size_t)-1;
	if (u64set_reserve(&f->seen, n) == 0) {
		kept = 0;
		for (size_t i = 0; i < n; i++)
			if (u64set_add(&f->seen, kids[i]) > 0)
				kids[kept++] = kids[i];
	}
	pthread_mutex_unlock(&f->mu);
	return kept;
}

void fanin_add(struct fanin *f, int64_t n)
{
	atomic_fetch_add(&f->pending, n);
}

bool fanin_done(struct fanin *f)
{
	return atomic_fetch_sub(&f->pending, 1) == 1;
}

int64_t fanin_pending(struct fanin *f)
{
	return atomic_load(&f->pending);
}
