/* fakeapi_int.h — the fake API's insides, shared by fakeapi.c (the server,
 * items, lists, faults, counters) and fakestream.c (Firebase streams).
 * Not for tests: they use fakeapi.h.
 *
 * One lock, api->lock, guards every mutable field of struct fakeapi, the
 * streams' included; it is never held while calling into libmicrohttpd. */
#ifndef HNBATCH_TESTS_FAKEAPI_INT_H
#define HNBATCH_TESTS_FAKEAPI_INT_H

#include "fakeapi.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define JSON_TYPE "application/json; charset=utf-8"

struct fault {
	struct fakeapi_fault f;   /* its pointers point at the copies below */
	char *retry_after, *body, *content_type;
};

struct route {
	char *body;               /* NULL: item answers `null`; malloc'd, or
	                             inside an arena */
	struct fault *fault;      /* NULL: none (items: the default applies) */
	uint32_t len;
	uint32_t requests;
	uint32_t open_at;         /* connections open at the last request */
};

struct timer {
	struct timer *next;
	uint64_t due_ms;
	struct MHD_Connection *conn;
};

struct sname;                     /* fakestream.c */

struct fakeapi {
	struct MHD_Daemon *daemon;
	unsigned port;
	char url[64];
	pthread_t timer_thread;

	pthread_mutex_t lock;         /* guards everything below */
	pthread_cond_t req_cond;      /* broadcast on every request, and when
	                                 a stream opens or closes */
	pthread_cond_t timer_cond;    /* timer list changed, or stopping */
	struct slot *slots;
	size_t cap, n;                /* cap is a power of two */
	struct list *lists;
	struct arena *arenas;
	struct fault *def_fault;
	double rnd_rate;
	unsigned inprogress_cap;      /* fakeapi_cap(); 0: none */
	uint64_t rnd_state;
	unsigned rnd_status;
	struct fakeapi_stats st;
	char ua[256];
	struct timer *timers;         /* sorted by due_ms */
	int stopping;
	uint64_t max_id;              /* largest id stored (put, load) */
	int maxitem_set;              /* fakeapi_set_maxitem was called */

	/* streams (fakestream.c) */
	struct sname *snames;         /* the names streamed so far */
	uint64_t stream_serial;       /* the last stream's serial number */
	int redirect;                 /* fakeapi_stream_redirect */
	int watch_dirty;              /* a stream was suspended since the
	                                 watcher last looked */
	int wake_fd[2];               /* the watcher's pipe; -1 when closed */
	int watching;                 /* the watcher thread runs */
	pthread_t watch_thread;
};

enum action { ACT_BODY, ACT_FAIL, ACT_DROP, ACT_404, ACT_STREAM,
	      ACT_REDIRECT };

struct req {
	enum action act;
	unsigned status;
	char retry_after[64];
	char content_type[128];
	char *data;                   /* normal body, the redirect's Location,
	                                 or the stream's name (malloc'd), or
	                                 NULL */
	size_t len;
	struct fakeapi_fault f;       /* copy of the fault's numbers; its
	                                 pointers are not used */
	uint64_t id;
	uint64_t t0_ms;               /* when the request arrived */
	int held;
	int sse;                      /* GET with Accept: text/event-stream */
	int redirected;               /* ...and ?redirected=1 */
	struct timer tm;
};

/* fakeapi.c */
void fa_lock(struct fakeapi *api);
void fa_unlock(struct fakeapi *api);
uint64_t fa_now_ms(void);
void fa_deadline_ts(struct timespec *ts, uint64_t due_ms);
/* The route of list name (nlen bytes), created when create != 0 (api->lock
 * held). NULL when absent or out of memory. */
struct route *fa_list_route(struct fakeapi *api, const char *name,
			    size_t nlen, int create);
/* Replace a route's body with a copy of body[0..len) (api->lock held).
 * 0 or -1. */
int fa_set_body(struct fakeapi *api, struct route *r, const char *body,
		size_t len);

/* fakestream.c */
/* Start and stop the watcher thread (api->lock not held). fs_start: 0 or
 * -1. fs_stop: after `stopping` is set and before MHD_stop_daemon; ends
 * every stream. fs_free: after MHD_stop_daemon; frees the names. */
int fs_start(struct fakeapi *api);
void fs_stop(struct fakeapi *api);
void fs_free(struct fakeapi *api);
/* Zero the streams' counters by name (api->lock held). */
void fs_reset_counts(struct fakeapi *api);
/* Decide a stream request of the list route rt, name[0..nlen) (api->lock
 * held): ACT_STREAM or ACT_REDIRECT in r. 0, or -1 on out of memory. */
int fs_decide(struct fakeapi *api, const char *url, const char *name,
	      size_t nlen, struct req *r);
/* The response of an ACT_STREAM request: registers the stream with its
 * first put queued (api->lock not held). NULL on failure. */
struct MHD_Response *fs_response(struct fakeapi *api,
				 struct MHD_Connection *conn, struct req *r);

#endif
