/*
 * NAME
 *	redis - connections to the Redis of dynamic tables
 * SYNOPSIS
 *	#include "store/redis_int.h"
 *
 *	struct redis_client *redis_client_get(conf)
 *	void	redis_client_put(c)
 *	int	redis_run(c, fn, arg, err, errlen)
 *	int	redis_connect_master(c, ctx, err, errlen)
 *	void	redis_set_events(fn, arg)
 *	void	redis_stats_get(st)
 * DESCRIPTION
 *	One struct redis_client per distinct redis section in the
 *	process, reference counted in a registry, so that a reload with
 *	the same section keeps its connections and cache.
 *
 *	Connecting. With servers, each is tried in order and the first
 *	whose ROLE is master is used. With Sentinel, each sentinel is
 *	asked SENTINEL get-master-addr-by-name in order; the first answer
 *	is connected to and must say ROLE master (a sentinel that has not
 *	yet seen a failover may name the old master, now a replica). Then
 *	AUTH (ACL user or password alone) and SELECT. Every connection has
 *	the connect timeout for connect() and the command timeout for each
 *	read and write (SO_RCVTIMEO, SO_SNDTIMEO through hiredis).
 *
 *	Command connections are kept in a small pool: a thread takes an
 *	idle one or makes one, runs its commands, and gives it back. A
 *	connection that fails is closed; the commands are retried once on
 *	a new connection when the failed one came from the pool and did
 *	not time out (the server restarted while it sat idle).
 *
 *	Breaker. When a connection cannot be made, the server is down:
 *	for the next backoff period (100ms, doubled at each failure up to
 *	2s) every request fails at once instead of waiting for a timeout;
 *	then one request tries to reconnect while the others still fail at
 *	once. The outage and its end are reported once each through
 *	redis_set_events(), and so is a new master (its address changed),
 *	which also empties the cache and restarts the invalidation
 *	connection (redis_cache.c).
 * DIAGNOSTICS
 *	Functions return -1 with a message in the caller's buffer; no
 *	message holds the password.
 * BUGS
 *	No TLS: Debian 12's hiredis 0.14 has none. Sentinels are asked
 *	without AUTH.
 * THREADS
 *	Every function is thread-safe. redis_set_events() is meant to be
 *	called before the first lookup.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/strbuf.h"
#include "common/xalloc.h"
#include "store/redis_int.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	2000

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct redis_client *registry;

static void (*event_fn) (enum redis_event, const char *, void *);
static void *event_arg;

atomic_ulong redis_n_lookups, redis_n_hits, redis_n_errors, redis_n_fast,
	redis_n_outages, redis_n_failovers, redis_n_inval;
atomic_int redis_n_down;

/* redis_now_ms - the monotonic clock in milliseconds */
long long
redis_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* redis_set_events - where events go (see redis.h) */
void
redis_set_events(void (*fn) (enum redis_event, const char *, void *),
	void *arg)
{
	event_arg = arg;
	event_fn = fn;
}

