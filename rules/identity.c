/*
 * NAME
 *	identity - derive the identity fact of a session
 * SYNOPSIS
 *	#include "rules/identity.h"
#include "rules/rules_int.h"
 *
 *	int identity_derive(in, out, outlen, src, err)
 *	int identity_cert_cn(subject, out, outlen)
 *	const char *identity_source_name(src)
 *
 *	#include "rules/rules.h"
 *
 *	int rules_blocks_open(r, path, writable, out, err, errlen)
 *	int rules_block_add(r, path, identity, ttl, reason, revoked,
 *		err, errlen)
 * DESCRIPTION
 *	The order is that of trust: a SASL login was proved in this
 *	session; a grant was proved to a POP or IMAP server a little
 *	earlier, from the same address; a certificate name is only as good
 *	as the CA that signed it, and is used when nothing else is known.
 *	With a certificate map, the certificate's identity is what the map
 *	says: its fingerprint, then its whole subject, then the subject's
 *	CN are looked up, and the first login of the first value found is
 *	the identity; a certificate the map does not know gives none (the
 *	CN is not taken instead: an administrator who lists certificates
 *	means the others not to count).
 *
 *	The dynamic tables are asked in the order given; the first
 *	unexpired grant with a user decides. A grant without a user gives
 *	no identity (it still permits "client in <grants>").
 *
 *	Blocks live where the "blocks" setting says: a file, or with
 *	"blocks redis" the redis section's server; a block revokes the
 *	identity's grants in every dynamic table, Redis ones included.
 * DIAGNOSTICS
 *	A failed grant or certificate map lookup is -1 with err filled:
 *	an identity that cannot be known is not taken to be absent.
 * THREADS
 *	Reentrant; the store handles are shared and thread-safe.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rules/identity.h"
#include "rules/rules_int.h"
#include "store/redis.h"

/* clean - a usable identity: present, no control characters */
static int
clean(const char *v)
{
	if (v == NULL || *v == 0)
		return (0);
	for (; *v; v++)
		if ((unsigned char) *v < 0x20 || *v == 0x7f)
			return (0);
	return (1);
}

/* identity_source_name - the source's name */
const char *
identity_source_name(enum identity_source s)
{
	switch (s) {
	case IDENTITY_AUTH:
		return ("auth");
	case IDENTITY_GRANT:
		return ("grant");
	case IDENTITY_CERT:
		return ("cert");
	default:
		return (NULL);
	}
}

/* identity_cert_cn - the CN of a subject (see identity.h) */
int
identity_cert_cn(const char *subject, char *out, size_t outlen)
{
	const char *p, *cn = NULL;
	size_t  n;
	int     slash;

	if (!clean(subject))
		return (0);
	slash = subject[0] == '/';
	for (p = subject; (p = strstr(p, "CN=")) != NULL; p += 3)
		if (p == subject || p[-1] == (slash ? '/' : ',') ||
		    (!slash && p[-1] == ' '))
			cn = p + 3;	/* the last CN is the most specific */
	if (cn == NULL) {
		if (strchr(subject, '=') != NULL)
			return (0);	/* a DN without a CN */
		cn = subject;
	}
	n = strcspn(cn, slash ? "/" : ",");
	while (n > 0 && cn[n - 1] == ' ')
		n--;
	if (n == 0 || n >= outlen)
		return (0);
	memcpy(out, cn, n);
	out[n] = 0;
	return (1);
}

/*
 * cert_lookup - the login the certificate map gives: the fingerprint,
 * then the whole subject, then its CN looked up; 1 with the login in
 * out, 0 in none (or no certificate), -1 a lookup failed (err)
 */
static int
cert_lookup(const struct identity_in *in, char *out, size_t outlen,
	struct store_error *err)
{
	const char *keys[3];
	char    cn[IDENTITY_MAX], val[STORE_VALUE_MAX];
	size_t  i, n = 0, len;
	int     rc;

	if (clean(in->cert_fp))
		keys[n++] = in->cert_fp;
	if (clean(in->cert_subject)) {
		keys[n++] = in->cert_subject;
		if (identity_cert_cn(in->cert_subject, cn, sizeof(cn)) &&
		    strcmp(cn, in->cert_subject) != 0)
			keys[n++] = cn;
	}
	if (n > 0 && in->cert_map == NULL) {
		snprintf(err->msg, sizeof(err->msg), "the cert-identity table "
		    "is not open");
		err->first = 0;
		return (-1);
	}
	for (i = 0; i < n; i++) {
		rc = store_lookup(in->cert_map, STORE_EXACT, keys[i], NULL, val,
		    sizeof(val), NULL, 0, err);
		if (rc < 0)
			return (-1);
		if (rc == 0)
			continue;
		/* The first owner of a login-map value is the login. */
		len = strcspn(val, ", \t");
		if (len == 0 || len >= outlen)
			return (0);
		memcpy(out, val, len);
		out[len] = '\0';
		return (clean(out));
	}
	return (0);
}

