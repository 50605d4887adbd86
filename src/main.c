/* main.c — holds closed standard descriptors, then wires the command line
 * to a run. */
#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "fileutil.h"
#include "run.h"

/* A closed standard descriptor (cron, `hnbatch <&-`) would be reused by the
 * next open(): results could land in the state file, log lines in a socket.
 * Hold each closed slot with /dev/null. Stdin and stdout get it the other
 * way round, so reading '-' or writing the results still fails (EBADF) as it
 * would have; stderr gets it for writing, so log lines are dropped as they
 * would have been and an alert command's output (sent to our stderr) does
 * not make it fail. */
static void hold_std_fds(void)
{
	static const int mode[3] = { O_WRONLY, O_RDONLY, O_WRONLY };
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) != -1)
			continue;
		int n = open("/dev/null", mode[fd]);
		if (n >= 0 && n != fd) { /* a lower slot was taken meanwhile */
			dup2(n, fd);
			close(n);
		}
	}
}

int main(int argc, char **argv)
{
	hold_std_fds();
	fileutil_init();
	struct config cfg;
	int rc = cli_parse(argc, argv, &cfg);
	if (rc != 0) {
		cli_free(&cfg);
		return rc > 0 ? 0 : EXIT_USAGE;
	}
	rc = run_main(&cfg);
	cli_free(&cfg);
	return rc;
}
