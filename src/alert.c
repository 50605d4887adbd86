/* alert.c — the alert queue and the alert thread (see alert.h).
 *
 * DESIGN
 * Threads: crawl workers (through alert_on_root) and main call
 * alert_raise(); one alert thread (alert_main) does every delivery; main
 * starts it in alert_start() and stops it in alert_finish().
 *
 * Queue: alert_raise() builds one struct delivery per destination (command,
 * webhook), then, with `mu` held, appends them to `q` and wakes the alert
 * thread with fetcher_wakeup() (thread-safe: an eventfd write). That is
 * all a worker ever waits for. `mu` guards q/qtail, `raised` and `oom`.
 * Everything else the alert thread touches (pending, running, lost, the
 * fetcher, the epoll set, the counters) is its own until it is joined; main
 * reads `lost` and the counters only after pthread_join.
 *
 * Event loop: the alert thread moves the queue into its FIFO `pending`
 * (spooled alerts were queued first, before the thread started, so they go
 * out first), starts up to `parallel` deliveries, then waits in ONE place:
 * fetcher_wait() on its own fetcher (webhook POSTs), with an epoll fd as the
 * one extra fd. The epoll set holds, per running command, a pidfd (readable
 * when the child exits; Linux pidfd_open) and the write end of its stdin
 * pipe while the alert JSON is still being written (non-blocking). Without
 * pidfd support the wait is capped at 20 ms and waitpid(WNOHANG) polled.
 *
 * Commands: posix_spawn("/bin/sh", "-c", CMD) — CMD is the user's option,
 * nothing from the API ever goes into the command line; the alert reaches
 * the command as JSON on stdin and as HN_ID/HN_TITLE/HN_COMMENTS/HN_URL in
 * its environment. The child gets an empty signal mask and default SIGPIPE,
 * SIGINT and SIGTERM (hnbatch blocks INT/TERM and ignores PIPE), its own
 * process group (so a ^C at the terminal does not kill deliveries that the
 * exit path still waits for, and a timeout can kill the whole group),
 * stdout sent to our stderr (never into the results) and no fd above 2.
 * A non-zero exit, a signal, or running longer than --alert-timeout is a
 * failed attempt. Webhooks: a non-2xx answer or a transport error is.
 *
 * Retries: a failed attempt goes back to `pending` with not_before =
 * now + base * 2^(attempt-1) (base 500 ms, at most 30 s) until 1 + retries
 * attempts were made; then it goes to `lost`.
 *
 * Shutdown: alert_finish() queues a stop sentinel carrying a deadline and
 * joins the thread (never pthread_cancel). After the sentinel the thread
 * keeps going until nothing is pending or running, or until the deadline
 * (or until every retry left is due after the deadline); then it kills the
 * process groups of commands still running, reaps them, abandons webhook
 * requests and moves everything undelivered to `lost`. Main then names each
 * lost delivery on stderr and rewrites the spool.
 *
 * Spool (--alert-spool FILE, JSON lines, json-c parses it): one line per
 * delivery not made:
 *   {"id":1,"title":"...","comments":9,"url":"...","dest":"cmd"|"webhook",
 *    "reason":"...","attempts":4,"spooled_at":1700000000}
 * SPOOL.lock is flock'd (LOCK_NB: a second run fails at once) from
 * alert_start() to alert_free(). At start every line is read (a bad line is
 * an error naming FILE:LINE); lines whose destination is configured in this
 * run are queued first, the others are carried over unchanged. At finish the
 * spool is rewritten atomically (temp file, fsync, rename) with the carried
 * lines plus every delivery not made, so a spooled alert leaves the spool
 * only once it has been delivered.
 *
 * Journal: the spool is also open O_APPEND from the start, and the alert
 * thread appends each new delivery to it (one write(2) per batch taken from
 * the queue) before attempting it. A run killed before alert_finish (SIGKILL,
 * a second signal, a crash) thus leaves every alert it raised in the spool:
 * delivered at least once, never lost. alert_sync() lets main wait for the
 * journal before it saves a state that records those alerts as made.
 */
#include "alert.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "clock.h"
#include "fileutil.h"
#include "log.h"
#include "text.h"

extern char **environ;

