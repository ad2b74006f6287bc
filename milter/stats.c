/*
 * NAME
 *	stats 3
 * SUMMARY
 *	daemon counters: sessions, recipients, per-rule decisions
 * SYNOPSIS
 *	#include "milter/stats.h"
 *
 *	struct stats *stats_new(void)
 *	void	stats_free(struct stats *st)
 *	void	stats_inc(struct stats *st, enum stats_counter c)
 *	unsigned long long stats_get(struct stats *st, enum stats_counter c)
 *	void	stats_format(struct stats *st, const struct rules *r,
 *		struct strbuf *out)
 *	void	stats_format_prometheus(struct stats *st,
 *		const struct rules *r, struct strbuf *out)
 * DESCRIPTION
 *	The daemon's own counters (sessions, recipients by decision,
 *	relays, lookup and internal errors, reloads, the identities the
 *	daemon blocked by cause, the blocks warn rules would have made,
 *	the refusals of blocked identities) are atomics that live
 *	as long as the process. Per-rule counters belong to the rule set
 *	(the engine counts them, see rules_rule_stats()): they start at
 *	zero when a reload swaps in a new configuration.
 *
 *	stats_format() appends "name value" lines (redis_* ones too when
 *	the configuration has a Redis table), then "config SOURCE"
 *	and one line per rule of r (which may be NULL):
 *	"rule FILE:LINE stage STAGE matched N permit N accept N reject N
 *	tempfail N discard N error N", with " name NAME" at the end for a
 *	rule that has one, then, for a rule marked warn, what it would
 *	have decided: " would-permit N would-accept N ... would-error N"
 *	(relayguard_rule_warnings_total in the Prometheus format).
 *
 *	stats_format_prometheus() appends the Prometheus text exposition
 *	format (version 0.0.4) with relayguard_ metric names; label
 *	values are escaped. Rules are labelled rule="NAME" when they have
 *	a name and rule="FILE:LINE" otherwise, so that a named rule keeps
 *	its series when lines are added above it. It also gives
 *	relayguard_build_info{version="V"} 1 and
 *	relayguard_start_time_seconds, the time stats_new() ran (the
 *	daemon's start), in seconds since the epoch.
 * THREADS
 *	Safe: every counter is an atomic.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/version.h"
#include "common/xalloc.h"
#include "milter/stats.h"
#include "rules/rules.h"
#include "store/redis.h"

#define NREDIS	(sizeof(redis_metrics) / sizeof(redis_metrics[0]))

struct stats {
	atomic_ullong c[STATS_NCOUNTERS];
	time_t	start;			/* set once by stats_new() */
};

static const char *const counter_names[STATS_NCOUNTERS] = {
	[STATS_SESSIONS] = "sessions",
	[STATS_RCPT_PERMITTED] = "recipients_permitted",
	[STATS_RCPT_REJECTED] = "recipients_rejected",
	[STATS_RCPT_TEMPFAILED] = "recipients_tempfailed",
	[STATS_RCPT_DISCARDED] = "recipients_discarded",
	[STATS_RELAYS] = "relays_permitted",
	[STATS_LOOKUP_ERRORS] = "lookup_errors",
	[STATS_INTERNAL_ERRORS] = "internal_errors",
	[STATS_RELOADS] = "reloads",
	[STATS_RELOADS_REFUSED] = "reloads_refused",
	[STATS_BLOCKS_LIMIT] = "blocks_by_limit",
	[STATS_BLOCKS_NETWORKS] = "blocks_by_networks",
	[STATS_BLOCKS_WARNED] = "blocks_warned",
	[STATS_BLOCKED_REFUSALS] = "blocked_refusals",
};

/* The counters of Redis tables (store/redis.h), for both formats. */
static const struct {
	const char *name, *prom, *help;
	size_t	off;			/* in struct redis_stats */
}       redis_metrics[] = {
	{"redis_lookups", "relayguard_redis_lookups_total",
	"Grant lookups of Redis tables.",
	offsetof(struct redis_stats, lookups)},
	{"redis_cache_hits", "relayguard_redis_cache_hits_total",
	"Of which answered by the local cache.",
	offsetof(struct redis_stats, cache_hits)},
	{"redis_errors", "relayguard_redis_errors_total",
	"Lookups that got no answer (on-error decided).",
	offsetof(struct redis_stats, errors)},
	{"redis_fast_fails", "relayguard_redis_fast_fails_total",
	"Of which failed at once while the server was down.",
	offsetof(struct redis_stats, fast_fails)},
	{"redis_outages", "relayguard_redis_outages_total",
	"Times the server stopped answering.",
	offsetof(struct redis_stats, outages)},
	{"redis_failovers", "relayguard_redis_failovers_total",
	"Times a new master was found.",
	offsetof(struct redis_stats, failovers)},
	{"redis_invalidations", "relayguard_redis_invalidations_total",
	"Keys the server said changed.",
	offsetof(struct redis_stats, invalidations)},
};

