/*
 * NAME
 *	store - LMDB access tables: open, lookup, reopen
 * SYNOPSIS
 *	#include "store/store.h"
 *
 *	int store_open(path, dynamic, out, err, errlen)
 *	int store_open_write(path, dynamic, out, err, errlen)
 *	void store_close(s)
 *	const char *store_path(s)
 *	int store_lookup(s, fact, key, delims, val, vallen, matched,
 *		matchedlen, err)
 *	int store_lookup_addr(s, addr, val, vallen, matched, matchedlen,
 *		err)
 *	void store_set_owner(user)
 * DESCRIPTION
 *	A table is one LMDB file opened with MDB_NOSUBDIR: the file the
 *	configuration names, plus PATH-lock beside it. It holds three
 *	named databases: "meta" (format marker and the CIDR prefix
 *	lengths present), "keys" (plain keys, lowercased) and "cidr"
 *	(CIDR keys as family, length and masked network bytes). A dynamic
 *	table holds "meta" and "grants" (store_grant.c).
 *
 *	LMDB forbids opening one file twice in a process, so every open
 *	environment is kept in a process-wide registry keyed by path and
 *	reference counted; store_open() returns a handle on the shared
 *	one. Environments use MDB_NOTLS, so a read transaction is not tied
 *	to a thread (libmilter runs one connection on several threads),
 *	and every lookup takes a short read-only transaction from a small
 *	pool of reset ones (mdb_txn_renew() needs no lock-table mutex)
 *	and copies its answer out before the transaction ends.
 *
 *	Reopening. "relayguardctl compile" normally rewrites a table in
 *	place in one write transaction (store_compile.c), which readers
 *	see on their next transaction without reopening. It replaces the
 *	file by rename() only when the old one is missing or unreadable,
 *	and readers notice that: at most once a second a lookup stat()s
 *	the path and reopens when the inode changed or the file shrank
 *	below what the environment uses. An environment whose open
 *	failed is retried at most once a second; one whose lookup hit an
 *	LMDB error is reopened on the next lookup. MDB_MAP_RESIZED (a
 *	writer grew the map) is handled by taking the environment's lock
 *	exclusively, adopting the new size and retrying.
 *
 *	Ownership. When the process runs as root, the lock files it
 *	creates (and data files, for writers) are given to the group of
 *	the relayguard user (store_set_owner()), mode 0660 (lock) and
 *	0640 (data), so that the unprivileged daemon can read the table
 *	and write its reader slot in the lock file, and nobody else can
 *	write anything.
 * DIAGNOSTICS
 *	Lookups return 1 found, 0 not found, -1 error with a message in
 *	the caller's struct store_error; first is set on the first error
 *	since the table last answered, so that the caller logs once. A
 *	missing, empty, truncated, corrupt or foreign file is an error,
 *	never "not found"; except that a dynamic table that does not
 *	exist yet holds no grants.
 *
 *	A table file truncated or overwritten in place by something other
 *	than relayguardctl while it is mapped makes reads of the map fault
 *	(SIGBUS, SIGSEGV) or fail LMDB's assertions. Every read of the map
 *	in a lookup or an open runs under store_guard_call(): a fault is a
 *	lookup error like any other, the read transaction is aborted and
 *	the environment reopened on the next lookup.
 *	Compile's write transaction is guarded too (store_compile.c): a
 *	damaged table is then built afresh beside and renamed in.
 * BUGS
 *	grant, revoke and purge are not guarded: a dynamic table cut short
 *	under them can crash relayguardctl (its write transaction never
 *	commits). Random bytes written into a table's pages can read as
 *	"not found" rather than as damage: LMDB keeps no page checksums.
 *	A table whose main database is garbage cannot be told from an
 *	LMDB file of another program, and compile refuses to overwrite it.
 * THREADS
 *	Every function is thread-safe except store_set_owner().
 */
/* pthread_rwlockattr_setkind_np(): writers must not starve (below). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "common/rcpt.h"
#include "store/redis_int.h"
#include "store/store_int.h"

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct store_env *registry;

static const char *owner_user = "relayguard";

/* Map sizes; variables only so that tests can make maps fill quickly. */
size_t	store_map_min = (size_t) 256 << 20;
size_t	store_map_slack = (size_t) 64 << 20;
atomic_long store_map_resized;

/* mono_sec - a coarse monotonic clock in seconds */
static long
mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ((long) ts.tv_sec);
}

/* store_mdb_err - format an LMDB or errno failure */
void
store_mdb_err(char *buf, size_t len, const char *path, const char *what,
	int rc)
{
	if (buf == NULL || len == 0)
		return;
	snprintf(buf, len, "%s: %s: %s", path, what, mdb_strerror(rc));
}

/* store_fault_msg - what a reader says after a guarded fault */
void
store_fault_msg(char *buf, size_t len, const char *path)
{
	if (buf == NULL || len == 0)
		return;
	snprintf(buf, len, "%s: table file changed in place while in use "
	    "(truncated or overwritten? rebuild it with relayguardctl "
	    "compile)", path);
}

/* store_key_cmp - LMDB's default key order: bytes, then length */
int
store_key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int     d = memcmp(a, b, alen < blen ? alen : blen);

	if (d != 0)
		return (d);
	return (alen < blen ? -1 : alen > blen);
}

/* store_set_owner - the user whose group gets the files root creates */
void
store_set_owner(const char *user)
{
	owner_user = user ? user : "relayguard";
}

/* store_owner_uid - the uid of the table owner; 0, or -1 when unknown */
int
store_owner_uid(uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char    buf[4096];

	if (owner_user == NULL || *owner_user == 0 ||
	    getpwnam_r(owner_user, &pw, buf, sizeof(buf), &res) != 0 ||
	    res == NULL)
		return (-1);
	*uid = pw.pw_uid;
	return (0);
}