enum dest { DEST_CMD = 0, DEST_WEBHOOK = 1 };
static const char *const dest_key[] = { "cmd", "webhook" };
static const char *const dest_name[] = { "--alert-cmd", "--webhook" };

enum { W_PID = 1, W_IN = 2 };

struct delivery;
struct watch {
	struct delivery *d;
	int what;                 /* W_PID or W_IN */
};

struct delivery {
	struct delivery *next;
	bool stop;                /* the stop sentinel */
	double deadline_ms;       /* sentinel: when to give up */

	uint64_t id, comments;
	char *title;              /* cleaned title, malloc'd; "" when none */
	enum dest dest;
	bool from_spool;
	unsigned attempts;        /* attempts started so far */
	double not_before;        /* monotonic ms; backoff */
	char reason[200];         /* why the last attempt failed */

	/* while an attempt runs (alert thread only) */
	char *json;               /* alert JSON: stdin or POST body */
	size_t json_len, written;
	pid_t pid;                /* 0: not a running command */
	int pidfd, infd;          /* -1: none */
	double started;
	bool killed;              /* we killed it (took too long) */
	struct watch w_pid, w_in;
};

struct alerts {
	struct alert_opts o;
	pthread_t th;
	bool started;

	pthread_mutex_t mu;
	struct delivery *q, **qtail;     /* guarded by mu */
	uint64_t raised;                 /* guarded by mu */
	uint64_t oom;                    /* guarded by mu: alerts dropped */
	uint64_t queued;                 /* guarded by mu: deliveries raised */
	uint64_t journaled;              /* guarded by mu: of those, journaled
	                                    (or given up on) by the thread */
	pthread_cond_t journal_cv;       /* journaled grew */
	int journal;                     /* O_APPEND on the spool, or -1 */
	bool journal_broken;             /* alert thread: a write failed */

	/* the alert thread's own until joined */
	struct fetcher *f;
	int epfd;
	bool no_pidfd;
	struct delivery *lost, **losttail;
	uint64_t delivered, failed;

	/* main only */
	char **envbase;           /* environ without HN_* (pointers into it) */
	size_t nenv;
	int spool_lock;           /* -1: none */
	size_t spool_loaded;      /* lines read from the spool */
	char **keep;              /* spool lines carried over unchanged */
	size_t nkeep;
	uint64_t spooled;
};

static void delivery_free(struct delivery *d)
{
	if (!d)
		return;
	free(d->title);
	free(d->json);
	free(d);
}

static struct delivery *delivery_new(uint64_t id, const char *title,
				     uint64_t comments, enum dest dest)
{
	struct delivery *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	if (!(d->title = strdup(title ? title : ""))) {
		free(d);
		return NULL;
	}
	d->id = id;
	d->comments = comments;
	d->dest = dest;
	d->pidfd = d->infd = -1;
	d->w_pid = (struct watch){ d, W_PID };
	d->w_in = (struct watch){ d, W_IN };
	return d;
}

/* ---- the alert as JSON ------------------------------------------------ */

