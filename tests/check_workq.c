/* check_workq.c — the work queue: its order, batches, timeouts, close, and
 * many producers and consumers at once (workers record, the test asserts
 * after joining). */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "log.h"
#include "workq.h"
#include "testutil.h"

static struct work W(uint64_t id)
{
	return (struct work){ .id = id, .root = 1, .depth = 2, .attempt = 0 };
}

static struct work WD(uint64_t id, uint32_t depth, uint32_t rank)
{
	return (struct work){ .id = id, .root = 1, .depth = depth,
			      .rank = rank };
}

/* Fetches first, then deeper, then lower rank, then first pushed. */
START_TEST(test_order_and_batches)
{
	struct workq q;
	ck_assert_int_eq(workq_init(&q), 0);
	struct work in[] = { WD(1, 1, 0), WD(2, 3, 5), WD(3, 3, 1),
			     WD(4, 2, 0), WD(5, 3, 1), WD(6, 0, 0) };
	ck_assert_int_eq(workq_push(&q, in, 6), 0);
	struct work fetch = { .id = 7, .tag = 1 };
	ck_assert_int_eq(workq_push(&q, &fetch, 1), 0);
	ck_assert_uint_eq(workq_len(&q), 7);
	struct work out[8];
	size_t n = workq_pop(&q, out, 2, 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[0].id, 7);
	ck_assert_uint_eq(out[0].tag, 1);
	ck_assert_uint_eq(out[1].id, 3);
	n = workq_pop(&q, out, 8, 0);
	ck_assert_uint_eq(n, 5);
	static const uint64_t expect[] = { 5, 2, 4, 1, 6 };
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(out[i].id, expect[i]);
	ck_assert_uint_eq(out[1].depth, 3);
	ck_assert_uint_eq(out[1].rank, 5);
	ck_assert_uint_eq(workq_pop(&q, out, 8, 0), 0);
	workq_destroy(&q);
}
END_TEST

/* A kid's rank: its parent's plus its place counted from both ends of the
 * list (first, last, second, ...), every place used once, saturating. */
START_TEST(test_kid_rank)
{
	static const uint32_t five[] = { 0, 2, 4, 3, 1 };
	for (size_t i = 0; i < 5; i++)
		ck_assert_uint_eq(workq_kid_rank(10, i, 5), 10 + five[i]);
	ck_assert_uint_eq(workq_kid_rank(0, 0, 1), 0);
	ck_assert_uint_eq(workq_kid_rank(0, 1, 2), 1);
	for (size_t n = 1; n <= 64; n++) {
		unsigned char seen[64] = { 0 };
		for (size_t i = 0; i < n; i++) {
			uint32_t r = workq_kid_rank(0, i, n);
			ck_assert_uint_lt(r, n);
			ck_assert_msg(!seen[r]++, "place %u twice of %zu",
				      (unsigned)r, n);
		}
	}
	/* the last of a long list is second; the sum saturates */
	ck_assert_uint_eq(workq_kid_rank(0, 999999, 1000000), 1);
	ck_assert_uint_eq(workq_kid_rank(0, 499999, 1000000), 999998);
	ck_assert_uint_eq(workq_kid_rank(0, 500000, 1000000), 999999);
	ck_assert_uint_eq(workq_kid_rank(UINT32_MAX - 1, 0, 3), UINT32_MAX - 1);
	ck_assert_uint_eq(workq_kid_rank(UINT32_MAX - 1, 1, 3), UINT32_MAX);
	ck_assert_uint_eq(workq_kid_rank(UINT32_MAX, 2, 3), UINT32_MAX);
	ck_assert_uint_eq(workq_kid_rank(7, (size_t)1 << 40,
					 ((size_t)1 << 41) + 1), UINT32_MAX);
}
END_TEST

/* Depth and rank beyond the key's bits saturate: still deeper before
 * shallower, and equals keep the order they were pushed in. */
START_TEST(test_saturated_keys)
{
	struct workq q;
	ck_assert_int_eq(workq_init(&q), 0);
	struct work in[] = { WD(1, 5000, UINT32_MAX), WD(2, 100000, 1u << 25),
			     WD(3, 4093, 0), WD(4, 4094, 7) };
	ck_assert_int_eq(workq_push(&q, in, 4), 0);
	struct work out[4];
	ck_assert_uint_eq(workq_pop(&q, out, 4, 0), 4);
	static const uint64_t expect[] = { 4, 1, 2, 3 };
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(out[i].id, expect[i]);
	workq_destroy(&q);
}
END_TEST

