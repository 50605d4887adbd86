/* fbstream.c — Firebase stream events applied to a stream's value (see
 * fbstream.h). Each event's data passes jsoncheck (strict RFC 8259), then
 * json-c parses it (one small object, put before returning; nothing of
 * json-c leaves this file). No threads, no
 * globals. Outside input throughout: every shape is checked, and a list
 * index is bounded (FBS_MAX_INDEX) so that a patch cannot make us allocate
 * without end. */
#include "fbstream.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"

#define FBS_MAX_INDEX 10000        /* HN's lists hold 500 ids */
#define ID_MAX (UINT64_C(1) << 53)

void fbs_init(struct fbstream *s, enum fbs_kind kind)
{
	memset(s, 0, sizeof *s);
	s->kind = kind;
}

void fbs_free(struct fbstream *s)
{
	free(s->ids);
	fbs_init(s, s->kind);
}

/* An id (1..2^53) in *id; 0 for null (a hole). -1 for anything else. */
static int get_id(json_object *o, uint64_t *id)
{
	if (!o) {
		*id = 0;
		return 0;
	}
	if (!json_object_is_type(o, json_type_int))
		return -1;
	int64_t v = json_object_get_int64(o);
	if (v < 1 || (uint64_t)v > ID_MAX)
		return -1;
	*id = (uint64_t)v;
	return 0;
}

/* ids[i] = id, growing with holes. 0, or -1 out of bounds / memory. */
static int set_at(struct fbstream *s, size_t i, uint64_t id)
{
	if (i >= FBS_MAX_INDEX)
		return -1;
	if (i >= s->cap) {
		size_t cap = s->cap ? s->cap : 64;
		while (cap <= i)
			cap *= 2;
		uint64_t *v = realloc(s->ids, cap * sizeof *v);
		if (!v)
			return -1;
		s->ids = v;
		s->cap = cap;
	}
	while (s->n <= i)
		s->ids[s->n++] = 0;
	s->ids[i] = id;
	return 0;
}

/* An array of ids (or null: empty) replaces the list. */
static int set_array(struct fbstream *s, json_object *a)
{
	s->n = 0;
	if (!a)
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return -1;
	size_t n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		uint64_t id;
		if (get_id(json_object_array_get_idx(a, i), &id) != 0 ||
		    set_at(s, i, id) != 0)
			return -1;
	}
	return 0;
}

/* A decimal index such as "3" (no sign, no leading zero). */
static int index_of(const char *k, size_t *i)
{
	char *end;
	if (!*k || (*k == '0' && k[1]) || *k < '0' || *k > '9')
		return -1;
	unsigned long v = strtoul(k, &end, 10);
	if (*end || v >= FBS_MAX_INDEX)
		return -1;
	*i = v;
	return 0;
}

static int apply_list(struct fbstream *s, int patch, const char *path,
		      json_object *d)
{
	size_t i;
	if (!patch && strcmp(path, "/") == 0)
		return set_array(s, d);
	if (!patch) { /* put "/N": one element */
		uint64_t id;
		if (path[0] != '/' || index_of(path + 1, &i) != 0 ||
		    get_id(d, &id) != 0)
			return -1;
		return set_at(s, i, id);
	}
	if (strcmp(path, "/") != 0 || !json_object_is_type(d, json_type_object))
		return -1;
	json_object_object_foreach(d, key, val) {
		uint64_t id;
		if (index_of(key, &i) != 0 || get_id(val, &id) != 0 ||
		    set_at(s, i, id) != 0)
			return -1;
	}
	while (s->n > 0 && s->ids[s->n - 1] == 0)
		s->n--; /* removed at the end: shorter */
	return 0;
}

/* updates.json: the "items" of the value at "/", or the value at "/items". */
static int apply_updates(struct fbstream *s, const char *path,
			 json_object *d, int *ours)
{
	json_object *items = NULL;
	*ours = 1;
	if (strcmp(path, "/items") == 0) {
		items = d;
	} else if (strcmp(path, "/") == 0) {
		if (d && !json_object_is_type(d, json_type_object))
			return -1;
		if (!d || !json_object_object_get_ex(d, "items", &items)) {
			*ours = 0; /* profiles only */
			s->n = 0;
			return 0;
		}
	} else {
		*ours = 0; /* /profiles and the like */
		return 0;
	}
	return set_array(s, items);
}

static int apply(struct fbstream *s, int patch, const char *path,
		 json_object *d, int *ours)
{
	*ours = 1;
	switch (s->kind) {
	case FBS_MAXITEM: {
		uint64_t v;
		if (patch || strcmp(path, "/") != 0 || get_id(d, &v) != 0 ||
		    v == 0)
			return -1;
		*ours = v != s->maxitem;
		s->maxitem = v;
		return 0;
	}
	case FBS_UPDATES:
		return apply_updates(s, path, d, ours);
	case FBS_LIST:
		return apply_list(s, patch, path, d);
	}
	return -1;
}

enum fbs_result fbs_apply(struct fbstream *s, const char *event,
			  const char *data, size_t len, char *why,
			  size_t whylen)
{
	if (strcmp(event, "keep-alive") == 0)
		return FBS_SAME;
	if (strcmp(event, "cancel") == 0 || strcmp(event, "auth_revoked") == 0)
		return FBS_END;
	int patch = strcmp(event, "patch") == 0;
	if (!patch && strcmp(event, "put") != 0)
		return FBS_SAME; /* an event we do not use */
	enum fbs_result rc = FBS_BAD;
	char jwhy[96];
	if (jsoncheck(data, len, 16, jwhy, sizeof jwhy) != 0) {
		snprintf(why, whylen, "%s: not JSON: %s", event, jwhy);
		return FBS_BAD;
	}
	json_tokener *tok = json_tokener_new_ex(16);
	json_object *o = NULL, *p, *d;
	if (tok) {
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
		o = json_tokener_parse_ex(tok, data, (int)len);
	}
	size_t end = tok ? json_tokener_get_parse_end(tok) : 0;
	while (end < len && strchr(" \t\r\n", data[end]))
		end++;
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    end != len ||
	    !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "path", &p) ||
	    !json_object_is_type(p, json_type_string) ||
	    !json_object_object_get_ex(o, "data", &d)) {
		snprintf(why, whylen, "%s: not {\"path\":...,\"data\":...}",
			 event);
		goto out;
	}
	int ours;
	if (apply(s, patch, json_object_get_string(p), d, &ours) != 0) {
		snprintf(why, whylen, "%s at %.40s: unexpected data", event,
			 json_object_get_string(p));
		goto out;
	}
	if (!patch && strcmp(json_object_get_string(p), "/") == 0)
		s->has_value = 1;
	rc = ours ? FBS_CHANGED : FBS_SAME;
out:
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return rc;
}
