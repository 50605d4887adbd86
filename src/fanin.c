/* fanin.c — per-root pending counter and seen set (see fanin.h).
 * Threads: any worker. pending is atomic; the set is guarded by f->mu. */
#include "fanin.h"

#include <stdlib.h>

static size_t slot_of(uint64_t id, size_t cap)
{
	/* Fibonacci hashing: ids are dense and sequential on HN. */
	return (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 20) & (cap - 1);
}

/* f->mu is held. Returns 1 if inserted, 0 if already present. */
static int insert(uint64_t *set, size_t cap, uint64_t id)
{
	size_t i = slot_of(id, cap);
	while (set[i] != 0) {
		if (set[i] == id)
			return 0;
		i = (i + 1) & (cap - 1);
	}
	set[i] = id;
	return 1;
}

/* f->mu is held. Make room for `more` insertions at load <= 1/2. */
static int reserve(struct fanin *f, size_t more)
{
	if ((f->n + more) * 2 <= f->cap)
		return 0;
	size_t cap = f->cap ? f->cap : 64;
	while ((f->n + more) * 2 > cap)
		cap *= 2;
	uint64_t *set = calloc(cap, sizeof *set);
	if (!set)
		return -1;
	for (size_t i = 0; i < f->cap; i++)
		if (f->set[i])
			insert(set, cap, f->set[i]);
	free(f->set);
	f->set = set;
	f->cap = cap;
	return 0;
}

int fanin_init(struct fanin *f, uint64_t root_id)
{
	atomic_init(&f->pending, 1);
	f->set = NULL;
	f->cap = f->n = 0;
	if (pthread_mutex_init(&f->mu, NULL) != 0)
		return -1;
	if (reserve(f, 1) != 0) {
		pthread_mutex_destroy(&f->mu);
		return -1;
	}
	f->n += (size_t)insert(f->set, f->cap, root_id);
	return 0;
}

void fanin_destroy(struct fanin *f)
{
	pthread_mutex_destroy(&f->mu);
	free(f->set);
	f->set = NULL;
}

size_t fanin_claim(struct fanin *f, uint64_t *kids, size_t n)
{
	if (n == 0)
		return 0;
	if (pthread_mutex_lock(&f->mu) != 0)
		abort();
	size_t kept = (size_t)-1;
	if (reserve(f, n) == 0) {
		kept = 0;
		for (size_t i = 0; i < n; i++)
			if (kids[i] != 0 && insert(f->set, f->cap, kids[i]))
				kids[kept++] = kids[i];
		f->n += kept;
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
