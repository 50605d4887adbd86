/* check_output.c — unit tests for output.c (and root_status_str): hostile
 * titles in jsonl, csv and table; exact jsonl keys; CSV structure; table
 * alignment and width; write errors.  Single-threaded; output goes to an
 * open_memstream FILE* and is inspected after fclose. */
#include <check.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "result.h"
#include "text.h"
#include "testutil.h"

/* Raw titles as an attacker (or a bad scrape) could send them. */
static const char *const hostile[] = {
	"\x1b[31mRED\x1b[0m \x1b]0;pwned\a",
	"bell\a\a",
	"line\nbreak\r\nnext",
	"cr\roverwrite",
	"bad \xff\xfe utf8 \xC0\x80 \xE2\x82",
	"it&#x27;s &#39;quoted&#39;",
	"&amp;lt;script&amp;gt;",
	"=cmd|' /C calc'!A0",
	"+SUM(1,2)",
	"-2+3",
	"@import",
	"comma, \"quotes\" and \\backslash",
	"c1 \xC2\x9B" "31m csi",
	"sep \xE2\x80\xA8 and \xE2\x80\xA9",
	" leading and trailing ",
	"Show HN: a very long title \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E "
	"that goes on and on and on well past any reasonable terminal width "
	"\xF0\x9F\x98\x80 to test cutting",
	NULL,
};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

static const char *const keys[] = {
	"id", "title", "comments", "deleted", "dead", "missing", "failed",
	"depth", "descendants", "fetches", "elapsed_ms", "status",
	"hottest_id", "hottest_comments", "previous", "iteration",
};

/* Results with the hostile titles, cleaned as the crawler does, and varied
 * numbers so that column widths differ. */
static struct root_result *make_results(size_t *n, int clean)
{
	struct root_result *r = calloc(NHOSTILE, sizeof *r);
	size_t i;

	ck_assert_ptr_nonnull(r);
	for (i = 0; i < NHOSTILE; i++) {
		r[i].id = 8863 + i * 1000003;
		if (hostile[i])
			r[i].title = clean ? text_clean(hostile[i])
					   : strdup(hostile[i]);
		r[i].comments = i * i * 37;
		r[i].deleted = i;
		r[i].dead = i % 3;
		r[i].missing = i == 2 ? 123456 : 0;
		r[i].failed = i % 5 == 0 ? 7 : 0;
		r[i].depth = i + 1;
		r[i].has_descendants = i % 4 != 0;
		r[i].descendants = (int64_t)(i * 41) - 1;
		r[i].fetches = 1 + i * 999;
		r[i].elapsed_ms = i * 12345;
		r[i].status = (enum root_status)(i % 4);
		r[i].has_previous = i % 2 == 0;
		r[i].previous = (int64_t)i * 10 - 30;
		r[i].has_hottest = i % 3 != 1;
		r[i].hottest_id = r[i].has_hottest ? 9000 + i : 0;
		r[i].hottest_comments = r[i].has_hottest ? i * 5 : 0;
	}
	*n = NHOSTILE;
	return r;
}

static void free_results(struct root_result *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(r[i].title);
	free(r);
}

static char *render(const struct root_result *r, size_t n,
		    const struct output_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(output_write(f, r, n, o), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_uint_eq(strlen(buf), len);    /* no NUL inside */
	return buf;
}

/* No terminal control byte anywhere but the line feeds ending lines (and,
 * for CSV, the CR of CRLF).  Checks C0, DEL and UTF-8 C1. */
static void assert_no_controls(const char *s, int allow_cr)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p == '\n' || (allow_cr && *p == '\r' && p[1] == '\n'))
			continue;
		ck_assert_msg(*p >= 0x20 && *p != 0x7F,
			      "control byte 0x%02x at offset %td", *p,
			      (const char *)p - s);
		ck_assert_msg(!(p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F),
			      "C1 control at offset %td", (const char *)p - s);
	}
}

/* Split text into lines (modifies it); returns the count. */
static size_t split_lines(char *s, char **lines, size_t max)
{
	size_t n = 0;
	char *p = s, *nl;

	while (*p && (nl = strchr(p, '\n')) != NULL) {
		ck_assert_uint_lt(n, max);
		*nl = '\0';
		lines[n++] = p;
		p = nl + 1;
	}
	ck_assert_msg(*p == '\0', "last line not terminated");
	return n;
}

