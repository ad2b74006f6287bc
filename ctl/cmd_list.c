/*
 * NAME
 *	cmd_list - relayguardctl list: show the grants of a dynamic table
 * SYNOPSIS
 *	relayguardctl list [-a] [-c conf] [-t table]
 * DESCRIPTION
 *	Prints one grant a line: address, user ("-" when none), expiry
 *	in UTC (ISO 8601) and the seconds left, tab-separated. Expired
 *	grants that were not purged yet are shown only with -a, marked
 *	"expired".
 * DIAGNOSTICS
 *	Exit 0; 74 the table could not be read; 64 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "ctl/ctl.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

const char cmd_list_usage[] = "list [-a] [-c conf] [-t table] [-u user]";

struct list_arg {
	time_t	now;
	int	all;
};

/* show - print one grant */
static int
show(const struct store_grant_info *g, void *arg)
{
	struct list_arg *la = arg;
	struct tm tm;
	char    when[32];

	if (g->expiry <= la->now && !la->all)
		return (0);
	if (gmtime_r(&g->expiry, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long) g->expiry);
	if (g->expiry <= la->now)
		printf("%s\t%s\t%s\texpired\n", g->addr,
		    g->user[0] ? g->user : "-", when);
	else
		printf("%s\t%s\t%s\t%lld\n", g->addr,
		    g->user[0] ? g->user : "-", when,
		    (long long) (g->expiry - la->now));
	return (0);
}

/* cmd_list - relayguardctl list */
int
cmd_list(int argc, char **argv)
{
	struct ctl_table_opts to = {NULL, NULL};
	struct list_arg la;
	struct store *s;
	char    err[512];
	int     c, rc;

	la.all = 0;
	optind = 1;
	while ((c = getopt(argc, argv, "ac:t:u:")) != -1) {
		if (ctl_table_option(&to, c, optarg))
			continue;
		switch (c) {
		case 'a':
			la.all = 1;
			break;
		default:
			goto usage;
		}
	}
	if (argc != optind)
		goto usage;
	if ((rc = ctl_grants_open("list", &to, 0, &s)) != 0)
		return (rc);
	la.now = time(NULL);
	rc = store_grant_list(s, show, &la, err, sizeof(err));
	store_close(s);
	if (rc < 0) {
		fprintf(stderr, "relayguardctl: list: %s\n", err);
		return (CTL_EX_IOERR);
	}
	return (CTL_EX_OK);

usage:
	return (ctl_usage("list", NULL));
}
