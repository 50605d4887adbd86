/* fanin.h — fan-in: how the crawl knows that a tree, and every subtree in
 * it, is accounted for.
 *
 * Per root (struct fanin): the set of ids already counted for it, and
 * `pending`, the items known but not yet accounted for (fetched and
 * counted, missing, or failed). pending starts at 1 (the root item). A
 * worker that finishes an item first adds that item's new kids, then calls
 * fanin_done(); because the add comes first, pending can only reach zero
 * once. The seen set makes each id count at most once per root, under the
 * first parent that claims it, so a repeated kid or a kid that points back
 * at an ancestor can neither loop nor double-count. The set has its own
 * mutex; fanin_claim() takes it once per batch of kids.
 *
 * Per node (struct fanin_node): every fetched item with claimed kids gets a
 * node: its parent's node, its own kind, and `pending`, its claimed kids
 * not yet accounted for, with the totals of what is below it. A kid with no
 * node (a leaf, a missing or a failed item) is accounted into its parent by
 * fanin_account(); when a node's pending reaches zero, its subtree is
 * complete: it is handed to the caller's `done` callback, then added into
 * its parent, and the same thread goes on upward in a loop (never a
 * recursive call), freeing each completed node. The root item's node is the
 * top one (parent NULL): its completion completes the tree. Memory follows
 * the crawl's frontier, not the tree.
 *
 * Threads: any; pending counters and totals are C11 atomics, and the one
 * thread that brings a node's pending to zero owns it from then on. */
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

/* What an item is, for the totals of the nodes above it. */
enum fanin_kind {
	FANIN_LIVE = 0,      /* a comment neither deleted nor dead */
	FANIN_DELETED,
	FANIN_DEAD,          /* dead and not deleted */
	FANIN_MISSING,       /* the API answered null */
	FANIN_FAILED,        /* could not be had */
	FANIN_NKINDS
};

struct fanin_node {
	struct fanin_node *parent;   /* NULL: the root item's node */
	uint64_t id;
	uint32_t depth;              /* 0: the root item */
	uint32_t root;               /* the caller's index of its root */
	enum fanin_kind kind;        /* its own (LIVE, DELETED or DEAD) */
	atomic_int_fast64_t pending; /* claimed kids not accounted for */
	atomic_uint_fast64_t below[FANIN_NKINDS]; /* totals strictly below */
	atomic_uint_fast32_t levels; /* depth of its subtree: 0 when no
	                                fetched item is below it */
};

/* A node for item id with nkids (> 0) claimed kids not yet accounted for.
 * NULL on out of memory. */
struct fanin_node *fanin_node_new(struct fanin_node *parent, uint64_t id,
				  uint32_t depth, uint32_t root,
				  enum fanin_kind kind, int64_t nkids);

/* Called for each node whose subtree is complete, before it is added into
 * its parent and freed; by the thread that completed it. */
typedef void fanin_done_fn(struct fanin_node *n, void *arg);

/* Account an item of `kind` that has no node of its own under parent p
 * (not NULL), then complete p and its ancestors as their pending reach
 * zero, calling done(node, arg) for each. Returns the root item's node when
 * it was completed (already passed to done, not yet freed: free it with
 * fanin_node_free), else NULL. */
struct fanin_node *fanin_account(struct fanin_node *p, enum fanin_kind kind,
				 fanin_done_fn *done, void *arg);

/* `comments` of a node: the live comments strictly below it. */
static inline uint64_t fanin_comments(struct fanin_node *n)
{
	return atomic_load(&n->below[FANIN_LIVE]);
}

void fanin_node_free(struct fanin_node *n);

#endif
