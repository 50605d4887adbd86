/* workq.h — the shared work queue of item ids to fetch.
 * Many producers and consumers: every function is thread-safe. One mutex and
 * one condition variable; consumers wait in a loop; workq_close() is the exit
 * sentinel that wakes every waiter.
 * Order (a binary heap): fetches (tag != 0) first, then the deepest items,
 * then the lowest rank (the sum of the places among siblings on the path
 * from the root, a place counted from both ends of its list: see
 * workq_kid_rank), then the first pushed. Deepest first keeps every chain
 * that is under way moving while the wide levels wait, and keeps the queue
 * short; the API lists `kids` in ranked display order, where the big
 * subthreads rank high, so among equals the top-ranked go first. */
#ifndef HNBATCH_WORKQ_H
#define HNBATCH_WORKQ_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct fanin_node;

struct work {
	uint64_t id;        /* item to fetch */
	struct fanin_node *parent;  /* its parent's node; NULL: a root item */
	uint32_t root;      /* index of the root it counts for */
	uint32_t depth;     /* 0 for the root item itself */
	uint32_t attempt;   /* 0 for the first try */
	uint32_t tag;       /* a fetch (crawl_fetch): its tag + 1; 0: an
	                       item of a root's tree, counted */
	uint32_t rank;      /* the places among siblings summed along the
	                       path from the root (saturating): 0 for a root
	                       and for the first kid of first kids */
};

/* The rank of kid i of n of an item ranked `parent`: parent + its place,
 * saturating at UINT32_MAX. The place counts from both ends of the list,
 * first, last, second, second to last...: 0, 2, 4, ..., 5, 3, 1. The big
 * subthreads sit at the front of a list in ranked order (the API's: in
 * the recorded threads the deepest subthread was at place 0-5 of 7-237
 * kids) and at its back in newest-first order (the oldest comment has had
 * the longest to draw replies); served from both ends, either order's
 * big ones go early, at the cost of doubling the ranked order's places. */
uint32_t workq_kid_rank(uint32_t parent, size_t i, size_t n);

/* A queued item and its place in the order (workq.c). */
struct workq_ent {
	uint64_t key;       /* smaller goes first */
	struct work w;
};

struct workq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct workq_ent *v;  /* guarded by mu: a min-heap on key, v[0] next */
	size_t n, cap;      /* guarded by mu */
	uint32_t seq;       /* guarded by mu: pushes so far (wraps) */
	int closed;         /* guarded by mu */
	int waiting;        /* guarded by mu: consumers blocked in cv */
	atomic_size_t len;  /* n, written under mu, read without it */
};

int workq_init(struct workq *q);  /* 0, or -1 */
void workq_destroy(struct workq *q);

/* Push n items. Returns 0, or -1 on out of memory (nothing pushed). */
int workq_push(struct workq *q, const struct work *w, size_t n);

/* Pop up to max items into out, in the queue's order. timeout_ms < 0
 * waits until an item arrives or the queue is closed; 0 never waits.
 * Returns the count (0: nothing, on timeout or because the queue is
 * closed). */
size_t workq_pop(struct workq *q, struct work *out, size_t max,
		 int timeout_ms);

/* Wake every waiter; later pops return only what is left, then 0. */
void workq_close(struct workq *q);
size_t workq_len(struct workq *q);

/* Without the lock: whether the queue held work a moment ago (a hint for
 * wakeups; the pop decides). */
int workq_has_work(struct workq *q);

#endif
