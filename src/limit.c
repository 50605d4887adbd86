/* limit.c — the adaptive concurrency limit (`-c auto`), see limit.h.
 *
 * DESIGN
 * In the spirit of TCP Vegas, Netflix's concurrency-limits (Gradient2) and
 * Envoy's adaptive concurrency filter: the limit rises while the answers
 * come as fast as the fastest seen, stops where they slow down, and falls
 * multiplicatively on overload. Workers measure each answer's time from
 * the request sent to the answer received (no time in hnbatch's queue, in
 * curl's or on connecting) and hand batches over; the limiter cuts them
 * into windows of W answers, W = limit/4 within [WIN_MIN = 32, WIN_MAX =
 * 256] (about a quarter of a round trip at full pipe; 32 answers keep a
 * window's mean steady when answer times vary), and judges each window:
 *
 *   avg    the window's mean answer time
 *   steady the window began a round trip (the mean answer time) after the
 *          last change of the limit, and it and the window before it were
 *          limit-bound. Right after a burst of starts the first answers
 *          back are the fastest of the burst: with answers jittered over
 *          5-80 ms (42 ms on average at any load) the first window held
 *          15-25 ms, a least time no later window came near, and every
 *          later window looked like load (cut at 512; the sweep's
 *          jittered scenario took 1.11x the best fixed -c). So:
 *   min    the base: the least avg of steady windows seen at up to
 *          SAME_LOAD (4) times the limit of the least avg of any window
 *          (a steady window far above that load is slow for it),
 *          unless over LOADED_BASE (4) times the least of any window:
 *          then answers are slow because of what is in flight (at 0 ms
 *          on loopback: 2-10 ms in steady windows, 0.1-2 ms while few
 *          were in flight), and the least of any window is the base
 *   ratio  avg / (min + SLACK_MS): how much slower than unloaded; SLACK_MS
 *          (5 ms): answers a few ms slower than the fastest are no load
 *          worth a cut (on loopback at 0 ms they are the client's own
 *          turn-around, and cutting there only costs CPU per answer)
 *   overload (any timeout, 429 or 503 in the window, and no decrease in
 *          the last round trip): limit *= max(0.5, share answered) * 0.9
 *          (the server took about what was answered: go just under it);
 *          slow start ends
 *   ratio > BACKOFF (2.0), in a steady window: limit *= max(0.5,
 *          GROW_TOL / ratio), once a round trip; slow start ends. When
 *          such cuts have halved the limit (since it last grew) and
 *          answers are no faster than 0.9x those at the first cut, the
 *          slowness is not load (the least was a lucky window, or the
 *          server is that slow at any load, as with jittered answers):
 *          min = avg, and the cuts are undone
 *          (the limit and slow start as they were before the first).
 *          When the halving did make answers faster, it was load, and
 *          the next halving is judged from there (against the first cut
 *          alone, answers that stopped getting faster after one helpful
 *          halving took the limit to the floor: 18 s instead of 1.6 s in
 *          one jittered run in ten at --threads 1). Halving, not one cut:
 *          on a loaded server one cut often leaves answers as slow for a
 *          while, and taking that as the base walked it up to 160 ms at
 *          0 ms on loopback, and the limit to its ceiling
 *   otherwise, at most once a round trip (the answers to a rise take that
 *          long to come back), and when the window was limit-bound (a
 *          start was refused, or the in-flight count reached 90% of the
 *          limit; a window that did not fill the limit says nothing):
 *          slow start, ratio <= SS_TOL (1.25): limit *= 2, or 4 while
 *          4x stays within what the client keeps busy (below)
 *          (SS_TOL passed in a window that is not steady: hold)
 *          ratio <= GROW_TOL (1.5): limit *= 1 + 1/8 (SS_TOL passed: slow
 *          start ends); past 0.8 x the limit of the last overload cut,
 *          limit = limit * (1 + 1/32) + 1, probing slowly where 503s were
 *          else: hold
 *   client what the client keeps busy: CLIENT_RATE (25) answers a ms per
 *          processor its workers run on, times the unloaded answer time
 *          (the base, or the mean of the answers that went and came back
 *          with at most LIMIT_UNLOADED in flight if less: a crawl's roots,
 *          its tail; or a quarter of the window's mean if more). The
 *          first window after the burst of starts read 3-20 ms at 0 ms
 *          on loopback (the roots: 0.1-0.2 ms), and as the base it let
 *          the limit go 128 -> 256 or 512 in 5 of 40 runs, each then cut
 *          back to 64 a round trip later; the unloaded mean kept it at
 *          128 in 40 of 40. The
 *          limit never grows past it, and a steady window at over twice
 *          it cuts the limit to it (not under CLIENT_FLOOR, 64), once a
 *          round trip; slow start ends. On loopback at 0 ms the client,
 *          not the server, is the bound: answers looked flat within the
 *          slack at any limit, the limit doubled to 512-1024 and the
 *          burst of connections took longer than the whole crawl at 128
 *          (0.31 against 0.22 s). 25 a ms: this machine (2 processors)
 *          turned 20-35 answers a ms round at 0 ms with nginx on the
 *          same processors; a server 20 ms away leaves room for 1,000
 * always within [floor, ceiling]. A crawl is short (tens of round trips),
 * so the limit starts at a useful size and doubles, rather than creeping up
 * one by one as TCP's congestion avoidance does. The tolerance is wide
 * (answers up to 1.5x the least) because on a busy client part of the
 * answer time is the client's own: the knee is where they double.
 *
 * Threads: any worker calls limit_feed() (a batch per turn of its loop, not
 * per answer) and limit_get() (an atomic load). `mu` guards every field
 * but `cur`, which is written under `mu` and read without it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* sched_getaffinity, CPU_COUNT */
