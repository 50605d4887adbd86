/* run.h — one whole run of hnbatch: resolve roots, crawl (once or on a fixed
 * period), write results, deliver alerts, and choose the exit status.
 * Main thread. */
#ifndef HNBATCH_RUN_H
#define HNBATCH_RUN_H

#include "cli.h"

#define EXIT_PARTIAL 1
#define EXIT_USAGE 2

/* Returns the process exit status. */
int run_main(const struct config *cfg);

#endif
