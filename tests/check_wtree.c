/* check_wtree.c — the watched trees: counts at every node from the links,
 * claims honoured (a kid listed twice, by two parents, or back up a
 * cycle counts once), a subtree removed whole, a 100,000-deep chain
 * counted without recursion. */
#include <check.h>
#include <stdlib.h>

#include "testutil.h"
#include "wtree.h"

/* Add id under parent with kind and kids (0-terminated list). */
static struct wnode *node(struct wtree *t, uint64_t id, uint64_t parent,
			  enum wkind kind, const uint64_t *kids)
{
	struct wnode *n = wtree_add(t, id, parent, 7, kind);
	ck_assert_ptr_nonnull(n);
	size_t k = 0;
	while (kids && kids[k])
		k++;
	ck_assert_int_eq(wtree_set_kids(n, kids, k), 0);
	return n;
}

struct hots {
	uint64_t id[16], comments[16], depth[16];
	int n;
};

static void on_hot(struct wnode *n, uint64_t comments, uint32_t depth,
		   void *arg)
{
	struct hots *h = arg;
	ck_assert_int_lt(h->n, 16);
	h->id[h->n] = n->id;
	h->comments[h->n] = comments;
	h->depth[h->n++] = depth;
}

START_TEST(test_counts_and_claims)
{
	/* 1 -> {2, 3(deleted), 4(missing), 2}; 2 -> {5, 6(dead), 1};
	 * 3 -> {7, 5}; 5 -> {8, 9}; 7 -> {} */
	struct wtree *t = wtree_new();
	node(t, 1, 0, WK_ROOT, (uint64_t[]){ 2, 3, 4, 2, 0 });
	node(t, 2, 1, WK_LIVE, (uint64_t[]){ 5, 6, 1, 0 });
	node(t, 3, 1, WK_DELETED, (uint64_t[]){ 7, 5, 0 });
	node(t, 4, 1, WK_MISSING, NULL);
	node(t, 5, 2, WK_LIVE, (uint64_t[]){ 8, 9, 0 });
	node(t, 6, 2, WK_DEAD, NULL);
	node(t, 7, 3, WK_LIVE, NULL);
	node(t, 8, 5, WK_LIVE, NULL);
	node(t, 9, 5, WK_FAILED, NULL);
	struct wcounts c;
	struct hots h = { .n = 0 };
	ck_assert_int_eq(wtree_count(t, 1, 1, on_hot, &h, &c), 0);
	ck_assert_uint_eq(c.n[WK_LIVE], 4);     /* 2 5 7 8 */
	ck_assert_uint_eq(c.n[WK_DELETED], 1);
	ck_assert_uint_eq(c.n[WK_DEAD], 1);
	ck_assert_uint_eq(c.n[WK_MISSING], 1);
	ck_assert_uint_eq(c.n[WK_FAILED], 1);
	ck_assert_uint_eq(c.depth, 3);           /* 8 */
	/* 2 has 5 and 8 below (6 is dead): 2; 3 has 7: 1; 5 has 8: 1 */
	ck_assert(c.has_hot && c.hot_id == 2 && c.hot_comments == 2);
	ck_assert_int_eq(h.n, 1);                /* over 1: only 2 */
	ck_assert(h.id[0] == 2 && h.comments[0] == 2 && h.depth[0] == 1);
	/* take 5 out: 8 and 9 go with it */
	ck_assert_uint_eq(wtree_remove(t, 5), 3);
	ck_assert_ptr_null(wtree_get(t, 8));
	ck_assert_int_eq(wtree_count(t, 1, -1, NULL, NULL, &c), 0);
	ck_assert_uint_eq(c.n[WK_LIVE], 2);
	ck_assert_uint_eq(c.n[WK_FAILED], 0);
	ck_assert(c.has_hot && c.hot_id == 3 && c.hot_comments == 1);
	/* a reply under 2: 2 and 3 both have 1 below, the smaller id wins */
	ck_assert_int_eq(wtree_set_kids(wtree_get(t, 2),
					(uint64_t[]){ 6, 1, 10 }, 3), 0);
	node(t, 10, 2, WK_LIVE, NULL);
	ck_assert_int_eq(wtree_count(t, 1, -1, NULL, NULL, &c), 0);
	ck_assert(c.has_hot && c.hot_id == 2 && c.hot_comments == 1);
	ck_assert_uint_eq(wtree_size(t), 7);
	wtree_free(t);
}
END_TEST

START_TEST(test_no_comments_no_hottest)
{
	struct wtree *t = wtree_new();
	node(t, 1, 0, WK_ROOT, (uint64_t[]){ 2, 0 });
	node(t, 2, 1, WK_DELETED, NULL);
	struct wcounts c;
	ck_assert_int_eq(wtree_count(t, 1, 0, NULL, NULL, &c), 0);
	ck_assert(!c.has_hot);
	ck_assert_uint_eq(c.n[WK_DELETED], 1);
	wtree_free(t);
}
END_TEST

START_TEST(test_deep_chain)
{
	enum { N = 100000 };
	struct wtree *t = wtree_new();
	for (uint64_t i = 1; i <= N + 1; i++) {
		uint64_t kid[2] = { i + 1, 0 };
		node(t, i, i - 1, i == 1 ? WK_ROOT : WK_LIVE,
		     i <= N ? kid : NULL);
	}
	struct wcounts c;
	struct hots h = { .n = 0 };
	/* only the top 5 comments have more than N - 6 below them */
	ck_assert_int_eq(wtree_count(t, 1, N - 6, on_hot, &h, &c), 0);
	ck_assert_uint_eq(c.n[WK_LIVE], N);
	ck_assert_uint_eq(c.depth, N);
	ck_assert(c.has_hot && c.hot_id == 2 && c.hot_comments == N - 1);
	ck_assert_int_eq(h.n, 5);
	ck_assert_uint_eq(wtree_remove(t, 1), N + 1);
	ck_assert_uint_eq(wtree_size(t), 0);
	wtree_free(t);
}
END_TEST

static Suite *wtree_suite(void)
{
	Suite *s = suite_create("wtree");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_counts_and_claims);
	tcase_add_test(tc, test_no_comments_no_hottest);
	tcase_add_test(tc, test_deep_chain);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(wtree_suite());
}
