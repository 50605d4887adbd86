/* fakeapi.c — the fake Hacker News API served by libmicrohttpd (see
 * fakeapi.h for what it answers).
 *
 * Threads: libmicrohttpd runs a pool of POOL_THREADS poll (or epoll)
 * threads that call on_request, on_completed, on_connection and the body
 * readers; one timer thread resumes held (suspended) connections when their
 * time is due; the test's threads call the public functions.
 *
 * Locking: api->lock guards every mutable field of struct fakeapi (items,
 * lists, faults, counters, the timer list, `stopping`). It is never held
 * while calling into libmicrohttpd, so the two libraries' locks never nest.
 * A struct req belongs to the connection's current request: only the MHD
 * thread serving that connection touches it (MHD serialises the callbacks of
 * one connection), except its `tm` link, which is under api->lock while it
 * sits in the timer list. Bodies are copied out under the lock, so a test
 * may replace items while a client is crawling.
 *
 * Holding a connection: the MHD thread suspends it first, then (under the
 * lock) queues a timer; the timer thread takes due timers off the list under
 * the lock and resumes them after unlocking. Nothing touches a timer after
 * it left the list, and a suspended connection cannot finish, so the
 * request (or the body stream) holding the timer outlives it.
 *
 * Shutdown: fakeapi_stop sets `stopping` under the lock; from then on nobody
 * queues a timer (a thread that suspended and then sees `stopping` resumes
 * its own connection), the timer thread resumes every queued connection and
 * exits, then MHD_stop_daemon closes everything and we free the tables.
 *
 * Streams (Firebase REST streaming: maxitem, updates, lists) live in
 * fakestream.c, under the same lock; fakeapi_int.h is what both files
 * share. fakeapi_stop ends them (fs_stop) before MHD_stop_daemon. */
#include "fakeapi_int.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#define POOL_THREADS 4
#define CONN_LIMIT 16384
#define FAIL_BODY "{\"error\":\"fakeapi: injected failure\"}"

struct slot {                     /* open addressing, linear probing */
	uint64_t key;             /* id + 1; 0: free */
	struct route r;
};

struct arena {                    /* a loaded file; bodies point into it */
	struct arena *next;
	char *buf;
	size_t len;
};

struct list {
	struct list *next;
	char *name;
	struct route r;
};

struct stream {                   /* a body sent by a content reader */
	struct fakeapi *api;
	struct MHD_Connection *conn;
	char *data;                   /* NULL: generated */
	uint64_t size;
	uint64_t gen_id;
	char prefix[80];
	size_t plen;
	uint64_t truncate_at;
	unsigned trickle_bytes, trickle_ms;
	uint64_t next_ms;
	struct timer tm;
};

uint64_t fa_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void fa_deadline_ts(struct timespec *ts, uint64_t due_ms)
{
	ts->tv_sec = (time_t)(due_ms / 1000);
	ts->tv_nsec = (long)(due_ms % 1000) * 1000000;
}

void fa_lock(struct fakeapi *api)
{
	if (pthread_mutex_lock(&api->lock) != 0)
		abort();
}

void fa_unlock(struct fakeapi *api)
{
	if (pthread_mutex_unlock(&api->lock) != 0)
		abort();
}

/* ---- tables (api->lock held, or the server not running yet) ---- */

static size_t hash(uint64_t key, size_t cap)
{
	return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 17) & (cap - 1);
}

/* Make room for `want` items at a load of 3/4 at most. 0 or -1. */
static int grow(struct fakeapi *api, size_t want)
{
	size_t cap = api->cap ? api->cap : 1024;

	while (cap / 4 * 3 < want)
		cap *= 2;
	if (cap == api->cap)
		return 0;
	struct slot *s = calloc(cap, sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; i < api->cap; i++) {
		if (!api->slots[i].key)
			continue;
		size_t j = hash(api->slots[i].key, cap);
		while (s[j].key)
			j = (j + 1) & (cap - 1);
		s[j] = api->slots[i];
	}
	free(api->slots);
	api->slots = s;
	api->cap = cap;
	return 0;
}

/* The route of item id; created (answering null) when create != 0.
 * NULL when absent, out of memory, or id is UINT64_MAX (no key for it). */
static struct route *item_route(struct fakeapi *api, uint64_t id, int create)
{
	uint64_t key = id + 1;

	if (key == 0)
		return NULL;
	if (api->cap) {
		size_t j = hash(key, api->cap);
		while (api->slots[j].key) {
			if (api->slots[j].key == key)
				return &api->slots[j].r;
			j = (j + 1) & (api->cap - 1);
		}
	}
	if (!create || grow(api, api->n + 1) != 0)
		return NULL;
	size_t j = hash(key, api->cap);
	while (api->slots[j].key)
		j = (j + 1) & (api->cap - 1);
	api->slots[j].key = key;
	api->n++;
	return &api->slots[j].r;
}

