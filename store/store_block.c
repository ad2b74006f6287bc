/*
 * NAME
 *	store_block - account blocks: identities refused until a time
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	int store_block_open(path, writable, out, err, errlen)
 *	int store_block_add(s, identity, now, expiry, reason, err, errlen)
 *	int store_block_remove(s, identity, err, errlen)
 *	int store_block_find(s, identity, now, info, err)
 *	int store_block_list(s, fn, arg, err, errlen)
 * DESCRIPTION
 *	A blocks table maps an identity (a login, lowercased: logins are
 *	compared ignoring case, as Postfix compares them) to
 *	"SINCE EXPIRY REASON": when the block was made, when it ends (0:
 *	never, until unblocked) and why. A block matches while it has not
 *	ended; an ended block is ignored and replaced by the next one.
 *
 *	The file is an LMDB table of its own kind ("relayguard-table 1
 *	blocks"), written by relayguardctl and by the daemon's automatic
 *	blocks, read by the daemon with the same guarded, short read
 *	transactions as grants (store_grant.c), so a block made by one
 *	process is seen by the next lookup of every other. A blocks file
 *	that does not exist yet holds no block.
 *
 *	With "blocks redis" the same records live in Redis
 *	(redis_block.c): a block with an end is a key with that TTL.
 * DIAGNOSTICS
 *	See store.h for each function's return values.
 * THREADS
 *	Every function may be called from any thread: each runs in its
 *	own LMDB transaction on a shared environment (store.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/redis_int.h"
#include "store/store_int.h"

/* block_key - the key of an identity; 0, or -1 with err */
static int
block_key(const char *identity, char *key, size_t keylen, char *err,
	size_t errlen)
{
	size_t  i, n;

	if (identity == NULL || *identity == 0) {
		snprintf(err, errlen, "no identity named");
		return (-1);
	}
	if ((n = strlen(identity)) >= keylen || n >= STORE_USER_MAX) {
		snprintf(err, errlen, "identity longer than %d bytes",
		    STORE_USER_MAX - 1);
		return (-1);
	}
	for (i = 0; i <= n; i++) {
		if (i < n && ((unsigned char) identity[i] < 0x20 ||
		    identity[i] == 0x7f)) {
			snprintf(err, errlen, "control character in identity");
			return (-1);
		}
		key[i] = (char) tolower((unsigned char) identity[i]);
	}
	return (0);
}

/* decode - parse "SINCE EXPIRY REASON" */
static int
decode(const char *val, size_t len, struct store_block_info *b)
{
	char    buf[STORE_REASON_MAX + 64];
	char   *p, *end;
	long long t;
	int     i;

	snprintf(buf, sizeof(buf), "%.*s", (int) len, val);
	p = buf;
	for (i = 0; i < 2; i++) {
		errno = 0;
		t = strtoll(p, &end, 10);
		if (end == p || errno != 0 || (*end != ' ' && *end != 0))
			return (-1);
		if (i == 0)
			b->since = (time_t) t;
		else
			b->expiry = (time_t) t;
		p = *end ? end + 1 : end;
	}
	snprintf(b->reason, sizeof(b->reason), "%s", p);
	return (0);
}

/* store_block_open - open a blocks table (see store.h) */
int
store_block_open(const char *path, int writable, struct store **out,
	char *err, size_t errlen)
{
	int     rc = store_open_env(path, STORE_KIND_BLOCKS, writable, 0, out,
	    err, errlen);

	if (rc < 0 && *out != NULL) {
		store_close(*out);
		*out = NULL;
	}
	return (rc);
}

/* One change to a blocks table. */
struct block_arg {
	const char *key;
	char    val[STORE_REASON_MAX + 64];
	int     found;
};

/* do_add - put one block */
static int
do_add(struct store_env *e, MDB_txn *txn, void *arg)
{
	struct block_arg *b = arg;
	MDB_val k, v;

	k.mv_data = UNCONST(b->key);
	k.mv_size = strlen(b->key);
	v.mv_data = b->val;
	v.mv_size = strlen(b->val);
	return (mdb_put(txn, e->dbi_keys, &k, &v, 0));
}

