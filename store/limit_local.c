/*
 * NAME
 *	limit_local 3
 * SUMMARY
 *	the local rate-counter engine: memory shared by threads, LMDB file
 * SYNOPSIS
 *	#include "store/limit.h"
 *
 *	int	limit_local_open(const char *path, int readonly,
 *		struct limit_store **out, char *err, size_t errlen)
 *	size_t	limit_local_count(struct limit_store *s)
 * DESCRIPTION
 *	Counters live in a hash table split into LOCAL_SHARDS shards,
 *	each with its own mutex: a decision locks one shard for a hash
 *	probe and a few additions, and two subjects rarely share a
 *	shard, so threads do not queue behind each other. The store
 *	belongs to the daemon, not to a configuration: a reload keeps it.
 *
 *	With a path, limit_local_open() reads the LMDB file back (a
 *	missing file is created) and limit_flush() writes to it, in one
 *	write transaction, every key changed since the last flush, and
 *	removes the keys that are idle again (every window full: such a
 *	key is the same as no key). The daemon flushes every few seconds
 *	and when it stops; a crash loses what was counted since the last
 *	flush, so a subject may then send that much again: the bound is
 *	documented in relayguard.conf(5). A flush that fails writes
 *	everything on the next one.
 *
 *	The store holds at most LOCAL_KEYS_MAX keys: when it is full, idle
 *	keys of the shard are dropped, and a take that still finds no room
 *	fails (the rule then yields on-error, a tempfail by default), so
 *	a flood of subjects cannot exhaust memory.
 *
 *	The file: one LMDB database, key "subject\0name", value a
 *	version byte, the window count, the denials and per window count,
 *	period, TAT and fraction, in host byte order (the file stays on
 *	its host).
 * DIAGNOSTICS
 *	Errors are returned with a message; nothing is logged.
 * THREADS
 *	Every operation may be called from any thread. Each shard's mutex
 *	guards its entries; flush copies changed entries out under the
 *	shard lock and writes them with no shard locked, so decisions go
 *	on while a flush syncs the file. A second mutex serialises
 *	flushes and the list of keys reset since the last one.
 */
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/limit.h"

#define LOCAL_SHARDS	64
#define LOCAL_KEYS_MAX	(1u << 20)
#define LOCAL_MAPSIZE	((size_t) 512 << 20)
#define LOCAL_VERSION	1

struct entry {
	struct entry *next;
	uint32_t hash;
	uint8_t nwin;
	uint8_t dirty;
	uint16_t klen;			/* subject\0name\0, both NULs counted */
	unsigned long denials;
	struct limit_window win[LIMIT_WINDOWS_MAX];
	struct limit_tat st[LIMIT_WINDOWS_MAX];
	char    key[];
};

struct shard {
	pthread_mutex_t mu;
	struct entry **b;
	size_t  nb;			/* buckets, a power of two */
	size_t  n;
};

struct local {
	struct limit_store base;
	struct shard sh[LOCAL_SHARDS];
	atomic_size_t nkeys;
	pthread_mutex_t fmu;		/* flushes; dels */
	char  **dels;			/* keys reset since the last flush */
	size_t *dlen;
	size_t  ndels;
	int     drop_all;		/* reset of everything pending */
	int     write_all;		/* the last flush failed */
	MDB_env *env;
	MDB_dbi dbi;
	int     readonly;
};

/* The value in the file. */
struct disk_win {
	uint32_t count, period;
	int64_t tat;
	uint32_t frac, pad;
};

struct disk_val {
	uint8_t version, nwin, pad[2];
	uint32_t denials;
	struct disk_win w[LIMIT_WINDOWS_MAX];
};

/* key_hash - FNV-1a over the key bytes */
static uint32_t
key_hash(const char *k, size_t len)
{
	uint32_t h = 2166136261u;
	size_t  i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char) k[i];
		h *= 16777619u;
	}
	return (h);
}