struct route *fa_list_route(struct fakeapi *api, const char *name,
			    size_t nlen, int create)
{
	for (struct list *l = api->lists; l; l = l->next)
		if (strlen(l->name) == nlen && memcmp(l->name, name, nlen) == 0)
			return &l->r;
	if (!create)
		return NULL;
	struct list *l = calloc(1, sizeof *l);
	if (!l || !(l->name = strndup(name, nlen))) {
		free(l);
		return NULL;
	}
	l->next = api->lists;
	api->lists = l;
	return &l->r;
}

static void fault_free(struct fault *f)
{
	if (!f)
		return;
	free(f->retry_after);
	free(f->body);
	free(f->content_type);
	free(f);
}

/* A private copy of *in (NULL in: NULL out, *ok = 1). */
static struct fault *fault_copy(const struct fakeapi_fault *in, int *ok)
{
	*ok = 1;
	if (!in)
		return NULL;
	struct fault *f = calloc(1, sizeof *f);
	if (!f)
		goto fail;
	f->f = *in;
	if (in->retry_after && !(f->retry_after = strdup(in->retry_after)))
		goto fail;
	if (in->content_type && !(f->content_type = strdup(in->content_type)))
		goto fail;
	if (in->body) {
		size_t len = in->body_len ? in->body_len : strlen(in->body);
		if (!(f->body = malloc(len + 1)))
			goto fail;
		memcpy(f->body, in->body, len);
		f->body[len] = '\0';
		f->f.body_len = len;
	}
	f->f.retry_after = f->retry_after;
	f->f.content_type = f->content_type;
	f->f.body = f->body;
	return f;
fail:
	fault_free(f);
	*ok = 0;
	return NULL;
}

static void free_body(struct fakeapi *api, char *body)
{
	for (struct arena *a = api->arenas; a; a = a->next)
		if (body >= a->buf && body < a->buf + a->len)
			return;               /* freed with its arena */
	free(body);
}

/* Set a route's body: a copy of body, or NULL (answer `null`). When borrow
 * is set, body lies in an arena and is used in place. 0 or -1. */
static int set_body(struct fakeapi *api, struct route *r, const char *body,
		    size_t len, int borrow)
{
	char *copy = NULL;

	if (len > UINT32_MAX)
		return -1;
	if (body && borrow) {
		copy = (char *)body;
	} else if (body) {
		if (!(copy = malloc(len + 1)))
			return -1;
		memcpy(copy, body, len);
		copy[len] = '\0';
	}
	free_body(api, r->body);
	r->body = copy;
	r->len = (uint32_t)len;
	return 0;
}

int fa_set_body(struct fakeapi *api, struct route *r, const char *body,
		size_t len)
{
	return set_body(api, r, body, len, 0);
}

/* A new largest id was stored (api->lock held): maxitem.json follows it
 * until fakeapi_set_maxitem. 0 or -1. */
static int note_max_id(struct fakeapi *api, uint64_t id)
{
	char buf[32];
	struct route *r;

	if (id <= api->max_id)
		return 0;
	api->max_id = id;
	if (api->maxitem_set)
		return 0;
	if (!(r = fa_list_route(api, "maxitem", 7, 1)))
		return -1;
	snprintf(buf, sizeof buf, "%" PRIu64, api->max_id);
	return set_body(api, r, buf, strlen(buf), 0);
}

/* ---- the timer thread ---- */

static int is_stopping(struct fakeapi *api)
{
	int s;

	fa_lock(api);
	s = api->stopping;
	fa_unlock(api);
	return s;
}

/* Queue a timer for a connection the caller has just suspended; when the
 * server is stopping, resume it at once instead. */
static void hold(struct fakeapi *api, struct MHD_Connection *conn,
		 struct timer *t, uint64_t due_ms)
{
	int stopping;

	fa_lock(api);
	stopping = api->stopping;
	if (!stopping) {
		struct timer **pp = &api->timers;
		t->conn = conn;
		t->due_ms = due_ms;
		while (*pp && (*pp)->due_ms <= due_ms)
			pp = &(*pp)->next;
		t->next = *pp;
		*pp = t;
		if (pthread_cond_signal(&api->timer_cond) != 0)
			abort();
	}
	fa_unlock(api);
	if (stopping)
		MHD_resume_connection(conn);
}

