/* main.c — wires the command line to a run; no logic of its own. */
#include "cli.h"
#include "run.h"

int main(int argc, char **argv)
{
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
