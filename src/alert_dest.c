/* alert_dest.c — one attempt of a delivery to a command or a webhook (see
 * alert_dest.h).
 *
 * Threads: everything in struct alert_dests is the alert thread's while it
 * runs (main sets it up before and frees it after); alert_dests_wakeup() is
 * an eventfd write through the fetcher, safe from any thread. A delivery
 * belongs to whichever thread holds it (alert.c's queue hands it over).
 *
 * Commands: spawn.c runs /bin/sh -c CMD — CMD is the user's option, nothing
 * from the API ever goes into the command line; the alert reaches the
 * command as JSON on stdin and as HN_* variables (alert_msg.c). The epoll
 * set holds, per running command, its pidfd (readable at exit; without
 * pidfd support alert_dest_check() asks to be called every 20 ms and the
 * command is reaped by polling) and its stdin pipe while the JSON is being
 * written. A non-zero exit, a signal, or running longer than
 * --alert-timeout is a failed attempt.
 *
 * Webhooks: a POST of the JSON on the fetcher; a 2xx answer is delivered,
 * another status or a transport error is a failed attempt. The answer's
 * body is not the point: it is read up to FETCH_DISCARD_KEEP bytes and
 * dropped (discard_body), so a big one is no failure (--max-body is for
 * the API).
 *
 * One wait: alert_dests_wait() is fetcher_wait() with the epoll fd as its
 * one extra fd, so curl's sockets, the commands and the wakeup are waited
 * for together. Shutdown: alert_dest_abandon() per attempt left, then
 * alert_dests_free() (which abandons the webhook requests with the
 * fetcher). */
#include "alert_dest.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "alert_msg.h"

enum { W_PID = 1, W_IN = 2 };

struct delivery *alert_delivery_new(const struct alert_info *ai,
				    enum alert_dest dest)
{
	struct delivery *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	if (!(d->al.title = strdup(ai->title ? ai->title : ""))) {
		free(d);
		return NULL;
	}
	d->al.info = *ai;
	d->al.info.title = d->al.title;
	d->dest = dest;
	d->at.sp = (struct spawn){ .pidfd = -1, .infd = -1 };
	d->at.w_pid = (struct watch){ d, W_PID };
	d->at.w_in = (struct watch){ d, W_IN };
	return d;
}

void alert_delivery_free(struct delivery *d)
{
	if (!d)
		return;
	spawn_release(&d->at.sp);
	free(d->al.title);
	free(d->at.json);
	free(d);
}

int alert_dests_init(struct alert_dests *x, const struct alert_opts *o)
{
	*x = (struct alert_dests){ .cmd = o->cmd, .webhook = o->webhook,
				   .timeout_s = o->timeout_s, .epfd = -1 };
	x->envbase = alert_msg_env_base(&x->nenv);
	x->epfd = epoll_create1(EPOLL_CLOEXEC);
	struct fetch_opts fo = o->fetch;
	fo.discard_body = 1; /* any 2xx is delivered, whatever its body */
	x->f = fetcher_new(&fo, o->parallel ? o->parallel : 1);
	return x->envbase && x->epfd >= 0 && x->f ? 0 : -1;
}

void alert_dests_free(struct alert_dests *x)
{
	fetcher_free(x->f);
	if (x->epfd >= 0)
		close(x->epfd);
	free(x->envbase);
	*x = (struct alert_dests){ .epfd = -1 };
}

void alert_dests_wakeup(struct alert_dests *x)
{
	fetcher_wakeup(x->f);
}

/* ---- commands ----------------------------------------------------------- */

/* Stop watching d's command and release it (killed and reaped when it
 * still runs); the JSON goes too. */
static void cmd_release(struct alert_dests *x, struct delivery *d)
{
	struct spawn *sp = &d->at.sp;
	if (sp->infd >= 0)
		epoll_ctl(x->epfd, EPOLL_CTL_DEL, sp->infd, NULL);
	if (sp->pidfd >= 0)
		epoll_ctl(x->epfd, EPOLL_CTL_DEL, sp->pidfd, NULL);
	spawn_release(sp);
	free(d->at.json);
	d->at.json = NULL;
}

/* Write more of d's stdin (its pipe is watched); once stdin is finished,
 * stop watching the pipe and close it. */
static void feed_stdin(struct alert_dests *x, struct delivery *d)
{
	struct spawn *sp = &d->at.sp;
	if (sp->infd < 0 || !spawn_write(sp))
		return;
	epoll_ctl(x->epfd, EPOLL_CTL_DEL, sp->infd, NULL);
	spawn_close_stdin(sp);
}

/* Spawn the command for d. Returns 0, or -1 with a reason in d. */
static int start_cmd(struct alert_dests *x, struct delivery *d)
{
	struct spawn *sp = &d->at.sp;
	struct alert_env env;
	if (alert_msg_env(&env, x->envbase, x->nenv, &d->al.info) != 0) {
		snprintf(d->rt.reason, sizeof d->rt.reason, "out of memory");
		return -1;
	}
	int rc = spawn_start(sp, x->cmd, env.envp, d->at.json,
			     d->at.json_len, d->rt.reason,
			     sizeof d->rt.reason);
	alert_msg_env_free(&env);
	if (rc != 0)
		return -1;
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.ptr = &d->at.w_pid };
	if (sp->pidfd >= 0 &&
	    epoll_ctl(x->epfd, EPOLL_CTL_ADD, sp->pidfd, &ev) != 0)
		spawn_close_pidfd(sp); /* reaped by polling instead */
	ev = (struct epoll_event){ .events = EPOLLOUT,
				   .data.ptr = &d->at.w_in };
	if (spawn_write(sp) ||
	    epoll_ctl(x->epfd, EPOLL_CTL_ADD, sp->infd, &ev) != 0)
		spawn_close_stdin(sp); /* done, or the command sees EOF early */
	return 0;
}

