/* check_faults.c — failures, retries, budgets, signals and periodic runs,
 * through the real binary against the fake API with faults injected.
 *
 * The synthetic tree: root 1000 has 50 kids (2000..2049); kid 2000+k has 3
 * kids (3000+3k .. 3002+3k). 200 comments, depth 2, 201 items. */
#include <check.h>
#include <json.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakeapi.h"
#include "clock.h"
#include "log.h"
#include "runbin.h"
#include "testutil.h"

#define ROOT 1000
#define TIMEOUT 120000

static void put_tree(struct fakeapi *api)
{
	char buf[1024];
	size_t o = (size_t)snprintf(buf, sizeof buf,
		"{\"id\":%d,\"type\":\"story\",\"title\":\"t\","
		"\"descendants\":200,\"kids\":[",
		ROOT);
	for (int k = 0; k < 50; k++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%d",
				      k ? "," : "", 2000 + k);
	snprintf(buf + o, sizeof buf - o, "]}");
	fakeapi_put(api, ROOT, buf);
	for (int k = 0; k < 50; k++) {
		snprintf(buf, sizeof buf,
			 "{\"id\":%d,\"type\":\"comment\",\"parent\":%d,"
			 "\"kids\":[%d,%d,%d]}", 2000 + k, ROOT,
			 3000 + 3 * k, 3001 + 3 * k, 3002 + 3 * k);
		fakeapi_put(api, (uint64_t)(2000 + k), buf);
		for (int j = 0; j < 3; j++) {
			snprintf(buf, sizeof buf,
				 "{\"id\":%d,\"type\":\"comment\","
				 "\"parent\":%d}",
				 3000 + 3 * k + j, 2000 + k);
			fakeapi_put(api, (uint64_t)(3000 + 3 * k + j), buf);
		}
	}
}

static struct fakeapi *tree_api(void)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	put_tree(api);
	return api;
}

