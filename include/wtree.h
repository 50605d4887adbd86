/* wtree.h — the watched trees of --watch: every item of every watched
 * root, each linked to the parent that claimed it, with its kind and its
 * kids as the API lists them; and the counts at every node, computed from
 * that by a walk (no recursion: a 100,000-deep chain is a loop).
 *
 * An id is in the trees once, under the first parent that claimed it (the
 * rule of the crawl): a kid listed by another parent too, or an ancestor
 * listed as a kid, is not counted again. Counting a node's subtree follows
 * only the kids it claimed.
 *
 * Threads: one (the watch's); nothing inside is locked. */
#ifndef HNBATCH_WTREE_H
#define HNBATCH_WTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wkind {
	WK_LIVE = 0, WK_DELETED, WK_DEAD, /* comments, as fanin counts them */
	WK_MISSING, WK_FAILED,            /* answered null; could not be had */
	WK_NKINDS,
	WK_ROOT = WK_NKINDS,              /* the root item itself */
};

struct wnode {
	uint64_t id;
	uint64_t parent;          /* the claiming parent; 0 for a root */
	uint32_t root;            /* the caller's number of its root */
	uint8_t kind;             /* enum wkind */
	bool alerted;             /* a subthread alert was raised for it */
	uint32_t nkids;
	uint64_t *kids;           /* as the item lists them (claimed or not),
	                             each once */
	uint64_t listed_at;       /* the caller's: the newest id known when
	                             kids were asked for (0: unknown) */
};

struct wtree;

struct wtree *wtree_new(void);        /* NULL on out of memory */
void wtree_free(struct wtree *t);
size_t wtree_size(const struct wtree *t);

/* The ids in t now, n of them (valid until t changes). */
const uint64_t *wtree_ids(const struct wtree *t, size_t *n);

/* The node of id, or NULL. */
struct wnode *wtree_get(const struct wtree *t, uint64_t id);

/* Add id (not yet in t) claimed by parent (0: a root) with kind; no kids
 * yet. NULL on out of memory. */
struct wnode *wtree_add(struct wtree *t, uint64_t id, uint64_t parent,
			uint32_t root, enum wkind kind);

/* n's kids as the API now lists them (copied; a kid listed twice is kept
 * once, in its first place). 0, or -1 out of memory. */
int wtree_set_kids(struct wnode *n, const uint64_t *kids, size_t nkids);

/* Move every node of src (none of whose ids is in dst) into dst; src is
 * left empty. */
void wtree_adopt(struct wtree *dst, struct wtree *src);

/* Remove id and everything it claimed below it. The number removed. */
size_t wtree_remove(struct wtree *t, uint64_t id);

/* What a walk of one root's tree found. */
struct wcounts {
	uint64_t n[WK_NKINDS];    /* items below the root by kind */
	uint64_t depth;           /* the deepest fetched comment's depth */
	bool has_hot;             /* the hottest top-level comment: */
	uint64_t hot_id, hot_comments;
};

/* For each comment whose own count is over thr (thr >= 0): */
typedef void wtree_hot_fn(struct wnode *n, uint64_t comments, uint32_t depth,
			  void *arg);

/* Walk the tree of root (an id in t) and fill *out; call hot() for every
 * comment with more than thr live comments below it (thr < 0: none).
 * hottest: as the crawl's (fetched top-level items, ties the smaller id;
 * none when the root has no live comment). 0, or -1 out of memory. */
int wtree_count(struct wtree *t, uint64_t root, int64_t thr,
		wtree_hot_fn *hot, void *arg, struct wcounts *out);

#endif
