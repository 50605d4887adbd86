/* sse.h — a Server-Sent Events (text/event-stream) parser: bytes in, as
 * they arrive in any pieces, whole events out.
 *
 * The format (the WHATWG EventSource one, as Firebase's REST streaming
 * sends it): lines ending in LF, CRLF or CR; "event: NAME" and
 * "data: TEXT" fields (several data lines are joined with LF); lines
 * starting with ':' are comments; other fields (id, retry) are ignored; a
 * blank line ends the event. An event of more than `max` bytes of data is
 * an error (the stream should be dropped): memory stays bounded whatever a
 * server sends. Pure: no threads, no I/O; one parser per stream. */
#ifndef HNBATCH_SSE_H
#define HNBATCH_SSE_H

#include <stddef.h>

struct sse {
	size_t max;          /* most bytes of data in one event */
	char *line;          /* the line being read */
	size_t len, cap;
	int cr;              /* the last byte was a CR (a CRLF's LF to skip) */
	char event[32];      /* the event's name ("" until given) */
	char *data;          /* the event's data so far */
	size_t dlen, dcap;
	int has_data;
};

/* One whole event: name ("message" when none was given) and data (NUL
 * terminated; valid until the next sse_feed call). */
typedef int sse_event_fn(const char *event, const char *data, size_t len,
			 void *arg);

void sse_init(struct sse *p, size_t max);
void sse_free(struct sse *p);

/* Forget any partial event (after a reconnection). */
void sse_reset(struct sse *p);

/* Feed n bytes; calls on_event for every event they complete. Returns 0,
 * or -1 when a line or an event is over max, memory ran out, or on_event
 * returned non-zero (the stream should be dropped). */
int sse_feed(struct sse *p, const char *buf, size_t n, sse_event_fn *on_event,
	     void *arg);

#endif
