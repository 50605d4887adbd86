/* spawn.c — one shell command as a child process (see spawn.h).
 *
 * Threads: a struct spawn belongs to the thread driving it; any thread may
 * spawn. The only shared state is the registry of process groups, guarded
 * by reg_mu. The pipe is made O_CLOEXEC and the child closes every fd above
 * 2, so a command started by one thread never holds the pipe of another's.
 *
 * Start: fork + execve("/bin/sh", "-c", CMD) — CMD is the caller's text,
 * run as given. The parent waits for the exec (an error pipe), so a
 * failure to run the shell is reported at once. The child gets an empty
 * signal mask and default SIGPIPE, SIGINT and SIGTERM (hnbatch blocks
 * INT/TERM and ignores PIPE), its own process group (a ^C at the terminal
 * does not reach it, and a timeout can kill the whole group), the pipe as
 * stdin, our stderr as stdout, and PR_SET_PDEATHSIG. It waits on a `go`
 * pipe until the parent has set and registered its process group. (Not
 * posix_spawn: it has no attribute for prctl() nor for that wait, and with
 * -Iinclude this module's header hides <spawn.h>.)
 *
 * Events: a pidfd (Linux pidfd_open) becomes readable when the child exits;
 * without one the caller polls spawn_reap(). The stdin pipe's write end is
 * non-blocking; spawn_write() writes what fits.
 *
 * End: spawn_reap() (WNOHANG) or spawn_release(), which kills the group and
 * waits for a command not reaped yet, so no child outlives its struct.
 *
 * What a command leaves behind: the child is made with PR_SET_PDEATHSIG
 * (SIGKILL), so it dies with the thread that spawned it, even when hnbatch
 * is SIGKILLed. The first spawn makes this process a child subreaper
 * (PR_SET_CHILD_SUBREAPER): a command's children orphaned by its shell's
 * exit, setsid escapees included, become ours instead of init's. Every
 * group spawned is remembered (`groups`, under reg_mu: the spawning thread
 * adds and reaps, the signal thread may kill; reg_mu is held from before
 * fork() to the registration) until it is found empty;
 * spawn_reap_orphans() reaps what is ours in groups whose shell was
 * reaped, spawn_kill_all() kills every group and closes spawning (a second
 * signal), and
 * spawn_sweep() at the end kills the groups and every child we adopted,
 * and reaps them. Out of reach: the children of a command after hnbatch
 * itself was SIGKILLed (only the shell gets the parent-death signal; its
 * children go to init), and a daemon that double-forks into a session of
 * its own while its parent is still running and hnbatch then dies. */
#include "spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

/* The process groups spawned whose members may still be alive; guarded
 * by reg_mu. reaped: the shell (the group's leader) was reaped, so
 * waitpid(-pgid) can take nothing a caller still waits for. */
struct group {
	pid_t pgid;
	bool reaped;
};
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct group *groups;
static size_t ngroups, capgroups;
static bool closed;               /* spawn_kill_all() was called */
static pthread_once_t reaper_once = PTHREAD_ONCE_INIT;

/* Orphans of our commands' children come to us, not to init: they can be
 * killed and reaped (spawn_sweep). */
