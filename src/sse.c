/* sse.c — Server-Sent Events parsing (see sse.h).
 * No threads, no globals: a struct sse belongs to the one stream (and the
 * one thread) that feeds it. A byte at a time through a small state: the
 * current line, the current event's name and data. Nothing recurses, and a
 * line or an event over `max` bytes stops the parse instead of growing. */
#include "sse.h"

#include <stdlib.h>
#include <string.h>

void sse_init(struct sse *p, size_t max)
{
	memset(p, 0, sizeof *p);
	p->max = max ? max : 1 << 20;
}

void sse_free(struct sse *p)
{
	free(p->line);
	free(p->data);
	memset(p, 0, sizeof *p);
}

void sse_reset(struct sse *p)
{
	p->len = 0;
	p->cr = 0;
	p->event[0] = '\0';
	p->dlen = 0;
	p->has_data = 0;
}

/* Room for `more` bytes (and a NUL) in a buffer of at most max + 1. */
static int grow(char **b, size_t *cap, size_t len, size_t more, size_t max)
{
	if (len + more > max)
		return -1;
	if (len + more + 1 <= *cap)
		return 0;
	size_t c = *cap ? *cap : 256;
	while (c < len + more + 1)
		c *= 2;
	if (c > max + 1)
		c = max + 1;
	char *n = realloc(*b, c);
	if (!n)
		return -1;
	*b = n;
	*cap = c;
	return 0;
}

/* A blank line: dispatch the event (if it has data), start the next. */
static int dispatch(struct sse *p, sse_event_fn *on_event, void *arg)
{
	int rc = 0;
	if (p->has_data) {
		if (grow(&p->data, &p->dcap, p->dlen, 0, p->max) != 0)
			return -1;
		p->data[p->dlen] = '\0';
		rc = on_event(p->event[0] ? p->event : "message", p->data,
			      p->dlen, arg);
	}
	p->event[0] = '\0';
	p->dlen = 0;
	p->has_data = 0;
	return rc ? -1 : 0;
}

/* One whole line (without its end), NUL-terminated in p->line. */
static int field(struct sse *p, sse_event_fn *on_event, void *arg)
{
	if (p->len == 0)
		return dispatch(p, on_event, arg);
	if (p->line[0] == ':')
		return 0; /* a comment */
	char *colon = memchr(p->line, ':', p->len);
	size_t nlen = colon ? (size_t)(colon - p->line) : p->len;
	const char *val = colon ? colon + 1 : "";
	if (*val == ' ')
		val++;
	size_t vlen = p->len - (size_t)(val - p->line);
	if (colon == NULL)
		vlen = 0;
	if (nlen == 5 && memcmp(p->line, "event", 5) == 0) {
		size_t n = vlen < sizeof p->event - 1 ? vlen
						      : sizeof p->event - 1;
		memcpy(p->event, val, n);
		p->event[n] = '\0';
	} else if (nlen == 4 && memcmp(p->line, "data", 4) == 0) {
		size_t more = vlen + (p->has_data ? 1 : 0);
		if (grow(&p->data, &p->dcap, p->dlen, more, p->max) != 0)
			return -1;
		if (p->has_data)
			p->data[p->dlen++] = '\n';
		memcpy(p->data + p->dlen, val, vlen);
		p->dlen += vlen;
		p->has_data = 1;
	}
	return 0; /* id, retry and unknown fields: ignored */
}

int sse_feed(struct sse *p, const char *buf, size_t n, sse_event_fn *on_event,
	     void *arg)
{
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];
		if (c == '\n' && p->cr) {
			p->cr = 0; /* the LF of a CRLF */
			continue;
		}
		p->cr = c == '\r';
		if (c == '\r' || c == '\n') {
			if (grow(&p->line, &p->cap, p->len, 0, p->max) != 0)
				return -1;
			p->line[p->len] = '\0';
			int rc = field(p, on_event, arg);
			p->len = 0;
			if (rc != 0)
				return -1;
			continue;
		}
		if (grow(&p->line, &p->cap, p->len, 1, p->max) != 0)
			return -1;
		p->line[p->len++] = c;
	}
	return 0;
}
