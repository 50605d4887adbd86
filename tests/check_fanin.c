/* check_fanin.c — the fan-in counter and the seen set: zero is reached once,
 * by one thread, only after every item is accounted for; ids count once. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "fanin.h"
#include "testutil.h"

START_TEST(test_claim_dedups)
{
	struct fanin f;
	ck_assert_int_eq(fanin_init(&f, 100), 0);
	uint64_t kids[] = { 5, 6, 5, 100, 7, 6, 0 };
	size_t n = fanin_claim(&f, kids, 7);
	ck_assert_uint_eq(n, 3); /* 5 6 7: repeats, the root and 0 dropped */
	ck_assert_uint_eq(kids[0], 5);
	ck_assert_uint_eq(kids[1], 6);
	ck_assert_uint_eq(kids[2], 7);
	uint64_t again[] = { 7, 8 };
	ck_assert_uint_eq(fanin_claim(&f, again, 2), 1);
	ck_assert_uint_eq(again[0], 8);
	fanin_destroy(&f);
}
END_TEST

START_TEST(test_claim_many)
{
	struct fanin f;
	ck_assert_int_eq(fanin_init(&f, 1), 0);
	enum { N = 200000 };
	uint64_t *k = malloc(N * sizeof *k);
	for (size_t i = 0; i < N; i++)
		k[i] = (uint64_t)(i % (N / 2)) + 2; /* each id twice */
	ck_assert_uint_eq(fanin_claim(&f, k, N), N / 2);
	for (size_t i = 0; i < N / 2; i++)
		ck_assert_uint_eq(k[i], i + 2);
	free(k);
	fanin_destroy(&f);
}
END_TEST

START_TEST(test_pending_single_thread)
{
	struct fanin f;
	ck_assert_int_eq(fanin_init(&f, 1), 0);
	ck_assert_int_eq(fanin_pending(&f), 1);
	fanin_add(&f, 2);            /* root has two kids */
	ck_assert(!fanin_done(&f));  /* root accounted */
	ck_assert(!fanin_done(&f));  /* kid 1 */
	ck_assert(fanin_done(&f));   /* kid 2: zero */
	ck_assert_int_eq(fanin_pending(&f), 0);
	fanin_destroy(&f);
}
END_TEST

/* Threads walk a synthetic tree: item i has kids 2i and 2i+1 up to N. Each
 * thread takes items from a shared stack; the test checks that exactly one
 * thread saw zero and only after all N items were handled. */
enum { N = 50000, THREADS = 8 };

struct tree {
	struct fanin f;
	pthread_mutex_t mu;
	uint64_t *stack;
	size_t n;
	atomic_int handled;
	atomic_int zeros;
	atomic_int handled_at_zero;
	atomic_int finished;
};

static void *walker(void *arg)
{
	struct tree *t = arg;
	while (!atomic_load(&t->finished)) {
		pthread_mutex_lock(&t->mu);
		uint64_t id = t->n ? t->stack[--t->n] : 0;
		pthread_mutex_unlock(&t->mu);
		if (!id)
			continue;
		uint64_t kids[3] = { 2 * id, 2 * id + 1, id }; /* id: a cycle */
		size_t nk = 0;
		for (int i = 0; i < 3; i++)
			if (kids[i] <= N)
				kids[nk++] = kids[i];
		size_t fresh = fanin_claim(&t->f, kids, nk);
		fanin_add(&t->f, (int64_t)fresh);
		pthread_mutex_lock(&t->mu);
		for (size_t i = 0; i < fresh; i++)
			t->stack[t->n++] = kids[i];
		pthread_mutex_unlock(&t->mu);
		int h = atomic_fetch_add(&t->handled, 1) + 1;
		if (fanin_done(&t->f)) {
			atomic_fetch_add(&t->zeros, 1);
			atomic_store(&t->handled_at_zero, h);
			atomic_store(&t->finished, 1);
		}
	}
	return NULL;
}

START_TEST(test_pending_threads)
{
	struct tree *t = calloc(1, sizeof *t);
	ck_assert_int_eq(fanin_init(&t->f, 1), 0);
	pthread_mutex_init(&t->mu, NULL);
	t->stack = malloc((N + 1) * sizeof *t->stack);
	t->stack[t->n++] = 1;
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, walker, t);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(atomic_load(&t->zeros), 1);
	ck_assert_int_eq(atomic_load(&t->handled), N);
	ck_assert_int_eq(atomic_load(&t->handled_at_zero), N);
	ck_assert_int_eq(fanin_pending(&t->f), 0);
	free(t->stack);
	fanin_destroy(&t->f);
	pthread_mutex_destroy(&t->mu);
	free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fanin");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_claim_dedups);
	tcase_add_test(tc, test_claim_many);
	tcase_add_test(tc, test_pending_single_thread);
	tcase_add_test(tc, test_pending_threads);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
