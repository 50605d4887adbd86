/* output.c — writing root results as JSON lines, CSV or an aligned table.
 *
 * Threads: called from the main thread only; no globals, no state kept
 * between calls. output_to() picks the destination: standard output (a
 * table fitted to a terminal's width) or -o FILE through fileutil.
 * Everything goes through stdio on the caller's FILE* (one buffered
 * stream, no per-character system calls); output_write flushes
 * once at the end so a write error (closed pipe, full disk) is reported by
 * the call that caused it.
 *
 * Titles are expected to be text_clean'd already (result.h); the writers
 * still never emit a control character to a terminal or invalid JSON. */
#include "output.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "fileutil.h"
#include "log.h"
#include "text.h"

/* The record fields, in the order the spec fixes for jsonl and csv. */
static const char *const fields[] = {
	"id", "title", "comments", "deleted", "dead", "missing", "failed",
	"depth", "descendants", "fetches", "elapsed_ms", "status",
	"hottest_id", "hottest_comments",
};
#define NFIELDS (sizeof fields / sizeof fields[0])

int output_parse_format(const char *s, enum out_format *f)
{
	if (!s)
		return -1;
	if (strcmp(s, "table") == 0)
		*f = OUT_TABLE;
	else if (strcmp(s, "jsonl") == 0)
		*f = OUT_JSONL;
	else if (strcmp(s, "csv") == 0)
		*f = OUT_CSV;
	else
		return -1;
	return 0;
}

/* r->changed_at_ms as "2026-11-26T03:50:12.345Z". */
static const char *iso_time(const struct root_result *r, char *buf,
			    size_t len)
{
	time_t s = (time_t)(r->changed_at_ms / 1000);
	struct tm tm;
	if (!gmtime_r(&s, &tm))
		return "1970-01-01T00:00:00.000Z";
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03dZ", (int)(r->changed_at_ms % 1000));
	return buf;
}

static void write_jsonl(FILE *f, const struct root_result *r,
			const struct output_opts *o)
{
	fprintf(f, "{\"id\":%" PRIu64 ",\"title\":", r->id);
	text_json(f, r->title);         /* NULL -> null */
	fprintf(f, ",\"comments\":%" PRIu64 ",\"deleted\":%" PRIu64
		",\"dead\":%" PRIu64 ",\"missing\":%" PRIu64
		",\"failed\":%" PRIu64 ",\"depth\":%" PRIu64
		",\"descendants\":",
		r->comments, r->deleted, r->dead, r->missing, r->failed,
		r->depth);
	if (r->has_descendants)
		fprintf(f, "%" PRId64, r->descendants);
	else
		fputs("null", f);
	fprintf(f, ",\"fetches\":%" PRIu64 ",\"elapsed_ms\":%" PRIu64
		",\"status\":\"%s\"", r->fetches, r->elapsed_ms,
		root_status_str(r->status));
	if (r->has_hottest)
		fprintf(f, ",\"hottest_id\":%" PRIu64 ",\"hottest_comments\":%"
			PRIu64, r->hottest_id, r->hottest_comments);
	else
		fputs(",\"hottest_id\":null,\"hottest_comments\":null", f);
	if (o->with_previous) {
		if (r->has_previous)
			fprintf(f, ",\"previous\":%" PRId64, r->previous);
		else
			fputs(",\"previous\":null", f);
	}
	if (o->iteration >= 0)
		fprintf(f, ",\"iteration\":%ld", o->iteration);
	if (o->with_changed_at) {
		char t[32];
		fprintf(f, ",\"changed_at\":\"%s\"", iso_time(r, t, sizeof t));
	}
	fputs("}\n", f);
}

/* CSV rows end with CRLF, as RFC 4180 asks. */
static void write_csv_header(FILE *f, const struct output_opts *o)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		fprintf(f, "%s%s", i ? "," : "", fields[i]);
	if (o->with_previous)
		fputs(",previous", f);
	if (o->iteration >= 0)
		fputs(",iteration", f);
	if (o->with_changed_at)
		fputs(",changed_at", f);
	fputs("\r\n", f);
}

static void write_csv(FILE *f, const struct root_result *r,
		      const struct output_opts *o)
{
	fprintf(f, "%" PRIu64 ",", r->id);
	text_csv(f, r->title);          /* NULL -> empty cell */
	fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		",%" PRIu64 ",%" PRIu64 ",", r->comments, r->deleted, r->dead,
		r->missing, r->failed, r->depth);
	if (r->has_descendants)
		fprintf(f, "%" PRId64, r->descendants);
	fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%s", r->fetches, r->elapsed_ms,
		root_status_str(r->status));
	if (r->has_hottest)
		fprintf(f, ",%" PRIu64 ",%" PRIu64, r->hottest_id,
			r->hottest_comments);
	else
		fputs(",,", f);
	if (o->with_previous) {
		putc(',', f);
		if (r->has_previous)
			fprintf(f, "%" PRId64, r->previous);
	}
	if (o->iteration >= 0)
		fprintf(f, ",%ld", o->iteration);
	if (o->with_changed_at) {
		char t[32];
		fprintf(f, ",%s", iso_time(r, t, sizeof t));
	}
	fputs("\r\n", f);
}