/* {"text":...,"id":...,"title":...,"comments":...,"url":...}, malloc'd. */
static char *alert_json(const struct delivery *d, size_t *len)
{
	char url[96], *text = NULL, *out = NULL;
	size_t tlen = 0;
	snprintf(url, sizeof url, "https://news.ycombinator.com/item?id=%llu",
		 (unsigned long long)d->id);
	FILE *f = open_memstream(&text, &tlen);
	if (!f)
		return NULL;
	fprintf(f, "HN post %llu has %llu comments%s%s %s",
		(unsigned long long)d->id, (unsigned long long)d->comments,
		d->title[0] ? ": " : "", d->title, url);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	f = open_memstream(&out, len);
	if (!f) {
		free(text);
		return NULL;
	}
	fputs("{\"text\":", f);
	text_json(f, text);
	fprintf(f, ",\"id\":%llu,\"title\":", (unsigned long long)d->id);
	text_json(f, d->title);
	fprintf(f, ",\"comments\":%llu,\"url\":\"%s\"}\n",
		(unsigned long long)d->comments, url);
	free(text);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- commands ----------------------------------------------------------- */

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* Write what the pipe takes. Returns 1 when done (pipe closed), 0 when it
 * must wait for EPOLLOUT. A child that does not read (EPIPE) is not a
 * failure: its exit status decides. */
static int write_more(struct alerts *a, struct delivery *d)
{
	while (d->written < d->json_len) {
		ssize_t w = write(d->infd, d->json + d->written,
				  d->json_len - d->written);
		if (w > 0) {
			d->written += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		break;
	}
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, d->infd, NULL);
	close(d->infd);
	d->infd = -1;
	return 1;
}

/* Spawn the command for d. Returns 0, or -1 with a reason in d->reason. */
static int start_cmd(struct alerts *a, struct delivery *d)
{
	int rc = -1, p[2] = { -1, -1 };
	char **envp = NULL;
	char *vars[4] = { NULL, NULL, NULL, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	bool fa_ok = false, at_ok = false;

	envp = calloc(a->nenv + 5, sizeof *envp);
	if (!envp ||
	    asprintf(&vars[0], "HN_ID=%llu", (unsigned long long)d->id) < 0 ||
	    asprintf(&vars[1], "HN_TITLE=%s", d->title) < 0 ||
	    asprintf(&vars[2], "HN_COMMENTS=%llu",
		     (unsigned long long)d->comments) < 0 ||
	    asprintf(&vars[3], "HN_URL=https://news.ycombinator.com/item?id=%llu",
		     (unsigned long long)d->id) < 0) {
		snprintf(d->reason, sizeof d->reason, "out of memory");
		goto out;
	}
	memcpy(envp, a->envbase, a->nenv * sizeof *envp);
	memcpy(envp + a->nenv, vars, sizeof vars);

	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(d->reason, sizeof d->reason, "pipe: %s", strerror(errno));
		goto out;
	}
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto nomem;
	fa_ok = true;
	if (posix_spawnattr_init(&at) != 0)
		goto nomem;
	at_ok = true;
	if (posix_spawn_file_actions_adddup2(&fa, p[0], 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, 2, 1) != 0 ||
	    posix_spawn_file_actions_addclosefrom_np(&fa, 3) != 0 ||
	    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
				     POSIX_SPAWN_SETSIGDEF |
				     POSIX_SPAWN_SETPGROUP) != 0 ||
	    posix_spawnattr_setsigmask(&at, &none) != 0 ||
	    posix_spawnattr_setsigdefault(&at, &dfl) != 0 ||
	    posix_spawnattr_setpgroup(&at, 0) != 0)
		goto nomem;
	char *argv[] = { "/bin/sh", "-c", (char *)a->o.cmd, NULL };
	int e = posix_spawn(&d->pid, "/bin/sh", &fa, &at, argv, envp);
	if (e != 0) {
		d->pid = 0;
		snprintf(d->reason, sizeof d->reason, "cannot run /bin/sh: %s",
			 strerror(e));
		goto out;
	}
	d->started = clock_now_ms();
	d->killed = false;
	d->infd = p[1];
	p[1] = -1;
	fcntl(d->infd, F_SETFL, fcntl(d->infd, F_GETFL) | O_NONBLOCK);
	d->pidfd = a->no_pidfd ? -1 : pidfd_open_(d->pid);
	if (d->pidfd < 0) {
		a->no_pidfd = true;
	} else {
		fcntl(d->pidfd, F_SETFD, FD_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.ptr = &d->w_pid };
		if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, d->pidfd, &ev) != 0) {
			close(d->pidfd);
			d->pidfd = -1;
			a->no_pidfd = true;
		}
	}
	d->written = 0;
	if (!write_more(a, d)) {
		struct epoll_event ev = { .events = EPOLLOUT,
					  .data.ptr = &d->w_in };
		if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, d->infd, &ev) != 0) {
			close(d->infd); /* the child sees EOF early */
			d->infd = -1;
		}
	}
	rc = 0;
	goto out;
nomem:
	snprintf(d->reason, sizeof d->reason, "cannot set up the command");
out:
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (at_ok)
		posix_spawnattr_destroy(&at);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	for (int i = 0; i < 4; i++)
		free(vars[i]);
	free(envp);
	return rc;
}

