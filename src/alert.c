/* alert.c — the alert queue, the scheduler of deliveries and its retries,
 * and the alert thread's life (see alert.h).
 *
 * Threads: crawl workers (through alert_on_root) and main call
 * alert_raise(): it builds one delivery per destination and, with `mu`
 * held, appends them to `q` and wakes the alert thread (an eventfd write);
 * that is all a worker ever waits for. `mu` guards q/qtail, the stop
 * request and the counters raised, oom, queued and journaled. The rest
 * (the loop, lost, the destinations, delivered) is the alert thread's own
 * until main joins it; main reads lost and delivered only after that.
 *
 * Scheduler (alert_main), one turn in named steps: take_queue (journaling
 * the new deliveries to the spool first), kill_overdue, start_due (while
 * fewer than --alert-parallel run), wait_ms + alert_dests_wait (ONE wait:
 * curl's sockets, the commands' pidfds and stdin pipes, the wakeup),
 * alert_dests_collect (command events, webhook answers: ended), and
 * compact; once stopping and nothing more can be done by the deadline,
 * give_up. How an attempt is made is alert_dest.c's; this file decides
 * when. A failed attempt is due again after backoff_delay(&backoff_alert,
 * attempt) until 1 + retries were made; then it is lost.
 *
 * Spool (alert_spool.c): its lines for this run's destinations are queued
 * at start, before the thread exists, so they go out first. New deliveries
 * are journaled before they are attempted (a run killed before
 * alert_finish leaves them to the next one: at least once, never lost;
 * alert_sync() lets main save --state only after that), and once
 * deliveries were made the thread rewrites the spool without them (when
 * idle, at most once a second while busy), so a long --period run keeps
 * only what is not delivered yet.
 *
 * Shutdown: alert_finish() sets the stop request and its deadline under
 * `mu` and joins the thread (never pthread_cancel). The thread goes on
 * until nothing is pending or running, the deadline passed, or every retry
 * left is due after it; give_up kills and reaps the commands still running
 * and abandons webhook requests (all lost), then spawn_sweep kills and
 * reaps what commands left running (background children, setsid escapees
 * adopted as a child subreaper). Main names each lost delivery on stderr
 * and saves the spool with them.
 */
#include "alert.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_dest.h"
#include "alert_int.h"
#include "alert_spool.h"
#include "backoff.h"
#include "clock.h"
#include "log.h"
#include "spawn.h"

static const char *const dest_name[] = { "--alert-cmd", "--webhook" };

/* ---- the alert thread's lists ------------------------------------------- */

struct loop {
	struct delivery *pending, **ptail;  /* FIFO */
	struct delivery *running;           /* unordered */
	size_t nrun;
	bool stopping;                      /* alert_finish asked */
	double deadline;                    /* then: give up at this time */
	uint64_t compacted;                 /* `delivered` at the last save */
	double compact_ms;                  /* and when */
	bool compact_failed;                /* logged once */
	struct alerts *a;
};

void alert_push(struct delivery ***tail, struct delivery *d)
{
	d->next = NULL;
	**tail = d;
	*tail = &d->next;
}

static void unlink_running(struct loop *l, struct delivery *d)
{
	for (struct delivery **p = &l->running; *p; p = &(*p)->next) {
		if (*p == d) {
			*p = d->next;
			l->nrun--;
			return;
		}
	}
}

/* An attempt of d ended (d is in no list). ok: delivered. */
static void attempt_done(struct alerts *a, struct loop *l, struct delivery *d,
			 int ok)
{
	if (ok) {
		a->delivered++;
		log_debug("alert %llu delivered to %s (attempt %u)",
			  (unsigned long long)d->al.info.id, dest_name[d->dest],
			  d->rt.attempts);
		alert_delivery_free(d);
		return;
	}
	if (d->rt.attempts <= a->o.retries) {
		double delay = backoff_delay(&backoff_alert,
					     d->rt.attempts - 1, -1, NULL);
		d->rt.not_before = clock_now_ms() + delay;
		log_info("alert %llu: %s failed (%s); retry %u of %u in %.1fs",
			 (unsigned long long)d->al.info.id, dest_name[d->dest],
			 d->rt.reason, d->rt.attempts, a->o.retries,
			 delay / 1000);
		alert_push(&l->ptail, d);
		return;
	}
	alert_push(&a->losttail, d);
}

