/* cli.h — the command line: options into a struct config.
 * Main thread only, before any other thread starts. */
#ifndef HNBATCH_CLI_H
#define HNBATCH_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "output.h"

/* Where roots come from, kept in command-line order. */
enum source_kind { SRC_FILE, SRC_ID, SRC_LIST };

struct source {
	enum source_kind kind;
	const char *arg;      /* file name ("-" = stdin), or list name */
	uint64_t id;          /* SRC_ID */
	size_t n;             /* SRC_LIST: how many ids */
};

struct config {
	struct source *src;
	size_t nsrc;

	const char *api;
	size_t threads;
	size_t concurrency;        /* 0: auto (adaptive, see limit.h) */
	size_t max_concurrency;    /* auto's ceiling */
	double timeout_s, connect_timeout_s;
	unsigned retries;
	size_t max_body;
	uint64_t max_fetches;
	uint64_t max_root_items, max_items;
	double deadline_s;         /* 0: none */
	int fail_fast;
	const char *cacert;

	enum out_format format;
	const char *output;        /* NULL: stdout */
	int verbosity;             /* 0 quiet, 1 normal, 2 verbose */
	int progress;              /* -1 auto, 0 off, 1 on */

	int64_t threshold;         /* -1: no alerts for roots */
	int64_t subthread_threshold; /* -1: none for comments */
	const char *alert_cmd, *webhook, *alert_spool, *state;
	size_t alert_parallel;
	unsigned alert_retries;
	unsigned state_keep;       /* --state-keep DAYS */
	double alert_timeout_s;

	double period_s;           /* 0: run once */
	int watch;                 /* --watch */
	double stream_timeout_s, resync_s;
};

/* The defaults of the options, written once: the option table in cli.c sets
 * them and prints them in --help. README.md, hnbatch.1 and docs/cli-spec.md
 * state them too (tests/check_install.c checks that they agree with --help).
 * Plain literals: the table turns them into text with #. */
#define CLI_DEFAULT_API "https://hacker-news.firebaseio.com/v0"
#define CLI_DEFAULT_THREADS 4
#define CLI_DEFAULT_CONCURRENCY auto
#define CLI_DEFAULT_MAX_CONCURRENCY 1024
#define CLI_DEFAULT_TIMEOUT_S 10
#define CLI_DEFAULT_CONNECT_TIMEOUT_S 5
#define CLI_DEFAULT_RETRIES 3
#define CLI_DEFAULT_MAX_BODY 1048576
#define CLI_DEFAULT_STREAM_TIMEOUT_S 90
#define CLI_DEFAULT_RESYNC_S 3600
#define CLI_DEFAULT_MAX_ROOT_ITEMS 250000
#define CLI_DEFAULT_MAX_ITEMS 2500000
#define CLI_DEFAULT_FORMAT "table"
#define CLI_DEFAULT_ALERT_PARALLEL 8
#define CLI_DEFAULT_ALERT_RETRIES 3
#define CLI_DEFAULT_ALERT_TIMEOUT_S 30
#define CLI_DEFAULT_STATE_KEEP 30

/* Parse argv. Returns 0 to run, 1 when --help or --version was printed
 * (exit 0), -1 on a usage error (message already printed; exit 2).
 * cfg->src is malloc'd: cli_free() releases it. */
int cli_parse(int argc, char **argv, struct config *cfg);
void cli_free(struct config *cfg);
void cli_usage(FILE *f);

#endif
