/*
 * NAME
 *	redis_cache - the local cache of Redis grant lookups, kept right
 *	by the server's invalidation messages
 * SYNOPSIS
 *	#include "store/redis_int.h"
 *
 *	struct redis_cache *redis_cache_new(size)
 *	int	redis_cache_get(cache, key, now_ms, val, vallen)
 *	void	redis_cache_put(cache, key, found, expires_ms, val)
 *	void	redis_cache_del(cache, key, keylen)
 *	void	redis_cache_flush(cache)
 *	void	redis_cache_free(cache)
 *	void	redis_tracker_start(client)
 *	void	redis_tracker_stop(client)
 * DESCRIPTION
 *	The cache maps a grant's key to found / not found (a found one
 *	with its value: the grant's user, a block's record) until a
 *	monotonic deadline: a found key no longer than its remaining TTL
 *	in Redis and the section's cache-ttl, a missing key cache-negative
 *	seconds. When it holds cache-size entries it is emptied (simple,
 *	and a full cache means the sizing is wrong anyway).
 *
 *	The tracker is one thread per client with a connection of its
 *	own (RESP2, as Debian 12's hiredis speaks): CLIENT ID, then
 *	CLIENT TRACKING on REDIRECT <its own id> BCAST PREFIX <prefix>,
 *	then SUBSCRIBE __redis__:invalidate. From then on the server sends
 *	it the name of every key under the prefix that any client changes,
 *	and the tracker removes it from the cache; a flush message empties
 *	the cache. It PINGs every 500ms and takes a connection silent for
 *	1.5s as broken. Messages about rate counters alone (P "limit:",
 *	changed at each counted recipient, never cached) are ignored.
 *
 *	The cache is used only while the tracker is subscribed. When its
 *	connection breaks, or the master changes, the cache is emptied and
 *	lookups go to Redis until the tracker is subscribed again (and the
 *	cache emptied once more). A lookup stores its answer only when no
 *	invalidation arrived and the tracker did not restart while it ran,
 *	so an answer read before a change is never kept after it.
 * BUGS
 *	A connection that dies without the socket saying so is seen within
 *	1.5s: a revoke made in that window on a partitioned network may
 *	be missed until then.
 * THREADS
 *	The cache has its own mutex; the tracker only reads the client's
 *	configuration and atomics, and takes the client's mutex through
 *	redis_connect_master().
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "store/redis_int.h"

#define NBUCKETS	4096
#define PING_MS		500
#define SILENT_MS	1500

struct centry {
	struct centry *next;
	long long expires;
	int	found;
	char   *val;			/* "" when none */
	size_t	keylen;
	char	key[];
};

struct redis_cache {
	pthread_mutex_t mu;
	struct centry *b[NBUCKETS];
	int	n, max;
};

/* hash - FNV-1a of the key */
static unsigned
hash(const char *key, size_t len)
{
	unsigned h = 2166136261u;
	size_t  i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char) key[i]) * 16777619u;
	return (h % NBUCKETS);
}

/* redis_cache_new - an empty cache of at most size entries */
struct redis_cache *
redis_cache_new(int size)
{
	struct redis_cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->mu, NULL);
	c->max = size;
	return (c);
}

/* flush_locked - remove every entry (mu held) */
static void
flush_locked(struct redis_cache *c)
{
	struct centry *e, *next;
	int     i;

	for (i = 0; i < NBUCKETS; i++) {
		for (e = c->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e->val);
			free(e);
		}
		c->b[i] = NULL;
	}
	c->n = 0;
}

