/* progress.h — the progress line on stderr while a crawl runs: roots done of
 * total, items fetched, items/s, requests in flight, failures so far; redrawn
 * at most 10 times a second by its own thread and cleared at the end. */
#ifndef HNBATCH_PROGRESS_H
#define HNBATCH_PROGRESS_H

struct crawl;
struct progress;

/* Start drawing for crawl c. Returns NULL when it could not start (the run
 * goes on without progress). */
struct progress *progress_start(struct crawl *c);

/* Stop, clear the line, join the thread. NULL is fine. */
void progress_stop(struct progress *p);

#endif
