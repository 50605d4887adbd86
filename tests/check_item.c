/* check_item.c — unit tests for item.c: item_parse on hand-made bodies, on
 * every line of the recorded fixtures, and item_parse_idlist; and the real
 * binary against the fake API with bodies that are not quite JSON.
 * One suite; each test gets a fresh parser and zeroed item from the fixture
 * (setup/teardown) and runs on the test's own thread. Fixtures are found in
 * $HNBATCH_FIXTURES (default "tests/fixtures"). */
#include "item.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fakeapi.h"
#include "runbin.h"
#include "testutil.h"

static struct item_parser *P;
static struct item IT;
static char WHY[256];

static void setup(void)
{
	P = item_parser_new();
	ck_assert_ptr_nonnull(P);
	memset(&IT, 0, sizeof IT);
}

static void teardown(void)
{
	item_free(&IT);
	item_parser_free(P);
	P = NULL;
}

static enum item_status parse(const char *body, uint64_t want_id)
{
	memset(WHY, 'x', sizeof WHY);
	return item_parse(P, body, strlen(body), want_id, &IT, WHY, sizeof WHY);
}

/* item_parse(body) must give `want`, with a reason when it is an error, and
 * leave the item empty unless it is ITEM_OK. */
#define expect(body, id, want)                                                \
	do {                                                                  \
		enum item_status st_ = parse((body), (id));                   \
		ck_assert_msg(st_ == (want), "%s: got '%s' (%s), want '%s'",  \
			      (body), item_status_str(st_), WHY,              \
			      item_status_str(want));                         \
		ck_assert_msg(memchr(WHY, '\0', sizeof WHY) != NULL,          \
			      "why not terminated");                          \
		if ((want) >= ITEM_ERR_JSON)                                  \
			ck_assert_msg(WHY[0] != '\0', "%s: no reason",        \
				      (body));                                \
		if ((want) != ITEM_OK) {                                      \
			ck_assert_uint_eq(IT.nkids, 0);                       \
			ck_assert_ptr_null(IT.title);                         \
		}                                                             \
	} while (0)

START_TEST(story_all_fields)
{
	static const uint64_t kids[] = { 15, 487171, 234509, 82729 };

	expect("{\"id\":1,\"type\":\"story\",\"by\":\"pg\",\"time\":1160418111,"
	       "\"url\":\"http://ycombinator.com\",\"title\":\"Y Combinator\","
	       "\"score\":57,\"descendants\":3,"
	       "\"kids\":[15,487171,234509,82729]}",
	       1, ITEM_OK);
	ck_assert_str_eq(WHY, "");
	ck_assert_uint_eq(IT.id, 1);
	ck_assert_int_eq(IT.type, ITEM_STORY);
	ck_assert(!IT.deleted && !IT.dead);
	ck_assert_uint_eq(IT.nkids, 4);
	ck_assert_uint_ge(IT.kids_cap, 4);
	ck_assert_mem_eq(IT.kids, kids, sizeof kids);
	ck_assert_str_eq(IT.title, "Y Combinator");
	ck_assert(IT.has_descendants);
	ck_assert_int_eq(IT.descendants, 3);
	ck_assert_uint_eq(IT.nparts, 0);
}
END_TEST

START_TEST(comment_fields)
{
	expect("{\"by\":\"vanniv\",\"id\":21500829,\"kids\":[21500985],"
	       "\"parent\":21500569,\"text\":\"I find \\\"it\\\" <i>odd</i>\","
	       "\"time\":1573427819,\"type\":\"comment\"}",
	       21500829, ITEM_OK);
	ck_assert_int_eq(IT.type, ITEM_COMMENT);
	ck_assert_uint_eq(IT.nkids, 1);
	ck_assert_uint_eq(IT.kids[0], 21500985);
	ck_assert_ptr_null(IT.title);
	ck_assert(!IT.has_descendants);
	ck_assert_int_eq(IT.descendants, 0);
}
END_TEST

START_TEST(types)
{
	static const struct {
		const char *body;
		enum item_type type;
	} t[] = {
		{ "{\"id\":9,\"type\":\"story\"}", ITEM_STORY },
		{ "{\"id\":9,\"type\":\"comment\"}", ITEM_COMMENT },
		{ "{\"id\":9,\"type\":\"job\"}", ITEM_JOB },
		{ "{\"id\":9,\"type\":\"poll\"}", ITEM_POLL },
		{ "{\"id\":9,\"type\":\"pollopt\"}", ITEM_POLLOPT },
		{ "{\"id\":9,\"type\":\"newfangled\"}", ITEM_UNKNOWN },
		{ "{\"id\":9,\"type\":\"Story\"}", ITEM_UNKNOWN },
		{ "{\"id\":9,\"type\":\"\"}", ITEM_UNKNOWN },
		{ "{\"id\":9}", ITEM_UNKNOWN },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		expect(t[i].body, 9, ITEM_OK);
		ck_assert_msg(IT.type == t[i].type, "%s: type %d", t[i].body,
			      (int)IT.type);
	}
}
END_TEST

