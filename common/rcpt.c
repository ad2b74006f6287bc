/*
 * NAME
 *	rcpt 3
 * SUMMARY
 *	normalise SMTP paths the way relay rules must see them
 * SYNOPSIS
 *	#include "common/rcpt.h"
 *
 *	int	rcpt_parse(const char *arg, struct rcpt *out)
 *	void	rcpt_free(struct rcpt *r)
 *	int	rcpt_strip_extension(const char *local, const char *delims,
 *			char *out, size_t outlen)
 * DESCRIPTION
 *	rcpt_parse() implements spec section 3. In order:
 *
 *	1. Angle brackets are removed; what follows the closing bracket
 *	   (or the first space outside quotes, when there are no brackets)
 *	   is ESMTP parameters and is ignored.
 *	2. A source route ("@hop1,@hop2:user@dest") is removed and the
 *	   address is routed.
 *	3. The domain is what follows the last '@' outside quotes; it is
 *	   normalised with domain_normalise().
 *	4. The local part is unquoted ('"' removed, backslash escapes
 *	   resolved) and lowercased.
 *	5. A local part that still holds '@' or '%' is routed, and its
 *	   final destination is after the last of them; otherwise one that
 *	   holds '!' is routed to what precedes the first '!' (a bang path,
 *	   "host!user").
 *	6. A path with no domain that is not routed is unqualified.
 *
 *	next_hop is where the MTA hands the message first: the first hop
 *	of a source route, else the domain after the last '@'. For
 *	"<user%example.com@evil.example>" rcpt_domain is example.com but
 *	the MTA relays to evil.example, so a routed address may be called
 *	local only when next_hop, domain and rcpt_domain all are.
 *
 *	An open relay is made of exactly the inputs that do not fit, so
 *	the parser fails closed: whatever it cannot read with certainty is
 *	malformed, which makes it routed with no rcpt_domain. No domain
 *	rule can then match it, and a table OK for it counts as DUNNO.
 *	Malformed are: arguments over RCPT_ARG_MAX bytes, control
 *	characters, unbalanced quotes or angle brackets, text after '<' that
 *	is not closed by '>', a source route with no ':', and a domain part
 *	that is not a host name or address literal (including an empty
 *	one, as in "user@" or "@").
 *
 *	A final destination that is empty or not a host name ("!b",
 *	"user%") leaves rcpt_domain NULL but the address stays routed.
 *
 *	rcpt_strip_extension() removes a recipient-delimiter extension:
 *	everything from the first delimiter character on, unless that is
 *	the first character of the local part.
 * DIAGNOSTICS
 *	rcpt_parse() cannot fail; allocation failure aborts.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/domain.h"
#include "common/rcpt.h"
#include "common/xalloc.h"

/* Malformed input is kept for logs, shortened to this. */
#define RCPT_LOG_MAX	256

/* lower_dup - lowercased copy of len bytes */
static char *
lower_dup(const char *s, size_t len)
{
	char   *p = xstrndup(s, len);
	char   *q;

	for (q = p; *q; q++)
		*q = (char) tolower((unsigned char) *q);
	return (p);
}

/* set_malformed - fail closed, keeping a printable copy for logs */
static void
set_malformed(struct rcpt *out, const char *arg)
{
	size_t  len, i;
	char   *p;

	rcpt_free(out);
	len = arg ? strlen(arg) : 0;
	if (len > RCPT_LOG_MAX)
		len = RCPT_LOG_MAX;
	p = lower_dup(arg ? arg : "", len);
	for (i = 0; p[i]; i++)
		if ((unsigned char) p[i] < 0x20 || p[i] == 0x7f)
			p[i] = '?';
	out->mailbox = p;
	out->local = xstrdup(p);
	out->malformed = 1;
	out->routed = 1;
}

/*
 * find_path - the path inside the argument: [*start, *end). Returns 0,
 * or -1 when the brackets or quotes do not balance.
 */
static int
find_path(const char *arg, size_t len, size_t *start, size_t *end)
{
	size_t  i = 0, j;
	int     quoted = 0, bracketed = 0;

	while (i < len && arg[i] == ' ')
		i++;
	if (i < len && arg[i] == '<') {
		bracketed = 1;
		i++;
	}
	*start = i;
	for (j = i; j < len; j++) {
		if (quoted) {
			if (arg[j] == '\\' && j + 1 < len)
				j++;
			else if (arg[j] == '"')
				quoted = 0;
			continue;
		}
		if (arg[j] == '"') {
			quoted = 1;
		} else if (arg[j] == '<') {
			return (-1);
		} else if (arg[j] == '>') {
			if (!bracketed)
				return (-1);
			*end = j;
			return (0);
		} else if (arg[j] == ' ' && !bracketed) {
			break;
		}
	}
	if (quoted || bracketed)
		return (-1);
	*end = j;
	return (0);
}

/*
 * last_at - index of the last '@' outside quotes in [s, s+len), or -1.
 * The quotes balance (find_path checked).
 */
static long
last_at(const char *s, size_t len)
{
	size_t  i;
	long    at = -1;
	int     quoted = 0;

	for (i = 0; i < len; i++) {
		if (quoted) {
			if (s[i] == '\\' && i + 1 < len)
				i++;
			else if (s[i] == '"')
				quoted = 0;
		} else if (s[i] == '"') {
			quoted = 1;
		} else if (s[i] == '@') {
			at = (long) i;
		}
	}
	return (at);
}

