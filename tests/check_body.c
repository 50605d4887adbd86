/* check_body.c — a response body within its limit: pieces collected and
 * NUL-terminated, a body over the limit refused (too_big) without holding
 * it, a webhook's body cut after its first bytes and still complete, and
 * the buffer of a big body given back between transfers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "testutil.h"

START_TEST(test_pieces_collected)
{
	struct body b = { .max = 100 };
	ck_assert_str_eq(body_text(&b), "");    /* nothing came: "" */
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(body_add(&b, "{\"id\":", 6), 6);
	ck_assert_uint_eq(body_add(&b, "8863}", 5), 5);
	ck_assert_str_eq(body_text(&b), "{\"id\":8863}");
	ck_assert_uint_eq(b.len, 11);
	ck_assert_int_eq(b.too_big | b.cut, 0);
	body_free(&b);
}
END_TEST

START_TEST(test_over_the_limit_refused)
{
	struct body b = { .max = 10 };
	ck_assert_uint_eq(body_add(&b, "123456", 6), 6);
	ck_assert_uint_eq(body_add(&b, "7890", 4), 4);  /* exactly max */
	ck_assert_uint_ne(body_add(&b, "x", 1), 1);     /* one more: ends */
	ck_assert_int_eq(b.too_big, 1);
	ck_assert_int_eq(b.cut, 0);
	ck_assert_uint_eq(b.len, 10);
	body_reset(&b);
	ck_assert_int_eq(b.too_big, 0);
	ck_assert_uint_eq(b.len, 0);
	body_free(&b);
}
END_TEST

START_TEST(test_discard_cuts_after_max)
{
	struct body b = { .max = 4, .discard = 1 };
	ck_assert_uint_ne(body_add(&b, "abcdef", 6), 6);
	ck_assert_int_eq(b.cut, 1);
	ck_assert_int_eq(b.too_big, 0);
	ck_assert_str_eq(body_text(&b), "abcd");
	body_reset(&b);
	ck_assert_int_eq(b.cut, 0);
	/* pieces that fill it exactly go on; the next byte ends it */
	ck_assert_uint_eq(body_add(&b, "ab", 2), 2);
	ck_assert_uint_eq(body_add(&b, "cd", 2), 2);
	ck_assert_int_eq(b.cut, 0);
	ck_assert_uint_ne(body_add(&b, "e", 1), 1);
	ck_assert_int_eq(b.cut, 1);
	ck_assert_str_eq(body_text(&b), "abcd");
	body_free(&b);
}
END_TEST

START_TEST(test_big_buffer_given_back)
{
	struct body b = { .max = 1 << 20 };
	char *big = malloc(100000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 100000);
	ck_assert_uint_eq(body_add(&b, big, 100000), 100000);
	ck_assert_uint_ge(b.cap, 100001);
	body_reset(&b);
	ck_assert_ptr_null(b.buf);              /* over 64 KiB: freed */
	ck_assert_uint_eq(b.cap, 0);
	ck_assert_uint_eq(body_add(&b, "ok", 2), 2);
	char *kept = b.buf;
	body_reset(&b);
	ck_assert_ptr_eq(b.buf, kept);          /* a small one is kept */
	ck_assert_str_eq(body_text(&b), "");
	free(big);
	body_free(&b);
}
END_TEST

static Suite *body_suite(void)
{
	Suite *s = suite_create("body");
	TCase *tc = tcase_create("body");
	tcase_add_test(tc, test_pieces_collected);
	tcase_add_test(tc, test_over_the_limit_refused);
	tcase_add_test(tc, test_discard_cuts_after_max);
	tcase_add_test(tc, test_big_buffer_given_back);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(body_suite());
}
