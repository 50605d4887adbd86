/* dueheap.h — a min-heap of things to do later, ordered by when they are
 * due: a worker's retries (worker.c), the watch's new ids asked again
 * (wtrack.c).  An element is any struct whose first member is
 * `double due`; elements are copied in and out.  One thread's. */
#ifndef HNBATCH_DUEHEAP_H
#define HNBATCH_DUEHEAP_H

#include <stddef.h>

struct dueheap {
	unsigned char *v;     /* cap + 1 elements: the last is scratch */
	size_t n, cap;
	size_t size;          /* of an element */
};

/* An empty heap of elements of `size` bytes (>= sizeof(double)). */
void dueheap_init(struct dueheap *h, size_t size);
void dueheap_free(struct dueheap *h);

/* Copy e in. 0, or -1 when memory ran out (the heap is unchanged). */
int dueheap_push(struct dueheap *h, const void *e);

/* The earliest due time; only when h->n > 0. */
double dueheap_due(const struct dueheap *h);

/* Copy the earliest element to out and take it out; only when h->n > 0. */
void dueheap_pop(struct dueheap *h, void *out);

/* The i-th element in no particular order (i < h->n), to walk them all. */
void *dueheap_at(const struct dueheap *h, size_t i);

#endif
