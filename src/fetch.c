/* fetch.c — HTTP transfers on one libcurl multi handle per thread.
 *
 * With fetch_global.c, the only file that includes curl. After curl's
 * 10-at-a-time and http2-download examples, a fetcher owns a multi handle
 * and `window` easy handles ("slots") reused from transfer to transfer, so
 * connection reuse, keep-alive and HTTP/2 multiplexing (CURLOPT_PIPEWAIT)
 * happen inside that multi handle; CURLOPT_PRIVATE leads from an easy
 * handle to its slot.
 *
 * Threads: a fetcher is its creator's, but for fetcher_wakeup() (any
 * thread). Connections are never shared between threads; one CURLSH shares
 * the DNS cache and TLS sessions (fetch_global.c).
 *
 * Events: the sockets and the timeout curl asks for (SOCKETFUNCTION,
 * TIMERFUNCTION) go into the fetcher's pollset (pollset.c), and
 * curl_multi_socket_action() is called for the sockets that are ready.
 *
 * HTTP/2: connections to a server that multiplexes are capped
 * (CURLMOPT_MAX_HOST_CONNECTIONS) at what the in-flight cap needs; h2conn.c
 * says why, and how each stream's connection is seen (PREREQFUNCTION).
 *
 * Process-wide state (curl_global_init, the CURLSH, which CA certificates
 * to trust) is in fetch_global.c.
 *
 * Bodies go to a struct body (body.c), refused over max_body while they
 * come, as CURLOPT_MAXFILESIZE refuses a Content-Length over it. A stream
 * (fetcher_stream, --watch) keeps nothing: each piece goes to its callback.
 */
#include "fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "fetch_int.h"
#include "h2conn.h"
#include "pollset.h"

struct slot {
	CURL *easy;
	void *user;
	struct body body;
	fetch_data_fn *on_data; /* a stream: bytes go here as they come */
	void *data_arg;
	char *url;
	int port;            /* local port of its connection, once sent */
	int busy;            /* in the multi handle (a free slot keeps its
				old user) */
	struct fetcher *f;
	char err[CURL_ERROR_SIZE];
};

struct fetcher {
	CURLM *multi;
	struct fetch_opts opts;
	struct slot *slots;
	size_t window;
	size_t *free;        /* stack of free slot indices */
	size_t nfree;
	struct slot *lent;   /* slot whose body the caller may still read */
	struct curl_slist *json_hdr;
	struct curl_slist *sse_hdr;  /* Accept: text/event-stream */
	struct pollset *ps;  /* curl's sockets, its timer and the wakeup */
	struct h2conn h2;    /* connections an HTTP/2 server needs */
	long hostconns;      /* CURLMOPT_MAX_HOST_CONNECTIONS set, 0: none */
	long maxconns;       /* CURLMOPT_MAXCONNECTS set */
	size_t ended, peak;  /* keep_conns: this epoch's ended transfers and
	                        its most in flight */
};

