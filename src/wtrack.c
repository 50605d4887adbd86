/* wtrack.c — the watched trees follow the pool's answers (see watch.c for
 * the design): an item of a root's crawl joins its tree, an item asked for
 * again changes its kind and kids (those it lists no more leave with their
 * subtrees), a new item joins the tree of its parent (or waits for its
 * parent's chain, or is remembered as outside), and new ids answering null
 * are asked for again with backoff.
 *
 * Threads: the watch's only (watch_int.h's fields below `mu`). */
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "clock.h"
#include "log.h"
#include "watch_int.h"

/* ---- asking again -------------------------------------------------------- */

/* Ask q again after a backoff, when it may only be too early: a new item
 * reads as null for a moment after its creation. 1 when it will be. */
static int again_later(struct watch *w, const struct req *q,
		       const struct answer *a)
{
	if (q->attempt + 1 >= NEW_TRIES) {
		log_info("new item %llu: %s after %u tries: given up",
			 (unsigned long long)q->id, a->failed
			 ? crawl_reason_str(a->reason) : "null", NEW_TRIES);
		return 0;
	}
	uint64_t rng = q->id;
	struct timed t = { .due = clock_now_ms() +
			   backoff_delay(&backoff_alert, q->attempt, -1, &rng),
			   .id = q->id, .parent = q->parent, .root = q->root,
			   .kind = q->kind, .attempt = q->attempt + 1 };
	if (dueheap_push(&w->heap, &t) != 0) {
		log_error("new item %llu: out of memory: given up",
			  (unsigned long long)q->id);
		return 0;
	}
	if (q->kind == R_CRAWL) /* its root is not settled meanwhile */
		w->roots[q->root].pending++;
	if (q->kind == R_NEW)
		u64set_add(&w->newing, q->id);
	return 1;
}

/* ---- the trees ---------------------------------------------------------- */

void watch_dirty(struct watch *w, uint32_t root)
{
	w->roots[root].dirty = 1;
	w->roots[root].gen++;
}

/* Kid of parent, a new id whose own answer (R_NEW) is awaited: the kid is
 * left to it rather than asked for twice. */
static void claim(struct watch *w, uint64_t kid, uint64_t parent)
{
	for (size_t i = 0; i < w->nclaims; i++)
		if (w->claims[i].kid == kid && w->claims[i].parent == parent)
			return;
	if (w->nclaims == w->claimcap) {
		size_t cap = w->claimcap ? w->claimcap * 2 : 16;
		struct claim *c = realloc(w->claims, cap * sizeof *c);
		if (!c) { /* ask for it after all */
			struct wnode *p = wtree_get(w->tree, parent);
			watch_submit(w, R_CRAWL, kid, p->root, parent, 0);
			return;
		}
		w->claims = c;
		w->claimcap = cap;
	}
	w->claims[w->nclaims++] = (struct claim){ kid, parent };
}

/* The new id's answers are over (id is not in newing): a kid left to them
 * that did not join the trees under its lister (null to the end, failed,
 * or naming another parent) is asked for as a kid, as a crawl would. */
static void claims_settled(struct watch *w, uint64_t id)
{
	for (size_t i = 0; i < w->nclaims;) {
		struct claim c = w->claims[i];
		if (c.kid != id) {
			i++;
			continue;
		}
		w->claims[i] = w->claims[--w->nclaims];
		struct wnode *p = wtree_get(w->tree, c.parent);
		int listed = 0;
		for (uint32_t k = 0; p && k < p->nkids && !listed; k++)
			listed = p->kids[k] == id;
		if (listed && !wtree_get(w->tree, id))
			watch_submit(w, R_CRAWL, id, p->root, p->id,
				     NEW_TRIES - 1);
	}
}

/* Ask for every kid of n that is not in the trees (nor asked for). */
static void crawl_kids(struct watch *w, struct wtree *t, struct wnode *n,
		       enum rkind kind)
{
	for (uint32_t k = 0; k < n->nkids; k++) {
		uint64_t kid = n->kids[k];
		if (wtree_get(t, kid))
			continue;
		if (t == w->tree && u64set_has(&w->newing, kid))
			claim(w, kid, n->id);
		else
			watch_submit(w, kind, kid, n->root, n->id, 0);
	}
}