static void *timer_main(void *arg)
{
	struct fakeapi *api = arg;

	fa_lock(api);
	for (;;) {
		/* api->lock is held here */
		struct timer *due = NULL, **tail = &due;
		uint64_t now = fa_now_ms();
		int stopping = api->stopping;

		while (api->timers &&
		       (stopping || api->timers->due_ms <= now)) {
			*tail = api->timers;
			api->timers = api->timers->next;
			tail = &(*tail)->next;
		}
		*tail = NULL;
		if (due) {
			fa_unlock(api);
			while (due) {
				struct timer *next = due->next;
				/* `due` may be freed once resumed: read
				 * first */
				MHD_resume_connection(due->conn);
				due = next;
			}
			fa_lock(api);
			continue;
		}
		if (stopping)
			break;
		if (api->timers) {
			struct timespec ts;
			fa_deadline_ts(&ts, api->timers->due_ms);
			int rc = pthread_cond_timedwait(&api->timer_cond,
							&api->lock, &ts);
			if (rc != 0 && rc != ETIMEDOUT)
				abort();
		} else if (pthread_cond_wait(&api->timer_cond,
					     &api->lock) != 0) {
			abort();
		}
	}
	fa_unlock(api);
	return NULL;
}

void fakeapi_release(struct fakeapi *api)
{
	fa_lock(api);
	for (struct timer *t = api->timers; t; t = t->next)
		t->due_ms = 0;            /* still sorted: all due now */
	if (pthread_cond_signal(&api->timer_cond) != 0)
		abort();
	fa_unlock(api);
}

/* ---- bodies ---- */

static void gen_fill(const struct stream *s, uint64_t pos, char *buf,
		     size_t n)
{
	/* prefix, then 'x' up to the last two bytes, then "\"}" */
	for (size_t i = 0; i < n; i++, pos++) {
		char c;
		if (s->plen + 2 > s->size)
			c = 'x';
		else if (pos < s->plen)
			c = s->prefix[pos];
		else if (pos == s->size - 2)
			c = '"';
		else if (pos == s->size - 1)
			c = '}';
		else
			c = 'x';
		buf[i] = c;
	}
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	uint64_t n;

	if (s->truncate_at && pos >= s->truncate_at)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (pos >= s->size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = s->size - pos;
	if (n > max)
		n = max;
	if (s->truncate_at && n > s->truncate_at - pos)
		n = s->truncate_at - pos;
	if (s->trickle_bytes) {
		uint64_t now = fa_now_ms();
		if (now < s->next_ms && !is_stopping(s->api)) {
			MHD_suspend_connection(s->conn);
			hold(s->api, s->conn, &s->tm, s->next_ms);
			return 0;
		}
		if (n > s->trickle_bytes)
			n = s->trickle_bytes;
		s->next_ms = now + s->trickle_ms;
	}
	if (s->data)
		memcpy(buf, s->data + pos, (size_t)n);
	else
		gen_fill(s, pos, buf, (size_t)n);
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	free(s->data);
	free(s);
}

/* The response for a normal answer; takes r->data. NULL on failure. */
static struct MHD_Response *body_response(struct fakeapi *api,
					  struct MHD_Connection *conn,
					  struct req *r)
{
	const struct fakeapi_fault *f = &r->f;
	struct MHD_Response *resp;

	if (!f->gen_size && !f->trickle_bytes && !f->chunked &&
	    !f->truncate_at) {
		resp = MHD_create_response_from_buffer(r->len, r->data,
						       MHD_RESPMEM_MUST_FREE);
		if (resp)
			r->data = NULL;
		return resp;
	}
	struct stream *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->api = api;
	s->conn = conn;
	s->truncate_at = f->truncate_at;
	s->trickle_bytes = f->trickle_bytes;
	s->trickle_ms = f->trickle_ms;
	if (f->gen_size) {
		s->size = f->gen_size;
		s->plen = (size_t)snprintf(s->prefix, sizeof s->prefix,
			"{\"id\":%" PRIu64 ",\"type\":\"comment\",\"text\":\"",
			r->id);
	} else {
		s->data = r->data;
		s->size = r->len;
		r->data = NULL;
	}
	resp = MHD_create_response_from_callback(
		f->chunked ? MHD_SIZE_UNKNOWN : s->size,
		f->trickle_bytes ? f->trickle_bytes : 64 * 1024,
		stream_read, s, stream_free);
	if (!resp)
		stream_free(s);
	return resp;
}

/* ---- the request handler ---- */

static int parse_id(const char *s, size_t n, uint64_t *id)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*id = v;
	return 0;
}

