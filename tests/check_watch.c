/* check_watch.c — hnbatch --watch through the real binary against the fake
 * API's Firebase streams, while the test changes the data as HN does: new
 * comments at every depth (a new item, its parent's kids, maxitem, the
 * updates list), deletions, dead flags, a kid detached, new ids answering
 * null at first, stories entering and leaving the list, streams dropped
 * mid-event, cancelled, redirected, silent.
 *
 * Exactness: after each burst of changes, every watched root's last record
 * must equal what a fresh full crawl of the same server returns (a batch
 * hnbatch run), for every field but fetches, elapsed_ms and changed_at.
 * The test waits for that condition (with a timeout), never for a time. */
#include <check.h>
#include <poll.h>
#include <pty.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakeapi.h"
#include "runbin.h"
#include "testutil.h"

#define TIMEOUT 60000

/* ---- a small model of HN items, served by the fake ---------------------- */

struct titem {
	uint64_t id, parent;
	uint64_t kids[64];
	size_t nkids;
	int deleted, dead, story;
};

struct model {
	struct fakeapi *api;
	struct titem it[256];
	size_t n;
	uint64_t maxitem;
	uint64_t recent[30];      /* updates.json: newest first, as HN's */
	size_t nrecent;
};

static struct titem *find(struct model *m, uint64_t id)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->it[i].id == id)
			return &m->it[i];
	return NULL;
}

static void serve(struct model *m, const struct titem *t)
{
	char b[4096];
	size_t o = (size_t)snprintf(b, sizeof b, "{\"id\":%llu,\"type\":\"%s\"",
				    (unsigned long long)t->id,
				    t->story ? "story" : "comment");
	if (t->story)
		o += (size_t)snprintf(b + o, sizeof b - o,
				      ",\"title\":\"Story %llu\"",
				      (unsigned long long)t->id);
	else
		o += (size_t)snprintf(b + o, sizeof b - o, ",\"parent\":%llu",
				      (unsigned long long)t->parent);
	if (t->deleted)
		o += (size_t)snprintf(b + o, sizeof b - o, ",\"deleted\":true");
	if (t->dead)
		o += (size_t)snprintf(b + o, sizeof b - o, ",\"dead\":true");
	if (t->nkids) {
		o += (size_t)snprintf(b + o, sizeof b - o, ",\"kids\":[");
		for (size_t k = 0; k < t->nkids; k++)
			o += (size_t)snprintf(b + o, sizeof b - o, "%s%llu",
					      k ? "," : "",
					      (unsigned long long)t->kids[k]);
		o += (size_t)snprintf(b + o, sizeof b - o, "]");
	}
	snprintf(b + o, sizeof b - o, "}");
	ck_assert_int_eq(fakeapi_put(m->api, t->id, b), 0);
}

/* Add an item (served at once); it is its parent's newest kid. */
static struct titem *add(struct model *m, uint64_t id, uint64_t parent)
{
	ck_assert_uint_lt(m->n, 256);
	struct titem *t = &m->it[m->n++];
	memset(t, 0, sizeof *t);
	t->id = id;
	t->parent = parent;
	t->story = parent == 0;
	struct titem *p = parent ? find(m, parent) : NULL;
	if (p) {
		p->kids[p->nkids++] = id;
		serve(m, p);
	}
	serve(m, t);
	if (id > m->maxitem)
		m->maxitem = id;
	return t;
}

/* A story with `width` top-level comments, each with a chain of `depth`
 * replies. Ids from base. */
static void story(struct model *m, uint64_t base, int width, int depth)
{
	add(m, base, 0);
	uint64_t id = base + 1;
	for (int i = 0; i < width; i++) {
		uint64_t top = id++;
		add(m, top, base);
		for (int d = 0; d < depth; d++, id++)
			add(m, id, d ? id - 1 : top);
	}
}

/* HN's way of telling: the new items via maxitem, what changed via
 * updates. */
static void tell(struct model *m, const uint64_t *changed, size_t n)
{
	const size_t cap = sizeof m->recent / sizeof m->recent[0];
	for (size_t c = n; c-- > 0;) { /* changed[0] ends in front */
		size_t i = 0;
		while (i < m->nrecent && m->recent[i] != changed[c])
			i++;
		if (i == m->nrecent && m->nrecent < cap)
			m->nrecent++;
		if (i == m->nrecent)
			i--;
		memmove(m->recent + 1, m->recent, i * sizeof *m->recent);
		m->recent[0] = changed[c];
	}
	ck_assert_int_eq(fakeapi_set_maxitem(m->api, m->maxitem), 0);
	ck_assert_int_eq(fakeapi_send_updates(m->api, m->recent,
					      m->nrecent), 0);
}

