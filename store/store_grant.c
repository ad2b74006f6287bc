/*
 * NAME
 *	store_grant - dynamic tables: grants with expiry (spec section 5)
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	int store_grant_match(s, addr, now, err)
 *	int store_grant_find(s, addr, now, info, err)
 *	int store_grant(s, addr, user, expiry, err, errlen)
 *	int store_grant_many(s, reqs, n, err, errlen)
 *	int store_revoke(s, addr, err, errlen)
 *	int store_revoke_user(s, user, removed, err, errlen)
 *	int store_grant_list(s, fn, arg, err, errlen)
 *	int store_purge(s, now, removed, err, errlen)
 * DESCRIPTION
 *	A dynamic table maps the canonical text of a client address
 *	(addr_format(); an IPv4-mapped IPv6 address is its IPv4 address,
 *	so a grant for ::ffff:192.0.2.7 matches the IPv4 client) to
 *	"EXPIRY USER", EXPIRY in seconds since the epoch. A grant matches
 *	while now < EXPIRY: an expired grant never matches, purged or not.
 *
 *	Every change is one LMDB write transaction. LMDB serialises
 *	writers of all processes with the lock file's writer mutex, so
 *	any number of grant, revoke, purge and watch processes can run at
 *	once without losing a grant: purge decides what to delete inside
 *	its own write transaction, from the expiry it reads there, so a
 *	grant refreshed before it runs is kept. A failed write (the map or
 *	the disk is full) aborts its transaction and leaves the table as
 *	it was; the map is grown (up to 4 GiB) when LMDB says it is full.
 *
 *	A dynamic table whose file does not exist yet holds no grants:
 *	store_grant_match() answers 0, so a daemon may start before the
 *	first grant.
 * DIAGNOSTICS
 *	See store.h for each function's return values.
 * THREADS
 *	Every function may run on any number of threads at once, on the
 *	same handle or on handles of the same table. Each takes the
 *	environment's rwlock (store_env_rdlock()) for its whole use of
 *	the environment: shared for a lookup or a write transaction
 *	(LMDB serialises writers itself), exclusive only inside
 *	store_env_grow() to adopt a new map size or to reopen. A lookup
 *	borrows a read transaction from the environment's pool (pool_mu)
 *	and gives it back before it returns; its result is copied into
 *	the caller's memory. The stale and failing flags are atomics,
 *	so the first error is flagged once across threads. Nothing is
 *	kept per thread but store_guard.c's recovery point.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/redis_int.h"
#include "store/store_int.h"

#define MAX_MAPSIZE	((size_t) 4 << 30)

/* decode - parse a grant value "EXPIRY USER" */
static int
decode(const MDB_val *v, struct store_grant_info *g)
{
	char    buf[STORE_USER_MAX + 32];
	char   *end;
	size_t  n = v->mv_size < sizeof(buf) - 1 ? v->mv_size :
	    sizeof(buf) - 1;
	long long t;

	memcpy(buf, v->mv_data, n);
	buf[n] = 0;
	errno = 0;
	t = strtoll(buf, &end, 10);
	if (end == buf || errno != 0 || (*end != ' ' && *end != 0))
		return (-1);
	g->expiry = (time_t) t;
	snprintf(g->user, sizeof(g->user), "%s", *end ? end + 1 : "");
	return (0);
}

/* A dynamic table read in progress (dyn_read() is guarded). */
struct dyn_get {
	struct store_env *e;
	const char *key;
	MDB_txn *txn;			/* aborted by the caller after a fault */
	char   *val;
	size_t  vallen;
	int     rc;
};

/* dyn_read - read one value in its own read transaction */
static int
dyn_read(void *arg)
{
	struct dyn_get *q = arg;
	MDB_val k, v;
	size_t  n;

	k.mv_data = UNCONST(q->key);
	k.mv_size = strlen(q->key);
	if ((q->rc = store_txn_get(q->e, &q->txn)) != 0)
		return (0);
	q->rc = mdb_get(q->txn, q->e->dbi_keys, &k, &v);
	if (q->rc == 0) {
		n = v.mv_size < q->vallen - 1 ? v.mv_size : q->vallen - 1;
		memcpy(q->val, v.mv_data, n);
		q->val[n] = 0;
	}
	store_txn_put(q->e, q->txn);
	q->txn = NULL;
	return (0);
}

