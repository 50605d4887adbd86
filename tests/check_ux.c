/* check_ux.c — what a person sees, through the real binary: the progress
 * line on a terminal (a pseudo-terminal) and not in a pipe; hostile titles
 * safe in all three formats; -o replaced atomically even when killed, and
 * never a device, symlink or directory in place of a file. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakeapi.h"
#include "runbin.h"
#include "testutil.h"

static const char *fixtures(void)
{
	const char *f = getenv("HNBATCH_FIXTURES");
	return f ? f : "tests/fixtures";
}

static struct fakeapi *serve_circumflex(unsigned delay_ms)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	char path[1024];
	snprintf(path, sizeof path, "%s/scraped-circumflex.jsonl", fixtures());
	ck_assert_int_gt(fakeapi_load_jsonl(api, path), 0);
	if (delay_ms) {
		struct fakeapi_fault f = { .delay_ms = delay_ms };
		fakeapi_fault_default(api, &f);
	}
	return api;
}

/* Run the binary on a pseudo-terminal; returns everything it wrote. */
static char *run_pty(const char *const *args, int *status)
{
	int master;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		const char *argv[32] = { runbin_path() };
		for (int i = 0; args[i] && i < 30; i++)
			argv[i + 1] = args[i];
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		if (poll(&p, 1, 60000) <= 0)
			break;
		if (len + 4096 > cap)
			buf = realloc(buf, cap *= 2);
		ssize_t n = read(master, buf + len, 4096);
		if (n <= 0)
			break; /* EIO once the child is gone */
		len += (size_t)n;
	}
	buf[len] = '\0';
	waitpid(pid, status, 0);
	close(master);
	return buf;
}

START_TEST(test_progress_on_terminal_only)
{
	struct fakeapi *api = serve_circumflex(2);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "25015967",
			       "-c", "8", "--format", "jsonl", NULL };
	int status;
	char *tty = run_pty(args, &status);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_msg(strstr(tty, "\r\033[K0/1 roots") != NULL,
		      "no progress line on a terminal: %.300s", tty);
	ck_assert_ptr_nonnull(strstr(tty, "in flight"));
	/* cleared before the summary: the summary starts on a clean line */
	char *sum = strstr(tty, "hnbatch: 1 roots");
	ck_assert_ptr_nonnull(sum);
	ck_assert(sum - tty > 12 && sum[-12] == '\n'); /* "[HH:MM:SS] " */
	ck_assert_ptr_nonnull(strstr(tty, "\r\033[K{\"id\"")); /* cleared */
	free(tty);

	struct runbin_result res;
	ck_assert_int_eq(runbin_run(args, NULL, NULL, 60000, &res), 0);
	ck_assert_int_eq(res.status, 0);
	ck_assert_ptr_null(strstr(res.err, "\033"));
	ck_assert_ptr_null(strstr(res.err, "in flight"));
	runbin_result_free(&res);

	/* --no-progress on a terminal, --progress in a pipe */
	const char *off[] = { "--api", fakeapi_url(api), "--id", "1",
			      "--no-progress", NULL };
	tty = run_pty(off, &status);
	ck_assert_ptr_null(strstr(tty, "in flight"));
	free(tty);
	const char *on[] = { "--api", fakeapi_url(api), "--id", "1",
			     "--progress", NULL };
	ck_assert_int_eq(runbin_run(on, NULL, NULL, 60000, &res), 0);
	ck_assert_ptr_nonnull(strstr(res.err, "in flight"));
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

static const char hostile[] =
	"{\"id\":5,\"type\":\"story\",\"title\":\"\\u001b[31mred\\u0007 bell\\n"
	"line2 &#x27;q&#x27; &amp;lt; \\u009b x\",\"kids\":[]}";

