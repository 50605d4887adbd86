/* fuzz_idlist.c — libFuzzer harness for item_parse_idlist (a story list,
 * topstories.json). The first byte is how many ids to keep; the rest is
 * the body. Oracles besides the sanitizers: success hands back memory
 * with at most `max` ids, each in 1..2^53; failure hands back none and
 * says why. One parser reused, one thread. */
#include <stdint.h>
#include <stdlib.h>

#include "item.h"

static struct item_parser *P;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	uint64_t *ids = (uint64_t *)1;
	size_t n = 99;
	if (size == 0)
		return 0;
	if (!P && !(P = item_parser_new()))
		abort();
	size_t max = data[0];
	int rc = item_parse_idlist(P, (const char *)data + 1, size - 1, max,
				   &ids, &n, why, sizeof why);
	if (rc == 0) {
		if (!ids || n > max)
			abort();
		for (size_t i = 0; i < n; i++)
			if (ids[i] < 1 || ids[i] > (UINT64_C(1) << 53))
				abort();
	} else if (ids || n || why[0] == '\0') {
		abort();
	}
	free(ids);
	return 0;
}
