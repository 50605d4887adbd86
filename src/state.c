/* state.c — the --state file: per root id the last `comments` and whether
 * it has been alerted (see state.h).
 *
 * DESIGN
 * Table: the root ids in a u64set, each one's entry at the same position in
 * `ent`. Every public function takes `mu`, which guards both: crawl workers
 * call state_claim_alert() from the crawl's on_root callback while main may
 * be idle; main does loading, recording and saving between crawls.
 *
 * File (uses json-c, like item.c, only here and in alert.c):
 *   {"version":1,"roots":{"8863":{"comments":71,"alerted":false},...}}
 * `comments` is an integer >= 0, or null when the root was alerted but never
 * counted to the end (interrupted). Keys are written in id order. Anything
 * else (empty file, truncated JSON, trailing text, wrong types) is an error
 * naming the file; the file is never replaced by a fresh one behind the
 * user's back.
 *
 * Cross-process lock: `lockfd` is FILE.lock, flock(LOCK_EX|LOCK_NB) from
 * state_open() until state_free() (fileutil_lock). A second run fails at once rather than
 * wait, so cron runs never pile up behind a stuck one; the lock file itself
 * is left in place (removing it would race with a run that just opened it).
 *
 * Saving: fileutil_replace() (a temporary file beside FILE, fsync'd, renamed
 * over it, the directory fsync'd); a failure leaves the old FILE untouched.
 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileutil.h"
#include "u64set.h"

struct entry {
	int64_t comments;         /* -1: unknown */
	bool alerted;
};

struct state {
	pthread_mutex_t mu;
	struct u64set ids;        /* guarded by mu: the roots */
	struct entry *ent;        /* guarded by mu: ent[i] is ids.ids[i]'s */
	size_t entcap;            /* guarded by mu */
	char *path;               /* NULL: in memory only; const after open */
	int lockfd;               /* -1: none */
};

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
	*e = (struct entry){ .comments = -1 };
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

/* Read all of fd into a malloc'd NUL-terminated buffer. 0 or -1 (errno). */
static int slurp(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	if (!b)
		return -1;
	for (;;) {
		if (cap - n < 2) {
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				errno = ENOMEM;
				return -1;
			}
			b = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(b);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

/* Parse the text of a state file into s. Returns 0, or -1 with a reason in
 * why. */
static int parse(struct state *s, const char *text, size_t len, char *why,
		 size_t whylen)
{
	int rc = -1;
	json_object *root = NULL;
	json_tokener *tok = json_tokener_new();
	if (!tok) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (len == 0) {
		snprintf(why, whylen, "empty file, not a hnbatch state file");
		goto out;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	if (je == json_tokener_continue) {
		snprintf(why, whylen, "truncated JSON (ends after %zu bytes)", len);
		goto out;
	}
	if (!root || je != json_tokener_success) {
		snprintf(why, whylen, "not JSON: %s at byte %zu",
			 json_tokener_error_desc(je),
			 json_tokener_get_parse_end(tok));
		goto out;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (!strchr(" \t\r\n", text[i])) {
			snprintf(why, whylen, "unexpected text after the JSON "
				 "at byte %zu", i);
			goto out;
		}
	}
	json_object *roots, *ver;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "version", &ver) ||
	    !json_object_is_type(ver, json_type_int) ||
	    json_object_get_int64(ver) != 1 ||
	    !json_object_object_get_ex(root, "roots", &roots) ||
	    !json_object_is_type(roots, json_type_object)) {
		snprintf(why, whylen, "not a hnbatch state file (expected "
			 "{\"version\":1,\"roots\":{...}})");
		goto out;
	}
	json_object_object_foreach(roots, key, val) {
		char *end;
		errno = 0;
		unsigned long long id = strtoull(key, &end, 10);
		json_object *c, *a;
		if (!*key || *end || errno || id == 0 || key[0] == '-' ||
		    key[0] == '+' || key[0] == ' ') {
			snprintf(why, whylen, "bad root id \"%.40s\"", key);
			goto out;
		}
		if (!json_object_is_type(val, json_type_object) ||
		    !json_object_object_get_ex(val, "comments", &c) ||
		    !json_object_object_get_ex(val, "alerted", &a) ||
		    !json_object_is_type(a, json_type_boolean) ||
		    !(c == NULL || (json_object_is_type(c, json_type_int) &&
				    json_object_get_int64(c) >= 0))) {
			snprintf(why, whylen, "root %llu: expected "
				 "{\"comments\":N,\"alerted\":true|false}", id);
			goto out;
		}
		struct entry *e = get(s, (uint64_t)id);
		if (!e) {
			snprintf(why, whylen, "out of memory");
			goto out;
		}
		e->comments = c ? json_object_get_int64(c) : -1;
		e->alerted = json_object_get_boolean(a);
	}
	rc = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return rc;
}

struct state *state_open(const char *path, char *err, size_t errlen)
{
	struct state *s = state_new();
	char *text = NULL;
	int fd = -1;
	if (!s || !(s->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	s->lockfd = fileutil_lock(path, err, errlen);
	if (s->lockfd < 0)
		goto fail;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		goto done; /* first run: empty state */
	size_t len;
	if (fd < 0 || slurp(fd, &text, &len) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	char why[256];
	if (parse(s, text, len, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s: %s (fix or remove the file)", path,
			 why);
		goto fail;
	}
done:
	if (fd >= 0)
		close(fd);
	free(text);
	return s;
fail:
	if (fd >= 0)
		close(fd);
	free(text);
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
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < n; i++) {
		if (r[i].status != ROOT_COMPLETE &&
		    r[i].status != ROOT_PARTIAL)
			continue;
		struct entry *e = get(s, r[i].id);
		if (!e) {
			rc = -1;
			break;
		}
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

/* A snapshot of one entry, for saving. */
struct row {
	uint64_t id;
	struct entry e;
};

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct row *)a)->id;
	uint64_t y = ((const struct row *)b)->id;
	return x < y ? -1 : x > y;
}

struct rows {
	struct row *v;
	size_t n;
};

static int write_rows(FILE *f, void *arg)
{
	const struct rows *r = arg;
	fprintf(f, "{\"version\":1,\"roots\":{");
	for (size_t i = 0; i < r->n; i++) {
		const struct row *w = &r->v[i];
		fprintf(f, "%s\n\"%llu\":{\"comments\":", i ? "," : "",
			(unsigned long long)w->id);
		if (w->e.comments >= 0)
			fprintf(f, "%lld", (long long)w->e.comments);
		else
			fputs("null", f);
		fprintf(f, ",\"alerted\":%s}", w->e.alerted ? "true" : "false");
	}
	fprintf(f, "%s}}\n", r->n ? "\n" : "");
	return ferror(f) ? -1 : 0;
}

int state_save(struct state *s, char *err, size_t errlen)
{
	if (!s->path)
		return 0;
	struct rows r = { NULL, 0 };
	pthread_mutex_lock(&s->mu);
	r.v = malloc((s->ids.n ? s->ids.n : 1) * sizeof *r.v);
	for (size_t i = 0; r.v && i < s->ids.n; i++)
		r.v[r.n++] = (struct row){ s->ids.ids[i], s->ent[i] };
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
