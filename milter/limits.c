/*
 * NAME
 *	limits 3
 * SUMMARY
 *	the daemon's rate counters: one store for the daemon's life
 * SYNOPSIS
 *	#include "milter/limits.h"
 *
 *	int	mlimits_start(struct rules *r, struct strbuf *errs)
 *	int	mlimits_attach(struct rules *r, struct strbuf *errs)
 *	int	mlimits_run(void)
 *	void	mlimits_stop(void)
 *	void	mlimits_list(const char *subject, struct strbuf *out)
 *	void	mlimits_reset(const char *subject, struct strbuf *out)
 * DESCRIPTION
 *	The counters of the limit rules belong to the daemon, not to a
 *	configuration: mlimits_attach() gives the same store to every
 *	configuration loaded (at start and at each reload), so a reload
 *	keeps them. The store is opened when a configuration first has a
 *	limit rule: the local engine on the file of limit-state (default
 *	/var/lib/relayguard/limits.lmdb; "none": memory only), or with
 *	"limit-state redis" the shared engine in the redis section's
 *	server (store/limit_redis.c; flushing is then a no-op). A file
 *	that cannot be opened refuses that configuration (at start the
 *	daemon does not start; at reload the old configuration stays):
 *	rules with limits never run uncounted. A changed limit-state
 *	waits for the next start.
 *
 *	mlimits_start() is mlimits_attach() for the first configuration,
 *	called while the daemon is still root, and arms attaching for
 *	later loads (relayguard -n never opens the file).
 *
 *	mlimits_run() starts the thread that flushes the counters to the
 *	file every MLIMITS_FLUSH seconds; mlimits_stop() stops it, flushes
 *	once more and closes the store. A crash therefore loses at most
 *	the last MLIMITS_FLUSH seconds of counting.
 *
 *	mlimits_list() and mlimits_reset() answer the control socket's
 *	"limits [SUBJECT]" and "reset SUBJECT" (status line, then body).
 *
 *	The networks each identity logs in from ("networks K/PERIOD"
 *	rules) are kept in memory only (store/spread.h), opened when a
 *	configuration first has such a rule and kept across reloads; a
 *	restart forgets them. "reset SUBJECT" clears them too.
 *
 *	A rule's block-after, and a networks rule that says "block",
 *	report through exceeded(): an identity is blocked for the rule's
 *	time (rules_block_add(): its grants are revoked, the block logged
 *	with its reason) and the block counted in the stats by cause; a
 *	rule marked warn only logs and counts the block it would have
 *	made; a network is only logged.
 * THREADS
 *	The store is opened and attached under one mutex (loads are
 *	serialised by live.c already); sessions use it without locks of
 *	ours (the store shards its own). The flush thread sleeps on a
 *	condition variable so that mlimits_stop() does not wait.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "milter/limits.h"
#include "milter/live.h"
#include "milter/stats.h"
#include "rules/limits.h"
#include "rules/rules.h"
#include "store/limit.h"
#include "store/spread.h"

#define MLIMITS_FLUSH	5		/* seconds between flushes */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct limit_store *store;
static struct spread_store *spread;	/* networks rules; memory only */
static char *store_path;		/* as opened; "none" for memory */
static int started, running, stopping;
static pthread_t flusher;

/* now_us - the real clock in microseconds */
static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t) ts.tv_sec * LIMIT_US + ts.tv_nsec / 1000);
}

/* why - the reason of a block, as logged and kept with it */
static void
why(const struct rules_limit_event *ev, char *buf, size_t len)
{
	if (ev->networks > 0)
		snprintf(buf, len, "networks rule %s (%s): logged in from more "
		    "than %u networks, the last %s", ev->limit, ev->where,
		    ev->networks - 1, ev->network);
	else
		snprintf(buf, len, "limit %s (%s) refused %lu times in a row",
		    ev->limit, ev->where, ev->denials);
}

/*
 * exceeded - a rule's block-after was reached, or an identity came
 * from too many networks: block the identity (a network is only
 * logged), revoke its grants, count the block; a warn rule only logs
 * and counts what it would have blocked
 */
static void
exceeded(void *arg, const struct rules_limit_event *ev)
{
	char    reason[400], err[256];
	size_t  revoked = 0;

	(void) arg;
	if (!ev->identity) {
		log_warning("limit %s (%s): network %s refused %lu times in a "
		    "row (networks are not blocked)", ev->limit, ev->where,
		    ev->subject, ev->denials);
		return;
	}
	why(ev, reason, sizeof(reason));
	if (ev->block_ttl <= 0) {
		log_warning("%s%s: %s (the rule does not block)", ev->warn ?
		    "warn: " : "", ev->subject, reason);
		return;
	}
	if (ev->warn) {
		log_warning("warn: would block %s for %d s: %s; nothing done",
		    ev->subject, ev->block_ttl, reason);
		stats_inc(live_stats(), STATS_BLOCKS_WARNED);
		return;
	}
	if (rules_block_add(ev->rules, NULL, ev->subject, ev->block_ttl,
	    reason, &revoked, err, sizeof(err)) < 0) {
		log_error("%s: cannot block %s: %s", reason, ev->subject, err);
		return;
	}
	log_warning("blocked %s for %d s: %s; %zu grant%s revoked",
	    ev->subject, ev->block_ttl, reason, revoked,
	    revoked == 1 ? "" : "s");
	stats_inc(live_stats(), ev->networks > 0 ? STATS_BLOCKS_NETWORKS :
	    STATS_BLOCKS_LIMIT);
}