/* redis_event - report one event to the caller's function */
void
redis_event(enum redis_event ev, const char *fmt, ...)
{
	char    msg[512];
	va_list ap;

	if (event_fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	event_fn(ev, msg, event_arg);
}

/* redis_stats_get - the counters (see redis.h) */
void
redis_stats_get(struct redis_stats *st)
{
	struct redis_client *c;

	st->lookups = atomic_load(&redis_n_lookups);
	st->cache_hits = atomic_load(&redis_n_hits);
	st->errors = atomic_load(&redis_n_errors);
	st->fast_fails = atomic_load(&redis_n_fast);
	st->outages = atomic_load(&redis_n_outages);
	st->failovers = atomic_load(&redis_n_failovers);
	st->invalidations = atomic_load(&redis_n_inval);
	st->down = atomic_load(&redis_n_down) > 0;
	pthread_mutex_lock(&registry_mu);
	for (c = registry, st->servers = 0; c != NULL; c = c->next)
		st->servers++;
	pthread_mutex_unlock(&registry_mu);
}

/* redis_host_str - "host:port" or "[v6]:port" */
void
redis_host_str(const struct redis_host *h, char *buf, size_t len)
{
	snprintf(buf, len, strchr(h->host, ':') ? "[%s]:%d" : "%s:%d",
	    h->host, h->port);
}

/* tv_ms - a timeval of ms milliseconds */
static struct timeval
tv_ms(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return (tv);
}

/* timed_out - did the connection's last read or write time out? */
static int
timed_out(const redisContext *ctx)
{
	return (ctx->err == REDIS_ERR_IO &&
	    (strstr(ctx->errstr, "temporarily unavailable") != NULL ||
	    strstr(ctx->errstr, "timed out") != NULL));
}

/* ctx_err - the message of a failed connection */
static void
ctx_err(redisContext *ctx, const struct redis_host *h, const char *what,
	char *err, size_t errlen)
{
	char    hs[300];

	redis_host_str(h, hs, sizeof(hs));
	snprintf(err, errlen, "redis %s: %s: %s", hs, what, ctx == NULL ?
	    "out of memory" : timed_out(ctx) ? "timed out" :
	    ctx->errstr[0] ? ctx->errstr : "error");
}

/*
 * redis_cmd - one command (hiredis format: each %s one argument).
 * Returns the reply (freeReplyObject() it), or NULL with err filled for
 * a connection error or an error reply.
 */
redisReply *
redis_cmd(redisContext *ctx, char *err, size_t errlen, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(ctx, fmt, ap);
	va_end(ap);
	if (r == NULL) {
		snprintf(err, errlen, "redis: %s", timed_out(ctx) ?
		    "timed out" : ctx->errstr[0] ? ctx->errstr :
		    "connection error");
		return (NULL);
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "redis: %s", r->str);
		freeReplyObject(r);
		return (NULL);
	}
	return (r);
}

/* open_host - connect to h with the section's timeouts */
static redisContext *
open_host(const struct redis_conf *conf, const struct redis_host *h,
	char *err, size_t errlen)
{
	redisContext *ctx;

	ctx = redisConnectWithTimeout(h->host, h->port, tv_ms(conf->connect_ms));
	if (ctx == NULL || ctx->err) {
		ctx_err(ctx, h, "connect", err, errlen);
		if (ctx != NULL)
			redisFree(ctx);
		return (NULL);
	}
	if (redisSetTimeout(ctx, tv_ms(conf->command_ms)) != REDIS_OK) {
		ctx_err(ctx, h, "timeout", err, errlen);
		redisFree(ctx);
		return (NULL);
	}
	return (ctx);
}

/* ask_sentinels - the master's address from the first sentinel that knows */
static int
ask_sentinels(const struct redis_conf *conf, struct redis_host *out,
	char *err, size_t errlen)
{
	redisContext *ctx;
	redisReply *r;
	char    e[256], hs[300];
	int     i;

	snprintf(err, errlen, "redis: no sentinel answered");
	for (i = 0; i < conf->nsentinels; i++) {
		if ((ctx = open_host(conf, &conf->sentinels[i], e,
		    sizeof(e))) == NULL) {
			snprintf(err, errlen, "%s", e);
			continue;
		}
		r = redis_cmd(ctx, e, sizeof(e),
		    "SENTINEL get-master-addr-by-name %s", conf->master);
		redisFree(ctx);
		redis_host_str(&conf->sentinels[i], hs, sizeof(hs));
		if (r == NULL) {
			snprintf(err, errlen, "sentinel %s: %s", hs, e);
			continue;
		}
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    r->element[0]->type == REDIS_REPLY_STRING &&
		    r->element[1]->type == REDIS_REPLY_STRING &&
		    r->element[0]->len < sizeof(out->host)) {
			snprintf(out->host, sizeof(out->host), "%s",
			    r->element[0]->str);
			out->port = atoi(r->element[1]->str);
			freeReplyObject(r);
			if (out->port > 0 && out->port < 65536)
				return (0);
			snprintf(err, errlen, "sentinel %s: bad port", hs);
			continue;
		}
		freeReplyObject(r);
		snprintf(err, errlen, "sentinel %s: no master named %s", hs,
		    conf->master);
	}
	return (-1);
}

