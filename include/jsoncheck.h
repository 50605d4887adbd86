/* jsoncheck.h — a strict check of JSON syntax (RFC 8259), before json-c
 * (or a parser of hnbatch's own) reads a text from outside: API answers,
 * the --state file, the lines of the --alert-spool.
 *
 * Accepted: one value, blanks (space, TAB, LF, CR) around it, and nothing
 * else; strings in double quotes with the escapes \" \\ \/ \b \f \n \r \t
 * \uXXXX and no raw control character (U+0000-U+001F); numbers as the
 * grammar has them (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?);
 * true, false and null in lower case; at most `depth` nested arrays and
 * objects. Refused, among others, what json-c 0.16 takes even in strict
 * mode: single-quoted strings ({'id':2}), NaN, Infinity, 1., .5, +1, 01,
 * comments. Not checked: that strings are valid UTF-8 (titles are cleaned
 * later by text_clean), that the keys of an object differ.
 *
 * No recursion and no allocation: the nesting is a bit per level in the
 * struct, so a text nested a million deep costs no stack. Pure functions
 * over the caller's struct; any thread may use its own.
 *
 * One call for a whole text in memory (an API body, a spool line):
 *     if (jsoncheck(line, len, 0, why, sizeof why) != 0) ... refuse
 * or, for a text read piece by piece (the state file), init + feed + end. */
#ifndef HNBATCH_JSONCHECK_H
#define HNBATCH_JSONCHECK_H

#include <stddef.h>

/* The deepest nesting a check can follow, and the depth used when 0 is
 * given (an HN item is 2 levels deep, a state file 3). */
#define JSONCHECK_DEPTH_MAX 1024
#define JSONCHECK_DEPTH 64

/* The state of one check. Its fields are private to jsoncheck.c. */
struct jsoncheck {
	unsigned state;         /* where in the grammar the next byte falls */
	unsigned depth;         /* arrays and objects open */
	unsigned maxdepth;
	unsigned left;          /* hex digits left in \uXXXX; literal index */
	int in_key;             /* the string being read is an object key */
	const char *lit;        /* the literal being read (true/false/null) */
	size_t pos;             /* bytes taken so far */
	int err;                /* 0, or why the text is not JSON */
	size_t errpos;          /* the offset of the byte that made err */
	unsigned char bad;      /* that byte */
	unsigned char nest[JSONCHECK_DEPTH_MAX / 8]; /* bit set: an object */
};

/* Start a check of a new text; depth 0 means JSONCHECK_DEPTH, more than
 * JSONCHECK_DEPTH_MAX means JSONCHECK_DEPTH_MAX. */
void jsoncheck_init(struct jsoncheck *c, unsigned depth);

/* Check the next len bytes of the text. Returns 0 while the text can
 * still be JSON, -1 from the first byte that makes it not (further feeds
 * return -1 at once). */
int jsoncheck_feed(struct jsoncheck *c, const char *buf, size_t len);

/* The text ends here. Returns 0 when it was exactly one JSON value with
 * blanks around it; -1 otherwise (empty, truncated, or an earlier error). */
int jsoncheck_end(struct jsoncheck *c);

/* Why the check failed, as "REASON at byte N" (N from 0), written into
 * why (always NUL-terminated when whylen > 0); "" when it did not. */
void jsoncheck_why(const struct jsoncheck *c, char *why, size_t whylen);

/* 1 when the check failed because the text ended too soon (truncated),
 * 0 otherwise. */
int jsoncheck_truncated(const struct jsoncheck *c);

/* The whole text s[0..len) in one call: init, feed, end. Returns 0 when it
 * is JSON, or -1 with the reason in why (why may be NULL). depth as for
 * jsoncheck_init. */
int jsoncheck(const char *s, size_t len, unsigned depth, char *why,
	      size_t whylen);

#endif
