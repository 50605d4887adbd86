/* check_cli.c — the command line of the real binary ($HNBATCH_BIN): input
 * errors (exit 2, "FILE:LINE" on stderr, nothing fetched), --help,
 * --version, '-' for stdin. Every run points --api at a fake API started
 * by the test (fakeapi.c), so "nothing fetched" is measured, not assumed.
 * Each test is a forked child (Check's default) with its own fake API and
 * temp dir; assertions run on the test's thread. */
#include "fakeapi.h"
#include "runbin.h"

#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

#define RUN_MS (60 * 1000)

/* Environment for the child: no proxy may divert loopback requests. */
static const char *const child_env[] = {
	"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
	"all_proxy", "ALL_PROXY", "HNBATCH_API", NULL
};

static struct fakeapi *api;
static char dir[4096];
static char *made[8];              /* files made in dir, removed by teardown */
static size_t nmade;

static void setup(void)
{
	const char *t = getenv("TMPDIR");

	api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	/* two stories with one comment each, for the runs that succeed */
	ck_assert(fakeapi_put(api, 8863, "{\"by\":\"dhouston\","
		"\"descendants\":1,\"id\":8863,\"kids\":[9224],"
		"\"title\":\"My YC app: Dropbox\",\"type\":\"story\"}") == 0);
	ck_assert(fakeapi_put(api, 9224, "{\"by\":\"BrandonM\",\"id\":9224,"
		"\"parent\":8863,\"text\":\"x\",\"type\":\"comment\"}") == 0);
	ck_assert(fakeapi_put(api, 121003, "{\"by\":\"tel\",\"descendants\":1,"
		"\"id\":121003,\"kids\":[121016],\"title\":\"Ask HN\","
		"\"type\":\"story\"}") == 0);
	ck_assert(fakeapi_put(api, 121016, "{\"by\":\"x\",\"id\":121016,"
		"\"parent\":121003,\"text\":\"y\",\"type\":\"comment\"}") == 0);
	snprintf(dir, sizeof dir, "%s/check_cli.XXXXXX", t && *t ? t : "/tmp");
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s", dir);
}

static void teardown(void)
{
	fakeapi_stop(api);
	api = NULL;
	for (size_t i = 0; i < nmade; i++) {
		unlink(made[i]);
		free(made[i]);
	}
	nmade = 0;
	rmdir(dir);
}

/* dir/name holding text; returns the path (owned by teardown). */
static const char *file(const char *name, const char *text)
{
	char *path;
	FILE *f;

	ck_assert(nmade < sizeof made / sizeof made[0]);
	ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	made[nmade++] = path;
	ck_assert_msg((f = fopen(path, "w")) != NULL, "cannot create %s", path);
	ck_assert(fputs(text, f) >= 0);
	ck_assert(fclose(f) == 0);
	return path;
}

/* hnbatch --api URL --format jsonl --no-progress ARGS... */
static void run(const char *const *args, const char *in,
		struct runbin_result *res)
{
	const char *argv[32];
	size_t n = 0;

	argv[n++] = "--api";
	argv[n++] = fakeapi_url(api);
	argv[n++] = "--format";
	argv[n++] = "jsonl";
	argv[n++] = "--no-progress";
	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	ck_assert_msg(runbin_run(argv, in, child_env, RUN_MS, res) == 0,
		      "cannot run %s", runbin_path());
	ck_assert_msg(!res->timed_out, "no exit in %d ms; stderr: %.2000s",
		      RUN_MS, res->err);
}

/* An input error: exit 2, stderr names `where`, nothing fetched, nothing
 * on stdout. */
static void input_error(const struct runbin_result *res, const char *where)
{
	ck_assert_msg(res->exited && res->status == 2,
		      "%s, want exit 2; stderr: %.1000s", runbin_describe(res),
		      res->err);
	if (where)
		ck_assert_msg(strstr(res->err, where) != NULL,
			      "stderr does not name '%s': %.1000s", where,
			      res->err);
	ck_assert_msg(fakeapi_total_requests(api) == 0,
		      "the API got %" PRIu64 " requests for a bad input",
		      fakeapi_total_requests(api));
	ck_assert_msg(res->out_len == 0, "stdout not empty: %.500s", res->out);
}