/* --- jsonl ------------------------------------------------------------ */

static void check_json_record(struct json_object *o,
			      const struct root_result *r,
			      const struct output_opts *opt)
{
	struct json_object *v;
	size_t k = 0, nkeys = 14;

	if (opt->with_previous)
		nkeys++;
	/* key order as written (json-c keeps insertion order) */
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (k == 14 && !opt->with_previous)
			k++;                    /* no "previous" */
		ck_assert_uint_lt(k, 16);
		ck_assert_str_eq(key, keys[k]);
		k++;
	}
	ck_assert_int_eq(json_object_object_length(o),
			 (int)(nkeys + (opt->iteration >= 0)));

	ck_assert(json_object_object_get_ex(o, "id", &v));
	ck_assert(json_object_is_type(v, json_type_int));
	ck_assert_uint_eq((uint64_t)json_object_get_int64(v), r->id);
	ck_assert(json_object_object_get_ex(o, "title", &v));
	if (r->title) {
		ck_assert(json_object_is_type(v, json_type_string));
		ck_assert_str_eq(json_object_get_string(v), r->title);
	} else {
		ck_assert(json_object_is_type(v, json_type_null));
	}
#define NUM(name, field)                                                  \
	ck_assert(json_object_object_get_ex(o, name, &v));                \
	ck_assert(json_object_is_type(v, json_type_int));                 \
	ck_assert_int_eq(json_object_get_int64(v), (int64_t)(field))
	NUM("comments", r->comments);
	NUM("deleted", r->deleted);
	NUM("dead", r->dead);
	NUM("missing", r->missing);
	NUM("failed", r->failed);
	NUM("depth", r->depth);
	NUM("fetches", r->fetches);
	NUM("elapsed_ms", r->elapsed_ms);
	ck_assert(json_object_object_get_ex(o, "descendants", &v));
	if (r->has_descendants) {
		NUM("descendants", r->descendants);
	} else {
		ck_assert(json_object_is_type(v, json_type_null));
	}
	ck_assert(json_object_object_get_ex(o, "status", &v));
	ck_assert_str_eq(json_object_get_string(v), root_status_str(r->status));
	ck_assert(json_object_object_get_ex(o, "hottest_id", &v));
	if (r->has_hottest) {
		NUM("hottest_id", r->hottest_id);
		NUM("hottest_comments", r->hottest_comments);
	} else {
		ck_assert(json_object_is_type(v, json_type_null));
		ck_assert(json_object_object_get_ex(o, "hottest_comments", &v));
		ck_assert(json_object_is_type(v, json_type_null));
	}
	if (opt->with_previous) {
		ck_assert(json_object_object_get_ex(o, "previous", &v));
		if (r->has_previous) {
			NUM("previous", r->previous);
		} else {
			ck_assert(json_object_is_type(v, json_type_null));
		}
	} else {
		ck_assert(!json_object_object_get_ex(o, "previous", NULL));
	}
	if (opt->iteration >= 0) {
		NUM("iteration", opt->iteration);
	} else {
		ck_assert(!json_object_object_get_ex(o, "iteration", NULL));
	}
#undef NUM
}

static void check_jsonl(int clean, int with_previous, long iteration)
{
	struct output_opts o = { .format = OUT_JSONL,
				 .with_previous = with_previous,
				 .iteration = iteration, .header = 1 };
	size_t n, nl, i;
	struct root_result *r = make_results(&n, clean);
	char *out = render(r, n, &o);
	char *lines[64];

	assert_no_controls(out, 0);
	ck_assert(strstr(out, "\x1b") == NULL);
	nl = split_lines(out, lines, 64);
	ck_assert_uint_eq(nl, n);
	for (i = 0; i < nl; i++) {
		struct json_object *j = json_tokener_parse(lines[i]);

		ck_assert_msg(j != NULL, "line %zu is not JSON: %s", i,
			      lines[i]);
		/* raw titles must still give valid JSON (parsed above) */
		if (clean)
			check_json_record(j, &r[i], &o);
		json_object_put(j);
	}
	free(out);
	free_results(r, n);
}

