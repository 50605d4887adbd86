/* check_state.c — the --state file: unit tests of state.c (load, claim,
 * previous, record, atomic save, corrupt files, the lock, version-1 files,
 * pruning by the day last seen, any layout) and the real binary against
 * the fake API (a second run does not alert again and reports `previous`;
 * a root alerts when it first crosses the threshold; a truncated, non-JSON
 * or wrong-shape state file is exit 2 with nothing fetched and the file
 * untouched; a locked state file is exit 2; --state-keep prunes; a state
 * of 2M roots loads with bounded memory).
 *
 * Threads: the test's own, plus the fake API's (which only records); one
 * unit test claims alerts from several threads and asserts after joining. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fakeapi.h"
#include "runbin.h"
#include "testutil.h"
#include "state.h"

#define TIMEOUT 120000

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Files in dir whose name contains needle. */
static int files_with(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strstr(e->d_name, needle) != NULL;
	closedir(d);
	return n;
}

static struct root_result res_of(uint64_t id, uint64_t comments,
				 enum root_status st)
{
	return (struct root_result){ .id = id, .comments = comments,
				     .status = st };
}

/* ---- unit tests --------------------------------------------------------- */

START_TEST(unit_roundtrip)
{
	char *dir = tu_tmpdir("check_state"), *p = tu_path(dir, "state.json");
	char err[512];
	struct state *s = state_open(p, 30, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(state_count(s), 0);
	ck_assert_int_eq(state_claim_alert(s, 10), 1);
	ck_assert_int_eq(state_claim_alert(s, 10), 0);
	struct root_result r[4] = {
		res_of(10, 500, ROOT_COMPLETE), res_of(11, 7, ROOT_COMPLETE),
		res_of(12, 3, ROOT_MISSING), res_of(13, 9, ROOT_INTERRUPTED),
	};
	state_fill_previous(s, r, 4);
	for (int i = 0; i < 4; i++)
		ck_assert(!r[i].has_previous);
	ck_assert_int_eq(state_record(s, r, 4), 0);
	ck_assert_int_eq(state_save(s, err, sizeof err), 0);
	state_free(s);
	ck_assert_int_eq(files_with(dir, ".tmp"), 0);

	s = state_open(p, 30, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(state_count(s), 2); /* 10 and 11 */
	ck_assert_int_eq(state_claim_alert(s, 10), 0); /* remembered */
	ck_assert_int_eq(state_claim_alert(s, 11), 1);
	state_fill_previous(s, r, 4);
	ck_assert(r[0].has_previous && r[0].previous == 500);
	ck_assert(r[1].has_previous && r[1].previous == 7);
	ck_assert(!r[2].has_previous && !r[3].has_previous);
	/* A partial count replaces the old one only when higher. */
	struct root_result p1 = res_of(10, 400, ROOT_PARTIAL);
	struct root_result p2 = res_of(11, 8, ROOT_PARTIAL);
	ck_assert_int_eq(state_record(s, &p1, 1), 0);
	ck_assert_int_eq(state_record(s, &p2, 1), 0);
	state_fill_previous(s, r, 2);
	ck_assert_int_eq(r[0].previous, 500);
	ck_assert_int_eq(r[1].previous, 8);
	state_unclaim_alert(s, 11);
	ck_assert_int_eq(state_save(s, err, sizeof err), 0);
	state_free(s);

	char *text = tu_slurp(p, NULL);
	json_object *o = json_tokener_parse(text), *roots, *e, *v;
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "roots", &roots));
	ck_assert(json_object_object_get_ex(roots, "11", &e));
	ck_assert(json_object_object_get_ex(e, "alerted", &v));
	ck_assert(!json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(roots, "10", &e));
	ck_assert(json_object_object_get_ex(e, "alerted", &v));
	ck_assert(json_object_get_boolean(v));
	json_object_put(o);
	free(text);
	tu_rm_rf(dir);
	free(dir);
	free(p);
}
END_TEST

