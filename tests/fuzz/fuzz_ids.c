/* fuzz_ids.c — libFuzzer harness for the ids the user gives: ids_parse
 * on the input as one string, and ids_read_file on it as a file (from
 * fmemopen). Oracles besides the sanitizers: an id parsed is in 1..2^53
 * and parses again to itself from its decimal form; a file read says why
 * when it fails, and every id it read is in range. One thread. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[256], dec[32];
	uint64_t id = 0, again = 0;
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (ids_parse(s, &id) == IDS_OK) {
		if (id < 1 || id > IDS_MAX)
			abort();
		snprintf(dec, sizeof dec, "%llu", (unsigned long long)id);
		if (ids_parse(dec, &again) != IDS_OK || again != id)
			abort();
	}
	free(s);

	FILE *f = size ? fmemopen((void *)data, size, "r")
		       : fopen("/dev/null", "r");
	if (!f)
		abort();
	struct u64set l;
	u64set_init(&l);
	int rc = ids_read_file(f, "fuzz", &l, err, sizeof err);
	if (rc != 0 && strncmp(err, "fuzz", 4) != 0)
		abort();
	for (size_t i = 0; i < l.n; i++)
		if (l.ids[i] < 1 || l.ids[i] > IDS_MAX)
			abort();
	u64set_free(&l);
	fclose(f);
	return 0;
}
