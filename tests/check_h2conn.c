/* check_h2conn.c — connections to an HTTP/2 server: as many as the
 * in-flight cap needs at 100 streams each, and more once a server shows a
 * lower stream cap; none capped over HTTP/1.1. */
#include <check.h>

#include "h2conn.h"
#include "testutil.h"

START_TEST(caps_by_what_flies)
{
	struct h2conn h;
	h2conn_init(&h);
	h2conn_cap(&h, 512);
	ck_assert_int_eq(h2conn_connections(&h), 0);    /* http: none yet */
	h2conn_url(&h, 1);                              /* https: may mux */
	ck_assert_int_eq(h2conn_connections(&h), 6);
	h2conn_version(&h, 1);
	h2conn_cap(&h, 1000);
	ck_assert_int_eq(h2conn_connections(&h), 10);
	h2conn_cap(&h, 100);
	ck_assert_int_eq(h2conn_connections(&h), 1);

	h2conn_init(&h);                                /* HTTP/1.1 over TLS */
	h2conn_url(&h, 1);
	h2conn_cap(&h, 512);
	h2conn_version(&h, 0);
	ck_assert_int_eq(h2conn_connections(&h), 0);
	h2conn_version(&h, 1);                          /* the first counts */
	ck_assert_int_eq(h2conn_connections(&h), 0);
}
END_TEST

/* k connections of local ports 40000.. with n streams open on each. */
static void open_streams(struct h2conn *h, int k, unsigned n)
{
	for (int c = 0; c < k; c++)
		for (unsigned i = 0; i < n; i++)
			h2conn_stream(h, 40000 + c, 1);
}

START_TEST(learns_a_lower_server_cap)
{
	struct h2conn h;
	h2conn_init(&h);
	h2conn_url(&h, 1);
	h2conn_version(&h, 1);
	h2conn_cap(&h, 500);                            /* 5 connections */
	open_streams(&h, 5, 32);
	ck_assert_uint_eq(h.open, 160);
	/* nobody waits: nothing learned */
	ck_assert_int_eq(h2conn_learn(&h, 0), 0);
	/* one connection short of the 5 allowed: it may be connecting */
	h2conn_stream(&h, 40004, -1);
	for (int i = 0; i < 31; i++)
		h2conn_stream(&h, 40004, -1);
	ck_assert_uint_eq(h.nconn, 4);
	ck_assert_int_eq(h2conn_learn(&h, 300), 0);
	for (int i = 0; i < 32; i++)
		h2conn_stream(&h, 40004, 1);
	/* uneven: one stream just ended, curl may be about to reuse it */
	h2conn_stream(&h, 40001, -1);
	ck_assert_int_eq(h2conn_learn(&h, 300), 0);
	h2conn_stream(&h, 40001, 1);
	/* all five at 32 while 340 wait: the server allows 32 */
	ck_assert_int_eq(h2conn_learn(&h, 340), 1);
	ck_assert_uint_eq(h.streams, 32);
	ck_assert_int_eq(h2conn_connections(&h), 16);   /* ceil(500 / 32) */
}
END_TEST

START_TEST(full_at_curls_cap_learns_nothing)
{
	struct h2conn h;
	h2conn_init(&h);
	h2conn_url(&h, 1);
	h2conn_version(&h, 1);
	h2conn_cap(&h, 300);
	open_streams(&h, 3, 100);
	ck_assert_int_eq(h2conn_learn(&h, 50), 0);
	ck_assert_uint_eq(h.streams, 100);
	ck_assert_int_eq(h2conn_connections(&h), 3);
	/* ports never seen and HTTP/1.1 streams are not counted */
	h2conn_stream(&h, 1234, -1);
	ck_assert_uint_eq(h.open, 300);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("h2conn");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, caps_by_what_flies);
	tcase_add_test(tc, learns_a_lower_server_cap);
	tcase_add_test(tc, full_at_curls_cap_learns_nothing);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