/* A new comment under parent, told as HN tells it. */
static void new_comment(struct model *m, uint64_t id, uint64_t parent)
{
	add(m, id, parent);
	uint64_t changed[2] = { id, parent };
	tell(m, changed, 2);
}

static void flag(struct model *m, uint64_t id, int deleted, int dead)
{
	struct titem *t = find(m, id);
	t->deleted |= deleted;
	t->dead |= dead;
	serve(m, t);
	tell(m, &id, 1);
}

static void detach(struct model *m, uint64_t parent, uint64_t kid)
{
	struct titem *p = find(m, parent);
	size_t k = 0;
	for (size_t i = 0; i < p->nkids; i++)
		if (p->kids[i] != kid)
			p->kids[k++] = p->kids[i];
	p->nkids = k;
	serve(m, p);
	tell(m, &parent, 1);
}

/* ---- records ------------------------------------------------------------ */

/* The last record of each root in jsonl text, as one line per root id in
 * ids order, without fetches, elapsed_ms and changed_at (malloc'd). */
static char *last_records(const char *out, const uint64_t *ids, size_t n)
{
	char *res = calloc(1, 1);
	size_t len = 0;
	for (size_t r = 0; r < n; r++) {
		char key[48], *last = NULL;
		snprintf(key, sizeof key, "{\"id\":%llu,",
			 (unsigned long long)ids[r]);
		for (const char *p = out; (p = strstr(p, key)); p++)
			if (p == out || p[-1] == '\n')
				last = (char *)p;
		if (!last)
			continue;
		const char *e = strchr(last, '\n');
		char *line = strndup(last, e ? (size_t)(e - last)
					     : strlen(last));
		json_object *o = json_tokener_parse(line);
		free(line);
		if (!o)
			continue;
		json_object_object_del(o, "fetches");
		json_object_object_del(o, "elapsed_ms");
		json_object_object_del(o, "changed_at");
		const char *s = json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PLAIN);
		res = realloc(res, len + strlen(s) + 2);
		len += (size_t)sprintf(res + len, "%s\n", s);
		json_object_put(o);
	}
	return res;
}

/* What a fresh batch crawl of the server says now. */
static char *fresh(struct fakeapi *api, const uint64_t *ids, size_t n)
{
	const char *args[32] = { "--api", fakeapi_url(api), "--format",
				 "jsonl", "-q" };
	char idv[8][24];
	size_t a = 5;
	for (size_t i = 0; i < n && i < 8; i++) {
		snprintf(idv[i], sizeof idv[i], "%llu",
			 (unsigned long long)ids[i]);
		args[a++] = "--id";
		args[a++] = idv[i];
	}
	args[a] = NULL;
	struct runbin_result res;
	ck_assert_int_eq(runbin_run(args, NULL, NULL, TIMEOUT, &res), 0);
	char *recs = last_records(res.out, ids, n);
	runbin_result_free(&res);
	return recs;
}

struct want {
	const char *expect;
	const uint64_t *ids;
	size_t n;
};

static int records_are(struct runbin *rb, void *arg)
{
	struct want *w = arg;
	size_t len;
	const char *out = runbin_stdout(rb, &len);
	char *got = last_records(out, w->ids, w->n);
	int ok = strcmp(got, w->expect) == 0;
	free(got);
	return ok;
}

/* Wait until the watch's last records equal a fresh crawl's. */
static void settles(struct runbin *rb, struct fakeapi *api,
		    const uint64_t *ids, size_t n, const char *what)
{
	char *expect = fresh(api, ids, n);
	struct want w = { expect, ids, n };
	int ok = runbin_wait_until(rb, records_are, &w, 20, TIMEOUT);
	size_t len, elen;
	const char *out = runbin_stdout(rb, &len);
	const char *err = runbin_stderr(rb, &elen);
	char *got = last_records(out, ids, n);
	ck_assert_msg(ok, "%s: the watch says\n%s\na fresh crawl says\n%s\n"
		      "stderr: %.1200s", what, got, expect, err);
	free(got);
	free(expect);
}

