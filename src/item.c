/* item.c — parsing API answers (item/<id>.json, topstories.json) with json-c.
 * The only file that includes json-c.
 *
 * Threads: none of its own, and no locks. A struct item_parser holds one
 * json_tokener and belongs to one thread (one per worker); a struct item
 * belongs to its caller. json-c objects live only inside one call: ids and
 * the title are copied out, then the tree is put before returning.
 *
 * Untrusted input: every body first passes jsoncheck (jsoncheck.h), a
 * strict RFC 8259 syntax check that also refuses what json-c takes even in
 * strict mode (single-quoted strings, NaN, Infinity, "1."), NUL bytes, and
 * nesting past DEPTH levels; a body it refuses is ITEM_ERR_JSON with its
 * reason. Only then does json-c build the tree (iteratively, with its own
 * stack limited to DEPTH levels too), in strict mode. The code below walks
 * one object and flat arrays in loops, never recursively.
 */
#include "item.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"

#define DEPTH 32                       /* an item is 2 levels deep */
#define ID_MAX (UINT64_C(1) << 53)     /* JSON numbers are exact up to 2^53 */

struct item_parser {
	struct json_tokener *tok;
};

__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A JSON integer in 1..2^53 (an item id)? */
static int get_id(const json_object *o, uint64_t *id)
{
	int64_t v;

	if (!json_object_is_type(o, json_type_int))
		return 0;
	/* json-c saturates: values past INT64_MAX read as INT64_MAX. */
	v = json_object_get_int64(o);
	if (v < 1 || (uint64_t)v > ID_MAX)
		return 0;
	*id = (uint64_t)v;
	return 1;
}

static const char *kind(const json_object *o)
{
	return o ? json_type_to_name(json_object_get_type(o)) : "null";
}

struct item_parser *item_parser_new(void)
{
	struct item_parser *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->tok = json_tokener_new_ex(DEPTH);
	if (!p->tok) {
		free(p);
		return NULL;
	}
	json_tokener_set_flags(p->tok, JSON_TOKENER_STRICT);
	return p;
}

void item_parser_free(struct item_parser *p)
{
	if (!p)
		return;
	json_tokener_free(p->tok);
	free(p);
}

/* Parse the whole body into *out (NULL for `null`). Returns ITEM_OK,
 * ITEM_NULL or ITEM_ERR_JSON; the caller puts *out. */
static enum item_status parse_json(struct item_parser *p, const char *body,
				   size_t len, json_object **out, char *why,
				   size_t whylen)
{
	json_object *o;
	enum json_tokener_error e;
	size_t i, end;

	*out = NULL;
	for (i = 0; i < len && is_ws(body[i]); i++)
		;
	if (i == len) {
		say(why, whylen, "empty body");
		return ITEM_ERR_JSON;
	}
	if (body[i] == '<') {
		say(why, whylen, "an HTML page, not JSON");
		return ITEM_ERR_JSON;
	}
	if (len >= INT_MAX) { /* json_tokener_parse_ex takes an int */
		say(why, whylen, "body too large (%zu bytes)", len);
		return ITEM_ERR_JSON;
	}
	/* Strict JSON only (json-c takes {'id':2}, NaN, 1.): and no NUL
	 * byte, which json-c would take for the end of the input. */
	if (jsoncheck(body, len, DEPTH, why, whylen) != 0)
		return ITEM_ERR_JSON;

	json_tokener_reset(p->tok);
	o = json_tokener_parse_ex(p->tok, body, (int)len);
	e = json_tokener_get_error(p->tok);
	end = json_tokener_get_parse_end(p->tok);
	if (e == json_tokener_continue) {
		/* All of body was eaten and more was wanted. A final NUL says
		 * the input ends here: that completes a bare number or `null`
		 * and makes anything unfinished an error. */
		o = json_tokener_parse_ex(p->tok, "", 1);
		e = json_tokener_get_error(p->tok);
		end = len;
	}
	if (e != json_tokener_success) {
		json_object_put(o);
		if (e == json_tokener_continue)
			e = json_tokener_error_parse_eof;
		if (e == json_tokener_error_depth)
			say(why, whylen, "nested deeper than %d levels at "
			    "byte %zu", DEPTH, end);
		else
			say(why, whylen, "%s at byte %zu",
			    json_tokener_error_desc(e), end);
		return ITEM_ERR_JSON;
	}
	for (i = end; i < len; i++) {
		if (!is_ws(body[i])) {
			json_object_put(o);
			say(why, whylen, "trailing garbage at byte %zu", i);
			return ITEM_ERR_JSON;
		}
	}
	*out = o;
	return o ? ITEM_OK : ITEM_NULL;
}

