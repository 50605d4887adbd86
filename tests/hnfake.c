/* hnfake.c — the fake HN API (tests/fakeapi.c) as a standalone server, for
 * `make demo`, benchmarks, and for trying hnbatch by hand without any
 * network.
 *
 *   hnfake [--port-file FILE] [--delay MS] [--keep-alive SECONDS]
 *          [--redirect] [--mutate RATE] [--mutate-seed S]
 *          [--mutate-for SECONDS] [--mutate-log FILE]
 *          [--list-churn SECONDS] [--stats FILE] FILE.jsonl...
 *
 * Serves every item of the files on 127.0.0.1 (ephemeral port) in the API's
 * layout, with `null` for unknown ids; /v0/topstories.json lists the items
 * that have a title, in file order; maxitem.json is the largest id (of
 * the items and of the kids they list: a missing kid's id is not given to
 * a new item), updates.json empty. All three can be streamed (Firebase
 * REST streaming, `Accept: text/event-stream`; see fakeapi.h). Prints the
 * API base URL on stdout (and into --port-file) and serves until SIGINT or
 * SIGTERM.
 *
 *   --delay MS            hold every item answer MS ms
 *   --keep-alive SECONDS  a keep-alive event to every stream this often,
 *                         as the real API does (default 30; 0: never)
 *   --redirect            answer stream requests 307 to ?redirected=1 first
 *   --mutate RATE         change RATE items a second (a decimal), chosen
 *                         by a PRNG seeded with --mutate-seed (default 1),
 *                         so that the same seed and files give the same
 *                         changes: 60% a new comment under a random live
 *                         story or comment (id maxitem + 1, appended to the
 *                         parent's kids; maxitem set; the parent sent in
 *                         updates), 20% a random live comment deleted (its
 *                         by and text gone), 15% one made dead, 5% a random
 *                         kid detached from its parent's kids (the kid
 *                         itself is kept); descendants are left alone.
 *                         Each change is sent in updates.json, which names
 *                         the last 30 items changed, newest first.
 *   --mutate-for SECONDS  stop changing after SECONDS: RATE x SECONDS
 *                         changes exactly (when the server falls behind it
 *                         catches up, it skips nothing); the churn stops
 *                         then too. Default: no end.
 *   --mutate-log FILE     append one JSON line per change, flushed at once:
 *                         {"t":MS,"kind":"new"|"delete"|"dead"|"detach",
 *                         "id":ID,"parent":ID}, t in Unix epoch ms; for
 *                         a detach, id is the kid and parent the item it
 *                         left; for the churn, {"t":MS,"kind":"leave"|
 *                         "enter","id":ID,"index":I} (topstories).
 *   --list-churn SECONDS  every SECONDS one story leaves topstories and
 *                         another takes its place (one patch event): the
 *                         last quarter of the titled items (at least one)
 *                         is kept out of the list at the start for this.
 *   --stats FILE          at exit, write what was asked as one JSON line:
 *                         {"requests":N,"item_requests":N,
 *                         "list_requests":N,"stream_connects":N,
 *                         "stream_events":N} (fakeapi_stats: every
 *                         request; items; plain GETs of lists, maxitem and
 *                         updates; streams opened; events sent)
 *
 * Example: a benchmark's server, 50 changes a second for a minute:
 *   hnfake --port-file url --mutate 50 --mutate-seed 7 --mutate-for 60 \
 *          --mutate-log changes.jsonl --list-churn 5 tests/fixtures/X.jsonl
 *
 * One thread (main) loads, schedules and changes; the fake's own threads
 * serve. Signals are taken with sigtimedwait() between changes. */
#include <errno.h>
#include <inttypes.h>
#include <json.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fakeapi.h"
#include "u64set.h"

#define USAGE "usage: hnfake [--port-file FILE] [--delay MS] " \
	"[--keep-alive SECONDS]\n" \
	"              [--redirect] [--mutate RATE] [--mutate-seed S]\n" \
	"              [--mutate-for SECONDS] [--mutate-log FILE]\n" \
	"              [--list-churn SECONDS] [--stats FILE] FILE.jsonl...\n"