/* The n-th jsonl record of out (0-based), parsed; caller puts it. */
static json_object *record(const char *out, int n)
{
	const char *p = out;
	for (int i = 0; i < n && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	ck_assert_msg(p && *p, "no record %d in: %s", n, out);
	json_object *o = json_tokener_parse(p);
	ck_assert_msg(o != NULL, "record %d is not JSON: %.200s", n, p);
	return o;
}

static int64_t field(json_object *o, const char *k)
{
	json_object *v;
	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no field %s", k);
	return json_object_get_int64(v);
}

static const char *sfield(json_object *o, const char *k)
{
	json_object *v;
	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no field %s", k);
	return json_object_get_string(v);
}

static void run(const char *const *args, struct runbin_result *res)
{
	ck_assert_int_eq(runbin_run(args, NULL, NULL, TIMEOUT, res), 0);
	ck_assert_msg(!res->timed_out, "timed out: %s", res->err);
}

static void assert_exact(json_object *o)
{
	ck_assert_int_eq(field(o, "comments"), 200);
	ck_assert_int_eq(field(o, "failed"), 0);
	ck_assert_int_eq(field(o, "depth"), 2);
	ck_assert_str_eq(sfield(o, "status"), "complete");
}

START_TEST(test_transient_faults_absorbed)
{
	struct fakeapi *api = tree_api();
	struct fakeapi_fault f503 = { .fail_first = 2, .status = 503 };
	struct fakeapi_fault f500 = { .fail_first = 3, .status = 500 };
	struct fakeapi_fault f401 = { .fail_first = 1, .status = 401 };
	struct fakeapi_fault drop = { .drop_first = 2 };
	struct fakeapi_fault f429 = { .fail_first = 1, .status = 429,
				       .retry_after = "1" };
	fakeapi_fault(api, ROOT, &f503);
	fakeapi_fault(api, 2001, &f500);
	fakeapi_fault(api, 2002, &f401);
	fakeapi_fault(api, 3005, &drop);
	fakeapi_fault(api, 3006, &f429);
	char root[16];
	snprintf(root, sizeof root, "%d", ROOT);
	const char *args[] = { "--api", fakeapi_url(api), "--id", root,
			       "--format", "jsonl", NULL };
	struct runbin_result res;
	double t0 = clock_now_ms();
	run(args, &res);
	double took = clock_now_ms() - t0;
	ck_assert_msg(res.status == 0, "exit %d: %s", res.status, res.err);
	json_object *o = record(res.out, 0);
	assert_exact(o);
	/* 201 items + 2 + 3 + 1 + 1 retries, and not one more; a dropped
	 * connection may be re-sent by libcurl itself (a reused connection
	 * that died before answering), so those two count 0 to 2 times */
	ck_assert_int_ge(field(o, "fetches"), 201 + 7);
	ck_assert_int_le(field(o, "fetches"), 201 + 9);
	ck_assert_uint_eq(fakeapi_requests(api, 3005), 3);
	ck_assert_uint_eq(fakeapi_requests(api, 2001), 4);
	ck_assert_uint_eq(fakeapi_requests(api, 3006), 2);
	ck_assert_uint_eq(fakeapi_requests(api, 2040), 1);
	ck_assert_msg(took >= 1000, "Retry-After: 1 not honoured (%.0f ms)",
		      took);
	json_object_put(o);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_random_503s_absorbed)
{
	struct fakeapi *api = tree_api();
	fakeapi_random_fail(api, 0.2, 42, 503);
	char root[16];
	snprintf(root, sizeof root, "%d", ROOT);
	const char *args[] = { "--api", fakeapi_url(api), "--id", root,
			       "--retries", "12", "--format", "jsonl", NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.status == 0, "exit %d: %s", res.status, res.err);
	json_object *o = record(res.out, 0);
	assert_exact(o);
	struct fakeapi_stats st;
	fakeapi_get_stats(api, &st);
	ck_assert_int_eq(field(o, "fetches"), (int64_t)st.item_requests);
	ck_assert_int_eq(field(o, "fetches"), 201 + (int64_t)st.injected);
	ck_assert_uint_gt(st.injected, 10); /* the faults did happen */
	json_object_put(o);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_faults_outlast_retries)
{
	struct fakeapi *api = tree_api();
	struct fakeapi_fault always = { .fail_first = UINT_MAX, .status = 503 };
	struct fakeapi_fault notfound = { .fail_first = UINT_MAX,
					  .status = 404 };
	fakeapi_fault(api, 2003, &always);   /* it and its 3 kids lost */
	fakeapi_fault(api, 3100, &notfound); /* 4xx: not retried */
	char root[16];
	snprintf(root, sizeof root, "%d", ROOT);
	const char *args[] = { "--api", fakeapi_url(api), "--id", root,
			       "--retries", "2", "--format", "jsonl", NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_int_eq(res.status, 1);
	json_object *o = record(res.out, 0);
	ck_assert_str_eq(sfield(o, "status"), "partial");
	ck_assert_int_eq(field(o, "failed"), 2);
	ck_assert_int_eq(field(o, "comments"), 200 - 4 - 1);
	ck_assert_uint_eq(fakeapi_requests(api, 2003), 3); /* 1 + 2 retries */
	ck_assert_uint_eq(fakeapi_requests(api, 3100), 1);
	ck_assert_int_eq(field(o, "fetches"), 198 + 2); /* 2003's kids unseen */
	/* the log names id and URL; the summary counts by reason */
	ck_assert_ptr_nonnull(strstr(res.err,
				     "item 2003 failed (http://127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(res.err, "/v0/item/2003.json): HTTP "
				     "error: HTTP 503"));
	ck_assert_ptr_nonnull(strstr(res.err, "2 failed (HTTP error: 2)"));
	json_object_put(o);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_hostile_bodies)
{
	struct fakeapi *api = tree_api();
	struct fakeapi_fault bad[] = {
		{ .body = "<html><body>Oops</body></html>",
		  .content_type = "text/html" },                     /* 2010 */
		{ .body = "{\"id\":2011,\"kids\":[1,2," },           /* 2011 */
		{ .body = "{\"id\":2012,\"kids\":\"many\"}" },       /* 2012 */
		{ .body = "{\"id\":99,\"type\":\"comment\"}" },      /* 2013 */
		{ .body = "{\"id\":2014,\"kids\":[-5]}" },           /* 2014 */
		{ .gen_size = 50u << 20 },                           /* 2015 */
		{ .body = "{\"id\":2016,\"type\":\"comment\"}",
		  .truncate_at = 10 },
		{ .body = "{\"id\":2017}\0garbage", .body_len = 19 }, /* 2017 */
	};
	for (int i = 0; i < 8; i++)
		fakeapi_fault(api, (uint64_t)(2010 + i), &bad[i]);
	char root[16];
	snprintf(root, sizeof root, "%d", ROOT);
	const char *args[] = { "--api", fakeapi_url(api), "--id", root,
			       "--format", "jsonl", NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.status == 1, "exit %d: %s", res.status, res.err);
	json_object *o = record(res.out, 0);
	ck_assert_str_eq(sfield(o, "status"), "partial");
	ck_assert_int_eq(field(o, "failed"), 8);
	ck_assert_int_eq(field(o, "comments"), 200 - 8 * 4);
	ck_assert_ptr_nonnull(strstr(res.err, "item 2010 failed"));
	ck_assert_ptr_nonnull(strstr(res.err, "not JSON"));
	ck_assert_ptr_nonnull(strstr(res.err, "wrong field type"));
	ck_assert_ptr_nonnull(strstr(res.err, "wrong id"));
	ck_assert_ptr_nonnull(strstr(res.err, "item 2015 failed"));
	ck_assert_ptr_nonnull(strstr(res.err, "body too large"));
	json_object_put(o);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

static long child_maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return ru.ru_maxrss;
}

START_TEST(test_big_body_not_held)
{
	/* Each test runs in its own forked process, so RUSAGE_CHILDREN here
	 * covers just this test's runs: the small one first, then the big. */
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	fakeapi_put(api, 7, "{\"id\":7,\"type\":\"story\",\"kids\":[8]}");
	fakeapi_put(api, 8, "{\"id\":8,\"type\":\"comment\"}");
	const char *args[] = { "--api", fakeapi_url(api), "--id", "7", NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_int_eq(res.status, 0);
	runbin_result_free(&res);
	long small = child_maxrss_kb();
	struct fakeapi_fault big = { .gen_size = 50u << 20, .chunked = 1 };
	fakeapi_fault(api, 8, &big); /* no Content-Length: refused while read */
	run(args, &res);
	ck_assert_int_eq(res.status, 1);
	ck_assert_ptr_nonnull(strstr(res.err, "body too large"));
	runbin_result_free(&res);
	long after = child_maxrss_kb();
	ck_assert_msg(after - small < 20 * 1024,
		      "peak RSS grew by %ld KiB for a 50 MiB body",
		      after - small);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_trickle_times_out)
{
	struct fakeapi *api = tree_api();
	struct fakeapi_fault slow = { .trickle_bytes = 1, .trickle_ms = 400 };
	fakeapi_fault(api, 2020, &slow);
	char root[16];
	snprintf(root, sizeof root, "%d", ROOT);
	const char *args[] = { "--api", fakeapi_url(api), "--id", root,
			       "--timeout", "1", "--retries", "1",
			       "--format", "jsonl", NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_int_eq(res.status, 1);
	json_object *o = record(res.out, 0);
	ck_assert_int_eq(field(o, "failed"), 1);
	ck_assert_int_eq(field(o, "comments"), 196);
	ck_assert_uint_eq(fakeapi_requests(api, 2020), 2);
	ck_assert_ptr_nonnull(strstr(res.err, "1 failed (timeout: 1)"));
	json_object_put(o);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_many_kids)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	enum { N = 200000 };
	size_t cap = (size_t)N * 8 + 128, o = 0;
	char *b = malloc(cap);
	o += (size_t)snprintf(b, cap,
			      "{\"id\":5,\"type\":\"story\",\"kids\":[");
	for (int i = 0; i < N; i++)
		o += (size_t)snprintf(b + o, cap - o, "%s%d", i ? "," : "",
				      1000000 + i);
	snprintf(b + o, cap - o, "]}");
	fakeapi_put(api, 5, b);
	free(b);
	/* every kid answers null: 200,000 requests, all `missing` */
	const char *args[] = { "--api", fakeapi_url(api), "--id", "5",
			       "--max-body", "4000000", "--format", "jsonl",
			       NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.status == 0, "exit %d: %s", res.status, res.err);
	json_object *r = record(res.out, 0);
	ck_assert_int_eq(field(r, "missing"), N);
	ck_assert_int_eq(field(r, "fetches"), N + 1);
	ck_assert_str_eq(sfield(r, "status"), "complete");
	json_object_put(r);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

static int saw(struct runbin *rb, void *arg)
{
	(void)rb;
	return fakeapi_total_requests(arg) >= 100;
}

static int saw_any(struct runbin *rb, void *arg)
{
	(void)rb;
	return fakeapi_total_requests(arg) >= 1;
}

static void stop_by_signal(int sig, int code, const char *why)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	put_tree(api);
	struct fakeapi_fault slow = { .delay_ms = 200 };
	fakeapi_fault_default(api, &slow);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "1000",
			       "--id", "5", "-c", "8", "--format", "jsonl",
			       NULL };
	fakeapi_put(api, 5, "{\"id\":5,\"type\":\"story\",\"kids\":[1000]}");
	struct runbin *rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(rb);
	ck_assert(runbin_wait_until(rb, saw, api, 20, TIMEOUT));
	double t0 = clock_now_ms();
	runbin_kill(rb, sig);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(rb, TIMEOUT, &res), 0);
	double took = clock_now_ms() - t0;
	/* ~300 items are left at 25 ms each (-c 8, 200 ms answers): 7.5 s
	 * if the crawl went on; a stop takes a fraction of a second. */
	ck_assert_msg(took < 4000, "%s took %.0f ms to stop", why, took);
	ck_assert_int_eq(res.status, code);
	for (int i = 0; i < 2; i++) {
		json_object *o = record(res.out, i);
		ck_assert_str_eq(sfield(o, "status"), "interrupted");
		ck_assert_int_gt(field(o, "failed"), 0); /* unfetched, named */
		json_object_put(o);
	}
	ck_assert_ptr_nonnull(strstr(res.err, why));
	ck_assert_ptr_nonnull(strstr(res.err, "not fetched"));
	runbin_result_free(&res);
	fakeapi_stop(api);
}