/* Start one attempt of d (taken off pending). */
static void start(struct alerts *a, struct loop *l, struct delivery *d)
{
	d->rt.attempts++;
	if (alert_dest_start(&a->x, d) != 0) {
		attempt_done(a, l, d, 0);
		return;
	}
	d->next = l->running;
	l->running = d;
	l->nrun++;
}

/* alert_dests_collect's callback: an attempt of d (running) ended. */
static void ended(struct delivery *d, int ok, void *arg)
{
	struct loop *l = arg;
	unlink_running(l, d);
	attempt_done(l->a, l, d, ok);
}

/* ---- the journal -------------------------------------------------------- */

/* Append the new deliveries of q (not the spooled ones) to the spool in one
 * append, before any of them is attempted: a run that dies without reaching
 * alert_finish (SIGKILL, a crash, a power cut after the page cache was
 * written) leaves them for the next run, which delivers them again if they
 * had been made (at least once, never lost). On a clean finish the spool is
 * rewritten and the delivered ones go. */
static void journal(struct alerts *a, const struct delivery *q)
{
	int e = 0;
	uint64_t n = alert_spool_journal(a->spool, q, &e);
	if (e && !a->journal_failed) {
		a->journal_failed = true;
		log_error("%s: cannot record raised alerts: %s; they are "
			  "spooled only if hnbatch ends normally",
			  alert_spool_path(a->spool), strerror(e));
	}
	if (n == 0)
		return;
	pthread_mutex_lock(&a->mu);
	a->journaled += n;
	pthread_cond_broadcast(&a->journal_cv);
	pthread_mutex_unlock(&a->mu);
}

/* Deliveries were made since the spool was last written: rewrite it
 * without them, when the thread is idle or at most once a second, so a
 * long --period run killed at any time leaves only what is not delivered
 * (the journal would otherwise hold every alert of the run's life). */
static void compact(struct alerts *a, struct loop *l, double now)
{
	if (!a->spool || a->delivered == l->compacted ||
	    ((l->pending || l->running) && now - l->compact_ms < 1000))
		return;
	char err[512];
	const struct delivery *held[] = { l->pending, l->running };
	l->compacted = a->delivered;
	l->compact_ms = now;
	if (alert_spool_save(a->spool, held, 2, a->lost, err,
			     sizeof err) == 0 || l->compact_failed)
		return;
	l->compact_failed = true;
	log_error("%s; delivered alerts stay in the spool until hnbatch ends",
		  err);
}

/* ---- the alert thread, step by step ------------------------------------ */

/* Take what alert_raise queued (journaling it first), and the stop
 * request. */
static void take_queue(struct alerts *a, struct loop *l)
{
	pthread_mutex_lock(&a->mu);
	struct delivery *q = a->q;
	a->q = NULL;
	a->qtail = &a->q;
	if (a->stop && !l->stopping) {
		l->stopping = true;
		l->deadline = a->stop_deadline;
	}
	pthread_mutex_unlock(&a->mu);
	journal(a, q);
	while (q) {
		struct delivery *next = q->next;
		alert_push(&l->ptail, q);
		q = next;
	}
}

/* Stopping, and nothing more can be done by the deadline. */
static bool finished(const struct loop *l, double now)
{
	if (!l->stopping)
		return false;
	if ((!l->pending && !l->running) || now >= l->deadline)
		return true;
	if (l->running)
		return false;
	for (const struct delivery *d = l->pending; d; d = d->next)
		if (d->rt.not_before < l->deadline)
			return false;
	return true; /* every retry left is due too late */
}

/* Commands over their time: kill the group; they are reaped as usual. */
static void kill_overdue(struct alerts *a, struct loop *l, double now)
{
	for (struct delivery *d = l->running; d; d = d->next)
		alert_dest_check(&a->x, d, now);
}