/* Describe a wait status; 1 when it is a success. */
static int exit_ok(const struct alerts *a, const struct delivery *d,
		   int status, char *why, size_t n)
{
	if (d->killed)
		snprintf(why, n, "took longer than %gs, killed", a->o.timeout_s);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	else if (WIFEXITED(status))
		snprintf(why, n, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(why, n, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(why, n, "wait status %d", status);
	return 0;
}

/* Close what a finished command attempt still holds. */
static void cmd_release(struct alerts *a, struct delivery *d)
{
	if (d->infd >= 0) {
		epoll_ctl(a->epfd, EPOLL_CTL_DEL, d->infd, NULL);
		close(d->infd);
		d->infd = -1;
	}
	if (d->pidfd >= 0) {
		epoll_ctl(a->epfd, EPOLL_CTL_DEL, d->pidfd, NULL);
		close(d->pidfd);
		d->pidfd = -1;
	}
	d->pid = 0;
}

/* ---- the alert thread ---------------------------------------------------- */

struct loop {
	struct delivery *pending, **ptail;  /* FIFO */
	struct delivery *running;           /* unordered */
	size_t nrun;
};

static void push(struct delivery ***tail, struct delivery *d)
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
	free(d->json);
	d->json = NULL;
	if (ok) {
		a->delivered++;
		log_debug("alert %llu delivered to %s (attempt %u)",
			  (unsigned long long)d->id, dest_name[d->dest],
			  d->attempts);
		delivery_free(d);
		return;
	}
	if (d->attempts <= a->o.retries) {
		double delay = backoff_delay(&backoff_alert, d->attempts - 1,
					     -1, NULL);
		d->not_before = clock_now_ms() + delay;
		log_info("alert %llu: %s failed (%s); retry %u of %u in %.1fs",
			 (unsigned long long)d->id, dest_name[d->dest], d->reason,
			 d->attempts, a->o.retries, delay / 1000);
		push(&l->ptail, d);
		return;
	}
	push(&a->losttail, d);
}

/* Start one attempt of d (taken off pending). */
static void start(struct alerts *a, struct loop *l, struct delivery *d)
{
	d->attempts++;
	d->json = alert_json(d, &d->json_len);
	int rc = -1;
	if (!d->json)
		snprintf(d->reason, sizeof d->reason, "out of memory");
	else if (d->dest == DEST_CMD)
		rc = start_cmd(a, d);
	else if ((rc = fetcher_post_json(a->f, a->o.webhook, d->json, d)) != 0)
		snprintf(d->reason, sizeof d->reason, "cannot start the request");
	if (rc != 0) {
		attempt_done(a, l, d, 0);
		return;
	}
	d->next = l->running;
	l->running = d;
	l->nrun++;
}

/* d's child has exited or may have (waitpid WNOHANG). */
static void try_reap(struct alerts *a, struct loop *l, struct delivery *d)
{
	int st;
	pid_t r = waitpid(d->pid, &st, WNOHANG);
	if (r == 0 || (r < 0 && errno == EINTR))
		return;
	int ok;
	if (r < 0) {
		snprintf(d->reason, sizeof d->reason, "waitpid: %s",
			 strerror(errno));
		ok = 0;
	} else {
		ok = exit_ok(a, d, st, d->reason, sizeof d->reason);
	}
	cmd_release(a, d);
	unlink_running(l, d);
	attempt_done(a, l, d, ok);
}

/* One spool line for d. */
static void spool_print(FILE *f, const struct delivery *d, const char *reason,
			long long now)
{
	fprintf(f, "{\"id\":%llu,\"title\":", (unsigned long long)d->id);
	text_json(f, d->title);
	fprintf(f, ",\"comments\":%llu,\"url\":\"https://news.ycombinator"
		".com/item?id=%llu\",\"dest\":\"%s\",\"reason\":",
		(unsigned long long)d->comments, (unsigned long long)d->id,
		dest_key[d->dest]);
	text_json(f, reason);
	fprintf(f, ",\"attempts\":%u,\"spooled_at\":%lld}\n", d->attempts,
		now);
}

/* Append the new deliveries of q (not the spooled ones, not the sentinel)
 * to the spool in one write(2), before any of them is attempted: a run that
 * dies without reaching alert_finish (SIGKILL, a crash, a power cut after
 * the page cache was written) leaves them for the next run, which delivers
 * them again if they had been made (at least once, never lost). On a clean
 * finish spool_write() replaces the file and the delivered ones go. */
static void journal(struct alerts *a, const struct delivery *q)
{
	uint64_t n = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = a->journal >= 0 ? open_memstream(&buf, &len) : NULL;
	long long now = (long long)time(NULL);
	for (const struct delivery *d = q; d; d = d->next) {
		if (d->stop || d->from_spool)
			continue;
		n++;
		if (m)
			spool_print(m, d, "raised; hnbatch ended before the "
				    "delivery was confirmed", now);
	}
	if (n == 0) {
		if (m)
			fclose(m);
		free(buf);
		return;
	}
	if (a->journal >= 0 && !a->journal_broken) {
		int e = !m ? ENOMEM : fclose(m) != 0 ? errno : 0;
		m = NULL;
		for (size_t off = 0; !e && off < len;) {
			ssize_t w = write(a->journal, buf + off, len - off);
			if (w < 0)
				e = errno == EINTR ? 0 : errno;
			else if (w == 0)
				e = EIO;
			else
				off += (size_t)w;
		}
		if (e) {
			a->journal_broken = true;
			log_error("%s: cannot record raised alerts: %s; they "
				  "are spooled only if hnbatch ends normally",
				  a->o.spool, strerror(e));
		}
	}
	if (m)
		fclose(m);
	free(buf);
	pthread_mutex_lock(&a->mu);
	a->journaled += n;
	pthread_cond_broadcast(&a->journal_cv);
	pthread_mutex_unlock(&a->mu);
}

/* Take what alert_raise queued (journaling it first). Returns the
 * sentinel's deadline, or -1. */
static double take_queue(struct alerts *a, struct loop *l)
{
	double deadline = -1;
	pthread_mutex_lock(&a->mu);
	struct delivery *q = a->q;
	a->q = NULL;
	a->qtail = &a->q;
	pthread_mutex_unlock(&a->mu);
	journal(a, q);
	while (q) {
		struct delivery *next = q->next;
		if (q->stop) {
			deadline = q->deadline_ms;
			delivery_free(q);
		} else {
			push(&l->ptail, q);
		}
		q = next;
	}
	return deadline;
}

static void *alert_main(void *arg)
{
	struct alerts *a = arg;
	struct loop l = { .ptail = &l.pending };
	bool stopping = false;
	double deadline = 0;
	double limit = a->o.timeout_s * 1000;

	sigset_t pipe_set; /* SIGPIPE on a closed stdin pipe must not kill us */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);

	for (;;) {
		double dl = take_queue(a, &l);
		if (dl >= 0) {
			stopping = true;
			deadline = dl;
		}
		double now = clock_now_ms();
		if (stopping) {
			if (!l.pending && !l.running)
				break;
			if (now >= deadline)
				break;
			bool all_late = !l.running;
			for (struct delivery *d = l.pending; d && all_late; d = d->next)
				if (d->not_before < deadline)
					all_late = false;
			if (all_late)
				break; /* every retry left is due too late */
		}
		/* Commands over their time: kill the group, reap below. */
		for (struct delivery *d = l.running; d; d = d->next) {
			if (d->pid > 0 && !d->killed && now - d->started > limit) {
				d->killed = true;
				kill(-d->pid, SIGKILL);
			}
		}
		/* Start what is due while there is room. */
		for (struct delivery **p = &l.pending; *p && l.nrun < a->o.parallel;) {
			struct delivery *d = *p;
			if (d->not_before > now) {
				p = &d->next;
				continue;
			}
			*p = d->next;
			if (!*p)
				l.ptail = p;
			start(a, &l, d); /* may append to pending on failure */
			if (!*p)
				l.ptail = p;
		}
		/* How long to wait. */
		double tmo = 1000;
		for (struct delivery *d = l.pending; d && l.nrun < a->o.parallel;
		     d = d->next)
			if (d->not_before - now < tmo)
				tmo = d->not_before - now;
		for (struct delivery *d = l.running; d; d = d->next) {
			if (d->pid > 0 && !d->killed &&
			    d->started + limit - now < tmo)
				tmo = d->started + limit - now;
			if (d->pid > 0 && d->pidfd < 0 && tmo > 20)
				tmo = 20;
		}
		if (stopping && deadline - now < tmo)
			tmo = deadline - now;
		if (tmo < 0)
			tmo = 0;
		short ev = POLLIN;
		if (fetcher_wait(a->f, (int)tmo + (tmo > (int)tmo), &a->epfd,
				 &ev, NULL, 1) != 0) {
			struct timespec ts = { 0, 20 * 1000000L };
			nanosleep(&ts, NULL); /* never spin on a broken multi */
		}
		/* Commands: stdin writable, child exited. */
		struct epoll_event evs[32];
		int n;
		while ((n = epoll_wait(a->epfd, evs, 32, 0)) > 0) {
			/* Writes first: reaping may free a delivery that
			 * still has a W_IN event in this batch. */
			for (int i = 0; i < n; i++) {
				struct watch *w = evs[i].data.ptr;
				if (w->what == W_IN && w->d->infd >= 0)
					write_more(a, w->d);
			}
			for (int i = 0; i < n; i++) {
				struct watch *w = evs[i].data.ptr;
				if (w->what == W_PID)
					try_reap(a, &l, w->d);
			}
			if (n < 32)
				break;
		}
		/* Commands without a pidfd. */
		for (struct delivery *d = l.running, *next; d; d = next) {
			next = d->next;
			if (d->pid > 0 && d->pidfd < 0)
				try_reap(a, &l, d);
		}
		/* Webhooks. */
		struct fetch_done fd;
		while (fetcher_next(a->f, &fd)) {
			struct delivery *d = fd.user;
			int ok = fd.err == FETCH_OK && fd.status >= 200 &&
				 fd.status < 300;
			if (!ok && fd.err == FETCH_OK)
				snprintf(d->reason, sizeof d->reason, "HTTP %ld",
					 fd.status);
			else if (!ok)
				snprintf(d->reason, sizeof d->reason, "%s: %s",
					 fetch_strerror(fd.err), fd.errmsg);
			unlink_running(&l, d);
			attempt_done(a, &l, d, ok);
		}
	}

	/* Give up on what is left: kill, reap, abandon; all of it is lost. */
	while (l.running) {
		struct delivery *d = l.running;
		l.running = d->next;
		if (d->pid > 0) {
			kill(-d->pid, SIGKILL);
			while (waitpid(d->pid, NULL, 0) < 0 && errno == EINTR)
				;
			cmd_release(a, d);
			snprintf(d->reason, sizeof d->reason,
				 "still running at exit (--alert-timeout %gs), "
				 "killed", a->o.timeout_s);
		} else {
			snprintf(d->reason, sizeof d->reason,
				 "no answer by exit (--alert-timeout %gs)",
				 a->o.timeout_s);
		}
		free(d->json);
		d->json = NULL;
		push(&a->losttail, d);
	}
	while (l.pending) {
		struct delivery *d = l.pending;
		l.pending = d->next;
		if (d->attempts) {
			size_t len = strlen(d->reason);
			snprintf(d->reason + len, sizeof d->reason - len,
				 "; no time left to retry");
		} else {
			snprintf(d->reason, sizeof d->reason,
				 "not started by exit (--alert-timeout %gs)",
				 a->o.timeout_s);
		}
		push(&a->losttail, d);
	}
	/* The queue is empty: the sentinel was the last thing queued. */
	return NULL;
}

