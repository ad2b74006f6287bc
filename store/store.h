#ifndef RG_STORE_H
#define RG_STORE_H

/*
 * store - LMDB access tables and dynamic grants (spec sections 4, 5)
 *
 * A struct store is one table file opened for lookups. Opening the same
 * path twice in one process returns the same underlying LMDB
 * environment (LMDB forbids two environments on one file in a process);
 * handles are reference counted and safe to share between threads.
 * Every lookup uses its own short read-only transaction and copies the
 * value out before the transaction ends. A table rebuilt by
 * "relayguardctl compile" is picked up on a later lookup without any
 * call from the caller.
 *
 * This is library code: it never logs and never exits.
 */
#include <stddef.h>
#include <time.h>

#include "common/addr.h"

struct store;

/* What a key is, which decides the lookup order of spec section 4. */
enum store_fact {
	STORE_EXACT,		/* the key as given, nothing else */
	STORE_CLIENT,		/* address: full, 192.0.2, 192.0, 192, CIDR */
	STORE_DOMAIN,		/* host.example.com, example.com, com */
	STORE_MAILBOX,		/* user+tag@d, user@d, domain order, user+tag@, user@ */
};

/* Access actions (spec section 4). */
enum store_action {
	STORE_DUNNO,
	STORE_OK,
	STORE_REJECT,
	STORE_TEMPFAIL,
	STORE_DISCARD,
};

#define STORE_VALUE_MAX	1024	/* longest value a lookup returns */
#define STORE_KEY_MAX	512	/* longest key a table holds */

/*
 * Lookup errors carry a message and whether this is the first error
 * since the table last answered, so that a caller logs a failing table
 * once rather than once per lookup.
 */
struct store_error {
	char	msg[256];
	int	first;
};

/*
 * store_open - open a table for lookups. A missing or unreadable file
 * is not an error here: the handle is returned and lookups fail (-1)
 * until the file appears, so a daemon can start before its tables are
 * built. dynamic selects a grant table (section 5).
 * Returns 0, or -1 with a message in err for arguments that can never
 * work (an empty path, a path that is too long).
 */
extern int store_open(const char *path, int dynamic, struct store **out,
	char *err, size_t errlen);

/* store_close - drop a reference; NULL-safe. */
extern void store_close(struct store *);

/* store_path - the path the handle was opened with. */
extern const char *store_path(const struct store *);

/*
 * store_lookup - look a fact up in a static table in the order of spec
 * section 4. key is the normalised fact (a domain, a mailbox such as
 * "user+tag@example.com", or "<>" for the null sender); delims is the
 * recipient-delimiter set for STORE_MAILBOX (NULL for none).
 * On a match the value is copied to val (NUL-terminated, truncated to
 * vallen) and the key that matched to matched (may be NULL).
 * Returns 1 found, 0 not found, -1 lookup error (err filled).
 */
extern int store_lookup(struct store *, enum store_fact, const char *key,
	const char *delims, char *val, size_t vallen, char *matched,
	size_t matchedlen, struct store_error *err);

/*
 * store_lookup_addr - STORE_CLIENT lookup of an address: the full
 * address, for IPv4 the shortened networks, then the most specific CIDR
 * key containing it. Same results as store_lookup().
 */
extern int store_lookup_addr(struct store *, const struct addr *,
	char *val, size_t vallen, char *matched, size_t matchedlen,
	struct store_error *err);

/*
 * store_grant_match - in a dynamic table, is there a grant for this
 * address that has not expired at now? Returns 1 yes, 0 no, -1 error.
 * A dynamic table whose file does not exist yet holds no grants (0):
 * the first "relayguardctl grant" creates it.
 */
extern int store_grant_match(struct store *, const struct addr *,
	time_t now, struct store_error *err);

/*
 * store_action_parse - classify an access(5) value. On success *act is
 * set; for REJECT/TEMPFAIL/DISCARD code (4 bytes) and xcode (16 bytes)
 * receive the reply code and enhanced status code when the value has
 * them ("" otherwise), and *text points into value at the free text
 * ("" when none). Values that are not relay decisions (HOLD, FILTER,
 * PREPEND, restriction names, ...) are refused.
 * Returns 0, or -1 with the reason in err.
 */