#endif
#include "limit.h"

#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define WIN_MIN 32
#define WIN_MAX 256
#define SLACK_MS 5.0
#define SS_TOL 1.25
#define GROW_TOL 1.5
#define BACKOFF 2.0
#define GROW_STEP 0.125       /* steady growth per window */
#define PROBE_STEP 0.03125    /* growth near the last overload */
#define PROBE_NEAR 0.8        /* "near": over this share of it */
#define OVERLOAD_BETA 0.9     /* under the share the server answered */
#define BOUND_SHARE 0.9       /* in flight / limit that makes it bound */
#define CLIENT_RATE 25.0      /* answers a ms one processor turns round */
#define CLIENT_FLOOR 64.0     /* ...but no lower than this */
#define SAME_LOAD 4.0         /* a steady base from up to this x the load */
#define LOADED_BASE 4.0       /* steady least / least: answers slow with load */
#define REBASE_SHARE 0.9      /* cuts that left answers this slow... */

static const char *const whys[] = {
	[LIMIT_SAME] = "same", [LIMIT_GROW] = "grow",
	[LIMIT_LATENCY] = "latency", [LIMIT_OVERLOAD] = "overload",
	[LIMIT_CLIENT] = "client",
};

const char *limit_why_str(enum limit_why w)
{
	return w <= LIMIT_CLIENT ? whys[w] : "?";
}

static double clamp(const struct limiter *l, double v)
{
	if (v < (double)l->o.floor)
		v = (double)l->o.floor;
	if (v > (double)l->o.ceiling)
		v = (double)l->o.ceiling;
	return v;
}

int limit_init(struct limiter *l, const struct limit_opts *o)
{
	memset(l, 0, sizeof *l);
	l->o = *o;
	if (l->o.floor < 1)
		l->o.floor = 1;
	if (l->o.ceiling < l->o.floor)
		l->o.ceiling = l->o.floor;
	l->limit = clamp(l, (double)o->initial);
	l->slow_start = 1;
	l->lo = l->hi = (size_t)l->limit;
	atomic_init(&l->cur, (size_t)l->limit);
	return pthread_mutex_init(&l->mu, NULL) == 0 ? 0 : -1;
}

void limit_destroy(struct limiter *l)
{
	pthread_mutex_destroy(&l->mu);
}

/* The processors `threads` workers run on: the process's affinity, at
 * most one per thread; 0 if unknown. */
static size_t cpus_for(size_t threads)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return 0;
	size_t n = (size_t)CPU_COUNT(&set);
	return threads < n ? threads : n;
}

struct limit_opts limit_auto(size_t ceiling, size_t threads)
{
	return (struct limit_opts){
		.initial = LIMIT_INITIAL, .floor = LIMIT_FLOOR,
		.ceiling = ceiling ? ceiling : LIMIT_INITIAL,
		.cpus = cpus_for(threads) };
}