/* redis_value - one counter of rs */
static unsigned long
redis_value(const struct redis_stats *rs, size_t i)
{
	unsigned long v;

	memcpy(&v, (const char *) rs + redis_metrics[i].off, sizeof(v));
	return (v);
}

/* stats_new - zeroed counters */
struct stats *
stats_new(void)
{
	struct stats *st = xcalloc(1, sizeof(*st));
	int     i;

	for (i = 0; i < STATS_NCOUNTERS; i++)
		atomic_init(&st->c[i], 0);
	st->start = time(NULL);
	return (st);
}

/* stats_free - release the counters; NULL-safe */
void
stats_free(struct stats *st)
{
	free(st);
}

/* stats_inc - count one event */
void
stats_inc(struct stats *st, enum stats_counter c)
{
	atomic_fetch_add(&st->c[c], 1);
}

/* stats_get - one global counter */
unsigned long long
stats_get(struct stats *st, enum stats_counter c)
{
	return (atomic_load(&st->c[c]));
}

/* stats_format - "name value" lines and one line per rule */
void
stats_format(struct stats *st, const struct rules *r, struct strbuf *out)
{
	struct rules_rule_stats rs;
	size_t  i;
	int     c, d;

	struct redis_stats rds;

	for (c = 0; c < STATS_NCOUNTERS; c++)
		strbuf_printf(out, "%s %llu\n", counter_names[c],
		    stats_get(st, (enum stats_counter) c));
	redis_stats_get(&rds);
	for (i = 0; rds.servers > 0 && i < NREDIS; i++)
		strbuf_printf(out, "%s %lu\n", redis_metrics[i].name,
		    redis_value(&rds, i));
	if (rds.servers > 0)
		strbuf_printf(out, "redis_down %d\n", rds.down);
	if (r == NULL)
		return;
	strbuf_printf(out, "config %s\n", rules_source(r));
	for (i = 0; rules_rule_stats(r, i, &rs) == 0; i++) {
		strbuf_printf(out, "rule %s stage %s matched %lu", rs.where,
		    rules_stage_name(rs.stage), rs.matched);
		for (d = 0; d < RULES_NSTAT; d++)
			strbuf_printf(out, " %s %lu", rules_stat_name((enum rules_stat_verdict) d),
			    rs.count[d]);
		if (rs.name != NULL)
			strbuf_printf(out, " name %s", rs.name);
		for (d = 0; rs.warn && d < RULES_NSTAT; d++)
			strbuf_printf(out, " would-%s %lu", rules_stat_name(
			    (enum rules_stat_verdict) d), rs.warned[d]);
		strbuf_putc(out, '\n');
	}
}

/* prom_label - append a label value escaped as Prometheus requires */
static void
prom_label(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"') {
			strbuf_putc(out, '\\');
			strbuf_putc(out, *s);
		} else if (*s == '\n')
			strbuf_puts(out, "\\n");
		else
			strbuf_putc(out, *s);
	}
}

