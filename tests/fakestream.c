/* fakestream.c — Firebase REST streaming (Server-Sent Events) in the fake
 * HN API: maxitem.json, updates.json and the lists, and the functions that
 * change them while streams are open (fakeapi.h, "Streams").
 *
 * A stream is a chunked response whose content reader (sread) hands
 * libmicrohttpd what waits in the stream's queue. Nothing ever blocks an
 * MHD thread: a reader that finds the queue empty suspends its connection
 * and returns 0; whoever queues bytes later resumes it.
 *
 * Threads: MHD's pool calls fs_decide, fs_response, sread and sfree; the
 * test's threads call the public functions; one watcher thread (watch_main)
 * notices clients that hang up on an idle stream (MHD does not look at a
 * suspended connection's socket): it polls the sockets of the suspended
 * streams for POLLRDHUP and cuts the streams whose client left.
 *
 * Locking: api->lock (fakeapi_int.h) guards the names, the streams' lists,
 * every field of struct sstream but api/conn/fd/serial (set before the
 * stream is shared) and wake_next (see below), and the counters. Bytes are
 * queued under the lock, in the order of the calls, so every stream sees
 * the changes in the same order.
 *
 * Suspend and resume: `suspended` is 1 exactly while the connection is
 * suspended by sread and nobody has taken on resuming it. sread suspends
 * first, then (under the lock) sets `suspended` unless there is something
 * to do, in which case it resumes its own connection at once. Whoever
 * clears `suspended` under the lock (a sender, stream_drop, the watcher,
 * fs_stop) puts the stream on its own wake list (wake_next) and resumes it
 * after unlocking: one resume per suspend, never under the lock. A
 * suspended connection cannot close, so the stream outlives that resume;
 * after MHD_resume_connection the stream is not touched again.
 *
 * Bounds: a queue holds at most FAKEAPI_STREAM_QUEUE bytes; a stream that
 * would go over is cut (queue freed, connection closed, counted), so a
 * client that stops reading costs a bounded amount of memory.
 *
 * Life and shutdown: a stream is registered (listed under its name, first
 * put queued) in fs_response, and unlisted by sfree when MHD destroys the
 * response, after its connection closed. fakeapi_stop sets `stopping`;
 * from then on sread ends every stream it is called for and never stays
 * suspended; fs_stop resumes the suspended ones and joins the watcher;
 * MHD_stop_daemon then closes every connection (sfree for each stream);
 * fs_free checks that no stream is left and frees the names. */
#include "fakeapi_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK_SIZE (16 * 1024)        /* most bytes per chunk */
#define MAX_INDEX 100000              /* fakeapi_patch_list */
#define SSE_TYPE "text/event-stream"

struct sstream {
	struct sname *sn;             /* its name */
	struct sstream *next, *prev;  /* in sn's list */
	struct sstream *wake_next;    /* on a wake list: only its owner */
	struct fakeapi *api;
	struct MHD_Connection *conn;
	int fd;                       /* the connection's socket, or -1 */
	uint64_t serial;              /* unique for the fake's life */
	char *q;                      /* bytes q[qoff..qlen) to send */
	size_t qoff, qlen, qcap;
	int suspended;                /* see the top of the file */
	int closing;                  /* end once the queue is sent */
	int cut;                      /* end now */
};

struct sname {
	struct sname *next;
	char *name;
	struct sstream *head;         /* the open streams of this name */
	unsigned open;
	uint64_t connects;
};

/* ---- names and queues (api->lock held) ---- */

static struct sname *sname_get(struct fakeapi *api, const char *name,
			       int create)
{
	struct sname *sn;

	for (sn = api->snames; sn; sn = sn->next)
		if (strcmp(sn->name, name) == 0)
			return sn;
	if (!create || !(sn = calloc(1, sizeof *sn)))
		return NULL;
	if (!(sn->name = strdup(name))) {
		free(sn);
		return NULL;
	}
	sn->next = api->snames;
	api->snames = sn;
	return sn;
}

/* Take s off its suspension onto *wake, when suspended. */
static void mark_wake(struct sstream *s, struct sstream **wake)
{
	if (!s->suspended)
		return;
	s->suspended = 0;
	s->wake_next = *wake;
	*wake = s;
}

