/* cli.c — command-line parsing: one table of options (cli_opts[] below) gives
 * getopt_long its options, struct config its defaults and --help its text
 * (written by cli_usage.c; cli_int.h is the table's shape).
 * Options and files are taken in command-line order.  Main thread only,
 * before any other thread starts.  Every error names the option and the bad
 * value. */
#include "cli.h"
#include "cli_int.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "ids.h"
#include "item.h"

#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)        /* a CLI_DEFAULT_* number as text */

#define FIELD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)

static setter add_id, add_list, set_num, set_secs, set_str, set_flag,
	set_api, set_format, set_conc, show_help, show_version;

/* How a row's value is parsed and stored (its set, field, lo and hi). */
#define NUM(f, lo, hi)  set_num, FIELD(f), lo, hi       /* whole number */
#define SECS(f)         set_secs, FIELD(f), 0, 0        /* seconds > 0 */
#define SECS0(f)        set_secs, FIELD(f), 1, 0        /* seconds >= 0 */
#define STR(f)          set_str, FIELD(f), 0, 0         /* as given */
#define FLAG(f, v)      set_flag, FIELD(f), v, 0        /* f = v */
#define CALL(fn)        fn, 0, 0, 0, 0                  /* fn does it */
#define LIST            add_list, 0, 0, 1, 500          /* --top N... */

