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

/* "HN post ID has N comments: TITLE URL", malloc'd; NULL on OOM. */
static char *alert_text(uint64_t id, const char *title, uint64_t comments)
{
	return var("HN post %llu has %llu comments%s%s " HN_ITEM_URL "%llu",
		   (unsigned long long)id, (unsigned long long)comments,
		   title[0] ? ": " : "", title, (unsigned long long)id);
}

char *alert_msg_json(uint64_t id, const char *title, uint64_t comments,
		     size_t *len)
{
	char *text = NULL, *out = NULL;
	FILE *f = NULL;
	if (!title)
		title = "";
	if (!(text = alert_text(id, title, comments)) ||
	    !(f = open_memstream(&out, len)))
		goto out;
	fputs("{\"text\":", f);
	text_json(f, text);
	fprintf(f, ",\"id\":%llu,\"title\":", (unsigned long long)id);
	text_json(f, title);
	fprintf(f, ",\"comments\":%llu,\"url\":\"" HN_ITEM_URL "%llu\"}\n",
		(unsigned long long)comments, (unsigned long long)id);
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
	return !strncmp(e, "HN_ID=", 6) || !strncmp(e, "HN_TITLE=", 9) ||
	       !strncmp(e, "HN_COMMENTS=", 12) || !strncmp(e, "HN_URL=", 7);
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
		  uint64_t id, const char *title, uint64_t comments)
{
	*e = (struct alert_env){ 0 };
	if (!title)
		title = "";
	e->vars[0] = var("HN_ID=%llu", (unsigned long long)id);
	e->vars[1] = var("HN_TITLE=%.*s",
			 (int)alert_msg_cut(title, ALERT_MSG_ENV_MAX), title);
	e->vars[2] = var("HN_COMMENTS=%llu", (unsigned long long)comments);
	e->vars[3] = var("HN_URL=" HN_ITEM_URL "%llu", (unsigned long long)id);
	e->envp = calloc(n + 5, sizeof *e->envp);
	if (!e->vars[0] || !e->vars[1] || !e->vars[2] || !e->vars[3] ||
	    !e->envp) {
		alert_msg_env_free(e);
		return -1;
	}
	memcpy(e->envp, base, n * sizeof *e->envp);
	memcpy(e->envp + n, e->vars, sizeof e->vars);
	return 0;
}

void alert_msg_env_free(struct alert_env *e)
{
	for (int i = 0; i < 4; i++)
		free(e->vars[i]);
	free(e->envp);
	*e = (struct alert_env){ 0 };
}
