/* check_alert.c — alerts through the real binary against the fake API:
 * slow commands never delay the results, every delivery is made before
 * exit, webhooks get each alert once (and retries on 500), the spool keeps
 * what was never accepted and the next run delivers it, hostile titles reach
 * the command inert, SIGINT still delivers, periodic runs alert once.
 *
 * Threads: the fake API and the webhook receiver (libmicrohttpd) run their
 * own threads and only record (under hook.mu); every assertion is made on
 * the test's thread after the binary exited. Stories are synthetic: story
 * S has `n` comment kids S*1000+1 .. S*1000+n. */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakeapi.h"
#include "clock.h"
#include "log.h"
#include "runbin.h"
#include "testutil.h"
#include "text.h"

#define TIMEOUT 120000

/* ---- helpers ------------------------------------------------------------ */

static void put_story(struct fakeapi *api, uint64_t id, const char *title,
		      int n)
{
	json_object *o = json_object_new_object();
	json_object *kids = json_object_new_array();
	json_object_object_add(o, "id", json_object_new_int64((int64_t)id));
	json_object_object_add(o, "type", json_object_new_string("story"));
	json_object_object_add(o, "title", json_object_new_string(title));
	json_object_object_add(o, "descendants", json_object_new_int(n));
	for (int j = 1; j <= n; j++) {
		uint64_t k = id * 1000 + (uint64_t)j;
		char buf[128];
		json_object_array_add(kids, json_object_new_int64((int64_t)k));
		snprintf(buf, sizeof buf, "{\"id\":%llu,\"type\":\"comment\","
			 "\"parent\":%llu}", (unsigned long long)k,
			 (unsigned long long)id);
		ck_assert_int_eq(fakeapi_put(api, k, buf), 0);
	}
	json_object_object_add(o, "kids", kids);
	ck_assert_int_eq(fakeapi_put(api, id, json_object_to_json_string(o)),
			 0);
	json_object_put(o);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static size_t count_str(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void run(const char *const *args, struct runbin_result *res)
{
	ck_assert_int_eq(runbin_run(args, NULL, NULL, TIMEOUT, res), 0);
	ck_assert_msg(!res->timed_out, "timed out: %s", res->err);
}

/* ---- a webhook receiver on 127.0.0.1 ---------------------------------- */

struct hook {
	struct MHD_Daemon *d;
	char url[64];
	pthread_mutex_t mu;
	unsigned status;          /* guarded by mu: the answer */
	size_t answer_len;        /* guarded by mu: its body's size (0: "ok") */
	char **bodies;            /* guarded by mu: every POST body */
	size_t n;
};

struct upload {
	char *p;
	size_t len;
};

static enum MHD_Result on_hook(void *cls, struct MHD_Connection *c,
			       const char *url, const char *method,
			       const char *version, const char *data,
			       size_t *size, void **con_cls)
{
	struct hook *h = cls;
	(void)url; (void)method; (void)version;
	struct upload *u = *con_cls;
	if (!u) {
		*con_cls = calloc(1, sizeof *u);
		return *con_cls ? MHD_YES : MHD_NO;
	}
	if (*size) {
		char *np = realloc(u->p, u->len + *size + 1);
		if (!np)
			return MHD_NO;
		memcpy(np + u->len, data, *size);
		u->p = np;
		u->len += *size;
		u->p[u->len] = '\0';
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&h->mu);
	unsigned status = h->status;
	size_t alen = h->answer_len;
	char **nb = realloc(h->bodies, (h->n + 1) * sizeof *nb);
	if (nb) {
		h->bodies = nb;
		h->bodies[h->n++] = u->p ? u->p : strdup("");
		u->p = NULL;
	}
	pthread_mutex_unlock(&h->mu);
	char *big = alen ? malloc(alen) : NULL;
	if (big)
		memset(big, 'x', alen);
	struct MHD_Response *r = big
		? MHD_create_response_from_buffer(alen, big,
						  MHD_RESPMEM_MUST_FREE)
		: MHD_create_response_from_buffer(3, (void *)"ok\n",
						  MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void on_hook_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls; (void)c; (void)toe;
	struct upload *u = *con_cls;
	if (u) {
		free(u->p);
		free(u);
	}
	*con_cls = NULL;
}

static struct hook *hook_start(unsigned status)
{
	struct hook *h = calloc(1, sizeof *h);
	ck_assert_ptr_nonnull(h);
	pthread_mutex_init(&h->mu, NULL);
	h->status = status;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
				on_hook, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_NOTIFY_COMPLETED, on_hook_done, h,
				MHD_OPTION_END);
	ck_assert_ptr_nonnull(h->d);
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	snprintf(h->url, sizeof h->url, "http://127.0.0.1:%u/hook",
		 (unsigned)info->port);
	return h;
}

static void hook_set_answer_len(struct hook *h, size_t len)
{
	pthread_mutex_lock(&h->mu);
	h->answer_len = len;
	pthread_mutex_unlock(&h->mu);
}

static void hook_set_status(struct hook *h, unsigned status)
{
	pthread_mutex_lock(&h->mu);
	h->status = status;
	pthread_mutex_unlock(&h->mu);
}

/* POSTs received whose JSON "id" is id. */
static size_t hook_count(struct hook *h, uint64_t id)
{
	size_t n = 0;
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->n; i++) {
		json_object *o = json_tokener_parse(h->bodies[i]), *v;
		if (o && json_object_object_get_ex(o, "id", &v) &&
		    (uint64_t)json_object_get_int64(v) == id)
			n++;
		json_object_put(o);
	}
	pthread_mutex_unlock(&h->mu);
	return n;
}

static size_t hook_total(struct hook *h)
{
	pthread_mutex_lock(&h->mu);
	size_t n = h->n;
	pthread_mutex_unlock(&h->mu);
	return n;
}

static void hook_reset(struct hook *h)
{
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->n; i++)
		free(h->bodies[i]);
	h->n = 0;
	pthread_mutex_unlock(&h->mu);
}