struct connects {
	struct fakeapi *api;
	const char *name;
	uint64_t n;
};

static int connected(struct runbin *rb, void *arg)
{
	(void)rb;
	struct connects *c = arg;
	return fakeapi_stream_connects(c->api, c->name) >= c->n;
}

/* Wait until stream `name` was opened n times, reading the child's output
 * meanwhile (a child blocked on a full stderr pipe would never get
 * there); on failure, the end of its stderr. */
static void connects(struct runbin *rb, struct fakeapi *api,
		     const char *name, uint64_t n)
{
	struct connects c = { api, name, n };
	int ok = runbin_wait_until(rb, connected, &c, 20, TIMEOUT);
	size_t elen;
	const char *err = runbin_stderr(rb, &elen);
	ck_assert_msg(ok, "stream %s: %llu connects, want %llu: %s", name,
		      (unsigned long long)fakeapi_stream_connects(api, name),
		      (unsigned long long)n,
		      elen > 1500 ? err + elen - 1500 : err);
}

struct asked {
	struct fakeapi *api;
	uint64_t id, n;
};

static int asked(struct runbin *rb, void *arg)
{
	(void)rb;
	struct asked *a = arg;
	return fakeapi_requests(a->api, a->id) >= a->n;
}

static struct runbin *watch(struct fakeapi *api, const char *const *more)
{
	const char *args[40] = { "--api", fakeapi_url(api), "--watch",
				 "--format", "jsonl", "--resync", "0", "-v" };
	size_t a = 8;
	while (more && *more && a < 39)
		args[a++] = *more++;
	args[a] = NULL;
	struct runbin *rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(rb);
	return rb;
}

static void finish(struct runbin *rb, int sig, int want_status,
		   struct runbin_result *res)
{
	if (sig)
		runbin_kill(rb, sig);
	ck_assert_int_eq(runbin_finish(rb, TIMEOUT, res), 0);
	ck_assert_msg(res->exited && res->status == want_status, "%s: %.3000s",
		      runbin_describe(res), res->err);
}

static struct model *model_new(void)
{
	struct model *m = calloc(1, sizeof *m);
	m->api = fakeapi_start();
	ck_assert_ptr_nonnull(m->api);
	return m;
}

static void model_free(struct model *m)
{
	fakeapi_stop(m->api);
	free(m);
}

/* ---- tests -------------------------------------------------------------- */

/* Three bursts of changes, each settling to a fresh crawl's counts: new
 * comments at every depth and at the top, deletions and dead flags (with a
 * reply under a deleted comment), a kid detached with its subtree, a new
 * id that answers null at first, one that stays null, a reply under the
 * detached subtree. */
START_TEST(test_exact_after_bursts)
{
	struct model *m = model_new();
	story(m, 1000, 3, 4);               /* 1000: 3 x (1 + 4) comments */
	story(m, 2000, 2, 2);
	fakeapi_set_maxitem(m->api, m->maxitem);
	const uint64_t ids[] = { 1000, 2000 };
	const char *more[] = { "--id", "1000", "--id", "2000", NULL };
	struct runbin *rb = watch(m->api, more);
	settles(rb, m->api, ids, 2, "first crawl");

	new_comment(m, 3001, 1000);         /* top level */
	new_comment(m, 3002, 1001);         /* depth 2 */
	new_comment(m, 3003, 1003);         /* depth 4 */
	new_comment(m, 3004, 3002);         /* under a new one */
	new_comment(m, 3005, 2001);
	settles(rb, m->api, ids, 2, "new comments");

	flag(m, 1002, 1, 0);                /* deleted, its kids stay */
	flag(m, 2002, 0, 1);                /* dead */
	new_comment(m, 3006, 1002);         /* a reply under the deleted */
	settles(rb, m->api, ids, 2, "deleted and dead");

	detach(m, 1000, 1006);              /* a subtree of 5 leaves */
	struct fakeapi_fault once = { .null_first = 1 };
	fakeapi_fault(m->api, 3007, &once);
	new_comment(m, 3007, 1011);         /* null at first, asked again */
	settles(rb, m->api, ids, 2, "detached, null at first");

	/* a new id its parent lists that stays null: given up as new, then
	 * counted missing under its parent as a crawl counts it */
	struct titem *p = find(m, 1004);
	p->kids[p->nkids++] = 3008;
	serve(m, p);
	m->maxitem = 3008;
	uint64_t told = 1004;
	tell(m, &told, 1);
	settles(rb, m->api, ids, 2, "a new kid null to the end");

	/* a reply deep in the detached subtree: its parents' chain leads to
	 * 1006, whose own parent field still names 1000, which lists it no
	 * more: none of it is counted again (once 1006 was asked for, a
	 * change that counts, then the last records too) */
	struct asked a1006 = { m->api, 1006,
			       fakeapi_requests(m->api, 1006) + 1 };
	new_comment(m, 3009, 1008);
	ck_assert(runbin_wait_until(rb, asked, &a1006, 20, TIMEOUT));
	new_comment(m, 3010, 1012);         /* not under 1000: 1000 is not
					       asked for again */
	settles(rb, m->api, ids, 2, "a reply under a detached subtree");
	char *want = fresh(m->api, ids, 2);

	struct runbin_result res;
	finish(rb, SIGTERM, 143, &res);
	ck_assert_msg(strstr(res.err, "stream events") &&
		      strstr(res.err, " new items,"), "%.2000s", res.err);
	char *got = last_records(res.out, ids, 2);
	ck_assert_msg(!strcmp(got, want), "the last records\n%s\na fresh "
		      "crawl\n%s", got, want);
	free(got);
	free(want);
	runbin_result_free(&res);
	model_free(m);
}
END_TEST

