/* check_workq.c — the work queue: LIFO order, batches, timeouts, close, and
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

START_TEST(test_lifo_and_batches)
{
	struct workq q;
	ck_assert_int_eq(workq_init(&q), 0);
	struct work in[5] = { W(1), W(2), W(3), W(4), W(5) };
	ck_assert_int_eq(workq_push(&q, in, 5), 0);
	ck_assert_uint_eq(workq_len(&q), 5);
	struct work out[8];
	size_t n = workq_pop(&q, out, 2, 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[0].id, 5);
	ck_assert_uint_eq(out[1].id, 4);
	n = workq_pop(&q, out, 8, 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(out[2].id, 1);
	ck_assert_uint_eq(out[2].depth, 2);
	ck_assert_uint_eq(workq_pop(&q, out, 8, 0), 0);
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

START_TEST(test_grow_and_shrink)
{
	struct workq q;
	ck_assert_int_eq(workq_init(&q), 0);
	enum { N = 100000 };
	for (uint64_t i = 1; i <= N; i++) {
		struct work w = W(i);
		ck_assert_int_eq(workq_push(&q, &w, 1), 0);
	}
	struct work out[256];
	uint64_t expect = N;
	size_t n;
	while ((n = workq_pop(&q, out, 256, 0)) > 0)
		for (size_t i = 0; i < n; i++)
			ck_assert_uint_eq(out[i].id, expect--);
	ck_assert_uint_eq(expect, 0);
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
	tcase_add_test(tc, test_lifo_and_batches);
	tcase_add_test(tc, test_timeout_and_close);
	tcase_add_test(tc, test_grow_and_shrink);
	tcase_add_test(tc, test_many_threads);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