static void become_reaper(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

/* Remember group pgid (best effort: without memory it is not swept).
 * reg_mu is held. */
static void reg_add(pid_t pgid)
{
	if (ngroups == capgroups) {
		size_t cap = capgroups ? capgroups * 2 : 16;
		struct group *g = realloc(groups, cap * sizeof *g);
		if (g) {
			groups = g;
			capgroups = cap;
		}
	}
	if (ngroups < capgroups)
		groups[ngroups++] = (struct group){ pgid, false };
}

static void reg_reaped(pid_t pgid)
{
	pthread_mutex_lock(&reg_mu);
	for (size_t i = 0; i < ngroups; i++)
		if (groups[i].pgid == pgid)
			groups[i].reaped = true;
	pthread_mutex_unlock(&reg_mu);
}

/* A pidfd for pid. pidfd_open has no libc wrapper here, so a thread
 * sanitizer does not see the descriptor made: its number may have been
 * another thread's socket a moment before, and TSan took the close of the
 * pidfd for a race with that thread's last use of the socket (seen in
 * check_watch under TSan). So the pidfd is moved onto a descriptor made
 * by a call TSan does see (an eventfd, replaced in place by dup3), and
 * the raw one is closed as unseen as it was made. */
static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	int raw = (int)syscall(SYS_pidfd_open, pid, 0);
	if (raw < 0)
		return -1;
	int fd = eventfd(0, EFD_CLOEXEC);
	if (fd < 0)
		return raw;
	if (syscall(SYS_dup3, raw, fd, O_CLOEXEC) < 0) {
		close(fd);
		return raw;
	}
	syscall(SYS_close, raw);
	return fd;
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* The child between fork and exec: only async-signal-safe calls (other
 * threads may hold locks). It dies with the thread that spawned it, even
 * by SIGKILL (if that happened already, now). Its own process group; empty
 * signal mask and default SIGPIPE, SIGINT, SIGTERM; stdin from `in`, stdout
 * to our stderr; no fd above 2 but the exec error pipe `ep` (close-on-exec:
 * EOF tells the parent the exec worked, an errno written to it that it
 * failed). It runs nothing before the parent, having registered its group,
 * closes the `go` pipe. */
static void child(pid_t parent, int in, const int go[2], int ep,
		  const char *cmd, char *const envp[])
{
	static const int dfl[] = { SIGPIPE, SIGINT, SIGTERM };
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	char c;
	int e;

	errno = ESRCH;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		goto fail;
	setpgid(0, 0);
	close(go[1]); /* then EOF comes when the parent closes its end */
	while (read(go[0], &c, 1) < 0 && errno == EINTR)
		;
	for (size_t i = 0; i < sizeof dfl / sizeof dfl[0]; i++)
		sigaction(dfl[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* in and ep are >= 3: 0-2 are always held (main, tu_run) */
	if (dup2(in, 0) < 0 || dup2(2, 1) < 0)
		goto fail;
	if (ep > 3)
		syscall(SYS_close_range, 3, ep - 1, 0);
	syscall(SYS_close_range, ep + 1, ~0U, 0);
	execve("/bin/sh", argv, envp);
fail:
	e = errno;
	if (write(ep, &e, sizeof e) < 0)
		_exit(127);
	_exit(127);
}

/* Fork the child, register its group, let it go and wait for its exec.
 * Returns the pid, or -1 with the error number in *e. */
static pid_t fork_exec(int in, const char *cmd, char *const envp[], int *e)
{
	int ep[2] = { -1, -1 }, go[2] = { -1, -1 };
	pid_t pid = -1;
	if (pipe2(ep, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) {
		*e = errno;
		goto out;
	}
	/* reg_mu from before the fork to the group's registration: a
	 * spawn_kill_all() either comes first (and no command starts) or
	 * finds the group (the child's only calls are async-signal-safe; it
	 * never touches the mutex) */
	pthread_mutex_lock(&reg_mu);
	pid_t parent = getpid();
	pid = closed ? (errno = ECANCELED, -1) : fork();
	if (pid == 0)
		child(parent, in, go, ep[1], cmd, envp);
	*e = errno;
	if (pid > 0) {
		/* as the child does: whichever runs first, the group exists
		 * and is registered before the command runs */
		setpgid(pid, pid);
		reg_add(pid);
	}
	pthread_mutex_unlock(&reg_mu);
	if (pid < 0)
		goto out;
	close(go[1]);
	go[1] = -1;
	close(ep[1]);
	ep[1] = -1;
	ssize_t n;
	while ((n = read(ep[0], e, sizeof *e)) < 0 && errno == EINTR)
		;
	if (n > 0) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		reg_reaped(pid);
		pid = -1;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (ep[i] >= 0)
			close(ep[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	return pid;
}

int spawn_start(struct spawn *s, const char *cmd, char *const envp[],
		const char *in, size_t in_len, char *why, size_t whylen)
{
	int rc = -1, e, p[2] = { -1, -1 };

	*s = (struct spawn){ .pidfd = -1, .infd = -1 };
	pthread_once(&reaper_once, become_reaper);
	if (!(s->in = malloc(in_len ? in_len : 1))) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	memcpy(s->in, in, in_len);
	s->in_len = in_len;
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		goto out;
	}
	pid_t pid = fork_exec(p[0], cmd, envp, &e);
	if (pid < 0) {
		snprintf(why, whylen, "cannot run /bin/sh: %s", strerror(e));
		goto out;
	}
	s->pid = pid;
	s->started_ms = clock_now_ms();
	s->infd = p[1];
	p[1] = -1;
	fcntl(s->infd, F_SETFL, fcntl(s->infd, F_GETFL) | O_NONBLOCK);
	s->pidfd = pidfd_open_(s->pid);
	if (s->pidfd >= 0)
		fcntl(s->pidfd, F_SETFD, FD_CLOEXEC);
	rc = 0;
out:
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	if (rc != 0) {
		free(s->in);
		s->in = NULL;
	}
	return rc;
}

int spawn_write(struct spawn *s)
{
	while (s->infd >= 0 && s->in_off < s->in_len) {
		ssize_t w = write(s->infd, s->in + s->in_off,
				  s->in_len - s->in_off);
		if (w > 0) {
			s->in_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		break; /* EPIPE: the command stopped reading; its status
		          decides */
	}
	return 1;
}

void spawn_close_stdin(struct spawn *s)
{
	if (s->infd >= 0)
		close(s->infd);
	s->infd = -1;
}

void spawn_close_pidfd(struct spawn *s)
{
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pidfd = -1;
}

int spawn_reap(struct spawn *s, int *status)
{
	if (s->pid <= 0) {
		errno = ECHILD;
		return -1;
	}
	pid_t r = waitpid(s->pid, status, WNOHANG);
	if (r == 0 || (r < 0 && errno == EINTR))
		return 0;
	int e = errno;
	reg_reaped(s->pid);
	s->pid = 0;
	errno = e;
	return r < 0 ? -1 : 1;
}

void spawn_kill(struct spawn *s)
{
	if (s->pid > 0)
		kill(-s->pid, SIGKILL);
	s->killed = true;
}

int spawn_describe(int status, char *why, size_t whylen)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		snprintf(why, whylen, "exit status 0");
		return 1;
	}
	if (WIFEXITED(status))
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(why, whylen, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(why, whylen, "wait status %d", status);
	return 0;
}

void spawn_release(struct spawn *s)
{
	if (s->pid > 0) {
		kill(-s->pid, SIGKILL);
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
		reg_reaped(s->pid);
		s->pid = 0;
	}
	spawn_close_stdin(s);
	spawn_close_pidfd(s);
	free(s->in);
	s->in = NULL;
}

void spawn_reap_orphans(void)
{
	pthread_mutex_lock(&reg_mu);
	for (size_t i = 0; i < ngroups;) {
		struct group *g = &groups[i];
		while (g->reaped && waitpid(-g->pgid, NULL, WNOHANG) > 0)
			;
		if (g->reaped && kill(-g->pgid, 0) != 0 && errno == ESRCH)
			*g = groups[--ngroups]; /* empty: forget it */
		else
			i++;
	}
	pthread_mutex_unlock(&reg_mu);
}

void spawn_kill_all(void)
{
	pthread_mutex_lock(&reg_mu);
	closed = true;
	for (size_t i = 0; i < ngroups; i++)
		kill(-groups[i].pgid, SIGKILL);
	pthread_mutex_unlock(&reg_mu);
}

/* SIGKILL every child of this process (adopted orphans, as a subreaper:
 * setsid escapees among them). Returns how many were found alive. */
static size_t kill_children(void)
{
	pid_t me = getpid();
	size_t n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[300], buf[512];
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "re");
		size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		if (f)
			fclose(f);
		buf[len] = '\0';
		char *p = strrchr(buf, ')'), state;
		int ppid;
		if (p && sscanf(p + 1, " %c %d", &state, &ppid) == 2 &&
		    ppid == me && state != 'Z') {
			kill(pid, SIGKILL);
			n++;
		}
	}
	if (d)
		closedir(d);
	return n;
}

void spawn_sweep(int ms)
{
	double end = clock_now_ms() + ms;
	pthread_mutex_lock(&reg_mu);
	for (size_t i = 0; i < ngroups; i++)
		groups[i].reaped = true; /* waitpid(-1) below takes any */
	pthread_mutex_unlock(&reg_mu);
	for (;;) {
		spawn_kill_all();
		size_t alive = kill_children();
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		spawn_reap_orphans();
		pthread_mutex_lock(&reg_mu);
		size_t left = ngroups;
		pthread_mutex_unlock(&reg_mu);
		if ((!alive && !left) || clock_now_ms() > end)
			break;
		poll(NULL, 0, 2); /* killed processes take a moment to die */
	}
}
