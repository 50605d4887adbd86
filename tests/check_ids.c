/* check_ids.c — unit tests for ids.c: ids_parse, idlist, ids_read_file.
 * One suite; every test runs on the test's own thread. In-memory files come
 * from fmemopen. */
#include "ids.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

/* ids_parse(s) must give IDS_OK and `want`. */
static void ok(const char *s, uint64_t want)
{
	uint64_t id = 12345;
	enum ids_err e = ids_parse(s, &id);

	ck_assert_msg(e == IDS_OK, "'%s': %s", s, ids_strerror(e));
	ck_assert_msg(id == want, "'%s': got %llu, want %llu", s,
		      (unsigned long long)id, (unsigned long long)want);
}

/* ids_parse(s) must fail with `want`, leaving the id untouched. */
static void bad(const char *s, enum ids_err want)
{
	uint64_t id = 12345;
	enum ids_err e = ids_parse(s, &id);

	ck_assert_msg(e == want, "'%s': got '%s', want '%s'", s,
		      ids_strerror(e), ids_strerror(want));
	ck_assert_msg(id == 12345, "'%s': id changed on error", s);
}

START_TEST(parse_numbers)
{
	ok("8863", 8863);
	ok("  8863 ", 8863);
	ok("\t8863\r\n", 8863);
	ok("1", 1);
	ok("007", 7);
	ok("9007199254740992", IDS_MAX);
	ok("30846071", 30846071);
}
END_TEST

START_TEST(parse_links)
{
	ok("https://news.ycombinator.com/item?id=8863", 8863);
	ok("http://news.ycombinator.com/item?id=8863&p=2", 8863);
	ok("news.ycombinator.com/item?id=8863", 8863);
	ok("  https://news.ycombinator.com/item?id=8863  ", 8863);
	ok("https://news.ycombinator.com/item?p=2&id=8863", 8863);
	ok("https://news.ycombinator.com/item?id=8863#30846071", 8863);
	ok("https://news.ycombinator.com/item?kid=5&id=7", 7);
	ok("https://news.ycombinator.com/item?id=9007199254740992", IDS_MAX);
	ok("item?id=42", 42);
}
END_TEST

START_TEST(parse_errors)
{
	bad("", IDS_EMPTY);
	bad(" \t \r\n", IDS_EMPTY);
	bad("12ab", IDS_NOT_NUMBER);
	bad("abc", IDS_NOT_NUMBER);
	bad("88 63", IDS_NOT_NUMBER);
	bad("+5", IDS_NOT_NUMBER);
	bad("1.5", IDS_NOT_NUMBER);
	bad("0x10", IDS_NOT_NUMBER);
	bad("-", IDS_NOT_NUMBER);
	bad("--5", IDS_NOT_NUMBER);
	bad("8863:", IDS_NOT_NUMBER);
	bad("-5", IDS_NEGATIVE);
	bad(" -8863 ", IDS_NEGATIVE);
	bad("0", IDS_ZERO);
	bad("000", IDS_ZERO);
	bad("9007199254740993", IDS_TOO_BIG);
	bad("18446744073709551615", IDS_TOO_BIG);
	bad("18446744073709551616", IDS_TOO_BIG);
	bad("999999999999999999999999999999", IDS_TOO_BIG);
}
END_TEST

START_TEST(parse_bad_links)
{
	bad("https://news.ycombinator.com/", IDS_LINK_NO_ID);
	bad("https://news.ycombinator.com/item", IDS_LINK_NO_ID);
	bad("https://news.ycombinator.com/item?id=abc", IDS_LINK_NO_ID);
	bad("https://news.ycombinator.com/item?id=", IDS_LINK_NO_ID);
	bad("https://news.ycombinator.com/item?id=0", IDS_LINK_NO_ID);
	bad("https://news.ycombinator.com/item?id=-5", IDS_LINK_NO_ID);
	bad("https://news.ycombinator.com/item?id=12ab", IDS_LINK_NO_ID);
	bad("https://news.ycombinator.com/item?id=9007199254740993",
	    IDS_LINK_NO_ID);
	bad("https://news.ycombinator.com/item?id=99999999999999999999999",
	    IDS_LINK_NO_ID);
	bad("https://news.ycombinator.com/item?idx=5", IDS_LINK_NO_ID);
	bad("https://news.ycombinator.com/item?xid=5", IDS_LINK_NO_ID);
	bad("https://news.ycombinator.com/item#id=5", IDS_LINK_NO_ID);
	bad("https://news.ycombinator.com/item?p=1#id=5", IDS_LINK_NO_ID);
}
END_TEST