/* Resume every stream of a wake list (api->lock not held). */
static void wake(struct sstream *list)
{
	while (list) {
		struct sstream *next = list->wake_next;
		/* resumed, it may close and be freed: read next first */
		MHD_resume_connection(list->conn);
		list = next;
	}
}

static void cut(struct sstream *s, struct sstream **wake_list)
{
	s->cut = 1;
	free(s->q);
	s->q = NULL;
	s->qoff = s->qlen = s->qcap = 0;
	mark_wake(s, wake_list);
}

/* Queue n bytes on s. 0, or -1 when memory ran out (s is cut). A queue
 * that would pass FAKEAPI_STREAM_QUEUE cuts s (counted; returns 0). */
static int q_append(struct fakeapi *api, struct sstream *s, const char *p,
		    size_t n, struct sstream **wake_list)
{
	size_t have = s->qlen - s->qoff;

	if (s->cut)
		return 0;
	if (n > FAKEAPI_STREAM_QUEUE - have) {
		api->st.stream_overflows++;
		cut(s, wake_list);
		return 0;
	}
	if (s->qoff && s->qlen + n > s->qcap) {
		memmove(s->q, s->q + s->qoff, have);
		s->qoff = 0;
		s->qlen = have;
	}
	if (s->qlen + n > s->qcap) {
		size_t cap = s->qcap ? s->qcap : 4096;
		while (cap < s->qlen + n)
			cap *= 2;
		char *q = realloc(s->q, cap);
		if (!q) {
			cut(s, wake_list);
			return -1;
		}
		s->q = q;
		s->qcap = cap;
	}
	memcpy(s->q + s->qlen, p, n);
	s->qlen += n;
	mark_wake(s, wake_list);
	return 0;
}

/* Queue bytes on every open stream of name (NULL: all) that is not ending.
 * Returns the number reached; *failed set when memory ran out. */
static int send_locked(struct fakeapi *api, const char *name, const char *p,
		       size_t n, struct sstream **wake_list, int *failed)
{
	int reached = 0;

	for (struct sname *sn = api->snames; sn; sn = sn->next) {
		if (name && strcmp(sn->name, name) != 0)
			continue;
		for (struct sstream *s = sn->head; s; s = s->next) {
			if (s->closing || s->cut)
				continue;
			if (q_append(api, s, p, n, wake_list) != 0)
				*failed = 1;
			reached++;
			api->st.stream_events++;
		}
	}
	return reached;
}

/* "event: EV\ndata: " pre val post "\n\n" (malloc'd, *len set): val's line
 * breaks become spaces, which keeps the JSON the same and the event whole.
 * NULL on out of memory. */
static char *make_event(const char *ev, const char *pre, const char *val,
			size_t vlen, const char *post, size_t *len)
{
	size_t elen = strlen(ev), plen = strlen(pre), tlen = strlen(post);
	size_t n = 7 + elen + 7 + plen + vlen + tlen + 2;
	char *e = malloc(n + 1), *w;

	if (!e)
		return NULL;
	w = e;
	memcpy(w, "event: ", 7);
	memcpy(w += 7, ev, elen);
	memcpy(w += elen, "\ndata: ", 7);
	memcpy(w += 7, pre, plen);
	w += plen;
	for (size_t i = 0; i < vlen; i++)
		*w++ = val[i] == '\n' || val[i] == '\r' ? ' ' : val[i];
	memcpy(w, post, tlen);
	memcpy(w += tlen, "\n\n", 3);
	*len = n;
	return e;
}

/* Store body as the value of route `name` and send it as a put "/" to its
 * streams. 0 or -1. */
static int put_value(struct fakeapi *api, const char *name, const char *body,
		     size_t blen)
{
	struct sstream *wake_list = NULL;
	struct route *r;
	size_t elen;
	int failed = 0;
	char *ev = make_event("put", "{\"path\":\"/\",\"data\":", body, blen,
			      "}", &elen);

	if (!ev)
		return -1;
	fa_lock(api);
	if (!(r = fa_list_route(api, name, strlen(name), 1)) ||
	    fa_set_body(api, r, body, blen) != 0) {
		failed = 1;
	} else {
		for (size_t i = 0; i < blen; i++)    /* as the put has it */
			if (r->body[i] == '\n' || r->body[i] == '\r')
				r->body[i] = ' ';
		send_locked(api, name, ev, elen, &wake_list, &failed);
	}
	fa_unlock(api);
	wake(wake_list);
	free(ev);
	return failed ? -1 : 0;
}

