/* check_install.c — the tree as a user meets it: `make install` and
 * `make uninstall` with DESTDIR and PREFIX, `make demo`, and the man page and
 * bash completion covering every option of `--help`.
 *
 * make runs in the source tree ($HNBATCH_SRC, set by `make check`; default
 * "."), as a top-level make: MAKEFLAGS, MAKELEVEL and the build variables of
 * an enclosing `make check SANITIZE=...` are removed from its environment, so
 * it installs and demonstrates the plain build (./hnbatch, build/plain) and
 * never writes into the sanitizer build that is being tested.
 *
 * Every test runs on the test's own thread. A command gets a deadline: it is
 * waited for on a pidfd (poll with a timeout, no sleeps); past the deadline
 * its process group gets SIGTERM, then SIGKILL. Each test works in its own
 * directory inside one directory under /tmp that an unchecked fixture makes
 * and removes in the runner's process, so it goes even when a test fails. */
#include <check.h>
#include "testutil.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runbin.h"

#define CMD_DEADLINE_MS 100000  /* below the tcase timeout (120 s) */

static const char *src_dir(void)
{
	const char *s = getenv("HNBATCH_SRC");
	return s && *s ? s : ".";
}

static char base[] = "/tmp/hnbatch-check-install.XXXXXX";

/* A fresh directory inside base (malloc'd path). */
static char *make_tmpdir(void)
{
	char *d = malloc(sizeof base + 16);
	ck_assert_ptr_nonnull(d);
	snprintf(d, sizeof base + 16, "%s/t.XXXXXX", base);
	ck_assert_msg(mkdtemp(d) != NULL, "mkdtemp %s: %s", d, strerror(errno));
	return d;
}

/* Wait for the child of pidfd until deadline_ms; 1 when it has exited, 0 at the deadline. */
static int wait_exit(int pidfd, int deadline_ms)
{
	if (pidfd < 0)
		return 1;       /* no pidfd: waitpid blocks; tcase timeout bounds */
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int rc;
	do
		rc = poll(&p, 1, deadline_ms);
	while (rc < 0 && errno == EINTR);
	return rc > 0;
}

struct cmd_result {
	int status;     /* exit code, or -1 when killed by a signal */
	int timed_out;
	char *out;      /* stdout and stderr together (malloc'd) */
};

/* Run argv (searched in PATH) with TMPDIR=tmpdir, stdout and stderr into
 * one file, stdin from /dev/null, and the variables of an enclosing make
 * removed from its environment. */
static void run_cmd(const char *tmpdir, const char *const *argv,
		    struct cmd_result *r)
{
	char outpath[4096];
	snprintf(outpath, sizeof outpath, "%s/make.out", tmpdir);
	int fd = open(outpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "%s: %s", outpath, strerror(errno));

	pid_t pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		setpgid(0, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);   /* runbin ignores it in the test */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		int in = open("/dev/null", O_RDONLY);
		if (in < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 ||
		    dup2(fd, 2) < 0)
			_exit(126);
		static const char *const drop[] = { "MAKEFLAGS", "MFLAGS",
			"MAKELEVEL", "MAKEOVERRIDES", "SANITIZE", "BUILD",
			"DESTDIR", "PREFIX", "BINDIR", "MANDIR", "COMPDIR",
			"HNBATCH_BIN", "HNBATCH_API" };
		for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
			unsetenv(drop[i]);
		setenv("TMPDIR", tmpdir, 1);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);      /* whichever runs first, the group exists */
	int pidfd = -1;
#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	r->timed_out = 0;
	if (!wait_exit(pidfd, CMD_DEADLINE_MS)) {
		r->timed_out = 1;
		kill(-pid, SIGTERM);    /* the demo's trap stops its server */
		if (!wait_exit(pidfd, 5000))
			kill(-pid, SIGKILL);
	}
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;

	off_t len = lseek(fd, 0, SEEK_END);
	r->out = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(r->out);
	ssize_t got = pread(fd, r->out, (size_t)len, 0);
	r->out[got > 0 ? got : 0] = '\0';
	close(fd);
	unlink(outpath);
}

