/* alert_spool.c — the --alert-spool file (see alert_spool.h).
 *
 * The only alert file that includes json-c: loading parses each line with
 * its own tokener and copies the fields out; nothing of json-c leaves
 * alert_spool_parse_line(). Lines are written with text_json(), not json-c.
 *
 * Threads: a struct alert_spool is used by one thread at a time — main
 * opens and closes it, and saves it after the alert thread was joined; the
 * alert thread journals to it and saves it while it runs (alert.c hands it
 * over with pthread_create and back with pthread_join). No lock of its
 * own. Deliveries (alert_dest.h) are read, never changed.
 *
 * Files: PATH.lock is flock'd (LOCK_NB) from open to close, so two runs
 * never share a spool. PATH is open O_APPEND from the start (the journal).
 * An append is all or nothing: when write(2) fails part way (a full disk),
 * the file is cut back to its size before it. A last line without its
 * newline (the process died in an append) is dropped at load with a
 * warning naming FILE:LINE; a bad line anywhere else is an error. A rewrite
 * replaces PATH with a new file (fileutil_replace; the lines carried over
 * from the start, for destinations this run does not deliver to, come
 * first, unchanged) and reopens the journal on it.
 *
 * Shutdown: alert_spool_close() closes the journal and the lock. */
#include "alert_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alert_dest.h"
#include "fileutil.h"
#include "jsoncheck.h"
#include "log.h"
#include "text.h"

static const char *const dest_key[] = { "cmd", "webhook" };

struct alert_spool {
	char *path;
	int lock;                 /* PATH.lock, flock'd; -1: none */
	int journal;              /* PATH, O_APPEND; -1: none */
	bool broken;              /* an append failed */
	size_t loaded;            /* lines read at open */
	char **keep;              /* lines carried over unchanged */
	size_t nkeep;
};

/* A subthread's line names its kind, root and depth; a story's may say
 * "kind":"story"; older lines have no kind: stories. 0, or -1 with why. */
static int parse_kind(json_object *o, struct alert_info *ai, char *why,
		      size_t n)
{
	json_object *k, *root, *depth;
	if (!json_object_object_get_ex(o, "kind", &k))
		return 0;
	const char *kind = json_object_is_type(k, json_type_string)
			   ? json_object_get_string(k) : "";
	if (strcmp(kind, "story") == 0)
		return 0;
	if (strcmp(kind, "subthread") != 0 ||
	    !json_object_object_get_ex(o, "root", &root) ||
	    !json_object_is_type(root, json_type_int) ||
	    json_object_get_int64(root) <= 0 ||
	    !json_object_object_get_ex(o, "depth", &depth) ||
	    !json_object_is_type(depth, json_type_int) ||
	    json_object_get_int64(depth) < 1 ||
	    json_object_get_int64(depth) > UINT32_MAX) {
		snprintf(why, n, "kind: \"story\", or \"subthread\" with root "
			 "and depth");
		return -1;
	}
	ai->kind = ALERT_SUBTHREAD;
	ai->root = (uint64_t)json_object_get_int64(root);
	ai->depth = (uint32_t)json_object_get_int64(depth);
	return 0;
}