const struct opt cli_opts[] = {
/*	  name, letter, arg, group, default,
	  help, how */
	{ "id", 0, "ID", G_INPUT, NULL,
	  "add a root (repeatable)", CALL(add_id) },
	{ "url", 0, "URL", G_INPUT, NULL,
	  "add a root by HN link (repeatable)", CALL(add_id) },
	{ "top", 0, "N", G_INPUT, NULL,
	  "add the first N ids of that list", LIST },
	{ "new", 0, "N", G_INPUT, NULL, NULL, LIST },
	{ "best", 0, "N", G_INPUT, NULL, NULL, LIST },
	{ "ask", 0, "N", G_INPUT, NULL, NULL, LIST },
	{ "show", 0, "N", G_INPUT, NULL, NULL, LIST },
	{ "job", 0, "N", G_INPUT, NULL, NULL, LIST },

	{ "threads", 't', "N", G_CRAWL, TEXT(CLI_DEFAULT_THREADS),
	  "worker threads", NUM(threads, 1, 1024) },
	{ "concurrency", 'c', "N|auto", G_CRAWL, TEXT(CLI_DEFAULT_CONCURRENCY),
	  "requests in flight, all workers together; auto:\n"
	  "found while crawling (-v logs each change)",
	  set_conc, FIELD(concurrency), 1, 100000 },
	{ "max-concurrency", 0, "N", G_CRAWL,
	  TEXT(CLI_DEFAULT_MAX_CONCURRENCY), "the most -c auto goes to",
	  NUM(max_concurrency, 1, 100000) },
	{ "api", 0, "URL", G_CRAWL, CLI_DEFAULT_API,
	  "API base; also the HNBATCH_API environment variable",
	  set_api, FIELD(api), 0, 0 },
	{ "cacert", 0, "FILE", G_CRAWL, NULL,
	  "trust the CA certificate(s) in FILE", STR(cacert) },
	{ "timeout", 0, "S", G_CRAWL, TEXT(CLI_DEFAULT_TIMEOUT_S),
	  "seconds per request", SECS(timeout_s) },
	{ "connect-timeout", 0, "S", G_CRAWL,
	  TEXT(CLI_DEFAULT_CONNECT_TIMEOUT_S),
	  "seconds to connect", SECS(connect_timeout_s) },
	{ "retries", 0, "N", G_CRAWL, TEXT(CLI_DEFAULT_RETRIES),
	  "retries of a transient failure", NUM(retries, 0, 100) },
	{ "max-body", 0, "BYTES", G_CRAWL, TEXT(CLI_DEFAULT_MAX_BODY),
	  "refuse larger answers", NUM(max_body, 64, UINT64_C(1) << 34) },
	{ "max-fetches", 0, "N", G_CRAWL, NULL,
	  "stop after N requests in the whole run",
	  NUM(max_fetches, 1, UINT64_MAX) },
	{ "deadline", 0, "S", G_CRAWL, NULL,
	  "stop the run after S seconds", SECS(deadline_s) },
	{ "max-root-items", 0, "N", G_CRAWL, TEXT(CLI_DEFAULT_MAX_ROOT_ITEMS),
	  "fetch at most N items of one root",
	  NUM(max_root_items, 1, UINT64_MAX) },
	{ "max-items", 0, "N", G_CRAWL, TEXT(CLI_DEFAULT_MAX_ITEMS),
	  "fetch at most N items in one crawl",
	  NUM(max_items, 1, UINT64_MAX) },
	{ "fail-fast", 0, NULL, G_CRAWL, NULL,
	  "stop the run when a root ends partial", FLAG(fail_fast, 1) },

	{ "format", 0, "F", G_OUTPUT, CLI_DEFAULT_FORMAT,
	  "table, jsonl or csv", set_format, FIELD(format), 0, 0 },
	{ "output", 'o', "FILE", G_OUTPUT, NULL,
	  "write results to FILE (replaced atomically)", STR(output) },
	{ "verbose", 'v', NULL, G_OUTPUT, NULL,
	  "a log line per request", FLAG(verbosity, 2) },
	{ "quiet", 'q', NULL, G_OUTPUT, NULL,
	  "errors only", FLAG(verbosity, 0) },
	{ "progress", 0, NULL, G_OUTPUT, NULL,
	  "force the progress line on or off", FLAG(progress, 1) },
	{ "no-progress", 0, NULL, G_OUTPUT, NULL, NULL, FLAG(progress, 0) },

	{ "threshold", 0, "N", G_ALERTS, NULL,
	  "alert when a post has more than N comments",
	  NUM(threshold, 0, INT64_MAX) },
	{ "subthread-threshold", 0, "N", G_ALERTS, NULL,
	  "alert when a comment has more than N below it",
	  NUM(subthread_threshold, 0, INT64_MAX) },
	{ "alert-cmd", 0, "CMD", G_ALERTS, NULL,
	  "run CMD with /bin/sh per alert (JSON on stdin)", STR(alert_cmd) },
	{ "webhook", 0, "URL", G_ALERTS, NULL,
	  "POST each alert as JSON to URL", STR(webhook) },
	{ "alert-parallel", 0, "N", G_ALERTS, TEXT(CLI_DEFAULT_ALERT_PARALLEL),
	  "deliveries at once", NUM(alert_parallel, 1, 256) },
	{ "alert-retries", 0, "N", G_ALERTS, TEXT(CLI_DEFAULT_ALERT_RETRIES),
	  "retries of a failed delivery", NUM(alert_retries, 0, 100) },
	{ "alert-timeout", 0, "S", G_ALERTS, TEXT(CLI_DEFAULT_ALERT_TIMEOUT_S),
	  "wait at most S seconds at exit", SECS0(alert_timeout_s) },
	{ "alert-spool", 0, "FILE", G_ALERTS, NULL,
	  "keep undelivered alerts in FILE for next run", STR(alert_spool) },
	{ "state", 0, "FILE", G_ALERTS, NULL,
	  "remember counts and alerts across runs", STR(state) },
	{ "state-keep", 0, "DAYS", G_ALERTS, TEXT(CLI_DEFAULT_STATE_KEEP),
	  "forget roots not seen for DAYS days", NUM(state_keep, 1, 36500) },

	{ "period", 0, "S", G_PERIODIC, NULL,
	  "run again every S seconds, on a fixed grid", SECS(period_s) },
	{ "watch", 0, NULL, G_PERIODIC, NULL,
	  "crawl once, then follow the API's change streams", FLAG(watch, 1) },
	{ "stream-timeout", 0, "S", G_PERIODIC,
	  TEXT(CLI_DEFAULT_STREAM_TIMEOUT_S),
	  "reconnect a stream silent this long", SECS(stream_timeout_s) },
	{ "resync", 0, "S", G_PERIODIC, TEXT(CLI_DEFAULT_RESYNC_S),
	  "re-crawl each watched root every S s (0: never)", SECS0(resync_s) },

	{ "help", 'h', NULL, G_OTHER, NULL, "this help", CALL(show_help) },
	{ "version", 'V', NULL, G_OTHER, NULL,
	  "version, with the libcurl and json-c versions",
	  CALL(show_version) },
};
#define NOPTS (sizeof cli_opts / sizeof cli_opts[0])
const size_t cli_nopts = NOPTS;

