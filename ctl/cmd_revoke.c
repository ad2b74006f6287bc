/*
 * NAME
 *	cmd_revoke - relayguardctl revoke: remove a grant
 * SYNOPSIS
 *	relayguardctl revoke [-c conf] [-t table] ADDRESS
 * DESCRIPTION
 *	Removes the grant of ADDRESS from a dynamic table (see grant).
 * DIAGNOSTICS
 *	Exit 0 removed; 1 there was no such grant; 65 bad address; 74
 *	the table could not be written; 64 usage.
 */
#include <getopt.h>
#include <stdio.h>

#include "common/addr.h"
#include "ctl/ctl.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

const char cmd_revoke_usage[] = "revoke [-c conf] [-t table] [-u user] ADDRESS";

/* cmd_revoke - relayguardctl revoke */
int
cmd_revoke(int argc, char **argv)
{
	struct ctl_table_opts to = {NULL, NULL};
	struct store *s;
	struct addr a;
	char    err[512];
	int     c, rc;

	optind = 1;
	while ((c = getopt(argc, argv, "c:t:u:")) != -1) {
		if (ctl_table_option(&to, c, optarg))
			continue;
		switch (c) {
		default:
			goto usage;
		}
	}
	if (argc - optind != 1)
		goto usage;
	if (addr_parse(argv[optind], &a) < 0) {
		fprintf(stderr, "relayguardctl: revoke: not an address: %s\n",
		    argv[optind]);
		return (CTL_EX_DATAERR);
	}
	if ((rc = ctl_grants_open("revoke", &to, 1, &s)) != 0)
		return (rc);
	rc = store_revoke(s, &a, err, sizeof(err));
	store_close(s);
	if (rc < 0) {
		fprintf(stderr, "relayguardctl: revoke: %s\n", err);
		return (CTL_EX_IOERR);
	}
	if (rc == 0) {
		fprintf(stderr, "relayguardctl: revoke: %s: no such grant\n",
		    argv[optind]);
		return (1);
	}
	return (CTL_EX_OK);

usage:
	return (ctl_usage("revoke", NULL));
}
