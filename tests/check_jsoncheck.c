/* check_jsoncheck.c — unit tests for jsoncheck.c, the strict JSON syntax
 * check: texts it must accept (each also parsed by json-c, so the list
 * itself is JSON), texts it must refuse (what json-c 0.16 lets through in
 * strict mode among them), the depth limit on a small thread stack, every
 * truncation of valid texts, and the same verdict however the text is cut
 * into pieces. One suite; everything runs on the test's own thread except
 * one check on a thread with a 16 KiB stack (joined, then asserted). */
#include "jsoncheck.h"

#include <check.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

static const char *const valid[] = {
	"0", "-0", "1", "-1", "123", "1.5", "-1.5e10", "1E+2", "1e-2",
	"0.0", "0e0", "10", "9007199254740993", "1e400", "true", "false",
	"null", "\"\"", "\"a\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
	"\"\\u00e9\\uD83D\\uDE00\\u0000\"", "\"caf\xC3\xA9\"", "[]", "{}",
	"[1,2,3]", "[[[]]]", "{\"\":0}",
	"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
	" \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \n",
	"{\"id\":8863,\"type\":\"story\",\"kids\":[9224,8917],"
	"\"title\":\"My YC app: Dropbox - Throw away your USB drive\"}",
	"[-0.5e-0,0E0,123.456E+789]",
};

/* A text and the start of the reason it must be refused for. */
static const struct {
	const char *text;
	const char *why;
} invalid[] = {
	{ "{'id':2}", "unexpected ''' (expected a key in double quotes "
		      "or '}') at byte 1" },
	{ "'a'", "unexpected ''' (expected a value) at byte 0" },
	{ "NaN", "unexpected 'N'" },
	{ "nan", "unexpected 'a' (expected null) at byte 1" },
	{ "Infinity", "unexpected 'I'" },
	{ "-Infinity", "bad number ('I' where a digit must be) at byte 1" },
	{ "[1.]", "bad number (']' where a digit must be) at byte 3" },
	{ "1.", "truncated" },
	{ ".5", "unexpected '.'" },
	{ "+1", "unexpected '+'" },
	{ "01", "bad number (a digit after a leading 0) at byte 1" },
	{ "-01", "bad number (a digit after a leading 0)" },
	{ "-", "truncated" },
	{ "1e", "truncated" },
	{ "1e+", "truncated" },
	{ "[1e+]", "bad number (']'" },
	{ "1.e3", "bad number ('e'" },
	{ "0x10", "trailing garbage ('x' after the value) at byte 1" },
	{ "[1,]", "unexpected ']' (expected a value) at byte 3" },
	{ "{\"a\":1,}", "unexpected '}' (expected a key in double quotes)" },
	{ "[,1]", "unexpected ','" },
	{ "{,}", "unexpected ','" },
	{ "{\"a\" 1}", "unexpected '1' (expected ':')" },
	{ "{\"a\":}", "unexpected '}' (expected a value)" },
	{ "{1:2}", "unexpected '1'" },
	{ "{\"a\":1 \"b\":2}", "unexpected '\"' (expected ',' or '}')" },
	{ "[1 2]", "unexpected '2' (expected ',' or ']')" },
	{ "True", "unexpected 'T'" },
	{ "NULL", "unexpected 'N'" },
	{ "nul", "truncated" },
	{ "truex", "trailing garbage ('x'" },
	{ "[truex]", "unexpected 'x' (expected ',' or ']')" },
	{ "\"abc", "truncated (the text ends inside a value) at byte 4" },
	{ "\"\\x\"", "bad escape (\\ then 'x') in a string at byte 2" },
	{ "\"\\u12\"", "bad \\u escape ('\"' is not a hex digit)" },
	{ "\"\\u12G4\"", "bad \\u escape ('G'" },
	{ "\"\\U0041\"", "bad escape (\\ then 'U')" },
	{ "\"a\tb\"", "raw control character 0x09 in a string at byte 2" },
	{ "\"a\nb\"", "raw control character 0x0a" },
	{ "\"\x1f\"", "raw control character 0x1f" },
	{ "/* c */ 1", "unexpected '/'" },
	{ "// c\n1", "unexpected '/'" },
	{ "1 2", "trailing garbage ('2'" },
	{ "{} {}", "trailing garbage ('{'" },
	{ "[] x", "trailing garbage ('x' after the value) at byte 3" },
	{ "", "no value (empty or blank) at byte 0" },
	{ " \n\t\r", "no value (empty or blank) at byte 4" },
	{ "\xEF\xBB\xBF{}", "unexpected byte 0xef" },
	{ "{\"a\":1}}", "trailing garbage ('}'" },
	{ "]", "unexpected ']'" },
	{ "}", "unexpected '}'" },
	{ "[}", "unexpected '}' (expected a value or ']')" },
	{ "{]", "unexpected ']' (expected a key in double quotes or '}')" },
	{ "\v1", "unexpected byte 0x0b" },
	{ "\f1", "unexpected byte 0x0c" },
	{ "[1,2", "truncated" },
	{ "{\"a\":", "truncated" },
	{ "{\"a\"", "truncated" },
	{ "[\"a\\", "truncated" },
	{ "[\"\\u00", "truncated" },
	{ "<html><body>502</body></html>", "unexpected '<'" },
};

