/* cli_usage.c — --help, written from the option table (cli_int.h): each
 * row's spelling, argument, help and default, in its section, within 80
 * columns.  Main thread only. */
#include "cli_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *title;
	const char *operand, *operand_help;   /* a non-option entry, first */
} groups[NGROUPS] = {
	[G_INPUT] = { "Input (a root given twice is counted once; results keep "
		      "input order):\n", "  FILE",
		      "ids one per line: 8863 or an HN link\n"
		      "(https://news.ycombinator.com/item?id=8863);\n"
		      "blank and '#' lines skipped; '-' is standard input" },
	[G_CRAWL] = { "Crawl:\n" },
	[G_OUTPUT] = { "Output:\n" },
	[G_ALERTS] = { "Alerts:\n" },
	[G_PERIODIC] = { "Periodic and watch:\n" },
	[G_OTHER] = { "" },
};

#define COLS 80         /* --help fits in this many columns */
#define HELP_AT 24      /* help starts in this column... */
#define HELP_AT_LONG 26 /* ...or in this one after a longer label */

/* One entry of --help: label, then help, whose lines ('\n') start in column
 * HELP_AT.  The first line goes beside the label when it fits, else on the
 * next line.  The default, when there is one, ends the last line, or goes on
 * a line of its own when that would pass COLS. */
static void entry(FILE *f, const char *label, const char *help,
		  const char *dflt)
{
	int col = (int)strlen(label);
	int at = col + 2 <= HELP_AT ? HELP_AT
		 : col + 2 < HELP_AT_LONG ? HELP_AT_LONG : col + 2;
	int n = (int)strcspn(help, "\n");
	fputs(label, f);
	if (at + n > COLS) {
		fputc('\n', f);
		col = 0;
		at = HELP_AT;
	}
	for (;;) {
		fprintf(f, "%*s%.*s", at - col, "", n, help);
		col = at + n;
		if (help[n] == '\0')
			break;
		help += n + 1;
		n = (int)strcspn(help, "\n");
		fputc('\n', f);
		col = 0;
		at = HELP_AT;
	}
	if (dflt && col + (int)strlen(" (default )") + (int)strlen(dflt) > COLS)
		fprintf(f, "\n%*s(default %s)", HELP_AT, "", dflt);
	else if (dflt)
		fprintf(f, " (default %s)", dflt);
	fputc('\n', f);
}

/* The row o, with the rows after it that have no help of their own on the
 * same line ("--top N, --new N, ..."). */
static void usage_row(FILE *f, const struct opt *o)
{
	char label[COLS + 1];
	size_t n = o->letter ? (size_t)snprintf(label, sizeof label, "  -%c, ",
						o->letter)
			     : (size_t)snprintf(label, sizeof label, "      ");
	const struct opt *r = o;
	do {
		n += (size_t)snprintf(label + n, sizeof label - n, "%s--%s%s%s",
				      r == o ? "" : ", ", r->name,
				      r->arg ? " " : "", r->arg ? r->arg : "");
		if (n >= sizeof label)
			abort();        /* a label wider than --help */
	} while (++r < cli_opts + cli_nopts && !r->help);
	entry(f, label, o->help, o->dflt);
}

void cli_usage(FILE *f)
{
	fputs("Usage: hnbatch [OPTIONS] [FILE...]\n"
	      "Count the comments of Hacker News posts by crawling their "
	      "comment trees.\n", f);
	for (int g = 0; g < NGROUPS; g++) {
		fprintf(f, "\n%s", groups[g].title);
		if (groups[g].operand)
			entry(f, groups[g].operand, groups[g].operand_help,
			      NULL);
		for (size_t i = 0; i < cli_nopts; i++) {
			const struct opt *o = &cli_opts[i];
			if (o->group == (enum group)g && o->help)
				usage_row(f, o);
		}
	}
	fputs("\nRecords: id, title, comments (live, neither deleted nor dead),"
	      " deleted, dead,\nmissing, failed, depth, descendants, fetches, "
	      "elapsed_ms, status, and\nhottest_id/hottest_comments: the "
	      "top-level comment with the most comments\nbelow it (ties: the "
	      "smaller id; null without comments). A comment's count\n(for "
	      "--subthread-threshold) is the live comments below it.\n", f);
	fputs("\nExit status: 0 all complete, 1 partial/missing/failed, "
	      "2 usage or input\n"
	      "error, 130/143 interrupted by SIGINT/SIGTERM.\n", f);
}