/* session_setup - AUTH, SELECT and ROLE master on a new connection */
static int
session_setup(const struct redis_conf *conf, redisContext *ctx,
	const struct redis_host *h, char *err, size_t errlen)
{
	redisReply *r;
	char    e[256], hs[300];
	int     master;

	redis_host_str(h, hs, sizeof(hs));
	if (conf->password != NULL) {
		r = conf->user[0] ? redis_cmd(ctx, e, sizeof(e), "AUTH %s %s",
		    conf->user, conf->password) : redis_cmd(ctx, e, sizeof(e),
		    "AUTH %s", conf->password);
		if (r == NULL) {
			snprintf(err, errlen, "redis %s: AUTH: %s", hs, e);
			return (-1);
		}
		freeReplyObject(r);
	}
	if (conf->database != 0) {
		if ((r = redis_cmd(ctx, e, sizeof(e), "SELECT %d",
		    conf->database)) == NULL) {
			snprintf(err, errlen, "redis %s: SELECT: %s", hs, e);
			return (-1);
		}
		freeReplyObject(r);
	}
	if ((r = redis_cmd(ctx, e, sizeof(e), "ROLE")) == NULL) {
		snprintf(err, errlen, "redis %s: ROLE: %s", hs, e);
		return (-1);
	}
	master = r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "master") == 0;
	freeReplyObject(r);
	if (!master) {
		snprintf(err, errlen, "redis %s: not a master", hs);
		return (-1);
	}
	return (0);
}

/* drop_idle - close the pooled connections (mu held) */
static void
drop_idle(struct redis_client *c)
{
	while (c->nidle > 0)
		redisFree(c->idle[--c->nidle]);
}

/*
 * redis_connect_master - a new connection to the master, set up. A
 * master at another address than the last one is reported, empties
 * the cache and makes the invalidation connection start again.
 * Returns 0, or -1 with a message in err.
 */
int
redis_connect_master(struct redis_client *c, redisContext **out,
	char *err, size_t errlen)
{
	const struct redis_conf *conf = &c->conf;
	struct redis_host h, old;
	redisContext *ctx = NULL;
	char    e[256], was[300], now[300];
	int     i, changed;

	*out = NULL;
	snprintf(err, errlen, "redis: no server");
	if (conf->nsentinels > 0) {
		if (ask_sentinels(conf, &h, err, errlen) < 0)
			return (-1);
		if ((ctx = open_host(conf, &h, err, errlen)) == NULL)
			return (-1);
		if (session_setup(conf, ctx, &h, err, errlen) < 0) {
			redisFree(ctx);
			return (-1);
		}
	} else {
		for (i = 0; i < conf->nservers; i++) {
			h = conf->servers[i];
			if ((ctx = open_host(conf, &h, e, sizeof(e))) != NULL &&
			    session_setup(conf, ctx, &h, e, sizeof(e)) == 0)
				break;
			snprintf(err, errlen, "%s", e);
			if (ctx != NULL)
				redisFree(ctx);
			ctx = NULL;
		}
		if (ctx == NULL)
			return (-1);
	}
	pthread_mutex_lock(&c->mu);
	old = c->master;
	changed = old.port != 0 && (old.port != h.port ||
	    strcmp(old.host, h.host) != 0);
	c->master = h;
	if (changed)
		drop_idle(c);
	pthread_mutex_unlock(&c->mu);
	if (changed) {
		atomic_fetch_add(&c->master_gen, 1);
		if (c->cache != NULL)
			redis_cache_flush(c->cache);
		atomic_fetch_add(&redis_n_failovers, 1);
		redis_host_str(&old, was, sizeof(was));
		redis_host_str(&h, now, sizeof(now));
		redis_event(REDIS_EVENT_MASTER, "redis: the master is now %s "
		    "(was %s); local cache emptied", now, was);
	}
	*out = ctx;
	return (0);
}

