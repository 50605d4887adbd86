/* check_fileutil.c — lock files and atomic replacement: the new content
 * and mode, the directory fsync'd, no temporary file left by any failure,
 * the old file untouched by one, a second lock refused.
 *
 * rename() and fsync() are interposed here (a definition in the test
 * program wins over libc's for the code linked into it): fsync records
 * which directories were synced, rename can be made to fail. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileutil.h"
#include "testutil.h"

static int fail_rename;            /* errno to fail rename() with, or 0 */
static ino_t synced_dir;           /* inode of the last directory fsync'd */
static int synced_dirs;

int rename(const char *from, const char *to)
{
	if (fail_rename) {
		errno = fail_rename;
		return -1;
	}
	return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 0);
}

int fsync(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		synced_dir = st.st_ino;
		synced_dirs++;
	}
	return (int)syscall(SYS_fsync, fd);
}

static int write_text(FILE *f, void *arg)
{
	return fputs(arg, f) < 0 ? -1 : 0;
}

static int write_fails(FILE *f, void *arg)
{
	fputs(arg, f);
	errno = ENOSPC;
	return -1;
}

/* Names in dir other than . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

START_TEST(test_replace_content_mode_dirsync)
{
	char *dir = tu_tmpdir("check_fileutil");
	char *path = tu_path(dir, "out.txt");
	char err[256] = "";
	struct stat st, dst;
	ck_assert_int_eq(stat(dir, &dst), 0);
	synced_dirs = 0;
	ck_assert_int_eq(fileutil_replace(path, write_text, "one\n", err,
					  sizeof err), 0);
	ck_assert_int_eq(synced_dirs, 1);
	ck_assert_uint_eq(synced_dir, dst.st_ino);
	ck_assert_int_eq(stat(path, &st), 0);
	/* main() set umask 027 before anything else */
	ck_assert_uint_eq(st.st_mode & 0777, 0640);
	ck_assert_uint_eq(fileutil_new_mode(), 0640);
	ck_assert_int_eq(fileutil_replace(path, write_text, "two\n", err,
					  sizeof err), 0);
	char *text = tu_slurp(path, NULL);
	ck_assert_str_eq(text, "two\n");
	free(text);
	ck_assert_int_eq(entries(dir), 1);             /* no temporary left */
	tu_rm_rf(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_failures_leave_old_file_and_no_temp)
{
	char *dir = tu_tmpdir("check_fileutil");
	char *path = tu_path(dir, "state.json");
	char err[256] = "";
	ck_assert_int_eq(fileutil_replace(path, write_text, "old\n", err,
					  sizeof err), 0);
	/* the writer fails */
	ck_assert_int_eq(fileutil_replace(path, write_fails, "new\n", err,
					  sizeof err), -1);
	ck_assert_msg(strstr(err, path) && strstr(err, "No space left"),
		      "message: %s", err);
	ck_assert_int_eq(entries(dir), 1);
	/* the rename fails */
	fail_rename = EXDEV;
	err[0] = '\0';
	ck_assert_int_eq(fileutil_replace(path, write_text, "new\n", err,
					  sizeof err), -1);
	fail_rename = 0;
	ck_assert_msg(strstr(err, path) && strstr(err, "cross-device"),
		      "message: %s", err);
	ck_assert_int_eq(entries(dir), 1);
	char *text = tu_slurp(path, NULL);
	ck_assert_str_eq(text, "old\n");
	free(text);
	/* the directory is gone: a message, nothing created */
	char *nodir = tu_path(dir, "missing/x.json");
	ck_assert_int_eq(fileutil_replace(nodir, write_text, "x", err,
					  sizeof err), -1);
	ck_assert_msg(strstr(err, "missing/x.json.tmp") &&
		      strstr(err, "No such file"), "message: %s", err);
	free(nodir);
	tu_rm_rf(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_lock_excludes_second)
{
	char *dir = tu_tmpdir("check_fileutil");
	char *path = tu_path(dir, "spool.jsonl");
	char err[512] = "";
	int fd = fileutil_lock(path, err, sizeof err);
	ck_assert_int_ge(fd, 0);
	/* flock locks belong to the open file description: a second open in
	 * this process conflicts as another process would */
	ck_assert_int_eq(fileutil_lock(path, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "in use by another hnbatch run") &&
		      strstr(err, "spool.jsonl.lock"), "message: %s", err);
	close(fd);
	fd = fileutil_lock(path, err, sizeof err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	char *nodir = tu_path(dir, "missing/s");
	ck_assert_int_eq(fileutil_lock(nodir, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "missing/s.lock"), "message: %s", err);
	free(nodir);
	tu_rm_rf(dir);
	free(path);
	free(dir);
}
END_TEST

static Suite *fileutil_suite(void)
{
	Suite *s = suite_create("fileutil");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_replace_content_mode_dirsync);
	tcase_add_test(tc, test_failures_leave_old_file_and_no_temp);
	tcase_add_test(tc, test_lock_excludes_second);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	umask(027);
	return tu_run(fileutil_suite());
}