/* ---- the content reader ---- */

/* Up to max queued bytes of s into buf (api->lock held): their number, 0
 * when there is nothing yet, or END_WITH_ERROR when s ends. */
static ssize_t take(struct fakeapi *api, struct sstream *s, char *buf,
		    size_t max)
{
	size_t n = s->qlen - s->qoff;

	if (s->cut || api->stopping)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (n == 0)
		return s->closing ? MHD_CONTENT_READER_END_WITH_ERROR : 0;
	if (n > max)
		n = max;
	memcpy(buf, s->q + s->qoff, n);
	s->qoff += n;
	if (s->qoff == s->qlen)
		s->qoff = s->qlen = 0;
	api->st.stream_bytes += n;
	return (ssize_t)n;
}

static void poke_watcher(struct fakeapi *api)
{
	ssize_t rc;

	do
		rc = write(api->wake_fd[1], "x", 1);
	while (rc < 0 && errno == EINTR);
	/* EAGAIN: the pipe is full, the watcher is woken anyway */
}

static ssize_t sread(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sstream *s = cls;
	struct fakeapi *api = s->api;
	ssize_t n;
	int again, poke = 0;

	(void)pos;
	fa_lock(api);
	n = take(api, s, buf, max);
	fa_unlock(api);
	if (n != 0)
		return n;
	MHD_suspend_connection(s->conn);
	fa_lock(api);
	again = s->qlen > s->qoff || s->closing || s->cut || api->stopping;
	if (!again) {
		s->suspended = 1;
		poke = !api->watch_dirty;
		api->watch_dirty = 1;
	}
	fa_unlock(api);
	if (again)
		MHD_resume_connection(s->conn);
	else if (poke)
		poke_watcher(api);
	return 0;
}

static void sfree(void *cls)
{
	struct sstream *s = cls;
	struct fakeapi *api = s->api;

	fa_lock(api);
	if (s->prev)
		s->prev->next = s->next;
	else
		s->sn->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->sn->open--;
	api->st.streams_now--;
	if (pthread_cond_broadcast(&api->req_cond) != 0)
		abort();
	fa_unlock(api);
	free(s->q);
	free(s);
}

/* ---- opening a stream ---- */

int fs_decide(struct fakeapi *api, const char *url, const char *name,
	      size_t nlen, struct req *r)
{
	if (api->redirect && !r->redirected) {
		api->st.stream_redirects++;
		r->act = ACT_REDIRECT;
		r->status = MHD_HTTP_TEMPORARY_REDIRECT;
		strcpy(r->content_type, "text/plain; charset=utf-8");
		if (asprintf(&r->data, "http://127.0.0.1:%u%s?redirected=1",
			     api->port, url) < 0) {
			r->data = NULL;
			return -1;
		}
		return 0;
	}
	r->act = ACT_STREAM;
	r->status = MHD_HTTP_OK;
	strcpy(r->content_type, SSE_TYPE);
	return (r->data = strndup(name, nlen)) ? 0 : -1;
}

/* List s under name with the value's put queued (api->lock held). 0 or
 * -1. */
static int open_locked(struct fakeapi *api, struct sstream *s,
		       const char *name)
{
	struct route *r = fa_list_route(api, name, strlen(name), 0);
	struct sname *sn = sname_get(api, name, 1);
	size_t elen;
	char *ev;

	if (!r || !r->body || !sn)
		return -1;
	ev = make_event("put", "{\"path\":\"/\",\"data\":", r->body, r->len,
			"}", &elen);
	if (!ev || elen > FAKEAPI_STREAM_QUEUE || !(s->q = malloc(elen))) {
		free(ev);
		return -1;
	}
	memcpy(s->q, ev, elen);
	s->qlen = s->qcap = elen;
	free(ev);
	s->sn = sn;
	s->serial = ++api->stream_serial;
	s->next = sn->head;
	if (sn->head)
		sn->head->prev = s;
	sn->head = s;
	sn->open++;
	sn->connects++;
	api->st.stream_connects++;
	api->st.stream_events++;
	if (api->st.streams_max < ++api->st.streams_now)
		api->st.streams_max = api->st.streams_now;
	if (pthread_cond_broadcast(&api->req_cond) != 0)
		abort();
	return 0;
}

