/* run.c — one run: read inputs, resolve roots, crawl once or periodically,
 * write results, print the summary and choose the exit status.
 *
 * Threads: run_main() runs on the main thread. The signal thread calls
 * on_signal(), which cancels the current crawl; `mu` guards `cur` and
 * `signo`, and main clears `cur` under `mu` before freeing the crawl, so a
 * signal never touches a freed crawl. `cv` wakes main from the sleep between
 * periodic iterations.
 *
 * Alerts and --state: opened before anything is fetched (a bad or locked
 * state or spool file is exit 2); workers raise alerts through the crawl's
 * on_root callback (alert_on_root); `previous` is filled in and the state
 * saved after each crawl; alert_finish() runs once, after the results and
 * the summary are out (also after a signal), bounded by --alert-timeout. */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "clock.h"
#include "crawl.h"
#include "fetch.h"
#include "fdlimit.h"
#include "fileutil.h"
#include "lists.h"
#include "log.h"
#include "output.h"
#include "progress.h"
#include "roots.h"
#include "sig.h"
#include "spawn.h"
#include "state.h"
#include "watch.h"

struct run {
	const struct config *cfg;
	struct roots roots;       /* from the command line */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct crawl *cur;        /* guarded by mu */
	struct lists *lists;      /* guarded by mu: lists being fetched */
	struct watch *watch;      /* guarded by mu: --watch running */
	size_t concurrency;       /* -c (or auto's ceiling), fitted to the
	                             open files limit */
	int signo;                /* guarded by mu: first signal, 0 = none */
	struct state *state;      /* --state FILE, or in memory with --period
	                             and --threshold; NULL otherwise. Workers
	                             use it through alert_on_root (its own
	                             lock); main between crawls */
	struct alerts *alerts;    /* with --threshold; NULL otherwise */
	char *state_path;         /* --state, symlinks followed (malloc'd) */
	char *spool_path;         /* --alert-spool, likewise */
};

