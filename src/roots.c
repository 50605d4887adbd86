/* roots.c — the roots of a run from the command line (see roots.h).
 * Main thread only; a struct roots is read once and then only read. */
#include "roots.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"

int roots_read(struct roots *r, const struct config *cfg)
{
	r->cfg = cfg;
	r->files = calloc(cfg->nsrc ? cfg->nsrc : 1, sizeof *r->files);
	if (!r->files) {
		fprintf(stderr, "hnbatch: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < cfg->nsrc; i++) {
		const struct source *s = &cfg->src[i];
		u64set_init(&r->files[i]);
		if (s->kind != SRC_FILE)
			continue;
		int is_stdin = strcmp(s->arg, "-") == 0;
		FILE *f = is_stdin ? stdin : fopen(s->arg, "r");
		if (!f) {
			fprintf(stderr, "hnbatch: %s: %s\n", s->arg,
				strerror(errno));
			return -1;
		}
		char err[512];
		int rc = ids_read_file(f, is_stdin ? "(stdin)" : s->arg,
				       &r->files[i], err, sizeof err);
		if (!is_stdin)
			fclose(f);
		if (rc != 0) {
			fprintf(stderr, "hnbatch: %s\n", err);
			return -1;
		}
	}
	return 0;
}

void roots_free(struct roots *r)
{
	for (size_t i = 0; r->files && i < r->cfg->nsrc; i++)
		u64set_free(&r->files[i]);
	free(r->files);
	r->files = NULL;
}

int roots_merge(const struct roots *r, const struct lists *l,
		struct u64set *out)
{
	const struct config *cfg = r->cfg;
	int rc = 0;
	size_t k = 0, n;
	for (size_t i = 0; i < cfg->nsrc; i++) {
		const struct source *s = &cfg->src[i];
		const uint64_t *ids = NULL;
		switch (s->kind) {
		case SRC_FILE:
			ids = r->files[i].ids;
			n = r->files[i].n;
			break;
		case SRC_ID:
			ids = &s->id;
			n = 1;
			break;
		case SRC_LIST:
			if (!l)
				continue;
			if (!(ids = lists_ids(l, k++, &n)))
				rc = -1;
			break;
		}
		for (size_t j = 0; ids && j < n; j++)
			if (u64set_add(out, ids[j]) < 0)
				rc = -1;
	}
	return rc;
}
