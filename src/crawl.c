/* crawl.c — the crawl: a pool of workers (worker.c) that fetch and count
 * comment trees, the fan-in at every node, and the results.
 *
 * DESIGN
 * Threads: main runs crawl_run(); it starts `threads` workers and waits on
 * `mu`/`cv` until `stop` is set, then joins every worker. Each worker owns a
 * fetcher (one curl multi handle with a window of transfers), an item parser
 * and a heap of delayed retries; nothing of that is shared.
 *
 * In flight: `lim` (limit.c) is the limit over all workers: fixed with
 * -c N, adaptive with -c auto (workers feed it answer times). Its tokens
 * are the atomic `inflight`; a worker's share is limit_share() within
 * its slots (at a small limit a few keep busy, the rest sleep). A worker
 * starts the kids it pushes itself, on its next turn; one waiting in
 * fetcher_wait() with room in its share (`hungry`) is woken with
 * fetcher_wakeup(), one at a time, by a worker at its share while tokens
 * and queued work are left over, so threads the work does not need sleep
 * (worker.c, admit.c).
 *
 * Shared state and what guards it:
 *   q              the work queue (its own mutex); a heap of struct work
 *   roots[i].fan   seen set (own mutex) + items outstanding (atomic)
 *   roots[i] counters   C11 atomics, any worker
 *   roots[i].title/descendants/is_null   written by the one worker that
 *                  handles the root item before it pushes the kids (the
 *                  queue's mutex orders it before their handling), read at
 *                  completion or after join
 *   roots[i].hot_* the hottest top-level comment so far, under hot_mu
 *   nodes          atomic pending counts and totals (fanin.h); a node whose
 *                  pending reached zero belongs to the thread that did it
 *   results[i]     written by the thread that completes root i, read by
 *                  main after join
 *   stop           atomic; set once (first reason wins) by crawl_finish()
 *   workers[i].hungry   atomic: worker i waits in curl with room to spare
 *   lim            its own mutex; limit_get() lock-free
 *   inflight       atomic: tokens of lim taken (compare-and-swap)
 *
 * Fan-in at every node: a worker that has an item's answer claims its
 * unseen kids in the root's seen set; when there are any, the item gets a
 * node with that many pending and its kids are pushed with the node as
 * their parent; otherwise (and for a missing or failed item) it is
 * accounted into its parent's node at once. A node whose pending reaches
 * zero is complete (node_done: a hot subthread is reported, the hottest
 * top-level comment noted), is added into its parent, and the same thread
 * goes on upward (fanin_account: a loop). The root item's node is the top:
 * its completion completes the root, and the thread that completes the
 * last root ends the crawl. A root's counters are also counted directly
 * per item, so a stopped crawl reports what it had.
 *
 * Shutdown: crawl_finish() sets `stop`, closes the queue (the exit sentinel
 * that wakes every waiter), wakes every fetcher and signals main. Workers
 * return at the top of their loop, abandoning transfers in flight. Items
 * never accounted for stay in their root's outstanding count; after the
 * join they are reported as failed ("not fetched") in a root that is
 * partial or interrupted, so a stopped crawl never looks complete, and the
 * nodes above them are found from the work left (queue, heaps, transfers)
 * and freed.
 */
#include "crawl.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "crawl_int.h"
#include "log.h"

const char *crawl_reason_str(enum fail_reason r)
{
	static const char *s[FAIL_NREASONS] = {
		"timeout", "connect error", "network error", "body too large",
		"HTTP error", "not JSON", "wrong field type", "wrong id",
		"out of memory", "not fetched", "item cap",
	};
	return r < FAIL_NREASONS ? s[r] : "?";
}

