/* check_crawl.c — integration tests: the real binary ($HNBATCH_BIN) crawls
 * the fake API (fakeapi.c) and its --format jsonl output is checked.
 *
 * Fixture sets: every set of $HNBATCH_FIXTURES/manifest.json is served
 * alone, all its story ids go in one ids file, and each output record must
 * match the manifest's walk of the data. Synthetic trees (deep, wide,
 * cycles, repeated kids, deleted parents, missing roots) are built with
 * fakeapi_put. The manifest is read once in main(); each test (a forked
 * child, Check's default) starts its own fake API and temp dir. Assertions
 * run on the test's thread only; the binary's results are collected first
 * and reported together, so one failure names every mismatching story. */
#include "fakeapi.h"
#include "runbin.h"

#include <check.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "testutil.h"

#define RUN_MS (120 * 1000)        /* a normal run; sanitizers are slow */
#define DEEP_RUN_MS (600 * 1000)   /* 100,000 round trips one after another */

/* ---- the manifest ---- */

struct tree {
	uint64_t id;
	int64_t reachable, live, deleted, dead, missing, depth;
	int has_desc;
	int64_t desc;
	char *title;               /* NULL when absent */
};

struct mset {
	char *name, *file;
	long items;
	struct tree *trees;
	size_t n;
};

static struct mset *sets;
static size_t nsets;

static const char *fixtures(void)
{
	const char *d = getenv("HNBATCH_FIXTURES");

	return d && *d ? d : "tests/fixtures";
}

static int64_t get_int(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v)
						     : -1;
}

/* Read the manifest into `sets`. Returns 0, or -1 with a message. */
static int load_manifest(void)
{
	char path[4096];
	json_object *root, *jsets;

	snprintf(path, sizeof path, "%s/manifest.json", fixtures());
	root = json_object_from_file(path);
	if (!root || !json_object_object_get_ex(root, "sets", &jsets)) {
		fprintf(stderr, "check_crawl: cannot read %s\n", path);
		return -1;
	}
	nsets = (size_t)json_object_object_length(jsets);
	sets = calloc(nsets, sizeof *sets);
	size_t i = 0;
	json_object_object_foreach(jsets, name, set) {
		json_object *jf, *jt;
		struct mset *s = &sets[i++];
		if (!json_object_object_get_ex(set, "file", &jf) ||
		    !json_object_object_get_ex(set, "trees", &jt)) {
			fprintf(stderr, "check_crawl: set %s: no file/trees\n",
				name);
			return -1;
		}
		s->name = strdup(name);
		s->file = strdup(json_object_get_string(jf));
		s->items = (long)get_int(set, "items");
		s->n = (size_t)json_object_object_length(jt);
		s->trees = calloc(s->n, sizeof *s->trees);
		size_t k = 0;
		json_object_object_foreach(jt, sid, t) {
			struct tree *tr = &s->trees[k++];
			json_object *v;
			tr->id = strtoull(sid, NULL, 10);
			tr->reachable = get_int(t, "reachable");
			tr->live = get_int(t, "live");
			tr->deleted = get_int(t, "deleted");
			tr->dead = get_int(t, "dead");
			tr->missing = get_int(t, "missing");
			tr->depth = get_int(t, "depth");
			if (json_object_object_get_ex(t, "api_descendants",
						      &v) &&
			    json_object_is_type(v, json_type_int)) {
				tr->has_desc = 1;
				tr->desc = json_object_get_int64(v);
			}
			if (json_object_object_get_ex(t, "title", &v) &&
			    json_object_is_type(v, json_type_string))
				tr->title = strdup(json_object_get_string(v));
		}
	}
	json_object_put(root);
	return 0;
}

/* ---- helpers ---- */

/* A report of mismatches, built up and asserted empty at the end. */
struct report {
	char *p;
	size_t len, cap;
	int n;
};

static void say(struct report *r, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	r->n++;
	if (r->n > 40)              /* enough to see the pattern */
		return;
	size_t l = strlen(line);
	if (r->len + l + 2 > r->cap) {
		r->cap = (r->cap + l + 2) * 2;
		r->p = realloc(r->p, r->cap);
		ck_assert_ptr_nonnull(r->p);
	}
	memcpy(r->p + r->len, line, l);
	r->len += l;
	r->p[r->len++] = '\n';
	r->p[r->len] = '\0';
}

static void report_check(struct report *r, const char *what)
{
	ck_assert_msg(r->n == 0, "%s: %d mismatch(es)%s:\n%s", what, r->n,
		      r->n > 40 ? " (first 40)" : "", r->p ? r->p : "");
	free(r->p);
}

/* Write text to a new file in a fresh directory under $TMPDIR; returns its
 * path (malloc'd). drop_file() removes both. */
static char *write_file(const char *name, const char *text)
{
	char dir[4096], *path;
	const char *t = getenv("TMPDIR");
	FILE *f;

	snprintf(dir, sizeof dir, "%s/check_crawl.XXXXXX",
		 t && *t ? t : "/tmp");
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s", dir);
	ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot create %s", path);
	ck_assert(fputs(text, f) >= 0);
	ck_assert(fclose(f) == 0);
	return path;
}

static void drop_file(char *path)
{
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
	free(path);
}

/* Environment for the child: no proxy may divert loopback requests. */
static const char *const child_env[] = {
	"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
	"all_proxy", "ALL_PROXY", "HNBATCH_API", NULL
};

/* hnbatch's arguments: --api URL --format jsonl --no-progress, generous
 * timeouts, then ARGS... (argv: room for 64). */
static void jsonl_argv(struct fakeapi *api, const char *const *args,
		       const char **argv)
{
	size_t n = 0;

	argv[n++] = "--api";
	argv[n++] = fakeapi_url(api);
	argv[n++] = "--format";
	argv[n++] = "jsonl";
	argv[n++] = "--no-progress";
	/* loaded machines and sanitizer builds are slow: no retry may come
	 * from a timeout, so counts of fetches stay exact */
	argv[n++] = "--timeout";
	argv[n++] = "300";
	argv[n++] = "--connect-timeout";
	argv[n++] = "120";
	for (; *args && n < 63; args++)
		argv[n++] = *args;
	argv[n] = NULL;
}