/*
 * store_fix_owner_fd - give a file root created to the daemon's group:
 * 0640 for a data file, 0660 for a lock file. By descriptor: a name
 * could have been swapped for a link since the file was made.
 */
void
store_fix_owner_fd(int fd, int datafile)
{
	struct passwd pw, *res = NULL;
	char    buf[4096];
	gid_t   gid = 0;

	if (geteuid() != 0 || fd < 0)
		return;
	if (owner_user != NULL && *owner_user != 0 &&
	    getpwnam_r(owner_user, &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL)
		gid = pw.pw_gid;

	/*
	 * Errors are ignored: a file we cannot chown is one we did not
	 * create, and the daemon will say so when it cannot open it.
	 */
	if (fchown(fd, 0, gid) == 0)
		(void) fchmod(fd, datafile ? 0640 : 0660);
}

/* pool_drain - abort the pooled read transactions (rw held exclusively) */
static void
pool_drain(struct store_env *e)
{
	pthread_mutex_lock(&e->pool_mu);
	while (e->npool > 0)
		mdb_txn_abort(e->pool[--e->npool]);
	pthread_mutex_unlock(&e->pool_mu);
}

/* env_close_locked - close the LMDB environment (rw held exclusively) */
static void
env_close_locked(struct store_env *e)
{
	pool_drain(e);
	if (e->env != NULL) {
		mdb_env_close(e->env);
		e->env = NULL;
	}
	/* Only now: closing it would drop LMDB's fcntl locks on the file. */
	if (e->lockfd >= 0) {
		(void) close(e->lockfd);
		e->lockfd = -1;
	}
	pthread_mutex_lock(&e->len_mu);
	e->len_txnid = 0;
	pthread_mutex_unlock(&e->len_mu);
}

/* filesig_get - what the file looks like now */
static void
filesig_get(const char *path, struct store_filesig *fs)
{
	struct stat st;

	memset(fs, 0, sizeof(*fs));
	if (stat(path, &st) < 0) {
		fs->err = errno;
		return;
	}
	fs->dev = st.st_dev;
	fs->ino = st.st_ino;
	fs->size = st.st_size;
	fs->mtim = st.st_mtim;
	fs->ctim = st.st_ctim;
}

/* filesig_eq - unchanged since? */
static int
filesig_eq(const struct store_filesig *a, const struct store_filesig *b)
{
	return (a->err == b->err && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtim.tv_sec == b->mtim.tv_sec &&
	    a->mtim.tv_nsec == b->mtim.tv_nsec &&
	    a->ctim.tv_sec == b->ctim.tv_sec &&
	    a->ctim.tv_nsec == b->ctim.tv_nsec);
}

/* open_fail - record why an open failed */
static int
open_fail(struct store_env *e, int kind, const char *what, int rc)
{
	e->openkind = kind;
	store_mdb_err(e->openerr, sizeof(e->openerr), e->path, what, rc);
	return (-1);
}

/* format_is - does the meta format value v say fmt? */
static int
format_is(const MDB_val *v, const char *fmt)
{
	return (v->mv_size == strlen(fmt) && memcmp(v->mv_data, fmt,
	    v->mv_size) == 0);
}

/* open_dbs - open (writers: create) the named databases of a table */
static int
open_dbs(struct store_env *e, MDB_txn *txn)
{
	const char *want = e->dynamic == STORE_KIND_BLOCKS ?
	    STORE_FORMAT_BLOCKS : e->dynamic ? STORE_FORMAT_DYNAMIC :
	    STORE_FORMAT_STATIC;
	unsigned cflag = e->writable ? MDB_CREATE : 0;
	MDB_val k, v;
	MDB_stat st;
	int     rc;

	rc = mdb_dbi_open(txn, STORE_DB_META, 0, &e->dbi_meta);
	if (rc == MDB_NOTFOUND && e->writable) {
		/* A new table, unless the file holds someone else's data. */
		MDB_dbi main;

		if ((rc = mdb_dbi_open(txn, NULL, 0, &main)) != 0 ||
		    (rc = mdb_stat(txn, main, &st)) != 0)
			return (open_fail(e, STORE_OPEN_BROKEN, "stat", rc));
		if (st.ms_entries != 0) {
			snprintf(e->openerr, sizeof(e->openerr),
			    "%s: not a relayguard table (an LMDB file of "
			    "another program, or a table damaged in place? "
			    "if it is ours, remove it and compile again)",
			    e->path);
			e->openkind = STORE_OPEN_FOREIGN;
			return (-1);
		}
		rc = mdb_dbi_open(txn, STORE_DB_META, MDB_CREATE, &e->dbi_meta);
		if (rc == 0) {
			k.mv_data = UNCONST(STORE_META_FORMAT);
			k.mv_size = strlen(STORE_META_FORMAT);
			v.mv_data = UNCONST(want);
			v.mv_size = strlen(want);
			rc = mdb_put(txn, e->dbi_meta, &k, &v, 0);
		}
	}
	if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE) {
		snprintf(e->openerr, sizeof(e->openerr),
		    "%s: not a relayguard table", e->path);
		e->openkind = STORE_OPEN_FOREIGN;
		return (-1);
	}
	if (rc != 0)
		return (open_fail(e, STORE_OPEN_BROKEN, "open meta", rc));
	k.mv_data = UNCONST(STORE_META_FORMAT);
	k.mv_size = strlen(STORE_META_FORMAT);
	rc = mdb_get(txn, e->dbi_meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		snprintf(e->openerr, sizeof(e->openerr),
		    "%s: not a relayguard table", e->path);
		e->openkind = STORE_OPEN_FOREIGN;
		return (-1);
	}
	if (rc != 0)
		return (open_fail(e, STORE_OPEN_BROKEN, "read meta", rc));
	if (!format_is(&v, want)) {
		snprintf(e->openerr, sizeof(e->openerr),
		    "%s: is a %s table, not a %s one", e->path,
		    format_is(&v, STORE_FORMAT_BLOCKS) ? "blocks" :
		    format_is(&v, STORE_FORMAT_DYNAMIC) ? "dynamic" :
		    "static",
		    store_kind_name(e->dynamic));
		e->openkind = STORE_OPEN_WRONGKIND;
		return (-1);
	}
	if (e->dynamic) {
		rc = mdb_dbi_open(txn, e->dynamic == STORE_KIND_BLOCKS ?
		    STORE_DB_BLOCKS : STORE_DB_GRANTS, cflag, &e->dbi_keys);
	} else {
		rc = mdb_dbi_open(txn, STORE_DB_KEYS, cflag, &e->dbi_keys);
		if (rc == 0)
			rc = mdb_dbi_open(txn, STORE_DB_CIDR, cflag,
			    &e->dbi_cidr);
	}
	if (rc != 0)
		return (open_fail(e, STORE_OPEN_BROKEN, "open database", rc));
	return (0);
}