/* conn_get - an idle connection or a new one, through the breaker */
static redisContext *
conn_get(struct redis_client *c, int *pooled, char *err, size_t errlen)
{
	redisContext *ctx;
	long long now = redis_now_ms(), since;
	int     probe = 0;

	pthread_mutex_lock(&c->mu);
	if (c->nidle > 0) {
		ctx = c->idle[--c->nidle];
		pthread_mutex_unlock(&c->mu);
		*pooled = 1;
		return (ctx);
	}
	if (c->down) {
		if (c->probing || now < c->retry_ms) {
			pthread_mutex_unlock(&c->mu);
			atomic_fetch_add(&redis_n_fast, 1);
			snprintf(err, errlen, "redis: server down for %llds, "
			    "not retried yet",
			    (now - c->down_since_ms) / 1000);
			return (NULL);
		}
		c->probing = probe = 1;
	}
	pthread_mutex_unlock(&c->mu);
	*pooled = 0;
	(void) redis_connect_master(c, &ctx, err, errlen);
	now = redis_now_ms();
	pthread_mutex_lock(&c->mu);
	if (probe)
		c->probing = 0;
	if (ctx == NULL) {
		int     first = !c->down;

		if (first) {
			c->down = 1;
			c->down_since_ms = now;
			c->backoff_ms = BACKOFF_MIN_MS;
		} else if ((c->backoff_ms *= 2) > BACKOFF_MAX_MS)
			c->backoff_ms = BACKOFF_MAX_MS;
		c->retry_ms = now + c->backoff_ms;
		pthread_mutex_unlock(&c->mu);
		if (first) {
			atomic_fetch_add(&redis_n_outages, 1);
			atomic_fetch_add(&redis_n_down, 1);
			redis_event(REDIS_EVENT_DOWN, "%s; lookups of its "
			    "tables fail (on-error) until it answers", err);
		}
		return (NULL);
	}
	if (c->down) {
		c->down = 0;
		since = c->down_since_ms;
		pthread_mutex_unlock(&c->mu);
		atomic_fetch_sub(&redis_n_down, 1);
		redis_event(REDIS_EVENT_UP, "redis: answers again after %.1fs",
		    (double) (now - since) / 1000);
		return (ctx);
	}
	pthread_mutex_unlock(&c->mu);
	return (ctx);
}

/* conn_put - give a connection back, or close it when it failed */
static void
conn_put(struct redis_client *c, redisContext *ctx)
{
	pthread_mutex_lock(&c->mu);
	if (ctx->err) {
		/* The others were made at the same time: likely dead too. */
		drop_idle(c);
		redisFree(ctx);
	} else if (c->nidle < REDIS_POOL_MAX)
		c->idle[c->nidle++] = ctx;
	else
		redisFree(ctx);
	pthread_mutex_unlock(&c->mu);
}

/* redis_run - fn on a command connection (see redis_int.h) */
int
redis_run(struct redis_client *c, redis_fn fn, void *arg, char *err,
	size_t errlen)
{
	redisContext *ctx;
	int     pooled, rc, timedout;

	if ((ctx = conn_get(c, &pooled, err, errlen)) == NULL)
		return (-1);
	rc = fn(ctx, arg, err, errlen);
	timedout = timed_out(ctx);
	if (rc < 0 && ctx->err && pooled && !timedout) {
		conn_put(c, ctx);
		if ((ctx = conn_get(c, &pooled, err, errlen)) == NULL)
			return (-1);
		rc = fn(ctx, arg, err, errlen);
	}
	conn_put(c, ctx);
	return (rc);
}

/* redis_glob_prefix - the prefix with SCAN MATCH's characters escaped */
void
redis_glob_prefix(const char *s, char *out, size_t len)
{
	size_t  n = 0;

	for (; *s && n + 3 < len; s++) {
		if (strchr("*?[]\\", *s))
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n++] = '*';
	out[n] = 0;
}

