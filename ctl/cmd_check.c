/*
 * NAME
 *	cmd_check - relayguardctl check: validate a configuration
 * SYNOPSIS
 *	relayguardctl check [-c conf] [-u user]
 * DESCRIPTION
 *	Parses and compiles the configuration exactly as the daemon does
 *	(the default file, or the embedded default when it does not
 *	exist), opens its tables, and prints a one-line summary:
 *
 *	relayguard.conf: configuration OK: 12 rules, 3 lists, 2 tables
 *
 *	What loads but will not work in the running daemon (a missing
 *	table, a table or configuration file its user cannot read, a user
 *	that does not exist) is a warning on stderr, the same warnings
 *	"relayguard -n" prints: both come from rules_check(). -u checks
 *	for that user instead of the configuration's "user" setting.
 *
 *	Then it runs the relay analysis (rules_analyse()) and prints its
 *	findings on stderr: an open relay or an unmarked weak permit,
 *	with its rule and a witness session as an explain command line,
 *	is an error unless the file says open-relay allow; shadowed
 *	rules, unused lists and tables and the like are warnings.
 * DIAGNOSTICS
 *	Every error is printed on stderr as "file:line:col: error: ...".
 *	Exit 0 when the configuration is valid, 78 (EX_CONFIG) when not
 *	(an open relay included),
 *	64 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_rules.h"
#include "rules/rules_check.h"

const char cmd_check_usage[] = "check [-c conf] [-u user]";

/* cmd_check - validate and summarise */
int
cmd_check(int argc, char **argv)
{
	struct strbuf warnings = STRBUF_INIT, summary = STRBUF_INIT;
	const char *conf = NULL, *user = NULL;
	struct rules *r;
	struct rules_analysis *a;
	int     c, refused;

	optind = 1;
	while ((c = getopt(argc, argv, "c:u:")) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		default:
			return (ctl_usage("check", NULL));
		}
	}
	if (optind != argc) {
		return (ctl_usage("check", NULL));
	}
	if ((r = ctl_rules_load(conf)) == NULL)
		return (CTL_EX_CONFIG);
	(void) rules_check(r, user, &warnings, &summary);
	a = rules_analyse(r);
	rules_analysis_format(a, r, &warnings);
	refused = rules_analysis_open(a) && !rules_settings(r)->open_relay_allow;
	rules_analysis_free(a);
	fputs(strbuf_str(&warnings), stderr);
	if (refused)
		fprintf(stderr, "%s: configuration refused: a stranger can relay "
		    "(open-relay allow makes this a warning)\n", rules_source(r));
	else
		fputs(strbuf_str(&summary), stdout);
	strbuf_free(&warnings);
	strbuf_free(&summary);
	rules_unref(r);
	return (refused ? CTL_EX_CONFIG : CTL_EX_OK);
}