static void hook_stop(struct hook *h)
{
	MHD_stop_daemon(h->d);
	hook_reset(h);
	free(h->bodies);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

/* ---- tests -------------------------------------------------------------- */

struct gate {
	const char *started; /* a line per delivery begun */
	size_t want_started;
	size_t want_out;     /* result lines on stdout */
};

/* The results and the summary are out, and want_started deliveries have
 * begun. */
static int results_out(struct runbin *rb, void *arg)
{
	const struct gate *g = arg;
	size_t len;
	const char *out = runbin_stdout(rb, &len);
	const char *err = runbin_stderr(rb, &len);
	if (count_lines(out) < g->want_out || !strstr(err, " roots, "))
		return 0;
	char *st = tu_slurp(g->started, NULL);
	size_t n = count_lines(st);
	free(st);
	return n >= g->want_started;
}

/* Ten alerts whose deliveries cannot finish until the test opens a gate:
 * the results and the summary come out all the same (the crawl never waits
 * for a delivery, however slow), eight deliveries run at once
 * (--alert-parallel's default), hnbatch does not exit while they are held,
 * and once the gate opens all ten are delivered before it exits. No clock is
 * read: "as fast as without alerts" is shown as "before any delivery". */
START_TEST(test_slow_cmd_never_delays_results)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	const char *args_ids[20];
	char ids[10][16];
	size_t na = 0;
	for (int i = 0; i < 10; i++) {
		put_story(api, (uint64_t)(100 + i), "slow alert", 5);
		snprintf(ids[i], sizeof ids[i], "%d", 100 + i);
		args_ids[na++] = "--id";
		args_ids[na++] = ids[i];
	}
	char *dir = tu_tmpdir("check_alert"), *log = tu_path(dir, "delivered"),
	     *started = tu_path(dir, "started"), *go = tu_path(dir, "go"),
	     *cmd;
	ck_assert_int_ge(asprintf(&cmd, "echo \"$HN_ID\" >> '%s'; "
				  "while [ ! -e '%s' ]; do sleep 0.05; done; "
				  "echo \"$HN_ID\" >> '%s'", started, go, log),
			 0);
	const char *alert[32] = { "--api", fakeapi_url(api), "--format",
				  "jsonl", "--threshold", "4", "--alert-cmd",
				  cmd, NULL };
	memcpy(alert + 8, args_ids, na * sizeof *args_ids);

	struct runbin *rb = runbin_start(alert, NULL, NULL);
	ck_assert_ptr_nonnull(rb);
	struct gate g = { started, 8, 10 };
	int out = runbin_wait_until(rb, results_out, &g, 20, TIMEOUT);
	/* what the gate holds, read before it opens */
	char *st = tu_slurp(started, NULL), *got = tu_slurp(log, NULL);
	int exited = runbin_exited(rb);
	FILE *f = fopen(go, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	struct runbin_result r;
	ck_assert_int_eq(runbin_finish(rb, TIMEOUT, &r), 0);
	ck_assert_msg(out, "results, summary and 8 deliveries begun: not seen;"
		      " stdout %s; stderr %s; started %s", r.out, r.err,
		      st ? st : "(none)");
	ck_assert_msg(got == NULL, "delivered before the gate opened: %s", got);
	ck_assert_msg(count_lines(st) == 8, "deliveries at once: %s", st);
	ck_assert_msg(!exited, "exited with deliveries pending: %s", r.err);
	ck_assert_msg(r.exited && r.status == 0, "%s: %s",
		      runbin_describe(&r), r.err);
	ck_assert_int_eq(count_lines(r.out), 10);
	ck_assert_int_eq(count_str(r.err, "hnbatch: alert: "), 10);
	/* every delivery happened before exit */
	got = tu_slurp(log, NULL);
	ck_assert_msg(got && count_lines(got) == 10, "delivered: %s",
		      got ? got : "(none)");
	for (int i = 0; i < 10; i++) {
		char line[24];
		snprintf(line, sizeof line, "%d\n", 100 + i);
		ck_assert_msg(strstr(got, line), "%d not delivered", 100 + i);
	}
	free(got);
	free(st);
	runbin_result_free(&r);
	tu_rm_rf(dir);
	free(dir);
	free(log);
	free(started);
	free(go);
	free(cmd);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_webhook_once_each)
{
	struct fakeapi *api = fakeapi_start();
	struct hook *h = hook_start(200);
	put_story(api, 201, "Hooked & \"quoted\"", 3);
	put_story(api, 202, "second", 4);
	put_story(api, 203, "below", 1);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "201",
			       "--id", "202", "--id", "203", "--threshold",
			       "2", "--webhook", h->url, "--format", "jsonl",
			       NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	ck_assert_int_eq(hook_count(h, 201), 1);
	ck_assert_int_eq(hook_count(h, 202), 1);
	ck_assert_int_eq(hook_count(h, 203), 0);
	ck_assert_int_eq(hook_total(h), 2);
	/* The body: text (for chat webhooks), id, title, comments, url. */
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->n; i++) {
		json_object *o = json_tokener_parse(h->bodies[i]), *v;
		ck_assert_ptr_nonnull(o);
		ck_assert(json_object_object_get_ex(o, "id", &v));
		int64_t id = json_object_get_int64(v);
		ck_assert(json_object_object_get_ex(o, "text", &v));
		const char *text = json_object_get_string(v);
		if (id == 201) {
			ck_assert_str_eq(text, "HN post 201 has 3 comments: "
				"Hooked & \"quoted\" "
				"https://news.ycombinator.com/item?id=201");
			ck_assert(json_object_object_get_ex(o, "title", &v));
			ck_assert_str_eq(json_object_get_string(v),
					 "Hooked & \"quoted\"");
			ck_assert(json_object_object_get_ex(o, "comments", &v));
			ck_assert_int_eq(json_object_get_int64(v), 3);
			ck_assert(json_object_object_get_ex(o, "url", &v));
			ck_assert_str_eq(json_object_get_string(v),
				"https://news.ycombinator.com/item?id=201");
		}
		json_object_put(o);
	}
	pthread_mutex_unlock(&h->mu);
	runbin_result_free(&res);
	hook_stop(h);
	fakeapi_stop(api);
}
END_TEST

/* A webhook that answers 2xx with a body over --max-body (a chat service's
 * verbose reply) has accepted the alert: the body is not the point, so it
 * is read up to a small limit and dropped, and the delivery is made once,
 * not retried, spooled and posted again by every later run. */
