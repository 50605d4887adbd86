/* check_u64set.c — the one set of ids: membership, insertion order, values
 * kept beside members through removals, growth to a million members; and
 * the backoff policy every retry uses. */
#include <check.h>
#include <stdlib.h>

#include "backoff.h"
#include "testutil.h"
#include "u64set.h"

START_TEST(test_add_find_order)
{
	struct u64set s;
	u64set_init(&s);
	ck_assert_int_eq(u64set_has(&s, 5), 0);
	ck_assert_int_eq(u64set_add(&s, 5), 1);
	ck_assert_int_eq(u64set_add(&s, 3), 1);
	ck_assert_int_eq(u64set_add(&s, 5), 0);
	ck_assert_int_eq(u64set_add(&s, 9), 1);
	ck_assert_int_eq(u64set_add(&s, 0), -1);       /* 0 is no id */
	ck_assert_uint_eq(s.n, 3);
	ck_assert_uint_eq(s.ids[0], 5);
	ck_assert_uint_eq(s.ids[1], 3);
	ck_assert_uint_eq(s.ids[2], 9);
	ck_assert_uint_eq(u64set_find(&s, 3), 1);
	ck_assert_uint_eq(u64set_find(&s, 4), U64SET_NONE);
	ck_assert_uint_eq(u64set_find(&s, 0), U64SET_NONE);
	u64set_free(&s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(u64set_has(&s, 5), 0);
	ck_assert_int_eq(u64set_add(&s, 7), 1);        /* usable again */
	u64set_free(&s);
}
END_TEST

START_TEST(test_reserve_then_add_cannot_fail)
{
	struct u64set s;
	u64set_init(&s);
	ck_assert_int_eq(u64set_reserve(&s, 1000), 0);
	ck_assert_uint_ge(s.cap, 1000);
	size_t cap = s.cap;
	for (uint64_t i = 1; i <= 1000; i++)
		ck_assert_int_eq(u64set_add(&s, i * 7919), 1);
	ck_assert_uint_eq(s.cap, cap);                 /* no growth needed */
	ck_assert_uint_ge(s.tabcap, 2 * s.n);          /* at most half full */
	u64set_free(&s);
}
END_TEST

/* Remove in a pseudo-random order while a value array follows the set as
 * u64set.h says; every member keeps its value, removed ones are gone. */
START_TEST(test_remove_keeps_values_beside)
{
	enum { N = 5000 };
	struct u64set s;
	u64set_init(&s);
	uint64_t *val = malloc(N * sizeof *val);
	/* clustered ids: long probe runs exercise the backward shift */
	for (uint64_t i = 0; i < N; i++) {
		uint64_t id = (i % 2) ? i + 1 : (i << 20) + 1;
		ck_assert_int_eq(u64set_add(&s, id), 1);
		val[s.n - 1] = id * 3;
	}
	uint64_t x = 88172645463325252ULL;
	size_t removed = 0;
	char *gone = calloc(N, 1);
	for (int round = 0; round < 3 * N; round++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		size_t i = (size_t)(x % N);
		uint64_t id = (i % 2) ? i + 1 : ((uint64_t)i << 20) + 1;
		size_t pos = u64set_remove(&s, id);
		if (gone[i]) {
			ck_assert_uint_eq(pos, U64SET_NONE);
			continue;
		}
		ck_assert_uint_ne(pos, U64SET_NONE);
		if (pos < s.n)
			val[pos] = val[s.n];
		gone[i] = 1;
		removed++;
	}
	ck_assert_uint_eq(s.n, N - removed);
	for (size_t i = 0; i < N; i++) {
		uint64_t id = (i % 2) ? i + 1 : ((uint64_t)i << 20) + 1;
		size_t pos = u64set_find(&s, id);
		if (gone[i]) {
			ck_assert_uint_eq(pos, U64SET_NONE);
		} else {
			ck_assert_uint_ne(pos, U64SET_NONE);
			ck_assert_uint_eq(s.ids[pos], id);
			ck_assert_uint_eq(val[pos], id * 3);
		}
	}
	/* the removed ones can come back */
	for (size_t i = 0; i < N; i++) {
		uint64_t id = (i % 2) ? i + 1 : ((uint64_t)i << 20) + 1;
		ck_assert_int_eq(u64set_add(&s, id), gone[i] ? 1 : 0);
	}
	ck_assert_uint_eq(s.n, N);
	free(gone);
	free(val);
	u64set_free(&s);
}
END_TEST

START_TEST(test_million_in_order)
{
	enum { N = 1000000 };
	struct u64set s;
	u64set_init(&s);
	for (uint64_t i = 0; i < N; i++)
		ck_assert_int_eq(u64set_add(&s, N - i), 1);
	for (uint64_t i = 0; i < N; i += 2)
		ck_assert_int_eq(u64set_add(&s, N - i), 0);
	ck_assert_uint_eq(s.n, N);
	size_t wrong = 0;
	for (uint64_t i = 0; i < N; i++)
		wrong += s.ids[i] != N - i || u64set_find(&s, N - i) != i;
	ck_assert_uint_eq(wrong, 0);
	u64set_free(&s);
}
END_TEST

START_TEST(test_backoff_policy)
{
	const struct backoff b = { 200, 2, 0.5, 10000 };
	uint64_t rng = backoff_seed(7);
	for (unsigned a = 0; a < 12; a++) {
		double lo = 200 * (double)(1u << a) * 0.5;
		double hi = 200 * (double)(1u << a) * 1.5;
		for (int k = 0; k < 200; k++) {
			double d = backoff_delay(&b, a, -1, &rng);
			ck_assert_double_ge(d, lo < 10000 ? lo : 10000);
			ck_assert_double_le(d, hi < 10000 ? hi : 10000);
		}
	}
	/* Retry-After raises the wait, never past the cap */
	ck_assert_double_eq(backoff_delay(&b, 0, 3000, &rng), 3000);
	ck_assert_double_eq(backoff_delay(&b, 0, 60000, &rng), 10000);
	/* no jitter: exact doubling from the base, capped */
	ck_assert_double_eq(backoff_delay(&backoff_alert, 0, -1, NULL), 500);
	ck_assert_double_eq(backoff_delay(&backoff_alert, 3, -1, NULL), 4000);
	ck_assert_double_eq(backoff_delay(&backoff_alert, 40, -1, NULL),
			    30000);
	ck_assert_double_eq(backoff_delay(&backoff_fetch, 1000, -1, &rng),
			    10000);
}
END_TEST

static Suite *u64set_suite(void)
{
	Suite *s = suite_create("u64set");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_add_find_order);
	tcase_add_test(tc, test_reserve_then_add_cannot_fail);
	tcase_add_test(tc, test_remove_keeps_values_beside);
	tcase_add_test(tc, test_million_in_order);
	tcase_add_test(tc, test_backoff_policy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(u64set_suite());
}
