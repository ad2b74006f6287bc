#ifndef RG_STORE_SPREAD_H
#define RG_STORE_SPREAD_H

/*
 * spread - the networks one identity logs in from, behind a small
 * interface (issue 16)
 *
 * A spread store remembers, for each key (an identity and the name of
 * the rule that counts it, as store/limit.h's struct limit_key), the
 * distinct client networks it was seen from and when each was last
 * seen, so that a rule can tell when one identity comes from more
 * than K networks within a period: a stolen password used from many
 * places at once.
 *
 * Only the K + 1 most recently seen networks of a key are kept: a
 * rule needs to know "more than K", not how many more. Memory is
 * therefore bounded by the number of keys times K + 1 (about 70 MB for
 * the local engine's 100,000 keys at the largest K; a few MB for the
 * usual K of 2 to 5, and only networks actually seen take room).
 *
 * The interface is a vtable so that an engine shared by several hosts
 * can stand in for the local one. Times are microseconds since the
 * epoch, passed by the caller.
 *
 * This is library code: it never logs and never exits.
 */
#include <stddef.h>
#include <stdint.h>

#include "store/limit.h"

#define SPREAD_MAX		16	/* largest K of a rule */
#define SPREAD_NET_MAX		32	/* "2001:db8:1:2::/64", bytes with NUL */
#define SPREAD_KEYS_DEFAULT	100000	/* keys of the local engine */

/* What note answered. */
struct spread_answer {
	unsigned networks;		/* distinct networks of the key seen
					 * within the period, this one
					 * included; at most max + 1 */
	int	added;			/* 1: this network was not among them */
};

struct spread_store;

struct spread_ops {
	/*
	 * note - the key was seen from network at now: remember it and
	 * count the distinct networks seen within the last period
	 * seconds (a network last seen period seconds ago or earlier no
	 * longer counts). max is the rule's K (1 .. SPREAD_MAX): at most
	 * max + 1 networks are kept, the least recently seen dropped
	 * first. Returns 0 with *ans filled, or -1 with a message in err
	 * (the store is full of live keys, out of memory, a key or
	 * network too long); nothing is changed then.
	 */
	int	(*note) (struct spread_store *, const struct limit_key *,
		const char *network, unsigned max, uint32_t period,
		int64_t now, struct spread_answer *ans, char *err,
		size_t errlen);
	/*
	 * reset - forget every key of subject (NULL: all). Returns the
	 * number of keys removed.
	 */
	long	(*reset) (struct spread_store *, const char *subject);
	/* close - free the store. */
	void	(*close) (struct spread_store *);
};

/* Every engine's handle starts with this. */
struct spread_store {
	const struct spread_ops *ops;
};

/* Calls through the vtable; spread_close() is NULL-safe. */
extern int spread_note(struct spread_store *, const struct limit_key *,
	const char *network, unsigned max, uint32_t period, int64_t now,
	struct spread_answer *, char *err, size_t errlen);
extern long spread_reset(struct spread_store *, const char *subject);
extern void spread_close(struct spread_store *);

/*
 * spread_local_open - the local engine: memory only, shared by the
 * threads of the process, at most max_keys keys (0: the default).
 * When it is full, keys whose networks have all aged out are dropped;
 * if none can be, note fails (the rule answers on-error: fail
 * closed). Restarting the daemon forgets everything (a period is an
 * hour or so). Returns the store; cannot fail (out of memory aborts,
 * as xalloc does).
 */
extern struct spread_store *spread_local_open(size_t max_keys);

/* spread_local_count - live keys in a local store (tests, stats) */
extern size_t spread_local_count(struct spread_store *);

#endif
