/* fileutil.c — lock files and atomic replacement (see fileutil.h).
 *
 * Threads: `mask` is written once, under pthread_once (fileutil_init(), or
 * the first use), and only read afterwards. Nothing else is shared.
 *
 * Replacement: symlinks are followed to the file they name; a device, FIFO
 * or socket is written directly. A regular file (or a new one) gets
 * mkstemp() beside it (same file system, so rename(2) is atomic), the old
 * file's mode (or the umask's for a new one), the caller's writer, fflush +
 * fsync, close, rename, fsync of the directory (so the rename survives a
 * power cut). Every failure path unlinks the temporary file, and the list
 * `temps` (its own mutex) lets a forced exit remove the ones in progress. */
#include "fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static mode_t mask;

/* Read the umask without changing it: Linux shows it in /proc/self/status
 * ("Umask:\t0022"). Only without /proc is it read by setting it (and
 * setting it back), which main does before any thread exists. */
static void read_mask(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	while (f && fgets(line, sizeof line, f)) {
		unsigned m;
		if (sscanf(line, "Umask: %o", &m) == 1) {
			mask = (mode_t)m & 0777;
			fclose(f);
			return;
		}
	}
	if (f)
		fclose(f);
	mask = umask(022);
	umask(mask);
}

void fileutil_init(void)
{
	pthread_once(&once, read_mask);
}

mode_t fileutil_new_mode(void)
{
	pthread_once(&once, read_mask);
	return 0666 & ~mask;
}

int fileutil_lock(const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path) + sizeof ".lock";
	char *lock = malloc(n);
	if (!lock) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	snprintf(lock, n, "%s.lock", path);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, fileutil_new_mode());
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open lock file: %s", lock,
			 strerror(errno));
	} else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			snprintf(err, errlen, "%s: in use by another hnbatch "
				 "run (%s is locked); not running", path, lock);
		else
			snprintf(err, errlen, "%s: cannot lock: %s", lock,
				 strerror(errno));
		close(fd);
		fd = -1;
	}
	free(lock);
	return fd;
}

int fileutil_sync_dir(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return -1;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* Replacements in progress, so a forced exit can remove their temporary
 * files. Guarded by temps_mu; `dying` (set for good by
 * fileutil_remove_temps) keeps new ones from starting. */
struct temp {
	const char *path;
	struct temp *next;
};
static pthread_mutex_t temps_mu = PTHREAD_MUTEX_INITIALIZER;
static struct temp *temps;
static int dying;

void fileutil_remove_temps(void)
{
	pthread_mutex_lock(&temps_mu);
	dying = 1;
	for (struct temp *t = temps; t; t = t->next)
		unlink(t->path);
	pthread_mutex_unlock(&temps_mu);
}

/* mkstemp(t->path) and register t. The fd, or -1 (errno). */
static int temp_create(struct temp *t, char *path)
{
	int fd = -1;
	pthread_mutex_lock(&temps_mu);
	if (dying) {
		errno = ECANCELED;
	} else if ((fd = mkstemp(path)) >= 0) {
		t->path = path;
		t->next = temps;
		temps = t;
	}
	pthread_mutex_unlock(&temps_mu);
	return fd;
}

/* Unregister t, removing its file unless it was renamed. */
static void temp_done(struct temp *t, int renamed)
{
	pthread_mutex_lock(&temps_mu);
	for (struct temp **p = &temps; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	if (!renamed)
		unlink(t->path);
	pthread_mutex_unlock(&temps_mu);
}

/* The target of the symlink at `link`, as a path usable from here. */
static char *link_target(const char *link, size_t size_hint)
{
	size_t cap = size_hint + 2 > 64 ? size_hint + 2 : 64;
	char *buf = NULL;
	for (;;) {
		char *nb = realloc(buf, cap);
		if (!nb)
			goto fail;
		buf = nb;
		ssize_t n = readlink(link, buf, cap);
		if (n < 0)
			goto fail;
		if ((size_t)n < cap) {
			buf[n] = '\0';
			break;
		}
		cap *= 2;
	}
	if (buf[0] == '/')
		return buf;
	char *copy = strdup(link), *joined = NULL;
	if (copy && asprintf(&joined, "%s/%s", dirname(copy), buf) < 0)
		joined = NULL;
	free(copy);
	free(buf);
	return joined;
fail:
	free(buf);
	return NULL;
}

int fileutil_resolve(const char *path, int allow_stream, char **out,
		     char *err, size_t errlen)
{
	char *cur = strdup(path);
	int kind = -1;
	struct stat st;
	for (int hops = 0; cur; hops++) {
		if (lstat(cur, &st) != 0) {
			if (errno == ENOENT)
				kind = FILEUTIL_NEW;
			else
				snprintf(err, errlen, "%s: %s", path,
					 strerror(errno));
			goto out;
		}
		if (!S_ISLNK(st.st_mode))
			break;
		if (hops == 40) {
			snprintf(err, errlen, "%s: %s", path, strerror(ELOOP));
			goto out;
		}
		char *next = link_target(cur, (size_t)st.st_size);
		if (!next)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(cur);
		cur = next;
	}
	if (!cur)
		goto out;
	if (S_ISREG(st.st_mode))
		kind = FILEUTIL_REGULAR;
	else if ((S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) ||
		  S_ISSOCK(st.st_mode)) && allow_stream)
		kind = FILEUTIL_STREAM;
	else if (S_ISDIR(st.st_mode))
		snprintf(err, errlen, "%s: is a directory", path);
	else
		snprintf(err, errlen, "%s: not a regular file%s", path,
			 allow_stream ? ", character device, FIFO or socket"
				      : "");
out:
	if (kind >= 0)
		*out = cur;
	else
		free(cur);
	if (kind < 0 && !cur && err[0] == '\0')
		snprintf(err, errlen, "%s: out of memory", path);
	return kind;
}

/* A connected stream to the unix socket at path, or -1 (errno). */
static int open_socket(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof a.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		fd = -1;
	}
	return fd;
}