/* Copy the n bytes at v into o's field; the table must match the field. */
static void put(const struct opt *o, struct config *cfg, const void *v,
		size_t n)
{
	if (o->size != n)
		abort();        /* a row of cli_opts[] with the wrong field */
	memcpy((char *)cfg + o->off, v, n);
}

/* A whole number in [o->lo, o->hi]. */
static int num(const struct opt *o, const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	while (*s == ' ')
		s++;
	if (*s == '-' || *s == '\0')
		goto bad;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < o->lo || v > o->hi)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "hnbatch: --%s: '%s' is not %sa whole number from "
		"%llu to %llu\n", o->name, s,
		o->set == set_conc ? "auto or " : "",
		(unsigned long long)o->lo, (unsigned long long)o->hi);
	return -1;
}

static int set_num(const struct opt *o, const char *a, struct config *cfg)
{
	uint64_t v;
	if (num(o, a, &v))
		return -1;
	if (o->size == sizeof(unsigned)) {
		unsigned u = (unsigned)v;
		put(o, cfg, &u, sizeof u);
	} else {
		put(o, cfg, &v, sizeof v);      /* size_t, uint64_t, int64_t */
	}
	return 0;
}

/* -c: a whole number in [o->lo, o->hi], or "auto" (stored as 0). */
static int set_conc(const struct opt *o, const char *a, struct config *cfg)
{
	size_t zero = 0;
	if (strcmp(a, "auto") == 0) {
		put(o, cfg, &zero, sizeof zero);
		return 0;
	}
	return set_num(o, a, cfg);
}

/* Seconds: a number from 0.001 (1 ms: the finest a timer here takes; a
 * smaller one would round to 0, which curl reads as "no timeout") to 1e7,
 * or 0 when o->lo is 1. */
static int set_secs(const struct opt *o, const char *a, struct config *cfg)
{
	char *end;
	errno = 0;
	double v = strtod(a, &end);
	if (errno || end == a || *end || !isfinite(v) || v > 1e7 ||
	    (v < 0.001 && !(o->lo && v == 0))) {
		fprintf(stderr, "hnbatch: --%s: '%s' is not a number of "
			"seconds from %s0.001 to 10000000\n", o->name, a,
			o->lo ? "0 or " : "");
		return -1;
	}
	put(o, cfg, &v, sizeof v);
	return 0;
}

static int set_str(const struct opt *o, const char *a, struct config *cfg)
{
	put(o, cfg, &a, sizeof a);
	return 0;
}

static int set_flag(const struct opt *o, const char *a, struct config *cfg)
{
	(void)a;
	int v = (int)o->lo;
	put(o, cfg, &v, sizeof v);
	return 0;
}

static int set_api(const struct opt *o, const char *a, struct config *cfg)
{
	if (strncmp(a, "http://", 7) && strncmp(a, "https://", 8)) {
		fprintf(stderr, "hnbatch: --api '%s': not an http:// or "
			"https:// URL\n", a);
		return -1;
	}
	return set_str(o, a, cfg);
}

static int set_format(const struct opt *o, const char *a, struct config *cfg)
{
	enum out_format f;
	if (output_parse_format(a, &f)) {
		fprintf(stderr, "hnbatch: --format '%s': use table, jsonl or "
			"csv\n", a);
		return -1;
	}
	put(o, cfg, &f, sizeof f);
	return 0;
}

static int add_src(struct config *cfg, struct source s)
{
	struct source *v = realloc(cfg->src, (cfg->nsrc + 1) * sizeof *v);
	if (!v) {
		fprintf(stderr, "hnbatch: out of memory\n");
		return -1;
	}
	cfg->src = v;
	cfg->src[cfg->nsrc++] = s;
	return 0;
}

/* --id ID, --url URL. */
static int add_id(const struct opt *o, const char *a, struct config *cfg)
{
	uint64_t id;
	enum ids_err e = ids_parse(a, &id);
	if (e != IDS_OK) {
		fprintf(stderr, "hnbatch: --%s '%s': %s\n", o->name, a,
			ids_strerror(e));
		return -1;
	}
	return add_src(cfg, (struct source){ .kind = SRC_ID, .id = id,
					     .arg = a });
}

/* --top N ... --job N: the first N ids of the list "<name>stories". */
static int add_list(const struct opt *o, const char *a, struct config *cfg)
{
	static const char *const lists[] = { "topstories", "newstories",
		"beststories", "askstories", "showstories", "jobstories" };
	size_t n = strlen(o->name);
	uint64_t v;
	if (num(o, a, &v))
		return -1;
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
		if (!strncmp(lists[i], o->name, n) &&
		    !strcmp(lists[i] + n, "stories"))
			return add_src(cfg, (struct source){ .kind = SRC_LIST,
						.arg = lists[i], .n = v });
	abort();        /* a list option without its list */
}

