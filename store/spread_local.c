/*
 * NAME
 *	spread_local 3
 * SUMMARY
 *	the local engine of the networks an identity logs in from
 * SYNOPSIS
 *	#include "store/spread.h"
 *
 *	struct spread_store *spread_local_open(size_t max_keys)
 *	size_t	spread_local_count(struct spread_store *s)
 *
 *	int	spread_note(struct spread_store *s,
 *		const struct limit_key *k, const char *network,
 *		unsigned max, uint32_t period, int64_t now,
 *		struct spread_answer *ans, char *err, size_t errlen)
 *	long	spread_reset(struct spread_store *s, const char *subject)
 *	void	spread_close(struct spread_store *s)
 * DESCRIPTION
 *	Keys live in a hash table split into SPREAD_SHARDS shards, each
 *	with its own mutex and a fixed number of chained buckets. An
 *	entry holds the key ("subject\0name\0") and up to max + 1
 *	networks with the time each was last seen; when a new network
 *	comes and the entry is full, the network seen least recently is
 *	replaced (the count stays above max, which is all a rule asks).
 *
 *	At most max_keys keys are kept. A new key in a full store first
 *	drops, shard by shard, the entries whose every network has aged
 *	out of its period; if that frees nothing, note fails and the
 *	rule answers on-error (fail closed): a flood of identities never
 *	grows memory, and never lets a login through uncounted.
 * DIAGNOSTICS
 *	Errors are returned with a message; nothing is logged.
 * THREADS
 *	Every function may be called from any thread; each shard's mutex
 *	guards its entries, and no two shard locks are ever held at once.
 *	The key count is an atomic.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "store/spread.h"

#define SPREAD_SHARDS	16
#define SPREAD_BUCKETS	1024		/* per shard */

struct seen {
	char    net[SPREAD_NET_MAX];
	int64_t last;
};

struct entry {
	struct entry *next;
	uint32_t hash;
	uint32_t period;		/* seconds, of the last note */
	int64_t last;			/* the latest of seen[].last */
	size_t  klen;			/* subject\0name\0 */
	unsigned cap, n;
	struct seen *seen;
	char    key[];
};

struct shard {
	pthread_mutex_t mu;
	struct entry *b[SPREAD_BUCKETS];
};

struct local {
	struct spread_store base;
	size_t  max_keys;
	atomic_size_t nkeys;
	struct shard sh[SPREAD_SHARDS];
};

/* fnv - FNV-1a of a key of len bytes */
static uint32_t
fnv(const char *k, size_t len)
{
	uint32_t h = 2166136261u;

	while (len-- > 0)
		h = (h ^ (unsigned char) *k++) * 16777619u;
	return (h);
}

/* entry_free - one entry */
static void
entry_free(struct entry *e)
{
	free(e->seen);
	free(e);
}

/* idle - has every network of e aged out at now? */
static int
idle(const struct entry *e, int64_t now)
{
	return (e->last + (int64_t) e->period * LIMIT_US <= now);
}

/* sweep - drop the idle entries of every shard; the number dropped */
static size_t
sweep(struct local *l, int64_t now)
{
	struct entry **pp, *e;
	size_t  i, j, n = 0;

	for (i = 0; i < SPREAD_SHARDS; i++) {
		pthread_mutex_lock(&l->sh[i].mu);
		for (j = 0; j < SPREAD_BUCKETS; j++)
			for (pp = &l->sh[i].b[j]; (e = *pp) != NULL;) {
				if (!idle(e, now)) {
					pp = &e->next;
					continue;
				}
				*pp = e->next;
				entry_free(e);
				n++;
			}
		pthread_mutex_unlock(&l->sh[i].mu);
	}
	atomic_fetch_sub(&l->nkeys, n);
	return (n);
}

/* find - the entry of key in its bucket, or NULL; the shard is locked */
static struct entry *
find(struct entry *b, uint32_t h, const char *key, size_t klen)
{
	for (; b != NULL; b = b->next)
		if (b->hash == h && b->klen == klen &&
		    memcmp(b->key, key, klen) == 0)
			return (b);
	return (NULL);
}

/*
 * fit - make room for one more network in e, up to max + 1 in all,
 * keeping the most recent when the rule's K shrank. Room grows with
 * the networks actually seen. Returns 0, or -1 out of memory.
 */
static int
fit(struct entry *e, unsigned max)
{
	struct seen *ns;
	unsigned want, i, old;

	while (e->n > max + 1) {	/* drop the least recent */
		for (old = 0, i = 1; i < e->n; i++)
			if (e->seen[i].last < e->seen[old].last)
				old = i;
		e->seen[old] = e->seen[--e->n];
	}
	want = e->n < max + 1 ? e->n + 1 : max + 1;
	if (e->cap >= want)
		return (0);
	if ((ns = realloc(e->seen, want * sizeof(*ns))) == NULL)
		return (-1);
	e->seen = ns;
	e->cap = want;
	return (0);
}