START_TEST(test_hostile_titles_safe)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	fakeapi_put(api, 5, hostile);
	fakeapi_put(api, 6, "{\"id\":6,\"type\":\"story\","
		    "\"title\":\"=cmd|' /C calc'!A0\"}");
	/* invalid UTF-8 straight in the body */
	fakeapi_put(api, 7, "{\"id\":7,\"type\":\"story\","
		    "\"title\":\"bad \xff\xfe utf8 \xc3\"}");
	const char *fmts[] = { "table", "jsonl", "csv" };
	for (int i = 0; i < 3; i++) {
		const char *args[] = { "--api", fakeapi_url(api), "--id", "5",
				       "--id", "6", "--id", "7", "--format",
				       fmts[i], NULL };
		struct runbin_result res;
		ck_assert_int_eq(runbin_run(args, NULL, NULL, 60000, &res), 0);
		ck_assert_msg(res.status == 0, "%s: %s", fmts[i], res.err);
		for (size_t k = 0; k < res.out_len; k++) {
			unsigned char ch = (unsigned char)res.out[k];
			ck_assert_msg(ch >= 0x20 || ch == '\n' ||
				      (ch == '\r' && res.out[k + 1] == '\n'),
				      "%s: control byte 0x%02x", fmts[i], ch);
		}
		ck_assert_msg(strstr(res.out, "\xc2\x9b") == NULL, "C1 CSI");
		ck_assert_msg(strstr(res.out, "\xff") == NULL, "invalid UTF-8");
		/* entity decoded */
		ck_assert_ptr_nonnull(strstr(res.out, "'q'"));
		ck_assert_ptr_nonnull(strstr(res.out, "&lt;"));  /* once */
		if (i == 2)
			ck_assert_msg(strstr(res.out, "'=cmd") != NULL,
				      "csv formula not made inert: %s",
				      res.out);
		if (i == 1) /* the formula is plain text in JSON */
			ck_assert_ptr_nonnull(strstr(res.out,
						     "\"=cmd|' /C calc'!A0\""));
		runbin_result_free(&res);
	}
	fakeapi_stop(api);
}
END_TEST

/* Bidi controls in a title (raw UTF-8, as \u escapes, as entities) reach
 * no output: a title that would turn the rest of its row around. */
START_TEST(test_bidi_titles_neutralised)
{
	static const char *const bidi[] = {
		"\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC",
		"\xE2\x80\xAD", "\xE2\x80\xAE", "\xE2\x81\xA6",
		"\xE2\x81\xA7", "\xE2\x81\xA8", "\xE2\x81\xA9",
		"\xE2\x80\x8E", "\xE2\x80\x8F", "\xD8\x9C",
	};
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	fakeapi_put(api, 8, "{\"id\":8,\"type\":\"story\",\"title\":"
		    "\"a\xE2\x80\xAE" "fdp.exe\xE2\x81\xA6x\xE2\x80\x8F"
		    "\xD8\x9C" "b\"}");
	fakeapi_put(api, 9, "{\"id\":9,\"type\":\"story\",\"title\":"
		    "\"c\\u202e\\u2067d\\u200e\\u061c&#x202D;&#8234;e\"}");
	const char *fmts[] = { "table", "jsonl", "csv" };
	for (int i = 0; i < 3; i++) {
		const char *args[] = { "--api", fakeapi_url(api), "--id", "8",
				       "--id", "9", "--format", fmts[i], NULL };
		struct runbin_result res;
		ck_assert_int_eq(runbin_run(args, NULL, NULL, 60000, &res), 0);
		ck_assert_msg(res.exited && res.status == 0, "%s: %s", fmts[i],
			      res.err);
		for (size_t k = 0; k < sizeof bidi / sizeof bidi[0]; k++)
			ck_assert_msg(!strstr(res.out, bidi[k]),
				      "%s: bidi control %zu in %s", fmts[i], k,
				      res.out);
		/* Nor escaped in JSON: they are gone, not hidden. */
		ck_assert_msg(!strstr(res.out, "\\u20") &&
			      !strstr(res.out, "\\u06"), "%s", res.out);
		ck_assert_msg(strstr(res.out, "a fdp.exe x  b"), "%s: %s",
			      fmts[i], res.out);
		ck_assert_msg(strstr(res.out, "c  d    e"), "%s: %s", fmts[i],
			      res.out);
		runbin_result_free(&res);
	}
	fakeapi_stop(api);
}
END_TEST