static uint64_t splitmix(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* The answer of the route rt, an item's when is_item (api->lock held):
 * its fault first, then the random failures, then the body. Returns -1 on
 * out of memory. */
static int answer(struct fakeapi *api, struct route *rt, int is_item,
		  struct req *r)
{
	const struct fault *f;

	rt->requests++;
	rt->open_at = api->st.open_now;
	f = rt->fault ? rt->fault : is_item ? api->def_fault : NULL;
	if (f)
		r->f = f->f;
	if (f && f->f.content_type)
		snprintf(r->content_type, sizeof r->content_type, "%s",
			 f->f.content_type);
	else
		strcpy(r->content_type, JSON_TYPE);

	uint64_t n = rt->requests;
	if (f && n <= f->f.drop_first) {
		r->act = ACT_DROP;
		api->st.dropped++;
		return 0;
	}
	if (f && n - f->f.drop_first <= f->f.fail_first) {
		r->act = ACT_FAIL;
		r->status = f->f.status ? f->f.status : 503;
		if (f->f.retry_after)
			snprintf(r->retry_after, sizeof r->retry_after, "%s",
				 f->f.retry_after);
		api->st.injected++;
		return 0;
	}
	if (is_item && api->inprogress_cap &&
	    api->st.inflight_now > api->inprogress_cap) {
		/* over the cap: 503 at once (no delay), like a server that
		 * limits the requests in progress */
		r->act = ACT_FAIL;
		r->status = 503;
		r->f.delay_ms = 0;
		api->st.capped++;
		return 0;
	}
	if (f && n - f->f.drop_first - f->f.fail_first <= f->f.null_first) {
		r->act = ACT_BODY;            /* not there yet: `null` */
		r->status = MHD_HTTP_OK;
		r->f.gen_size = 0;
		if (!(r->data = strdup("null")))
			return -1;
		r->len = 4;
		return 0;
	}
	if (is_item && api->rnd_rate > 0 &&
	    (double)(splitmix(&api->rnd_state) >> 11) / 9007199254740992.0 <
	    api->rnd_rate) {
		r->act = ACT_FAIL;
		r->status = api->rnd_status ? api->rnd_status : 503;
		api->st.injected++;
		return 0;
	}
	r->act = ACT_BODY;
	r->status = f && f->f.body_status ? f->f.body_status : MHD_HTTP_OK;
	if (f && f->f.gen_size)
		return 0;
	const char *body = f && f->f.body ? f->f.body :
			   rt->body ? rt->body : "null";
	size_t len = f && f->f.body ? f->f.body_len :
		     rt->body ? rt->len : 4;
	if (!(r->data = malloc(len ? len : 1)))
		return -1;
	memcpy(r->data, body, len);
	r->len = len;
	return 0;
}

/* Decide the answer for a new request (api->lock held). Returns -1 on out
 * of memory. */
static int decide(struct fakeapi *api, const char *url, struct req *r)
{
	static const char pre[] = "/v0/", item[] = "item/", suf[] = ".json";
	struct route *rt = NULL;
	int is_item = 0;
	size_t ulen = strlen(url);

	api->st.requests++;
	r->act = ACT_404;
	r->status = MHD_HTTP_NOT_FOUND;
	if (ulen < sizeof pre - 1 + sizeof suf - 1 + 1 ||
	    strncmp(url, pre, sizeof pre - 1) != 0 ||
	    strcmp(url + ulen - (sizeof suf - 1), suf) != 0)
		goto notfound;
	const char *name = url + sizeof pre - 1;
	size_t nlen = ulen - (sizeof pre - 1) - (sizeof suf - 1);
	if (nlen > sizeof item - 1 &&
	    strncmp(name, item, sizeof item - 1) == 0) {
		uint64_t id;
		if (parse_id(name + sizeof item - 1, nlen - (sizeof item - 1),
			     &id) != 0)
			goto notfound;
		if (!(rt = item_route(api, id, 1)))
			return -1;
		is_item = 1;
		r->id = id;
		api->st.item_requests++;
	} else {
		if (memchr(name, '/', nlen) ||
		    !(rt = fa_list_route(api, name, nlen, 0)) || !rt->body)
			goto notfound;
		if (r->sse)
			return fs_decide(api, url, name, nlen, r);
		api->st.list_requests++;
	}
	return answer(api, rt, is_item, r);
notfound:
	api->st.not_found++;
	return 0;
}

/* The first call for a request: what to answer. 0, or -1 on out of
 * memory. */
static int begin(struct fakeapi *api, struct MHD_Connection *conn,
		 const char *url, const char *method, struct req *r)
{
	const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_USER_AGENT);
	const char *accept = MHD_lookup_connection_value(conn,
		MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	const char *redir = MHD_lookup_connection_value(conn,
		MHD_GET_ARGUMENT_KIND, "redirected");
	int rc = 0;

	r->t0_ms = fa_now_ms();
	r->sse = strcmp(method, "GET") == 0 && accept &&
		 strcasestr(accept, "text/event-stream");
	r->redirected = redir && strcmp(redir, "1") == 0;
	fa_lock(api);
	snprintf(api->ua, sizeof api->ua, "%s", ua ? ua : "");
	if (api->st.inflight_max < ++api->st.inflight_now)
		api->st.inflight_max = api->st.inflight_now;
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		rc = decide(api, url, r);
	} else {
		api->st.requests++;
		api->st.not_found++;
		r->act = ACT_404;
	}
	if (pthread_cond_broadcast(&api->req_cond) != 0)
		abort();
	fa_unlock(api);
	return rc;
}

