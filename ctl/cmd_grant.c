/*
 * NAME
 *	cmd_grant - relayguardctl grant: grant relay access for a while
 * SYNOPSIS
 *	relayguardctl grant [-c conf] [-t table] ADDRESS [--ttl 30m]
 *		[--user NAME]
 * DESCRIPTION
 *	Adds or refreshes a grant for ADDRESS in a dynamic table (spec
 *	section 5). The table is -t (a path, or a table name with -c),
 *	by default /var/lib/relayguard/popauth.lmdb; it is created when
 *	missing. --ttl is a number with an optional unit s, m, h, d or w
 *	(default 30m).
 * DIAGNOSTICS
 *	Exit 0 granted; 65 bad address or TTL; 74 the table could not be
 *	written (it is unchanged); 64 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/addr.h"
#include "ctl/ctl.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

const char cmd_grant_usage[] =
	"grant [-c conf] [-t table] [-u user] ADDRESS [--ttl 30m] [--user NAME]";

/* cmd_grant - relayguardctl grant */
int
cmd_grant(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"ttl", required_argument, NULL, 'T'},
		{"user", required_argument, NULL, 'U'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_table_opts to = {NULL, NULL};
	const char *user = NULL;
	struct store *s;
	struct addr a;
	time_t  ttl = 30 * 60;
	char    err[512];
	int     c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:t:u:", longopts, NULL)) != -1) {
		if (ctl_table_option(&to, c, optarg))
			continue;
		switch (c) {
		case 'T':
			if (ctl_parse_ttl(optarg, &ttl) < 0) {
				fprintf(stderr, "relayguardctl: grant: bad TTL: "
				    "%s\n", optarg);
				return (CTL_EX_DATAERR);
			}
			break;
		case 'U':
			user = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1)
		goto usage;
	if (addr_parse(argv[optind], &a) < 0) {
		fprintf(stderr, "relayguardctl: grant: not an address: %s\n",
		    argv[optind]);
		return (CTL_EX_DATAERR);
	}
	if ((rc = ctl_grants_open("grant", &to, 1, &s)) != 0)
		return (rc);
	rc = store_grant(s, &a, user, time(NULL) + ttl, err, sizeof(err));
	store_close(s);
	if (rc < 0) {
		fprintf(stderr, "relayguardctl: grant: %s\n", err);
		return (CTL_EX_IOERR);
	}
	return (CTL_EX_OK);

usage:
	fprintf(stderr, "usage: relayguardctl %s\n", cmd_grant_usage);
	return (CTL_EX_USAGE);
}
