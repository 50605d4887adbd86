/* fuzz_spool.c — libFuzzer harness for alert_spool_parse_line, the parser
 * of --alert-spool lines (a file another run, or a person, wrote).
 *
 * The input is one line (a NUL or a newline ends it, as the loader cuts
 * lines). Oracles besides the sanitizers: a line that parses has an id and
 * a dest, a subthread kind has a root and a depth >= 1, the cleaned title
 * has no control character; a line that does not parse says why and hands
 * back no title; the same line parsed again gives the same answer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_spool.h"

static void fail(const char *what, const char *line)
{
	fprintf(stderr, "fuzz_spool: %s: %.200s\n", what, line);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	if (!line)
		return 0;
	size_t n = 0;
	while (n < size && data[n] != '\n' && data[n] != '\0')
		n++;
	memcpy(line, data, n);
	line[n] = '\0';
	struct alert_rec a, b;
	char *ta = NULL, *tb = NULL, why[160] = "", why2[160] = "";
	int ra = alert_spool_parse_line(line, &a, &ta, why, sizeof why);
	int rb = alert_spool_parse_line(line, &b, &tb, why2, sizeof why2);
	if (ra != rb)
		fail("two verdicts", line);
	if (ra != 0) {
		if (ta || !why[0] || strcmp(why, why2) != 0)
			fail("a refusal without its reason", line);
	} else {
		if (!ta || a.info.id == 0 || a.info.title != ta ||
		    (a.dest != ALERT_DEST_CMD && a.dest != ALERT_DEST_WEBHOOK))
			fail("an alert without id, title or dest", line);
		if (a.info.kind == ALERT_SUBTHREAD &&
		    (a.info.root == 0 || a.info.depth < 1))
			fail("a subthread without root or depth", line);
		for (const unsigned char *c = (unsigned char *)ta; *c; c++)
			if (*c < 0x20 || *c == 0x7f)
				fail("a control character in the title", line);
		if (strcmp(ta, tb) != 0 || a.info.id != b.info.id ||
		    a.info.comments != b.info.comments)
			fail("two readings", line);
	}
	free(ta);
	free(tb);
	free(line);
	return 0;
}