/* store_dyn_get - one raw value of a dynamic table (see store_int.h) */
int
store_dyn_get(struct store *s, int kind, const char *key, char *val,
	size_t vallen, struct store_error *err)
{
	struct store_env *e = s->e;
	struct dyn_get q;
	char    msg[sizeof(err->msg)];
	int     rc, r, retried = 0;

	if (err != NULL) {
		err->msg[0] = 0;
		err->first = 0;
	}
	if (e->dynamic != kind) {
		snprintf(msg, sizeof(msg), "%s: not a %s table", e->path,
		    store_kind_name(kind));
		goto fail;
	}
again:
	r = store_env_rdlock(s, msg, sizeof(msg));
	if (r == 1) {
		store_env_unlock(s);
		atomic_store(&e->failing, 0);
		return (0);
	}
	if (r < 0) {
		store_env_unlock(s);
		goto fail;
	}
	memset(&q, 0, sizeof(q));
	q.e = e;
	q.key = key;
	q.val = val;
	q.vallen = vallen;
	if (store_guard_call(dyn_read, &q) == STORE_GUARD_FAULT) {
		if (q.txn != NULL)
			mdb_txn_abort(q.txn);
		atomic_store(&e->stale, 1);
		store_env_unlock(s);
		store_fault_msg(msg, sizeof(msg), e->path);
		goto fail;
	}
	rc = q.rc;
	store_env_unlock(s);
	if (rc == MDB_MAP_RESIZED && !retried) {
		retried = 1;
		if (store_env_grow(s, 0, NULL, 0) == 0)
			goto again;
	}
	if (rc == 0 || rc == MDB_NOTFOUND) {
		atomic_store(&e->failing, 0);
		return (rc == 0);
	}
	atomic_store(&e->stale, 1);
	store_mdb_err(msg, sizeof(msg), e->path, "lookup", rc);
fail:
	if (err != NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
		err->first = !atomic_exchange(&e->failing, 1);
	}
	return (-1);
}

/* store_grant_find - the unexpired grant for addr (see store.h) */
int
store_grant_find(struct store *s, const struct addr *a, time_t now,
	struct store_grant_info *g, struct store_error *err)
{
	struct store_grant_info mine;
	char    key[ADDR_STRLEN];
	char    raw[STORE_USER_MAX + 32];
	MDB_val v;
	int     rc;

	if (g == NULL)
		g = &mine;
	memset(g, 0, sizeof(*g));
	addr_format(a, key, sizeof(key));
	if (s->redis != NULL) {
		struct store_error dummy;

		/* Redis keeps the expiry as the key's TTL: found is live. */
		snprintf(g->addr, sizeof(g->addr), "%s", key);
		return (redis_grant_match(s->redis, a, g->user,
		    sizeof(g->user), err != NULL ? err : &dummy));
	}
	rc = store_dyn_get(s, STORE_KIND_GRANTS, key, raw, sizeof(raw), err);
	if (rc <= 0)
		return (rc);
	v.mv_data = raw;
	v.mv_size = strlen(raw);
	if (decode(&v, g) < 0) {
		if (err != NULL) {
			snprintf(err->msg, sizeof(err->msg), "%s: %s: "
			    "unreadable grant", s->e->path, key);
			err->first = !atomic_exchange(&s->e->failing, 1);
		}
		return (-1);
	}
	snprintf(g->addr, sizeof(g->addr), "%s", key);
	return (now < g->expiry);
}

/* store_grant_match - is there an unexpired grant for addr? */
int
store_grant_match(struct store *s, const struct addr *a, time_t now,
	struct store_error *err)
{
	return (store_grant_find(s, a, now, NULL, err));
}