/* redis_scan - each for every key under pfx (see redis_int.h) */
int
redis_scan(redisContext *ctx, const char *pfx,
	int (*each) (redisContext *, const char *, void *, char *, size_t),
	void *arg, char *err, size_t errlen)
{
	redisReply *r, *keys;
	char    pat[2 * REDIS_KEY_MAX + 2], cursor[32] = "0";
	size_t  i;
	int     rc = 0;

	redis_glob_prefix(pfx, pat, sizeof(pat));
	do {
		if ((r = redis_cmd(ctx, err, errlen, "SCAN %s MATCH %s COUNT "
		    "1000", cursor, pat)) == NULL)
			return (-1);
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			snprintf(err, errlen, "redis: SCAN: unexpected reply");
			return (-1);
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		keys = r->element[1];
		for (i = 0; i < keys->elements && rc == 0; i++)
			if (keys->element[i]->type == REDIS_REPLY_STRING)
				rc = each(ctx, keys->element[i]->str, arg, err,
				    errlen);
		freeReplyObject(r);
	} while (rc == 0 && strcmp(cursor, "0") != 0);
	return (rc < 0 ? -1 : 0);
}

/* conf_id - the canonical text of a section, to share its client */
static char *
conf_id(const struct redis_conf *conf)
{
	struct strbuf b = STRBUF_INIT;
	int     i;

	strbuf_printf(&b, "m=%s db=%d p=%s u=%s ct=%d mt=%d ttl=%d neg=%d "
	    "size=%d", conf->master, conf->database, conf->prefix, conf->user,
	    conf->connect_ms, conf->command_ms, conf->cache_ttl,
	    conf->cache_negative, conf->cache_size);
	for (i = 0; i < conf->nservers; i++)
		strbuf_printf(&b, " s=%s:%d", conf->servers[i].host,
		    conf->servers[i].port);
	for (i = 0; i < conf->nsentinels; i++)
		strbuf_printf(&b, " S=%s:%d", conf->sentinels[i].host,
		    conf->sentinels[i].port);
	strbuf_printf(&b, " pw=%s", conf->password ? conf->password : "");
	return (strbuf_detach(&b));
}

/* redis_client_get - the shared client of a section, one more reference */
struct redis_client *
redis_client_get(const struct redis_conf *conf)
{
	struct redis_client *c;
	char   *id = conf_id(conf);

	pthread_mutex_lock(&registry_mu);
	for (c = registry; c != NULL; c = c->next)
		if (strcmp(c->id, id) == 0)
			break;
	if (c != NULL) {
		c->refs++;
		pthread_mutex_unlock(&registry_mu);
		explicit_bzero(id, strlen(id));
		free(id);
		return (c);
	}
	c = xcalloc(1, sizeof(*c));
	c->id = id;
	c->refs = 1;
	c->conf = *conf;
	c->conf.password = conf->password ? xstrdup(conf->password) : NULL;
	pthread_mutex_init(&c->mu, NULL);
	if (conf->cache_ttl > 0)
		c->cache = redis_cache_new(conf->cache_size);
	c->next = registry;
	registry = c;
	pthread_mutex_unlock(&registry_mu);
	return (c);
}

/* redis_client_put - drop a reference; the last closes everything */
void
redis_client_put(struct redis_client *c)
{
	struct redis_client **pp;

	if (c == NULL)
		return;
	pthread_mutex_lock(&registry_mu);
	if (--c->refs > 0) {
		pthread_mutex_unlock(&registry_mu);
		return;
	}
	for (pp = &registry; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&registry_mu);
	redis_tracker_stop(c);
	drop_idle(c);
	if (c->down)
		atomic_fetch_sub(&redis_n_down, 1);
	redis_cache_free(c->cache);
	pthread_mutex_destroy(&c->mu);
	if (c->conf.password != NULL) {
		explicit_bzero(c->conf.password, strlen(c->conf.password));
		free(c->conf.password);
	}
	explicit_bzero(c->id, strlen(c->id));
	free(c->id);
	free(c);
}