static int lists(const struct wnode *p, uint64_t id)
{
	for (uint32_t k = 0; k < p->nkids; k++)
		if (p->kids[k] == id)
			return 1;
	return 0;
}

/* An item whose `parent` is p is p's kid when p lists it, or when p's
 * list was asked for before id was known (it may be older than id); not
 * when p's list is newer and leaves it out (detached: a crawl does not
 * reach it, its own `parent` notwithstanding). */
static int kid_of(const struct wnode *p, uint64_t id)
{
	return id > p->listed_at || lists(p, id);
}

/* id (kind, kids, asked for at maxitem listed_at) joins the trees under
 * node p: a new item. */
static void join(struct watch *w, uint64_t id, struct wnode *p,
		 enum wkind kind, const uint64_t *kids, size_t nkids,
		 uint64_t listed_at)
{
	struct wnode *n = wtree_add(w->tree, id, p->id, p->root, kind);
	if (!n || wtree_set_kids(n, kids, nkids) != 0) {
		log_error("watch: out of memory");
		w->failed = 1;
		return;
	}
	n->listed_at = listed_at;
	/* p's own list is older than id: id is its kid now */
	if (!lists(p, id)) {
		uint64_t *nk = malloc((p->nkids + 1) * sizeof *nk);
		if (nk) {
			if (p->nkids) /* p->kids is NULL without kids */
				memcpy(nk, p->kids, p->nkids * sizeof *nk);
			nk[p->nkids] = id;
			wtree_set_kids(p, nk, p->nkids + 1);
			free(nk);
		}
	}
	crawl_kids(w, w->tree, n, R_CRAWL);
	watch_dirty(w, p->root);
}

/* Take the orphans waiting for id off the waiting list. */
static struct orphan *take_waiting(struct watch *w, uint64_t id)
{
	size_t i = u64set_find(&w->waiting, id);
	if (i == U64SET_NONE)
		return NULL;
	struct orphan *o = w->wlist[i];
	size_t pos = u64set_remove(&w->waiting, id);
	if (pos < w->waiting.n)
		w->wlist[pos] = w->wlist[w->waiting.n];
	return o;
}

/* The orphans waiting for id, and those waiting for them in turn (a
 * list worked through, not recursion): each joins the trees under its
 * parent when that is in them, else is remembered as outside them. */
static void resolve(struct watch *w, uint64_t id)
{
	struct orphan *todo = take_waiting(w, id);
	while (todo) {
		struct orphan *o = todo;
		todo = o->next;
		struct wnode *p = wtree_get(w->tree, o->parent);
		if (p && !wtree_get(w->tree, o->id) && kid_of(p, o->id))
			join(w, o->id, p, o->kind, o->kids, o->nkids,
			     o->listed_at);
		else if (!wtree_get(w->tree, o->id))
			u64set_add(&w->unwatched, o->id);
		struct orphan *more = take_waiting(w, o->id);
		while (more) {
			struct orphan *m = more;
			more = m->next;
			m->next = todo;
			todo = m;
		}
		free(o->kids);
		free(o);
	}
}

/* New item a (id) waits for its parent a->parent, which is asked for
 * unless already waited for. */
static void wait_parent(struct watch *w, uint64_t id, struct answer *a,
			uint64_t listed_at)
{
	struct orphan *o = calloc(1, sizeof *o);
	if (!o)
		return;
	*o = (struct orphan){ .id = id, .parent = a->parent, .kind = a->kind,
			      .kids = a->kids, .nkids = a->nkids,
			      .listed_at = listed_at };
	a->kids = NULL;
	size_t i = u64set_find(&w->waiting, a->parent);
	if (i == U64SET_NONE) {
		struct orphan **wl = realloc(w->wlist, (w->waiting.n + 1) *
					     sizeof *wl);
		if (!wl || u64set_add(&w->waiting, a->parent) != 1) {
			free(o->kids);
			free(o);
			return;
		}
		w->wlist = wl;
		i = w->waiting.n - 1;
		w->wlist[i] = NULL;
		watch_submit(w, R_CHAIN, a->parent, 0, 0, 0);
	}
	o->next = w->wlist[i];
	w->wlist[i] = o;
}

/* ---- answers ------------------------------------------------------------ */