/* ---- raising ------------------------------------------------------------ */

void alert_raise(struct alerts *a, uint64_t id, const char *title,
		 uint64_t comments)
{
	log_info("alert: %llu has %llu comments (threshold %lld): %s",
		 (unsigned long long)id, (unsigned long long)comments,
		 (long long)a->o.threshold, title && *title ? title : "(no title)");
	struct delivery *ds[2] = { NULL, NULL };
	size_t n = 0;
	bool oom = false;
	if (a->o.cmd && !(ds[n++] = delivery_new(id, title, comments, DEST_CMD)))
		oom = true;
	if (a->o.webhook &&
	    !(ds[n++] = delivery_new(id, title, comments, DEST_WEBHOOK)))
		oom = true;
	if (oom) {
		log_error("alert %llu: out of memory; not delivered",
			  (unsigned long long)id);
		delivery_free(ds[0]);
		delivery_free(ds[1]);
		n = 0;
	}
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < n; i++) {
		*a->qtail = ds[i];
		a->qtail = &ds[i]->next;
	}
	a->raised++;
	a->oom += oom;
	a->queued += n;
	pthread_mutex_unlock(&a->mu);
	if (n)
		fetcher_wakeup(a->f);
}

void alert_on_root(const struct root_result *r, void *arg)
{
	struct alerts *a = arg;
	if (a->o.threshold < 0 || r->comments <= (uint64_t)a->o.threshold)
		return;
	if (a->o.state && state_claim_alert(a->o.state, r->id) == 0)
		return; /* alerted by an earlier run or iteration */
	alert_raise(a, r->id, r->title, r->comments);
}

