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
 *
 *	Limit rules count in a private copy of the daemon's counters:
 *	the limit-state file read once, read-only, when it can be (else
 *	empty counters), so explain shows each counter as the daemon
 *	last wrote it and never changes the daemon's. With
 *	"limit-state redis" the copy is read from Redis key by key as
 *	the rules first need it (store/limit_redis.c, read-only).
 *	Networks rules count in an empty store of their own (the daemon
 *	keeps its in memory): explain shows the network of one session
 *	only.
 * DIAGNOSTICS
 *	Errors are printed on stderr as "file:line:col: error: ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "ctl/ctl.h"
#include "ctl/ctl_rules.h"
#include "rules/limits.h"
#include "store/limit.h"
#include "store/spread.h"

static struct limit_store *counters;
static struct spread_store *spread;

/* spread_free - at exit */
static void
spread_free(void)
{
	spread_close(spread);
	spread = NULL;
}

/* counters_close - at exit */
static void
counters_close(void)
{
	limit_close(counters);
	counters = NULL;
}

/* attach_counters - a snapshot of the daemon's counters, or empty ones */
static void
attach_counters(struct rules *r)
{
	const struct rules_settings *s = rules_settings(r);
	const char *path = s && s->limit_state ? s->limit_state :
	    RULES_LIMIT_STATE_DEFAULT;
	struct rules_limits l = {NULL, NULL, NULL, NULL, NULL};
	char    err[512];

	if (rules_networks_used(r)) {
		if (spread == NULL) {
			spread = spread_local_open(0);
			atexit(spread_free);
		}
		l.spread = spread;
	}
	if (!rules_limits_used(r)) {
		rules_limits_attach(r, &l);
		return;
	}
	if (counters == NULL) {
		if (strcmp(path, RULES_IN_REDIS) == 0 && s->redis != NULL)
			(void) limit_redis_open(s->redis, 1, &counters, err,
			    sizeof(err));
		else if (strcmp(path, "none") == 0 ||
		    access(path, R_OK) != 0 ||
		    limit_local_open(path, 1, &counters, err, sizeof(err)) < 0)
			(void) limit_local_open(NULL, 0, &counters, err,
			    sizeof(err));
		if (counters != NULL)
			atexit(counters_close);
	}
	l.store = counters;
	rules_limits_attach(r, &l);
}

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
	else
		attach_counters(r);
	strbuf_free(&errs);
	return (r);
}