/* Start what is due while there is room. */
static void start_due(struct alerts *a, struct loop *l, double now)
{
	for (struct delivery **p = &l->pending;
	     *p && l->nrun < a->o.parallel;) {
		struct delivery *d = *p;
		if (d->rt.not_before > now) {
			p = &d->next;
			continue;
		}
		*p = d->next;
		if (!*p)
			l->ptail = p;
		start(a, l, d); /* may append to pending on failure */
		if (!*p)
			l->ptail = p;
	}
}

/* How long the loop may wait (ms): until the next retry is due, a command
 * must be looked at, or the deadline; at most 1 s. */
static double wait_ms(struct alerts *a, const struct loop *l, double now)
{
	double tmo = 1000;
	for (const struct delivery *d = l->pending;
	     d && l->nrun < a->o.parallel; d = d->next)
		if (d->rt.not_before - now < tmo)
			tmo = d->rt.not_before - now;
	for (struct delivery *d = l->running; d; d = d->next) {
		double t = alert_dest_check(&a->x, d, now);
		if (t < tmo)
			tmo = t;
	}
	if (l->stopping && l->deadline - now < tmo)
		tmo = l->deadline - now;
	return tmo < 0 ? 0 : tmo;
}

/* The end: kill and reap the commands still running, abandon webhook
 * requests; everything left is lost. */
static void give_up(struct alerts *a, struct loop *l)
{
	while (l->running) {
		struct delivery *d = l->running;
		l->running = d->next;
		alert_dest_abandon(&a->x, d);
		alert_push(&a->losttail, d);
	}
	while (l->pending) {
		struct delivery *d = l->pending;
		l->pending = d->next;
		if (d->rt.attempts) {
			size_t len = strlen(d->rt.reason);
			snprintf(d->rt.reason + len, sizeof d->rt.reason - len,
				 "; no time left to retry");
		} else {
			snprintf(d->rt.reason, sizeof d->rt.reason,
				 "not started by exit (--alert-timeout %gs)",
				 a->o.timeout_s);
		}
		alert_push(&a->losttail, d);
	}
}

static void *alert_main(void *arg)
{
	struct alerts *a = arg;
	struct loop l = { .ptail = &l.pending, .a = a };
	sigset_t pipe_set; /* SIGPIPE on a closed stdin pipe must not kill us */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);

	for (;;) {
		take_queue(a, &l);
		double now = clock_now_ms();
		if (finished(&l, now))
			break;
		kill_overdue(a, &l, now);
		start_due(a, &l, now);
		alert_dests_wait(&a->x, wait_ms(a, &l, now));
		alert_dests_collect(&a->x, &l.running, ended, &l);
		spawn_reap_orphans();
		compact(a, &l, clock_now_ms());
	}
	give_up(a, &l);
	spawn_sweep(2000); /* what commands left running goes with us */
	return NULL;
}

/* ---- start, finish, free ---------------------------------------------- */

/* alert_spool_open's callback: queue a spooled alert whose destination is
 * given in this run (no thread yet: no lock needed), and claim it in the
 * state: a run killed after delivering it but before saving its state
 * left it spooled and unrecorded, and this run's crawl must not raise it
 * a third time (README: at least once, possibly twice). */
static int take_spooled(const struct alert_rec *r, void *arg)
{
	struct alerts *a = arg;
	if ((r->dest == ALERT_DEST_CMD && !a->o.cmd) ||
	    (r->dest == ALERT_DEST_WEBHOOK && !a->o.webhook))
		return 0;
	struct delivery *d = alert_delivery_new(&r->info, r->dest);
	if (!d || (a->o.state &&
		   state_claim_alert(a->o.state, r->info.id) < 0)) {
		alert_delivery_free(d);
		return -1;
	}
	d->from_spool = true;
	alert_push(&a->qtail, d);
	return 1;
}