/* key_build - "subject\0name\0" into buf; its length, or 0 when too long */
static size_t
key_build(const struct limit_key *k, char *buf, size_t len)
{
	size_t  sl = strlen(k->subject), nl = strlen(k->name);

	if (sl > LIMIT_SUBJECT_MAX || nl > LIMIT_NAME_MAX || sl + nl + 2 > len)
		return (0);
	memcpy(buf, k->subject, sl + 1);
	memcpy(buf + sl + 1, k->name, nl + 1);
	return (sl + nl + 2);
}

/* shard_of - the shard of a hash */
static struct shard *
shard_of(struct local *s, uint32_t h)
{
	return (&s->sh[(h >> 24) % LOCAL_SHARDS]);
}

/* find - the entry of key in sh, with the link that points to it */
static struct entry *
find(struct shard *sh, uint32_t h, const char *key, size_t klen,
	struct entry ***linkp)
{
	struct entry **l, *e;

	if (sh->nb == 0)
		return (NULL);
	for (l = &sh->b[h & (sh->nb - 1)]; (e = *l) != NULL; l = &e->next)
		if (e->hash == h && e->klen == klen &&
		    memcmp(e->key, key, klen) == 0) {
			if (linkp)
				*linkp = l;
			return (e);
		}
	return (NULL);
}