/* stats_format_prometheus - Prometheus text exposition format */
void
stats_format_prometheus(struct stats *st, const struct rules *r,
	struct strbuf *out)
{
	struct rules_rule_stats rs;
	struct redis_stats rds;
	static const struct {
		enum stats_counter c;
		const char *name, *label, *help;
	}       m[] = {
		{STATS_SESSIONS, "relayguard_sessions_total", NULL,
		"SMTP sessions seen."},
		{STATS_RCPT_PERMITTED, "relayguard_recipients_total",
		"permitted", "Recipients by decision."},
		{STATS_RCPT_REJECTED, "relayguard_recipients_total",
		"rejected", NULL},
		{STATS_RCPT_TEMPFAILED, "relayguard_recipients_total",
		"tempfailed", NULL},
		{STATS_RCPT_DISCARDED, "relayguard_recipients_total",
		"discarded", NULL},
		{STATS_RELAYS, "relayguard_relays_total", NULL,
		"Recipients permitted for a non-local destination."},
		{STATS_LOOKUP_ERRORS, "relayguard_lookup_errors_total", NULL,
		"Table lookups that failed (on-error decided)."},
		{STATS_INTERNAL_ERRORS, "relayguard_internal_errors_total",
		NULL, "Callbacks that failed and tempfailed."},
		{STATS_RELOADS, "relayguard_reloads_total", NULL,
		"Configuration reloads accepted."},
		{STATS_RELOADS_REFUSED, "relayguard_reloads_refused_total",
		NULL, "Configuration reloads refused."},
		{STATS_BLOCKS_LIMIT, "relayguard_blocks_total", "limit",
		"Identities blocked by the daemon, by cause."},
		{STATS_BLOCKS_NETWORKS, "relayguard_blocks_total", "networks",
		NULL},
		{STATS_BLOCKS_WARNED, "relayguard_blocks_warned_total", NULL,
		"Blocks that rules marked warn would have made."},
		{STATS_BLOCKED_REFUSALS, "relayguard_blocked_refusals_total",
		NULL, "Decisions refused because the identity is blocked."},
	};
	/* Every counter has its metric. */
	_Static_assert(sizeof(m) / sizeof(m[0]) == STATS_NCOUNTERS,
	    "a stats counter without a Prometheus metric");
	size_t  i;
	int     d;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (m[i].help) {
			strbuf_printf(out, "# HELP %s %s\n", m[i].name,
			    m[i].help);
			strbuf_printf(out, "# TYPE %s counter\n", m[i].name);
		}
		if (m[i].label)
			strbuf_printf(out, "%s{%s=\"%s\"} %llu\n", m[i].name,
			    m[i].c == STATS_BLOCKS_LIMIT || m[i].c ==
			    STATS_BLOCKS_NETWORKS ? "cause" : "decision",
			    m[i].label, stats_get(st, m[i].c));
		else
			strbuf_printf(out, "%s %llu\n", m[i].name,
			    stats_get(st, m[i].c));
	}
	redis_stats_get(&rds);
	for (i = 0; rds.servers > 0 && i < NREDIS; i++)
		strbuf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n",
		    redis_metrics[i].prom, redis_metrics[i].help,
		    redis_metrics[i].prom, redis_metrics[i].prom,
		    redis_value(&rds, i));
	if (rds.servers > 0)
		strbuf_printf(out, "# HELP relayguard_redis_down Whether a "
		    "Redis server is down now.\n"
		    "# TYPE relayguard_redis_down gauge\n"
		    "relayguard_redis_down %d\n", rds.down);
	strbuf_printf(out, "# HELP relayguard_build_info The running "
	    "relayguard's version.\n"
	    "# TYPE relayguard_build_info gauge\n"
	    "relayguard_build_info{version=\"");
	prom_label(out, RG_VERSION);
	strbuf_printf(out, "\"} 1\n"
	    "# HELP relayguard_start_time_seconds When the daemon started, "
	    "in seconds since the epoch.\n"
	    "# TYPE relayguard_start_time_seconds gauge\n"
	    "relayguard_start_time_seconds %lld\n", (long long) st->start);
	if (r == NULL)
		return;
	strbuf_puts(out, "# HELP relayguard_rule_matches_total "
	    "Times each rule (its name, else file:line) decided.\n"
	    "# TYPE relayguard_rule_matches_total counter\n");
	for (i = 0; rules_rule_stats(r, i, &rs) == 0; i++) {
		strbuf_puts(out, "relayguard_rule_matches_total{rule=\"");
		prom_label(out, rs.label);
		strbuf_printf(out, "\",stage=\"%s\"} %lu\n",
		    rules_stage_name(rs.stage), rs.matched);
	}
	strbuf_puts(out, "# HELP relayguard_rule_decisions_total "
	    "Decisions made by each rule (its name, else file:line).\n"
	    "# TYPE relayguard_rule_decisions_total counter\n");
	for (i = 0; rules_rule_stats(r, i, &rs) == 0; i++) {
		for (d = 0; d < RULES_NSTAT; d++) {
			strbuf_puts(out,
			    "relayguard_rule_decisions_total{rule=\"");
			prom_label(out, rs.label);
			strbuf_printf(out, "\",stage=\"%s\",decision=\"%s\"} "
			    "%lu\n", rules_stage_name(rs.stage),
			    rules_stat_name((enum rules_stat_verdict) d), rs.count[d]);
		}
	}
	strbuf_puts(out, "# HELP relayguard_rule_warnings_total "
	    "What each rule marked warn would have decided.\n"
	    "# TYPE relayguard_rule_warnings_total counter\n");
	for (i = 0; rules_rule_stats(r, i, &rs) == 0; i++)
		for (d = 0; rs.warn && d < RULES_NSTAT; d++) {
			strbuf_puts(out,
			    "relayguard_rule_warnings_total{rule=\"");
			prom_label(out, rs.label);
			strbuf_printf(out, "\",stage=\"%s\",decision=\"%s\"} "
			    "%lu\n", rules_stage_name(rs.stage), rules_stat_name(
			    (enum rules_stat_verdict) d), rs.warned[d]);
		}
}