/* unquote_lower - local part without quotes and escapes, lowercased */
static char *
unquote_lower(const char *s, size_t len)
{
	char   *p = xmalloc(len + 1), *q = p;
	size_t  i;

	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			continue;
		if (s[i] == '\\' && i + 1 < len)
			i++;
		*q++ = (char) tolower((unsigned char) s[i]);
	}
	*q = '\0';
	return (p);
}

/* final_domain - normalised copy of len bytes, or NULL when invalid */
static char *
final_domain(const char *s, size_t len)
{
	char    in[DOMAIN_MAX + 2], out[DOMAIN_MAX + 2];

	if (len == 0 || len > DOMAIN_MAX + 1)
		return (NULL);
	memcpy(in, s, len);
	in[len] = '\0';
	if (domain_normalise(in, out, sizeof(out)) < 0)
		return (NULL);
	return (xstrdup(out));
}

/* rcpt_parse - normalise one path argument */
int
rcpt_parse(const char *arg, struct rcpt *out)
{
	size_t  len, start, end, i, llen;
	const char *path, *colon, *mark;
	long    at;
	char   *p;

	memset(out, 0, sizeof(*out));
	if (arg == NULL || (len = strlen(arg)) > RCPT_ARG_MAX) {
		set_malformed(out, arg);
		return (0);
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char) arg[i] < 0x20 || arg[i] == 0x7f) {
			set_malformed(out, arg);
			return (0);
		}
	}
	if (find_path(arg, len, &start, &end) < 0) {
		set_malformed(out, arg);
		return (0);
	}
	path = arg + start;
	len = end - start;

	/* The null path, <>; an empty argument without brackets is not. */
	if (len == 0 && memchr(arg, '<', (size_t) (path - arg)) == NULL) {
		set_malformed(out, arg);
		return (0);
	}
	if (len == 0) {
		out->mailbox = xstrdup("");
		out->local = xstrdup("");
		out->null_sender = 1;
		return (0);
	}

	/* Source route: @hop1,@hop2:rest. */
	if (path[0] == '@') {
		colon = memchr(path, ':', len);
		if (colon == NULL || colon + 1 == path + len) {
			set_malformed(out, arg);
			return (0);
		}
		mark = memchr(path, ',', (size_t) (colon - path));
		out->next_hop = final_domain(path + 1, (size_t) ((mark ? mark :
			colon) - path - 1));
		if (out->next_hop == NULL) {
			set_malformed(out, arg);
			return (0);
		}
		len -= (size_t) (colon + 1 - path);
		path = colon + 1;
		out->routed = 1;
	}

	/* Split at the last '@' outside quotes. */
	at = last_at(path, len);
	llen = at < 0 ? len : (size_t) at;
	if (at >= 0) {
		out->domain = final_domain(path + at + 1, len - (size_t) at - 1);
		if (out->domain == NULL) {
			set_malformed(out, arg);
			return (0);
		}
	}
	out->local = unquote_lower(path, llen);

	/* Relay hacks left in the local part. */
	if ((mark = strrchr(out->local, '@')) != NULL ||
	    (mark = strrchr(out->local, '%')) != NULL) {
		/* After the last '@' or '%', whichever comes later. */
		p = strrchr(out->local, '%');
		if (p != NULL && p > mark)
			mark = p;
		out->routed = 1;
		out->rcpt_domain = final_domain(mark + 1, strlen(mark + 1));
	} else if ((mark = strchr(out->local, '!')) != NULL) {
		out->routed = 1;
		out->rcpt_domain = final_domain(out->local,
		    (size_t) (mark - out->local));
	} else if (out->domain != NULL) {
		out->rcpt_domain = xstrdup(out->domain);
	}
	out->unqualified = (out->domain == NULL && !out->routed);
	if (out->next_hop == NULL && out->domain != NULL)
		out->next_hop = xstrdup(out->domain);

	/* The mailbox: local@domain, or the local part alone. */
	if (out->domain != NULL) {
		llen = strlen(out->local);
		p = xmalloc(llen + strlen(out->domain) + 2);
		memcpy(p, out->local, llen);
		p[llen] = '@';
		strcpy(p + llen + 1, out->domain);
		out->mailbox = p;
	} else {
		out->mailbox = xstrdup(out->local);
	}
	return (0);
}

/* rcpt_free - release the strings; the struct is zeroed */
void
rcpt_free(struct rcpt *r)
{
	if (r == NULL)
		return;
	free(r->mailbox);
	free(r->local);
	free(r->domain);
	free(r->rcpt_domain);
	free(r->next_hop);
	memset(r, 0, sizeof(*r));
}

/* rcpt_strip_extension - "user+tag" to "user" */
int
rcpt_strip_extension(const char *local, const char *delims, char *out,
	size_t outlen)
{
	size_t  n = strlen(local), cut = n;
	int     stripped = 0;

	if (delims != NULL && *delims != '\0') {
		cut = strcspn(local, delims);
		if (cut == 0 || cut == n)
			cut = n;
		else
			stripped = 1;
	}
	if (outlen == 0)
		return (stripped);
	if (cut >= outlen)
		cut = outlen - 1;
	memcpy(out, local, cut);
	out[cut] = '\0';
	return (stripped);
}
