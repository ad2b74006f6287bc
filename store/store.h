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

#endif