/* ---- the spool ---------------------------------------------------------- */

/* Parse one spool line into a delivery (NULL + why on a bad line). */
static struct delivery *spool_line(const char *line, enum dest *dest,
				   char *why, size_t n)
{
	struct delivery *d = NULL;
	json_tokener *tok = json_tokener_new();
	json_object *o = tok ? json_tokener_parse_ex(tok, line, (int)strlen(line))
			     : NULL;
	json_object *id, *c, *t, *ds;
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(why, n, "not a JSON object");
		goto out;
	}
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "id", &id) ||
	    !json_object_is_type(id, json_type_int) ||
	    json_object_get_int64(id) <= 0 ||
	    !json_object_object_get_ex(o, "comments", &c) ||
	    !json_object_is_type(c, json_type_int) ||
	    json_object_get_int64(c) < 0 ||
	    !json_object_object_get_ex(o, "title", &t) ||
	    !json_object_is_type(t, json_type_string) ||
	    !json_object_object_get_ex(o, "dest", &ds) ||
	    !json_object_is_type(ds, json_type_string)) {
		snprintf(why, n, "expected {\"id\":N,\"title\":\"...\","
			 "\"comments\":N,\"dest\":\"cmd\"|\"webhook\",...}");
		goto out;
	}
	const char *dn = json_object_get_string(ds);
	if (strcmp(dn, "cmd") == 0)
		*dest = DEST_CMD;
	else if (strcmp(dn, "webhook") == 0)
		*dest = DEST_WEBHOOK;
	else {
		snprintf(why, n, "unknown dest \"%.20s\"", dn);
		goto out;
	}
	char *title = text_clean(json_object_get_string(t));
	if (!title ||
	    !(d = delivery_new((uint64_t)json_object_get_int64(id), title,
			       (uint64_t)json_object_get_int64(c), *dest)))
		snprintf(why, n, "out of memory");
	free(title);
	if (d)
		d->from_spool = true;
