/* crawl.h — the crawl: a fixed pool of worker threads that fetch every item
 * of every root's comment tree and count it.
 *
 * Threads: crawl_run() is called by one thread (main), which starts the
 * workers, waits for the end (all roots done, a budget hit, or a cancel) and
 * joins them all before it returns. crawl_cancel() and crawl_stats() may
 * be called from any thread while crawl_run() runs. The on_root and
 * on_subthread callbacks run on a worker thread, the moment a root or a hot
 * subthread completes: they must not block. */
#ifndef HNBATCH_CRAWL_H
#define HNBATCH_CRAWL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "backoff.h"
#include "fetch.h"
#include "result.h"

struct item;

/* Why an item could not be had. */
enum fail_reason {
	FAIL_TIMEOUT = 0, FAIL_CONNECT, FAIL_NETWORK, FAIL_TOO_BIG, FAIL_HTTP,
	FAIL_JSON, FAIL_TYPE, FAIL_ID, FAIL_NOMEM, FAIL_UNFETCHED, FAIL_CAP,
	FAIL_NREASONS
};
const char *crawl_reason_str(enum fail_reason r);

enum crawl_stop {
	CRAWL_RUNNING = 0, CRAWL_DONE, CRAWL_DEADLINE, CRAWL_MAX_FETCHES,
	CRAWL_FAIL_FAST, CRAWL_SIGINT, CRAWL_SIGTERM, CRAWL_ERROR,
};

/* A hot subthread: a comment (depth >= 1) whose subtree is accounted for,
 * with more than subthread_threshold live comments below it. */
struct subthread {
	uint64_t id;                /* the comment */
	uint64_t root_id;
	const char *root_title;     /* cleaned, or NULL; valid in the call */
	uint64_t comments;          /* live comments strictly below it */
	uint32_t depth;             /* of the comment below the root */
	bool lower_bound;           /* an item below failed: comments is a
	                               lower bound */
};

/* The answer to a crawl_fetch(), valid during the on_fetched call. */
struct fetched {
	uint64_t id;
	uint32_t tag;               /* as given to crawl_fetch */
	int failed;                 /* 1: could not be had (after retries) */
	enum fail_reason reason;    /* failed: why */
	int is_null;                /* the API answered null */
	const struct item *item;    /* neither: the parsed item */
};

struct crawl_opts {
	const char *api;            /* base URL, no trailing slash */
	size_t threads;             /* workers (>= 1) */
	size_t concurrency;         /* requests in flight, all workers;
	                               0: auto, found while crawling */
	size_t max_concurrency;     /* auto's ceiling */
	struct fetch_opts fetch;
	unsigned retries;           /* extra attempts for transient failures */
	struct backoff backoff;     /* retry waits; base_ms 0: backoff_fetch */
	uint64_t max_fetches;       /* 0: no cap */
	double deadline_ms;         /* monotonic clock_now_ms() time; 0: none */
	int fail_fast;
	uint64_t max_root_items;    /* items claimed per root; 0: no cap */
	uint64_t max_items;         /* items claimed in the run; 0: no cap */
	int64_t subthread_threshold; /* < 0: no on_subthread calls */
	void (*on_root)(const struct root_result *r, void *arg);
	void (*on_subthread)(const struct subthread *s, void *arg);
	void *on_root_arg;          /* for both callbacks */
	int persistent;             /* 1: crawl_run goes on, every root done
	                               or none, until crawl_cancel (or the
	                               deadline): the pool of --watch */
	void (*on_fetched)(const struct fetched *f, void *arg);
	void *on_fetched_arg;
};

struct crawl_stats {
	uint64_t roots, roots_done, items, fetches, failed, inflight;
	uint64_t by_reason[FAIL_NREASONS];
	double ms;
};

struct crawl;

/* A crawl of n distinct roots. NULL on out of memory. */
struct crawl *crawl_new(const struct crawl_opts *o, const uint64_t *roots,
			size_t n);
void crawl_free(struct crawl *c);

/* Run to the end. Returns why it ended (CRAWL_DONE when every root
 * completed); CRAWL_ERROR when threads could not be started. */
enum crawl_stop crawl_run(struct crawl *c);

/* From any thread (a signal thread, the alert thread): stop starting
 * requests, abandon the ones in flight, and make crawl_run() return. The
 * first reason given wins. */
void crawl_cancel(struct crawl *c, enum crawl_stop why);

/* Any thread, while crawl_run runs: fetch item id (with the usual retries)
 * through the pool, and hand its answer to on_fetched with tag, on a
 * worker thread; nothing is counted. Returns 0, or -1 when the crawl has
 * stopped or memory ran out (on_fetched is not called then). */
int crawl_fetch(struct crawl *c, uint64_t id, uint32_t tag);

/* After crawl_run: the results in root order (owned by the crawl). */
struct root_result *crawl_results(struct crawl *c, size_t *n);

/* The summary line on stderr: "R roots, I items, F fetches, S s, N items/s"
 * and ", K failed (reason: n, ...)" when anything failed; "iteration K: "
 * first when iteration >= 0. */
void crawl_log_summary(struct crawl *c, long iteration);

/* Counters, during or after the run. */
void crawl_stats(struct crawl *c, struct crawl_stats *s);

#endif
