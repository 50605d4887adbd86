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
#include <json-c/json.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "runbin.h"
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

/* A transfer of base/path (base: fakeapi_url(), path: "maxitem.json") on
 * m: a stream when sse. */
static struct client *client_new(CURLM *m, const char *base,
				 const char *path, int sse, int follow)
{
	struct client *c = calloc(1, sizeof *c);
	char url[256];

	ck_assert_ptr_nonnull(c);
	c->buf = calloc(1, 1);
	snprintf(url, sizeof url, "%s/%s", base, path);
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

static struct client *client_on(CURLM *m, struct fakeapi *api,
				const char *path, int sse, int follow)
{
	return client_new(m, fakeapi_url(api), path, sse, follow);
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

/* A plain GET of base/path (blocking): the body (malloc'd), status and
 * type. */
static char *get(const char *base, const char *path, const char *accept,
		 long *status, char *type, size_t tlen)
{
	struct client c = { 0 };
	char url[256], *t = NULL;
	struct curl_slist *h = NULL;

	snprintf(url, sizeof url, "%s/%s", base, path);
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

/* The plain body of base/path, asserted 200. */
static char *get_ok(const char *base, const char *path)
{
	long st = 0;
	char *b = get(base, path, NULL, &st, NULL, 0);

	ck_assert_msg(st == 200, "%s: status %ld", path, st);
	return b;
}

#define ck_assert_body(api, path, want) do { \
		char *b_ = get_ok(fakeapi_url(api), path); \
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
	struct client *mi = client_on(m, api, "maxitem.json", 1, 0);
	struct client *up = client_on(m, api, "updates.json", 1, 0);
	struct client *top = client_on(m, api, "topstories.json", 1, 0);
	struct client *none = client_on(m, api, "beststories.json", 1, 0);
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

	struct client *c = client_on(m, api, "maxitem.json", 1, 0);
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

	struct client *c = client_on(m, api, "updates.json", 1, 0);
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
	struct client *c = client_on(m, api, "topstories.json", 1, 0);
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
	struct client *c = client_on(m, api, "topstories.json", 1, 0);
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

	struct client *c = client_on(m, api, "maxitem.json", 1, 0);
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
	c = client_on(m, api, "maxitem.json", 1, 0);
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
	struct client *c = client_on(m, api, "maxitem.json", 1, 1);
	ck_assert_msg(wait_exact(m, c, PUT("0")), "%s", c->buf);
	curl_easy_getinfo(c->e, CURLINFO_REDIRECT_COUNT, &n);
	ck_assert_int_eq(n, 1);
	curl_easy_getinfo(c->e, CURLINFO_EFFECTIVE_URL, &u);
	snprintf(want, sizeof want, "%s/maxitem.json?redirected=1",
		 fakeapi_url(api));
	ck_assert_str_eq(u, want);
	ck_assert_int_eq(client_status(c), 200);

	/* not followed: the 307 itself, with an absolute Location */
	struct client *r = client_on(m, api, "maxitem.json", 1, 0);
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
	struct client *d = client_on(m, api, "maxitem.json", 1, 0);
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
	char *b = get(fakeapi_url(api), "item/6.json", NULL, &st, NULL, 0);
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
	struct client *c = client_on(m, api, "topstories.json", 1, 0);
	ck_assert(wait_exact(m, c, PUT("[12]")));
	const char *base = fakeapi_url(api);
	char *b = get(base, "maxitem.json", NULL, &code, type, sizeof type);
	ck_assert_int_eq(code, 200);
	ck_assert_str_eq(b, "12");
	ck_assert_str_eq(type, "application/json; charset=utf-8");
	free(b);
	ck_assert_body(api, "updates.json", "{\"items\":[],\"profiles\":[]}");
	ck_assert_body(api, "topstories.json", "[12]");
	/* an item with the header: plain */
	b = get(base, "item/12.json", "Accept: text/event-stream", &code, type,
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
		c[i] = client_on(m, api, "maxitem.json", 1, 0);
	for (int i = 0; i < 2; i++)
		t[i] = client_on(m, api, "newstories.json", 1, 0);
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
	struct client *c = client_on(m, api, "maxitem.json", 1, 0);
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
	c[0] = client_on(m, api, "maxitem.json", 1, 0);
	c[1] = client_on(m, api, "maxitem.json", 1, 0);
	c[2] = client_on(m, api, "updates.json", 1, 0);
	c[3] = client_on(m, api, "topstories.json", 1, 0);
	c[4] = client_on(m, api, "item/1.json", 0, 0);  /* held */
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

/* ---- hnfake: the standalone server's schedule ---- */

struct change {
	char kind[8];
	uint64_t id, other;           /* other: parent, or index (churn) */
};

static const char *fixture(const char *name)
{
	static char path[4096];
	const char *d = getenv("HNBATCH_FIXTURES");

	snprintf(path, sizeof path, "%s/%s", d && *d ? d : "tests/fixtures",
		 name);
	return path;
}

/* Start $HNFAKE_BIN with args; its URL (first line of stdout) into url. */
static struct runbin *hnfake_start(const char *const *args, char *url,
				   size_t len)
{
	const char *bin = getenv("HNFAKE_BIN"), *old = getenv("HNBATCH_BIN");
	char *saved = old ? strdup(old) : NULL;

	ck_assert_msg(bin && *bin, "no HNFAKE_BIN (make check sets it)");
	setenv("HNBATCH_BIN", bin, 1);        /* what runbin starts */
	struct runbin *rb = runbin_start(args, NULL, NULL);
	if (saved)
		setenv("HNBATCH_BIN", saved, 1);
	else
		unsetenv("HNBATCH_BIN");
	free(saved);
	ck_assert_ptr_nonnull(rb);
	ck_assert_msg(runbin_wait_stdout(rb, "\n", WAIT_MS), "no URL: %s",
		      runbin_stderr(rb, NULL));
	const char *out = runbin_stdout(rb, NULL);
	ck_assert_int_eq(strncmp(out, "http://127.0.0.1:", 17), 0);
	snprintf(url, len, "%.*s", (int)strcspn(out, "\n"), out);
	return rb;
}

static void hnfake_stop(struct runbin *rb)
{
	struct runbin_result res;

	ck_assert_int_eq(runbin_kill(rb, SIGTERM), 0);
	ck_assert_int_eq(runbin_finish(rb, WAIT_MS, &res), 0);
	ck_assert_msg(res.exited && res.status == 0, "hnfake: %s: %.2000s",
		      runbin_describe(&res), res.err);
	runbin_result_free(&res);
}

static size_t count_lines(const char *path)
{
	size_t n = 0, len;
	char *b = tu_slurp(path, &len);

	for (size_t i = 0; b && i < len; i++)
		n += b[i] == '\n';
	free(b);
	return n;
}

/* Pump m (streams open meanwhile) until the log at path has n lines. */
static int wait_log(CURLM *m, const char *path, size_t n)
{
	double end = clock_now_ms() + WAIT_MS;

	while (count_lines(path) < n) {
		if (clock_now_ms() >= end)
			return 0;
		pump(m, 20);
	}
	return 1;
}

static int wait_contains(CURLM *m, struct client *c, const char *needle)
{
	double end = clock_now_ms() + WAIT_MS;

	while (!strstr(c->buf, needle) && !c->done && clock_now_ms() < end)
		pump(m, 20);
	return strstr(c->buf, needle) != NULL;
}

static uint64_t get_u64(json_object *o, const char *key)
{
	json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s in %s", key,
		      json_object_to_json_string(o));
	return (uint64_t)json_object_get_int64(v);
}

/* The change log: every line one change of a known kind, t set. */
static struct change *read_log(const char *path, size_t *n)
{
	char *b = tu_slurp(path, NULL), *save = NULL;
	struct change *v = calloc(4096, sizeof *v);

	ck_assert_ptr_nonnull(b);
	*n = 0;
	for (char *l = strtok_r(b, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(l), *k;
		ck_assert_msg(o && json_object_object_get_ex(o, "kind", &k),
			      "log line: %s", l);
		ck_assert_uint_lt(*n, 4096);
		struct change *c = &v[(*n)++];
		snprintf(c->kind, sizeof c->kind, "%s",
			 json_object_get_string(k));
		ck_assert_uint_gt(get_u64(o, "t"), 1000000000000u);
		c->id = get_u64(o, "id");
		int churn = !strcmp(c->kind, "leave") ||
			    !strcmp(c->kind, "enter");
		ck_assert_msg(churn || !strcmp(c->kind, "new") ||
			      !strcmp(c->kind, "delete") ||
			      !strcmp(c->kind, "dead") ||
			      !strcmp(c->kind, "detach"), "kind in %s", l);
		c->other = get_u64(o, churn ? "index" : "parent");
		json_object_put(o);
	}
	free(b);
	return v;
}

/* The item's body at base, parsed. */
static json_object *item(const char *base, uint64_t id)
{
	char path[64];

	snprintf(path, sizeof path, "item/%" PRIu64 ".json", id);
	char *b = get_ok(base, path);
	json_object *o = json_tokener_parse(b);
	ck_assert_msg(o && json_object_is_type(o, json_type_object),
		      "item %" PRIu64 ": %s", id, b);
	free(b);
	return o;
}

static int has_kid(json_object *o, uint64_t kid)
{
	json_object *kids;

	if (!json_object_object_get_ex(o, "kids", &kids))
		return 0;
	for (size_t i = 0; i < json_object_array_length(kids); i++)
		if ((uint64_t)json_object_get_int64(
			json_object_array_get_idx(kids, i)) == kid)
			return 1;
	return 0;
}

static int flag(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_get_boolean(v);
}

/* The items served at base as the changes v[0..n) left them. */
static void check_items(const char *base, const struct change *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct change *c = &v[i];
		int later_detach = 0;
		for (size_t j = i + 1; j < n; j++)
			later_detach |= !strcmp(v[j].kind, "detach") &&
					v[j].id == c->id;
		/* a detached kid may be missing: only its parent is read */
		int det = !strcmp(c->kind, "detach");
		int kid = det || !strcmp(c->kind, "new");
		json_object *o = det ? NULL : item(base, c->id);
		json_object *p = kid ? item(base, c->other) : NULL;
		if (!strcmp(c->kind, "new")) {
			ck_assert_uint_eq(get_u64(o, "parent"), c->other);
			ck_assert_int_eq(has_kid(p, c->id), !later_detach);
		} else if (!strcmp(c->kind, "delete")) {
			ck_assert(flag(o, "deleted"));
			ck_assert(!json_object_object_get_ex(o, "text", NULL));
		} else if (!strcmp(c->kind, "dead")) {
			ck_assert(flag(o, "dead"));
		} else {
			ck_assert(!has_kid(p, c->id));
		}
		json_object_put(o);
		json_object_put(p);
	}
}

static const char *const mutate_args[] = { "--mutate", "200",
	"--mutate-seed", "3", "--mutate-for", "0.5", "--keep-alive", "0.05",
	"--mutate-log", NULL, "--stats", NULL, NULL, NULL };

/* The largest id a file's items list as kids. */
static uint64_t max_kid(const char *path)
{
	char *b = tu_slurp(path, NULL), *save = NULL;
	uint64_t max = 0;

	ck_assert_ptr_nonnull(b);
	for (char *l = strtok_r(b, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(l), *k;
		if (o && json_object_object_get_ex(o, "kids", &k))
			for (size_t i = 0; i < json_object_array_length(k);
			     i++) {
				uint64_t v = (uint64_t)json_object_get_int64(
					json_object_array_get_idx(k, i));
				if (v > max)
					max = v;
			}
		json_object_put(o);
	}
	free(b);
	return max;
}

/* Run hnfake with mutate_args and log into dir/name: its changes, the
 * stream of maxitem and the values served checked. */
static struct change *mutate_run(const char *dir, const char *name,
				 size_t *n)
{
	const char *args[sizeof mutate_args / sizeof *mutate_args];
	char url[128], want[128], *log = tu_path(dir, name);
	CURLM *m = curl_multi_init();
	uint64_t news = 0, last = 0;

	char *stats = tu_path(dir, "stats.json");
	memcpy(args, mutate_args, sizeof args);
	args[9] = log;
	args[11] = stats;
	args[12] = fixture("firebase-first-590.jsonl");
	uint64_t kids_max = max_kid(args[12]);
	struct runbin *rb = hnfake_start(args, url, sizeof url);
	struct client *c = client_new(m, url, "maxitem.json", 1, 0);
	ck_assert_msg(wait_log(m, log, 100), "%zu lines", count_lines(log));
	struct change *v = read_log(log, n);
	ck_assert_uint_eq(*n, 100);
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(v[i].kind, "new") != 0)
			continue;
		if (news++)           /* new ids: one after the other */
			ck_assert_uint_eq(v[i].id, last + 1);
		else                  /* past every id listed as a kid */
			ck_assert_uint_eq(v[i].id, kids_max + 1);
		last = v[i].id;
	}
	ck_assert_uint_gt(news, 30);
	snprintf(want, sizeof want, "%" PRIu64, last);
	char *b = get_ok(url, "maxitem.json");
	ck_assert_str_eq(b, want);
	free(b);
	snprintf(want, sizeof want, PUT("%" PRIu64), last);
	ck_assert_msg(wait_contains(m, c, want), "%s", c->buf);
	ck_assert(wait_contains(m, c, KEEPALIVE));
	check_items(url, v, *n);
	client_free(m, c);
	hnfake_stop(rb);
	/* --stats: what it was asked, its own count */
	char *st = tu_slurp(stats, NULL);
	json_object *so = st ? json_tokener_parse(st) : NULL;
	ck_assert_msg(so, "--stats: %s", st ? st : "(no file)");
	uint64_t gets = 0;
	for (size_t i = 0; i < *n; i++) /* check_items' GETs */
		gets += !strcmp(v[i].kind, "detach") ? 1
			: !strcmp(v[i].kind, "new") ? 2 : 1;
	ck_assert_uint_eq(get_u64(so, "item_requests"), gets);
	ck_assert_uint_eq(get_u64(so, "list_requests"), 1);
	ck_assert_uint_eq(get_u64(so, "stream_connects"), 1);
	ck_assert_uint_ge(get_u64(so, "requests"), gets + 2);
	json_object_put(so);
	free(st);
	free(stats);
	curl_multi_cleanup(m);
	free(log);
	return v;
}

START_TEST(hnfake_mutations)
{
	char *dir = tu_tmpdir("fakestream");
	size_t n1, n2;

	struct change *a = mutate_run(dir, "one.jsonl", &n1);
	struct change *b = mutate_run(dir, "two.jsonl", &n2);
	ck_assert_uint_eq(n1, n2);
	for (size_t i = 0; i < n1; i++)       /* the same seed: the same */
		ck_assert_msg(!strcmp(a[i].kind, b[i].kind) &&
			      a[i].id == b[i].id && a[i].other == b[i].other,
			      "change %zu: %s %" PRIu64 " vs %s %" PRIu64, i,
			      a[i].kind, a[i].id, b[i].kind, b[i].id);
	free(a);
	free(b);
	tu_rm_rf(dir);
	free(dir);
}
END_TEST

/* The titled items of a fixture file, in file order (*n). */
static uint64_t *titled(const char *path, size_t *n)
{
	char *b = tu_slurp(path, NULL), *save = NULL;
	uint64_t *v = calloc(8192, sizeof *v);

	ck_assert_ptr_nonnull(b);
	*n = 0;
	for (char *l = strtok_r(b, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(l);
		if (o && json_object_object_get_ex(o, "title", NULL)) {
			ck_assert_uint_lt(*n, 8192);
			v[(*n)++] = get_u64(o, "id");
		}
		json_object_put(o);
	}
	free(b);
	return v;
}

static char *format_ids(const uint64_t *v, size_t n)
{
	char *b = malloc(n * 21 + 3);
	size_t k = 1;

	b[0] = '[';
	for (size_t i = 0; i < n; i++)
		k += (size_t)sprintf(b + k, "%s%" PRIu64, i ? "," : "", v[i]);
	strcpy(b + k, "]");
	return b;
}

START_TEST(hnfake_list_churn)
{
	char *dir = tu_tmpdir("fakestream"), *log = tu_path(dir, "churn");
	const char *fx = fixture("firebase-first-590.jsonl");
	const char *args[] = { "--list-churn", "0.1", "--mutate-for", "2",
			       "--redirect", "--mutate-log", log, fx, NULL };
	char url[128], want[128];
	CURLM *m = curl_multi_init();
	size_t nt, n, patches = 0;
	long redirects = 0;

	uint64_t *top = titled(fx, &nt);
	ck_assert_uint_ge(nt, 8);
	struct runbin *rb = hnfake_start(args, url, sizeof url);
	struct client *c = client_new(m, url, "topstories.json", 1, 1);
	ck_assert(wait_log(m, log, 40));
	struct change *v = read_log(log, &n);
	ck_assert_uint_eq(n, 40);
	/* the last quarter is kept out; each churn is a leave and an enter at
	 * the same index, and the stream got them as patches */
	nt -= nt / 4;
	for (size_t i = 0; i < n; i += 2) {
		ck_assert_str_eq(v[i].kind, "leave");
		ck_assert_str_eq(v[i + 1].kind, "enter");
		ck_assert_uint_eq(v[i].other, v[i + 1].other);
		ck_assert_uint_lt(v[i].other, nt);
		ck_assert_uint_eq(top[v[i].other], v[i].id);
		top[v[i].other] = v[i + 1].id;
		snprintf(want, sizeof want,
			 PATCH("{\"%" PRIu64 "\":%" PRIu64 "}"), v[i].other,
			 v[i + 1].id);
		patches += strstr(c->buf, want) != NULL;
	}
	ck_assert_msg(patches >= 1, "no patch seen: %s", c->buf);
	curl_easy_getinfo(c->e, CURLINFO_REDIRECT_COUNT, &redirects);
	ck_assert_int_eq(redirects, 1);
	char *want_list = format_ids(top, nt), *got = get_ok(url,
							    "topstories.json");
	ck_assert_str_eq(got, want_list);
	free(got);
	free(want_list);
	client_free(m, c);
	hnfake_stop(rb);
	curl_multi_cleanup(m);
	free(v);
	free(top);
	tu_rm_rf(dir);
	free(dir);
	free(log);
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

	tc = tcase_create("hnfake");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, hnfake_mutations);
	tcase_add_test(tc, hnfake_list_churn);
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
