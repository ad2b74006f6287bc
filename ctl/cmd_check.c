/*
 * NAME
 *	cmd_check - relayguardctl check: validate a configuration
 * SYNOPSIS
 *	relayguardctl check [-c conf]
 * DESCRIPTION
 *	Parses and compiles the configuration exactly as the daemon does
 *	(the default file, or the embedded default when it does not
 *	exist), opens its tables, and prints a one-line summary:
 *
 *	relayguard.conf: configuration OK: 12 rules, 3 lists, 2 tables
 *
 *	A table file that does not exist (yet) is not an error: the
 *	daemon starts and its lookups yield on-error until the table is
 *	built. check prints a warning for each such table on stderr,
 *	and the warnings of rules_warnings() ("file:line: warning: ..."):
 *	with on-error accept, each rule a failed lookup turns into a
 *	permit.
 * DIAGNOSTICS
 *	Every error is printed on stderr as "file:line:col: error: ...".
 *	Exit 0 when the configuration is valid, 78 (EX_CONFIG) when not,
 *	64 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_rules.h"

const char cmd_check_usage[] = "check [-c conf]";

/* cmd_check - validate and summarise */
int
cmd_check(int argc, char **argv)
{
	const char *conf = NULL, *name, *path;
	struct strbuf warn = STRBUF_INIT;
	struct rules *r;
	size_t  i;
	int     c, dyn;

	optind = 1;
	while ((c = getopt(argc, argv, "c:")) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		default:
			fprintf(stderr, "usage: relayguardctl %s\n",
			    cmd_check_usage);
			return (CTL_EX_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: relayguardctl %s\n", cmd_check_usage);
		return (CTL_EX_USAGE);
	}
	if ((r = ctl_rules_load(conf)) == NULL)
		return (CTL_EX_CONFIG);
	for (i = 0; rules_table_info(r, i, &name, &path, &dyn) == 0; i++)
		if (access(path, R_OK) != 0)
			fprintf(stderr, "%s: warning: table %s: %s: %s (lookups "
			    "yield on-error until it is built)\n", rules_source(r),
			    name, path, strerror(errno));
	if (rules_warnings(r, &warn) > 0)
		fputs(strbuf_str(&warn), stderr);
	strbuf_free(&warn);
	printf("%s: configuration OK: %zu rule%s, %zu list%s, %zu table%s\n",
	    rules_source(r), rules_rule_count(r),
	    rules_rule_count(r) == 1 ? "" : "s", rules_list_count(r),
	    rules_list_count(r) == 1 ? "" : "s", rules_table_count(r),
	    rules_table_count(r) == 1 ? "" : "s");
	rules_unref(r);
	return (CTL_EX_OK);
}