/* want_path - the limit-state of r: a path or "none" */
static const char *
want_path(const struct rules *r)
{
	const struct rules_settings *s = rules_settings(r);

	return (s != NULL && s->limit_state != NULL ? s->limit_state :
	    RULES_LIMIT_STATE_DEFAULT);
}

/* mlimits_attach - give r the daemon's store, opening it when first needed */
int
mlimits_attach(struct rules *r, struct strbuf *errs)
{
	struct rules_limits l = {NULL, NULL, exceeded, NULL, NULL};
	const char *path = want_path(r);
	char    err[512];
	int     ret = 0;

	pthread_mutex_lock(&mu);
	if (!started)
		goto out;
	if (store == NULL && rules_limits_used(r)) {
		if (strcmp(path, RULES_IN_REDIS) == 0 ?
		    limit_redis_open(rules_settings(r)->redis, 0, &store, err,
		    sizeof(err)) < 0 :
		    limit_local_open(strcmp(path, "none") == 0 ? NULL : path, 0,
		    &store, err, sizeof(err)) < 0) {
			strbuf_printf(errs, "%s: error: limit-state %s\n",
			    rules_source(r), err);
			ret = -1;
			goto out;
		}
		store_path = xstrdup(path);
		if (strcmp(path, RULES_IN_REDIS) == 0)
			log_info("rate counters: in Redis, shared with every "
			    "host of the same redis section");
		else
			log_info("rate counters: %s (%zu keys)",
			    strcmp(path, "none") ? path : "in memory only",
			    limit_local_count(store));
	} else if (store != NULL && strcmp(path, store_path) != 0)
		log_warning("reload: the limit-state setting changes at the "
		    "next start, not now (counting in %s)", store_path);
	if (spread == NULL && rules_networks_used(r))
		spread = spread_local_open(0);
	l.store = store;
	l.spread = spread;
	rules_limits_attach(r, &l);
out:
	pthread_mutex_unlock(&mu);
	return (ret);
}

/* mlimits_start - attach the first configuration; arm later loads */
int
mlimits_start(struct rules *r, struct strbuf *errs)
{
	pthread_mutex_lock(&mu);
	started = 1;
	pthread_mutex_unlock(&mu);
	return (mlimits_attach(r, errs));
}

/* current - the store, or NULL before a limit rule was loaded */
static struct limit_store *
current(void)
{
	struct limit_store *s;

	pthread_mutex_lock(&mu);
	s = store;
	pthread_mutex_unlock(&mu);
	return (s);
}

/* flush - write the counters; log a failure */
static void
flush(void)
{
	struct limit_store *s = current();
	char    err[512];

	if (s != NULL && limit_flush(s, now_us(), err, sizeof(err)) < 0)
		log_error("rate counters: %s: %s (kept in memory; "
		    "retried)", store_path, err);
}

/* flush_thread - flush every MLIMITS_FLUSH seconds until stopped */
static void *
flush_thread(void *arg)
{
	struct timespec ts;

	(void) arg;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += MLIMITS_FLUSH;
		(void) pthread_cond_timedwait(&wake, &mu, &ts);
		if (stopping)
			break;
		/* The store flushes under its own lock: reloads need not wait. */
		pthread_mutex_unlock(&mu);
		flush();
		pthread_mutex_lock(&mu);
	}
	pthread_mutex_unlock(&mu);
	return (NULL);
}

/* mlimits_run - start the flush thread */
int
mlimits_run(void)
{
	if (pthread_create(&flusher, NULL, flush_thread, NULL) != 0)
		return (-1);
	running = 1;
	return (0);
}

/* mlimits_stop - last flush, close */
void
mlimits_stop(void)
{
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
	if (running)
		(void) pthread_join(flusher, NULL);
	running = 0;
	flush();
	/*
	 * XXX The store stays open: sessions that libmilter has not
	 * finished may still count in it. The process is about to exit.
	 */
}

/* list_one - one line per window of a key */
static int
list_one(const struct limit_info *i, void *arg)
{
	struct strbuf *out = arg;
	int64_t now = now_us();
	char    line[LIMIT_LINE_MAX];
	size_t  k;

	for (k = 0; k < i->nwin; k++) {
		limit_info_line(i, k, now, line, sizeof(line));
		strbuf_puts(out, line);
	}
	return (0);
}

/* mlimits_list - the "limits [SUBJECT]" request */
void
mlimits_list(const char *subject, struct strbuf *out)
{
	struct strbuf body = STRBUF_INIT;
	struct limit_store *s = current();

	if (s == NULL) {
		strbuf_puts(out, "ok\n");
		return;
	}
	if (limit_list(s, subject, now_us(), list_one, &body) < 0)
		strbuf_puts(out, "error out of memory\n");
	else {
		strbuf_puts(out, "ok\n");
		strbuf_puts(out, strbuf_str(&body));
	}
	strbuf_free(&body);
}

/* mlimits_reset - the "reset SUBJECT" request */
void
mlimits_reset(const char *subject, struct strbuf *out)
{
	struct limit_store *s = current();
	struct spread_store *sp;
	long    n = s != NULL ? limit_reset(s, subject) : 0;

	if (n < 0) {
		strbuf_puts(out, "error reset failed\n");
		return;
	}
	pthread_mutex_lock(&mu);
	sp = spread;
	pthread_mutex_unlock(&mu);
	if (sp != NULL)
		n += spread_reset(sp, subject);
	strbuf_printf(out, "ok\n%ld counter%s reset\n", n, n == 1 ? "" : "s");
	if (n > 0)
		log_info("rate counters of %s reset (%ld) from the control "
		    "socket", subject, n);
}
