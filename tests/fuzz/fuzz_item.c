/* fuzz_item.c — libFuzzer harness for item_parse (an API answer, as a
 * worker parses it). The id asked for is the number after the first
 * "id": in the body (as the crawl asks for the id it expects), so the
 * fuzzer gets past the id check. One parser and one item reused across
 * inputs, as a worker does.
 *
 * Oracles besides the sanitizers: ITEM_OK means the item has the id asked
 * for, kids in 1..2^53 and no more kids than the body could hold; a
 * failure leaves the item empty and says why; the same body parsed again
 * gives the same answer. One thread. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "item.h"

static struct item_parser *P;
static struct item IT;

static uint64_t asked_id(const char *s, size_t n)
{
	static const char key[] = "\"id\":";
	for (size_t i = 0; i + sizeof key - 1 < n; i++) {
		if (memcmp(s + i, key, sizeof key - 1) != 0)
			continue;
		uint64_t v = 0;
		for (i += sizeof key - 1; i < n && s[i] >= '0' && s[i] <= '9'
		     && v < (UINT64_C(1) << 60); i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
		return v;
	}
	return 1;
}

static void check(enum item_status st, uint64_t want, size_t size,
		  const char *why)
{
	if (st == ITEM_OK) {
		if (IT.id != want || IT.nkids > size / 2)
			abort();
		for (size_t i = 0; i < IT.nkids; i++)
			if (IT.kids[i] < 1 || IT.kids[i] > (UINT64_C(1) << 53))
				abort();
		if (IT.title && strlen(IT.title) > size)
			abort();
	} else {
		if (IT.nkids || IT.title || IT.id)
			abort();
		if (st != ITEM_NULL && why[0] == '\0')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	char why[256];
	if (!P && !(P = item_parser_new()))
		abort();
	uint64_t want = asked_id(body, size);
	enum item_status st = item_parse(P, body, size, want, &IT, why,
					 sizeof why);
	check(st, want, size, why);
	size_t nkids = IT.nkids;
	enum item_status again = item_parse(P, body, size, want, &IT, why,
					    sizeof why);
	if (again != st || IT.nkids != nkids)
		abort();
	check(item_parse(P, body, size, want + 1, &IT, why, sizeof why),
	      want + 1, size, why);
	return 0;
}
