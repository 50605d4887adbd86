/* check_fileutil.c — lock files and atomic replacement: the new content
 * and mode, the directory fsync'd, no temporary file left by any failure,
 * the old file untouched by one, a second lock refused, and the umask left
 * alone while another thread spawns commands.
 *
 * rename() and fsync() are interposed here (a definition in the test
 * program wins over libc's for the code linked into it): fsync records
 * which directories were synced, rename can be made to fail. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileutil.h"
#include "spawn.h"
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

/* A symlink is followed: its target is replaced, the link stays a link;
 * an existing file keeps its mode (0600 stays 0600). */
START_TEST(test_symlink_followed_mode_kept)
{
	char *dir = tu_tmpdir("check_fileutil");
	char *real = tu_path(dir, "real.json");
	char *link = tu_path(dir, "link.json");
	char err[256] = "";
	ck_assert_int_eq(fileutil_replace(real, write_text, "old\n", err,
					  sizeof err), 0);
	ck_assert_int_eq(chmod(real, 0600), 0);
	ck_assert_int_eq(symlink("real.json", link), 0);  /* relative */
	ck_assert_int_eq(fileutil_replace(link, write_text, "new\n", err,
					  sizeof err), 0);
	struct stat st;
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(stat(real, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	char *text = tu_slurp(real, NULL);
	ck_assert_str_eq(text, "new\n");
	free(text);
	char *res = NULL;
	ck_assert_int_eq(fileutil_resolve(link, 0, &res, err, sizeof err),
			 FILEUTIL_REGULAR);
	ck_assert_str_eq(res, real);
	free(res);
	/* a dangling link: its target is created */
	char *dang = tu_path(dir, "dangling");
	char *made = tu_path(dir, "made.txt");
	ck_assert_int_eq(symlink(made, dang), 0);
	ck_assert_int_eq(fileutil_replace(dang, write_text, "x", err,
					  sizeof err), 0);
	ck_assert_int_eq(lstat(dang, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(stat(made, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0640);
	/* a loop is refused */
	char *loop = tu_path(dir, "loop");
	ck_assert_int_eq(symlink("loop", loop), 0);
	ck_assert_int_eq(fileutil_replace(loop, write_text, "x", err,
					  sizeof err), -1);
	ck_assert_msg(strstr(err, "symbolic links"), "message: %s", err);
	ck_assert_int_eq(entries(dir), 5);
	free(loop); free(dang); free(made);
	tu_rm_rf(dir);
	free(real); free(link); free(dir);
}
END_TEST

/* Character devices are written directly: never replaced by a file. */
START_TEST(test_devices_written_directly)
{
	char *dir = tu_tmpdir("check_fileutil");
	char *null = tu_path(dir, "null"), *full = tu_path(dir, "full");
	char err[256] = "";
	if (mknod(null, S_IFCHR | 0666, makedev(1, 3)) != 0 ||
	    mknod(full, S_IFCHR | 0666, makedev(1, 7)) != 0) {
		/* not root: the kernel's own nodes, which we never replace */
		free(null); free(full);
		null = strdup("/dev/null");
		full = strdup("/dev/full");
	}
	ck_assert_int_eq(fileutil_replace(null, write_text, "x\n", err,
					  sizeof err), 0);
	ck_assert_int_eq(fileutil_replace(full, write_text, "x\n", err,
					  sizeof err), -1);
	ck_assert_msg(strstr(err, full) && strstr(err, "No space left"),
		      "message: %s", err);
	struct stat st;
	ck_assert_int_eq(lstat(null, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_int_eq(lstat(full, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	char *res = NULL;
	ck_assert_int_eq(fileutil_resolve(full, 1, &res, err, sizeof err),
			 FILEUTIL_STREAM);
	free(res);
	ck_assert_int_eq(fileutil_resolve(full, 0, &res, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "not a regular file"), "message: %s", err);
	/* a directory is refused, whoever asks */
	ck_assert_int_eq(fileutil_resolve(dir, 1, &res, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "is a directory"), "message: %s", err);
	ck_assert_int_eq(fileutil_replace(dir, write_text, "x", err,
					  sizeof err), -1);
	ck_assert_int_eq(lstat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	tu_rm_rf(dir);
	free(null); free(full); free(dir);
}
END_TEST

struct reader {
	const char *path;
	int listen_fd;             /* a unix socket listening, or -1 */
	char got[64];
};

/* Read all of a FIFO, or of one connection to a listening socket. */
static void *read_all(void *arg)
{
	struct reader *r = arg;
	int fd = r->listen_fd >= 0 ? accept(r->listen_fd, NULL, NULL)
				   : open(r->path, O_RDONLY);
	size_t n = 0;
	ssize_t k;
	while (fd >= 0 && n + 1 < sizeof r->got &&
	       (k = read(fd, r->got + n, sizeof r->got - 1 - n)) > 0)
		n += (size_t)k;
	r->got[n] = '\0';
	if (fd >= 0)
		close(fd);
	return NULL;
}

START_TEST(test_fifo_and_socket_written_directly)
{
	char *dir = tu_tmpdir("check_fileutil");
	char *fifo = tu_path(dir, "fifo"), *sock = tu_path(dir, "sock");
	char err[256] = "";
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	struct reader r1 = { .path = fifo, .listen_fd = -1 };
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, read_all, &r1), 0);
	ck_assert_int_eq(fileutil_replace(fifo, write_text, "to fifo\n", err,
					  sizeof err), 0);
	pthread_join(th, NULL);
	ck_assert_str_eq(r1.got, "to fifo\n");
	struct stat st;
	ck_assert_int_eq(lstat(fifo, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));

	struct reader r2 = { .path = sock };
	r2.listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
	ck_assert_int_eq(bind(r2.listen_fd, (struct sockaddr *)&a, sizeof a),
			 0);
	ck_assert_int_eq(listen(r2.listen_fd, 1), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, read_all, &r2), 0);
	ck_assert_int_eq(fileutil_replace(sock, write_text, "to sock\n", err,
					  sizeof err), 0);
	pthread_join(th, NULL);
	close(r2.listen_fd);
	ck_assert_str_eq(r2.got, "to sock\n");
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(entries(dir), 2);
	tu_rm_rf(dir);
	free(fifo); free(sock); free(dir);
}
END_TEST

struct spawner {
	const char *dir;
	atomic_int stop;           /* set by the test thread */
	int started, ended, failed; /* the spawner's; read after join */
};

/* Spawn `umask > DIR/umask.N` commands one after another until told to
 * stop (and at least 50). Records only; asserts nothing. */
static void *spawner(void *arg)
{
	struct spawner *sp = arg;
	static char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	while (sp->started < 50 || !atomic_load(&sp->stop)) {
		char cmd[256], why[200];
		snprintf(cmd, sizeof cmd, "umask > '%s/umask.%d'", sp->dir,
			 sp->started);
		struct spawn s;
		if (spawn_start(&s, cmd, envp, "", 0, why, sizeof why) != 0) {
			sp->failed++;
			break;
		}
		sp->started++;
		int st;
		if (tu_spawn_wait(&s, &st, 20000) == 1 && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			sp->ended++;
		spawn_release(&s);
	}
	return NULL;
}

/* The umask is read, never set: a file gets 0666 & ~umask, and a command
 * forked by another thread meanwhile never sees a umask changed for a
 * moment (the old way of reading it, umask(0) then umask(old), opened
 * that window). The test thread keeps computing modes and replacing
 * files while the other spawns. */
START_TEST(test_mode_from_umask_while_spawning)
{
	char *dir = tu_tmpdir("check_fileutil"), *sdir = tu_path(dir, "s");
	char *path = tu_path(dir, "f");
	char err[256] = "";
	ck_assert_int_eq(mkdir(sdir, 0700), 0);
	struct spawner sp = { .dir = sdir };
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, spawner, &sp), 0);
	int replaced = 0, bad_mode = 0, modes_ok = 1;
	for (; replaced < 300; replaced++) {
		for (int k = 0; k < 200; k++)
			modes_ok &= fileutil_new_mode() == 0640;
		if (fileutil_replace(path, write_text, "x\n", err,
				     sizeof err) != 0)
			break;
		struct stat st;
		bad_mode += stat(path, &st) != 0 || (st.st_mode & 0777) != 0640;
	}
	atomic_store(&sp.stop, 1);
	pthread_join(th, NULL);
	ck_assert_msg(replaced == 300, "replace: %s", err);
	ck_assert_int_eq(bad_mode, 0);
	ck_assert(modes_ok);
	ck_assert_int_eq(sp.failed, 0);
	ck_assert_int_eq(sp.ended, sp.started);
	int other = 0;
	char seen[64] = "";
	for (int i = 0; i < sp.started; i++) {
		char name[32];
		snprintf(name, sizeof name, "umask.%d", i);
		char *p = tu_path(sdir, name), *u = tu_slurp(p, NULL);
		if (!u || strcmp(u, "0027\n") != 0) {
			other++;
			snprintf(seen, sizeof seen, "%s", u ? u : "(none)");
		}
		free(u);
		free(p);
	}
	ck_assert_msg(other == 0, "%d of %d commands saw another umask: %s",
		      other, sp.started, seen);
	tu_rm_rf(dir);
	free(path);
	free(sdir);
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
	tcase_add_test(tc, test_symlink_followed_mode_kept);
	tcase_add_test(tc, test_devices_written_directly);
	tcase_add_test(tc, test_fifo_and_socket_written_directly);
	tcase_add_test(tc, test_mode_from_umask_while_spawning);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	umask(027);
	signal(SIGPIPE, SIG_IGN);
	return tu_run(fileutil_suite());
}