static int show_help(const struct opt *o, const char *a, struct config *cfg)
{
	(void)o, (void)a, (void)cfg;
	cli_usage(stdout);
	return 1;
}

static int show_version(const struct opt *o, const char *a,
			struct config *cfg)
{
	(void)o, (void)a, (void)cfg;
	printf("hnbatch %s\n%s\njson-c/%s\n", HNBATCH_VERSION,
	       fetch_curl_version(), item_jsonc_version());
	return 1;
}

/* getopt_long's view of cli_opts[]: a row's val is its letter, or 256 + its
 * index (above any letter, so optopt tells the two apart). */
static void getopt_tables(struct option *lo, char *so)
{
	*so++ = '-';    /* files come back as 1, in their place among options */
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &cli_opts[i];
		lo[i] = (struct option){ o->name,
			o->arg ? required_argument : no_argument, NULL,
			o->letter ? o->letter : 256 + (int)i };
		if (o->letter) {
			*so++ = o->letter;
			if (o->arg)
				*so++ = ':';
		}
	}
	lo[NOPTS] = (struct option){ 0 };
	*so = '\0';
}

static const struct opt *opt_of(int c)
{
	if (c >= 256 && (size_t)(c - 256) < NOPTS)
		return &cli_opts[c - 256];
	for (const struct opt *o = cli_opts; c > 1 && o < cli_opts + NOPTS; o++)
		if (o->letter == c)
			return o;
	return NULL;
}

/* The defaults: the table's, then HNBATCH_API over --api's. */
static void set_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->verbosity = 1;
	cfg->progress = -1;
	cfg->threshold = -1;
	cfg->subthread_threshold = -1;
	for (const struct opt *o = cli_opts; o < cli_opts + NOPTS; o++)
		if (o->dflt && o->set(o, o->dflt, cfg) != 0)
			abort();        /* a default its own option refuses */
	const char *env = getenv("HNBATCH_API");
	if (env && *env)
		cfg->api = env;
}

static int unknown(char **argv)
{
	if (optopt && optopt < 256)
		fprintf(stderr, "hnbatch: unknown option '-%c' or missing "
			"value\n", optopt);
	else
		fprintf(stderr, "hnbatch: unknown option or missing value: "
			"'%s'\n", argv[optind - 1]);
	fprintf(stderr, "Try 'hnbatch --help'.\n");
	return -1;
}

/* What no single option can check. */
static int check_config(const struct config *cfg)
{
	if (cfg->nsrc == 0) {
		fprintf(stderr, "hnbatch: no posts given: name a FILE, --id, "
			"--url or --top N\nTry 'hnbatch --help'.\n");
		return -1;
	}
	const char *opt = cfg->alert_cmd ? "--alert-cmd"
			  : cfg->webhook ? "--webhook"
			  : cfg->alert_spool ? "--alert-spool" : NULL;
	if (cfg->threshold < 0 && cfg->subthread_threshold < 0 && opt) {
		fprintf(stderr, "hnbatch: %s needs --threshold N or "
			"--subthread-threshold N (no alert is raised without "
			"one)\n", opt);
		return -1;
	}
	if (cfg->watch && cfg->period_s > 0) {
		fprintf(stderr, "hnbatch: --watch and --period do not go "
			"together (--watch follows changes as they come)\n");
		return -1;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct config *cfg)
{
	struct option longopts[NOPTS + 1];
	char shortopts[2 + 2 * NOPTS];
	int c, rc = 0;

	set_defaults(cfg);
	getopt_tables(longopts, shortopts);
	opterr = 0;
	optind = 1;
	while (rc == 0 &&
	       (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct opt *o = opt_of(c);
		if (c == 1)
			rc = add_src(cfg, (struct source){ .kind = SRC_FILE,
							   .arg = optarg });
		else if (o)
			rc = o->set(o, optarg, cfg);
		else
			rc = unknown(argv);
	}
	return rc ? rc : check_config(cfg);
}

void cli_free(struct config *cfg)
{
	free(cfg->src);
	cfg->src = NULL;
	cfg->nsrc = 0;
}
