#ifndef RG_STORE_REDIS_INT_H
#define RG_STORE_REDIS_INT_H

/*
 * redis_int - private parts of the Redis tables, shared by redis*.c
 *
 * Nothing outside store/ includes this header.
 */
#include <hiredis.h>
#include <pthread.h>
#include <stdatomic.h>

#include "store/redis.h"

#define REDIS_HOSTS_MAX	8
#define REDIS_NAME_MAX	128
#define REDIS_KEY_MAX	512
#define REDIS_POOL_MAX	8		/* idle command connections kept */
#define REDIS_VALUE_MAX	512		/* longest value read back */
#define REDIS_COUNTERS_WORD "limit:"	/* P "limit:" SUBJECT: counters */

struct redis_host {
	char	host[256];
	int	port;
};

struct redis_conf {
	struct redis_host servers[REDIS_HOSTS_MAX];
	int	nservers;
	struct redis_host sentinels[REDIS_HOSTS_MAX];
	int	nsentinels;
	char	master[REDIS_NAME_MAX];		/* Sentinel master name */
	int	database;
	char	prefix[REDIS_NAME_MAX];
	char	user[REDIS_NAME_MAX];		/* ACL user, "" for none */
	char   *password;			/* NULL: no AUTH */
	int	connect_ms;
	int	command_ms;
	int	cache_ttl;			/* seconds; 0: no cache */
	int	cache_negative;			/* seconds */
	int	cache_size;			/* entries */
};

/* The local cache of grant lookups (redis_cache.c). */
struct redis_cache;
extern struct redis_cache *redis_cache_new(int size);
extern void redis_cache_free(struct redis_cache *);
/*
 * redis_cache_get - 1 found, 0 not found, -1 not cached; a found entry's
 * value is copied to val (vallen bytes; val may be NULL).
 * redis_cache_put - keep found and val (NULL: "") until expires_ms.
 */
extern int redis_cache_get(struct redis_cache *, const char *key,
	long long now_ms, char *val, size_t vallen);
extern void redis_cache_put(struct redis_cache *, const char *key, int found,
	long long expires_ms, const char *val);
extern void redis_cache_del(struct redis_cache *, const char *key,
	size_t keylen);
extern void redis_cache_flush(struct redis_cache *);

/*
 * One server (or Sentinel-monitored master) and everything kept for
 * it: shared by every table handle of an equal section in the process.
 * mu guards the pool, the master's address and the breaker; the cache
 * has its own lock.
 */
struct redis_client {
	char   *id;				/* the section, canonical */
	int	refs;				/* registry lock */
	struct redis_client *next;
	struct redis_conf conf;

	pthread_mutex_t mu;
	redisContext *idle[REDIS_POOL_MAX];
	int	nidle;
	struct redis_host master;		/* last known; port 0: none */
	int	down;				/* breaker open */
	int	probing;			/* a thread is reconnecting */
	long long retry_ms;			/* next reconnect after this */
	int	backoff_ms;
	long long down_since_ms;

	/* invalidation (redis_cache.c's tracker) */
	struct redis_cache *cache;		/* NULL: no cache */
	pthread_t tracker;
	atomic_int tracker_started;		/* set under mu */
	atomic_int stop;
	atomic_int tracking;			/* the tracker is subscribed */
	atomic_ulong track_gen;			/* bumped at each (re)start */
	atomic_ulong inval_seq;			/* bumped by invalidations */
	atomic_ulong master_gen;		/* bumped at a master change */
};

/* redis.c */
extern struct redis_client *redis_client_get(const struct redis_conf *);
extern void redis_client_put(struct redis_client *);
extern long long redis_now_ms(void);
extern int redis_connect_master(struct redis_client *, redisContext **,
	char *err, size_t errlen);
/*
 * A unit of work on one command connection: returns 0, or -1 with a
 * message in err; a connection that failed (c->err set) is dropped.
 */
typedef int (*redis_fn) (redisContext *, void *arg, char *err,
	size_t errlen);
extern int redis_run(struct redis_client *, redis_fn, void *arg,
	char *err, size_t errlen);
extern redisReply *redis_cmd(redisContext *, char *err, size_t errlen,
	const char *fmt, ...);
extern void redis_event(enum redis_event, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
extern void redis_tracker_start(struct redis_client *);
extern void redis_tracker_stop(struct redis_client *);
extern void redis_host_str(const struct redis_host *, char *, size_t);

/*
 * redis_glob_prefix - "PREFIX*" with the prefix's glob characters
 * escaped, for SCAN MATCH (redis_grant.c); len at least 2 * strlen + 2.
 */
extern void redis_glob_prefix(const char *prefix, char *out, size_t len);

/*
 * redis_scan - SCAN every key under pfx on ctx, calling each with it:
 * each returns 0 to go on, 1 to stop, -1 on an error (message in err).
 * Returns 0, or -1 with a message in err.
 */
extern int redis_scan(redisContext *, const char *pfx,
	int (*each) (redisContext *, const char *key, void *arg, char *err,
	size_t errlen), void *arg, char *err, size_t errlen);

/*
 * redis_lookup - GET key through the local cache: 1 found (its value
 * copied to val), 0 no such key, -1 no answer (message in err).
 * redis_grant.c; used for grants and blocks alike.
 */
struct store_error;
extern int redis_lookup(struct redis_client *, const char *key, char *val,
	size_t vallen, struct store_error *err);

/* redis_grant.c: a table's operations, dispatched from store_grant.c */
struct redis_table;
struct store_error;
struct store_grant_req;
struct store_grant_info;
struct addr;
extern struct redis_table *redis_table_dup(const struct redis_table *);
extern const char *redis_table_blocks(const struct redis_table *);
extern struct redis_client *redis_table_client(const struct redis_table *);
extern void redis_table_close(struct redis_table *);
extern const char *redis_table_desc(const struct redis_table *);
extern int redis_grant_match(struct redis_table *, const struct addr *,
	char *user, size_t userlen, struct store_error *);
extern int redis_grant(struct redis_table *, const struct store_grant_req *,
	size_t, char *, size_t);
extern int redis_revoke(struct redis_table *, const struct addr *, char *,
	size_t);
extern int redis_revoke_user(struct redis_table *, const char *, size_t *,
	char *, size_t);
extern int redis_grant_list(struct redis_table *,
	int (*) (const struct store_grant_info *, void *), void *, char *,
	size_t);
extern int redis_purge(struct redis_table *, size_t *, char *, size_t);

/* redis_block.c: a blocks table's operations, from store_block.c */
extern int redis_block_put(struct redis_table *, const char *key,
	const char *val, long long ttl, char *err, size_t errlen);
extern int redis_block_del(struct redis_table *, const char *key, char *err,
	size_t errlen);
extern int redis_block_get(struct redis_table *, const char *key, char *val,
	size_t vallen, struct store_error *err);
extern int redis_block_list(struct redis_table *,
	int (*fn) (const char *key, const char *val, void *arg), void *arg,
	char *err, size_t errlen);

/* counters (redis.c) */
extern atomic_ulong redis_n_lookups, redis_n_hits, redis_n_errors,
	redis_n_fast, redis_n_outages, redis_n_failovers, redis_n_inval;
extern atomic_int redis_n_down;

#endif
