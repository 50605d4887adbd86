/* wroots.c — the roots of --watch and the streams that move them (see
 * watch.c for the design): roots enter (crawled) and leave (a last
 * record) as the lists say; maxitem's new ids are asked for, updates'
 * watched items asked for again; and the resync, which crawls each root
 * again into a shadow tree and compares.
 *
 * Threads: the watch's only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "watch_int.h"

/* ---- roots -------------------------------------------------------------- */

static uint32_t root_slot(struct watch *w, uint64_t id)
{
	for (size_t i = 0; i < w->nroots; i++)
		if (w->roots[i].id == id)
			return (uint32_t)i;
	return UINT32_MAX;
}

/* id is watched from now: crawl it. */
static void enter(struct watch *w, uint64_t id, int fixed)
{
	uint32_t i = root_slot(w, id);
	if (i != UINT32_MAX && w->roots[i].active) {
		w->roots[i].fixed |= fixed;
		return;
	}
	if (i == UINT32_MAX) {
		if (w->nroots == w->rootcap) {
			size_t cap = w->rootcap ? w->rootcap * 2 : 64;
			struct wroot *v = realloc(w->roots, cap * sizeof *v);
			if (!v) {
				log_error("watch: out of memory");
				w->failed = 1;
				return;
			}
			w->roots = v;
			w->rootcap = cap;
		}
		i = (uint32_t)w->nroots++;
		memset(&w->roots[i], 0, sizeof w->roots[i]);
		w->roots[i].id = id;
	}
	struct wroot *r = &w->roots[i];
	r->active = 1;
	r->fixed = fixed;
	r->crawled = 0;
	r->pending = 0;
	r->epoch++;
	r->t0 = clock_now_ms();
	u64set_remove(&w->unwatched, id);
	if (!fixed)
		log_info("watch: %llu entered its list",
			 (unsigned long long)id);
	watch_submit(w, R_CRAWL, id, i, 0, 0);
}

/* Root i left its list: its last record, then it is forgotten. */
static void leave(struct watch *w, uint32_t i)
{
	struct wroot *r = &w->roots[i];
	log_info("watch: %llu left its list", (unsigned long long)r->id);
	wreport_root(w->rep, i, 1, ROOT_LEFT);
	wtree_remove(w->tree, r->id);
	r->active = 0;
	r->epoch++;
	r->pending = 0;
	if (w->rs_root == i) {
		wtree_free(w->shadow);
		w->shadow = NULL;
		w->rs_root = UINT32_MAX;
	}
}

/* ---- streams ------------------------------------------------------------ */

static void relist(struct watch *w);

/* The first crawls start once maxitem gave its first value (the line
 * above which every item is new), or when it could not be had in time. */
void watch_start_roots(struct watch *w)
{
	for (size_t i = 0; i < w->o.nroots; i++)
		enter(w, w->o.roots[i], 1);
	relist(w);
}

void watch_on_maxitem(struct wstream *s, int gap, void *arg)
{
	struct watch *w = arg;
	uint64_t v = s->fb.maxitem;
	w->stats[WS_EVENTS]++;
	if (w->maxitem == 0) { /* the first value: the line from here */
		w->maxitem = v;
		w->first_maxitem = v;
		if (!w->started) {
			w->started = 1;
			watch_start_roots(w);
		}
		return;
	}
	if (v <= w->maxitem)
		return;
	uint64_t cap = w->o.cfg->max_items, from = w->maxitem + 1;
	if (cap && v - w->maxitem > cap) {
		log_error("maxitem: %llu new ids since %llu (%s): asking for "
			  "the last %llu (--max-items)",
			  (unsigned long long)(v - w->maxitem),
			  (unsigned long long)w->maxitem,
			  gap ? "after a reconnection" : "in one step",
			  (unsigned long long)cap);
		from = v - cap + 1;
	}
	for (uint64_t id = from; id <= v; id++)
		if (!wtree_get(w->tree, id) && !u64set_has(&w->unwatched, id))
			watch_submit(w, R_NEW, id, 0, 0, 0);
	w->maxitem = v;
}

