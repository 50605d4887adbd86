/* fileutil.h — the files hnbatch writes: lock files and whole-file atomic
 * replacement (results with -o, --state, --alert-spool).
 *
 * The process umask is read once (from /proc/self/status, which does not
 * change it) and never changed afterwards: a mode is computed from that
 * reading, so a command spawned meanwhile by another thread always inherits
 * the real umask. Every function is safe from any thread. */
#ifndef HNBATCH_FILEUTIL_H
#define HNBATCH_FILEUTIL_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Read the umask now (main calls it first thing: without /proc the umask
 * can only be read by setting it, which must happen before any thread). */
void fileutil_init(void);

/* The mode a new file gets: 0666 without the umask bits. */
mode_t fileutil_new_mode(void);

/* Take an exclusive flock(2) on PATH.lock (created when absent) without
 * waiting. Returns the lock's fd (close it to release), or -1 with a
 * message in err naming the file: "PATH: in use by another hnbatch run
 * (PATH.lock is locked); not running" when another process holds it. */
int fileutil_lock(const char *path, char *err, size_t errlen);

/* Write a new version of path: write(f, arg) fills a temporary file
 * PATH.tmpXXXXXX in the same directory (it returns 0, or -1 with errno
 * set); the file is flushed, fsync'd, given its mode, renamed over path,
 * and the directory fsync'd, so a reader sees the old file or the whole new
 * one. On any failure the temporary file is removed, path is untouched, and
 * -1 is returned with a message in err naming the file and the cause. */
int fileutil_replace(const char *path, int (*write)(FILE *f, void *arg),
		     void *arg, char *err, size_t errlen);

/* fsync the directory holding path. 0 or -1 (errno). */
int fileutil_sync_dir(const char *path);

#endif
