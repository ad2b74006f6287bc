/*
 * NAME
 *	ctl_block - the blocks table and the grants of an identity
 * SYNOPSIS
 *	#include "ctl/ctl_block.h"
 *
 *	int ctl_blocks_open(cmd, conf, path, write, store)
 *	const char *ctl_time_text(t, buf, len)
 * DESCRIPTION
 *	The blocks table is named by the configuration's "blocks" setting
 *	(default /var/lib/relayguard/blocks.lmdb); "redis" keeps the
 *	blocks in the redis section's server.
 * DIAGNOSTICS
 *	Every failure is printed as "relayguardctl: CMD: message".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ctlproto.h"
#include "ctl/ctl.h"
#include "ctl/ctl_block.h"
#include "ctl/ctl_rules.h"
#include "ctl/ctl_store.h"
#include "store/store.h"

/* ctl_blocks_open - open the blocks table (see ctl_block.h) */
int
ctl_blocks_open(const char *cmd, const char *conf, const char *path,
	int write, struct store **s)
{
	struct rules *r = NULL;
	char    err[512];
	int     rc;

	if ((path == NULL || strcmp(path, RULES_IN_REDIS) == 0) &&
	    (conf != NULL || access(RG_DEFAULT_CONF, F_OK) == 0)) {
		if ((r = ctl_rules_load(conf)) == NULL)
			return (CTL_EX_CONFIG);
		ctl_owner_from(r);
	}
	if (r != NULL)
		rc = rules_blocks_open(r, path, write, s, err, sizeof(err));
	else
		rc = store_block_open(path ? path : RULES_BLOCKS_DEFAULT, write,
		    s, err, sizeof(err));
	rules_unref(r);
	if (rc < 0) {
		fprintf(stderr, "relayguardctl: %s: %s\n", cmd, err);
		return (CTL_EX_IOERR);
	}
	return (0);
}

/* ctl_time_text - a time for people and scripts */
const char *
ctl_time_text(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%s", t == 0 ? "never" : "?");
	return (buf);
}
