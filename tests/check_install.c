/* check_install.c — the tree as a user meets it: `make install` and
 * `make uninstall` with DESTDIR and PREFIX, `make demo`, the man page and
 * bash completion covering every option of `--help`, and README.md,
 * hnbatch.1 and docs/cli-spec.md stating the defaults that `--help` prints.
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
#include <stdarg.h>
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

/* Wait for the child of pidfd until deadline_ms; 1 when it has exited, 0 at
 * the deadline. */
static int wait_exit(int pidfd, int deadline_ms)
{
	if (pidfd < 0)          /* waitpid blocks; the tcase timeout bounds */
		return 1;
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
		      "make demo: 25015967 should show 1968 comments:\n%s",
		      r.out);
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
		      "make demo: no summary '6 roots, 3322 items':\n%s",
		      r.out);
	free(r.out);

	/* the demo cleaned up after itself (its trap ran) */
	ck_assert_msg(count_prefixed(tmp, "hnbatch-demo.") == 0,
		      "make demo left its temporary directory in %s", tmp);
	free(tmp);
}
END_TEST

/* name with every '-' written "\-", as roff wants it: "\-\-name". */
static void roff_option(const char *name, char *out, size_t outlen)
{
	size_t k = (size_t)snprintf(out, outlen, "\\-\\-");
	for (const char *c = name; *c && k + 3 < outlen; c++)
		if (*c == '-')
			k += (size_t)snprintf(out + k, outlen - k, "\\-");
		else
			out[k++] = *c, out[k] = '\0';
}

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
		roff_option(name, inman, sizeof inman);
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

/* --- the defaults: --help, README.md, hnbatch.1 and docs/cli-spec.md --- */

struct dflt {
	char name[32];          /* the long option, without "--" */
	char val[96];           /* its default as --help prints it */
};

/* A value ends at a space, ')', ',', ';' or the end of the line. */
static size_t value_len(const char *p)
{
	return strcspn(p, " \t),;\n");
}

/* 1 when p (inside text) starts a whole "--name": no letter or '-' on
 * either side. */
static int whole_option(const char *text, const char *p, const char *name)
{
	char before = p > text ? p[-1] : ' ';
	char after = p[2 + strlen(name)];
	return !(before >= 'a' && before <= 'z') && before != '-' &&
	       !(after >= 'a' && after <= 'z') && after != '-';
}

/* Every "(default VALUE)" that --help prints, with the option whose entry
 * it ends: the first "--name" of the last line that starts (after spaces)
 * with '-'. Returns how many were found (at most max). */
static size_t help_defaults(const char *help, struct dflt *d, size_t max)
{
	char cur[32] = "";
	size_t n = 0;
	for (const char *l = help; *l;) {
		size_t len = strcspn(l, "\n");
		const char *p = l + strspn(l, " ");
		if (*l != ' ')
			cur[0] = '\0';          /* a group's title */
		else if (*p == '-' && (p = strstr(p, "--")) && p < l + len)
			snprintf(cur, sizeof cur, "%.*s", (int)strspn(p + 2,
				 "abcdefghijklmnopqrstuvwxyz-"), p + 2);
		p = strstr(l, "(default ");
		if (p && p < l + len && cur[0] && n < max) {
			p += strlen("(default ");
			snprintf(d[n].name, sizeof d[n].name, "%s", cur);
			snprintf(d[n].val, sizeof d[n].val, "%.*s",
				 (int)strcspn(p, ")\n"), p);
			n++;
		}
		l += len + (l[len] == '\n');
	}
	return n;
}

/* Append a complaint to why (a buffer of whylen bytes). */
static void complain(char *why, size_t whylen, const char *fmt, ...)
{
	size_t k = strlen(why);
	va_list ap;
	va_start(ap, fmt);
	if (k < whylen)
		vsnprintf(why + k, whylen - k, fmt, ap);
	va_end(ap);
}

/* The default a text document states for --name: after each whole
 * "--name" on a line (only lines starting with "| " when table_only: the
 * README's option table), up to the next "--" or the end of the line, a
 * "(VALUE" or "(default VALUE". Each occurrence must state d->val, and
 * there must be one. */
