/*
 * NAME
 *	redis_grant - grants of a dynamic table kept in Redis
 * SYNOPSIS
 *	#include "store/redis.h"
 *
 *	int store_open_redis(conf, table, out, err, errlen)
 *	int store_is_redis(s)
 *
 *	#include "store/redis_int.h"
 *
 *	int redis_grant_match(t, addr, err)
 *	int redis_grant(t, reqs, n, err, errlen)
 *	int redis_revoke(t, addr, err, errlen)
 *	int redis_revoke_user(t, user, removed, err, errlen)
 *	int redis_grant_list(t, fn, arg, err, errlen)
 *	int redis_purge(t, removed, err, errlen)
 * DESCRIPTION
 *	Key layout (documented in relayguard.conf(5) for other writers),
 *	with P the section's prefix and T the table's name:
 *
 *	P T ":grant:" ADDRESS	string "TIME HOST [USER]" with the grant's
 *				expiry as the key's TTL (SET ... EX):
 *				TIME is when it was granted (seconds since
 *				the epoch), HOST the host that granted it,
 *				USER who logged in (absent when unknown).
 *				A key without TTL is a grant without end.
 *	P T ":user:" USER	set of the ADDRESSes granted to USER, with
 *				a TTL no shorter than its longest grant's.
 *
 *	ADDRESS is addr_format()'s canonical text. A grant matches while
 *	its key exists. Each write is one server-side script, so a grant
 *	and its index entry are made or removed together; the index may
 *	name addresses whose grant has expired or was granted again to
 *	another user, and revoke --user and purge check the grant's USER
 *	before they act on it.
 *
 *	Lookups go through the local cache (redis_cache.c) when it is in
 *	use; otherwise, and on a miss, one GET and one PTTL in one round
 *	trip: the grant's USER is the identity of a client granted there
 *	(kept with the cached positive answer).
 * DIAGNOSTICS
 *	A lookup that gets no answer (connection, timeout, breaker open)
 *	is -1 with a message: on-error, never "not found".
 * THREADS
 *	Thread-safe; a handle may be used by any number of threads.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "store/redis_int.h"
#include "store/store_int.h"

/* A key: a table prefix and an address or a user name. */
#define FULLKEY	(REDIS_KEY_MAX + STORE_USER_MAX + ADDR_STRLEN)

#define NO_END	((time_t) 253402300799LL)	/* 9999-12-31T23:59:59Z */

/* Set a grant and add it to its user's index. */
static const char grant_lua[] =
	"redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) "
	"if ARGV[3] ~= '' then "
	" redis.call('SADD', KEYS[2], ARGV[4]) "
	" if redis.call('TTL', KEYS[2]) < tonumber(ARGV[2]) then "
	"  redis.call('EXPIRE', KEYS[2], ARGV[2]) end "
	"end return 1";

/* Remove one grant and its index entry: 1 removed, 0 none. */
static const char revoke_lua[] =
	"local v = redis.call('GET', KEYS[1]) "
	"if not v then return 0 end "
	"redis.call('DEL', KEYS[1]) "
	"local u = string.match(v, '^%S+ %S+ (.+)$') "
	"if u then redis.call('SREM', ARGV[1] .. u, ARGV[2]) end "
	"return 1";

/* Remove every grant of a user: the count. */
static const char revoke_user_lua[] =
	"local n = 0 "
	"for _, a in ipairs(redis.call('SMEMBERS', KEYS[1])) do "
	" local v = redis.call('GET', ARGV[1] .. a) "
	" if v and string.match(v, '^%S+ %S+ (.+)$') == ARGV[2] then "
	"  redis.call('DEL', ARGV[1] .. a) n = n + 1 end "
	"end redis.call('DEL', KEYS[1]) return n";

/* Drop the index entries whose grant is gone: the count. */
static const char purge_lua[] =
	"local n = 0 "
	"for _, a in ipairs(redis.call('SMEMBERS', KEYS[1])) do "
	" local v = redis.call('GET', ARGV[1] .. a) "
	" if not v or string.match(v, '^%S+ %S+ (.+)$') ~= ARGV[2] then "
	"  redis.call('SREM', KEYS[1], a) n = n + 1 end "
	"end return n";