void crawl_finish(struct crawl *c, enum crawl_stop why)
{
	int expected = CRAWL_RUNNING;
	if (!atomic_compare_exchange_strong(&c->stop, &expected, (int)why))
		return;
	workq_close(&c->q);
	pthread_mutex_lock(&c->mu);
	/* c->mu is held: the set of workers cannot change under us */
	for (size_t i = 0; i < c->nworkers; i++)
		fetcher_wakeup(c->workers[i].f);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

void crawl_cancel(struct crawl *c, enum crawl_stop why)
{
	crawl_finish(c, why);
}

void crawl_count_failed(struct crawl *c, uint32_t root, enum fail_reason why,
			uint64_t n)
{
	atomic_fetch_add(&c->roots[root].n[FANIN_FAILED], n);
	atomic_fetch_add(&c->failed, n);
	atomic_fetch_add(&c->by_reason[why], n);
}

/* Fill results[i] from roots[i]. `unfinished` items become failed. */
static void make_result(struct crawl *c, size_t i, enum root_status forced)
{
	struct root *r = &c->roots[i];
	struct root_result *res = &c->results[i];
	res->id = r->id;
	res->title = r->title;
	r->title = NULL;
	res->comments = atomic_load(&r->n[FANIN_LIVE]);
	res->deleted = atomic_load(&r->n[FANIN_DELETED]);
	res->dead = atomic_load(&r->n[FANIN_DEAD]);
	res->missing = atomic_load(&r->n[FANIN_MISSING]);
	res->failed = atomic_load(&r->n[FANIN_FAILED]);
	res->depth = atomic_load(&r->depth);
	res->has_descendants = r->has_descendants;
	res->descendants = r->descendants;
	res->fetches = atomic_load(&r->fetches);
	res->elapsed_ms = (uint64_t)(clock_now_ms() - c->t0);
	pthread_mutex_lock(&r->hot_mu);
	res->has_hottest = r->has_hot && res->comments > 0;
	res->hottest_id = res->has_hottest ? r->hot_id : 0;
	res->hottest_comments = res->has_hottest ? r->hot_comments : 0;
	pthread_mutex_unlock(&r->hot_mu);
	if (forced != ROOT_COMPLETE) {
		int64_t left = fanin_pending(&r->fan);
		if (left > 0) {
			res->failed += (uint64_t)left;
			atomic_fetch_add(&c->failed, (uint64_t)left);
			atomic_fetch_add(&c->by_reason[FAIL_UNFETCHED],
					 (uint64_t)left);
		}
		res->status = forced;
	} else if (r->is_null) {
		res->status = ROOT_MISSING;
	} else {
		res->status = res->failed ? ROOT_PARTIAL : ROOT_COMPLETE;
	}
	atomic_store(&r->done, 1);
}

/* The calling worker accounted for the last item of root i. */
static void complete_root(struct crawl *c, size_t i)
{
	make_result(c, i, ROOT_COMPLETE);
	const struct root_result *res = &c->results[i];
	if (c->o.on_root)
		c->o.on_root(res, c->o.on_root_arg);
	if (c->o.fail_fast && res->status != ROOT_COMPLETE)
		crawl_finish(c, CRAWL_FAIL_FAST);
	if (atomic_fetch_add(&c->roots_done, 1) + 1 == c->nroots)
		crawl_finish(c, CRAWL_DONE);
}

/* A top-level comment with `comments` below it: the hottest so far? */
static void hot_candidate(struct root *r, uint64_t id, uint64_t comments)
{
	pthread_mutex_lock(&r->hot_mu);
	if (!r->has_hot || comments > r->hot_comments ||
	    (comments == r->hot_comments && id < r->hot_id)) {
		r->has_hot = true;
		r->hot_id = id;
		r->hot_comments = comments;
	}
	pthread_mutex_unlock(&r->hot_mu);
}

/* fanin_account's callback: node n's subtree is complete. */
static void node_done(struct fanin_node *n, void *arg)
{
	struct crawl *c = arg;
	if (n->depth == 0)
		return;
	struct root *r = &c->roots[n->root];
	uint64_t comments = fanin_comments(n);
	if (n->depth == 1)
		hot_candidate(r, n->id, comments);
	if (c->o.on_subthread && c->o.subthread_threshold >= 0 &&
	    comments > (uint64_t)c->o.subthread_threshold) {
		struct subthread s = {
			.id = n->id, .root_id = r->id, .root_title = r->title,
			.comments = comments, .depth = n->depth,
			.lower_bound = atomic_load(&n->below[FANIN_FAILED]) > 0,
		};
		c->o.on_subthread(&s, c->o.on_root_arg);
	}
}

void crawl_account(struct crawl *c, const struct work *w,
		   enum fanin_kind kind)
{
	if (!w->parent) { /* the root item, with no node: the tree is done */
		complete_root(c, w->root);
		return;
	}
	if (w->depth == 1 && kind <= FANIN_DEAD)
		hot_candidate(&c->roots[w->root], w->id, 0);
	struct fanin_node *top = fanin_account(w->parent, kind, node_done, c);
	if (top) {
		complete_root(c, top->root);
		fanin_node_free(top);
	}
}

struct fanin_node *crawl_node(struct crawl *c, const struct work *w,
			      enum fanin_kind kind, size_t nkids)
{
	(void)c;
	return fanin_node_new(w->parent, w->id, w->depth, w->root, kind,
			      (int64_t)nkids);
}

void crawl_item_done(struct crawl *c, const struct work *w)
{
	fanin_done(&c->roots[w->root].fan);
}

/* ---- setup and teardown ---- */

struct crawl *crawl_new(const struct crawl_opts *o, const uint64_t *roots,
			size_t n)
{
	struct crawl *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->o = *o;
	if (c->o.threads == 0)
		c->o.threads = 1;
	if (c->o.concurrency && c->o.concurrency < c->o.threads)
		c->o.threads = c->o.concurrency;
	c->lim_auto = c->o.concurrency == 0;
	struct limit_opts lo = { c->o.concurrency, c->o.concurrency,
				 c->o.concurrency, 0 };
	if (c->lim_auto)
		lo = limit_auto(c->o.max_concurrency, c->o.threads);
	if (c->o.backoff.base_ms <= 0)
		c->o.backoff = backoff_fetch;
	c->nroots = n;
	c->prefix_len = strlen(c->o.api) + strlen("/item/");
	c->t0 = clock_now_ms(); /* here, before any thread can read it */
	c->roots = calloc(n ? n : 1, sizeof *c->roots);
	c->results = calloc(n ? n : 1, sizeof *c->results);
	if (!c->roots || !c->results || limit_init(&c->lim, &lo) != 0 ||
	    workq_init(&c->q) != 0 ||
	    pthread_mutex_init(&c->mu, NULL) != 0 ||
	    clock_cond_init(&c->cv) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		c->roots[i].id = roots[i];
		atomic_init(&c->roots[i].claimed, 1);
		if (fanin_init(&c->roots[i].fan, roots[i]) != 0 ||
		    pthread_mutex_init(&c->roots[i].hot_mu, NULL) != 0)
			goto fail; /* leaks little: out of memory at start */
	}
	atomic_init(&c->claimed, n);
	return c;
fail:
	free(c->roots);
	free(c->results);
	free(c);
	return NULL;
}

/* Set up the workers and push the root items. The number set up. */
static size_t start_workers(struct crawl *c)
{
	size_t nw = c->o.threads, ready;
	c->workers = calloc(nw, sizeof *c->workers);
	if (!c->workers) {
		crawl_finish(c, CRAWL_ERROR);
		return 0;
	}
	/* room for the ceiling's share, set up as used; no more: a worker
	 * keeps up to `win` connections, all within the open files (run.c) */
	size_t win = (c->lim.o.ceiling + nw - 1) / nw;
	for (ready = 0; ready < nw; ready++) {
		if (worker_init(c, &c->workers[ready], win, ready + 1) != 0) {
			worker_free(&c->workers[ready]);
			log_error("cannot set up worker %zu", ready);
			crawl_finish(c, CRAWL_ERROR);
			break;
		}
	}
	pthread_mutex_lock(&c->mu);
	c->nworkers = c->nfree = ready;
	pthread_mutex_unlock(&c->mu);
	struct work *w = ready == nw
		? malloc((c->nroots ? c->nroots : 1) * sizeof *w) : NULL;
	for (size_t i = 0; w && i < c->nroots; i++)
		w[i] = (struct work){ .id = c->roots[i].id,
				      .root = (uint32_t)i };
	if (ready == nw && (!w || workq_push(&c->q, w, c->nroots) != 0))
		crawl_finish(c, CRAWL_ERROR);
	free(w);
	return ready;
}

/* Main: wait until the crawl stops, or its deadline comes. */
static void wait_for_stop(struct crawl *c)
{
	pthread_mutex_lock(&c->mu);
	while (!atomic_load(&c->stop)) {
		double left = -1;
		if (c->o.deadline_ms > 0) {
			left = c->o.deadline_ms - clock_now_ms();
			if (left <= 0) {
				pthread_mutex_unlock(&c->mu);
				log_error("--deadline reached: stopping");
				crawl_finish(c, CRAWL_DEADLINE);
				pthread_mutex_lock(&c->mu);
				break;
			}
		}
		clock_cond_wait_ms(&c->cv, &c->mu, left < 0 ? -1
							   : fmin(left, 1000));
	}
	pthread_mutex_unlock(&c->mu);
}

/* The nodes above the work that was never finished, once each. */
struct orphans {
	struct u64set seen;       /* node addresses */
	int oom;
};

static void orphan_chain(const struct work *w, void *arg)
{
	struct orphans *o = arg;
	for (struct fanin_node *n = w->parent; n; n = n->parent) {
		int added = u64set_add(&o->seen, (uint64_t)(uintptr_t)n);
		if (added < 0)
			o->oom = 1;
		if (added <= 0)
			break; /* known, and so are its ancestors */
	}
}

/* After the join: free every node left by a stopped crawl. */
static void free_orphans(struct crawl *c, size_t nworkers)
{
	struct orphans o = { .oom = 0 };
	u64set_init(&o.seen);
	struct work w;
	while (workq_pop(&c->q, &w, 1, 0) == 1)
		orphan_chain(&w, &o);
	for (size_t i = 0; i < nworkers; i++)
		worker_each_unfinished(&c->workers[i], orphan_chain, &o);
	for (size_t i = 0; i < o.seen.n; i++)
		fanin_node_free((struct fanin_node *)(uintptr_t)o.seen.ids[i]);
	if (o.oom)
		log_error("out of memory while freeing (a leak at exit)");
	u64set_free(&o.seen);
}

int crawl_fetch(struct crawl *c, uint64_t id, uint32_t tag)
{
	if (atomic_load(&c->stop) || tag == UINT32_MAX)
		return -1;
	struct work w = { .id = id, .tag = tag + 1 };
	if (workq_push(&c->q, &w, 1) != 0)
		return -1;
	/* a worker waiting in curl with room is woken; one blocked on the
	 * queue wakes by its condvar */
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->nworkers; i++)
		if (atomic_exchange(&c->workers[i].hungry, 0)) {
			fetcher_wakeup(c->workers[i].f);
			break;
		}
	pthread_mutex_unlock(&c->mu);
	return 0;
}

