/* wtree.c — the watched trees (see wtree.h).
 *
 * Threads: one; no locks. The nodes are malloc'd one by one (their
 * addresses stay put while the map moves) and found through a u64set of
 * ids with the node pointers beside them.
 *
 * Counting: a pre-order walk with an explicit stack puts the root's nodes
 * in an array, each with the index of its parent in it; going over that
 * array backwards adds every node's live count into its parent's, so each
 * node's count is known when it is reached: one pass down, one pass up, no
 * recursion, memory in proportion to the tree. */
#include "wtree.h"

#include <stdlib.h>
#include <string.h>

#include "u64set.h"

struct wtree {
	struct u64set ids;
	struct wnode **nodes;     /* nodes[i] is ids.ids[i]'s */
	size_t cap;
};

struct wtree *wtree_new(void)
{
	struct wtree *t = calloc(1, sizeof *t);
	if (t)
		u64set_init(&t->ids);
	return t;
}

static void node_free(struct wnode *n)
{
	if (n) {
		free(n->kids);
		free(n);
	}
}

void wtree_free(struct wtree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ids.n; i++)
		node_free(t->nodes[i]);
	free(t->nodes);
	u64set_free(&t->ids);
	free(t);
}

size_t wtree_size(const struct wtree *t)
{
	return t->ids.n;
}

const uint64_t *wtree_ids(const struct wtree *t, size_t *n)
{
	*n = t->ids.n;
	return t->ids.ids;
}

struct wnode *wtree_get(const struct wtree *t, uint64_t id)
{
	size_t i = u64set_find(&t->ids, id);
	return i == U64SET_NONE ? NULL : t->nodes[i];
}

struct wnode *wtree_add(struct wtree *t, uint64_t id, uint64_t parent,
			uint32_t root, enum wkind kind)
{
	if (t->ids.n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct wnode **v = realloc(t->nodes, cap * sizeof *v);
		if (!v)
			return NULL;
		t->nodes = v;
		t->cap = cap;
	}
	struct wnode *n = calloc(1, sizeof *n);
	if (!n || u64set_add(&t->ids, id) != 1) {
		free(n);
		return NULL;
	}
	*n = (struct wnode){ .id = id, .parent = parent, .root = root,
			     .kind = (uint8_t)kind };
	t->nodes[t->ids.n - 1] = n;
	return n;
}

int wtree_set_kids(struct wnode *n, const uint64_t *kids, size_t nkids)
{
	uint64_t *k = NULL;
	size_t kept = 0;
	struct u64set seen;
	u64set_init(&seen);
	if (nkids) {
		k = malloc(nkids * sizeof *k);
		if (!k || u64set_reserve(&seen, nkids) != 0) {
			free(k);
			u64set_free(&seen);
			return -1;
		}
		/* a kid listed twice is one kid (and 0 none) */
		for (size_t i = 0; i < nkids; i++)
			if (u64set_add(&seen, kids[i]) == 1)
				k[kept++] = kids[i];
	}
	u64set_free(&seen);
	free(n->kids);
	n->kids = k;
	n->nkids = (uint32_t)kept;
	return 0;
}

/* Take id out of the map (the node is the caller's to free). */
static struct wnode *unmap(struct wtree *t, uint64_t id)
{
	size_t i = u64set_find(&t->ids, id);
	if (i == U64SET_NONE)
		return NULL;
	struct wnode *n = t->nodes[i];
	size_t pos = u64set_remove(&t->ids, id);
	if (pos < t->ids.n)
		t->nodes[pos] = t->nodes[t->ids.n];
	return n;
}

void wtree_adopt(struct wtree *dst, struct wtree *src)
{
	while (src->ids.n > 0) {
		struct wnode *n = unmap(src, src->ids.ids[src->ids.n - 1]);
		struct wnode *m = wtree_add(dst, n->id, n->parent, n->root,
					    (enum wkind)n->kind);
		if (m) { /* the node's kids move over as they are */
			m->kids = n->kids;
			m->nkids = n->nkids;
			m->listed_at = n->listed_at;
			n->kids = NULL;
		}
		node_free(n);
	}
}

