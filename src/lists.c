/* lists.c — the story lists of an iteration, fetched together (see
 * lists.h).
 *
 * Threads: main runs everything but lists_cancel(), which the signal
 * thread calls: it sets `cancelled` (atomic) and wakes the fetcher, which
 * `mu` guards while lists_run() publishes and withdraws it. The lists
 * themselves are main's alone.
 *
 * One fetcher with a slot per list: every list is requested at once. A
 * transient failure (transport error, 5xx, 429, HN's 401) waits its
 * backoff_fetch delay (Retry-After honoured, capped) in this loop's own
 * timer, never in a sleep, so a cancel or the deadline ends the wait at
 * once; what is not had by then fails, named in the log. */
#include "lists.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "clock.h"
#include "item.h"
#include "log.h"

enum lstate { L_WAITING, L_RUNNING, L_OK, L_FAILED };

struct list {
	char *url;
	size_t max;
	unsigned attempt;         /* attempts made */
	double due;               /* L_WAITING: when to start */
	enum lstate st;
	uint64_t *ids;
	size_t n;
};

struct lists {
	struct lists_opts o;
	struct list *v;
	size_t n, cap;
	struct item_parser *parser;
	uint64_t rng;
	pthread_mutex_t mu;
	struct fetcher *f;        /* guarded by mu (for lists_cancel) */
	atomic_int cancelled;
};

struct lists *lists_new(const struct lists_opts *o)
{
	struct lists *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->o = *o;
	l->rng = backoff_seed(2);
	l->parser = item_parser_new();
	if (!l->parser || pthread_mutex_init(&l->mu, NULL) != 0) {
		item_parser_free(l->parser);
		free(l);
		return NULL;
	}
	atomic_init(&l->cancelled, 0);
	return l;
}

void lists_free(struct lists *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].url);
		free(l->v[i].ids);
	}
	free(l->v);
	item_parser_free(l->parser);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

int lists_add(struct lists *l, const char *name, size_t max)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct list *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	struct list *s = &l->v[l->n];
	memset(s, 0, sizeof *s);
	s->max = max;
	if (asprintf(&s->url, "%s/%s.json", l->o.api, name) < 0)
		return -1;
	return (int)l->n++;
}

void lists_cancel(struct lists *l)
{
	atomic_store(&l->cancelled, 1);
	pthread_mutex_lock(&l->mu);
	if (l->f)
		fetcher_wakeup(l->f);
	pthread_mutex_unlock(&l->mu);
}

const uint64_t *lists_ids(const struct lists *l, size_t i, size_t *n)
{
	*n = l->v[i].n;
	return l->v[i].st == L_OK ? l->v[i].ids : NULL;
}

/* s cannot be had: "cannot fetch URL: why" (or "bad list from URL: why"). */
static void fail(struct list *s, const char *what, const char *why)
{
	s->st = L_FAILED;
	log_error("%s %s: %s", what, s->url, why);
}

/* An answer for s: keep it, schedule a retry, or give up. */
static void answered(struct lists *l, struct list *s,
		     const struct fetch_done *d)
{
	char why[128] = "";
	if (d->err == FETCH_OK && d->status == 200) {
		if (item_parse_idlist(l->parser, d->body, d->len, s->max,
				      &s->ids, &s->n, why, sizeof why) == 0)
			s->st = L_OK;
		else
			fail(s, "bad list from", why);
		return;
	}
	int transient = d->err == FETCH_OK
		? d->status >= 500 || d->status == 429 || d->status == 401
		: d->err != FETCH_TOO_BIG && d->err != FETCH_NOMEM;
	if (d->err == FETCH_OK)
		snprintf(why, sizeof why, "HTTP %ld", d->status);
	else
		snprintf(why, sizeof why, "%s: %s", fetch_strerror(d->err),
			 d->errmsg);
	if (!transient || s->attempt > l->o.retries) {
		fail(s, "cannot fetch", why);
		return;
	}
	double after = d->retry_after_s >= 0 ? d->retry_after_s * 1e3 : -1;
	double delay = backoff_delay(&backoff_fetch, s->attempt - 1, after,
				     &l->rng);
	log_debug("%s: %s; retry %u in %.0f ms", s->url, why, s->attempt,
		  delay);
	s->st = L_WAITING;
	s->due = clock_now_ms() + delay;
}

/* Start what is due; returns the ms until the next wait ends (-1: none)
 * and whether anything is still to be had in *left. */
static int start_due(struct lists *l, struct fetcher *f, int *left)
{
	double now = clock_now_ms(), next = -1;
	*left = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct list *s = &l->v[i];
		if (s->st == L_WAITING && s->due <= now) {
			if (fetcher_get(f, s->url, s) != 0) {
				fail(s, "cannot fetch",
				     "cannot start a request");
				continue;
			}
			s->st = L_RUNNING;
			s->attempt++;
		}
		if (s->st == L_WAITING && (next < 0 || s->due < next))
			next = s->due;
		*left += s->st == L_WAITING || s->st == L_RUNNING;
	}
	if (l->o.deadline_ms > 0 && (next < 0 || l->o.deadline_ms < next))
		next = l->o.deadline_ms;
	return next < 0 ? -1 : next <= now ? 0 : (int)(next - now) + 1;
}

/* Whatever is not had when the loop stops fails, with the reason. */
static void give_up(struct lists *l, const char *why)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].st == L_WAITING || l->v[i].st == L_RUNNING)
			fail(&l->v[i], "cannot fetch", why);
}

int lists_run(struct lists *l)
{
	if (l->n == 0)
		return 0;
	struct fetcher *f = fetcher_new(&l->o.fetch, l->n);
	if (!f) {
		give_up(l, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&l->mu);
	l->f = f;
	pthread_mutex_unlock(&l->mu);
	const char *stop = NULL;
	for (;;) {
		int left, tmo = start_due(l, f, &left);
		if (atomic_load(&l->cancelled))
			stop = "stopped by a signal";
		else if (l->o.deadline_ms > 0 &&
			 clock_now_ms() >= l->o.deadline_ms)
			stop = "--deadline reached";
		if (stop || left == 0)
			break;
		if (fetcher_wait(f, tmo, NULL, NULL, NULL, 0) != 0) {
			stop = "waiting for the answers failed";
			break;
		}
		struct fetch_done d;
		while (fetcher_next(f, &d))
			answered(l, d.user, &d);
	}
	if (stop)
		give_up(l, stop);
	pthread_mutex_lock(&l->mu);
	l->f = NULL;
	pthread_mutex_unlock(&l->mu);
	fetcher_free(f);
	int rc = 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].st != L_OK)
			rc = -1;
	return rc;
}
