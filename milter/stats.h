#ifndef RG_MILTER_STATS_H
#define RG_MILTER_STATS_H

/*
 * stats - the daemon's counters (spec section 7)
 */
#include "common/strbuf.h"

struct stats;
struct rules;

enum stats_counter {
	STATS_SESSIONS,
	STATS_RCPT_PERMITTED,
	STATS_RCPT_REJECTED,
	STATS_RCPT_TEMPFAILED,
	STATS_RCPT_DISCARDED,
	STATS_RELAYS,
	STATS_LOOKUP_ERRORS,
	STATS_INTERNAL_ERRORS,
	STATS_RELOADS,
	STATS_RELOADS_REFUSED,
	STATS_BLOCKS_LIMIT,		/* identities blocked by block-after */
	STATS_BLOCKS_NETWORKS,		/* ... by a networks rule */
	STATS_BLOCKS_WARNED,		/* blocks a warn rule would have made */
	STATS_BLOCKED_REFUSALS,		/* refusals of a blocked identity */
	STATS_NCOUNTERS,
};

extern struct stats *stats_new(void);
extern void stats_free(struct stats *);
extern void stats_inc(struct stats *, enum stats_counter);
extern unsigned long long stats_get(struct stats *, enum stats_counter);
extern void stats_format(struct stats *, const struct rules *,
	struct strbuf *);
extern void stats_format_prometheus(struct stats *, const struct rules *,
	struct strbuf *);

#endif