/* identity_derive - the identity of a session (see identity.h) */
int
identity_derive(const struct identity_in *in, char *out, size_t outlen,
	enum identity_source *src, struct store_error *err)
{
	struct store_grant_info g;
	size_t  i;
	int     rc;

	*src = IDENTITY_NONE;
	out[0] = 0;
	if (clean(in->auth)) {
		snprintf(out, outlen, "%s", in->auth);
		*src = IDENTITY_AUTH;
		return (1);
	}
	for (i = 0; in->client != NULL && i < in->ngrants; i++) {
		if (in->grants[i] == NULL)
			continue;
		rc = store_grant_find(in->grants[i], in->client, in->now, &g,
		    err);
		if (rc < 0)
			return (-1);
		if (rc == 1 && clean(g.user)) {
			snprintf(out, outlen, "%s", g.user);
			*src = IDENTITY_GRANT;
			return (1);
		}
	}
	if (in->cert_mapped)
		rc = cert_lookup(in, out, outlen, err);
	else
		rc = identity_cert_cn(in->cert_subject, out, outlen);
	if (rc == 1)
		*src = IDENTITY_CERT;
	return (rc);
}

/* rules_blocks_open - the blocks table of r, or path (see rules.h) */
int
rules_blocks_open(const struct rules *r, const char *path, int writable,
	struct store **out, char *err, size_t errlen)
{
	if (path == NULL)
		path = r->settings.blocks;
	if (strcmp(path, RULES_IN_REDIS) != 0)
		return (store_block_open(path, writable, out, err, errlen));
	if (r->settings.redis == NULL) {
		*out = NULL;
		snprintf(err, errlen, "blocks redis but there is no redis "
		    "section");
		return (-1);
	}
	return (store_block_open_redis(r->settings.redis, out, err, errlen));
}

/* The spellings of one login among a Redis table's grants. */
#define SPELLINGS_MAX	8

struct spellings {
	const char *identity;
	char	v[SPELLINGS_MAX][STORE_USER_MAX];
	size_t	n;
	int	more;			/* stopped with spellings left */
};

/* spelling - store_grant_list() callback: note a new spelling */
static int
spelling(const struct store_grant_info *g, void *arg)
{
	struct spellings *sp = arg;
	size_t  i;

	if (strcasecmp(g->user, sp->identity) != 0)
		return (0);
	for (i = 0; i < sp->n; i++)
		if (strcmp(sp->v[i], g->user) == 0)
			return (0);
	if (sp->n == SPELLINGS_MAX) {
		sp->more = 1;
		return (1);
	}
	snprintf(sp->v[sp->n++], STORE_USER_MAX, "%s", g->user);
	return (0);
}

/*
 * revoke_spellings - revoke the grants of identity in a Redis table,
 * whatever the case of the user they were made for: Redis indexes a
 * user's grants under the name as granted, so each spelling found
 * among the grants is revoked by its own index
 */
static int
revoke_spellings(struct store *s, const char *identity, size_t *revoked,
	char *err, size_t errlen)
{
	struct spellings sp;
	size_t  i, n;

	*revoked = 0;
	do {
		memset(&sp, 0, sizeof(sp));
		sp.identity = identity;
		if (store_grant_list(s, spelling, &sp, err, errlen) < 0)
			return (-1);
		for (i = 0; i < sp.n; i++) {
			if (store_revoke_user(s, sp.v[i], &n, err, errlen) < 0)
				return (-1);
			*revoked += n;
		}
	} while (sp.more);
	return (0);
}

/* rules_block_add - block an identity and revoke its grants (rules.h) */
int
rules_block_add(const struct rules *r, const char *path,
	const char *identity, time_t ttl, const char *reason, size_t *revoked,
	char *err, size_t errlen)
{
	struct store *s;
	time_t  now = time(NULL);
	size_t  i, n;
	int     rc;

	*revoked = 0;
	if (rules_blocks_open(r, path, 1, &s, err, errlen) < 0)
		return (-1);
	rc = store_block_add(s, identity, now, ttl > 0 ? now + ttl : 0, reason,
	    err, errlen);
	store_close(s);
	if (rc < 0)
		return (-1);
	for (i = 0; i < r->ntables; i++) {
		if (!r->tables[i]->dynamic)
			continue;
		if (r->tables[i]->redis) {
			if (r->tables[i]->store == NULL) {
				snprintf(err, errlen, "table %s: not open",
				    r->tables[i]->name);
				return (-1);
			}
			s = store_dup(r->tables[i]->store);
			rc = revoke_spellings(s, identity, &n, err, errlen);
			store_close(s);
			if (rc < 0)
				return (-1);
			*revoked += n;
			continue;
		} else if (store_open_write(r->tables[i]->path, 1, &s, err,
		    errlen) < 0)
			return (-1);
		rc = store_revoke_user(s, identity, &n, err, errlen);
		store_close(s);
		if (rc < 0)
			return (-1);
		*revoked += n;
	}
	return (0);
}