static void check_text_doc(const char *file, const char *doc, int table_only,
			   const struct dflt *d, char *why, size_t whylen)
{
	char opt[40];
	int seen = 0;
	snprintf(opt, sizeof opt, "--%s", d->name);
	for (const char *l = doc; *l; l += strcspn(l, "\n"), l += *l == '\n') {
		const char *end = l + strcspn(l, "\n");
		if (table_only && strncmp(l, "| ", 2) != 0)
			continue;
		for (const char *p = l; (p = strstr(p, opt)) && p < end; p++) {
			if (!whole_option(doc, p, d->name))
				continue;
			const char *q = p + strlen(opt);
			const char *next = strstr(q, "--");
			const char *paren = strchr(q, '(');
			seen++;
			if (!paren || paren > end || (next && paren > next)) {
				complain(why, whylen, "%s: %s states no "
					 "default (want %s)\n", file, opt,
					 d->val);
				continue;
			}
			paren++;
			if (strncmp(paren, "default ", 8) == 0)
				paren += 8;
			size_t n = value_len(paren);
			if (n != strlen(d->val) || strncmp(paren, d->val, n))
				complain(why, whylen, "%s: %s default %.*s, "
					 "--help says %s\n", file, opt,
					 (int)n, paren, d->val);
		}
	}
	if (!seen)
		complain(why, whylen, "%s: no %s (default %s)\n", file, opt,
			 d->val);
}

/* The text of a man page paragraph (from p to the next .TP, .SS or .SH)
 * without its requests and escapes: ".BR table )." is "table ).", "\-"
 * is "-", "\fI" goes. Returns a malloc'd string. */
static char *man_paragraph(const char *p)
{
	char *out = malloc(strlen(p) + 1), *o = out;
	ck_assert_ptr_nonnull(out);
	for (; *p; p += *p == '\n') {
		if (!strncmp(p, ".TP", 3) || !strncmp(p, ".SS", 3) ||
		    !strncmp(p, ".SH", 3))
			break;
		if (*p == '.')          /* a request: keep its arguments */
			p += strcspn(p, " \n") + (p[strcspn(p, " \n")] == ' ');
		for (; *p && *p != '\n'; p++)
			if (p[0] == '\\' && p[1] == '-')
				*o++ = '-', p++;
			else if (p[0] == '\\' && p[1] == 'f' && p[2])
				p += 2;
			else if (*p != '"')
				*o++ = *p;
		*o++ = ' ';
	}
	*o = '\0';
	return out;
}

/* The default hnbatch.1 states for --name: the word after each "default"
 * in the paragraph of each .TP item whose tag names \-\-name. Each must be
 * d->val, and there must be one. */
static void check_man(const char *man, const struct dflt *d, char *why,
		      size_t whylen)
{
	char opt[100];
	int seen = 0;
	roff_option(d->name, opt, sizeof opt);
	for (const char *tp = man; (tp = strstr(tp, "\n.TP\n")) != NULL;) {
		const char *tag = tp + 5, *body = tag + strcspn(tag, "\n");
		const char *p = strstr(tag, opt);
		char after = p ? p[strlen(opt)] : 0;
		tp = body;
		if (!p || p > body || (after >= 'a' && after <= 'z') ||
		    after == '\\' || !*body)
			continue;
		char *text = man_paragraph(body + 1);
		for (const char *w = text; (w = strstr(w, "default ")); w++) {
			w += strlen("default ");
			size_t n = value_len(w);
			seen++;
			if (n != strlen(d->val) || strncmp(w, d->val, n))
				complain(why, whylen, "hnbatch.1: --%s default "
					 "%.*s, --help says %s\n", d->name,
					 (int)n, w, d->val);
		}
		free(text);
	}
	if (!seen)
		complain(why, whylen, "hnbatch.1: --%s states no default "
			 "(want %s)\n", d->name, d->val);
}

static char *read_doc(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", src_dir(), name);
	char *text = tu_slurp(path, NULL);
	ck_assert_msg(text != NULL, "%s: %s", path, strerror(errno));
	return text;
}

/* Every default that --help prints is the one README.md (its option
 * table), hnbatch.1 (the option's item) and docs/cli-spec.md state: a
 * default changed in one place only fails here. */
