/* runbin.h — running the real hnbatch binary from a test.
 *
 * The binary is $HNBATCH_BIN (default "./hnbatch"). It runs in its own
 * session (and so process group) with stdin from a pipe (or /dev/null),
 * stdout and stderr into pipes that are read as the child writes (poll(2)
 * on all of them, so a large output never deadlocks), its signal
 * dispositions and mask reset, and the test's environment plus the extra
 * "NAME=VALUE" entries given.
 *
 * Waiting never sleeps for a fixed time: it polls the pipes (and a pidfd for
 * the child's exit) until the condition holds or the deadline passes.
 * Functions are meant for the test's own thread; one struct runbin is used by
 * one thread at a time. The first call ignores SIGPIPE in the test process
 * (writing a child's stdin after it exited must not kill the test). */
#ifndef HNBATCH_TESTS_RUNBIN_H
#define HNBATCH_TESTS_RUNBIN_H

#include <stddef.h>
#include <sys/types.h>

struct runbin_result {
	int exited;        /* 1: exited normally, `status` is its exit code */
	int status;        /* exit code, or -1 */
	int signal;        /* terminating signal, or 0 */
	int timed_out;     /* 1: we killed it (SIGKILL) at the deadline */
	char *out;         /* all of stdout, NUL-terminated (malloc'd) */
	size_t out_len;
	char *err;         /* all of stderr, NUL-terminated (malloc'd) */
	size_t err_len;
};

/* The binary run: $HNBATCH_BIN or "./hnbatch". */
const char *runbin_path(void);

/* Run the binary with args (NULL-terminated, without argv[0]), stdin_text
 * (NULL: /dev/null) and env (NULL-terminated "NAME=VALUE" entries added to or
 * overriding the test's environment; NULL for none). Waits up to timeout_ms;
 * past it the process group is killed with SIGKILL and timed_out set.
 * Returns 0 with *res filled (free it with runbin_result_free), or -1 when
 * the binary could not be started (message on stderr; *res zeroed). A
 * sanitizer report on the child's stderr fails the calling Check test
 * (here and in runbin_finish), whatever the exit status. */
int runbin_run(const char *const *args, const char *stdin_text,
	       const char *const *env, int timeout_ms,
	       struct runbin_result *res);

void runbin_result_free(struct runbin_result *res);

/* Asynchronous use. */
struct runbin;

/* Start the binary as runbin_run does. NULL (message on stderr) on failure. */
struct runbin *runbin_start(const char *const *args, const char *stdin_text,
			    const char *const *env);

pid_t runbin_pid(const struct runbin *rb);

/* Send sig to the child (not its group). 0, or -1 once it has been reaped. */
int runbin_kill(struct runbin *rb, int sig);

/* What the child wrote so far (NUL-terminated; valid until the next call on
 * rb). */
const char *runbin_stdout(const struct runbin *rb, size_t *len);
const char *runbin_stderr(const struct runbin *rb, size_t *len);

/* 1 once the child has exited and its pipes were drained. */
int runbin_exited(const struct runbin *rb);

/* Read output until stderr (or stdout) contains needle. Returns 1 when found,
 * 0 when the deadline passed or the child exited (and its output was
 * drained) without it. */
int runbin_wait_stderr(struct runbin *rb, const char *needle, int timeout_ms);
int runbin_wait_stdout(struct runbin *rb, const char *needle, int timeout_ms);

/* Read output until cond(rb, arg) returns non-zero. cond is evaluated after
 * each read, and at least every poll_ms (so it may watch things outside the
 * pipes, e.g. a fake API's counters). Returns 1 when it held, 0 on the
 * deadline or when the child exited with cond still false. */
int runbin_wait_until(struct runbin *rb,
		      int (*cond)(struct runbin *rb, void *arg), void *arg,
		      int poll_ms, int timeout_ms);

/* Wait for the child to exit (SIGKILL to its group at the deadline), drain
 * its output into *res, kill every process left in its session (what it
 * started: alert commands and their children) and wait until they are
 * gone, and free rb. Returns 0, or -1 when waiting failed. */
int runbin_finish(struct runbin *rb, int timeout_ms,
		  struct runbin_result *res);

/* Describe a result for a failure message: "exit 2", "killed by signal 9
 * (timeout)"... Static buffer per thread. */
const char *runbin_describe(const struct runbin_result *res);

#endif
