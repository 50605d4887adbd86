/* wstream.c — one followed stream and its reconnections (see wstream.h).
 *
 * Threads: the watch's only. Bytes reach on_bytes() from inside
 * fetcher_wait(); each whole event goes through fbs_apply(); a change of
 * the value calls the owner back at once, on the same thread.
 *
 * Reconnection: after an end or a stall the stream waits backoff_fetch's
 * delay for its attempt (200 ms doubling to 10 s, jittered; the attempt
 * count restarts at the first event of a connection) and connects again;
 * its SSE parse restarts clean (a half event is dropped), and the first
 * value then carries gap = 1. */
#include "wstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "clock.h"
#include "log.h"

#define SSE_MAX (1u << 20)          /* the largest event we take */

int wstream_init(struct wstream *s, const char *api, const char *name,
		 enum fbs_kind kind, wstream_change_fn *fn, void *arg)
{
	memset(s, 0, sizeof *s);
	s->name = name;
	s->on_change = fn;
	s->arg = arg;
	s->gap = 2;
	s->rng = backoff_seed((uint64_t)(uintptr_t)s);
	sse_init(&s->sse, SSE_MAX);
	fbs_init(&s->fb, kind);
	return asprintf(&s->url, "%s/%s.json", api, name) < 0 ? -1 : 0;
}

void wstream_free(struct wstream *s)
{
	free(s->url);
	sse_free(&s->sse);
	fbs_free(&s->fb);
}

static int on_event(const char *event, const char *data, size_t len,
		    void *arg)
{
	struct wstream *s = arg;
	char why[160];
	s->events++;
	s->last_ms = clock_now_ms();
	s->attempt = 0;
	enum fbs_result r = fbs_apply(&s->fb, event, data, len, why,
				      sizeof why);
	if (r == FBS_BAD) {
		log_error("stream %s: %s (reconnecting)", s->name, why);
		return -1;
	}
	if (r == FBS_END) {
		log_info("stream %s: %s (reconnecting)", s->name, event);
		return -1;
	}
	if (r == FBS_CHANGED ||
	    (s->gap && s->fb.has_value && strcmp(event, "put") == 0)) {
		int gap = s->gap;
		s->gap = 0;
		s->connected_once = 1;
		s->on_change(s, gap, s->arg);
	}
	return 0;
}

static int on_bytes(void *arg, const char *data, size_t len)
{
	struct wstream *s = arg;
	return sse_feed(&s->sse, data, len, on_event, s);
}

static void schedule(struct wstream *s)
{
	double d = backoff_delay(&backoff_fetch, s->attempt++, -1, &s->rng);
	s->open = 0;
	s->drops++;
	s->retry_at = clock_now_ms() + d;
	if (s->connected_once)
		s->gap = 1;
	log_debug("stream %s: reconnecting in %.0f ms", s->name, d);
}

void wstream_ended(struct wstream *s, const struct fetch_done *d)
{
	/* the first failure of a row is told, the retries only with -v */
	enum log_level l = s->attempt ? LOG_DEBUG : LOG_INFO;
	if (d->err != FETCH_OK)
		log_msg(l, "stream %s: %s: %s", s->name,
			fetch_strerror(d->err), d->errmsg);
	else if (d->status != 200)
		log_msg(l, "stream %s: HTTP %ld", s->name, d->status);
	else
		log_msg(l, "stream %s: closed by the server", s->name);
	schedule(s);
}

double wstream_tick(struct wstream *s, struct fetcher *f, double stall_ms)
{
	double now = clock_now_ms();
	if (s->open && now - s->last_ms >= stall_ms) {
		log_info("stream %s: no event for %.0f s: reconnecting",
			 s->name, stall_ms / 1000);
		fetcher_abort(f, s);
		schedule(s);
	}
	if (!s->open && now >= s->retry_at) {
		sse_reset(&s->sse);
		if (fetcher_stream(f, s->url, on_bytes, s, s) != 0) {
			log_error("stream %s: cannot start", s->name);
			schedule(s);
		} else {
			s->open = 1;
			s->connects++;
			s->last_ms = now;
		}
	}
	return s->open ? s->last_ms + stall_ms - now : s->retry_at - now;
}

void wstream_close(struct wstream *s, struct fetcher *f)
{
	if (s->open)
		fetcher_abort(f, s);
	s->open = 0;
}