START_TEST(poll_and_pollopt)
{
	expect("{\"by\":\"pg\",\"descendants\":54,\"id\":126809,"
	       "\"kids\":[126822,126823],\"parts\":[126810,126811,126812],"
	       "\"score\":46,\"text\":\"\",\"time\":1204403652,"
	       "\"title\":\"Poll: What would happen if News.YC had explicit "
	       "support for polls?\",\"type\":\"poll\"}",
	       126809, ITEM_OK);
	ck_assert_int_eq(IT.type, ITEM_POLL);
	ck_assert_uint_eq(IT.nparts, 3);
	ck_assert_uint_eq(IT.nkids, 2);
	ck_assert_int_eq(IT.descendants, 54);
	ck_assert_str_eq(IT.title, "Poll: What would happen if News.YC had "
				   "explicit support for polls?");
	expect("{\"by\":\"pg\",\"id\":160705,\"poll\":160704,\"score\":335,"
	       "\"text\":\"Yes, ban them\",\"time\":1207886576,"
	       "\"type\":\"pollopt\"}",
	       160705, ITEM_OK);
	ck_assert_int_eq(IT.type, ITEM_POLLOPT);
	ck_assert_uint_eq(IT.nparts, 0);
	ck_assert_uint_eq(IT.nkids, 0);
	ck_assert_ptr_null(IT.title);
	expect("{\"id\":5,\"type\":\"poll\",\"parts\":[]}", 5, ITEM_OK);
	ck_assert_uint_eq(IT.nparts, 0);
}
END_TEST

START_TEST(deleted_dead)
{
	expect("{\"id\":21501055,\"parent\":21500985,\"time\":1573430397,"
	       "\"type\":\"comment\",\"deleted\":true}",
	       21501055, ITEM_OK);
	ck_assert(IT.deleted);
	ck_assert(!IT.dead);
	expect("{\"id\":3,\"dead\":true,\"deleted\":false,\"kids\":[4]}", 3,
	       ITEM_OK);
	ck_assert(!IT.deleted);
	ck_assert(IT.dead);
	ck_assert_uint_eq(IT.nkids, 1);
	expect("{\"id\":3,\"dead\":false}", 3, ITEM_OK);
	ck_assert(!IT.dead);
}
END_TEST

START_TEST(descendants_values)
{
	expect("{\"id\":7,\"descendants\":-1}", 7, ITEM_OK);
	ck_assert(IT.has_descendants);
	ck_assert_int_eq(IT.descendants, -1);
	expect("{\"id\":7,\"descendants\":0}", 7, ITEM_OK);
	ck_assert(IT.has_descendants);
	ck_assert_int_eq(IT.descendants, 0);
	expect("{\"id\":7,\"descendants\":9223372036854775807}", 7, ITEM_OK);
	ck_assert_int_eq(IT.descendants, INT64_MAX);
	expect("{\"id\":7}", 7, ITEM_OK);
	ck_assert(!IT.has_descendants);
}
END_TEST

START_TEST(unknown_fields_ignored)
{
	expect("{\"id\":11,\"score\":\"weird\",\"text\":null,"
	       "\"future\":{\"nested\":[1,2,{\"x\":null,\"y\":[true]}]},"
	       "\"poll\":[],\"url\":17,\"by\":false,\"kids\":[12],"
	       "\"Kids\":\"not ours\",\"ID\":\"nope\"}",
	       11, ITEM_OK);
	ck_assert_uint_eq(IT.nkids, 1);
	ck_assert_uint_eq(IT.kids[0], 12);
}
END_TEST

START_TEST(id_limits)
{
	expect("{\"id\":9007199254740992,\"kids\":[9007199254740992,1]}",
	       UINT64_C(9007199254740992), ITEM_OK);
	ck_assert_uint_eq(IT.kids[0], UINT64_C(9007199254740992));
	ck_assert_uint_eq(IT.kids[1], 1);
	expect("{\"title\":\"\",\"id\":8863}", 8863, ITEM_OK);
	ck_assert_str_eq(IT.title, "");
	/* Escapes are decoded; the title is a copy owned by the item. */
	expect("{\"id\":8863,\"title\":"
	       "\"caf\\u00e9 \\\"q\\\" \\/ \\ud83d\\ude00\"}", 8863, ITEM_OK);
	ck_assert_str_eq(IT.title, "caf\xc3\xa9 \"q\" / \xf0\x9f\x98\x80");
}
END_TEST

START_TEST(null_bodies)
{
	expect("null", 1, ITEM_NULL);
	expect("  null\n", 1, ITEM_NULL);
	expect("\r\n\tnull \r\n\t", 1, ITEM_NULL);
	ck_assert_uint_eq(IT.id, 0);
}
END_TEST

