/* cli.c — command-line parsing (getopt_long, options and files in order).
 * Main thread only. Every error names the option and the bad value. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "ids.h"
#include "item.h"

static const char usage_text[] =
"Usage: hnbatch [OPTIONS] [FILE...]\n"
"Count the comments of Hacker News posts by crawling their comment trees.\n"
"\n"
"Input (a root given twice is counted once; results keep input order):\n"
"  FILE                  ids one per line: 8863 or an HN link\n"
"                        (https://news.ycombinator.com/item?id=8863);\n"
"                        blank and '#' lines skipped; '-' is standard input\n"
"      --id ID           add a root (repeatable)\n"
"      --url URL         add a root by HN link (repeatable)\n"
"      --top N, --new N, --best N, --ask N, --show N, --job N\n"
"                        add the first N ids of that list\n"
"\n"
"Crawl:\n"
"  -t, --threads N       worker threads (default 4)\n"
"  -c, --concurrency N   requests in flight, all workers together (default 512)\n"
"      --api URL         API base (default " CLI_DEFAULT_API ";\n"
"                        also the HNBATCH_API environment variable)\n"
"      --cacert FILE     trust the CA certificate(s) in FILE\n"
"      --timeout S       seconds per request (default 10)\n"
"      --connect-timeout S  seconds to connect (default 5)\n"
"      --retries N       retries of a transient failure (default 3)\n"
"      --max-body BYTES  refuse larger answers (default 1048576)\n"
"      --max-fetches N   stop after N requests in the whole run\n"
"      --deadline S      stop the run after S seconds\n"
"      --fail-fast       stop the run when a root ends partial\n"
"\n"
"Output:\n"
"      --format F        table, jsonl or csv (default table)\n"
"  -o, --output FILE     write results to FILE (replaced atomically)\n"
"  -v, --verbose         a log line per request\n"
"  -q, --quiet           errors only\n"
"      --progress, --no-progress  force the progress line on or off\n"
"\n"
"Alerts:\n"
"      --threshold N     alert when a post has more than N comments\n"
"      --alert-cmd CMD   run CMD with /bin/sh per alert (JSON on stdin)\n"
"      --webhook URL     POST each alert as JSON to URL\n"
"      --alert-parallel N  deliveries at once (default 8)\n"
"      --alert-retries N   retries of a failed delivery (default 3)\n"
"      --alert-timeout S   wait at most S seconds at exit (default 30)\n"
"      --alert-spool FILE  keep undelivered alerts in FILE for next run\n"
"      --state FILE      remember counts and alerts across runs\n"
"\n"
"Periodic:\n"
"      --period S        run again every S seconds, on a fixed grid\n"
"\n"
"  -h, --help            this help\n"
"  -V, --version         version, with the libcurl and json-c versions\n"
"\n"
"Exit status: 0 all complete, 1 partial/missing/failed, 2 usage or input\n"
"error, 130/143 interrupted by SIGINT/SIGTERM.\n";

void cli_usage(FILE *f)
{
	fputs(usage_text, f);
}

enum {
	O_ID = 256, O_URL, O_TOP, O_NEW, O_BEST, O_ASK, O_SHOW, O_JOB, O_API,
	O_CACERT, O_TIMEOUT, O_CTIMEOUT, O_RETRIES, O_MAXBODY, O_MAXFETCH,
	O_DEADLINE, O_FAILFAST, O_FORMAT, O_PROGRESS, O_NOPROGRESS,
	O_THRESHOLD, O_ALERTCMD, O_WEBHOOK, O_APAR, O_ARETRY, O_ATIMEOUT,
	O_SPOOL, O_STATE, O_PERIOD,
};

static const struct option longopts[] = {
	{ "id", required_argument, NULL, O_ID },
	{ "url", required_argument, NULL, O_URL },
	{ "top", required_argument, NULL, O_TOP },
	{ "new", required_argument, NULL, O_NEW },
	{ "best", required_argument, NULL, O_BEST },
	{ "ask", required_argument, NULL, O_ASK },
	{ "show", required_argument, NULL, O_SHOW },
	{ "job", required_argument, NULL, O_JOB },
	{ "threads", required_argument, NULL, 't' },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "api", required_argument, NULL, O_API },
	{ "cacert", required_argument, NULL, O_CACERT },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "connect-timeout", required_argument, NULL, O_CTIMEOUT },
	{ "retries", required_argument, NULL, O_RETRIES },
	{ "max-body", required_argument, NULL, O_MAXBODY },
	{ "max-fetches", required_argument, NULL, O_MAXFETCH },
	{ "deadline", required_argument, NULL, O_DEADLINE },
	{ "fail-fast", no_argument, NULL, O_FAILFAST },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "progress", no_argument, NULL, O_PROGRESS },
	{ "no-progress", no_argument, NULL, O_NOPROGRESS },
	{ "threshold", required_argument, NULL, O_THRESHOLD },
	{ "alert-cmd", required_argument, NULL, O_ALERTCMD },
	{ "webhook", required_argument, NULL, O_WEBHOOK },
	{ "alert-parallel", required_argument, NULL, O_APAR },
	{ "alert-retries", required_argument, NULL, O_ARETRY },
	{ "alert-timeout", required_argument, NULL, O_ATIMEOUT },
	{ "alert-spool", required_argument, NULL, O_SPOOL },
	{ "state", required_argument, NULL, O_STATE },
	{ "period", required_argument, NULL, O_PERIOD },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const char *optname(int c)
{
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

/* A whole number in [lo, hi]. */
static int num(int c, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	errno = 0;
	while (*s == ' ')
		s++;
	if (*s == '-' || *s == '\0')
		goto bad;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "hnbatch: --%s: '%s' is not a whole number from %llu to %llu\n",
		optname(c), s, (unsigned long long)lo, (unsigned long long)hi);
	return -1;
}