START_TEST(unit_unknown_count_is_null)
{
	char *dir = tu_tmpdir("check_state"), *p = tu_path(dir, "s"), err[512];
	struct state *s = state_open(p, 30, err, sizeof err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(state_claim_alert(s, 77), 1); /* never counted */
	ck_assert_int_eq(state_save(s, err, sizeof err), 0);
	state_free(s);
	char *text = tu_slurp(p, NULL);
	ck_assert_msg(strstr(text, "\"77\":{\"comments\":null,"
			     "\"alerted\":true,\"seen\":"), "%s", text);
	free(text);
	s = state_open(p, 30, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	struct root_result r = res_of(77, 1, ROOT_COMPLETE);
	state_fill_previous(s, &r, 1);
	ck_assert(!r.has_previous);
	ck_assert_int_eq(state_claim_alert(s, 77), 0);
	state_free(s);
	tu_rm_rf(dir);
	free(dir);
	free(p);
}
END_TEST

static const char *const corrupt[] = {
	"",                                                   /* empty */
	"{\"version\":1,\"roots\":{\"5\":{\"comments\":3,",   /* truncated */
	"hello, world\n",                                     /* not JSON */
	"[1,2,3]\n",                                          /* wrong shape */
	"{\"roots\":{}}\n",                                   /* no version */
	"{\"version\":1,\"roots\":[]}\n",
	"{\"version\":1,\"roots\":{\"x\":{\"comments\":1,\"alerted\":true}}}",
	"{\"version\":1,\"roots\":{\"5\":{\"comments\":-1,\"alerted\":true}}}",
	"{\"version\":1,\"roots\":{\"5\":{\"comments\":1,\"alerted\":1}}}",
	"{\"version\":1,\"roots\":{\"5\":{\"comments\":1}}}",
	"{\"version\":1,\"roots\":{}} trailing",
	"{\"version\":1,\"roots\":{}}{}",
	/* what a lax parser takes */
	"{'version':1,'roots':{}}",
	"{\"version\":1,\"roots\":{},}",
	"{\"version\":1,\"roots\":{\"5\":{\"comments\":3,\"alerted\":false,}}}",
	"/* state */ {\"version\":1,\"roots\":{}}",
	"{\"version\":1,\"roots\":{\"5\":{\"comments\":NaN,\"alerted\":true}}}",
	"{\"version\":1,\"roots\":{\"5\":{\"comments\":3.,\"alerted\":true}}}",
	/* version 2's "seen", and versions */
	"{\"version\":2,\"roots\":{\"5\":{\"comments\":3,\"alerted\":true,"
	"\"seen\":-1}}}",
	"{\"version\":2,\"roots\":{\"5\":{\"comments\":3,\"alerted\":true,"
	"\"seen\":1.5}}}",
	"{\"version\":2,\"roots\":{\"5\":{\"comments\":3,\"alerted\":true,"
	"\"seen\":\"today\"}}}",
	"{\"version\":3,\"roots\":{}}",
	"{\"version\":0,\"roots\":{}}",
	"{\"version\":1}",
	"{\"version\":1,\"roots\":{\"0\":{\"comments\":1,\"alerted\":true}}}",
	"{\"version\":1,\"roots\":{\"18446744073709551616\":{\"comments\":1,"
	"\"alerted\":true}}}",
};

START_TEST(unit_corrupt_files_refused)
{
	char *dir = tu_tmpdir("check_state"), *p = tu_path(dir, "state.json");
	char err[512];
	for (size_t i = 0; i < sizeof corrupt / sizeof *corrupt; i++) {
		spit(p, corrupt[i]);
		err[0] = '\0';
		struct state *s = state_open(p, 30, err, sizeof err);
		ck_assert_msg(s == NULL, "accepted: %s", corrupt[i]);
		ck_assert_msg(strncmp(err, p, strlen(p)) == 0,
			      "message does not name the file: %s", err);
		char *text = tu_slurp(p, NULL);
		ck_assert_str_eq(text, corrupt[i]); /* never replaced */
		free(text);
	}
	spit(p, "{\"version\":1,\"roots\":{\"5\":{\"comments\":3,");
	struct state *s = state_open(p, 30, err, sizeof err);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "truncated"), "%s", err);
	spit(p, "hello");
	s = state_open(p, 30, err, sizeof err);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "not JSON"), "%s", err);
	/* A good file with a trailing newline and whitespace is fine. */
	spit(p, " {\"version\":1,\"roots\":{\"5\":{\"comments\":3,"
		"\"alerted\":false}}}\n\n");
	s = state_open(p, 30, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	state_free(s);
	tu_rm_rf(dir);
	free(dir);
	free(p);
}
END_TEST

START_TEST(unit_lock_excludes_second_open)
{
	char *dir = tu_tmpdir("check_state"), *p = tu_path(dir, "state.json");
	char err[512];
	struct state *a = state_open(p, 30, err, sizeof err);
	ck_assert_ptr_nonnull(a);
	struct state *b = state_open(p, 30, err, sizeof err);
	ck_assert_ptr_null(b);
	ck_assert_msg(strstr(err, "in use by another hnbatch run") &&
		      strstr(err, ".lock"), "%s", err);
	state_free(a);
	b = state_open(p, 30, err, sizeof err); /* released with the first */
	ck_assert_msg(b != NULL, "%s", err);
	state_free(b);
	tu_rm_rf(dir);
	free(dir);
	free(p);
}
END_TEST

struct claimer {
	struct state *s;
	int won;
};

static void *claim_all(void *arg)
{
	struct claimer *c = arg;
	for (uint64_t id = 1; id <= 2000; id++)
		c->won += state_claim_alert(c->s, id) == 1;
	return NULL;
}

