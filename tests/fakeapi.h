/* fakeapi.h — an in-process fake of the Hacker News API for tests.
 *
 * A libmicrohttpd server on 127.0.0.1 (ephemeral port) that answers like
 * https://hacker-news.firebaseio.com/v0:
 *   GET /v0/item/<id>.json   the item's body (200, application/json), or the
 *                            body `null` (200) for an id it does not hold
 *   GET /v0/<name>.json      a list set with fakeapi_put_list (topstories...)
 *   GET /v0/maxitem.json     the largest item id (fakeapi_set_maxitem)
 *   GET /v0/updates.json     {"items":[ids],"profiles":[]} (send_updates)
 *   anything else            404
 * HEAD is answered like GET. Request bodies are read and ignored.
 *
 * A GET of maxitem.json, updates.json or a list with the header
 * `Accept: text/event-stream` opens a Firebase REST stream instead (see
 * "Streams" below): 200, Content-Type: text/event-stream, kept open.
 *
 * Faults can be injected per item, per list, or for every item (see struct
 * fakeapi_fault). All functions are safe to call from any thread while the
 * server runs; the server's own threads never call back into the test.
 * Counters are exact once the client has finished (e.g. the binary exited). */
#ifndef HNBATCH_TESTS_FAKEAPI_H
#define HNBATCH_TESTS_FAKEAPI_H

#include <stddef.h>
#include <stdint.h>

struct fakeapi;

/* What to do with the requests for one item (or list). Zero it, then set
 * what you need. Request number n (1-based, counted per id) is answered:
 *   n <= drop_first                      connection closed, no response
 *   n <= drop_first + fail_first         HTTP `status` (503 when 0), a small
 *                                        JSON error body, Retry-After header
 *                                        when retry_after is not NULL
 *   n <= drop_first + fail_first +       the body `null` (200), like an item
 *        null_first                      read just after its creation
 *   otherwise                            the normal answer: `body` when set,
 *                                        else a generated body of gen_size
 *                                        bytes when gen_size > 0, else the
 *                                        stored item (or `null`)
 * Every answer (the drop included) is held back delay_ms first; the normal
 * answer's body is then sent trickle_bytes at a time, one piece every
 * trickle_ms. None of this blocks the server: held connections are
 * suspended and a timer thread resumes them. fakeapi_stop() resumes every
 * held connection at once: it gets its answer early, or is closed. */
struct fakeapi_fault {
	unsigned drop_first;
	unsigned fail_first;          /* UINT_MAX: fail every request */
	unsigned status;              /* status of the failures; 0 means 503 */
	const char *retry_after;      /* Retry-After value ("2"), or NULL */

	unsigned delay_ms;            /* hold every answer this long */
	unsigned trickle_bytes;       /* > 0: send the body this many bytes */
	unsigned trickle_ms;          /* at a time, every this many ms */

	const char *body;             /* raw body instead of the item's; may */
	size_t body_len;              /* hold NULs; body_len 0 = strlen(body) */
	unsigned body_status;         /* status of the normal answer; 0 = 200 */
	const char *content_type;     /* NULL: application/json;
	                                 charset=utf-8 */

	uint64_t gen_size;            /* > 0: a generated body of this many
	                                 bytes ({"id":N,"type":"comment",
	                                 "text":"xx.."}), streamed, never held
	                                 in memory */
	int chunked;                  /* 1: no Content-Length (chunked) */
	uint64_t truncate_at;         /* > 0: close the connection after this
	                                 many body bytes (Content-Length
	                                 kept) */
	unsigned null_first;          /* then this many get `null` (200;
	                                 gen_size ignored for them) */
};

/* Start a server on 127.0.0.1:0: a pool of 4 threads, poll(2) based
 * (FAKEAPI_EVENTS=epoll in the environment: epoll). Raises this process's
 * soft RLIMIT_NOFILE to its hard limit so about a thousand connections fit.
 * Returns NULL (with a message on stderr) on failure. Set FAKEAPI_DEBUG=1 in
 * the environment for libmicrohttpd's own error log. */
struct fakeapi *fakeapi_start(void);

/* Answer every request held back by a delay (delay_ms, trickle_ms) now,
 * as if its time had come; the server goes on. */
void fakeapi_release(struct fakeapi *api);

/* Close held connections, stop the server, free everything. NULL is ok. */
void fakeapi_stop(struct fakeapi *api);

/* "http://127.0.0.1:PORT/v0", owned by api (valid until fakeapi_stop). */
const char *fakeapi_url(const struct fakeapi *api);
unsigned fakeapi_port(const struct fakeapi *api);

/* Store or replace one item's body (copied). Returns 0, or -1 on out of
 * memory. fakeapi_remove makes the id answer `null` again. */
