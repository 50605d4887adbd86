/* crawl.c — the worker pool that fetches and counts comment trees.
 *
 * DESIGN
 * Threads: main runs crawl_run(); it starts `threads` workers and waits on
 * `mu`/`cv` until `stop` is set, then joins every worker. Each worker owns a
 * fetcher (one curl multi handle with a window of transfers), an item parser
 * and a heap of delayed retries; nothing of that is shared.
 *
 * Shared state and what guards it:
 *   q              the work queue (its own mutex); LIFO of struct work
 *   roots[i].fan   atomic pending counter + seen set (own mutex), fanin.h
 *   roots[i] counters   C11 atomics, any worker
 *   roots[i].title/descendants/is_null   written by the one worker that
 *                  handles the root item, read after the fan-in completes
 *                  (the atomic pending counter orders it) or after join
 *   results[i]     written by the thread that completes root i, read by
 *                  main after join
 *   stop           atomic; set once (first reason wins) by finish()
 *   workers[i].hungry   atomic: worker i waits in curl with room to spare
 *
 * Fan-in: a worker that has an item's answer adds its unseen kids to the
 * root's pending counter and pushes them onto the queue, then decrements
 * pending for the item itself; the thread that brings it to zero completes
 * the root, and the one that completes the last root ends the crawl.
 *
 * Wakeups: a worker blocked on the queue is woken by the queue's condvar; a
 * worker waiting in fetcher_wait() with room in its window (`hungry`) is
 * woken with fetcher_wakeup() by whoever pushes work, as many such workers
 * as the new items need.
 *
 * Shutdown: finish() sets `stop`, closes the queue (the exit sentinel that
 * wakes every waiter), wakes every fetcher and signals main. Workers return
 * at the top of their loop, abandoning transfers in flight. Items never
 * accounted for stay in their root's pending count; after the join they are
 * reported as failed ("not fetched") in a root that is partial or
 * interrupted, so a stopped crawl never looks complete.
 */
#include "crawl.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "clock.h"
#include "fanin.h"
#include "item.h"
#include "log.h"
#include "text.h"
#include "workq.h"

struct root {
	uint64_t id;
	struct fanin fan;
	atomic_uint_fast64_t live, deleted, dead, missing, failed, fetches;
	atomic_uint_fast64_t depth;
	atomic_int done;          /* result written */
	char *title;              /* see DESIGN for ordering */
	int has_descendants, is_null;
	int64_t descendants;
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
	size_t *ctx_free, nctx_free;
	struct work *popbuf;
	struct work *pushbuf;
	size_t pushcap;
	struct retry *heap;       /* min-heap on due */
	size_t nheap, heapcap;
	struct item_parser *parser;
	struct item item;
	char *url;                /* "API/item/" + room for "ID.json" */
	uint64_t rng;
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
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int stop;
	atomic_uint_fast64_t roots_done, items, fetches, failed, inflight;
	atomic_uint_fast64_t by_reason[FAIL_NREASONS];
	double t0;               /* set by crawl_new, read-only after */
	_Atomic double t1;      /* 0 while running */
};

const char *crawl_reason_str(enum fail_reason r)
{
	static const char *s[FAIL_NREASONS] = {
		"timeout", "connect error", "network error", "body too large",
		"HTTP error", "not JSON", "wrong field type", "wrong id",
		"out of memory", "not fetched",
	};
	return r < FAIL_NREASONS ? s[r] : "?";
}

static void finish(struct crawl *c, enum crawl_stop why)
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
	finish(c, why);
}

