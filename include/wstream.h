/* wstream.h — one Firebase stream that --watch follows (maxitem.json,
 * updates.json, a story list): its connection on the watch's fetcher, the
 * SSE parse, the stream's value (fbstream.h), and the keeping of the
 * connection: a stream that ends (cancel, auth_revoked, a dropped
 * connection, an error) or stalls (no event, keep-alives included, for
 * stall_ms) is reconnected with backoff, and the owner is told that the
 * next value it sees follows a gap (so that it can catch up).
 *
 * Threads: the watch's thread only, which owns the fetcher. */
#ifndef HNBATCH_WSTREAM_H
#define HNBATCH_WSTREAM_H

#include <stdint.h>

#include "fbstream.h"
#include "fetch.h"
#include "sse.h"

struct wstream;

/* The stream's value changed: s->fb holds it. `gap` is 1 for the first
 * value after a reconnection (events may have been missed), 2 for the
 * very first value of the watch, else 0. */
typedef void wstream_change_fn(struct wstream *s, int gap, void *arg);

struct wstream {
	const char *name;          /* "maxitem", "updates", "topstories" */
	char *url;
	struct sse sse;
	struct fbstream fb;
	wstream_change_fn *on_change;
	void *arg;
	int open;                  /* a transfer is running */
	int connected_once;        /* a value was seen once */
	int gap;                   /* what the next change reports */
	double last_ms;            /* the last event (or the connect) */
	double retry_at;           /* not open: when to connect again */
	unsigned attempt;          /* reconnections since the last event */
	uint64_t events, connects, drops;
	uint64_t rng;
};

/* Set s up for API/NAME.json (not connected yet). 0, or -1 out of
 * memory. */
int wstream_init(struct wstream *s, const char *api, const char *name,
		 enum fbs_kind kind, wstream_change_fn *fn, void *arg);
void wstream_free(struct wstream *s);

/* The fetcher handed out s's end (d->user == s): schedule the
 * reconnection. */
void wstream_ended(struct wstream *s, const struct fetch_done *d);

/* Connect what is due, drop what stalled (stall_ms without an event).
 * Returns the milliseconds until the next thing to do for s. */
double wstream_tick(struct wstream *s, struct fetcher *f, double stall_ms);

/* Close (the end of the watch). */
void wstream_close(struct wstream *s, struct fetcher *f);

#endif
