/*
 * NAME
 *	cmd_block - relayguardctl block: stop an identity from relaying
 * SYNOPSIS
 *	relayguardctl block [-c conf] [-t blocks] [-u user] IDENTITY
 *		[--ttl T] [--reason TEXT]
 * DESCRIPTION
 *	Blocks IDENTITY (a login: compared ignoring case) in the blocks
 *	table (-t, or the configuration's "blocks" setting) until --ttl
 *	from now, or until unblocked, and revokes its grants in the
 *	configuration's dynamic tables (rules_block_add(), as the
 *	daemon's automatic blocks). Rules
 *	"reject identity blocked" then refuse it at once: the daemon
 *	reads the table on every lookup. The block is logged (syslog,
 *	facility mail) with its reason, and printed.
 * DIAGNOSTICS
 *	Exit 0 blocked; 65 bad TTL; 74 the block could not be made (a bad
 *	identity, a table that cannot be written); 78 configuration error;
 *	64 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/ctl_block.h"
#include "ctl/ctl_rules.h"
#include "ctl/ctl_store.h"

const char cmd_block_usage[] =
	"block [-c conf] [-t blocks] [-u user] IDENTITY [--ttl T] "
	"[--reason TEXT]";

/* cmd_block - relayguardctl block */
int
cmd_block(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"ttl", required_argument, NULL, 'T'},
		{"reason", required_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_table_opts to = {NULL, NULL};
	const char *reason = "blocked by the administrator", *id;
	struct rules *r;
	time_t  ttl = 0, now = time(NULL), until;
	char    err[512], when[32];
	size_t  revoked = 0;
	int     c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:t:u:", longopts, NULL)) != -1) {
		if (ctl_table_option(&to, c, optarg))
			continue;
		switch (c) {
		case 'T':
			if (ctl_ttl_arg("block", optarg, &ttl) < 0)
				return (CTL_EX_DATAERR);
			break;
		case 'R':
			reason = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1)
		goto usage;
	id = argv[optind];
	if ((r = ctl_rules_load(to.conf)) == NULL)
		return (CTL_EX_CONFIG);
	ctl_owner_from(r);
	rc = rules_block_add(r, to.table, id, ttl, reason, &revoked, err,
	    sizeof(err));
	rules_unref(r);
	if (rc < 0) {
		fprintf(stderr, "relayguardctl: block: %s\n", err);
		return (CTL_EX_IOERR);
	}
	until = ttl ? now + ttl : 0;
	log_open("relayguardctl", 0, LOG_LEVEL_INFO);
	log_info("block: identity=%s until=%s grants_revoked=%zu reason=%s",
	    id, ctl_time_text(until, when, sizeof(when)), revoked, reason);
	printf("blocked %s until %s (%zu grant%s revoked): %s\n", id, when,
	    revoked, revoked == 1 ? "" : "s", reason);
	return (CTL_EX_OK);

usage:
	return (ctl_usage("block", NULL));
}