START_TEST(test_sigterm_mid_crawl) { stop_by_signal(SIGTERM, 143, "SIGTERM"); }
END_TEST

START_TEST(test_sigint_mid_crawl) { stop_by_signal(SIGINT, 130, "SIGINT"); }
END_TEST

/* A process that has exited (a zombie included) or never was. */
static int gone(pid_t pid)
{
	char path[64], st[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 1;
	size_t n = fread(st, 1, sizeof st - 1, f);
	fclose(f);
	st[n] = '\0';
	const char *close_paren = strrchr(st, ')');
	return close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z';
}

/* The gate is a FIFO this test holds open for writing: the alert command
 * blocks reading it until the test closes it, or dies (EOF either way), so
 * a failing test never leaves the command behind. */
struct gated {
	struct fakeapi *api;
	char *dir, *gate, *pids, *log, *cmd;
	int gatefd;
	struct runbin *rb;
};

static int alert_started(struct runbin *rb, void *arg)
{
	(void)rb;
	struct gated *g = arg;
	char *p = tu_slurp(g->pids, NULL);
	int ok = p && *p;
	free(p);
	return ok;
}

/* hnbatch crawling the slow tree (root 1000) and a fast root 5 that alerts
 * at once; its alert command waits at a gate. Returns when the command is
 * running, the first signal `sig` was taken and the results are out. */
static void gated_start(struct gated *g, int sig)
{
	g->api = tree_api();
	struct fakeapi_fault slow = { .delay_ms = 200 }, fast = { 0 };
	fakeapi_fault_default(g->api, &slow);
	fakeapi_put(g->api, 5, "{\"id\":5,\"type\":\"story\",\"kids\":[6]}");
	fakeapi_put(g->api, 6, "{\"id\":6,\"type\":\"comment\"}");
	fakeapi_fault(g->api, 5, &fast);
	fakeapi_fault(g->api, 6, &fast);
	g->dir = tu_tmpdir("check_faults");
	g->gate = tu_path(g->dir, "gate");
	g->pids = tu_path(g->dir, "pids");
	g->log = tu_path(g->dir, "log");
	ck_assert_int_eq(mkfifo(g->gate, 0600), 0);
	g->gatefd = open(g->gate, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(g->gatefd, 0);
	ck_assert_int_ge(asprintf(&g->cmd, "echo $$ >> '%s'; read x < '%s'; "
				  "echo done >> '%s'", g->pids, g->gate,
				  g->log), 0);
	const char *args[] = { "--api", fakeapi_url(g->api), "--id", "1000",
			       "--id", "5", "-c", "8", "--format", "jsonl",
			       "--threshold", "0", "--alert-cmd", g->cmd,
			       NULL };
	g->rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(g->rb);
	ck_assert(runbin_wait_until(g->rb, alert_started, g, 20, TIMEOUT));
	runbin_kill(g->rb, sig);
	ck_assert(runbin_wait_stdout(g->rb, "\"id\":5,", TIMEOUT));
}

static void gate_open(struct gated *g)
{
	if (g->gatefd >= 0)
		close(g->gatefd);
	g->gatefd = -1;
}

/* Open the gate, wait for every alert command to be gone, clean up. */
static void gated_end(struct gated *g)
{
	gate_open(g);
	char *p = tu_slurp(g->pids, NULL);
	for (char *l = p; l && *l; l = strchr(l, '\n') + 1) {
		pid_t pid = (pid_t)atoi(l);
		double until = clock_now_ms() + 10000;
		while (!gone(pid) && clock_now_ms() < until)
			usleep(10000); /* polling another process's exit */
		ck_assert_msg(gone(pid), "alert command %d still runs", pid);
		if (!strchr(l, '\n'))
			break;
	}
	free(p);
	tu_rm_rf(g->dir);
	free(g->dir); free(g->gate); free(g->pids); free(g->log); free(g->cmd);
	fakeapi_stop(g->api);
}

/* timeout(1) sends SIGTERM to its child and then to the child's process
 * group: the second, within 1 s of the first, is the same request. The
 * run goes on to deliver its alert and exits 143 as after one signal. */
START_TEST(test_double_sigterm_is_one_request)
{
	struct gated g;
	gated_start(&g, SIGTERM);
	ck_assert(runbin_wait_stderr(g.rb, "SIGTERM: stopping", TIMEOUT));
	runbin_kill(g.rb, SIGTERM);
	ck_assert(runbin_wait_stderr(g.rb, "SIGTERM again", TIMEOUT));
	gate_open(&g);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(g.rb, TIMEOUT, &res), 0);
	ck_assert_msg(res.exited && res.status == 143, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(!strstr(res.err, "second signal"), "%s", res.err);
	ck_assert_msg(strstr(res.err, "1 deliveries made"), "%s", res.err);
	char *log = tu_slurp(g.log, NULL);
	ck_assert_msg(log && strcmp(log, "done\n") == 0, "log: %s", log);
	free(log);
	json_object *o = record(res.out, 0);
	ck_assert_str_eq(sfield(o, "status"), "interrupted");
	json_object_put(o);
	runbin_result_free(&res);
	gated_end(&g);
}
END_TEST

/* A different signal after the first forces the exit at once: the
 * results are out already, the pending delivery is not waited for. */
START_TEST(test_other_signal_forces_exit)
{
	struct gated g;
	gated_start(&g, SIGTERM);
	ck_assert(runbin_wait_stderr(g.rb, "SIGTERM: stopping", TIMEOUT));
	runbin_kill(g.rb, SIGINT);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(g.rb, TIMEOUT, &res), 0);
	ck_assert_msg(res.exited && res.status == 130, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(strstr(res.err, "second signal: exiting now"), "%s",
		      res.err);
	ck_assert_ptr_null(strstr(res.err, "deliveries made"));
	runbin_result_free(&res);
	gated_end(&g);
}
END_TEST

/* A stray SIGUSR1 (once the signal thread's private stop message) must not
 * leave SIGINT/SIGTERM unanswered: SIGUSR1 has its default action, and a
 * SIGTERM after it still ends the run. The server never answers. */
START_TEST(test_stray_sigusr1)
{
	struct fakeapi *api = tree_api();
	struct fakeapi_fault held = { .delay_ms = 600000 };
	fakeapi_fault_default(api, &held);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "1000",
			       "--format", "jsonl", NULL };
	struct runbin *rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(rb);
	ck_assert(runbin_wait_until(rb, saw_any, api, 20, TIMEOUT));
	runbin_kill(rb, SIGUSR1);
	runbin_kill(rb, SIGTERM);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(rb, 10000, &res), 0);
	ck_assert_msg(!res.timed_out, "SIGTERM after SIGUSR1 was ignored");
	ck_assert_msg(res.signal == SIGUSR1 || res.status == 143, "%s",
		      runbin_describe(&res));
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

static int six_lists_asked(struct runbin *rb, void *arg)
{
	(void)rb;
	struct fakeapi_stats st;
	fakeapi_get_stats(arg, &st);
	return st.list_requests >= 6;
}

/* Six story lists that never answer: all six are asked at once, and a
 * signal (or the deadline) ends the run at once, not a --timeout per list
 * and retry later. */
static void held_lists(int sig, const char *deadline)
{
	struct fakeapi *api = tree_api();
	static const char *const names[] = { "topstories", "newstories",
		"beststories", "askstories", "showstories", "jobstories" };
	struct fakeapi_fault held = { .delay_ms = 600000 };
	for (int i = 0; i < 6; i++) {
		fakeapi_put_list(api, names[i], "[1000]");
		fakeapi_fault_list(api, names[i], &held);
	}
	const char *args[] = { "--api", fakeapi_url(api), "--top", "5", "--new",
			       "5", "--best", "5", "--ask", "5", "--show", "5",
			       "--job", "5", "--format", "jsonl",
			       deadline ? "--deadline" : NULL, deadline, NULL };
	struct runbin *rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(rb);
	ck_assert(runbin_wait_until(rb, six_lists_asked, api, 20, TIMEOUT));
	if (sig)
		runbin_kill(rb, sig);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(rb, 10000, &res), 0);
	ck_assert_msg(!res.timed_out, "still fetching lists: %s", res.err);
	ck_assert_msg(res.exited && res.status == (sig ? 128 + sig : 1),
		      "%s: %s", runbin_describe(&res), res.err);
	ck_assert_msg(strstr(res.err, "cannot fetch http://127.0.0.1:") &&
		      strstr(res.err, sig ? "stopped by a signal"
					  : "--deadline reached"),
		      "%s", res.err);
	runbin_result_free(&res);
	fakeapi_stop(api);
}