/* The response for r (a reference the caller drops), or NULL to close the
 * connection. */
static struct MHD_Response *respond(struct fakeapi *api,
				    struct MHD_Connection *conn, struct req *r)
{
	struct MHD_Response *resp = NULL;
	const char *hdr = NULL, *val = NULL;

	switch (r->act) {
	case ACT_DROP:
		return NULL;
	case ACT_404:
		return MHD_create_response_from_buffer(10,
			(void *)"not found\n", MHD_RESPMEM_PERSISTENT);
	case ACT_FAIL:
		resp = MHD_create_response_from_buffer(sizeof FAIL_BODY - 1,
			(void *)FAIL_BODY, MHD_RESPMEM_PERSISTENT);
		if (r->retry_after[0]) {
			hdr = MHD_HTTP_HEADER_RETRY_AFTER;
			val = r->retry_after;
		}
		strcpy(r->content_type, JSON_TYPE);
		break;
	case ACT_BODY:
		resp = body_response(api, conn, r);
		break;
	case ACT_STREAM:
		resp = fs_response(api, conn, r);
		hdr = MHD_HTTP_HEADER_CACHE_CONTROL;
		val = "no-cache";
		break;
	case ACT_REDIRECT:
		resp = MHD_create_response_from_buffer(0, (void *)"",
						       MHD_RESPMEM_PERSISTENT);
		hdr = MHD_HTTP_HEADER_LOCATION;
		val = r->data;
		break;
	}
	if (resp && ((hdr && MHD_add_response_header(resp, hdr, val) != MHD_YES)
		     || MHD_add_response_header(resp,
				MHD_HTTP_HEADER_CONTENT_TYPE,
				r->content_type) != MHD_YES)) {
		MHD_destroy_response(resp);
		resp = NULL;
	}
	return resp;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct fakeapi *api = cls;
	struct req *r = *req_cls;
	struct MHD_Response *resp;
	enum MHD_Result ret = MHD_NO;

	(void)version;
	(void)upload;
	if (!r) {
		if (!(r = calloc(1, sizeof *r)))
			return MHD_NO;
		*req_cls = r;
		return begin(api, conn, url, method, r) == 0 ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {               /* ignore request bodies */
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->f.delay_ms && !r->held && !is_stopping(api)) {
		r->held = 1;
		MHD_suspend_connection(conn);
		hold(api, conn, &r->tm, fa_now_ms() + r->f.delay_ms);
		return MHD_YES;
	}
	if ((resp = respond(api, conn, r))) {
		ret = MHD_queue_response(conn, r->status, resp);
		MHD_destroy_response(resp);
	}
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct fakeapi *api = cls;
	struct req *r = *req_cls;

	(void)conn;
	if (!r)
		return;
	*req_cls = NULL;
	uint64_t ms = fa_now_ms() - r->t0_ms;
	int dropped = r->act == ACT_DROP, stream = r->act == ACT_STREAM;
	free(r->data);
	free(r);
	fa_lock(api);
	api->st.inflight_now--;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !dropped && !stream)
		api->st.unanswered++;
	if (!stream && api->st.answer_ms_max < ms)
		api->st.answer_ms_max = ms;
	fa_unlock(api);
}

static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_ctx,
			  enum MHD_ConnectionNotificationCode c)
{
	struct fakeapi *api = cls;

	(void)conn;
	(void)socket_ctx;
	fa_lock(api);
	if (c == MHD_CONNECTION_NOTIFY_STARTED) {
		api->st.connections++;
		if (api->st.open_max < ++api->st.open_now)
			api->st.open_max = api->st.open_now;
	} else if (c == MHD_CONNECTION_NOTIFY_CLOSED) {
		api->st.open_now--;
	}
	fa_unlock(api);
}

/* ---- start and stop ---- */

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int init_cond(pthread_cond_t *c)
{
	pthread_condattr_t a;
	int rc;

	if (pthread_condattr_init(&a) != 0)
		return -1;
	rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC) == 0 &&
	     pthread_cond_init(c, &a) == 0 ? 0 : -1;
	pthread_condattr_destroy(&a);
	return rc;
}

