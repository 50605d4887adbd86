/* ids.h — parsing item ids and HN links; ordered, de-duplicated id lists
 * (a struct u64set keeps its members in the order first added).
 * Pure functions: no threads, no I/O beyond the FILE* handed in. */
#ifndef HNBATCH_IDS_H
#define HNBATCH_IDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "u64set.h"

/* Largest id accepted: JSON numbers are exact up to 2^53. */
#define IDS_MAX (UINT64_C(1) << 53)

enum ids_err {
	IDS_OK = 0,
	IDS_EMPTY,        /* nothing but blanks */
	IDS_NOT_NUMBER,   /* "12ab", "abc" */
	IDS_NEGATIVE,     /* "-5" */
	IDS_ZERO,         /* "0": HN ids start at 1 */
	IDS_TOO_BIG,      /* > IDS_MAX */
	IDS_LINK_NO_ID,   /* an http(s) link without a usable id= parameter */
	IDS_LINE_TOO_LONG, /* ids_read_file: a line over IDS_LINE_MAX bytes */
};

/* The longest line ids_read_file accepts, in bytes, without its "\n" (a
 * CR before it counts): HN links are under 100 bytes; a longer line is not
 * an id but something else given by mistake (a binary file, /dev/zero). */
#define IDS_LINE_MAX 4096
#define IDS_LINE_MAX_TEXT "4096" /* the same, for messages */

/* Parse one id: a decimal number ("8863", surrounding blanks allowed) or an
 * HN link whose query has id=N ("https://news.ycombinator.com/item?id=8863").
 * On IDS_OK stores the id in *id; *id is untouched on error. */
enum ids_err ids_parse(const char *s, uint64_t *id);

/* Static English text for an error, e.g. "not a number". */
const char *ids_strerror(enum ids_err e);

/* Read ids, one per line, from f (named `name` in messages). Blank lines and
 * lines whose first non-blank character is '#' are skipped; CRLF accepted.
 * Returns 0 on success; on the first bad line (a line over IDS_LINE_MAX
 * bytes, comments included, is one: reading stops there) returns -1 and
 * writes "NAME:LINE: MESSAGE: 'TEXT'" into err (err always NUL-terminated).
 * A read error also returns -1 with "NAME: strerror". */
int ids_read_file(FILE *f, const char *name, struct u64set *out,
		  char *err, size_t errlen);

#endif