/* Make `it` empty, keeping its kids storage. */
static void reset(struct item *it)
{
	free(it->title);
	it->title = NULL;
	it->id = 0;
	it->type = ITEM_UNKNOWN;
	it->deleted = it->dead = false;
	it->nkids = 0;
	it->has_descendants = false;
	it->descendants = 0;
	it->parent = 0;
	it->nparts = 0;
}

static enum item_type type_of(const char *s)
{
	static const struct {
		const char *name;
		enum item_type type;
	} types[] = {
		{ "story", ITEM_STORY },       { "comment", ITEM_COMMENT },
		{ "job", ITEM_JOB },           { "poll", ITEM_POLL },
		{ "pollopt", ITEM_POLLOPT },
	};
	size_t i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(s, types[i].name) == 0)
			return types[i].type;
	return ITEM_UNKNOWN;
}

/* Copy the ids of array a into it->kids, growing the storage as needed. */
static enum item_status get_kids(const json_object *a, struct item *it,
				 char *why, size_t whylen)
{
	size_t n, i;

	if (!json_object_is_type(a, json_type_array)) {
		say(why, whylen, "kids is %s, not an array", kind(a));
		return ITEM_ERR_TYPE;
	}
	n = json_object_array_length(a);
	if (n > it->kids_cap) {
		size_t cap = it->kids_cap ? it->kids_cap : 16;
		uint64_t *k;

		/* n < INT_MAX (the body is shorter): no overflow here. */
		while (cap < n)
			cap *= 2;
		k = realloc(it->kids, cap * sizeof *k);
		if (!k) {
			say(why, whylen, "out of memory for %zu kids", n);
			return ITEM_ERR_NOMEM;
		}
		it->kids = k;
		it->kids_cap = cap;
	}
	for (i = 0; i < n; i++) {
		if (!get_id(json_object_array_get_idx(a, i), &it->kids[i])) {
			say(why, whylen,
			    "kids[%zu] is not a positive integer <= 2^53", i);
			return ITEM_ERR_TYPE;
		}
	}
	it->nkids = n;
	return ITEM_OK;
}

static enum item_status get_bool(const json_object *o, const char *name,
				 bool *b, char *why, size_t whylen)
{
	if (!json_object_is_type(o, json_type_boolean)) {
		say(why, whylen, "%s is %s, not a boolean", name, kind(o));
		return ITEM_ERR_TYPE;
	}
	*b = json_object_get_boolean(o);
	return ITEM_OK;
}

/* The fields of object o into it; it has been reset. */
static enum item_status get_fields(json_object *o, uint64_t want_id,
				   struct item *it, char *why, size_t whylen)
{
	json_object *v;
	enum item_status st;
	uint64_t id;

	if (!json_object_object_get_ex(o, "id", &v)) {
		say(why, whylen, "no id");
		return ITEM_ERR_ID;
	}
	if (!get_id(v, &id)) {
		say(why, whylen, "id is not a positive integer <= 2^53");
		return ITEM_ERR_ID;
	}
	if (id != want_id) {
		say(why, whylen, "id %llu, not %llu as asked",
		    (unsigned long long)id, (unsigned long long)want_id);
		return ITEM_ERR_ID;
	}
	it->id = id;

