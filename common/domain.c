/*
 * NAME
 *	domain 3
 * SUMMARY
 *	host and domain name normalisation
 * SYNOPSIS
 *	#include "common/domain.h"
 *
 *	int	domain_normalise(const char *in, char *out, size_t outlen)
 *	const char *domain_parent(const char *domain)
 * DESCRIPTION
 *	domain_normalise() lowercases a host name and removes one trailing
 *	dot. Labels hold letters, digits, '-' and '_' (underscores appear
 *	in real host names) and bytes above 127 (internationalised names
 *	as the MTA passes them); empty labels are refused. An address
 *	literal is rewritten to its canonical form, "[192.0.2.1]" or
 *	"[ipv6:2001:db8::1]", so that items and facts compare equal
 *	however the client spelled them.
 *
 *	domain_parent() walks up one label.
 * DIAGNOSTICS
 *	domain_normalise() returns -1 for what is not a host name or
 *	literal, or is longer than DOMAIN_MAX.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "common/domain.h"

/* label_char - may this byte appear in a label? */
static int
label_char(unsigned char c)
{
	return (isalnum(c) || c == '-' || c == '_' || c >= 0x80);
}

/* normalise_literal - "[addr]" to its canonical form */
static int
normalise_literal(const char *in, char *out, size_t outlen)
{
	struct addr a;
	char    buf[ADDR_STRLEN];
	int     n;

	if (addr_parse(in, &a) < 0)
		return (-1);
	addr_format(&a, buf, sizeof(buf));
	n = snprintf(out, outlen, "[%s%s]", a.family == ADDR_V6 ? "ipv6:" : "",
	    buf);
	return (n < 0 || (size_t) n >= outlen ? -1 : n);
}

/* domain_normalise - lowercase, drop one trailing dot, validate */
int
domain_normalise(const char *in, char *out, size_t outlen)
{
	size_t  len, i;
	int     label_len = 0;

	if (in == NULL || outlen == 0)
		return (-1);
	len = strlen(in);
	if (len > 0 && in[0] == '[')
		return (normalise_literal(in, out, outlen));
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMAIN_MAX || len >= outlen)
		return (-1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char) in[i];

		if (c == '.') {
			if (label_len == 0)
				return (-1);
			label_len = 0;
		} else if (label_char(c)) {
			label_len++;
		} else {
			return (-1);
		}
		out[i] = (char) tolower(c);
	}
	if (label_len == 0)
		return (-1);
	out[len] = '\0';
	return ((int) len);
}

/* domain_parent - the domain one label up, or NULL */
const char *
domain_parent(const char *domain)
{
	const char *dot;

	if (domain[0] == '[' || (dot = strchr(domain, '.')) == NULL ||
	    dot[1] == '\0')
		return (NULL);
	return (dot + 1);
}
