/* watch.h — --watch: crawl every root once, then keep every root's counts
 * current from the API's change streams (maxitem.json for new items,
 * updates.json for changed ones, the story lists for roots that come and
 * go) until a signal or the deadline, through the crawl's worker pool.
 *
 * Threads: watch_new/run/free on main; watch_run starts the pool (a
 * persistent crawl on a thread of its own) and runs the watch's loop on
 * main. watch_cancel from any thread (the signal thread). */
#ifndef HNBATCH_WATCH_H
#define HNBATCH_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "cli.h"
#include "fetch.h"
#include "state.h"

struct watch_opts {
	const struct config *cfg;   /* api, thresholds, output, lists ... */
	struct fetch_opts fetch;
	size_t concurrency;         /* -c, fitted to the open files limit */
	const uint64_t *roots;      /* from files, --id, --url: never leave */
	size_t nroots;
	struct alerts *alerts;      /* NULL: no alerts */
	struct state *state;        /* NULL: none */
	double deadline_ms;         /* clock_now_ms() time; 0: none */
};

struct watch;

/* NULL on out of memory. */
struct watch *watch_new(const struct watch_opts *o);
void watch_free(struct watch *w);

/* Run until watch_cancel or the deadline; the final records are written
 * before it returns. Returns the exit status (0, or 1 when a root is not
 * complete, a stream could never be had, or a write failed). */
int watch_run(struct watch *w);

/* Any thread: stop the watch (signo: the signal, 0 for none). */
void watch_cancel(struct watch *w, int signo);

#endif
