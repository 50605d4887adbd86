/* statefile.c — reading and writing the --state file (see statefile.h).
 *
 * Threads: none of its own, no globals, no locks: a read or a write works
 * on the caller's FILE only.
 *
 * DESIGN
 * The file is read once, front to back, a BUFSZ buffer at a time, and
 * nothing of it is kept but the roots handed to the caller's add(): no
 * tree of the document (json-c built one of the whole file: 2.4 GB and 14 s
 * for 2M roots). Each buffer goes, as it is read, to two readers:
 *   - jsoncheck (jsoncheck.h), which checks the syntax of the whole text,
 *     strictly and with no memory but its depth bits;
 *   - the shape reader below, which pulls bytes from the same buffer and
 *     knows only the shape of a state file: an object with "version" and
 *     "roots", roots an object of id -> {"comments","alerted","seen"}.
 *     It reads member names and numbers into small fixed buffers and skips
 *     any member it does not know with a depth counter (no recursion, no
 *     allocation), so its memory is bounded whatever the file holds.
 * When the shape reader stops (done, or on a shape it does not take), the
 * rest of the file is still read through jsoncheck, so that the verdict is
 * the one the whole text deserves: not JSON (with jsoncheck's reason, or
 * "truncated") before wrong shape. The layout (where the newlines are) does
 * not matter: hnbatch writes one root per line, but a hand-edited file on
 * one line reads the same, so no second, whole-document path is needed.
 */
#include "statefile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"

#define BUFSZ 65536
#define NAME 24                 /* a kept member name or root id, NUL in */
#define SEEN_MAX 10000000       /* days: past the year 29000 */

struct rd {
	FILE *f;
	unsigned char *buf;     /* BUFSZ bytes */
	size_t i, n;            /* next byte, bytes in buf */
	uint64_t off;           /* file offset of buf[0] */
	unsigned long line;     /* 1 + newlines taken by the shape reader */
	int eof, ioerr;         /* end of file seen; errno of a read error */
	struct jsoncheck jc;
	int bad_json;           /* jc refused the text */
};

/* The next buffer, fed to jsoncheck too. 0, or -1 at the end. */
static int fill(struct rd *r)
{
	if (r->eof)
		return -1;
	r->off += r->n;
	r->i = 0;
	r->n = fread(r->buf, 1, BUFSZ, r->f);
	if (r->n == 0) {
		r->eof = 1;
		if (ferror(r->f))
			r->ioerr = errno ? errno : EIO;
		return -1;
	}
	if (!r->bad_json && jsoncheck_feed(&r->jc, (char *)r->buf, r->n))
		r->bad_json = 1;
	return 0;
}

static int peek(struct rd *r)
{
	if (r->i == r->n && fill(r) != 0)
		return -1;
	return r->buf[r->i];
}

static int next(struct rd *r)
{
	int c = peek(r);
	if (c >= 0) {
		r->i++;
		r->line += c == '\n';
	}
	return c;
}

static int blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skip blanks; the next byte (or -1) is left to peek. */
static int skip_ws(struct rd *r)
{
	int c;
	while (blank(c = peek(r)))
		next(r);
	return c;
}

/* A string (the next byte must be '"'): its bytes go into out (cap bytes,
 * NUL-terminated) when out is not NULL; *plain is 0 when it held an escape
 * or did not fit. 0, or -1 when it is not there or does not end. */
static int string(struct rd *r, char *out, size_t cap, int *plain)
{
	size_t len = 0;
	int c, p = 1;
	if (next(r) != '"')
		return -1;
	while ((c = next(r)) != '"') {
		if (c < 0)
			return -1;
		if (c == '\\') {
			p = 0;
			if (next(r) < 0)
				return -1;
		} else if (out && len + 1 < cap) {
			out[len++] = (char)c;
		} else {
			p = 0;
		}
	}
	if (out && cap)
		out[len] = '\0';
	if (plain)
		*plain = p;
	return 0;
}

/* A whole number >= 0 (digits only, no fraction or exponent) up to max.
 * 0 with *v, or -1. */