START_TEST(not_objects)
{
	expect("[1,2,3]", 1, ITEM_ERR_TYPE);
	ck_assert_str_eq(WHY, "array, not an object");
	expect("[]", 1, ITEM_ERR_TYPE);
	expect("42", 42, ITEM_ERR_TYPE);
	expect(" 42 ", 42, ITEM_ERR_TYPE);
	expect("-1.5e3", 1, ITEM_ERR_TYPE);
	expect("\"{\\\"id\\\":1}\"", 1, ITEM_ERR_TYPE);
	expect("true", 1, ITEM_ERR_TYPE);
	expect("false", 1, ITEM_ERR_TYPE);
}
END_TEST

START_TEST(not_json)
{
	static const char *const bodies[] = {
		"",
		"   ",
		"\r\n",
		"<html><head><title>502 Bad Gateway</title></head></html>",
		"  <!DOCTYPE html>",
		"{\"id\":1",
		"{\"id\":1,\"kids\":[2,3",
		"{\"id\":1,\"title\":\"cut",
		"{\"id\":1} x",
		"{\"id\":1}{\"id\":1}",
		"{\"id\":1}]",
		"null x",
		"nullnull",
		"nul",
		"NULL",
		"Null",
		"nil",
		"{\"id\":1,}",
		"{\"id\":1,\"kids\":[2,]}",
		"{\"id\" 1}",
		"{id:1}",
		"{\"id\":01}",
		"{\"id\":+1}",
		"{\"id\":.5}",
		"{\"id\":1,\"dead\":True}",
		"Internal Server Error",
		"\xef\xbb\xbf{\"id\":1}",
	};
	size_t i;

	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		expect(bodies[i], 1, ITEM_ERR_JSON);
	expect("", 1, ITEM_ERR_JSON);
	ck_assert_str_eq(WHY, "empty body");
	expect("<html>", 1, ITEM_ERR_JSON);
	ck_assert_str_eq(WHY, "an HTML page, not JSON");
	expect("{\"id\":1} x", 1, ITEM_ERR_JSON);
	ck_assert_ptr_nonnull(strstr(WHY, "byte 9"));
}
END_TEST

/* What json-c 0.16 takes even in strict mode is not JSON: refused before
 * json-c sees it (jsoncheck), with the reason. */
START_TEST(lenient_json_refused)
{
	static const struct {
		const char *body, *why;
	} t[] = {
		{ "{'id':2}", "unexpected ''' (expected a key in double quotes "
			      "or '}') at byte 1" },
		{ "{\"id\":2,\"score\":NaN}", "unexpected 'N' (expected a "
					      "value) at byte 16" },
		{ "{\"id\":2,\"time\":1.}", "bad number ('}' where a digit "
					    "must be) at byte 17" },
		{ "{\"id\":2,\"score\":-Infinity}", "bad number ('I'" },
		{ "{\"id\":2,\"time\":00}", "bad number (a digit after a "
					    "leading 0) at byte 16" },
		{ "{\"id\":2,\"time\":1.e5}", "bad number ('e'" },
		{ "{\"id\":2,\"kids\":[3.]}", "bad number (']'" },
		{ "{\"id\":2,\"title\":\"a\tb\"}", "raw control character "
						 "0x09 in a string" },
		{ "{\"id\":2,\"title\":\"\\x41\"}", "bad escape" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		expect(t[i].body, 2, ITEM_ERR_JSON);
		ck_assert_msg(strncmp(WHY, t[i].why, strlen(t[i].why)) == 0,
			      "%s: \"%s\", want \"%s...\"", t[i].body, WHY,
			      t[i].why);
	}
	/* The same fields, as JSON, are fine. */
	expect("{\"id\":2,\"score\":null,\"time\":1.0,\"x\":0}", 2, ITEM_OK);
}
END_TEST

/* The body is (pointer, length): nothing past len is read, and a NUL byte
 * inside it is an error, not an end. */
START_TEST(length_not_nul)
{
	static const char buf[] = "{\"id\":1}GARBAGE";
	static const char nul[] = "{\"id\":1}\0junk";
	static const char nul2[] = "{\"id\":1,\"title\":\"a\0b\"}";

	memset(WHY, 'x', sizeof WHY);
	ck_assert_int_eq(item_parse(P, buf, 8, 1, &IT, WHY, sizeof WHY),
			 ITEM_OK);
	ck_assert_int_eq(item_parse(P, "nullnull", 4, 1, &IT, WHY, sizeof WHY),
			 ITEM_NULL);
	/* "12" of "123": a number, not an object. */
	ck_assert_int_eq(item_parse(P, "123", 2, 1, &IT, WHY, sizeof WHY),
			 ITEM_ERR_TYPE);
	ck_assert_int_eq(item_parse(P, nul, sizeof nul - 1, 1, &IT, WHY,
				    sizeof WHY), ITEM_ERR_JSON);
	ck_assert_int_eq(item_parse(P, nul, 9, 1, &IT, WHY, sizeof WHY),
			 ITEM_ERR_JSON);
	ck_assert_int_eq(item_parse(P, nul2, sizeof nul2 - 1, 1, &IT, WHY,
				    sizeof WHY), ITEM_ERR_JSON);
	ck_assert_int_eq(item_parse(P, NULL, 0, 1, &IT, WHY, sizeof WHY),
			 ITEM_ERR_JSON);
}
END_TEST

/* n opening brackets then n closing ones, malloc'd. */
static char *nested(size_t n, char open, char close, const char *mid)
{
	size_t m = strlen(mid), i;
	char *s = malloc(2 * n + m + 1);

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++) {
		s[i] = open;
		s[n + m + i] = close;
	}
	memcpy(s + n, mid, m);
	s[2 * n + m] = '\0';
	return s;
}