/* CURLMOPT_SOCKETFUNCTION: what curl wants to watch on socket s. */
static int on_socket(CURL *e, curl_socket_t s, int what, void *arg,
		     void *sockp)
{
	(void)e;
	struct fetcher *f = arg;
	if (what == CURL_POLL_REMOVE) { /* curl closed it or is done with it */
		pollset_del(f->ps, s);
		curl_multi_assign(f->multi, s, NULL);
		return 0;
	}
	int w = (what & CURL_POLL_IN ? POLLSET_IN : 0) |
		(what & CURL_POLL_OUT ? POLLSET_OUT : 0);
	if (pollset_set(f->ps, s, w, sockp != NULL) != 0)
		return -1;
	if (!sockp) /* known from now on */
		curl_multi_assign(f->multi, s, (void *)1);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: when curl wants to be called again. */
static int on_timer(CURLM *m, long timeout_ms, void *arg)
{
	(void)m;
	pollset_timer(((struct fetcher *)arg)->ps, timeout_ms);
	return 0;
}

const char *fetch_curl_version(void)
{
	return curl_version();
}

const char *fetch_strerror(enum fetch_err e)
{
	static const char *const text[] = { "ok", "timeout", "connect error",
		"network error", "body too large", "out of memory" };
	return (size_t)e < sizeof text / sizeof text[0] ? text[e] : "?";
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct slot *s = arg;
	size_t n = size * nmemb;
	if (s->on_data) /* a stream: nothing is kept here */
		return s->on_data(s->data_arg, data, n) == 0 ? n : 0;
	return body_add(&s->body, data, n);
}

/* CURLOPT_PREREQFUNCTION: the request goes out on a connection. */
static int on_prereq(void *arg, char *ip, char *local_ip, int port,
		     int local_port)
{
	(void)ip, (void)local_ip, (void)port;
	struct slot *s = arg;
	s->port = local_port;
	h2conn_stream(&s->f->h2, local_port, 1);
	return CURL_PREREQFUNC_OK;
}

static int setup_easy(struct fetcher *f, struct slot *s)
{
	const struct fetch_opts *o = &f->opts;
	CURL *e = curl_easy_init();
	if (!e)
		return -1;
	s->easy = e;
	curl_easy_setopt(e, CURLOPT_PRIVATE, s);
	s->f = f;
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, s);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->err);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT,
			 o->user_agent ? o->user_agent
					 : "hnbatch/" HNBATCH_VERSION);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 16384L);
	if (o->connect_timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
				 o->connect_timeout_ms);
	fetch_easy_global(e, o->cacert);
	if (o->verbose)
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	s->body.max = o->discard_body ? FETCH_DISCARD_KEEP
		      : o->max_body > 0 ? o->max_body : SIZE_MAX - 1;
	s->body.discard = o->discard_body;
	return 0;
}

struct fetcher *fetcher_new(const struct fetch_opts *o, size_t window)
{
	if (window == 0)
		window = 1;
	struct fetcher *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->opts = *o;
	f->window = window;
	h2conn_init(&f->h2);
	f->ps = pollset_new();
	f->slots = calloc(window, sizeof *f->slots);
	f->free = calloc(window, sizeof *f->free);
	f->multi = curl_multi_init();
	f->json_hdr = curl_slist_append(NULL, "Content-Type: application/json");
	f->sse_hdr = curl_slist_append(NULL, "Accept: text/event-stream");
	if (!f->slots || !f->free || !f->multi || !f->json_hdr ||
	    !f->sse_hdr || !f->ps)
		goto fail;
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	for (size_t i = 0; i < window; i++)
		f->free[f->nfree++] = window - 1 - i;
	curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)window);
	f->maxconns = (long)window;
	return f;
fail:
	fetcher_free(f);
	return NULL;
}

void fetcher_free(struct fetcher *f)
{
	if (!f)
		return;
	for (size_t i = 0; f->slots && i < f->window; i++) {
		struct slot *s = &f->slots[i];
		if (s->easy) {
			if (f->multi)
				curl_multi_remove_handle(f->multi, s->easy);
			curl_easy_cleanup(s->easy);
		}
		body_free(&s->body);
		free(s->url);
	}
	if (f->multi)
		curl_multi_cleanup(f->multi);
	pollset_free(f->ps);
	curl_slist_free_all(f->json_hdr);
	curl_slist_free_all(f->sse_hdr);
	free(f->slots);
	free(f->free);
	free(f);
}

/* Give back the slot whose body was handed out by the last fetcher_next. */
static void release_lent(struct fetcher *f)
{
	struct slot *s = f->lent;
	if (!s)
		return;
	f->lent = NULL;
	s->busy = 0;
	body_reset(&s->body);
	f->free[f->nfree++] = (size_t)(s - f->slots);
}

/* The options that differ between a stream and a plain transfer. */
static void set_kind(struct fetcher *f, struct slot *s, fetch_data_fn *fn,
		     void *arg)
{
	const struct fetch_opts *o = &f->opts;
	s->on_data = fn;
	s->data_arg = arg;
	/* a stream follows Firebase's 307 and has no end to wait for */
	curl_easy_setopt(s->easy, CURLOPT_FOLLOWLOCATION, fn ? 1L : 0L);
	curl_easy_setopt(s->easy, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS,
			 fn ? 0L : o->timeout_ms > 0 ? o->timeout_ms : 0L);
	curl_easy_setopt(s->easy, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)(fn || o->discard_body ? 0 : o->max_body));
}