enum crawl_stop crawl_run(struct crawl *c)
{
	if (c->nroots == 0 && !c->o.persistent) {
		atomic_store(&c->t1, c->t0);
		return CRAWL_DONE;
	}
	size_t ready = start_workers(c), started = 0;
	for (; ready == c->o.threads && !atomic_load(&c->stop) &&
	       started < ready; started++)
		if (pthread_create(&c->workers[started].th, NULL, worker_main,
				   &c->workers[started]) != 0) {
			log_error("cannot start worker thread %zu", started);
			crawl_finish(c, CRAWL_ERROR);
			break;
		}
	wait_for_stop(c);
	for (size_t i = 0; i < started; i++)
		pthread_join(c->workers[i].th, NULL);
	atomic_store(&c->t1, clock_now_ms());
	enum crawl_stop why = (enum crawl_stop)atomic_load(&c->stop);
	enum root_status forced =
		why == CRAWL_SIGINT || why == CRAWL_SIGTERM ? ROOT_INTERRUPTED
							    : ROOT_PARTIAL;
	for (size_t i = 0; i < c->nroots; i++)
		if (!atomic_load(&c->roots[i].done))
			make_result(c, i, forced);
	free_orphans(c, ready);
	pthread_mutex_lock(&c->mu);
	c->nworkers = 0;   /* freed in crawl_free, once the results are out */
	pthread_mutex_unlock(&c->mu);
	return why;
}