/* Run hnbatch with jsonl_argv's arguments. */
static void run_jsonl(struct fakeapi *api, const char *const *args,
		      int timeout_ms, struct runbin_result *res)
{
	const char *argv[64];

	jsonl_argv(api, args, argv);
	ck_assert_msg(runbin_run(argv, NULL, child_env, timeout_ms, res) == 0,
		      "cannot run %s", runbin_path());
	ck_assert_msg(!res->timed_out,
		      "%s did not finish in %d ms; stderr:\n%.3000s",
		      runbin_path(), timeout_ms, res->err);
}

/* Start hnbatch with jsonl_argv's arguments (runbin_finish ends it). */
static struct runbin *start_jsonl(struct fakeapi *api,
				  const char *const *args)
{
	const char *argv[64];

	jsonl_argv(api, args, argv);
	struct runbin *rb = runbin_start(argv, NULL, child_env);
	ck_assert_msg(rb != NULL, "cannot start %s", runbin_path());
	return rb;
}

/* One parsed jsonl record. */
struct rec {
	uint64_t id;
	int has_title;
	char title[512];
	int64_t comments, deleted, dead, missing, failed, depth;
	int has_desc;
	int64_t desc;
	int64_t fetches, elapsed_ms;
	char status[32];
	int has_hot;
	int64_t hot_id, hot_comments;
};

static const char *const rec_keys[] = {
	"id", "title", "comments", "deleted", "dead", "missing", "failed",
	"depth", "descendants", "fetches", "elapsed_ms", "status",
	"hottest_id", "hottest_comments",
};
#define NKEYS (sizeof rec_keys / sizeof rec_keys[0])

/* Parse one line into *r; on a malformed record writes why into r->status
 * and returns -1. */
static int parse_rec(const char *line, size_t len, struct rec *r, char *why,
		     size_t whylen)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, line, (int)len);
	size_t k = 0;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		snprintf(why, whylen, "not a JSON object: %.200s", line);
		goto out;
	}
	json_object_object_foreach(o, key, v) {
		if (k >= NKEYS || strcmp(key, rec_keys[k]) != 0) {
			snprintf(why, whylen, "key %zu is '%s', want '%s': "
				 "%.300s", k, key,
				 k < NKEYS ? rec_keys[k] : "(none)", line);
			goto out;
		}
		int want_int = k != 1 && k != 8 && k != 11 &&
			       !(k >= 12 && json_object_is_type(v,
							json_type_null));
		if (want_int && !json_object_is_type(v, json_type_int)) {
			snprintf(why, whylen, "'%s' is not an integer: %.300s",
				 key, line);
			goto out;
		}
		switch (k) {
		case 0: r->id = (uint64_t)json_object_get_int64(v); break;
		case 1:
			if (json_object_is_type(v, json_type_string)) {
				r->has_title = 1;
				snprintf(r->title, sizeof r->title, "%s",
					 json_object_get_string(v));
			} else if (!json_object_is_type(v, json_type_null)) {
				snprintf(why, whylen, "title not string/null");
				goto out;
			}
			break;
		case 2: r->comments = json_object_get_int64(v); break;
		case 3: r->deleted = json_object_get_int64(v); break;
		case 4: r->dead = json_object_get_int64(v); break;
		case 5: r->missing = json_object_get_int64(v); break;
		case 6: r->failed = json_object_get_int64(v); break;
		case 7: r->depth = json_object_get_int64(v); break;
		case 8:
			if (json_object_is_type(v, json_type_int)) {
				r->has_desc = 1;
				r->desc = json_object_get_int64(v);
			} else if (!json_object_is_type(v, json_type_null)) {
				snprintf(why, whylen,
					 "descendants not int/null");
				goto out;
			}
			break;
		case 9: r->fetches = json_object_get_int64(v); break;
		case 10: r->elapsed_ms = json_object_get_int64(v); break;
		case 11:
			if (!json_object_is_type(v, json_type_string)) {
				snprintf(why, whylen, "status not a string");
				goto out;
			}
			snprintf(r->status, sizeof r->status, "%s",
				 json_object_get_string(v));
			break;
		case 12:
			r->has_hot = v != NULL;
			r->hot_id = v ? json_object_get_int64(v) : 0;
			break;
		case 13:
			if ((v != NULL) != r->has_hot) {
				snprintf(why, whylen, "hottest_id and "
					 "hottest_comments: one null");
				goto out;
			}
			r->hot_comments = v ? json_object_get_int64(v) : 0;
			break;
		}
		k++;
	}
	if (k != NKEYS) {
		snprintf(why, whylen, "%zu keys, want %zu: %.300s", k, NKEYS,
			 line);
		goto out;
	}
	rc = 0;
out:
	if (o)
		json_object_put(o);
	json_tokener_free(tok);
	return rc;
}

/* Parse every stdout line; asserts each is a well-formed record. Returns a
 * malloc'd array, its length in *n. */
static struct rec *parse_out(const struct runbin_result *res, size_t *n)
{
	size_t cap = 16;
	struct rec *v = malloc(cap * sizeof *v);
	const char *p = res->out, *end = res->out + res->out_len;
	char why[600];

	*n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		ck_assert_msg(nl != NULL, "last stdout line has no newline");
		if (*n == cap)
			v = realloc(v, (cap *= 2) * sizeof *v);
		ck_assert_msg(parse_rec(p, len, &v[*n], why, sizeof why) == 0,
			      "stdout line %zu: %s", *n + 1, why);
		(*n)++;
		p += len + 1;
	}
	return v;
}