size_t wtree_remove(struct wtree *t, uint64_t id)
{
	size_t removed = 0, n = 0, cap = 64;
	uint64_t *stack = malloc(cap * sizeof *stack);
	if (!stack)
		return 0;
	stack[n++] = id;
	while (n > 0) {
		struct wnode *x = unmap(t, stack[--n]);
		if (!x)
			continue;
		removed++;
		for (uint32_t k = 0; k < x->nkids; k++) {
			struct wnode *c = wtree_get(t, x->kids[k]);
			if (!c || c->parent != x->id)
				continue; /* not claimed by x */
			if (n == cap) {
				uint64_t *s = realloc(stack, (cap *= 2) *
						      sizeof *s);
				if (!s)
					break; /* the rest stays: a leak of
						  the map, not a crash */
				stack = s;
			}
			stack[n++] = c->id;
		}
		node_free(x);
	}
	free(stack);
	return removed;
}

/* One node of a walk, in pre-order. */
struct visit {
	struct wnode *n;
	size_t parent;            /* index in the walk; SIZE_MAX: the root */
	uint32_t depth;
	uint64_t below;           /* live comments below it */
};

static int is_comment(const struct wnode *n)
{
	return n->kind <= WK_DEAD;
}

/* The nodes of root's tree in pre-order, each after its parent. */
static struct visit *walk(struct wtree *t, struct wnode *root, size_t *nv)
{
	size_t cap = 64, n = 0, sn = 0, scap = 64;
	struct visit *v = malloc(cap * sizeof *v);
	struct visit *stack = malloc(scap * sizeof *stack);
	if (!v || !stack)
		goto fail;
	stack[sn++] = (struct visit){ root, SIZE_MAX, 0, 0 };
	while (sn > 0) {
		if (n == cap || n > wtree_size(t)) {
			if (n > wtree_size(t))
				goto fail; /* cannot be: a cycle of claims */
			struct visit *g = realloc(v, (cap *= 2) * sizeof *g);
			if (!g)
				goto fail;
			v = g;
		}
		size_t me = n;
		v[n++] = stack[--sn];
		struct wnode *x = v[me].n;
		for (uint32_t k = x->nkids; k-- > 0;) {
			struct wnode *c = wtree_get(t, x->kids[k]);
			if (!c || c->parent != x->id || c == root)
				continue;
			if (sn == scap) {
				struct visit *g = realloc(stack, (scap *= 2) *
							  sizeof *g);
				if (!g)
					goto fail;
				stack = g;
			}
			stack[sn++] = (struct visit){ c, me, v[me].depth + 1,
						      0 };
		}
	}
	free(stack);
	*nv = n;
	return v;
fail:
	free(v);
	free(stack);
	return NULL;
}

int wtree_count(struct wtree *t, uint64_t root, int64_t thr,
		wtree_hot_fn *hot, void *arg, struct wcounts *out)
{
	memset(out, 0, sizeof *out);
	struct wnode *r = wtree_get(t, root);
	if (!r)
		return 0;
	size_t nv;
	struct visit *v = walk(t, r, &nv);
	if (!v)
		return -1;
	for (size_t i = nv; i-- > 1;) { /* every node but the root */
		struct visit *x = &v[i];
		out->n[x->n->kind]++;
		if (is_comment(x->n) && x->depth > out->depth)
			out->depth = x->depth;
		v[x->parent].below += x->below +
				      (x->n->kind == WK_LIVE ? 1 : 0);
	}
	for (size_t i = 1; i < nv; i++) {
		struct visit *x = &v[i];
		if (!is_comment(x->n))
			continue;
		if (x->depth == 1 && (!out->has_hot ||
				      x->below > out->hot_comments ||
				      (x->below == out->hot_comments &&
				       x->n->id < out->hot_id))) {
			out->has_hot = true;
			out->hot_id = x->n->id;
			out->hot_comments = x->below;
		}
		if (hot && thr >= 0 && x->below > (uint64_t)thr)
			hot(x->n, x->below, x->depth, arg);
	}
	if (out->n[WK_LIVE] == 0)
		out->has_hot = false;
	free(v);
	return 0;
}
