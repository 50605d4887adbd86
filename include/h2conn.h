/* h2conn.h — how many connections one fetcher opens to an HTTP/2 server:
 * as many as its transfers in flight need at the streams a connection may
 * carry, learned from what curl does. No curl here: fetch.c reports what
 * happens and sets CURLMOPT_MAX_HOST_CONNECTIONS to h2conn_connections().
 * One h2conn belongs to one fetcher, used by its thread only. */
#ifndef HNBATCH_H2CONN_H
#define HNBATCH_H2CONN_H

#include <stddef.h>

/* Streams a connection carries at most: curl's own cap, its
 * CURLMOPT_MAX_CONCURRENT_STREAMS default; a server may allow fewer. */
#define H2CONN_STREAMS 100
#define H2CONN_TRACKED 64   /* connections whose streams are counted */

struct h2conn {
	int mux;            /* the server answered over HTTP/2: 1, over
	                       HTTP/1.x: 0, not known yet: -1 */
	int https;          /* a transfer went to https://: it may be HTTP/2
	                       before the first answer says so */
	size_t cap;         /* transfers the owner may have in flight */
	unsigned streams;   /* per connection: H2CONN_STREAMS, or the
	                       server's lower cap once seen */
	size_t nconn;       /* connections in conn[] (streams open on them) */
	struct h2conn_conn {
		int port;           /* its local port */
		unsigned open;      /* streams open on it */
	} conn[H2CONN_TRACKED];
	size_t open;        /* streams open on the tracked connections */
	int overflow;       /* more connections than tracked: learn nothing */
};

void h2conn_init(struct h2conn *h);
void h2conn_url(struct h2conn *h, int https);   /* a transfer starts */
void h2conn_version(struct h2conn *h, int http2); /* an answer came */
void h2conn_cap(struct h2conn *h, size_t cap);

/* A stream opened (delta 1: curl sent the request on the connection of
 * local port `port`) or closed (delta -1: the transfer ended). */
void h2conn_stream(struct h2conn *h, int port, int delta);

/* After transfers ended: `waiting` transfers are in curl without a
 * stream. When every connection that may be open is open and carries the
 * same number of streams m < streams while some wait, the server allows
 * m: streams = m. Returns 1 when that changed the connections wanted. */
int h2conn_learn(struct h2conn *h, size_t waiting);

/* The connections to allow (CURLMOPT_MAX_HOST_CONNECTIONS): ceil(cap /
 * streams) when the server multiplexes (or may), 0 (no cap) otherwise. */
long h2conn_connections(const struct h2conn *h);

#endif