/* A file whose line 4 is `bad` (after a comment, a good id, a blank line):
 * exit 2 naming FILE:4, zero requests. */
static void bad_line(const char *bad)
{
	struct runbin_result res;
	char text[512], where[4200];

	snprintf(text, sizeof text, "# roots\n8863\n\n%s\n121003\n", bad);
	const char *path = file("ids.txt", text);
	snprintf(where, sizeof where, "%s:4", path);
	run((const char *[]){ path, NULL }, NULL, &res);
	input_error(&res, where);
	runbin_result_free(&res);
}

START_TEST(bad_not_number)   { bad_line("12ab"); }   END_TEST
START_TEST(bad_negative)     { bad_line("-5"); }     END_TEST
START_TEST(bad_zero)         { bad_line("0"); }      END_TEST
START_TEST(bad_past_2_53)    { bad_line("9007199254740993"); } END_TEST
START_TEST(bad_huge)         { bad_line("99999999999999999999999"); } END_TEST
START_TEST(bad_link_no_id)
{
	bad_line("https://news.ycombinator.com/item?foo=8863");
}
END_TEST

START_TEST(bad_line_in_second_file)
{
	struct runbin_result res;
	const char *good = file("good.txt", "8863\n");
	const char *bad = file("bad.txt", "121003\r\n12ab\r\n");
	char where[4200];

	snprintf(where, sizeof where, "%s:2", bad);
	run((const char *[]){ good, bad, NULL }, NULL, &res);
	input_error(&res, where);
	runbin_result_free(&res);
}
END_TEST

/* The peak resident size, in MiB, of the largest child reaped so far by
 * this test's process (each test is a forked child: only its own runs). */
static long children_peak_mib(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
	return ru.ru_maxrss / 1024;
}

/* A line over 4096 bytes (here 1 MiB of digits, which the old reader took
 * whole and called "id too big") is refused as such, naming FILE:LINE. */
START_TEST(bad_huge_line)
{
	struct runbin_result res;
	size_t n = (size_t)1 << 20;
	char *text = malloc(n + 64), where[4200];

	ck_assert_ptr_nonnull(text);
	strcpy(text, "8863\n");
	memset(text + 5, '7', n);
	strcpy(text + 5 + n, "\n121003\n");
	const char *path = file("huge.txt", text);
	free(text);
	snprintf(where, sizeof where, "%s:2: line longer than 4096 bytes",
		 path);
	run((const char *[]){ path, NULL }, NULL, &res);
	input_error(&res, where);
	runbin_result_free(&res);
}
END_TEST

/* /dev/zero as a file of ids: one endless line. hnbatch must stop at the
 * cap with exit 2 at once, holding little memory (the old reader grew
 * without end: 14 GB in 60 s). 10 s is the limit of a runaway here. */
START_TEST(bad_dev_zero)
{
	const char *argv[] = { "--api", fakeapi_url(api), "/dev/zero", NULL };
	struct runbin_result res;

	ck_assert_int_eq(runbin_run(argv, NULL, child_env, 10000, &res), 0);
	ck_assert_msg(!res.timed_out, "still reading /dev/zero after 10 s "
		      "(peak %ld MiB)", children_peak_mib());
	input_error(&res, "/dev/zero:1: line longer than 4096 bytes");
	/* A sanitized binary starts at tens of MiB; the limit is far from
	 * what reading the stream whole would take. */
	ck_assert_msg(children_peak_mib() < 200, "peak RSS %ld MiB",
		      children_peak_mib());
	runbin_result_free(&res);
}
END_TEST

START_TEST(bad_id_option)
{
	struct runbin_result res;

	run((const char *[]){ "--id", "12ab", NULL }, NULL, &res);
	input_error(&res, "12ab");
	runbin_result_free(&res);
}
END_TEST