static int saw_requests(struct runbin *rb, void *arg)
{
	(void)rb;
	return fakeapi_total_requests(arg) >= 50;
}

START_TEST(test_output_atomic)
{
	struct fakeapi *api = serve_circumflex(20);
	char dir[] = "/tmp/hnbatch-ux-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char out[256];
	snprintf(out, sizeof out, "%s/out.jsonl", dir);
	FILE *f = fopen(out, "w");
	fputs("old content\n", f);
	fclose(f);

	const char *args[] = { "--api", fakeapi_url(api), "--id", "25015967",
			       "-c", "4", "--format", "jsonl", "-o", out,
			       NULL };
	struct runbin *rb = runbin_start(args, NULL, NULL);
	ck_assert_ptr_nonnull(rb);
	ck_assert(runbin_wait_until(rb, saw_requests, api, 20, 60000));
	runbin_kill(rb, SIGKILL);
	struct runbin_result res;
	runbin_finish(rb, 60000, &res);
	ck_assert_int_eq(res.signal, SIGKILL);
	runbin_result_free(&res);
	char *s = tu_slurp(out, NULL);
	ck_assert_str_eq(s, "old content\n"); /* the old file, untouched */
	free(s);

	const char *fast[] = { "--api", fakeapi_url(api), "--id", "1",
			       "--format", "jsonl", "-o", out, NULL };
	ck_assert_int_eq(runbin_run(fast, NULL, NULL, 60000, &res), 0);
	ck_assert_int_eq(res.status, 0);
	ck_assert_uint_eq(res.out_len, 0);
	runbin_result_free(&res);
	s = tu_slurp(out, NULL);
	ck_assert_msg(strncmp(s, "{\"id\":1,", 8) == 0, "new file: %s", s);
	ck_assert_ptr_nonnull(strstr(s, "\"status\":\"complete\","));
	free(s);
	tu_rm_rf(dir);
	fakeapi_stop(api);
}
END_TEST

/* Files of dir other than . and .. */
static int dir_entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* -o onto what is not a regular file: a character device is written
 * directly (here a node of /dev/full's kind: the write fails, exit 1, the
 * node stays), a symlink is followed (its target replaced, mode kept), a
 * directory is a usage error before anything is fetched. */
