/* workq.h — the shared work queue of item ids to fetch.
 * Many producers and consumers: every function is thread-safe. One mutex and
 * one condition variable; consumers wait in a loop; workq_close() is the exit
 * sentinel that wakes every waiter. Last in, first out: the newest (usually
 * deepest) items go first, which keeps the critical path of a tree moving
 * and the queue short. */
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
};

struct workq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct work *v;     /* guarded by mu: a stack, v[n-1] is next */
	size_t n, cap;      /* guarded by mu */
	int closed;         /* guarded by mu */
	int waiting;        /* guarded by mu: consumers blocked in cv */
	atomic_size_t len;  /* n, written under mu, read without it */
};

int workq_init(struct workq *q);  /* 0, or -1 */
void workq_destroy(struct workq *q);

/* Push n items. Returns 0, or -1 on out of memory (nothing pushed). */
int workq_push(struct workq *q, const struct work *w, size_t n);

/* Pop up to max items into out. timeout_ms < 0 waits until an item arrives
 * or the queue is closed; 0 never waits. Returns the count (0: nothing, on
 * timeout or because the queue is closed). */
size_t workq_pop(struct workq *q, struct work *out, size_t max,
		 int timeout_ms);

/* Wake every waiter; later pops return only what is left, then 0. */
void workq_close(struct workq *q);
size_t workq_len(struct workq *q);

/* Without the lock: whether the queue held work a moment ago (a hint for
 * wakeups; the pop decides). */
int workq_has_work(struct workq *q);

#endif
