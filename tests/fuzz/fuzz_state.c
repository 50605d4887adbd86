/* fuzz_state.c — libFuzzer harness for loading the --state file: the
 * streaming reader statefile_read on the input (from fmemopen), and
 * state_open on it as a real file (lock, read, pruning, the table).
 *
 * Oracles besides the sanitizers: a file that reads is written back by
 * statefile_write and reads again to the very same roots; state_open
 * agrees with statefile_read on whether the file is a state file, and
 * holds no more roots than it read; a refusal says why. One thread; the
 * temporary directory (in /dev/shm: no disk I/O per input) is made once
 * and removed at exit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "statefile.h"

struct rows {
	struct statefile_row *v;
	size_t n, cap;
};

static int add(const struct statefile_row *row, void *arg)
{
	struct rows *r = arg;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct statefile_row *v = realloc(r->v, cap * sizeof *v);
		if (!v)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *row;
	return 0;
}

/* statefile_read over n bytes at d into r. */
static int read_rows(const void *d, size_t n, struct rows *r, char *why,
		     size_t whylen)
{
	FILE *f = n ? fmemopen((void *)d, n, "r") : fopen("/dev/null", "r");
	if (!f)
		abort();
	int rc = statefile_read(f, add, r, why, whylen);
	fclose(f);
	return rc;
}

static int same(const struct rows *a, const struct rows *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].id != b->v[i].id ||
		    a->v[i].comments != b->v[i].comments ||
		    a->v[i].seen != b->v[i].seen ||
		    a->v[i].alerted != b->v[i].alerted)
			return 0;
	return 1;
}

static char dir[] = "/dev/shm/fuzz_state.XXXXXX", path[64], lock[64];

/* At exit (libFuzzer's end of run): the files and the directory go. */
static void cleanup(void)
{
	unlink(path);
	unlink(lock);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rows a = { 0 }, b = { 0 };
	char why[256] = "", err[512];
	int rc = read_rows(data, size, &a, why, sizeof why);
	if (rc != 0 && why[0] == '\0')
		abort();
	if (rc == 0) {
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		if (!m || statefile_write(m, a.v, a.n) != 0 || fclose(m))
			abort();
		if (read_rows(text, len, &b, why, sizeof why) != 0 ||
		    !same(&a, &b)) {
			fprintf(stderr, "round trip: %s\n", why);
			abort();
		}
		free(text);
	}

	if (!path[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof path, "%s/state.json", dir);
		snprintf(lock, sizeof lock, "%s.lock", path);
		atexit(cleanup);
	}
	FILE *f = fopen(path, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	struct state *s = state_open(path, 30, err, sizeof err);
	if ((s != NULL) != (rc == 0) || (s && state_count(s) > a.n) ||
	    (!s && !strstr(err, path)))
		abort();
	state_free(s);
	free(a.v);
	free(b.v);
	return 0;
}