size_t limit_get(struct limiter *l)
{
	return atomic_load_explicit(&l->cur, memory_order_relaxed);
}

size_t limit_share(size_t lim, size_t threads)
{
	size_t s = threads ? (lim + threads - 1) / threads : lim;
	if (s < LIMIT_SHARE_MIN)
		s = lim < LIMIT_SHARE_MIN ? lim : LIMIT_SHARE_MIN;
	return s;
}

static size_t window_size(const struct limiter *l)
{
	size_t w = (size_t)(l->limit / 4);
	return w < WIN_MIN ? WIN_MIN : w > WIN_MAX ? WIN_MAX : w;
}

/* The window's mean avg, measured at limit lim, into the base (see
 * "min" above). */
static void take_base(struct limiter *l, double avg, double lim,
		      int steady)
{
	if (l->min_any <= 0 || avg < l->min_any) {
		l->min_any = avg;
		l->min_any_lim = lim;
	}
	if (steady && lim <= SAME_LOAD * l->min_any_lim &&
	    (l->min_steady <= 0 || avg < l->min_steady))
		l->min_steady = avg;
	l->last_avg_ms = avg;
}

/* The base (see "min" above); 0: none yet. A steady least many times the
 * least of any window: answers are slow because of what is in flight,
 * not because the first ones back were lucky. */
static double base(const struct limiter *l)
{
	return l->min_steady > 0 && l->min_steady <= LOADED_BASE * l->min_any
	       ? l->min_steady : l->min_any;
}

/* What keeps the client busy: at its pace, answers that come back this
 * fast need no more in flight; more only wait in it. 0: unknown. */
static double client_cap(const struct limiter *l, double avg)
{
	double least = base(l);
	if (l->unl_n > 0 && l->unl_sum_ms / (double)l->unl_n < least)
		least = l->unl_sum_ms / (double)l->unl_n;
	double unloaded = fmax(avg / LOADED_BASE, least);
	return CLIENT_RATE * (double)l->o.cpus * unloaded;
}

/* A window that may grow the limit (bound, a round trip since the last
 * rise): the new limit. cap: what the client keeps busy, 0: unknown. */
static double grow(struct limiter *l, double ratio, int steady, double cap,
		   enum limit_why *why)
{
	double lim = l->limit;
	if (l->slow_start && ratio <= SS_TOL) {
		*why = LIMIT_GROW;
		l->latency_cut = 0;  /* answers back to health */
		/* four times while the client's pace leaves room for it */
		return cap > 0 && lim * 4 <= cap ? lim * 4 : lim * 2;
	}
	if (l->slow_start && !steady)
		return lim;  /* slow start ends on a steady window only */
	l->slow_start = 0;
	if (ratio <= GROW_TOL) {
		*why = LIMIT_GROW;
		l->latency_cut = 0;
		if (l->overload_at > 0 && lim >= PROBE_NEAR * l->overload_at)
			return lim * (1 + PROBE_STEP) + 1;
		return lim * (1 + GROW_STEP);
	}
	return lim;
}