START_TEST(test_webhook_big_2xx_body_delivered)
{
	struct fakeapi *api = fakeapi_start();
	struct hook *h = hook_start(200);
	hook_set_answer_len(h, 256 * 1024);
	put_story(api, 211, "big answer", 3);
	char *dir = tu_tmpdir("check_alert"), *spool = tu_path(dir, "spool");
	const char *args[] = { "--api", fakeapi_url(api), "--id", "211",
			       "--threshold", "2", "--webhook", h->url,
			       "--max-body", "4096", "--alert-spool", spool,
			       "--format", "jsonl", NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_int_eq(hook_count(h, 211), 1);
	char *sp = tu_slurp(spool, NULL);
	ck_assert_msg(sp && *sp == '\0', "spool: %s", sp ? sp : "(none)");
	free(sp);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(spool);
	hook_stop(h);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_webhook_500_retried_spooled_redelivered)
{
	struct fakeapi *api = fakeapi_start();
	struct hook *h = hook_start(500);
	put_story(api, 301, "one", 3);
	put_story(api, 302, "two", 3);
	char *dir = tu_tmpdir("check_alert"), *spool = tu_path(dir, "spool");
	const char *args[] = { "--api", fakeapi_url(api), "--id", "301",
			       "--id", "302", "--threshold", "2", "--webhook",
			       h->url, "--alert-retries", "2", "--alert-spool",
			       spool, "--format", "jsonl", NULL };
	struct runbin_result res;
	run(args, &res);
	/* Retried (1 + 2 attempts each), then given up: exit 1, named. */
	ck_assert_msg(res.exited && res.status == 1, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_int_eq(hook_count(h, 301), 3);
	ck_assert_int_eq(hook_count(h, 302), 3);
	ck_assert_msg(strstr(res.err, "alert 301 (3 comments) not delivered "
			     "to --webhook: HTTP 500"), "%s", res.err);
	ck_assert_msg(strstr(res.err, "alert 302 (3 comments) not delivered "
			     "to --webhook: HTTP 500"), "%s", res.err);
	ck_assert_int_eq(count_lines(res.out), 2); /* results were written */
	runbin_result_free(&res);

	/* The spool holds exactly what was never accepted. */
	char *sp = tu_slurp(spool, NULL);
	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(count_lines(sp), 2);
	for (char *line = strtok(sp, "\n"); line; line = strtok(NULL, "\n")) {
		json_object *o = json_tokener_parse(line), *v;
		ck_assert_msg(o != NULL, "spool line: %s", line);
		ck_assert(json_object_object_get_ex(o, "dest", &v));
		ck_assert_str_eq(json_object_get_string(v), "webhook");
		ck_assert(json_object_object_get_ex(o, "id", &v));
		int64_t id = json_object_get_int64(v);
		ck_assert(id == 301 || id == 302);
		json_object_put(o);
	}
	free(sp);

	/* Next run (no new alert: threshold out of reach) delivers the
	 * spooled alerts once each and empties the spool. */
	hook_reset(h);
	hook_set_status(h, 204);
	const char *again[] = { "--api", fakeapi_url(api), "--id", "301",
				"--threshold", "1000", "--webhook", h->url,
				"--alert-spool", spool, "--format", "jsonl",
				NULL };
	run(again, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_int_eq(hook_count(h, 301), 1);
	ck_assert_int_eq(hook_count(h, 302), 1);
	ck_assert_int_eq(hook_total(h), 2);
	sp = tu_slurp(spool, NULL);
	ck_assert_msg(sp && *sp == '\0', "spool not emptied: %s", sp);
	free(sp);
	runbin_result_free(&res);

	/* And a third run has nothing left to deliver. */
	hook_reset(h);
	run(again, &res);
	ck_assert_int_eq(res.status, 0);
	ck_assert_int_eq(hook_total(h), 0);
	runbin_result_free(&res);

	tu_rm_rf(dir);
	free(dir);
	free(spool);
	hook_stop(h);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_cmd_timeout_spooled_then_delivered)
{
	struct fakeapi *api = fakeapi_start();
	put_story(api, 401, "stuck", 3);
	char *dir = tu_tmpdir("check_alert"), *spool = tu_path(dir, "spool"),
	     *log = tu_path(dir, "delivered"), *cmd;
	const char *args[] = { "--api", fakeapi_url(api), "--id", "401",
			       "--threshold", "2", "--alert-cmd", "sleep 60",
			       "--alert-timeout", "1", "--alert-spool", spool,
			       "--format", "jsonl", NULL };
	struct runbin_result res;
	double t0 = clock_now_ms();
	run(args, &res);
	double took = clock_now_ms() - t0;
	ck_assert_msg(res.exited && res.status == 1, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(took < 10000, "took %.0f ms", took);
	/* Killed either as an attempt over --alert-timeout or at the exit
	 * deadline, whichever comes first on this machine. */
	const char *why = strstr(res.err, "alert 401 (3 comments) not "
				 "delivered to --alert-cmd: ");
	const char *reason = why ? strchr(why, ':') + 2 : NULL;
	ck_assert_msg(why && (strncmp(reason, "still running at exit",
				      21) == 0 ||
			      strncmp(reason, "took longer than 1s, killed",
				      26) == 0), "%s", res.err);
	char *sp = tu_slurp(spool, NULL);
	ck_assert_msg(sp && count_lines(sp) == 1 && strstr(sp, "\"id\":401") &&
		      strstr(sp, "\"dest\":\"cmd\""), "spool: %s", sp);
	free(sp);
	runbin_result_free(&res);

	/* The next run delivers it to its (now working) command. */
	ck_assert_int_ge(asprintf(&cmd, "cat >> '%s'", log), 0);
	const char *again[] = { "--api", fakeapi_url(api), "--id", "401",
				"--threshold", "1000", "--alert-cmd", cmd,
				"--alert-spool", spool, "--format", "jsonl",
				NULL };
	run(again, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(got && count_lines(got) == 1 &&
		      strstr(got, "\"id\":401,\"title\":\"stuck\""), "%s", got);
	sp = tu_slurp(spool, NULL);
	ck_assert_msg(sp && *sp == '\0', "spool: %s", sp);
	free(sp);
	free(got);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(spool);
	free(log);
	free(cmd);
	fakeapi_stop(api);
}
END_TEST

struct killed_gate {
	const char *started, *state;
};

/* The delivery has begun and the state, which records the alert as made,
 * is saved. */
static int delivering_and_saved(struct runbin *rb, void *arg)
{
	(void)rb;
	const struct killed_gate *g = arg;
	char *st = tu_slurp(g->started, NULL), *js = tu_slurp(g->state, NULL);
	int ok = st && *st && js && strstr(js, "801");
	free(st);
	free(js);
	return ok;
}

/* SIGKILL while a delivery is still running, after --state was saved with
 * the alert claimed: nothing at exit can spool it, so it must already be in
 * the spool (the journal); the next run delivers it although the state says
 * it was alerted. */
START_TEST(test_sigkill_journaled_in_spool)
{
	struct fakeapi *api = fakeapi_start();
	put_story(api, 801, "killed mid-delivery", 3);
	char *dir = tu_tmpdir("check_alert"), *spool = tu_path(dir, "spool"),
	     *state = tu_path(dir, "state.json"),
	     *started = tu_path(dir, "started"), *go = tu_path(dir, "go"),
	     *log = tu_path(dir, "delivered"), *cmd, *cmd2;
	ck_assert_int_ge(asprintf(&cmd, "echo \"$HN_ID\" >> '%s'; "
				  "while [ ! -e '%s' ]; do sleep 0.05; done",
				  started, go), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "801",
			       "--threshold", "2", "--alert-cmd", cmd,
			       "--alert-spool", spool, "--state", state,
			       "--format", "jsonl", NULL };
	struct runbin *rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(rb);
	struct killed_gate g = { started, state };
	int seen = runbin_wait_until(rb, delivering_and_saved, &g, 20, TIMEOUT);
	runbin_kill(rb, SIGKILL);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(rb, TIMEOUT, &res), 0);
	FILE *f = fopen(go, "w"); /* let the orphaned command end */
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_msg(seen, "delivery begun and state saved: not seen: %s",
		      res.err);
	ck_assert_int_eq(res.signal, SIGKILL);
	char *sp = tu_slurp(spool, NULL);
	ck_assert_msg(sp && count_lines(sp) == 1 && strstr(sp, "\"id\":801,") &&
		      strstr(sp, "\"dest\":\"cmd\""), "spool: %s",
		      sp ? sp : "(none)");
	free(sp);
	runbin_result_free(&res);

	/* The next run, same state (801 is claimed there), delivers it. */
	ck_assert_int_ge(asprintf(&cmd2, "cat >> '%s'", log), 0);
	const char *again[] = { "--api", fakeapi_url(api), "--id", "801",
				"--threshold", "2", "--alert-cmd", cmd2,
				"--alert-spool", spool, "--state", state,
				"--format", "jsonl", NULL };
	run(again, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(got && count_lines(got) == 1 &&
		      strstr(got, "\"id\":801,"), "delivered: %s",
		      got ? got : "(none)");
	sp = tu_slurp(spool, NULL);
	ck_assert_msg(sp && *sp == '\0', "spool: %s", sp);
	free(sp);
	free(got);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(spool);
	free(state);
	free(started);
	free(go);
	free(log);
	free(cmd);
	free(cmd2);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_failing_cmd_retried_no_spool)
{
	struct fakeapi *api = fakeapi_start();
	put_story(api, 451, "fails", 3);
	char *dir = tu_tmpdir("check_alert"), *log = tu_path(dir, "tries");
	char *cmd;
	ck_assert_int_ge(asprintf(&cmd, "echo x >> '%s'; exit 3", log), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "451",
			       "--threshold", "2", "--alert-cmd", cmd,
			       "--alert-retries", "2", NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 1, "%s", res.err);
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(got && count_lines(got) == 3, "tries: %s", got);
	ck_assert_msg(strstr(res.err, "alert 451 (3 comments) not delivered to "
			     "--alert-cmd: exit status 3"), "%s", res.err);
	free(got);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(log);
	free(cmd);
	fakeapi_stop(api);
}
END_TEST

/* Raw titles (as the API sends them) meant to run something. */
static const char *const hostile[] = {
	"$(touch %s/pwned1)",
	"`touch %s/pwned2`",
	"\"; touch %s/pwned3; echo \"",
	"'; touch %s/pwned4; echo '",
	"line one\nline two; touch %s/pwned5",
	"tab\there & back\\slash %s ${HOME} $HN_ID",
	"\"; reboot",
};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

START_TEST(test_hostile_titles_inert)
{
	struct fakeapi *api = fakeapi_start();
	char *dir = tu_tmpdir("check_alert"), *cmd;
	char *raw[NHOSTILE];
	char ids[NHOSTILE][16];
	const char *args[64] = { "--api", fakeapi_url(api), "--threshold", "0",
				 "--format", "jsonl", "--alert-cmd", NULL };
	size_t na = 7;
	/* The command itself only uses $HN_ID (a number) in a file name. */
	ck_assert_int_ge(asprintf(&cmd, "cat > '%s'/stdin.$HN_ID && printf "
				  "'%%s' \"$HN_TITLE\" > '%s'/env.$HN_ID",
				  dir, dir), 0);
	args[na++] = cmd;
	for (size_t i = 0; i < NHOSTILE; i++) {
		ck_assert_int_ge(asprintf(&raw[i], hostile[i], dir), 0);
		put_story(api, 500 + i, raw[i], 1);
		snprintf(ids[i], sizeof ids[i], "%zu", 500 + i);
		args[na++] = "--id";
		args[na++] = ids[i];
	}
	args[na] = NULL;
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s: %s",
		      runbin_describe(&res), res.err);
	for (size_t i = 0; i < NHOSTILE; i++) {
		/* What arrives is the cleaned title (a newline becomes a
		 * space), byte for byte, on stdin and in HN_TITLE. */
		char *want = text_clean(raw[i]);
		char *p = NULL;
		ck_assert_int_ge(asprintf(&p, "%s/env.%zu", dir, 500 + i), 0);
		char *env = tu_slurp(p, NULL);
		ck_assert_msg(env != NULL, "no delivery for %zu", 500 + i);
		ck_assert_str_eq(env, want);
		free(p);
		ck_assert_int_ge(asprintf(&p, "%s/stdin.%zu", dir, 500 + i), 0);
		char *in = tu_slurp(p, NULL);
		ck_assert_ptr_nonnull(in);
		json_object *o = json_tokener_parse(in), *v;
		ck_assert_msg(o != NULL, "stdin not JSON: %s", in);
		ck_assert(json_object_object_get_ex(o, "title", &v));
		ck_assert_str_eq(json_object_get_string(v), want);
		ck_assert(json_object_object_get_ex(o, "id", &v));
		ck_assert_int_eq(json_object_get_int64(v), (int64_t)(500 + i));
		json_object_put(o);
		free(in);
		free(env);
		free(p);
		free(want);
		free(raw[i]);
	}
	/* Nothing in any title ran. */
	for (int k = 1; k <= 5; k++) {
		char *p;
		struct stat st;
		ck_assert_int_ge(asprintf(&p, "%s/pwned%d", dir, k), 0);
		ck_assert_msg(stat(p, &st) != 0 && errno == ENOENT,
			      "%s was created", p);
		free(p);
	}
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(cmd);
	fakeapi_stop(api);
}
END_TEST

static int alerts_raised(struct runbin *rb, void *arg)
{
	size_t len;
	const char *err = runbin_stderr(rb, &len);
	return count_str(err, "hnbatch: alert: ") >= *(size_t *)arg;
}

START_TEST(test_sigint_still_delivers)
{
	struct fakeapi *api = fakeapi_start();
	char ids[6][16];
	char *dir = tu_tmpdir("check_alert"), *log = tu_path(dir, "delivered"),
	     *go = tu_path(dir, "go"), *cmd;
	/* deliveries held until the test opens the gate, after the signal */
	ck_assert_int_ge(asprintf(&cmd, "while [ ! -e '%s' ]; do sleep 0.05; "
				  "done; echo \"$HN_ID\" >> '%s'", go, log), 0);
	const char *args[32] = { "--api", fakeapi_url(api), "--threshold",
				 "2", "--alert-cmd", cmd, "--format", "jsonl",
				 NULL };
	size_t na = 8;
	for (int i = 0; i < 6; i++) {
		put_story(api, (uint64_t)(600 + i), "sig", 3);
		snprintf(ids[i], sizeof ids[i], "%d", 600 + i);
		args[na++] = "--id";
		args[na++] = ids[i];
	}
	args[na] = NULL;
	/* Root 605 never completes: one of its comments is held back. */
	struct fakeapi_fault slow = { .delay_ms = 60000 };
	fakeapi_fault(api, 605001, &slow);
	struct runbin *rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(rb);
	size_t want = 5;
	ck_assert(runbin_wait_until(rb, alerts_raised, &want, 50, TIMEOUT));
	ck_assert_int_eq(runbin_kill(rb, SIGINT), 0);
	int seen = runbin_wait_stderr(rb, "SIGINT", TIMEOUT);
	char *before = tu_slurp(log, NULL); /* nothing delivered yet */
	FILE *f = fopen(go, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(rb, TIMEOUT, &res), 0);
	ck_assert_msg(seen, "SIGINT not taken: %s", res.err);
	ck_assert_msg(before == NULL, "delivered before the signal: %s",
		      before);
	ck_assert_msg(res.exited && res.status == 130, "%s: %s",
		      runbin_describe(&res), res.err);
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(got && count_lines(got) == 5, "delivered: %s", got);
	ck_assert_ptr_null(strstr(got, "605"));
	free(got);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(log);
	free(go);
	free(cmd);
	fakeapi_stop(api);
}
END_TEST

static int iterations_done(struct runbin *rb, void *arg)
{
	size_t len;
	const char *err = runbin_stderr(rb, &len);
	return strstr(err, (const char *)arg) != NULL;
}

START_TEST(test_periodic_alerts_once)
{
	struct fakeapi *api = fakeapi_start();
	put_story(api, 701, "periodic", 3);
	put_story(api, 702, "quiet", 1);
	char *dir = tu_tmpdir("check_alert");
	char *log = tu_path(dir, "delivered"), *cmd;
	ck_assert_int_ge(asprintf(&cmd, "echo \"$HN_ID\" >> '%s'", log), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "701",
			       "--id", "702", "--threshold", "2", "--alert-cmd",
			       cmd, "--period", "0.5", "--format", "jsonl",
			       NULL };
	struct runbin *rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(rb);
	ck_assert(runbin_wait_until(rb, iterations_done,
				    "iteration 2: 2 roots", 50, TIMEOUT));
	ck_assert_int_eq(runbin_kill(rb, SIGTERM), 0);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(rb, TIMEOUT, &res), 0);
	ck_assert_msg(res.exited && res.status == 143, "%s: %s",
		      runbin_describe(&res), res.err);
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(got && strcmp(got, "701\n") == 0, "delivered: %s", got);
	ck_assert_int_eq(count_str(res.err, "hnbatch: alert: "), 1);
	free(got);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(log);
	free(cmd);
	fakeapi_stop(api);
}
END_TEST

START_TEST(test_bad_spool_is_an_error)
{
	struct fakeapi *api = fakeapi_start();
	put_story(api, 801, "x", 3);
	char *dir = tu_tmpdir("check_alert"), *spool = tu_path(dir, "spool");
	FILE *f = fopen(spool, "w");
	ck_assert_ptr_nonnull(f);
	/* a bad line that is not the last one: not a torn append */
	fputs("{\"id\":1,\"title\":\"a\",\"comments\":3,\"dest\":\"cmd\"}\n"
	      "{\"id\":2,\"tit\n"
	      "{\"id\":3,\"title\":\"c\",\"comments\":3,\"dest\":\"cmd\"}\n",
	      f);
	fclose(f);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "801",
			       "--threshold", "2", "--alert-cmd", "true",
			       "--alert-spool", spool, NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 2, "%s: %s",
		      runbin_describe(&res), res.err);
	char *where;
	ck_assert_int_ge(asprintf(&where, "%s:2: bad spool line", spool), 0);
	ck_assert_msg(strstr(res.err, where), "%s", res.err);
	ck_assert_int_eq(fakeapi_total_requests(api), 0);
	free(where);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(spool);
	fakeapi_stop(api);
}
END_TEST

/* Spool lines are strict: trailing text after the object, single quotes
 * or a kind without its root and depth are bad lines (exit 2 naming
 * FILE:LINE), not alerts read leniently. */
START_TEST(test_lenient_spool_lines_refused)
{
	static const char *const bad[] = {
		"{\"id\":2,\"title\":\"b\",\"comments\":3,\"dest\":\"cmd\"} x",
		"{'id':2,'title':'b','comments':3,'dest':'cmd'}",
		"{\"id\":2,\"kind\":\"subthread\",\"title\":\"b\","
		"\"comments\":3,\"dest\":\"cmd\"}",
	};
	struct fakeapi *api = fakeapi_start();
	put_story(api, 801, "x", 3);
	char *dir = tu_tmpdir("check_alert"), *spool = tu_path(dir, "spool");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		FILE *f = fopen(spool, "w");
		ck_assert_ptr_nonnull(f);
		fprintf(f, "%s\n{\"id\":3,\"title\":\"c\",\"comments\":3,"
			"\"dest\":\"cmd\"}\n", bad[i]);
		fclose(f);
		const char *args[] = { "--api", fakeapi_url(api), "--id",
				       "801", "--threshold", "2", "--alert-cmd",
				       "true", "--alert-spool", spool, NULL };
		struct runbin_result res;
		run(args, &res);
		ck_assert_msg(res.exited && res.status == 2, "line %zu: %s: %s",
			      i, runbin_describe(&res), res.err);
		char *where;
		ck_assert_int_ge(asprintf(&where, "%s:1: bad spool line",
					  spool), 0);
		ck_assert_msg(strstr(res.err, where), "%s", res.err);
		free(where);
		runbin_result_free(&res);
	}
	ck_assert_int_eq(fakeapi_total_requests(api), 0);
	tu_rm_rf(dir);
	free(dir);
	free(spool);
	fakeapi_stop(api);
}
END_TEST

static void put_spool(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* Every line of a spool is whole: it ends with a newline and is JSON.
 * Returns the number of lines, or -1 (with the bad one in *bad). */
static long spool_lines_whole(const char *path, char **bad)
{
	char *sp = tu_slurp(path, NULL);
	ck_assert_ptr_nonnull(sp);
	long n = 0;
	for (char *p = sp; *p;) {
		char *nl = strchr(p, '\n');
		json_object *o = nl ? (*nl = '\0', json_tokener_parse(p))
				    : NULL;
		if (!o) {
			*bad = strdup(p);
			free(sp);
			return -1;
		}
		json_object_put(o);
		n++;
		p = nl + 1;
	}
	free(sp);
	return n;
}

/* A power cut (or a full disk, before the fix) in the middle of a journal
 * append leaves a last line without its newline: it is dropped with a
 * warning naming it, and the rest is delivered. */
START_TEST(test_torn_last_spool_line_dropped)
{
	struct fakeapi *api = fakeapi_start();
	put_story(api, 821, "x", 3);
	char *dir = tu_tmpdir("check_alert"), *spool = tu_path(dir, "spool"),
	     *log = tu_path(dir, "delivered"), *cmd;
	put_spool(spool, "{\"id\":1,\"title\":\"a\",\"comments\":3,"
		  "\"dest\":\"cmd\"}\n{\"id\":2,\"tit");
	ck_assert_int_ge(asprintf(&cmd, "cat >> '%s'", log), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "821",
			       "--threshold", "1000", "--alert-cmd", cmd,
			       "--alert-spool", spool, NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s: %s",
		      runbin_describe(&res), res.err);
	char *where;
	ck_assert_int_ge(asprintf(&where, "%s:2: dropping a torn last line",
				  spool), 0);
	ck_assert_msg(strstr(res.err, where), "%s", res.err);
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(got && count_lines(got) == 1 &&
		      strstr(got, "\"id\":1,"), "delivered: %s", got);
	char *sp = tu_slurp(spool, NULL);
	ck_assert_msg(sp && *sp == '\0', "spool: %s", sp);
	free(sp);
	free(got);
	free(where);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(spool);
	free(log);
	free(cmd);
	fakeapi_stop(api);
}
END_TEST

/* A tmpfs of `kib` KiB at dir, in a private mount namespace of this test
 * process (a Check fork: the namespace goes with it; the binaries it runs
 * share it). Needs root, as CI has. */
static void small_fs(const char *dir, int kib)
{
	char opt[64];
	snprintf(opt, sizeof opt, "size=%dk,mode=0755", kib);
	ck_assert_msg(unshare(CLONE_NEWNS) == 0 &&
		      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		      mount("tmpfs", dir, "tmpfs", 0, opt) == 0,
		      "a small tmpfs at %s: %s (needs root)", dir,
		      strerror(errno));
}

/* The disk fills while alerts are journaled: a clear message and exit
 * status 1; no append is left half-written, so the next run (with space)
 * reads the spool and delivers what it holds instead of exiting 2. */
START_TEST(test_full_disk_journal_whole_lines)
{
	struct fakeapi *api = fakeapi_start();
	char *dir = tu_tmpdir("check_alert"), *fs = tu_path(dir, "fs"),
	     *spool = tu_path(fs, "spool"), *fill = tu_path(fs, "fill"),
	     *log = tu_path(dir, "delivered"), *cmd, title[301];
	ck_assert_int_eq(mkdir(fs, 0755), 0);
	small_fs(fs, 16);
	/* 3 of the 4 pages filled: the journal has one page (~8 lines) */
	char page[4096];
	memset(page, '.', sizeof page);
	FILE *f = fopen(fill, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(fwrite(page, 1, sizeof page, f), sizeof page);
	ck_assert_int_eq(fclose(f), 0);
	memset(title, 't', 300);
	title[300] = '\0';
	const char *args[64] = { "--api", fakeapi_url(api), "--threshold",
				 "2", "--alert-spool", spool, "--alert-retries",
				 "0", "--format", "jsonl", "--alert-cmd" };
	size_t na = 11;
	char ids[20][16];
	ck_assert_int_ge(asprintf(&cmd, "cat >> '%s'", log), 0);
	args[na++] = cmd;
	for (int i = 0; i < 20; i++) {
		put_story(api, (uint64_t)(830 + i), title, 3);
		snprintf(ids[i], sizeof ids[i], "%d", 830 + i);
		args[na++] = "--id";
		args[na++] = ids[i];
	}
	struct runbin_result res;
	/* 1: every delivery is made; the journal cannot be written */
	run(args, &res);
	char *msg;
	ck_assert_int_ge(asprintf(&msg, "%s: cannot record raised alerts: "
				  "No space left on device", spool), 0);
	ck_assert_msg(res.exited && res.status == 1 && strstr(res.err, msg),
		      "%s: %.1500s", runbin_describe(&res), res.err);
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(got && count_lines(got) == 20, "delivered: %.1500s", got);
	free(got);
	runbin_result_free(&res);
	/* 2: every delivery fails, and the spool cannot be rewritten: what
	 * the journal holds is whole lines */
	args[11] = "exit 1";
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 1 && strstr(res.err, msg),
		      "%s: %.1500s", runbin_describe(&res), res.err);
	runbin_result_free(&res);
	char *bad = NULL;
	long n = spool_lines_whole(spool, &bad); /* 0 when no batch fit */
	ck_assert_msg(n >= 0, "spool: torn line %.300s", bad ? bad : "");
	/* 3: with space again, the next run delivers what was journaled */
	ck_assert_int_eq(unlink(fill), 0);
	ck_assert_int_eq(unlink(log), 0);
	const char *again[] = { "--api", fakeapi_url(api), "--id", "830",
				"--threshold", "1000", "--alert-cmd", cmd,
				"--alert-spool", spool, NULL };
	run(again, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s: %s",
		      runbin_describe(&res), res.err);
	got = tu_slurp(log, NULL);
	ck_assert_msg((long)count_lines(got) == n,
		      "delivered %.1500s, journaled %ld", got ? got : "", n);
	free(got);
	runbin_result_free(&res);
	umount2(fs, MNT_DETACH);
	tu_rm_rf(dir);
	free(msg);
	free(dir);
	free(fs);
	free(spool);
	free(fill);
	free(log);
	free(cmd);
	fakeapi_stop(api);
}
END_TEST

struct compact_gate {
	const char *log;          /* a line per delivery */
	size_t want;              /* deliveries */
	size_t summaries;         /* iteration summaries seen at that point */
};

static int delivered_then_two_iterations(struct runbin *rb, void *arg)
{
	struct compact_gate *g = arg;
	size_t len;
	size_t sums = count_str(runbin_stderr(rb, &len), " roots, ");
	if (!g->summaries) {
		char *got = tu_slurp(g->log, NULL);
		if (count_lines(got) >= g->want)
			g->summaries = sums + 1;
		free(got);
		return 0;
	}
	return sums >= g->summaries + 2;
}

/* --period: delivered alerts leave the spool's journal while the run goes
 * on, so a SIGKILL two iterations later leaves nothing of them for the
 * next run to deliver again. */
START_TEST(test_period_compacts_journal)
{
	struct fakeapi *api = fakeapi_start();
	for (int i = 0; i < 3; i++)
		put_story(api, (uint64_t)(861 + i), "periodic", 3);
	char *dir = tu_tmpdir("check_alert"), *spool = tu_path(dir, "spool"),
	     *log = tu_path(dir, "delivered"), *cmd;
	ck_assert_int_ge(asprintf(&cmd, "echo \"$HN_ID\" >> '%s'", log), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "861",
			       "--id", "862", "--id", "863", "--threshold",
			       "2", "--alert-cmd", cmd, "--alert-spool", spool,
			       "--period", "0.3", "--format", "jsonl", NULL };
	struct runbin *rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(rb);
	struct compact_gate g = { log, 3, 0 };
	int seen = runbin_wait_until(rb, delivered_then_two_iterations, &g,
				     20, TIMEOUT);
	runbin_kill(rb, SIGKILL);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(rb, TIMEOUT, &res), 0);
	ck_assert_msg(seen, "3 deliveries and 2 more iterations: not seen: "
		      "%s", res.err);
	char *sp = tu_slurp(spool, NULL);
	ck_assert_msg(sp && *sp == '\0', "spool after the kill: %s", sp);
	free(sp);
	runbin_result_free(&res);
	/* the next run has nothing to deliver again */
	const char *again[] = { "--api", fakeapi_url(api), "--id", "861",
				"--threshold", "1000", "--alert-cmd", cmd,
				"--alert-spool", spool, NULL };
	run(again, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(got && count_lines(got) == 3, "delivered: %s", got);
	free(got);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(spool);
	free(log);
	free(cmd);
	fakeapi_stop(api);
}
END_TEST

/* README: "delivered at least once (possibly twice)". The sequence that
 * made it three times: run 1 journals alert 871 and delivers it, and is
 * killed before the delivery is confirmed and before --state is saved (the
 * crawl of 872 is still going); run 2 delivers 871 from the spool, and its
 * crawl raised 871 again, since the state never recorded it. Here the
 * command itself SIGKILLs hnbatch right after delivering (once). */
START_TEST(test_killed_before_state_save_at_most_twice)
{
	struct fakeapi *api = fakeapi_start();
	put_story(api, 871, "twice at most", 3);
	put_story(api, 872, "held", 1);
	struct fakeapi_fault slow = { .delay_ms = 60000 };
	fakeapi_fault(api, 872001, &slow);
	char *dir = tu_tmpdir("check_alert"), *spool = tu_path(dir, "spool"),
	     *state = tu_path(dir, "state.json"),
	     *log = tu_path(dir, "delivered"),
	     *mark = tu_path(dir, "killed"), *cmd;
	ck_assert_int_ge(asprintf(&cmd, "cat >> '%s'; [ -e '%s' ] || "
				  "{ touch '%s'; kill -KILL $PPID; }", log,
				  mark, mark), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "871",
			       "--id", "872", "--threshold", "2",
			       "--alert-cmd", cmd, "--alert-spool", spool,
			       "--state", state, "--format", "jsonl", NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.signal == SIGKILL, "%s: %s", runbin_describe(&res),
		      res.err);
	runbin_result_free(&res);
	fakeapi_fault(api, 872001, NULL);
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s: %s",
		      runbin_describe(&res), res.err);
	char *got = tu_slurp(log, NULL);
	ck_assert_msg(got && count_str(got, "\"id\":871,") == 2,
		      "delivered %zu times", count_str(got, "\"id\":871,"));
	free(got);
	runbin_result_free(&res);
	/* and a third run, with the state saved, has nothing to do */
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	got = tu_slurp(log, NULL);
	ck_assert_int_eq(count_str(got, "\"id\":871,"), 2);
	free(got);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(spool);
	free(state);
	free(log);
	free(mark);
	free(cmd);
	fakeapi_stop(api);
}
END_TEST

/* 1 once pid is gone (or a zombie: dead, waiting for its parent). */
static int proc_gone(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return kill(pid, 0) != 0 && errno == ESRCH;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'Z';
}

/* Wait (up to ms) until pid is gone. */
static int wait_gone(pid_t pid, int ms)
{
	double end = clock_now_ms() + ms;
	while (!proc_gone(pid)) {
		if (clock_now_ms() > end)
			return 0;
		poll(NULL, 0, 10); /* polls the condition, with a limit */
	}
	return 1;
}

static int file_has_line(struct runbin *rb, void *arg)
{
	(void)rb;
	char *s = tu_slurp(arg, NULL);
	int ok = s && strchr(s, '\n');
	free(s);
	return ok;
}

static int exited(struct runbin *rb, void *arg)
{
	(void)arg;
	return runbin_exited(rb);
}

/* Read "A B" pids from path (0 for each not there). */
static void read_pids(const char *path, int *a, int *b)
{
	char *text = tu_slurp(path, NULL);
	*a = *b = 0;
	if (text)
		sscanf(text, "%d %d", a, b);
	free(text);
}

/* A run over story `id` (3 comments, over --threshold 2) whose alert
 * command writes the pids it wants checked to a file, written to
 * FILE.tmp and renamed so that a reader never sees half a line: the tests
 * of what becomes of a command's processes. */
struct cmdrun {
	struct fakeapi *api;
	char *dir, *pids, *cmd;
	struct runbin *rb;
};

/* shell: the command, its three %s the pids file (FILE.tmp, FILE.tmp,
 * FILE: `echo ... > '%s.tmp'; mv '%s.tmp' '%s'`). */
static void cmdrun_start(struct cmdrun *t, unsigned id, const char *title,
			 const char *shell)
{
	char ids[16];
	snprintf(ids, sizeof ids, "%u", id);
	t->api = fakeapi_start();
	put_story(t->api, id, title, 3);
	t->dir = tu_tmpdir("check_alert");
	t->pids = tu_path(t->dir, "pids");
	ck_assert_int_ge(asprintf(&t->cmd, shell, t->pids, t->pids, t->pids),
			 0);
	const char *args[] = { "--api", fakeapi_url(t->api), "--id", ids,
			       "--threshold", "2", "--alert-cmd", t->cmd,
			       NULL };
	t->rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(t->rb);
}

static void cmdrun_end(struct cmdrun *t, struct runbin_result *res)
{
	runbin_result_free(res);
	tu_rm_rf(t->dir);
	free(t->dir);
	free(t->pids);
	free(t->cmd);
	fakeapi_stop(t->api);
}

/* Every process a test starts is gone when the test ends: an alert command
 * (its own process group) and what it started in the background outlive a
 * SIGKILLed hnbatch, and runbin kills them (the binary's session) when it
 * finishes. The Makefile's check target also fails a suite that leaves
 * one. */
START_TEST(test_no_process_outlives_its_run)
{
	struct cmdrun t;
	cmdrun_start(&t, 881, "left behind", "sleep 600 & echo $$ $! > "
		     "'%s.tmp'; mv '%s.tmp' '%s'; wait");
	int seen = runbin_wait_until(t.rb, file_has_line, t.pids, 20,
				     TIMEOUT);
	runbin_kill(t.rb, SIGKILL);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(t.rb, TIMEOUT, &res), 0);
	int sh, bg;
	read_pids(t.pids, &sh, &bg);
	int gone = sh > 0 && bg > 0 && proc_gone(sh) && proc_gone(bg);
	if (sh > 0) /* whatever the outcome, none of it outlives the test */
		kill(sh, SIGKILL);
	if (bg > 0)
		kill(bg, SIGKILL);
	ck_assert_msg(seen && sh > 0 && bg > 0, "command not started: %s",
		      res.err);
	ck_assert_msg(gone, "after runbin_finish: shell %d %s, background "
		      "%d %s", sh, proc_gone(sh) ? "gone" : "alive", bg,
		      proc_gone(bg) ? "gone" : "alive");
	cmdrun_end(&t, &res);
}
END_TEST

