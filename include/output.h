/* output.h — writing results as table, JSON lines or CSV.  Called from the
 * main thread only. */
#ifndef HNBATCH_OUTPUT_H
#define HNBATCH_OUTPUT_H

#include <stddef.h>
#include <stdio.h>
#include "result.h"

enum out_format { OUT_TABLE = 0, OUT_JSONL, OUT_CSV };

struct output_opts {
	enum out_format format;
	size_t width;          /* table: terminal columns to fit; 0: no limit */
	int with_previous;     /* add the `previous` field/column */
	long iteration;        /* >= 0: add `iteration` (periodic mode) */
	int with_changed_at;   /* add `changed_at` (--watch), ISO 8601 UTC */
	int header;            /* csv/table: write the header row */
};

/* Parse "table" | "jsonl" | "csv"; returns 0 or -1. */
int output_parse_format(const char *s, enum out_format *f);

/* Write n results. Returns 0, or -1 when writing to f failed (errno set). */
int output_write(FILE *f, const struct root_result *r, size_t n,
		 const struct output_opts *o);

/* Write n results to path (replaced atomically; symlinks followed; a
 * device, FIFO or socket written directly: fileutil_replace), or to
 * standard output when path is NULL, where a table is fitted to the
 * terminal's width. Returns 0, or -1 after logging what failed. */
int output_to(const char *path, const struct root_result *r, size_t n,
	      const struct output_opts *o);

#endif
