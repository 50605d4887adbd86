/* h2conn.c — connections to an HTTP/2 server for one fetcher (h2conn.h).
 *
 * Why: curl 7.88 with CURLOPT_PIPEWAIT puts a transfer on a connection
 * with a free stream, at most min(the server's SETTINGS_MAX_CONCURRENT_
 * STREAMS, curl's 100) on each; when all are full it opens a connection
 * for that transfer alone, and for each of the next ones too (300
 * transfers at once made 201 connections, each with its own TLS
 * handshake). With CURLMOPT_MAX_HOST_CONNECTIONS = k it opens at most k
 * and keeps the rest waiting for a stream. So k follows what the fetcher
 * may have in flight: ceil(cap / streams), raised as cap rises.
 *
 * The server's cap: curl does not tell it (7.88 has no info for it), so
 * it is seen: fetch.c reports each stream as curl opens it (its
 * CURLOPT_PREREQFUNCTION names the connection's local port) and as it
 * ends; a server that allows m < 100 streams shows as every connection
 * carrying m while transfers wait, and then streams = m (so k rises).
 * Before the first answer an https:// server is taken to multiplex (a
 * fresh worker handed 500 transfers would otherwise open 400 connections);
 * over HTTP/1.1 nothing is capped (a connection per transfer in flight).
 *
 * Threads: none of its own; the fetcher's thread only.
 */
#include "h2conn.h"

#include <string.h>

void h2conn_init(struct h2conn *h)
{
	memset(h, 0, sizeof *h);
	h->mux = -1;
	h->streams = H2CONN_STREAMS;
}

void h2conn_url(struct h2conn *h, int https)
{
	if (https)
		h->https = 1;
}

void h2conn_version(struct h2conn *h, int http2)
{
	if (h->mux < 0)
		h->mux = http2 != 0;
}

void h2conn_cap(struct h2conn *h, size_t cap)
{
	h->cap = cap;
}

void h2conn_stream(struct h2conn *h, int port, int delta)
{
	if (h->mux == 0 || port <= 0)
		return;
	size_t i = 0;
	while (i < h->nconn && h->conn[i].port != port)
		i++;
	if (i == h->nconn) {
		if (delta < 0)
			return;           /* not tracked */
		if (h->nconn == H2CONN_TRACKED) {
			h->overflow = 1;
			return;
		}
		h->conn[h->nconn++] = (struct h2conn_conn){ port, 0 };
	}
	if (delta > 0) {
		h->conn[i].open++;
		h->open++;
	} else if (h->conn[i].open > 0) {
		h->open--;
		if (--h->conn[i].open == 0)
			h->conn[i] = h->conn[--h->nconn]; /* idle: forget it */
	}
}

long h2conn_connections(const struct h2conn *h)
{
	int mux = h->mux == 1 || (h->mux < 0 && h->https);
	if (!mux || h->cap == 0)
		return 0;
	return (long)((h->cap + h->streams - 1) / h->streams);
}

int h2conn_learn(struct h2conn *h, size_t waiting)
{
	if (h->mux != 1 || waiting == 0 || h->nconn == 0 || h->overflow)
		return 0;
	if ((long)h->nconn < h2conn_connections(h))
		return 0;   /* one may still be connecting: they wait for it */
	unsigned m = h->conn[0].open;
	for (size_t i = 1; i < h->nconn; i++)
		if (h->conn[i].open != m)
			return 0;
	if (m == 0 || m >= h->streams)
		return 0;
	long before = h2conn_connections(h);
	h->streams = m;
	return h2conn_connections(h) != before;
}
