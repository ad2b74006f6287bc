/*
 * NAME
 *	cmd_blocks - relayguardctl blocks: list the account blocks
 * SYNOPSIS
 *	relayguardctl blocks [-a] [-c conf] [-t blocks]
 * DESCRIPTION
 *	Prints one line per block in force, "IDENTITY SINCE UNTIL REASON"
 *	separated by tabs, times in UTC (UNTIL "never" for a block without
 *	end); -a adds the blocks that have ended, marked "ended".
 * DIAGNOSTICS
 *	Exit 0; 74 the table cannot be read; 78 configuration error; 64
 *	usage.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_block.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

const char cmd_blocks_usage[] = "blocks [-a] [-c conf] [-t blocks]";

struct show_arg {
	time_t	now;
	int	all;
};

/* show - print one block */
static int
show(const struct store_block_info *b, void *arg)
{
	struct show_arg *sa = arg;
	char    since[32], until[32];
	int     ended = b->expiry != 0 && b->expiry <= sa->now;

	if (ended && !sa->all)
		return (0);
	printf("%s\t%s\t%s\t%s%s\n", b->identity,
	    ctl_time_text(b->since, since, sizeof(since)),
	    ctl_time_text(b->expiry, until, sizeof(until)),
	    ended ? "ended: " : "", b->reason);
	return (0);
}

/* cmd_blocks - relayguardctl blocks */
int
cmd_blocks(int argc, char **argv)
{
	struct ctl_table_opts to = {NULL, NULL};
	struct show_arg sa = {time(NULL), 0};
	struct store *s;
	char    err[512];
	int     c, rc;

	optind = 1;
	while ((c = getopt(argc, argv, "ac:t:u:")) != -1) {
		if (c == 'a')
			sa.all = 1;
		else if (!ctl_table_option(&to, c, optarg))
			goto usage;
	}
	if (argc != optind)
		goto usage;
	if ((rc = ctl_blocks_open("blocks", to.conf, to.table, 0, &s)) != 0)
		return (rc);
	rc = store_block_list(s, show, &sa, err, sizeof(err));
	store_close(s);
	if (rc < 0) {
		fprintf(stderr, "relayguardctl: blocks: %s\n", err);
		return (CTL_EX_IOERR);
	}
	return (CTL_EX_OK);

usage:
	return (ctl_usage("blocks", NULL));
}
