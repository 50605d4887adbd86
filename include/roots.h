/* roots.h — the roots of a run from the command line: the ids files (read
 * once, before anything is fetched: a bad line stops the run), --id and
 * --url, merged in input order with the story lists of an iteration.
 * Main thread only. */
#ifndef HNBATCH_ROOTS_H
#define HNBATCH_ROOTS_H

#include "cli.h"
#include "lists.h"
#include "u64set.h"

struct roots {
	const struct config *cfg;
	struct u64set *files;     /* per source; used for SRC_FILE */
};

/* Read every FILE source. Returns 0, or -1 with a message on stderr
 * naming FILE:LINE (exit 2). roots_free in both cases. */
int roots_read(struct roots *r, const struct config *cfg);
void roots_free(struct roots *r);

/* Every root of the command line in input order into out; a list source
 * takes lists_ids(l, k) for the k-th list (l NULL: the lists are left
 * out). Returns 0, or -1 when memory ran out or a list was not had. */
int roots_merge(const struct roots *r, const struct lists *l,
		struct u64set *out);

#endif
