/* check_fakestream.c — the fake API's Firebase streams (fakeapi.h,
 * "Streams"), seen by real libcurl clients: the first put of each kind of
 * stream, the changes a test makes while streams are open (maxitem,
 * updates, list put and patch, raw bytes), ends (drop, mid-event, a client
 * hanging up, a client that stops reading, fakeapi_stop), the 307 redirect,
 * null_first, and the plain GETs beside them.
 *
 * The clients run on one curl multi handle driven by the test's thread;
 * every wait pumps it until a condition holds (bytes seen, transfer done,
 * a fake counter reached) or a deadline passes: nothing sleeps. */
#include "fakeapi.h"

#include <check.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "testutil.h"

#define WAIT_MS (20 * 1000)           /* any wait; sanitizers are slow */

#define PUT(v) "event: put\ndata: {\"path\":\"/\",\"data\":" v "}\n\n"
#define PATCH(v) "event: patch\ndata: {\"path\":\"/\",\"data\":" v "}\n\n"
#define KEEPALIVE "event: keep-alive\ndata: null\n\n"
#define CANCEL "event: cancel\ndata: null\n\n"

/* ---- clients ---- */

struct client {
	CURL *e;
	struct curl_slist *hdrs;
	char *buf;                    /* what arrived, NUL-terminated */
	size_t len, cap;
	int done;
	CURLcode result;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct client *c = arg;
	size_t n = size * nmemb;