/* Connections kept: twice what is in flight, at once; each epoch of
 * KEEP_EPOCH ended transfers, a quarter less, but no less than twice its
 * most in flight and KEEP_MIN. As a transfer ends, curl closes the oldest
 * idle one while it has more (CURLMOPT_MAXCONNECTS): a crawl's tail closes
 * what its burst opened, not the end of the run (13-26 ms for a thousand);
 * a dip of an epoch or two closes few. */
enum { KEEP_EPOCH = 16, KEEP_MIN = 8 };

static void set_keep(struct fetcher *f, size_t keep)
{
	if (keep < KEEP_MIN)
		keep = KEEP_MIN;
	if (keep > f->window)
		keep = f->window;
	if ((long)keep != f->maxconns &&
	    curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)keep) ==
	    CURLM_OK)
		f->maxconns = (long)keep;
}

static void keep_conns(struct fetcher *f, size_t busy, int ended)
{
	if (busy > f->peak)
		f->peak = busy;
	if (2 * busy > (size_t)f->maxconns)
		set_keep(f, 2 * busy);
	if (!ended || ++f->ended < KEEP_EPOCH)
		return;
	size_t less = (size_t)f->maxconns - (size_t)f->maxconns / 4;
	set_keep(f, 2 * f->peak > less ? 2 * f->peak : less);
	f->peak = busy;
	f->ended = 0;
}

/* Cap the connections at what the in-flight cap needs (h2conn.c). */
static void fit_connections(struct fetcher *f)
{
	long k = h2conn_connections(&f->h2);
	if (k != f->hostconns &&
	    curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, k) ==
	    CURLM_OK)
		f->hostconns = k;
}

static int start(struct fetcher *f, const char *url, const char *post,
		 void *user, fetch_data_fn *fn, void *arg)
{
	release_lent(f);
	if (f->nfree == 0)
		return -1;
	struct slot *s = &f->slots[f->free[f->nfree - 1]];
	if (!s->easy && setup_easy(f, s) != 0)
		return -1;
	char *u = strdup(url);
	if (!u)
		return -1;
	free(s->url);
	s->url = u;
	s->user = user; /* its body was emptied when the slot was freed */
	s->err[0] = '\0';
	curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
	set_kind(f, s, fn, arg);
	/* Wait for a connection that may multiplex only where one can: over
	 * TLS (HTTP/2 by ALPN). Over http:// (HTTP/1.1) a request would wait
	 * for the first answer on a new connection, however slow it is. */
	int tls = strncmp(url, "https://", 8) == 0;
	curl_easy_setopt(s->easy, CURLOPT_PIPEWAIT, tls ? 1L : 0L);
	if (tls && !f->h2.https) {
		h2conn_url(&f->h2, 1);
		fit_connections(f);
	}
	if (post) {
		curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, f->json_hdr);
		curl_easy_setopt(s->easy, CURLOPT_COPYPOSTFIELDS, post);
	} else {
		curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER,
				 fn ? f->sse_hdr : NULL);
		curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
	}
	if (curl_multi_add_handle(f->multi, s->easy) != CURLM_OK)
		return -1;
	f->nfree--;
	s->busy = 1;
	keep_conns(f, f->window - f->nfree, 0);
	return 0;
}

int fetcher_get(struct fetcher *f, const char *url, void *user)
{
	return start(f, url, NULL, user, NULL, NULL);
}

int fetcher_post_json(struct fetcher *f, const char *url, const char *body,
		      void *user)
{
	return start(f, url, body, user, NULL, NULL);
}

int fetcher_stream(struct fetcher *f, const char *url, fetch_data_fn *on_data,
		   void *arg, void *user)
{
	return start(f, url, NULL, user, on_data, arg);
}

void fetcher_abort(struct fetcher *f, void *user)
{
	release_lent(f);
	for (size_t i = 0; i < f->window; i++) {
		struct slot *s = &f->slots[i];
		if (!s->busy || s->user != user)
			continue;
		curl_multi_remove_handle(f->multi, s->easy);
		s->busy = 0;
		body_reset(&s->body);
		f->free[f->nfree++] = i;
		return;
	}
}

size_t fetcher_inflight(const struct fetcher *f)
{
	return f->window - f->nfree - (f->lent ? 1 : 0);
}