START_TEST(test_lists_stop_on_sigterm) { held_lists(SIGTERM, NULL); }
END_TEST

START_TEST(test_lists_stop_at_deadline) { held_lists(0, "1"); }
END_TEST

START_TEST(test_deadline)
{
	struct fakeapi *api = tree_api();
	struct fakeapi_fault slow = { .delay_ms = 300 };
	fakeapi_fault_default(api, &slow);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "1000",
			       "-c", "4", "--deadline", "1", "--format",
			       "jsonl", NULL };
	struct runbin_result res;
	double t0 = clock_now_ms();
	run(args, &res);
	double took = clock_now_ms() - t0;
	ck_assert_int_eq(res.status, 1);
	ck_assert_msg(took < 5000, "--deadline 1 took %.0f ms", took);
	json_object *o = record(res.out, 0);
	ck_assert_str_eq(sfield(o, "status"), "partial");
	ck_assert_int_gt(field(o, "failed"), 0);
	ck_assert_int_lt(field(o, "comments"), 200);
	ck_assert_ptr_nonnull(strstr(res.err, "--deadline reached"));
	json_object_put(o);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

/* A tree bigger than --max-root-items (201 items, cap 100): 100 items are
 * fetched, the other 101 claimed kids fail as "item cap", the root is
 * partial, the cap is named once; --max-items caps all roots together. */