/* updates.json names the items changed lately, newest first: an event
 * names the one that changed in front of those that did before. Only that
 * one is asked for again: 25 changes, 25 update fetches (asking again for
 * every watched item the list names took 49 here, those still in flight
 * being asked once). */
START_TEST(test_only_changes_asked)
{
	struct model *m = model_new();
	story(m, 1000, 30, 0);
	fakeapi_set_maxitem(m->api, m->maxitem);
	const uint64_t ids[] = { 1000 };
	const char *more[] = { "--id", "1000", NULL };
	struct runbin *rb = watch(m->api, more);
	settles(rb, m->api, ids, 1, "first crawl");
	for (uint64_t i = 0; i < 25; i++)
		flag(m, 1001 + i, (int)(i & 1), !(i & 1));
	settles(rb, m->api, ids, 1, "25 flags");

	struct runbin_result res;
	finish(rb, SIGTERM, 143, &res);
	const char *p = strstr(res.err, "new items, ");
	unsigned long long upd = 0, moved = 0;
	ck_assert_msg(p && sscanf(p, "new items, %llu updates (%llu named",
				  &upd, &moved) == 2, "%.1500s", res.err);
	ck_assert_msg(upd == 25, "%llu update fetches for 25 changes", upd);
	ck_assert_msg(moved == 24 * 25 / 2, "%llu ids moved back", moved);
	runbin_result_free(&res);
	model_free(m);
}
END_TEST

/* A real story with 1,318 kids (most of them null in the recording): the
 * first answer alone asks for more fetches than the watch had room for,
 * so its request table grows while that answer is taken. */
START_TEST(test_wide_root)
{
	struct model *m = model_new();
	const char *d = getenv("HNBATCH_FIXTURES");
	char path[4096];
	snprintf(path, sizeof path, "%s/firebase-first-590.jsonl",
		 d && *d ? d : "tests/fixtures");
	ck_assert_int_gt(fakeapi_load_jsonl(m->api, path), 0);
	const uint64_t ids[] = { 363 };
	const char *more[] = { "--id", "363", NULL };
	struct runbin *rb = watch(m->api, more);
	settles(rb, m->api, ids, 1, "first crawl");
	struct runbin_result res;
	finish(rb, SIGTERM, 143, &res);
	runbin_result_free(&res);
	model_free(m);
}
END_TEST

/* Streams that drop mid-event, are cancelled or go silent are reconnected;
 * what changed meanwhile is caught up (maxitem by its ids; updates by
 * crawling every root again). */
