/* lists.h — the API's story lists (--top N, --new N, ...): every list of an
 * iteration fetched at once on one fetcher, retried with the fetch backoff,
 * and stopped at once by a signal (lists_cancel) or the deadline.
 *
 * Threads: lists_new/add/run/ids/free on one thread (main); lists_cancel
 * from any thread (the signal thread) while lists_run runs. */
#ifndef HNBATCH_LISTS_H
#define HNBATCH_LISTS_H

#include <stddef.h>
#include <stdint.h>

#include "fetch.h"

struct lists_opts {
	const char *api;            /* base URL, no trailing slash */
	struct fetch_opts fetch;
	unsigned retries;           /* extra attempts of a transient failure */
	double deadline_ms;         /* clock_now_ms() time; 0: none */
};

struct lists;

/* NULL on out of memory. */
struct lists *lists_new(const struct lists_opts *o);
void lists_free(struct lists *l);

/* Ask for the first `max` ids of NAME.json ("topstories"). Returns the
 * list's index, or -1 on out of memory. */
int lists_add(struct lists *l, const char *name, size_t max);

/* Fetch every list added. Each one that cannot be had is logged (its URL
 * and why). Returns 0 when all were had, -1 otherwise. */
int lists_run(struct lists *l);

/* Any thread: stop lists_run now (what is not had yet fails). */
void lists_cancel(struct lists *l);

/* The ids of list i after lists_run, or NULL when it failed. */
const uint64_t *lists_ids(const struct lists *l, size_t i, size_t *n);

#endif
