#ifndef RG_OWNER_H
#define RG_OWNER_H

/*
 * owner - who may use a sender address: Postfix's smtpd_sender_login_maps
 *
 * owner_check() decides one of Postfix's four sender login mismatch
 * restrictions over a login map reached through a caller's lookup
 * function, so that the decision can be tested without a table and
 * used with any table backend.
 *
 * This is library code: it never logs and never exits.
 */
#include <stddef.h>

/* The four restrictions of Postfix's postconf(5). */
enum owner_mode {
	OWNER_MISMATCH,			/* reject_sender_login_mismatch */
	OWNER_AUTHENTICATED,		/* reject_authenticated_sender_login_mismatch */
	OWNER_KNOWN,			/* reject_known_sender_login_mismatch */
	OWNER_UNAUTHENTICATED,		/* reject_unauthenticated_sender_login_mismatch */
	OWNER_NMODES,
};

/* What owner_check() found. */
enum owner_verdict {
	OWNER_ERROR = -1,		/* a lookup failed: on-error decides */
	OWNER_PASS = 0,			/* nothing to refuse */
	OWNER_NOT_OWNED = 1,		/* "not owned by user %s" */
	OWNER_NOT_LOGGED_IN = 2,	/* "not logged in" */
};

/* The longest owner list a lookup may return. */
#define OWNER_VALUE_MAX	1024

/*
 * The login map. lookup() looks up one key exactly (already lowercased)
 * and copies the value to val: it returns 1 found, 0 not found, -1 an
 * error (with a message in err). is_local() says whether a domain is
 * one of ours (Postfix's "user" lookup is done only for those); NULL
 * means no domain is. delims is the recipient-delimiter set (NULL or
 * "" for none).
 */
struct owner_map {
	int	(*lookup) (void *arg, const char *key, char *val,
		    size_t vallen, char *err, size_t errlen);
	int	(*is_local) (void *arg, const char *domain);
	const char *delims;
	void   *arg;
};

/*
 * owner_check - decide mode for the MAIL FROM argument sender (as
 * received: "<user@example.com>", with or without angle brackets) and
 * the login identity (NULL: the client did not log in).
 *
 * The keys are tried in Postfix's order, each lowercased:
 * user+ext@domain, user@domain (extension removed), then for a local
 * domain user+ext and user, then @domain; the first key found gives
 * the owners, separated by commas or white space, and identity owns
 * the sender when it equals one of them ignoring case. The null
 * sender is never checked. A sender that cannot be parsed is treated
 * as listed with no owner.
 *
 * Returns an enum owner_verdict. On OWNER_ERROR, err holds the
 * lookup's message; on any other answer, when found is not NULL, it
 * receives the key that was found ("" when none).
 */
extern enum owner_verdict owner_check(enum owner_mode mode,
	const char *sender, const char *identity, const struct owner_map *,
	char *found, size_t foundlen, char *err, size_t errlen);

/* owner_mode_name - "mismatch", "authenticated", "known", "unauthenticated" */
extern const char *owner_mode_name(enum owner_mode);

/*
 * owner_listed - is identity one of the owners in the list (commas or
 * white space between names, compared ignoring case)? 1 yes, 0 no.
 */
extern int owner_listed(const char *owners, const char *identity);

#endif
