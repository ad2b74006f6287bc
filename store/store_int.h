#ifndef RG_STORE_INT_H
#define RG_STORE_INT_H

/*
 * store_int - private parts shared by the store/ source files
 *
 * Nothing outside store/ includes this header.
 */
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/store.h"

/* UNCONST - LMDB takes non-const pointers to data it does not change */
#define UNCONST(p)	((void *) (uintptr_t) (const void *) (p))

/* The "meta" database tells a relayguard table from any LMDB file. */
#define STORE_FORMAT_STATIC	"relayguard-table 1 static"
#define STORE_FORMAT_DYNAMIC	"relayguard-table 1 dynamic"
#define STORE_FORMAT_BLOCKS	"relayguard-table 1 blocks"

/* What a table holds (store_env.dynamic): dynamic ones are written live. */
#define STORE_KIND_STATIC	0
#define STORE_KIND_GRANTS	1	/* "dynamic": address -> grant */
#define STORE_KIND_BLOCKS	2	/* identity -> block (store_block.c) */

#define STORE_DB_META	"meta"
#define STORE_DB_KEYS	"keys"		/* static: plain keys */
#define STORE_DB_CIDR	"cidr"		/* static: binary CIDR keys */
#define STORE_DB_GRANTS	"grants"	/* dynamic: address -> grant */
#define STORE_DB_BLOCKS	"blocks"	/* blocks: identity -> block */

/* meta keys */
#define STORE_META_FORMAT	"format"
#define STORE_META_LEN4		"len4"	/* IPv4 prefix lengths, longest first */
#define STORE_META_LEN6		"len6"	/* IPv6 prefix lengths, longest first */

/* A CIDR key: family (4 or 6), length, network bytes (4 or 16). */
#define STORE_CIDR_KEYLEN(fam)	((fam) == ADDR_V4 ? 6 : 18)

/* Why an open failed (store_env.openkind). */
#define STORE_OPEN_OK		0
#define STORE_OPEN_SYS		1	/* missing, permissions, I/O */
#define STORE_OPEN_BROKEN	2	/* not LMDB, truncated, corrupt */
#define STORE_OPEN_FOREIGN	3	/* LMDB, but not a relayguard table */
#define STORE_OPEN_WRONGKIND	4	/* static vs dynamic */

#define STORE_POOL	16		/* reset read transactions kept */

/* What a file looked like, to retry a failed open only after a change. */
struct store_filesig {
	int	err;			/* errno of stat(), or 0 */
	dev_t	dev;
	ino_t	ino;
	off_t	size;
	struct timespec mtim;
	struct timespec ctim;
};

/*
 * One open table file per process, shared by every handle on it. rw is
 * held shared by every lookup and grant, exclusively to (re)open the
 * environment or change its map size. pool_mu guards the pool of reset
 * read transactions; len_mu the cached CIDR length lists.
 */
struct store_env {
	char   *path;
	char   *lockpath;
	int	refs;			/* registry_mu */
	int	dynamic;			/* STORE_KIND_* */
	int	writable;		/* opened read-write (tools, tests) */
	struct store_env *next;		/* registry_mu */

	pthread_rwlock_t rw;
	MDB_env *env;			/* NULL: not open (see openerr) */
	MDB_dbi	dbi_meta;
	MDB_dbi	dbi_keys;		/* static: keys; dynamic: grants */
	MDB_dbi	dbi_cidr;
	dev_t	dev;
	ino_t	ino;
	int	lockfd;			/* root: the lock file, held with env */
	char	openerr[200];		/* why env is NULL */
	int	absent;			/* dynamic table file does not exist */
	int	openkind;		/* STORE_OPEN_* of the last open */
	off_t	minsize;		/* the file must be at least this big */

	atomic_long checked;		/* monotonic second of the last stat */
	atomic_int stale;		/* reopen on the next lookup */
	atomic_int failing;		/* the last lookup failed */
	struct store_filesig failsig;	/* the file when the last open failed */
	int	writers;		/* write handles (registry_mu) */