START_TEST(unit_claims_from_threads)
{
	struct state *s = state_new();
	ck_assert_ptr_nonnull(s);
	struct claimer c[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		c[i] = (struct claimer){ s, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, claim_all,
						&c[i]), 0);
	}
	int won = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		won += c[i].won;
	}
	ck_assert_int_eq(won, 2000); /* each root claimed exactly once */
	ck_assert_int_eq(state_count(s), 2000);
	char err[64];
	ck_assert_int_eq(state_save(s, err, sizeof err), 0); /* in memory */
	state_free(s);
}
END_TEST

/* ---- seen days, pruning, old files, any layout ------------------------ */

static long day_now(void)
{
	return (long)(time(NULL) / 86400);
}

/* The entry of root id in the saved file p, parsed by json-c: the values
 * of comments (-1: null), alerted and seen (-1: absent); 0 when id is not
 * in the file, 1 when it is. Also checks "version" is 2. */
static int saved_root(const char *p, uint64_t id, long *comments,
		      int *alerted, long *seen)
{
	char *text = tu_slurp(p, NULL), key[32];
	ck_assert_ptr_nonnull(text);
	json_object *o = json_tokener_parse(text), *roots, *e, *v;
	ck_assert_msg(o != NULL, "saved state is not JSON: %.200s", text);
	ck_assert(json_object_object_get_ex(o, "version", &v));
	ck_assert_int_eq(json_object_get_int(v), 2);
	ck_assert(json_object_object_get_ex(o, "roots", &roots));
	snprintf(key, sizeof key, "%llu", (unsigned long long)id);
	int found = json_object_object_get_ex(roots, key, &e);
	if (found) {
		ck_assert(json_object_object_get_ex(e, "comments", &v));
		*comments = v ? (long)json_object_get_int64(v) : -1;
		ck_assert(json_object_object_get_ex(e, "alerted", &v));
		*alerted = json_object_get_boolean(v);
		*seen = json_object_object_get_ex(e, "seen", &v)
			? (long)json_object_get_int64(v) : -1;
	}
	json_object_put(o);
	free(text);
	return found;
}

/* A version-1 file (no "seen") loads with every root seen today; counts,
 * null counts and alerted flags survive; it is saved as version 2. */
