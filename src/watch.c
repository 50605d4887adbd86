/* watch.c — --watch (see watch.h).
 *
 * DESIGN
 * Threads: the pool is a persistent crawl (crawl_fetch: fetch an item,
 * hand its answer back, count nothing) whose crawl_run() has a thread of
 * its own; its workers deliver answers through on_fetched() into `inbox`
 * (under `mu`) and wake the watch's thread, which is main: it alone owns
 * the streams' fetcher, the trees, the roots and everything below `mu` in
 * struct watch. watch_cancel() sets `stop` under `mu` and wakes it.
 *
 * The trees (wtree.h) hold every item of every watched root. A root is
 * crawled item by item through the pool (R_CRAWL: each answer's kids not
 * yet in the trees are asked for in turn); its record is written when no
 * fetch of its tree is in flight (settled), and then each time a change
 * settles and its counts differ (wreport.c).
 *
 * Streams (wstream.h), opened before the first crawl:
 *   maxitem   every id above the last one seen is asked for once (R_NEW).
 *             An item whose parent is in the trees joins them; one whose
 *             parent is unknown has its parent chain asked for upward
 *             (R_CHAIN) until a node of the trees or an unwatched story is
 *             reached (ids found outside are remembered: asked once). New
 *             ids answering null or failing are asked again with backoff.
 *   updates   a watched item named is asked for again (R_UPDATE): its kind
 *             may change, kids it lists anew are crawled, kids it no
 *             longer lists leave with their subtree.
 *   lists     --top N etc.: a story that enters is crawled and watched,
 *             one that leaves gets a last record ("left").
 * After a reconnection maxitem catches up by its ids; updates cannot say
 * what changed meanwhile, so every root is re-crawled (a resync).
 *
 * Resync (--resync S): every S seconds each root is crawled again in full
 * into a shadow tree, one root at a time, spread over the period; when it
 * is done and the root did not change meanwhile, its counts are compared
 * with the incremental ones (drift is logged and the shadow adopted).
 *
 * Shutdown: a signal or the deadline stops the loop; the streams close,
 * the pool is cancelled and joined, the last records are written.
 */
#include "watch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "clock.h"
#include "item.h"
#include "log.h"
#include "text.h"
#include "watch_int.h"

/* ---- the pool's side -------------------------------------------------- */

void watch_answer_free(struct answer *a)
{
	if (a) {
		free(a->kids);
		free(a->title);
		free(a);
	}
}

/* on_fetched, on a worker: copy the answer out, wake the watch. */
static void on_fetched(const struct fetched *f, void *arg)
{
	struct watch *w = arg;
	struct answer *a = calloc(1, sizeof *a);
	if (!a)
		return; /* its request stays open: the root never settles */
	a->tag = f->tag;
	a->failed = f->failed;
	a->reason = f->reason;
	a->is_null = f->is_null;
	const struct item *it = f->item;
	if (it) {
		a->parent = it->parent;
		a->story = it->type == ITEM_STORY || it->type == ITEM_JOB ||
			   it->type == ITEM_POLL || !it->parent;
		a->kind = it->deleted ? WK_DELETED : it->dead ? WK_DEAD
							       : WK_LIVE;
		a->has_desc = it->has_descendants;
		a->desc = it->descendants;
		a->title = it->title ? text_clean(it->title) : NULL;
		if (it->nkids && (a->kids = malloc(it->nkids *
						   sizeof *a->kids)))
			memcpy(a->kids, it->kids, it->nkids * sizeof *a->kids);
		a->nkids = a->kids ? it->nkids : 0;
	}
	pthread_mutex_lock(&w->mu);
	*w->intail = a;
	w->intail = &a->next;
	pthread_mutex_unlock(&w->mu);
	fetcher_wakeup(w->sf);
}

static void *pool_main(void *arg)
{
	struct watch *w = arg;
	crawl_run(w->pool);
	return NULL;
}

/* ---- requests ---------------------------------------------------------- */

