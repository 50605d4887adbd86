/* fbstream.h — what a Firebase REST stream says, for the three streams
 * --watch follows: maxitem.json (an integer), updates.json ({"items":
 * [ids], "profiles": [...]}) and a story list such as topstories.json (an
 * array of ids, which Firebase patches by index: {"3": 123}).
 *
 * Each stream's events ("put" or "patch", data {"path": P, "data": D}) are
 * applied to a copy of the value at "/"; "keep-alive" changes nothing;
 * "cancel" and "auth_revoked" end the stream. Pure: no threads, no I/O; one
 * struct per stream. */
#ifndef HNBATCH_FBSTREAM_H
#define HNBATCH_FBSTREAM_H

#include <stddef.h>
#include <stdint.h>

enum fbs_kind { FBS_MAXITEM, FBS_UPDATES, FBS_LIST };

struct fbstream {
	enum fbs_kind kind;
	int has_value;            /* a put at "/" was seen */
	uint64_t maxitem;         /* FBS_MAXITEM */
	uint64_t *ids;            /* FBS_LIST: the list; FBS_UPDATES: the
	                             items of the last event (0: a hole) */
	size_t n, cap;
};

enum fbs_result {
	FBS_CHANGED = 1,          /* the value changed (see the fields) */
	FBS_SAME = 0,             /* keep-alive, or nothing of ours changed */
	FBS_BAD = -1,             /* not a Firebase event of this stream */
	FBS_END = -2,             /* cancel or auth_revoked: reconnect */
};

void fbs_init(struct fbstream *s, enum fbs_kind kind);
void fbs_free(struct fbstream *s);

/* Apply one event (name, data as sse.h hands them). On FBS_BAD a reason
 * is written into why. For FBS_UPDATES, ids[0..n) are then the items the
 * event names (each event names what changed recently: all of them are
 * worth a look). */
enum fbs_result fbs_apply(struct fbstream *s, const char *event,
			  const char *data, size_t len, char *why,
			  size_t whylen);

#endif