struct alerts *alert_start(const struct alert_opts *o, char *err,
			   size_t errlen)
{
	struct alerts *a = calloc(1, sizeof *a);
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->o = *o;
	if (a->o.parallel == 0)
		a->o.parallel = 1;
	a->x.epfd = -1;
	a->qtail = &a->q;
	a->losttail = &a->lost;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->journal_cv, NULL);
	if (alert_dests_init(&a->x, &a->o) != 0)
		goto nomem;
	if (a->o.spool && !(a->spool = alert_spool_open(a->o.spool,
							take_spooled, a, err,
							errlen)))
		goto fail;
	/* The destinations (fetcher, epoll set) and the journal are used only
	 * by the alert thread from now on (pthread_create orders the
	 * hand-over); main takes them back after pthread_join. */
	if (pthread_create(&a->th, NULL, alert_main, a) != 0) {
		snprintf(err, errlen, "cannot start the alert thread");
		goto fail;
	}
	a->started = true;
	return a;
nomem:
	snprintf(err, errlen, "cannot set up alerts: out of memory");
fail:
	alert_free(a);
	return NULL;
}

/* Rewrite the spool with what was not delivered. true when it is there. */
static bool spool_lost(struct alerts *a)
{
	char err[512];
	if (alert_spool_save(a->spool, NULL, 0, a->lost, err,
			     sizeof err) != 0) {
		log_error("%s", err);
		return false;
	}
	return true;
}

int alert_finish(struct alerts *a, double timeout_s)
{
	if (!a->started)
		return -1;
	pthread_mutex_lock(&a->mu);
	a->stop = true;
	a->stop_deadline = clock_now_ms() + timeout_s * 1000;
	uint64_t raised = a->raised, oom = a->oom, queued = a->queued;
	pthread_mutex_unlock(&a->mu);
	alert_dests_wakeup(&a->x);
	pthread_join(a->th, NULL);
	a->started = false;

	for (struct delivery *d = a->lost; d; d = d->next)
		a->failed++;
	bool spooled = false;
	size_t loaded = a->spool ? alert_spool_loaded(a->spool) : 0;
	if (a->spool && (loaded || a->lost || queued)) {
		spooled = spool_lost(a);
		if (spooled)
			a->spooled = a->failed;
	}
	for (struct delivery *d = a->lost; d; d = d->next) {
		log_error("alert %llu (%llu comments%s) not delivered to %s: "
			  "%s%s%s", (unsigned long long)d->al.info.id,
			  (unsigned long long)d->al.info.comments,
			  d->from_spool ? ", from the spool" : "",
			  dest_name[d->dest], d->rt.reason,
			  spooled ? "; kept in " : "",
			  spooled ? a->o.spool : "");
		if (!spooled && a->o.state)
			state_unclaim_alert(a->o.state, d->al.info.id);
	}
	if (raised || loaded)
		log_info("alerts: %llu raised, %llu deliveries made, %llu not "
			 "made%s%s%s", (unsigned long long)raised,
			 (unsigned long long)a->delivered,
			 (unsigned long long)(a->failed + oom),
			 a->spooled ? ", spooled to " : "",
			 a->spooled ? a->o.spool : "",
			 a->journal_failed ? "; the spool's journal failed"
					   : "");
	return a->failed || oom || a->journal_failed ? -1 : 0;
}

void alert_sync(struct alerts *a)
{
	if (!a || !a->spool || !a->started)
		return;
	pthread_mutex_lock(&a->mu);
	while (a->journaled < a->queued)
		pthread_cond_wait(&a->journal_cv, &a->mu);
	pthread_mutex_unlock(&a->mu);
}

void alert_get_stats(struct alerts *a, struct alert_stats *st)
{
	pthread_mutex_lock(&a->mu);
	st->raised = a->raised;
	pthread_mutex_unlock(&a->mu);
	st->delivered = a->delivered;
	st->failed = a->failed;
	st->spooled = a->spooled;
}

void alert_free(struct alerts *a)
{
	if (!a)
		return;
	if (a->started)
		alert_finish(a, 0);
	while (a->q) {
		struct delivery *d = a->q;
		a->q = d->next;
		alert_delivery_free(d);
	}
	while (a->lost) {
		struct delivery *d = a->lost;
		a->lost = d->next;
		alert_delivery_free(d);
	}
	alert_dests_free(&a->x);
	alert_spool_close(a->spool);
	pthread_cond_destroy(&a->journal_cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
