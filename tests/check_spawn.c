/* check_spawn.c — spawn.c with real shells: exit statuses and signals
 * described, the signal mask and dispositions reset in the child, a stdin
 * bigger than a pipe buffer delivered whole, exactly the environment given,
 * and a timeout's kill reaching the whole process group (a background
 * grandchild included).
 *
 * Threads: each test runs on the test's thread only. The test process is a
 * child subreaper (prctl), so a grandchild orphaned by its shell's death is
 * re-parented here and can be reaped; every process a test starts is killed
 * and reaped before its assertions run. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "spawn.h"
#include "testutil.h"

#define WAIT_MS 20000

static char *const env_none[] = { "PATH=/usr/bin:/bin", NULL };

/* Run cmd with stdin `in` to its end; its wait status. */
static int run(const char *cmd, char *const envp[], const char *in,
	       size_t len)
{
	struct spawn s;
	char why[200] = "";
	int st = -1;
	ck_assert_msg(spawn_start(&s, cmd, envp, in, len, why,
				  sizeof why) == 0, "%s: %s", cmd, why);
	int r = tu_spawn_wait(&s, &st, WAIT_MS);
	spawn_release(&s); /* kills and reaps it if it still runs */
	ck_assert_msg(r == 1, "%s: not ended in %d ms", cmd, WAIT_MS);
	return st;
}

START_TEST(test_status_described)
{
	char why[200];
	ck_assert_int_eq(spawn_describe(run("exit 0", env_none, "", 0), why,
					sizeof why), 1);
	ck_assert_int_eq(spawn_describe(run("exit 3", env_none, "", 0), why,
					sizeof why), 0);
	ck_assert_str_eq(why, "exit status 3");
	ck_assert_int_eq(spawn_describe(run("kill -KILL $$", env_none, "", 0),
					why, sizeof why), 0);
	ck_assert_str_eq(why, "killed by signal 9");
}
END_TEST

/* hnbatch blocks SIGINT/SIGTERM in every thread and ignores SIGPIPE: the
 * command must get neither. With the mask inherited, `kill -TERM $$` would
 * stay pending and the shell exit 0. */
START_TEST(test_signals_reset_in_child)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
	char why[200];
	spawn_describe(run("kill -TERM $$; exit 0", env_none, "", 0), why,
		       sizeof why);
	ck_assert_str_eq(why, "killed by signal 15");
	spawn_describe(run("kill -INT $$; exit 0", env_none, "", 0), why,
		       sizeof why);
	ck_assert_str_eq(why, "killed by signal 2");
	/* SIGPIPE is ignored here (main); a shell cannot undo a signal
	 * ignored at its start, so only a reset in the child makes this die */
	spawn_describe(run("kill -PIPE $$; exit 0", env_none, "", 0), why,
		       sizeof why);
	ck_assert_str_eq(why, "killed by signal 13");
	ck_assert_int_eq(pthread_sigmask(SIG_UNBLOCK, &set, NULL), 0);
}
END_TEST

/* 1 MiB of text (a pipe buffer is 64 KiB) arrives whole, in order. */
START_TEST(test_stdin_in_full)
{
	size_t len = 1 << 20;
	char *in = malloc(len);
	ck_assert_ptr_nonnull(in);
	for (size_t i = 0; i < len; i++)
		in[i] = (char)('a' + (i * 7 + i / 4096) % 26);
	char *dir = tu_tmpdir("check_spawn"), *out = tu_path(dir, "stdin"),
	     *cmd;
	ck_assert_int_ge(asprintf(&cmd, "cat > '%s'", out), 0);
	char why[200];
	ck_assert_int_eq(spawn_describe(run(cmd, env_none, in, len), why,
					sizeof why), 1);
	size_t got_len = 0;
	char *got = tu_slurp(out, &got_len);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got_len, len);
	ck_assert(memcmp(got, in, len) == 0);
	free(got);
	free(in);
	free(cmd);
	free(out);
	tu_rm_rf(dir);
	free(dir);
}
END_TEST

