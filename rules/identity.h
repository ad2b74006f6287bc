#ifndef RG_IDENTITY_H
#define RG_IDENTITY_H

/*
 * identity - who is relaying: the login behind a session
 *
 * The identity fact is the SASL login when the client authenticated;
 * otherwise the user recorded with the client's grant in a dynamic
 * table (POP/IMAP-before-SMTP); otherwise the common name of the
 * client certificate (or the login a map gives for it); absent for a
 * stranger. identity-source says
 * which: "auth", "grant" or "cert".
 *
 * This is library code: it never logs and never exits.
 */
#include <stddef.h>
#include <time.h>

#include "common/addr.h"
#include "store/store.h"

enum identity_source {
	IDENTITY_NONE,
	IDENTITY_AUTH,
	IDENTITY_GRANT,
	IDENTITY_CERT,
};

#define IDENTITY_MAX	STORE_USER_MAX	/* longest identity kept */

/* What identity_derive() looks at; NULL for anything not known yet. */
struct identity_in {
	const char *auth;		/* {auth_authen} */
	const struct addr *client;
	const char *cert_subject;	/* {cert_subject} */
	const char *cert_fp;		/* {cert_fp}, ccert_fingerprint */
	/*
	 * The certificate identity map (the cert-identity setting), or
	 * NULL: the subject's CN is the identity. With a map, the
	 * fingerprint, then the subject, then its CN are looked up; the
	 * value is the identity; a certificate in none gives no identity.
	 */
	struct store *cert_map;
	int	cert_mapped;		/* a map is configured: cert_map
					 * NULL then means it is not open
					 * (an error when a certificate
					 * is to be looked up) */
	struct store *const *grants;	/* the dynamic tables to ask */
	size_t	ngrants;
	time_t	now;
};

/*
 * identity_derive - the identity of a session into out (outlen bytes),
 * its source in *src. A longer identity is cut (a grant's user is at
 * most STORE_USER_MAX - 1 bytes anyway). Control characters make an
 * auth or cert value unusable (absent). Returns 1 found, 0 absent, -1
 * a grant or certificate map lookup failed (err filled; the caller
 * fails closed).
 */
extern int identity_derive(const struct identity_in *, char *out,
	size_t outlen, enum identity_source *src, struct store_error *err);

/*
 * identity_cert_cn - the common name of a certificate subject: the CN
 * of a DN written "/C=../CN=name/.." (Sendmail) or "CN=name,O=.."
 * (RFC 4514), or the whole value when it has no CN= (Postfix passes
 * the CN alone). Returns 1 with the name in out, 0 when there is none.
 */
extern int identity_cert_cn(const char *subject, char *out, size_t outlen);

/* identity_source_name - "auth", "grant", "cert", or NULL for none */
extern const char *identity_source_name(enum identity_source);

#endif
