/*
 * NAME
 *	cmd_unblock - relayguardctl unblock: lift an account block
 * SYNOPSIS
 *	relayguardctl unblock [-c conf] [-t blocks] [-u user] IDENTITY
 * DESCRIPTION
 *	Removes the block of IDENTITY (see cmd_block.c). Grants that the
 *	block revoked are not restored: the next login makes new ones.
 *	Logged like a block.
 * DIAGNOSTICS
 *	Exit 0 unblocked; 1 it was not blocked; 74 the table could not be
 *	written; 78 configuration error; 64 usage.
 */
#include <getopt.h>
#include <stdio.h>

#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/ctl_block.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

const char cmd_unblock_usage[] =
	"unblock [-c conf] [-t blocks] [-u user] IDENTITY";

/* cmd_unblock - relayguardctl unblock */
int
cmd_unblock(int argc, char **argv)
{
	struct ctl_table_opts to = {NULL, NULL};
	struct store *s;
	char    err[512];
	int     c, rc;

	optind = 1;
	while ((c = getopt(argc, argv, "c:t:u:")) != -1)
		if (!ctl_table_option(&to, c, optarg))
			goto usage;
	if (argc - optind != 1)
		goto usage;
	if ((rc = ctl_blocks_open("unblock", to.conf, to.table, 1, &s)) != 0)
		return (rc);
	rc = store_block_remove(s, argv[optind], err, sizeof(err));
	store_close(s);
	if (rc < 0) {
		fprintf(stderr, "relayguardctl: unblock: %s\n", err);
		return (CTL_EX_IOERR);
	}
	if (rc == 0) {
		fprintf(stderr, "relayguardctl: unblock: %s was not blocked\n",
		    argv[optind]);
		return (1);
	}
	log_open("relayguardctl", 0, LOG_LEVEL_INFO);
	log_info("unblock: identity=%s", argv[optind]);
	printf("unblocked %s\n", argv[optind]);
	return (CTL_EX_OK);

usage:
	return (ctl_usage("unblock", NULL));
}
