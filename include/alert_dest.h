/* alert_dest.h — deliveries and how one attempt of a delivery is made: to
 * --alert-cmd through spawn.c (its pidfd and stdin pipe in an epoll set), to
 * --webhook as a POST on the alert thread's fetcher. The scheduler
 * (alert.c) decides when an attempt starts, retries and gives up; this
 * module starts attempts, waits for their events in one place and reports
 * the attempts that ended.
 *
 * Threads: alert_delivery_new/free on any thread (a delivery is handed to
 * the alert thread through alert.c's queue). A struct alert_dests and the
 * attempts it runs belong to the alert thread, except alert_dests_wakeup()
 * (any thread). alert_dests_init/free on main, before the thread starts and
 * after it is joined. Internal to the alert modules. */
#ifndef HNBATCH_ALERT_DEST_H
#define HNBATCH_ALERT_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "alert_spool.h"
#include "spawn.h"

struct delivery;
struct watch {
	struct delivery *d;
	int what;                 /* W_PID or W_IN (alert_dest.c) */
};

struct alert_data {               /* what is delivered: an alert_info */
	struct alert_info info;   /* info.title is `title` */
	char *title;              /* cleaned title, malloc'd; "" when none */
};

struct retry {                    /* the scheduler's */
	unsigned attempts;        /* attempts started so far */
	double not_before;        /* monotonic ms; backoff */
	char reason[200];         /* why the last attempt failed */
};

struct attempt {                  /* while one runs (alert thread only) */
	char *json;               /* alert JSON: stdin or POST body */
	size_t json_len;
	struct spawn sp;          /* the command; sp.pid 0: none */
	struct watch w_pid, w_in; /* epoll data of sp.pidfd, sp.infd */
};

struct delivery {
	struct delivery *next;    /* in one list at a time */
	enum alert_dest dest;
	bool from_spool;
	struct alert_data al;
	struct retry rt;
	struct attempt at;
};

/* A delivery of one alert to dest (ai and its title copied). NULL on out
 * of memory. alert_delivery_free releases an attempt still running too. */
struct delivery *alert_delivery_new(const struct alert_info *ai,
				    enum alert_dest dest);
void alert_delivery_free(struct delivery *d);

struct alert_dests {
	const char *cmd;          /* --alert-cmd, or NULL */
	const char *webhook;      /* --webhook, or NULL */
	double timeout_s;         /* longest command attempt */
	char **envbase;           /* environ without HN_* */
	size_t nenv;
	struct fetcher *f;        /* webhook POSTs and the wakeup */
	int epfd;                 /* pidfds and stdin pipes */
};

/* Set up x for the options o. 0, or -1 on out of memory. */
int alert_dests_init(struct alert_dests *x, const struct alert_opts *o);
void alert_dests_free(struct alert_dests *x);

/* Any thread: make a wait in progress return soon. */
void alert_dests_wakeup(struct alert_dests *x);

/* Start an attempt of d. 0 while it runs, -1 with the reason in
 * d->rt.reason when it could not start. */
int alert_dest_start(struct alert_dests *x, struct delivery *d);

/* A running attempt at time now: a command over its time is killed (its
 * group). Returns the ms after which it must be looked at again (its
 * time limit; 20 ms for a command without a pidfd); a large number for
 * a webhook, whose time limit curl keeps. */
double alert_dest_check(struct alert_dests *x, struct delivery *d,
			double now);

/* Wait up to tmo ms for a webhook transfer, a command event or a wakeup. */
void alert_dests_wait(struct alert_dests *x, double tmo);

/* Every attempt that ended: done(d, ok, arg) is called once for each, with
 * d->rt.reason set when !ok and the attempt released (the callback takes d
 * off the list at *running, linked by next, and may free it). */
void alert_dests_collect(struct alert_dests *x,
			 struct delivery *const *running,
			 void (*done)(struct delivery *d, int ok, void *arg),
			 void *arg);

/* The end: a command still running is killed and reaped, a webhook request
 * abandoned (with the fetcher); the reason says which. */
void alert_dest_abandon(struct alert_dests *x, struct delivery *d);

#endif
