/* watch_int.h — what watch.c (the loop, the streams, the trees) and
 * wreport.c (records, alerts, the live table) share. Not for other
 * modules: watch.h is the interface. See watch.c for the design. */
#ifndef HNBATCH_WATCH_INT_H
#define HNBATCH_WATCH_INT_H

#include <pthread.h>
#include <stdio.h>

#include "crawl.h"
#include "dueheap.h"
#include "output.h"
#include "result.h"
#include "u64set.h"
#include "watch.h"
#include "wstream.h"
#include "wtree.h"

#define WHIST 64                  /* samples kept for the 1-minute change */

struct wroot {
	uint64_t id;
	int active;               /* watched now */
	int fixed;                /* from files or --id: never leaves */
	int crawled;              /* its first crawl is done */
	int dirty;                /* changed since its last record */
	uint32_t epoch;           /* answers of an older epoch are dropped */
	uint32_t pending;         /* fetches in flight for its tree */
	uint64_t gen;             /* bumped by every change of its tree */
	uint64_t fetches;
	char *title;              /* cleaned, or NULL */
	int has_desc, is_null;
	int64_t desc;
	double t0;                /* when it was added (monotonic ms) */
	struct root_result last;  /* the last record written (title: ours) */
	int has_last;
	double hist_t[WHIST];     /* (monotonic ms, comments) samples */
	uint64_t hist_c[WHIST];
	unsigned hist_n;
};

enum wstat { WS_EVENTS, WS_NEW, WS_UPDATES, WS_CRAWL, WS_CHAIN, WS_RESYNC,
	     WS_FETCHES, WS_DRIFT, WS_SHIFTED, WS_NSTATS };

/* What a request to the pool is for. */
enum rkind { R_CRAWL, R_UPDATE, R_NEW, R_CHAIN, R_RESYNC };

struct req {
	uint64_t id, parent;      /* parent: the claiming node (R_CRAWL) */
	uint64_t maxitem;         /* the watch's maxitem when asked */
	uint32_t root, epoch;
	uint8_t kind, used;
	unsigned attempt;
};

struct answer {                   /* an item as the pool fetched it */
	struct answer *next;
	uint32_t tag;
	int failed, is_null;
	enum fail_reason reason;
	uint64_t parent;          /* the item's own `parent` field */
	int story;                /* a story, job or poll: a top */
	enum wkind kind;
	uint64_t *kids;
	size_t nkids;
	char *title;
	int has_desc;
	int64_t desc;
};

struct orphan {                   /* a new item waiting for its parent */
	struct orphan *next;
	uint64_t id, parent;
	uint64_t listed_at;       /* its req's maxitem */
	enum wkind kind;
	uint64_t *kids;
	size_t nkids;
};

struct claim {                    /* a kid that a new id's answer brings */
	uint64_t kid, parent;
};

struct timed {                    /* a request to make again, later */
	double due;
	uint64_t id, parent;
	uint32_t root;
	uint8_t kind;             /* R_NEW, or R_CRAWL of a new item */
	unsigned attempt;
};

#define NEW_TRIES 4               /* a new id answering null: asks */

struct wreport;

struct watch {
	struct watch_opts o;
	struct crawl *pool;
	pthread_t pool_th;
	int pool_started;
	struct fetcher *sf;            /* the streams; its wakeup is ours */
	struct wstream s_maxitem, s_updates, *lists;
	size_t nlists;

	pthread_mutex_t mu;            /* guards inbox, stop, signo */
	struct answer *inbox, **intail;
	int stop, signo;

	/* the watch thread's own from here */
	struct wtree *tree;
	struct wroot *roots;
	size_t nroots, rootcap;
	struct req *reqs;
	size_t nreqs, reqcap;
	uint32_t *freereq;
	size_t nfree;
	struct u64set unwatched;       /* ids known not to be in our trees */
	struct u64set waiting;         /* parents an orphan waits for */
	struct orphan **wlist;         /* beside waiting: who waits */
	struct u64set alerted;         /* comments alerted (subthreads) */
	struct u64set updating;        /* an update fetch in flight */
	struct u64set again;           /* ... and another asked meanwhile */
	struct u64set newing;          /* an R_NEW in flight or due again */
	struct claim *claims;          /* kids left to newing's answers */
	size_t nclaims, claimcap;
	uint64_t *upd_prev;            /* updates' last list */
	size_t upd_nprev;
	uint64_t maxitem;              /* the last maxitem taken; 0: none */
	int started;                   /* the first crawls were started */
	struct dueheap heap;           /* struct timed: new ids to ask again */
	uint64_t first_maxitem;        /* ids above: created while watched */
	double next_resync;
	size_t resync_next;            /* the root the next resync takes */
	uint32_t rs_root;              /* UINT32_MAX: none running */
	struct wtree *shadow;          /* the resync's crawl */
	uint64_t rs_gen;               /* the root's gen when it started */
	uint32_t rs_pending;           /* its fetches in flight */
	uint64_t stats[WS_NSTATS];
	struct wreport *rep;
	double t0;
	int failed;                    /* exit status 1 */
};

/* watch.c: ask the pool for id (see enum rkind); root, parent: of the
 * tree the answer is for; attempt: for new ids asked again. */
void watch_submit(struct watch *w, enum rkind kind, uint64_t id,
		  uint32_t root, uint64_t parent, unsigned attempt);
void watch_answer_free(struct answer *a);

/* wtrack.c: the answers delivered since the last look, taken into the
 * trees; the new ids due to be asked again; a root's tree changed. */
void watch_take_answers(struct watch *w);
void watch_due_retries(struct watch *w, double now);
void watch_dirty(struct watch *w, uint32_t root);
void watch_free_orphans(struct watch *w);

/* wroots.c: the first crawls; the streams' changes; the resync. */
void watch_start_roots(struct watch *w);
void watch_on_maxitem(struct wstream *s, int gap, void *arg);
void watch_on_updates(struct wstream *s, int gap, void *arg);
void watch_on_list(struct wstream *s, int gap, void *arg);
double watch_resync_tick(struct watch *w, double now);

/* wreport.c: records and alerts of the roots whose counts changed. */
struct wreport *wreport_new(struct watch *w);
void wreport_free(struct wreport *r);
/* Root i's tree is settled: count it, write a record if something
 * changed (or `force`), raise the alerts of what crossed. */
void wreport_root(struct wreport *r, uint32_t i, int force,
		  enum root_status status);
/* Redraw the live table when due; returns ms until the next redraw. */
double wreport_tick(struct wreport *r);
/* The end: the last records (status for unsettled roots), the table
 * restored, the summary. */
void wreport_end(struct wreport *r, enum root_status unsettled);

#endif
