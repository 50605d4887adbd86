/* alert_msg.c — the alert JSON and the HN_* environment (see alert_msg.h).
 * No state: every function works on its arguments only, so the alert thread
 * and the tests may call it freely. json-c is not used here: text_json()
 * writes the strings, the numbers are printed. HN_TITLE is cut to
 * ALERT_MSG_ENV_MAX bytes (Linux refuses an exec with one string over
 * 128 KiB, E2BIG, and the alert could never be delivered); the JSON keeps
 * the whole title. */
#include "alert_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

extern char **environ;

#define HN_ITEM_URL "https://news.ycombinator.com/item?id="

/* A formatted string, malloc'd; NULL on out of memory (vasprintf leaves
 * its pointer undefined then). */
static char *var(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *var(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* The alert in words, for chat services that show a "text" field:
 * "HN post ID has N comments: TITLE URL", or "HN comment ID has N comments
 * below it (in ROOT: TITLE) URL"; malloc'd, NULL on OOM. */
static char *alert_text(const struct alert_info *ai, const char *title)
{
	if (ai->kind == ALERT_SUBTHREAD)
		return var("HN comment %llu has %llu comments below it (in "
			   "%llu%s%s) " HN_ITEM_URL "%llu",
			   (unsigned long long)ai->id,
			   (unsigned long long)ai->comments,
			   (unsigned long long)ai->root, title[0] ? ": " : "",
			   title, (unsigned long long)ai->id);
	return var("HN post %llu has %llu comments%s%s " HN_ITEM_URL "%llu",
		   (unsigned long long)ai->id, (unsigned long long)ai->comments,
		   title[0] ? ": " : "", title, (unsigned long long)ai->id);
}

char *alert_msg_json(const struct alert_info *ai, size_t *len)
{
	char *text = NULL, *out = NULL;
	FILE *f = NULL;
	const char *title = ai->title ? ai->title : "";
	int sub = ai->kind == ALERT_SUBTHREAD;
	if (!(text = alert_text(ai, title)) ||
	    !(f = open_memstream(&out, len)))
		goto out;
	fputs("{\"text\":", f);
	text_json(f, text);
	fprintf(f, ",\"kind\":\"%s\",\"id\":%llu", sub ? "subthread" : "story",
		(unsigned long long)ai->id);
	if (sub)
		fprintf(f, ",\"root\":%llu", (unsigned long long)ai->root);
	fputs(",\"title\":", f);
	text_json(f, title);
	fprintf(f, ",\"comments\":%llu", (unsigned long long)ai->comments);
	if (sub)
		fprintf(f, ",\"depth\":%u", (unsigned)ai->depth);
	fprintf(f, ",\"url\":\"" HN_ITEM_URL "%llu\"}\n",
		(unsigned long long)ai->id);
	if (fclose(f) != 0) {
		free(out);
		out = NULL;
	}
out:
	free(text);
	return out;
}

static int is_hn_var(const char *e)
{
	static const char *const vars[] = { "HN_KIND=", "HN_ID=", "HN_ROOT=",
		"HN_TITLE=", "HN_COMMENTS=", "HN_URL=" };
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		if (!strncmp(e, vars[i], strlen(vars[i])))
			return 1;
	return 0;
}

char **alert_msg_env_base(size_t *n)
{
	size_t all = 0;
	for (char **e = environ; e && *e; e++)
		all++;
	char **base = calloc(all + 1, sizeof *base);
	if (!base)
		return NULL;
	*n = 0;
	for (char **e = environ; e && *e; e++)
		if (!is_hn_var(*e))
			base[(*n)++] = *e;
	return base;
}

size_t alert_msg_cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return n;
	n = max; /* s[n] is the first byte left out: not inside a character */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int alert_msg_env(struct alert_env *e, char *const *base, size_t n,
		  const struct alert_info *ai)
{
	*e = (struct alert_env){ 0 };
	const char *title = ai->title ? ai->title : "";
	e->vars[0] = var("HN_KIND=%s", ai->kind == ALERT_SUBTHREAD
				       ? "subthread" : "story");
	e->vars[1] = var("HN_ID=%llu", (unsigned long long)ai->id);
	e->vars[2] = var("HN_ROOT=%llu", (unsigned long long)ai->root);
	e->vars[3] = var("HN_TITLE=%.*s",
			 (int)alert_msg_cut(title, ALERT_MSG_ENV_MAX), title);
	e->vars[4] = var("HN_COMMENTS=%llu",
			 (unsigned long long)ai->comments);
	e->vars[5] = var("HN_URL=" HN_ITEM_URL "%llu",
			 (unsigned long long)ai->id);
	e->envp = calloc(n + ALERT_MSG_NVARS + 1, sizeof *e->envp);
	int ok = e->envp != NULL;
	for (int i = 0; i < ALERT_MSG_NVARS; i++)
		ok = ok && e->vars[i];
	if (!ok) {
		alert_msg_env_free(e);
		return -1;
	}
	if (n)
		memcpy(e->envp, base, n * sizeof *e->envp);
	memcpy(e->envp + n, e->vars, sizeof e->vars);
	return 0;
}

void alert_msg_env_free(struct alert_env *e)
{
	for (int i = 0; i < ALERT_MSG_NVARS; i++)
		free(e->vars[i]);
	free(e->envp);
	*e = (struct alert_env){ 0 };
}