/* redis_cache_free - NULL-safe */
void
redis_cache_free(struct redis_cache *c)
{
	if (c == NULL)
		return;
	flush_locked(c);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* redis_cache_flush - remove every entry */
void
redis_cache_flush(struct redis_cache *c)
{
	pthread_mutex_lock(&c->mu);
	flush_locked(c);
	pthread_mutex_unlock(&c->mu);
}

/* find - the entry of key and the link to it (mu held) */
static struct centry **
find(struct redis_cache *c, const char *key, size_t len)
{
	struct centry **pp;

	for (pp = &c->b[hash(key, len)]; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->keylen == len && memcmp((*pp)->key, key, len) == 0)
			break;
	return (pp);
}

/* redis_cache_get - 1 found, 0 not found, -1 not cached (or expired) */
int
redis_cache_get(struct redis_cache *c, const char *key, long long now,
	char *val, size_t vallen)
{
	struct centry **pp, *e;
	int     r = -1;

	pthread_mutex_lock(&c->mu);
	pp = find(c, key, strlen(key));
	if ((e = *pp) != NULL) {
		if (now < e->expires) {
			r = e->found;
			if (val != NULL && vallen > 0)
				snprintf(val, vallen, "%s", e->val);
		} else {
			*pp = e->next;
			free(e->val);
			free(e);
			c->n--;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return (r);
}

/* redis_cache_put - keep an answer until expires (monotonic ms) */
void
redis_cache_put(struct redis_cache *c, const char *key, int found,
	long long expires, const char *val)
{
	struct centry **pp, *e;
	size_t  len = strlen(key);
	char   *v = xstrdup(val != NULL ? val : "");

	pthread_mutex_lock(&c->mu);
	pp = find(c, key, len);
	if ((e = *pp) == NULL) {
		if (c->n >= c->max)
			flush_locked(c);
		e = xmalloc(sizeof(*e) + len + 1);
		e->val = NULL;
		memcpy(e->key, key, len + 1);
		e->keylen = len;
		e->next = c->b[hash(key, len)];
		c->b[hash(key, len)] = e;
		c->n++;
	}
	e->found = found;
	e->expires = expires;
	free(e->val);
	e->val = v;
	pthread_mutex_unlock(&c->mu);
}

/* redis_cache_del - forget one key */
void
redis_cache_del(struct redis_cache *c, const char *key, size_t len)
{
	struct centry **pp, *e;

	pthread_mutex_lock(&c->mu);
	pp = find(c, key, len);
	if ((e = *pp) != NULL) {
		*pp = e->next;
		free(e->val);
		free(e);
		c->n--;
	}
	pthread_mutex_unlock(&c->mu);
}

/* invalidate - one message of the invalidation channel */
static void
invalidate(struct redis_client *c, const redisReply *r)
{
	const redisReply *keys;
	char    counters[REDIS_NAME_MAX + 16];
	size_t  i, clen;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, "message") != 0)
		return;			/* a subscribe confirmation, a pong */
	keys = r->element[2];
	if (keys->type != REDIS_REPLY_ARRAY) {
		atomic_fetch_add(&c->inval_seq, 1);
		redis_cache_flush(c->cache);	/* FLUSHDB, FLUSHALL */
		return;
	}
	/*
	 * Rate counters (limit_redis.c) change at every counted recipient
	 * and are never cached: their messages must not keep lookups
	 * that overlap them from filling the cache.
	 */
	clen = (size_t) snprintf(counters, sizeof(counters), "%s%s",
	    c->conf.prefix, REDIS_COUNTERS_WORD);
	for (i = 0; i < keys->elements; i++)
		if (keys->element[i]->type != REDIS_REPLY_STRING ||
		    keys->element[i]->len < clen ||
		    memcmp(keys->element[i]->str, counters, clen) != 0)
			break;
	if (i == keys->elements)
		return;
	atomic_fetch_add(&c->inval_seq, 1);
	for (i = 0; i < keys->elements; i++)
		if (keys->element[i]->type == REDIS_REPLY_STRING) {
			redis_cache_del(c->cache, keys->element[i]->str,
			    keys->element[i]->len);
			atomic_fetch_add(&redis_n_inval, 1);
		}
}

/* subscribe - set up tracking on a new connection to the master */
static int
subscribe(struct redis_client *c, redisContext *ctx, char *err,
	size_t errlen)
{
	redisReply *r;
	long long id;

	if ((r = redis_cmd(ctx, err, errlen, "CLIENT ID")) == NULL)
		return (-1);
	id = r->integer;
	freeReplyObject(r);
	if ((r = redis_cmd(ctx, err, errlen, "CLIENT TRACKING on REDIRECT "
	    "%lld BCAST PREFIX %s", id, c->conf.prefix)) == NULL)
		return (-1);
	freeReplyObject(r);
	if ((r = redis_cmd(ctx, err, errlen,
	    "SUBSCRIBE __redis__:invalidate")) == NULL)
		return (-1);
	freeReplyObject(r);
	return (0);
}

/* follow - read invalidations until the connection fails or must go */
static void
follow(struct redis_client *c, redisContext *ctx, unsigned long mgen)
{
	struct pollfd pfd;
	redisReply *r;
	long long now, last_ping = 0, last_heard = redis_now_ms();
	int     done;

	while (!atomic_load(&c->stop) &&
	    atomic_load(&c->master_gen) == mgen) {
		now = redis_now_ms();
		if (now - last_heard > SILENT_MS)
			return;
		if (now - last_ping >= PING_MS) {
			if (redisAppendCommand(ctx, "PING") != REDIS_OK)
				return;
			do {
				if (redisBufferWrite(ctx, &done) != REDIS_OK)
					return;
			} while (!done);
			last_ping = now;
		}
		pfd.fd = ctx->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			return;
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (redisBufferRead(ctx) != REDIS_OK)
			return;
		for (;;) {
			r = NULL;
			if (redisGetReplyFromReader(ctx, (void **) &r) !=
			    REDIS_OK)
				return;
			if (r == NULL)
				break;
			last_heard = redis_now_ms();
			invalidate(c, r);
			freeReplyObject(r);
		}
	}
}

/* nap - sleep ms, or less when the client is closing */
static void
nap(struct redis_client *c, int ms)
{
	struct timespec ts = {0, 50 * 1000000};

	for (; ms > 0 && !atomic_load(&c->stop); ms -= 50)
		nanosleep(&ts, NULL);
}

/* tracker - the invalidation thread of a client */
static void *
tracker(void *arg)
{
	struct redis_client *c = arg;
	redisContext *ctx;
	unsigned long mgen;
	char    err[256];
	int     backoff = 100, lost = 0;

	while (!atomic_load(&c->stop)) {
		mgen = atomic_load(&c->master_gen);
		if (redis_connect_master(c, &ctx, err, sizeof(err)) < 0) {
			nap(c, backoff);
			backoff = backoff < 1000 ? backoff * 2 : 1000;
			continue;
		}
		if (subscribe(c, ctx, err, sizeof(err)) < 0) {
			redisFree(ctx);
			nap(c, backoff);
			backoff = backoff < 1000 ? backoff * 2 : 1000;
			continue;
		}
		backoff = 100;
		redis_cache_flush(c->cache);
		atomic_fetch_add(&c->track_gen, 1);
		atomic_store(&c->tracking, 1);
		if (lost)
			redis_event(REDIS_EVENT_CACHE_ON, "redis: invalidation "
			    "connection back; local cache in use again");
		follow(c, ctx, mgen);
		atomic_store(&c->tracking, 0);
		atomic_fetch_add(&c->track_gen, 1);
		redis_cache_flush(c->cache);
		redisFree(ctx);
		if (!atomic_load(&c->stop)) {
			lost = 1;
			redis_event(REDIS_EVENT_CACHE_OFF, "redis: invalidation "
			    "connection lost; local cache dropped until it is "
			    "back");
		}
	}
	return (NULL);
}

/* redis_tracker_start - start the tracker once (no cache: none) */
void
redis_tracker_start(struct redis_client *c)
{
	if (c->cache == NULL || atomic_load(&c->tracker_started))
		return;
	pthread_mutex_lock(&c->mu);
	if (!atomic_load(&c->tracker_started) && !atomic_load(&c->stop) &&
	    pthread_create(&c->tracker, NULL, tracker, c) == 0)
		atomic_store(&c->tracker_started, 1);
	pthread_mutex_unlock(&c->mu);
}

/* redis_tracker_stop - stop and join the tracker, if it runs */
void
redis_tracker_stop(struct redis_client *c)
{
	int     started;

	atomic_store(&c->stop, 1);
	pthread_mutex_lock(&c->mu);
	started = atomic_exchange(&c->tracker_started, 0);
	pthread_mutex_unlock(&c->mu);
	if (started)
		pthread_join(c->tracker, NULL);
}