/* grow - double the buckets of sh; 0 or -1 */
static int
grow(struct shard *sh)
{
	size_t  nb = sh->nb ? sh->nb * 2 : 64, i;
	struct entry **b, *e, *nx;

	if ((b = calloc(nb, sizeof(*b))) == NULL)
		return (-1);
	for (i = 0; i < sh->nb; i++)
		for (e = sh->b[i]; e != NULL; e = nx) {
			nx = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	free(sh->b);
	sh->b = b;
	sh->nb = nb;
	return (0);
}

/* sweep - drop the idle entries of sh at now; how many */
static size_t
sweep(struct local *s, struct shard *sh, int64_t now)
{
	struct entry **l, *e;
	size_t  i, n = 0;

	for (i = 0; i < sh->nb; i++)
		for (l = &sh->b[i]; (e = *l) != NULL;) {
			if (!e->dirty && limit_gcra_idle(e->st, e->nwin, now)) {
				*l = e->next;
				free(e);
				sh->n--;
				n++;
			} else
				l = &e->next;
		}
	atomic_fetch_sub(&s->nkeys, n);
	return (n);
}

/* insert - a new empty entry for key in sh; NULL when full or no memory */
static struct entry *
insert(struct local *s, struct shard *sh, uint32_t h, const char *key,
	size_t klen, int64_t now)
{
	struct entry *e;

	if (atomic_load(&s->nkeys) >= LOCAL_KEYS_MAX &&
	    sweep(s, sh, now) == 0)
		return (NULL);
	if (sh->n >= sh->nb && grow(sh) < 0)
		return (NULL);
	if ((e = calloc(1, sizeof(*e) + klen)) == NULL)
		return (NULL);
	e->hash = h;
	e->klen = (uint16_t) klen;
	memcpy(e->key, key, klen);
	e->next = sh->b[h & (sh->nb - 1)];
	sh->b[h & (sh->nb - 1)] = e;
	sh->n++;
	atomic_fetch_add(&s->nkeys, 1);
	return (e);
}

/* conform - make e's windows those of the limit (limit_gcra_conform()) */
static void
conform(struct entry *e, const struct limit_window *win, size_t nwin)
{
	size_t  n = e->nwin;

	limit_gcra_conform(e->win, e->st, &n, win, nwin);
	e->nwin = (uint8_t) n;
}

/* Where a key lives: its bytes, hash and shard. */
struct where {
	char    key[LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 2];
	size_t  klen;
	uint32_t h;
	struct shard *sh;
};

/* locate - w for k, its shard locked; 0, or -1 when the key is too long */
static int
locate(struct local *s, const struct limit_key *k, struct where *w)
{
	if ((w->klen = key_build(k, w->key, sizeof(w->key))) == 0)
		return (-1);
	w->h = key_hash(w->key, w->klen);
	w->sh = shard_of(s, w->h);
	pthread_mutex_lock(&w->sh->mu);
	return (0);
}

/* local_take - the take operation */
static int
local_take(struct limit_store *base, const struct limit_key *k,
	const struct limit_window *win, size_t nwin, int64_t now, unsigned n,
	struct limit_answer *ans)
{
	struct local *s = (struct local *) base;
	struct where w;
	struct entry *e;

	if (nwin == 0 || nwin > LIMIT_WINDOWS_MAX || locate(s, k, &w) < 0)
		return (-1);
	if ((e = find(w.sh, w.h, w.key, w.klen, NULL)) == NULL &&
	    (e = insert(s, w.sh, w.h, w.key, w.klen, now)) == NULL) {
		pthread_mutex_unlock(&w.sh->mu);
		return (-1);
	}
	conform(e, win, nwin);
	if (limit_gcra_idle(e->st, e->nwin, now))
		e->denials = 0;
	if (!limit_gcra_take(e->st, win, nwin, now, n, ans))
		e->denials++;
	ans->denials = e->denials;
	e->dirty = 1;
	pthread_mutex_unlock(&w.sh->mu);
	return (0);
}

/* local_give - the give operation */
static int
local_give(struct limit_store *base, const struct limit_key *k,
	const struct limit_window *win, size_t nwin, int64_t now, unsigned n)
{
	struct where w;
	struct entry *e;

	if (nwin == 0 || nwin > LIMIT_WINDOWS_MAX ||
	    locate((struct local *) base, k, &w) < 0)
		return (-1);
	if ((e = find(w.sh, w.h, w.key, w.klen, NULL)) != NULL) {
		conform(e, win, nwin);
		limit_gcra_give(e->st, e->win, e->nwin, now, n);
		e->dirty = 1;
	}
	pthread_mutex_unlock(&w.sh->mu);
	return (0);
}

/* info_fill - *out from e at now */
static void
info_fill(const struct entry *e, int64_t now, struct limit_info *out)
{
	size_t  sl = strlen(e->key);

	memcpy(out->subject, e->key, sl + 1);
	snprintf(out->name, sizeof(out->name), "%s", e->key + sl + 1);
	out->denials = limit_gcra_idle(e->st, e->nwin, now) ? 0 : e->denials;
	limit_gcra_info(e->st, e->win, e->nwin, now, out);
}

/* local_peek - the peek operation */
static int
local_peek(struct limit_store *base, const struct limit_key *k, int64_t now,
	struct limit_info *out)
{
	struct where w;
	struct entry *e;
	int     found = 0;

	if (locate((struct local *) base, k, &w) < 0)
		return (-1);
	if ((e = find(w.sh, w.h, w.key, w.klen, NULL)) != NULL) {
		info_fill(e, now, out);
		found = 1;
	}
	pthread_mutex_unlock(&w.sh->mu);
	return (found);
}

/* subject_is - does e count subject (NULL: any)? */
static int
subject_is(const struct entry *e, const char *subject)
{
	return (subject == NULL || strcmp(e->key, subject) == 0);
}

/* del_note - remember key for deletion from the file at the next flush */
static void
del_note(struct local *s, const char *key, size_t klen)
{
	char  **dels, *k;
	size_t *dlen;

	if (s->env == NULL || s->drop_all)
		return;
	if ((dels = realloc(s->dels, (s->ndels + 1) * sizeof(*dels))) != NULL)
		s->dels = dels;
	if ((dlen = realloc(s->dlen, (s->ndels + 1) * sizeof(*dlen))) != NULL)
		s->dlen = dlen;
	if (dels == NULL || dlen == NULL || (k = malloc(klen)) == NULL) {
		s->write_all = 1;	/* XXX then the file keeps the key */
		return;
	}
	memcpy(k, key, klen);
	s->dels[s->ndels] = k;
	s->dlen[s->ndels++] = klen;
}

/* local_reset - the reset operation */
static long
local_reset(struct limit_store *base, const char *subject)
{
	struct local *s = (struct local *) base;
	struct entry **l, *e;
	size_t  i, j, n = 0;

	pthread_mutex_lock(&s->fmu);
	if (subject == NULL)
		s->drop_all = 1;
	for (i = 0; i < LOCAL_SHARDS; i++) {
		struct shard *sh = &s->sh[i];

		pthread_mutex_lock(&sh->mu);
		for (j = 0; j < sh->nb; j++)
			for (l = &sh->b[j]; (e = *l) != NULL;) {
				if (!subject_is(e, subject)) {
					l = &e->next;
					continue;
				}
				del_note(s, e->key, e->klen);
				*l = e->next;
				free(e);
				sh->n--;
				n++;
			}
		pthread_mutex_unlock(&sh->mu);
	}
	atomic_fetch_sub(&s->nkeys, n);
	pthread_mutex_unlock(&s->fmu);
	return ((long) n);
}

/* local_list - the list operation */
static int
local_list(struct limit_store *base, const char *subject, int64_t now,
	int (*fn) (const struct limit_info *, void *), void *arg)
{
	struct local *s = (struct local *) base;
	struct limit_info *buf = NULL, *nb;
	struct entry *e;
	size_t  i, j, n = 0, cap = 0, k;
	int     rc = 0;

	/* Copied out shard by shard: fn runs with no lock held. */
	for (i = 0; i < LOCAL_SHARDS && rc == 0; i++) {
		struct shard *sh = &s->sh[i];

		n = 0;
		pthread_mutex_lock(&sh->mu);
		for (j = 0; j < sh->nb && rc == 0; j++)
			for (e = sh->b[j]; e != NULL; e = e->next) {
				if (!subject_is(e, subject) ||
				    limit_gcra_idle(e->st, e->nwin, now))
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 16;
					if ((nb = realloc(buf, cap *
					    sizeof(*buf))) == NULL) {
						rc = -1;
						break;
					}
					buf = nb;
				}
				info_fill(e, now, &buf[n++]);
			}
		pthread_mutex_unlock(&sh->mu);
		for (k = 0; k < n && rc == 0; k++)
			if (fn(&buf[k], arg) != 0)
				rc = 1;
	}
	free(buf);
	return (rc < 0 ? -1 : 0);
}