/* Table columns before TITLE (which is last, unpadded). */
enum tcol {
	C_ID, C_COMMENTS, C_DELETED, C_DEAD, C_MISSING, C_FAILED, C_DEPTH,
	C_HOTTEST, C_FETCHES, C_MS, C_STATUS, C_PREVIOUS, C_NCOLS
};

static const char *const tnames[C_NCOLS] = {
	"ID", "COMMENTS", "DELETED", "DEAD", "MISSING", "FAILED", "DEPTH",
	"HOTTEST", "FETCHES", "MS", "STATUS", "PREVIOUS",
};

#define SEP "  "                /* between columns */
#define MIN_TITLE 10            /* title columns kept however narrow */

/* Format column c of r into buf (>= 48 bytes); returns buf. */
static const char *tcell(const struct root_result *r, enum tcol c,
			 char *buf, size_t size)
{
	uint64_t v = 0;

	switch (c) {
	case C_ID:       v = r->id; break;
	case C_COMMENTS: v = r->comments; break;
	case C_DELETED:  v = r->deleted; break;
	case C_DEAD:     v = r->dead; break;
	case C_MISSING:  v = r->missing; break;
	case C_FAILED:   v = r->failed; break;
	case C_DEPTH:    v = r->depth; break;
	case C_FETCHES:  v = r->fetches; break;
	case C_MS:       v = r->elapsed_ms; break;
	case C_HOTTEST:         /* "COMMENTS@ID" of the hottest comment */
		if (!r->has_hottest)
			return "-";
		snprintf(buf, size, "%" PRIu64 "@%" PRIu64,
			 r->hottest_comments, r->hottest_id);
		return buf;
	case C_STATUS:
		return root_status_str(r->status);
	case C_PREVIOUS:
		if (!r->has_previous)
			return "-";
		snprintf(buf, size, "%" PRId64, r->previous);
		return buf;
	case C_NCOLS:
		break;
	}
	snprintf(buf, size, "%" PRIu64, v);
	return buf;
}

static void write_table(FILE *f, const struct root_result *r, size_t n,
			const struct output_opts *o)
{
	size_t w[C_NCOLS], used = 0, title_cols = 0, i;
	int ncols = o->with_previous ? C_NCOLS : C_PREVIOUS;
	int c;
	char buf[48];

	for (c = 0; c < ncols; c++) {
		w[c] = strlen(tnames[c]);
		for (i = 0; i < n; i++) {
			size_t l = strlen(tcell(&r[i], (enum tcol)c, buf,
						sizeof buf));
			if (l > w[c])
				w[c] = l;
		}
		used += w[c] + strlen(SEP);
	}
	if (o->width > 0) {
		title_cols = o->width > used ? o->width - used : 0;
		if (title_cols < MIN_TITLE)
			title_cols = MIN_TITLE;
	}
	if (o->header) {
		for (c = 0; c < ncols; c++)
			fprintf(f, c == C_STATUS ? "%-*s" SEP : "%*s" SEP,
				(int)w[c], tnames[c]);
		fputs("TITLE\n", f);
	}
	for (i = 0; i < n; i++) {
		for (c = 0; c < ncols; c++)
			fprintf(f, c == C_STATUS ? "%-*s" SEP : "%*s" SEP,
				(int)w[c],
				tcell(&r[i], (enum tcol)c, buf, sizeof buf));
		text_fit(f, r[i].title && *r[i].title ? r[i].title : "-",
			 title_cols, 0);
		putc('\n', f);
	}
}

int output_write(FILE *f, const struct root_result *r, size_t n,
		 const struct output_opts *o)
{
	size_t i;

	switch (o->format) {
	case OUT_JSONL:
		for (i = 0; i < n; i++)
			write_jsonl(f, &r[i], o);
		break;
	case OUT_CSV:
		if (o->header)
			write_csv_header(f, o);
		for (i = 0; i < n; i++)
			write_csv(f, &r[i], o);
		break;
	case OUT_TABLE:
		write_table(f, r, n, o);
		break;
	}
	if (fflush(f) != 0 || ferror(f))
		return -1;
	return 0;
}

struct rows {
	const struct root_result *r;
	size_t n;
	const struct output_opts *o;
};

static int write_rows(FILE *f, void *arg)
{
	const struct rows *w = arg;
	return output_write(f, w->r, w->n, w->o);
}

int output_to(const char *path, const struct root_result *r, size_t n,
	      const struct output_opts *o)
{
	if (path) {
		char err[512];
		struct rows w = { r, n, o };
		if (fileutil_replace(path, write_rows, &w, err,
				     sizeof err) == 0)
			return 0;
		log_error("%s", err);
		return -1;
	}
	struct output_opts oo = *o;
	struct winsize ws;
	if (oo.format == OUT_TABLE && oo.width == 0 &&
	    isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		oo.width = ws.ws_col;
	if (output_write(stdout, r, n, &oo) != 0 || fflush(stdout) != 0) {
		log_error("writing results to standard output: %s",
			  strerror(errno));
		return -1;
	}
	return 0;
}