/* `make -C SRC args...` as a top-level make. */
static void run_make(const char *tmpdir, const char *const *args,
		     struct cmd_result *r)
{
	const char *argv[32];
	size_t n = 0;
	argv[n++] = "make";
	argv[n++] = "--no-print-directory";
	argv[n++] = "-C";
	argv[n++] = src_dir();
	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	run_cmd(tmpdir, argv, r);
}

/* The installed file `path` must be a regular file equal to the source
 * file `src` (relative to the source tree), with mode `mode`. */
static void assert_installed(const char *path, const char *src, mode_t mode)
{
	struct stat st;
	ck_assert_msg(stat(path, &st) == 0, "%s not installed: %s", path,
		      strerror(errno));
	ck_assert_msg(S_ISREG(st.st_mode), "%s: not a regular file", path);
	ck_assert_msg((st.st_mode & 07777) == mode, "%s: mode %o, want %o",
		      path, (unsigned)(st.st_mode & 07777), (unsigned)mode);
	char sp[4096];
	snprintf(sp, sizeof sp, "%s/%s", src_dir(), src);
	size_t a, b;
	char *x = tu_slurp(path, &a), *y = tu_slurp(sp, &b);
	ck_assert_msg(x && y, "cannot read %s or %s", path, sp);
	ck_assert_msg(a > 0 && a == b && memcmp(x, y, a) == 0,
		      "%s differs from %s", path, sp);
	free(x);
	free(y);
}

static void assert_gone(const char *path)
{
	struct stat st;
	ck_assert_msg(lstat(path, &st) != 0 && errno == ENOENT,
		      "%s still there after make uninstall", path);
}

START_TEST(install_uninstall)
{
	char *tmp = make_tmpdir();
	char destdir[200], bin[200], man[200], comp[200];
	snprintf(destdir, sizeof destdir, "DESTDIR=%s/root", tmp);
	snprintf(bin, sizeof bin, "%s/root/usr/bin/hnbatch", tmp);
	snprintf(man, sizeof man, "%s/root/usr/share/man/man1/hnbatch.1", tmp);
	snprintf(comp, sizeof comp,
		 "%s/root/usr/share/bash-completion/completions/hnbatch", tmp);

	struct cmd_result r;
	const char *install[] = { "install", destdir, "PREFIX=/usr", NULL };
	run_make(tmp, install, &r);
	ck_assert_msg(!r.timed_out && r.status == 0,
		      "make install: status %d%s\n%s", r.status,
		      r.timed_out ? " (timed out)" : "", r.out);
	free(r.out);

	assert_installed(bin, "hnbatch", 0755);
	assert_installed(man, "hnbatch.1", 0644);
	assert_installed(comp, "scripts/hnbatch.bash-completion", 0644);

	/* the installed binary runs */
	const char *ver[] = { bin, "--version", NULL };
	run_cmd(tmp, ver, &r);
	ck_assert_msg(!r.timed_out && r.status == 0 &&
		      strncmp(r.out, "hnbatch ", 8) == 0,
		      "%s --version: status %d: %s", bin, r.status, r.out);
	free(r.out);

	const char *uninstall[] = { "uninstall", destdir, "PREFIX=/usr", NULL };
	run_make(tmp, uninstall, &r);
	ck_assert_msg(!r.timed_out && r.status == 0,
		      "make uninstall: status %d\n%s", r.status, r.out);
	free(r.out);
	assert_gone(bin);
	assert_gone(man);
	assert_gone(comp);
	free(tmp);
}
END_TEST