static int whole(struct rd *r, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	int c, digits = 0;
	while ((c = peek(r)) >= '0' && c <= '9') {
		next(r);
		if (x > (max - (uint64_t)(c - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(c - '0');
		digits++;
	}
	if (!digits || c == '.' || c == 'e' || c == 'E')
		return -1;
	*v = x;
	return 0;
}

/* true, false or null: 1, 0 or 2; -1 for anything else. */
static int literal(struct rd *r)
{
	char w[8];
	size_t n = 0;
	int c;
	while ((c = peek(r)) >= 'a' && c <= 'z' && n < sizeof w - 1)
		w[n++] = (char)next(r);
	w[n] = '\0';
	return !strcmp(w, "true") ? 1 : !strcmp(w, "false") ? 0
	       : !strcmp(w, "null") ? 2 : -1;
}

/* Skip one value of any kind: brackets counted, strings read through,
 * anything else up to a delimiter. 0, or -1 when there is none. */
static int skip_value(struct rd *r)
{
	unsigned long depth = 0;
	for (;;) {
		int c = skip_ws(r);
		if (c < 0)
			return -1;
		if (c == '{' || c == '[') {
			next(r);
			depth++;
			continue;
		}
		if (c == '}' || c == ']' || c == ',' || c == ':') {
			if (depth == 0)
				return -1;
			next(r);
			depth -= c == '}' || c == ']';
		} else if (c == '"') {
			if (string(r, NULL, 0, NULL) != 0)
				return -1;
		} else {        /* a number or a literal: to a delimiter */
			do
				next(r);
			while ((c = peek(r)) > 0 &&
			       !strchr(",:{}[]\" \t\r\n", c));
		}
		if (depth == 0)
			return 0;
	}
}

/* The shape reader's state for one read. */
struct parse {
	struct rd r;
	statefile_add *add;
	void *arg;
	char *why;
	size_t whylen;
	int nomem;              /* add() failed */
};

/* The next non-blank byte must be c: taken. 0 or -1. */
static int expect(struct rd *r, int c)
{
	if (skip_ws(r) != c)
		return -1;
	next(r);
	return 0;
}

/* A member name, then its colon: 0 with the name in name[NAME] (*plain 0
 * when it cannot be one we know), or -1. */
static int member(struct rd *r, char *name, int *plain)
{
	if (skip_ws(r) != '"' || string(r, name, NAME, plain) != 0)
		return -1;
	return expect(r, ':');
}

/* After a member's value: 1 at ',', 0 at the closing '}', -1 else. */
static int more(struct rd *r)
{
	int c = skip_ws(r);
	next(r);
	return c == ',' ? 1 : c == '}' ? 0 : -1;
}

/* One entry's value, {"comments":..,"alerted":..,"seen":..}, for row->id. */
static int entry(struct parse *p, struct statefile_row *row)
{
	struct rd *r = &p->r;
	char name[NAME];
	int plain, k, has_c = 0, has_a = 0;
	uint64_t v;
	if (expect(r, '{') != 0 || skip_ws(r) == '}')
		return -1;
	do {
		if (member(r, name, &plain) != 0)
			return -1;
		skip_ws(r);
		if (plain && !strcmp(name, "comments")) {
			if (peek(r) == 'n' && literal(r) == 2)
				row->comments = -1;
			else if (whole(r, INT64_MAX, &v) == 0)
				row->comments = (int64_t)v;
			else
				return -1;
			has_c = 1;
		} else if (plain && !strcmp(name, "alerted")) {
			if ((k = literal(r)) != 0 && k != 1)
				return -1;
			row->alerted = k == 1;
			has_a = 1;
		} else if (plain && !strcmp(name, "seen")) {
			if (whole(r, SEEN_MAX, &v) != 0)
				return -1;
			row->seen = (int64_t)v;
		} else if (skip_value(r) != 0) {
			return -1;
		}
	} while ((k = more(r)) == 1);
	return k == 0 && has_c && has_a ? 0 : -1;
}

/* A root id: a member name of digits only, 1 to UINT64_MAX. */
static int root_id(const char *name, int plain, uint64_t *id)
{
	uint64_t v = 0;
	if (!plain || !*name)
		return -1;
	for (const char *c = name; *c; c++) {
		if (*c < '0' || *c > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*c - '0');
	}
	*id = v;
	return v ? 0 : -1;
}

/* The value of "roots": each member is handed to add(). */
static int roots(struct parse *p)
{
	struct rd *r = &p->r;
	char name[NAME];
	int plain, k;
	if (expect(r, '{') != 0)
		goto shape;
	if (skip_ws(r) == '}') {
		next(r);
		return 0;
	}
	do {
		struct statefile_row row = { .comments = -1, .seen = -1 };
		unsigned long line = (skip_ws(r), r->line);
		if (member(r, name, &plain) != 0)
			goto shape;
		if (root_id(name, plain, &row.id) != 0) {
			snprintf(p->why, p->whylen, "line %lu: bad root id "
				 "\"%.40s\"", line, name);
			return -1;
		}
		if (entry(p, &row) != 0) {
			snprintf(p->why, p->whylen, "line %lu: root %" PRIu64
				 ": expected {\"comments\":N|null,\"alerted\":"
				 "true|false,\"seen\":DAY}", line, row.id);
			return -1;
		}
		if (p->add(&row, p->arg) != 0) {
			p->nomem = 1;
			return -1;
		}
	} while ((k = more(r)) == 1);
	if (k == 0)
		return 0;
shape:
	snprintf(p->why, p->whylen, "line %lu: not a hnbatch state file "
		 "(expected an object of root ids in \"roots\")", r->line);
	return -1;
}

/* The whole document: {"version":1|2,"roots":{...}}, members in any
 * order, unknown ones skipped. */
static int document(struct parse *p)
{
	struct rd *r = &p->r;
	char name[NAME];
	int plain, k, has_r = 0;
	uint64_t version = 0;
	if (expect(r, '{') != 0 || skip_ws(r) == '}')
		goto shape;
	do {
		if (member(r, name, &plain) != 0)
			goto shape;
		skip_ws(r);
		if (plain && !strcmp(name, "version")) {
			if (whole(r, UINT64_MAX, &version) != 0)
				goto shape;
			if (version != 1 && version != STATEFILE_VERSION) {
				snprintf(p->why, p->whylen, "version %" PRIu64
					 " (this hnbatch reads versions 1 and "
					 "%d)", version, STATEFILE_VERSION);
				return -1;
			}
		} else if (plain && !strcmp(name, "roots")) {
			if (roots(p) != 0)
				return -1;
			has_r = 1;
		} else if (skip_value(r) != 0) {
			goto shape;
		}
	} while ((k = more(r)) == 1);
	if (k == 0 && has_r && version)
		return 0;
shape:
	snprintf(p->why, p->whylen, "not a hnbatch state file (expected "
		 "{\"version\":%d,\"roots\":{...}})", STATEFILE_VERSION);
	return -1;
}

int statefile_read(FILE *f, statefile_add *add, void *arg, char *why,
		   size_t whylen)
{
	struct parse p = { .r = { .f = f, .line = 1 }, .add = add,
			   .arg = arg, .why = why, .whylen = whylen };
	char jwhy[128];
	int rc;
	p.r.buf = malloc(BUFSZ);
	if (!p.r.buf) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	jsoncheck_init(&p.r.jc, 0);
	rc = document(&p);
	while (!p.nomem && !p.r.bad_json && fill(&p.r) == 0)
		;       /* the rest, through jsoncheck only */
	if (p.nomem) {
		snprintf(why, whylen, "out of memory");
		rc = -1;
	} else if (p.r.ioerr) {
		snprintf(why, whylen, "%s", strerror(p.r.ioerr));
		rc = -1;
	} else if (p.r.off + p.r.n == 0) {
		snprintf(why, whylen, "empty file, not a hnbatch state file");
		rc = -1;
	} else if (p.r.bad_json || jsoncheck_end(&p.r.jc) != 0) {
		jsoncheck_why(&p.r.jc, jwhy, sizeof jwhy);
		if (jsoncheck_truncated(&p.r.jc))
			snprintf(why, whylen, "truncated JSON (ends after %"
				 PRIu64 " bytes)", p.r.off + p.r.n);
		else
			snprintf(why, whylen, "not JSON: %s", jwhy);
		rc = -1;
	}
	free(p.r.buf);
	return rc;
}

int statefile_write(FILE *f, const struct statefile_row *rows, size_t n)
{
	fprintf(f, "{\"version\":%d,\"roots\":{", STATEFILE_VERSION);
	for (size_t i = 0; i < n; i++) {
		const struct statefile_row *w = &rows[i];
		fprintf(f, "%s\n\"%" PRIu64 "\":{\"comments\":", i ? "," : "",
			w->id);
		if (w->comments >= 0)
			fprintf(f, "%" PRId64, w->comments);
		else
			fputs("null", f);
		fprintf(f, ",\"alerted\":%s", w->alerted ? "true" : "false");
		if (w->seen >= 0)
			fprintf(f, ",\"seen\":%" PRId64, w->seen);
		putc('}', f);
	}
	fprintf(f, "%s}}\n", n ? "\n" : "");
	return ferror(f) ? -1 : 0;
}