	if (c->len + n + 1 > c->cap) {
		c->cap = (c->len + n + 1) * 2;
		c->buf = realloc(c->buf, c->cap);
		if (!c->buf)
			abort();
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	c->buf[c->len] = '\0';
	return n;
}

/* A transfer of api's path ("maxitem.json") on m: a stream when sse. */
static struct client *client_new(CURLM *m, struct fakeapi *api,
				 const char *path, int sse, int follow)
{
	struct client *c = calloc(1, sizeof *c);
	char url[256];

	ck_assert_ptr_nonnull(c);
	c->buf = calloc(1, 1);
	snprintf(url, sizeof url, "%s/%s", fakeapi_url(api), path);
	c->e = curl_easy_init();
	ck_assert_ptr_nonnull(c->e);
	if (sse)
		c->hdrs = curl_slist_append(NULL,
					    "Accept: text/event-stream");
	curl_easy_setopt(c->e, CURLOPT_URL, url);
	curl_easy_setopt(c->e, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(c->e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(c->e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->e, CURLOPT_FOLLOWLOCATION, (long)follow);
	ck_assert_int_eq(curl_multi_add_handle(m, c->e), CURLM_OK);
	return c;
}

/* Close the client's connection (if open) and free it. */
static void client_free(CURLM *m, struct client *c)
{
	curl_multi_remove_handle(m, c->e);
	curl_easy_cleanup(c->e);
	curl_slist_free_all(c->hdrs);
	free(c->buf);
	free(c);
}

static long client_status(struct client *c)
{
	long code = 0;

	curl_easy_getinfo(c->e, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static const char *client_type(struct client *c)
{
	char *t = NULL;

	curl_easy_getinfo(c->e, CURLINFO_CONTENT_TYPE, &t);
	return t ? t : "";
}

/* Run m's transfers for up to ms; note the finished ones. */
static void pump(CURLM *m, int ms)
{
	int running, left;
	CURLMsg *msg;

	ck_assert_int_eq(curl_multi_perform(m, &running), CURLM_OK);
	ck_assert_int_eq(curl_multi_poll(m, NULL, 0, ms, NULL), CURLM_OK);
	ck_assert_int_eq(curl_multi_perform(m, &running), CURLM_OK);
	while ((msg = curl_multi_info_read(m, &left))) {
		struct client *c = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&c);
		c->done = 1;
		c->result = msg->data.result;
	}
}

/* Pump until c received exactly `want` (1), or more, or ended, or the
 * deadline (0). */
static int wait_exact(CURLM *m, struct client *c, const char *want)
{
	double end = clock_now_ms() + WAIT_MS;
	size_t n = strlen(want);

	while (c->len < n && !c->done && clock_now_ms() < end)
		pump(m, 50);
	return c->len == n && memcmp(c->buf, want, n) == 0;
}

static int wait_done(CURLM *m, struct client *c)
{
	double end = clock_now_ms() + WAIT_MS;

	while (!c->done && clock_now_ms() < end)
		pump(m, 50);
	return c->done;
}

/* Pump until fakeapi_stream_wait(name, connects, open) holds. */
static int wait_streams(CURLM *m, struct fakeapi *api, const char *name,
			uint64_t connects, int open)
{
	double end = clock_now_ms() + WAIT_MS;

	while (!fakeapi_stream_wait(api, name, connects, open, 0)) {
		if (clock_now_ms() >= end)
			return 0;
		pump(m, 20);
	}
	return 1;
}

/* A plain GET (blocking): the body (malloc'd), status and type. */
static char *get(struct fakeapi *api, const char *path, const char *accept,
		 long *status, char *type, size_t tlen)
{
	struct client c = { 0 };
	char url[256], *t = NULL;
	struct curl_slist *h = NULL;

	snprintf(url, sizeof url, "%s/%s", fakeapi_url(api), path);
	c.buf = calloc(1, 1);
	c.e = curl_easy_init();
	if (accept)
		h = curl_slist_append(NULL, accept);
	curl_easy_setopt(c.e, CURLOPT_URL, url);
	curl_easy_setopt(c.e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c.e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c.e, CURLOPT_WRITEDATA, &c);
	curl_easy_setopt(c.e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c.e, CURLOPT_TIMEOUT_MS, (long)WAIT_MS);
	ck_assert_int_eq(curl_easy_perform(c.e), CURLE_OK);
	curl_easy_getinfo(c.e, CURLINFO_RESPONSE_CODE, status);
	curl_easy_getinfo(c.e, CURLINFO_CONTENT_TYPE, &t);
	if (type)
		snprintf(type, tlen, "%s", t ? t : "");
	curl_easy_cleanup(c.e);
	curl_slist_free_all(h);
	return c.buf;
}

/* The plain body of path, asserted 200. */
static char *get_ok(struct fakeapi *api, const char *path)
{
	long st = 0;
	char *b = get(api, path, NULL, &st, NULL, 0);

	ck_assert_msg(st == 200, "%s: status %ld", path, st);
	return b;
}

#define ck_assert_body(api, path, want) do { \
		char *b_ = get_ok(api, path); \
		ck_assert_str_eq(b_, want); \
		free(b_); \
	} while (0)

static struct fakeapi *start(CURLM **m)
{
	struct fakeapi *api = fakeapi_start();

	ck_assert_ptr_nonnull(api);
	*m = curl_multi_init();
	ck_assert_ptr_nonnull(*m);
	return api;
}

static void finish(struct fakeapi *api, CURLM *m)
{
	fakeapi_stop(api);
	curl_multi_cleanup(m);
}

/* ---- tests ---- */

START_TEST(first_put_each_kind)
{
	CURLM *m;
	struct fakeapi *api = start(&m);
	struct fakeapi_stats st;

	ck_assert_int_eq(fakeapi_put(api, 5, "{\"id\":5}"), 0);
	ck_assert_int_eq(fakeapi_put(api, 9, "{\"id\":9}"), 0);
	ck_assert_int_eq(fakeapi_put(api, 7, "{\"id\":7}"), 0);
	ck_assert_int_eq(fakeapi_put_list(api, "topstories", "[9,5]"), 0);
	struct client *mi = client_new(m, api, "maxitem.json", 1, 0);
	struct client *up = client_new(m, api, "updates.json", 1, 0);
	struct client *top = client_new(m, api, "topstories.json", 1, 0);
	struct client *none = client_new(m, api, "beststories.json", 1, 0);
	ck_assert_msg(wait_exact(m, mi, PUT("9")), "maxitem: %s", mi->buf);
	ck_assert_msg(wait_exact(m, up, PUT("{\"items\":[],\"profiles\":[]}")),
		      "updates: %s", up->buf);
	ck_assert_msg(wait_exact(m, top, PUT("[9,5]")), "top: %s", top->buf);
	ck_assert(wait_done(m, none));
	ck_assert_int_eq(client_status(none), 404);
	struct client *all[] = { mi, up, top };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(client_status(all[i]), 200);
		ck_assert_str_eq(client_type(all[i]), "text/event-stream");
		ck_assert(!all[i]->done);
	}
	ck_assert_uint_eq(fakeapi_stream_connects(api, "maxitem"), 1);
	ck_assert_uint_eq(fakeapi_stream_connects(api, "updates"), 1);
	ck_assert_uint_eq(fakeapi_stream_connects(api, "topstories"), 1);
	ck_assert_uint_eq(fakeapi_stream_open(api, NULL), 3);
	fakeapi_get_stats(api, &st);
	ck_assert_uint_eq(st.stream_connects, 3);
	ck_assert_uint_eq(st.stream_events, 3);
	ck_assert_uint_eq(st.streams_now, 3);
	ck_assert_uint_eq(st.item_requests, 0);
	ck_assert_uint_eq(st.list_requests, 0);
	ck_assert_uint_eq(st.requests, 4);
	ck_assert_uint_eq(st.not_found, 1);
	ck_assert_uint_eq(st.stream_bytes, strlen(mi->buf) + strlen(up->buf) +
			  strlen(top->buf));
	client_free(m, mi);
	client_free(m, up);
	client_free(m, top);
	client_free(m, none);
	finish(api, m);
}
END_TEST

START_TEST(maxitem_change)
{
	CURLM *m;
	struct fakeapi *api = start(&m);

	struct client *c = client_new(m, api, "maxitem.json", 1, 0);
	ck_assert_msg(wait_exact(m, c, PUT("0")), "%s", c->buf);
	ck_assert_int_eq(fakeapi_set_maxitem(api, 41000000), 0);
	ck_assert_msg(wait_exact(m, c, PUT("0") PUT("41000000")), "%s",
		      c->buf);
	ck_assert_body(api, "maxitem.json", "41000000");
	/* set: a larger item stored no longer moves it, and sends nothing */
	ck_assert_int_eq(fakeapi_put(api, 41000007, "{\"id\":41000007}"), 0);
	ck_assert_body(api, "maxitem.json", "41000000");
	ck_assert_int_eq(fakeapi_set_maxitem(api, 41000001), 0);
	ck_assert_msg(wait_exact(m, c, PUT("0") PUT("41000000")
				 PUT("41000001")), "%s", c->buf);
	ck_assert_uint_eq(fakeapi_list_requests(api, "maxitem"), 2);
	client_free(m, c);
	finish(api, m);
}
END_TEST

START_TEST(updates_put)
{
	CURLM *m;
	struct fakeapi *api = start(&m);
	const uint64_t ids[] = { 7, 8, 41000009 };

	struct client *c = client_new(m, api, "updates.json", 1, 0);
	ck_assert(wait_exact(m, c, PUT("{\"items\":[],\"profiles\":[]}")));
	ck_assert_int_eq(fakeapi_send_updates(api, ids, 3), 0);
	ck_assert_msg(wait_exact(m, c,
		PUT("{\"items\":[],\"profiles\":[]}")
		PUT("{\"items\":[7,8,41000009],\"profiles\":[]}")), "%s",
		c->buf);
	ck_assert_body(api, "updates.json",
		       "{\"items\":[7,8,41000009],\"profiles\":[]}");
	ck_assert_int_eq(fakeapi_send_updates(api, NULL, 0), 0);
	ck_assert_body(api, "updates.json", "{\"items\":[],\"profiles\":[]}");
	client_free(m, c);
	finish(api, m);
}
END_TEST

START_TEST(list_put_and_patch)
{
	CURLM *m;
	struct fakeapi *api = start(&m);

	ck_assert_int_eq(fakeapi_put_list(api, "topstories", "[1,2,3]"), 0);
	struct client *c = client_new(m, api, "topstories.json", 1, 0);
	ck_assert(wait_exact(m, c, PUT("[1,2,3]")));
	ck_assert_int_eq(fakeapi_put_list(api, "topstories", "[4,5,6]"), 0);
	ck_assert_int_eq(fakeapi_patch_list(api, "topstories", 1, 7), 0);
	ck_assert_body(api, "topstories.json", "[4,7,6]");
	ck_assert_int_eq(fakeapi_patch_list(api, "topstories", 2, 0), 0);
	ck_assert_body(api, "topstories.json", "[4,7]");
	ck_assert_int_eq(fakeapi_patch_list(api, "topstories", 0, 0), 0);
	ck_assert_body(api, "topstories.json", "[null,7]");
	ck_assert_int_eq(fakeapi_patch_list(api, "topstories", 4, 9), 0);
	ck_assert_body(api, "topstories.json", "[null,7,null,null,9]");
	ck_assert_int_eq(fakeapi_patch_list(api, "topstories", 4, 0), 0);
	ck_assert_body(api, "topstories.json", "[null,7]");
	ck_assert_msg(wait_exact(m, c, PUT("[1,2,3]") PUT("[4,5,6]")
		PATCH("{\"1\":7}") PATCH("{\"2\":null}") PATCH("{\"0\":null}")
		PATCH("{\"4\":9}") PATCH("{\"4\":null}")), "%s", c->buf);
	/* refused, nothing sent */
	ck_assert_int_eq(fakeapi_patch_list(api, "maxitem", 0, 1), -1);
	ck_assert_int_eq(fakeapi_patch_list(api, "nosuchlist", 0, 1), -1);
	ck_assert_int_eq(fakeapi_patch_list(api, "topstories", 100001, 1), -1);
	ck_assert_int_eq(fakeapi_put_list(api, "odd", "{\"a\":1}"), 0);
	ck_assert_int_eq(fakeapi_patch_list(api, "odd", 0, 1), -1);
	/* a multi-line body is sent (and served) on one line */
	ck_assert_int_eq(fakeapi_put_list(api, "topstories", "[1,\n2]\n"), 0);
	ck_assert_msg(wait_exact(m, c, PUT("[1,2,3]") PUT("[4,5,6]")
		PATCH("{\"1\":7}") PATCH("{\"2\":null}") PATCH("{\"0\":null}")
		PATCH("{\"4\":9}") PATCH("{\"4\":null}") PUT("[1, 2] ")), "%s",
		c->buf);
	ck_assert_body(api, "topstories.json", "[1, 2] ");
	ck_assert_int_eq(fakeapi_patch_list(api, "topstories", 2, 3), 0);
	ck_assert_body(api, "topstories.json", "[1,2,3]");
	client_free(m, c);
	finish(api, m);
}
END_TEST

START_TEST(keepalive_cancel_hangup)
{
	CURLM *m;
	struct fakeapi *api = start(&m);

	ck_assert_int_eq(fakeapi_put_list(api, "topstories", "[1]"), 0);
	struct client *c = client_new(m, api, "topstories.json", 1, 0);
	ck_assert(wait_exact(m, c, PUT("[1]")));
	ck_assert_int_eq(fakeapi_stream_send(api, "topstories", KEEPALIVE), 1);
	ck_assert(wait_exact(m, c, PUT("[1]") KEEPALIVE));
	ck_assert_int_eq(fakeapi_stream_send(api, "maxitem", KEEPALIVE), 0);
	ck_assert_int_eq(fakeapi_stream_send(api, NULL, CANCEL), 1);
	ck_assert(wait_exact(m, c, PUT("[1]") KEEPALIVE CANCEL));
	ck_assert(!c->done);
	/* the client hangs up on the idle stream: noticed without a send */
	ck_assert_uint_eq(fakeapi_stream_open(api, "topstories"), 1);
	client_free(m, c);
	ck_assert(fakeapi_stream_wait(api, "topstories", 1, 0, WAIT_MS));
	struct fakeapi_stats st;
	fakeapi_get_stats(api, &st);
	ck_assert_uint_eq(st.streams_now, 0);
	ck_assert_uint_eq(st.stream_events, 3);
	finish(api, m);
}
END_TEST

START_TEST(drop_mid_event)
{
	CURLM *m;
	struct fakeapi *api = start(&m);
	const char *half = "event: put\ndata: {\"pa";

	struct client *c = client_new(m, api, "maxitem.json", 1, 0);
	ck_assert(wait_exact(m, c, PUT("0")));
	ck_assert_int_eq(fakeapi_stream_send(api, "maxitem", half), 1);
	ck_assert_int_eq(fakeapi_stream_drop(api, "maxitem"), 1);
	ck_assert_int_eq(fakeapi_stream_drop(api, "maxitem"), 0);
	/* ending: gets nothing more */
	ck_assert_int_eq(fakeapi_stream_send(api, "maxitem", KEEPALIVE), 0);
	ck_assert(wait_done(m, c));
	ck_assert_int_eq(c->result, CURLE_PARTIAL_FILE);
	ck_assert_str_eq(c->buf, PUT("0") "event: put\ndata: {\"pa");
	ck_assert(fakeapi_stream_wait(api, "maxitem", 1, 0, WAIT_MS));
	client_free(m, c);

	/* a drop after whole events, and a reconnection */
	c = client_new(m, api, "maxitem.json", 1, 0);
	ck_assert(wait_exact(m, c, PUT("0")));
	ck_assert_uint_eq(fakeapi_stream_connects(api, "maxitem"), 2);
	ck_assert_int_eq(fakeapi_stream_drop(api, NULL), 1);
	ck_assert(wait_done(m, c));
	ck_assert_int_eq(c->result, CURLE_PARTIAL_FILE);
	ck_assert_str_eq(c->buf, PUT("0"));
	client_free(m, c);
	finish(api, m);
}
END_TEST

START_TEST(redirect_followed)
{
	CURLM *m;
	struct fakeapi *api = start(&m);
	struct fakeapi_stats st;
	char want[256], *u = NULL;
	long n = 0;

	fakeapi_stream_redirect(api, 1);
	struct client *c = client_new(m, api, "maxitem.json", 1, 1);
	ck_assert_msg(wait_exact(m, c, PUT("0")), "%s", c->buf);
	curl_easy_getinfo(c->e, CURLINFO_REDIRECT_COUNT, &n);
	ck_assert_int_eq(n, 1);
	curl_easy_getinfo(c->e, CURLINFO_EFFECTIVE_URL, &u);
	snprintf(want, sizeof want, "%s/maxitem.json?redirected=1",
		 fakeapi_url(api));
	ck_assert_str_eq(u, want);
	ck_assert_int_eq(client_status(c), 200);

	/* not followed: the 307 itself, with an absolute Location */
	struct client *r = client_new(m, api, "maxitem.json", 1, 0);
	ck_assert(wait_done(m, r));
	ck_assert_int_eq(r->result, CURLE_OK);
	ck_assert_int_eq(client_status(r), 307);
	u = NULL;
	curl_easy_getinfo(r->e, CURLINFO_REDIRECT_URL, &u);
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u, want);

	/* plain GETs are never redirected */
	ck_assert_body(api, "maxitem.json", "0");
	fakeapi_get_stats(api, &st);
	ck_assert_uint_eq(st.stream_redirects, 2);
	ck_assert_uint_eq(st.stream_connects, 1);
	ck_assert_uint_eq(fakeapi_stream_connects(api, "maxitem"), 1);

	/* off again: straight to the stream */
	fakeapi_stream_redirect(api, 0);
	struct client *d = client_new(m, api, "maxitem.json", 1, 0);
	ck_assert(wait_exact(m, d, PUT("0")));
	ck_assert_int_eq(fakeapi_set_maxitem(api, 3), 0);
	ck_assert(wait_exact(m, c, PUT("0") PUT("3")));
	ck_assert(wait_exact(m, d, PUT("0") PUT("3")));
	client_free(m, c);
	client_free(m, r);
	client_free(m, d);
	finish(api, m);
}
END_TEST

START_TEST(null_first)
{
	CURLM *m;
	struct fakeapi *api = start(&m);
	struct fakeapi_fault nf = { .null_first = 2 };
	struct fakeapi_fault both = { .fail_first = 1, .null_first = 1 };
	long st;

	ck_assert_int_eq(fakeapi_put(api, 5, "{\"id\":5}"), 0);
	ck_assert_int_eq(fakeapi_put(api, 6, "{\"id\":6}"), 0);
	ck_assert_int_eq(fakeapi_fault(api, 5, &nf), 0);
	ck_assert_int_eq(fakeapi_fault(api, 6, &both), 0);
	ck_assert_body(api, "item/5.json", "null");
	ck_assert_body(api, "item/5.json", "null");
	ck_assert_body(api, "item/5.json", "{\"id\":5}");
	ck_assert_body(api, "item/5.json", "{\"id\":5}");
	ck_assert_uint_eq(fakeapi_requests(api, 5), 4);
	char *b = get(api, "item/6.json", NULL, &st, NULL, 0);
	ck_assert_int_eq(st, 503);
	free(b);
	ck_assert_body(api, "item/6.json", "null");
	ck_assert_body(api, "item/6.json", "{\"id\":6}");
	/* the default fault: per id */
	ck_assert_int_eq(fakeapi_fault_default(api, &nf), 0);
	ck_assert_int_eq(fakeapi_put(api, 8, "{\"id\":8}"), 0);
	ck_assert_body(api, "item/8.json", "null");
	ck_assert_body(api, "item/6.json", "{\"id\":6}");
	ck_assert_body(api, "item/8.json", "null");
	ck_assert_body(api, "item/8.json", "{\"id\":8}");
	finish(api, m);
}
END_TEST

START_TEST(plain_gets)
{
	CURLM *m;
	struct fakeapi *api = start(&m);
	struct fakeapi_stats st;
	char type[128];
	long code;

	ck_assert_int_eq(fakeapi_put(api, 12, "{\"id\":12}"), 0);
	ck_assert_int_eq(fakeapi_put_list(api, "topstories", "[12]"), 0);
	struct client *c = client_new(m, api, "topstories.json", 1, 0);
	ck_assert(wait_exact(m, c, PUT("[12]")));
	char *b = get(api, "maxitem.json", NULL, &code, type, sizeof type);
	ck_assert_int_eq(code, 200);
	ck_assert_str_eq(b, "12");
	ck_assert_str_eq(type, "application/json; charset=utf-8");
	free(b);
	ck_assert_body(api, "updates.json", "{\"items\":[],\"profiles\":[]}");
	ck_assert_body(api, "topstories.json", "[12]");
	/* an item with the header: plain */
	b = get(api, "item/12.json", "Accept: text/event-stream", &code, type,
		sizeof type);
	ck_assert_str_eq(b, "{\"id\":12}");
	free(b);
	ck_assert_uint_eq(fakeapi_list_requests(api, "maxitem"), 1);
	ck_assert_uint_eq(fakeapi_list_requests(api, "updates"), 1);
	ck_assert_uint_eq(fakeapi_list_requests(api, "topstories"), 1);
	fakeapi_get_stats(api, &st);
	ck_assert_uint_eq(st.requests, 5);
	ck_assert_uint_eq(st.list_requests, 3);
	ck_assert_uint_eq(st.item_requests, 1);
	ck_assert_uint_eq(st.stream_connects, 1);
	ck_assert_uint_eq(st.unanswered, 0);
	fakeapi_reset_counts(api);
	fakeapi_get_stats(api, &st);
	ck_assert_uint_eq(st.stream_connects, 0);
	ck_assert_uint_eq(st.stream_events, 0);
	ck_assert_uint_eq(st.streams_now, 1);
	ck_assert_uint_eq(fakeapi_stream_connects(api, "topstories"), 0);
	ck_assert_uint_eq(fakeapi_stream_open(api, "topstories"), 1);
	ck_assert_uint_eq(fakeapi_list_requests(api, "topstories"), 0);
	client_free(m, c);
	finish(api, m);
}
END_TEST

START_TEST(many_clients)
{
	enum { N = 8 };
	CURLM *m;
	struct fakeapi *api = start(&m);
	struct client *c[N], *t[2];
	struct fakeapi_stats st;

	ck_assert_int_eq(fakeapi_set_maxitem(api, 100), 0);
	ck_assert_int_eq(fakeapi_put_list(api, "newstories", "[100]"), 0);
	for (int i = 0; i < N; i++)
		c[i] = client_new(m, api, "maxitem.json", 1, 0);
	for (int i = 0; i < 2; i++)
		t[i] = client_new(m, api, "newstories.json", 1, 0);
	ck_assert(wait_streams(m, api, "maxitem", N, N));
	ck_assert(wait_streams(m, api, "newstories", 2, 2));
	ck_assert_int_eq(fakeapi_set_maxitem(api, 101), 0);
	ck_assert_int_eq(fakeapi_set_maxitem(api, 102), 0);
	ck_assert_int_eq(fakeapi_stream_send(api, NULL, KEEPALIVE), N + 2);
	for (int i = 0; i < N; i++)
		ck_assert_msg(wait_exact(m, c[i], PUT("100") PUT("101")
					 PUT("102") KEEPALIVE),
			      "client %d: %s", i, c[i]->buf);
	for (int i = 0; i < 2; i++)
		ck_assert(wait_exact(m, t[i], PUT("[100]") KEEPALIVE));
	fakeapi_get_stats(api, &st);
	ck_assert_uint_eq(st.streams_now, N + 2);
	ck_assert_uint_eq(st.streams_max, N + 2);
	ck_assert_uint_eq(st.stream_events, N * 3 + 2 + N + 2);
	/* half of them leave */
	for (int i = 0; i < N / 2; i++)
		client_free(m, c[i]);
	ck_assert(fakeapi_stream_wait(api, "maxitem", N, N / 2, WAIT_MS));
	ck_assert_int_eq(fakeapi_stream_send(api, "maxitem", KEEPALIVE),
			 N / 2);
	for (int i = N / 2; i < N; i++)
		client_free(m, c[i]);
	for (int i = 0; i < 2; i++)
		client_free(m, t[i]);
	ck_assert(fakeapi_stream_wait(api, NULL, N + 2, 0, WAIT_MS));
	finish(api, m);
}
END_TEST

/* A client that connects, asks for a stream and never reads. */
static int lazy_client(struct fakeapi *api)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char req[256];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_port = htons((uint16_t)fakeapi_port(api));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	int n = snprintf(req, sizeof req, "GET /v0/maxitem.json HTTP/1.1\r\n"
			 "Host: 127.0.0.1\r\n"
			 "Accept: text/event-stream\r\n\r\n");
	ck_assert_int_eq(write(fd, req, (size_t)n), n);
	return fd;
}

