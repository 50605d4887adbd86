/* fuzz_stream.c — libFuzzer harness for what a --watch stream sends:
 * sse.c (text/event-stream bytes into events) and fbstream.c (Firebase's
 * put and patch events applied to a stream's value).
 *
 * The first byte picks the stream kind (maxitem, updates, a list) and
 * where the bytes are cut in two; the rest is the stream's bytes. Oracles
 * besides the sanitizers: the events and the final value are the same
 * whether the bytes come whole or in two pieces; a list never holds more
 * than FBS's bound; an updates value holds only ids in 1..2^53. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fbstream.h"
#include "sse.h"

struct run {
	struct fbstream fb;
	uint64_t events;
	uint64_t sum;             /* a digest of the results and the value */
};

static int on_event(const char *event, const char *data, size_t len,
		    void *arg)
{
	struct run *r = arg;
	char why[128];
	enum fbs_result res = fbs_apply(&r->fb, event, data, len, why,
					sizeof why);
	r->events++;
	r->sum = r->sum * 31 + (uint64_t)(res + 3) + len;
	return res == FBS_END; /* a cancel ends the stream, as the watch does */
}

static void feed(struct run *r, enum fbs_kind kind, const uint8_t *d,
		 size_t n, size_t cut)
{
	struct sse p;
	sse_init(&p, 4096);
	memset(r, 0, sizeof *r);
	fbs_init(&r->fb, kind);
	if (sse_feed(&p, (const char *)d, cut, on_event, r) == 0)
		sse_feed(&p, (const char *)d + cut, n - cut, on_event, r);
	for (size_t i = 0; i < r->fb.n; i++)
		r->sum = r->sum * 31 + r->fb.ids[i];
	r->sum = r->sum * 31 + r->fb.maxitem;
	sse_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum fbs_kind kind = (enum fbs_kind)(data[0] % 3);
	const uint8_t *d = data + 1;
	size_t n = size - 1, cut = n ? (data[0] / 3) % (n + 1) : 0;
	struct run whole, split;
	feed(&whole, kind, d, n, n);
	feed(&split, kind, d, n, cut);
	if (whole.events != split.events || whole.sum != split.sum) {
		fprintf(stderr, "fuzz_stream: whole and split differ\n");
		abort();
	}
	if (whole.fb.n > 10000)
		abort();
	for (size_t i = 0; kind == FBS_UPDATES && i < whole.fb.n; i++)
		if (whole.fb.ids[i] > (UINT64_C(1) << 53))
			abort();
	fbs_free(&whole.fb);
	fbs_free(&split.fb);
	return 0;
}
