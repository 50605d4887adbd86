/* result.h — one root's outcome, as reported.  Plain data, no threads. */
#ifndef HNBATCH_RESULT_H
#define HNBATCH_RESULT_H

#include <stdbool.h>
#include <stdint.h>

enum root_status {
	ROOT_COMPLETE = 0,  /* every item had */
	ROOT_PARTIAL,       /* failed > 0, or stopped by a budget */
	ROOT_MISSING,       /* the root itself answered null */
	ROOT_INTERRUPTED,   /* a signal stopped the run before it finished */
	ROOT_LEFT,          /* --watch: the root left its list; last record */
};

struct root_result {
	uint64_t id;
	char *title;              /* text_clean'd, malloc'd; NULL when none */
	uint64_t comments;        /* live: reachable, not deleted, not dead */
	uint64_t deleted, dead;   /* dead counts only comments not deleted */
	uint64_t missing, failed;
	uint64_t depth;
	bool has_descendants;
	int64_t descendants;
	uint64_t fetches;
	uint64_t elapsed_ms;
	enum root_status status;
	bool has_previous;        /* --state: last run's comments */
	int64_t previous;
	bool has_hottest;         /* false when the root has no comments */
	uint64_t hottest_id;      /* the top-level comment with the most */
	uint64_t hottest_comments; /* comments below it (ties: smaller id) */
	int64_t changed_at_ms;    /* --watch: when its counts last changed
	                             (Unix time in ms) */
};

const char *root_status_str(enum root_status s); /* "complete", ... */

#endif