START_TEST(slow_client_cut)
{
	CURLM *m;
	struct fakeapi *api = start(&m);
	struct fakeapi_stats st;
	char *chunk = malloc(64 * 1024);
	uint64_t sent = 0;

	ck_assert_ptr_nonnull(chunk);
	memset(chunk, 'x', 64 * 1024 - 2);
	chunk[0] = ':';               /* an SSE comment line */
	chunk[64 * 1024 - 2] = '\n';
	chunk[64 * 1024 - 1] = '\0';
	int fd = lazy_client(api);
	ck_assert(fakeapi_stream_wait(api, "maxitem", 1, 1, WAIT_MS));
	/* a reader beside it gets every byte */
	struct client *c = client_new(m, api, "maxitem.json", 1, 0);
	ck_assert(wait_streams(m, api, "maxitem", 2, 2));
	do {
		ck_assert_int_ge(fakeapi_stream_send(api, "maxitem", chunk), 1);
		sent += strlen(chunk);
		while (c->len < strlen(PUT("0")) + sent && !c->done)
			pump(m, 50);
		fakeapi_get_stats(api, &st);
	} while (st.stream_overflows == 0 && sent < (512u << 20));
	ck_assert_uint_eq(st.stream_overflows, 1);
	ck_assert_msg(sent > FAKEAPI_STREAM_QUEUE, "cut after %" PRIu64, sent);
	ck_assert(!c->done);
	ck_assert_uint_eq(c->len, strlen(PUT("0")) + sent);
	/* the cut one gets nothing more, and goes when its client does */
	ck_assert_int_eq(fakeapi_stream_send(api, "maxitem", KEEPALIVE), 1);
	close(fd);
	ck_assert(fakeapi_stream_wait(api, "maxitem", 2, 1, WAIT_MS));
	client_free(m, c);
	free(chunk);
	finish(api, m);
}
END_TEST

