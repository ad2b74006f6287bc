/*
 * NAME
 *	owner - sender ownership, as Postfix's smtpd_sender_login_maps
 * SYNOPSIS
 *	#include "rules/owner.h"
 *
 *	enum owner_verdict owner_check(mode, sender, identity, map,
 *		found, foundlen, err, errlen)
 *	int owner_listed(owners, identity)
 *	const char *owner_mode_name(mode)
 * DESCRIPTION
 *	Postfix's four restrictions, as its smtpd(8) implements them:
 *
 *	authenticated	a logged-in client must own the sender: the
 *			sender is listed and the login is one of its
 *			owners, else "not owned by user LOGIN".
 *	unauthenticated	a client that did not log in must not use a
 *			listed sender, else "not logged in".
 *	mismatch	authenticated, then unauthenticated.
 *	known		a logged-in client must own a listed sender (an
 *			unlisted one passes); a client that did not log
 *			in is checked as by unauthenticated.
 *
 *	The lookup keys are those of Postfix's mail_addr_find(): the
 *	address, the address without its extension, for a local domain
 *	the local part with and without extension, then @domain. The
 *	extension is split off as Postfix does it: never for postmaster
 *	or mailer-daemon, nor for owner-foo and foo-request when '-' is a
 *	delimiter, nor when the local part starts with a delimiter.
 *
 *	Postfix first rewrites a sender without a domain to
 *	user@$myorigin; the milter sees the sender as the client sent it,
 *	so such a sender is looked up by its local part alone.
 * DIAGNOSTICS
 *	A failed lookup is OWNER_ERROR, never a pass.
 * THREADS
 *	Reentrant: no state outside the arguments.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/rcpt.h"
#include "rules/owner.h"

static const char *const mode_names[OWNER_NMODES] = {
	"mismatch", "authenticated", "known", "unauthenticated",
};

/* owner_mode_name - the mode's name */
const char *
owner_mode_name(enum owner_mode m)
{
	return ((unsigned) m < OWNER_NMODES ? mode_names[m] : "?");
}

/* owner_listed - is identity among the owners? */
int
owner_listed(const char *owners, const char *identity)
{
	const char *p = owners;
	size_t  n, idlen = strlen(identity);

	while (*p) {
		p += strspn(p, ", \t\r\n");
		n = strcspn(p, ", \t\r\n");
		if (n != 0 && n == idlen && strncasecmp(p, identity, n) == 0)
			return (1);
		p += n;
	}
	return (0);
}

/* may_split - Postfix's exceptions to removing an address extension */
static int
may_split(const char *local, const char *delims)
{
	size_t  n = strlen(local);

	if (delims == NULL || *delims == 0 || n == 0)
		return (0);
	if (strcasecmp(local, "postmaster") == 0 ||
	    strcasecmp(local, "mailer-daemon") == 0)
		return (0);
	if (strchr(delims, '-') != NULL && (strncasecmp(local, "owner-", 6)
	    == 0 || (n > 8 && strcasecmp(local + n - 8, "-request") == 0)))
		return (0);
	return (strcspn(local, delims) != 0);
}

/* A lookup in progress: the first key found wins. */
struct find {
	const struct owner_map *map;
	char    owners[OWNER_VALUE_MAX];
	char   *found;
	size_t  foundlen;
	char   *err;
	size_t  errlen;
};

/* try_key - look key up; 1 found, 0 not, -1 error */
static int
try_key(struct find *f, const char *key)
{
	int     r;

	r = f->map->lookup(f->map->arg, key, f->owners, sizeof(f->owners),
	    f->err, f->errlen);
	if (r == 1 && f->found != NULL)
		snprintf(f->found, f->foundlen, "%s", key);
	return (r);
}

