/* jsoncheck.c — a strict JSON syntax check (RFC 8259): a state machine
 * that takes the text a byte at a time (see jsoncheck.h).
 *
 * Threads: none of its own, no globals, no locks; a struct jsoncheck
 * belongs to its caller. No recursion: an open array or object is one bit
 * in c->nest (set for an object), so the depth limit bounds memory and the
 * C stack is never used for nesting. No allocation.
 *
 * The grammar, as states (st_*): a value is expected (VALUE, or ARR_FIRST
 * and OBJ_FIRST right after '[' and '{', where ']' and '}' may close at
 * once); an object key (KEY) and its colon (COLON); after a value (AFTER:
 * ',' or the closing bracket of what is open, or only blanks at depth 0);
 * inside a string (STR, ESC after '\', HEX in \uXXXX), a literal (LIT) or
 * a number (N_*). A number has no closing byte: the first byte that cannot
 * continue it ends it and is taken again in AFTER. */
#include "jsoncheck.h"

#include <stdio.h>
#include <string.h>

enum {
	ST_VALUE = 0, ST_ARR_FIRST, ST_OBJ_FIRST, ST_KEY, ST_COLON, ST_AFTER,
	ST_STR, ST_ESC, ST_HEX, ST_LIT,
	ST_N_MINUS,     /* after '-': a digit must follow */
	ST_N_ZERO,      /* "0" or "-0": no digit may follow */
	ST_N_INT,       /* in [1-9][0-9]* */
	ST_N_DOT,       /* after '.': a digit must follow */
	ST_N_FRAC,      /* in the fraction's digits */
	ST_N_E,         /* after 'e' or 'E': a sign or a digit */
	ST_N_ESIGN,     /* after the exponent's sign: a digit */
	ST_N_EXP,       /* in the exponent's digits */
};

enum {
	E_NONE = 0, E_UNEXPECTED, E_CONTROL, E_ESCAPE, E_HEX, E_NUMBER,
	E_ZERO, E_DEPTH, E_TRAILING, E_TRUNCATED, E_EMPTY,
};

static int is_ws(unsigned char b)
{
	return b == ' ' || b == '\t' || b == '\n' || b == '\r';
}

static int is_digit(unsigned char b)
{
	return b >= '0' && b <= '9';
}

static int is_hex(unsigned char b)
{
	return is_digit(b) || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
}

void jsoncheck_init(struct jsoncheck *c, unsigned depth)
{
	memset(c, 0, sizeof *c);
	c->state = ST_VALUE;
	c->maxdepth = depth == 0 ? JSONCHECK_DEPTH
		      : depth > JSONCHECK_DEPTH_MAX ? JSONCHECK_DEPTH_MAX
		      : depth;
}

/* Record the first error, at byte offset pos. Returns -1. */
static int fail(struct jsoncheck *c, int err, size_t pos, unsigned char b)
{
	c->err = err;
	c->errpos = pos;
	c->bad = b;
	return -1;
}

/* Is the innermost open bracket an object? depth > 0. */
static int in_object(const struct jsoncheck *c)
{
	unsigned d = c->depth - 1;
	return (c->nest[d / 8] >> (d % 8)) & 1;
}

/* Open an array or object. Returns 0, or -1 past the depth limit. */
static int push(struct jsoncheck *c, int object, size_t pos)
{
	unsigned d = c->depth;
	if (d == c->maxdepth)
		return fail(c, E_DEPTH, pos, 0);
	if (object)
		c->nest[d / 8] |= (unsigned char)(1u << (d % 8));
	else
		c->nest[d / 8] &= (unsigned char)~(1u << (d % 8));
	c->depth++;
	c->state = object ? ST_OBJ_FIRST : ST_ARR_FIRST;
	return 0;
}

/* The first byte of a value, b, at pos. Returns 0 or -1. */
static int value(struct jsoncheck *c, unsigned char b, size_t pos)
{
	switch (b) {
	case '{':
	case '[':
		return push(c, b == '{', pos);
	case '"':
		c->state = ST_STR;
		c->in_key = 0;
		return 0;
	case '-':
		c->state = ST_N_MINUS;
		return 0;
	case '0':
		c->state = ST_N_ZERO;
		return 0;
	case 't':
	case 'f':
	case 'n':
		c->lit = b == 't' ? "true" : b == 'f' ? "false" : "null";
		c->left = 1;
		c->state = ST_LIT;
		return 0;
	}
	if (b >= '1' && b <= '9') {
		c->state = ST_N_INT;
		return 0;
	}
	return fail(c, E_UNEXPECTED, pos, b);
}