static void on_signal(int signo, int force, void *arg)
{
	struct run *r = arg;
	if (force) {
		static const char msg[] =
			"hnbatch: second signal: exiting now\n";
		spawn_kill_all(); /* alert commands and their groups first */
		ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
		(void)ignored;
		fileutil_remove_temps();
		_exit(128 + signo);
	}
	log_error("%s: stopping; results so far are written "
		  "(again to exit at once)",
		  signo == SIGINT ? "SIGINT" : "SIGTERM");
	pthread_mutex_lock(&r->mu);
	r->signo = signo;
	if (r->cur)
		crawl_cancel(r->cur, signo == SIGINT ? CRAWL_SIGINT
						     : CRAWL_SIGTERM);
	if (r->lists)
		lists_cancel(r->lists);
	if (r->watch)
		watch_cancel(r->watch, signo);
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static int signalled(struct run *r)
{
	pthread_mutex_lock(&r->mu);
	int s = r->signo;
	pthread_mutex_unlock(&r->mu);
	return s;
}

static struct fetch_opts fetch_opts_of(const struct config *cfg)
{
	return (struct fetch_opts){
		.timeout_ms = (long)ceil(cfg->timeout_s * 1000),
		.connect_timeout_ms = (long)ceil(cfg->connect_timeout_s * 1000),
		.max_body = cfg->max_body,
		.cacert = cfg->cacert,
	};
}

/* Sleep until monotonic time `until_ms` or a signal (which wakes `cv`).
 * Returns the signal number, or 0 when the time came. */
static int sleep_until(struct run *r, double until_ms)
{
	double left;
	pthread_mutex_lock(&r->mu);
	while (!r->signo && (left = until_ms - clock_now_ms()) > 0)
		clock_cond_wait_ms(&r->cv, &r->mu, left);
	int signo = r->signo;
	pthread_mutex_unlock(&r->mu);
	return signo;
}

/* Fetch every list source at once (a signal cancels them through r->lists).
 * Returns the lists (lists_ids(l, k) is the k-th SRC_LIST source's), or
 * NULL when there are none or memory ran out (*rc = -1 then). */
static struct lists *fetch_lists(struct run *r, double deadline_ms, int *rc)
{
	const struct config *cfg = r->cfg;
	struct lists_opts lo = { .api = cfg->api, .fetch = fetch_opts_of(cfg),
				 .retries = cfg->retries,
				 .deadline_ms = deadline_ms };
	size_t nlists = 0;
	for (size_t i = 0; i < cfg->nsrc; i++)
		nlists += cfg->src[i].kind == SRC_LIST;
	if (nlists == 0)
		return NULL;
	struct lists *l = lists_new(&lo);
	for (size_t i = 0; l && i < cfg->nsrc; i++)
		if (cfg->src[i].kind == SRC_LIST &&
		    lists_add(l, cfg->src[i].arg, cfg->src[i].n) < 0) {
			lists_free(l);
			l = NULL;
		}
	if (!l) {
		log_error("out of memory");
		*rc = -1;
		return NULL;
	}
	pthread_mutex_lock(&r->mu);
	r->lists = l;
	if (r->signo)
		lists_cancel(l);
	pthread_mutex_unlock(&r->mu);
	if (lists_run(l) != 0)
		*rc = -1;
	pthread_mutex_lock(&r->mu);
	r->lists = NULL;
	pthread_mutex_unlock(&r->mu);
	return l;
}

/* The roots of one iteration, in input order. Returns 0, or -1 when a list
 * could not be had (the roots from the other sources are still there). */
static int resolve(struct run *r, struct u64set *roots, double deadline_ms)
{
	int rc = 0;
	struct lists *l = fetch_lists(r, deadline_ms, &rc);
	if (roots_merge(&r->roots, l, roots) != 0)
		rc = -1;
	lists_free(l);
	return rc;
}

/* -c fitted to the open files limit: besides the requests, per worker an
 * epoll fd and an eventfd, per alert delivery a socket or a pidfd and a
 * pipe, and the streams, lists, state, spool and logs. */
static size_t fit_fd_limit(const struct config *cfg)
{
	int alerts = cfg->threshold >= 0 || cfg->subthread_threshold >= 0;
	size_t reserve = 16 + 2 * cfg->threads + cfg->nsrc +
			 (alerts ? 3 * cfg->alert_parallel : 0);
	size_t want = cfg->concurrency ? cfg->concurrency
				       : cfg->max_concurrency;
	char what[48];
	snprintf(what, sizeof what, "%s %zu",
		 cfg->concurrency ? "-c" : "--max-concurrency", want);
	return fdlimit_fit(want, reserve, what);
}

/* Results to stdout (a table fitted to a terminal's width), or to -o
 * FILE (replaced atomically). 0, or -1 (logged). */
static int write_results(struct run *r, struct root_result *res, size_t n,
			 long iteration)
{
	const struct config *cfg = r->cfg;
	struct output_opts oo = {
		.format = cfg->format,
		.with_previous = cfg->state != NULL,
		.iteration = iteration,
		.header = 1,
	};
	return output_to(cfg->output, res, n, &oo);
}

/* --state: remember a crawl's counts (res may be NULL) and save the file. */
static int keep_state(struct run *r, const struct root_result *res, size_t n)
{
	char err[512] = "out of memory";
	if (!r->state)
		return 0;
	if ((res && state_record(r->state, res, n) != 0) ||
	    state_save(r->state, err, sizeof err) != 0) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

/* The files named on the command line, checked before anything is
 * fetched: -o may name a regular file (or a new path), a device, a FIFO or
 * a socket; --state and --alert-spool a regular file or a new path.
 * Symlinks are followed: state and spool are used through their targets
 * (the symlink stays). Returns 0, or -1 (message written; exit 2). */
static int check_files(struct run *r)
{
	const struct config *cfg = r->cfg;
	char err[512] = "";
	char *out = NULL;
	if ((cfg->output &&
	     fileutil_resolve(cfg->output, 1, &out, err, sizeof err) < 0) ||
	    (cfg->state && fileutil_resolve(cfg->state, 0, &r->state_path,
					    err, sizeof err) < 0) ||
	    (cfg->alert_spool && fileutil_resolve(cfg->alert_spool, 0,
						  &r->spool_path, err,
						  sizeof err) < 0)) {
		log_error("%s", err);
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

/* Open --state and start alerts, before anything is fetched. Returns 0, or
 * -1 (message written; exit 2). */
static int start_alerts(struct run *r)
{
	const struct config *cfg = r->cfg;
	char err[512] = "out of memory";
	if (check_files(r) != 0)
		return -1;
	int alerting = cfg->threshold >= 0 || cfg->subthread_threshold >= 0;
	if (cfg->state)
		r->state = state_open(r->state_path, cfg->state_keep, err,
				      sizeof err);
	else if (cfg->period_s > 0 && alerting)
		r->state = state_new(); /* once per item, all iterations */
	if (!r->state && (cfg->state || (cfg->period_s > 0 && alerting))) {
		log_error("%s", err);
		return -1;
	}
	if (!alerting)
		return 0;
	struct alert_opts ao = {
		.threshold = cfg->threshold,
		.subthread_threshold = cfg->subthread_threshold,
		.cmd = cfg->alert_cmd,
		.webhook = cfg->webhook,
		.spool = r->spool_path,
		.parallel = cfg->alert_parallel,
		.retries = cfg->alert_retries,
		.timeout_s = cfg->alert_timeout_s,
		.fetch = fetch_opts_of(cfg),
		.state = r->state,
	};
	r->alerts = alert_start(&ao, err, sizeof err);
	if (!r->alerts) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

/* One crawl over the roots of this iteration. Returns the exit status. */
static int iteration(struct run *r, long iter)
{
	const struct config *cfg = r->cfg;
	struct u64set roots;
	u64set_init(&roots);
	int status = 0;
	double deadline_ms = cfg->deadline_s > 0
		? clock_now_ms() + cfg->deadline_s * 1000 : 0;
	if (resolve(r, &roots, deadline_ms) != 0)
		status = EXIT_PARTIAL;

	struct crawl_opts co = {
		.api = cfg->api,
		.threads = cfg->threads,
		.concurrency = cfg->concurrency ? r->concurrency : 0,
		.max_concurrency = r->concurrency,
		.fetch = fetch_opts_of(cfg),
		.retries = cfg->retries,
		.max_fetches = cfg->max_fetches,
		.max_root_items = cfg->max_root_items,
		.max_items = cfg->max_items,
		.subthread_threshold = cfg->subthread_threshold,
		.deadline_ms = deadline_ms,
		.fail_fast = cfg->fail_fast,
		.on_root = r->alerts ? alert_on_root : NULL,
		.on_subthread = r->alerts ? alert_on_subthread : NULL,
		.on_root_arg = r->alerts,
	};
	struct crawl *c = crawl_new(&co, roots.ids, roots.n);
	if (!c) {
		log_error("out of memory");
		u64set_free(&roots);
		return EXIT_PARTIAL;
	}
	pthread_mutex_lock(&r->mu);
	r->cur = c;
	if (r->signo)
		crawl_cancel(c, r->signo == SIGINT ? CRAWL_SIGINT
						   : CRAWL_SIGTERM);
	pthread_mutex_unlock(&r->mu);

	struct progress *prog = NULL;
	if (cfg->progress == 1 ||
	    (cfg->progress < 0 && cfg->verbosity > 0 && isatty(STDERR_FILENO)))
		prog = progress_start(c);
	enum crawl_stop why = crawl_run(c);
	progress_stop(prog);

	pthread_mutex_lock(&r->mu);
	r->cur = NULL;
	pthread_mutex_unlock(&r->mu);

	size_t n;
	struct root_result *res = crawl_results(c, &n);
	if (r->state)
		state_fill_previous(r->state, res, n);
	if (write_results(r, res, n, cfg->period_s > 0 ? iter : -1) != 0)
		status = EXIT_PARTIAL;
	crawl_log_summary(c, cfg->period_s > 0 ? iter : -1);
	alert_sync(r->alerts); /* raised alerts spooled before the state
	                          says they were made */
	if (keep_state(r, res, n) != 0)
		status = EXIT_PARTIAL;
	for (size_t i = 0; i < n; i++)
		if (res[i].status != ROOT_COMPLETE)
			status = EXIT_PARTIAL;
	if (why == CRAWL_ERROR)
		status = EXIT_PARTIAL;
	crawl_free(c);
	u64set_free(&roots);
	return status;
}

static int periodic(struct run *r)
{
	const struct config *cfg = r->cfg;
	double period = cfg->period_s * 1000.0;
	double t0 = clock_now_ms();
	int status = 0;
	long slot = 0;
	for (long iter = 0; !signalled(r); iter++) {
		double start = clock_now_ms();
		log_info("iteration %ld: starts (slot %ld, %+.0f ms from its "
			 "time)", iter, slot,
			 start - (t0 + (double)slot * period));
		int st = iteration(r, iter);
		if (st > status)
			status = st;
		if (signalled(r))
			break;
		double now = clock_now_ms();
		long next = (long)floor((now - t0) / period) + 1;
		if (next > slot + 1)
			log_info("iteration %ld took %.0f ms, over the period: "
				 "skipped slot%s %ld%s%ld", iter, now - start,
				 next - slot - 2 ? "s" : "", slot + 1,
				 next - slot - 2 ? "-" : "",
				 next - slot - 2 ? next - 1 : -1L);
		slot = next;
		sleep_until(r, t0 + (double)slot * period);
	}
	return status;
}

/* --watch: the roots of files and --id, the lists' from their streams. */
static int watching(struct run *r)
{
	const struct config *cfg = r->cfg;
	struct u64set fixed;
	u64set_init(&fixed);
	struct watch_opts wo = {
		.cfg = cfg, .fetch = fetch_opts_of(cfg),
		.concurrency = r->concurrency, .alerts = r->alerts,
		.state = r->state,
		.deadline_ms = cfg->deadline_s > 0
			? clock_now_ms() + cfg->deadline_s * 1000 : 0,
	};
	struct watch *w = NULL;
	if (roots_merge(&r->roots, NULL, &fixed) == 0) {
		wo.roots = fixed.ids;
		wo.nroots = fixed.n;
		w = watch_new(&wo);
	}
	if (!w) {
		log_error("out of memory");
		u64set_free(&fixed);
		return EXIT_PARTIAL;
	}
	pthread_mutex_lock(&r->mu);
	r->watch = w;
	if (r->signo)
		watch_cancel(w, r->signo);
	pthread_mutex_unlock(&r->mu);
	int status = watch_run(w) ? EXIT_PARTIAL : 0;
	alert_sync(r->alerts);
	if (keep_state(r, NULL, 0) != 0)
		status = EXIT_PARTIAL;
	pthread_mutex_lock(&r->mu);
	r->watch = NULL;
	pthread_mutex_unlock(&r->mu);
	watch_free(w);
	u64set_free(&fixed);
	return status;
}

int run_main(const struct config *cfg)
{
	struct run r = { .cfg = cfg };
	int status = EXIT_USAGE;
	log_set_level(cfg->verbosity == 0 ? LOG_ERROR
		      : cfg->verbosity == 1 ? LOG_INFO : LOG_DEBUG);
	pthread_mutex_init(&r.mu, NULL);
	if (clock_cond_init(&r.cv) != 0)
		abort(); /* cannot wait for a signal without it */
	if (roots_read(&r.roots, cfg) != 0)
		goto out_files;

	status = EXIT_PARTIAL;
	r.concurrency = fit_fd_limit(cfg);   /* before any thread: fdlimit.h */
	if (fetch_global_init() != 0) {
		log_error("cannot initialise libcurl");
		goto out_files;
	}
	if (sig_start(on_signal, &r) != 0) {
		log_error("cannot start the signal thread");
		goto out_curl;
	}
	if (start_alerts(&r) != 0) {
		status = EXIT_USAGE;
		goto out_sig;
	}
	status = cfg->watch ? watching(&r)
		 : cfg->period_s > 0 ? periodic(&r) : iteration(&r, -1);
	/* Results and summary are out: now wait for the alerts (bounded by
	 * --alert-timeout), also after SIGINT/SIGTERM. */
	if (r.alerts && alert_finish(r.alerts, cfg->alert_timeout_s) != 0 &&
	    status == 0)
		status = EXIT_PARTIAL;
	if (r.alerts && keep_state(&r, NULL, 0) != 0 && status == 0)
		status = EXIT_PARTIAL; /* undelivered alerts were unclaimed */
out_sig:
	sig_stop();
	if (r.signo)
		status = 128 + r.signo;
out_curl:
	alert_free(r.alerts);
	state_free(r.state);
	fetch_global_cleanup();
out_files:
	roots_free(&r.roots);
	free(r.state_path);
	free(r.spool_path);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	return status;
}