/* What open_tail() works on; its txn is aborted after a fault. */
struct open_ctx {
	struct store_env *e;
	MDB_txn *txn;
};

/*
 * open_tail - the part of an open that reads the map (guarded): size
 * check, then the named databases. 0, or -1 with openerr set.
 */
static int
open_tail(void *arg)
{
	struct open_ctx *c = arg;
	struct store_env *e = c->e;
	struct stat st;
	MDB_envinfo info;
	MDB_stat mst;
	int     fd;
	int     rc;

	/*
	 * A truncated file would SIGBUS us later: refuse it now. The meta
	 * page first, then the size: a writer extends the file before it
	 * writes the meta page that points into the new part, so another
	 * process committing in between cannot make a good file look short.
	 */
	if ((rc = mdb_env_info(e->env, &info)) != 0 ||
	    (rc = mdb_env_stat(e->env, &mst)) != 0)
		return (open_fail(e, STORE_OPEN_BROKEN, "open", rc));
	if ((rc = mdb_env_get_fd(e->env, &fd)) != 0)
		return (open_fail(e, STORE_OPEN_SYS, "open", rc));
	if (fstat(fd, &st) < 0)
		return (open_fail(e, STORE_OPEN_SYS, "open", errno));
	e->minsize = (off_t) (info.me_last_pgno + 1) * mst.ms_psize;
	if (st.st_size < e->minsize) {
		snprintf(e->openerr, sizeof(e->openerr),
		    "%s: truncated table file", e->path);
		e->openkind = STORE_OPEN_BROKEN;
		return (-1);
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;

	rc = mdb_txn_begin(e->env, NULL, e->writable ? 0 : MDB_RDONLY, &c->txn);
	if (rc != 0) {
		c->txn = NULL;
		return (open_fail(e, STORE_OPEN_BROKEN, "open", rc));
	}
	if (open_dbs(e, c->txn) < 0) {
		mdb_txn_abort(c->txn);
		c->txn = NULL;
		return (-1);
	}
	rc = mdb_txn_commit(c->txn);
	c->txn = NULL;
	if (rc != 0)
		return (open_fail(e, STORE_OPEN_BROKEN, "open", rc));
	return (0);
}

/* env_open_locked - (re)open the LMDB environment (rw held exclusively) */
static int
env_open_locked(struct store_env *e, size_t mapsize)
{
	struct store_safe sf;
	struct open_ctx c;
	struct stat st;
	int     rc;
	int     safe = geteuid() == 0;
	unsigned flags;

	env_close_locked(e);
	atomic_store(&e->stale, 0);
	filesig_get(e->path, &e->failsig);
	e->absent = 0;
	e->openkind = STORE_OPEN_OK;
	e->openerr[0] = 0;

	if ((safe ? lstat(e->path, &st) : stat(e->path, &st)) < 0) {
		/* Writers create tables beside it (create_dynamic, compile). */
		if (errno == ENOENT && e->dynamic)
			e->absent = 1;
		return (open_fail(e, STORE_OPEN_SYS, "open", errno));
	} else if (S_ISLNK(st.st_mode)) {
		snprintf(e->openerr, sizeof(e->openerr), "%s: is a symbolic "
		    "link; not followed when running as root (link the "
		    "directory instead)", e->path);
		e->openkind = STORE_OPEN_SYS;
		return (-1);
	} else if (!S_ISREG(st.st_mode)) {
		return (open_fail(e, STORE_OPEN_SYS, "open", EINVAL));
	} else if (st.st_size == 0 && !e->writable) {
		snprintf(e->openerr, sizeof(e->openerr),
		    "%s: empty file (truncated table?)", e->path);
		e->openkind = STORE_OPEN_BROKEN;
		return (-1);
	}
	if ((rc = mdb_env_create(&e->env)) != 0)
		return (open_fail(e, STORE_OPEN_SYS, "create environment", rc));
	(void) mdb_env_set_assert(e->env, store_guard_assert);
	(void) mdb_env_set_maxdbs(e->env, 4);
	(void) mdb_env_set_maxreaders(e->env, 510);
	if (mapsize == 0 && e->writable)
		mapsize = store_map_min;
	if (mapsize != 0 && (rc = mdb_env_set_mapsize(e->env, mapsize)) != 0) {
		open_fail(e, STORE_OPEN_SYS, "open", rc);
		goto fail;
	}
	flags = MDB_NOSUBDIR | MDB_NOTLS | MDB_NORDAHEAD;
	if (!e->writable)
		flags |= MDB_RDONLY;

	/*
	 * As root, LMDB must not open the files by name: whoever owns the
	 * directory could have put links there (store_safe.c).
	 */
	if (safe && store_safe_open(e->path, e->lockpath, e->writable, &sf,
	    e->openerr, sizeof(e->openerr)) < 0) {
		e->openkind = STORE_OPEN_SYS;
		goto fail;
	}
	rc = mdb_env_open(e->env, safe ? sf.lmdbpath : e->path, flags, 0640);
	/* Only a lock file we made: never take one from the daemon. */
	if (rc == 0 && safe && sf.lock_made)
		store_fix_owner_fd(sf.lockfd, 0);
	if (safe) {
		/*
		 * Our descriptor on the lock file stays open as long as the
		 * environment: closing any descriptor of a file drops every
		 * fcntl lock the process holds on it, LMDB's included.
		 */
		e->lockfd = sf.lockfd;
		sf.lockfd = -1;
		store_safe_close(&sf);
	}
	if (rc != 0) {
		int     kind = (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
		    rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND ||
		    rc == EINVAL) ? STORE_OPEN_BROKEN : STORE_OPEN_SYS;

		open_fail(e, kind, "open", rc);
		goto fail;
	}

	c.e = e;
	c.txn = NULL;
	rc = store_guard_call(open_tail, &c);
	if (rc == 0) {
		atomic_store(&e->checked, mono_sec());
		return (0);
	}
	if (rc == STORE_GUARD_FAULT) {
		if (c.txn != NULL)
			mdb_txn_abort(c.txn);
		store_fault_msg(e->openerr, sizeof(e->openerr), e->path);
		e->openkind = STORE_OPEN_BROKEN;
	}
fail:
	mdb_env_close(e->env);
	e->env = NULL;
	if (e->lockfd >= 0) {
		(void) close(e->lockfd);
		e->lockfd = -1;
	}
	return (-1);
}

/*
 * link_fd - give the file open on fd (made as tmp) the name path,
 * through /proc/self/fd so that it is that file even if tmp was
 * swapped for another meanwhile; by name where /proc is missing.
 */
static int
link_fd(int fd, const char *tmp, const char *path)
{
	char    proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
		return (0);
	if (errno != ENOENT || access("/proc/self/fd", F_OK) == 0)
		return (-1);
	return (link(tmp, path));
}

/*
 * create_dynamic - make an empty dynamic table at path, atomically:
 * built beside it and linked into place, so that a reader never sees
 * a half-made file. Losing the race to another writer is fine.
 */
static int
create_dynamic(const char *path, int kind, char *err, size_t errlen)
{
	struct store *t;
	size_t  n = strlen(path) + 48;
	char   *tmp = xmalloc(n);
	char   *tmplock = xmalloc(n + 5);
	int     fd, rc = -1;

	snprintf(tmp, n, "%s.new.%ld.%lx", path, (long) getpid(),
	    (unsigned long) pthread_self() & 0xffffff);
	snprintf(tmplock, n + 5, "%s-lock", tmp);
	/* Whatever sits at these names is stale (or planted): not ours. */
	(void) unlink(tmplock);
	(void) unlink(tmp);
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (store_open_env(tmp, kind, 1, 0, &t, err, errlen) == 0) {
		store_close(t);
		store_fix_owner_fd(fd, 1);
		if (link_fd(fd, tmp, path) == 0 || errno == EEXIST)
			rc = 0;
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
	} else
		store_close(t);
	(void) close(fd);
	(void) unlink(tmplock);
	(void) unlink(tmp);
out:
	free(tmp);
	free(tmplock);
	return (rc);
}

/*
 * rwlock_init - a writer-preferring lock: glibc's default prefers
 * readers, and a daemon whose threads look up without pause would
 * never let a reopen (after a rebuild, MDB_MAP_RESIZED) through. No
 * thread takes the lock shared twice, so the non-recursive kind is safe.
 */
static void
rwlock_init(pthread_rwlock_t *rw)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(rw, &attr);
	pthread_rwlockattr_destroy(&attr);
}

