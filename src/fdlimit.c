/* fdlimit.c — the open-files limit (see fdlimit.h). Main thread only.
 * One line at start-up says what to change, instead of a "Couldn't
 * connect" failure per request over the limit. */
#include "fdlimit.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"

/* Grow the descriptor table to hold n (at most FDLIMIT_TABLE_MAX) now;
 * past the soft limit the dup fails and nothing changes. The kernel grows
 * the table when a descriptor past its end is opened, and while threads
 * share it each growth waits for an RCU grace period (10-14 ms measured
 * here), blocking every thread that opens one; a top 5 crawl grew it four
 * times (64 -> 256 at start-up, then 512, 1,024, 2,048). Single-threaded,
 * growth is cheap. It never shrinks. */
static void grow_table(size_t n)
{
	if (n > FDLIMIT_TABLE_MAX)
		n = FDLIMIT_TABLE_MAX;
	if (n < 2)
		return;
	int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, (int)(n - 1));
	if (fd >= 0)
		close(fd);
}

size_t fdlimit_fit(size_t want, size_t reserve, const char *what)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= reserve + want) {
		grow_table(reserve + want);
		return want;
	}
	size_t fit = rl.rlim_cur > reserve + 1
		     ? (size_t)(rl.rlim_cur - reserve) : 1;
	log_error("too many open files for %s with ulimit -n %llu: using "
		  "%zu (lower it or raise ulimit -n)", what,
		  (unsigned long long)rl.rlim_cur, fit);
	grow_table(reserve + fit);
	return fit;
}
