/* statefile.h — the --state file's format: a strict reader that streams
 * the file (no tree of the whole document, memory bounded by a buffer)
 * and the writer. The table the entries go into is state.c's.
 *
 * Version 2, as written (one root per line, ids in increasing order):
 *   {"version":2,"roots":{
 *   "8863":{"comments":71,"alerted":false,"seen":20417},
 *   "8917":{"comments":null,"alerted":true,"seen":20410}
 *   }}
 * `comments` is an integer >= 0, or null when the root was alerted but
 * never counted to the end; `seen` is the Unix day (days since 1970-01-01
 * UTC) of the last run that had the root. Version 1 (hnbatch 0.1.0) is the
 * same without `seen`. The reader takes either version, in any layout
 * (blanks, member order), ignores members it does not know, and treats an
 * entry without `seen` as seen on the day it is read.
 *
 * Pure functions over the caller's FILE and buffers; any thread. */
#ifndef HNBATCH_STATEFILE_H
#define HNBATCH_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STATEFILE_VERSION 2

/* One root as the file holds it. */
struct statefile_row {
	uint64_t id;
	int64_t comments;        /* -1: null (unknown) */
	int64_t seen;            /* Unix day; -1: absent (a version-1 file) */
	bool alerted;
};

/* Called for each root in file order; returns 0, or -1 to stop the read
 * (out of memory). A root given twice in a file comes twice. */
typedef int statefile_add(const struct statefile_row *row, void *arg);

/* Read a whole state file from f (read to its end, a buffer at a time).
 * Returns 0 when f held exactly one JSON document (jsoncheck.h) of the
 * shape above; -1 otherwise, with the reason in why: "empty file...",
 * "not JSON: REASON at byte N", "truncated JSON...", "line L: root ID:
 * expected ...", "not a hnbatch state file...", "out of memory", or a read
 * error. Roots handed to add before an error stay the caller's to drop. */
int statefile_read(FILE *f, statefile_add *add, void *arg, char *why,
		   size_t whylen);

/* Write n rows (the caller sorts them) as a version-2 file. Returns 0, or
 * -1 when writing to f failed. */
int statefile_write(FILE *f, const struct statefile_row *rows, size_t n);

#endif
