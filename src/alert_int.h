/* alert_int.h — what alert.c (the queue, the thread, start and finish)
 * and alert_raise.c (what raises an alert, and the raising) share: the
 * struct behind struct alerts. Not for other modules. See alert.c for the
 * threads and what guards what. */
#ifndef HNBATCH_ALERT_INT_H
#define HNBATCH_ALERT_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "alert.h"
#include "alert_dest.h"
#include "alert_spool.h"

struct alerts {
	struct alert_opts o;
	pthread_t th;
	bool started;

	pthread_mutex_t mu;
	struct delivery *q, **qtail;     /* guarded by mu */
	bool stop;                       /* guarded by mu: alert_finish asked */
	double stop_deadline;            /* guarded by mu: and gave up then */
	uint64_t raised;                 /* guarded by mu */
	uint64_t oom;                    /* guarded by mu: alerts dropped */
	uint64_t queued;                 /* guarded by mu: deliveries raised */
	uint64_t journaled;              /* guarded by mu: of those, journaled
	                                    (or given up on) by the thread */
	pthread_cond_t journal_cv;       /* journaled grew */

	/* the alert thread's own until joined (main sets up and frees dests) */
	struct alert_dests x;
	bool journal_failed;
	struct delivery *lost, **losttail;
	uint64_t delivered;

	/* main only (the spool is the thread's to append to while it runs) */
	struct alert_spool *spool;       /* NULL without --alert-spool */
	uint64_t failed, spooled;
};

/* alert.c: append d to the list whose tail is *tail (the queue: mu
 * held). */
void alert_push(struct delivery ***tail, struct delivery *d);

#endif
