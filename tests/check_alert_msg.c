/* check_alert_msg.c — an alert as its destination sees it: the JSON keeps
 * the whole title, HN_TITLE is cut to ALERT_MSG_ENV_MAX bytes without
 * splitting a UTF-8 character, the other HN_* variables and the base
 * environment are there. Pure functions: the test's thread only. */
#include <check.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "alert_msg.h"
#include "testutil.h"

/* n bytes of 'a', then ch, then a little more. */
static char *title_with(size_t n, const char *ch)
{
	char *t = malloc(n + strlen(ch) + 8);
	ck_assert_ptr_nonnull(t);
	memset(t, 'a', n);
	strcpy(t + n, ch);
	strcat(t, "tail");
	return t;
}

START_TEST(test_cut_on_character_boundary)
{
	static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac",
					     "\xf0\x9f\x98\x80" };
	for (size_t c = 0; c < 3; c++) {
		size_t len = strlen(chars[c]);
		/* the character starts at every offset up to the limit */
		for (size_t k = 1; k <= len; k++) {
			char *t = title_with(ALERT_MSG_ENV_MAX - len + k - 1,
					     chars[c]);
			size_t cut = alert_msg_cut(t, ALERT_MSG_ENV_MAX);
			size_t want = k == 1 ? ALERT_MSG_ENV_MAX
					     : ALERT_MSG_ENV_MAX - len + k - 1;
			ck_assert_msg(cut == want, "char %zu at -%zu: cut %zu, "
				      "want %zu", c, len - k + 1, cut, want);
			free(t);
		}
	}
	ck_assert_uint_eq(alert_msg_cut("short", ALERT_MSG_ENV_MAX), 5);
	ck_assert_uint_eq(alert_msg_cut("", ALERT_MSG_ENV_MAX), 0);
}
END_TEST

START_TEST(test_env_cut_json_whole)
{
	char *t = title_with(ALERT_MSG_ENV_MAX - 1, "\xc3\xa9");
	char *base[] = { "PATH=/bin", "LANG=C", NULL };
	struct alert_env e;
	struct alert_info ai = { .kind = ALERT_STORY, .id = 42, .root = 42,
				 .comments = 7, .title = t };
	ck_assert_int_eq(alert_msg_env(&e, base, 2, &ai), 0);
	ck_assert_str_eq(e.envp[0], "PATH=/bin");
	ck_assert_str_eq(e.envp[1], "LANG=C");
	ck_assert_str_eq(e.envp[2], "HN_KIND=story");
	ck_assert_str_eq(e.envp[3], "HN_ID=42");
	ck_assert_str_eq(e.envp[4], "HN_ROOT=42");
	ck_assert(strncmp(e.envp[5], "HN_TITLE=", 9) == 0);
	ck_assert_uint_eq(strlen(e.envp[5] + 9), ALERT_MSG_ENV_MAX - 1);
	ck_assert(strncmp(e.envp[5] + 9, t, ALERT_MSG_ENV_MAX - 1) == 0);
	ck_assert_str_eq(e.envp[6], "HN_COMMENTS=7");
	ck_assert_str_eq(e.envp[7],
			 "HN_URL=https://news.ycombinator.com/item?id=42");
	ck_assert_ptr_null(e.envp[8]);
	alert_msg_env_free(&e);

	size_t len = 0;
	char *js = alert_msg_json(&ai, &len);
	ck_assert_ptr_nonnull(js);
	ck_assert_uint_eq(len, strlen(js));
	json_object *o = json_tokener_parse(js), *v;
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "title", &v));
	ck_assert_str_eq(json_object_get_string(v), t);
	ck_assert(json_object_object_get_ex(o, "comments", &v));
	ck_assert_int_eq(json_object_get_int64(v), 7);
	json_object_put(o);
	free(js);
	free(t);
}
END_TEST

/* A subthread alert: kind, root, depth and the comment's link, in the
 * JSON and the environment alike. */
START_TEST(test_subthread_fields)
{
	struct alert_info ai = { .kind = ALERT_SUBTHREAD, .id = 9224,
				 .root = 8863, .comments = 14, .depth = 2,
				 .title = "My YC app: Dropbox" };
	size_t len;
	char *js = alert_msg_json(&ai, &len);
	ck_assert_ptr_nonnull(js);
	ck_assert_str_eq(js, "{\"text\":\"HN comment 9224 has 14 comments "
			 "below it (in 8863: My YC app: Dropbox) https://news."
			 "ycombinator.com/item?id=9224\",\"kind\":"
			 "\"subthread\","
			 "\"id\":9224,\"root\":8863,\"title\":\"My YC app: "
			 "Dropbox\",\"comments\":14,\"depth\":2,\"url\":"
			 "\"https://news.ycombinator.com/item?id=9224\"}\n");
	free(js);
	struct alert_env e;
	ck_assert_int_eq(alert_msg_env(&e, NULL, 0, &ai), 0);
	ck_assert_str_eq(e.envp[0], "HN_KIND=subthread");
	ck_assert_str_eq(e.envp[1], "HN_ID=9224");
	ck_assert_str_eq(e.envp[2], "HN_ROOT=8863");
	ck_assert_str_eq(e.envp[5],
			 "HN_URL=https://news.ycombinator.com/item?id=9224");
	alert_msg_env_free(&e);
}
END_TEST

static Suite *alert_msg_suite(void)
{
	Suite *s = suite_create("alert_msg");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_cut_on_character_boundary);
	tcase_add_test(tc, test_env_cut_json_whole);
	tcase_add_test(tc, test_subthread_fields);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(alert_msg_suite());
}
