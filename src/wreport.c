/* wreport.c — what --watch reports (see watch_int.h): a record each time a
 * root's counts change, the alerts of what crossed a threshold, the live
 * table on a terminal, the -o file, and the summary at the end.
 *
 * Threads: the watch's only (the alert module takes what it is given on
 * its own queue).
 *
 * Records: in a pipe or a file, each record is written and flushed at
 * once (jsonl, csv with one header, or table rows under one header), with
 * changed_at. With --format table on a terminal the records are not
 * printed one by one: a table of every root (sorted by comments, with the
 * change over the last minute) is redrawn in place, at most four times a
 * second, on the terminal's alternate screen, which is left at the end
 * (the terminal comes back as it was) before the last table is printed.
 * -o FILE holds the latest record of every root, replaced atomically at
 * most once a second and at the end.
 *
 * Alerts: a root over --threshold, and a comment over
 * --subthread-threshold, alerts once in the run (once ever with --state). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>

#include "alert.h"
#include "clock.h"
#include "log.h"
#include "text.h"
#include "watch_int.h"

#define DRAW_MS 250               /* the live table: 4 redraws a second */
#define FILE_MS 1000              /* -o: once a second */

struct wreport {
	struct watch *w;
	struct output_opts oo;
	int header_done, live, failed_write;
	int table_dirty, file_dirty;
	double next_draw, next_file;
	uint64_t records;
};

static int64_t wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

struct wreport *wreport_new(struct watch *w)
{
	struct wreport *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->w = w;
	const struct config *cfg = w->o.cfg;
	r->oo = (struct output_opts){ .format = cfg->format, .header = 1,
				      .iteration = -1, .with_changed_at = 1 };
	r->live = cfg->format == OUT_TABLE && isatty(STDOUT_FILENO);
	if (r->live)
		fputs("\033[?1049h\033[H\033[J", stdout); /* alternate screen */
	return r;
}

void wreport_free(struct wreport *r)
{
	free(r);
}

/* Subthread alerts: wtree_count's callback for comments over the
 * threshold. */
static void on_hot(struct wnode *n, uint64_t comments, uint32_t depth,
		   void *arg)
{
	struct watch *w = arg;
	if (!w->o.alerts || u64set_add(&w->alerted, n->id) != 1)
		return;
	const struct wroot *r = &w->roots[n->root];
	struct subthread s = { .id = n->id, .root_id = r->id,
			       .root_title = r->title, .comments = comments,
			       .depth = depth };
	alert_on_subthread(&s, w->o.alerts);
}

/* The record of root i as the trees say now. */
static int make(struct watch *w, uint32_t i, enum root_status status,
		struct root_result *res)
{
	struct wroot *r = &w->roots[i];
	struct wcounts c;
	const struct config *cfg = w->o.cfg;
	if (wtree_count(w->tree, r->id, w->o.alerts ?
			cfg->subthread_threshold : -1, on_hot, w, &c) != 0)
		return -1;
	struct wnode *top = wtree_get(w->tree, r->id);
	*res = (struct root_result){
		.id = r->id, .title = r->title, .comments = c.n[WK_LIVE],
		.deleted = c.n[WK_DELETED], .dead = c.n[WK_DEAD],
		.missing = c.n[WK_MISSING], .failed = c.n[WK_FAILED] +
		(top && top->kind == WK_FAILED), .depth = c.depth,
		.has_descendants = r->has_desc, .descendants = r->desc,
		.fetches = r->fetches,
		.elapsed_ms = (uint64_t)(clock_now_ms() - r->t0),
		.has_hottest = c.has_hot, .hottest_id = c.hot_id,
		.hottest_comments = c.hot_comments,
		.changed_at_ms = wall_ms(), .status = status,
	};
	if (status == ROOT_COMPLETE)
		res->status = r->is_null ? ROOT_MISSING
			      : res->failed ? ROOT_PARTIAL : ROOT_COMPLETE;
	return 0;
}

static int same(const struct root_result *a, const struct root_result *b)
{
	return a->comments == b->comments && a->deleted == b->deleted &&
	       a->dead == b->dead && a->missing == b->missing &&
	       a->failed == b->failed && a->depth == b->depth &&
	       a->has_descendants == b->has_descendants &&
	       a->descendants == b->descendants && a->status == b->status &&
	       a->has_hottest == b->has_hottest &&
	       a->hottest_id == b->hottest_id &&
	       a->hottest_comments == b->hottest_comments &&
	       !strcmp(a->title ? a->title : "", b->title ? b->title : "");
}