/* hnbatch SIGKILLed while a command runs: the command (its shell) goes
 * with it (PR_SET_PDEATHSIG), it is not left running on its own. Checked
 * before runbin_finish, which would kill it anyway. */
START_TEST(test_sigkill_takes_command_down)
{
	struct cmdrun t;
	cmdrun_start(&t, 891, "killed", "echo $$ > '%s.tmp'; mv '%s.tmp' "
		     "'%s'; exec sleep 600");
	int seen = runbin_wait_until(t.rb, file_has_line, t.pids, 20,
				     TIMEOUT);
	runbin_kill(t.rb, SIGKILL);
	int dead = runbin_wait_until(t.rb, exited, NULL, 20, TIMEOUT);
	int sh, none;
	read_pids(t.pids, &sh, &none);
	int gone = sh > 0 && wait_gone(sh, 5000);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(t.rb, TIMEOUT, &res), 0);
	ck_assert_msg(seen && dead && sh > 0, "not started or not killed: %s",
		      res.err);
	ck_assert_msg(gone, "the command (pid %d) outlived hnbatch", sh);
	cmdrun_end(&t, &res);
}
END_TEST

/* A second SIGINT exits at once: the commands' process groups (a
 * background child included) are killed first. */
START_TEST(test_second_signal_kills_commands)
{
	struct cmdrun t;
	cmdrun_start(&t, 892, "second signal", "sleep 600 & echo $$ $! > "
		     "'%s.tmp'; mv '%s.tmp' '%s'; wait");
	int seen = runbin_wait_until(t.rb, file_has_line, t.pids, 20,
				     TIMEOUT);
	runbin_kill(t.rb, SIGINT);
	int first = runbin_wait_stderr(t.rb, "SIGINT: stopping", TIMEOUT);
	runbin_kill(t.rb, SIGINT);
	int dead = runbin_wait_until(t.rb, exited, NULL, 20, TIMEOUT);
	int sh, bg;
	read_pids(t.pids, &sh, &bg);
	int gone = sh > 0 && bg > 0 && wait_gone(sh, 5000) &&
		   wait_gone(bg, 5000);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(t.rb, TIMEOUT, &res), 0);
	ck_assert_msg(seen && first && dead && bg > 0, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(res.exited && res.status == 130, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(gone, "after the second signal: shell %d %s, "
		      "background %d %s", sh, proc_gone(sh) ? "gone" : "alive",
		      bg, proc_gone(bg) ? "gone" : "alive");
	cmdrun_end(&t, &res);
}
END_TEST

/* A command that leaves a background child in its group and one in a
 * session of its own (setsid) is delivered (exit 0), and hnbatch kills
 * both before it exits: nothing it started holds its stderr open or runs
 * on after it. Checked before runbin_finish, whose sweep of the binary's
 * session would kill the first anyway (and cannot find the second). */
START_TEST(test_command_leftovers_killed_at_exit)
{
	struct cmdrun t;
	cmdrun_start(&t, 893, "leftovers", "sleep 600 & a=$!; setsid sleep "
		     "600 & echo $a $! > '%s.tmp'; mv '%s.tmp' '%s'");
	int dead = runbin_wait_until(t.rb, exited, NULL, 20, TIMEOUT);
	int bg, escaped;
	read_pids(t.pids, &bg, &escaped);
	int gone_bg = bg > 0 && proc_gone(bg);
	int gone_esc = escaped > 0 && proc_gone(escaped);
	if (bg > 0) /* whatever the outcome, none of it outlives the test */
		kill(bg, SIGKILL);
	if (escaped > 0)
		kill(escaped, SIGKILL);
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(t.rb, TIMEOUT, &res), 0);
	ck_assert_msg(dead && res.exited && res.status == 0 && bg > 0 &&
		      escaped > 0, "%s: %s", runbin_describe(&res), res.err);
	ck_assert_msg(gone_bg && gone_esc, "at hnbatch's exit: background "
		      "%d %s, setsid %d %s", bg, gone_bg ? "gone" : "alive",
		      escaped, gone_esc ? "gone" : "alive");
	cmdrun_end(&t, &res);
}
END_TEST

