/* runbin.c — running the hnbatch binary under test (see runbin.h).
 *
 * One thread (the test's) drives everything: fork + execve start the child
 * (the child makes only async-signal-safe calls before exec, with an
 * environment built beforehand: safe where fake-API threads run), and
 * pump() makes one poll(2) round over the child's stdin, stdout, stderr and
 * a pidfd that becomes readable when it exits (without pidfd support the
 * round is capped at 20 ms and waitpid(WNOHANG) checked each time). Once the
 * child is reaped the pipes are drained without blocking — whatever it wrote
 * is already in them — and closed, so a grandchild keeping a pipe open
 * cannot hold a test up. Nothing here is shared between threads.
 *
 * The child is a session leader (setsid), so every process it starts that
 * does not leave on purpose — alert commands are in process groups of
 * their own, but in its session — can be found after it ended:
 * runbin_finish() kills whatever is left in the session, and waits until
 * none of it is alive, so nothing a test started outlives it. */
#include "runbin.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct buf {
	char *p;
	size_t len, cap;
};

struct runbin {
	pid_t pid;
	int pidfd;                 /* -1: not supported */
	int in_fd, out_fd, err_fd; /* -1 once closed */
	char *in;                  /* stdin text still to write */
	size_t in_len, in_pos;
	struct buf out, err;
	int reaped, wstatus;
	int timed_out;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *runbin_path(void)
{
	const char *p = getenv("HNBATCH_BIN");

	return p && *p ? p : "./hnbatch";
}

static int buf_init(struct buf *b)
{
	b->cap = 4096;
	b->len = 0;
	if (!(b->p = malloc(b->cap)))
		return -1;
	b->p[0] = '\0';
	return 0;
}

/* Read what is available from *fd into b; close *fd on EOF or error. */
static void drain(int *fd, struct buf *b)
{
	while (*fd >= 0) {
		if (b->cap - b->len < 65536 + 1) {
			size_t cap = b->cap * 2 + 65536;
			char *np = realloc(b->p, cap);
			if (!np) {
				close(*fd);
				*fd = -1;
				return;
			}
			b->p = np;
			b->cap = cap;
		}
		ssize_t n = read(*fd, b->p + b->len, b->cap - b->len - 1);
		if (n > 0) {
			b->len += (size_t)n;
			b->p[b->len] = '\0';
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close(*fd);           /* EOF or error */
		*fd = -1;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The child is reaped: take what it wrote (it is all in the pipes) and
 * close every descriptor kept for it. */
static void release(struct runbin *rb)
{
	close_fd(&rb->pidfd);
	close_fd(&rb->in_fd);
	drain(&rb->out_fd, &rb->out);
	drain(&rb->err_fd, &rb->err);
	close_fd(&rb->out_fd);
	close_fd(&rb->err_fd);
}

static void try_reap(struct runbin *rb)
{
	if (rb->reaped)
		return;
	pid_t p = waitpid(rb->pid, &rb->wstatus, WNOHANG);
	if (p == rb->pid || (p < 0 && errno == ECHILD)) {
		if (p < 0)
			rb->wstatus = -1;
		rb->reaped = 1;
		release(rb);
	}
}

/* One round: wait up to timeout_ms for output, room on stdin or the exit. */
static void pump(struct runbin *rb, int timeout_ms)
{
	struct pollfd pf[4];
	int n = 0, iin = -1, iout = -1, ierr = -1, ipid = -1;

	if (rb->reaped)
		return;
	if (rb->in_fd >= 0) {
		pf[iin = n++] = (struct pollfd){ .fd = rb->in_fd,
						 .events = POLLOUT };
	}
	if (rb->out_fd >= 0)
		pf[iout = n++] = (struct pollfd){ .fd = rb->out_fd,
						  .events = POLLIN };
	if (rb->err_fd >= 0)
		pf[ierr = n++] = (struct pollfd){ .fd = rb->err_fd,
						  .events = POLLIN };
	if (rb->pidfd >= 0)
		pf[ipid = n++] = (struct pollfd){ .fd = rb->pidfd,
						  .events = POLLIN };
	else if (timeout_ms < 0 || timeout_ms > 20)
		timeout_ms = 20;
	if (timeout_ms < 0)
		timeout_ms = 0;
	int rc = poll(pf, (nfds_t)n, timeout_ms);
	if (rc < 0 && errno != EINTR) {
		perror("runbin: poll");
		return;
	}
	if (rc > 0) {
		if (iin >= 0 && pf[iin].revents) {
			ssize_t w = write(rb->in_fd, rb->in + rb->in_pos,
					  rb->in_len - rb->in_pos);
			if (w > 0)
				rb->in_pos += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
			    rb->in_pos == rb->in_len)
				close_fd(&rb->in_fd);
		}
		if (iout >= 0 && pf[iout].revents)
			drain(&rb->out_fd, &rb->out);
		if (ierr >= 0 && pf[ierr].revents)
			drain(&rb->err_fd, &rb->err);
	}
	if (rb->pidfd < 0 || (ipid >= 0 && rc > 0 && pf[ipid].revents) ||
	    (rb->out_fd < 0 && rb->err_fd < 0))
		try_reap(rb);
}

static void ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* environ plus the extra entries ("NAME=VALUE" overrides, "NAME" removes).
 * The array is malloc'd; its strings are not copied. */
static char **make_env(const char *const *extra)
{
	size_t n = 0, m = 0, k = 0;

	for (char **e = environ; e && *e; e++)
		n++;
	for (const char *const *x = extra; x && *x; x++)
		m++;
	char **env = malloc((n + m + 1) * sizeof *env);
	if (!env)
		return NULL;
	for (char **e = environ; e && *e; e++) {
		size_t nl = strcspn(*e, "=");
		int skip = 0;
		for (const char *const *x = extra; x && *x && !skip; x++)
			skip = strcspn(*x, "=") == nl && !strncmp(*x, *e, nl);
		if (!skip)
			env[k++] = *e;
	}
	for (const char *const *x = extra; x && *x; x++)
		if (strchr(*x, '='))
			env[k++] = (char *)*x;
	env[k] = NULL;
	return env;
}

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* The child between fork and exec: only async-signal-safe calls (the test
 * process has fake-API threads). It dies with the test (PR_SET_PDEATHSIG):
 * a test that fails half-way never leaves a --period run behind. It keeps
 * no descriptor of the test's but 0-2: an inherited pipe of make's or
 * Check's would hold them open after the test is gone. An exec error is
 * written to `ep` (close-on-exec: EOF means the exec worked). */
static void child(pid_t parent, int in, int out, int err, int ep,
		  const char *bin, char **argv, char **envp)
{
	static const int dfl_sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP,
		SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM };
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int e;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127);
	setsid(); /* its own session and process group */
	/* in/out/err are >= 3 (tu_run() holds 0-2), so no dup2 clobbers a
	 * source still to be used. */
	if (in < 0)
		in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof dfl_sigs / sizeof dfl_sigs[0]; i++)
		sigaction(dfl_sigs[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* everything above 2 but the error pipe: close-on-exec */
	if (ep > 3)
		syscall(SYS_close_range, 3, ep - 1, 0);
	syscall(SYS_close_range, ep + 1, ~0U, 0);
	execve(bin, argv, envp);
fail:
	e = errno;
	if (write(ep, &e, sizeof e) < 0)
		_exit(127);
	_exit(127);
}

struct runbin *runbin_start(const char *const *args, const char *stdin_text,
			    const char *const *env)
{
	struct runbin *rb = calloc(1, sizeof *rb);
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 },
	    pexec[2] = { -1, -1 };
	char **argv = NULL, **envp = NULL;
	size_t nargs = 0;
	const char *bin = runbin_path();

	ignore_sigpipe();
	if (!rb)
		return NULL;
	rb->pidfd = rb->in_fd = rb->out_fd = rb->err_fd = -1;
	if (buf_init(&rb->out) || buf_init(&rb->err))
		goto fail;
	for (const char *const *a = args; a && *a; a++)
		nargs++;
	if (!(argv = malloc((nargs + 2) * sizeof *argv)))
		goto fail;
	argv[0] = (char *)bin;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = (char *)args[i];
	argv[nargs + 1] = NULL;
	if (!(envp = make_env(env)))
		goto fail;
	if (stdin_text) {
		rb->in_len = strlen(stdin_text);
		if (!(rb->in = strdup(stdin_text)) || pipe2(pin, O_CLOEXEC))
			goto fail;
	}
	if (pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC) ||
	    pipe2(pexec, O_CLOEXEC))
		goto fail;
	pid_t parent = getpid();
	rb->pid = fork();
	if (rb->pid < 0) {
		perror("runbin: fork");
		goto fail;
	}
	if (rb->pid == 0)
		child(parent, pin[0], pout[1], perr[1], pexec[1], bin, argv,
		      envp);
	close_fd(&pexec[1]);
	int e = 0;
	ssize_t n;
	while ((n = read(pexec[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close_fd(&pexec[0]);
	if (n > 0) {
		fprintf(stderr, "runbin: cannot run %s: %s\n", bin,
			strerror(e));
		waitpid(rb->pid, NULL, 0);
		goto fail;
	}
#ifdef SYS_pidfd_open
	rb->pidfd = (int)syscall(SYS_pidfd_open, rb->pid, 0);
	if (rb->pidfd >= 0)
		fcntl(rb->pidfd, F_SETFD, FD_CLOEXEC);
#endif
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	rb->in_fd = pin[1];
	rb->out_fd = pout[0];
	rb->err_fd = perr[0];
	pin[1] = pout[0] = perr[0] = -1;
	if ((rb->in_fd >= 0 && nonblock(rb->in_fd)) || nonblock(rb->out_fd) ||
	    nonblock(rb->err_fd))
		perror("runbin: fcntl");
	if (rb->in_fd >= 0 && rb->in_len == 0)
		close_fd(&rb->in_fd);
	free(argv);
	free(envp);
	return rb;
fail:
	for (int i = 0; i < 2; i++) {
		close_fd(&pin[i]);
		close_fd(&pout[i]);
		close_fd(&perr[i]);
		close_fd(&pexec[i]);
	}
	free(argv);
	free(envp);
	free(rb->in);
	free(rb->out.p);
	free(rb->err.p);
	free(rb);
	return NULL;
}

pid_t runbin_pid(const struct runbin *rb)
{
	return rb->pid;
}

int runbin_kill(struct runbin *rb, int sig)
{
	if (rb->reaped)
		return -1;
	return kill(rb->pid, sig);
}

const char *runbin_stdout(const struct runbin *rb, size_t *len)
{
	if (len)
		*len = rb->out.len;
	return rb->out.p;
}

const char *runbin_stderr(const struct runbin *rb, size_t *len)
{
	if (len)
		*len = rb->err.len;
	return rb->err.p;
}

int runbin_exited(const struct runbin *rb)
{
	return rb->reaped;
}

int runbin_wait_until(struct runbin *rb,
		      int (*cond)(struct runbin *rb, void *arg), void *arg,
		      int poll_ms, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		if (cond(rb, arg))
			return 1;
		if (rb->reaped)
			return 0;
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		if (poll_ms > 0 && left > poll_ms)
			left = poll_ms;
		pump(rb, (int)left);
	}
}

static int has_err(struct runbin *rb, void *needle)
{
	return strstr(rb->err.p, needle) != NULL;
}

static int has_out(struct runbin *rb, void *needle)
{
	return strstr(rb->out.p, needle) != NULL;
}

int runbin_wait_stderr(struct runbin *rb, const char *needle, int timeout_ms)
{
	return runbin_wait_until(rb, has_err, (void *)needle, -1, timeout_ms);
}

int runbin_wait_stdout(struct runbin *rb, const char *needle, int timeout_ms)
{
	return runbin_wait_until(rb, has_out, (void *)needle, -1, timeout_ms);
}

/* Processes of session sid that are alive (not zombies), up to n of them
 * into pids. Returns how many were found. */
static size_t session_alive(pid_t sid, pid_t *pids, size_t n)
{
	DIR *d = opendir("/proc");
	size_t k = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) && k < n) {
		char path[300], buf[1024];
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t len = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		char *p = strrchr(buf, ')'), state;
		int ppid, pgrp, session;
		if (p && sscanf(p + 1, " %c %d %d %d", &state, &ppid, &pgrp,
				&session) == 4 && session == sid &&
		    state != 'Z')
			pids[k++] = pid;
	}
	if (d)
		closedir(d);
	return k;
}

/* Kill what is left of the binary's session and wait (at most 10 s) until
 * none of it is alive; killed orphans are reaped by init. */
static void kill_session(pid_t sid)
{
	long long until = now_ms() + 10000;
	pid_t pids[256];
	size_t n;
	while ((n = session_alive(sid, pids, 256)) > 0) {
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		if (now_ms() > until) {
			fprintf(stderr, "runbin: %zu processes of session %d "
				"survive SIGKILL\n", n, (int)sid);
			return;
		}
		poll(NULL, 0, 5); /* a killed process takes a moment */
	}
}

int runbin_finish(struct runbin *rb, int timeout_ms,
		  struct runbin_result *res)
{
	long long deadline = now_ms() + timeout_ms;
	int rc = 0;