struct redis_table {
	struct redis_client *c;
	int	blocks;				/* a blocks table */
	char	grant_pfx[REDIS_KEY_MAX];	/* P T ":grant:" */
	char	user_pfx[REDIS_KEY_MAX];	/* P T ":user:" */
	char	desc[REDIS_KEY_MAX];		/* store_path() */
};

/* store_open_redis - a handle on a Redis table (see redis.h) */
int
store_open_redis(const struct redis_conf *conf, const char *table,
	struct store **out, char *err, size_t errlen)
{
	struct redis_table *t;
	struct store *s;

	*out = NULL;
	if (strlen(conf->prefix) + strlen(table) + 8 + ADDR_STRLEN +
	    STORE_USER_MAX >= REDIS_KEY_MAX) {
		snprintf(err, errlen, "redis table %s: name and prefix too long",
		    table);
		return (-1);
	}
	t = xcalloc(1, sizeof(*t));
	t->c = redis_client_get(conf);
	snprintf(t->grant_pfx, sizeof(t->grant_pfx), "%s%s:grant:",
	    conf->prefix, table);
	snprintf(t->user_pfx, sizeof(t->user_pfx), "%s%s:user:",
	    conf->prefix, table);
	snprintf(t->desc, sizeof(t->desc), "redis:%s%s", conf->prefix, table);
	s = xcalloc(1, sizeof(*s));
	s->redis = t;
	*out = s;
	return (0);
}

/* store_block_open_redis - the blocks of a redis section (see store.h) */
int
store_block_open_redis(const struct redis_conf *conf, struct store **out,
	char *err, size_t errlen)
{
	struct redis_table *t;

	if (store_open_redis(conf, "block", out, err, errlen) < 0)
		return (-1);
	t = (*out)->redis;
	t->blocks = 1;
	snprintf(t->grant_pfx, sizeof(t->grant_pfx), "%sblock:", conf->prefix);
	t->user_pfx[0] = 0;
	return (0);
}

/* redis_table_blocks - the key prefix of a blocks table, NULL: not one */
const char *
redis_table_blocks(const struct redis_table *t)
{
	return (t->blocks ? t->grant_pfx : NULL);
}

/* redis_table_client - the table's client */
struct redis_client *
redis_table_client(const struct redis_table *t)
{
	return (t->c);
}

/* store_is_redis - is s a Redis table? */
int
store_is_redis(const struct store *s)
{
	return (s != NULL && s->redis != NULL);
}

/* redis_table_dup - another reference on the same client */
struct redis_table *
redis_table_dup(const struct redis_table *t)
{
	struct redis_table *d = xmalloc(sizeof(*d));

	*d = *t;
	d->c = redis_client_get(&t->c->conf);
	return (d);
}

/* redis_table_close - NULL-safe */
void
redis_table_close(struct redis_table *t)
{
	if (t == NULL)
		return;
	redis_client_put(t->c);
	free(t);
}

/* redis_table_desc - "redis:PREFIXTABLE" */
const char *
redis_table_desc(const struct redis_table *t)
{
	return (t->desc);
}

/* A lookup: the key, its value and what PTTL said. */
struct get_q {
	const char *key;
	char	val[REDIS_VALUE_MAX];	/* "" when none */
	long long pttl;			/* -2: no such key */
};

/*
 * get_fn - GET and PTTL of one key in one round trip. A key that
 * expires between the two is "no key" (PTTL -2, or GET nil).
 */
