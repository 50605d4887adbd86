/* body.h — a response body collected as it arrives, within a limit.
 * Owned by one transfer slot of one fetcher (one thread). */
#ifndef HNBATCH_BODY_H
#define HNBATCH_BODY_H

#include <stddef.h>

struct body {
	char *buf;
	size_t len, cap;
	size_t max;          /* bytes allowed */
	int discard;         /* keep `max` bytes, then end, still complete */
	int cut;             /* discard: the end came after `max` bytes */
	int too_big;         /* not discard: more than `max` came (refused) */
};

/* Take n more bytes.  Returns n to go on, or anything else to end the
 * transfer: over the limit (too_big, or cut), or out of memory (neither). */
size_t body_add(struct body *b, const char *data, size_t n);

/* Empty it for the next transfer; a big buffer is given back. */
void body_reset(struct body *b);

/* The bytes, NUL-terminated ("" when memory ran out: len is then 0). */
const char *body_text(struct body *b);

void body_free(struct body *b);

#endif