struct MHD_Response *fs_response(struct fakeapi *api,
				 struct MHD_Connection *conn, struct req *r)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
		MHD_CONNECTION_INFO_CONNECTION_FD);
	struct sstream *s = calloc(1, sizeof *s);
	struct MHD_Response *resp;
	int rc;

	if (!s)
		return NULL;
	s->api = api;
	s->conn = conn;
	s->fd = ci ? ci->connect_fd : -1;
	fa_lock(api);
	rc = open_locked(api, s, r->data);
	fa_unlock(api);
	if (rc != 0) {
		free(s->q);
		free(s);
		return NULL;
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, BLOCK_SIZE,
						 sread, s, sfree);
	if (!resp)
		sfree(s);
	return resp;
}

/* ---- the watcher: clients that hang up on an idle stream ---- */

struct watchset {
	struct pollfd *pf;            /* pf[0]: the wake pipe */
	uint64_t *serial;             /* of pf[i], i >= 1 */
	size_t n, cap;
};

/* The suspended streams' sockets into w (api->lock held). 0 or -1. */
static int collect(struct fakeapi *api, struct watchset *w)
{
	w->n = 1;
	for (struct sname *sn = api->snames; sn; sn = sn->next) {
		for (struct sstream *s = sn->head; s; s = s->next) {
			if (!s->suspended || s->fd < 0)
				continue;
			if (w->n == w->cap) {
				size_t cap = w->cap * 2;
				struct pollfd *pf = realloc(w->pf,
							    cap * sizeof *pf);
				if (pf)
					w->pf = pf;
				uint64_t *se = realloc(w->serial,
						       cap * sizeof *se);
				if (se)
					w->serial = se;
				if (!pf || !se)
					return -1;
				w->cap = cap;
			}
			w->pf[w->n] = (struct pollfd){ .fd = s->fd,
						       .events = POLLRDHUP };
			w->serial[w->n++] = s->serial;
		}
	}
	return 0;
}

/* Cut the streams whose socket said hang-up and that are still suspended
 * (api->lock held): a serial no longer listed, or resumed since, is
 * skipped, so a socket closed or reused meanwhile does no harm. */
static void reap(struct fakeapi *api, const struct watchset *w,
		 struct sstream **wake_list)
{
	for (size_t i = 1; i < w->n; i++) {
		if (!(w->pf[i].revents & (POLLRDHUP | POLLHUP | POLLERR)))
			continue;
		for (struct sname *sn = api->snames; sn; sn = sn->next)
			for (struct sstream *s = sn->head; s; s = s->next)
				if (s->serial == w->serial[i] && s->suspended)
					cut(s, wake_list);
	}
}

static void *watch_main(void *arg)
{
	struct fakeapi *api = arg;
	struct watchset w = { .cap = 16 };
	char drain[64];

	w.pf = malloc(w.cap * sizeof *w.pf);
	w.serial = malloc(w.cap * sizeof *w.serial);
	if (!w.pf || !w.serial)
		abort();
	w.pf[0] = (struct pollfd){ .fd = api->wake_fd[0], .events = POLLIN };
	for (;;) {
		struct sstream *wake_list = NULL;
		fa_lock(api);
		api->watch_dirty = 0;
		if (api->stopping) {
			fa_unlock(api);
			break;
		}
		if (collect(api, &w) != 0)
			abort();
		fa_unlock(api);
		if (poll(w.pf, w.n, -1) < 0 && errno != EINTR)
			abort();
		while (read(api->wake_fd[0], drain, sizeof drain) > 0)
			;
		fa_lock(api);
		reap(api, &w, &wake_list);
		fa_unlock(api);
		wake(wake_list);
	}
	free(w.pf);
	free(w.serial);
	return NULL;
}

/* ---- start and stop ---- */

int fs_start(struct fakeapi *api)
{
	api->wake_fd[0] = api->wake_fd[1] = -1;
	if (pipe2(api->wake_fd, O_CLOEXEC | O_NONBLOCK) != 0) {
		api->wake_fd[0] = api->wake_fd[1] = -1;
		fprintf(stderr, "fakeapi: pipe: %s\n", strerror(errno));
		return -1;
	}
	if (pthread_create(&api->watch_thread, NULL, watch_main, api) != 0)
		return -1;
	api->watching = 1;
	return 0;
}

