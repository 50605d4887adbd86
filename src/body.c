/* body.c — a response body collected as it arrives, within a limit.
 *
 * The buffer grows as needed and refuses anything over `max` while
 * receiving (fetch.c also refuses a Content-Length over it before), so a
 * 50 MiB body is never held.  With `discard` (the alert webhook, whose
 * body does not matter) the first `max` bytes are kept and the transfer is
 * ended there, complete.  Between transfers a buffer over 64 KiB is freed,
 * so one big answer does not stay in memory.  One thread: the fetcher's.
 */
#include "body.h"

#include <stdlib.h>
#include <string.h>

size_t body_add(struct body *b, const char *data, size_t n)
{
	size_t want = n;
	if (b->discard && b->len + n > b->max) {
		b->cut = 1;
		n = b->max - b->len; /* keep what fits, then end the transfer */
		if (n == 0)
			return 0;
	} else if (b->len + n > b->max) {
		b->too_big = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 2048;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->buf, cap);
		if (!p)
			return 0;
		b->buf = p;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	return b->cut ? 0 : want;
}

void body_reset(struct body *b)
{
	if (b->cap > 65536) {
		free(b->buf);
		b->buf = NULL;
		b->cap = 0;
	}
	b->len = 0;
	b->cut = b->too_big = 0;
}

const char *body_text(struct body *b)
{
	if (!b->buf) {
		b->buf = malloc(1);
		b->cap = b->buf ? 1 : 0;
		b->len = 0;
	}
	if (!b->buf)
		return "";
	b->buf[b->len] = '\0';
	return b->buf;
}

void body_free(struct body *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}