START_TEST(test_output_targets)
{
	struct fakeapi *api = serve_circumflex(0);
	char *dir = tu_tmpdir("check_ux");
	char *full = tu_path(dir, "full");
	const char *dev = full;
	if (mknod(full, S_IFCHR | 0666, makedev(1, 7)) != 0)
		dev = "/dev/full"; /* not root: the real one is not replaced */
	const char *args[] = { "--api", fakeapi_url(api), "--id", "1",
			       "--format", "jsonl", "-o", dev, NULL };
	struct runbin_result res;
	ck_assert_int_eq(runbin_run(args, NULL, NULL, 60000, &res), 0);
	ck_assert_msg(res.exited && res.status == 1, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(strstr(res.err, "No space left on device"), "%s",
		      res.err);
	runbin_result_free(&res);
	struct stat st;
	ck_assert_int_eq(lstat(dev, &st), 0);
	ck_assert_msg(S_ISCHR(st.st_mode), "%s was replaced", dev);
	ck_assert_int_eq(dir_entries(dir), dev == full ? 1 : 0);

	char *real = tu_path(dir, "real.jsonl"), *link = tu_path(dir, "l");
	FILE *f = fopen(real, "w");
	fputs("old\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(real, 0600), 0);
	ck_assert_int_eq(symlink(real, link), 0);
	args[7] = link;
	ck_assert_int_eq(runbin_run(args, NULL, NULL, 60000, &res), 0);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	runbin_result_free(&res);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert_msg(S_ISLNK(st.st_mode), "the symlink was replaced");
	ck_assert_int_eq(stat(real, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	char *text = tu_slurp(real, NULL);
	ck_assert_msg(strncmp(text, "{\"id\":1,", 8) == 0, "%s", text);
	free(text);

	fakeapi_reset_counts(api);
	args[7] = dir;
	ck_assert_int_eq(runbin_run(args, NULL, NULL, 60000, &res), 0);
	ck_assert_msg(res.exited && res.status == 2, "%s: %s",
		      runbin_describe(&res), res.err);
	ck_assert_msg(strstr(res.err, "is a directory"), "%s", res.err);
	ck_assert_uint_eq(fakeapi_total_requests(api), 0);
	runbin_result_free(&res);
	ck_assert_int_eq(dir_entries(dir), dev == full ? 3 : 2);
	tu_rm_rf(dir);
	free(real); free(link); free(full); free(dir);
	fakeapi_stop(api);
}
END_TEST

/* -v: one line per request with id, status, milliseconds, attempt and start
 * time; a retried item has a line per attempt. Without -v, none. */
START_TEST(test_verbose_request_lines)
{
	struct fakeapi *api = fakeapi_start();
	ck_assert_ptr_nonnull(api);
	fakeapi_put(api, 70, "{\"id\":70,\"type\":\"story\",\"title\":\"v\","
		    "\"kids\":[71,72]}");
	fakeapi_put(api, 71, "{\"id\":71,\"type\":\"comment\"}");
	fakeapi_put(api, 72, "{\"id\":72,\"type\":\"comment\"}");
	struct fakeapi_fault once = { .fail_first = 1, .status = 503 };
	fakeapi_fault(api, 72, &once);
	const char *args[] = { "--api", fakeapi_url(api), "--id", "70", "-v",
			       "--format", "jsonl", NULL };
	struct runbin_result res;
	ck_assert_int_eq(runbin_run(args, NULL, NULL, 60000, &res), 0);
	ck_assert_msg(res.exited && res.status == 0, "%s", res.err);
	static const char *const want[] = {
		"] hnbatch: item 70: HTTP 200 in ",
		"] hnbatch: item 71: HTTP 200 in ",
		"] hnbatch: item 72: HTTP 503 in ",
		"] hnbatch: item 72: HTTP 200 in ",
	};
	static const char *const attempt[] = { "1", "1", "1", "2" };
	const char *from = res.err;
	for (int i = 0; i < 4; i++) {
		const char *p = strstr(i == 3 ? from : res.err, want[i]);
		ck_assert_msg(p != NULL, "no '%s' in %s", want[i], res.err);
		if (i == 2)
			from = p + 1; /* the retry comes after the failure */
		char ms[16], att[16];
		double start;
		ck_assert_msg(sscanf(p + strlen(want[i]),
				     "%15[0-9] ms (attempt %15[0-9], "
				     "started +%lf ms)", ms, att,
				     &start) == 3, "line: %.120s", p);
		ck_assert_str_eq(att, attempt[i]);
		ck_assert(start >= 0 && start < 60000);
	}
	runbin_result_free(&res);

	const char *quiet[] = { "--api", fakeapi_url(api), "--id", "70",
				"--format", "jsonl", NULL };
	ck_assert_int_eq(runbin_run(quiet, NULL, NULL, 60000, &res), 0);
	ck_assert_ptr_null(strstr(res.err, ": item 7"));
	runbin_result_free(&res);
	fakeapi_stop(api);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ux");
	TCase *tc = tcase_create("binary");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_progress_on_terminal_only);
	tcase_add_test(tc, test_hostile_titles_safe);
	tcase_add_test(tc, test_bidi_titles_neutralised);
	tcase_add_test(tc, test_output_atomic);
	tcase_add_test(tc, test_output_targets);
	tcase_add_test(tc, test_verbose_request_lines);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