/* Changed entries copied out of the shards for one flush. */
struct pending {
	char    key[LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 2];
	size_t  klen;
	int     del;			/* idle: remove from the file */
	struct disk_val v;
};

/* val_pack - the file's value of e */
static void
val_pack(const struct entry *e, struct disk_val *v)
{
	size_t  i;

	memset(v, 0, sizeof(*v));
	v->version = LOCAL_VERSION;
	v->nwin = e->nwin;
	v->denials = e->denials > UINT32_MAX ? UINT32_MAX :
	    (uint32_t) e->denials;
	for (i = 0; i < e->nwin; i++) {
		v->w[i].count = e->win[i].count;
		v->w[i].period = e->win[i].period;
		v->w[i].tat = e->st[i].tat;
		v->w[i].frac = e->st[i].frac;
	}
}

/* collect - copy out the entries to write; idle ones leave memory */
static int
collect(struct local *s, int64_t now, int all, struct pending **out,
	size_t *np)
{
	struct pending *p = NULL, *nb;
	struct entry **l, *e;
	size_t  i, j, n = 0, cap = 0, gone;

	for (i = 0; i < LOCAL_SHARDS; i++) {
		struct shard *sh = &s->sh[i];

		gone = 0;
		pthread_mutex_lock(&sh->mu);
		for (j = 0; j < sh->nb; j++)
			for (l = &sh->b[j]; (e = *l) != NULL;) {
				int     idle = limit_gcra_idle(e->st, e->nwin, now);

				if (!e->dirty && !all && !idle) {
					l = &e->next;
					continue;
				}
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					if ((nb = realloc(p, cap *
					    sizeof(*p))) == NULL) {
						pthread_mutex_unlock(&sh->mu);
						free(p);
						return (-1);
					}
					p = nb;
				}
				memcpy(p[n].key, e->key, e->klen);
				p[n].klen = e->klen;
				p[n].del = idle;
				val_pack(e, &p[n].v);
				n++;
				e->dirty = 0;
				if (idle) {
					*l = e->next;
					free(e);
					sh->n--;
					gone++;
				} else
					l = &e->next;
			}
		pthread_mutex_unlock(&sh->mu);
		atomic_fetch_sub(&s->nkeys, gone);
	}
	*out = p;
	*np = n;
	return (0);
}

