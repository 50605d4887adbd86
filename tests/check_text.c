/* check_text.c — unit tests for text.c: title cleaning, JSON and CSV
 * escaping, display width and fitting.  Single-threaded; every assertion
 * runs on the test's own thread. */
#include <check.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "testutil.h"

#define FFFD "\xEF\xBF\xBD"

/* Independent checker: 1 when s is valid UTF-8 holding no C0, DEL or C1
 * control character and no bidi control. */
static int safe_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t cp;
		int n, i;

		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7F)
				return 0;
			p++;
			continue;
		}
		if ((*p & 0xE0) == 0xC0) {
			n = 1;
			cp = *p & 0x1F;
		} else if ((*p & 0xF0) == 0xE0) {
			n = 2;
			cp = *p & 0x0F;
		} else if ((*p & 0xF8) == 0xF0) {
			n = 3;
			cp = *p & 0x07;
		} else {
			return 0;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp <= 0x9F)
			return 0;
		if ((cp >= 0x202A && cp <= 0x202E) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
		    cp == 0x200F || cp == 0x061C)
			return 0;       /* bidi controls */
		p += n + 1;
	}
	return 1;
}

/* text_clean(in) must equal want, and be safe. */
static void expect_clean(const char *in, const char *want)
{
	char *got = text_clean(in);

	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strcmp(got, want) == 0,
		      "clean(\"%s\") = \"%s\", want \"%s\"",
		      in ? in : "(null)", got, want);
	ck_assert_msg(safe_utf8(got), "clean output unsafe for \"%s\"", in);
	free(got);
}

