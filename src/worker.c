/* worker.c — one crawl worker: takes item ids from the work queue, fetches
 * them on its own fetcher, parses the answers, pushes the kids, and hands
 * every item's outcome to the crawl's fan-in (crawl.c).
 *
 * Threads: one thread per worker (worker_main); everything in struct worker
 * is its own (the fetcher, the transfer contexts, the parser, the retry
 * heap, the random state, the limiter batch), except `hungry`, an atomic
 * that other workers read and clear to wake it (admit.c). The crawl's
 * shared state is described in crawl.c.
 *
 * In flight: a transfer needs a token of the crawl's limit (tokens: the
 * atomic `inflight` under limit_get(), taken with a compare-and-swap
 * before the pop) and room in the worker's share (limit_share()). A
 * worker starts the
 * kids it pushes itself, on its next turn; it wakes another worker only
 * when it is at its share with tokens and queued work left over, so extra
 * threads sleep unless the work needs them. Failed transfers that may
 * succeed later wait in its retry heap (backoff, Retry-After honoured),
 * not in a sleep, so its other transfers go on. Answer times and overloads
 * go to the limiter in one batch a turn (-c auto). It returns at the top
 * of its loop once the crawl's `stop` is set, abandoning what is in
 * flight; what it never finished stays in its contexts and heap for
 * crawl.c to report and release after the join.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crawl_int.h"
#include "log.h"
#include "text.h"

/* ---- retries: a min-heap of delayed work, per worker (dueheap.c) ---- */

static int heap_push(struct worker *wk, double due, const struct work *w)
{
	struct retry r = { .due = due, .w = *w };
	return dueheap_push(&wk->heap, &r);
}

/* Retries are due (the earliest at or before now). */
static int heap_due(const struct worker *wk, double now)
{
	return wk->heap.n && dueheap_due(&wk->heap) <= now;
}

/* ---- outcomes ---- */

/* A fetch (crawl_fetch) answered: hand it over, count nothing. */
static void fetched(struct worker *wk, const struct work *w, int failed,
		    enum fail_reason why, int is_null)
{
	struct crawl *c = wk->c;
	struct fetched f = { .id = w->id, .tag = w->tag - 1, .failed = failed,
			     .reason = why, .is_null = is_null,
			     .item = failed || is_null ? NULL : &wk->item };
	atomic_fetch_add(&c->items, !failed);
	if (c->o.on_fetched)
		c->o.on_fetched(&f, c->o.on_fetched_arg);
}

static void fail_item(struct worker *wk, const struct work *w,
		      enum fail_reason why, const char *detail)
{
	struct crawl *c = wk->c;
	if (w->tag) { /* a fetch: its owner logs what it makes of it */
		log_debug("item %llu failed: %s%s%s",
			  (unsigned long long)w->id, crawl_reason_str(why),
			  detail && *detail ? ": " : "", detail ? detail : "");
		atomic_fetch_add(&c->failed, 1);
		atomic_fetch_add(&c->by_reason[why], 1);
		fetched(wk, w, 1, why, 0);
		return;
	}
	crawl_count_failed(c, w->root, why, 1);
	log_error("item %llu failed (%s/item/%llu.json): %s%s%s",
		  (unsigned long long)w->id, c->o.api,
		  (unsigned long long)w->id, crawl_reason_str(why),
		  detail && *detail ? ": " : "", detail ? detail : "");
	crawl_account(c, w, FANIN_FAILED);
	crawl_item_done(c, w);
}