void fs_stop(struct fakeapi *api)
{
	struct sstream *wake_list = NULL;

	fa_lock(api);                 /* `stopping` is set */
	for (struct sname *sn = api->snames; sn; sn = sn->next)
		for (struct sstream *s = sn->head; s; s = s->next)
			mark_wake(s, &wake_list);
	fa_unlock(api);
	wake(wake_list);
	if (api->watching) {
		poke_watcher(api);
		if (pthread_join(api->watch_thread, NULL) != 0)
			abort();
		api->watching = 0;
	}
}

void fs_free(struct fakeapi *api)
{
	while (api->snames) {
		struct sname *sn = api->snames;
		if (sn->head)         /* MHD_stop_daemon closed them all */
			abort();
		api->snames = sn->next;
		free(sn->name);
		free(sn);
	}
	for (int i = 0; i < 2; i++)
		if (api->wake_fd[i] >= 0)
			close(api->wake_fd[i]);
}

void fs_reset_counts(struct fakeapi *api)
{
	for (struct sname *sn = api->snames; sn; sn = sn->next)
		sn->connects = 0;
}

/* ---- values ---- */

int fakeapi_put_list(struct fakeapi *api, const char *name, const char *body)
{
	return put_value(api, name, body, strlen(body));
}

int fakeapi_set_maxitem(struct fakeapi *api, uint64_t v)
{
	char buf[32];
	int rc;

	snprintf(buf, sizeof buf, "%" PRIu64, v);
	fa_lock(api);
	api->maxitem_set = 1;
	fa_unlock(api);
	rc = put_value(api, "maxitem", buf, strlen(buf));
	return rc;
}

int fakeapi_send_updates(struct fakeapi *api, const uint64_t *ids, size_t n)
{
	static const char tail[] = "],\"profiles\":[]}";
	size_t cap = 16 + n * 21 + sizeof tail, len;
	char *b = malloc(cap);
	int rc;

	if (!b)
		return -1;
	len = (size_t)snprintf(b, cap, "{\"items\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len, "%s%" PRIu64,
					i ? "," : "", ids[i]);
	memcpy(b + len, tail, sizeof tail);
	len += sizeof tail - 1;
	rc = put_value(api, "updates", b, len);
	free(b);
	return rc;
}

/* A flat JSON array of ids and nulls (null: 0) into *v (malloc'd; NULL
 * when empty), *n elements. 0, or -1 when it is not one or out of memory. */
static int parse_list(const char *s, uint64_t **v, size_t *n)
{
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s++ != '[')
		return -1;
	for (int first = 1;; first = 0) {
		uint64_t id = 0;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == ']' && first)
			break;
		if (strncmp(s, "null", 4) == 0) {
			s += 4;
		} else if (*s >= '0' && *s <= '9') {
			char *end;
			errno = 0;
			id = strtoull(s, &end, 10);
			if (errno)
				goto bad;
			s = end;
		} else {
			goto bad;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			uint64_t *nv = realloc(*v, cap * sizeof *nv);
			if (!nv)
				goto bad;
			*v = nv;
		}
		(*v)[(*n)++] = id;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == ']')
			break;
		if (*s++ != ',')
			goto bad;
	}
	s++;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return 0;
bad:
	free(*v);
	*v = NULL;
	return -1;
}

/* v[0..n) as a JSON array, 0 as null (malloc'd, *len set), or NULL. */
static char *format_list(const uint64_t *v, size_t n, size_t *len)
{
	size_t cap = 3 + n * 21, k = 1;
	char *b = malloc(cap);

	if (!b)
		return NULL;
	b[0] = '[';
	for (size_t i = 0; i < n; i++) {
		if (v[i])
			k += (size_t)snprintf(b + k, cap - k, "%s%" PRIu64,
					      i ? "," : "", v[i]);
		else
			k += (size_t)snprintf(b + k, cap - k, "%snull",
					      i ? "," : "");
	}
	b[k++] = ']';
	b[k] = '\0';
	*len = k;
	return b;
}

/* The list after setting element index to id (see fakeapi_patch_list),
 * formatted, from the stored body (api->lock held). NULL on failure. */