START_TEST(deep_nesting)
{
	char *s = nested(10000, '[', ']', "");

	expect(s, 1, ITEM_ERR_JSON);
	ck_assert_str_eq(WHY, "nested deeper than 32 levels at byte 32");
	free(s);
	/* Unclosed, as a truncated answer would be. */
	s = nested(100000, '[', ' ', "");
	expect(s, 1, ITEM_ERR_JSON);
	free(s);
	/* Deep inside an otherwise fine item. */
	s = malloc(70000);
	ck_assert_ptr_nonnull(s);
	strcpy(s, "{\"id\":1,\"x\":");
	{
		char *n = nested(10000, '[', ']', "1");

		strcat(s, n);
		free(n);
	}
	strcat(s, "}");
	expect(s, 1, ITEM_ERR_JSON);
	free(s);
	/* Shallow nesting in an unknown field is fine. */
	expect("{\"id\":1,\"x\":[[[[[[[[[[{\"a\":[{}]}]]]]]]]]]]}", 1, ITEM_OK);
	/* The parser still works after the depth error. */
	expect("{\"id\":2,\"kids\":[3]}", 2, ITEM_OK);
	ck_assert_uint_eq(IT.kids[0], 3);
}
END_TEST

START_TEST(wrong_id)
{
	expect("{\"type\":\"story\"}", 1, ITEM_ERR_ID);
	ck_assert_str_eq(WHY, "no id");
	expect("{}", 1, ITEM_ERR_ID);
	expect("{\"id\":2}", 1, ITEM_ERR_ID);
	ck_assert_str_eq(WHY, "id 2, not 1 as asked");
	expect("{\"id\":\"1\"}", 1, ITEM_ERR_ID);
	expect("{\"id\":1.0}", 1, ITEM_ERR_ID);
	expect("{\"id\":1e0}", 1, ITEM_ERR_ID);
	expect("{\"id\":-1}", 1, ITEM_ERR_ID);
	expect("{\"id\":0}", 0, ITEM_ERR_ID);
	expect("{\"id\":null}", 1, ITEM_ERR_ID);
	expect("{\"id\":true}", 1, ITEM_ERR_ID);
	expect("{\"id\":[1]}", 1, ITEM_ERR_ID);
	expect("{\"id\":9007199254740993}", UINT64_C(9007199254740993),
	       ITEM_ERR_ID);
	expect("{\"id\":18446744073709551617}", 1, ITEM_ERR_ID);
	expect("{\"id\":4294967297}", 1, ITEM_ERR_ID);
}
END_TEST

START_TEST(wrong_kids)
{
	expect("{\"id\":1,\"kids\":5}", 1, ITEM_ERR_TYPE);
	expect("{\"id\":1,\"kids\":null}", 1, ITEM_ERR_TYPE);
	expect("{\"id\":1,\"kids\":{}}", 1, ITEM_ERR_TYPE);
	expect("{\"id\":1,\"kids\":\"2,3\"}", 1, ITEM_ERR_TYPE);
	expect("{\"id\":1,\"kids\":[2,3,\"4\"]}", 1, ITEM_ERR_TYPE);
	ck_assert_str_eq(WHY, "kids[2] is not a positive integer <= 2^53");
	expect("{\"id\":1,\"kids\":[0]}", 1, ITEM_ERR_TYPE);
	ck_assert_ptr_nonnull(strstr(WHY, "kids[0]"));
	expect("{\"id\":1,\"kids\":[2,-3]}", 1, ITEM_ERR_TYPE);
	ck_assert_ptr_nonnull(strstr(WHY, "kids[1]"));
	expect("{\"id\":1,\"kids\":[2.5]}", 1, ITEM_ERR_TYPE);
	expect("{\"id\":1,\"kids\":[2e3]}", 1, ITEM_ERR_TYPE);
	expect("{\"id\":1,\"kids\":[9007199254740993]}", 1, ITEM_ERR_TYPE);
	expect("{\"id\":1,\"kids\":[18446744073709551615]}", 1, ITEM_ERR_TYPE);
	expect("{\"id\":1,\"kids\":[99999999999999999999999]}", 1,
	       ITEM_ERR_TYPE);
	expect("{\"id\":1,\"kids\":[null]}", 1, ITEM_ERR_TYPE);
	expect("{\"id\":1,\"kids\":[[2]]}", 1, ITEM_ERR_TYPE);
	expect("{\"id\":1,\"kids\":[true]}", 1, ITEM_ERR_TYPE);
}
END_TEST