/* A watched socket is ready: curl reads or writes it. */
static int on_ready(void *arg, int fd, int what)
{
	int running, mask = (what & POLLSET_IN ? CURL_CSELECT_IN : 0) |
			    (what & POLLSET_OUT ? CURL_CSELECT_OUT : 0) |
			    (what & POLLSET_ERR ? CURL_CSELECT_ERR : 0);
	return curl_multi_socket_action(((struct fetcher *)arg)->multi, fd,
					mask, &running) == CURLM_OK ? 0 : -1;
}

int fetcher_wait(struct fetcher *f, int timeout_ms, const int *fds,
		 const short *events, short *revents, size_t nfds)
{
	release_lent(f);
	if (pollset_wait(f->ps, timeout_ms, fds, events, revents, nfds,
			 on_ready, f) != 0)
		return -1;
	int running;
	if (pollset_timer_due(f->ps) &&
	    curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0,
				     &running) != CURLM_OK)
		return -1;
	return 0;
}

static enum fetch_err classify(CURLcode rc, const struct slot *s)
{
	switch (rc) {
	case CURLE_OK: return FETCH_OK;
	case CURLE_OPERATION_TIMEDOUT: return FETCH_TIMEOUT;
	case CURLE_FILESIZE_EXCEEDED: return FETCH_TOO_BIG;
	case CURLE_OUT_OF_MEMORY: return FETCH_NOMEM;
	case CURLE_WRITE_ERROR: /* on_body ended it */
		return s->body.cut ? FETCH_OK
		       : s->body.too_big ? FETCH_TOO_BIG : FETCH_NOMEM;
	case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT: case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM: case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return FETCH_CONNECT;
	default: return FETCH_NETWORK;
	}
}

static long retry_after(CURL *e)
{
	struct curl_header *h;
	if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &h) !=
	    CURLHE_OK)
		return -1;
	char *end;
	long v = strtol(h->value, &end, 10);
	if (end == h->value || v < 0)
		return -1; /* an HTTP date: treated as absent */
	return v;
}

void fetcher_set_inflight_cap(struct fetcher *f, size_t cap)
{
	if (cap == f->h2.cap)
		return;
	h2conn_cap(&f->h2, cap);
	fit_connections(f);
}

/* A transfer ended: its stream is closed; the first answer says whether
 * the server multiplexes; a server's lower stream cap may show. */
static void stream_done(struct fetcher *f, struct slot *s, long status)
{
	h2conn_stream(&f->h2, s->port, -1);
	s->port = 0;
	long v = 0;
	if (f->h2.mux < 0 && status > 0 &&
	    curl_easy_getinfo(s->easy, CURLINFO_HTTP_VERSION, &v) == CURLE_OK)
		h2conn_version(&f->h2, v == CURL_HTTP_VERSION_2_0);
	/* in curl without a stream: the transfers but this one and the open */
	size_t inmulti = f->window - f->nfree - 1;
	h2conn_learn(&f->h2, inmulti > f->h2.open ? inmulti - f->h2.open : 0);
	fit_connections(f);
	keep_conns(f, inmulti, 1);
}

int fetcher_next(struct fetcher *f, struct fetch_done *d)
{
	release_lent(f);
	int left;
	CURLMsg *m;
	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;
		struct slot *s;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
		memset(d, 0, sizeof *d);
		d->user = s->user;
		d->err = classify(rc, s);
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &d->status);
		double secs = 0, pre = 0;
		curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &secs);
		curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME, &pre);
		d->ms = secs * 1e3;
		d->answer_ms = secs > pre ? (secs - pre) * 1e3 : 0;
		stream_done(f, s, d->status);
		d->retry_after_s = d->status == 429 || d->status == 503
					   ? retry_after(e) : -1;
		d->body = body_text(&s->body);
		d->len = s->body.len;
		d->errmsg = rc == CURLE_OK || d->err == FETCH_OK ? ""
			  : s->err[0] ? s->err : curl_easy_strerror(rc);
		curl_multi_remove_handle(f->multi, e);
		f->lent = s;
		return 1;
	}
	return 0;
}

void fetcher_wakeup(struct fetcher *f)
{
	pollset_wakeup(f->ps);
}