static int
get_fn(redisContext *ctx, void *arg, char *err, size_t errlen)
{
	struct get_q *q = arg;
	redisReply *v = NULL, *t = NULL;
	int     rc = 0;

	q->val[0] = 0;
	if (redisAppendCommand(ctx, "GET %s", q->key) != REDIS_OK ||
	    redisAppendCommand(ctx, "PTTL %s", q->key) != REDIS_OK) {
		snprintf(err, errlen, "redis: out of memory");
		return (-1);
	}
	if (redisGetReply(ctx, (void **) &v) != REDIS_OK ||
	    redisGetReply(ctx, (void **) &t) != REDIS_OK) {
		snprintf(err, errlen, "redis: %s", ctx->errstr[0] ?
		    ctx->errstr : "connection error");
		rc = -1;
	} else if (t->type != REDIS_REPLY_INTEGER ||
	    (v->type != REDIS_REPLY_STRING && v->type != REDIS_REPLY_NIL)) {
		snprintf(err, errlen, "redis: GET/PTTL: unexpected reply%s%s",
		    v->type == REDIS_REPLY_ERROR ? ": " : "",
		    v->type == REDIS_REPLY_ERROR ? v->str : "");
		rc = -1;
	} else {
		q->pttl = v->type == REDIS_REPLY_NIL ? -2 : t->integer;
		if (q->pttl != -2)
			snprintf(q->val, sizeof(q->val), "%s", v->str);
	}
	if (v != NULL)
		freeReplyObject(v);
	if (t != NULL)
		freeReplyObject(t);
	return (rc);
}

/*
 * redis_lookup - one key through the cache: 1 found (its value in val),
 * 0 not, -1 no answer (message in err)
 */
int
redis_lookup(struct redis_client *c, const char *key, char *val,
	size_t vallen, struct store_error *err)
{
	struct get_q q;
	unsigned long gen = 0, seq = 0;
	long long now, life;
	int     cached = -1, up = 0, found;

	atomic_fetch_add(&redis_n_lookups, 1);
	if (c->cache != NULL) {
		redis_tracker_start(c);
		gen = atomic_load(&c->track_gen);
		seq = atomic_load(&c->inval_seq);
		up = atomic_load(&c->tracking);
		if (up && (cached = redis_cache_get(c->cache, key,
		    redis_now_ms(), val, vallen)) >= 0) {
			atomic_fetch_add(&redis_n_hits, 1);
			return (cached);
		}
	}
	q.key = key;
	if (redis_run(c, get_fn, &q, err->msg, sizeof(err->msg)) < 0) {
		atomic_fetch_add(&redis_n_errors, 1);
		err->first = 0;
		return (-1);
	}
	found = q.pttl != -2;
	if (found && val != NULL && vallen > 0)
		snprintf(val, vallen, "%s", q.val);
	if (up && atomic_load(&c->tracking) &&
	    atomic_load(&c->track_gen) == gen &&
	    atomic_load(&c->inval_seq) == seq) {
		now = redis_now_ms();
		life = found ? (long long) c->conf.cache_ttl * 1000 :
		    (long long) c->conf.cache_negative * 1000;
		if (found && q.pttl >= 0 && q.pttl < life)
			life = q.pttl;
		if (life > 0)
			redis_cache_put(c->cache, key, found, now + life,
			    found ? q.val : NULL);
	}
	return (found);
}

/* redis_grant_match - 1 granted (its user in user), 0 not, -1 no answer */
int
redis_grant_match(struct redis_table *t, const struct addr *a, char *user,
	size_t userlen, struct store_error *err)
{
	char    key[FULLKEY], as[ADDR_STRLEN], val[REDIS_VALUE_MAX];
	const char *u;
	int     rc;

	snprintf(key, sizeof(key), "%s%s", t->grant_pfx,
	    addr_format(a, as, sizeof(as)));
	if ((rc = redis_lookup(t->c, key, val, sizeof(val), err)) == 1 &&
	    user != NULL && userlen > 0) {
		/* "TIME HOST USER": the user is after the second space */
		user[0] = 0;
		if ((u = strchr(val, ' ')) != NULL &&
		    (u = strchr(u + 1, ' ')) != NULL)
			snprintf(user, userlen, "%s", u + 1);
	}
	return (rc);
}

/* A batch of grants. */
struct grant_q {
	const struct redis_table *t;
	const struct store_grant_req *reqs;
	size_t	n;
	time_t	now;
	char	host[256];
};