#define N(a) (sizeof (a) / sizeof (a)[0])

/* jsoncheck(s) with the reason; 0 or -1. */
static int check(const char *s, size_t len, unsigned depth, char *why,
		 size_t whylen)
{
	memset(why, 'x', whylen);
	int rc = jsoncheck(s, len, depth, why, whylen);
	ck_assert_msg(memchr(why, '\0', whylen) != NULL, "why unterminated");
	return rc;
}

START_TEST(accepts_valid)
{
	char why[256];
	for (size_t i = 0; i < N(valid); i++) {
		ck_assert_msg(check(valid[i], strlen(valid[i]), 0, why,
				    sizeof why) == 0, "refused %s: %s",
			      valid[i], why);
		ck_assert_str_eq(why, "");
		/* The list itself is JSON: json-c reads each one. */
		json_object *o = NULL;
		json_tokener *tok = json_tokener_new();
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
		o = json_tokener_parse_ex(tok, valid[i],
					  (int)strlen(valid[i]) + 1);
		ck_assert_msg(json_tokener_get_error(tok) ==
			      json_tokener_success, "json-c refuses %s",
			      valid[i]);
		json_object_put(o);
		json_tokener_free(tok);
	}
}
END_TEST

START_TEST(refuses_invalid)
{
	char why[256];
	for (size_t i = 0; i < N(invalid); i++) {
		const char *t = invalid[i].text;
		ck_assert_msg(check(t, strlen(t), 0, why, sizeof why) == -1,
			      "accepted <%s>", t);
		ck_assert_msg(strncmp(why, invalid[i].why,
				      strlen(invalid[i].why)) == 0,
			      "<%s>: got \"%s\", want \"%s...\"", t, why,
			      invalid[i].why);
	}
}
END_TEST

/* What json-c 0.16 takes in strict mode, and this refuses: the reason the
 * module exists. */
START_TEST(refuses_what_jsonc_takes)
{
	static const char *const lax[] = { "{'id':2}", "NaN", "1.", "-1.",
					   "[1.]", "Infinity", "-Infinity" };
	char why[256];
	int jsonc_took = 0;
	for (size_t i = 0; i < N(lax); i++) {
		json_tokener *tok = json_tokener_new();
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
		json_object *o = json_tokener_parse_ex(tok, lax[i],
						       (int)strlen(lax[i]) + 1);
		jsonc_took += json_tokener_get_error(tok) ==
			      json_tokener_success;
		json_object_put(o);
		json_tokener_free(tok);
		ck_assert_msg(check(lax[i], strlen(lax[i]), 0, why,
				    sizeof why) == -1, "accepted %s", lax[i]);
	}
	/* Not a test of json-c, but a sign the list still means something. */
	ck_assert_int_gt(jsonc_took, 0);
}
END_TEST

/* NUL bytes are bytes like any other: refused outside and inside strings
 * (where only the escape \u0000 is allowed). */