START_TEST(test_drops_caught_up)
{
	struct model *m = model_new();
	story(m, 1000, 2, 3);
	fakeapi_set_maxitem(m->api, m->maxitem);
	const uint64_t ids[] = { 1000 };
	const char *more[] = { "--id", "1000", "--stream-timeout", "2",
			       NULL };
	struct runbin *rb = watch(m->api, more);
	settles(rb, m->api, ids, 1, "first crawl");

	/* half an event, then the connection drops; changes while down */
	ck_assert_int_ge(fakeapi_stream_send(m->api, "maxitem",
					     "event: put\ndata: {\"pa"), 1);
	fakeapi_stream_drop(m->api, "maxitem");
	fakeapi_stream_drop(m->api, "updates");
	new_comment(m, 3001, 1001);
	flag(m, 1002, 1, 0);
	new_comment(m, 3002, 1000);
	connects(rb, m->api, "maxitem", 2);
	connects(rb, m->api, "updates", 2);
	settles(rb, m->api, ids, 1, "after a drop");

	/* a cancel ends a stream too */
	uint64_t before = fakeapi_stream_connects(m->api, "updates");
	fakeapi_stream_send(m->api, "updates",
			    "event: cancel\ndata: null\n\n");
	connects(rb, m->api, "updates", before + 1);
	new_comment(m, 3003, 3001);
	settles(rb, m->api, ids, 1, "after a cancel");

	/* silent streams (no keep-alive) are reconnected after 2 s */
	connects(rb, m->api, "maxitem",
		 fakeapi_stream_connects(m->api, "maxitem") + 1);
	struct runbin_result res;
	finish(rb, SIGINT, 130, &res);
	ck_assert_msg(strstr(res.err, "no event for 2 s"), "%s", res.err);
	runbin_result_free(&res);
	model_free(m);
}
END_TEST

/* --top 2 follows the list's stream (behind a 307, as Firebase answers):
 * a story that enters is crawled and watched, one that leaves gets a last
 * record with status "left". */
START_TEST(test_list_enter_leave)
{
	struct model *m = model_new();
	story(m, 1000, 2, 1);
	story(m, 2000, 1, 2);
	story(m, 4000, 3, 1);
	fakeapi_set_maxitem(m->api, m->maxitem);
	fakeapi_put_list(m->api, "topstories", "[1000,2000,4000]");
	fakeapi_stream_redirect(m->api, 1);
	const uint64_t two[] = { 1000, 2000 }, after[] = { 2000, 4000 };
	const char *more[] = { "--top", "2", NULL };
	struct runbin *rb = watch(m->api, more);
	settles(rb, m->api, two, 2, "first crawl");

	fakeapi_put_list(m->api, "topstories", "[2000,4000,1000]");
	settles(rb, m->api, after, 2, "4000 entered");
	new_comment(m, 5001, 4001);
	settles(rb, m->api, after, 2, "a new comment in the newcomer");
	size_t len;
	const char *out = runbin_stdout(rb, &len);
	ck_assert_msg(strstr(out, "{\"id\":1000,") &&
		      strstr(out, "\"status\":\"left\""), "%s", out);
	struct fakeapi_stats st;
	fakeapi_get_stats(m->api, &st);
	ck_assert_uint_ge(st.stream_redirects, 3);
	struct runbin_result res;
	finish(rb, SIGTERM, 143, &res);
	runbin_result_free(&res);
	model_free(m);
}
END_TEST

/* Alerts fire when a change makes a story or a subthread cross its
 * threshold, not before. */
START_TEST(test_crossings_alert)
{
	struct model *m = model_new();
	story(m, 1000, 2, 2);               /* 6 comments; 1001 has 2 */
	fakeapi_set_maxitem(m->api, m->maxitem);
	char *dir = tu_tmpdir("check_watch"), *log = tu_path(dir, "alerts");
	char *cmd;
	ck_assert_int_ge(asprintf(&cmd, "echo \"$HN_KIND $HN_ID\" >> '%s'",
				  log), 0);
	const uint64_t ids[] = { 1000 };
	const char *more[] = { "--id", "1000", "--threshold", "7",
			       "--subthread-threshold", "2", "--alert-cmd",
			       cmd, NULL };
	struct runbin *rb = watch(m->api, more);
	settles(rb, m->api, ids, 1, "first crawl");
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(!got || !*got, "alerted too early: %s", got);
	free(got);
	new_comment(m, 3001, 1002);         /* 1001 now has 3: over 2 */
	new_comment(m, 3002, 1004);         /* the story has 8: over 7 */
	settles(rb, m->api, ids, 1, "crossed");
	struct runbin_result res;
	finish(rb, SIGTERM, 143, &res);
	got = tu_slurp(log, NULL);
	ck_assert_msg(got && strstr(got, "subthread 1001\n") &&
		      strstr(got, "story 1000\n"), "alerts: %s; %s", got,
		      res.err);
	free(got);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(cmd); free(log); free(dir);
	model_free(m);
}
END_TEST

