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

/* What a path names, symlinks followed. */
enum fileutil_kind {
	FILEUTIL_NEW = 0,     /* nothing yet (or a dangling symlink's target) */
	FILEUTIL_REGULAR,     /* a regular file */
	FILEUTIL_STREAM,      /* a character device, FIFO or socket */
};

/* Follow path's symlinks (40 at most) to what they name; *out (malloc'd)
 * is that target's path (path itself when it is no symlink). Returns its
 * kind, or -1 with a message in err naming path: a directory, a block
 * device, a symlink loop, or a stream when allow_stream is 0. */
int fileutil_resolve(const char *path, int allow_stream, char **out,
		     char *err, size_t errlen);

/* Write a new version of path: fill(f, arg) fills the file (it returns 0,
 * or -1 with errno set). Symlinks are followed: their target is what is
 * written. A regular file (or a new path) is replaced atomically: a
 * temporary file TARGET.tmpXXXXXX in the same directory is written,
 * flushed, fsync'd, given the mode of the file it replaces (a new file gets
 * fileutil_new_mode()), renamed over the target, and the directory
 * fsync'd, so a reader sees the old file or the whole new one. A character
 * device, FIFO or socket is written directly (no temporary, no rename).
 * Anything else is refused. On any failure the temporary file is removed,
 * the target is untouched, and -1 is returned with a message in err naming
 * the file and the cause. */
int fileutil_replace(const char *path, int (*fill)(FILE *f, void *arg),
		     void *arg, char *err, size_t errlen);

/* fsync the directory holding path. 0 or -1 (errno). */
int fileutil_sync_dir(const char *path);

/* For a forced exit (a second signal): remove the temporary files of
 * replacements in progress in any thread, and keep any from starting. The
 * caller then _exit()s. */
void fileutil_remove_temps(void);

#endif
