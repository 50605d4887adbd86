/* crawl_int.h — what crawl.c (the pool, the roots, the results) and
 * worker.c (a worker's loop) share. Not for other modules: crawl.h is the
 * crawl's interface. See crawl.c for the design, the threads and what
 * guards what. */
#ifndef HNBATCH_CRAWL_INT_H
#define HNBATCH_CRAWL_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "crawl.h"
#include "dueheap.h"
#include "fanin.h"
#include "item.h"
#include "limit.h"
#include "workq.h"

struct root {
	uint64_t id;
	struct fanin fan;         /* seen set; items not yet accounted for */
	atomic_uint_fast64_t n[FANIN_NKINDS]; /* reachable items by kind */
	atomic_uint_fast64_t depth, fetches, claimed;
	atomic_int done;          /* result written */
	atomic_int capped;        /* --max-root-items hit (logged once) */
	char *title;              /* written by the worker of the root item
	                             before it pushes the kids; read by the
	                             workers of its subtree and at completion */
	int has_descendants, is_null;
	int64_t descendants;
	pthread_mutex_t hot_mu;   /* guards the three below */
	bool has_hot;
	uint64_t hot_id, hot_comments;
};

struct retry {
	double due;
	struct work w;
};

struct worker {
	struct crawl *c;
	pthread_t th;
	struct fetcher *f;
	size_t window;
	struct work *ctx;         /* window transfer contexts */
	size_t *ctx_load;         /* for each: in flight when it started
	                             (-c auto's unloaded answers) */
	size_t *ctx_free, nctx_free;
	struct work *popbuf;
	struct work *pushbuf;
	size_t pushcap;
	struct dueheap heap;      /* struct retry on due; at a stop, also
	                             the work never started (due INF) */
	struct item_parser *parser;
	struct item item;
	char *url;                /* "API/item/" + room for "ID.json" */
	uint64_t rng;
	struct limit_batch batch; /* -c auto: measured since the last feed */
	atomic_int hungry;
};

struct crawl {
	struct crawl_opts o;
	size_t prefix_len;        /* strlen(API) + strlen("/item/") */
	struct root *roots;
	struct root_result *results;
	size_t nroots;
	struct workq q;
	struct worker *workers;
	size_t nworkers;          /* set up workers: written under mu by main
	                             before they start and after they are
	                             joined; read by finish() under mu */
	size_t nfree;             /* workers to free in crawl_free (main):
	                             closing their connections takes time */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct limiter lim;       /* the limit of requests in flight (its own
	                             lock; fixed when -c N: floor = ceiling) */
	int lim_auto;             /* -c auto: workers feed lim */
	atomic_int stop;
	atomic_int run_capped;    /* --max-items hit (logged once) */
	atomic_uint_fast64_t roots_done, items, fetches, failed;
	atomic_uint_fast64_t inflight;  /* lim's tokens taken (worker.c) */
	atomic_uint_fast64_t claimed;
	atomic_uint_fast64_t by_reason[FAIL_NREASONS];
	double t0;               /* set by crawl_new, read-only after */
	_Atomic double t1;      /* 0 while running */
};

/* crawl.c: set `stop` once (the first reason wins) and wake everyone. */
void crawl_finish(struct crawl *c, enum crawl_stop why);

/* crawl.c: item w (fetched, missing or failed) has no node of its own:
 * account it as `kind` into its parent's node, completing nodes upward,
 * or complete its root when it is the root item. */
void crawl_account(struct crawl *c, const struct work *w,
		   enum fanin_kind kind);

/* crawl.c: the kids of item w (of `kind`) are claimed: give it a node with
 * `nkids` pending. NULL on out of memory (the caller accounts the kids as
 * failed and the item as a leaf). */
struct fanin_node *crawl_node(struct crawl *c, const struct work *w,
			      enum fanin_kind kind, size_t nkids);

/* crawl.c: one fewer item outstanding for root w->root (after the item's
 * kids were added to it). */
void crawl_item_done(struct crawl *c, const struct work *w);

/* crawl.c: count n items of root i as failed for `why`. */
void crawl_count_failed(struct crawl *c, uint32_t root, enum fail_reason why,
			uint64_t n);

/* admit.c: take up to want tokens of the limit (the number taken; a
 * refusal counted in the batch as blocked); the worker's share of the
 * limit (what it may have in flight); wake one worker that waits with room
 * to spare; hand the batch to the limiter (-c auto; -v logs a change). */
size_t admit_tokens(struct worker *wk, size_t want);
size_t admit_share(const struct worker *wk);
void admit_wake_one(struct crawl *c, struct worker *self);
void admit_feed(struct worker *wk);

/* worker.c */
int worker_init(struct crawl *c, struct worker *wk, size_t window,
		uint64_t seed);
void *worker_main(void *arg);
/* After the join: hand every work never finished to fn (queue excluded). */
void worker_each_unfinished(struct worker *wk,
			    void (*fn)(const struct work *w, void *arg),
			    void *arg);
void worker_free(struct worker *wk);

#endif