extern int store_action_parse(const char *value, enum store_action *act,
	char *code, char *xcode, const char **text, char *err, size_t errlen);

/*
 * Writing tables: relayguardctl and the tests. The daemon only reads.
 */

/*
 * store_open_write - like store_open(), but the environment is opened
 * read-write (created when missing), as grant, revoke and purge need.
 * A read-only environment of the same path in this process is reopened
 * read-write. Returns 0, or -1 with a message in err when the file
 * cannot be opened or is not a relayguard table of the wanted kind.
 */
extern int store_open_write(const char *path, int dynamic,
	struct store **out, char *err, size_t errlen);

/*
 * store_set_owner - name the user whose group receives the table files
 * this process creates when it runs as root (default "relayguard"):
 * data files become root:GROUP 0640 and lock files root:GROUP 0660, so
 * the daemon can read them and take reader slots. Without such a user,
 * files stay root's (0640 and 0660). NULL restores the default.
 * Not thread-safe: call it before opening tables.
 */
extern void store_set_owner(const char *user);

/* What store_compile() reports; all may be NULL. */
struct store_compile_hooks {
	/* one diagnostic, "SRC:LINE: error: ..." or "...: warning: ..." */
	void	(*diag) (void *arg, const char *msg);
	/* progress, 0..100, at most once per percent */
	void	(*progress) (void *arg, const char *phase, unsigned percent);
	void   *arg;
};

struct store_compile_stats {
	size_t	lines;			/* physical lines read */
	size_t	entries;		/* keys written (both kinds) */
	size_t	cidr;			/* of which CIDR keys */
	size_t	duplicates;		/* later duplicates ignored */
	size_t	errors;			/* errors reported */
};

/*
 * store_compile - compile Postfix access(5) text into the table dst,
 * replacing its contents atomically (see store_compile.c for how).
 * text (len bytes) is modified in place and must have one writable
 * byte at text[len]; srcname is used in diagnostics.
 * Returns 0 when the table was written; 1 when the text has errors
 * (each reported through hooks->diag; nothing written); -1 on a
 * system or LMDB error (message in err; the old table is intact).
 */
extern int store_compile(const char *srcname, char *text, size_t len,
	const char *dst, const struct store_compile_hooks *hooks,
	struct store_compile_stats *stats, char *err, size_t errlen);

/* What the values of a compiled table are. */
enum store_values {
	STORE_VALUES_ACTIONS,		/* access(5) actions (section 4) */
	STORE_VALUES_OWNERS,		/* login names: a Postfix
					 * smtpd_sender_login_maps file */
};

/*
 * store_compile_values - as store_compile(), for a table whose values
 * are of the given kind.
 */
extern int store_compile_values(const char *srcname, char *text,
	size_t len, const char *dst, enum store_values,
	const struct store_compile_hooks *hooks,
	struct store_compile_stats *stats, char *err, size_t errlen);

#define STORE_USER_MAX	128	/* longest user name a grant keeps */

/* One grant of a dynamic table. */
struct store_grant_info {
	char	addr[ADDR_STRLEN];	/* canonical text */
	char	user[STORE_USER_MAX];	/* "" when none was given */
	time_t	expiry;
};

/*
 * store_grant_find - as store_grant_match(), and the grant itself (its
 * user, expiry and address) copied to *info (may be NULL). Returns 1
 * an unexpired grant, 0 none (or expired), -1 error.
 */
extern int store_grant_find(struct store *, const struct addr *,
	time_t now, struct store_grant_info *info, struct store_error *err);

/*
 * store_grant - grant addr until expiry (a second grant replaces the
 * first, so it refreshes the expiry). user may be NULL.
 * Returns 0, or -1 with a message in err (the table is unchanged).
 */
extern int store_grant(struct store *, const struct addr *,
	const char *user, time_t expiry, char *err, size_t errlen);

