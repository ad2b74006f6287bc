#ifndef RG_STORE_REDIS_H
#define RG_STORE_REDIS_H

/*
 * redis - dynamic tables kept in Redis, shared by several hosts
 *
 * A "redis" section of the configuration describes how to reach the
 * server (a list of servers, or a Sentinel master name and its
 * sentinels), and "table NAME dynamic redis" keeps that table's grants
 * there instead of in an LMDB file. The handle store_open_redis()
 * returns is a struct store like any other: store_grant_match(),
 * store_grant(), store_revoke(), store_grant_list(), store_purge() and
 * store_close() work on it unchanged (store.h).
 *
 * This is library code: it never logs and never exits. What a daemon
 * should log (an outage beginning and ending, a new master) goes to
 * the function given to redis_set_events().
 */
#include <stddef.h>

struct store;
struct redis_conf;

/*
 * redis_conf_new - an empty section. Never fails (xalloc).
 * redis_conf_free - NULL-safe; wipes the password from memory.
 */
extern struct redis_conf *redis_conf_new(void);
extern void redis_conf_free(struct redis_conf *);

/*
 * redis_conf_set - one "NAME VALUE" line of a redis section. base is
 * the file the line is in: a relative password-file is relative to
 * its directory. The password file is read here; it must be a regular
 * file of root (or of the running user) that others can neither read
 * nor write. Returns 0, or -1 with the reason in err (which never
 * holds the password).
 */
extern int redis_conf_set(struct redis_conf *, const char *name,
	const char *value, const char *base, char *err, size_t errlen);

/*
 * redis_conf_check - the section as a whole: servers, or a master name
 * with sentinels. Returns 0, or -1 with the reason in err.
 */
extern int redis_conf_check(const struct redis_conf *, char *err,
	size_t errlen);

/*
 * store_open_redis - a handle on the grants of table NAME in the
 * Redis of conf. Nothing is connected here: the first lookup or write
 * connects. Handles of equal sections share one connection pool and
 * one cache (so a reload with an unchanged section keeps the cache).
 * Returns 0, or -1 with a message in err (a table name too long).
 */
extern int store_open_redis(const struct redis_conf *, const char *table,
	struct store **out, char *err, size_t errlen);

/* store_is_redis - is this a Redis table? */
extern int store_is_redis(const struct store *);

/*
 * store_dup - another handle on the same table (store_close() each).
 * Never fails.
 */
extern struct store *store_dup(struct store *);

/* What happened, for the daemon's log. */
enum redis_event {
	REDIS_EVENT_DOWN,		/* the server stopped answering */
	REDIS_EVENT_UP,			/* it answers again */
	REDIS_EVENT_MASTER,		/* a new master (failover) */
	REDIS_EVENT_CACHE_OFF,		/* invalidation lost: cache dropped */
	REDIS_EVENT_CACHE_ON,		/* invalidation back: cache in use */
};

/*
 * redis_set_events - fn is called once for each event, from whichever
 * thread saw it, never with a lock of this module held; msg never
 * holds the password. NULL stops the calls. Call it before the first
 * lookup.
 */
extern void redis_set_events(void (*fn) (enum redis_event, const char *msg,
	void *arg), void *arg);

/* Counters of every Redis table of the process, since it started. */
struct redis_stats {
	unsigned long lookups;		/* grant lookups */
	unsigned long cache_hits;
	unsigned long errors;		/* lookups that got no answer */
	unsigned long fast_fails;	/* of which refused by the breaker */
	unsigned long outages;		/* DOWN events */
	unsigned long failovers;	/* MASTER events */
	unsigned long invalidations;	/* keys invalidated by the server */
	int	down;			/* a server is down now */
	int	servers;		/* sections in use (0: no Redis) */
};

/* redis_stats_get - the counters now. */
extern void redis_stats_get(struct redis_stats *);

#endif
