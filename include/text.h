/* text.h — making text from the API safe to show and to store.
 * Pure functions, safe from any thread. */
#ifndef HNBATCH_TEXT_H
#define HNBATCH_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* A clean copy of a title: HTML entities decoded (&amp; &lt; &gt; &quot;
 * &#x27; &#39; &#NNN; ...), invalid UTF-8 replaced by U+FFFD, and control
 * characters (C0 including ESC, BEL, CR, LF, TAB, DEL, C1 U+0080-U+009F,
 * and the bidi controls U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
 * U+061C), raw or as entities, replaced by a space. Returns a malloc'd
 * string, or NULL on out of memory; NULL in gives "" out. */
char *text_clean(const char *s);

/* Write s as a JSON string literal (with quotes), escaping as JSON requires.
 * s must be valid UTF-8 (text_clean output). */
void text_json(FILE *f, const char *s);

/* Write s as one RFC 4180 CSV cell: quoted when it holds , " CR LF, quotes
 * doubled; a cell starting with = + - @ (or TAB/CR) is prefixed with ' so a
 * spreadsheet does not run it as a formula. */
void text_csv(FILE *f, const char *s);

/* Display width of a UTF-8 string in terminal columns (1 per code point,
 * a good enough rule for titles). */
size_t text_width(const char *s);

/* Write s cut to at most `cols` columns, ending with "…" when cut, then pad
 * with spaces to exactly `cols` when pad != 0. cols == 0: no limit. */
void text_fit(FILE *f, const char *s, size_t cols, int pad);

#endif