START_TEST(strerror_texts)
{
	enum ids_err e, f;

	ck_assert_str_eq(ids_strerror(IDS_NOT_NUMBER), "not a number");
	ck_assert_str_eq(ids_strerror(IDS_OK), "ok");
	for (e = IDS_OK; e <= IDS_LINE_TOO_LONG; e++) {
		ck_assert_ptr_nonnull(ids_strerror(e));
		for (f = IDS_OK; f < e; f++)
			ck_assert_str_ne(ids_strerror(e), ids_strerror(f));
	}
	ck_assert_ptr_nonnull(ids_strerror((enum ids_err)99));
}
END_TEST

START_TEST(list_order_and_dups)
{
	struct u64set l;
	static const uint64_t want[] = { 5, 3, 9 };

	u64set_init(&l);
	ck_assert_int_eq(u64set_has(&l, 5), 0);
	ck_assert_int_eq(u64set_add(&l, 5), 1);
	ck_assert_int_eq(u64set_add(&l, 3), 1);
	ck_assert_int_eq(u64set_add(&l, 5), 0);
	ck_assert_int_eq(u64set_add(&l, 9), 1);
	ck_assert_int_eq(u64set_add(&l, 3), 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_mem_eq(l.ids, want, sizeof want);
	ck_assert_int_eq(u64set_has(&l, 9), 1);
	ck_assert_int_eq(u64set_has(&l, 4), 0);
	ck_assert_int_eq(u64set_has(&l, 0), 0);
	/* 0 marks an empty slot: it is refused, not stored. */
	errno = 0;
	ck_assert_int_eq(u64set_add(&l, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_int_eq(u64set_add(&l, IDS_MAX), 1);
	ck_assert_int_eq(u64set_has(&l, IDS_MAX), 1);
	u64set_free(&l);
	ck_assert_ptr_null(l.ids);
	ck_assert_uint_eq(l.n, 0);
	/* Usable again after free. */
	ck_assert_int_eq(u64set_add(&l, 7), 1);
	ck_assert_int_eq(u64set_has(&l, 5), 0);
	u64set_free(&l);
}
END_TEST

/* A million ids, each added twice, in a scrambled and in a strided order
 * (multiples of 2^20 would all collide under a plain `id & mask`). The
 * tcase timeout is what fails a quadratic list. */
START_TEST(list_million)
{
	const size_t N = 1000000;
	struct u64set l;
	size_t i, wrong;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		u64set_init(&l);
		/* Count here, assert once: a Check assertion per id is slow. */
		wrong = 0;
		for (i = 0; i < 2 * N; i++) {
			uint64_t k = (uint64_t)(i % N);
			uint64_t id = pass == 0 ? (k * 2654435761u) % N + 1
						: (k + 1) << 20;

			wrong += u64set_add(&l, id) != (i < N ? 1 : 0);
		}
		ck_assert_uint_eq(wrong, 0);
		ck_assert_uint_eq(l.n, N);
		for (i = 0; i < N; i++) {
			uint64_t id = pass == 0
				? ((uint64_t)i * 2654435761u) % N + 1
				: ((uint64_t)i + 1) << 20;

			if (l.ids[i] != id)
				ck_abort_msg("v[%zu] = %llu, want %llu", i,
					     (unsigned long long)l.ids[i],
					     (unsigned long long)id);
		}
		ck_assert_int_eq(u64set_has(&l, pass == 0 ? N + 1 : 3), 0);
		u64set_free(&l);
	}
}
END_TEST

/* Run ids_read_file over `text` (len bytes) named "in.txt". */
static int read_text(const char *text, size_t len, struct u64set *l,
		     char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int rc;

	ck_assert_ptr_nonnull(f);
	rc = ids_read_file(f, "in.txt", l, err, errlen);
	fclose(f);
	return rc;
}

START_TEST(file_ok)
{
	static const char text[] =
		"8863\n"
		"\n"
		"   \t\n"
		"  # a comment: 12ab\n"
		"#1\n"
		"https://news.ycombinator.com/item?id=1\r\n"
		"  42  \r\n"
		"\r\n"
		"8863\n"
		"http://news.ycombinator.com/item?id=8863&p=2\n"
		"7";
	static const uint64_t want[] = { 8863, 1, 42, 7 };
	struct u64set l;
	char err[128] = "junk";

	u64set_init(&l);
	ck_assert_int_eq(read_text(text, strlen(text), &l, err, sizeof err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(l.n, 4);
	ck_assert_mem_eq(l.ids, want, sizeof want);
	u64set_free(&l);
}
END_TEST

START_TEST(file_empty)
{
	struct u64set l;
	char err[64] = "junk";

	u64set_init(&l);
	ck_assert_int_eq(read_text("", 0, &l, err, sizeof err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(read_text("# only\n\n", 8, &l, err, sizeof err), 0);
	ck_assert_uint_eq(l.n, 0);
	u64set_free(&l);
}
END_TEST

/* The first bad line of `text` must give exactly `want`. */
static void file_bad(const char *text, size_t len, const char *want)
{
	struct u64set l;
	char err[256];

	u64set_init(&l);
	ck_assert_int_eq(read_text(text, len, &l, err, sizeof err), -1);
	ck_assert_str_eq(err, want);
	u64set_free(&l);
}

START_TEST(file_errors)
{
	file_bad("1\n2\n12ab\n3\n", 11, "in.txt:3: not a number: '12ab'");
	file_bad("# c\r\n  -5  \r\n", 13, "in.txt:2: negative id: '-5'");
	file_bad("0", 1, "in.txt:1: id 0 (ids start at 1): '0'");
	file_bad("9007199254740993\n", 17,
		 "in.txt:1: id too big (more than 2^53): '9007199254740993'");
	file_bad("\n\nhttps://news.ycombinator.com/item?id=abc\n", 43,
		 "in.txt:3: link without an id=N parameter: "
		 "'https://news.ycombinator.com/item?id=abc'");
	/* Non-printable bytes (and non-ASCII ones) are shown as '?'. */
	file_bad("12\x01\x1b\xff" "3\n", 7, "in.txt:1: not a number: '12???3'");
	/* A NUL byte does not hide the rest of the line. */
	file_bad("5\0 6\n", 5, "in.txt:1: not a number: '5? 6'");
}
END_TEST

START_TEST(file_error_keeps_earlier_ids)
{
	struct u64set l;
	char err[128];

	u64set_init(&l);
	ck_assert_int_eq(read_text("1\n2\nx\n3\n", 8, &l, err, sizeof err), -1);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(u64set_has(&l, 3), 0);
	u64set_free(&l);
}
END_TEST

START_TEST(file_long_line_cut)
{
	char text[201], want[128];
	size_t i;

	for (i = 0; i < 200; i++)
		text[i] = 'a' + (char)(i % 26);
	text[200] = '\0';
	snprintf(want, sizeof want, "in.txt:1: not a number: '%.60s...'", text);
	file_bad(text, 200, want);
	/* Exactly 60 characters: not cut. */
	snprintf(want, sizeof want, "in.txt:1: not a number: '%.60s'", text);
	file_bad(text, 60, want);
}
END_TEST

/* A line is at most IDS_LINE_MAX bytes (its "\n" not counted, a CR
 * before it counted): 4096 bytes are read, 4097 are an error naming the
 * line, comments included, and reading stops at the first bad line. */
START_TEST(file_line_max)
{
	size_t len = IDS_LINE_MAX + 64;
	char *text = malloc(len), want[256];
	struct u64set l;
	char err[256];

	ck_assert_ptr_nonnull(text);
	/* "1\n", then "2" padded with blanks to exactly IDS_LINE_MAX bytes
	 * (CR included), then "3\n". */
	memset(text, ' ', len);
	memcpy(text, "1\n2", 3);
	text[2 + IDS_LINE_MAX - 1] = '\r';
	text[2 + IDS_LINE_MAX] = '\n';
	memcpy(text + 2 + IDS_LINE_MAX + 1, "3\n", 2);
	u64set_init(&l);
	ck_assert_int_eq(read_text(text, 2 + IDS_LINE_MAX + 3, &l, err,
				   sizeof err), 0);
	ck_assert_uint_eq(l.n, 3);
	/* One byte more on line 2: refused, whatever it holds. */
	text[2 + IDS_LINE_MAX - 1] = ' ';
	text[2 + IDS_LINE_MAX] = '\r';
	text[2 + IDS_LINE_MAX + 1] = '\n';
	memcpy(text + 2 + IDS_LINE_MAX + 2, "3\n", 2);
	snprintf(want, sizeof want, "in.txt:2: line longer than %d bytes: "
		 "'2'", IDS_LINE_MAX);
	file_bad(text, 2 + IDS_LINE_MAX + 4, want);
	text[2] = '#';
	snprintf(want, sizeof want, "in.txt:2: line longer than %d bytes: "
		 "'#'", IDS_LINE_MAX);
	file_bad(text, 2 + IDS_LINE_MAX + 4, want);
	u64set_free(&l);
	free(text);
}
END_TEST

/* A line without end: reading stops after IDS_LINE_MAX + 1 bytes, the
 * rest of the stream is never read (a FILE of 64 MiB of NULs). */
START_TEST(file_endless_line)
{
	size_t len = (size_t)64 << 20;
	char *zeros = calloc(1, len), err[256], want[256];
	struct u64set l;
	FILE *f;

	ck_assert_ptr_nonnull(zeros);
	f = fmemopen(zeros, len, "r");
	ck_assert_ptr_nonnull(f);
	u64set_init(&l);
	ck_assert_int_eq(ids_read_file(f, "zero", &l, err, sizeof err), -1);
	snprintf(want, sizeof want, "zero:1: line longer than %d bytes: '%.60s"
		 "...'", IDS_LINE_MAX, "????????????????????????????????????"
		 "????????????????????????");
	ck_assert_str_eq(err, want);
	/* Nothing taken from the stream past the first byte over the cap. */
	ck_assert_int_eq(ftell(f), IDS_LINE_MAX + 1);
	fclose(f);
	u64set_free(&l);
	free(zeros);
}
END_TEST

START_TEST(file_small_err_buffer)
{
	struct u64set l;
	char err[10];

	u64set_init(&l);
	memset(err, 'x', sizeof err);
	ck_assert_int_eq(read_text("12ab\n", 5, &l, err, sizeof err), -1);
	ck_assert_uint_eq(strlen(err), sizeof err - 1);
	ck_assert_int_eq(read_text("12ab\n", 5, &l, NULL, 0), -1);
	ck_assert_int_eq(read_text("12ab\n", 5, &l, err, 0), -1);
	u64set_free(&l);
}
END_TEST

START_TEST(file_read_error)
{
	struct u64set l;
	char err[128];
	FILE *f = fopen("/dev/null", "w"); /* reading it fails: EBADF */

	ck_assert_ptr_nonnull(f);
	u64set_init(&l);
	ck_assert_int_eq(ids_read_file(f, "out.txt", &l, err, sizeof err), -1);
	ck_assert_str_eq(err, "out.txt: Bad file descriptor");
	fclose(f);
	u64set_free(&l);
}
END_TEST

/* A million lines, half of them repeats, through a real file. */
START_TEST(file_million)
{
	const unsigned N = 1000000;
	struct u64set l;
	char err[128];
	FILE *f = tmpfile();
	unsigned i;

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < N; i++)
		fprintf(f, i % 2 ? "%u\r\n"
			   : "https://news.ycombinator.com/item?id=%u\n",
			i / 2 + 1);
	rewind(f);
	u64set_init(&l);
	ck_assert_int_eq(ids_read_file(f, "big", &l, err, sizeof err), 0);
	ck_assert_uint_eq(l.n, N / 2);
	ck_assert_uint_eq(l.ids[0], 1);
	ck_assert_uint_eq(l.ids[N / 2 - 1], N / 2);
	fclose(f);
	u64set_free(&l);
}
END_TEST

static Suite *ids_suite(void)
{
	Suite *s = suite_create("ids");
	TCase *tc = tcase_create("parse");
	TCase *tl = tcase_create("idlist");
	TCase *tf = tcase_create("read_file");

	tcase_add_test(tc, parse_numbers);
	tcase_add_test(tc, parse_links);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, parse_bad_links);
	tcase_add_test(tc, strerror_texts);
	suite_add_tcase(s, tc);

	/* Generous for valgrind; a quadratic list needs hours. */
	tcase_set_timeout(tl, 120);
	tcase_add_test(tl, list_order_and_dups);
	tcase_add_test(tl, list_million);
	suite_add_tcase(s, tl);

	tcase_set_timeout(tf, 120);
	tcase_add_test(tf, file_ok);
	tcase_add_test(tf, file_empty);
	tcase_add_test(tf, file_errors);
	tcase_add_test(tf, file_error_keeps_earlier_ids);
	tcase_add_test(tf, file_long_line_cut);
	tcase_add_test(tf, file_line_max);
	tcase_add_test(tf, file_endless_line);
	tcase_add_test(tf, file_small_err_buffer);
	tcase_add_test(tf, file_read_error);
	tcase_add_test(tf, file_million);
	suite_add_tcase(s, tf);
	return s;
}

int main(void)
{
	return tu_run(ids_suite());
}