static int err_has(struct runbin *rb, void *arg)
{
	size_t len;
	return strstr(runbin_stderr(rb, &len), arg) != NULL;
}

struct file_want {
	const char *path, *expect;
	const uint64_t *ids;
	size_t n;
};

static int file_is(struct runbin *rb, void *arg)
{
	(void)rb;
	struct file_want *f = arg;
	char *text = tu_slurp(f->path, NULL);
	if (!text)
		return 0;
	char *got = last_records(text, f->ids, f->n);
	int ok = strcmp(got, f->expect) == 0;
	free(got);
	free(text);
	return ok;
}

/* A change the API does not tell (no updates event) is missed by the
 * incremental path; --resync crawls the root again, logs how many counts
 * were wrong and takes the fresh crawl. -o FILE follows. */
START_TEST(test_resync_finds_drift)
{
	struct model *m = model_new();
	story(m, 1000, 2, 2);
	fakeapi_set_maxitem(m->api, m->maxitem);
	char *dir = tu_tmpdir("check_watch"), *out = tu_path(dir, "out");
	const uint64_t ids[] = { 1000 };
	const char *more[] = { "--id", "1000", "--resync", "1", "-o", out,
			       NULL };
	struct runbin *rb = watch(m->api, more);
	ck_assert(runbin_wait_until(rb, err_has, "resync 1000: 0 counts "
				    "wrong", 20, TIMEOUT));
	struct titem *t = find(m, 1002);
	t->deleted = 1;
	serve(m, t);                        /* not told */
	ck_assert(runbin_wait_until(rb, err_has, "resync 1000: 3 counts "
				    "were wrong, comments 5 (was 6), deleted "
				    "1 (was 0), hottest 2@1004 (was 2@1001)",
				    20, TIMEOUT));
	settles(rb, m->api, ids, 1, "after the resync");
	char *expect = fresh(m->api, ids, 1);
	struct file_want f = { out, expect, ids, 1 };
	ck_assert(runbin_wait_until(rb, file_is, &f, 20, TIMEOUT));
	free(expect);
	struct runbin_result res;
	finish(rb, SIGTERM, 143, &res);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(out); free(dir);
	model_free(m);
}
END_TEST

/* On a terminal, --format table is a live table on the alternate screen,
 * left at the end (the terminal comes back as it was) before the last
 * table is printed. The run ends at --deadline (exit 0). */
START_TEST(test_live_table_on_a_terminal)
{
	struct model *m = model_new();
	story(m, 1000, 2, 2);
	fakeapi_set_maxitem(m->api, m->maxitem);
	int master;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		const char *bin = runbin_path();
		execl(bin, bin, "--api", fakeapi_url(m->api), "--watch",
		      "--id", "1000", "--deadline", "4", "-q", (char *)NULL);
		_exit(127);
	}
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		if (poll(&p, 1, TIMEOUT) <= 0)
			break;
		if (len + 4096 > cap)
			buf = realloc(buf, cap *= 2);
		ssize_t n = read(master, buf + len, 4096);
		if (n <= 0)
			break; /* EIO once the child is gone */
		len += (size_t)n;
	}
	buf[len] = '\0';
	int status;
	waitpid(pid, &status, 0);
	close(master);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s",
		      buf);
	char *enter = strstr(buf, "\033[?1049h"), *leave =
		strstr(buf, "\033[?1049l");
	ck_assert_msg(enter && leave && enter < leave, "%s", buf);
	char *live = strstr(enter, "1 MIN"), *last = strstr(leave, "ID");
	ck_assert_msg(live && live < leave && last &&
		      strstr(last, "Story 1000"), "%s", buf);
	free(buf);
	model_free(m);
}
END_TEST

static Suite *watch_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("binary");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_exact_after_bursts);
	tcase_add_test(tc, test_only_changes_asked);
	tcase_add_test(tc, test_wide_root);
	tcase_add_test(tc, test_drops_caught_up);
	tcase_add_test(tc, test_list_enter_leave);
	tcase_add_test(tc, test_crossings_alert);
	tcase_add_test(tc, test_resync_finds_drift);
	tcase_add_test(tc, test_live_table_on_a_terminal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(watch_suite());
}