/* ", K failed (reason: n, ...)" into buf, or "" when nothing failed. */
static void failures(const struct crawl_stats *st, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!st->failed)
		return;
	size_t o = (size_t)snprintf(buf, len, ", %llu failed (",
				    (unsigned long long)st->failed);
	const char *sep = "";
	for (int i = 0; i < FAIL_NREASONS && o < len; i++) {
		if (!st->by_reason[i])
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s: %llu", sep,
				      crawl_reason_str((enum fail_reason)i),
				      (unsigned long long)st->by_reason[i]);
		sep = ", ";
	}
	if (o < len)
		snprintf(buf + o, len - o, ")");
}

void crawl_log_summary(struct crawl *c, long iteration)
{
	struct crawl_stats st;
	crawl_stats(c, &st);
	double s = st.ms / 1000.0;
	char it[32] = "", fails[512];
	if (iteration >= 0)
		snprintf(it, sizeof it, "iteration %ld: ", iteration);
	failures(&st, fails, sizeof fails);
	char conc[96] = "";
	if (c->lim_auto) {
		size_t lo, hi, now;
		unsigned n;
		limit_range(&c->lim, &lo, &hi, &now, &n);
		snprintf(conc, sizeof conc, ", concurrency auto %zu-%zu, "
			 "settled at %zu", lo, hi, now);
	}
	log_info("%s%llu roots, %llu items, %llu fetches, %.2fs, %.0f items/s"
		 "%s%s", it, (unsigned long long)st.roots,
		 (unsigned long long)st.items, (unsigned long long)st.fetches,
		 s, s > 0 ? (double)st.items / s : 0.0, conc, fails);
}