START_TEST(wrong_field_types)
{
	static const char *const bodies[] = {
		"{\"id\":1,\"deleted\":\"true\"}",
		"{\"id\":1,\"deleted\":1}",
		"{\"id\":1,\"deleted\":null}",
		"{\"id\":1,\"dead\":0}",
		"{\"id\":1,\"dead\":\"false\"}",
		"{\"id\":1,\"dead\":[]}",
		"{\"id\":1,\"type\":5}",
		"{\"id\":1,\"type\":null}",
		"{\"id\":1,\"type\":[\"story\"]}",
		"{\"id\":1,\"title\":5}",
		"{\"id\":1,\"title\":null}",
		"{\"id\":1,\"title\":[\"t\"]}",
		"{\"id\":1,\"descendants\":\"3\"}",
		"{\"id\":1,\"descendants\":3.5}",
		"{\"id\":1,\"descendants\":true}",
		"{\"id\":1,\"descendants\":null}",
		"{\"id\":1,\"descendants\":18446744073709551615}",
		"{\"id\":1,\"parts\":3}",
		"{\"id\":1,\"parts\":{}}",
		"{\"id\":1,\"parts\":null}",
	};
	size_t i;

	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
		expect(bodies[i], 1, ITEM_ERR_TYPE);
	expect("{\"id\":1,\"title\":5}", 1, ITEM_ERR_TYPE);
	ck_assert_str_eq(WHY, "title is int, not a string");
	expect("{\"id\":1,\"dead\":0}", 1, ITEM_ERR_TYPE);
	ck_assert_str_eq(WHY, "dead is int, not a boolean");
}
END_TEST

/* One item through many calls: kids storage kept and grown, the title
 * replaced, everything cleared by an error or a null. */
START_TEST(reuse_one_item)
{
	uint64_t *kids;
	size_t cap;

	expect("{\"id\":1,\"title\":\"first\",\"kids\":[2,3,4,5,6,7,8,9,10,"
	       "11,12,13,14,15,16,17,18,19,20,21]}",
	       1, ITEM_OK);
	ck_assert_uint_eq(IT.nkids, 20);
	ck_assert_uint_eq(IT.kids[19], 21);
	kids = IT.kids;
	cap = IT.kids_cap;
	ck_assert_uint_ge(cap, 20);

	expect("{\"id\":2,\"title\":\"second\",\"kids\":[30,31]}", 2, ITEM_OK);
	ck_assert_str_eq(IT.title, "second");
	ck_assert_uint_eq(IT.nkids, 2);
	ck_assert_ptr_eq(IT.kids, kids);
	ck_assert_uint_eq(IT.kids_cap, cap);
	ck_assert_uint_eq(IT.kids[1], 31);

	expect("{\"id\":3,\"deleted\":true,\"dead\":true,\"descendants\":4,"
	       "\"parts\":[1]}",
	       3, ITEM_OK);
	ck_assert_ptr_null(IT.title);
	ck_assert_uint_eq(IT.nkids, 0);
	ck_assert_uint_eq(IT.kids_cap, cap);

	expect("{\"id\":4,\"title\":\"fourth\"}", 4, ITEM_OK);
	/* Fields from the previous call do not leak into this one. */
	ck_assert(!IT.deleted && !IT.dead && !IT.has_descendants);
	ck_assert_uint_eq(IT.nparts, 0);
	expect("{\"id\":4,\"title\":\"fifth\",\"kids\":[1,\"x\"]}", 4,
	       ITEM_ERR_TYPE);
	ck_assert_uint_eq(IT.id, 0);
	expect("{\"id\":4,\"title\":\"sixth\"}", 4, ITEM_OK);
	expect("null", 4, ITEM_NULL);
	expect("{\"id\":4,\"title\":\"seventh\",\"deleted\":1}", 4,
	       ITEM_ERR_TYPE);
	expect("{\"id\":4,\"title\":\"eighth\"", 4, ITEM_ERR_JSON);

	/* Many parses through one parser and one item: no growth, no leak
	 * (ASan/valgrind check the leak part). */
	for (int i = 0; i < 10000; i++)
		expect("{\"id\":5,\"title\":\"again\",\"kids\":[6,7,8]}", 5,
		       ITEM_OK);
	ck_assert_ptr_eq(IT.kids, kids);
	item_free(&IT);
	ck_assert_ptr_null(IT.kids);
	ck_assert_ptr_null(IT.title);
	ck_assert_uint_eq(IT.kids_cap, 0);
	/* Usable again after item_free. */
	expect("{\"id\":5,\"kids\":[6]}", 5, ITEM_OK);
}
END_TEST