int alert_spool_parse_line(const char *line, struct alert_rec *r,
			   char **title, char *why, size_t n)
{
	int rc = -1;
	json_tokener *tok = NULL;
	json_object *o = NULL, *id, *c, *t, *ds;
	size_t len = strlen(line);
	char jwhy[96];
	*title = NULL;
	memset(r, 0, sizeof *r);
	/* strictly one JSON value (no trailing text), as hnbatch writes it */
	if (jsoncheck(line, len, 8, jwhy, sizeof jwhy) != 0) {
		snprintf(why, n, "not JSON: %s", jwhy);
		goto out;
	}
	tok = json_tokener_new();
	if (tok)
		o = json_tokener_parse_ex(tok, line, (int)len);
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
	if (strcmp(dn, dest_key[ALERT_DEST_CMD]) == 0) {
		r->dest = ALERT_DEST_CMD;
	} else if (strcmp(dn, dest_key[ALERT_DEST_WEBHOOK]) == 0) {
		r->dest = ALERT_DEST_WEBHOOK;
	} else {
		snprintf(why, n, "unknown dest \"%.20s\"", dn);
		goto out;
	}
	if (!(*title = text_clean(json_object_get_string(t)))) {
		snprintf(why, n, "out of memory");
		goto out;
	}
	r->info.id = (uint64_t)json_object_get_int64(id);
	r->info.root = r->info.id;
	r->info.comments = (uint64_t)json_object_get_int64(c);
	r->info.title = *title;
	if (parse_kind(o, &r->info, why, n) != 0) {
		free(*title);
		*title = NULL;
		goto out;
	}
	rc = 0;
out:
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

/* Keep a copy of line for the rewrite. 0 or -1. */
static int keep_line(struct alert_spool *s, const char *line)
{
	char **nk = realloc(s->keep, (s->nkeep + 1) * sizeof *nk);
	if (!nk)
		return -1;
	s->keep = nk;
	if (!(nk[s->nkeep] = strdup(line)))
		return -1;
	s->nkeep++;
	return 0;
}

/* The last line has no newline: an append that did not finish (a crash, a
 * power cut). Bad, it is cut off the file with a warning; good, it gets
 * its newline, so the next append starts a line of its own. 0 or -1. */
static int end_last_line(struct alert_spool *s, size_t lineno, off_t start,
			 bool bad, char *err, size_t errlen)
{
	if (bad)
		log_error("%s:%zu: dropping a torn last line (an append that "
			  "did not finish)", s->path, lineno);
	if (bad ? ftruncate(s->journal, start) == 0
		: write(s->journal, "\n", 1) == 1)
		return 0;
	snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
	return -1;
}

/* Read every line of f (see alert_spool_open). 0, or -1 with err. */
static int load(struct alert_spool *s, FILE *f,
		int (*take)(const struct alert_rec *, void *), void *arg,
		char *err, size_t errlen)
{
	int rc = -1;
	char *line = NULL;
	size_t cap = 0, lineno = 0, taken = 0;
	off_t start = 0;
	ssize_t len;
	for (; (len = getline(&line, &cap, f)) >= 0; start += len) {
		lineno++;
		bool whole = len > 0 && line[len - 1] == '\n';
		if (whole)
			line[len - 1] = '\0';
		if (strspn(line, " \t\r") == strlen(line))
			continue;
		char why[160], *title = NULL;
		struct alert_rec r = { 0 };
		int bad = alert_spool_parse_line(line, &r, &title, why,
						 sizeof why) != 0;
		if (!whole && end_last_line(s, lineno, start, bad, err,
					    errlen) != 0)
			goto out;
		if (bad && !whole)
			break;
		if (bad) {
			snprintf(err, errlen, "%s:%zu: bad spool line: %s (fix "
				 "or remove the line)", s->path, lineno, why);
			goto out;
		}
		int t = take(&r, arg);
		free(title);
		if (t < 0 || (t == 0 && keep_line(s, line) != 0)) {
			snprintf(err, errlen, "%s: out of memory", s->path);
			goto out;
		}
		taken += t > 0;
		s->loaded++;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
		goto out;
	}
	if (taken)
		log_info("delivering %zu spooled alert%s from %s first", taken,
			 taken == 1 ? "" : "s", s->path);
	if (s->nkeep)
		log_info("%s: keeping %zu spooled alert%s for a destination "
			 "not given in this run", s->path, s->nkeep,
			 s->nkeep == 1 ? "" : "s");
	rc = 0;
out:
	free(line);
	return rc;
}

struct alert_spool *alert_spool_open(const char *path,
				     int (*take)(const struct alert_rec *r,
						 void *arg),
				     void *arg, char *err, size_t errlen)
{
	FILE *f = NULL;
	struct alert_spool *s = calloc(1, sizeof *s);
	if (s)
		s->lock = s->journal = -1;
	if (!s || !(s->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if ((s->lock = fileutil_lock(path, err, errlen)) < 0)
		goto fail;
	s->journal = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  fileutil_new_mode());
	if (s->journal < 0 || !(f = fopen(path, "re"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (load(s, f, take, arg, err, errlen) != 0)
		goto fail;
	fclose(f);
	return s;
fail:
	if (f)
		fclose(f);
	alert_spool_close(s);
	return NULL;
}

size_t alert_spool_loaded(const struct alert_spool *s)
{
	return s->loaded;
}

const char *alert_spool_path(const struct alert_spool *s)
{
	return s->path;
}

/* One spool line for r, with spooled_at = now. */
static void print_line(FILE *f, const struct alert_rec *r, long long now)
{
	const struct alert_info *ai = &r->info;
	fprintf(f, "{\"id\":%llu,", (unsigned long long)ai->id);
	if (ai->kind == ALERT_SUBTHREAD)
		fprintf(f, "\"kind\":\"subthread\",\"root\":%llu,\"depth\":%u,",
			(unsigned long long)ai->root, (unsigned)ai->depth);
	fputs("\"title\":", f);
	text_json(f, ai->title);
	fprintf(f, ",\"comments\":%llu,\"url\":\"https://news.ycombinator"
		".com/item?id=%llu\",\"dest\":\"%s\",\"reason\":",
		(unsigned long long)ai->comments, (unsigned long long)ai->id,
		dest_key[r->dest]);
	text_json(f, r->reason ? r->reason : "");
	fprintf(f, ",\"attempts\":%u,\"spooled_at\":%lld}\n", r->attempts,
		now);
}

/* Append len bytes in one go, all or nothing (see alert_spool.h). */
static int append(struct alert_spool *s, const char *buf, size_t len)
{
	struct stat st;
	int e = s->broken ? EIO : fstat(s->journal, &st) != 0 ? errno : 0;
	for (size_t off = 0; !e && off < len;) {
		ssize_t w = write(s->journal, buf + off, len - off);
		if (w < 0)
			e = errno == EINTR ? 0 : errno;
		else if (w == 0)
			e = EIO;
		else
			off += (size_t)w;
	}
	if (e) {
		/* all or nothing: cut what a full disk let through */
		if (!s->broken && ftruncate(s->journal, st.st_size) != 0)
			log_error("%s: cannot cut a partial append: %s",
				  s->path, strerror(errno));
		s->broken = true;
		errno = e;
		return -1;
	}
	return 0;
}

static struct alert_rec rec_of(const struct delivery *d, const char *reason)
{
	return (struct alert_rec){ .info = d->al.info, .dest = d->dest,
				   .attempts = d->rt.attempts,
				   .reason = reason };
}

static const char raised[] = "raised; hnbatch ended before the delivery "
			     "was confirmed";

uint64_t alert_spool_journal(struct alert_spool *s, const struct delivery *q,
			     int *e)
{
	uint64_t n = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = s ? open_memstream(&buf, &len) : NULL;
	long long now = (long long)time(NULL);
	for (const struct delivery *d = q; d; d = d->next) {
		if (d->from_spool)
			continue;
		n++;
		struct alert_rec r = rec_of(d, raised);
		if (m)
			print_line(m, &r, now);
	}
	*e = 0;
	if (s && n > 0) {
		*e = !m ? ENOMEM : fclose(m) != 0 ? errno : 0;
		m = NULL;
		if (!*e && append(s, buf, len) != 0)
			*e = errno;
	}
	if (m)
		fclose(m);
	free(buf);
	return n;
}

struct rewrite {
	const struct alert_spool *s;
	const struct delivery *const *held;
	size_t nheld;
	const struct delivery *lost;
};

/* fileutil_replace's writer: the carried lines, the held deliveries, the
 * lost ones. */
static int write_all(FILE *f, void *arg)
{
	const struct rewrite *rw = arg;
	long long now = (long long)time(NULL);
	for (size_t i = 0; i < rw->s->nkeep; i++)
		fprintf(f, "%s\n", rw->s->keep[i]);
	for (size_t i = 0; i < rw->nheld; i++) {
		for (const struct delivery *d = rw->held[i]; d; d = d->next) {
			struct alert_rec r = rec_of(d, raised);
			print_line(f, &r, now);
		}
	}
	for (const struct delivery *d = rw->lost; d; d = d->next) {
		struct alert_rec r = rec_of(d, d->rt.reason);
		print_line(f, &r, now);
	}
	return ferror(f) ? -1 : 0;
}

int alert_spool_save(struct alert_spool *s, const struct delivery *const *held,
		     size_t nheld, const struct delivery *lost, char *err,
		     size_t errlen)
{
	struct rewrite rw = { s, held, nheld, lost };
	if (fileutil_replace(s->path, write_all, &rw, err, errlen) != 0)
		return -1;
	/* the journal goes on in the new file */
	int fd = open(s->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: reopening: %s", s->path,
			 strerror(errno));
		s->broken = true;
		return -1;
	}
	close(s->journal);
	s->journal = fd;
	s->broken = false;
	return 0;
}

void alert_spool_close(struct alert_spool *s)
{
	if (!s)
		return;
	if (s->journal >= 0)
		close(s->journal);
	if (s->lock >= 0)
		close(s->lock);
	for (size_t i = 0; i < s->nkeep; i++)
		free(s->keep[i]);
	free(s->keep);
	free(s->path);
	free(s);
}
