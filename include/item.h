/* item.h — parsing API answers (item/<id>.json and the story lists).
 * The only module that includes json-c. One item_parser per thread: a parser
 * is never shared; json-c objects never leave item.c. */
#ifndef HNBATCH_ITEM_H
#define HNBATCH_ITEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum item_type {
	ITEM_UNKNOWN = 0, ITEM_STORY, ITEM_COMMENT, ITEM_JOB, ITEM_POLL,
	ITEM_POLLOPT,
};

struct item {
	uint64_t id;
	enum item_type type;
	bool deleted, dead;
	uint64_t *kids;          /* storage reused across item_parse calls */
	size_t nkids, kids_cap;
	char *title;             /* malloc'd copy, or NULL when absent */
	bool has_descendants;
	int64_t descendants;
	uint64_t parent;         /* `parent` (comments), 0 when absent */
	size_t nparts;           /* polls: number of `parts` (not traversed) */
};

enum item_status {
	ITEM_OK = 0,
	ITEM_NULL,      /* the body is `null`: the API has no such item */
	ITEM_ERR_JSON,  /* not JSON, truncated, trailing garbage, HTML page */
	ITEM_ERR_TYPE,  /* JSON, but not an object or a field of the wrong
			 * type (kids not an array of positive integers
			 * <= 2^53, ...) */
	ITEM_ERR_ID,    /* `id` missing or different from the one asked for */
	ITEM_ERR_NOMEM, /* out of memory while copying kids or the title */
};

struct item_parser;

/* Returns NULL on out of memory. */
struct item_parser *item_parser_new(void);
void item_parser_free(struct item_parser *p);

/* Parse one body. `out` must be zeroed before first use; its kids storage is
 * reused and grown, its title is replaced (freed) on each call. Unknown fields
 * are ignored. `want_id` is the id requested. On error, a short reason is
 * written into why (e.g. "kids[3] is not a positive integer"). */
enum item_status item_parse(struct item_parser *p, const char *body,
			    size_t len, uint64_t want_id, struct item *out,
			    char *why, size_t whylen);

/* Free what item_parse allocated inside `it` (not `it` itself). */
void item_free(struct item *it);

/* Parse a story list (topstories.json: an array of ids). At most `max` ids
 * are stored into a malloc'd *ids (caller frees). Returns 0 or -1 with why. */
int item_parse_idlist(struct item_parser *p, const char *body, size_t len,
		      size_t max, uint64_t **ids, size_t *n,
		      char *why, size_t whylen);

const char *item_status_str(enum item_status s); /* "not JSON", ... */

/* The json-c version in use, e.g. "0.16". */
const char *item_jsonc_version(void);

#endif