static char *patched(const struct route *r, size_t index, uint64_t id,
		     size_t *len)
{
	uint64_t *v, *nv;
	size_t n;
	char *out;

	if (!r || !r->body || parse_list(r->body, &v, &n) != 0)
		return NULL;
	if (index >= n && id) {
		if (!(nv = realloc(v, (index + 1) * sizeof *nv))) {
			free(v);
			return NULL;
		}
		v = nv;
		memset(v + n, 0, (index + 1 - n) * sizeof *v);
		n = index + 1;
	}
	if (index < n)
		v[index] = id;
	while (n > 0 && v[n - 1] == 0)
		n--;
	out = format_list(v, n, len);
	free(v);
	return out;
}

int fakeapi_patch_list(struct fakeapi *api, const char *name, size_t index,
		       uint64_t id)
{
	struct sstream *wake_list = NULL;
	char val[64], *ev, *body = NULL;
	size_t elen, blen;
	int failed = 0;

	if (index > MAX_INDEX)
		return -1;
	if (id)
		snprintf(val, sizeof val, "{\"%zu\":%" PRIu64 "}", index, id);
	else
		snprintf(val, sizeof val, "{\"%zu\":null}", index);
	if (!(ev = make_event("patch", "{\"path\":\"/\",\"data\":", val,
			      strlen(val), "}", &elen)))
		return -1;
	fa_lock(api);
	struct route *r = fa_list_route(api, name, strlen(name), 0);
	if (!(body = patched(r, index, id, &blen)) ||
	    fa_set_body(api, r, body, blen) != 0)
		failed = 1;
	else
		send_locked(api, name, ev, elen, &wake_list, &failed);
	fa_unlock(api);
	wake(wake_list);
	free(body);
	free(ev);
	return failed ? -1 : 0;
}

/* ---- raw bytes, ends, counters ---- */

int fakeapi_stream_send(struct fakeapi *api, const char *name,
			const char *bytes)
{
	struct sstream *wake_list = NULL;
	int failed = 0, reached;

	fa_lock(api);
	reached = send_locked(api, name, bytes, strlen(bytes), &wake_list,
			      &failed);
	fa_unlock(api);
	wake(wake_list);
	return failed ? -1 : reached;
}

int fakeapi_stream_drop(struct fakeapi *api, const char *name)
{
	struct sstream *wake_list = NULL;
	int n = 0;

	fa_lock(api);
	for (struct sname *sn = api->snames; sn; sn = sn->next) {
		if (name && strcmp(sn->name, name) != 0)
			continue;
		for (struct sstream *s = sn->head; s; s = s->next) {
			if (s->closing || s->cut)
				continue;
			s->closing = 1;
			mark_wake(s, &wake_list);
			n++;
		}
	}
	fa_unlock(api);
	wake(wake_list);
	return n;
}

/* Open streams and connects of name, NULL: all (api->lock held). */
static void sums(struct fakeapi *api, const char *name, unsigned *open,
		 uint64_t *connects)
{
	*open = 0;
	*connects = 0;
	for (struct sname *sn = api->snames; sn; sn = sn->next) {
		if (name && strcmp(sn->name, name) != 0)
			continue;
		*open += sn->open;
		*connects += sn->connects;
	}
}

unsigned fakeapi_stream_open(struct fakeapi *api, const char *name)
{
	unsigned open;
	uint64_t connects;

	fa_lock(api);
	sums(api, name, &open, &connects);
	fa_unlock(api);
	return open;
}

uint64_t fakeapi_stream_connects(struct fakeapi *api, const char *name)
{
	unsigned open;
	uint64_t connects;

	fa_lock(api);
	sums(api, name, &open, &connects);
	fa_unlock(api);
	return connects;
}

int fakeapi_stream_wait(struct fakeapi *api, const char *name,
			uint64_t connects, int open, int timeout_ms)
{
	struct timespec ts;
	unsigned o;
	uint64_t c;
	int reached;

	fa_deadline_ts(&ts, fa_now_ms() +
		       (uint64_t)(timeout_ms > 0 ? timeout_ms : 0));
	fa_lock(api);
	for (;;) {
		sums(api, name, &o, &c);
		reached = c >= connects && (open < 0 || o == (unsigned)open);
		if (reached)
			break;
		int rc = pthread_cond_timedwait(&api->req_cond, &api->lock,
						&ts);
		if (rc == ETIMEDOUT)
			break;
		if (rc != 0)
			abort();
	}
	fa_unlock(api);
	return reached;
}

void fakeapi_stream_redirect(struct fakeapi *api, int on)
{
	fa_lock(api);
	api->redirect = on != 0;
	fa_unlock(api);
}