/* record - note net at now in e; the answer */
static void
record(struct entry *e, const char *net, uint32_t period, int64_t now,
	unsigned max, struct spread_answer *ans)
{
	int64_t from = now - (int64_t) period * LIMIT_US;
	unsigned i, live = 0, at = e->n, old = 0;

	for (i = 0; i < e->n; i++) {
		if (strcmp(e->seen[i].net, net) == 0)
			at = i;
		else if (e->seen[i].last > from)
			live++;
		if (e->seen[i].last < e->seen[old].last)
			old = i;
	}
	ans->added = at == e->n || e->seen[at].last <= from;
	if (at == e->n) {
		/*
		 * A new network: a free slot, else the least recent one's;
		 * when that one was live, the count stays capped at max + 1.
		 */
		if (e->n < max + 1)
			at = e->n++;
		else {
			at = old;
			if (e->seen[old].last > from)
				live--;
		}
		snprintf(e->seen[at].net, sizeof(e->seen[at].net), "%s", net);
	}
	e->seen[at].last = now;
	if (now > e->last)
		e->last = now;
	e->period = period;
	ans->networks = live + 1;
}

/* local_note - see spread.h */
static int
local_note(struct spread_store *s, const struct limit_key *k,
	const char *net, unsigned max, uint32_t period, int64_t now,
	struct spread_answer *ans, char *err, size_t errlen)
{
	struct local *l = (struct local *) s;
	size_t  ls = strlen(k->subject), ln = strlen(k->name), klen;
	struct shard *sh;
	struct entry *e, **bp;
	char    key[LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 2];
	uint32_t h;

	if (ls > LIMIT_SUBJECT_MAX || ln > LIMIT_NAME_MAX ||
	    strlen(net) >= SPREAD_NET_MAX || max < 1 || max > SPREAD_MAX) {
		snprintf(err, errlen, "bad key, network or count");
		return (-1);
	}
	memcpy(key, k->subject, ls + 1);
	memcpy(key + ls + 1, k->name, ln + 1);
	klen = ls + ln + 2;
	h = fnv(key, klen);
	sh = &l->sh[h % SPREAD_SHARDS];
	bp = &sh->b[(h / SPREAD_SHARDS) % SPREAD_BUCKETS];
	pthread_mutex_lock(&sh->mu);
	if ((e = find(*bp, h, key, klen)) == NULL) {
		if (atomic_load(&l->nkeys) >= l->max_keys) {
			pthread_mutex_unlock(&sh->mu);
			if (sweep(l, now) == 0) {
				snprintf(err, errlen, "the networks store is full "
				    "(%zu identities)", l->max_keys);
				return (-1);
			}
			pthread_mutex_lock(&sh->mu);
			e = find(*bp, h, key, klen);
		}
	}
	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e) + klen)) == NULL) {
			pthread_mutex_unlock(&sh->mu);
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
		e->hash = h;
		e->klen = klen;
		memcpy(e->key, key, klen);
		e->next = *bp;
		*bp = e;
		atomic_fetch_add(&l->nkeys, 1);
	}
	if (fit(e, max) < 0) {
		pthread_mutex_unlock(&sh->mu);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	record(e, net, period, now, max, ans);
	pthread_mutex_unlock(&sh->mu);
	return (0);
}

/* local_reset - see spread.h */
static long
local_reset(struct spread_store *s, const char *subject)
{
	struct local *l = (struct local *) s;
	struct entry **pp, *e;
	size_t  i, j;
	long    n = 0;

	for (i = 0; i < SPREAD_SHARDS; i++) {
		pthread_mutex_lock(&l->sh[i].mu);
		for (j = 0; j < SPREAD_BUCKETS; j++)
			for (pp = &l->sh[i].b[j]; (e = *pp) != NULL;) {
				if (subject != NULL &&
				    strcmp(e->key, subject) != 0) {
					pp = &e->next;
					continue;
				}
				*pp = e->next;
				entry_free(e);
				n++;
			}
		pthread_mutex_unlock(&l->sh[i].mu);
	}
	atomic_fetch_sub(&l->nkeys, (size_t) n);
	return (n);
}

/* local_close - free everything */
static void
local_close(struct spread_store *s)
{
	struct local *l = (struct local *) s;
	size_t  i;

	(void) local_reset(s, NULL);
	for (i = 0; i < SPREAD_SHARDS; i++)
		pthread_mutex_destroy(&l->sh[i].mu);
	free(l);
}

static const struct spread_ops local_ops = {
	.note = local_note,
	.reset = local_reset,
	.close = local_close,
};

/* spread_local_open - the local engine */
struct spread_store *
spread_local_open(size_t max_keys)
{
	struct local *l = xcalloc(1, sizeof(*l));
	size_t  i;

	l->base.ops = &local_ops;
	l->max_keys = max_keys ? max_keys : SPREAD_KEYS_DEFAULT;
	atomic_init(&l->nkeys, 0);
	for (i = 0; i < SPREAD_SHARDS; i++)
		pthread_mutex_init(&l->sh[i].mu, NULL);
	return (&l->base);
}

/* spread_local_count - live keys */
size_t
spread_local_count(struct spread_store *s)
{
	return (atomic_load(&((struct local *) s)->nkeys));
}

/* spread_note - through the vtable */
int
spread_note(struct spread_store *s, const struct limit_key *k,
	const char *net, unsigned max, uint32_t period, int64_t now,
	struct spread_answer *ans, char *err, size_t errlen)
{
	return (s->ops->note(s, k, net, max, period, now, ans, err, errlen));
}

/* spread_reset - through the vtable */
long
spread_reset(struct spread_store *s, const char *subject)
{
	return (s->ops->reset(s, subject));
}

/* spread_close - through the vtable; NULL-safe */
void
spread_close(struct spread_store *s)
{
	if (s != NULL)
		s->ops->close(s);
}
