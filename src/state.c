/* state.c — the --state file: per root id the last `comments`, whether it
 * has been alerted, and the day it was last seen (see state.h).
 *
 * DESIGN
 * Table: the root ids in a u64set, each one's entry (16 bytes: count, day
 * last seen, alerted) at the same position in `ent`: 32 bytes a root with
 * the set's table (up to twice that after a doubling), so 2M roots take
 * 64 MB. Every public function takes `mu`, which guards both: crawl
 * workers call state_claim_alert() from the crawl's on_root callback while
 * main may be idle; main does loading, recording and saving between
 * crawls.
 *
 * File: its format, and its strict streaming reader and writer, are in
 * statefile.c. Loading is one pass over the file straight into the table:
 * no tree of the document is built, so memory is the table's plus a read
 * buffer (a state of 2M roots loaded with json-c took 2.4 GB and 14 s).
 * Anything but a state file (empty, truncated, not strict JSON, wrong
 * shape) is an error naming the file; the file is never replaced by a
 * fresh one behind the user's back.
 *
 * Pruning: each entry holds `seen`, the Unix day of the last run whose
 * results had the root (an entry of a version-1 file, which has no such
 * day, counts as seen the day it is loaded). An entry not seen for more
 * than keep_days days is dropped when the file is loaded and when it is
 * saved, so the file and the table hold only the roots of the last
 * keep_days days (0: every root, for the in-memory state of state_new).
 *
 * Cross-process lock: `lockfd` is FILE.lock, flock(LOCK_EX|LOCK_NB) from
 * state_open() until state_free() (fileutil_lock). A second run fails at
 * once rather than wait, so cron runs never pile up behind a stuck one;
 * the lock file itself is left in place (removing it would race with a
 * run that just opened it).
 *
 * Saving: fileutil_replace() (a temporary file beside FILE, fsync'd,
 * renamed over it, the directory fsync'd); a failure leaves the old FILE
 * untouched.
 */
#include "state.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileutil.h"
#include "statefile.h"
#include "u64set.h"

struct entry {
	int64_t comments;         /* -1: unknown */
	uint32_t seen;            /* Unix day last seen */
	bool alerted;
};

struct state {
	pthread_mutex_t mu;
	struct u64set ids;        /* guarded by mu: the roots */
	struct entry *ent;        /* guarded by mu: ent[i] is ids.ids[i]'s */
	size_t entcap;            /* guarded by mu */
	char *path;               /* NULL: in memory only; const after open */
	unsigned keep_days;       /* 0: no pruning; const after open */
	int lockfd;               /* -1: none */
};

/* Today as a Unix day (UTC). */
static uint32_t today(void)
{
	return (uint32_t)(time(NULL) / 86400);
}

/* Is an entry seen on day `seen` past keeping, on day `now`? */
static bool stale(const struct state *s, uint32_t seen, uint32_t now)
{
	return s->keep_days && seen < now && now - seen > s->keep_days;
}

/* mu held (or not yet shared). The entry for id, or NULL. */
static struct entry *find(struct state *s, uint64_t id)
{
	size_t i = u64set_find(&s->ids, id);
	return i == U64SET_NONE ? NULL : &s->ent[i];
}

/* mu held. The entry for id, added (comments unknown) when absent; NULL on
 * out of memory. */
static struct entry *get(struct state *s, uint64_t id)
{
	struct entry *e = find(s, id);
	if (e)
		return e;
	if (s->ids.n == s->entcap) {
		size_t cap = s->entcap ? s->entcap * 2 : 64;
		struct entry *ne = realloc(s->ent, cap * sizeof *ne);
		if (!ne)
			return NULL;
		s->ent = ne;
		s->entcap = cap;
	}
	if (u64set_add(&s->ids, id) < 0)
		return NULL;
	e = &s->ent[s->ids.n - 1];
	*e = (struct entry){ .comments = -1, .seen = today() };
	return e;
}