START_TEST(nul_bytes)
{
	char why[256];
	ck_assert_int_eq(check("1\0", 2, 0, why, sizeof why), -1);
	ck_assert_str_eq(why, "trailing garbage (byte 0x00 after the value) "
			 "at byte 1");
	ck_assert_int_eq(check("\"a\0b\"", 5, 0, why, sizeof why), -1);
	ck_assert_str_eq(why, "raw control character 0x00 in a string at "
			 "byte 2");
	ck_assert_int_eq(check("\0", 1, 0, why, sizeof why), -1);
	ck_assert_int_eq(check("[1]\0", 4, 0, why, sizeof why), -1);
	ck_assert_int_eq(check("\"\\u0000\"", 8, 0, why, sizeof why), 0);
}
END_TEST

/* n arrays nested: "[[[...]]]" (malloc'd, length 2n). */
static char *nest(size_t n)
{
	char *s = malloc(2 * n + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = '\0';
	return s;
}

START_TEST(depth_limit)
{
	char why[256], want[128];
	char *s = nest(JSONCHECK_DEPTH);
	ck_assert_int_eq(check(s, strlen(s), 0, why, sizeof why), 0);
	free(s);
	s = nest(JSONCHECK_DEPTH + 1);
	ck_assert_int_eq(check(s, strlen(s), 0, why, sizeof why), -1);
	snprintf(want, sizeof want, "nested deeper than %d levels at byte %d",
		 JSONCHECK_DEPTH, JSONCHECK_DEPTH);
	ck_assert_str_eq(why, want);
	free(s);
	/* depth 2: an item's own shape fits, one more level does not */
	ck_assert_int_eq(check("{\"kids\":[1]}", 12, 2, why, sizeof why), 0);
	ck_assert_int_eq(check("{\"a\":{\"b\":[]}}", 14, 2, why, sizeof why),
			 -1);
	ck_assert_str_eq(why, "nested deeper than 2 levels at byte 10");
	/* Above the most a check can follow: capped there. */
	s = nest(JSONCHECK_DEPTH_MAX);
	ck_assert_int_eq(check(s, strlen(s), UINT_MAX, why, sizeof why), 0);
	free(s);
	s = nest(JSONCHECK_DEPTH_MAX + 1);
	ck_assert_int_eq(check(s, strlen(s), UINT_MAX, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "nested deeper than 1024 levels"));
	free(s);
}
END_TEST

struct deep {
	const char *text;
	size_t len;
	int rc;
	char why[128];
};

static void *check_deep(void *arg)
{
	struct deep *d = arg;
	d->rc = jsoncheck(d->text, d->len, JSONCHECK_DEPTH_MAX, d->why,
			  sizeof d->why);
	return NULL;
}

/* On a thread with a 16 KiB stack: 1024 levels (the most it follows, in
 * objects and arrays mixed) pass, a million are refused; a validator that
 * recursed per level would need several times that stack. */
START_TEST(deep_nesting_small_stack)
{
	size_t n = JSONCHECK_DEPTH_MAX, len = 0;
	char *s = malloc(8 * n + 16);
	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, i % 2 ? "{\"k\":" : "[");
	s[len++] = '1';
	for (size_t i = n; i-- > 0;)
		s[len++] = i % 2 ? '}' : ']';
	s[len] = '\0';
	char *million = nest(1000000);
	struct deep d[2] = { { s, len, 99, "" },
			     { million, strlen(million), 99, "" } };
	for (int k = 0; k < 2; k++) {
		pthread_attr_t a;
		pthread_t t;
		ck_assert_int_eq(pthread_attr_init(&a), 0);
		ck_assert_int_eq(pthread_attr_setstacksize(&a, 16384), 0);
		ck_assert_int_eq(pthread_create(&t, &a, check_deep, &d[k]), 0);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		pthread_attr_destroy(&a);
	}
	ck_assert_msg(d[0].rc == 0, "%s", d[0].why);
	ck_assert_int_eq(d[1].rc, -1);
	ck_assert_str_eq(d[1].why, "nested deeper than 1024 levels at byte "
			 "1024");
	free(s);
	free(million);
}
END_TEST

/* Every proper prefix of a valid text is refused as truncated (or, when
 * it is blank, as empty); a prefix that is itself a whole value (a number
 * cut in its digits: "12" of "123") is fine, and so skipped. */