START_TEST(jsonl_hostile)
{
	check_jsonl(1, 0, -1);
	check_jsonl(1, 1, -1);
	check_jsonl(1, 0, 0);
	check_jsonl(1, 1, 42);
	check_jsonl(0, 1, 3);
}
END_TEST

/* The exact text of records, key order included. */
START_TEST(jsonl_exact)
{
	struct root_result r[2] = {
		{ .id = 8863, .title = "My YC app: Dropbox", .comments = 71,
		  .deleted = 2, .dead = 1, .missing = 0, .failed = 0,
		  .depth = 5, .has_descendants = true, .descendants = 71,
		  .fetches = 75, .elapsed_ms = 812,
		  .status = ROOT_COMPLETE, .has_previous = true,
		  .previous = 70, .has_hottest = true, .hottest_id = 9224,
		  .hottest_comments = 30 },
		{ .id = 1, .title = NULL, .status = ROOT_MISSING,
		  .fetches = 1 },
	};
	struct output_opts o = { .format = OUT_JSONL, .iteration = -1 };
	char *out;

	out = render(r, 2, &o);
	ck_assert_str_eq(out,
		"{\"id\":8863,\"title\":\"My YC app: Dropbox\",\"comments\":71,"
		"\"deleted\":2,\"dead\":1,\"missing\":0,\"failed\":0,"
		"\"depth\":5,"
		"\"descendants\":71,\"fetches\":75,\"elapsed_ms\":812,"
		"\"status\":\"complete\",\"hottest_id\":9224,"
		"\"hottest_comments\":30}\n"
		"{\"id\":1,\"title\":null,\"comments\":0,\"deleted\":0,"
		"\"dead\":0,"
		"\"missing\":0,\"failed\":0,\"depth\":0,\"descendants\":null,"
		"\"fetches\":1,\"elapsed_ms\":0,\"status\":\"missing\","
		"\"hottest_id\":null,\"hottest_comments\":null}\n");
	free(out);

	o.with_previous = 1;
	o.iteration = 7;
	out = render(r, 2, &o);
	ck_assert_str_eq(out,
		"{\"id\":8863,\"title\":\"My YC app: Dropbox\",\"comments\":71,"
		"\"deleted\":2,\"dead\":1,\"missing\":0,\"failed\":0,"
		"\"depth\":5,"
		"\"descendants\":71,\"fetches\":75,\"elapsed_ms\":812,"
		"\"status\":\"complete\",\"hottest_id\":9224,"
		"\"hottest_comments\":30,\"previous\":70,\"iteration\":7}\n"
		"{\"id\":1,\"title\":null,\"comments\":0,\"deleted\":0,"
		"\"dead\":0,"
		"\"missing\":0,\"failed\":0,\"depth\":0,\"descendants\":null,"
		"\"fetches\":1,\"elapsed_ms\":0,\"status\":\"missing\","
		"\"hottest_id\":null,\"hottest_comments\":null,"
		"\"previous\":null,\"iteration\":7}\n");
	free(out);
}
END_TEST

/* --- csv -------------------------------------------------------------- */

/* A strict RFC 4180 reader for one record at *pp (CRLF-terminated).
 * Fills up to max malloc'd fields; returns the field count and advances
 * *pp past the record; fails the test on malformed CSV. */
static size_t csv_record(const char **pp, char **fld, size_t max)
{
	const char *p = *pp;
	size_t n = 0;

	for (;;) {
		size_t cap = strlen(p) + 1, len = 0;
		char *cell = malloc(cap);

		ck_assert_ptr_nonnull(cell);
		if (*p == '"') {
			p++;
			for (;;) {
				ck_assert_msg(*p != '\0', "unterminated quote");
				if (*p == '"' && p[1] == '"') {
					cell[len++] = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					cell[len++] = *p++;
				}
			}
		} else {
			while (*p && *p != ',' && *p != '\r' && *p != '\n') {
				ck_assert_msg(*p != '"', "bare quote in cell");
				cell[len++] = *p++;
			}
		}
		cell[len] = '\0';
		ck_assert_uint_lt(n, max);
		fld[n++] = cell;
		if (*p == ',') {
			p++;
			continue;
		}
		ck_assert_msg(p[0] == '\r' && p[1] == '\n',
			      "record not ended by CRLF: [%.20s]", p);
		*pp = p + 2;
		return n;
	}
}

