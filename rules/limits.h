#ifndef RG_RULES_LIMITS_H
#define RG_RULES_LIMITS_H

/*
 * limits - rate-limit rules and the counter store they count in
 *
 * A rule "tempfail limit 100/hour 500/day per identity" counts
 * recipients in a counter store (store/limit.h) that belongs to its
 * caller, not to the rules: the daemon keeps one store for its whole
 * life and attaches it to every configuration it loads, so a reload
 * keeps the counters. Rules with limits and no store attached answer
 * on-error (tempfail by default): nothing is permitted uncounted.
 *
 * A rule "reject networks 3/hour block for 1d" counts, the same way,
 * the distinct networks each identity logs in from, in a spread store
 * (store/spread.h) attached beside the counters.
 *
 * This is library code: it never logs and never exits.
 */
#include <stdint.h>

struct rules;
struct rules_session;
struct limit_store;
struct spread_store;

/*
 * A limit was refused block_after times in a row for one subject; or
 * an identity came from a network that took it over the K of a
 * "networks K/PERIOD" rule (networks > 0).
 */
struct rules_limit_event {
	const struct rules *rules;	/* the configuration that refused */
	const char *subject;		/* identity, or the client's network */
	int	identity;		/* 1: subject is an identity */
	const char *limit;		/* the limit's name (its rule's label) */
	const char *where;		/* file:line of the rule */
	unsigned long denials;		/* a rate limit: refusals in a row */
	unsigned networks;		/* a networks rule: distinct networks
					 * seen in its period (capped at K +
					 * 1); 0 for a rate limit */
	const char *network;		/* a networks rule: the new one */
	int	block_ttl;		/* seconds asked for by the rule; 0:
					 * the rule does not ask to block */
	int	warn;			/* the rule is marked warn: log and
					 * count, block nothing */
};

struct rules_limits {
	struct limit_store *store;
	/* the time in microseconds since the epoch; NULL: the real clock */
	int64_t	(*now) (void *arg);
	/*
	 * exceeded - a rule's "block-after N" was reached (called once,
	 * on the N-th refusal, from the evaluating thread; may read
	 * ev->rules, e.g. to block the identity). NULL: nobody is told.
	 * The account-block module hooks in here.
	 */
	void	(*exceeded) (void *arg, const struct rules_limit_event *);
	void   *arg;
	/*
	 * The networks each identity logs in from (store/spread.h), for
	 * "networks K/PERIOD" rules; NULL: those rules answer on-error.
	 */
	struct spread_store *spread;
};

/*
 * rules_limits_attach - give r the store its limit rules count in.
 * Call it before r is shared (after rules_load, before any session).
 * *l is copied; the store must outlive r.
 */
extern void rules_limits_attach(struct rules *, const struct rules_limits *);

/* rules_limits_used - 1 when some rule of r has a limit */
extern int rules_limits_used(const struct rules *);

/* rules_networks_used - 1 when some rule of r counts networks */
extern int rules_networks_used(const struct rules *);

/*
 * rules_client_network - the client's /24 (IPv4) or /64 (IPv6) of s as
 * "192.0.2.0/24" into buf; "unknown" when there is no client address.
 * Returns buf.
 */
extern char *rules_client_network(const struct rules_session *, char *buf,
	size_t len);

/*
 * rules_limit_subject - what a limit counts in this session: the
 * identity (rules_identity(), lowercased; *identity set), else the
 * client's /24 (IPv4) or /64 (IPv6) as "192.0.2.0/24", else "unknown".
 * Writes into buf (LIMIT_SUBJECT_MAX + 1 bytes suffice) and returns
 * it; NULL when the identity cannot be known (a grant table failed:
 * the limit answers on-error).
 */
extern char *rules_limit_subject(const struct rules_session *, char *buf,
	size_t len, int *identity);

#endif