/* A title over 128 KiB: HN_TITLE alone would make execve fail with E2BIG
 * and the alert could never be delivered. HN_TITLE is cut to 4 KiB on a
 * UTF-8 boundary; stdin's JSON has the whole title. */
START_TEST(test_huge_title_delivered)
{
	struct fakeapi *api = fakeapi_start();
	size_t n = 100 * 1024;                 /* 200 KiB of "é" */
	char *title = malloc(2 * n + 2);
	ck_assert_ptr_nonnull(title);
	title[0] = 'a';                        /* é straddles every 4096 */
	for (size_t i = 0; i < n; i++)
		memcpy(title + 1 + 2 * i, "\xc3\xa9", 2);
	title[1 + 2 * n] = '\0';
	put_story(api, 894, title, 3);
	char *dir = tu_tmpdir("check_alert"), *env = tu_path(dir, "env"),
	     *in = tu_path(dir, "stdin"), *cmd;
	ck_assert_int_ge(asprintf(&cmd, "printf '%%s' \"$HN_TITLE\" > '%s'; "
				  "cat > '%s'", env, in), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "894",
			       "--threshold", "2", "--alert-cmd", cmd,
			       "--alert-retries", "0", NULL };
	struct runbin_result res;
	run(args, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s: %.2000s",
		      runbin_describe(&res), strstr(res.err, "not delivered")
		      ? strstr(res.err, "not delivered") : res.err);
	size_t elen = 0;
	char *e = tu_slurp(env, &elen);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(elen, 4095);         /* 'a' + 2047 whole "é" */
	ck_assert(memcmp(e, title, elen) == 0);
	char *got = tu_slurp(in, NULL);
	json_object *o = got ? json_tokener_parse(got) : NULL, *v;
	ck_assert_msg(o && json_object_object_get_ex(o, "title", &v) &&
		      strcmp(json_object_get_string(v), title) == 0,
		      "stdin's title is not the whole title");
	json_object_put(o);
	free(got);
	free(e);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(dir);
	free(env);
	free(in);
	free(cmd);
	free(title);
	fakeapi_stop(api);
}
END_TEST