/* After a value, b at pos: a comma, a closing bracket, or (at depth 0)
 * nothing but blanks. */
static int after(struct jsoncheck *c, unsigned char b, size_t pos)
{
	if (c->depth == 0)
		return fail(c, E_TRAILING, pos, b);
	if (b == ',') {
		c->state = in_object(c) ? ST_KEY : ST_VALUE;
		return 0;
	}
	if (b == (in_object(c) ? '}' : ']')) {
		c->depth--;
		return 0;       /* still ST_AFTER: after the closed value */
	}
	return fail(c, E_UNEXPECTED, pos, b);
}

/* Bytes of a string from s[i] on, up to its closing quote or a byte that
 * needs a look (a backslash, a control character). Returns the index of
 * that byte, or n. */
static size_t plain_run(const unsigned char *s, size_t i, size_t n)
{
	while (i < n && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20)
		i++;
	return i;
}

/* A byte inside a string, an escape or a \u. */
static int string_byte(struct jsoncheck *c, unsigned char b, size_t pos)
{
	switch (c->state) {
	case ST_STR:
		if (b == '"')
			c->state = c->in_key ? ST_COLON : ST_AFTER;
		else if (b == '\\')
			c->state = ST_ESC;
		else if (b < 0x20)
			return fail(c, E_CONTROL, pos, b);
		return 0;
	case ST_ESC:
		if (b == 'u') {
			c->state = ST_HEX;
			c->left = 4;
		} else if (b && strchr("\"\\/bfnrt", b)) {
			c->state = ST_STR;
		} else {
			return fail(c, E_ESCAPE, pos, b);
		}
		return 0;
	default: /* ST_HEX */
		if (!is_hex(b))
			return fail(c, E_HEX, pos, b);
		if (--c->left == 0)
			c->state = ST_STR;
		return 0;
	}
}

/* A byte in a number's state. Returns 0 when taken, 1 when the number
 * ended before b (b is to be taken again, in ST_AFTER), -1 on an error. */
static int number_byte(struct jsoncheck *c, unsigned char b, size_t pos)
{
	int digit = is_digit(b), e = b == 'e' || b == 'E';
	switch (c->state) {
	case ST_N_MINUS:
		if (!digit)
			return fail(c, E_NUMBER, pos, b);
		c->state = b == '0' ? ST_N_ZERO : ST_N_INT;
		return 0;
	case ST_N_ZERO:
	case ST_N_INT:
	case ST_N_FRAC:
		if (digit && c->state == ST_N_ZERO)
			return fail(c, E_ZERO, pos, b);
		if (digit)
			return 0;
		if (b == '.' && c->state != ST_N_FRAC)
			c->state = ST_N_DOT;
		else if (e)
			c->state = ST_N_E;
		else
			break;
		return 0;
	case ST_N_DOT:
	case ST_N_ESIGN:
		if (!digit)
			return fail(c, E_NUMBER, pos, b);
		c->state = c->state == ST_N_DOT ? ST_N_FRAC : ST_N_EXP;
		return 0;
	case ST_N_E:
		if (b == '+' || b == '-')
			c->state = ST_N_ESIGN;
		else if (digit)
			c->state = ST_N_EXP;
		else
			return fail(c, E_NUMBER, pos, b);
		return 0;
	default: /* ST_N_EXP */
		if (digit)
			return 0;
		break;
	}
	c->state = ST_AFTER;
	return 1;
}

/* One byte b at pos, outside the fast runs of jsoncheck_feed. */
static int step(struct jsoncheck *c, unsigned char b, size_t pos)
{
	if (c->state >= ST_N_MINUS) {
		int r = number_byte(c, b, pos);
		if (r <= 0)
			return r;
		/* The number ended before b: b is taken in ST_AFTER. */
	}
	switch (c->state) {
	case ST_VALUE:
	case ST_ARR_FIRST:
	case ST_OBJ_FIRST:
	case ST_KEY:
	case ST_COLON:
	case ST_AFTER:
		if (is_ws(b))
			return 0;
		break;
	case ST_STR:
	case ST_ESC:
	case ST_HEX:
		return string_byte(c, b, pos);
	default: /* ST_LIT */
		if (b != (unsigned char)c->lit[c->left])
			return fail(c, E_UNEXPECTED, pos, b);
		if (c->lit[++c->left] == '\0')
			c->state = ST_AFTER;
		return 0;
	}
	switch (c->state) {
	case ST_ARR_FIRST:
		if (b == ']') {
			c->depth--;
			c->state = ST_AFTER;
			return 0;
		}
		/* fall through */
	case ST_VALUE:
		return value(c, b, pos);
	case ST_OBJ_FIRST:
		if (b == '}') {
			c->depth--;
			c->state = ST_AFTER;
			return 0;
		}
		/* fall through */
	case ST_KEY:
		if (b != '"')
			return fail(c, E_UNEXPECTED, pos, b);
		c->state = ST_STR;
		c->in_key = 1;
		return 0;
	case ST_COLON:
		if (b != ':')
			return fail(c, E_UNEXPECTED, pos, b);
		c->state = ST_VALUE;
		return 0;
	default: /* ST_AFTER */
		return after(c, b, pos);
	}
}

