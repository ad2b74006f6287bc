/*
 * NAME
 *	routed 3
 * SUMMARY
 *	the readings of a routed recipient (spec section 3)
 * SYNOPSIS
 *	#include "rules/rules_int.h"
 *
 *	void	readings_build(const char *arg, const struct rcpt *m,
 *		struct readings *out)
 *	void	readings_free(struct readings *rd)
 * DESCRIPTION
 *	A routed recipient has several readings, and the MTA (or one after
 *	it) may deliver by any of them. readings_build() lists them for
 *	the recipient m parsed from the RCPT argument arg:
 *
 *	1. The address as written: the whole local part, unquoted, at the
 *	   domain after the last '@' (no domain for "user%other.example").
 *	2. Each hop a relay would take by rewriting the local part, and
 *	   the final mailbox. A local part holding '@' or '%' is split at
 *	   the last of them ("a%b%c" is "a%b" at c, then "a" at b); one
 *	   holding '!' is split at the first ("a!b!u" is "b!u" at a, then
 *	   "u" at b). A local part with both is read both ways, and every
 *	   reading of either way is kept: MTAs differ in which they apply
 *	   first.
 *	3. Each hop of a source route ("@h1,@h2:user@dest"), as a reading
 *	   with a domain and an empty local part.
 *
 *	Domains are canonical (rules_domain_canon()), so that they compare
 *	with set items and table keys. Readings that are equal are listed
 *	once.
 *
 *	Whatever cannot be read with certainty makes the readings
 *	uncertain: a malformed address (no readings at all), a hop that is
 *	not a host name ("user%@example.com", "!user@example.com"), an
 *	empty local part, or more than READINGS_MAX readings. The engine
 *	then lets no permit match and every refusal match (eval.c).
 *
 *	An address that is not routed has one reading, the address itself.
 * DIAGNOSTICS
 *	readings_build() cannot fail; allocation failure aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "common/domain.h"
#include "common/rcpt.h"
#include "common/xalloc.h"
#include "rules/rules_int.h"

/* add - one reading, unless it is listed already; 0 or -1 when full */
static int
add(struct readings *rd, const char *local, size_t llen, const char *dom,
	int hop)
{
	size_t  i;

	for (i = 0; i < rd->n; i++) {
		const struct reading *r = &rd->r[i];

		if (strlen(r->local) == llen && strncmp(r->local, local,
		    llen) == 0 && ((r->domain == NULL && dom == NULL) ||
		    (r->domain != NULL && dom != NULL &&
		    strcmp(r->domain, dom) == 0)))
			return (0);
	}
	if (rd->n >= READINGS_MAX) {
		rd->uncertain = 1;
		return (-1);
	}
	rd->r[rd->n].local = xstrndup(local, llen);
	rd->r[rd->n].domain = dom ? xstrdup(dom) : NULL;
	rd->r[rd->n].hop = hop;
	rd->n++;
	return (0);
}

/* canon - a hop's domain, canonical; -1 when it is no host name */
static int
canon(const char *s, size_t len, char *out, size_t outlen)
{
	char    in[DOMAIN_MAX + 2];

	if (len == 0 || len > DOMAIN_MAX)
		return (-1);
	memcpy(in, s, len);
	in[len] = '\0';
	return (rules_domain_canon(in, out, outlen) < 0 ? -1 : 0);
}

/*
 * split - the readings hidden in a local part (step 2 above). depth
 * bounds the work: each level has at most two ways on, and READINGS_MAX
 * stops the walk long before 2^depth matters.
 */
static void
split(struct readings *rd, const char *local, size_t len, int depth)
{
	char    dom[DOMAIN_MAX + 1];
	size_t  i, cut = 0;
	int     found;

	if (rd->uncertain)
		return;
	if (depth > READINGS_MAX) {
		rd->uncertain = 1;
		return;
	}
	/* After the last '@' or '%'. */
	for (found = 0, i = 0; i < len; i++)
		if (local[i] == '@' || local[i] == '%')
			found = 1, cut = i;
	if (found) {
		if (cut == 0 || canon(local + cut + 1, len - cut - 1, dom,
		    sizeof(dom)) < 0) {
			rd->uncertain = 1;
			return;
		}
		if (add(rd, local, cut, dom, 0) < 0)
			return;
		split(rd, local, cut, depth + 1);
	}
	/* Before the first '!'. */
	for (found = 0, i = 0; i < len && !found; i++)
		if (local[i] == '!')
			found = 1, cut = i;
	if (found) {
		if (cut + 1 >= len || canon(local, cut, dom, sizeof(dom)) < 0) {
			rd->uncertain = 1;
			return;
		}
		if (add(rd, local + cut + 1, len - cut - 1, dom, 0) < 0)
			return;
		split(rd, local + cut + 1, len - cut - 1, depth + 1);
	}
}

/* route_hops - the hops of a source route in the raw argument */
static void
route_hops(struct readings *rd, const char *arg)
{
	char    dom[DOMAIN_MAX + 1];
	const char *p, *end, *colon;

	if (arg == NULL)
		return;
	while (*arg == ' ')
		arg++;
	if (*arg == '<')
		arg++;
	if (*arg != '@')
		return;
	if ((colon = strchr(arg, ':')) == NULL) {
		rd->uncertain = 1;	/* rcpt_parse() calls it malformed */
		return;
	}
	for (p = arg; p < colon; p = end + 1) {
		if (*p != '@') {
			rd->uncertain = 1;
			return;
		}
		p++;
		for (end = p; end < colon && *end != ','; end++)
			 /* void */ ;
		if (canon(p, (size_t) (end - p), dom, sizeof(dom)) < 0) {
			rd->uncertain = 1;
			return;
		}
		if (add(rd, "", 0, dom, 1) < 0)
			return;
	}
}

/* readings_build - every reading of a recipient */
void
readings_build(const char *arg, const struct rcpt *m, struct readings *out)
{
	char    dom[DOMAIN_MAX + 1];
	const char *d = NULL;

	memset(out, 0, sizeof(*out));
	if (m->malformed || m->local == NULL) {
		out->uncertain = 1;
		return;
	}
	if (m->domain != NULL) {
		if (canon(m->domain, strlen(m->domain), dom, sizeof(dom)) < 0) {
			out->uncertain = 1;
			return;
		}
		d = dom;
	}
	if (m->local[0] == '\0') {
		out->uncertain = 1;
		return;
	}
	(void) add(out, m->local, strlen(m->local), d, 0);
	if (!m->routed)
		return;
	split(out, m->local, strlen(m->local), 0);
	route_hops(out, arg);
}

/* readings_free - release the strings; NULL-safe */
void
readings_free(struct readings *rd)
{
	size_t  i;

	if (rd == NULL)
		return;
	for (i = 0; i < rd->n; i++) {
		free(rd->r[i].local);
		free(rd->r[i].domain);
	}
	rd->n = 0;
}