static int hot_delivered(struct runbin *rb, void *arg)
{
	(void)rb;
	char *log = tu_slurp(arg, NULL);
	int ok = log && strstr(log, "subthread 77001 77 12\n");
	free(log);
	return ok;
}

/* Story 77 has a hot branch (77001, 12 replies) and a branch the server
 * holds back (77002). The hot subthread's alert is delivered, to a command
 * that sees HN_KIND, HN_ID, HN_ROOT and HN_COMMENTS, while the story is
 * still being crawled: before its record is written. */
START_TEST(test_subthread_alert_before_story_record)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	char kids[256], body[512];
	size_t o = 0;
	for (int j = 1; j <= 12; j++) {
		uint64_t k = 77100 + (uint64_t)j;
		o += (size_t)snprintf(kids + o, sizeof kids - o, "%s%llu",
				      j > 1 ? "," : "", (unsigned long long)k);
		snprintf(body, sizeof body, "{\"id\":%llu,\"type\":\"comment\","
			 "\"parent\":77001}", (unsigned long long)k);
		ck_assert_int_eq(fakeapi_put(api, k, body), 0);
	}
	snprintf(body, sizeof body, "{\"id\":77001,\"type\":\"comment\","
		 "\"parent\":77,\"kids\":[%s]}", kids);
	ck_assert_int_eq(fakeapi_put(api, 77001, body), 0);
	ck_assert_int_eq(fakeapi_put(api, 77002, "{\"id\":77002,\"type\":"
				     "\"comment\",\"parent\":77}"), 0);
	ck_assert_int_eq(fakeapi_put(api, 77, "{\"id\":77,\"type\":"
				     "\"story\",\"title\":\"Hot\",\"kids\":"
				     "[77001,77002]}"), 0);
	struct fakeapi_fault held = { .delay_ms = 600000 };
	fakeapi_fault(api, 77002, &held);
	char *dir = tu_tmpdir("check_alert"), *log = tu_path(dir, "log"), *cmd;
	ck_assert_int_ge(asprintf(&cmd, "echo \"$HN_KIND $HN_ID $HN_ROOT "
				  "$HN_COMMENTS\" >> '%s'", log), 0);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "77",
			       "--subthread-threshold", "10", "--alert-cmd",
			       cmd, "--format", "jsonl", NULL };
	struct runbin *rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(rb);
	ck_assert(runbin_wait_until(rb, hot_delivered, log, 20, 60000));
	size_t out_len;
	runbin_stdout(rb, &out_len);
	ck_assert_uint_eq(out_len, 0);           /* no record yet */
	ck_assert(!runbin_exited(rb));
	fakeapi_release(api);                    /* the held branch answers */
	struct runbin_result res;
	ck_assert_int_eq(runbin_finish(rb, 60000, &res), 0);
	ck_assert_msg(res.exited && res.status == 0, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(strstr(res.out, "\"id\":77,") &&
		      strstr(res.out, "\"comments\":14,") &&
		      strstr(res.out, "\"hottest_id\":77001,"
			     "\"hottest_comments\":12"), "%s", res.out);
	ck_assert_msg(strstr(res.err, "alert: comment 77001 in 77 has 12 "
			     "comments below it (depth 1, subthread threshold "
			     "10): Hot"), "%s", res.err);
	char *got = tu_slurp(log, NULL);
	ck_assert_str_eq(got, "subthread 77001 77 12\n");
	free(got);
	runbin_result_free(&res);
	tu_rm_rf(dir);
	free(cmd); free(log); free(dir);
	fakeapi_stop(api);
}
END_TEST