START_TEST(unit_version1_loads_as_seen_today)
{
	char *dir = tu_tmpdir("check_state"), *p = tu_path(dir, "state.json");
	char err[512];
	spit(p, "{\"version\":1,\"roots\":{\n"
		"\"10\":{\"comments\":500,\"alerted\":true},\n"
		"\"11\":{\"comments\":null,\"alerted\":true},\n"
		"\"12\":{\"comments\":7,\"alerted\":false}\n}}\n");
	long d0 = day_now();
	struct state *s = state_open(p, 30, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_uint_eq(state_count(s), 3);
	ck_assert_int_eq(state_claim_alert(s, 10), 0);
	ck_assert_int_eq(state_claim_alert(s, 11), 0);
	struct root_result r[3] = { res_of(10, 0, ROOT_MISSING),
				    res_of(11, 0, ROOT_MISSING),
				    res_of(12, 0, ROOT_MISSING) };
	state_fill_previous(s, r, 3);
	ck_assert(r[0].has_previous && r[0].previous == 500);
	ck_assert(!r[1].has_previous);
	ck_assert(r[2].has_previous && r[2].previous == 7);
	ck_assert_int_eq(state_save(s, err, sizeof err), 0);
	state_free(s);
	long c, seen;
	int a;
	ck_assert(saved_root(p, 10, &c, &a, &seen));
	ck_assert(c == 500 && a == 1);
	ck_assert_msg(seen >= d0 && seen <= day_now(), "seen %ld", seen);
	ck_assert(saved_root(p, 11, &c, &a, &seen));
	ck_assert(c == -1 && a == 1 && seen >= d0);
	ck_assert(saved_root(p, 12, &c, &a, &seen));
	ck_assert(c == 7 && a == 0 && seen >= d0);
	tu_rm_rf(dir);
	free(dir);
	free(p);
}
END_TEST

/* Roots not seen for more than keep days are dropped at load (and so
 * from the saved file); roots seen within them, in the future, or never
 * dated stay, with their flags. */
START_TEST(unit_prune_at_load)
{
	char *dir = tu_tmpdir("check_state"), *p = tu_path(dir, "state.json");
	char err[512], text[1024];
	long t = day_now(), c, seen;
	int a;
	snprintf(text, sizeof text, "{\"version\":2,\"roots\":{\n"
		 "\"1\":{\"comments\":1,\"alerted\":true,\"seen\":%ld},\n"
		 "\"2\":{\"comments\":2,\"alerted\":true,\"seen\":%ld},\n"
		 "\"3\":{\"comments\":3,\"alerted\":true,\"seen\":%ld},\n"
		 "\"4\":{\"comments\":4,\"alerted\":true,\"seen\":%ld},\n"
		 "\"5\":{\"comments\":5,\"alerted\":false,\"seen\":%ld},\n"
		 "\"6\":{\"comments\":6,\"alerted\":true,\"seen\":%ld},\n"
		 "\"7\":{\"comments\":7,\"alerted\":true}\n}}\n",
		 t, t - 29, t - 30, t - 31, t - 400, t + 3);
	spit(p, text);
	struct state *s = state_open(p, 30, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_uint_eq(state_count(s), 5);   /* 1, 2, 3, 6, 7 */
	for (uint64_t id = 1; id <= 7; id++)
		ck_assert_int_eq(state_claim_alert(s, id),
				 id == 4 || id == 5); /* forgotten: new */
	state_free(s);
	/* Nothing saved: the file is as it was. Keep 1 day: 1, 6, 7. */
	s = state_open(p, 1, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_uint_eq(state_count(s), 3);
	ck_assert_int_eq(state_save(s, err, sizeof err), 0);
	state_free(s);
	ck_assert(saved_root(p, 1, &c, &a, &seen) && a == 1 && seen == t);
	ck_assert(saved_root(p, 6, &c, &a, &seen) && seen == t + 3);
	ck_assert(saved_root(p, 7, &c, &a, &seen) && a == 1 && seen >= t);
	for (uint64_t id = 2; id <= 5; id++)
		ck_assert(!saved_root(p, id, &c, &a, &seen));
	tu_rm_rf(dir);
	free(dir);
	free(p);
}
END_TEST

/* state_prune drops what a later day finds past keeping, among many
 * entries (each removal moves the last one into the hole). */
START_TEST(unit_prune_later_day)
{
	char *dir = tu_tmpdir("check_state"), *p = tu_path(dir, "state.json");
	char err[512];
	long t = day_now(), c, seen;
	int a;
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"version\":2,\"roots\":{");
	for (int i = 1; i <= 1000; i++)   /* seen t - (i % 20) */
		fprintf(f, "%s\n\"%d\":{\"comments\":%d,\"alerted\":%s,"
			"\"seen\":%ld}", i > 1 ? "," : "", i, i,
			i % 3 ? "false" : "true", t - i % 20);
	fprintf(f, "\n}}\n");
	ck_assert_int_eq(fclose(f), 0);
	struct state *s = state_open(p, 30, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_uint_eq(state_count(s), 1000);
	ck_assert_uint_eq(state_prune(s, (uint32_t)t), 0);
	/* 15 days on, keeping 30: what was seen 16 to 19 days ago goes */
	ck_assert_uint_eq(state_prune(s, (uint32_t)(t + 15)), 200);
	ck_assert_uint_eq(state_count(s), 800);
	for (int i = 1; i <= 1000; i++)
		ck_assert_int_eq(state_claim_alert(s, (uint64_t)i),
				 i % 20 >= 16 ? 1 : i % 3 != 0);
	ck_assert_int_eq(state_save(s, err, sizeof err), 0);
	state_free(s);
	/* A sample, through every i % 20 (json-c reads the file each time):
	 * the forgotten ones are new entries (claimed today, no count). */
	for (int i = 1; i <= 1000; i += 7) {
		ck_assert_int_eq(saved_root(p, (uint64_t)i, &c, &a, &seen), 1);
		ck_assert(c == (i % 20 >= 16 ? -1 : i));
		ck_assert(seen == (i % 20 >= 16 ? t : t - i % 20));
		ck_assert_int_eq(a, 1);
	}
	tu_rm_rf(dir);
	free(dir);
	free(p);
}
END_TEST

/* Any layout of the same document, members in any order, members it does
 * not know (holding brackets, commas and quotes in strings) skipped. */
START_TEST(unit_any_layout)
{
	char *dir = tu_tmpdir("check_state"), *p = tu_path(dir, "state.json");
	char err[512];
	spit(p, "  {\"note\":{\"a\":[1,{\"b\":\"}],\\\"\"}],\"c\":null},"
		"\"roots\" : { \"5\" : { \"x\" : [ [ ] , \"},\" ] , "
		"\"alerted\" : true , \"comments\" : 3 } , "
		"\"6\":{\"seen\":1,\"alerted\":false,\"comments\":0,"
		"\"y\":-1.5e3}},\"version\":1,\"z\":true}\r\n");
	struct state *s = state_open(p, 0, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_uint_eq(state_count(s), 2);
	struct root_result r[2] = { res_of(5, 0, ROOT_MISSING),
				    res_of(6, 0, ROOT_MISSING) };
	state_fill_previous(s, r, 2);
	ck_assert(r[0].has_previous && r[0].previous == 3);
	ck_assert(r[1].has_previous && r[1].previous == 0);
	ck_assert_int_eq(state_claim_alert(s, 5), 0);
	ck_assert_int_eq(state_claim_alert(s, 6), 1);
	state_free(s);
	/* keep 30: 6, seen on day 1 (1970), goes */
	s = state_open(p, 30, err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_uint_eq(state_count(s), 1);
	state_free(s);
	tu_rm_rf(dir);
	free(dir);
	free(p);
}
END_TEST

/* A bad entry is named with its line. */
START_TEST(unit_error_names_line)
{
	char *dir = tu_tmpdir("check_state"), *p = tu_path(dir, "state.json");
	char err[512];
	spit(p, "{\"version\":2,\"roots\":{\n"
		"\"5\":{\"comments\":3,\"alerted\":false,\"seen\":1},\n"
		"\"6\":{\"comments\":\"x\",\"alerted\":false,"
		"\"seen\":1}\n}}\n");
	ck_assert_ptr_null(state_open(p, 30, err, sizeof err));
	ck_assert_msg(strstr(err, ": line 3: root 6: expected "
			     "{\"comments\":N|null,"), "%s", err);
	spit(p, "{\"version\":2,\"roots\":{\n\n\"5x\":{}}}");
	ck_assert_ptr_null(state_open(p, 30, err, sizeof err));
	ck_assert_msg(strstr(err, ": line 3: bad root id \"5x\""), "%s", err);
	spit(p, "{\"version\":2,\n\"roots\":{\"5\":{\"comments\":3,"
		"\"alerted\":false}},\"x\":[1,]}");
	ck_assert_ptr_null(state_open(p, 30, err, sizeof err));
	ck_assert_msg(strstr(err, ": not JSON: unexpected ']' (expected a "
			     "value) at byte 66"), "%s", err);
	tu_rm_rf(dir);
	free(dir);
	free(p);
}
END_TEST

/* ---- through the binary ---------------------------------------------- */

static void put_story(struct fakeapi *api, uint64_t id, int n)
{
	char buf[4096];
	size_t o = (size_t)snprintf(buf, sizeof buf, "{\"id\":%llu,\"type\":"
		"\"story\",\"title\":\"s%llu\",\"kids\":[",
		(unsigned long long)id, (unsigned long long)id);
	for (int j = 1; j <= n; j++) {
		uint64_t k = id * 1000 + (uint64_t)j;
		char kb[128];
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%llu",
				      j > 1 ? "," : "", (unsigned long long)k);
		snprintf(kb, sizeof kb, "{\"id\":%llu,\"type\":\"comment\"}",
			 (unsigned long long)k);
		ck_assert_int_eq(fakeapi_put(api, k, kb), 0);
	}
	snprintf(buf + o, sizeof buf - o, "]}");
	ck_assert_int_eq(fakeapi_put(api, id, buf), 0);
}

static void run(const char *const *args, struct runbin_result *res)
{
	ck_assert_int_eq(runbin_run(args, NULL, NULL, TIMEOUT, res), 0);
	ck_assert_msg(!res->timed_out, "timed out: %s", res->err);
}

/* `previous` of the record for id in jsonl output: -1 for null. */
static int64_t previous_of(const char *out, uint64_t id)
{
	char *copy = strdup(out), *save = NULL;
	int64_t prev = -2;
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(l), *v;
		ck_assert_msg(o != NULL, "not JSON: %s", l);
		ck_assert(json_object_object_get_ex(o, "id", &v));
		if ((uint64_t)json_object_get_int64(v) == id) {
			ck_assert_msg(json_object_object_get_ex(o, "previous",
								&v),
				      "no previous: %s", l);
			prev = v ? json_object_get_int64(v) : -1;
		}
		json_object_put(o);
	}
	free(copy);
	ck_assert_msg(prev != -2, "no record for %llu", (unsigned long long)id);
	return prev;
}

START_TEST(bin_second_run_quiet_with_previous)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	put_story(api, 11, 5);
	put_story(api, 12, 2);
	char *dir = tu_tmpdir("check_state"), *st = tu_path(dir, "state.json"),
	     *log = tu_path(dir, "alerts"), *cmd;
	ck_assert_int_ge(asprintf(&cmd, "echo \"$HN_ID\" >> '%s'", log), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "11", "--id",
			       "12", "--threshold", "3", "--alert-cmd", cmd,
			       "--state", st, "--format", "jsonl", NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	ck_assert_int_eq(previous_of(res.out, 11), -1);
	ck_assert_int_eq(previous_of(res.out, 12), -1);
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(got && strcmp(got, "11\n") == 0, "%s", got);
	free(got);
	runbin_result_free(&res);

	/* Same data again: no alert, previous = last count. */
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	ck_assert_int_eq(previous_of(res.out, 11), 5);
	ck_assert_int_eq(previous_of(res.out, 12), 2);
	ck_assert_ptr_null(strstr(res.err, "alert: "));
	got = tu_slurp(log, NULL);
	ck_assert_str_eq(got, "11\n");
	free(got);
	runbin_result_free(&res);

	/* 12 grows past the threshold: it alerts now, once. */
	put_story(api, 12, 6);
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	ck_assert_int_eq(previous_of(res.out, 12), 2);
	got = tu_slurp(log, NULL);
	ck_assert_str_eq(got, "11\n12\n");
	free(got);
	runbin_result_free(&res);
	run(args, &res);
	ck_assert_int_eq(previous_of(res.out, 12), 6);
	got = tu_slurp(log, NULL);
	ck_assert_str_eq(got, "11\n12\n");
	free(got);
	runbin_result_free(&res);
	ck_assert_int_eq(files_with(dir, ".tmp"), 0);

	tu_rm_rf(dir);
	free(dir);
	free(st);
	free(log);
	free(cmd);
	fakeapi_stop(api);
}
END_TEST

START_TEST(bin_undelivered_alert_is_raised_again)
{
	struct fakeapi *api = fakeapi_start();
	put_story(api, 21, 5);
	char *dir = tu_tmpdir("check_state"), *st = tu_path(dir, "state.json");
	const char *fail[] = { "--api", fakeapi_url(api), "--id", "21",
			       "--threshold", "3", "--alert-cmd", "exit 1",
			       "--alert-retries", "0", "--state", st, NULL };
	struct runbin_result res;
	run(fail, &res);
	ck_assert_msg(res.exited && res.status == 1, "%s", res.err);
	runbin_result_free(&res);
	/* Neither delivered nor spooled: not marked alerted. */
	const char *ok[] = { "--api", fakeapi_url(api), "--id", "21",
			     "--threshold", "3", "--alert-cmd", "true",
			     "--state", st, NULL };
	run(ok, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	ck_assert_msg(strstr(res.err, "alert: 21 has 5 comments"), "%s",
		      res.err);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(st);
	fakeapi_stop(api);
}
END_TEST

START_TEST(bin_corrupt_state_exit_2)
{
	struct fakeapi *api = fakeapi_start();
	put_story(api, 31, 5);
	char *dir = tu_tmpdir("check_state"), *st = tu_path(dir, "state.json");
	const char *bad[] = {
		"{\"version\":1,\"roots\":{\"31\":{\"comments\":5,\"ale",
		"not json at all",
		"{\"version\":1,\"roots\":{\"31\":\"five\"}}",
		"",
		/* not strict JSON: what json-c's default mode took */
		"{'version':1,'roots':{'31':{'comments':5,'alerted':false}}}",
		"{\"version\":1,\"roots\":{\"31\":{\"comments\":5,"
		"\"alerted\":false},}}",
	};
	const char *args[] = { "--api", fakeapi_url(api), "--id", "31",
			       "--threshold", "3", "--state", st, "--format",
			       "jsonl", NULL };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		spit(st, bad[i]);
		struct runbin_result res;
		run(args, &res);
		ck_assert_msg(res.exited && res.status == 2, "%s for <%s>: %s",
			      runbin_describe(&res), bad[i], res.err);
		ck_assert_msg(strstr(res.err, st), "file not named: %s",
			      res.err);
		ck_assert_int_eq(res.out_len, 0);
		ck_assert_int_eq(fakeapi_total_requests(api), 0);
		char *text = tu_slurp(st, NULL);
		ck_assert_str_eq(text, bad[i]);
		free(text);
		runbin_result_free(&res);
	}
	tu_rm_rf(dir);
	free(dir);
	free(st);
	fakeapi_stop(api);
}
END_TEST

START_TEST(bin_locked_state_exit_2)
{
	struct fakeapi *api = fakeapi_start();
	put_story(api, 41, 5);
	char *dir = tu_tmpdir("check_state"), *st = tu_path(dir, "state.json"),
	     *lock = tu_path(dir, "state.json.lock");
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0); /* an overlapping run */
	const char *args[] = { "--api", fakeapi_url(api), "--id", "41",
			       "--state", st, NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 2, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(strstr(res.err, "in use by another hnbatch run"), "%s",
		      res.err);
	ck_assert_int_eq(fakeapi_total_requests(api), 0);
	runbin_result_free(&res);
	close(fd); /* the other run ends: this one may go */
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(st);
	free(lock);
	fakeapi_stop(api);
}
END_TEST

/* --state-keep: roots not seen for more than DAYS days are dropped from
 * the file; alerted flags of the others survive (no second alert); an
 * entry without "seen" (version 1) counts as seen today. */
START_TEST(bin_state_keep_prunes)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	put_story(api, 11, 3);
	put_story(api, 14, 2);
	char *dir = tu_tmpdir("check_state"), *st = tu_path(dir, "state.json"),
	     *log = tu_path(dir, "alerts"), *cmd, text[1024];
	long t = day_now(), c, seen;
	int a;
	snprintf(text, sizeof text, "{\"version\":2,\"roots\":{\n"
		 "\"11\":{\"comments\":3,\"alerted\":true,\"seen\":%ld},\n"
		 "\"12\":{\"comments\":8,\"alerted\":true,\"seen\":%ld},\n"
		 "\"13\":{\"comments\":4,\"alerted\":true},\n"
		 "\"15\":{\"comments\":9,\"alerted\":false,\"seen\":%ld}\n}}\n",
		 t - 5, t - 40, t - 10);
	spit(st, text);
	ck_assert_int_ge(asprintf(&cmd, "echo \"$HN_ID\" >> '%s'", log), 0);
	const char *run1[] = { "--api", fakeapi_url(api), "--id", "11", "--id",
			       "14", "--threshold", "1", "--alert-cmd", cmd,
			       "--state", st, "--state-keep", "30", NULL };
	struct runbin_result res;
	run(run1, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	runbin_result_free(&res);
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(got && strcmp(got, "14\n") == 0, "alerts: %s", got);
	free(got);
	ck_assert(saved_root(st, 11, &c, &a, &seen));
	ck_assert(c == 3 && a == 1 && seen >= t);
	ck_assert(!saved_root(st, 12, &c, &a, &seen));   /* 40 days old */
	ck_assert(saved_root(st, 13, &c, &a, &seen));
	ck_assert(c == 4 && a == 1 && seen >= t);         /* undated: today */
	ck_assert(saved_root(st, 14, &c, &a, &seen));
	ck_assert(c == 2 && a == 1 && seen >= t);
	ck_assert(saved_root(st, 15, &c, &a, &seen));
	ck_assert(c == 9 && a == 0 && seen == t - 10);   /* kept as it was */

	/* Keep 7 days: 15 (10 days) goes. The default, 30, keeps it. */
	const char *run2[] = { "--api", fakeapi_url(api), "--id", "14",
			       "--state", st, "--state-keep", "7", NULL };
	run(run2, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	runbin_result_free(&res);
	ck_assert(!saved_root(st, 15, &c, &a, &seen));
	ck_assert(saved_root(st, 11, &c, &a, &seen) && a == 1);
	ck_assert(saved_root(st, 13, &c, &a, &seen) && a == 1);

	const char *zero[] = { "--api", fakeapi_url(api), "--id", "14",
			       "--state", st, "--state-keep", "0", NULL };
	run(zero, &res);
	ck_assert_msg(res.exited && res.status == 2 &&
		      strstr(res.err, "--state-keep"), "%s", res.err);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(st);
	free(log);
	free(cmd);
	fakeapi_stop(api);
}
END_TEST

/* The peak resident size of the children this test reaped, in MiB. */
static long children_peak_mib(void)
{
	struct rusage ru;
	ck_assert_int_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
	return ru.ru_maxrss / 1024;
}

#if defined(__SANITIZE_THREAD__)
#define BIG_STATE_MIB 1500      /* shadow memory: several times the heap */
#elif defined(__SANITIZE_ADDRESS__)
#define BIG_STATE_MIB 600       /* redzones and the free quarantine */
#else
#define BIG_STATE_MIB 300
#endif

/* A state of 2M roots (version 1, as hnbatch 0.1.0 wrote it: 85 MB) is
 * loaded, one root counted, and saved (version 2) with bounded memory.
 * json-c's whole-document tree took 2.4 GB (and 14 s) for it. */
START_TEST(bin_big_state_bounded)
{
	const long n = 2000000;
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	put_story(api, 11, 2);
	char *dir = tu_tmpdir("check_state"), *st = tu_path(dir, "state.json");
	FILE *f = fopen(st, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"version\":1,\"roots\":{", f);
	for (long i = 0; i < n; i++)
		fprintf(f, "%s\n\"%ld\":{\"comments\":%ld,\"alerted\":%s}",
			i ? "," : "", 30000000 + 3 * i, i % 1000,
			i % 7 ? "false" : "true");
	fputs("\n}}\n", f);
	ck_assert_int_eq(fclose(f), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "11",
			       "--state", st, "-q", NULL };
	struct runbin_result res;
	double t0 = clock_now_ms();
	run(args, &res);
	double s = (clock_now_ms() - t0) / 1000;
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	runbin_result_free(&res);
	long mib = children_peak_mib();
	fprintf(stderr, "bin_big_state_bounded: %ld roots loaded and saved in "
		"%.1f s, peak RSS %ld MiB (limit %d)\n", n, s, mib,
		BIG_STATE_MIB);
	ck_assert_msg(mib < BIG_STATE_MIB, "peak RSS %ld MiB", mib);
	/* All there, as version 2, one root per line. */
	char *text = tu_slurp(st, NULL);
	ck_assert_ptr_nonnull(text);
	long lines = 0;
	for (char *p = text; (p = strchr(p, '\n')); p++)
		lines++;
	ck_assert_int_eq(lines, n + 1 + 2);
	ck_assert(!strncmp(text, "{\"version\":2,\"roots\":{\n\"11\":{", 27));
	ck_assert_msg(strstr(text, "\n\"30000021\":{\"comments\":7,"
			     "\"alerted\":true,\"seen\":"), "no root 30000021");
	free(text);
	tu_rm_rf(dir);
	free(dir);
	free(st);
	fakeapi_stop(api);
}
END_TEST

/* --state through a symlink: the target is rewritten, the link stays, a
 * 0600 state stays 0600; a directory or a device as --state is a usage
 * error before anything is fetched. */
START_TEST(bin_state_symlink_and_targets)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	put_story(api, 11, 2);
	char *dir = tu_tmpdir("check_state"), *real = tu_path(dir, "real.json"),
	     *link = tu_path(dir, "state.json");
	spit(real, "{\"version\":1,\"roots\":{}}\n");
	ck_assert_int_eq(chmod(real, 0600), 0);
	ck_assert_int_eq(symlink("real.json", link), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "11",
			       "--state", link, "--format", "jsonl", NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	runbin_result_free(&res);
	struct stat st;
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert_msg(S_ISLNK(st.st_mode), "the symlink was replaced");
	ck_assert_int_eq(stat(real, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	char *text = tu_slurp(real, NULL);
	ck_assert_msg(strstr(text, "\"11\":{\"comments\":2"), "%s", text);
	free(text);

	fakeapi_reset_counts(api);
	args[5] = dir;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 2, "%s", res.err);
	ck_assert_msg(strstr(res.err, "is a directory"), "%s", res.err);
	runbin_result_free(&res);
	args[5] = "/dev/null";
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 2, "%s", res.err);
	ck_assert_msg(strstr(res.err, "not a regular file"), "%s", res.err);
	runbin_result_free(&res);
	ck_assert_uint_eq(fakeapi_total_requests(api), 0);
	tu_rm_rf(dir);
	free(real); free(link); free(dir);
	fakeapi_stop(api);
}
END_TEST

/* With --state a subthread alerts once: the comment is remembered as
 * alerted, and a second run over the same data raises nothing. A failed
 * delivery is spooled with its kind and delivered so by the next run. */
START_TEST(bin_subthread_alerts_once)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	put_story(api, 11, 3);       /* 11 -> 11001..11003 */
	char body[256];
	snprintf(body, sizeof body, "{\"id\":11001,\"type\":\"comment\","
		 "\"kids\":[11101,11102]}");
	fakeapi_put(api, 11001, body);
	fakeapi_put(api, 11101, "{\"id\":11101,\"type\":\"comment\"}");
	fakeapi_put(api, 11102, "{\"id\":11102,\"type\":\"comment\"}");
	char *dir = tu_tmpdir("check_state"), *st = tu_path(dir, "state.json"),
	     *spool = tu_path(dir, "spool"), *log = tu_path(dir, "log"), *cmd,
	     *fail;
	ck_assert_int_ge(asprintf(&cmd, "echo \"$HN_KIND $HN_ID $HN_ROOT\" >> "
				  "'%s'", log), 0);
	ck_assert_int_ge(asprintf(&fail, "exit 3"), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "11",
			       "--subthread-threshold", "1", "--alert-cmd",
			       fail,
			       "--alert-retries", "0", "--alert-spool", spool,
			       "--state", st, "--format", "jsonl", NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 1, "%s", res.err);
	runbin_result_free(&res);
	char *text = tu_slurp(spool, NULL);
	ck_assert_msg(text && strstr(text, "\"id\":11001,\"kind\":"
				     "\"subthread\",\"root\":11,\"depth\":1,"),
		      "%s", text);
	free(text);
	args[7] = cmd;             /* the spooled alert goes out, once */
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	ck_assert_ptr_null(strstr(res.err, "alert: comment"));
	runbin_result_free(&res);
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	runbin_result_free(&res);
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(got && strcmp(got, "subthread 11001 11\n") == 0, "%s",
		      got);
	free(got);
	tu_rm_rf(dir);
	free(st); free(spool); free(log); free(cmd); free(fail); free(dir);
	fakeapi_stop(api);
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tu = tcase_create("unit");
	TCase *tb = tcase_create("binary");
	tcase_add_test(tu, unit_roundtrip);
	tcase_add_test(tu, unit_unknown_count_is_null);
	tcase_add_test(tu, unit_corrupt_files_refused);
	tcase_add_test(tu, unit_lock_excludes_second_open);
	tcase_add_test(tu, unit_claims_from_threads);
	tcase_add_test(tu, unit_version1_loads_as_seen_today);
	tcase_add_test(tu, unit_prune_at_load);
	tcase_add_test(tu, unit_prune_later_day);
	tcase_add_test(tu, unit_any_layout);
	tcase_add_test(tu, unit_error_names_line);
	suite_add_tcase(s, tu);
	tcase_set_timeout(tb, 240);
	tcase_add_test(tb, bin_second_run_quiet_with_previous);
	tcase_add_test(tb, bin_undelivered_alert_is_raised_again);
	tcase_add_test(tb, bin_corrupt_state_exit_2);
	tcase_add_test(tb, bin_locked_state_exit_2);
	tcase_add_test(tb, bin_state_symlink_and_targets);
	tcase_add_test(tb, bin_subthread_alerts_once);
	tcase_add_test(tb, bin_state_keep_prunes);
	tcase_add_test(tb, bin_big_state_bounded);
	suite_add_tcase(s, tb);
	return s;
}

int main(void)
{
	return tu_run(state_suite());
}