/* store_kind_name - "static", "dynamic", "blocks" */
const char *
store_kind_name(int kind)
{
	return (kind == STORE_KIND_BLOCKS ? "blocks" : kind ? "dynamic" :
	    "static");
}

/* store_open_env - find or create the registry entry of a table */
int
store_open_env(const char *path, int dynamic, int writable, size_t mapsize,
	struct store **out, char *err, size_t errlen)
{
	struct store_env *e;
	struct store *s;
	struct stat st;
	int     rc = 0;

	*out = NULL;
	store_guard_init();
	if (path == NULL || *path == 0) {
		snprintf(err, errlen, "empty table path");
		return (-1);
	}
	if (strlen(path) > 4000) {
		snprintf(err, errlen, "table path too long");
		return (-1);
	}
	if (writable && store_dir_check(path, err, errlen) < 0)
		return (-1);
	if (writable && dynamic && lstat(path, &st) < 0 && errno == ENOENT &&
	    create_dynamic(path, dynamic, err, errlen) < 0)
		return (-1);
	pthread_mutex_lock(&registry_mu);
	for (e = registry; e != NULL; e = e->next)
		if (strcmp(e->path, path) == 0)
			break;
	if (e != NULL && e->dynamic != dynamic) {
		pthread_mutex_unlock(&registry_mu);
		snprintf(err, errlen, "%s: opened both as a %s and as a "
		    "%s table", path, store_kind_name(e->dynamic),
		    store_kind_name(dynamic));
		return (-1);
	}
	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->path = xstrdup(path);
		e->lockpath = xmalloc(strlen(path) + 6);
		sprintf(e->lockpath, "%s-lock", path);
		e->dynamic = dynamic;
		e->writable = writable;
		e->lockfd = -1;
		rwlock_init(&e->rw);
		pthread_mutex_init(&e->pool_mu, NULL);
		pthread_mutex_init(&e->len_mu, NULL);
		e->next = registry;
		registry = e;
		pthread_rwlock_wrlock(&e->rw);
		rc = env_open_locked(e, mapsize);
		pthread_rwlock_unlock(&e->rw);
	} else if (writable && (!e->writable || e->env == NULL ||
		    mapsize != 0)) {
		pthread_rwlock_wrlock(&e->rw);
		e->writable = 1;
		rc = env_open_locked(e, mapsize);
		pthread_rwlock_unlock(&e->rw);
	}
	e->refs++;
	if (writable)
		e->writers++;
	pthread_mutex_unlock(&registry_mu);

	s = xcalloc(1, sizeof(*s));
	s->e = e;
	s->writer = writable;
	*out = s;
	if (writable && rc < 0) {
		snprintf(err, errlen, "%s", e->openerr);
		return (-1);
	}
	return (0);
}