/* Fill results[i] from roots[i]. `unfinished` items become failed. */
static void make_result(struct crawl *c, size_t i, enum root_status forced)
{
	struct root *r = &c->roots[i];
	struct root_result *res = &c->results[i];
	res->id = r->id;
	res->title = r->title;
	r->title = NULL;
	res->comments = atomic_load(&r->live);
	res->deleted = atomic_load(&r->deleted);
	res->dead = atomic_load(&r->dead);
	res->missing = atomic_load(&r->missing);
	res->failed = atomic_load(&r->failed);
	res->depth = atomic_load(&r->depth);
	res->has_descendants = r->has_descendants;
	res->descendants = r->descendants;
	res->fetches = atomic_load(&r->fetches);
	res->elapsed_ms = (uint64_t)(clock_now_ms() - c->t0);
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

/* The calling worker brought root i's pending count to zero. */
static void complete_root(struct crawl *c, size_t i)
{
	make_result(c, i, ROOT_COMPLETE);
	const struct root_result *res = &c->results[i];
	if (c->o.on_root)
		c->o.on_root(res, c->o.on_root_arg);
	if (c->o.fail_fast && res->status != ROOT_COMPLETE)
		finish(c, CRAWL_FAIL_FAST);
	if (atomic_fetch_add(&c->roots_done, 1) + 1 == c->nroots)
		finish(c, CRAWL_DONE);
}

static void item_accounted(struct crawl *c, struct work *w)
{
	if (fanin_done(&c->roots[w->root].fan))
		complete_root(c, w->root);
}

static void fail_item(struct worker *wk, struct work *w, enum fail_reason why,
		      const char *detail)
{
	struct crawl *c = wk->c;
	atomic_fetch_add(&c->roots[w->root].failed, 1);
	atomic_fetch_add(&c->failed, 1);
	atomic_fetch_add(&c->by_reason[why], 1);
	log_error("item %llu failed (%s/item/%llu.json): %s%s%s",
		  (unsigned long long)w->id, c->o.api,
		  (unsigned long long)w->id, crawl_reason_str(why),
		  detail && *detail ? ": " : "", detail ? detail : "");
	item_accounted(c, w);
}

/* ---- retries: a min-heap of delayed work, per worker ---- */

static int heap_push(struct worker *wk, double due, const struct work *w)
{
	if (wk->nheap == wk->heapcap) {
		size_t cap = wk->heapcap ? wk->heapcap * 2 : 16;
		struct retry *h = realloc(wk->heap, cap * sizeof *h);
		if (!h)
			return -1;
		wk->heap = h;
		wk->heapcap = cap;
	}
	size_t i = wk->nheap++;
	while (i > 0 && wk->heap[(i - 1) / 2].due > due) {
		wk->heap[i] = wk->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	wk->heap[i].due = due;
	wk->heap[i].w = *w;
	return 0;
}

static struct work heap_pop(struct worker *wk)
{
	struct work top = wk->heap[0].w;
	struct retry last = wk->heap[--wk->nheap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		double best = last.due;
		if (l < wk->nheap && wk->heap[l].due < best)
			m = l, best = wk->heap[l].due;
		if (l + 1 < wk->nheap && wk->heap[l + 1].due < best)
			m = l + 1;
		if (m == i)
			break;
		wk->heap[i] = wk->heap[m];
		i = m;
	}
	if (wk->nheap)
		wk->heap[i] = last;
	return top;
}

/* Schedule another attempt, or give up. */
static void retry_or_fail(struct worker *wk, struct work *w,
			  enum fail_reason why, const char *detail,
			  long retry_after_s)
{
	struct crawl *c = wk->c;
	if (w->attempt >= c->o.retries || atomic_load(&c->stop)) {
		fail_item(wk, w, why, detail);
		return;
	}
	double delay = backoff_delay(&c->o.backoff, w->attempt,
				     retry_after_s >= 0 ? retry_after_s * 1e3
							: -1, &wk->rng);
	log_debug("item %llu: %s%s%s; retry %u in %.0f ms",
		  (unsigned long long)w->id, crawl_reason_str(why),
		  *detail ? ": " : "", detail, w->attempt + 1, delay);
	struct work next = *w;
	next.attempt++;
	if (heap_push(wk, clock_now_ms() + delay, &next) != 0)
		fail_item(wk, w, FAIL_NOMEM, "");
}

/* ---- starting transfers ---- */

static void start_work(struct worker *wk, const struct work *w)
{
	struct crawl *c = wk->c;
	if (atomic_load(&c->stop))
		return; /* stays pending: reported as not fetched */
	if (c->o.max_fetches &&
	    atomic_fetch_add(&c->fetches, 1) >= c->o.max_fetches) {
		atomic_fetch_sub(&c->fetches, 1);
		log_error("--max-fetches %llu reached: stopping",
			  (unsigned long long)c->o.max_fetches);
		finish(c, CRAWL_MAX_FETCHES);
		return;
	}
	if (!c->o.max_fetches)
		atomic_fetch_add(&c->fetches, 1);
	size_t k = wk->ctx_free[--wk->nctx_free];
	wk->ctx[k] = *w;
	/* API/item/ is in place: only the id and ".json" are written */
	snprintf(wk->url + c->prefix_len, 32, "%llu.json",
		 (unsigned long long)w->id);
	atomic_fetch_add(&c->roots[w->root].fetches, 1);
	if (fetcher_get(wk->f, wk->url, &wk->ctx[k]) != 0) {
		wk->ctx_free[wk->nctx_free++] = k;
		fail_item(wk, &wk->ctx[k], FAIL_NOMEM, "cannot start request");
		return;
	}
	atomic_fetch_add(&c->inflight, 1);
}

/* Wake enough workers that wait in curl with room to spare to take n new
 * items: one per window's worth, not all of them. The exchange clears the
 * flag, so two pushers never both wake the same worker for nothing; the
 * worker sets it again before its next pop. */
static void wake_hungry(struct crawl *c, struct worker *self, size_t n)
{
	size_t need = (n + self->window - 1) / self->window;
	size_t start = (size_t)(self - c->workers);
	for (size_t k = 1; k < c->nworkers && need > 0; k++) {
		struct worker *o = &c->workers[(start + k) % c->nworkers];
		if (atomic_load(&o->hungry) && atomic_exchange(&o->hungry, 0)) {
			fetcher_wakeup(o->f);
			need--;
		}
	}
}

/* ---- handling answers ---- */

static void max_store(atomic_uint_fast64_t *a, uint64_t v)
{
	uint_fast64_t cur = atomic_load(a);
	while (cur < v && !atomic_compare_exchange_weak(a, &cur, v))
		;
}

static void push_kids(struct worker *wk, struct work *w)
{
	struct crawl *c = wk->c;
	struct root *r = &c->roots[w->root];
	struct item *it = &wk->item;
	size_t n = fanin_claim(&r->fan, it->kids, it->nkids);
	if (n == (size_t)-1) {
		atomic_fetch_add(&r->failed, it->nkids);
		atomic_fetch_add(&c->failed, it->nkids);
		atomic_fetch_add(&c->by_reason[FAIL_NOMEM], it->nkids);
		log_error("item %llu: out of memory for its %zu kids",
			  (unsigned long long)w->id, it->nkids);
		return;
	}
	if (n == 0)
		return;
	if (n > wk->pushcap) {
		struct work *b = realloc(wk->pushbuf, n * sizeof *b);
		if (!b)
			goto nomem;
		wk->pushbuf = b;
		wk->pushcap = n;
	}
	/* Pushed in reverse, so the first kid is popped first. */
	for (size_t i = 0; i < n; i++) {
		struct work *k = &wk->pushbuf[n - 1 - i];
		k->id = it->kids[i];
		k->root = w->root;
		k->depth = w->depth + 1;
		k->attempt = 0;
	}
	fanin_add(&r->fan, (int64_t)n);
	if (workq_push(&c->q, wk->pushbuf, n) != 0) {
		fanin_add(&r->fan, -(int64_t)n);
		goto nomem;
	}
	wake_hungry(c, wk, n);
	return;
nomem:
	atomic_fetch_add(&r->failed, n);
	atomic_fetch_add(&c->failed, n);
	atomic_fetch_add(&c->by_reason[FAIL_NOMEM], n);
	log_error("item %llu: out of memory for its %zu kids",
		  (unsigned long long)w->id, n);
}

static void handle(struct worker *wk, const struct fetch_done *d)
{
	struct crawl *c = wk->c;
	struct work *slot = d->user;
	struct work w = *slot;
	wk->ctx_free[wk->nctx_free++] = (size_t)(slot - wk->ctx);
	atomic_fetch_sub(&c->inflight, 1);
	struct root *r = &c->roots[w.root];

	/* "started +T ms" (since the crawl began) lets a reader line up a
	 * chain of requests: see scripts/critical-path. */
	if (log_get_level() >= LOG_DEBUG)
		log_debug("item %llu: %s %ld in %.0f ms (attempt %u, started "
			  "+%.1f ms)", (unsigned long long)w.id,
			  d->err == FETCH_OK ? "HTTP" : fetch_strerror(d->err),
			  d->status, d->ms, w.attempt + 1,
			  clock_now_ms() - d->ms - c->t0);
	if (d->err != FETCH_OK) {
		static const enum fail_reason map[] = {
			[FETCH_TIMEOUT] = FAIL_TIMEOUT,
			[FETCH_CONNECT] = FAIL_CONNECT,
			[FETCH_NETWORK] = FAIL_NETWORK,
			[FETCH_TOO_BIG] = FAIL_TOO_BIG,
			[FETCH_NOMEM] = FAIL_NOMEM,
		};
		if (d->err == FETCH_TOO_BIG || d->err == FETCH_NOMEM)
			fail_item(wk, &w, map[d->err], d->errmsg);
		else
			retry_or_fail(wk, &w, map[d->err], d->errmsg, -1);
		return;
	}
	if (d->status != 200) {
		char detail[32];
		snprintf(detail, sizeof detail, "HTTP %ld", d->status);
		if (d->status >= 500 || d->status == 429 || d->status == 401)
			retry_or_fail(wk, &w, FAIL_HTTP, detail,
				      d->retry_after_s);
		else
			fail_item(wk, &w, FAIL_HTTP, detail);
		return;
	}

	char why[128] = "";
	struct item *it = &wk->item;
	enum item_status st = item_parse(wk->parser, d->body, d->len, w.id,
					 it, why, sizeof why);
	switch (st) {
	case ITEM_OK:
		break;
	case ITEM_NULL:
		atomic_fetch_add(&c->items, 1);
		if (w.depth == 0)
			r->is_null = 1;
		else
			atomic_fetch_add(&r->missing, 1);
		item_accounted(c, &w);
		return;
	case ITEM_ERR_JSON:
		fail_item(wk, &w, FAIL_JSON, why);
		return;
	case ITEM_ERR_TYPE:
		fail_item(wk, &w, FAIL_TYPE, why);
		return;
	case ITEM_ERR_ID:
		fail_item(wk, &w, FAIL_ID, why);
		return;
	case ITEM_ERR_NOMEM:
		fail_item(wk, &w, FAIL_NOMEM, why);
		return;
	}
	atomic_fetch_add(&c->items, 1);
	if (w.depth == 0) {
		r->title = it->title ? text_clean(it->title) : NULL;
		r->has_descendants = it->has_descendants;
		r->descendants = it->descendants;
	} else {
		if (it->deleted)
			atomic_fetch_add(&r->deleted, 1);
		else if (it->dead)
			atomic_fetch_add(&r->dead, 1);
		else
			atomic_fetch_add(&r->live, 1);
		max_store(&r->depth, w.depth);
	}
	push_kids(wk, &w);
	item_accounted(c, &w);
}

/* ---- the worker loop ---- */

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct crawl *c = wk->c;
	struct fetch_done d;

	while (!atomic_load(&c->stop)) {
		double now = clock_now_ms();
		while (wk->nheap && wk->heap[0].due <= now &&
		       fetcher_inflight(wk->f) < wk->window) {
			struct work w = heap_pop(wk);
			start_work(wk, &w);
		}
		size_t room = wk->window - fetcher_inflight(wk->f);
		if (room > 0) {
			int tmo = 0;
			if (fetcher_inflight(wk->f) == 0) {
				tmo = -1;
				if (wk->nheap)
					tmo = (int)fmax(1.0,
						ceil(wk->heap[0].due - now));
			}
			/* hungry before the pop: a push after our pop sees it */
			atomic_store(&wk->hungry, tmo == 0);
			size_t n = workq_pop(&c->q, wk->popbuf, room, tmo);
			for (size_t i = 0; i < n; i++)
				start_work(wk, &wk->popbuf[i]);
			if (n == 0 && tmo != 0)
				continue; /* woke empty-handed: re-check */
		}
		if (fetcher_inflight(wk->f) == 0)
			continue;
		atomic_store(&wk->hungry,
			     fetcher_inflight(wk->f) < wk->window);
		int wait_ms = 1000;
		if (wk->nheap)
			wait_ms = (int)fmin(wait_ms,
				fmax(0.0, ceil(wk->heap[0].due - clock_now_ms())));
		if (fetcher_wait(wk->f, wait_ms, NULL, NULL, NULL, 0) != 0) {
			log_error("worker: waiting for transfers failed");
			finish(c, CRAWL_ERROR);
			break;
		}
		atomic_store(&wk->hungry, 0);
		while (fetcher_next(wk->f, &d))
			handle(wk, &d);
	}
	atomic_store(&wk->hungry, 0);
	return NULL;
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
	if (c->o.concurrency < c->o.threads)
		c->o.threads = c->o.concurrency ? c->o.concurrency : 1;
	if (c->o.backoff.base_ms <= 0)
		c->o.backoff = backoff_fetch;
	c->nroots = n;
	c->prefix_len = strlen(c->o.api) + strlen("/item/");
	c->t0 = clock_now_ms(); /* here, before any thread can read it */
	c->roots = calloc(n ? n : 1, sizeof *c->roots);
	c->results = calloc(n ? n : 1, sizeof *c->results);
	if (!c->roots || !c->results || workq_init(&c->q) != 0)
		goto fail;
	pthread_mutex_init(&c->mu, NULL);
	if (clock_cond_init(&c->cv) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		c->roots[i].id = roots[i];
		if (fanin_init(&c->roots[i].fan, roots[i]) != 0)
			goto fail; /* leaks little: out of memory at start */
	}
	return c;
fail:
	free(c->roots);
	free(c->results);
	free(c);
	return NULL;
}

static int worker_init(struct crawl *c, struct worker *wk, size_t window,
		       uint64_t seed)
{
	wk->c = c;
	wk->window = window;
	wk->rng = backoff_seed(seed);
	atomic_init(&wk->hungry, 0);
	wk->f = fetcher_new(&c->o.fetch, window);
	wk->ctx = calloc(window, sizeof *wk->ctx);
	wk->ctx_free = calloc(window, sizeof *wk->ctx_free);
	wk->popbuf = calloc(window, sizeof *wk->popbuf);
	wk->parser = item_parser_new();
	wk->url = malloc(c->prefix_len + 32);
	if (!wk->f || !wk->ctx || !wk->ctx_free || !wk->popbuf ||
	    !wk->parser || !wk->url)
		return -1;
	sprintf(wk->url, "%s/item/", c->o.api);
	for (size_t i = 0; i < window; i++)
		wk->ctx_free[wk->nctx_free++] = i;
	return 0;
}

static void worker_free(struct worker *wk)
{
	fetcher_free(wk->f);
	wk->f = NULL;
	free(wk->ctx);
	free(wk->ctx_free);
	free(wk->popbuf);
	free(wk->pushbuf);
	free(wk->heap);
	item_parser_free(wk->parser);
	item_free(&wk->item);
	free(wk->url);
}

enum crawl_stop crawl_run(struct crawl *c)
{
	if (c->nroots == 0) {
		atomic_store(&c->t1, c->t0);
		return CRAWL_DONE;
	}
	size_t nw = c->o.threads, ready = 0, started = 0;
	c->workers = calloc(nw, sizeof *c->workers);
	if (!c->workers)
		return CRAWL_ERROR;
	for (; ready < nw; ready++) {
		size_t win = c->o.concurrency / nw +
			     (ready < c->o.concurrency % nw ? 1 : 0);
		if (worker_init(c, &c->workers[ready], win ? win : 1,
				ready + 1) != 0) {
			worker_free(&c->workers[ready]);
			log_error("cannot set up worker %zu", ready);
			finish(c, CRAWL_ERROR);
			break;
		}
	}
	pthread_mutex_lock(&c->mu);
	c->nworkers = ready;
	pthread_mutex_unlock(&c->mu);
	if (ready < nw)
		goto join;
	struct work *w = malloc(c->nroots * sizeof *w);
	if (!w) {
		finish(c, CRAWL_ERROR);
		goto join;
	}
	for (size_t i = 0; i < c->nroots; i++)
		w[c->nroots - 1 - i] = (struct work){ c->roots[i].id,
						      (uint32_t)i, 0, 0 };
	int pushed = workq_push(&c->q, w, c->nroots);
	free(w);
	if (pushed != 0) {
		finish(c, CRAWL_ERROR);
		goto join;
	}

	for (; started < nw; started++)
		if (pthread_create(&c->workers[started].th, NULL, worker_main,
				   &c->workers[started]) != 0) {
			log_error("cannot start worker thread %zu", started);
			finish(c, CRAWL_ERROR);
			break;
		}

	pthread_mutex_lock(&c->mu);
	while (!atomic_load(&c->stop)) {
		if (c->o.deadline_ms > 0) {
			double left = c->o.deadline_ms - clock_now_ms();
			if (left <= 0) {
				pthread_mutex_unlock(&c->mu);
				log_error("--deadline reached: stopping");
				finish(c, CRAWL_DEADLINE);
				pthread_mutex_lock(&c->mu);
				break;
			}
			clock_cond_wait_ms(&c->cv, &c->mu, fmin(left, 1000.0));
		} else {
			pthread_cond_wait(&c->cv, &c->mu);
		}
	}
	pthread_mutex_unlock(&c->mu);
	for (size_t i = 0; i < started; i++)
		pthread_join(c->workers[i].th, NULL);
join:
	atomic_store(&c->t1, clock_now_ms());
	enum crawl_stop why = (enum crawl_stop)atomic_load(&c->stop);
	enum root_status forced =
		why == CRAWL_SIGINT || why == CRAWL_SIGTERM ? ROOT_INTERRUPTED
							    : ROOT_PARTIAL;
	for (size_t i = 0; i < c->nroots; i++)
		if (!atomic_load(&c->roots[i].done))
			make_result(c, i, forced);
	pthread_mutex_lock(&c->mu);
	c->nworkers = 0;
	pthread_mutex_unlock(&c->mu);
	for (size_t i = 0; i < ready; i++)
		worker_free(&c->workers[i]);
	return why;
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
	for (size_t i = 0; i < c->nroots; i++) {
		fanin_destroy(&c->roots[i].fan);
		free(c->roots[i].title);
		free(c->results[i].title);
	}
	free(c->roots);
	free(c->results);
	free(c->workers);
	workq_destroy(&c->q);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}
