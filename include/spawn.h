/* spawn.h — one shell command as a child process that the caller's event
 * loop drives: `/bin/sh -c CMD` with a given environment and a given stdin
 * text, in its own process group, its stdout sent to our stderr, no fd above
 * 2, an empty signal mask and default SIGPIPE, SIGINT and SIGTERM.
 *
 * The caller watches the fds in struct spawn (a pidfd readable when the
 * child exits; the stdin pipe's write end, non-blocking, while stdin text is
 * left), calls spawn_write() when stdin is writable and spawn_reap() when
 * the pidfd is readable (or every ~20 ms without a pidfd), kills an overdue
 * command's whole group with spawn_kill(), and ends with spawn_release().
 * It knows nothing of what the command is for.
 *
 * A command dies with the thread that spawned it (PR_SET_PDEATHSIG), so
 * that thread reaps its commands before it ends. The first spawn makes the
 * process a child subreaper: what a command leaves running when its shell
 * exits becomes ours, and spawn_sweep() kills and reaps it at the end.
 * SIGPIPE must be ignored or blocked by the caller (stdin writes).
 *
 * Threads: a struct spawn belongs to one thread at a time; any thread may
 * spawn. A registry of the process groups spawned is shared (one mutex). */
#ifndef HNBATCH_SPAWN_H
#define HNBATCH_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct spawn {
	pid_t pid;          /* the shell, also its process group id; 0: none */
	int pidfd;          /* readable once it exited; -1: none (poll) */
	int infd;           /* stdin pipe while text is left; -1: closed */
	char *in;           /* the stdin text (a copy) */
	size_t in_len, in_off;
	double started_ms;  /* clock_now_ms() when it started */
	bool killed;        /* spawn_kill() was called */
};

/* Start `/bin/sh -c cmd` with environment envp (NULL-terminated) and the
 * in_len bytes at `in` on its stdin (copied). Returns 0 with *s filled, or
 * -1 with *s empty (pid 0, no fds) and a reason in why. Then call
 * spawn_write() once: the text may fit the pipe at once. */
int spawn_start(struct spawn *s, const char *cmd, char *const envp[],
		const char *in, size_t in_len, char *why, size_t whylen);

/* Write what the stdin pipe takes. Returns 0 while text is left (wait until
 * s->infd is writable), 1 when stdin is finished (all written, or the
 * command stopped reading: its exit status decides): the caller then stops
 * watching s->infd and calls spawn_close_stdin(). */
int spawn_write(struct spawn *s);

/* Close the stdin pipe (the command sees EOF) / the pidfd (the caller then
 * polls spawn_reap). The caller has stopped watching the fd. */
void spawn_close_stdin(struct spawn *s);
void spawn_close_pidfd(struct spawn *s);

/* Reap the command if it has exited (waitpid WNOHANG). Returns 1 with its
 * wait status in *status (s->pid is 0 then), 0 while it runs, -1 when
 * waiting failed (errno; s->pid is 0 then: nothing left to reap). */
int spawn_reap(struct spawn *s, int *status);

/* SIGKILL to the command's whole process group (it is reaped later). */
void spawn_kill(struct spawn *s);

/* Describe a wait status in why: "exit status 3", "killed by signal 9".
 * Returns 1 when it is a success (exit status 0), else 0. */
int spawn_describe(int status, char *why, size_t whylen);

/* Close what s still holds; a command not reaped yet is killed (its group)
 * and reaped first. The caller has stopped watching the fds. The group's
 * other members, if any, are left to spawn_sweep(). */
void spawn_release(struct spawn *s);

/* Reap what is ours and dead in the groups of reaped commands (a command's
 * background children, adopted), and forget the groups found empty. For
 * the spawning thread, now and then. */
void spawn_reap_orphans(void);

/* SIGKILL every process group spawned that may still have members, and
 * refuse every later spawn_start (ECANCELED): for a process about to exit
 * at once. Any thread (the signal thread). Reaps nothing. */
void spawn_kill_all(void);

/* The end: kill every group spawned and every child this process adopted,
 * reap them all (waitpid(-1): call it once no command is waited for any
 * more), until none is left or ms passed. */
void spawn_sweep(int ms);

#endif