/* Schedule another attempt, or give up. */
static void retry_or_fail(struct worker *wk, const struct work *w,
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

/* Start w with a token already taken (given back when it does not run). */
static void start_work(struct worker *wk, const struct work *w)
{
	struct crawl *c = wk->c;
	if (atomic_load(&c->stop)) {
		atomic_fetch_sub(&c->inflight, 1);
		/* kept, so that crawl.c can report and release it */
		if (heap_push(wk, INFINITY, w) != 0)
			abort(); /* cannot keep the count honest otherwise */
		return;
	}
	if (c->o.max_fetches &&
	    atomic_fetch_add(&c->fetches, 1) >= c->o.max_fetches) {
		atomic_fetch_sub(&c->fetches, 1);
		log_error("--max-fetches %llu reached: stopping",
			  (unsigned long long)c->o.max_fetches);
		crawl_finish(c, CRAWL_MAX_FETCHES);
		start_work(wk, w);
		return;
	}
	if (!c->o.max_fetches)
		atomic_fetch_add(&c->fetches, 1);
	size_t k = wk->ctx_free[--wk->nctx_free];
	wk->ctx[k] = *w;
	wk->ctx_load[k] = (size_t)atomic_load(&c->inflight);
	/* API/item/ is in place: only the id and ".json" are written */
	snprintf(wk->url + c->prefix_len, 32, "%llu.json",
		 (unsigned long long)w->id);
	if (!w->tag)
		atomic_fetch_add(&c->roots[w->root].fetches, 1);
	if (fetcher_get(wk->f, wk->url, &wk->ctx[k]) != 0) {
		wk->ctx_free[wk->nctx_free++] = k;
		atomic_fetch_sub(&c->inflight, 1);
		fail_item(wk, w, FAIL_NOMEM, "cannot start request");
	}
}

/* ---- kids ---- */

/* Of n newly claimed items of root r, how many may be fetched under
 * --max-root-items and --max-items; the others are failed ("item cap"),
 * each cap named in the log once. */
static size_t within_caps(struct crawl *c, struct root *r, size_t n)
{
	size_t ok = n;
	uint64_t cap = c->o.max_root_items;
	uint64_t had = atomic_fetch_add(&r->claimed, n);
	if (cap && had + n > cap) {
		ok = had >= cap ? 0 : (size_t)(cap - had);
		if (!atomic_exchange(&r->capped, 1))
			log_error("root %llu: over --max-root-items %llu: "
				  "the rest is not fetched",
				  (unsigned long long)r->id,
				  (unsigned long long)cap);
	}
	cap = c->o.max_items;
	had = atomic_fetch_add(&c->claimed, ok);
	if (cap && had + ok > cap) {
		ok = had >= cap ? 0 : (size_t)(cap - had);
		if (!atomic_exchange(&c->run_capped, 1))
			log_error("over --max-items %llu: the rest is not "
				  "fetched", (unsigned long long)cap);
	}
	return ok;
}

/* Claim the kids of w (item of `kind`, kids in wk->item), give w a node and
 * push them; or account w as a leaf when none is new. */
static void push_kids(struct worker *wk, const struct work *w,
		      enum fanin_kind kind)
{
	struct crawl *c = wk->c;
	struct root *r = &c->roots[w->root];
	struct item *it = &wk->item;
	size_t n = fanin_claim(&r->fan, it->kids, it->nkids);
	if (n == (size_t)-1) {
		crawl_count_failed(c, w->root, FAIL_NOMEM, it->nkids);
		log_error("item %llu: out of memory for its %zu kids",
			  (unsigned long long)w->id, it->nkids);
		n = 0;
	}
	size_t ok = n ? within_caps(c, r, n) : 0;
	struct fanin_node *node = n ? crawl_node(c, w, kind, n) : NULL;
	if (n && (!node || n > wk->pushcap)) {
		struct work *b = node ? realloc(wk->pushbuf, n * sizeof *b)
				      : NULL;
		if (!b) {
			crawl_count_failed(c, w->root, FAIL_NOMEM, n);
			log_error("item %llu: out of memory for its %zu kids",
				  (unsigned long long)w->id, n);
			fanin_node_free(node);
			node = NULL;
			n = 0;
		} else {
			wk->pushbuf = b;
			wk->pushcap = n;
		}
	}
	if (!node) {
		crawl_account(c, w, kind);
		return;
	}
	if (ok < n)
		crawl_count_failed(c, w->root, FAIL_CAP, n - ok);
	/* rank: the queue serves the top-ranked kids first (workq.h) */
	for (size_t i = 0; i < ok; i++)
		wk->pushbuf[i] = (struct work){
			.id = it->kids[i], .parent = node, .root = w->root,
			.depth = w->depth + 1,
			.rank = workq_kid_rank(w->rank, i, n) };
	fanin_add(&r->fan, (int64_t)ok);
	if (ok && workq_push(&c->q, wk->pushbuf, ok) != 0) {
		fanin_add(&r->fan, -(int64_t)ok);
		crawl_count_failed(c, w->root, FAIL_NOMEM, ok);
		log_error("item %llu: out of memory for its %zu kids",
			  (unsigned long long)w->id, ok);
		ok = 0;
	}
	/* no wakeup: this worker takes them on its next turn, and wakes
	 * another only if it cannot (take_work) */
	/* the kids not pushed are failed ones: account them into the node */
	for (size_t i = ok; i < n; i++) {
		struct work k = { .id = it->kids[i], .parent = node,
				  .root = w->root, .depth = w->depth + 1 };
		crawl_account(c, &k, FANIN_FAILED);
	}
}

/* ---- handling answers ---- */

static void max_store(atomic_uint_fast64_t *a, uint64_t v)
{
	uint_fast64_t cur = atomic_load(a);
	while (cur < v && !atomic_compare_exchange_weak(a, &cur, v))
		;
}

/* A transfer failed, or answered with a status other than 200. */
static void failed_answer(struct worker *wk, const struct work *w,
			  const struct fetch_done *d)
{
	static const enum fail_reason map[] = {
		[FETCH_TIMEOUT] = FAIL_TIMEOUT,
		[FETCH_CONNECT] = FAIL_CONNECT,
		[FETCH_NETWORK] = FAIL_NETWORK,
		[FETCH_TOO_BIG] = FAIL_TOO_BIG,
		[FETCH_NOMEM] = FAIL_NOMEM,
	};
	if (d->err == FETCH_TOO_BIG || d->err == FETCH_NOMEM) {
		fail_item(wk, w, map[d->err], d->errmsg);
	} else if (d->err != FETCH_OK) {
		retry_or_fail(wk, w, map[d->err], d->errmsg, -1);
	} else {
		char detail[32];
		snprintf(detail, sizeof detail, "HTTP %ld", d->status);
		if (d->status >= 500 || d->status == 429 || d->status == 401)
			retry_or_fail(wk, w, FAIL_HTTP, detail,
				      d->retry_after_s);
		else
			fail_item(wk, w, FAIL_HTTP, detail);
	}
}

/* A body that parsed as an item (or null): count it, push its kids. */
static void counted(struct worker *wk, const struct work *w,
		    enum item_status st)
{
	struct crawl *c = wk->c;
	struct root *r = &c->roots[w->root];
	struct item *it = &wk->item;
	atomic_fetch_add(&c->items, 1);
	if (st == ITEM_NULL) {
		if (w->depth == 0)
			r->is_null = 1;
		else
			atomic_fetch_add(&r->n[FANIN_MISSING], 1);
		crawl_account(c, w, FANIN_MISSING);
		crawl_item_done(c, w);
		return;
	}
	enum fanin_kind kind = it->deleted ? FANIN_DELETED
			       : it->dead ? FANIN_DEAD : FANIN_LIVE;
	if (w->depth == 0) {
		r->title = it->title ? text_clean(it->title) : NULL;
		r->has_descendants = it->has_descendants;
		r->descendants = it->descendants;
	} else {
		atomic_fetch_add(&r->n[kind], 1);
		max_store(&r->depth, w->depth);
	}
	push_kids(wk, w, kind);
	crawl_item_done(c, w);
}

static void handle(struct worker *wk, const struct fetch_done *d)
{
	struct crawl *c = wk->c;
	struct work *slot = d->user;
	struct work w = *slot;
	size_t k = (size_t)(slot - wk->ctx);
	wk->ctx_free[wk->nctx_free++] = k;
	size_t load = (size_t)atomic_fetch_sub(&c->inflight, 1);
	if (wk->ctx_load[k] > load)
		load = wk->ctx_load[k];
	if (d->err == FETCH_TIMEOUT || d->status == 429 || d->status == 503) {
		wk->batch.overload++;
	} else if (d->err == FETCH_OK) {
		wk->batch.n++;
		wk->batch.sum_ms += d->answer_ms;
		if (load <= LIMIT_UNLOADED) {
			wk->batch.unloaded_n++;
			wk->batch.unloaded_ms += d->answer_ms;
		}
	}

	/* "started +T ms" (since the crawl began) lets a reader line up a
	 * chain of requests: see scripts/critical-path. */
	if (log_get_level() >= LOG_DEBUG)
		log_debug("item %llu: %s %ld in %.0f ms (attempt %u, started "
			  "+%.1f ms)", (unsigned long long)w.id,
			  d->err == FETCH_OK ? "HTTP" : fetch_strerror(d->err),
			  d->status, d->ms, w.attempt + 1,
			  clock_now_ms() - d->ms - c->t0);
	if (d->err != FETCH_OK || d->status != 200) {
		failed_answer(wk, &w, d);
		return;
	}
	char why[128] = "";
	enum item_status st = item_parse(wk->parser, d->body, d->len, w.id,
					 &wk->item, why, sizeof why);
	static const enum fail_reason bad[] = {
		[ITEM_ERR_JSON] = FAIL_JSON, [ITEM_ERR_TYPE] = FAIL_TYPE,
		[ITEM_ERR_ID] = FAIL_ID, [ITEM_ERR_NOMEM] = FAIL_NOMEM,
	};
	if (w.tag && (st == ITEM_OK || st == ITEM_NULL))
		fetched(wk, &w, 0, 0, st == ITEM_NULL);
	else if (st == ITEM_OK || st == ITEM_NULL)
		counted(wk, &w, st);
	else
		fail_item(wk, &w, bad[st], why);
}

/* ---- the worker loop ---- */

/* Start what is due in the heap and what the queue has, as far as the
 * limit's tokens and this worker's share go; wake another worker when
 * work and tokens are left over. Returns the ms to wait in curl: -1 for
 * as long as it takes, 0 to look again at once. */
static int take_work(struct worker *wk)
{
	struct crawl *c = wk->c;
	double now = clock_now_ms();
	size_t mine = admit_share(wk), busy = fetcher_inflight(wk->f);
	size_t room = busy < mine ? mine - busy : 0;
	int due = heap_due(wk, now);
	while (due && room > 0 && admit_tokens(wk, 1) == 1) {
		struct retry r;
		dueheap_pop(&wk->heap, &r);
		start_work(wk, &r.w);
		room--;
		due = heap_due(wk, now);
	}
	/* hungry before the pop: a waker after our pop sees it */
	atomic_store(&wk->hungry, room > 0);
	size_t n = 0, tokens = room ? admit_tokens(wk, room) : 0;
	if (tokens) {
		n = workq_pop(&c->q, wk->popbuf, tokens, 0);
		if (n < tokens)
			atomic_fetch_sub(&c->inflight, tokens - n);
		for (size_t i = 0; i < n; i++)
			start_work(wk, &wk->popbuf[i]);
	}
	busy = fetcher_inflight(wk->f);
	if (busy >= mine && workq_has_work(&c->q) &&
	    atomic_load(&c->inflight) < limit_get(&c->lim))
		admit_wake_one(c, wk); /* at my share; tokens, work left */
	atomic_store(&wk->hungry, busy < mine);
	if (due && !busy)
		return 5;         /* retries due, no token: look again soon */
	if (busy)
		return 1000;
	if (wk->heap.n)
		return (int)fmax(1.0, ceil(dueheap_due(&wk->heap) - now));
	return -1;
}

void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct crawl *c = wk->c;
	struct fetch_done d;

	while (!atomic_load(&c->stop)) {
		int wait_ms = take_work(wk);
		if (wait_ms > 0 && wk->heap.n)
			wait_ms = (int)fmin(wait_ms, fmax(0.0,
				ceil(dueheap_due(&wk->heap) - clock_now_ms())));
		fetcher_set_inflight_cap(wk->f, admit_share(wk));
		if (fetcher_wait(wk->f, wait_ms, NULL, NULL, NULL, 0) != 0) {
			log_error("worker: waiting for transfers failed");
			crawl_finish(c, CRAWL_ERROR);
			break;
		}
		atomic_store(&wk->hungry, 0);
		while (fetcher_next(wk->f, &d))
			handle(wk, &d);
		admit_feed(wk);
	}
	atomic_store(&wk->hungry, 0);
	return NULL;
}

