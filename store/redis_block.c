/*
 * NAME
 *	redis_block - account blocks kept in Redis
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	int store_block_open_redis(conf, out, err, errlen)   (redis_grant.c)
 *
 *	#include "store/redis_int.h"
 *
 *	int redis_block_put(t, key, val, ttl, err, errlen)
 *	int redis_block_del(t, key, err, errlen)
 *	int redis_block_get(t, key, val, vallen, err)
 *	int redis_block_list(t, fn, arg, err, errlen)
 * DESCRIPTION
 *	With "blocks redis", store_block.c keeps its records in the
 *	redis section's server, so that a block made on one host holds
 *	on every host. Key layout (relayguard.conf(5)), with P the
 *	section's prefix:
 *
 *	P "block:" IDENTITY	string "SINCE EXPIRY REASON" as in a
 *				blocks file (store_block.c), IDENTITY
 *				lowercased; a block with an end has it as
 *				the key's TTL (SET ... EX), so Redis
 *				removes it when it ends.
 *
 *	store_block.c builds the key's IDENTITY and the value and reads
 *	them back; this file only moves them. A lookup goes through the
 *	grants' local cache (redis_lookup()): the server's invalidation
 *	messages make a block, or an unblock, seen by every host within
 *	the second, and the breaker answers at once while the server is
 *	down.
 * DIAGNOSTICS
 *	-1 with a message when the server does not answer: a lookup is
 *	then on-error, never "not blocked".
 * THREADS
 *	Thread-safe, as redis_grant.c.
 */
#include <stdio.h>
#include <string.h>

#include "store/redis_int.h"
#include "store/store_int.h"

/* A block's key and, for a write, its value and TTL. */
struct block_q {
	char	key[REDIS_KEY_MAX + STORE_USER_MAX];
	const char *val;
	long long ttl;			/* seconds; 0: none */
	long long n;
	int	(*fn) (const char *, const char *, void *);
	void   *arg;
	size_t	pfxlen;
};

/* key_of - P "block:" ID into q->key */
static void
key_of(struct redis_table *t, const char *id, struct block_q *q)
{
	const char *pfx = redis_table_blocks(t);

	q->pfxlen = strlen(pfx);
	snprintf(q->key, sizeof(q->key), "%s%s", pfx, id);
}

/* put_fn - SET the block, with EX when it ends */
static int
put_fn(redisContext *ctx, void *arg, char *err, size_t errlen)
{
	struct block_q *q = arg;
	redisReply *r;

	r = q->ttl > 0 ? redis_cmd(ctx, err, errlen, "SET %s %s EX %lld",
	    q->key, q->val, q->ttl) : redis_cmd(ctx, err, errlen, "SET %s %s",
	    q->key, q->val);
	if (r == NULL)
		return (-1);
	freeReplyObject(r);
	return (0);
}

/* redis_block_put - block key (see redis_int.h) */
int
redis_block_put(struct redis_table *t, const char *id, const char *val,
	long long ttl, char *err, size_t errlen)
{
	struct block_q q;

	key_of(t, id, &q);
	q.val = val;
	q.ttl = ttl;
	return (redis_run(redis_table_client(t), put_fn, &q, err, errlen));
}

/* del_fn - DEL the block */
static int
del_fn(redisContext *ctx, void *arg, char *err, size_t errlen)
{
	struct block_q *q = arg;
	redisReply *r;

	if ((r = redis_cmd(ctx, err, errlen, "DEL %s", q->key)) == NULL)
		return (-1);
	q->n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	return (0);
}

/* redis_block_del - 1 removed, 0 none, -1 error */
int
redis_block_del(struct redis_table *t, const char *id, char *err,
	size_t errlen)
{
	struct block_q q;

	key_of(t, id, &q);
	if (redis_run(redis_table_client(t), del_fn, &q, err, errlen) < 0)
		return (-1);
	return (q.n > 0);
}

/* redis_block_get - 1 found (its value in val), 0 none, -1 no answer */
int
redis_block_get(struct redis_table *t, const char *id, char *val,
	size_t vallen, struct store_error *err)
{
	struct block_q q;

	key_of(t, id, &q);
	return (redis_lookup(redis_table_client(t), q.key, val, vallen, err));
}

/* list_each - GET one block and hand it to the caller */
static int
list_each(redisContext *ctx, const char *key, void *arg, char *err,
	size_t errlen)
{
	struct block_q *q = arg;
	redisReply *r;
	int     stop = 0;

	if ((r = redis_cmd(ctx, err, errlen, "GET %s", key)) == NULL)
		return (-1);
	if (r->type == REDIS_REPLY_STRING)	/* else gone meanwhile */
		stop = q->fn(key + q->pfxlen, r->str, q->arg) != 0;
	freeReplyObject(r);
	return (stop);
}

/* list_fn - every block */
static int
list_fn(redisContext *ctx, void *arg, char *err, size_t errlen)
{
	struct block_q *q = arg;

	return (redis_scan(ctx, q->key, list_each, q, err, errlen));
}

/* redis_block_list - fn for every block, in no particular order */
int
redis_block_list(struct redis_table *t,
	int (*fn) (const char *, const char *, void *), void *arg, char *err,
	size_t errlen)
{
	struct block_q q;

	key_of(t, "", &q);
	q.fn = fn;
	q.arg = arg;
	return (redis_run(redis_table_client(t), list_fn, &q, err, errlen));
}