void watch_submit(struct watch *w, enum rkind kind, uint64_t id,
		   uint32_t root, uint64_t parent, unsigned attempt)
{
	uint32_t tag;
	if (w->nfree) {
		tag = w->freereq[--w->nfree];
	} else {
		if (w->nreqs == w->reqcap) {
			size_t cap = w->reqcap ? w->reqcap * 2 : 256;
			struct req *r = realloc(w->reqs, cap * sizeof *r);
			uint32_t *f = realloc(w->freereq, cap * sizeof *f);
			if (r)
				w->reqs = r;
			if (f)
				w->freereq = f;
			if (!r || !f) {
				log_error("watch: out of memory");
				w->failed = 1;
				return;
			}
			w->reqcap = cap;
		}
		tag = (uint32_t)w->nreqs++;
	}
	struct req *q = &w->reqs[tag];
	*q = (struct req){ .id = id, .parent = parent, .root = root,
			   .kind = (uint8_t)kind, .used = 1,
			   .attempt = attempt, .maxitem = w->maxitem };
	int rooted = kind == R_CRAWL || kind == R_UPDATE;
	if (rooted || kind == R_RESYNC) {
		q->epoch = w->roots[root].epoch;
		w->roots[root].fetches++;
	}
	if (rooted)
		w->roots[root].pending++;
	if (kind == R_RESYNC)
		w->rs_pending++;
	if (kind == R_NEW)
		u64set_add(&w->newing, id);
	static const enum wstat stat[] = { WS_CRAWL, WS_UPDATES, WS_NEW,
					   WS_CHAIN, WS_RESYNC };
	w->stats[stat[kind]]++;
	w->stats[WS_FETCHES]++;
	if (crawl_fetch(w->pool, id, tag) != 0) {
		q->used = 0;
		w->freereq[w->nfree++] = tag;
		if (rooted)
			w->roots[root].pending--;
		if (kind == R_RESYNC)
			w->rs_pending--;
		if (kind == R_NEW)
			u64set_remove(&w->newing, id);
	}
}

/* ---- the loop ----------------------------------------------------------- */

/* Roots whose tree is settled (nothing in flight) and changed: a record. */
static void settle(struct watch *w)
{
	for (size_t i = 0; i < w->nroots; i++) {
		struct wroot *r = &w->roots[i];
		if (!r->active || r->pending || (!r->dirty && r->crawled))
			continue;
		r->crawled = 1;
		r->dirty = 0;
		wreport_root(w->rep, (uint32_t)i, 0, ROOT_COMPLETE);
	}
}

static int stopping(struct watch *w)
{
	pthread_mutex_lock(&w->mu);
	int s = w->stop;
	pthread_mutex_unlock(&w->mu);
	return s;
}

/* Connect and check the streams; ms until one needs a look. */
static double streams_tick(struct watch *w)
{
	double stall = w->o.cfg->stream_timeout_s * 1000, tmo = 1e9;
	tmo = fmin(tmo, wstream_tick(&w->s_maxitem, w->sf, stall));
	tmo = fmin(tmo, wstream_tick(&w->s_updates, w->sf, stall));
	for (size_t i = 0; i < w->nlists; i++)
		tmo = fmin(tmo, wstream_tick(&w->lists[i], w->sf, stall));
	return tmo;
}

static struct wstream *stream_of(struct watch *w, void *user)
{
	if (user == &w->s_maxitem || user == &w->s_updates)
		return user;
	for (size_t i = 0; i < w->nlists; i++)
		if (user == &w->lists[i])
			return user;
	return NULL;
}

/* One turn: answers, due retries, resync, records; then the wait. */
static int turn(struct watch *w)
{
	double now = clock_now_ms();
	watch_take_answers(w);
	watch_due_retries(w, now);
	if (!w->started && now - w->t0 >= w->o.cfg->stream_timeout_s * 1e3) {
		log_error("stream maxitem: no value in %g s: crawling without "
			  "it (new items are seen once it comes)",
			  w->o.cfg->stream_timeout_s);
		w->started = 1;
		watch_start_roots(w);
	}
	double tmo = fmin(streams_tick(w), watch_resync_tick(w, now));
	settle(w);
	tmo = fmin(tmo, wreport_tick(w->rep));
	if (w->heap.n)
		tmo = fmin(tmo, dueheap_due(&w->heap) - now);
	if (w->o.deadline_ms > 0) {
		if (now >= w->o.deadline_ms) {
			log_info("--deadline reached: stopping");
			return 0;
		}
		tmo = fmin(tmo, w->o.deadline_ms - now);
	}
	if (stopping(w))
		return 0;
	if (fetcher_wait(w->sf, (int)fmax(0, fmin(tmo, 1000)) + 1, NULL,
			 NULL, NULL, 0) != 0)
		return -1;
	struct fetch_done d;
	while (fetcher_next(w->sf, &d)) {
		struct wstream *s = stream_of(w, d.user);
		if (s)
			wstream_ended(s, &d);
	}
	return 1;
}