/* store_open - open a table for lookups (see store.h) */
int
store_open(const char *path, int dynamic, struct store **out, char *err,
	size_t errlen)
{
	return (store_open_env(path, dynamic, 0, 0, out, err, errlen));
}

/* store_open_write - open a table read-write (see store.h) */
int
store_open_write(const char *path, int dynamic, struct store **out,
	char *err, size_t errlen)
{
	int     rc = store_open_env(path, dynamic, 1, 0, out, err, errlen);

	if (rc < 0 && *out != NULL) {
		store_close(*out);
		*out = NULL;
	}
	return (rc);
}

/* store_close - drop a reference (see store.h) */
void
store_close(struct store *s)
{
	struct store_env *e, **pp;

	if (s == NULL)
		return;
	if (s->redis != NULL) {
		redis_table_close(s->redis);
		free(s);
		return;
	}
	e = s->e;
	pthread_mutex_lock(&registry_mu);
	if (s->writer && --e->writers == 0 && e->refs > 1) {
		/* The readers left go back to a read-only environment. */
		pthread_rwlock_wrlock(&e->rw);
		e->writable = 0;
		atomic_store(&e->stale, 1);
		pthread_rwlock_unlock(&e->rw);
	}
	free(s);
	if (--e->refs > 0) {
		pthread_mutex_unlock(&registry_mu);
		return;
	}
	for (pp = &registry; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	pthread_mutex_unlock(&registry_mu);
	pthread_rwlock_wrlock(&e->rw);
	env_close_locked(e);
	pthread_rwlock_unlock(&e->rw);
	pthread_rwlock_destroy(&e->rw);
	pthread_mutex_destroy(&e->pool_mu);
	pthread_mutex_destroy(&e->len_mu);
	free(e->lockpath);
	free(e->path);
	free(e);
}

/* store_dup - another handle on the same table (see redis.h) */
struct store *
store_dup(struct store *s)
{
	struct store *d = xcalloc(1, sizeof(*d));

	if (s->redis != NULL) {
		d->redis = redis_table_dup(s->redis);
		return (d);
	}
	pthread_mutex_lock(&registry_mu);
	s->e->refs++;
	pthread_mutex_unlock(&registry_mu);
	d->e = s->e;
	return (d);
}


/* store_path - the path of a table (see store.h) */
const char *
store_path(const struct store *s)
{
	if (s->redis != NULL)
		return (redis_table_desc(s->redis));
	return (s->e->path);
}

/* store_env_mark_stale - make this process reopen path on next use */
void
store_env_mark_stale(const char *path)
{
	struct store_env *e;

	pthread_mutex_lock(&registry_mu);
	for (e = registry; e != NULL; e = e->next)
		if (strcmp(e->path, path) == 0)
			atomic_store(&e->stale, 1);
	pthread_mutex_unlock(&registry_mu);
}

/* check_file - has the file been replaced or cut short? (rw shared) */
static void
check_file(struct store_env *e)
{
	struct stat st;

	if (stat(e->path, &st) < 0 || st.st_dev != e->dev ||
	    st.st_ino != e->ino || st.st_size < e->minsize)
		atomic_store(&e->stale, 1);
}

/*
 * store_env_rdlock - take the environment for a lookup or a write: rw
 * shared, the environment open and current. Returns 0 (env open), 1
 * (a dynamic table whose file does not exist: no grants), or -1 with a
 * message; rw is held shared in every case.
 */
int
store_env_rdlock(struct store *s, char *err, size_t errlen)
{
	struct store_env *e = s->e;
	struct store_filesig sig;
	long    now = mono_sec();
	long    then;

	pthread_rwlock_rdlock(&e->rw);
	then = atomic_load(&e->checked);
	if (e->env != NULL && then != now &&
	    atomic_compare_exchange_strong(&e->checked, &then, now))
		check_file(e);
	if (e->env != NULL && !atomic_load(&e->stale))
		return (0);

	/* A failed table is retried when its file has changed. */
	if (e->env == NULL && !atomic_load(&e->stale)) {
		filesig_get(e->path, &sig);
		if (filesig_eq(&sig, &e->failsig))
			goto out;
	}
	pthread_rwlock_unlock(&e->rw);
	pthread_rwlock_wrlock(&e->rw);
	if (atomic_load(&e->stale) || e->env == NULL) {
		filesig_get(e->path, &sig);
		if (atomic_load(&e->stale) || !filesig_eq(&sig, &e->failsig))
			(void) env_open_locked(e, 0);
	}
	pthread_rwlock_unlock(&e->rw);
	pthread_rwlock_rdlock(&e->rw);
	if (e->env != NULL)
		return (0);
out:
	if (e->absent)
		return (1);
	snprintf(err, errlen, "%s", e->openerr);
	return (-1);
}

/* store_env_unlock - release what store_env_rdlock() took */
void
store_env_unlock(struct store *s)
{
	pthread_rwlock_unlock(&s->e->rw);
}

/*
 * store_env_grow - adopt a larger map size: the current one when size
 * is 0 (after MDB_MAP_RESIZED), else size. Called without rw held.
 */
int
store_env_grow(struct store *s, size_t size, char *err, size_t errlen)
{
	struct store_env *e = s->e;
	int     rc = 0;

	pthread_rwlock_wrlock(&e->rw);
	if (e->env != NULL) {
		pool_drain(e);
		if (size == 0)
			atomic_fetch_add(&store_map_resized, 1);
		rc = mdb_env_set_mapsize(e->env, size);
		if (rc != 0)
			store_mdb_err(err, errlen, e->path, "map size", rc);
	}
	pthread_rwlock_unlock(&e->rw);
	return (rc == 0 ? 0 : -1);
}

/*
 * store_txn_get - a read transaction from the pool, or a new one (rw
 * shared). A pooled one is in *txn before it is renewed, which reads
 * the map, so that a guarded caller can abort it after a fault. A new
 * one is only known once mdb_txn_begin() returns, so a fault inside it
 * would lose it (a few hundred bytes; its reader slot is freed when the
 * environment is reopened): a file shorter than the environment uses
 * is refused before that.
 */
int
store_txn_get(struct store_env *e, MDB_txn **txn)
{
	MDB_txn *t = NULL;
	struct stat st;
	int     fd;
	int     rc;

	pthread_mutex_lock(&e->pool_mu);
	if (e->npool > 0)
		t = e->pool[--e->npool];
	pthread_mutex_unlock(&e->pool_mu);
	if (t != NULL) {
		*txn = t;
		if ((rc = mdb_txn_renew(t)) == 0)
			return (0);
		*txn = NULL;
		mdb_txn_abort(t);
		return (rc);
	}
	*txn = NULL;
	if (mdb_env_get_fd(e->env, &fd) != 0 || fstat(fd, &st) < 0 ||
	    st.st_size < e->minsize) {
		atomic_store(&e->stale, 1);
		return (MDB_CORRUPTED);
	}
	return (mdb_txn_begin(e->env, NULL, MDB_RDONLY, txn));
}

/* store_txn_put - end a read transaction, keeping it for reuse */
void
store_txn_put(struct store_env *e, MDB_txn *txn)
{
	mdb_txn_reset(txn);
	pthread_mutex_lock(&e->pool_mu);
	if (e->npool < STORE_POOL) {
		e->pool[e->npool++] = txn;
		txn = NULL;
	}
	pthread_mutex_unlock(&e->pool_mu);
	if (txn != NULL)
		mdb_txn_abort(txn);
}

/*
 * A lookup in progress: the candidate keys are tried in order inside
 * one read transaction.
 */
struct probe {
	struct store_env *e;
	MDB_txn *txn;			/* aborted by the caller after a fault */
	char   *val;
	size_t  vallen;
	char   *matched;
	size_t  matchedlen;
	int     rc;			/* first LMDB error */

	enum store_fact fact;		/* what probe_run() looks up */
	const char *key;
	const struct addr *a;
	const char *delims;
	int     txnrc;			/* txn_get() failed with this */
	int     found;			/* 1, 0, -1 (see rc) */
};

/* probe_get - try one key; 1 found (copied out), 0 not, -1 error */
static int
probe_get(struct probe *p, MDB_dbi dbi, const void *key, size_t klen,
	const char *shown)
{
	MDB_val k, v;
	size_t  n;
	int     rc;

	if (klen == 0 || klen > STORE_KEY_MAX)
		return (0);
	k.mv_data = UNCONST(key);
	k.mv_size = klen;
	rc = mdb_get(p->txn, dbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		return (0);
	if (rc != 0) {
		p->rc = rc;
		return (-1);
	}
	if (p->val != NULL && p->vallen > 0) {
		n = v.mv_size < p->vallen - 1 ? v.mv_size : p->vallen - 1;
		memcpy(p->val, v.mv_data, n);
		p->val[n] = 0;
	}
	if (p->matched != NULL && p->matchedlen > 0)
		snprintf(p->matched, p->matchedlen, "%s", shown ? shown : "");
	return (1);
}

/* probe_str - try a NUL-terminated plain key */
static int
probe_str(struct probe *p, const char *key)
{
	return (probe_get(p, p->e->dbi_keys, key, strlen(key), key));
}

/*
 * load_lengths - the CIDR prefix lengths present, cached per txn id.
 * len_mu is never held across an LMDB call: a guarded fault there
 * must leave no lock behind.
 */
static int
load_lengths(struct probe *p, int family, uint8_t *lens, int *nlens)
{
	struct store_env *e = p->e;
	size_t  id = mdb_txn_id(p->txn);
	uint8_t got[2][129];
	int     ngot[2] = {0, 0};
	MDB_val k, v;
	int     rc;
	int     i;

	pthread_mutex_lock(&e->len_mu);
	if (e->len_txnid == id)
		goto copy;
	pthread_mutex_unlock(&e->len_mu);

	for (i = 0; i < 2; i++) {
		const char *name = i ? STORE_META_LEN6 : STORE_META_LEN4;
		size_t  max = i ? 129 : 33;

		k.mv_data = UNCONST(name);
		k.mv_size = strlen(name);
		rc = mdb_get(p->txn, e->dbi_meta, &k, &v);
		if (rc == MDB_NOTFOUND)
			continue;
		if (rc != 0 || v.mv_size > max) {
			p->rc = rc ? rc : MDB_CORRUPTED;
			return (-1);
		}
		memcpy(got[i], v.mv_data, v.mv_size);
		ngot[i] = (int) v.mv_size;
	}
	pthread_mutex_lock(&e->len_mu);
	memcpy(e->len4, got[0], (size_t) ngot[0]);
	e->nlen4 = ngot[0];
	memcpy(e->len6, got[1], (size_t) ngot[1]);
	e->nlen6 = ngot[1];
	e->len_txnid = id;
copy:
	if (family == ADDR_V4) {
		memcpy(lens, e->len4, (size_t) e->nlen4);
		*nlens = e->nlen4;
	} else {
		memcpy(lens, e->len6, (size_t) e->nlen6);
		*nlens = e->nlen6;
	}
	pthread_mutex_unlock(&e->len_mu);
	return (0);
}

/* probe_cidr - the most specific CIDR key containing addr */
static int
probe_cidr(struct probe *p, const struct addr *a)
{
	uint8_t lens[129];
	uint8_t key[18];
	int     nlens;
	int     bytes = a->family == ADDR_V4 ? 4 : 16;
	int     i, b, len, r;
	struct prefix pfx;
	char    shown[ADDR_STRLEN + 8];

	if (load_lengths(p, a->family, lens, &nlens) < 0)
		return (-1);
	for (i = 0; i < nlens; i++) {
		len = lens[i];
		key[0] = (uint8_t) a->family;
		key[1] = (uint8_t) len;
		for (b = 0; b < bytes; b++) {
			int     keep = len - 8 * b;
			uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 :
			    (uint8_t) (0xff << (8 - keep));

			key[2 + b] = a->bytes[b] & mask;
		}
		shown[0] = 0;
		if (p->matched != NULL) {
			memset(&pfx, 0, sizeof(pfx));
			pfx.addr.family = a->family;
			memcpy(pfx.addr.bytes, key + 2, (size_t) bytes);
			pfx.len = len;
			prefix_format(&pfx, shown, sizeof(shown));
		}
		r = probe_get(p, p->e->dbi_cidr, key, (size_t) (2 + bytes),
		    shown);
		if (r != 0)
			return (r);
	}
	return (0);
}

/*
 * probe_addr - client order: the address, then the address text cut
 * short at its last '.' (IPv4: 192.0.2, 192.0, 192) or ':' (IPv6, in
 * compressed form: 2001:db8:6::1 gives 2001:db8:6:, 2001:db8:6,
 * 2001:db8, 2001) again and again, as Postfix's access(5) does; then
 * the most specific CIDR key.
 */
static int
probe_addr(struct probe *p, const struct addr *a)
{
	char    buf[ADDR_STRLEN];
	char   *cut;
	int     delim = a->family == ADDR_V4 ? '.' : ':';
	int     r;

	addr_format(a, buf, sizeof(buf));
	if ((r = probe_str(p, buf)) != 0)
		return (r);
	while ((cut = strrchr(buf, delim)) != NULL) {
		*cut = 0;
		if ((r = probe_str(p, buf)) != 0)
			return (r);
	}
	return (probe_cidr(p, a));
}

/*
 * probe_domain - domain order, as Postfix's check_domain_access with
 * parent_domain_matches_subdomains: host.example.com, .example.com,
 * example.com, .com, com. An address literal is looked up as is.
 */
static int
probe_domain(struct probe *p, const char *dom)
{
	const char *s;
	int     r;

	if ((r = probe_str(p, dom)) != 0)
		return (r);
	if (dom[0] == '[')
		return (0);
	for (s = strchr(dom + 1, '.'); s != NULL; s = strchr(s + 1, '.')) {
		if (s[1] == 0)
			break;
		if ((r = probe_str(p, s)) != 0)
			return (r);
		if ((r = probe_str(p, s + 1)) != 0)
			return (r);
	}
	return (0);
}

/*
 * probe_mailbox - user+tag@domain, user@domain, the domain order,
 * user+tag@, user@. The null sender is "<>" and nothing else.
 */
static int
probe_mailbox(struct probe *p, const char *mbox, const char *delims)
{
	char    buf[STORE_KEY_MAX + 2];
	char    local[STORE_KEY_MAX + 1];
	char    base[STORE_KEY_MAX + 1];
	const char *at;
	const char *dom = NULL;
	int     ext;
	int     r;

	if (strcmp(mbox, "<>") == 0 || *mbox == 0)
		return (probe_str(p, "<>"));
	if (strlen(mbox) > STORE_KEY_MAX)
		return (0);
	at = strrchr(mbox, '@');
	if (at != NULL) {
		snprintf(local, sizeof(local), "%.*s", (int) (at - mbox), mbox);
		dom = at + 1;
	} else
		snprintf(local, sizeof(local), "%s", mbox);
	ext = rcpt_strip_extension(local, delims, base, sizeof(base)) == 1;

	if (dom != NULL && *dom != 0) {
		if ((r = probe_str(p, mbox)) != 0)
			return (r);
		if (ext) {
			snprintf(buf, sizeof(buf), "%s@%s", base, dom);
			if ((r = probe_str(p, buf)) != 0)
				return (r);
		}
		if ((r = probe_domain(p, dom)) != 0)
			return (r);
	}
	if (*local == 0)
		return (0);
	snprintf(buf, sizeof(buf), "%s@", local);
	if ((r = probe_str(p, buf)) != 0)
		return (r);
	if (ext) {
		snprintf(buf, sizeof(buf), "%s@", base);
		if ((r = probe_str(p, buf)) != 0)
			return (r);
	}
	return (0);
}

/* probe_exact - a key as given; a CIDR key such as 192.0.2.0/24 too */
static int
probe_exact(struct probe *p, const char *key)
{
	struct prefix pfx;
	uint8_t k[18];
	size_t  n;

	if (strchr(key, '/') == NULL || prefix_parse(key, &pfx, NULL, 0) < 0)
		return (probe_str(p, key));
	n = (size_t) STORE_CIDR_KEYLEN(pfx.addr.family);
	k[0] = (uint8_t) pfx.addr.family;
	k[1] = (uint8_t) pfx.len;
	memcpy(k + 2, pfx.addr.bytes, n - 2);
	return (probe_get(p, p->e->dbi_cidr, k, n, key));
}

/* lookup_fail - fill err, once-per-outage flag */
static int
lookup_fail(struct store_env *e, struct store_error *err)
{
	int     was = atomic_exchange(&e->failing, 1);

	if (err != NULL)
		err->first = !was;
	return (-1);
}

/* lower_copy - lowercase a key into buf; -1 when too long */
static int
lower_copy(const char *key, char *buf, size_t len)
{
	size_t  i;

	for (i = 0; key[i] != 0; i++) {
		if (i + 1 >= len)
			return (-1);
		buf[i] = (char) tolower((unsigned char) key[i]);
	}
	buf[i] = 0;
	return (0);
}

/*
 * probe_run - one lookup in one read transaction (guarded: every read
 * of the map happens here)
 */
static int
probe_run(void *arg)
{
	struct probe *p = arg;

	if ((p->txnrc = store_txn_get(p->e, &p->txn)) != 0) {
		p->txn = NULL;
		return (0);
	}
	switch (p->fact) {
	case STORE_CLIENT:
		p->found = probe_addr(p, p->a);
		break;
	case STORE_DOMAIN:
		p->found = probe_domain(p, p->key);
		break;
	case STORE_MAILBOX:
		p->found = probe_mailbox(p, p->key, p->delims);
		break;
	case STORE_EXACT:
	default:
		p->found = probe_exact(p, p->key);
		break;
	}
	store_txn_put(p->e, p->txn);
	p->txn = NULL;
	return (0);
}

/* do_lookup - the common frame of store_lookup and store_lookup_addr */
static int
do_lookup(struct store *s, enum store_fact fact, const char *key,
	const struct addr *a, const char *delims, char *val, size_t vallen,
	char *matched, size_t matchedlen, struct store_error *err)
{
	struct store_env *e = s->e;
	struct probe p;
	char    msg[sizeof(err->msg)];
	int     retried = 0;
	int     r;

	if (err != NULL) {
		err->msg[0] = 0;
		err->first = 0;
	}
	if (s->redis != NULL) {
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg), "%s: a dynamic "
			    "table has no keys to look up", store_path(s));
		return (-1);
	}
	if (e->dynamic) {
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg),
			    "%s: a dynamic table has no keys to look up",
			    e->path);
		return (lookup_fail(e, err));
	}