/* Write straight into a device, FIFO or socket (a FIFO's open waits for a
 * reader, as a shell's redirection does). */
static int write_stream(const char *target, int (*fill)(FILE *, void *),
			void *arg, char *err, size_t errlen)
{
	int fd = open(target, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENXIO)
		fd = open_socket(target);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, errlen, "%s: %s", target, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = fill(f, arg) == 0 && fflush(f) == 0 ? 0 : -1;
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", target, strerror(errno));
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", target, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* The mode (and, where we may, the owner) of the file being replaced. */
static void copy_attrs(int fd, const char *target, int kind)
{
	struct stat st;
	if (kind != FILEUTIL_REGULAR || stat(target, &st) != 0) {
		fchmod(fd, fileutil_new_mode());
		return;
	}
	if (st.st_uid != geteuid() || st.st_gid != getegid())
		if (fchown(fd, st.st_uid, st.st_gid) != 0)
			(void)0; /* not ours to give away: keep our own */
	fchmod(fd, st.st_mode & 07777);
}

/* Atomic replacement of a regular file (or a new one) at target. */
static int replace_file(const char *target, int kind,
			int (*fill)(FILE *, void *), void *arg, char *err,
			size_t errlen)
{
	size_t n = strlen(target) + sizeof ".tmpXXXXXX";
	char *tmp = malloc(n);
	struct temp t;
	FILE *f = NULL;
	int rc = -1, renamed = 0;
	if (!tmp) {
		snprintf(err, errlen, "%s: out of memory", target);
		return -1;
	}
	snprintf(tmp, n, "%s.tmpXXXXXX", target);
	int fd = temp_create(&t, tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (!(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "%s: %s", target, strerror(errno));
		close(fd);
		goto out;
	}
	copy_attrs(fd, target, kind);
	if (fill(f, arg) != 0 || fflush(f) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: writing %s: %s", target, tmp,
			 strerror(errno));
		goto out;
	}
	int cr = fclose(f);
	f = NULL;
	if (cr != 0 || rename(tmp, target) != 0) {
		snprintf(err, errlen, "%s: %s", target, strerror(errno));
		goto out;
	}
	renamed = 1;
	if (fileutil_sync_dir(target) != 0) {
		snprintf(err, errlen, "%s: syncing its directory: %s", target,
			 strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	temp_done(&t, renamed);
	free(tmp);
	return rc;
}

int fileutil_replace(const char *path, int (*fill)(FILE *f, void *arg),
		     void *arg, char *err, size_t errlen)
{
	char *target = NULL;
	int kind = fileutil_resolve(path, 1, &target, err, errlen);
	if (kind < 0)
		return -1;
	int rc = kind == FILEUTIL_STREAM
		? write_stream(target, fill, arg, err, errlen)
		: replace_file(target, kind, fill, arg, err, errlen);
	free(target);
	return rc;
}