int jsoncheck_feed(struct jsoncheck *c, const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;
	if (c->err)
		return -1;
	while (i < len) {
		if (c->state == ST_STR) {       /* the bulk of most texts */
			i = plain_run(s, i, len);
			if (i == len)
				break;
		}
		if (step(c, s[i], c->pos + i) != 0) {
			c->pos += i;
			return -1;
		}
		i++;
	}
	c->pos += len;
	return 0;
}

int jsoncheck_end(struct jsoncheck *c)
{
	if (c->err)
		return -1;
	switch (c->state) {
	case ST_N_ZERO:
	case ST_N_INT:
	case ST_N_FRAC:
	case ST_N_EXP:
		c->state = ST_AFTER;    /* the end ends a number */
		break;
	case ST_VALUE:
		if (c->depth == 0)
			return fail(c, E_EMPTY, c->pos, 0);
		break;
	}
	if (c->state != ST_AFTER || c->depth != 0)
		return fail(c, E_TRUNCATED, c->pos, 0);
	return 0;
}

int jsoncheck_truncated(const struct jsoncheck *c)
{
	return c->err == E_TRUNCATED;
}

/* What the state that refused a byte wanted there. */
static const char *wanted(const struct jsoncheck *c)
{
	switch (c->state) {
	case ST_VALUE:
		return "a value";
	case ST_ARR_FIRST:
		return "a value or ']'";
	case ST_OBJ_FIRST:
		return "a key in double quotes or '}'";
	case ST_KEY:
		return "a key in double quotes";
	case ST_COLON:
		return "':'";
	case ST_LIT:
		return c->lit;
	}
	return c->depth && in_object(c) ? "',' or '}'" : "',' or ']'";
}

void jsoncheck_why(const struct jsoncheck *c, char *why, size_t whylen)
{
	char b[16], what[96];
	const size_t n = sizeof what;
	if (!why || whylen == 0)
		return;
	if (c->bad > 0x20 && c->bad < 0x7f)
		snprintf(b, sizeof b, "'%c'", c->bad);
	else
		snprintf(b, sizeof b, "byte 0x%02x", c->bad);
	switch (c->err) {
	case E_NONE:
		why[0] = '\0';
		return;
	case E_UNEXPECTED:
		snprintf(what, n, "unexpected %s (expected %s)", b, wanted(c));
		break;
	case E_CONTROL:
		snprintf(what, n, "raw control character 0x%02x in a string",
			 c->bad);
		break;
	case E_ESCAPE:
		snprintf(what, n, "bad escape (\\ then %s) in a string", b);
		break;
	case E_HEX:
		snprintf(what, n, "bad \\u escape (%s is not a hex digit)", b);
		break;
	case E_NUMBER:
		snprintf(what, n, "bad number (%s where a digit must be)", b);
		break;
	case E_ZERO:
		snprintf(what, n, "bad number (a digit after a leading 0)");
		break;
	case E_DEPTH:
		snprintf(what, n, "nested deeper than %u levels", c->maxdepth);
		break;
	case E_TRAILING:
		snprintf(what, n, "trailing garbage (%s after the value)", b);
		break;
	case E_TRUNCATED:
		snprintf(what, n, "truncated (the text ends inside a value)");
		break;
	default: /* E_EMPTY */
		snprintf(what, n, "no value (empty or blank)");
		break;
	}
	snprintf(why, whylen, "%s at byte %zu", what, c->errpos);
}

int jsoncheck(const char *s, size_t len, unsigned depth, char *why,
	      size_t whylen)
{
	struct jsoncheck c;
	jsoncheck_init(&c, depth);
	if (jsoncheck_feed(&c, s, len) != 0 || jsoncheck_end(&c) != 0) {
		jsoncheck_why(&c, why, whylen);
		return -1;
	}
	if (why && whylen)
		why[0] = '\0';
	return 0;
}