/* pending_cmp - key order, so that LMDB writes its pages in order */
static int
pending_cmp(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	size_t  n = x->klen < y->klen ? x->klen : y->klen;
	int     c = memcmp(x->key, y->key, n);

	return (c != 0 ? c : (x->klen > y->klen) - (x->klen < y->klen));
}

/* local_flush - write what changed to the file */
static int
local_flush(struct limit_store *base, int64_t now, char *err, size_t errlen)
{
	struct local *s = (struct local *) base;
	struct pending *p = NULL;
	size_t  n = 0, i;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	int     rc = 0, all;

	pthread_mutex_lock(&s->fmu);
	if (s->env == NULL || s->readonly) {
		/* Memory only: flushing just drops idle keys. */
		for (i = 0; i < LOCAL_SHARDS; i++) {
			pthread_mutex_lock(&s->sh[i].mu);
			sweep(s, &s->sh[i], now);
			pthread_mutex_unlock(&s->sh[i].mu);
		}
		pthread_mutex_unlock(&s->fmu);
		return (0);
	}
	all = s->write_all || s->drop_all;
	if (collect(s, now, all, &p, &n) < 0) {
		snprintf(err, errlen, "out of memory");
		s->write_all = 1;
		pthread_mutex_unlock(&s->fmu);
		return (-1);
	}
	if (n > 1)
		qsort(p, n, sizeof(*p), pending_cmp);
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		goto fail;
	if (s->drop_all && (rc = mdb_drop(txn, s->dbi, 0)) != 0)
		goto fail;
	for (i = 0; i < s->ndels; i++) {
		k.mv_data = s->dels[i];
		k.mv_size = s->dlen[i];
		if ((rc = mdb_del(txn, s->dbi, &k, NULL)) != 0 &&
		    rc != MDB_NOTFOUND)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		k.mv_data = p[i].key;
		k.mv_size = p[i].klen;
		if (p[i].del) {
			if ((rc = mdb_del(txn, s->dbi, &k, NULL)) != 0 &&
			    rc != MDB_NOTFOUND)
				goto fail;
			continue;
		}
		v.mv_data = &p[i].v;
		v.mv_size = sizeof(p[i].v);
		if ((rc = mdb_put(txn, s->dbi, &k, &v, 0)) != 0)
			goto fail;
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	for (i = 0; i < s->ndels; i++)
		free(s->dels[i]);
	s->ndels = 0;
	s->drop_all = 0;
	s->write_all = 0;
	free(p);
	pthread_mutex_unlock(&s->fmu);
	return (0);
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	snprintf(err, errlen, "%s", mdb_strerror(rc));
	s->write_all = 1;		/* and the dels stay for the next try */
	free(p);
	pthread_mutex_unlock(&s->fmu);
	return (-1);
}

/* load - read the file's counters into memory */
static int
load(struct local *s, char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	struct disk_val dv;
	struct entry *e;
	struct shard *sh;
	uint32_t h;
	size_t  i;
	int     rc;

	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0) {
		snprintf(err, errlen, "%s", mdb_strerror(rc));
		return (-1);
	}
	if ((rc = mdb_cursor_open(txn, s->dbi, &cur)) != 0) {
		mdb_txn_abort(txn);
		snprintf(err, errlen, "%s", mdb_strerror(rc));
		return (-1);
	}
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		/* Anything not written by us is skipped, not trusted. */
		if (v.mv_size != sizeof(dv) || k.mv_size < 2 ||
		    k.mv_size > LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 2 ||
		    ((char *) k.mv_data)[k.mv_size - 1] != 0 ||
		    memchr(k.mv_data, 0, k.mv_size) ==
		    (char *) k.mv_data + k.mv_size - 1)
			continue;
		memcpy(&dv, v.mv_data, sizeof(dv));
		if (dv.version != LOCAL_VERSION || dv.nwin < 1 ||
		    dv.nwin > LIMIT_WINDOWS_MAX)
			continue;
		for (i = 0; i < dv.nwin; i++)
			if (dv.w[i].count < 1 || dv.w[i].count > LIMIT_COUNT_MAX ||
			    dv.w[i].period < 1 ||
			    dv.w[i].period > LIMIT_PERIOD_MAX ||
			    dv.w[i].frac >= dv.w[i].count)
				break;
		if (i < dv.nwin)
			continue;
		h = key_hash(k.mv_data, k.mv_size);
		sh = shard_of(s, h);
		if (find(sh, h, k.mv_data, k.mv_size, NULL) != NULL ||
		    (e = insert(s, sh, h, k.mv_data, k.mv_size, INT64_MIN)) == NULL)
			continue;
		e->nwin = dv.nwin;
		e->denials = dv.denials;
		for (i = 0; i < dv.nwin; i++) {
			e->win[i].count = dv.w[i].count;
			e->win[i].period = dv.w[i].period;
			e->st[i].tat = dv.w[i].tat;
			e->st[i].frac = dv.w[i].frac;
		}
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return (0);
}

