/* fdlimit.c — the open-files limit (see fdlimit.h). Main thread only.
 * One line at start-up says what to change, instead of a "Couldn't
 * connect" failure per request over the limit. */
#include "fdlimit.h"

#include <sys/resource.h>

#include "log.h"

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
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= reserve + want)
		return want;
	size_t fit = rl.rlim_cur > reserve + 1
		     ? (size_t)(rl.rlim_cur - reserve) : 1;
	log_error("too many open files for %s with ulimit -n %llu: using "
		  "%zu (lower it or raise ulimit -n)", what,
		  (unsigned long long)rl.rlim_cur, fit);
	return fit;
}