/* do_remove - delete one block */
static int
do_remove(struct store_env *e, MDB_txn *txn, void *arg)
{
	struct block_arg *b = arg;
	MDB_val k;
	int     rc;

	k.mv_data = UNCONST(b->key);
	k.mv_size = strlen(b->key);
	rc = mdb_del(txn, e->dbi_keys, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return (0);
	b->found = rc == 0;
	return (rc);
}

/* store_block_add - block an identity (see store.h) */
int
store_block_add(struct store *s, const char *identity, time_t now,
	time_t expiry, const char *reason, char *err, size_t errlen)
{
	struct block_arg b;
	char    key[STORE_USER_MAX];
	char    why[STORE_REASON_MAX];
	size_t  i;

	if (block_key(identity, key, sizeof(key), err, errlen) < 0)
		return (-1);
	/* The reason is one line of text: control characters go. */
	snprintf(why, sizeof(why), "%s", reason ? reason : "");
	for (i = 0; why[i]; i++)
		if ((unsigned char) why[i] < 0x20 || why[i] == 0x7f)
			why[i] = ' ';
	memset(&b, 0, sizeof(b));
	b.key = key;
	snprintf(b.val, sizeof(b.val), "%lld %lld %s", (long long) now,
	    (long long) expiry, why);
	if (s->redis != NULL) {
		if (expiry != 0 && expiry <= now) {
			snprintf(err, errlen, "a block that has already ended");
			return (-1);
		}
		return (redis_block_put(s->redis, key, b.val, expiry ?
		    (long long) (expiry - now) : 0, err, errlen));
	}
	return (store_write_txn(s, do_add, &b, err, errlen));
}

/* store_block_remove - unblock an identity (see store.h) */
int
store_block_remove(struct store *s, const char *identity, char *err,
	size_t errlen)
{
	struct block_arg b;
	char    key[STORE_USER_MAX];

	if (block_key(identity, key, sizeof(key), err, errlen) < 0)
		return (-1);
	if (s->redis != NULL)
		return (redis_block_del(s->redis, key, err, errlen));
	memset(&b, 0, sizeof(b));
	b.key = key;
	if (store_write_txn(s, do_remove, &b, err, errlen) < 0)
		return (-1);
	return (b.found);
}

/* store_block_find - is identity blocked at now? (see store.h) */
int
store_block_find(struct store *s, const char *identity, time_t now,
	struct store_block_info *info, struct store_error *err)
{
	struct store_block_info mine;
	char    key[STORE_USER_MAX];
	char    raw[STORE_REASON_MAX + 64];
	int     rc;

	if (info == NULL)
		info = &mine;
	memset(info, 0, sizeof(*info));
	if (identity == NULL || *identity == 0 ||
	    block_key(identity, key, sizeof(key), raw, sizeof(raw)) < 0)
		return (0);		/* no such identity can be blocked */
	if (s->redis != NULL) {
		struct store_error dummy;

		rc = redis_block_get(s->redis, key, raw, sizeof(raw),
		    err != NULL ? err : &dummy);
	} else
		rc = store_dyn_get(s, STORE_KIND_BLOCKS, key, raw, sizeof(raw),
		    err);
	if (rc <= 0)
		return (rc);
	if (decode(raw, strlen(raw), info) < 0) {
		if (err != NULL) {
			snprintf(err->msg, sizeof(err->msg), "%s: %s: "
			    "unreadable block", store_path(s), key);
			err->first = 1;
		}
		return (-1);
	}
	snprintf(info->identity, sizeof(info->identity), "%s", key);
	return (info->expiry == 0 || now < info->expiry);
}

/* A walk of the blocks. */
struct block_walk {
	int     (*fn) (const struct store_block_info *, void *);
	void   *arg;
};

/* block_visit - decode one block for store_block_list() */
static int
block_visit(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct block_walk *w = arg;
	struct store_block_info b;

	memset(&b, 0, sizeof(b));
	snprintf(b.identity, sizeof(b.identity), "%.*s", (int) k->mv_size,
	    (const char *) k->mv_data);
	if (decode(v->mv_data, v->mv_size, &b) < 0)
		snprintf(b.reason, sizeof(b.reason), "(unreadable)");
	return (w->fn(&b, w->arg));
}

/* redis_visit - one block from Redis for store_block_list() */
static int
redis_visit(const char *key, const char *val, void *arg)
{
	MDB_val k, v;

	k.mv_data = UNCONST(key);
	k.mv_size = strlen(key);
	v.mv_data = UNCONST(val);
	v.mv_size = strlen(val);
	return (block_visit(&k, &v, arg));
}

/* store_block_list - walk the blocks (see store.h) */
int
store_block_list(struct store *s,
	int (*fn) (const struct store_block_info *, void *), void *arg,
	char *err, size_t errlen)
{
	struct block_walk w;

	w.fn = fn;
	w.arg = arg;
	if (s->redis != NULL)
		return (redis_block_list(s->redis, redis_visit, &w, err,
		    errlen));
	return (store_dyn_walk(s, STORE_KIND_BLOCKS, block_visit, &w, err,
	    errlen));
}