START_TEST(bad_url_option)
{
	struct runbin_result res;

	run((const char *[]){ "--id", "8863", "--url",
			      "https://news.ycombinator.com/news", NULL },
	    NULL, &res);
	input_error(&res, NULL);
	runbin_result_free(&res);
}
END_TEST

START_TEST(no_such_file)
{
	struct runbin_result res;
	char *path;

	ck_assert(asprintf(&path, "%s/does-not-exist.txt", dir) > 0);
	run((const char *[]){ "--id", "8863", path, NULL }, NULL, &res);
	input_error(&res, path);
	runbin_result_free(&res);
	free(path);
}
END_TEST

START_TEST(unknown_option)
{
	struct runbin_result res;

	run((const char *[]){ "--no-such-option", "--id", "8863", NULL }, NULL,
	    &res);
	input_error(&res, "no-such-option");
	runbin_result_free(&res);
}
END_TEST

/* An alert option without --threshold would never fire: a cron job that
 * forgot it must hear so, not stay silent forever. */
START_TEST(alert_without_threshold)
{
	static const char *const opts[][2] = {
		{ "--alert-cmd", "true" },
		{ "--webhook", "http://127.0.0.1:9/hook" },
		{ "--alert-spool", "/nonexistent/spool" },
	};
	for (size_t i = 0; i < 3; i++) {
		struct runbin_result res;
		char want[64];
		run((const char *[]){ "--id", "8863", opts[i][0], opts[i][1],
				      NULL }, NULL, &res);
		snprintf(want, sizeof want, "%s needs --threshold N",
			 opts[i][0]);
		input_error(&res, want);
		runbin_result_free(&res);
	}
}
END_TEST

START_TEST(bad_format)
{
	struct runbin_result res;

	run((const char *[]){ "--id", "8863", "--format", "xml", NULL }, NULL,
	    &res);
	input_error(&res, "xml");
	runbin_result_free(&res);
}
END_TEST

/* -c takes "auto" or a number in range; its error says both. */
START_TEST(bad_concurrency)
{
	static const char *const bad[] = { "0", "Auto", "100001", "-3" };
	struct runbin_result res;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		run((const char *[]){ "--id", "8863", "-c", bad[i], NULL },
		    NULL, &res);
		input_error(&res, "--concurrency");
		ck_assert_msg(strstr(res.err, "is not auto or a whole number "
				     "from 1 to 100000"), "%s", res.err);
		runbin_result_free(&res);
	}
}
END_TEST

/* A duration under 1 ms would round to 0 ms, which curl reads as "no
 * timeout": a usage error for every duration option. */
START_TEST(duration_under_1ms)
{
	static const char *const opts[] = { "--timeout", "--connect-timeout",
		"--deadline", "--alert-timeout", "--period" };
	struct runbin_result res;

	for (size_t i = 0; i < sizeof opts / sizeof *opts; i++) {
		run((const char *[]){ "--id", "8863", "--threshold", "1",
				      opts[i], "0.0005", NULL }, NULL, &res);
		input_error(&res, opts[i]);
		ck_assert_msg(strstr(res.err, "from"), "%s", res.err);
		runbin_result_free(&res);
	}
}
END_TEST