/* An item of a root's tree (t: the trees, or the resync's shadow). */
static void on_crawl(struct watch *w, struct req *q, struct answer *a,
		     struct wtree *t)
{
	struct wroot *r = &w->roots[q->root];
	if (wtree_get(t, q->id) || (q->parent && !wtree_get(t, q->parent)))
		return; /* claimed meanwhile, or its parent left */
	if (a->is_null && t == w->tree && w->first_maxitem &&
	    q->id > w->first_maxitem && again_later(w, q, a))
		return; /* created while we watch: null for a moment */
	int top = q->parent == 0;
	enum wkind kind = top ? WK_ROOT : a->failed ? WK_FAILED
			  : a->is_null ? WK_MISSING : a->kind;
	struct wnode *n = wtree_add(t, q->id, q->parent, q->root, kind);
	if (!n) {
		log_error("watch: out of memory");
		w->failed = 1;
		return;
	}
	if (top && t == w->tree) {
		r->is_null = a->is_null;
		if (a->failed)
			log_error("item %llu failed: %s",
				  (unsigned long long)q->id,
				  crawl_reason_str(a->reason));
		if (!a->failed && !a->is_null) {
			free(r->title);
			r->title = a->title;
			a->title = NULL;
			r->has_desc = a->has_desc;
			r->desc = a->desc;
		}
	}
	if (top && a->failed)
		n->kind = WK_FAILED; /* counted by wreport as the root's */
	n->listed_at = q->maxitem;
	if (!a->failed && !a->is_null &&
	    wtree_set_kids(n, a->kids, a->nkids) == 0)
		crawl_kids(w, t, n, t == w->tree ? R_CRAWL : R_RESYNC);
	if (t == w->tree) {
		watch_dirty(w, q->root);
		resolve(w, q->id);
	}
}

/* Kids n lists no more (claimed by it) leave with their subtrees. */
static int drop_kids(struct watch *w, struct wnode *n, const uint64_t *kids,
		     size_t nkids)
{
	struct u64set now;
	u64set_init(&now);
	int changed = 0;
	for (size_t i = 0; i < nkids; i++)
		u64set_add(&now, kids[i]);
	for (uint32_t k = 0; k < n->nkids; k++) {
		struct wnode *c = wtree_get(w->tree, n->kids[k]);
		if (c && c->parent == n->id && !u64set_has(&now, c->id)) {
			log_debug("item %llu: kid %llu detached",
				  (unsigned long long)n->id,
				  (unsigned long long)c->id);
			wtree_remove(w->tree, c->id);
			changed = 1;
		}
	}
	u64set_free(&now);
	return changed;
}

/* A watched item asked for again: its kind and kids now. */
static void on_update(struct watch *w, struct req *q, struct answer *a)
{
	struct wnode *n = wtree_get(w->tree, q->id);
	if (!n || a->failed)
		return; /* left meanwhile; or keep what we had */
	struct wroot *r = &w->roots[n->root];
	if (n->parent == 0) {
		r->is_null = a->is_null;
		if (a->title && (!r->title || strcmp(a->title, r->title))) {
			free(r->title);
			r->title = a->title;
			a->title = NULL;
		}
		r->has_desc = a->has_desc;
		r->desc = a->desc;
	} else if (n->kind != (a->is_null ? WK_MISSING : a->kind)) {
		n->kind = (uint8_t)(a->is_null ? WK_MISSING : a->kind);
	}
	drop_kids(w, n, a->kids, a->nkids);
	n->listed_at = q->maxitem;
	if (wtree_set_kids(n, a->kids, a->nkids) == 0)
		crawl_kids(w, w->tree, n, R_CRAWL);
	watch_dirty(w, n->root);
}

/* Where a new item (or a parent asked for on its behalf), asked for as
 * q, belongs. */
static void place(struct watch *w, const struct req *q, struct answer *a)
{
	uint64_t id = q->id;
	struct wnode *p = a->story ? NULL : wtree_get(w->tree, a->parent);
	if (p && kid_of(p, id)) {
		join(w, id, p, a->kind, a->kids, a->nkids, q->maxitem);
	} else if (p || a->story || u64set_has(&w->unwatched, a->parent)) {
		if (p)
			log_debug("item %llu: its parent %llu lists it no "
				  "more: not counted",
				  (unsigned long long)id,
				  (unsigned long long)p->id);
		u64set_add(&w->unwatched, id); /* outside our trees */
	} else {
		wait_parent(w, id, a, q->maxitem);
		return;
	}
	resolve(w, id);
}

