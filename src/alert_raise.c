/* alert_raise.c — raising alerts: the crawl's callbacks decide what is
 * alerted (a root over --threshold, a comment over --subthread-threshold,
 * once per item with a state), and alert_raise() logs the alert and puts
 * one delivery per destination on the queue for the alert thread.
 *
 * Threads: any (crawl workers, the watch, main), between alert_start and
 * alert_finish; the queue is appended to under the struct's mutex and the
 * thread woken, nothing more: no caller ever waits for a delivery. */
#include <stdlib.h>

#include "alert_int.h"
#include "log.h"

/* ---- raising ------------------------------------------------------------ */

static void log_alert(const struct alerts *a, const struct alert_info *ai)
{
	const char *t = ai->title && *ai->title ? ai->title : "(no title)";
	if (ai->kind == ALERT_SUBTHREAD)
		log_info("alert: comment %llu in %llu has %llu comments below "
			 "it (depth %u, subthread threshold %lld): %s",
			 (unsigned long long)ai->id,
			 (unsigned long long)ai->root,
			 (unsigned long long)ai->comments, (unsigned)ai->depth,
			 (long long)a->o.subthread_threshold, t);
	else
		log_info("alert: %llu has %llu comments (threshold %lld): %s",
			 (unsigned long long)ai->id,
			 (unsigned long long)ai->comments,
			 (long long)a->o.threshold, t);
}

void alert_raise(struct alerts *a, const struct alert_info *ai)
{
	log_alert(a, ai);
	struct delivery *ds[2] = { NULL, NULL };
	size_t n = 0;
	bool oom = false;
	if (a->o.cmd && !(ds[n++] = alert_delivery_new(ai, ALERT_DEST_CMD)))
		oom = true;
	if (a->o.webhook &&
	    !(ds[n++] = alert_delivery_new(ai, ALERT_DEST_WEBHOOK)))
		oom = true;
	if (oom) {
		log_error("alert %llu: out of memory; not delivered",
			  (unsigned long long)ai->id);
		alert_delivery_free(ds[0]);
		alert_delivery_free(ds[1]);
		n = 0;
	}
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < n; i++)
		alert_push(&a->qtail, ds[i]);
	a->raised++;
	a->oom += oom;
	a->queued += n;
	pthread_mutex_unlock(&a->mu);
	if (n)
		alert_dests_wakeup(&a->x);
}

void alert_on_root(const struct root_result *r, void *arg)
{
	struct alerts *a = arg;
	if (a->o.threshold < 0 || r->comments <= (uint64_t)a->o.threshold)
		return;
	if (a->o.state && state_claim_alert(a->o.state, r->id) == 0)
		return; /* alerted by an earlier run or iteration */
	struct alert_info ai = { .kind = ALERT_STORY, .id = r->id,
				 .root = r->id, .comments = r->comments,
				 .title = r->title };
	alert_raise(a, &ai);
}

void alert_on_subthread(const struct subthread *s, void *arg)
{
	struct alerts *a = arg;
	if (a->o.subthread_threshold < 0 ||
	    s->comments <= (uint64_t)a->o.subthread_threshold)
		return;
	if (a->o.state && state_claim_alert(a->o.state, s->id) == 0)
		return; /* this comment alerted before */
	struct alert_info ai = { .kind = ALERT_SUBTHREAD, .id = s->id,
				 .root = s->root_id, .comments = s->comments,
				 .depth = s->depth, .title = s->root_title };
	alert_raise(a, &ai);
}