/* grant_fn - one script call per grant, pipelined */
static int
grant_fn(redisContext *ctx, void *arg, char *err, size_t errlen)
{
	struct grant_q *q = arg;
	const struct store_grant_req *g;
	redisReply *r;
	char    gk[FULLKEY], uk[FULLKEY], val[512], as[ADDR_STRLEN];
	char    ttl[32];
	size_t  i;
	int     rc = 0;

	for (i = 0; i < q->n; i++) {
		g = &q->reqs[i];
		addr_format(&g->addr, as, sizeof(as));
		snprintf(gk, sizeof(gk), "%s%s", q->t->grant_pfx, as);
		snprintf(uk, sizeof(uk), "%s%s", q->t->user_pfx,
		    g->user ? g->user : "");
		snprintf(val, sizeof(val), "%lld %s%s%s", (long long) q->now,
		    q->host, g->user && *g->user ? " " : "",
		    g->user ? g->user : "");
		snprintf(ttl, sizeof(ttl), "%lld", (long long) (g->expiry >
		    q->now ? g->expiry - q->now : 1));
		if (redisAppendCommand(ctx, "EVAL %s 2 %s %s %s %s %s %s",
		    grant_lua, gk, uk, val, ttl, g->user ? g->user : "",
		    as) != REDIS_OK) {
			snprintf(err, errlen, "redis: out of memory");
			return (-1);
		}
	}
	for (i = 0; i < q->n; i++) {
		if (redisGetReply(ctx, (void **) &r) != REDIS_OK) {
			snprintf(err, errlen, "redis: %s", ctx->errstr);
			return (-1);
		}
		if (r->type == REDIS_REPLY_ERROR && rc == 0) {
			snprintf(err, errlen, "redis: %s", r->str);
			rc = -1;
		}
		freeReplyObject(r);
	}
	return (rc);
}

/* redis_grant - make n grants (see store_grant_many()) */
int
redis_grant(struct redis_table *t, const struct store_grant_req *reqs,
	size_t n, char *err, size_t errlen)
{
	struct grant_q q;

	q.t = t;
	q.reqs = reqs;
	q.n = n;
	q.now = time(NULL);
	if (gethostname(q.host, sizeof(q.host)) < 0 || q.host[0] == 0)
		snprintf(q.host, sizeof(q.host), "unknown");
	q.host[strcspn(q.host, " \t")] = 0;
	return (redis_run(t->c, grant_fn, &q, err, errlen));
}

/* A script with one key and two arguments, and its integer answer. */
struct script_q {
	const char *lua, *key, *arg1, *arg2;
	long long n;
};

/* script_fn - EVAL one script */
static int
script_fn(redisContext *ctx, void *arg, char *err, size_t errlen)
{
	struct script_q *q = arg;
	redisReply *r;

	if ((r = redis_cmd(ctx, err, errlen, "EVAL %s 1 %s %s %s", q->lua,
	    q->key, q->arg1, q->arg2)) == NULL)
		return (-1);
	q->n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	return (0);
}

/* run_script - one script on key PFX NAME: its count, or -1 */
static long long
run_script(struct redis_table *t, const char *lua, const char *pfx,
	const char *name, const char *arg1, char *err, size_t errlen)
{
	struct script_q q;
	char    key[FULLKEY];

	snprintf(key, sizeof(key), "%s%s", pfx, name);
	q.lua = lua;
	q.key = key;
	q.arg1 = arg1;
	q.arg2 = name;
	if (redis_run(t->c, script_fn, &q, err, errlen) < 0)
		return (-1);
	return (q.n);
}

/* redis_revoke - 1 removed, 0 none, -1 error */
int
redis_revoke(struct redis_table *t, const struct addr *a, char *err,
	size_t errlen)
{
	char    as[ADDR_STRLEN];
	long long n;

	n = run_script(t, revoke_lua, t->grant_pfx, addr_format(a, as,
	    sizeof(as)), t->user_pfx, err, errlen);
	return (n < 0 ? -1 : n > 0);
}

/* redis_revoke_user - remove a user's grants */
int
redis_revoke_user(struct redis_table *t, const char *user, size_t *removed,
	char *err, size_t errlen)
{
	long long n;

	n = run_script(t, revoke_user_lua, t->user_pfx, user, t->grant_pfx,
	    err, errlen);
	if (n < 0)
		return (-1);
	if (removed != NULL)
		*removed = (size_t) n;
	return (0);
}

/* A walk over the keys under a prefix. */
struct scan_q {
	const struct redis_table *t;
	const char *pfx;
	int	(*each) (redisContext *, struct scan_q *, const char *key,
		char *err, size_t errlen);
	int	(*fn) (const struct store_grant_info *, void *);
	void   *arg;
	time_t	now;
	size_t	count;
	int	stopped;
};