/* Seconds: a number > 0 (or >= 0 when zero_ok). */
static int secs(int c, const char *s, int zero_ok, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 ||
	    (!zero_ok && v == 0) || v > 1e7) {
		fprintf(stderr, "hnbatch: --%s: '%s' is not a number of seconds%s\n",
			optname(c), s, zero_ok ? "" : " above 0");
		return -1;
	}
	*out = v;
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

static void print_version(void)
{
	printf("hnbatch %s\n%s\njson-c/%s\n", HNBATCH_VERSION,
	       fetch_curl_version(), item_jsonc_version());
}

int cli_parse(int argc, char **argv, struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	const char *env = getenv("HNBATCH_API");
	cfg->api = env && *env ? env : CLI_DEFAULT_API;
	cfg->threads = CLI_DEFAULT_THREADS;
	cfg->concurrency = CLI_DEFAULT_CONCURRENCY;
	cfg->timeout_s = 10;
	cfg->connect_timeout_s = 5;
	cfg->retries = 3;
	cfg->max_body = 1048576;
	cfg->verbosity = 1;
	cfg->progress = -1;
	cfg->threshold = -1;
	cfg->alert_parallel = 8;
	cfg->alert_retries = 3;
	cfg->alert_timeout_s = 30;

	static const char *lists[] = { "topstories", "newstories",
		"beststories", "askstories", "showstories", "jobstories" };
	uint64_t v;
	int c;
	opterr = 0;
	optind = 1;
	/* '-' first: files come back as 1, in their place among options */
	while ((c = getopt_long(argc, argv, "-t:c:o:vqhV", longopts, NULL)) != -1) {
		const char *a = optarg;
		switch (c) {
		case 1:
			if (add_src(cfg, (struct source){ .kind = SRC_FILE, .arg = a }))
				return -1;
			break;
		case O_ID:
		case O_URL: {
			uint64_t id;
			enum ids_err e = ids_parse(a, &id);
			if (e != IDS_OK) {
				fprintf(stderr, "hnbatch: --%s '%s': %s\n",
					optname(c), a, ids_strerror(e));
				return -1;
			}
			if (add_src(cfg, (struct source){ .kind = SRC_ID, .id = id, .arg = a }))
				return -1;
			break;
		}
		case O_TOP: case O_NEW: case O_BEST: case O_ASK: case O_SHOW:
		case O_JOB:
			if (num(c, a, 1, 500, &v))
				return -1;
			if (add_src(cfg, (struct source){ .kind = SRC_LIST,
					.arg = lists[c - O_TOP], .n = v }))
				return -1;
			break;
		case 't':
			if (num(c, a, 1, 1024, &v)) return -1;
			cfg->threads = v;
			break;
		case 'c':
			if (num(c, a, 1, 100000, &v)) return -1;
			cfg->concurrency = v;
			break;
		case O_API: {
			size_t n = strlen(a);
			if (n == 0 || (strncmp(a, "http://", 7) && strncmp(a, "https://", 8))) {
				fprintf(stderr, "hnbatch: --api '%s': not an http:// or https:// URL\n", a);
				return -1;
			}
			cfg->api = a;
			break;
		}
		case O_CACERT: cfg->cacert = a; break;
		case O_TIMEOUT: if (secs(c, a, 0, &cfg->timeout_s)) return -1; break;
		case O_CTIMEOUT: if (secs(c, a, 0, &cfg->connect_timeout_s)) return -1; break;
		case O_RETRIES:
			if (num(c, a, 0, 100, &v)) return -1;
			cfg->retries = (unsigned)v;
			break;
		case O_MAXBODY:
			if (num(c, a, 64, UINT64_C(1) << 34, &v)) return -1;
			cfg->max_body = (size_t)v;
			break;
		case O_MAXFETCH:
			if (num(c, a, 1, UINT64_MAX, &v)) return -1;
			cfg->max_fetches = v;
			break;
		case O_DEADLINE: if (secs(c, a, 0, &cfg->deadline_s)) return -1; break;
		case O_FAILFAST: cfg->fail_fast = 1; break;
		case O_FORMAT:
			if (output_parse_format(a, &cfg->format)) {
				fprintf(stderr, "hnbatch: --format '%s': use table, jsonl or csv\n", a);
				return -1;
			}
			break;
		case 'o': cfg->output = a; break;
		case 'v': cfg->verbosity = 2; break;
		case 'q': cfg->verbosity = 0; break;
		case O_PROGRESS: cfg->progress = 1; break;
		case O_NOPROGRESS: cfg->progress = 0; break;
		case O_THRESHOLD:
			if (num(c, a, 0, INT64_MAX, &v)) return -1;
			cfg->threshold = (int64_t)v;
			break;
		case O_ALERTCMD: cfg->alert_cmd = a; break;
		case O_WEBHOOK: cfg->webhook = a; break;
		case O_APAR:
			if (num(c, a, 1, 256, &v)) return -1;
			cfg->alert_parallel = v;
			break;
		case O_ARETRY:
			if (num(c, a, 0, 100, &v)) return -1;
			cfg->alert_retries = (unsigned)v;
			break;
		case O_ATIMEOUT: if (secs(c, a, 1, &cfg->alert_timeout_s)) return -1; break;
		case O_SPOOL: cfg->alert_spool = a; break;
		case O_STATE: cfg->state = a; break;
		case O_PERIOD: if (secs(c, a, 0, &cfg->period_s)) return -1; break;
		case 'h':
			cli_usage(stdout);
			return 1;
		case 'V':
			print_version();
			return 1;
		case '?':
		default:
			if (optopt && optopt < 256)
				fprintf(stderr, "hnbatch: unknown option '-%c' or missing value\n", optopt);
			else
				fprintf(stderr, "hnbatch: unknown option or missing value: '%s'\n",
					argv[optind - 1]);
			fprintf(stderr, "Try 'hnbatch --help'.\n");
			return -1;
		}
	}
	if (cfg->nsrc == 0) {
		fprintf(stderr, "hnbatch: no posts given: name a FILE, --id, --url or --top N\n"
				"Try 'hnbatch --help'.\n");
		return -1;
	}
	if (cfg->threshold < 0) {
		const char *opt = cfg->alert_cmd ? "--alert-cmd"
				  : cfg->webhook ? "--webhook"
				  : cfg->alert_spool ? "--alert-spool" : NULL;
		if (opt) {
			fprintf(stderr, "hnbatch: %s needs --threshold N (no "
				"alert is raised without it)\n", opt);
			return -1;
		}
	}
	return 0;
}

void cli_free(struct config *cfg)
{
	free(cfg->src);
	cfg->src = NULL;
	cfg->nsrc = 0;
}
