/* fanin.c — fan-in per root and per node (see fanin.h).
 * Threads: any worker. Counters are atomic; a root's seen set is guarded
 * by its f->mu; a node whose pending reached zero belongs to the thread
 * that brought it there, which adds it into its parent and frees it. */
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

struct fanin_node *fanin_node_new(struct fanin_node *parent, uint64_t id,
				  uint32_t depth, uint32_t root,
				  enum fanin_kind kind, int64_t nkids)
{
	struct fanin_node *n = malloc(sizeof *n);
	if (!n)
		return NULL;
	n->parent = parent;
	n->id = id;
	n->depth = depth;
	n->root = root;
	n->kind = kind;
	atomic_init(&n->pending, nkids);
	for (int k = 0; k < FANIN_NKINDS; k++)
		atomic_init(&n->below[k], 0);
	atomic_init(&n->levels, 0);
	return n;
}

void fanin_node_free(struct fanin_node *n)
{
	free(n);
}

static void max_store(atomic_uint_fast32_t *a, uint_fast32_t v)
{
	uint_fast32_t cur = atomic_load(a);
	while (cur < v && !atomic_compare_exchange_weak(a, &cur, v))
		;
}

struct fanin_node *fanin_account(struct fanin_node *p, enum fanin_kind kind,
				 fanin_done_fn *done, void *arg)
{
	/* A leaf: itself only, one level when it was fetched. */
	uint64_t add[FANIN_NKINDS] = { 0 };
	add[kind] = 1;
	uint_fast32_t levels = kind <= FANIN_DEAD ? 1 : 0;
	for (;;) {
		for (int k = 0; k < FANIN_NKINDS; k++)
			if (add[k])
				atomic_fetch_add(&p->below[k], add[k]);
		if (levels)
			max_store(&p->levels, levels);
		if (atomic_fetch_sub(&p->pending, 1) != 1)
			return NULL;
		/* p's subtree is complete, and p is ours now. */
		done(p, arg);
		struct fanin_node *up = p->parent;
		if (!up)
			return p;
		for (int k = 0; k < FANIN_NKINDS; k++)
			add[k] = atomic_load(&p->below[k]);
		add[p->kind]++;
		levels = atomic_load(&p->levels) + 1;
		fanin_node_free(p);
		p = up;
	}
}