/* scan_each - redis_scan()'s callback: q's work on one key */
static int
scan_each(redisContext *ctx, const char *key, void *arg, char *err,
	size_t errlen)
{
	struct scan_q *q = arg;

	if (q->each(ctx, q, key, err, errlen) < 0)
		return (-1);
	return (q->stopped);
}

/* scan_fn - every key under the prefix */
static int
scan_fn(redisContext *ctx, void *arg, char *err, size_t errlen)
{
	struct scan_q *q = arg;

	return (redis_scan(ctx, q->pfx, scan_each, q, err, errlen));
}

/* list_one - read one grant and hand it to the caller */
static int
list_one(redisContext *ctx, struct scan_q *q, const char *key, char *err,
	size_t errlen)
{
	struct store_grant_info g;
	redisReply *v, *ttl;
	const char *u;

	redisAppendCommand(ctx, "GET %s", key);
	redisAppendCommand(ctx, "PTTL %s", key);
	if (redisGetReply(ctx, (void **) &v) != REDIS_OK)
		goto ioerr;
	if (redisGetReply(ctx, (void **) &ttl) != REDIS_OK) {
		freeReplyObject(v);
		goto ioerr;
	}
	memset(&g, 0, sizeof(g));
	snprintf(g.addr, sizeof(g.addr), "%s", key + strlen(q->pfx));
	if (v->type == REDIS_REPLY_STRING && ttl->type == REDIS_REPLY_INTEGER &&
	    ttl->integer != -2) {
		/* "TIME HOST USER": the user is after the second space */
		if ((u = strchr(v->str, ' ')) != NULL &&
		    (u = strchr(u + 1, ' ')) != NULL)
			snprintf(g.user, sizeof(g.user), "%s", u + 1);
		g.expiry = ttl->integer < 0 ? NO_END :
		    q->now + (time_t) ((ttl->integer + 999) / 1000);
		q->count++;
		if (q->fn(&g, q->arg) != 0)
			q->stopped = 1;
	}
	freeReplyObject(v);
	freeReplyObject(ttl);
	return (0);
ioerr:
	snprintf(err, errlen, "redis: %s", ctx->errstr);
	return (-1);
}

/* scan - q's work over every key under pfx; *count what it counted */
static int
scan(struct redis_table *t, const char *pfx,
	int (*each) (redisContext *, struct scan_q *, const char *, char *,
	size_t), int (*fn) (const struct store_grant_info *, void *),
	void *arg, size_t *count, char *err, size_t errlen)
{
	struct scan_q q;

	memset(&q, 0, sizeof(q));
	q.t = t;
	q.pfx = pfx;
	q.each = each;
	q.fn = fn;
	q.arg = arg;
	q.now = time(NULL);
	if (redis_run(t->c, scan_fn, &q, err, errlen) < 0)
		return (-1);
	if (count != NULL)
		*count = q.count;
	return (0);
}

/* redis_grant_list - every grant, in no particular order */
int
redis_grant_list(struct redis_table *t,
	int (*fn) (const struct store_grant_info *, void *), void *arg,
	char *err, size_t errlen)
{
	return (scan(t, t->grant_pfx, list_one, fn, arg, NULL, err, errlen));
}

/* purge_one - clean one user's index */
static int
purge_one(redisContext *ctx, struct scan_q *q, const char *key, char *err,
	size_t errlen)
{
	struct script_q s;

	s.lua = purge_lua;
	s.key = key;
	s.arg1 = q->t->grant_pfx;
	s.arg2 = key + strlen(q->pfx);
	if (script_fn(ctx, &s, err, errlen) < 0)
		return (-1);
	q->count += (size_t) s.n;
	return (0);
}

/*
 * redis_purge - Redis removes expired grants itself: remove the index
 * entries left by expired, revoked or re-granted ones.
 */
int
redis_purge(struct redis_table *t, size_t *removed, char *err,
	size_t errlen)
{
	return (scan(t, t->user_pfx, purge_one, NULL, NULL, removed, err,
	    errlen));
}
