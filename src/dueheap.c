/* dueheap.c — a binary min-heap on `due` over elements copied by size
 * (see dueheap.h).  Used where work waits for its time: retries and new
 * ids asked again.  Not locked: each heap belongs to one thread. */
#include "dueheap.h"

#include <stdlib.h>
#include <string.h>

void dueheap_init(struct dueheap *h, size_t size)
{
	memset(h, 0, sizeof *h);
	h->size = size;
}

void dueheap_free(struct dueheap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

void *dueheap_at(const struct dueheap *h, size_t i)
{
	return h->v + i * h->size;
}

static double due_at(const struct dueheap *h, size_t i)
{
	double d;
	memcpy(&d, dueheap_at(h, i), sizeof d);
	return d;
}

double dueheap_due(const struct dueheap *h)
{
	return due_at(h, 0);
}

static void put(struct dueheap *h, size_t i, const void *e)
{
	memcpy(dueheap_at(h, i), e, h->size);
}

int dueheap_push(struct dueheap *h, const void *e)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		unsigned char *v = realloc(h->v, (cap + 1) * h->size);
		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	double due;
	memcpy(&due, e, sizeof due);
	size_t i = h->n++;
	while (i > 0 && due_at(h, (i - 1) / 2) > due) {
		put(h, i, dueheap_at(h, (i - 1) / 2));
		i = (i - 1) / 2;
	}
	put(h, i, e);
	return 0;
}

void dueheap_pop(struct dueheap *h, void *out)
{
	memcpy(out, dueheap_at(h, 0), h->size);
	/* the last element goes into the hole, moved down (kept in the
	 * scratch slot at cap while the hole moves) */
	void *last = dueheap_at(h, h->cap);
	memcpy(last, dueheap_at(h, --h->n), h->size);
	double due = due_at(h, h->cap);
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		double best = due;
		if (l < h->n && due_at(h, l) < best)
			m = l, best = due_at(h, l);
		if (l + 1 < h->n && due_at(h, l + 1) < best)
			m = l + 1;
		if (m == i)
			break;
		put(h, i, dueheap_at(h, m));
		i = m;
	}
	if (h->n)
		put(h, i, last);
}
