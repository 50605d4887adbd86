/* testutil.c — helpers shared by the test suites (see testutil.h). */
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "spawn.h"

char *tu_tmpdir(const char *name)
{
	char *d;
	ck_assert_int_ge(asprintf(&d, "/tmp/%s.XXXXXX", name), 0);
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

char *tu_path(const char *dir, const char *name)
{
	char *p;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

char *tu_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0, k;
	do {
		if (n + 4096 + 1 > cap) {
			cap = (cap + 4096) * 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		k = fread(buf + n, 1, cap - n - 1, f);
		n += k;
	} while (k > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st; (void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

void tu_rm_rf(const char *dir)
{
	ck_assert_msg(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ||
		      errno == ENOENT, "removing %s: %s", dir, strerror(errno));
}

int tu_spawn_wait(struct spawn *s, int *status, int timeout_ms)
{
	double end = clock_now_ms() + timeout_ms;
	for (;;) {
		int r = spawn_reap(s, status);
		if (r != 0)
			return r;
		double left = end - clock_now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p[2];
		nfds_t n = 0;
		if (s->infd >= 0)
			p[n++] = (struct pollfd){ .fd = s->infd,
						  .events = POLLOUT };
		if (s->pidfd >= 0)
			p[n++] = (struct pollfd){ .fd = s->pidfd,
						  .events = POLLIN };
		if (s->pidfd < 0 && left > 20)
			left = 20;
		if (poll(p, n, (int)left + 1) < 0 && errno != EINTR)
			return -1;
		if (s->infd >= 0 && spawn_write(s))
			spawn_close_stdin(s);
	}
}

int tu_run(Suite *s)
{
	/* CI may start us with a standard descriptor closed: hold it with
	 * /dev/null so that pty masters and sockets never land on 0-2 and get
	 * taken over by a child's dup2(). */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			abort();
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