START_TEST(help)
{
	struct runbin_result res;

	run((const char *[]){ "--help", NULL }, NULL, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s; stderr: %.500s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(strstr(res.out, "--id") && strstr(res.out, "--format"),
		      "help on stdout lists the options: %.1000s", res.out);
	ck_assert_uint_eq(fakeapi_total_requests(api), 0);
	runbin_result_free(&res);

	run((const char *[]){ "-h", NULL }, NULL, &res);
	ck_assert_msg(res.exited && res.status == 0, "-h: %s",
		      runbin_describe(&res));
	ck_assert_msg(strstr(res.out, "--id") != NULL, "-h: %.300s", res.out);
	runbin_result_free(&res);
}
END_TEST

START_TEST(version)
{
	struct runbin_result res;

	run((const char *[]){ "--version", NULL }, NULL, &res);
	ck_assert_msg(res.exited && res.status == 0, "%s; stderr: %.500s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(strstr(res.out, "hnbatch") &&
		      strpbrk(res.out, "0123456789"),
		      "version on stdout: %.300s", res.out);
	ck_assert_uint_eq(fakeapi_total_requests(api), 0);
	runbin_result_free(&res);

	run((const char *[]){ "-V", NULL }, NULL, &res);
	ck_assert_msg(res.exited && res.status == 0, "-V: %s",
		      runbin_describe(&res));
	ck_assert_msg(strstr(res.out, "hnbatch") != NULL, "-V: %.300s",
		      res.out);
	runbin_result_free(&res);
}
END_TEST

/* Count records with "id":N on stdout. */
static int has_id(const char *out, uint64_t id)
{
	char key[48];

	snprintf(key, sizeof key, "{\"id\":%" PRIu64 ",", id);
	return strstr(out, key) != NULL;
}

START_TEST(stdin_dash)
{
	struct runbin_result res;

	run((const char *[]){ "-", NULL },
	    "# from stdin\n  121003\r\n\n"
	    "https://news.ycombinator.com/item?id=8863\n",
	    &res);
	ck_assert_msg(res.exited && res.status == 0, "%s; stderr: %.1000s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(has_id(res.out, 121003) && has_id(res.out, 8863),
		      "both roots: %.1000s", res.out);
	ck_assert_msg(strstr(res.out, "\"id\":121003,") <
		      strstr(res.out, "\"id\":8863,"), "input order: %s",
		      res.out);
	ck_assert_uint_eq(fakeapi_requests(api, 8863), 1);
	ck_assert_uint_eq(fakeapi_requests(api, 9224), 1);
	runbin_result_free(&res);
}
END_TEST

/* An --api of 2,000 characters (dot segments, which curl removes, before
 * the fake's /v0): every request goes to the right URL, none truncated. */
START_TEST(long_api_url)
{
	char url[2100];
	const char *base = fakeapi_url(api);       /* http://127.0.0.1:P/v0 */
	const char *v0 = strstr(base + 7, "/v0");
	int n = snprintf(url, sizeof url, "%.*s", (int)(v0 - base), base);
	while (n < 2000)
		n += snprintf(url + n, sizeof url - (size_t)n, "/.");
	snprintf(url + n, sizeof url - (size_t)n, "/v0");
	ck_assert_int_eq(fakeapi_put_list(api, "topstories", "[121003]"), 0);
	struct runbin_result res;
	const char *argv[] = { "--api", url, "--id", "8863", "--top", "1",
			       "--format", "jsonl", NULL };
	ck_assert_int_eq(runbin_run(argv, NULL, child_env, RUN_MS, &res), 0);
	ck_assert_msg(res.exited && res.status == 0, "%s; stderr: %.1000s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(strstr(res.out, "\"status\":\"complete\""), "%s",
		      res.out);
	ck_assert_uint_eq(fakeapi_requests(api, 9224), 1);
	ck_assert_uint_eq(fakeapi_list_requests(api, "topstories"), 1);
	runbin_result_free(&res);
}
END_TEST

START_TEST(stdin_dash_error)
{
	struct runbin_result res;

	run((const char *[]){ "-", NULL }, "8863\n-5\n", &res);
	input_error(&res, ":2");
	runbin_result_free(&res);
}
END_TEST

START_TEST(empty_input)
{
	/* only comments and blanks: no roots. Not an error to fetch nothing,
	 * but nothing may be fetched and nothing printed. */
	struct runbin_result res;
	const char *path = file("empty.txt", "# nothing\n\n   \n");

	run((const char *[]){ path, NULL }, NULL, &res);
	ck_assert_msg(res.exited && (res.status == 0 || res.status == 2),
		      "%s", runbin_describe(&res));
	ck_assert_uint_eq(fakeapi_total_requests(api), 0);
	ck_assert_msg(res.out_len == 0, "stdout: %.300s", res.out);
	runbin_result_free(&res);
}
END_TEST