START_TEST(stop_with_streams_open)
{
	CURLM *m;
	struct fakeapi *api = start(&m);
	struct fakeapi_fault held = { .delay_ms = 600000 };
	struct client *c[5];

	ck_assert_int_eq(fakeapi_put_list(api, "topstories", "[1,2]"), 0);
	ck_assert_int_eq(fakeapi_fault(api, 1, &held), 0);
	c[0] = client_new(m, api, "maxitem.json", 1, 0);
	c[1] = client_new(m, api, "maxitem.json", 1, 0);
	c[2] = client_new(m, api, "updates.json", 1, 0);
	c[3] = client_new(m, api, "topstories.json", 1, 0);
	c[4] = client_new(m, api, "item/1.json", 0, 0);  /* held */
	ck_assert(wait_streams(m, api, NULL, 4, 4));
	ck_assert(fakeapi_wait_requests(api, 5, WAIT_MS));
	/* one mid-event, one with bytes queued and never read */
	ck_assert_int_eq(fakeapi_stream_send(api, "updates", "event: pu"), 1);
	ck_assert_int_eq(fakeapi_stream_send(api, "topstories", KEEPALIVE), 1);
	double t0 = clock_now_ms();
	fakeapi_stop(api);
	double took = clock_now_ms() - t0;
	ck_assert_msg(took < WAIT_MS, "fakeapi_stop took %.0f ms", took);
	for (int i = 0; i < 5; i++) {
		ck_assert(wait_done(m, c[i]));
		if (i < 4)
			ck_assert_int_ne(c[i]->result, CURLE_OK);
		client_free(m, c[i]);
	}
	curl_multi_cleanup(m);
}
END_TEST

static Suite *fakestream_suite(void)
{
	Suite *s = suite_create("fakestream");
	TCase *tc = tcase_create("streams");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, first_put_each_kind);
	tcase_add_test(tc, maxitem_change);
	tcase_add_test(tc, updates_put);
	tcase_add_test(tc, list_put_and_patch);
	tcase_add_test(tc, keepalive_cancel_hangup);
	tcase_add_test(tc, drop_mid_event);
	tcase_add_test(tc, redirect_followed);
	tcase_add_test(tc, null_first);
	tcase_add_test(tc, plain_gets);
	tcase_add_test(tc, many_clients);
	tcase_add_test(tc, slow_client_cut);
	tcase_add_test(tc, stop_with_streams_open);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	int rc = tu_run(fakestream_suite());
	curl_global_cleanup();
	return rc;
}