/* store_write_txn - one write transaction (see store_int.h) */
int
store_write_txn(struct store *s, int (*fn) (struct store_env *, MDB_txn *, void *),
	void *arg, char *err, size_t errlen)
{
	struct store_env *e = s->e;
	MDB_txn *txn;
	MDB_envinfo info;
	int     rc;

	for (;;) {
		if (store_env_rdlock(s, err, errlen) != 0) {
			store_env_unlock(s);
			return (-1);
		}
		if (!e->writable) {
			store_env_unlock(s);
			snprintf(err, errlen, "%s: opened read-only", e->path);
			return (-1);
		}
		(void) mdb_reader_check(e->env, NULL);
		rc = mdb_txn_begin(e->env, NULL, 0, &txn);
		if (rc == 0) {
			rc = fn(e, txn, arg);
			if (rc == 0)
				rc = mdb_txn_commit(txn);
			else
				mdb_txn_abort(txn);
		}
		info.me_mapsize = 0;
		if (rc == MDB_MAP_FULL)
			(void) mdb_env_info(e->env, &info);
		store_env_unlock(s);
		if (rc == MDB_MAP_RESIZED) {
			if (store_env_grow(s, 0, err, errlen) < 0)
				return (-1);
			continue;
		}
		if (rc == MDB_MAP_FULL && info.me_mapsize < MAX_MAPSIZE) {
			if (store_env_grow(s, 2 * info.me_mapsize, err,
			    errlen) < 0)
				return (-1);
			continue;
		}
		break;
	}
	if (rc != 0) {
		store_mdb_err(err, errlen, e->path, rc == MDB_MAP_FULL ?
		    "table full, nothing changed" : rc == ENOSPC ||
		    rc == EIO ? "write failed (disk full?), nothing changed" :
		    "write failed, nothing changed", rc);
		return (-1);
	}
	return (0);
}

struct grant_arg {
	const char *key;
	const char *user;		/* revoke_user */
	char	val[STORE_USER_MAX + 32];
	int	found;
	time_t	now;
	size_t	removed;
};

/* do_grant - put one grant */
static int
do_grant(struct store_env *e, MDB_txn *txn, void *arg)
{
	struct grant_arg *g = arg;
	MDB_val k, v;

	k.mv_data = UNCONST(g->key);
	k.mv_size = strlen(g->key);
	v.mv_data = g->val;
	v.mv_size = strlen(g->val);
	return (mdb_put(txn, e->dbi_keys, &k, &v, 0));
}

struct grant_many_arg {
	const struct store_grant_req *reqs;
	size_t	n;
};

/* do_grant_many - put every grant of a batch */
static int
do_grant_many(struct store_env *e, MDB_txn *txn, void *arg)
{
	struct grant_many_arg *g = arg;
	struct grant_arg one;
	char    key[ADDR_STRLEN];
	size_t  i;
	int     rc;

	for (i = 0; i < g->n; i++) {
		one.key = addr_format(&g->reqs[i].addr, key, sizeof(key));
		snprintf(one.val, sizeof(one.val), "%lld %s",
		    (long long) g->reqs[i].expiry,
		    g->reqs[i].user ? g->reqs[i].user : "");
		if ((rc = do_grant(e, txn, &one)) != 0)
			return (rc);
	}
	return (0);
}

/* check_user - a user name a grant may carry; 0, or -1 with err */
static int
check_user(const char *user, char *err, size_t errlen)
{
	const char *u;

	if (user != NULL && strlen(user) >= STORE_USER_MAX) {
		snprintf(err, errlen, "user name longer than %d bytes",
		    STORE_USER_MAX - 1);
		return (-1);
	}
	for (u = user; u != NULL && *u; u++)
		if ((unsigned char) *u < 0x20 || *u == 0x7f) {
			snprintf(err, errlen, "control character in user name");
			return (-1);
		}
	return (0);
}