/* Ask for every watched item again, as if updates had named them all. */
static void update_all(struct watch *w)
{
	size_t n;
	const uint64_t *ids = wtree_ids(w->tree, &n);
	for (size_t i = 0; i < n; i++) {
		struct wnode *x = wtree_get(w->tree, ids[i]);
		if (u64set_has(&w->updating, ids[i]))
			u64set_add(&w->again, ids[i]);
		else if (u64set_add(&w->updating, ids[i]) == 1)
			watch_submit(w, R_UPDATE, ids[i], x->root, 0, 0);
	}
}

/* How many ids at the front of updates' list `now` are new changes, read
 * against the list before, `prev`. HN keeps the list newest first: an item
 * that changes (again) goes to the front, the oldest fall off the end. So
 * when `now` is k ids in front of prev's others in prev's order (cut at
 * the end), the rest only moved back and are not asked for again. A list
 * that does not read so is new as a whole (n). Smallest such k, but at
 * least 1: an event with the list as it was says its first item changed
 * again. At most n * (n + np) steps, so long lists are taken whole. */
static size_t updates_fresh(const uint64_t *prev, size_t np,
			    const uint64_t *now, size_t n)
{
	if (!np || n > 4096 || np > 4096)
		return n;
	struct u64set front;
	u64set_init(&front);
	size_t k = 0;
	for (; k < n; k++) {
		size_t i = k, j = 0;
		while (i < n) {
			while (j < np && u64set_has(&front, prev[j]))
				j++;
			if (j == np || prev[j] != now[i])
				break;
			i++, j++;
		}
		if (i == n && (k || !n))
			break;
		if (u64set_add(&front, now[k]) < 0) {
			k = n;
			break;
		}
	}
	u64set_free(&front);
	return k;
}

void watch_on_updates(struct wstream *s, int gap, void *arg)
{
	struct watch *w = arg;
	w->stats[WS_EVENTS]++;
	if (gap == 1) {
		log_info("stream updates: reconnected; every watched item is "
			 "asked for again (what changed meanwhile is not "
			 "known)");
		update_all(w);
	}
	size_t n = s->fb.n;
	size_t k = gap ? n : updates_fresh(w->upd_prev, w->upd_nprev,
					   s->fb.ids, n);
	for (size_t i = 0; i < k; i++) {
		uint64_t id = s->fb.ids[i];
		struct wnode *x = id ? wtree_get(w->tree, id) : NULL;
		if (!x)
			continue;
		if (u64set_has(&w->updating, id))
			u64set_add(&w->again, id);
		else if (u64set_add(&w->updating, id) == 1)
			watch_submit(w, R_UPDATE, id, x->root, 0, 0);
	}
	w->stats[WS_SHIFTED] += n - k;
	uint64_t *p = n ? realloc(w->upd_prev, n * sizeof *p) : w->upd_prev;
	if (p) {
		if (n)
			memcpy(p, s->fb.ids, n * sizeof *p);
		w->upd_prev = p;
		w->upd_nprev = n;
	} else {
		w->upd_nprev = 0; /* the next list is taken whole */
	}
}

/* The roots every list names now, with the fixed ones: who enters and
 * who leaves. */
static void relist(struct watch *w)
{
	struct u64set now;
	u64set_init(&now);
	const struct config *cfg = w->o.cfg;
	for (size_t k = 0, l = 0; k < cfg->nsrc; k++) {
		if (cfg->src[k].kind != SRC_LIST)
			continue;
		struct fbstream *fb = &w->lists[l++].fb;
		for (size_t i = 0, taken = 0; i < fb->n &&
		     taken < cfg->src[k].n; i++)
			if (fb->ids[i] && u64set_add(&now, fb->ids[i]) >= 0)
				taken++;
	}
	for (size_t i = 0; i < w->nroots; i++)
		if (w->roots[i].active && !w->roots[i].fixed &&
		    !u64set_has(&now, w->roots[i].id))
			leave(w, (uint32_t)i);
	if (w->started) /* else: when maxitem's first value comes */
		for (size_t i = 0; i < now.n; i++)
			enter(w, now.ids[i], 0);
	u64set_free(&now);
}