out:
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return d;
}

/* Lock and read the spool; queue (into a->q, no thread yet) the lines for
 * destinations of this run, keep the others. 0, or -1 with err. */
static int spool_load(struct alerts *a, char *err, size_t errlen)
{
	const char *path = a->o.spool;
	int rc = -1;
	char *line = NULL;
	size_t cap = 0;
	FILE *f = NULL;
	a->spool_lock = fileutil_lock(path, err, errlen);
	if (a->spool_lock < 0)
		goto out;
	a->journal = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  fileutil_new_mode());
	if (a->journal < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	f = fopen(path, "re");
	if (!f && errno == ENOENT) {
		rc = 0;
		goto out;
	}
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	ssize_t len;
	size_t lineno = 0, queued = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (strspn(line, " \t\r") == (size_t)len)
			continue;
		char why[160];
		enum dest dest;
		struct delivery *d = spool_line(line, &dest, why, sizeof why);
		if (!d) {
			snprintf(err, errlen, "%s:%zu: bad spool line: %s (fix "
				 "or remove the line)", path, lineno, why);
			goto out;
		}
		a->spool_loaded++;
		if ((dest == DEST_CMD && a->o.cmd) ||
		    (dest == DEST_WEBHOOK && a->o.webhook)) {
			*a->qtail = d;
			a->qtail = &d->next;
			queued++;
			continue;
		}
		delivery_free(d);
		char **nk = realloc(a->keep, (a->nkeep + 1) * sizeof *nk);
		if (!nk || !(nk[a->nkeep] = strdup(line))) {
			if (nk)
				a->keep = nk;
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		a->keep = nk;
		a->nkeep++;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (queued)
		log_info("delivering %zu spooled alert%s from %s first", queued,
			 queued == 1 ? "" : "s", path);
	if (a->nkeep)
		log_info("%s: keeping %zu spooled alert%s for a destination not "
			 "given in this run", path, a->nkeep,
			 a->nkeep == 1 ? "" : "s");
	rc = 0;
out:
	if (f)
		fclose(f);
	free(line);
	return rc;
}

static int write_spool(FILE *f, void *arg)
{
	const struct alerts *a = arg;
	for (size_t i = 0; i < a->nkeep; i++)
		fprintf(f, "%s\n", a->keep[i]);
	long long now = (long long)time(NULL);
	for (struct delivery *d = a->lost; d; d = d->next)
		spool_print(f, d, d->reason, now);
	return ferror(f) ? -1 : 0;
}

/* Rewrite the spool: carried lines + every lost delivery. 0 or -1. The
 * journal's lines go with the old file. */
static int spool_write(struct alerts *a)
{
	char err[512];
	if (fileutil_replace(a->o.spool, write_spool, a, err, sizeof err)) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

/* ---- start, finish, free ---------------------------------------------- */

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
	a->spool_lock = -1;
	a->journal = -1;
	a->epfd = -1;
	a->qtail = &a->q;
	a->losttail = &a->lost;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->journal_cv, NULL);

	size_t n = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	a->envbase = calloc(n + 1, sizeof *a->envbase);
	if (!a->envbase)
		goto nomem;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "HN_ID=", 6) && strncmp(*e, "HN_TITLE=", 9) &&
		    strncmp(*e, "HN_COMMENTS=", 12) && strncmp(*e, "HN_URL=", 7))
			a->envbase[a->nenv++] = *e;

	if (a->o.spool && spool_load(a, err, errlen) != 0)
		goto fail;
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	a->f = fetcher_new(&a->o.fetch, a->o.parallel);
	if (a->epfd < 0 || !a->f)
		goto nomem;
	/* The fetcher is made here but used only by the alert thread from now
	 * on (pthread_create orders the hand-over); main frees it after join. */
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

