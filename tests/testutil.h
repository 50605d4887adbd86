/* testutil.h — small helpers shared by the test suites: temporary
 * directories, whole-file reads, running a suite, driving a spawned
 * command. Test thread only, failures aborting the test through Check's
 * assertions; except tu_spawn_wait, which asserts nothing and may run on any
 * thread. */
#ifndef HNBATCH_TESTS_TESTUTIL_H
#define HNBATCH_TESTS_TESTUTIL_H

#include <stddef.h>

/* A new directory /tmp/NAME.XXXXXX (malloc'd path). */
char *tu_tmpdir(const char *name);

/* "DIR/NAME" (malloc'd). */
char *tu_path(const char *dir, const char *name);

/* The whole file, NUL-terminated (malloc'd), its length in *len when len is
 * not NULL; NULL when the file cannot be opened. */
char *tu_slurp(const char *path, size_t *len);

/* Remove dir and everything below it (symlinks are not followed). */
void tu_rm_rf(const char *dir);

/* Drive a command started with spawn_start() until it exits: its stdin
 * written as the pipe takes it, then reaped. Returns 1 with its wait status
 * in *status, 0 when timeout_ms passed first (the command still runs), -1
 * when waiting failed. SIGPIPE must be ignored or blocked. */
struct spawn;
int tu_spawn_wait(struct spawn *s, int *status, int timeout_ms);

/* Run a suite (verbosity from CK_VERBOSITY, default normal); the exit status
 * for main(): EXIT_SUCCESS when nothing failed. */
struct Suite;
int tu_run(struct Suite *s);

#endif
