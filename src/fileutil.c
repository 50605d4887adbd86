/* fileutil.c — lock files and atomic replacement (see fileutil.h).
 *
 * Threads: `mask` is written once, under pthread_once (fileutil_init(), or
 * the first use), and only read afterwards. Nothing else is shared.
 *
 * Replacement: mkstemp() beside the target (same file system, so rename(2)
 * is atomic), the caller's writer, fflush + fsync, fchmod to the mode, close,
 * rename, fsync of the directory (so the rename survives a power cut). Every
 * failure path unlinks the temporary file. */
#include "fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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

int fileutil_replace(const char *path, int (*write)(FILE *f, void *arg),
		     void *arg, char *err, size_t errlen)
{
	size_t n = strlen(path) + sizeof ".tmpXXXXXX";
	char *tmp = malloc(n);
	FILE *f = NULL;
	int rc = -1, fd = -1;
	if (!tmp) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	snprintf(tmp, n, "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "%s: %s", fd < 0 ? tmp : path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		if (fd < 0)
			tmp[0] = '\0'; /* nothing was created */
		goto out;
	}
	if (write(f, arg) != 0 || fflush(f) != 0 || fsync(fileno(f)) != 0 ||
	    fchmod(fileno(f), fileutil_new_mode()) != 0) {
		snprintf(err, errlen, "%s: writing %s: %s", path, tmp,
			 strerror(errno));
		goto out;
	}
	int cr = fclose(f);
	f = NULL;
	if (cr != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0'; /* renamed: nothing to remove */
	if (fileutil_sync_dir(path) != 0) {
		snprintf(err, errlen, "%s: syncing its directory: %s", path,
			 strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	if (tmp[0])
		unlink(tmp);
	free(tmp);
	return rc;
}
