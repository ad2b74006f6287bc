/*
 * NAME
 *	nooputil - what the benchmarks' no-op servers share
 * SYNOPSIS
 *	#include "bench/nooputil.h"
 *
 *	void	noop_pidfile(const char *prog, const char *path)
 * DESCRIPTION
 *	noop_pidfile() writes the process id and a newline to path.
 *	These are start-up helpers of bench/noop-milter and
 *	bench/noop-policy, small programs that may exit.
 * DIAGNOSTICS
 *	noop_pidfile() prints "prog: path: error" and exits 73 when the
 *	file cannot be written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/nooputil.h"

/* noop_pidfile - write our process id to path, or exit 73 */
void
noop_pidfile(const char *prog, const char *path)
{
	FILE   *fp;

	if ((fp = fopen(path, "w")) == NULL ||
	    fprintf(fp, "%ld\n", (long) getpid()) < 0 || fclose(fp) != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		exit(73);
	}
}
