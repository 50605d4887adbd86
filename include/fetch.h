/* fetch.h — HTTP transfers on one libcurl multi handle.
 * The only module that includes curl. A fetcher belongs to the one thread
 * that created it; only fetcher_wakeup() may be called from other threads.
 * fetch_global_init() runs before any thread starts, fetch_global_cleanup()
 * after they are all joined. */
#ifndef HNBATCH_FETCH_H
#define HNBATCH_FETCH_H

#include <stddef.h>
#include <stdint.h>

struct fetch_opts {
	long timeout_ms;          /* whole transfer; 0 = none */
	long connect_timeout_ms;  /* 0 = curl's default */
	size_t max_body;          /* larger bodies fail with FETCH_TOO_BIG */
	const char *cacert;       /* extra CA bundle file, or NULL */
	const char *user_agent;   /* NULL: "hnbatch/VERSION" */
	int verbose;              /* curl's own debug output on stderr */
	int discard_body;         /* 1: only the status matters: a body is
	                             read up to FETCH_DISCARD_KEEP bytes and
	                             the transfer ends there, complete
	                             (FETCH_OK), whatever max_body says */
};

#define FETCH_DISCARD_KEEP 1024

enum fetch_err {
	FETCH_OK = 0,       /* a response arrived (any HTTP status) */
	FETCH_TIMEOUT,      /* --timeout or connect timeout */
	FETCH_CONNECT,      /* could not connect / resolve / TLS failure */
	FETCH_NETWORK,      /* connection dropped, bad HTTP, other transport */
	FETCH_TOO_BIG,      /* body over max_body (refused, not held) */
	FETCH_NOMEM,
};

/* A finished transfer, as handed out by fetcher_next(). */
struct fetch_done {
	void *user;              /* what was given to fetcher_get/post */
	enum fetch_err err;
	long status;             /* HTTP status, 0 when no response */
	const char *body;        /* NUL-terminated; valid until the next call
	                            to fetcher_next/fetcher_wait on this
	                            fetcher */
	size_t len;
	long retry_after_s;      /* Retry-After in seconds, -1 when absent */
	const char *errmsg;      /* curl's message when err != FETCH_OK */
	double ms;               /* time the transfer took */
	double answer_ms;        /* of which from the request sent to the
	                            answer received (no wait for a connection
	                            or a stream, no connecting) */
};

int fetch_global_init(void);      /* 0 or -1 */
void fetch_global_cleanup(void);
const char *fetch_curl_version(void); /* "libcurl/7.88.1 OpenSSL/..." */
const char *fetch_strerror(enum fetch_err e); /* "timeout", ... */

struct fetcher;

/* A fetcher with room for `window` transfers at once. NULL on failure. */
struct fetcher *fetcher_new(const struct fetch_opts *o, size_t window);
void fetcher_free(struct fetcher *f);  /* abandons transfers in flight */

/* Start a GET (or a POST of `body` as application/json). The URL is copied.
 * Returns 0, or -1 when the window is full or memory ran out. */
int fetcher_get(struct fetcher *f, const char *url, void *user);
int fetcher_post_json(struct fetcher *f, const char *url, const char *body,
		      void *user);

/* A stream (Server-Sent Events): a GET with "Accept: text/event-stream"
 * that follows redirects (Firebase answers 307 first) and has no time
 * limit but the connect timeout. The body is not kept: every piece goes to
 * on_data(arg, bytes, n) from inside fetcher_wait, as it arrives (non-zero
 * ends the transfer). When the stream ends, fetcher_next hands out its
 * end (user, err, status) like any transfer's. 0, or -1 as fetcher_get. */
typedef int fetch_data_fn(void *arg, const char *data, size_t len);
int fetcher_stream(struct fetcher *f, const char *url, fetch_data_fn *on_data,
		   void *arg, void *user);

/* End the transfer started with `user` now (no fetcher_next for it). */
void fetcher_abort(struct fetcher *f, void *user);

size_t fetcher_inflight(const struct fetcher *f);

/* The most transfers the caller will have in flight for now: over HTTP/2
 * the fetcher opens as many connections as that needs, and no more (see
 * fetch.c). Cheap when unchanged. */
void fetcher_set_inflight_cap(struct fetcher *f, size_t cap);

/* Drive transfers and wait up to timeout_ms for progress, for a wakeup, or
 * for one of the extra fds (poll(2) events in `events`; what happened is
 * stored in revents[i] when revents is not NULL). Returns 0 or -1. */
int fetcher_wait(struct fetcher *f, int timeout_ms, const int *fds,
		 const short *events, short *revents, size_t nfds);

/* Take one finished transfer: returns 1 and fills *d, or 0 when none. */
int fetcher_next(struct fetcher *f, struct fetch_done *d);

/* From any thread: make a fetcher_wait in progress return soon. */
void fetcher_wakeup(struct fetcher *f);

#endif