/* A new id from maxitem. */
static void on_new(struct watch *w, struct req *q, struct answer *a)
{
	if (wtree_get(w->tree, q->id) || u64set_has(&w->unwatched, q->id))
		return;
	if (a->failed || a->is_null) { /* new items can be null a moment */
		again_later(w, q, a);
		return;
	}
	place(w, q, a);
}

/* A parent asked for on behalf of new items waiting for it. */
static void on_chain(struct watch *w, struct req *q, struct answer *a)
{
	if (wtree_get(w->tree, q->id)) {
		resolve(w, q->id);
		return;
	}
	if (a->failed || a->is_null) {
		u64set_add(&w->unwatched, q->id); /* its waiters: outside */
		resolve(w, q->id);
		return;
	}
	place(w, q, a);
}

static void on_resync(struct watch *w, struct req *q, struct answer *a)
{
	if (w->shadow && q->root == w->rs_root)
		on_crawl(w, q, a, w->shadow);
}

/* The answers the pool delivered since the last look. */
void watch_take_answers(struct watch *w)
{
	pthread_mutex_lock(&w->mu);
	struct answer *a = w->inbox;
	w->inbox = NULL;
	w->intail = &w->inbox;
	pthread_mutex_unlock(&w->mu);
	while (a) {
		struct answer *next = a->next;
		/* a copy: what the handlers ask for may move w->reqs */
		struct req req = w->reqs[a->tag], *q = &req;
		struct wroot *r = &w->roots[q->root];
		int rooted = q->kind == R_CRAWL || q->kind == R_UPDATE;
		int stale = (rooted || q->kind == R_RESYNC) &&
			    (q->epoch != r->epoch || !r->active);
		if (rooted && !stale)
			r->pending--;
		if (q->kind == R_RESYNC && w->shadow && q->root == w->rs_root)
			w->rs_pending--;
		if (q->kind == R_UPDATE &&
		    u64set_remove(&w->updating, q->id) != U64SET_NONE &&
		    u64set_remove(&w->again, q->id) != U64SET_NONE && !stale)
			watch_submit(w, R_UPDATE, q->id, q->root, 0, 0);
		if (!stale) {
			switch ((enum rkind)q->kind) {
			case R_CRAWL: on_crawl(w, q, a, w->tree); break;
			case R_UPDATE: on_update(w, q, a); break;
			case R_NEW:
				u64set_remove(&w->newing, q->id);
				on_new(w, q, a);
				if (!u64set_has(&w->newing, q->id))
					claims_settled(w, q->id);
				break;
			case R_CHAIN: on_chain(w, q, a); break;
			case R_RESYNC: on_resync(w, q, a); break;
			}
		}
		w->reqs[a->tag].used = 0;
		w->freereq[w->nfree++] = a->tag;
		watch_answer_free(a);
		a = next;
	}
}


void watch_due_retries(struct watch *w, double now)
{
	while (w->heap.n && dueheap_due(&w->heap) <= now) {
		struct timed t;
		dueheap_pop(&w->heap, &t);
		if (t.kind == R_CRAWL) {
			struct wroot *r = &w->roots[t.root];
			r->pending--; /* watch_submit counts it again */
			if (r->active)
				watch_submit(w, R_CRAWL, t.id, t.root,
					     t.parent, t.attempt);
		} else if (!wtree_get(w->tree, t.id) &&
			   !u64set_has(&w->unwatched, t.id)) {
			watch_submit(w, R_NEW, t.id, 0, 0, t.attempt);
		} else {
			u64set_remove(&w->newing, t.id);
			claims_settled(w, t.id);
		}
	}
}

void watch_free_orphans(struct watch *w)
{
	for (size_t i = 0; i < w->waiting.n; i++) {
		for (struct orphan *o = w->wlist[i], *n; o; o = n) {
			n = o->next;
			free(o->kids);
			free(o);
		}
	}
	free(w->wlist);
	w->wlist = NULL;
}