static void write_record(struct wreport *rep, const struct root_result *res)
{
	rep->oo.header = !rep->header_done;
	rep->header_done = 1;
	if (output_write(stdout, res, 1, &rep->oo) != 0 && !rep->failed_write) {
		log_error("writing a record to standard output failed");
		rep->failed_write = 1;
		rep->w->failed = 1;
	}
	rep->records++;
}

static void remember(struct wroot *r, const struct root_result *res)
{
	free(r->last.title);
	r->last = *res;
	r->last.title = res->title ? strdup(res->title) : NULL;
	r->has_last = 1;
	unsigned k = r->hist_n++ % WHIST;
	r->hist_t[k] = clock_now_ms();
	r->hist_c[k] = res->comments;
}

/* Root i's record now, alerts raised, remembered. 1 when it is to be
 * written (changed, or forced), 0 when not, -1 out of memory. */
static int update(struct wreport *rep, uint32_t i, int force,
		  enum root_status status, struct root_result *res)
{
	struct watch *w = rep->w;
	struct wroot *r = &w->roots[i];
	if (make(w, i, status, res) != 0) {
		log_error("watch: out of memory");
		w->failed = 1;
		return -1;
	}
	if (!force && r->has_last && same(res, &r->last))
		return 0;
	const struct config *cfg = w->o.cfg;
	if (w->o.alerts && cfg->threshold >= 0 &&
	    res->comments > (uint64_t)cfg->threshold &&
	    u64set_add(&w->alerted, r->id) == 1)
		alert_on_root(res, w->o.alerts);
	remember(r, res);
	rep->file_dirty = 1;
	return 1;
}

void wreport_root(struct wreport *rep, uint32_t i, int force,
		  enum root_status status)
{
	struct root_result res;
	if (update(rep, i, force, status, &res) != 1)
		return;
	if (rep->live)
		rep->table_dirty = 1;
	else
		write_record(rep, &res);
}

/* ---- the live table and the -o file ------------------------------------ */

/* The change of root r's comments over the last minute. */
static int64_t last_minute(const struct wroot *r, double now)
{
	unsigned n = r->hist_n < WHIST ? r->hist_n : WHIST;
	uint64_t then = r->last.comments;
	double best = -1;
	for (unsigned k = 0; k < n; k++) {
		double t = r->hist_t[k];
		if (t <= now - 60000 && t > best) {
			best = t;
			then = r->hist_c[k];
		}
	}
	if (best < 0) /* younger than a minute: from its first record */
		for (unsigned k = 0, first = 1; k < n; k++)
			if (first || r->hist_t[k] < best) {
				best = r->hist_t[k];
				then = r->hist_c[k];
				first = 0;
			}
	return (int64_t)r->last.comments - (int64_t)then;
}