/* The new limit for the whole window l->win, judged at now_ms. */
static double judge(struct limiter *l, double now_ms, enum limit_why *why)
{
	const struct limit_batch *w = &l->win;
	double lim = l->limit;
	double avg = w->n ? w->sum_ms / (double)w->n : l->last_avg_ms;
	int bound = w->blocked > 0 ||
		    (double)w->inflight_max >= BOUND_SHARE * lim;
	/* "steady" and the base: see above */
	int steady = bound && l->prev_bound && l->win_start >= l->settle_at;
	if (w->n)
		take_base(l, avg, lim, steady);
	double min = base(l);
	double ratio = min > 0 ? avg / (min + SLACK_MS) : 1.0;
	int holding = now_ms < l->hold_until;
	*why = LIMIT_SAME;
	if (w->overload || (ratio > BACKOFF && steady)) {
		if (holding)
			return lim; /* answers to what was sent before a cut */
		double f;
		if (w->overload) {
			double ok = (double)w->n / (double)(w->n + w->overload);
			f = (ok > 0.5 ? ok : 0.5) * OVERLOAD_BETA;
			*why = LIMIT_OVERLOAD;
			l->overload_at = lim;
		} else if (l->latency_cut > 0 && lim <= l->cut_from / 2 + 1 &&
			   avg >= REBASE_SHARE * l->latency_cut) {
			/* halving what is in flight did not make answers
			 * faster: not load, but the least time was luck, or
			 * the server is this slow at any load. Take it as the
			 * base, undo the cuts */
			l->min_any = l->min_steady = avg;
			l->min_any_lim = lim;
			l->latency_cut = 0;
			l->slow_start = l->cut_slow_start;
			*why = LIMIT_GROW;
			return l->cut_from > lim ? l->cut_from : lim;
		} else {
			if (l->latency_cut > 0 && lim <= l->cut_from / 2 + 1) {
				/* the halving did make answers faster: load
				 * it was; the next one is judged from here */
				l->latency_cut = avg;
				l->cut_from = lim;
			}
			f = GROW_TOL / ratio;
			f = f > 0.5 ? f : 0.5;
			*why = LIMIT_LATENCY;
			if (l->latency_cut <= 0) {   /* a first cut */
				l->latency_cut = avg;
				l->cut_from = lim;
				l->cut_slow_start = l->slow_start;
			}
		}
		l->slow_start = 0;
		/* a round trip: what is in flight was sent at the old limit */
		l->hold_until = now_ms + fmax(avg, min);
		return lim * f;
	}
	double cap = client_cap(l, avg);
	if (cap > 0 && steady && !holding && lim > 2 * cap &&
	    lim > CLIENT_FLOOR) {
		*why = LIMIT_CLIENT;   /* twice that: down to it */
		l->slow_start = 0;
		l->hold_until = now_ms + avg;
		return cap > CLIENT_FLOOR ? cap : CLIENT_FLOOR;
	}
	if (!bound || now_ms < l->grow_after || holding ||
	    (cap > 0 && lim >= cap))
		return lim;
	/* grow once a round trip: the answers to a rise take that long */
	l->grow_after = now_ms + avg;
	return grow(l, ratio, steady, cap, why);
}

int limit_feed(struct limiter *l, double now_ms, const struct limit_batch *b,
	       struct limit_change *ch)
{
	int changed = 0;
	pthread_mutex_lock(&l->mu);
	/* mu is held: the window and the limit are ours */
	if (!l->fed) {   /* the first window opens with the first feed */
		l->win_start = now_ms;
		l->fed = 1;
	}
	l->unl_n += b->unloaded_n;
	l->unl_sum_ms += b->unloaded_ms;
	l->win.n += b->n;
	l->win.sum_ms += b->sum_ms;
	l->win.overload += b->overload;
	l->win.blocked += b->blocked;
	if (b->inflight_max > l->win.inflight_max)
		l->win.inflight_max = b->inflight_max;
	if (l->win.n + l->win.overload >= window_size(l)) {
		enum limit_why why;
		size_t from = (size_t)l->limit;
		double next = clamp(l, judge(l, now_ms, &why));
		if (ch)
			*ch = (struct limit_change){
				.why = why, .from = from, .to = (size_t)next,
				.avg_ms = l->win.n ? l->win.sum_ms /
						     (double)l->win.n : 0,
				.min_ms = base(l),
				.overload = l->win.overload, .n = l->win.n };
		l->prev_bound = l->win.blocked > 0 ||
				(double)l->win.inflight_max >=
					BOUND_SHARE * l->limit;
		if ((size_t)next != from)  /* its answers: a round trip on */
			l->settle_at = now_ms + l->last_avg_ms;
		l->limit = next;
		memset(&l->win, 0, sizeof l->win);
		l->win_start = now_ms;
		if ((size_t)next != from) {
			changed = 1;
			l->changes++;
			if ((size_t)next < l->lo)
				l->lo = (size_t)next;
			if ((size_t)next > l->hi)
				l->hi = (size_t)next;
			atomic_store(&l->cur, (size_t)next);
		}
	}
	pthread_mutex_unlock(&l->mu);
	return changed;
}

void limit_range(struct limiter *l, size_t *lo, size_t *hi, size_t *now,
		 unsigned *changes)
{
	pthread_mutex_lock(&l->mu);
	*lo = l->lo;
	*hi = l->hi;
	*now = (size_t)l->limit;
	*changes = l->changes;
	pthread_mutex_unlock(&l->mu);
}
