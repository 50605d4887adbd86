/* limit.h — the adaptive concurrency limit of `-c auto`: how many requests
 * may be in flight over all workers, found from measured answer times and
 * overload answers (see limit.c for the algorithm and its constants).
 *
 * The limiter reads no clock: every time is passed in (milliseconds on any
 * monotonic scale), so a test can feed it synthetic samples. Every function
 * is thread-safe; limit_get() takes no lock. */
#ifndef HNBATCH_LIMIT_H
#define HNBATCH_LIMIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* -c auto: where the limit starts and the least it goes to. 128: on
 * loopback at 0 ms (where the client is the bound) 32-128 in flight are
 * as fast as any, 256 took 1.1-1.25x that, and a slower server is found
 * out in the first window (the limit then grows four times at once while
 * the client's pace leaves room: at 20 ms 128, 512, 1024). */
#define LIMIT_INITIAL 128
#define LIMIT_FLOOR 8

struct limit_opts {
	size_t initial;          /* the limit at the start */
	size_t floor, ceiling;   /* it never leaves [floor, ceiling] */
	size_t cpus;             /* processors the workers run on; 0: no
	                            bound on growth from the client's pace */
};

/* What a worker measured since it last fed the limiter. */
struct limit_batch {
	size_t n;                /* answers measured (any HTTP status but an
	                            overload one) */
	double sum_ms;           /* their answer times: request sent to answer
	                            received, no queue or connect time */
	size_t overload;         /* timeouts, 429s and 503s */
	size_t inflight_max;     /* the most in flight (all workers) seen when
	                            starting a request in this batch */
	size_t blocked;          /* starts refused because the limit was full */
	size_t unloaded_n;       /* of the n, those with at most
	                            LIMIT_UNLOADED in flight (all workers)
	                            when sent and when answered... */
	double unloaded_ms;      /* ...and the sum of their answer times */
};
/* In flight, at a request's start and at its answer, that leaves its
 * answer time unloaded: a crawl's roots (a --top 5's stories) go and come
 * back with this few, before their kids come in a burst. */
#define LIMIT_UNLOADED 8

/* Why the limit last changed. */
enum limit_why {
	LIMIT_SAME = 0,
	LIMIT_GROW,              /* latency flat and the limit was reached */
	LIMIT_LATENCY,           /* answers slower than the tolerance */
	LIMIT_OVERLOAD,          /* timeouts, 429 or 503 */
	LIMIT_CLIENT,            /* over twice what the client keeps busy */
};

struct limit_change {
	enum limit_why why;
	size_t from, to;
	double avg_ms, min_ms;   /* the window's mean answer time; the least */
	size_t overload, n;      /* the window's overloads and answers */
};

struct limiter {
	pthread_mutex_t mu;
	atomic_size_t cur;       /* the limit now: any thread, no lock */
	/* guarded by mu: */
	struct limit_opts o;
	double limit;            /* fractional, rounded into cur */
	double min_any, min_steady; /* least window mean seen, of any window
	                            and of steady ones (see limit.c); 0:
	                            none yet */
	double min_any_lim;      /* the limit when min_any was seen */
	double last_avg_ms;      /* the last window's mean */
	size_t unl_n;            /* unloaded answers (above), all run long */
	double unl_sum_ms;       /* and their answer times */
	int slow_start;          /* doubling until latency first rises */
	double hold_until;       /* no second decrease before this time */
	double overload_at;      /* the limit at the last overload cut */
	double grow_after;       /* no rise before this time */
	double latency_cut;      /* the mean that made the first of a series
	                            of latency cuts, 0 when answers came
	                            back within GROW_TOL */
	double cut_from;         /* the limit before that cut */
	int cut_slow_start;      /* and slow_start */
	double settle_at;        /* answers to the last change come from here */
	double win_start;        /* when the window opened */
	int fed;                 /* a batch has been fed */
	int prev_bound;          /* the window before this one was bound */
	struct limit_batch win;  /* the window being filled */
	size_t lo, hi;           /* range of the limit over the run */
	unsigned changes;
};

/* 0, or -1 when the mutex cannot be made. initial is clamped into
 * [floor, ceiling]; floor >= 1. */
int limit_init(struct limiter *l, const struct limit_opts *o);
void limit_destroy(struct limiter *l);

/* The options of -c auto: the start and floor below, `ceiling` (0: the
 * start), and the processors `threads` workers run on. */
struct limit_opts limit_auto(size_t ceiling, size_t threads);

/* The limit now (lock-free). */
size_t limit_get(struct limiter *l);

/* What one of `threads` workers may keep in flight of a limit `lim`: an
 * even split, but no less than LIMIT_SHARE_MIN (or the whole limit when
 * smaller), so that a small limit is driven by a few busy workers and the
 * rest sleep, rather than every worker waking for a handful. (A worker
 * has slots for the ceiling over the threads, and no more: admit.c.) */
#define LIMIT_SHARE_MIN 32
size_t limit_share(size_t lim, size_t threads);

/* Hand over a batch measured up to now_ms. Returns 1 when the limit
 * changed (then *ch says from what, to what and why; ch may be NULL). */
int limit_feed(struct limiter *l, double now_ms, const struct limit_batch *b,
	       struct limit_change *ch);

/* The range the limit took and the number of changes so far. */
void limit_range(struct limiter *l, size_t *lo, size_t *hi, size_t *now,
		 unsigned *changes);

const char *limit_why_str(enum limit_why w);   /* "grow", ... */

#endif
