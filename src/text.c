/* text.c — making titles from the API safe to show (terminal) and to store
 * (JSON, CSV).
 *
 * Threads: pure functions over their arguments, no globals, no locks; safe
 * from any thread.  The FILE* writers use stdio only (the caller owns the
 * stream and any locking of it).
 *
 * Every scan stops at the terminating NUL: a UTF-8 sequence or an entity cut
 * short by the end of the string is handled as malformed, and no byte past
 * the NUL is ever read.  No recursion. */
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BAD_SEQ UINT32_MAX      /* utf8_next: invalid sequence */
#define REPL 0xFFFDu            /* U+FFFD REPLACEMENT CHARACTER */
#define ELLIPSIS "\xE2\x80\xA6" /* U+2026, one column */

/* Decode one UTF-8 sequence at p (p[0] != 0).  Returns the number of bytes
 * consumed (>= 1) and stores the code point in *cp, or BAD_SEQ for an
 * invalid sequence; an invalid sequence consumes its maximal valid prefix
 * (Unicode "maximal subpart"), so one U+FFFD is emitted per bad sequence and
 * decoding resumes at the offending byte.  Overlongs, surrogates and values
 * above U+10FFFF are rejected by the second-byte ranges.  A NUL is never a
 * valid continuation byte, so this never reads past the end. */
static size_t utf8_next(const unsigned char *p, uint32_t *cp)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;      /* overlong */
		else if (c == 0xED)
			hi = 0x9F;      /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;      /* overlong */
		else if (c == 0xF4)
			hi = 0x8F;      /* > U+10FFFF */
	} else {                        /* 80..C1, F5..FF */
		*cp = BAD_SEQ;
		return 1;
	}
	for (i = 1; i <= need; i++) {
		unsigned char b = p[i];

		if (b < lo || b > hi) {
			*cp = BAD_SEQ;
			return i;
		}
		v = (v << 6) | (b & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

/* Unicode's bidirectional formatting characters: embeddings and overrides
 * U+202A-202E, isolates U+2066-2069, the marks U+200E, U+200F, U+061C.
 * Shown as they are, they reorder what follows them on the line (a title
 * could make the counts beside it, or the next cell, read backwards). */
static int is_bidi(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
	       cp == 0x200F || cp == 0x061C;
}

/* What is never shown as is: C0, DEL, C1, and the bidi controls. */
static int is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || is_bidi(cp);
}

/* Append cp as UTF-8 at out; returns the bytes written (1..4). */
static size_t utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static const struct {
	const char *name;
	uint32_t cp;
} named[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", 0xA0 },
	{ "AMP", '&' }, { "LT", '<' }, { "GT", '>' }, { "QUOT", '"' },
};

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse an entity at p (p[0] == '&').  Returns the bytes it spans and the
 * decoded code point in *cp, or 0 when it is not a known, well-formed
 * entity (the '&' is then kept as is).  A numeric entity naming NUL, a
 * surrogate or a value beyond U+10FFFF gives U+FFFD; a control character
 * gives a space.  Reads stop at the first byte that cannot continue the
 * entity, so never past the NUL. */
static size_t entity(const unsigned char *p, uint32_t *cp)
{
	size_t i, k;

	if (p[1] == '#') {
		int hex = (p[2] == 'x' || p[2] == 'X');
		uint32_t v = 0;
		size_t start = hex ? 3 : 2;
		int d;

		for (i = start;; i++) {
			d = hex ? hexval(p[i])
				: p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : -1;
			if (d < 0)
				break;
			if (v <= 0x10FFFF)      /* saturate above the range */
				v = v * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (i == start || p[i] != ';')
			return 0;
		if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			v = REPL;
		else if (is_control(v))
			v = ' ';
		*cp = v;
		return i + 1;
	}
	for (k = 0; k < sizeof named / sizeof named[0]; k++) {
		size_t n = strlen(named[k].name);

		/* strncmp stops at a NUL in p: no name byte matches it */
		if (strncmp((const char *)p + 1, named[k].name, n) == 0 &&
		    p[n + 1] == ';') {
			*cp = named[k].cp;
			return n + 2;
		}
	}
	return 0;
}

char *text_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p);
	char *out, *o;

	/* Worst case: each input byte becomes one U+FFFD (3 bytes).  Entities
	 * never grow (the shortest, "&#1;", is 4 bytes for at most 3). */
	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(3 * len + 1);
	if (!out)
		return NULL;
	o = out;
	while (*p) {
		uint32_t cp;
		size_t n = 0;

		if (*p == '&')
			n = entity(p, &cp);
		if (n == 0)
			n = utf8_next(p, &cp);
		if (cp == BAD_SEQ)
			cp = REPL;
		else if (is_control(cp))
			cp = ' ';
		o += utf8_put(o, cp);
		p += n;
	}
	*o = '\0';
	return out;
}

