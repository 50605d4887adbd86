/* alert.h — fire-and-forget alerts that never slow the crawl and are never
 * lost without a trace.
 *
 * A root whose `comments` is over --threshold raises an alert the moment it
 * completes (alert_on_root, the crawl's on_root callback, on a worker
 * thread); a comment whose own count is over --subthread-threshold, the
 * moment its subtree is counted (alert_on_subthread), while the crawl goes
 * on. alert_raise() logs the alert and queues one delivery per
 * configured destination (--alert-cmd, --webhook); it never waits for a
 * delivery. One alert thread delivers up to --alert-parallel at once,
 * retrying failures with backoff. alert_finish() (main, after results are
 * written) waits for the queue to drain up to --alert-timeout; whatever is
 * left is named on stderr and appended to --alert-spool, which the next run
 * delivers first.
 *
 * Threads: alert_start/alert_finish/alert_free on main; alert_raise and
 * alert_on_root on any thread between alert_start and alert_finish. Start it
 * after sig_start() (so the alert thread inherits the blocked signals) and
 * after fetch_global_init(). */
#ifndef HNBATCH_ALERT_H
#define HNBATCH_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include "crawl.h"
#include "fetch.h"
#include "result.h"
#include "state.h"

/* What an alert says: a story over --threshold, or a comment (a subthread)
 * over --subthread-threshold. */
enum alert_kind { ALERT_STORY = 0, ALERT_SUBTHREAD };

struct alert_info {
	enum alert_kind kind;
	uint64_t id;              /* the story, or the comment */
	uint64_t root;            /* the story (id itself for a story) */
	uint64_t comments;        /* live comments below id */
	uint32_t depth;           /* of the comment below its story; 0: story */
	const char *title;        /* the story's, cleaned; NULL is "" */
};

struct alert_opts {
	int64_t threshold;        /* alert when comments > it; < 0: never */
	int64_t subthread_threshold; /* the same for comments; < 0: never */
	const char *cmd;          /* /bin/sh -c CMD per alert, or NULL */
	const char *webhook;      /* POST URL, or NULL */
	const char *spool;        /* --alert-spool FILE, or NULL */
	size_t parallel;          /* deliveries in progress at once (>= 1) */
	unsigned retries;         /* extra attempts of a failed delivery */
	double timeout_s;         /* --alert-timeout: the wait at exit, and the
	                             longest one command attempt may take */
	struct fetch_opts fetch;  /* for the webhook (timeout per POST) */
	struct state *state;      /* when not NULL: a root alerts only once */
};

struct alerts;

/* Lock and read the spool (SPOOL.lock is held until alert_free; a second run
 * on the same spool fails at once), queue the spooled alerts first and start
 * the alert thread. Returns NULL with a message naming the file in err (a
 * corrupt spool, a locked spool, out of memory): nothing should be fetched
 * then. */
struct alerts *alert_start(const struct alert_opts *o, char *err,
			   size_t errlen);

/* Any thread. Logs "alert: ID has N comments (threshold T): TITLE" (for a
 * subthread "alert: comment ID in ROOT has N comments below it (depth D,
 * subthread threshold T): TITLE") and queues the deliveries; ai and its
 * title are copied. Never blocks on a delivery: it takes a mutex for a
 * list append and wakes the alert thread. */
void alert_raise(struct alerts *a, const struct alert_info *ai);

/* struct crawl_opts.on_root callback (arg: struct alerts *): raises an alert
 * when r->comments is over the threshold and, with a state, the root was
 * never alerted before. */
void alert_on_root(const struct root_result *r, void *arg);

/* struct crawl_opts.on_subthread callback (arg: struct alerts *): raises a
 * subthread alert for the comment, once per comment with a state. */
void alert_on_subthread(const struct subthread *s, void *arg);

/* Main thread, once: queue the stop sentinel, let the alert thread deliver
 * what is queued for up to timeout_s seconds (then it kills commands still
 * running and abandons webhook requests), join it. Every delivery not made
 * is logged (id, destination, reason) and appended to the spool when there
 * is one; alerts neither delivered nor spooled are unclaimed in the state so
 * a later run raises them again. Returns 0 when every delivery was made, -1
 * otherwise (the run's exit status becomes 1). */
int alert_finish(struct alerts *a, double timeout_s);

/* Main thread, between alert_start and alert_finish: returns once every
 * alert raised so far has been written to the spool's journal (at once
 * without --alert-spool). Call it before saving a state that records those
 * alerts as made, so a run killed after the save still has them spooled. */
void alert_sync(struct alerts *a);

/* Counters, for logs and tests (valid after alert_finish). */
struct alert_stats {
	uint64_t raised;          /* alerts raised this run */
	uint64_t delivered;       /* deliveries made (spooled ones included) */
	uint64_t failed;          /* deliveries not made */
	uint64_t spooled;         /* of those, written to the spool */
};
void alert_get_stats(struct alerts *a, struct alert_stats *st);

/* Release the spool lock and free everything. NULL is fine. */
void alert_free(struct alerts *a);

#endif
