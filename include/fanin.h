/* fanin.h — a root's fan-in state: the pending counter and the set of ids
 * already counted for it.
 *
 * pending counts items that are known but not yet accounted for (fetched and
 * counted, missing, or failed). It starts at 1 (the root item). A worker that
 * finishes an item first adds that item's new kids, then calls fanin_done();
 * because the add comes first, pending can only reach zero once, when the
 * whole tree is accounted for, and the thread that brings it there completes
 * the root. Lock-free (C11 atomics).
 *
 * The seen set makes each id count at most once per root, so a repeated kid
 * or a kid that points back at an ancestor can neither loop nor double-count.
 * It has its own mutex; fanin_claim() takes it once per batch of kids. */
#ifndef HNBATCH_FANIN_H
#define HNBATCH_FANIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "u64set.h"

struct fanin {
	atomic_int_fast64_t pending;
	pthread_mutex_t mu;
	struct u64set seen;  /* guarded by mu */
};

/* pending = 1 and the seen set holds root_id. Returns 0 or -1. */
int fanin_init(struct fanin *f, uint64_t root_id);
void fanin_destroy(struct fanin *f);

/* Keep, in place, the ids of kids[0..n) not seen before for this root, mark
 * them seen, and return how many were kept (in their original order). On
 * out of memory returns (size_t)-1 and marks nothing. */
size_t fanin_claim(struct fanin *f, uint64_t *kids, size_t n);

/* pending += n (call before fanin_done for the parent). */
void fanin_add(struct fanin *f, int64_t n);

/* pending -= 1; true for the one caller that brings it to zero. */
bool fanin_done(struct fanin *f);

int64_t fanin_pending(struct fanin *f);

#endif