/* Entries of dir whose name starts with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

START_TEST(demo)
{
	char *tmp = make_tmpdir();
	struct cmd_result r;
	const char *args[] = { "demo", NULL };
	run_make(tmp, args, &r);
	ck_assert_msg(!r.timed_out && r.status == 0,
		      "make demo: status %d%s\n%s", r.status,
		      r.timed_out ? " (timed out)" : "", r.out);

	/* a real table, with the exact counts of the bundled fixtures */
	ck_assert_msg(strstr(r.out, "COMMENTS") && strstr(r.out, "TITLE"),
		      "make demo: no table header:\n%s", r.out);
	ck_assert_msg(strstr(r.out, "Biden wins White House") &&
		      strstr(r.out, "Speed Is the Killer Feature"),
		      "make demo: titles missing:\n%s", r.out);
	const char *row = strstr(r.out, "25015967  ");
	ck_assert_msg(row && strstr(row, "1968") &&
		      strstr(row, "1968") < strchr(row, '\n'),
		      "make demo: 25015967 should show 1968 comments:\n%s", r.out);
	/* the threshold (400) alerts on the two big posts, and only them */
	ck_assert_msg(strstr(r.out, "ALERT: 1968 comments") &&
		      strstr(r.out, "ALERT: 485 comments"),
		      "make demo: no alert line for 1968 and 485 comments:\n%s",
		      r.out);
	ck_assert_msg(!strstr(r.out, "ALERT: 296 comments") &&
		      !strstr(r.out, "ALERT: 205 comments"),
		      "make demo: alert below the threshold:\n%s", r.out);
	/* the summary */
	ck_assert_msg(strstr(r.out, "hnbatch: 6 roots, 3322 items"),
		      "make demo: no summary '6 roots, 3322 items':\n%s", r.out);
	free(r.out);

	/* the demo cleaned up after itself (its trap ran) */
	ck_assert_msg(count_prefixed(tmp, "hnbatch-demo.") == 0,
		      "make demo left its temporary directory in %s", tmp);
	free(tmp);
}
END_TEST

/* Every long option that --help lists is in the man page (as \-\-name) and
 * in the bash completion (as --name). */
START_TEST(docs_cover_options)
{
	const char *args[] = { "--help", NULL };
	struct runbin_result r;
	ck_assert_int_eq(runbin_run(args, NULL, NULL, 10000, &r), 0);
	ck_assert_msg(r.exited && r.status == 0, "--help: %s",
		      runbin_describe(&r));

	char path[4096];
	snprintf(path, sizeof path, "%s/hnbatch.1", src_dir());
	char *man = tu_slurp(path, NULL);
	ck_assert_msg(man != NULL, "%s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/scripts/hnbatch.bash-completion",
		 src_dir());
	char *comp = tu_slurp(path, NULL);
	ck_assert_msg(comp != NULL, "%s: %s", path, strerror(errno));

	int seen = 0;
	for (const char *p = r.out; (p = strstr(p, "--")) != NULL;) {
		p += 2;
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz-");
		if (n == 0)
			continue;
		char name[64], inman[160], incomp[80];
		snprintf(name, sizeof name, "%.*s", (int)n, p);
		snprintf(incomp, sizeof incomp, "--%s", name);
		/* in roff every '-' of an option is written \- */
		size_t k = 0;
		k += (size_t)snprintf(inman, sizeof inman, "\\-\\-");
		for (const char *c = name; *c && k + 3 < sizeof inman; c++)
			if (*c == '-')
				k += (size_t)snprintf(inman + k, sizeof inman - k, "\\-");
			else
				inman[k++] = *c, inman[k] = '\0';
		ck_assert_msg(strstr(man, inman) != NULL,
			      "hnbatch.1 does not document %s", incomp);
		const char *c = comp;
		int found = 0;
		while ((c = strstr(c, incomp)) != NULL) {
			char after = c[strlen(incomp)];
			if (!(after >= 'a' && after <= 'z') && after != '-') {
				found = 1;
				break;
			}
			c++;
		}
		ck_assert_msg(found, "bash completion lacks %s", incomp);
		seen++;
		p += n;
	}
	ck_assert_msg(seen >= 30, "--help listed only %d long options", seen);
	free(man);
	free(comp);
	runbin_result_free(&r);
}
END_TEST

/* Unchecked fixture: runs in the runner's process, around the whole case. */
static void setup(void)
{
	if (!mkdtemp(base)) {
		fprintf(stderr, "mkdtemp %s: %s\n", base, strerror(errno));
		exit(EXIT_FAILURE);
	}
}

static void teardown(void)
{
	tu_rm_rf(base);
}

static Suite *install_suite(void)
{
	Suite *s = suite_create("install");
	TCase *tc = tcase_create("install");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, docs_cover_options);
	tcase_add_test(tc, install_uninstall);
	tcase_add_test(tc, demo);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(install_suite());
}