int fakeapi_put(struct fakeapi *api, uint64_t id, const char *body);
int fakeapi_remove(struct fakeapi *api, uint64_t id);

/* Store every line of a JSON-lines file as the body of the item whose
 * top-level "id" it holds. Blank lines are skipped. Returns the number of
 * items stored, or -1 (message on stderr naming FILE:LINE) on a line without
 * a top-level numeric id, a read error or out of memory. */
long fakeapi_load_jsonl(struct fakeapi *api, const char *path);

/* Serve body (copied) as /v0/<name>.json, e.g. name "topstories", and
 * send it as `put` "/" to the open streams of name (see Streams). Newlines
 * in body become spaces. 0 or -1. */
int fakeapi_put_list(struct fakeapi *api, const char *name, const char *body);

/* A copy of the body item id answers (malloc'd; the caller frees it), or
 * NULL when it answers `null` or memory ran out. */
char *fakeapi_get(struct fakeapi *api, uint64_t id);

/* Faults (the struct and its strings are copied). f == NULL clears.
 * fakeapi_fault_list also takes "maxitem" and "updates"; list faults apply
 * to plain GETs, never to stream requests.
 * fakeapi_fault_default applies to every item without a fault of its own.
 * Return 0, or -1 on out of memory. */
int fakeapi_fault(struct fakeapi *api, uint64_t id,
		  const struct fakeapi_fault *f);
int fakeapi_fault_list(struct fakeapi *api, const char *name,
		       const struct fakeapi_fault *f);
int fakeapi_fault_default(struct fakeapi *api, const struct fakeapi_fault *f);

/* Answer a fraction `rate` (0..1) of the item requests that would get their
 * normal answer with HTTP `status` (0 = 503) instead, drawn from a PRNG
 * seeded with `seed`. rate 0 turns it off. */
void fakeapi_random_fail(struct fakeapi *api, double rate, uint64_t seed,
			 unsigned status);

/* Answer an item request with 503 at once (no delay, no body of its
 * own) when more than n requests are in progress with it (delayed ones
 * included), as a server that limits its requests in progress does;
 * counted in `capped`. n = 0 turns it off. */
void fakeapi_cap(struct fakeapi *api, unsigned n);

/* Counters. */
struct fakeapi_stats {
	uint64_t requests;        /* every request, any path */
	uint64_t item_requests;   /* GET /v0/item/<id>.json */
	uint64_t list_requests;   /* plain GET /v0/<name>.json of a list,
	                             maxitem or updates (not a stream) */
	uint64_t not_found;       /* answered 404 */
	uint64_t injected;        /* answered with an injected failure status */
	uint64_t capped;          /* answered 503 over fakeapi_cap() */
	uint64_t dropped;         /* closed without an answer (drop_first) */
	uint64_t unanswered;      /* ended before the whole answer was sent
	                             (client gone, error), drops and streams
	                             not counted */
	uint64_t answer_ms_max;   /* slowest request, arrival to last byte
	                             handed to the kernel (delays included;
	                             streams not counted) */
	uint64_t connections;     /* TCP connections accepted */
	unsigned open_now, open_max;          /* connections open at once */
	unsigned inflight_now, inflight_max;  /* requests being answered
	                                         (open streams included) */
	uint64_t stream_connects;   /* streams opened (answered 200) */
	uint64_t stream_redirects;  /* stream requests answered 307 */
	uint64_t stream_events;     /* events queued: one per stream reached by
	                               each put, patch or fakeapi_stream_send,
	                               the first put of each stream included */
	uint64_t stream_bytes;      /* stream bytes handed to libmicrohttpd */
	uint64_t stream_overflows;  /* streams cut: their queue was full */
	unsigned streams_now, streams_max;    /* streams open at once */
};
void fakeapi_get_stats(struct fakeapi *api, struct fakeapi_stats *st);

/* Requests received for one item id / one list name. */
uint64_t fakeapi_requests(struct fakeapi *api, uint64_t id);
/* Connections open (stats' open_now) when item id was last requested. */
unsigned fakeapi_open_at(struct fakeapi *api, uint64_t id);
uint64_t fakeapi_list_requests(struct fakeapi *api, const char *name);
uint64_t fakeapi_total_requests(struct fakeapi *api);

/* Number of distinct item ids requested more than once (0 when every item
 * was fetched at most once). */
uint64_t fakeapi_items_requested_twice(struct fakeapi *api);

/* Zero every counter (item, list, stream and global; open_now,
 * inflight_now and streams_now kept). */
void fakeapi_reset_counts(struct fakeapi *api);

/* The User-Agent header of the latest request, copied into buf ("" when none
 * yet). */
void fakeapi_last_user_agent(struct fakeapi *api, char *buf, size_t len);