	if (json_object_object_get_ex(o, "type", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			say(why, whylen, "type is %s, not a string", kind(v));
			return ITEM_ERR_TYPE;
		}
		it->type = type_of(json_object_get_string(v));
	}
	if (json_object_object_get_ex(o, "deleted", &v) &&
	    (st = get_bool(v, "deleted", &it->deleted, why, whylen)) != ITEM_OK)
		return st;
	if (json_object_object_get_ex(o, "dead", &v) &&
	    (st = get_bool(v, "dead", &it->dead, why, whylen)) != ITEM_OK)
		return st;
	if (json_object_object_get_ex(o, "kids", &v) &&
	    (st = get_kids(v, it, why, whylen)) != ITEM_OK)
		return st;
	if (json_object_object_get_ex(o, "parent", &v) &&
	    !get_id(v, &it->parent)) {
		say(why, whylen, "parent is not an id");
		return ITEM_ERR_TYPE;
	}
	if (json_object_object_get_ex(o, "descendants", &v)) {
		int64_t d;

		if (!json_object_is_type(v, json_type_int)) {
			say(why, whylen, "descendants is %s, not an integer",
			    kind(v));
			return ITEM_ERR_TYPE;
		}
		d = json_object_get_int64(v);
		if (d == INT64_MAX &&
		    json_object_get_uint64(v) > (uint64_t)INT64_MAX) {
			say(why, whylen, "descendants is too big");
			return ITEM_ERR_TYPE;
		}
		it->has_descendants = true;
		it->descendants = d;
	}
	if (json_object_object_get_ex(o, "parts", &v)) {
		if (!json_object_is_type(v, json_type_array)) {
			say(why, whylen, "parts is %s, not an array", kind(v));
			return ITEM_ERR_TYPE;
		}
		it->nparts = json_object_array_length(v);
	}
	if (json_object_object_get_ex(o, "title", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			say(why, whylen, "title is %s, not a string", kind(v));
			return ITEM_ERR_TYPE;
		}
		it->title = strdup(json_object_get_string(v));
		if (!it->title) {
			say(why, whylen, "out of memory for the title");
			return ITEM_ERR_NOMEM;
		}
	}
	return ITEM_OK;
}

enum item_status item_parse(struct item_parser *p, const char *body,
			    size_t len, uint64_t want_id, struct item *out,
			    char *why, size_t whylen)
{
	json_object *o = NULL;
	enum item_status st;

	say(why, whylen, "%s", "");
	reset(out);
	st = parse_json(p, body, len, &o, why, whylen);
	if (st == ITEM_NULL)
		say(why, whylen, "null: the API has no such item");
	if (st != ITEM_OK)
		goto out;
	if (!json_object_is_type(o, json_type_object)) {
		say(why, whylen, "%s, not an object", kind(o));
		st = ITEM_ERR_TYPE;
		goto out;
	}
	st = get_fields(o, want_id, out, why, whylen);
out:
	json_object_put(o);
	if (st != ITEM_OK)
		reset(out);
	return st;
}

void item_free(struct item *it)
{
	reset(it);
	free(it->kids);
	it->kids = NULL;
	it->kids_cap = 0;
}

int item_parse_idlist(struct item_parser *p, const char *body, size_t len,
		      size_t max, uint64_t **ids, size_t *n, char *why,
		      size_t whylen)
{
	json_object *o = NULL;
	uint64_t *v = NULL;
	size_t count, keep, i;
	int rc = -1;

	*ids = NULL;
	*n = 0;
	say(why, whylen, "%s", "");
	switch (parse_json(p, body, len, &o, why, whylen)) {
	case ITEM_OK:
		break;
	case ITEM_NULL:
		say(why, whylen, "null, not a list of ids");
		goto out;
	default:
		goto out;
	}
	if (!json_object_is_type(o, json_type_array)) {
		say(why, whylen, "%s, not an array of ids", kind(o));
		goto out;
	}
	count = json_object_array_length(o);
	keep = count < max ? count : max;
	/* At least one element so that success always hands back memory. */
	v = malloc((keep ? keep : 1) * sizeof *v);
	if (!v) {
		say(why, whylen, "out of memory for %zu ids", keep);
		goto out;
	}
	/* Check every element, keep the first `max`. */
	for (i = 0; i < count; i++) {
		uint64_t id;

		if (!get_id(json_object_array_get_idx(o, i), &id)) {
			say(why, whylen,
			    "[%zu] is not a positive integer <= 2^53", i);
			goto out;
		}
		if (i < keep)
			v[i] = id;
	}
	*ids = v;
	*n = keep;
	v = NULL;
	rc = 0;
out:
	free(v);
	json_object_put(o);
	return rc;
}

const char *item_status_str(enum item_status s)
{
	switch (s) {
	case ITEM_OK:
		return "ok";
	case ITEM_NULL:
		return "null";
	case ITEM_ERR_JSON:
		return "not JSON";
	case ITEM_ERR_TYPE:
		return "wrong field type";
	case ITEM_ERR_ID:
		return "wrong id";
	case ITEM_ERR_NOMEM:
		return "out of memory";
	}
	return "unknown status";
}

const char *item_jsonc_version(void)
{
	return json_c_version();
}