/* Run a writer into memory; returns the malloc'd text. */
static char *capture(void (*fn)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	fn(f, s);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static char *capture_fit(const char *s, size_t cols, int pad)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	text_fit(f, s, cols, pad);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

START_TEST(clean_plain)
{
	expect_clean("Show HN: a tool", "Show HN: a tool");
	expect_clean("", "");
	expect_clean(NULL, "");
	expect_clean("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80",
		     "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80");
}
END_TEST

START_TEST(clean_entities)
{
	expect_clean("AT&amp;T", "AT&T");
	expect_clean("&lt;b&gt;", "<b>");
	expect_clean("&quot;q&quot; &apos;a&apos;", "\"q\" 'a'");
	expect_clean("it&#39;s", "it's");
	expect_clean("it&#x27;s", "it's");
	expect_clean("a&#X2F;b", "a/b");
	expect_clean("&#8364; &#x20AC; &#x1F600;",
		     "\xE2\x82\xAC \xE2\x82\xAC \xF0\x9F\x98\x80");
	expect_clean("a&nbsp;b", "a\xC2\xA0" "b");
	expect_clean("&#0000039;", "'");
	/* decoded once only */
	expect_clean("&amp;lt;script&amp;gt;", "&lt;script&gt;");
	expect_clean("&amp;amp;", "&amp;");
}
END_TEST

START_TEST(clean_bad_entities)
{
	expect_clean("&foo;", "&foo;");
	expect_clean("&amp", "&amp");
	expect_clean("&amp ;", "&amp ;");
	expect_clean("& lt;", "& lt;");
	expect_clean("&#;", "&#;");
	expect_clean("&#x;", "&#x;");
	expect_clean("&#12", "&#12");
	expect_clean("&#12a;", "&#12a;");
	expect_clean("&#xZZ;", "&#xZZ;");
	expect_clean("&", "&");
	expect_clean("&#", "&#");
	expect_clean("&#x", "&#x");
	expect_clean("&&amp;", "&&");
	/* numeric entities that must not produce control characters */
	expect_clean("a&#27;[31mb", "a [31mb");
	expect_clean("&#x1b;", " ");
	expect_clean("&#7;&#10;&#13;&#9;", "    ");
	expect_clean("&#127;", " ");
	expect_clean("&#128;&#x9B;", "  ");
	expect_clean("&#0;", FFFD);
	expect_clean("&#xD800;", FFFD);
	expect_clean("&#xDFFF;", FFFD);
	expect_clean("&#x110000;", FFFD);
	expect_clean("&#99999999999999999999999;", FFFD);
	expect_clean("&#xFFFFFFFFFFFFFFFFFFFF;", FFFD);
	/* would wrap to 0x27 in 32 bits */
	expect_clean("&#x100000027;", FFFD);
	expect_clean("&#4294967335;", FFFD);
	expect_clean("&#x10FFFF;", "\xF4\x8F\xBF\xBF");
}
END_TEST

START_TEST(clean_controls)
{
	expect_clean("\x1b[31mred\x1b[0m", " [31mred [0m");
	expect_clean("bell\a", "bell ");
	expect_clean("a\nb\rc\td", "a b c d");
	expect_clean("crlf\r\n", "crlf  ");
	expect_clean("del\x7f", "del ");
	expect_clean("\x01\x1f", "  ");
	/* C1 as UTF-8: NEL, CSI, and the ends of the range */
	expect_clean("a\xC2\x85" "b\xC2\x9B" "c", "a b c");
	expect_clean("\xC2\x80\xC2\x9F\xC2\xA0", "  \xC2\xA0");
}
END_TEST

/* The bidi controls, raw or as entities, become spaces; their neighbours
 * in the same blocks stay. */
START_TEST(clean_bidi)
{
	static const char *const raw[] = {
		"\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC",
		"\xE2\x80\xAD", "\xE2\x80\xAE",           /* U+202A-202E */
		"\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8",
		"\xE2\x81\xA9",                             /* U+2066-2069 */
		"\xE2\x80\x8E", "\xE2\x80\x8F",           /* U+200E, 200F */
		"\xD8\x9C",                                  /* U+061C */
	};
	char in[32], want[32];
	size_t i;

	for (i = 0; i < sizeof raw / sizeof raw[0]; i++) {
		snprintf(in, sizeof in, "a%sb", raw[i]);
		expect_clean(in, "a b");
	}
	expect_clean("&#x202E;evil&#8238;&#x2066;&#8207;&#1564;",
		     " evil    ");
	/* "gnp.exe" shown reversed: the override goes, the text stays. */
	expect_clean("photo\xE2\x80\xAEgnp.exe", "photo gnp.exe");
	/* Neighbours: U+2029, U+202F, U+2065, U+206A, U+200D, U+061B. */
	static const char *const kept[] = {
		"\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\xA5",
		"\xE2\x81\xAA", "\xE2\x80\x8D", "\xD8\x9B",
	};
	for (i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		snprintf(in, sizeof in, "a%sb", kept[i]);
		snprintf(want, sizeof want, "a%sb", kept[i]);
		expect_clean(in, want);
	}
}
END_TEST

START_TEST(clean_invalid_utf8)
{
	expect_clean("\xff", FFFD);
	expect_clean("a\x80z", "a" FFFD "z");
	expect_clean("\xFE\xFF", FFFD FFFD);
	/* overlongs */
	expect_clean("\xC0\x80", FFFD FFFD);
	expect_clean("\xC1\xBF", FFFD FFFD);
	expect_clean("\xE0\x80\xAF", FFFD FFFD FFFD);
	expect_clean("\xF0\x80\x80\xAF", FFFD FFFD FFFD FFFD);
	/* surrogates, beyond U+10FFFF */
	expect_clean("\xED\xA0\x80", FFFD FFFD FFFD);
	expect_clean("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	expect_clean("\xF5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	/* truncated: one U+FFFD per maximal bad prefix */
	expect_clean("\xE2\x82", FFFD);
	expect_clean("\xE2\x82" "A", FFFD "A");
	expect_clean("\xF0\x9F\x98", FFFD);
	expect_clean("\xF0\x9F\x98 x", FFFD " x");
	expect_clean("\xC3", FFFD);
	/* a valid sequence after a bad one survives */
	expect_clean("\xE2\xC3\xA9", FFFD "\xC3\xA9");
}
END_TEST

/* Strings ending right at the allocation: ASan catches any read past NUL. */
START_TEST(clean_exact_buffers)
{
	static const char *const ends[] = {
		"\xF0\x9F", "\xE2", "&#x", "&#", "&am", "&", "&#12", "&nbsp",
		"\xC2",
	};
	size_t i;

	for (i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		size_t n = strlen(ends[i]);
		char *in = malloc(n + 1);
		char *out;

		ck_assert_ptr_nonnull(in);
		memcpy(in, ends[i], n + 1);
		out = text_clean(in);
		ck_assert_ptr_nonnull(out);
		ck_assert(safe_utf8(out));
		ck_assert_uint_le(text_width(out), n);
		free(out);
		free(in);
	}
}
END_TEST

/* Random bytes (fixed seed) always come out safe and JSON-parseable. */
START_TEST(clean_random_bytes)
{
	uint32_t x = 2463534242u;
	int round;

	for (round = 0; round < 2000; round++) {
		char in[64];
		size_t n = 1 + round % 62, i;
		char *out, *js;
		struct json_object *o;

		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			/* bias towards interesting bytes */
			if (round % 3 == 0)
				in[i] = "&#x;1bA\x1b\xC2\xE2\x80"[x % 11];
			else
				in[i] = (char)((x & 0xFF) ? (x & 0xFF) : 'a');
		}
		in[n] = '\0';
		out = text_clean(in);
		ck_assert_ptr_nonnull(out);
		ck_assert(safe_utf8(out));
		js = capture(text_json, out);
		o = json_tokener_parse(js);
		ck_assert_ptr_nonnull(o);
		ck_assert_str_eq(json_object_get_string(o), out);
		json_object_put(o);
		free(js);
		free(out);
	}
}
END_TEST

START_TEST(json_escapes)
{
	char *s;

	s = capture(text_json, "plain");
	ck_assert_str_eq(s, "\"plain\"");
	free(s);
	s = capture(text_json, "a\"b\\c/d");
	ck_assert_str_eq(s, "\"a\\\"b\\\\c/d\"");
	free(s);
	s = capture(text_json, "\x01\n\x1f\x1b");
	ck_assert_str_eq(s, "\"\\u0001\\u000a\\u001f\\u001b\"");
	free(s);
	s = capture(text_json, "\x7f\xC2\x80\xC2\x9B\xC2\xA0");
	ck_assert_str_eq(s, "\"\\u007f\\u0080\\u009b\xC2\xA0\"");
	free(s);
	s = capture(text_json, "x\xE2\x80\xA8y\xE2\x80\xA9z");
	ck_assert_str_eq(s, "\"x\\u2028y\\u2029z\"");
	free(s);
	s = capture(text_json, "caf\xC3\xA9");
	ck_assert_str_eq(s, "\"caf\xC3\xA9\"");
	free(s);
	s = capture(text_json, "");
	ck_assert_str_eq(s, "\"\"");
	free(s);
	s = capture(text_json, NULL);
	ck_assert_str_eq(s, "null");
	free(s);
	/* defensive: invalid UTF-8 never reaches the JSON */
	s = capture(text_json, "a\xff" "b");
	ck_assert_str_eq(s, "\"a\\ufffdb\"");
	free(s);
}
END_TEST

START_TEST(json_round_trip)
{
	static const char *const in[] = {
		"\"quoted\" \\back\\", "tab\there", "\xE2\x80\xA8", "&lt;",
		"emoji \xF0\x9F\x98\x80", "</script>",
	};
	size_t i;

	for (i = 0; i < sizeof in / sizeof in[0]; i++) {
		char *s = capture(text_json, in[i]);
		struct json_object *o = json_tokener_parse(s);

		ck_assert_msg(o != NULL, "not JSON: %s", s);
		ck_assert_str_eq(json_object_get_string(o), in[i]);
		json_object_put(o);
		free(s);
	}
}
END_TEST

static void expect_csv(const char *in, const char *want)
{
	char *got = capture(text_csv, in);

	ck_assert_msg(strcmp(got, want) == 0, "csv(\"%s\") = [%s], want [%s]",
		      in ? in : "(null)", got, want);
	free(got);
}

START_TEST(csv_cells)
{
	expect_csv("plain title", "plain title");
	expect_csv("", "");
	expect_csv(NULL, "");
	expect_csv("a,b", "\"a,b\"");
	expect_csv("say \"hi\"", "\"say \"\"hi\"\"\"");
	expect_csv("\"", "\"\"\"\"");
	expect_csv("line\nbreak", "\"line\nbreak\"");
	expect_csv("cr\rx", "\"cr\rx\"");
	expect_csv(" lead", "\" lead\"");
	expect_csv("trail ", "\"trail \"");
	expect_csv("in side", "in side");
	/* formulas become text */
	expect_csv("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0");
	expect_csv("=cmd|' /C calc'!A0,x", "\"'=cmd|' /C calc'!A0,x\"");
	expect_csv("=1+1", "'=1+1");
	expect_csv("+1", "'+1");
	expect_csv("-1", "'-1");
	expect_csv("@SUM(A1)", "'@SUM(A1)");
	expect_csv("\tx", "'\tx");
	expect_csv("\rx", "\"'\rx\"");
	expect_csv("=HYPERLINK(\"http://x\",\"y\")",
		   "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	expect_csv("a=b", "a=b");
}
END_TEST

START_TEST(width)
{
	ck_assert_uint_eq(text_width(""), 0);
	ck_assert_uint_eq(text_width(NULL), 0);
	ck_assert_uint_eq(text_width("hello"), 5);
	ck_assert_uint_eq(text_width("h\xC3\xA9llo"), 5);
	ck_assert_uint_eq(text_width("\xE6\x97\xA5\xE6\x9C\xAC"), 2);
	ck_assert_uint_eq(text_width("\xF0\x9F\x98\x80!"), 2);
	ck_assert_uint_eq(text_width("\xE2\x80\xA6"), 1);
}
END_TEST

START_TEST(fit)
{
	char *s;

	s = capture_fit("hello", 3, 0);
	ck_assert_str_eq(s, "he\xE2\x80\xA6");
	free(s);
	s = capture_fit("hello", 5, 0);
	ck_assert_str_eq(s, "hello");
	free(s);
	s = capture_fit("hello", 6, 0);
	ck_assert_str_eq(s, "hello");
	free(s);
	s = capture_fit("hello", 8, 1);
	ck_assert_str_eq(s, "hello   ");
	free(s);
	s = capture_fit("hello world", 6, 1);
	ck_assert_str_eq(s, "hello\xE2\x80\xA6");
	free(s);
	s = capture_fit("hello", 1, 0);
	ck_assert_str_eq(s, "\xE2\x80\xA6");
	free(s);
	s = capture_fit("hello", 0, 1);
	ck_assert_str_eq(s, "hello");
	free(s);
	s = capture_fit("h\xC3\xA9llo w\xC3\xB6rld", 4, 0);
	ck_assert_str_eq(s, "h\xC3\xA9l\xE2\x80\xA6");
	free(s);
	s = capture_fit(NULL, 3, 1);
	ck_assert_str_eq(s, "   ");
	free(s);
}
END_TEST

/* Cutting multi-byte text at every width gives valid UTF-8 of that width. */
START_TEST(fit_boundaries)
{
	const char *in = "\xF0\x9F\x98\x80\xE6\x97\xA5\xC3\xA9x\xF0\x9F\x98\x80"
			 "\xE6\x9C\xAC";
	size_t cols;

	for (cols = 1; cols <= 8; cols++) {
		char *s = capture_fit(in, cols, 1);

		ck_assert_msg(safe_utf8(s), "cut at %zu is not UTF-8", cols);
		ck_assert_uint_eq(text_width(s), cols);
		free(s);
	}
}
END_TEST

static Suite *text_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, clean_plain);
	tcase_add_test(tc, clean_entities);
	tcase_add_test(tc, clean_bad_entities);
	tcase_add_test(tc, clean_controls);
	tcase_add_test(tc, clean_bidi);
	tcase_add_test(tc, clean_invalid_utf8);
	tcase_add_test(tc, clean_exact_buffers);
	tcase_add_test(tc, clean_random_bytes);
	tcase_add_test(tc, json_escapes);
	tcase_add_test(tc, json_round_trip);
	tcase_add_test(tc, csv_cells);
	tcase_add_test(tc, width);
	tcase_add_test(tc, fit);
	tcase_add_test(tc, fit_boundaries);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(text_suite());
}