struct state *state_new(void)
{
	struct state *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	u64set_init(&s->ids);
	s->lockfd = -1;
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void state_free(struct state *s)
{
	if (!s)
		return;
	if (s->lockfd >= 0)
		close(s->lockfd); /* releases the flock */
	pthread_mutex_destroy(&s->mu);
	u64set_free(&s->ids);
	free(s->ent);
	free(s->path);
	free(s);
}

/* What loading needs beside the state: the day, for rows without one. */
struct load {
	struct state *s;
	uint32_t now;
};

/* statefile_add: one row of the file into the table (mu not yet shared),
 * unless it is past keeping. */
static int add_row(const struct statefile_row *row, void *arg)
{
	struct load *l = arg;
	uint32_t seen = row->seen >= 0 ? (uint32_t)row->seen : l->now;
	if (stale(l->s, seen, l->now))
		return 0;
	struct entry *e = get(l->s, row->id);
	if (!e)
		return -1;
	*e = (struct entry){ .comments = row->comments, .seen = seen,
			     .alerted = row->alerted };
	return 0;
}

struct state *state_open(const char *path, unsigned keep_days, char *err,
			 size_t errlen)
{
	struct state *s = state_new();
	FILE *f = NULL;
	if (!s || !(s->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	s->keep_days = keep_days;
	s->lockfd = fileutil_lock(path, err, errlen);
	if (s->lockfd < 0)
		goto fail;
	f = fopen(path, "re");
	if (!f && errno == ENOENT)
		return s; /* first run: empty state */
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	char why[256];
	struct load l = { s, today() };
	if (statefile_read(f, add_row, &l, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s: %s (fix or remove the file)", path,
			 why);
		goto fail;
	}
	fclose(f);
	return s;
fail:
	if (f)
		fclose(f);
	state_free(s);
	return NULL;
}

int state_claim_alert(struct state *s, uint64_t id)
{
	pthread_mutex_lock(&s->mu);
	struct entry *e = get(s, id);
	int rc = !e ? -1 : e->alerted ? 0 : 1;
	if (e)
		e->alerted = true;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void state_unclaim_alert(struct state *s, uint64_t id)
{
	pthread_mutex_lock(&s->mu);
	struct entry *e = find(s, id);
	if (e)
		e->alerted = false;
	pthread_mutex_unlock(&s->mu);
}

void state_fill_previous(struct state *s, struct root_result *r, size_t n)
{
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < n; i++) {
		struct entry *e = find(s, r[i].id);
		r[i].has_previous = e && e->comments >= 0;
		r[i].previous = r[i].has_previous ? e->comments : 0;
	}
	pthread_mutex_unlock(&s->mu);
}

int state_record(struct state *s, const struct root_result *r, size_t n)
{
	int rc = 0;
	uint32_t now = today();
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < n; i++) {
		struct entry *e;
		if (r[i].status != ROOT_COMPLETE &&
		    r[i].status != ROOT_PARTIAL) {
			if ((e = find(s, r[i].id)) != NULL)
				e->seen = now;  /* had, but not counted */
			continue;
		}
		if (!(e = get(s, r[i].id))) {
			rc = -1;
			break;
		}
		e->seen = now;
		/* A partial count is a lower bound: it replaces the old
		 * count only when it is not lower. */
		if (r[i].status == ROOT_COMPLETE ||
		    e->comments < (int64_t)r[i].comments)
			e->comments = (int64_t)r[i].comments;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

size_t state_count(struct state *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->ids.n;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* mu held: drop the entries past keeping on day `now`; how many. */
static size_t prune(struct state *s, uint32_t now)
{
	size_t i = 0, n = 0;
	while (i < s->ids.n) {
		if (!stale(s, s->ent[i].seen, now)) {
			i++;
			continue;
		}
		/* The last member moves into position i; its entry too. */
		u64set_remove(&s->ids, s->ids.ids[i]);
		if (i < s->ids.n)
			s->ent[i] = s->ent[s->ids.n];
		n++;
	}
	return n;
}

size_t state_prune(struct state *s, uint32_t day)
{
	pthread_mutex_lock(&s->mu);
	size_t n = prune(s, day);
	pthread_mutex_unlock(&s->mu);
	return n;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct statefile_row *)a)->id;
	uint64_t y = ((const struct statefile_row *)b)->id;
	return x < y ? -1 : x > y;
}

struct rows {
	struct statefile_row *v;
	size_t n;
};

static int write_rows(FILE *f, void *arg)
{
	const struct rows *r = arg;
	return statefile_write(f, r->v, r->n);
}

int state_save(struct state *s, char *err, size_t errlen)
{
	if (!s->path)
		return 0;
	struct rows r = { NULL, 0 };
	pthread_mutex_lock(&s->mu);
	prune(s, today());
	r.v = malloc((s->ids.n ? s->ids.n : 1) * sizeof *r.v);
	for (size_t i = 0; r.v && i < s->ids.n; i++) {
		const struct entry *e = &s->ent[i];
		r.v[r.n++] = (struct statefile_row){
			.id = s->ids.ids[i], .comments = e->comments,
			.seen = e->seen, .alerted = e->alerted };
	}
	pthread_mutex_unlock(&s->mu);
	if (!r.v) {
		snprintf(err, errlen, "%s: out of memory", s->path);
		return -1;
	}
	qsort(r.v, r.n, sizeof *r.v, by_id);
	int rc = fileutil_replace(s->path, write_rows, &r, err, errlen);
	free(r.v);
	return rc;
}