static void free_fields(char **fld, size_t n)
{
	while (n > 0)
		free(fld[--n]);
}

static void check_csv(int with_previous, long iteration)
{
	struct output_opts o = { .format = OUT_CSV, .header = 1,
				 .with_previous = with_previous,
				 .iteration = iteration };
	size_t n, i, k, nf, want = 14 + (with_previous != 0) + (iteration >= 0);
	struct root_result *r = make_results(&n, 1);
	char *out = render(r, n, &o);
	const char *p = out;
	char *fld[32], buf[64];

	ck_assert(strchr(out, '\x1b') == NULL);
	ck_assert(strchr(out, '\a') == NULL);
	nf = csv_record(&p, fld, 32);
	ck_assert_uint_eq(nf, want);
	for (k = 0; k < 14; k++)
		ck_assert_str_eq(fld[k], keys[k]);
	if (with_previous)
		ck_assert_str_eq(fld[14], "previous");
	if (iteration >= 0)
		ck_assert_str_eq(fld[nf - 1], "iteration");
	free_fields(fld, nf);

	for (i = 0; i < n; i++) {
		const char *t = r[i].title;

		ck_assert_msg(*p != '\0', "missing row %zu", i);
		nf = csv_record(&p, fld, 32);
		ck_assert_uint_eq(nf, want);
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)r[i].id);
		ck_assert_str_eq(fld[0], buf);
		/* the title: no formula start; otherwise exact */
		ck_assert(strchr("=+-@\t\r", fld[1][0]) == NULL ||
			  fld[1][0] == '\0');
		if (!t)
			ck_assert_str_eq(fld[1], "");
		else if (t[0] && strchr("=+-@\t\r", t[0]))
			ck_assert(fld[1][0] == '\'' &&
				  strcmp(fld[1] + 1, t) == 0);
		else
			ck_assert_str_eq(fld[1], t);
		snprintf(buf, sizeof buf, "%llu",
			 (unsigned long long)r[i].comments);
		ck_assert_str_eq(fld[2], buf);
		if (r[i].has_descendants) {
			snprintf(buf, sizeof buf, "%lld",
				 (long long)r[i].descendants);
			ck_assert_str_eq(fld[8], buf);
		} else {
			ck_assert_str_eq(fld[8], "");
		}
		ck_assert_str_eq(fld[11], root_status_str(r[i].status));
		if (r[i].has_hottest) {
			snprintf(buf, sizeof buf, "%llu",
				 (unsigned long long)r[i].hottest_id);
			ck_assert_str_eq(fld[12], buf);
			snprintf(buf, sizeof buf, "%llu",
				 (unsigned long long)r[i].hottest_comments);
			ck_assert_str_eq(fld[13], buf);
		} else {
			ck_assert_str_eq(fld[12], "");
			ck_assert_str_eq(fld[13], "");
		}
		if (with_previous) {
			if (r[i].has_previous) {
				snprintf(buf, sizeof buf, "%lld",
					 (long long)r[i].previous);
				ck_assert_str_eq(fld[14], buf);
			} else {
				ck_assert_str_eq(fld[14], "");
			}
		}
		if (iteration >= 0) {
			snprintf(buf, sizeof buf, "%ld", iteration);
			ck_assert_str_eq(fld[nf - 1], buf);
		}
		free_fields(fld, nf);
	}
	ck_assert_msg(*p == '\0', "extra data after rows: [%.20s]", p);
	free(out);
	free_results(r, n);
}

START_TEST(csv_hostile)
{
	check_csv(0, -1);
	check_csv(1, -1);
	check_csv(1, 5);
}
END_TEST

START_TEST(csv_no_header)
{
	struct root_result r = { .id = 5, .title = "=1+1", .comments = 3 };
	struct output_opts o = { .format = OUT_CSV, .header = 0,
				 .iteration = -1 };
	char *out = render(&r, 1, &o);

	ck_assert_str_eq(out, "5,'=1+1,3,0,0,0,0,0,,0,0,complete,,\r\n");
	free(out);
}
END_TEST

/* --- table ------------------------------------------------------------ */