/* store_grant_many - several grants in one transaction (see store.h) */
int
store_grant_many(struct store *s, const struct store_grant_req *reqs,
	size_t n, char *err, size_t errlen)
{
	struct grant_many_arg g;
	size_t  i;

	if (s->redis != NULL) {
		for (i = 0; i < n; i++)
			if (check_user(reqs[i].user, err, errlen) < 0)
				return (-1);
		return (n == 0 ? 0 : redis_grant(s->redis, reqs, n, err,
		    errlen));
	}
	if (s->e->dynamic != STORE_KIND_GRANTS) {
		snprintf(err, errlen, "%s: not a dynamic table", s->e->path);
		return (-1);
	}
	for (i = 0; i < n; i++)
		if (check_user(reqs[i].user, err, errlen) < 0)
			return (-1);
	if (n == 0)
		return (0);
	g.reqs = reqs;
	g.n = n;
	return (store_write_txn(s, do_grant_many, &g, err, errlen));
}

/* store_grant - grant addr until expiry (see store.h) */
int
store_grant(struct store *s, const struct addr *a, const char *user,
	time_t expiry, char *err, size_t errlen)
{
	struct grant_arg g;
	char    key[ADDR_STRLEN];

	if (s->redis != NULL) {
		struct store_grant_req req;

		req.addr = *a;
		req.user = user;
		req.expiry = expiry;
		return (store_grant_many(s, &req, 1, err, errlen));
	}
	if (s->e->dynamic != STORE_KIND_GRANTS) {
		snprintf(err, errlen, "%s: not a dynamic table", s->e->path);
		return (-1);
	}
	if (check_user(user, err, errlen) < 0)
		return (-1);
	memset(&g, 0, sizeof(g));
	g.key = addr_format(a, key, sizeof(key));
	snprintf(g.val, sizeof(g.val), "%lld %s", (long long) expiry,
	    user ? user : "");
	return (store_write_txn(s, do_grant, &g, err, errlen));
}