static const struct rec *find_rec(const struct rec *v, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

static int clean_title(const char *t)
{
	for (; *t; t++)
		if ((unsigned char)*t < 0x20 || *t == '&' || *t == 0x7f)
			return 0;
	return 1;
}

#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)

/* ---- per-node counts, against scripts/expect-subthreads ---- */

#define SUB_THRESHOLD 10

/* One alert line "alert: comment ID in ROOT has N comments below it
 * (depth D, ...": scanned into a key that sorts and compares. */
struct sub {
	uint64_t root, id, comments, depth;
};

static int sub_cmp(const void *a, const void *b)
{
	const struct sub *x = a, *y = b;
	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The subthread alerts hnbatch logged, sorted; their count in *n. */
static struct sub *logged_subs(const char *err, size_t *n)
{
	size_t cap = 64;
	struct sub *v = malloc(cap * sizeof *v);
	*n = 0;
	for (const char *p = err; (p = strstr(p, "alert: comment ")); p++) {
		unsigned long long id, root, c, d;
		if (sscanf(p, "alert: comment %llu in %llu has %llu comments "
			   "below it (depth %llu", &id, &root, &c, &d) != 4)
			continue;
		if (*n == cap)
			v = realloc(v, (cap *= 2) * sizeof *v);
		v[(*n)++] = (struct sub){ root, id, c, d };
	}
	qsort(v, *n, sizeof *v, sub_cmp);
	return v;
}

/* Compare every record's hottest_* and every subthread alert with what
 * scripts/expect-subthreads computes from the same items (path). */
static void check_nodes(struct report *rep, const char *path,
			const struct rec *recs, size_t nrec, const char *err)
{
	const char *src = getenv("HNBATCH_SRC");
	char *cmd, *ids = malloc(nrec * 24 + 1), *line = NULL;
	size_t len = 0, cap = 0, nlog, nwant = 0, wcap = 64;
	ids[0] = '\0';
	for (size_t i = 0; i < nrec; i++)
		len += (size_t)sprintf(ids + len, " %" PRIu64, recs[i].id);
	ck_assert(asprintf(&cmd, "python3 '%s/scripts/expect-subthreads' "
			   "--threshold %d '%s'%s", src ? src : ".",
			   SUB_THRESHOLD, path, ids) > 0);
	FILE *f = popen(cmd, "r");
	ck_assert_msg(f != NULL, "cannot run %s", cmd);
	struct sub *want = malloc(wcap * sizeof *want);
	while (getline(&line, &cap, f) > 0) {
		json_object *o = json_tokener_parse(line), *v, *h, *hc;
		ck_assert_msg(o != NULL, "expect-subthreads: %s", line);
		ck_assert(json_object_object_get_ex(o, "root", &v));
		uint64_t root = (uint64_t)json_object_get_int64(v);
		const struct rec *r = find_rec(recs, nrec, root);
		ck_assert(json_object_object_get_ex(o, "hottest_id", &h));
		ck_assert(json_object_object_get_ex(o, "hottest_comments",
						    &hc));
		int64_t hid = h ? json_object_get_int64(h) : -1;
		int64_t hcm = hc ? json_object_get_int64(hc) : -1;
		if (r && (r->has_hot != (h != NULL) ||
			  (h && (r->hot_id != hid || r->hot_comments != hcm))))
			say(rep, "story %" PRIu64 ": hottest %s%" PRId64 "/%"
			    PRId64 ", want %" PRId64 "/%" PRId64, root,
			    r->has_hot ? "" : "null ", r->hot_id,
			    r->hot_comments, hid, hcm);
		ck_assert(json_object_object_get_ex(o, "subthreads", &v));
		for (size_t k = 0; k < json_object_array_length(v); k++) {
			json_object *t = json_object_array_get_idx(v, k);
			if (nwant == wcap)
				want = realloc(want, (wcap *= 2) *
					       sizeof *want);
			uint64_t f[3];
			for (int j = 0; j < 3; j++)
				f[j] = (uint64_t)json_object_get_int64(
					json_object_array_get_idx(t, j));
			want[nwant++] = (struct sub){ root, f[0], f[1], f[2] };
		}
		json_object_put(o);
	}
	ck_assert_msg(pclose(f) == 0, "%s failed", cmd);
	qsort(want, nwant, sizeof *want, sub_cmp);
	struct sub *got = logged_subs(err, &nlog);
	if (nlog != nwant)
		say(rep, "%zu subthread alerts, want %zu", nlog, nwant);
	for (size_t i = 0; i < nlog && i < nwant; i++)
		if (memcmp(&got[i], &want[i], sizeof got[i]) != 0) {
			say(rep, "subthread alert %zu: %" PRIu64 " in %" PRIu64
			    " with %" PRIu64 " at depth %" PRIu64 ", want %"
			    PRIu64 " in %" PRIu64 " with %" PRIu64 " at depth %"
			    PRIu64, i, got[i].id, got[i].root,
			    got[i].comments, got[i].depth, want[i].id,
			    want[i].root, want[i].comments, want[i].depth);
			break;
		}
	free(got);
	free(want);
	free(line);
	free(ids);
	free(cmd);
}

/* ---- fixture sets ---- */

START_TEST(fixture_set)
{
	const struct mset *s = &sets[_i];
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	struct report rep = { 0 };
	char path[4096], *ids, *idfile;
	size_t n, len = 0;
	uint64_t want_fetches = 0;

	ck_assert_ptr_nonnull(api);
	snprintf(path, sizeof path, "%s/%s", fixtures(), s->file);
	long loaded = fakeapi_load_jsonl(api, path);
	ck_assert_msg(loaded == s->items,
		      "%s: loaded %ld items, manifest says %ld",
		      path, loaded, s->items);

	ids = malloc(s->n * 24 + 64);
	len += (size_t)sprintf(ids, "# %s: every story, manifest order\n",
			       s->name);
	for (size_t i = 0; i < s->n; i++) {
		len += (size_t)sprintf(ids + len, "%" PRIu64 "\n",
				       s->trees[i].id);
		want_fetches += 1 + (uint64_t)s->trees[i].reachable +
				(uint64_t)s->trees[i].missing;
	}
	idfile = write_file("ids.txt", ids);

	run_jsonl(api, (const char *[]){ idfile, "--subthread-threshold",
				       TEXT(SUB_THRESHOLD), NULL }, RUN_MS,
		  &res);
	struct rec *v = parse_out(&res, &n);
	check_nodes(&rep, path, v, n, res.err);

	if (!res.exited || res.status != 0)
		say(&rep, "%s, want exit 0; stderr: %.1500s",
		    runbin_describe(&res), res.err);
	if (n != s->n)
		say(&rep, "%zu records for %zu stories", n, s->n);
	for (size_t i = 0; i < s->n && i < n; i++) {
		const struct tree *t = &s->trees[i];
		const struct rec *r = &v[i];
		if (r->id != t->id) {
			say(&rep, "record %zu is story %" PRIu64
			    ", want %" PRIu64
			    " (input order)", i + 1, r->id, t->id);
			if (!(r = find_rec(v, n, t->id)))
				continue;
		}
#define EQ(field, got, want) \
	if ((int64_t)(got) != (int64_t)(want)) \
		say(&rep, "story %" PRIu64 ": " field " %" PRId64 ", want %" \
		    PRId64, t->id, (int64_t)(got), (int64_t)(want))
		EQ("comments", r->comments, t->live);
		EQ("deleted", r->deleted, t->deleted);
		EQ("dead", r->dead, t->dead);
		EQ("missing", r->missing, t->missing);
		EQ("depth", r->depth, t->depth);
		EQ("failed", r->failed, 0);
		EQ("fetches", r->fetches, 1 + t->reachable + t->missing);
#undef EQ
		if (r->has_desc != t->has_desc ||
		    (t->has_desc && r->desc != t->desc))
			say(&rep, "story %" PRIu64 ": descendants %s%" PRId64
			    ", want %s%" PRId64, t->id,
			    r->has_desc ? "" : "null/", r->desc,
			    t->has_desc ? "" : "null/", t->desc);
		if (strcmp(r->status, "complete") != 0)
			say(&rep, "story %" PRIu64 ": status %s, want complete "
			    "(missing kids are not failures)", t->id,
			    r->status);
		/* the manifest says "" where the item has no title */
		if (t->title && !*t->title && r->has_title && *r->title)
			say(&rep, "story %" PRIu64 ": title '%s', want none",
			    t->id, r->title);
		if (t->title && *t->title && clean_title(t->title) &&
		    (!r->has_title || strcmp(r->title, t->title) != 0))
			say(&rep, "story %" PRIu64 ": title '%s', want '%s'",
			    t->id, r->has_title ? r->title : "(null)",
			    t->title);
		if (r->elapsed_ms < 0)
			say(&rep, "story %" PRIu64 ": elapsed_ms %" PRId64,
			    t->id, r->elapsed_ms);
	}

	/* every item asked for once: roots, reachable comments, missing kids */
	struct fakeapi_stats st;
	fakeapi_get_stats(api, &st);
	if (st.item_requests != want_fetches)
		say(&rep, "the API got %" PRIu64 " item requests, want %" PRIu64
		    " (%" PRIu64 " connections, %" PRIu64 " unanswered, slowest"
		    " answer %" PRIu64 " ms)", st.item_requests, want_fetches,
		    st.connections, st.unanswered, st.answer_ms_max);
	uint64_t twice = fakeapi_items_requested_twice(api);
	if (twice)
		say(&rep, "%" PRIu64 " items were requested more than once",
		    twice);
	char summary[64];
	snprintf(summary, sizeof summary, "hnbatch: %zu roots,", s->n);
	if (!strstr(res.err, summary))
		say(&rep, "no summary line '%s...' on stderr: %.500s", summary,
		    res.err);

	char what[256];
	snprintf(what, sizeof what, "set %s (%zu stories)", s->name, s->n);
	report_check(&rep, what);
	free(v);
	free(ids);
	drop_file(idfile);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

/* ---- synthetic trees ---- */

/* Every item a synthetic test serves is also written here, so that
 * scripts/expect-subthreads can count the same tree (each test runs in its
 * own process: one file per test). */
static FILE *gen;
static char *gen_path;

static void put_body(struct fakeapi *api, uint64_t id, const char *body)
{
	if (!gen) {
		gen_path = write_file("items.jsonl", "");
		gen = fopen(gen_path, "a");
		ck_assert_ptr_nonnull(gen);
	}
	ck_assert(fputs(body, gen) >= 0 && fputc('\n', gen) != EOF);
	ck_assert(fakeapi_put(api, id, body) == 0);
}

static void put(struct fakeapi *api, uint64_t id, const char *fmt, ...)
{
	va_list ap;
	char body[1024];

	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	put_body(api, id, body);
}

static void put_story(struct fakeapi *api, uint64_t id, const char *kids,
		      int desc)
{
	put(api, id, "{\"by\":\"t\",\"descendants\":%d,\"id\":%" PRIu64
	    ",\"kids\":[%s],\"score\":1,\"time\":1700000000,\"title\":"
	    "\"Story %" PRIu64 "\",\"type\":\"story\"}", desc, id, kids, id);
}

/* A story with a kids list too long for put()'s buffer. */
static void put_long_story(struct fakeapi *api, uint64_t id,
			   const char *title, const char *kids, int desc)
{
	char *body;
	ck_assert(asprintf(&body, "{\"by\":\"t\",\"descendants\":%d,\"id\":%"
			   PRIu64 ",\"kids\":[%s],\"title\":\"%s\","
			   "\"type\":\"story\"}", desc, id, kids, title) > 0);
	put_body(api, id, body);
	free(body);
}

/* A comment; kids "" for none. extra: more fields, e.g. "\"dead\":true," */
static void put_comment(struct fakeapi *api, uint64_t id, uint64_t parent,
			const char *kids, const char *extra)
{
	if (*kids)
		put(api, id, "{\"by\":\"t\",%s\"id\":%" PRIu64 ",\"kids\":[%s],"
		    "\"parent\":%" PRIu64 ",\"text\":\"c\",\"time\":1700000001,"
		    "\"type\":\"comment\"}", extra, id, kids, parent);
	else
		put(api, id, "{\"by\":\"t\",%s\"id\":%" PRIu64 ",\"parent\":%"
		    PRIu64 ",\"text\":\"c\",\"time\":1700000001,\"type\":"
		    "\"comment\"}", extra, id, parent);
}

/* Run hnbatch --id ROOT ... and return the single record for root. */
static void crawl_one(struct fakeapi *api, uint64_t root, int timeout_ms,
		      struct runbin_result *res, struct rec *out)
{
	char idarg[32];
	size_t n;

	snprintf(idarg, sizeof idarg, "%" PRIu64, root);
	run_jsonl(api, (const char *[]){ "--id", idarg, "--subthread-threshold",
					  TEXT(SUB_THRESHOLD), NULL },
		  timeout_ms, res);
	struct rec *v = parse_out(res, &n);
	ck_assert_msg(n == 1, "%zu records for one root (%s); stderr: %.1500s",
		      n, runbin_describe(res), res->err);
	ck_assert_msg(v[0].id == root, "record for %" PRIu64 ", want %" PRIu64,
		      v[0].id, root);
	*out = v[0];
	free(v);
	if (gen) { /* per-node counts of the same items, counted apart */
		struct report rep = { 0 };
		ck_assert(fflush(gen) == 0);
		check_nodes(&rep, gen_path, out, 1, res->err);
		report_check(&rep, "per-node counts");
	}
}

static void expect(const struct rec *r, const struct runbin_result *res,
		   int64_t comments, int64_t deleted, int64_t dead,
		   int64_t missing, int64_t depth, const char *status,
		   int exit_code)
{
	struct report rep = { 0 };

#define EQ(field, got, want) \
	if ((int64_t)(got) != (int64_t)(want)) \
		say(&rep, field " %" PRId64 ", want %" PRId64, \
		    (int64_t)(got), (int64_t)(want))
	EQ("comments", r->comments, comments);
	EQ("deleted", r->deleted, deleted);
	EQ("dead", r->dead, dead);
	EQ("missing", r->missing, missing);
	EQ("depth", r->depth, depth);
	EQ("failed", r->failed, 0);
#undef EQ
	if (strcmp(r->status, status) != 0)
		say(&rep, "status %s, want %s", r->status, status);
	if (!res->exited || res->status != exit_code)
		say(&rep, "%s, want exit %d; stderr: %.1500s",
		    runbin_describe(res), exit_code, res->err);
	char what[64];
	snprintf(what, sizeof what, "story %" PRIu64, r->id);
	report_check(&rep, what);
}

/* Each item fetched exactly once: the record says `want` fetches and so
 * does the API (no faults and generous timeouts: no retry is due). */
static void expect_fetches(struct fakeapi *api, const struct rec *r,
			   const struct runbin_result *res, int64_t want)
{
	struct fakeapi_stats st;
	uint64_t twice = fakeapi_items_requested_twice(api);

	fakeapi_get_stats(api, &st);
	ck_assert_msg(r->fetches == want &&
		      st.item_requests == (uint64_t)want &&
		      twice == 0,
		      "story %" PRIu64 ": fetches %" PRId64 ", the API got %"
		      PRIu64 " item requests (%" PRIu64 " ids more than once; "
		      "%" PRIu64 " connections, %" PRIu64 " unanswered, "
		      "slowest answer %" PRIu64 " ms), want %" PRId64
		      " once each; stderr: %.1500s", r->id, r->fetches,
		      st.item_requests, twice, st.connections, st.unanswered,
		      st.answer_ms_max, want, res->err);
}

START_TEST(deep_chain)
{
	enum { DEPTH = 100000 };
	const uint64_t root = 50000000;
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	struct rec r;
	char kid[32];

	ck_assert_ptr_nonnull(api);
	put_story(api, root, "50000001", DEPTH);
	for (uint64_t i = 1; i <= DEPTH; i++) {
		snprintf(kid, sizeof kid, "%" PRIu64, root + i + 1);
		put_comment(api, root + i, root + i - 1, i < DEPTH ? kid : "",
			    "");
	}
	crawl_one(api, root, DEEP_RUN_MS, &res, &r);
	expect(&r, &res, DEPTH, 0, 0, 0, DEPTH, "complete", 0);
	expect_fetches(api, &r, &res, DEPTH + 1);
	ck_assert_msg(r.has_desc && r.desc == DEPTH, "descendants");
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

struct wide_gate {
	struct fakeapi *api;
	unsigned want;
};

static int all_held(struct runbin *rb, void *arg)
{
	(void)rb;
	struct wide_gate *g = arg;
	struct fakeapi_stats st;
	fakeapi_get_stats(g->api, &st);
	return st.inflight_now >= g->want;
}

/* A wide level, then a long chain: the connections the wide level opened
 * are closed while the chain runs (fetch.c keep_conns), not all at the
 * end. The WIDE leaves and the chain's head are held until all are in
 * flight at once (so on as many connections), then answered; by the
 * chain's last request the connections open are down to what one request
 * at a time keeps (KEEP_MIN), not WIDE. */
START_TEST(idle_connections_close_in_the_tail)
{
	enum { WIDE = 150, CHAIN = 300 };
	const uint64_t root = 52000000, leaf0 = 52001000, link0 = 52010000;
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	char *kids = malloc((WIDE + 1) * 12), *p = kids, kid[32], idarg[32];
	struct fakeapi_fault hold = { .delay_ms = 600000 };

	ck_assert_ptr_nonnull(api);
	ck_assert_ptr_nonnull(kids);
	p += sprintf(p, "%" PRIu64, link0);
	for (uint64_t i = 0; i < WIDE; i++) {
		p += sprintf(p, ",%" PRIu64, leaf0 + i);
		put_comment(api, leaf0 + i, root, "", "");
		ck_assert_int_eq(fakeapi_fault(api, leaf0 + i, &hold), 0);
	}
	for (uint64_t i = 0; i < CHAIN; i++) {
		snprintf(kid, sizeof kid, "%" PRIu64, link0 + i + 1);
		put_comment(api, link0 + i, i ? link0 + i - 1 : root,
			    i + 1 < CHAIN ? kid : "", "");
	}
	ck_assert_int_eq(fakeapi_fault(api, link0, &hold), 0);
	put_long_story(api, root, "Wide, deep", kids, WIDE + CHAIN);
	snprintf(idarg, sizeof idarg, "%" PRIu64, root);
	struct runbin *rb = start_jsonl(api, (const char *[]){
		"--threads", "1", "-c", "256", "--id", idarg, NULL });
	struct wide_gate g = { api, WIDE + 1 };
	ck_assert_msg(runbin_wait_until(rb, all_held, &g, 20, RUN_MS),
		      "the wide level was never in flight at once");
	fakeapi_release(api);   /* the held ones; the chain's rest is not */
	ck_assert_int_eq(runbin_finish(rb, RUN_MS, &res), 0);
	snprintf(kid, sizeof kid, "\"comments\":%d,", WIDE + CHAIN);
	ck_assert_msg(res.exited && res.status == 0 && strstr(res.out, kid),
		      "%s; stdout: %.500s; stderr: %.1500s",
		      runbin_describe(&res), res.out, res.err);
	struct fakeapi_stats st;
	fakeapi_get_stats(api, &st);
	unsigned last = fakeapi_open_at(api, link0 + CHAIN - 1);
	ck_assert_msg(st.open_max > WIDE, "open at most %u", st.open_max);
	ck_assert_msg(last <= 16, "%u connections open at the chain's last "
		      "request (%u at most, %" PRIu64 " in all)", last,
		      st.open_max, st.connections);
	free(kids);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

struct asked {
	struct fakeapi *api;
	uint64_t id;
};

static int was_asked(struct runbin *rb, void *arg)
{
	(void)rb;
	const struct asked *a = arg;
	return fakeapi_requests(a->api, a->id) > 0;
}

/* The descriptor table is grown to what -c needs before any thread starts
 * (fdlimit.c: a table that grows under threads waits out an RCU grace
 * period each time): /proc/PID/status's FDSize, read while the crawl waits
 * on its held root, is already past -c (the table a child starts with
 * follows its parent's open descriptors: 256 from this test's). */
START_TEST(descriptor_table_sized_at_start)
{
	const uint64_t root = 53000000;
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	char idarg[32], path[64], line[256];

	ck_assert_ptr_nonnull(api);
	put_story(api, root, "", 0);
	struct fakeapi_fault hold = { .delay_ms = 600000 };
	ck_assert_int_eq(fakeapi_fault(api, root, &hold), 0);
	snprintf(idarg, sizeof idarg, "%" PRIu64, root);
	struct runbin *rb = start_jsonl(api, (const char *[]){
		"--threads", "2", "-c", "1000", "--id", idarg, NULL });
	struct asked a = { api, root };
	ck_assert_msg(runbin_wait_until(rb, was_asked, &a, 50, RUN_MS),
		      "the root was never asked for");
	snprintf(path, sizeof path, "/proc/%d/status", (int)runbin_pid(rb));
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	long fdsize = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "FDSize: %ld", &fdsize) == 1)
			break;
	fclose(f);
	fakeapi_release(api);
	ck_assert_int_eq(runbin_finish(rb, RUN_MS, &res), 0);
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max >= 1100)   /* else hnbatch fits -c to what it has */
		ck_assert_msg(fdsize >= 1000, "FDSize %ld with -c 1000",
			      fdsize);
	ck_assert_msg(res.exited && res.status == 0, "%s; stderr: %.1500s",
		      runbin_describe(&res), res.err);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

/* 20,000 top-level comments; three of them have 12, 11 and 12 replies
 * (the tie goes to the smaller id). */
START_TEST(wide_story)
{
	enum { WIDTH = 20000, REPLIES = 35 };
	const uint64_t root = 51000000, reply0 = 51100000;
	static const struct { uint64_t kid; int n; } hot[] = {
		{ 7, 12 }, { 3, 11 }, { 1, 12 } };
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	struct rec r;
	char *kids = malloc(WIDTH * 12), *p = kids, rk[256];
	uint64_t next = reply0;

	ck_assert_ptr_nonnull(api);
	for (uint64_t i = 1; i <= WIDTH; i++) {
		p += sprintf(p, "%s%" PRIu64, i > 1 ? "," : "", root + i);
		size_t h = 0, o = 0;
		while (h < 3 && hot[h].kid != i)
			h++;
		for (int j = 0; h < 3 && j < hot[h].n; j++) {
			o += (size_t)sprintf(rk + o, "%s%" PRIu64, j ? "," : "",
					     next);
			put_comment(api, next++, root + i, "", "");
		}
		put_comment(api, root + i, root, h < 3 ? rk : "", "");
	}
	ck_assert_uint_eq(next - reply0, REPLIES);
	put_long_story(api, root, "Wide", kids, WIDTH + REPLIES);
	crawl_one(api, root, RUN_MS, &res, &r);
	expect(&r, &res, WIDTH + REPLIES, 0, 0, 0, 2, "complete", 0);
	expect_fetches(api, &r, &res, WIDTH + REPLIES + 1);
	ck_assert_str_eq(r.title, "Wide");
	ck_assert(r.has_hot && r.hot_id == root + 1 && r.hot_comments == 12);
	free(kids);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

/* Per-node counts on a tree with every kind of item: a kid listed twice
 * by its parent, cycles back to an ancestor and to the root, a kid listed
 * by two parents (either may claim it: both stay under the threshold, and
 * their common ancestor counts it once), deleted and dead comments with
 * live replies (counted below them, and they can be hot), a missing kid
 * and a chain. scripts/expect-subthreads counts the same items. */
START_TEST(node_counts_mixed)
{
	const uint64_t R = 53000000, A = R + 1, B = R + 2, C = R + 3,
		D = R + 4, E = R + 5, F = R + 6, A1 = R + 10, A2 = R + 11,
		A3 = R + 12, X = R + 13, Y = R + 14, L = R + 100;
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	struct rec r;
	char k[512];
	uint64_t leaf = L;
	ck_assert_ptr_nonnull(api);

	/* n live leaves under parent, their ids into k */
#define LEAVES(parent, n) do { \
		size_t o_ = 0; \
		for (int j_ = 0; j_ < (n); j_++) { \
			o_ += (size_t)sprintf(k + o_, "%s%" PRIu64, \
					      j_ ? "," : "", leaf); \
			put_comment(api, leaf++, parent, "", ""); \
		} \
	} while (0)
	snprintf(k, sizeof k, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, A, B, C, D, E, F, A);
	put_story(api, R, k, 0);
	snprintf(k, sizeof k, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64,
		 A1, A2, A3, X);
	put_comment(api, A, R, k, "");
	LEAVES(A1, 11);
	put_comment(api, A1, A, k, "");
	LEAVES(A2, 1);
	snprintf(k + strlen(k), sizeof k - strlen(k), ",%" PRIu64, Y);
	put_comment(api, A2, A, k, "\"dead\":true,");
	put_comment(api, leaf, A3, "", "\"deleted\":true,");
	snprintf(k, sizeof k, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64,
		 Y, leaf++, R, A);
	put_comment(api, A3, A, k, "");
	LEAVES(Y, 2);
	put_comment(api, Y, A2, k, "");
	LEAVES(X, 3);
	put_comment(api, X, A, k, "\"deleted\":true,");
	LEAVES(B, 15);
	put_comment(api, B, R, k, "\"deleted\":true,");
	for (uint64_t j = 1; j <= 12; j++) {     /* C -> c1 -> ... -> c12 */
		snprintf(k, sizeof k, "%" PRIu64, R + 201 + j);
		put_comment(api, R + 200 + j, j == 1 ? C : R + 199 + j,
			    j < 12 ? k : "", "");
	}
	snprintf(k, sizeof k, "%" PRIu64, R + 201);
	put_comment(api, C, R, k, "");
	put_comment(api, E, R, "", "");
	LEAVES(F, 11);
	put_comment(api, F, R, k, "\"dead\":true,");
#undef LEAVES
	crawl_one(api, R, RUN_MS, &res, &r);   /* also checks every node */
	ck_assert_msg(r.has_hot && r.hot_id == A, "hottest %" PRIu64,
		      r.hot_id);
	ck_assert_int_eq(r.missing, 1);                /* D */
	ck_assert_str_eq(r.status, "complete");
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(cycles)
{
	/* R -> A -> B -> {A, R, C}; C -> C: three comments, depth 3 */
	const uint64_t R = 52000000, A = R + 1, B = R + 2, C = R + 3;
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	struct rec r;
	char kids[128];

	ck_assert_ptr_nonnull(api);
	snprintf(kids, sizeof kids, "%" PRIu64, A);
	put_story(api, R, kids, 3);
	snprintf(kids, sizeof kids, "%" PRIu64, B);
	put_comment(api, A, R, kids, "");
	snprintf(kids, sizeof kids, "%" PRIu64 ",%" PRIu64 ",%" PRIu64,
		 A, R, C);
	put_comment(api, B, A, kids, "");
	snprintf(kids, sizeof kids, "%" PRIu64, C);
	put_comment(api, C, B, kids, "");
	crawl_one(api, R, RUN_MS, &res, &r);
	expect(&r, &res, 3, 0, 0, 0, 3, "complete", 0);
	expect_fetches(api, &r, &res, 4);
	ck_assert_uint_eq(fakeapi_requests(api, R), 1);
	ck_assert_uint_eq(fakeapi_requests(api, A), 1);
	ck_assert_uint_eq(fakeapi_requests(api, C), 1);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(repeated_kids)
{
	/* R kids [A, A, B]; A kids [C, C, B]: A, B, C once each, depth 2 */
	const uint64_t R = 53000000, A = R + 1, B = R + 2, C = R + 3;
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	struct rec r;
	char kids[128];

	ck_assert_ptr_nonnull(api);
	snprintf(kids, sizeof kids, "%" PRIu64 ",%" PRIu64 ",%" PRIu64,
		 A, A, B);
	put_story(api, R, kids, 3);
	snprintf(kids, sizeof kids, "%" PRIu64 ",%" PRIu64 ",%" PRIu64,
		 C, C, B);
	put_comment(api, A, R, kids, "");
	put_comment(api, B, R, "", "");
	put_comment(api, C, A, "", "");
	crawl_one(api, R, RUN_MS, &res, &r);
	expect(&r, &res, 3, 0, 0, 0, 2, "complete", 0);
	expect_fetches(api, &r, &res, 4);
	ck_assert_uint_eq(fakeapi_requests(api, A), 1);
	ck_assert_uint_eq(fakeapi_requests(api, B), 1);
	ck_assert_uint_eq(fakeapi_requests(api, C), 1);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(deleted_parents)
{
	/* R kids [D, X, Y]; D deleted with kids [E, F], E kids [G];
	 * X dead with kid H; Y deleted and dead (counts as deleted only).
	 * Live: E F G H; deleted: D Y; dead: X; depth R-D-E-G = 3. */
	const uint64_t R = 54000000, D = R + 1, E = R + 2, F = R + 3, G = R + 4,
		       X = R + 5, H = R + 6, Y = R + 7;
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	struct rec r;
	char kids[128];

	ck_assert_ptr_nonnull(api);
	snprintf(kids, sizeof kids, "%" PRIu64 ",%" PRIu64 ",%" PRIu64,
		 D, X, Y);
	put_story(api, R, kids, 6);
	put(api, D, "{\"deleted\":true,\"id\":%" PRIu64 ",\"kids\":[%" PRIu64
	    ",%" PRIu64 "],\"parent\":%" PRIu64 ",\"time\":1700000001,"
	    "\"type\":\"comment\"}", D, E, F, R);
	snprintf(kids, sizeof kids, "%" PRIu64, G);
	put_comment(api, E, D, kids, "");
	put_comment(api, F, D, "", "");
	put_comment(api, G, E, "", "");
	snprintf(kids, sizeof kids, "%" PRIu64, H);
	put_comment(api, X, R, kids, "\"dead\":true,");
	put_comment(api, H, X, "", "");
	put(api, Y, "{\"dead\":true,\"deleted\":true,\"id\":%" PRIu64
	    ",\"parent\":%" PRIu64 ",\"time\":1700000001,\"type\":\"comment\"}",
	    Y, R);
	crawl_one(api, R, RUN_MS, &res, &r);
	expect(&r, &res, 4, 2, 1, 0, 3, "complete", 0);
	expect_fetches(api, &r, &res, 8);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(missing_kids_are_complete)
{
	/* R kids [A, M1]; A kids [M2]: M1, M2 answer null */
	const uint64_t R = 55000000, A = R + 1, M1 = R + 2, M2 = R + 3;
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	struct rec r;
	char kids[64];

	ck_assert_ptr_nonnull(api);
	snprintf(kids, sizeof kids, "%" PRIu64 ",%" PRIu64, A, M1);
	put_story(api, R, kids, 3);
	snprintf(kids, sizeof kids, "%" PRIu64, M2);
	put_comment(api, A, R, kids, "");
	crawl_one(api, R, RUN_MS, &res, &r);
	expect(&r, &res, 1, 0, 0, 2, 1, "complete", 0);
	ck_assert_uint_eq(fakeapi_requests(api, M1), 1);
	ck_assert_uint_eq(fakeapi_requests(api, M2), 1);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(missing_root)
{
	/* a good root, then one the API does not hold: exit 1 */
	const uint64_t R = 56000000, A = R + 1, NONE = 56999999;
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	char kids[32], text[128];
	size_t n;

	ck_assert_ptr_nonnull(api);
	snprintf(kids, sizeof kids, "%" PRIu64, A);
	put_story(api, R, kids, 1);
	put_comment(api, A, R, "", "");
	snprintf(text, sizeof text, "%" PRIu64 "\n%" PRIu64 "\n", R, NONE);
	char *file = write_file("ids", text);
	run_jsonl(api, (const char *[]){ file, NULL }, RUN_MS, &res);
	struct rec *v = parse_out(&res, &n);
	ck_assert_msg(n == 2, "%zu records, want 2; stderr: %.1000s", n,
		      res.err);
	ck_assert_uint_eq(v[0].id, R);
	ck_assert_str_eq(v[0].status, "complete");
	ck_assert_int_eq(v[0].comments, 1);
	ck_assert_uint_eq(v[1].id, NONE);
	ck_assert_str_eq(v[1].status, "missing");
	ck_assert_int_eq(v[1].comments, 0);
	ck_assert_int_eq(v[1].failed, 0);
	ck_assert_msg(!v[1].has_title, "a missing root has no title");
	ck_assert_msg(res.exited && res.status == 1, "%s, want exit 1",
		      runbin_describe(&res));
	ck_assert_uint_eq(fakeapi_requests(api, NONE), 1);
	free(v);
	drop_file(file);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(roots_once)
{
	/* file: A, B, A (as a link); then --id A --id C: A, B, C once each */
	const uint64_t A = 57000000, B = 57000010, C = 57000020;
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	char text[256], ida[32], idc[32];
	size_t n;

	ck_assert_ptr_nonnull(api);
	put_story(api, A, "57000001", 1);
	put_comment(api, A + 1, A, "", "");
	put_story(api, B, "57000011", 1);
	put_comment(api, B + 1, B, "", "");
	put_story(api, C, "57000021", 1);
	put_comment(api, C + 1, C, "", "");
	snprintf(text, sizeof text, "%" PRIu64 "\n%" PRIu64 "\n"
		 "https://news.ycombinator.com/item?id=%" PRIu64 "\n", A, B, A);
	snprintf(ida, sizeof ida, "%" PRIu64, A);
	snprintf(idc, sizeof idc, "%" PRIu64, C);
	char *file = write_file("ids", text);
	run_jsonl(api, (const char *[]){ file, "--id", ida, "--id", idc, NULL },
		  RUN_MS, &res);
	struct rec *v = parse_out(&res, &n);
	ck_assert_msg(n == 3, "%zu records, want 3: %s", n, res.out);
	ck_assert_msg(find_rec(v, n, A) && find_rec(v, n, B) &&
		      find_rec(v, n, C),
		      "want A, B and C: %s", res.out);
	ck_assert_msg(v[0].id == A, "first appearance first: %s", res.out);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(v[i].comments, 1);
	ck_assert_uint_eq(fakeapi_requests(api, A), 1);
	ck_assert_uint_eq(fakeapi_requests(api, A + 1), 1);
	ck_assert_msg(res.exited && res.status == 0, "%s",
		      runbin_describe(&res));
	free(v);
	drop_file(file);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(top_list)
{
	const uint64_t S = 58000000;
	struct fakeapi *api = fakeapi_start();
	struct runbin_result res;
	char list[128];
	size_t n;

	ck_assert_ptr_nonnull(api);
	for (uint64_t i = 1; i <= 5; i++) {
		char kids[32];
		snprintf(kids, sizeof kids, "%" PRIu64, S + i * 10 + 1);
		put_story(api, S + i * 10, kids, 1);
		put_comment(api, S + i * 10 + 1, S + i * 10, "", "");
	}
	/* not sorted, so the order can only come from the list */
	snprintf(list, sizeof list, "[%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%"
		 PRIu64 ",%" PRIu64 "]", S + 30, S + 10, S + 50, S + 20,
		 S + 40);
	ck_assert(fakeapi_put_list(api, "topstories", list) == 0);
	run_jsonl(api, (const char *[]){ "--top", "3", NULL }, RUN_MS, &res);
	struct rec *v = parse_out(&res, &n);
	ck_assert_msg(n == 3, "%zu records, want 3; stderr: %.1000s", n,
		      res.err);
	ck_assert_uint_eq(v[0].id, S + 30);
	ck_assert_uint_eq(v[1].id, S + 10);
	ck_assert_uint_eq(v[2].id, S + 50);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(v[i].comments, 1);
		ck_assert_str_eq(v[i].status, "complete");
	}
	ck_assert_msg(res.exited && res.status == 0, "%s",
		      runbin_describe(&res));
	ck_assert_uint_eq(fakeapi_list_requests(api, "topstories"), 1);
	ck_assert_uint_eq(fakeapi_requests(api, S + 20), 0);
	ck_assert_uint_eq(fakeapi_requests(api, S + 40), 0);
	free(v);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

static Suite *crawl_suite(void)
{
	Suite *s = suite_create("crawl");
	TCase *tc = tcase_create("fixtures");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, fixture_set, 0, (int)nsets);
	suite_add_tcase(s, tc);

	tc = tcase_create("synthetic");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, wide_story);
	tcase_add_test(tc, node_counts_mixed);
	tcase_add_test(tc, cycles);
	tcase_add_test(tc, repeated_kids);
	tcase_add_test(tc, deleted_parents);
	tcase_add_test(tc, missing_kids_are_complete);
	tcase_add_test(tc, missing_root);
	tcase_add_test(tc, roots_once);
	tcase_add_test(tc, top_list);
	tcase_add_test(tc, idle_connections_close_in_the_tail);
	tcase_add_test(tc, descriptor_table_sized_at_start);
	suite_add_tcase(s, tc);

	tc = tcase_create("deep");
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, deep_chain);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (load_manifest() != 0)
		return 1;
	/* the sets the spec names must be there */
	static const char *const need[] = { "firebase-2022-04",
		"scraped-circumflex", "firebase-first-590" };
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		size_t k = 0;
		while (k < nsets && strcmp(sets[k].name, need[i]) != 0)
			k++;
		if (k == nsets) {
			fprintf(stderr, "check_crawl: manifest lacks set %s\n",
				need[i]);
			return 1;
		}
	}
	return tu_run(crawl_suite());
}