START_TEST(test_timeout_and_close)
{
	struct workq q;
	ck_assert_int_eq(workq_init(&q), 0);
	struct work out[1];
	double t = clock_now_ms();
	ck_assert_uint_eq(workq_pop(&q, out, 1, 50), 0);
	ck_assert(clock_now_ms() - t >= 45); /* it did wait (no upper bound) */
	struct work one = W(7);
	workq_push(&q, &one, 1);
	workq_close(&q);
	/* closed: what is left still comes out, then 0 without waiting */
	ck_assert_uint_eq(workq_pop(&q, out, 1, -1), 1);
	ck_assert_uint_eq(out[0].id, 7);
	ck_assert_uint_eq(workq_pop(&q, out, 1, -1), 0);
	workq_destroy(&q);
}
END_TEST

/* 100,000 items of mixed depth and rank, pushed in batches: they come out
 * in the queue's order, and the heap grows and shrinks on the way. */
START_TEST(test_grow_and_shrink)
{
	struct workq q;
	ck_assert_int_eq(workq_init(&q), 0);
	enum { N = 100000 };
	uint32_t x = 12345;
	for (uint64_t i = 1; i <= N;) {
		struct work b[16];
		size_t k = 0;
		for (; k < 16 && i <= N; k++, i++) {
			x = x * 1103515245u + 12345u;
			b[k] = WD(i, (x >> 16) % 30, (x >> 8) % 50);
		}
		ck_assert_int_eq(workq_push(&q, b, k), 0);
	}
	struct work out[256], prev = { 0 };
	uint64_t got = 0;
	size_t n;
	while ((n = workq_pop(&q, out, 256, 0)) > 0) {
		for (size_t i = 0; i < n; i++, got++) {
			const struct work *w = &out[i];
			if (got > 0)
				ck_assert_msg(w->depth < prev.depth ||
					      (w->depth == prev.depth &&
					       (w->rank > prev.rank ||
						(w->rank == prev.rank &&
						 w->id > prev.id))),
					      "item %llu (depth %u rank %u) "
					      "after %llu (%u, %u)",
					      (unsigned long long)w->id,
					      w->depth, w->rank,
					      (unsigned long long)prev.id,
					      prev.depth, prev.rank);
			prev = *w;
		}
	}
	ck_assert_uint_eq(got, N);
	ck_assert_uint_eq(workq_len(&q), 0);
	workq_destroy(&q);
}
END_TEST

/* Producers push disjoint ids; consumers block on the queue and record what
 * they got; the test checks that every id came out exactly once. */
enum { PRODUCERS = 4, CONSUMERS = 4, PER = 20000 };

struct shared {
	struct workq q;
	unsigned char seen[PRODUCERS * PER + 1];  /* per id: times popped */
	pthread_mutex_t mu;
};

struct pctx { struct shared *s; int k; };

static void *producer(void *arg)
{
	struct pctx *p = arg;
	for (int i = 0; i < PER; i += 10) {
		struct work b[10];
		for (int j = 0; j < 10; j++)
			b[j] = W((uint64_t)(p->k * PER + i + j + 1));
		workq_push(&p->s->q, b, 10);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct shared *s = arg;
	struct work out[7];
	size_t n;
	while ((n = workq_pop(&s->q, out, 7, -1)) > 0) {
		pthread_mutex_lock(&s->mu);
		for (size_t i = 0; i < n; i++)
			s->seen[out[i].id]++;
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

START_TEST(test_many_threads)
{
	struct shared *s = calloc(1, sizeof *s);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(workq_init(&s->q), 0);
	pthread_mutex_init(&s->mu, NULL);
	pthread_t pt[PRODUCERS], ct[CONSUMERS];
	struct pctx pc[PRODUCERS];
	for (int i = 0; i < CONSUMERS; i++)
		pthread_create(&ct[i], NULL, consumer, s);
	for (int i = 0; i < PRODUCERS; i++) {
		pc[i] = (struct pctx){ s, i };
		pthread_create(&pt[i], NULL, producer, &pc[i]);
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(pt[i], NULL);
	workq_close(&s->q); /* the sentinel: consumers drain, then leave */
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(ct[i], NULL);
	for (int id = 1; id <= PRODUCERS * PER; id++)
		ck_assert_msg(s->seen[id] == 1, "id %d popped %d times", id,
			      s->seen[id]);
	workq_destroy(&s->q);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("workq");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_order_and_batches);
	tcase_add_test(tc, test_kid_rank);
	tcase_add_test(tc, test_saturated_keys);
	tcase_add_test(tc, test_timeout_and_close);
	tcase_add_test(tc, test_grow_and_shrink);
	tcase_add_test(tc, test_many_threads);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