/* d's command has exited, or may have: reap it. 1 when the attempt ended
 * (ok in *ok), 0 while it runs. */
static int cmd_reap(struct alert_dests *x, struct delivery *d, int *ok)
{
	int st;
	int r = spawn_reap(&d->at.sp, &st);
	if (r == 0)
		return 0;
	*ok = 0;
	if (r < 0)
		snprintf(d->rt.reason, sizeof d->rt.reason, "waitpid: %s",
			 strerror(errno));
	else if (d->at.sp.killed)
		snprintf(d->rt.reason, sizeof d->rt.reason,
			 "took longer than %gs, killed", x->timeout_s);
	else
		*ok = spawn_describe(st, d->rt.reason, sizeof d->rt.reason);
	cmd_release(x, d);
	return 1;
}

/* ---- attempts ----------------------------------------------------------- */

int alert_dest_start(struct alert_dests *x, struct delivery *d)
{
	d->at.json = alert_msg_json(&d->al.info, &d->at.json_len);
	int rc = -1;
	if (!d->at.json)
		snprintf(d->rt.reason, sizeof d->rt.reason, "out of memory");
	else if (d->dest == ALERT_DEST_CMD)
		rc = start_cmd(x, d);
	else if ((rc = fetcher_post_json(x->f, x->webhook, d->at.json,
					 d)) != 0)
		snprintf(d->rt.reason, sizeof d->rt.reason,
			 "cannot start the request");
	if (rc != 0) {
		free(d->at.json);
		d->at.json = NULL;
	}
	return rc;
}

double alert_dest_check(struct alert_dests *x, struct delivery *d,
			double now)
{
	struct spawn *sp = &d->at.sp;
	if (sp->pid <= 0)
		return 1e9;
	double left = sp->started_ms + x->timeout_s * 1000 - now;
	if (!sp->killed && left < 0)
		spawn_kill(sp); /* reaped as usual */
	if (sp->killed)
		left = 1e9;
	return sp->pidfd < 0 && left > 20 ? 20 : left;
}

void alert_dests_wait(struct alert_dests *x, double tmo)
{
	short ev = POLLIN;
	if (tmo < 0)
		tmo = 0;
	if (fetcher_wait(x->f, (int)tmo + (tmo > (int)tmo), &x->epfd, &ev,
			 NULL, 1) != 0) {
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL); /* never spin on a broken multi */
	}
}

/* Commands: stdin writable, child exited; then those without a pidfd. */
static void cmd_events(struct alert_dests *x,
		       struct delivery *const *running,
		       void (*done)(struct delivery *, int, void *), void *arg)
{
	struct epoll_event evs[32];
	int n, ok;
	while ((n = epoll_wait(x->epfd, evs, 32, 0)) > 0) {
		/* Writes first: an ended attempt's delivery may be freed
		 * while a W_IN event of it is still in this batch. */
		for (int i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;
			if (w->what == W_IN)
				feed_stdin(x, w->d);
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;
			if (w->what == W_PID && cmd_reap(x, w->d, &ok))
				done(w->d, ok, arg);
		}
		if (n < 32)
			break;
	}
	for (struct delivery *d = *running, *next; d; d = next) {
		next = d->next;
		if (d->at.sp.pid > 0 && d->at.sp.pidfd < 0 &&
		    cmd_reap(x, d, &ok))
			done(d, ok, arg);
	}
}

void alert_dests_collect(struct alert_dests *x,
			 struct delivery *const *running,
			 void (*done)(struct delivery *d, int ok, void *arg),
			 void *arg)
{
	cmd_events(x, running, done, arg);
	struct fetch_done fd;
	while (fetcher_next(x->f, &fd)) {
		struct delivery *d = fd.user;
		int ok = fd.err == FETCH_OK && fd.status >= 200 &&
			 fd.status < 300;
		if (!ok && fd.err == FETCH_OK)
			snprintf(d->rt.reason, sizeof d->rt.reason,
				 "HTTP %ld", fd.status);
		else if (!ok)
			snprintf(d->rt.reason, sizeof d->rt.reason, "%s: %s",
				 fetch_strerror(fd.err), fd.errmsg);
		free(d->at.json);
		d->at.json = NULL;
		done(d, ok, arg);
	}
}

void alert_dest_abandon(struct alert_dests *x, struct delivery *d)
{
	if (d->dest == ALERT_DEST_CMD) {
		cmd_release(x, d);
		snprintf(d->rt.reason, sizeof d->rt.reason,
			 "still running at exit (--alert-timeout %gs), "
			 "killed", x->timeout_s);
		return;
	}
	snprintf(d->rt.reason, sizeof d->rt.reason,
		 "no answer by exit (--alert-timeout %gs)", x->timeout_s);
	free(d->at.json);
	d->at.json = NULL;
}