/* Column spans [start, end) of the space-separated words in s[0..lim). */
static size_t words(const char *s, size_t lim, size_t *start, size_t *end,
		    size_t max)
{
	size_t n = 0, i = 0;

	while (i < lim) {
		while (i < lim && s[i] == ' ')
			i++;
		if (i >= lim)
			break;
		ck_assert_uint_lt(n, max);
		start[n] = i;
		while (i < lim && s[i] != ' ')
			i++;
		end[n++] = i;
	}
	return n;
}

static void check_table(int with_previous, size_t width, int clean)
{
	struct output_opts o = { .format = OUT_TABLE, .header = 1,
				 .width = width,
				 .with_previous = with_previous,
				 .iteration = -1 };
	static const char *const head[] = {
		"ID", "COMMENTS", "DELETED", "DEAD", "MISSING", "FAILED",
		"DEPTH", "HOTTEST", "FETCHES", "MS", "STATUS", "PREVIOUS",
	};
	size_t ncol = with_previous ? 12 : 11;
	size_t n, nl, i, k, title_at, hs[16], he[16], rs[16], re[16];
	struct root_result *r = make_results(&n, clean);
	char *out = render(r, n, &o);
	char *lines[64];
	const char *tp;

	assert_no_controls(out, 0);
	nl = split_lines(out, lines, 64);
	ck_assert_uint_eq(nl, n + 1);

	/* header: the column names in order, TITLE last */
	tp = strstr(lines[0], "TITLE");
	ck_assert_ptr_nonnull(tp);
	title_at = (size_t)(tp - lines[0]);
	ck_assert_str_eq(tp, "TITLE");
	ck_assert_uint_eq(words(lines[0], title_at, hs, he, 16), ncol);
	for (k = 0; k < ncol; k++)
		ck_assert_int_eq(strncmp(lines[0] + hs[k], head[k],
					 he[k] - hs[k]), 0);

	for (i = 0; i < n; i++) {
		const char *row = lines[i + 1];
		const char *title = row + title_at;
		size_t tw = text_width(title);

		/* the columns before the title are ASCII, so bytes = columns */
		ck_assert_uint_ge(strlen(row), title_at + 1);
		ck_assert_msg(row[title_at - 1] == ' ',
			      "row %zu: title not at column %zu: [%s]", i,
			      title_at, row);
		ck_assert_uint_eq(words(row, title_at, rs, re, 16), ncol);
		for (k = 0; k < ncol; k++) {
			if (strcmp(head[k], "STATUS") == 0)     /* left */
				ck_assert_uint_eq(rs[k], hs[k]);
			else                                    /* right */
				ck_assert_msg(re[k] == he[k],
					      "row %zu col %s misaligned: [%s]",
					      i, head[k], row);
		}
		ck_assert_int_eq(strncmp(row + rs[10],
					 root_status_str(r[i].status),
					 re[10] - rs[10]), 0);
		char hot[48] = "-";
		if (r[i].has_hottest)
			snprintf(hot, sizeof hot, "%llu@%llu",
				 (unsigned long long)r[i].hottest_comments,
				 (unsigned long long)r[i].hottest_id);
		ck_assert_uint_eq(re[7] - rs[7], strlen(hot));
		ck_assert_int_eq(strncmp(row + rs[7], hot, strlen(hot)), 0);

		if (!r[i].title)
			ck_assert_str_eq(title, "-");
		else if (width == 0 && clean)
			ck_assert_str_eq(title, r[i].title);
		if (width > 0) {
			size_t room = width > title_at ? width - title_at : 0;

			if (room < 10)
				room = 10;
			ck_assert_msg(tw <= room, "row %zu title %zu > %zu", i,
				      tw, room);
			if (r[i].title && text_width(r[i].title) > room) {
				ck_assert_uint_eq(tw, room);
				ck_assert(strcmp(title + strlen(title) - 3,
						 "\xE2\x80\xA6") == 0);
			} else if (clean && r[i].title) {
				ck_assert_str_eq(title, r[i].title);
			}
		}
	}
	free(out);
	free_results(r, n);
}

START_TEST(table_hostile)
{
	check_table(0, 0, 1);
	check_table(1, 0, 1);
	check_table(0, 120, 1);
	check_table(1, 100, 1);
	check_table(1, 20, 1);          /* the title keeps 10 columns */
	check_table(0, 80, 0);          /* raw titles: still no controls */
}
END_TEST