void watch_on_list(struct wstream *s, int gap, void *arg)
{
	struct watch *w = arg;
	(void)s;
	(void)gap;
	w->stats[WS_EVENTS]++;
	relist(w);
}

/* ---- resync ------------------------------------------------------------- */

static void resync_start(struct watch *w, uint32_t i)
{
	w->shadow = wtree_new();
	if (!w->shadow)
		return;
	w->rs_root = i;
	w->rs_gen = w->roots[i].gen;
	w->rs_pending = 0;
	watch_submit(w, R_RESYNC, w->roots[i].id, i, 0, 0);
}

/* How many of the counts of a (incremental) and b (fresh) differ; what
 * differs written into what: ", comments 5 (was 6), ...". */
static int counts_differ(const struct wcounts *a, const struct wcounts *b,
			 char *what, size_t n)
{
	static const char *const name[WK_NKINDS] = { "comments", "deleted",
		"dead", "missing", "failed" };
	int d = 0;
	size_t o = 0;
	what[0] = '\0';
#define SAY(...) (o += (size_t)snprintf(what + o, o < n ? n - o : 0, \
					__VA_ARGS__), d++)
	for (int k = 0; k < WK_NKINDS; k++)
		if (a->n[k] != b->n[k])
			SAY(", %s %llu (was %llu)", name[k],
			    (unsigned long long)b->n[k],
			    (unsigned long long)a->n[k]);
	if (a->depth != b->depth)
		SAY(", depth %llu (was %llu)", (unsigned long long)b->depth,
		    (unsigned long long)a->depth);
	if (a->has_hot != b->has_hot || a->hot_id != b->hot_id ||
	    a->hot_comments != b->hot_comments)
		SAY(", hottest %llu@%llu (was %llu@%llu)",
		    (unsigned long long)b->hot_comments,
		    (unsigned long long)b->hot_id,
		    (unsigned long long)a->hot_comments,
		    (unsigned long long)a->hot_id);
#undef SAY
	return d;
}

/* The shadow crawl of rs_root is done: compare, adopt it when different. */
static void resync_done(struct watch *w)
{
	struct wroot *r = &w->roots[w->rs_root];
	struct wcounts live, fresh;
	char what[256];
	if (r->gen != w->rs_gen) {
		log_debug("resync %llu: changed meanwhile, not compared",
			  (unsigned long long)r->id);
	} else if (wtree_count(w->tree, r->id, -1, NULL, NULL, &live) == 0 &&
		   wtree_count(w->shadow, r->id, -1, NULL, NULL, &fresh) == 0) {
		int d = counts_differ(&live, &fresh, what, sizeof what);
		w->stats[WS_DRIFT] += (uint64_t)d;
		if (d) {
			log_error("resync %llu: %d counts were wrong%s; the "
				  "fresh crawl is taken", (unsigned long long)
				  r->id, d, what);
			wtree_remove(w->tree, r->id);
			wtree_adopt(w->tree, w->shadow);
			watch_dirty(w, w->rs_root);
		} else {
			log_info("resync %llu: 0 counts wrong",
				 (unsigned long long)r->id);
		}
	}
	wtree_free(w->shadow);
	w->shadow = NULL;
	w->rs_root = UINT32_MAX;
}

/* Start the next resync when one is due; ms until the next is due. */
double watch_resync_tick(struct watch *w, double now)
{
	double period = w->o.cfg->resync_s * 1000;
	if (w->shadow && w->rs_pending == 0)
		resync_done(w);
	if (w->shadow || period <= 0 || !w->nroots)
		return 1e9;
	if (now < w->next_resync)
		return w->next_resync - now;
	for (size_t k = 0; k < w->nroots; k++) {
		size_t i = (w->resync_next + k) % w->nroots;
		if (w->roots[i].active && w->roots[i].crawled) {
			w->resync_next = i + 1;
			resync_start(w, (uint32_t)i);
			break;
		}
	}
	size_t active = 0;
	for (size_t i = 0; i < w->nroots; i++)
		active += w->roots[i].active;
	w->next_resync = now + period / (double)(active ? active : 1);
	return w->next_resync - now;
}

