/* fuzz_jsoncheck.c — libFuzzer harness for jsoncheck.c, the strict JSON
 * syntax check every parser of outside text runs first.
 *
 * Oracles besides the sanitizers: the one-call verdict and reason equal
 * those of the same text fed in two pieces (cut where the first byte says)
 * and, for short texts, a byte at a time; and a text jsoncheck accepts is
 * accepted by json-c in strict mode with the same depth (jsoncheck must
 * never pass what the parser after it refuses). One thread; json-c objects
 * are put before returning. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"

#define DEPTH 64

static void disagree(const char *what, const uint8_t *d, size_t n,
		     const char *a, const char *b)
{
	fprintf(stderr, "fuzz_jsoncheck: %s: \"%s\" / \"%s\" for %zu bytes: "
		"%.*s\n", what, a, b, n, (int)(n < 200 ? n : 200),
		(const char *)d);
	abort();
}

/* json-c's verdict on the whole text, strict, at most DEPTH deep. */
static int jsonc_accepts(const char *s, size_t n)
{
	json_tokener *tok = json_tokener_new_ex(DEPTH);
	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *o = json_tokener_parse_ex(tok, s, (int)n);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		json_object_put(o);
		o = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		end = n;
	}
	int ok = e == json_tokener_success;
	for (size_t i = end; ok && i < n; i++)
		ok = strchr(" \t\r\n", s[i]) && s[i];
	json_object_put(o);
	json_tokener_free(tok);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char one[160], two[160];
	int rc = jsoncheck(s, size, DEPTH, one, sizeof one);

	struct jsoncheck c;
	size_t cut = size ? data[0] % (size + 1) : 0;
	jsoncheck_init(&c, DEPTH);
	int r = jsoncheck_feed(&c, s, cut);
	r = jsoncheck_feed(&c, s + cut, size - cut) || r;
	r = jsoncheck_end(&c) || r;
	jsoncheck_why(&c, two, sizeof two);
	if ((r ? -1 : 0) != rc || strcmp(one, two) != 0)
		disagree("in two pieces", data, size, one, two);

	if (size <= 256) {
		jsoncheck_init(&c, DEPTH);
		r = 0;
		for (size_t i = 0; i < size; i++)
			r = jsoncheck_feed(&c, s + i, 1) || r;
		r = jsoncheck_end(&c) || r;
		jsoncheck_why(&c, two, sizeof two);
		if ((r ? -1 : 0) != rc || strcmp(one, two) != 0)
			disagree("byte by byte", data, size, one, two);
	}
	if (rc == 0 && size < (1u << 30) && !jsonc_accepts(s, size))
		disagree("json-c refuses what jsoncheck accepts", data, size,
			 "", "");
	return 0;
}