/* do_revoke - delete one grant */
static int
do_revoke(struct store_env *e, MDB_txn *txn, void *arg)
{
	struct grant_arg *g = arg;
	MDB_val k;
	int     rc;

	k.mv_data = UNCONST(g->key);
	k.mv_size = strlen(g->key);
	rc = mdb_del(txn, e->dbi_keys, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return (0);
	g->found = rc == 0;
	return (rc);
}

/* store_revoke - remove a grant (see store.h) */
int
store_revoke(struct store *s, const struct addr *a, char *err,
	size_t errlen)
{
	struct grant_arg g;
	char    key[ADDR_STRLEN];

	if (s->redis != NULL)
		return (redis_revoke(s->redis, a, err, errlen));
	if (s->e->dynamic != STORE_KIND_GRANTS) {
		snprintf(err, errlen, "%s: not a dynamic table", s->e->path);
		return (-1);
	}
	memset(&g, 0, sizeof(g));
	g.key = addr_format(a, key, sizeof(key));
	if (store_write_txn(s, do_revoke, &g, err, errlen) < 0)
		return (-1);
	return (g.found);
}

/*
 * doomed - is this grant one to delete? Purge: expired or unreadable
 * (garbage too); revoke_user: readable and that user's.
 */
static int
doomed(const struct grant_arg *g, const MDB_val *v)
{
	struct store_grant_info gi;
	int     ok = decode(v, &gi) == 0;

	if (g->user != NULL)
		return (ok && strcasecmp(gi.user, g->user) == 0);
	return (!ok || gi.expiry <= g->now);
}

/* do_delete - delete the doomed grants, counting them */
static int
do_delete(struct store_env *e, MDB_txn *txn, void *arg)
{
	struct grant_arg *g = arg;
	MDB_cursor *cur;
	MDB_val k, v;
	int     rc;

	g->removed = 0;
	if ((rc = mdb_cursor_open(txn, e->dbi_keys, &cur)) != 0)
		return (rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (doomed(g, &v)) {
			if ((rc = mdb_cursor_del(cur, 0)) != 0)
				break;
			g->removed++;
		}
	}
	mdb_cursor_close(cur);
	return (rc == MDB_NOTFOUND ? 0 : rc);
}

/* store_revoke_user - remove every grant of a user (see store.h) */
int
store_revoke_user(struct store *s, const char *user, size_t *removed,
	char *err, size_t errlen)
{
	struct grant_arg g;

	if (s->redis != NULL)
		return (redis_revoke_user(s->redis, user, removed, err,
		    errlen));
	if (s->e->dynamic != STORE_KIND_GRANTS) {
		snprintf(err, errlen, "%s: not a dynamic table", s->e->path);
		return (-1);
	}
	memset(&g, 0, sizeof(g));
	g.user = user;
	if (user == NULL || *user == 0) {
		snprintf(err, errlen, "no user named");
		return (-1);
	}
	if (store_write_txn(s, do_delete, &g, err, errlen) < 0)
		return (-1);
	if (removed != NULL)
		*removed = g.removed;
	return (0);
}

/* store_purge - remove expired grants (see store.h) */
int
store_purge(struct store *s, time_t now, size_t *removed, char *err,
	size_t errlen)
{
	struct grant_arg g;

	if (s->redis != NULL)
		return (redis_purge(s->redis, removed, err, errlen));
	if (s->e->dynamic != STORE_KIND_GRANTS) {
		snprintf(err, errlen, "%s: not a dynamic table", s->e->path);
		return (-1);
	}
	memset(&g, 0, sizeof(g));
	g.now = now;
	if (store_write_txn(s, do_delete, &g, err, errlen) < 0)
		return (-1);
	if (removed != NULL)
		*removed = g.removed;
	return (0);
}

/* store_dyn_walk - every entry of a dynamic table (see store_int.h) */
int
store_dyn_walk(struct store *s, int kind,
	int (*fn) (const MDB_val *, const MDB_val *, void *), void *arg,
	char *err, size_t errlen)
{
	struct store_env *e = s->e;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int     rc, r;

	if (e->dynamic != kind) {
		snprintf(err, errlen, "%s: not a %s table", e->path,
		    store_kind_name(kind));
		return (-1);
	}
	r = store_env_rdlock(s, err, errlen);
	if (r != 0) {
		store_env_unlock(s);
		return (r == 1 ? 0 : -1);
	}
	rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
	if (rc == 0) {
		rc = mdb_cursor_open(txn, e->dbi_keys, &cur);
		if (rc == 0) {
			for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
			    rc == 0;
			    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
				if (fn(&k, &v, arg) != 0) {
					rc = MDB_NOTFOUND;
					break;
				}
			}
			mdb_cursor_close(cur);
		}
		mdb_txn_abort(txn);
	}
	store_env_unlock(s);
	if (rc != MDB_NOTFOUND) {
		store_mdb_err(err, errlen, e->path, "list", rc);
		return (-1);
	}
	return (0);
}

/* A walk of the grants. */
struct grant_walk {
	int     (*fn) (const struct store_grant_info *, void *);
	void   *arg;
};

/* grant_visit - decode one grant for store_grant_list() */
static int
grant_visit(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct grant_walk *w = arg;
	struct store_grant_info g;

	memset(&g, 0, sizeof(g));
	snprintf(g.addr, sizeof(g.addr), "%.*s", (int) k->mv_size,
	    (const char *) k->mv_data);
	if (decode(v, &g) < 0)
		g.expiry = 0;
	return (w->fn(&g, w->arg));
}

/* store_grant_list - walk the grants (see store.h) */
int
store_grant_list(struct store *s,
	int (*fn) (const struct store_grant_info *, void *), void *arg,
	char *err, size_t errlen)
{
	struct grant_walk w;

	if (s->redis != NULL)
		return (redis_grant_list(s->redis, fn, arg, err, errlen));
	w.fn = fn;
	w.arg = arg;
	return (store_dyn_walk(s, STORE_KIND_GRANTS, grant_visit, &w, err,
	    errlen));
}