/* Wait until at least n requests (any path) have arrived, or timeout_ms
 * passed. Returns 1 when reached, 0 on timeout. */
int fakeapi_wait_requests(struct fakeapi *api, uint64_t n, int timeout_ms);

/* ---- Streams (Firebase REST streaming, Server-Sent Events) ----
 *
 * A stream is a GET with `Accept: text/event-stream` of /v0/maxitem.json,
 * /v0/updates.json or a list /v0/NAME.json (404 while the list is not set;
 * HEAD and items are answered plain). Its name is "maxitem", "updates" or
 * the list's NAME. It is answered 200, Content-Type: text/event-stream,
 * chunked, and kept open; the first event is the current value:
 *   event: put\ndata: {"path":"/","data":VALUE}\n\n
 * then one event per change made with the functions below, in the order of
 * the calls. The value and the registration are taken together, so a
 * change made once fakeapi_stream_connects() counted the stream reaches
 * it, and a change made before is in its first put. Nothing is sent on its
 * own (no keep-alive: send one with fakeapi_stream_send). A stream counts
 * in `requests` and `stream_connects`, never as an item or list request.
 *
 * Values: maxitem is an integer, the largest id stored with fakeapi_put or
 * fakeapi_load_jsonl until fakeapi_set_maxitem sets it (0 when none);
 * updates is {"items":[...],"profiles":[...]} ({"items":[],"profiles":[]}
 * until set); a list is what fakeapi_put_list stored.
 *
 * Bytes wait in a queue per stream (at most FAKEAPI_STREAM_QUEUE bytes):
 * a stream whose client does not read is cut (its queue dropped, the
 * connection closed, stream_overflows counted) rather than block anyone.
 * A stream whose client hangs up is noticed within a few ms and closed,
 * even when idle. fakeapi_stop closes every stream (the client sees the
 * connection close). name NULL below means every stream. */
#define FAKEAPI_STREAM_QUEUE (1u << 20)

/* Store v as maxitem.json and send `put` "/" v to its streams. 0 or -1
 * (out of memory). */
int fakeapi_set_maxitem(struct fakeapi *api, uint64_t v);

/* Store {"items":[ids[0..n)],"profiles":[]} as updates.json and send it as
 * `put` "/" to its streams. 0 or -1 (out of memory). */
int fakeapi_send_updates(struct fakeapi *api, const uint64_t *ids, size_t n);

/* Set element `index` of list name to id as Firebase does, and send
 * `patch` "/" {"INDEX":id} ({"INDEX":null} when id is 0) to its streams.
 * The list must be stored and be a flat array of ids and nulls. id 0 is
 * null: the element is removed, which shortens the list when it was the
 * last one (trailing nulls go too) and leaves a hole (null) otherwise; an
 * index past the end pads with nulls. Returns 0, or -1 when the list is
 * not such an array, index > 100000, or out of memory (nothing changed). */
int fakeapi_patch_list(struct fakeapi *api, const char *name, size_t index,
		       uint64_t id);

/* Queue bytes (a string, copied) as they are to every open stream of name:
 * a keep-alive ("event: keep-alive\ndata: null\n\n"), a cancel, a
 * hand-made patch, or half an event. Streams being dropped get nothing.
 * Returns the number of streams that got them, or -1 when memory ran out
 * (the streams that could not take them are cut). */
int fakeapi_stream_send(struct fakeapi *api, const char *name,
			const char *bytes);

/* End every open stream of name once the bytes already queued are sent:
 * the connection is closed without the chunked encoding's last chunk (curl
 * reports CURLE_PARTIAL_FILE), mid-event if half an event was queued last.
 * Returns the number of streams ended. */
int fakeapi_stream_drop(struct fakeapi *api, const char *name);

/* Streams of name open now (connections not yet closed). */
unsigned fakeapi_stream_open(struct fakeapi *api, const char *name);

/* Streams of name opened so far (answered 200; 307s not counted). */
uint64_t fakeapi_stream_connects(struct fakeapi *api, const char *name);

/* Wait until at least `connects` streams of name were opened and, when
 * open >= 0, exactly `open` are open, or timeout_ms passed. Returns 1 when
 * reached, 0 on timeout. */
int fakeapi_stream_wait(struct fakeapi *api, const char *name,
			uint64_t connects, int open, int timeout_ms);

/* on != 0: answer a stream request without the query parameter
 * `redirected=1` with 307 and Location: http://127.0.0.1:PORT<its path>
 * ?redirected=1 (other query parameters are not kept), like Firebase
 * sending a client to another server; on == 0 (the default): no redirect.
 * Counted in stream_redirects. */
void fakeapi_stream_redirect(struct fakeapi *api, int on);

#endif