/* find_owners - the owners of sender: 1 listed, 0 not, -1 error */
static int
find_owners(struct find *f, const struct rcpt *r)
{
	char    base[RCPT_ARG_MAX + 1], key[2 * RCPT_ARG_MAX + 4];
	int     split, local, rc;

	split = may_split(r->local, f->map->delims) &&
	    rcpt_strip_extension(r->local, f->map->delims, base,
	    sizeof(base)) == 1;
	if (r->domain != NULL) {
		snprintf(key, sizeof(key), "%s@%s", r->local, r->domain);
		if ((rc = try_key(f, key)) != 0)
			return (rc);
		if (split) {
			snprintf(key, sizeof(key), "%s@%s", base, r->domain);
			if ((rc = try_key(f, key)) != 0)
				return (rc);
		}
	}
	local = r->domain == NULL || (f->map->is_local != NULL &&
	    f->map->is_local(f->map->arg, r->domain));
	if (local) {
		if ((rc = try_key(f, r->local)) != 0)
			return (rc);
		if (split && (rc = try_key(f, base)) != 0)
			return (rc);
	}
	if (r->domain != NULL) {
		snprintf(key, sizeof(key), "@%s", r->domain);
		return (try_key(f, key));
	}
	return (0);
}

/*
 * lookup_sender - find the owners of the sender, parsing it once:
 * 1 listed (owners in f), 0 not, -1 error. An unparsable sender is
 * listed with no owner.
 */
static int
lookup_sender(struct find *f, const struct rcpt *r)
{
	if (r->malformed) {
		f->owners[0] = 0;
		return (1);
	}
	return (find_owners(f, r));
}

/* check_auth - a logged-in client must own the sender */
static enum owner_verdict
check_auth(struct find *f, const struct rcpt *r, const char *identity,
	int allow_unlisted)
{
	int     rc = lookup_sender(f, r);

	if (rc < 0)
		return (OWNER_ERROR);
	if (rc == 0)
		return (allow_unlisted ? OWNER_PASS : OWNER_NOT_OWNED);
	return (owner_listed(f->owners, identity) ? OWNER_PASS :
	    OWNER_NOT_OWNED);
}

/* check_unauth - a client that did not log in must not use a listed sender */
static enum owner_verdict
check_unauth(struct find *f, const struct rcpt *r)
{
	int     rc = lookup_sender(f, r);

	if (rc < 0)
		return (OWNER_ERROR);
	return (rc ? OWNER_NOT_LOGGED_IN : OWNER_PASS);
}

/* owner_check - decide one restriction (see owner.h) */
enum owner_verdict
owner_check(enum owner_mode mode, const char *sender, const char *identity,
	const struct owner_map *map, char *found, size_t foundlen, char *err,
	size_t errlen)
{
	struct find f;
	struct rcpt r;
	enum owner_verdict v = OWNER_PASS;
	int     logged_in = identity != NULL && *identity != 0;

	if (found != NULL && foundlen > 0)
		found[0] = 0;
	if (err != NULL && errlen > 0)
		err[0] = 0;
	if (sender == NULL)
		return (OWNER_PASS);
	memset(&f, 0, sizeof(f));
	f.map = map;
	f.found = found;
	f.foundlen = foundlen;
	f.err = err;
	f.errlen = errlen;
	rcpt_parse(sender, &r);
	if (r.null_sender || (!r.malformed && *r.local == 0 &&
	    r.domain == NULL)) {
		rcpt_free(&r);
		return (OWNER_PASS);
	}
	switch (mode) {
	case OWNER_MISMATCH:
		if (logged_in)
			v = check_auth(&f, &r, identity, 0);
		else
			v = check_unauth(&f, &r);
		break;
	case OWNER_AUTHENTICATED:
		if (logged_in)
			v = check_auth(&f, &r, identity, 0);
		break;
	case OWNER_KNOWN:
		v = logged_in ? check_auth(&f, &r, identity, 1) :
		    check_unauth(&f, &r);
		break;
	case OWNER_UNAUTHENTICATED:
		if (!logged_in)
			v = check_unauth(&f, &r);
		break;
	default:
		v = OWNER_ERROR;
		if (err != NULL)
			snprintf(err, errlen, "unknown ownership mode");
		break;
	}
	rcpt_free(&r);
	return (v);
}