START_TEST(many_kids)
{
	const size_t N = 200000;
	size_t len = 0, cap = N * 12 + 64, i;
	char *s = malloc(cap);

	ck_assert_ptr_nonnull(s);
	len += (size_t)sprintf(s + len,
			       "{\"id\":1,\"type\":\"story\",\"kids\":[");
	for (i = 0; i < N; i++)
		len += (size_t)sprintf(s + len, i ? ",%zu" : "%zu",
				       30000000 + i * 7);
	strcpy(s + len, "]}");
	for (int rep = 0; rep < 3; rep++) {
		expect(s, 1, ITEM_OK);
		ck_assert_uint_eq(IT.nkids, N);
		for (i = 0; i < N; i++)
			if (IT.kids[i] != 30000000 + i * 7)
				ck_abort_msg("kids[%zu] = %llu", i,
					     (unsigned long long)IT.kids[i]);
	}
	/* A bad last kid is found and named. */
	strcpy(s + len, ",0]}");
	expect(s, 1, ITEM_ERR_TYPE);
	ck_assert_str_eq(WHY, "kids[200000] is not a positive integer <= 2^53");
	free(s);
}
END_TEST

START_TEST(why_buffer)
{
	char small[8];

	memset(small, 'x', sizeof small);
	ck_assert_int_eq(item_parse(P, "{\"id\":2}", 8, 1, &IT, small,
				    sizeof small), ITEM_ERR_ID);
	ck_assert_uint_eq(strlen(small), sizeof small - 1);
	ck_assert_int_eq(item_parse(P, "[", 1, 1, &IT, NULL, 0), ITEM_ERR_JSON);
	ck_assert_int_eq(item_parse(P, "{\"id\":1}", 8, 1, &IT, NULL, 0),
			 ITEM_OK);
	small[0] = 'x';
	ck_assert_int_eq(item_parse(P, "{\"id\":1}", 8, 1, &IT, small, 1),
			 ITEM_OK);
	ck_assert_int_eq(small[0], '\0');
	memset(small, 'x', sizeof small);
	ck_assert_int_eq(item_parse(P, "{\"id\":1}", 8, 1, &IT, small, 0),
			 ITEM_OK);
	ck_assert_int_eq(small[0], 'x');
}
END_TEST

START_TEST(status_strings)
{
	ck_assert_str_eq(item_status_str(ITEM_OK), "ok");
	ck_assert_str_eq(item_status_str(ITEM_NULL), "null");
	ck_assert_str_eq(item_status_str(ITEM_ERR_JSON), "not JSON");
	ck_assert_str_eq(item_status_str(ITEM_ERR_TYPE), "wrong field type");
	ck_assert_str_eq(item_status_str(ITEM_ERR_ID), "wrong id");
	ck_assert_ptr_nonnull(item_status_str((enum item_status)42));
	/* "0.16": digits and a dot. */
	ck_assert_ptr_nonnull(item_jsonc_version());
	ck_assert(item_jsonc_version()[0] >= '0' &&
		  item_jsonc_version()[0] <= '9');
	ck_assert_ptr_nonnull(strchr(item_jsonc_version(), '.'));
}
END_TEST

/* ---- recorded fixtures ---- */

struct fixture {
	const char *file;
	size_t lines, stories, comments, jobs, dead, deleted, kids, titles,
		has_desc;
	long long desc_sum;
};

/* Counted from the files with an independent JSON reader (Python). */
static const struct fixture fixtures[] = {
	{ "firebase-2022-04.jsonl", 2828, 1461, 1267, 100, 42, 37, 11460,
	  1541, 1435, 46709 },
	{ "firebase-first-590.jsonl", 590, 293, 297, 0, 50, 0, 1737, 283, 283,
	  1911 },
	{ "firebase-deleted-leaf.jsonl", 4, 1, 3, 0, 0, 1, 3, 1, 1, 3 },
	{ "scraped-android.jsonl", 347, 2, 345, 0, 8, 21, 345, 2, 2, 345 },
	{ "scraped-circumflex.jsonl", 2678, 3, 2675, 0, 108, 99, 2675, 3, 3,
	  2675 },
	{ "algolia-2396027.jsonl", 297, 1, 296, 0, 0, 0, 296, 1, 0, 0 },
};

static FILE *open_fixture(const char *file)
{
	const char *dir = getenv("HNBATCH_FIXTURES");
	char path[1024];
	FILE *f;

	if (!dir || !*dir)
		dir = "tests/fixtures";
	snprintf(path, sizeof path, "%s/%s", dir, file);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s (set HNBATCH_FIXTURES)", path);
	return f;
}

/* The id of a fixture line, read without JSON: the number after "id":. */
static uint64_t line_id(const char *line)
{
	const char *p = strstr(line, "\"id\":");

	ck_assert_msg(p != NULL, "no id in %.80s", line);
	return strtoull(p + 5, NULL, 10);
}