START_TEST(docs_state_defaults)
{
	const char *args[] = { "--help", NULL };
	struct runbin_result r;
	ck_assert_int_eq(runbin_run(args, NULL, NULL, 10000, &r), 0);
	ck_assert_msg(r.exited && r.status == 0, "--help: %s",
		      runbin_describe(&r));
	struct dflt d[64];
	size_t n = help_defaults(r.out, d, 64);
	ck_assert_msg(n >= 10, "--help shows only %zu defaults:\n%s", n, r.out);

	char *readme = read_doc("README.md"), *man = read_doc("hnbatch.1");
	char *spec = read_doc("docs/cli-spec.md");
	char why[8192] = "";
	for (size_t i = 0; i < n; i++) {
		check_text_doc("README.md", readme, 1, &d[i], why, sizeof why);
		check_man(man, &d[i], why, sizeof why);
		check_text_doc("docs/cli-spec.md", spec, 0, &d[i], why,
			       sizeof why);
	}
	ck_assert_msg(why[0] == '\0', "defaults that differ from --help:\n%s",
		      why);
	free(readme);
	free(man);
	free(spec);
	runbin_result_free(&r);
}
END_TEST

/* Write `text` to dir/name (dir/sub made first when name has one). */
static void put_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	const char *slash = strchr(name, '/');
	if (slash) {
		snprintf(path, sizeof path, "%s/%.*s", dir,
			 (int)(slash - name), name);
		ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST,
			      "mkdir %s: %s", path, strerror(errno));
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* scripts/checksrc, copied into a tree of its own, passes a clean file and
 * names each problem of a bad one by file and line; on the real tree (make
 * check runs it too) it finds nothing. */
START_TEST(checksrc_finds_problems)
{
	char *tmp = make_tmpdir();
	char script[4096];
	snprintf(script, sizeof script, "%s/scripts/checksrc", src_dir());
	size_t n;
	char *text = tu_slurp(script, &n);
	ck_assert_msg(text != NULL, "cannot read %s", script);
	put_file(tmp, "scripts/checksrc", text);
	free(text);

	put_file(tmp, "src/good.c", "/* good.c \342\200\224 fine. */\n"
		 "#include <stdio.h>\n\nint good(void)\n{\n\treturn 0;\n}\n");
	/* line 1: no opening comment; 2: curl; 3: json-c; 4: 81 columns;
	 * 7: usleep; a function of 81 lines from its "{" on line 6 */
	char bad[8192];
	size_t o = (size_t)snprintf(bad, sizeof bad,
		"/* not the name */\n#include <curl/curl.h>\n"
		"#include <json-c/json.h>\n"
		"int x = 1; /* %064d */\nvoid f(void)\n{\n\tusleep(1);\n",
		0);
	for (int i = 0; i < 78; i++)
		o += (size_t)snprintf(bad + o, sizeof bad - o, "\tx++;\n");
	snprintf(bad + o, sizeof bad - o, "}\n");
	put_file(tmp, "src/bad.c", bad);

	char sh[4096];
	snprintf(sh, sizeof sh, "%s/scripts/checksrc", tmp);
	const char *argv[] = { "sh", sh, "src/good.c", "src/bad.c", NULL };
	struct cmd_result r;
	run_cmd(tmp, argv, &r);
	ck_assert_msg(r.status == 1, "checksrc: status %d\n%s", r.status,
		      r.out);
	static const char *const want[] = {
		"src/bad.c:1: no opening comment",
		"src/bad.c:2: libcurl included outside",
		"src/bad.c:3: json-c included outside",
		"src/bad.c:4: line is 81 columns",
		"src/bad.c:7: sleep",
		"src/bad.c:6: function f is 81 lines",
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		ck_assert_msg(strstr(r.out, want[i]) != NULL,
			      "checksrc did not say \"%s\":\n%s", want[i],
			      r.out);
	ck_assert_msg(strstr(r.out, "good.c") == NULL,
		      "checksrc complained about a clean file:\n%s", r.out);
	free(r.out);

	const char *real[] = { "sh", script, NULL };
	run_cmd(tmp, real, &r);
	ck_assert_msg(r.status == 0, "checksrc on the tree: status %d\n%s",
		      r.status, r.out);
	free(r.out);
	free(tmp);
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
	tcase_add_test(tc, docs_state_defaults);
	tcase_add_test(tc, install_uninstall);
	tcase_add_test(tc, demo);
	tcase_add_test(tc, checksrc_finds_problems);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(install_suite());
}
