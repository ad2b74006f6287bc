/*
 * NAME
 *	ctl_block - the blocks table and the grants of an identity
 * SYNOPSIS
 *	#include "ctl/ctl_block.h"
 *
 *	int ctl_blocks_open(cmd, conf, path, write, store)
 *	int ctl_revoke_identity(cmd, conf, identity, revoked)
 *	const char *ctl_time_text(t, buf, len)
 * DESCRIPTION
 *	The blocks table is named by the configuration's "blocks" setting
 *	(default /var/lib/relayguard/blocks.lmdb). Blocking an identity
 *	also revokes its grants in every dynamic table of the same
 *	configuration, so that a stolen POP/IMAP login stops relaying by
 *	address as well as by login.
 * DIAGNOSTICS
 *	Every failure is printed as "relayguardctl: CMD: message".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

	if (path == NULL && (conf != NULL ||
	    access(CTL_DEFAULT_CONF, F_OK) == 0)) {
		if ((r = ctl_rules_load(conf)) == NULL)
			return (CTL_EX_CONFIG);
		path = rules_settings(r)->blocks;
	}
	if (path == NULL)
		path = RULES_BLOCKS_DEFAULT;
	rc = store_block_open(path, write, s, err, sizeof(err));
	rules_unref(r);
	if (rc < 0) {
		fprintf(stderr, "relayguardctl: %s: %s\n", cmd, err);
		return (CTL_EX_IOERR);
	}
	return (0);
}

/* revoke_in - remove identity's grants from one dynamic table */
static int
revoke_in(const char *cmd, const char *path, const char *identity,
	size_t *revoked)
{
	struct store *g;
	char    err[512];
	size_t  n = 0;
	int     rc;

	if (store_open_write(path, 1, &g, err, sizeof(err)) < 0) {
		fprintf(stderr, "relayguardctl: %s: %s\n", cmd, err);
		return (CTL_EX_IOERR);
	}
	rc = store_revoke_user(g, identity, &n, err, sizeof(err));
	store_close(g);
	if (rc < 0) {
		fprintf(stderr, "relayguardctl: %s: %s\n", cmd, err);
		return (CTL_EX_IOERR);
	}
	*revoked += n;
	return (0);
}

/* ctl_revoke_identity - revoke identity's grants (see ctl_block.h) */
int
ctl_revoke_identity(const char *cmd, const char *conf, const char *identity,
	size_t *revoked)
{
	struct rules *r;
	const char *name, *path;
	size_t  i;
	int     dyn, rc = 0, one;

	*revoked = 0;
	if (conf == NULL && access(CTL_DEFAULT_CONF, F_OK) < 0)
		return (access(CTL_DEFAULT_GRANTS, F_OK) < 0 ? 0 :
		    revoke_in(cmd, CTL_DEFAULT_GRANTS, identity, revoked));
	if ((r = ctl_rules_load(conf)) == NULL)
		return (CTL_EX_CONFIG);
	for (i = 0; rules_table_info(r, i, &name, &path, &dyn) == 0; i++)
		if (dyn && access(path, F_OK) == 0 &&
		    (one = revoke_in(cmd, path, identity, revoked)) != 0 &&
		    rc == 0)
			rc = one;
	rules_unref(r);
	return (rc);
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