START_TEST(fixture_files)
{
	const struct fixture *fx = &fixtures[_i];
	struct fixture got = { fx->file, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	FILE *f = open_fixture(fx->file);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, f)) > 0) {
		uint64_t id = line_id(line);
		enum item_status st;

		got.lines++;
		st = item_parse(P, line, (size_t)len, id, &IT, WHY, sizeof WHY);
		ck_assert_msg(st == ITEM_OK, "%s:%zu: %s (%s)", fx->file,
			      got.lines, item_status_str(st), WHY);
		ck_assert_uint_eq(IT.id, id);
		got.stories += IT.type == ITEM_STORY;
		got.comments += IT.type == ITEM_COMMENT;
		got.jobs += IT.type == ITEM_JOB;
		got.dead += IT.dead;
		got.deleted += IT.deleted;
		got.kids += IT.nkids;
		got.titles += IT.title != NULL;
		got.has_desc += IT.has_descendants;
		got.desc_sum += IT.descendants;
		/* A wrong id is always caught. */
		ck_assert_int_eq(item_parse(P, line, (size_t)len, id + 1, &IT,
					    WHY, sizeof WHY), ITEM_ERR_ID);
	}
	free(line);
	fclose(f);
	ck_assert_uint_eq(got.lines, fx->lines);
	ck_assert_uint_eq(got.stories, fx->stories);
	ck_assert_uint_eq(got.comments, fx->comments);
	ck_assert_uint_eq(got.jobs, fx->jobs);
	ck_assert_uint_eq(got.dead, fx->dead);
	ck_assert_uint_eq(got.deleted, fx->deleted);
	ck_assert_uint_eq(got.kids, fx->kids);
	ck_assert_uint_eq(got.titles, fx->titles);
	ck_assert_uint_eq(got.has_desc, fx->has_desc);
	ck_assert_int_eq(got.desc_sum, fx->desc_sum);
}
END_TEST

/* Spot checks on known lines: odd real fields of HN's first items. */
START_TEST(fixture_known_items)
{
	FILE *f = open_fixture("firebase-first-590.jsonl");
	char *line = NULL;
	size_t cap = 0, negative = 0, seen = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, f)) > 0) {
		uint64_t id = line_id(line);

		ck_assert_int_eq(item_parse(P, line, (size_t)len, id, &IT, WHY,
					    sizeof WHY), ITEM_OK);
		negative += IT.has_descendants && IT.descendants == -1;
		if (id == 1) {
			static const uint64_t k[] = { 15, 487171, 234509,
						      82729 };

			seen++;
			ck_assert_str_eq(IT.title, "Y Combinator");
			ck_assert_int_eq(IT.type, ITEM_STORY);
			ck_assert_int_eq(IT.descendants, 3);
			ck_assert_uint_eq(IT.nkids, 4);
			ck_assert_mem_eq(IT.kids, k, sizeof k);
		}
	}
	free(line);
	fclose(f);
	ck_assert_uint_eq(seen, 1);
	ck_assert_uint_eq(negative, 31);
}
END_TEST

/* ---- story lists ---- */

static int idlist(const char *body, size_t max, uint64_t **ids, size_t *n)
{
	memset(WHY, 'x', sizeof WHY);
	return item_parse_idlist(P, body, strlen(body), max, ids, n, WHY,
				 sizeof WHY);
}