	memset(res, 0, sizeof *res);
	while (!rb->reaped) {
		long long left = deadline - now_ms();
		if (left <= 0)
			break;
		pump(rb, (int)left);
	}
	if (!rb->reaped) {
		rb->timed_out = 1;
		kill(-rb->pid, SIGKILL);
		kill(rb->pid, SIGKILL);
		/* the group is dead: the exit shows up at once */
		long long until = now_ms() + 5000;
		while (!rb->reaped && now_ms() < until)
			pump(rb, 500);
		if (!rb->reaped) {
			if (waitpid(rb->pid, &rb->wstatus, 0) < 0) {
				rb->wstatus = -1;
				rc = -1;
			}
			rb->reaped = 1;
		}
	}
	release(rb);
	kill_session(rb->pid);
	res->timed_out = rb->timed_out;
	res->status = -1;
	if (rb->wstatus != -1 && WIFEXITED(rb->wstatus)) {
		res->exited = 1;
		res->status = WEXITSTATUS(rb->wstatus);
	} else if (rb->wstatus != -1 && WIFSIGNALED(rb->wstatus)) {
		res->signal = WTERMSIG(rb->wstatus);
	}
	res->out = rb->out.p;
	res->out_len = rb->out.len;
	res->err = rb->err.p;
	res->err_len = rb->err.len;
	free(rb->in);
	free(rb);
	/* UBSan carries on after a report and a run may be meant to fail
	 * anyway: whatever the exit status, a sanitizer report in the child
	 * fails the test. */
	const char *rep = strstr(res->err, "Sanitizer:");
	const char *ub = strstr(res->err, ": runtime error: ");
	if (!rep || (ub && ub < rep))
		rep = ub;
	if (rep) /* from the start of its line */
		while (rep > res->err && rep[-1] != '\n')
			rep--;
	ck_assert_msg(!rep, "sanitizer report from %s:\n%.4000s",
		      runbin_path(), rep);
	return rc;
}

int runbin_run(const char *const *args, const char *stdin_text,
	       const char *const *env, int timeout_ms,
	       struct runbin_result *res)
{
	struct runbin *rb = runbin_start(args, stdin_text, env);

	if (!rb) {
		memset(res, 0, sizeof *res);
		res->status = -1;
		return -1;
	}
	return runbin_finish(rb, timeout_ms, res);
}

void runbin_result_free(struct runbin_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}

const char *runbin_describe(const struct runbin_result *res)
{
	static _Thread_local char msg[96];

	if (res->exited)
		snprintf(msg, sizeof msg, "exit %d", res->status);
	else if (res->signal)
		snprintf(msg, sizeof msg, "killed by signal %d%s", res->signal,
			 res->timed_out ? " (timeout)" : "");
	else
		snprintf(msg, sizeof msg, "not started or lost");
	return msg;
}
