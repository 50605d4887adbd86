/* state.h — what hnbatch remembers about roots across runs (--state FILE)
 * and across the iterations of one periodic run: per root id, the last
 * `comments` counted, whether an alert was raised for it, and the day it
 * was last seen (roots not seen for --state-keep days are forgotten).
 *
 * Threads: every function may be called from any thread; one mutex inside
 * guards the table (crawl workers claim alerts through state_claim_alert()
 * while the crawl runs; main does everything else between crawls).
 *
 * Locking across processes: state_open() takes an exclusive flock(2) on
 * FILE.lock and holds it until state_free(). A second run on the same FILE
 * does not wait: state_open() fails at once with a message naming the lock,
 * so overlapping cron runs never interleave their read-modify-write. */
#ifndef HNBATCH_STATE_H
#define HNBATCH_STATE_H

#include <stddef.h>
#include <stdint.h>
#include "result.h"

struct state;

/* An empty in-memory state, never saved (periodic mode without --state).
 * NULL on out of memory. */
struct state *state_new(void);

/* Lock FILE.lock and load FILE (a missing FILE is an empty state; an empty,
 * truncated, non-JSON or wrong-shape FILE is an error, never replaced).
 * A root not seen (recorded by state_record, or claimed) for more than
 * keep_days days is dropped, when FILE is loaded and at each state_save;
 * keep_days 0 keeps them all. Memory is the table's: about 32 bytes a root
 * (FILE is read a buffer at a time, never held whole). Returns the state
 * (caller frees with state_free), or NULL with a message naming the file in
 * err. */
struct state *state_open(const char *path, unsigned keep_days, char *err,
			 size_t errlen);

/* Release the lock (if any) and free everything. NULL is fine. */
void state_free(struct state *s);

/* Any thread: returns 1 when root `id` has never been alerted and marks it
 * alerted now (the caller raises the alert); 0 when it already was; -1 on
 * out of memory (the caller should raise the alert anyway). */
int state_claim_alert(struct state *s, uint64_t id);

/* Undo a claim: the alert was neither delivered nor spooled, so the next run
 * should raise it again. */
void state_unclaim_alert(struct state *s, uint64_t id);

/* Set has_previous/previous of each result from the remembered counts
 * (call before state_record for the same results). */
void state_fill_previous(struct state *s, struct root_result *r, size_t n);

/* Remember the counts of a crawl's results, each root seen today. A
 * complete root's count replaces the old one; a partial root's count (a
 * lower bound) only when it is higher; missing and interrupted roots keep
 * their old count (and get no entry when they have none). Returns 0, or -1
 * on out of memory. */
int state_record(struct state *s, const struct root_result *r, size_t n);

/* Drop the roots not seen for more than keep_days days as of Unix day
 * `day` (days since 1970-01-01 UTC); state_save does it with today. A root
 * seen after `day` is kept. Returns how many were dropped (0 when
 * keep_days is 0). */
size_t state_prune(struct state *s, uint32_t day);

/* Drop the roots past keeping, then write the state to its FILE
 * atomically (temporary file in the same directory, fsync, rename, fsync
 * of the directory), in the current format (statefile.h). A state made
 * with state_new() is not saved (returns 0). Returns 0, or -1 with a
 * message naming the file in err. */
int state_save(struct state *s, char *err, size_t errlen);

/* Entries held (for tests and debug logs). */
size_t state_count(struct state *s);

#endif