START_TEST(truncations)
{
	char why[256];
	for (size_t i = 0; i < N(valid); i++) {
		size_t len = strlen(valid[i]);
		for (size_t k = 0; k < len; k++) {
			struct jsoncheck c;
			jsoncheck_init(&c, 0);
			ck_assert_int_eq(jsoncheck_feed(&c, valid[i], k), 0);
			if (jsoncheck_end(&c) == 0)
				continue;
			jsoncheck_why(&c, why, sizeof why);
			ck_assert_msg(jsoncheck_truncated(&c) ||
				      strncmp(why, "no value", 8) == 0,
				      "%.*s: %s", (int)k, valid[i], why);
		}
	}
	/* a whole value cut short in the middle of its digits stays valid */
	ck_assert_int_eq(check("12", 2, 0, why, sizeof why), 0);
	ck_assert_int_eq(check("[12", 3, 0, why, sizeof why), -1);
	ck_assert_str_eq(why, "truncated (the text ends inside a value) at "
			 "byte 3");
}
END_TEST

/* The verdict of s fed as two pieces cut at k must be the one-call one. */
static void same_in_pieces(const char *s, size_t len)
{
	char one[256], two[256];
	int rc = jsoncheck(s, len, 0, one, sizeof one);
	for (size_t k = 0; k <= len; k++) {
		struct jsoncheck c;
		jsoncheck_init(&c, 0);
		int r = jsoncheck_feed(&c, s, k);
		r = jsoncheck_feed(&c, s + k, len - k) || r;
		r = jsoncheck_end(&c) || r;
		jsoncheck_why(&c, two, sizeof two);
		ck_assert_msg((r ? -1 : 0) == rc && strcmp(one, two) == 0,
			      "<%.*s> cut at %zu: %s / %s", (int)len, s, k,
			      one, two);
	}
	/* and a byte at a time */
	struct jsoncheck c;
	jsoncheck_init(&c, 0);
	int r = 0;
	for (size_t k = 0; k < len; k++)
		r = jsoncheck_feed(&c, s + k, 1) || r;
	r = jsoncheck_end(&c) || r;
	jsoncheck_why(&c, two, sizeof two);
	ck_assert_msg((r ? -1 : 0) == rc && strcmp(one, two) == 0,
		      "<%.*s> bytewise: %s / %s", (int)len, s, one, two);
}

START_TEST(pieces)
{
	for (size_t i = 0; i < N(valid); i++)
		same_in_pieces(valid[i], strlen(valid[i]));
	for (size_t i = 0; i < N(invalid); i++)
		same_in_pieces(invalid[i].text, strlen(invalid[i].text));
	/* After a failure, more input changes nothing. */
	struct jsoncheck c;
	jsoncheck_init(&c, 0);
	ck_assert_int_eq(jsoncheck_feed(&c, "[1,,", 4), -1);
	ck_assert_int_eq(jsoncheck_feed(&c, "2]", 2), -1);
	ck_assert_int_eq(jsoncheck_end(&c), -1);
	char why[128];
	jsoncheck_why(&c, why, sizeof why);
	ck_assert_str_eq(why, "unexpected ',' (expected a value) at byte 3");
}
END_TEST

START_TEST(why_buffers)
{
	char small[8];
	memset(small, 'x', sizeof small);
	ck_assert_int_eq(jsoncheck("{'a'}", 5, 0, small, sizeof small), -1);
	ck_assert_uint_eq(strlen(small), sizeof small - 1);
	ck_assert_int_eq(jsoncheck("{'a'}", 5, 0, NULL, 0), -1);
	ck_assert_int_eq(jsoncheck("{}", 2, 0, NULL, 0), 0);
	small[0] = 'x';
	ck_assert_int_eq(jsoncheck("{}", 2, 0, small, 0), 0);
	ck_assert_int_eq(small[0], 'x');
}
END_TEST

static Suite *jsoncheck_suite(void)
{
	Suite *s = suite_create("jsoncheck");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, accepts_valid);
	tcase_add_test(tc, refuses_invalid);
	tcase_add_test(tc, refuses_what_jsonc_takes);
	tcase_add_test(tc, nul_bytes);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, deep_nesting_small_stack);
	tcase_add_test(tc, truncations);
	tcase_add_test(tc, pieces);
	tcase_add_test(tc, why_buffers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(jsoncheck_suite());
}
