/* hnfake.c — the fake HN API (tests/fakeapi.c) as a standalone server, for
 * `make demo` and for trying hnbatch by hand without any network.
 *
 *   hnfake [--port-file FILE] [--delay MS] FILE.jsonl...
 *
 * Serves every item of the files on 127.0.0.1 (ephemeral port) in the API's
 * layout, with `null` for unknown ids; /v0/topstories.json lists the items
 * that have a title, in file order. Prints the API base URL on stdout (and
 * into --port-file) and serves until SIGINT or SIGTERM. */
#include <json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeapi.h"

static int add_stories(const char *path, char **list, size_t *len,
		       size_t *cap)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	char *line = NULL;
	size_t n = 0;
	while (getline(&line, &n, f) > 0) {
		json_object *o = json_tokener_parse(line), *v;
		if (o && json_object_object_get_ex(o, "title", &v) &&
		    json_object_object_get_ex(o, "id", &v)) {
			char buf[32];
			int k = snprintf(buf, sizeof buf, "%s%lld",
					 *len > 1 ? "," : "",
					 (long long)json_object_get_int64(v));
			if (*len + (size_t)k + 2 > *cap) {
				*cap = (*cap + (size_t)k + 2) * 2;
				*list = realloc(*list, *cap);
				if (!*list)
					abort();
			}
			memcpy(*list + *len, buf, (size_t)k + 1);
			*len += (size_t)k;
		}
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	const char *port_file = NULL;
	unsigned delay = 0;
	int first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "--port-file") && first + 1 < argc)
			port_file = argv[++first];
		else if (!strcmp(argv[first], "--delay") && first + 1 < argc)
			delay = (unsigned)atoi(argv[++first]);
		else {
			fprintf(stderr, "usage: hnfake [--port-file FILE] [--delay MS] FILE.jsonl...\n");
			return 2;
		}
	}
	if (first == argc) {
		fprintf(stderr, "usage: hnfake [--port-file FILE] [--delay MS] FILE.jsonl...\n");
		return 2;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the server's threads */

	struct fakeapi *api = fakeapi_start();
	if (!api)
		return 1;
	size_t cap = 64, len = 1;
	char *list = malloc(cap);
	if (!list)
		return 1;
	strcpy(list, "[");
	for (int i = first; i < argc; i++)
		if (fakeapi_load_jsonl(api, argv[i]) < 0 ||
		    add_stories(argv[i], &list, &len, &cap) != 0)
			return 1;
	strcat(list, "]");
	fakeapi_put_list(api, "topstories", list);
	free(list);
	if (delay) {
		struct fakeapi_fault f = { .delay_ms = delay };
		fakeapi_fault_default(api, &f);
	}
	printf("%s\n", fakeapi_url(api));
	fflush(stdout);
	if (port_file) {
		FILE *pf = fopen(port_file, "w");
		if (pf) {
			fprintf(pf, "%s\n", fakeapi_url(api));
			fclose(pf);
		}
	}
	int sig;
	sigwait(&set, &sig);
	fakeapi_stop(api);
	return 0;
}
