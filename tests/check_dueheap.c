/* check_dueheap.c — the heap of work waiting for its time (a worker's
 * retries, the watch's new ids): elements come out earliest first with
 * their payload whole, through growth and interleaved pushes and pops; a
 * walk sees each element once; work kept at a stop (due INFINITY) comes
 * last. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "dueheap.h"
#include "testutil.h"

struct elem {
	double due;
	uint64_t id;
	char tag[13];           /* an odd size: copied whole, not as words */
};

START_TEST(test_earliest_first_with_payload)
{
	struct dueheap h;
	dueheap_init(&h, sizeof(struct elem));
	uint64_t x = 88172645463325252ULL;  /* xorshift: a fixed shuffle */
	for (uint64_t i = 0; i < 1000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		struct elem e = { .due = (double)(x % 5000), .id = x };
		e.tag[0] = (char)('a' + x % 26);
		e.tag[12] = (char)i;
		ck_assert_int_eq(dueheap_push(&h, &e), 0);
	}
	struct elem inf = { .due = INFINITY, .id = 7 };
	ck_assert_int_eq(dueheap_push(&h, &inf), 0);
	ck_assert_uint_eq(h.n, 1001);

	double prev = -1;
	for (size_t i = 0; i < 1000; i++) {
		ck_assert(dueheap_due(&h) >= prev);
		struct elem e;
		dueheap_pop(&h, &e);
		ck_assert(e.due >= prev);
		ck_assert(e.due == (double)(e.id % 5000));   /* whole */
		ck_assert_int_eq(e.tag[0], 'a' + (int)(e.id % 26));
		prev = e.due;
	}
	struct elem last;
	dueheap_pop(&h, &last);
	ck_assert(isinf(last.due) && last.id == 7);
	ck_assert_uint_eq(h.n, 0);
	dueheap_free(&h);
}
END_TEST

START_TEST(test_interleaved_and_walk)
{
	struct dueheap h;
	dueheap_init(&h, sizeof(struct elem));
	static const double dues[] = { 50, 10, 40, 10, 30, 20 };
	for (size_t i = 0; i < 6; i++) {
		struct elem e = { .due = dues[i], .id = i + 1 };
		ck_assert_int_eq(dueheap_push(&h, &e), 0);
	}
	struct elem e;
	dueheap_pop(&h, &e);
	ck_assert(e.due == 10);
	struct elem early = { .due = 5, .id = 99 };
	dueheap_push(&h, &early);
	ck_assert(dueheap_due(&h) == 5);

	uint64_t seen = 0;             /* a bit per id: each once */
	for (size_t i = 0; i < h.n; i++) {
		const struct elem *p = dueheap_at(&h, i);
		uint64_t bit = 1ULL << (p->id % 64);
		ck_assert_msg(!(seen & bit), "id %llu twice",
			      (unsigned long long)p->id);
		seen |= bit;
	}
	ck_assert_uint_eq(h.n, 6);
	ck_assert(seen & (1ULL << 35));        /* 99 % 64 */

	static const double want[] = { 5, 10, 20, 30, 40, 50 };
	for (size_t i = 0; i < 6; i++) {
		dueheap_pop(&h, &e);
		ck_assert_msg(e.due == want[i], "pop %zu: %g", i, e.due);
	}
	ck_assert_uint_eq(h.n, 0);
	dueheap_free(&h);
	ck_assert_ptr_null(h.v);
}
END_TEST

static Suite *dueheap_suite(void)
{
	Suite *s = suite_create("dueheap");
	TCase *tc = tcase_create("dueheap");
	tcase_add_test(tc, test_earliest_first_with_payload);
	tcase_add_test(tc, test_interleaved_and_walk);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(dueheap_suite());
}