static Suite *alert_suite(void)
{
	Suite *s = suite_create("alert");
	TCase *tc = tcase_create("binary");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_slow_cmd_never_delays_results);
	tcase_add_test(tc, test_webhook_once_each);
	tcase_add_test(tc, test_webhook_big_2xx_body_delivered);
	tcase_add_test(tc, test_webhook_500_retried_spooled_redelivered);
	tcase_add_test(tc, test_cmd_timeout_spooled_then_delivered);
	tcase_add_test(tc, test_sigkill_journaled_in_spool);
	tcase_add_test(tc, test_failing_cmd_retried_no_spool);
	tcase_add_test(tc, test_hostile_titles_inert);
	tcase_add_test(tc, test_sigint_still_delivers);
	tcase_add_test(tc, test_periodic_alerts_once);
	tcase_add_test(tc, test_bad_spool_is_an_error);
	tcase_add_test(tc, test_torn_last_spool_line_dropped);
	tcase_add_test(tc, test_full_disk_journal_whole_lines);
	tcase_add_test(tc, test_period_compacts_journal);
	tcase_add_test(tc, test_killed_before_state_save_at_most_twice);
	tcase_add_test(tc, test_no_process_outlives_its_run);
	tcase_add_test(tc, test_sigkill_takes_command_down);
	tcase_add_test(tc, test_second_signal_kills_commands);
	tcase_add_test(tc, test_command_leftovers_killed_at_exit);
	tcase_add_test(tc, test_huge_title_delivered);
	tcase_add_test(tc, test_subthread_alert_before_story_record);
	tcase_add_test(tc, test_lenient_spool_lines_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(alert_suite());
}