int watch_run(struct watch *w)
{
	w->t0 = clock_now_ms();
	if (pthread_create(&w->pool_th, NULL, pool_main, w) != 0) {
		log_error("cannot start the worker pool");
		return 1;
	}
	w->pool_started = 1;
	int rc;
	while ((rc = turn(w)) > 0)
		;
	if (rc < 0) {
		log_error("watch: waiting for the streams failed");
		w->failed = 1;
	}
	wstream_close(&w->s_maxitem, w->sf);
	wstream_close(&w->s_updates, w->sf);
	for (size_t i = 0; i < w->nlists; i++)
		wstream_close(&w->lists[i], w->sf);
	crawl_cancel(w->pool, CRAWL_DEADLINE);
	pthread_join(w->pool_th, NULL);
	w->pool_started = 0;
	watch_take_answers(w); /* what came in last: settles what it can */
	settle(w);
	pthread_mutex_lock(&w->mu);
	int signo = w->signo;
	pthread_mutex_unlock(&w->mu);
	wreport_end(w->rep, signo ? ROOT_INTERRUPTED : ROOT_PARTIAL);
	return w->failed;
}

void watch_cancel(struct watch *w, int signo)
{
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	if (!w->signo)
		w->signo = signo;
	pthread_mutex_unlock(&w->mu);
	fetcher_wakeup(w->sf);
}

/* ---- setup -------------------------------------------------------------- */

static int streams_init(struct watch *w)
{
	const struct config *cfg = w->o.cfg;
	if (wstream_init(&w->s_maxitem, cfg->api, "maxitem", FBS_MAXITEM,
			 watch_on_maxitem, w) != 0 ||
	    wstream_init(&w->s_updates, cfg->api, "updates", FBS_UPDATES,
			 watch_on_updates, w) != 0)
		return -1;
	for (size_t k = 0; k < cfg->nsrc; k++)
		w->nlists += cfg->src[k].kind == SRC_LIST;
	w->lists = calloc(w->nlists ? w->nlists : 1, sizeof *w->lists);
	if (!w->lists)
		return -1;
	for (size_t k = 0, l = 0; k < cfg->nsrc; k++)
		if (cfg->src[k].kind == SRC_LIST &&
		    wstream_init(&w->lists[l++], cfg->api, cfg->src[k].arg,
				 FBS_LIST, watch_on_list, w) != 0)
			return -1;
	return 0;
}

struct watch *watch_new(const struct watch_opts *o)
{
	struct watch *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	dueheap_init(&w->heap, sizeof(struct timed));
	w->o = *o;
	w->intail = &w->inbox;
	w->rs_root = UINT32_MAX;
	u64set_init(&w->unwatched);
	u64set_init(&w->waiting);
	u64set_init(&w->alerted);
	u64set_init(&w->updating);
	u64set_init(&w->again);
	u64set_init(&w->newing);
	pthread_mutex_init(&w->mu, NULL);
	struct fetch_opts so = o->fetch;
	so.timeout_ms = 0; /* streams: no end to wait for */
	const struct config *cfg = o->cfg;
	struct crawl_opts co = {
		.api = cfg->api, .threads = cfg->threads,
		.concurrency = o->concurrency, .fetch = o->fetch,
		.retries = cfg->retries, .persistent = 1,
		.on_fetched = on_fetched,
		.on_fetched_arg = w,
	};
	w->sf = fetcher_new(&so, 2 + cfg->nsrc);
	w->tree = wtree_new();
	w->pool = crawl_new(&co, NULL, 0);
	w->rep = w->tree ? wreport_new(w) : NULL;
	if (!w->sf || !w->tree || !w->pool || !w->rep ||
	    streams_init(w) != 0) {
		watch_free(w);
		return NULL;
	}
	return w;
}

void watch_free(struct watch *w)
{
	if (!w)
		return;
	if (w->pool_started) {
		crawl_cancel(w->pool, CRAWL_ERROR);
		pthread_join(w->pool_th, NULL);
	}
	watch_take_answers(w);
	wstream_free(&w->s_maxitem);
	wstream_free(&w->s_updates);
	for (size_t i = 0; w->lists && i < w->nlists; i++)
		wstream_free(&w->lists[i]);
	free(w->lists);
	watch_free_orphans(w);
	wreport_free(w->rep);
	for (size_t i = 0; i < w->nroots; i++) {
		free(w->roots[i].title);
		free(w->roots[i].last.title);
	}
	free(w->roots);
	free(w->reqs);
	free(w->freereq);
	dueheap_free(&w->heap);
	free(w->upd_prev);
	u64set_free(&w->unwatched);
	u64set_free(&w->waiting);
	u64set_free(&w->alerted);
	u64set_free(&w->updating);
	u64set_free(&w->again);
	u64set_free(&w->newing);
	free(w->claims);
	wtree_free(w->tree);
	wtree_free(w->shadow);
	crawl_free(w->pool);
	fetcher_free(w->sf);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