START_TEST(table_exact)
{
	struct root_result r[2] = {
		{ .id = 8863, .title = "My YC app: Dropbox", .comments = 71,
		  .depth = 5, .fetches = 75, .elapsed_ms = 812,
		  .status = ROOT_COMPLETE, .has_hottest = true,
		  .hottest_id = 9224, .hottest_comments = 30 },
		{ .id = 121003, .title = NULL, .comments = 1234567,
		  .failed = 3, .fetches = 2, .status = ROOT_INTERRUPTED },
	};
	struct output_opts o = { .format = OUT_TABLE, .header = 1,
				 .iteration = -1 };
	char *out = render(r, 2, &o);

	ck_assert_str_eq(out,
		"    ID  COMMENTS  DELETED  DEAD  MISSING  FAILED  DEPTH"
		"  HOTTEST  FETCHES   MS  STATUS       TITLE\n"
		"  8863        71        0     0        0       0      5"
		"  30@9224       75  812  complete     My YC app: Dropbox\n"
		"121003   1234567        0     0        0       3      0"
		"        -        2    0  interrupted  -\n");
	free(out);
}
END_TEST

/* --- misc ------------------------------------------------------------- */

START_TEST(empty_results)
{
	struct output_opts o = { .format = OUT_JSONL, .header = 1,
				 .iteration = -1 };
	char *out;

	out = render(NULL, 0, &o);
	ck_assert_str_eq(out, "");
	free(out);
	o.format = OUT_CSV;
	out = render(NULL, 0, &o);
	ck_assert_str_eq(out, "id,title,comments,deleted,dead,missing,failed,"
			 "depth,descendants,fetches,elapsed_ms,status,"
			 "hottest_id,hottest_comments\r\n");
	free(out);
	o.format = OUT_TABLE;
	o.header = 0;
	out = render(NULL, 0, &o);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

START_TEST(write_error)
{
	struct root_result r = { .id = 1, .title = "t" };
	struct output_opts o = { .format = OUT_JSONL, .iteration = -1 };
	FILE *f = fopen("/dev/full", "w");
	int fmt;

	if (!f)
		return;         /* no /dev/full here: nothing to test */
	for (fmt = OUT_TABLE; fmt <= OUT_CSV; fmt++) {
		o.format = (enum out_format)fmt;
		ck_assert_int_eq(output_write(f, &r, 1, &o), -1);
		clearerr(f);
	}
	fclose(f);
}
END_TEST

START_TEST(parse_format)
{
	enum out_format f = OUT_CSV;

	ck_assert_int_eq(output_parse_format("table", &f), 0);
	ck_assert_int_eq(f, OUT_TABLE);
	ck_assert_int_eq(output_parse_format("jsonl", &f), 0);
	ck_assert_int_eq(f, OUT_JSONL);
	ck_assert_int_eq(output_parse_format("csv", &f), 0);
	ck_assert_int_eq(f, OUT_CSV);
	ck_assert_int_eq(output_parse_format("json", &f), -1);
	ck_assert_int_eq(output_parse_format("CSV", &f), -1);
	ck_assert_int_eq(output_parse_format("", &f), -1);
	ck_assert_int_eq(output_parse_format("csv ", &f), -1);
	ck_assert_int_eq(output_parse_format(NULL, &f), -1);
	ck_assert_int_eq(f, OUT_CSV);   /* unchanged on failure */
}
END_TEST

START_TEST(status_names)
{
	ck_assert_str_eq(root_status_str(ROOT_COMPLETE), "complete");
	ck_assert_str_eq(root_status_str(ROOT_PARTIAL), "partial");
	ck_assert_str_eq(root_status_str(ROOT_MISSING), "missing");
	ck_assert_str_eq(root_status_str(ROOT_INTERRUPTED), "interrupted");
}
END_TEST

static Suite *output_suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, jsonl_hostile);
	tcase_add_test(tc, jsonl_exact);
	tcase_add_test(tc, csv_hostile);
	tcase_add_test(tc, csv_no_header);
	tcase_add_test(tc, table_hostile);
	tcase_add_test(tc, table_exact);
	tcase_add_test(tc, empty_results);
	tcase_add_test(tc, write_error);
	tcase_add_test(tc, parse_format);
	tcase_add_test(tc, status_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(output_suite());
}