again:
	r = store_env_rdlock(s, msg, sizeof(msg));
	if (r != 0) {
		store_env_unlock(s);
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg), "%s", msg);
		return (lookup_fail(e, err));
	}
	memset(&p, 0, sizeof(p));
	p.e = e;
	p.val = val;
	p.vallen = vallen;
	p.matched = matched;
	p.matchedlen = matchedlen;
	p.fact = fact;
	p.key = key;
	p.a = a;
	p.delims = delims;
	if (store_guard_call(probe_run, &p) == STORE_GUARD_FAULT) {
		/* The file changed under the map: reopen on the next lookup. */
		if (p.txn != NULL)
			mdb_txn_abort(p.txn);
		atomic_store(&e->stale, 1);
		store_env_unlock(s);
		if (err != NULL)
			store_fault_msg(err->msg, sizeof(err->msg), e->path);
		return (lookup_fail(e, err));
	}
	store_env_unlock(s);
	if (p.txnrc != 0) {
		if (p.txnrc == MDB_MAP_RESIZED && !retried) {
			retried = 1;
			if (store_env_grow(s, 0, NULL, 0) == 0)
				goto again;
		}
		if (err != NULL)
			store_mdb_err(err->msg, sizeof(err->msg), e->path,
			    "read transaction", p.txnrc);
		atomic_store(&e->stale, 1);
		return (lookup_fail(e, err));
	}
	if (p.found < 0) {
		if (err != NULL)
			store_mdb_err(err->msg, sizeof(err->msg), e->path,
			    "lookup", p.rc);
		/* A corrupt or replaced file: reopen on the next lookup. */
		atomic_store(&e->stale, 1);
		return (lookup_fail(e, err));
	}
	if (atomic_load_explicit(&e->failing, memory_order_relaxed))
		atomic_store(&e->failing, 0);
	return (p.found);
}