START_TEST(idlist_ok)
{
	static const uint64_t want[] = { 30846071, 1, 9007199254740992 };
	uint64_t *ids;
	size_t n;

	ck_assert_int_eq(idlist("[30846071,1,9007199254740992]", 10, &ids, &n),
			 0);
	ck_assert_str_eq(WHY, "");
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(ids, want, sizeof want);
	free(ids);
	ck_assert_int_eq(idlist(" [30846071, 1, 9007199254740992]\n", 2, &ids,
				&n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(ids, want, 2 * sizeof want[0]);
	free(ids);
	ck_assert_int_eq(idlist("[5,6]", 0, &ids, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_nonnull(ids);
	free(ids);
	ck_assert_int_eq(idlist("[]", 500, &ids, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(ids);
}
END_TEST

START_TEST(idlist_topstories)
{
	char body[500 * 10 + 8];
	size_t len = 0, n, i;
	uint64_t *ids;

	body[len++] = '[';
	for (i = 0; i < 500; i++)
		len += (size_t)sprintf(body + len, i ? ",%zu" : "%zu",
				       31000000 - i);
	strcpy(body + len, "]");
	ck_assert_int_eq(idlist(body, 500, &ids, &n), 0);
	ck_assert_uint_eq(n, 500);
	ck_assert_uint_eq(ids[0], 31000000);
	ck_assert_uint_eq(ids[499], 31000000 - 499);
	free(ids);
	ck_assert_int_eq(idlist(body, 30, &ids, &n), 0);
	ck_assert_uint_eq(n, 30);
	ck_assert_uint_eq(ids[29], 31000000 - 29);
	free(ids);
}
END_TEST

START_TEST(idlist_errors)
{
	static const char *const bodies[] = {
		"null", "{}", "{\"ids\":[1]}", "5", "\"[1]\"", "[1,\"2\"]",
		"[1,0]", "[1,-3]", "[9007199254740993]", "[1.5]", "[[1]]",
		"[null]", "", "<html>", "[1,2", "[1,2] x", "[1,2,]",
		"[1.,2]", "[01]", "[1,NaN]", "['1']",
	};
	static uint64_t dummy;
	size_t i, n;
	uint64_t *ids;

	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		ids = &dummy; /* must be reset to NULL */
		n = 99;
		ck_assert_msg(idlist(bodies[i], 10, &ids, &n) == -1,
			      "'%s' accepted", bodies[i]);
		ck_assert_ptr_null(ids);
		ck_assert_uint_eq(n, 0);
		ck_assert_msg(WHY[0] != '\0' && memchr(WHY, '\0', sizeof WHY),
			      "'%s': no reason", bodies[i]);
	}
	/* Elements past `max` are checked too. */
	ck_assert_int_eq(idlist("[1,2,3,\"x\"]", 2, &ids, &n), -1);
	ck_assert_str_eq(WHY, "[3] is not a positive integer <= 2^53");
}
END_TEST

/* ---- through the binary ---- */

/* Root 500 with seven kids: six answers json-c 0.16 takes in strict mode
 * but that are not JSON, and one good comment. Each of the six is a
 * failed item ("not JSON"), the root is partial, the exit status 1. */
START_TEST(bin_lenient_bodies_not_json)
{
	static const char *const bodies[] = {
		"{'id':501,'type':'comment'}",
		"{\"id\":502,\"type\":\"comment\",\"score\":NaN}",
		"{\"id\":503,\"type\":\"comment\",\"time\":1.}",
		"{\"id\":504,\"type\":\"comment\",\"score\":-Infinity}",
		"{\"id\":505,\"type\":\"comment\",\"time\":00}",
		"{\"id\":506,\"type\":\"comment\",\"time\":1.e5}",
		"{\"id\":507,\"type\":\"comment\"}",
	};
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	ck_assert_int_eq(fakeapi_put(api, 500, "{\"id\":500,\"type\":\"story\","
				     "\"kids\":[501,502,503,504,505,506,507]}"),
			 0);
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(fakeapi_put(api, 501 + (uint64_t)i,
					     bodies[i]), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "500",
			       "--format", "jsonl", NULL };
	struct runbin_result res;
	ck_assert_int_eq(runbin_run(args, NULL, NULL, 60000, &res), 0);
	ck_assert_msg(res.exited && res.status == 1, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(strstr(res.out, "\"comments\":1,") &&
		      strstr(res.out, "\"failed\":6,") &&
		      strstr(res.out, "\"status\":\"partial\""), "%s", res.out);
	for (int i = 0; i < 6; i++) {
		char want[64];
		snprintf(want, sizeof want, "item %d failed", 501 + i);
		ck_assert_msg(strstr(res.err, want), "no '%s' in %s", want,
			      res.err);
	}
	ck_assert_msg(strstr(res.err, "6 failed (not JSON: 6)"), "%s",
		      res.err);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

static Suite *item_suite(void)
{
	Suite *s = suite_create("item");
	TCase *tp = tcase_create("parse");
	TCase *tf = tcase_create("fixtures");
	TCase *tl = tcase_create("idlist");

	tcase_add_checked_fixture(tp, setup, teardown);
	/* Generous for valgrind; 200,000 kids take milliseconds natively. */
	tcase_set_timeout(tp, 120);
	tcase_add_test(tp, story_all_fields);
	tcase_add_test(tp, comment_fields);
	tcase_add_test(tp, types);
	tcase_add_test(tp, poll_and_pollopt);
	tcase_add_test(tp, deleted_dead);
	tcase_add_test(tp, descendants_values);
	tcase_add_test(tp, unknown_fields_ignored);
	tcase_add_test(tp, id_limits);
	tcase_add_test(tp, null_bodies);
	tcase_add_test(tp, not_objects);
	tcase_add_test(tp, not_json);
	tcase_add_test(tp, lenient_json_refused);
	tcase_add_test(tp, length_not_nul);
	tcase_add_test(tp, deep_nesting);
	tcase_add_test(tp, wrong_id);
	tcase_add_test(tp, wrong_kids);
	tcase_add_test(tp, wrong_field_types);
	tcase_add_test(tp, reuse_one_item);
	tcase_add_test(tp, many_kids);
	tcase_add_test(tp, why_buffer);
	tcase_add_test(tp, status_strings);
	suite_add_tcase(s, tp);

	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_set_timeout(tf, 120);
	tcase_add_loop_test(tf, fixture_files, 0,
			    (int)(sizeof fixtures / sizeof fixtures[0]));
	tcase_add_test(tf, fixture_known_items);
	suite_add_tcase(s, tf);

	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_test(tl, idlist_ok);
	tcase_add_test(tl, idlist_topstories);
	tcase_add_test(tl, idlist_errors);
	suite_add_tcase(s, tl);

	TCase *tb = tcase_create("binary");
	tcase_set_timeout(tb, 120);
	tcase_add_test(tb, bin_lenient_bodies_not_json);
	suite_add_tcase(s, tb);
	return s;
}

int main(void)
{
	return tu_run(item_suite());
}