/* The values every fake serves from the start: maxitem 0, no updates.
 * 0 or -1. */
static int add_values(struct fakeapi *api)
{
	static const char upd[] = "{\"items\":[],\"profiles\":[]}";
	struct route *m = fa_list_route(api, "maxitem", 7, 1);
	struct route *u = fa_list_route(api, "updates", 7, 1);

	if (!m || !u || set_body(api, m, "0", 1, 0) != 0 ||
	    set_body(api, u, upd, sizeof upd - 1, 0) != 0)
		return -1;
	return 0;
}

static void free_lists(struct fakeapi *api)
{
	while (api->lists) {
		struct list *l = api->lists;
		api->lists = l->next;
		free(l->name);
		free(l->r.body);
		fault_free(l->r.fault);
		free(l);
	}
}

struct fakeapi *fakeapi_start(void)
{
	struct fakeapi *api = calloc(1, sizeof *api);
	struct sockaddr_in sa;
	const char *ev = getenv("FAKEAPI_EVENTS");
	unsigned flags = MHD_ALLOW_SUSPEND_RESUME |
		(ev && strcmp(ev, "epoll") == 0 ?
		 MHD_USE_EPOLL_INTERNAL_THREAD : MHD_USE_POLL_INTERNAL_THREAD);
	int nlock = 0, ncond = 0;
	const char *dbg = getenv("FAKEAPI_DEBUG");

	if (!api)
		goto fail;
	if (pthread_mutex_init(&api->lock, NULL) != 0)
		goto fail;
	nlock = 1;
	if (init_cond(&api->req_cond) != 0)
		goto fail;
	ncond = 1;
	if (init_cond(&api->timer_cond) != 0)
		goto fail;
	ncond = 2;
	if (grow(api, 1024) != 0 || add_values(api) != 0)
		goto fail;
	raise_nofile();
	if (pthread_create(&api->timer_thread, NULL, timer_main, api) != 0)
		goto fail;
	ncond = 3;                        /* the timer thread runs */
	if (fs_start(api) != 0)
		goto fail;
	if (dbg && *dbg && strcmp(dbg, "0") != 0)
		flags |= MHD_USE_ERROR_LOG;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	api->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, api,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, api,
		MHD_OPTION_END);
	if (!api->daemon) {
		fprintf(stderr, "fakeapi: MHD_start_daemon failed\n");
		goto fail;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(api->daemon, MHD_DAEMON_INFO_LISTEN_FD);
	struct sockaddr_in got;
	socklen_t glen = sizeof got;
	if (!info || getsockname(info->listen_fd, (struct sockaddr *)&got,
				 &glen) != 0) {
		fprintf(stderr, "fakeapi: cannot read the bound port: %s\n",
			strerror(errno));
		goto fail;
	}
	api->port = ntohs(got.sin_port);
	snprintf(api->url, sizeof api->url, "http://127.0.0.1:%u/v0",
		 api->port);
	return api;
fail:
	if (api && ncond == 3) {
		fakeapi_stop(api);
		return NULL;
	}
	if (api) {
		if (ncond >= 2)
			pthread_cond_destroy(&api->timer_cond);
		if (ncond >= 1)
			pthread_cond_destroy(&api->req_cond);
		if (nlock)
			pthread_mutex_destroy(&api->lock);
		free(api->slots);
		free_lists(api);
		free(api);
	}
	return NULL;
}

void fakeapi_stop(struct fakeapi *api)
{
	if (!api)
		return;
	fa_lock(api);
	api->stopping = 1;
	if (pthread_cond_signal(&api->timer_cond) != 0)
		abort();
	fa_unlock(api);
	if (pthread_join(api->timer_thread, NULL) != 0)
		abort();
	fs_stop(api);
	if (api->daemon)
		MHD_stop_daemon(api->daemon);
	fs_free(api);
	for (size_t i = 0; i < api->cap; i++) {
		if (api->slots[i].key) {
			free_body(api, api->slots[i].r.body);
			fault_free(api->slots[i].r.fault);
		}
	}
	free(api->slots);
	while (api->arenas) {
		struct arena *a = api->arenas;
		api->arenas = a->next;
		free(a->buf);
		free(a);
	}
	free_lists(api);
	fault_free(api->def_fault);
	pthread_cond_destroy(&api->timer_cond);
	pthread_cond_destroy(&api->req_cond);
	pthread_mutex_destroy(&api->lock);
	free(api);
}

const char *fakeapi_url(const struct fakeapi *api)
{
	return api->url;
}

unsigned fakeapi_port(const struct fakeapi *api)
{
	return api->port;
}

/* ---- contents ---- */