/* local_close - free everything; does not flush */
static void
local_close(struct limit_store *base)
{
	struct local *s = (struct local *) base;
	struct entry *e, *nx;
	size_t  i, j;

	for (i = 0; i < LOCAL_SHARDS; i++) {
		for (j = 0; j < s->sh[i].nb; j++)
			for (e = s->sh[i].b[j]; e != NULL; e = nx) {
				nx = e->next;
				free(e);
			}
		free(s->sh[i].b);
		pthread_mutex_destroy(&s->sh[i].mu);
	}
	for (i = 0; i < s->ndels; i++)
		free(s->dels[i]);
	free(s->dels);
	free(s->dlen);
	if (s->env != NULL)
		mdb_env_close(s->env);
	pthread_mutex_destroy(&s->fmu);
	free(s);
}

static const struct limit_ops local_ops = {
	.take = local_take,
	.give = local_give,
	.peek = local_peek,
	.reset = local_reset,
	.list = local_list,
	.flush = local_flush,
	.close = local_close,
};

/* env_open - open (or create) the file; 0 or -1 */
static int
env_open(struct local *s, const char *path, char *err, size_t errlen)
{
	MDB_txn *txn;
	int     rc;

	if ((rc = mdb_env_create(&s->env)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, LOCAL_MAPSIZE)) != 0 ||
	    (rc = mdb_env_open(s->env, path, MDB_NOSUBDIR | MDB_NOTLS |
	    (s->readonly ? MDB_RDONLY : 0), 0600)) != 0 ||
	    (rc = mdb_txn_begin(s->env, NULL, s->readonly ? MDB_RDONLY : 0,
	    &txn)) != 0) {
		snprintf(err, errlen, "%s: %s", path, mdb_strerror(rc));
		return (-1);
	}
	if ((rc = mdb_dbi_open(txn, NULL, 0, &s->dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		snprintf(err, errlen, "%s: %s", path, mdb_strerror(rc));
		return (-1);
	}
	if (load(s, err, errlen) < 0)
		return (-1);
	return (0);
}

/* limit_local_open - the local engine */
int
limit_local_open(const char *path, int readonly, struct limit_store **out,
	char *err, size_t errlen)
{
	struct local *s;
	size_t  i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	s->base.ops = &local_ops;
	s->readonly = readonly;
	atomic_init(&s->nkeys, 0);
	pthread_mutex_init(&s->fmu, NULL);
	for (i = 0; i < LOCAL_SHARDS; i++)
		pthread_mutex_init(&s->sh[i].mu, NULL);
	if (path != NULL && env_open(s, path, err, errlen) < 0) {
		local_close(&s->base);
		return (-1);
	}
	*out = &s->base;
	return (0);
}

/* limit_local_count - live keys */
size_t
limit_local_count(struct limit_store *base)
{
	return (atomic_load(&((struct local *) base)->nkeys));
}