static int by_comments(const void *a, const void *b)
{
	const struct wroot *x = *(struct wroot *const *)a;
	const struct wroot *y = *(struct wroot *const *)b;
	if (x->last.comments != y->last.comments)
		return x->last.comments < y->last.comments ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void draw(struct wreport *rep)
{
	struct watch *w = rep->w;
	struct wroot **v = malloc((w->nroots ? w->nroots : 1) * sizeof *v);
	if (!v)
		return;
	size_t n = 0, cols = 80;
	for (size_t i = 0; i < w->nroots; i++)
		if (w->roots[i].active && w->roots[i].has_last)
			v[n++] = &w->roots[i];
	qsort(v, n, sizeof *v, by_comments);
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		cols = ws.ws_col;
	double now = clock_now_ms();
	printf("\033[H\033[J%10s %7s %16s %10s  %s\n", "COMMENTS", "1 MIN",
	       "HOTTEST", "ID", "TITLE");
	for (size_t i = 0; i < n; i++) {
		const struct root_result *l = &v[i]->last;
		char hot[48] = "-";
		if (l->has_hottest)
			snprintf(hot, sizeof hot, "%llu@%llu",
				 (unsigned long long)l->hottest_comments,
				 (unsigned long long)l->hottest_id);
		printf("%10llu %+7lld %16s %10llu  ",
		       (unsigned long long)l->comments,
		       (long long)last_minute(v[i], now), hot,
		       (unsigned long long)l->id);
		text_fit(stdout, l->title && *l->title ? l->title : "-",
			 cols > 50 ? cols - 50 : 10, 0);
		putchar('\n');
	}
	printf("\n%zu roots, %llu stream events, %llu new items, %llu "
	       "updates, %llu fetches\n", n,
	       (unsigned long long)w->stats[WS_EVENTS],
	       (unsigned long long)w->stats[WS_NEW],
	       (unsigned long long)w->stats[WS_UPDATES],
	       (unsigned long long)w->stats[WS_FETCHES]);
	fflush(stdout);
	free(v);
}

/* -o FILE: the latest record of every active root. */
static void write_file(struct wreport *rep)
{
	struct watch *w = rep->w;
	struct root_result *v = malloc((w->nroots ? w->nroots : 1) *
				       sizeof *v);
	if (!v)
		return;
	size_t n = 0;
	for (size_t i = 0; i < w->nroots; i++)
		if (w->roots[i].has_last &&
		    (w->roots[i].active ||
		     w->roots[i].last.status == ROOT_LEFT))
			v[n++] = w->roots[i].last;
	struct output_opts oo = rep->oo;
	oo.header = 1;
	if (output_to(w->o.cfg->output, v, n, &oo) != 0)
		w->failed = 1;
	free(v);
}

double wreport_tick(struct wreport *rep)
{
	double now = clock_now_ms(), tmo = 1e9;
	if (rep->live && rep->table_dirty) {
		if (now >= rep->next_draw) {
			draw(rep);
			rep->table_dirty = 0;
			rep->next_draw = now + DRAW_MS;
		} else {
			tmo = rep->next_draw - now;
		}
	}
	if (rep->w->o.cfg->output && rep->file_dirty) {
		if (now >= rep->next_file) {
			write_file(rep);
			rep->file_dirty = 0;
			rep->next_file = now + FILE_MS;
		} else if (rep->next_file - now < tmo) {
			tmo = rep->next_file - now;
		}
	}
	return tmo;
}

void wreport_end(struct wreport *rep, enum root_status unsettled)
{
	struct watch *w = rep->w;
	struct root_result *v = malloc((w->nroots ? w->nroots : 1) *
				       sizeof *v);
	size_t n = 0;
	if (rep->live) {
		fputs("\033[?1049l", stdout); /* the terminal as it was */
		rep->live = 0;
	}
	for (size_t i = 0; v && i < w->nroots; i++) {
		struct wroot *r = &w->roots[i];
		if (r->active && update(rep, (uint32_t)i, 1, r->pending
					? unsettled : ROOT_COMPLETE,
					&v[n]) == 1)
			v[n++] = r->last; /* its title outlives the loop */
		if (r->active && r->last.status != ROOT_COMPLETE)
			w->failed = 1;
	}
	/* the last records in one go: a table is aligned as a whole */
	rep->oo.header = !rep->header_done;
	if (v && n && output_write(stdout, v, n, &rep->oo) != 0)
		w->failed = 1;
	rep->records += n;
	fflush(stdout);
	free(v);
	if (w->o.cfg->output)
		write_file(rep);
	uint64_t conns = w->s_maxitem.connects + w->s_updates.connects;
	for (size_t i = 0; i < w->nlists; i++)
		conns += w->lists[i].connects;
	log_info("watch: %zu roots, %llu stream connections, %llu stream "
		 "events, %llu new items, %llu updates (%llu named ids only "
		 "moved back), %llu fetches (crawl %llu, new %llu, updates "
		 "%llu, parents %llu, resync %llu), %llu counts found wrong "
		 "by resyncs, %llu records", w->nroots,
		 (unsigned long long)conns,
		 (unsigned long long)w->stats[WS_EVENTS],
		 (unsigned long long)w->stats[WS_NEW],
		 (unsigned long long)w->stats[WS_UPDATES],
		 (unsigned long long)w->stats[WS_SHIFTED],
		 (unsigned long long)w->stats[WS_FETCHES],
		 (unsigned long long)w->stats[WS_CRAWL],
		 (unsigned long long)w->stats[WS_NEW],
		 (unsigned long long)w->stats[WS_UPDATES],
		 (unsigned long long)w->stats[WS_CHAIN],
		 (unsigned long long)w->stats[WS_RESYNC],
		 (unsigned long long)w->stats[WS_DRIFT],
		 (unsigned long long)rep->records);
}
