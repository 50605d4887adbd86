/* alert_msg.h — an alert as its destination sees it: the JSON object on a
 * command's stdin and in a webhook's POST body, and the HN_* variables in a
 * command's environment. The two are made here together so they agree.
 * Pure functions over their arguments; safe from any thread. */
#ifndef HNBATCH_ALERT_MSG_H
#define HNBATCH_ALERT_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"

/* {"text":...,"kind":"story","id":...,"title":...,"comments":...,
 *  "url":...} for a story, {"text":...,"kind":"subthread","id":...,
 * "root":...,"title":...,"comments":...,"depth":...,"url":...} for a
 * subthread (url: the comment's HN link; title: its story's), and a
 * newline; malloc'd (caller frees), its length in *len; NULL on out of
 * memory. ai->title is a cleaned title (text_clean), NULL or "" when none. */
char *alert_msg_json(const struct alert_info *ai, size_t *len);

/* environ without any of the HN_* variables below: a malloc'd
 * NULL-terminated array whose strings point into environ (caller frees the
 * array only), its length in *n; NULL on out of memory. */
char **alert_msg_env_base(size_t *n);

/* The longest HN_TITLE value, in bytes: a longer title is cut there, on a
 * UTF-8 character boundary (the JSON on stdin has all of it). */
#define ALERT_MSG_ENV_MAX 4096

/* The length of s cut to at most max bytes without splitting a UTF-8
 * character (s is valid UTF-8). */
size_t alert_msg_cut(const char *s, size_t max);

/* A command's environment: base (n entries) plus HN_KIND (story or
 * subthread), HN_ID, HN_ROOT, HN_TITLE (cut to ALERT_MSG_ENV_MAX bytes),
 * HN_COMMENTS and HN_URL. */
#define ALERT_MSG_NVARS 6
struct alert_env {
	char **envp;       /* NULL-terminated, for spawn_start */
	char *vars[ALERT_MSG_NVARS]; /* the HN_* strings, malloc'd */
};

/* Fill e. Returns 0, or -1 on out of memory (e is then empty). Free with
 * alert_msg_env_free (also fine on an empty e). */
int alert_msg_env(struct alert_env *e, char *const *base, size_t n,
		  const struct alert_info *ai);
void alert_msg_env_free(struct alert_env *e);

#endif
