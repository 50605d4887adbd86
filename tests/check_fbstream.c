/* check_fbstream.c — Firebase stream events on the three streams --watch
 * follows: the value after each put and patch, keep-alive, the events that
 * end a stream, and what is refused. */
#include <check.h>
#include <string.h>

#include "fbstream.h"
#include "testutil.h"

static enum fbs_result ev(struct fbstream *s, const char *event,
			  const char *data)
{
	char why[128] = "";
	enum fbs_result r = fbs_apply(s, event, data, strlen(data), why,
				      sizeof why);
	if (r == FBS_BAD)
		ck_assert_msg(why[0], "no reason for a bad event");
	return r;
}

START_TEST(test_maxitem)
{
	struct fbstream s;
	fbs_init(&s, FBS_MAXITEM);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/\",\"data\":41000000}"),
			 FBS_CHANGED);
	ck_assert(s.has_value && s.maxitem == 41000000);
	ck_assert_int_eq(ev(&s, "keep-alive", "null"), FBS_SAME);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/\",\"data\":41000000}"),
			 FBS_SAME);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/\",\"data\":41000003} "),
			 FBS_CHANGED);
	ck_assert_uint_eq(s.maxitem, 41000003);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/\",\"data\":\"x\"}"),
			 FBS_BAD);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/\"}"), FBS_BAD);
	ck_assert_int_eq(ev(&s, "put", "{'path':'/','data':5}"), FBS_BAD);
	ck_assert_int_eq(ev(&s, "put", "[1]"), FBS_BAD);
	ck_assert_int_eq(ev(&s, "cancel", "null"), FBS_END);
	ck_assert_int_eq(ev(&s, "auth_revoked", "null"), FBS_END);
	ck_assert_uint_eq(s.maxitem, 41000003);
	fbs_free(&s);
}
END_TEST

START_TEST(test_list)
{
	struct fbstream s;
	fbs_init(&s, FBS_LIST);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/\",\"data\":[5,6,7,8]}"),
			 FBS_CHANGED);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_int_eq(ev(&s, "patch",
			    "{\"path\":\"/\",\"data\":{\"1\":9,\"4\":10}}"),
			 FBS_CHANGED);
	uint64_t want[] = { 5, 9, 7, 8, 10 };
	ck_assert_uint_eq(s.n, 5);
	ck_assert_mem_eq(s.ids, want, sizeof want);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/2\",\"data\":11}"),
			 FBS_CHANGED);
	ck_assert_uint_eq(s.ids[2], 11);
	/* removed at the end (null): the list is shorter */
	ck_assert_int_eq(ev(&s, "patch",
			    "{\"path\":\"/\",\"data\":{\"4\":null}}"),
			 FBS_CHANGED);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_int_eq(ev(&s, "patch",
			    "{\"path\":\"/\",\"data\":{\"99999\":1}}"),
			 FBS_BAD);
	ck_assert_int_eq(ev(&s, "patch",
			    "{\"path\":\"/\",\"data\":{\"01\":1}}"),
			 FBS_BAD);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/\",\"data\":[1,-2]}"),
			 FBS_BAD);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/\",\"data\":null}"),
			 FBS_CHANGED);
	ck_assert_uint_eq(s.n, 0);
	fbs_free(&s);
}
END_TEST

START_TEST(test_updates)
{
	struct fbstream s;
	fbs_init(&s, FBS_UPDATES);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/\",\"data\":{\"items\":"
			    "[3,4],\"profiles\":[\"pg\"]}}"), FBS_CHANGED);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_uint_eq(s.ids[1], 4);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/items\",\"data\":[9]}"),
			 FBS_CHANGED);
	ck_assert(s.n == 1 && s.ids[0] == 9);
	ck_assert_int_eq(ev(&s, "patch", "{\"path\":\"/\",\"data\":{\"items\":"
			    "[7,8,9]}}"), FBS_CHANGED);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/profiles\",\"data\":"
			    "[\"x\"]}"), FBS_SAME);
	ck_assert_int_eq(ev(&s, "put", "{\"path\":\"/items\",\"data\":"
			    "{\"a\":1}}"), FBS_BAD);
	fbs_free(&s);
}
END_TEST

static Suite *fbstream_suite(void)
{
	Suite *s = suite_create("fbstream");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_maxitem);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_updates);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(fbstream_suite());
}