int alert_finish(struct alerts *a, double timeout_s)
{
	if (!a->started)
		return -1;
	struct delivery *stop = calloc(1, sizeof *stop);
	if (!stop)
		abort(); /* cannot stop the thread any other way */
	stop->stop = true;
	stop->deadline_ms = clock_now_ms() + timeout_s * 1000;
	pthread_mutex_lock(&a->mu);
	*a->qtail = stop;
	a->qtail = &stop->next;
	uint64_t raised = a->raised, oom = a->oom, queued = a->queued;
	pthread_mutex_unlock(&a->mu);
	fetcher_wakeup(a->f);
	pthread_join(a->th, NULL);
	a->started = false;

	for (struct delivery *d = a->lost; d; d = d->next)
		a->failed++;
	bool spooled = false;
	if (a->o.spool && (a->spool_loaded || a->lost || queued)) {
		spooled = spool_write(a) == 0;
		if (spooled)
			a->spooled = a->failed;
	}
	for (struct delivery *d = a->lost; d; d = d->next) {
		log_error("alert %llu (%llu comments%s) not delivered to %s: %s%s%s",
			  (unsigned long long)d->id,
			  (unsigned long long)d->comments,
			  d->from_spool ? ", from the spool" : "",
			  dest_name[d->dest], d->reason,
			  spooled ? "; kept in " : "", spooled ? a->o.spool : "");
		if (!spooled && a->o.state)
			state_unclaim_alert(a->o.state, d->id);
	}
	if (raised || a->spool_loaded)
		log_info("alerts: %llu raised, %llu deliveries made, %llu not made%s%s",
			 (unsigned long long)raised,
			 (unsigned long long)a->delivered,
			 (unsigned long long)(a->failed + oom),
			 a->spooled ? ", spooled to " : "",
			 a->spooled ? a->o.spool : "");
	return a->failed || oom ? -1 : 0;
}

void alert_sync(struct alerts *a)
{
	if (!a || a->journal < 0 || !a->started)
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
		delivery_free(d);
	}
	while (a->lost) {
		struct delivery *d = a->lost;
		a->lost = d->next;
		delivery_free(d);
	}
	fetcher_free(a->f);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->journal >= 0)
		close(a->journal);
	if (a->spool_lock >= 0)
		close(a->spool_lock);
	for (size_t i = 0; i < a->nkeep; i++)
		free(a->keep[i]);
	free(a->keep);
	free(a->envbase);
	pthread_cond_destroy(&a->journal_cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
