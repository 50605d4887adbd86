/* fdlimit.h — the open-files limit against what a run needs: every request
 * in flight holds a socket. Main thread, before any thread starts. */
#ifndef HNBATCH_FDLIMIT_H
#define HNBATCH_FDLIMIT_H

#include <stddef.h>

/* Raise the soft RLIMIT_NOFILE to the hard one. When `want` descriptors
 * (requests in flight) do not fit beside `reserve` others, return how many
 * do (at least 1) and say why once on stderr, naming `what` (the option
 * that asked, e.g. "-c 512"); else return want. Also grows the process's
 * descriptor table to what fits (at most FDLIMIT_TABLE_MAX): call it
 * before any thread starts (fdlimit.c says why). */
#define FDLIMIT_TABLE_MAX 65536
size_t fdlimit_fit(size_t want, size_t reserve, const char *what);

#endif
