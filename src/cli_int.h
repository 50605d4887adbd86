/* cli_int.h — the option table shared by cli.c (parsing) and
 * cli_usage.c (--help).  Private to the two: main thread only. */
#ifndef HNBATCH_CLI_INT_H
#define HNBATCH_CLI_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* The sections of --help, in order. */
enum group { G_INPUT, G_CRAWL, G_OUTPUT, G_ALERTS, G_PERIODIC, G_OTHER,
	     NGROUPS };

struct opt;

/* Parses arg (NULL for an option without one) and stores it. Returns 0,
 * -1 on a bad value (message printed), 1 when the run is over (exit 0). */
typedef int setter(const struct opt *o, const char *arg, struct config *cfg);

/* One option: how it is spelled, shown in --help, parsed and stored. */
struct opt {
	const char *name;       /* long name, without "--" */
	char letter;            /* short option, or 0 */
	const char *arg;        /* its argument in --help; NULL: takes none */
	enum group group;       /* its --help section */
	const char *dflt;       /* default, as text given to set; NULL: none */
	const char *help;       /* NULL: shown on the previous row's line */
	setter *set;
	size_t off, size;       /* the struct config field it sets: FIELD() */
	uint64_t lo, hi;        /* set_num: the range; set_flag: lo is stored;
				 * set_secs: lo = 1 when 0 is allowed */
};

extern const struct opt cli_opts[];     /* cli.c: every option, in order */
extern const size_t cli_nopts;

#endif
