/*
 * NAME
 *	ctl_rules - the configuration for relayguardctl subcommands
 * SYNOPSIS
 *	#include "ctl/ctl_rules.h"
 *
 *	struct rules *ctl_rules_load(const char *conf)
 *	struct rules *ctl_rules_load_flags(const char *conf, unsigned flags)
 *	const char *ctl_rules_name(const char *conf)
 * DESCRIPTION
 *	Without -c, the daemon reads /etc/relayguard/relayguard.conf
 *	when it exists and otherwise runs the embedded default; the
 *	subcommands that read a configuration choose the same way, so
 *	that check and explain see what the daemon would.
 * DIAGNOSTICS
 *	Errors are printed on stderr as "file:line:col: error: ...".
 */
#include <stdio.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "ctl/ctl.h"
#include "ctl/ctl_rules.h"

/* ctl_rules_name - the configuration that conf selects */
const char *
ctl_rules_name(const char *conf)
{
	if (conf != NULL)
		return (conf);
	if (access(RG_DEFAULT_CONF, F_OK) == 0)
		return (RG_DEFAULT_CONF);
	return (NULL);
}

/* ctl_rules_load - load and print every error */
struct rules *
ctl_rules_load(const char *conf)
{
	return (ctl_rules_load_flags(conf, 0));
}

/* ctl_rules_load_flags - load with RULES_LOAD_* flags, print every error */
struct rules *
ctl_rules_load_flags(const char *conf, unsigned flags)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r;

	r = rules_load_flags(ctl_rules_name(conf), flags, &errs);
	if (r == NULL)
		fputs(strbuf_str(&errs), stderr);
	strbuf_free(&errs);
	return (r);
}