/* ---- setup and teardown ---- */

int worker_init(struct crawl *c, struct worker *wk, size_t window,
		uint64_t seed)
{
	wk->c = c;
	wk->window = window;
	wk->rng = backoff_seed(seed);
	dueheap_init(&wk->heap, sizeof(struct retry));
	atomic_init(&wk->hungry, 0);
	wk->f = fetcher_new(&c->o.fetch, window);
	wk->ctx = calloc(window, sizeof *wk->ctx);
	wk->ctx_load = calloc(window, sizeof *wk->ctx_load);
	wk->ctx_free = calloc(window, sizeof *wk->ctx_free);
	wk->popbuf = calloc(window, sizeof *wk->popbuf);
	wk->parser = item_parser_new();
	wk->url = malloc(c->prefix_len + 32);
	if (!wk->f || !wk->ctx || !wk->ctx_load || !wk->ctx_free ||
	    !wk->popbuf || !wk->parser || !wk->url)
		return -1;
	sprintf(wk->url, "%s/item/", c->o.api);
	for (size_t i = 0; i < window; i++)
		wk->ctx_free[wk->nctx_free++] = i;
	return 0;
}

void worker_each_unfinished(struct worker *wk,
			    void (*fn)(const struct work *w, void *arg),
			    void *arg)
{
	for (size_t i = 0; i < wk->heap.n; i++)
		fn(&((struct retry *)dueheap_at(&wk->heap, i))->w, arg);
	/* transfers in flight: the contexts not on the free list */
	char *used = calloc(wk->window ? wk->window : 1, 1);
	if (!used)
		return; /* a leak at exit, nothing worse */
	memset(used, 1, wk->window);
	for (size_t i = 0; i < wk->nctx_free; i++)
		used[wk->ctx_free[i]] = 0;
	for (size_t i = 0; i < wk->window; i++)
		if (used[i])
			fn(&wk->ctx[i], arg);
	free(used);
}

void worker_free(struct worker *wk)
{
	fetcher_free(wk->f);
	wk->f = NULL;
	free(wk->ctx);
	free(wk->ctx_load);
	free(wk->ctx_free);
	free(wk->popbuf);
	free(wk->pushbuf);
	dueheap_free(&wk->heap);
	item_parser_free(wk->parser);
	item_free(&wk->item);
	free(wk->url);
}