int fakeapi_put(struct fakeapi *api, uint64_t id, const char *body)
{
	struct route *r;
	int rc = -1;

	fa_lock(api);
	if ((r = item_route(api, id, 1)))
		rc = set_body(api, r, body, strlen(body), 0);
	if (rc == 0)
		rc = note_max_id(api, id);
	fa_unlock(api);
	return rc;
}

char *fakeapi_get(struct fakeapi *api, uint64_t id)
{
	struct route *r;
	char *copy = NULL;

	fa_lock(api);
	if ((r = item_route(api, id, 0)) && r->body &&
	    (copy = malloc((size_t)r->len + 1))) {
		memcpy(copy, r->body, r->len);
		copy[r->len] = '\0';
	}
	fa_unlock(api);
	return copy;
}

int fakeapi_remove(struct fakeapi *api, uint64_t id)
{
	struct route *r;

	fa_lock(api);
	if ((r = item_route(api, id, 0)))
		set_body(api, r, NULL, 0, 0);
	fa_unlock(api);
	return 0;
}

/* Find the value of the top-level key "id" in one JSON object text: keys are
 * the strings followed by ':'. Returns 0 and sets *id, or -1. */
static int scan_id(const char *s, size_t n, uint64_t *id)
{
	int depth = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == '"') {
			size_t start = ++i;
			while (i < n && s[i] != '"')
				i += s[i] == '\\' ? 2 : 1;
			if (i >= n)
				return -1;
			size_t klen = i - start, j = i + 1;
			if (depth != 1 || klen != 2 ||
			    memcmp(s + start, "id", 2))
				continue;
			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (j >= n || s[j] != ':')
				continue;
			j++;
			while (j < n && (s[j] == ' ' || s[j] == '\t'))
				j++;
			size_t k = j;
			while (k < n && s[k] >= '0' && s[k] <= '9')
				k++;
			return parse_id(s + j, k - j, id);
		}
	}
	return -1;
}

/* The whole of path (malloc'd, *len bytes), or NULL (a message on stderr
 * when it cannot be opened or read). */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (!f) {
		fprintf(stderr, "fakeapi: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - *len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			char *nb = realloc(buf, cap);
			if (!nb)
				goto fail;
			buf = nb;
		}
		size_t got = fread(buf + *len, 1, cap - *len, f);
		*len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "fakeapi: %s: read error\n", path);
		goto fail;
	}
	fclose(f);
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

long fakeapi_load_jsonl(struct fakeapi *api, const char *path)
{
	struct arena *ar = NULL;
	char *buf;
	size_t len, nlines = 0;
	long count = -1, lineno = 0;
	uint64_t max = 0;

	if (!(buf = read_all(path, &len)) || !(ar = calloc(1, sizeof *ar)))
		goto out;
	for (size_t i = 0; i < len; i++)
		nlines += buf[i] == '\n';
	fa_lock(api);
	if (grow(api, api->n + nlines + 1) != 0) {
		fa_unlock(api);
		goto out;
	}
	/* the buffer becomes an arena: bodies are its lines, NUL-terminated
	 * in place (a line's '\n' or trailing blank becomes its NUL) */
	ar->buf = buf;
	ar->len = len;
	ar->next = api->arenas;
	api->arenas = ar;
	buf = NULL;
	ar = NULL;
	count = 0;
	for (size_t pos = 0; pos < len;) {
		char *line = api->arenas->buf;
		char *nl = memchr(line + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - line) : len, e = end;
		uint64_t id;
		lineno++;
		while (e > pos && (line[e - 1] == '\r' || line[e - 1] == ' ' ||
				   line[e - 1] == '\t'))
			e--;
		size_t b = pos;
		while (b < e && (line[b] == ' ' || line[b] == '\t'))
			b++;
		pos = end + 1;
		if (b == e)
			continue;
		struct route *r;
		if (scan_id(line + b, e - b, &id) != 0) {
			fprintf(stderr, "fakeapi: %s:%ld: no top-level id\n",
				path, lineno);
			count = -1;
			break;
		}
		if (e == len) {               /* last line, no room for a NUL */
			if (!(r = item_route(api, id, 1)) ||
			    set_body(api, r, line + b, e - b, 0) != 0) {
				count = -1;
				break;
			}
		} else {
			line[e] = '\0';
			if (!(r = item_route(api, id, 1)) ||
			    set_body(api, r, line + b, e - b, 1) != 0) {
				count = -1;
				break;
			}
		}
		count++;
		if (id > max)
			max = id;
	}
	if (count > 0 && note_max_id(api, max) != 0)
		count = -1;
	fa_unlock(api);
out:
	free(buf);
	free(ar);
	return count;
}

/* ---- faults ---- */