/* Started by cron with standard output closed: the next file hnbatch opens
 * (the state lock) must not take fd 1 and receive the results. The results
 * fail to write, with a message and exit 1; the state is still kept. */
START_TEST(closed_stdout)
{
	char *state, *lock, *errpath;
	ck_assert(asprintf(&state, "%s/state.json", dir) > 0);
	ck_assert(asprintf(&lock, "%s/state.json.lock", dir) > 0);
	ck_assert(asprintf(&errpath, "%s/stderr", dir) > 0);
	made[nmade++] = state;
	made[nmade++] = lock;
	made[nmade++] = errpath;
	const char *argv[] = { runbin_path(), "--api", fakeapi_url(api),
			       "--format", "jsonl", "--no-progress", "--id",
			       "8863", "--state", state, NULL };
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(126);
		close(fd);
		close(1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	char *err = tu_slurp(errpath, NULL);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x: %s",
		      st, err);
	ck_assert_msg(strstr(err, "writing results to standard output: Bad "
			      "file descriptor"), "%s", err);
	size_t n = 0;
	char *lk = tu_slurp(lock, &n);
	ck_assert_msg(lk == NULL || n == 0, "results went into the lock: %s",
		      lk);
	char *js = tu_slurp(state, NULL);
	ck_assert_msg(js && js[0] == '{' && strstr(js, "8863") &&
		      !strstr(js, "\"title\""), "state: %s", js ? js : "");
	ck_assert_uint_eq(fakeapi_total_requests(api), 2);
	free(err);
	free(lk);
	free(js);
}
END_TEST

/* Stderr closed: log lines go nowhere, but an alert command that writes to
 * its stdout (our stderr) still succeeds, and the results are complete. */
START_TEST(closed_stderr)
{
	char *outpath, *mark, *cmd;
	ck_assert(asprintf(&outpath, "%s/stdout", dir) > 0);
	ck_assert(asprintf(&mark, "%s/delivered", dir) > 0);
	made[nmade++] = outpath;
	made[nmade++] = mark;
	ck_assert(asprintf(&cmd, "echo \"$HN_ID\" && echo \"$HN_ID\" > '%s'",
			   mark) > 0);
	const char *argv[] = { runbin_path(), "--api", fakeapi_url(api),
			       "--format", "jsonl", "--id", "8863",
			       "--threshold", "0", "--alert-cmd", cmd, NULL };
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(126);
		close(fd);
		close(2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	char *out = tu_slurp(outpath, NULL), *got = tu_slurp(mark, NULL);
	ck_assert_msg(out && strstr(out, "\"id\":8863,") && !strchr(
			      strchr(out, '\n') + 1, '\n'), "stdout: %s", out);
	ck_assert_msg(got && strcmp(got, "8863\n") == 0, "delivered: %s", got);
	free(out);
	free(got);
	free(cmd);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("input errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, bad_not_number);
	tcase_add_test(tc, bad_negative);
	tcase_add_test(tc, bad_zero);
	tcase_add_test(tc, bad_past_2_53);
	tcase_add_test(tc, bad_huge);
	tcase_add_test(tc, bad_link_no_id);
	tcase_add_test(tc, bad_line_in_second_file);
	tcase_add_test(tc, bad_huge_line);
	tcase_add_test(tc, bad_dev_zero);
	tcase_add_test(tc, bad_id_option);
	tcase_add_test(tc, bad_url_option);
	tcase_add_test(tc, no_such_file);
	tcase_add_test(tc, unknown_option);
	tcase_add_test(tc, bad_format);
	tcase_add_test(tc, duration_under_1ms);
	tcase_add_test(tc, bad_concurrency);
	tcase_add_test(tc, long_api_url);
	tcase_add_test(tc, alert_without_threshold);
	tcase_add_test(tc, stdin_dash_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("ok");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, help);
	tcase_add_test(tc, version);
	tcase_add_test(tc, stdin_dash);
	tcase_add_test(tc, empty_input);
	tcase_add_test(tc, closed_stdout);
	tcase_add_test(tc, closed_stderr);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(cli_suite());
}