/* store_lookup - look a fact up in the order of spec section 4 */
int
store_lookup(struct store *s, enum store_fact fact, const char *key,
	const char *delims, char *val, size_t vallen, char *matched,
	size_t matchedlen, struct store_error *err)
{
	char    buf[STORE_KEY_MAX + 1];
	struct addr a;
	size_t  n;

	if (key == NULL || lower_copy(key, buf, sizeof(buf)) < 0) {
		/* No key this long is in any table. */
		return (0);
	}
	if (fact == STORE_CLIENT) {
		if (addr_parse(buf, &a) < 0) {
			if (err != NULL) {
				snprintf(err->msg, sizeof(err->msg),
				    "not an address: %s", key);
				err->first = 0;
			}
			return (-1);
		}
		return (do_lookup(s, fact, NULL, &a, NULL, val, vallen,
		    matched, matchedlen, err));
	}
	if (fact == STORE_DOMAIN && (n = strlen(buf)) > 1 && buf[n - 1] == '.')
		buf[n - 1] = 0;
	return (do_lookup(s, fact, buf, NULL, delims, val, vallen, matched,
	    matchedlen, err));
}

/* store_lookup_addr - STORE_CLIENT lookup of an address */
int
store_lookup_addr(struct store *s, const struct addr *a, char *val,
	size_t vallen, char *matched, size_t matchedlen,
	struct store_error *err)
{
	return (do_lookup(s, STORE_CLIENT, NULL, a, NULL, val, vallen,
	    matched, matchedlen, err));
}