	pthread_mutex_t pool_mu;
	MDB_txn *pool[STORE_POOL];
	int	npool;

	pthread_mutex_t len_mu;
	size_t	len_txnid;		/* txn id the lists below belong to */
	uint8_t	len4[33];
	uint8_t	len6[129];
	int	nlen4;
	int	nlen6;
};

/*
 * A handle: an LMDB table (e), or a dynamic table kept in Redis (redis,
 * and e NULL; see redis_grant.c).
 */
struct store {
	struct store_env *e;
	int	writer;			/* opened by store_open_write() */
	struct redis_table *redis;
};

/*
 * The smallest map a writer asks for (256 MiB), and the room compile
 * adds to its estimate (64 MiB). Tests lower them to reach
 * MDB_MAP_FULL and MDB_MAP_RESIZED quickly.
 */
extern size_t store_map_min;
extern size_t store_map_slack;

/* How often this process adopted a map another one grew (tests). */
extern atomic_long store_map_resized;

/* Environment access for the other store/ files; see store.c. */
extern int store_env_rdlock(struct store *, char *, size_t);
extern void store_env_unlock(struct store *);
extern int store_env_grow(struct store *, size_t, char *, size_t);
extern void store_env_mark_stale(const char *path);
extern int store_open_env(const char *path, int dynamic, int writable,
	size_t mapsize, struct store **out, char *err, size_t errlen);
extern void store_fix_owner_fd(int fd, int datafile);
extern int store_owner_uid(uid_t *);
extern void store_mdb_err(char *, size_t, const char *path,
	const char *what, int rc);
extern int store_key_cmp(const void *, size_t, const void *, size_t);
extern int store_txn_get(struct store_env *, MDB_txn **);
extern const char *store_kind_name(int kind);

/*
 * store_write_txn - run fn in one write transaction of a dynamic table,
 * growing the map when it is full (store_grant.c). fn returns an LMDB
 * code. Returns 0, or -1 with a message in err and nothing changed.
 */
extern int store_write_txn(struct store *,
	int (*fn) (struct store_env *, MDB_txn *, void *), void *arg,
	char *err, size_t errlen);

/*
 * store_dyn_walk - call fn for every entry of a dynamic table of that
 * kind, in key order, inside one read transaction (fn returns non-zero
 * to stop). A table file that does not exist holds nothing.
 * Returns 0, or -1 with a message in err.
 *
 * store_dyn_get - read key's raw value from a dynamic table (grants or
 * blocks) in a guarded read transaction, copied NUL-terminated to val.
 * A table file that does not exist yet holds nothing. Returns 1 found,
 * 0 not found, -1 error (err filled, logged once per failing spell).
 */
extern int store_dyn_walk(struct store *, int kind,
	int (*fn) (const MDB_val *key, const MDB_val *val, void *),
	void *arg, char *err, size_t errlen);
extern int store_dyn_get(struct store *, int kind, const char *key,
	char *val, size_t vallen, struct store_error *err);
extern void store_txn_put(struct store_env *, MDB_txn *);

/* A table's files opened by descriptor, for root; see store_safe.c. */
struct store_safe {
	int	pfd;			/* private directory, or -1 */
	char   *pdir;			/* its path, to remove it */
	int	datafd;
	int	lockfd;
	int	lock_made;		/* we created the lock file */
	char	lmdbpath[64];		/* what mdb_env_open() is given */
};
extern int store_dir_check(const char *path, char *, size_t);
extern int store_safe_open(const char *path, const char *lockpath,
	int writable, struct store_safe *, char *, size_t);
extern void store_safe_close(struct store_safe *);

/* Guarded reads of a mapped file; see store_guard.c. */
#define STORE_GUARD_FAULT	INT_MIN
extern void store_guard_init(void);
extern int store_guard_call(int (*) (void *), void *);
extern void store_guard_assert(MDB_env *, const char *);
extern void store_fault_msg(char *, size_t, const char *path);

#endif