void text_json(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run;

	if (!s) {                       /* defensive: no string is null */
		fputs("null", f);
		return;
	}
	putc('"', f);
	run = p;
	while (*p) {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);
		const char *esc = NULL;
		char buf[8];

		if (cp == '"')
			esc = "\\\"";
		else if (cp == '\\')
			esc = "\\\\";
		else if (is_control(cp)) {
			/* C0 as JSON requires; DEL, C1 too */
			snprintf(buf, sizeof buf, "\\u%04x", (unsigned)cp);
			esc = buf;
		} else if (cp == 0x2028)
			esc = "\\u2028";
		else if (cp == 0x2029)
			esc = "\\u2029";
		else if (cp == BAD_SEQ)     /* defensive: keep the JSON valid */
			esc = "\\ufffd";
		if (esc) {
			fwrite(run, 1, (size_t)(p - run), f);
			fputs(esc, f);
			run = p + n;
		}
		p += n;
	}
	fwrite(run, 1, (size_t)(p - run), f);
	putc('"', f);
}

void text_csv(FILE *f, const char *s)
{
	const char *p;
	size_t len;
	int quote, guard;

	if (!s || !*s)
		return;
	len = strlen(s);
	quote = strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' ||
		s[len - 1] == ' ';
	guard = strchr("=+-@\t\r", s[0]) != NULL;
	if (quote)
		putc('"', f);
	if (guard)
		putc('\'', f);
	if (!quote) {
		fwrite(s, 1, len, f);
		return;
	}
	for (p = s; *p;) {
		const char *q = strchr(p, '"');
		size_t n = q ? (size_t)(q - p) + 1 : strlen(p);

		fwrite(p, 1, n, f);
		if (q)
			putc('"', f);   /* "" inside a quoted cell */
		p += n;
	}
	putc('"', f);
}

size_t text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t w = 0;
	uint32_t cp;

	while (*p) {
		p += utf8_next(p, &cp);
		w++;
	}
	return w;
}

/* Write the bytes of one decoded unit for a terminal: invalid sequences as
 * U+FFFD and (defensively) control characters as a space. */
static void put_unit(FILE *f, const unsigned char *p, size_t n, uint32_t cp)
{
	if (cp == BAD_SEQ)
		fputs("\xEF\xBF\xBD", f);
	else if (is_control(cp))
		putc(' ', f);
	else
		fwrite(p, 1, n, f);
}

void text_fit(FILE *f, const char *s, size_t cols, int pad)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t w = text_width((const char *)p);
	size_t keep, i;
	uint32_t cp;
	int cut = cols > 0 && w > cols;

	keep = cut ? cols - 1 : w;
	for (i = 0; i < keep; i++) {
		size_t n = utf8_next(p, &cp);

		put_unit(f, p, n, cp);
		p += n;
	}
	if (cut)
		fputs(ELLIPSIS, f);
	else if (pad && cols > w)
		for (i = w; i < cols; i++)
			putc(' ', f);
}