#define WINDOW 30                     /* ids in updates.json */
#define KEEPALIVE "event: keep-alive\ndata: null\n\n"
#define DETACH_TRIES 32

struct opts {
	const char *port_file, *log_path, *stats_path;
	unsigned delay;
	double keep_alive, rate, mutate_for, churn;
	uint64_t seed;
	int redirect;
	int first;                    /* argv index of the first file */
};

struct world {
	struct fakeapi *api;
	struct u64set parents;        /* live stories and comments */
	struct u64set comments;       /* live comments */
	uint64_t *top, *reserve;      /* topstories; out of it (churn) */
	size_t ntop, nres, cap;
	uint64_t maxitem;
	uint64_t recent[WINDOW];      /* updates.json, newest first */
	size_t nrecent;
	uint64_t rng, churn_rng;
	FILE *log;
};

static uint64_t rnd(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static long long epoch_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- options ---- */

static int num(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || !(*v >= 0) || isinf(*v) ? -1 : 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	*o = (struct opts){ .keep_alive = 30, .seed = 1 };
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		double d = 0;
		if (!strcmp(a, "--redirect")) {
			o->redirect = 1;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (!strcmp(a, "--port-file"))
			o->port_file = v;
		else if (!strcmp(a, "--mutate-log"))
			o->log_path = v;
		else if (!strcmp(a, "--stats"))
			o->stats_path = v;
		else if (num(v, &d) != 0)
			return -1;
		else if (!strcmp(a, "--delay"))
			o->delay = (unsigned)d;
		else if (!strcmp(a, "--keep-alive"))
			o->keep_alive = d;
		else if (!strcmp(a, "--mutate"))
			o->rate = d;
		else if (!strcmp(a, "--mutate-seed"))
			o->seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--mutate-for"))
			o->mutate_for = d;
		else if (!strcmp(a, "--list-churn"))
			o->churn = d;
		else
			return -1;
	}
	o->first = i;
	return i < argc ? 0 : -1;
}

/* ---- loading ---- */

static void add_top(struct world *w, uint64_t id)
{
	if (w->ntop == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		if (!(w->top = realloc(w->top, w->cap * sizeof *w->top)))
			abort();
	}
	w->top[w->ntop++] = id;
}

static int has_true(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_get_boolean(v);
}

/* What the world must know of one item. */
static void scan_item(struct world *w, json_object *o)
{
	json_object *v;
	const char *type = "";

	if (!o || !json_object_object_get_ex(o, "id", &v))
		return;
	uint64_t id = (uint64_t)json_object_get_int64(v);
	if (id > w->maxitem)
		w->maxitem = id;
	if (json_object_object_get_ex(o, "kids", &v) &&
	    json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			uint64_t k = (uint64_t)json_object_get_int64(
				json_object_array_get_idx(v, i));
			if (k > w->maxitem) /* not reused for a new item */
				w->maxitem = k;
		}
	if (json_object_object_get_ex(o, "type", &v))
		type = json_object_get_string(v);
	if (json_object_object_get_ex(o, "title", &v))
		add_top(w, id);
	if (has_true(o, "deleted") || has_true(o, "dead") || id == 0)
		return;
	if (strcmp(type, "story") == 0 || strcmp(type, "comment") == 0)
		if (u64set_add(&w->parents, id) < 0)
			abort();
	if (strcmp(type, "comment") == 0)
		if (u64set_add(&w->comments, id) < 0)
			abort();
}

static int scan_file(struct world *w, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t n = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while (getline(&line, &n, f) > 0) {
		json_object *o = json_tokener_parse(line);
		scan_item(w, o);
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return 0;
}

/* Serve w->top as topstories. */
static int put_top(struct world *w)
{
	char *b = malloc(w->ntop * 21 + 3);
	size_t k = 1;

	if (!b)
		return -1;
	b[0] = '[';
	for (size_t i = 0; i < w->ntop; i++)
		k += (size_t)sprintf(b + k, "%s%" PRIu64, i ? "," : "",
				     w->top[i]);
	strcpy(b + k, "]");
	int rc = fakeapi_put_list(w->api, "topstories", b);
	free(b);
	return rc;
}

/* ---- changes ---- */

static void logline(struct world *w, const char *kind, uint64_t id,
		    const char *key, uint64_t val)
{
	if (!w->log)
		return;
	fprintf(w->log, "{\"t\":%lld,\"kind\":\"%s\",\"id\":%" PRIu64
		",\"%s\":%" PRIu64 "}\n", epoch_ms(), kind, id, key, val);
	fflush(w->log);
}

/* id changed: first in updates.json, which is sent. */
static void updated(struct world *w, uint64_t id)
{
	size_t i = 0;

	while (i < w->nrecent && w->recent[i] != id)
		i++;
	if (i == w->nrecent && w->nrecent < WINDOW)
		w->nrecent++;
	if (i == w->nrecent)
		i--;
	memmove(w->recent + 1, w->recent, i * sizeof *w->recent);
	w->recent[0] = id;
	if (fakeapi_send_updates(w->api, w->recent, w->nrecent) != 0)
		abort();
}

/* The stored item id, parsed (put it), or NULL. */
static json_object *load(struct world *w, uint64_t id)
{
	char *b = fakeapi_get(w->api, id);
	json_object *o = b ? json_tokener_parse(b) : NULL;

	free(b);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static void store(struct world *w, uint64_t id, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (fakeapi_put(w->api, id, s) != 0)
		abort();
}

static uint64_t pick(struct u64set *s, uint64_t *state)
{
	return s->n ? s->ids[rnd(state) % s->n] : 0;
}

/* A new comment under a random live item. */
static void add_comment(struct world *w)
{
	uint64_t p = pick(&w->parents, &w->rng), id = w->maxitem + 1;
	json_object *o, *kids, *c;
	char text[64];

	if (!p || !(o = load(w, p)))
		return;
	if (!json_object_object_get_ex(o, "kids", &kids) ||
	    !json_object_is_type(kids, json_type_array)) {
		kids = json_object_new_array();
		json_object_object_add(o, "kids", kids);
	}
	json_object_array_add(kids, json_object_new_int64((int64_t)id));
	c = json_object_new_object();
	snprintf(text, sizeof text, "hnfake comment %" PRIu64, id);
	json_object_object_add(c, "by", json_object_new_string("hnfake"));
	json_object_object_add(c, "id", json_object_new_int64((int64_t)id));
	json_object_object_add(c, "parent", json_object_new_int64((int64_t)p));
	json_object_object_add(c, "text", json_object_new_string(text));
	json_object_object_add(c, "time",
			       json_object_new_int64(epoch_ms() / 1000));
	json_object_object_add(c, "type", json_object_new_string("comment"));
	store(w, id, c);
	store(w, p, o);
	json_object_put(c);
	json_object_put(o);
	w->maxitem = id;
	if (u64set_add(&w->parents, id) < 0 ||
	    u64set_add(&w->comments, id) < 0 ||
	    fakeapi_set_maxitem(w->api, id) != 0)
		abort();
	updated(w, p);
	logline(w, "new", id, "parent", p);
}

/* A random live comment deleted (dead == 0) or made dead. */
static void kill_comment(struct world *w, int dead)
{
	uint64_t id = pick(&w->comments, &w->rng), parent = 0;
	json_object *o, *v;

	if (!id || !(o = load(w, id)))
		return;
	if (json_object_object_get_ex(o, "parent", &v))
		parent = (uint64_t)json_object_get_int64(v);
	if (!dead) {
		json_object_object_del(o, "by");
		json_object_object_del(o, "text");
	}
	json_object_object_add(o, dead ? "dead" : "deleted",
			       json_object_new_boolean(1));
	store(w, id, o);
	json_object_put(o);
	u64set_remove(&w->comments, id);
	u64set_remove(&w->parents, id);
	updated(w, id);
	logline(w, dead ? "dead" : "delete", id, "parent", parent);
}

/* A random kid of a random live item taken out of its kids. */
static void detach(struct world *w)
{
	for (int t = 0; t < DETACH_TRIES; t++) {
		uint64_t p = pick(&w->parents, &w->rng);
		json_object *o = p ? load(w, p) : NULL, *kids;
		size_t n;
		if (!o)
			continue;
		if (!json_object_object_get_ex(o, "kids", &kids) ||
		    !json_object_is_type(kids, json_type_array) ||
		    (n = json_object_array_length(kids)) == 0) {
			json_object_put(o);
			continue;
		}
		size_t i = (size_t)(rnd(&w->rng) % n);
		uint64_t kid = (uint64_t)json_object_get_int64(
			json_object_array_get_idx(kids, i));
		json_object_array_del_idx(kids, i, 1);
		store(w, p, o);
		json_object_put(o);
		updated(w, p);
		logline(w, "detach", kid, "parent", p);
		return;
	}
}

static void mutate(struct world *w)
{
	unsigned r = (unsigned)(rnd(&w->rng) % 100);

	if (r < 60 || w->comments.n == 0)
		add_comment(w);
	else if (r < 80)
		kill_comment(w, 0);
	else if (r < 95)
		kill_comment(w, 1);
	else
		detach(w);
}

/* One story out of topstories, one from the reserve in its place. */
static void churn(struct world *w)
{
	size_t i = (size_t)(rnd(&w->churn_rng) % w->ntop);
	size_t j = (size_t)(rnd(&w->churn_rng) % w->nres);
	uint64_t out = w->top[i], in = w->reserve[j];

	w->top[i] = in;
	w->reserve[j] = out;
	if (fakeapi_patch_list(w->api, "topstories", i, in) != 0)
		abort();
	logline(w, "leave", out, "index", i);
	logline(w, "enter", in, "index", i);
}

/* ---- the schedule ---- */

struct sched {
	double t0, mut_every, churn_every, ka_every;
	uint64_t muts, mut_total;     /* mut_total UINT64_MAX: no end */
	uint64_t churns, churn_total;
	uint64_t kas;
};

/* The time (mono ms) of the next thing due, and which: 0 a change, 1 the
 * churn, 2 a keep-alive; -1 when nothing is left. */
static int next_due(const struct sched *s, double *at)
{
	int which = -1;
	double t;

	*at = INFINITY;
	if (s->mut_every > 0 && s->muts < s->mut_total) {
		*at = s->t0 + (double)s->muts * s->mut_every;
		which = 0;
	}
	if (s->churn_every > 0 && s->churns < s->churn_total &&
	    (t = s->t0 + (double)(s->churns + 1) * s->churn_every) < *at) {
		*at = t;
		which = 1;
	}
	if (s->ka_every > 0 &&
	    (t = s->t0 + (double)(s->kas + 1) * s->ka_every) < *at) {
		*at = t;
		which = 2;
	}
	return which;
}

/* Run the schedule until a signal in set arrives. */
static void run(struct world *w, const struct opts *o, const sigset_t *set)
{
	struct sched s = { .t0 = mono_ms(), .mut_total = UINT64_MAX,
			   .churn_total = UINT64_MAX };

	if (o->rate > 0)
		s.mut_every = 1000 / o->rate;
	if (o->churn > 0 && w->nres)
		s.churn_every = o->churn * 1000;
	s.ka_every = o->keep_alive * 1000;
	if (o->mutate_for > 0) {
		s.mut_total = (uint64_t)llround(o->rate * o->mutate_for);
		if (s.churn_every > 0)
			s.churn_total = (uint64_t)floor(o->mutate_for /
							o->churn + 1e-9);
	}
	for (;;) {
		double at, wait;
		int which = next_due(&s, &at);
		if (which >= 0 && at <= mono_ms()) {
			switch (which) {
			case 0:
				s.muts++;
				mutate(w);
				break;
			case 1:
				s.churns++;
				churn(w);
				break;
			default:
				s.kas++;
				fakeapi_stream_send(w->api, NULL, KEEPALIVE);
			}
			which = next_due(&s, &at);
		}
		wait = which < 0 ? 3600e3 : at - mono_ms();
		if (wait < 0)
			wait = 0;
		struct timespec ts = { .tv_sec = (time_t)(wait / 1000),
			.tv_nsec = (long)fmod(wait * 1e6, 1e9) };
		int sig = sigtimedwait(set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			return;
	}
}

/* ---- main ---- */

static void write_url(const char *path, const char *url)
{
	FILE *pf = fopen(path, "w");

	if (pf) {
		fprintf(pf, "%s\n", url);
		fclose(pf);
	}
}

static void write_stats(struct fakeapi *api, const char *path)
{
	struct fakeapi_stats st;
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		return;
	}
	fakeapi_get_stats(api, &st);
	fprintf(f, "{\"requests\":%" PRIu64 ",\"item_requests\":%" PRIu64
		",\"list_requests\":%" PRIu64 ",\"stream_connects\":%" PRIu64
		",\"stream_events\":%" PRIu64 "}\n", st.requests,
		st.item_requests, st.list_requests, st.stream_connects,
		st.stream_events);
	if (fclose(f) != 0)
		perror(path);
}

/* Load the files and set up the lists. 0, or -1 (message on stderr). */
static int setup(struct world *w, const struct opts *o, int argc,
		 char **argv)
{
	for (int i = o->first; i < argc; i++)
		if (fakeapi_load_jsonl(w->api, argv[i]) < 0 ||
		    scan_file(w, argv[i]) != 0)
			return -1;
	if (o->churn > 0) {
		if (w->ntop < 2) {
			fprintf(stderr, "hnfake: --list-churn needs two "
				"titled items at least\n");
			return -1;
		}
		w->nres = w->ntop / 4 ? w->ntop / 4 : 1;
		w->ntop -= w->nres;
		w->reserve = malloc(w->nres * sizeof *w->reserve);
		if (!w->reserve)
			return -1;
		memcpy(w->reserve, w->top + w->ntop,
		       w->nres * sizeof *w->reserve);
	}
	if (put_top(w) != 0 || fakeapi_set_maxitem(w->api, w->maxitem) != 0)
		return -1;
	if (o->delay) {
		struct fakeapi_fault f = { .delay_ms = o->delay };
		if (fakeapi_fault_default(w->api, &f) != 0)
			return -1;
	}
	fakeapi_stream_redirect(w->api, o->redirect);
	if (o->log_path && !(w->log = fopen(o->log_path, "a"))) {
		perror(o->log_path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct world w = { 0 };
	sigset_t set;
	int rc = 1;

	if (parse_opts(argc, argv, &o) != 0) {
		fputs(USAGE, stderr);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* blocked before the server's threads start: they inherit the mask */
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	u64set_init(&w.parents);
	u64set_init(&w.comments);
	w.rng = o.seed;
	w.churn_rng = o.seed ^ UINT64_C(0x5DEECE66D);
	if (!(w.api = fakeapi_start()))
		return 1;
	if (setup(&w, &o, argc, argv) == 0) {
		printf("%s\n", fakeapi_url(w.api));
		fflush(stdout);
		if (o.port_file)
			write_url(o.port_file, fakeapi_url(w.api));
		run(&w, &o, &set);
		if (o.stats_path)
			write_stats(w.api, o.stats_path);
		rc = 0;
	}
	fakeapi_stop(w.api);
	if (w.log)
		fclose(w.log);
	u64set_free(&w.parents);
	u64set_free(&w.comments);
	free(w.top);
	free(w.reserve);
	return rc;
}
