/*
 * NAME
 *	cmd_purge - relayguardctl purge: remove expired grants
 * SYNOPSIS
 *	relayguardctl purge [-v] [-c conf] [-t table]
 * DESCRIPTION
 *	Removes the expired grants of a dynamic table in one write
 *	transaction (expired grants never match anyway; purge keeps the
 *	table small). -v prints how many were removed. Meant for cron.
 * DIAGNOSTICS
 *	Exit 0; 74 the table could not be written (it is unchanged); 64
 *	usage.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_store.h"
#include "store/redis.h"
#include "store/store.h"

const char cmd_purge_usage[] = "purge [-v] [-c conf] [-t table] [-u user]";

/* cmd_purge - relayguardctl purge */
int
cmd_purge(int argc, char **argv)
{
	struct ctl_table_opts to = {NULL, NULL};
	const char *path;
	struct store *s;
	size_t  removed = 0;
	char    err[512], buf[PATH_MAX];
	int     c, rc, redis, verbose = 0;

	optind = 1;
	while ((c = getopt(argc, argv, "c:t:vu:")) != -1) {
		if (ctl_table_option(&to, c, optarg))
			continue;
		switch (c) {
		case 'v':
			verbose = 1;
			break;
		default:
			goto usage;
		}
	}
	if (argc != optind)
		goto usage;
	if ((path = ctl_table_path("purge", to.conf, to.table, 1, buf,
	    sizeof(buf))) == NULL)
		return (CTL_EX_CONFIG);
	if (!ctl_table_redis() && access(path, F_OK) < 0) {
		/* No table, no grants: nothing to purge, nothing to create. */
		if (verbose)
			printf("0 expired grants removed\n");
		return (CTL_EX_OK);
	}
	if ((rc = ctl_grants_open("purge", &to, 1, &s)) != 0)
		return (rc);
	redis = store_is_redis(s);
	rc = store_purge(s, time(NULL), &removed, err, sizeof(err));
	store_close(s);
	if (rc < 0) {
		fprintf(stderr, "relayguardctl: purge: %s\n", err);
		return (CTL_EX_IOERR);
	}
	if (verbose && redis)	/* Redis expires grants itself */
		printf("%zu stale index entr%s removed\n", removed,
		    removed == 1 ? "y" : "ies");
	else if (verbose)
		printf("%zu expired grant%s removed\n", removed,
		    removed == 1 ? "" : "s");
	return (CTL_EX_OK);

usage:
	return (ctl_usage("purge", NULL));
}