struct root_result *crawl_results(struct crawl *c, size_t *n)
{
	*n = c->nroots;
	return c->results;
}

void crawl_stats(struct crawl *c, struct crawl_stats *s)
{
	memset(s, 0, sizeof *s);
	s->roots = c->nroots;
	s->roots_done = atomic_load(&c->roots_done);
	s->items = atomic_load(&c->items);
	s->fetches = atomic_load(&c->fetches);
	s->failed = atomic_load(&c->failed);
	s->inflight = atomic_load(&c->inflight);
	for (int i = 0; i < FAIL_NREASONS; i++)
		s->by_reason[i] = atomic_load(&c->by_reason[i]);
	double t1 = atomic_load(&c->t1);
	s->ms = (t1 > 0 ? t1 : clock_now_ms()) - c->t0;
}

void crawl_free(struct crawl *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nfree; i++)
		worker_free(&c->workers[i]);
	for (size_t i = 0; i < c->nroots; i++) {
		fanin_destroy(&c->roots[i].fan);
		pthread_mutex_destroy(&c->roots[i].hot_mu);
		free(c->roots[i].title);
		free(c->results[i].title);
	}
	free(c->roots);
	free(c->results);
	free(c->workers);
	workq_destroy(&c->q);
	limit_destroy(&c->lim);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}