/* The command sees exactly the environment given, not the test's. */
START_TEST(test_environment_given)
{
	ck_assert_int_eq(setenv("CHECK_SPAWN_OURS", "not for the child", 1),
			 0);
	char *dir = tu_tmpdir("check_spawn"), *out = tu_path(dir, "env"),
	     *cmd;
	ck_assert_int_ge(asprintf(&cmd, "env > '%s'", out), 0);
	char *const envp[] = { "PATH=/usr/bin:/bin",
			       "HN_TITLE=a title; $(touch x) \"quoted\"",
			       "EMPTY=", NULL };
	char why[200];
	ck_assert_int_eq(spawn_describe(run(cmd, envp, "", 0), why,
					sizeof why), 1);
	char *got = tu_slurp(out, NULL);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strstr(got, "HN_TITLE=a title; $(touch x) \"quoted\"\n")
		      && strstr(got, "\nEMPTY=\n") &&
		      !strstr(got, "CHECK_SPAWN_OURS"), "env: %.600s", got);
	free(got);
	free(cmd);
	free(out);
	tu_rm_rf(dir);
	free(dir);
}
END_TEST

/* Reap what is ours in group pgid; 1 once the group is empty. */
static int group_gone(pid_t pgid)
{
	while (waitpid(-pgid, NULL, WNOHANG) > 0)
		;
	return kill(-pgid, 0) != 0 && errno == ESRCH;
}

/* A command that started a background grandchild in its group, killed as
 * an overdue one is: neither survives. */
START_TEST(test_timeout_kills_group)
{
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	char *dir = tu_tmpdir("check_spawn"), *pidf = tu_path(dir, "pid"),
	     *cmd;
	ck_assert_int_ge(asprintf(&cmd, "sleep 600 & echo $! > '%s.tmp'; "
				  "mv '%s.tmp' '%s'; wait", pidf, pidf, pidf),
			 0);
	struct spawn s;
	char why[200] = "";
	ck_assert_msg(spawn_start(&s, cmd, env_none, "", 0, why,
				  sizeof why) == 0, "%s", why);
	pid_t pgid = s.pid;
	/* the grandchild is there */
	char *gp = NULL;
	double end = clock_now_ms() + WAIT_MS;
	while (!(gp = tu_slurp(pidf, NULL)) && clock_now_ms() < end)
		tu_spawn_wait(&s, &(int){ 0 }, 10);
	pid_t grandchild = gp ? (pid_t)atol(gp) : 0;
	int st = -1, reaped = 0, gone = 0;
	if (grandchild > 0) {
		spawn_kill(&s);
		reaped = tu_spawn_wait(&s, &st, WAIT_MS) == 1;
		end = clock_now_ms() + WAIT_MS;
		while (!(gone = group_gone(pgid)) && clock_now_ms() < end)
			usleep(10000); /* polls the condition, with a limit */
	}
	int alive = grandchild > 0 && kill(grandchild, 0) == 0;
	/* whatever happened, nothing of it outlives the test */
	kill(-pgid, SIGKILL);
	spawn_release(&s);
	while (!group_gone(pgid) && clock_now_ms() < end + WAIT_MS)
		usleep(10000);
	ck_assert_msg(grandchild > 0, "no grandchild pid written");
	ck_assert_msg(reaped && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		      "the shell was not killed");
	ck_assert_msg(gone && !alive, "grandchild %d survived the kill",
		      (int)grandchild);
	free(gp);
	free(cmd);
	free(pidf);
	tu_rm_rf(dir);
	free(dir);
}
END_TEST

static Suite *spawn_suite(void)
{
	Suite *s = suite_create("spawn");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_status_described);
	tcase_add_test(tc, test_signals_reset_in_child);
	tcase_add_test(tc, test_stdin_in_full);
	tcase_add_test(tc, test_environment_given);
	tcase_add_test(tc, test_timeout_kills_group);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as hnbatch does: EPIPE, not a signal */
	return tu_run(spawn_suite());
}
