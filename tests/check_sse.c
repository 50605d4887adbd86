/* check_sse.c — the Server-Sent Events parser: Firebase's events whole,
 * whatever the pieces they arrive in; line ends, comments, multi-line data;
 * an oversized event refused. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"
#include "testutil.h"

struct got {
	char text[4096];     /* "event|data\n" per event */
	size_t len;
	int n;
};

static int record(const char *event, const char *data, size_t len, void *arg)
{
	struct got *g = arg;
	ck_assert_uint_eq(strlen(data), len);
	g->len += (size_t)snprintf(g->text + g->len, sizeof g->text - g->len,
				   "%s|%s\n", event, data);
	g->n++;
	return 0;
}

static const char firebase[] =
	"event: put\n"
	"data: {\"path\":\"/\",\"data\":41000000}\n\n"
	"event: keep-alive\n"
	"data: null\n\n"
	"event: patch\r\n"
	"data: {\"path\":\"/\",\"data\":{\"3\":777}}\r\n\r\n"
	": a comment\n"
	"id: 5\n"
	"data: line one\n"
	"data: line two\n\n"
	"event: cancel\r"
	"data: null\r\r"
	"event: no data\n\n";

static const char want[] =
	"put|{\"path\":\"/\",\"data\":41000000}\n"
	"keep-alive|null\n"
	"patch|{\"path\":\"/\",\"data\":{\"3\":777}}\n"
	"message|line one\nline two\n"
	"cancel|null\n";

START_TEST(test_whole_and_in_pieces)
{
	size_t n = strlen(firebase);
	for (size_t step = 1; step <= n; step++) {
		struct sse p;
		struct got g = { .len = 0 };
		sse_init(&p, 1024);
		for (size_t i = 0; i < n; i += step)
			ck_assert_int_eq(sse_feed(&p, firebase + i,
						  i + step > n ? n - i : step,
						  record, &g), 0);
		ck_assert_msg(strcmp(g.text, want) == 0, "step %zu: %s", step,
			      g.text);
		ck_assert_int_eq(g.n, 5);
		sse_free(&p);
	}
}
END_TEST

START_TEST(test_reset_drops_partial_event)
{
	struct sse p;
	struct got g = { .len = 0 };
	sse_init(&p, 1024);
	const char *a = "event: put\ndata: {\"path\":\"/\",\"da";
	ck_assert_int_eq(sse_feed(&p, a, strlen(a), record, &g), 0);
	sse_reset(&p);  /* the stream dropped mid-event; a new one starts */
	const char *b = "event: put\ndata: 7\n\n";
	ck_assert_int_eq(sse_feed(&p, b, strlen(b), record, &g), 0);
	ck_assert_str_eq(g.text, "put|7\n");
	sse_free(&p);
}
END_TEST

static int refuse(const char *event, const char *data, size_t len, void *arg)
{
	(void)event; (void)data; (void)len; (void)arg;
	return 1;
}

START_TEST(test_limits)
{
	struct sse p;
	struct got g = { .len = 0 };
	sse_init(&p, 64);
	char big[200];
	memset(big, 'x', sizeof big);
	ck_assert_int_eq(sse_feed(&p, "data: ", 6, record, &g), 0);
	ck_assert_int_eq(sse_feed(&p, big, sizeof big, record, &g), -1);
	sse_free(&p);
	/* many short data lines, over the limit together */
	sse_init(&p, 64);
	for (int i = 0; i < 20; i++) {
		int rc = sse_feed(&p, "data: 12345\n", 12, record, &g);
		ck_assert_int_eq(rc, i < 10 ? 0 : -1);
		if (rc)
			break;
	}
	sse_free(&p);
	sse_init(&p, 64);
	ck_assert_int_eq(sse_feed(&p, "data: 1\n\n", 9, refuse, NULL), -1);
	sse_free(&p);
	ck_assert_int_eq(g.n, 0);
}
END_TEST

static Suite *sse_suite(void)
{
	Suite *s = suite_create("sse");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_whole_and_in_pieces);
	tcase_add_test(tc, test_reset_drops_partial_event);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(sse_suite());
}