/* One grant of a batch for store_grant_many(). */
struct store_grant_req {
	struct addr addr;
	const char *user;		/* may be NULL */
	time_t	expiry;
};

/*
 * store_grant_many - the n grants of reqs in one write transaction, in
 * order (a later grant of the same address replaces an earlier one):
 * one commit, one disk sync, however many grants. Returns 0, or -1 with
 * a message in err and none of them made.
 */
extern int store_grant_many(struct store *,
	const struct store_grant_req *reqs, size_t n, char *err,
	size_t errlen);

/*
 * store_revoke_user - remove every grant whose user is user (compared
 * ignoring case), in one write transaction; *removed (may be NULL)
 * receives the count. Returns 0, or -1 with a message in err.
 */
extern int store_revoke_user(struct store *, const char *user,
	size_t *removed, char *err, size_t errlen);

/* store_revoke - remove a grant. Returns 1 removed, 0 none, -1 error. */
extern int store_revoke(struct store *, const struct addr *, char *err,
	size_t errlen);

/*
 * store_grant_list - call fn for every grant (expired ones included),
 * in address order, inside one read transaction; fn returns non-zero
 * to stop, and must not call store functions on the same table.
 * Returns 0, or -1 with a message in err.
 */
extern int store_grant_list(struct store *,
	int (*fn) (const struct store_grant_info *, void *), void *arg,
	char *err, size_t errlen);

/*
 * store_purge - remove the grants expired at now, in one write
 * transaction; *removed (may be NULL) receives the count.
 * Returns 0, or -1 with a message in err (the table is unchanged).
 */
extern int store_purge(struct store *, time_t now, size_t *removed,
	char *err, size_t errlen);

/*
 * Account blocks (store_block.c): identities refused until a time.
 */
#define STORE_REASON_MAX	256	/* longest reason a block keeps */

struct store_block_info {
	char	identity[STORE_USER_MAX];	/* lowercased */
	time_t	since;			/* when it was made */
	time_t	expiry;			/* when it ends; 0: never */
	char	reason[STORE_REASON_MAX];
};

/*
 * store_block_open - open a blocks table, read-write (created when
 * missing) when writable. As store_open(): a missing file holds no
 * block. Returns 0, or -1 with a message in err (*out is then NULL).
 *
 * store_block_open_redis - the blocks kept in the Redis of a redis
 * section (store/redis_block.c): every store_block_*() below works on
 * the handle unchanged. Nothing is connected here.
 */
struct redis_conf;
extern int store_block_open_redis(const struct redis_conf *,
	struct store **out, char *err, size_t errlen);
extern int store_block_open(const char *path, int writable,
	struct store **out, char *err, size_t errlen);

/*
 * store_block_add - block identity from now until expiry (0: until
 * unblocked) for reason (may be NULL; control characters become
 * spaces; cut at STORE_REASON_MAX). A second block replaces the first.
 * Returns 0, or -1 with a message in err (nothing changed).
 */
extern int store_block_add(struct store *, const char *identity,
	time_t now, time_t expiry, const char *reason, char *err,
	size_t errlen);

/* store_block_remove - unblock. Returns 1 removed, 0 none, -1 error. */
extern int store_block_remove(struct store *, const char *identity,
	char *err, size_t errlen);

/*
 * store_block_find - is identity (compared ignoring case) blocked at
 * now? The block is copied to *info (may be NULL) when there is one,
 * ended or not. Returns 1 blocked, 0 not, -1 lookup error.
 */
extern int store_block_find(struct store *, const char *identity,
	time_t now, struct store_block_info *info, struct store_error *err);

/*
 * store_block_list - call fn for every block (ended ones included), in
 * identity order, inside one read transaction; fn returns non-zero to
 * stop and must not call store functions on the same table.
 * Returns 0, or -1 with a message in err.
 */
extern int store_block_list(struct store *,
	int (*fn) (const struct store_block_info *, void *), void *arg,
	char *err, size_t errlen);

#endif