START_TEST(test_item_caps)
{
	struct fakeapi *api = tree_api();
	const char *args[] = { "--api", fakeapi_url(api), "--id", "1000",
			       "--max-root-items", "100", "--format", "jsonl",
			       NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 1, "%s: %s",
		      runbin_describe(&res), res.err);
	json_object *o = record(res.out, 0);
	ck_assert_str_eq(sfield(o, "status"), "partial");
	ck_assert_int_eq(field(o, "failed"), 101);
	ck_assert_int_eq(field(o, "comments") + field(o, "failed"), 200);
	json_object_put(o);
	ck_assert_uint_eq(fakeapi_total_requests(api), 100);
	const char *cap = "root 1000: over --max-root-items 100";
	char *first = strstr(res.err, cap);
	ck_assert_msg(first && !strstr(first + 1, cap), "%s", res.err);
	ck_assert_msg(strstr(res.err, "101 failed (item cap: 101)"), "%s",
		      res.err);
	runbin_result_free(&res);

	fakeapi_put(api, 5, "{\"id\":5,\"type\":\"story\",\"kids\":[2000]}");
	fakeapi_reset_counts(api);
	const char *run2[] = { "--api", fakeapi_url(api), "--id", "5", "--id",
			       "1000", "--max-items", "60", "--format", "jsonl",
			       NULL };
	run(run2, &res);
	ck_assert_msg(res.exited && res.status == 1, "%s", res.err);
	ck_assert_uint_le(fakeapi_total_requests(api), 60);
	ck_assert_msg(strstr(res.err, "over --max-items 60"), "%s", res.err);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

/* ulimit -n 64 with the default -c auto (ceiling 1024): the ceiling is
 * sized to the limit at start-up and the cause named once, instead of
 * hundreds of "Couldn't connect" failures. hnbatch runs under prlimit(1)
 * (util-linux). */
START_TEST(test_open_files_limit)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	char b[4096];
	int o = snprintf(b, sizeof b, "{\"id\":1000,\"type\":\"story\","
			 "\"kids\":[");
	for (int k = 0; k < 300; k++) {
		o += snprintf(b + o, sizeof b - (size_t)o, "%s%d", k ? "," : "",
			      2000 + k);
		char kid[64];
		snprintf(kid, sizeof kid, "{\"id\":%d,\"type\":\"comment\"}",
			 2000 + k);
		fakeapi_put(api, (uint64_t)(2000 + k), kid);
	}
	snprintf(b + o, sizeof b - (size_t)o, "]}");
	fakeapi_put(api, 1000, b);
	struct fakeapi_fault slow = { .delay_ms = 50 }; /* transfers overlap */
	fakeapi_fault_default(api, &slow);
	char *bin = strdup(runbin_path());
	setenv("HNBATCH_BIN", "/usr/bin/prlimit", 1);
	const char *args[] = { "--nofile=64:64", bin, "--api",
			       fakeapi_url(api), "--id", "1000", "--format",
			       "jsonl", NULL };
	struct runbin_result res;
	run(args, &res);
	setenv("HNBATCH_BIN", bin, 1);
	ck_assert_msg(res.exited && res.status == 0, "%s: %.2000s",
		      runbin_describe(&res), res.err);
	json_object *r = record(res.out, 0);
	ck_assert_int_eq(field(r, "comments"), 300);
	json_object_put(r);
	const char *why = "too many open files for --max-concurrency 1024 "
			  "with ulimit -n 64";
	char *at = strstr(res.err, why);
	ck_assert_msg(at && !strstr(at + 1, why), "%s", res.err);
	ck_assert_ptr_null(strstr(res.err, "Couldn't connect"));
	runbin_result_free(&res);
	free(bin);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_max_fetches)
{
	struct fakeapi *api = tree_api();
	const char *args[] = { "--api", fakeapi_url(api), "--id", "1000",
			       "--max-fetches", "30", "--format", "jsonl",
			       NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_int_eq(res.status, 1);
	json_object *o = record(res.out, 0);
	ck_assert_str_eq(sfield(o, "status"), "partial");
	ck_assert_int_le(field(o, "fetches"), 30);
	ck_assert_uint_le(fakeapi_total_requests(api), 30);
	/* nothing lost silently: counted + failed covers every known item */
	ck_assert_int_eq(field(o, "comments") + field(o, "failed") >= 50, 1);
	ck_assert_ptr_nonnull(strstr(res.err, "--max-fetches 30 reached"));
	json_object_put(o);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_fail_fast)
{
	struct fakeapi *api = tree_api();
	struct fakeapi_fault nf = { .fail_first = UINT_MAX, .status = 404 };
	fakeapi_fault(api, 77, &nf);
	struct fakeapi_fault slow = { .delay_ms = 100 };
	fakeapi_fault_default(api, &slow);
	/* root 77 fails at once; the slow tree is cancelled with --fail-fast */
	const char *ff[] = { "--api", fakeapi_url(api), "--id", "77", "--id",
			     "1000", "-c", "2", "--format", "jsonl",
			     "--fail-fast", NULL };
	struct runbin_result res;
	run(ff, &res);
	ck_assert_int_eq(res.status, 1);
	json_object *o = record(res.out, 1);
	ck_assert_str_eq(sfield(o, "status"), "partial");
	ck_assert_int_lt(field(o, "fetches"), 201);
	json_object_put(o);
	runbin_result_free(&res);
	/* without it, one failing root does not stop the others */
	const char *nff[] = { "--api", fakeapi_url(api), "--id", "77", "--id",
			      "1000", "--format", "jsonl", NULL };
	run(nff, &res);
	ck_assert_int_eq(res.status, 1);
	o = record(res.out, 1);
	assert_exact(o);
	json_object_put(o);
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_period_fixed_grid)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	/* a chain of 3: each answer held 360 ms, so an iteration takes at
	 * least 1.08 s (root + 2 levels, one after another) against a period
	 * of 1 s: it overruns one slot, and would overrun two only if the
	 * machine added 0.9 s to it */
	fakeapi_put(api, 10, "{\"id\":10,\"type\":\"story\",\"kids\":[11]}");
	fakeapi_put(api, 11, "{\"id\":11,\"type\":\"comment\",\"kids\":[12]}");
	fakeapi_put(api, 12, "{\"id\":12,\"type\":\"comment\"}");
	struct fakeapi_fault slow = { .delay_ms = 360 };
	fakeapi_fault_default(api, &slow);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "10",
			       "--period", "1", "--format", "jsonl", NULL };
	struct runbin *rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(rb);
	ck_assert(runbin_wait_stderr(rb, "iteration 3: starts", TIMEOUT));
	runbin_kill(rb, SIGINT);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(rb, TIMEOUT, &res), 0);
	ck_assert_int_eq(res.status, 130);
	/* iterations 0..2 start on slots 0, 2, 4: each overran one slot */
	for (int it = 0; it < 3; it++) {
		char want[64];
		snprintf(want, sizeof want, "iteration %d: starts (slot %d, +",
			 it, 2 * it);
		const char *p = strstr(res.err, want);
		ck_assert_msg(p != NULL, "no '%s' in %s", want, res.err);
		int late = atoi(p + strlen(want));
		ck_assert_msg(late < 500, "iteration %d started %d ms late", it,
			      late);
	}
	ck_assert_ptr_nonnull(strstr(res.err, "skipped slot 1"));
	ck_assert_ptr_nonnull(strstr(res.err, "skipped slot 3"));
	for (int it = 0; it < 3; it++) {
		json_object *o = record(res.out, it);
		ck_assert_int_eq(field(o, "iteration"), it);
		ck_assert_int_eq(field(o, "comments"), 2);
		json_object_put(o);
	}
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("binary");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_transient_faults_absorbed);
	tcase_add_test(tc, test_random_503s_absorbed);
	tcase_add_test(tc, test_faults_outlast_retries);
	tcase_add_test(tc, test_hostile_bodies);
	tcase_add_test(tc, test_big_body_not_held);
	tcase_add_test(tc, test_trickle_times_out);
	tcase_add_test(tc, test_many_kids);
	tcase_add_test(tc, test_sigterm_mid_crawl);
	tcase_add_test(tc, test_sigint_mid_crawl);
	tcase_add_test(tc, test_double_sigterm_is_one_request);
	tcase_add_test(tc, test_other_signal_forces_exit);
	tcase_add_test(tc, test_stray_sigusr1);
	tcase_add_test(tc, test_deadline);
	tcase_add_test(tc, test_lists_stop_on_sigterm);
	tcase_add_test(tc, test_lists_stop_at_deadline);
	tcase_add_test(tc, test_max_fetches);
	tcase_add_test(tc, test_item_caps);
	tcase_add_test(tc, test_open_files_limit);
	tcase_add_test(tc, test_fail_fast);
	tcase_add_test(tc, test_period_fixed_grid);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