static int set_fault(struct fault **slot, const struct fakeapi_fault *in)
{
	int ok;
	struct fault *f = fault_copy(in, &ok);

	if (!ok)
		return -1;
	fault_free(*slot);
	*slot = f;
	return 0;
}

int fakeapi_fault(struct fakeapi *api, uint64_t id,
		  const struct fakeapi_fault *f)
{
	struct route *r;
	int rc = -1;

	fa_lock(api);
	if ((r = item_route(api, id, 1)))
		rc = set_fault(&r->fault, f);
	fa_unlock(api);
	return rc;
}

int fakeapi_fault_list(struct fakeapi *api, const char *name,
		       const struct fakeapi_fault *f)
{
	struct route *r;
	int rc = -1;

	fa_lock(api);
	if ((r = fa_list_route(api, name, strlen(name), 1)))
		rc = set_fault(&r->fault, f);
	fa_unlock(api);
	return rc;
}

int fakeapi_fault_default(struct fakeapi *api, const struct fakeapi_fault *f)
{
	int rc;

	fa_lock(api);
	rc = set_fault(&api->def_fault, f);
	fa_unlock(api);
	return rc;
}

void fakeapi_cap(struct fakeapi *api, unsigned n)
{
	fa_lock(api);
	api->inprogress_cap = n;
	fa_unlock(api);
}

void fakeapi_random_fail(struct fakeapi *api, double rate, uint64_t seed,
			 unsigned status)
{
	fa_lock(api);
	api->rnd_rate = rate;
	api->rnd_state = seed;
	api->rnd_status = status;
	fa_unlock(api);
}

/* ---- counters ---- */

void fakeapi_get_stats(struct fakeapi *api, struct fakeapi_stats *st)
{
	fa_lock(api);
	*st = api->st;
	fa_unlock(api);
}

/* Item id's route's requests (open_at 0) or open_at (1); 0 if none. */
static uint64_t item_count(struct fakeapi *api, uint64_t id, int open_at)
{
	struct route *r;
	uint64_t n = 0;

	fa_lock(api);
	if ((r = item_route(api, id, 0)))
		n = open_at ? r->open_at : r->requests;
	fa_unlock(api);
	return n;
}

uint64_t fakeapi_requests(struct fakeapi *api, uint64_t id)
{
	return item_count(api, id, 0);
}

unsigned fakeapi_open_at(struct fakeapi *api, uint64_t id)
{
	return (unsigned)item_count(api, id, 1);
}

uint64_t fakeapi_list_requests(struct fakeapi *api, const char *name)
{
	struct route *r;
	uint64_t n = 0;

	fa_lock(api);
	if ((r = fa_list_route(api, name, strlen(name), 0)))
		n = r->requests;
	fa_unlock(api);
	return n;
}

uint64_t fakeapi_total_requests(struct fakeapi *api)
{
	uint64_t n;

	fa_lock(api);
	n = api->st.requests;
	fa_unlock(api);
	return n;
}

uint64_t fakeapi_items_requested_twice(struct fakeapi *api)
{
	uint64_t n = 0;

	fa_lock(api);
	for (size_t i = 0; i < api->cap; i++)
		n += api->slots[i].key && api->slots[i].r.requests > 1;
	fa_unlock(api);
	return n;
}

void fakeapi_reset_counts(struct fakeapi *api)
{
	fa_lock(api);
	for (size_t i = 0; i < api->cap; i++)
		api->slots[i].r.requests = 0;
	for (struct list *l = api->lists; l; l = l->next)
		l->r.requests = 0;
	unsigned open_now = api->st.open_now, inflight = api->st.inflight_now;
	unsigned streams = api->st.streams_now;
	memset(&api->st, 0, sizeof api->st);
	api->st.open_now = api->st.open_max = open_now;
	api->st.inflight_now = api->st.inflight_max = inflight;
	api->st.streams_now = api->st.streams_max = streams;
	fs_reset_counts(api);
	fa_unlock(api);
}

void fakeapi_last_user_agent(struct fakeapi *api, char *buf, size_t len)
{
	fa_lock(api);
	snprintf(buf, len, "%s", api->ua);
	fa_unlock(api);
}

int fakeapi_wait_requests(struct fakeapi *api, uint64_t n, int timeout_ms)
{
	struct timespec ts;
	int reached;

	fa_deadline_ts(&ts, fa_now_ms() +
		       (uint64_t)(timeout_ms > 0 ? timeout_ms : 0));
	fa_lock(api);
	while (api->st.requests < n) {
		int rc = pthread_cond_timedwait(&api->req_cond, &api->lock,
						&ts);
		if (rc == ETIMEDOUT)
			break;
		if (rc != 0)
			abort();
	}
	reached = api->st.requests >= n;
	fa_unlock(api);
	return reached;
}
