/* ids.c — item ids from the user: "8863", HN links, files of them, and the
 * ordered, de-duplicated list they go into.
 *
 * Threads: none. Every function works only on what the caller hands it, so
 * any thread may call them; a list belongs to one thread at a time
 * (the CLI fills it before any worker starts) and is not locked.
 *
 * An id list is a struct u64set: its members in first-added order, each
 * once (u64set.h).
 *
 * Files are read a line at a time into one buffer of IDS_LINE_MAX bytes: a
 * longer line (/dev/zero, a binary file given by mistake) is an error
 * naming FILE:LINE as soon as its first IDS_LINE_MAX + 1 bytes are read, so
 * reading never holds more than that whatever the input.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* getc_unlocked, flockfile */
#endif
#include "ids.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 60 /* longest excerpt of a bad line quoted in a message */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parse exactly the digits in [s, e): IDS_OK with *id, or the reason not. */
static enum ids_err parse_digits(const char *s, const char *e, uint64_t *id)
{
	uint64_t v = 0;
	int big = 0;
	const char *c;

	if (s == e)
		return IDS_NOT_NUMBER;
	for (c = s; c < e; c++) {
		if (!is_digit(*c))
			return IDS_NOT_NUMBER;
		/* Once past IDS_MAX stop accumulating: no uint64 overflow. */
		if (!big) {
			v = v * 10 + (uint64_t)(*c - '0');
			if (v > IDS_MAX)
				big = 1;
		}
	}
	if (big)
		return IDS_TOO_BIG;
	if (v == 0)
		return IDS_ZERO;
	*id = v;
	return IDS_OK;
}

/* A link is anything with a path or a query: "https://...",
 * "news.ycombinator.com/item?id=1", "item?id=1". */
static int looks_like_link(const char *s, const char *e)
{
	const char *c;

	for (c = s; c < e; c++)
		if (*c == '/' || *c == '?')
			return 1;
	return 0;
}

/* Find the first query parameter named exactly "id" in [s, e) and parse its
 * value. Any failure is IDS_LINK_NO_ID: the link is what the user gave. */
static enum ids_err parse_link(const char *s, const char *e, uint64_t *id)
{
	const char *q, *p, *amp, *val;

	q = memchr(s, '?', (size_t)(e - s));
	if (!q)
		return IDS_LINK_NO_ID;
	/* The query ends at a fragment. */
	p = memchr(q, '#', (size_t)(e - q));
	if (p)
		e = p;
	for (p = q + 1; p < e; p = amp + 1) {
		amp = memchr(p, '&', (size_t)(e - p));
		if (!amp)
			amp = e;
		if (amp - p >= 3 && p[0] == 'i' && p[1] == 'd' && p[2] == '=') {
			val = p + 3;
			if (parse_digits(val, amp, id) != IDS_OK)
				return IDS_LINK_NO_ID;
			return IDS_OK;
		}
	}
	return IDS_LINK_NO_ID;
}

enum ids_err ids_parse(const char *s, uint64_t *id)
{
	const char *e;
	uint64_t v;
	enum ids_err err;

	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		e--;
	if (s == e)
		return IDS_EMPTY;
	if (looks_like_link(s, e))
		err = parse_link(s, e, &v);
	else if (*s == '-' && e - s > 1 &&
		 parse_digits(s + 1, e, &v) != IDS_NOT_NUMBER)
		err = IDS_NEGATIVE;
	else
		err = parse_digits(s, e, &v);
	if (err == IDS_OK)
		*id = v;
	return err;
}

const char *ids_strerror(enum ids_err e)
{
	switch (e) {
	case IDS_OK:
		return "ok";
	case IDS_EMPTY:
		return "empty";
	case IDS_NOT_NUMBER:
		return "not a number";
	case IDS_NEGATIVE:
		return "negative id";
	case IDS_ZERO:
		return "id 0 (ids start at 1)";
	case IDS_TOO_BIG:
		return "id too big (more than 2^53)";
	case IDS_LINK_NO_ID:
		return "link without an id=N parameter";
	case IDS_LINE_TOO_LONG:
		return "line longer than " IDS_LINE_MAX_TEXT " bytes";
	}
	return "unknown error";
}

/* Copy the trimmed line [s, e) into buf for a message: at most TEXT_MAX
 * bytes ("..." when cut), bytes other than printable ASCII shown as '?'. */
static void excerpt(const char *s, const char *e, char *buf, size_t buflen)
{
	size_t n = 0;

	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	for (; s < e && n < TEXT_MAX && n + 1 < buflen; s++, n++) {
		unsigned char c = (unsigned char)*s;

		buf[n] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (s < e && n + 3 < buflen) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

/* Read one line of f (getc, without its '\n') into buf, which holds
 * IDS_LINE_MAX bytes and a NUL. Returns the line's length; -1 at the end of
 * the file (or on a read error) with nothing read; IDS_LINE_MAX + 1 when
 * the line is longer than IDS_LINE_MAX (buf holds its first IDS_LINE_MAX
 * bytes; reading stops there, so no more than that is ever held). f is
 * locked by the caller. */
static long read_line(FILE *f, char *buf)
{
	long n = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n == IDS_LINE_MAX)
			return IDS_LINE_MAX + 1;
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return c == EOF && n == 0 ? -1 : n;
}

int ids_read_file(FILE *f, const char *name, struct u64set *out, char *err,
		  size_t errlen)
{
	char *line, text[TEXT_MAX + 4];
	long len;
	unsigned long lineno = 0;
	uint64_t id;
	enum ids_err e;
	const char *p;
	int rc = -1;

	if (err && errlen)
		err[0] = '\0';
	line = malloc(IDS_LINE_MAX + 1);
	if (!line) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	flockfile(f);
	errno = 0;
	while ((len = read_line(f, line)) >= 0) {
		lineno++;
		if (len > IDS_LINE_MAX) {
			e = IDS_LINE_TOO_LONG;
			len = IDS_LINE_MAX;
			goto bad;
		}
		/* Strip the CR of a CRLF line. */
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		for (p = line; is_blank(*p); p++)
			;
		if (*p == '#' ||
		    (*p == '\0' && (size_t)(p - line) == (size_t)len))
			continue;
		/* A NUL inside the line would hide the rest from ids_parse. */
		if (memchr(line, '\0', (size_t)len))
			e = IDS_NOT_NUMBER;
		else
			e = ids_parse(line, &id);
		if (e != IDS_OK)
			goto bad;
		if (u64set_add(out, id) < 0) {
			if (err && errlen)
				snprintf(err, errlen, "%s:%lu: out of memory",
					 name, lineno);
			goto out;
		}
		errno = 0;
	}
	/* read_line stops at the end of the file or on a read error. */
	if (ferror(f)) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", name,
				 strerror(errno ? errno : EIO));
		goto out;
	}
	rc = 0;
	goto out;
bad:
	excerpt(line, line + len, text, sizeof text);
	if (err && errlen)
		snprintf(err, errlen, "%s:%lu: %s: '%s'", name, lineno,
			 ids_strerror(e), text);
out:
	funlockfile(f);
	free(line);
	return rc;
}
