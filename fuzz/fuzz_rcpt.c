/*
 * NAME
 *	fuzz_rcpt - libFuzzer target for the recipient normaliser
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
 * DESCRIPTION
 *	Feeds arbitrary bytes (up to the first NUL: a milter argument
 *	is a C string) to rcpt_parse() and checks the properties of spec
 *	section 3 that keep relayguard from becoming an open relay, not
 *	only that it does not crash:
 *
 *	1. A routed input is never reported unrouted. The input is routed
 *	   when its path (the text inside the angle brackets, or up to the
 *	   first space outside quotes without them) holds '%' or '!', holds
 *	   two '@', or starts with '@' (a source route). This scanner is
 *	   written independently of common/rcpt.c on purpose.
 *	2. rcpt_domain, when set, is a domain present in the input:
 *	   a case-insensitive substring of the input (or of the input with
 *	   quotes and backslashes removed, as step 3 unquotes the local
 *	   part), or, for an address literal, equal to the canonical form
 *	   domain_normalise() gives some "[...]" of the input.
 *	3. unqualified and routed are never both set.
 *	4. malformed implies routed, not unqualified, and no rcpt_domain.
 *	5. Nothing rcpt_parse() returns holds a control character (these
 *	   strings reach logs and, through %{rcpt}, SMTP replies), and
 *	   domain and rcpt_domain are already normalised.
 *	6. A domain that is set and not routed is the rcpt_domain.
 *
 *	A failed property aborts with the input and the result printed,
 *	which libFuzzer reports as a crash.
 */
#define _GNU_SOURCE			/* strcasestr */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/domain.h"
#include "common/rcpt.h"

int     LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* fail - report a broken property and abort (libFuzzer keeps the input) */
static void
fail(const char *what, const char *in, const struct rcpt *r)
{
	fprintf(stderr, "fuzz_rcpt: property failed: %s\n"
	    "  input:       \"%s\"\n"
	    "  mailbox:     \"%s\"\n"
	    "  local:       \"%s\"\n"
	    "  domain:      %s\n"
	    "  rcpt_domain: %s\n"
	    "  routed=%d unqualified=%d null_sender=%d malformed=%d\n",
	    what, in, r->mailbox ? r->mailbox : "(null)",
	    r->local ? r->local : "(null)",
	    r->domain ? r->domain : "(null)",
	    r->rcpt_domain ? r->rcpt_domain : "(null)",
	    r->routed, r->unqualified, r->null_sender, r->malformed);
	abort();
}

/*
 * path_is_routed - property 1's reference: does the path in the
 * argument use a relay hack? The path starts after leading spaces and
 * an optional '<', and ends at the first '>' outside quotes (with the
 * bracket) or the first space outside quotes (without). Inside quotes
 * a backslash escapes the next byte.
 */
static int
path_is_routed(const char *s)
{
	size_t  i = 0, ats = 0;
	int     bracketed = 0, quoted = 0;
	char    c;

	while (s[i] == ' ')
		i++;
	if (s[i] == '<') {
		bracketed = 1;
		i++;
	}
	if (s[i] == '@')
		return (1);
	for (; s[i] != '\0'; i++) {
		c = s[i];
		if (quoted) {
			if (c == '\\' && s[i + 1] != '\0') {
				c = s[++i];
			} else if (c == '"') {
				quoted = 0;
				continue;
			}
		} else if (c == '"') {
			quoted = 1;
			continue;
		} else if (bracketed ? c == '>' : c == ' ') {
			break;
		}
		if (c == '%' || c == '!')
			return (1);
		if (c == '@' && ++ats >= 2)
			return (1);
	}
	return (0);
}

/* has_control - does the string hold a control character? */
static int
has_control(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char) *s < 0x20 || *s == 0x7f)
			return (1);
	return (0);
}

/* literal_in - is the literal dom the canonical form of a [..] in s? */
static int
literal_in(const char *dom, const char *s)
{
	const char *open, *close;
	char    buf[DOMAIN_MAX + 2], out[DOMAIN_MAX + 2];
	size_t  len;

	for (open = strchr(s, '['); open; open = strchr(open + 1, '[')) {
		if ((close = strchr(open, ']')) == NULL)
			break;
		len = (size_t) (close - open) + 1;
		if (len >= sizeof(buf))
			continue;
		memcpy(buf, open, len);
		buf[len] = '\0';
		if (domain_normalise(buf, out, sizeof(out)) >= 0 &&
		    strcmp(out, dom) == 0)
			return (1);
	}
	return (0);
}

/* domain_in_input - property 2: is dom present in the input? */
static int
domain_in_input(const char *dom, const char *in)
{
	char   *bare, *q;
	const char *p;
	int     found;

	if (strcasestr(in, dom) != NULL || literal_in(dom, in))
		return (1);
	/* The local part is unquoted: compare with quotes removed too. */
	bare = q = malloc(strlen(in) + 1);
	if (bare == NULL)
		abort();
	for (p = in; *p; p++)
		if (*p != '"' && *p != '\\')
			*q++ = *p;
	*q = '\0';
	found = strcasestr(bare, dom) != NULL || literal_in(dom, bare);
	free(bare);
	return (found);
}

/* is_normalised - does domain_normalise() leave dom unchanged? */
static int
is_normalised(const char *dom)
{
	char    out[DOMAIN_MAX + 2];

	return (domain_normalise(dom, out, sizeof(out)) >= 0 &&
	    strcmp(out, dom) == 0);
}

/* LLVMFuzzerTestOneInput - one input, every property */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rcpt r;
	char   *in;

	in = malloc(size + 1);
	if (in == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';		/* a milter argument ends at its NUL */

	rcpt_parse(in, &r);

	if (r.mailbox == NULL || r.local == NULL)
		fail("mailbox or local is NULL", in, &r);
	if (path_is_routed(in) && !r.routed)
		fail("routed input reported unrouted", in, &r);
	if (r.rcpt_domain != NULL && !domain_in_input(r.rcpt_domain, in))
		fail("rcpt_domain not present in the input", in, &r);
	if (r.unqualified && r.routed)
		fail("unqualified and routed both set", in, &r);
	if (r.malformed && (!r.routed || r.unqualified ||
		r.rcpt_domain != NULL))
		fail("malformed but not routed, or unqualified, or with "
		    "rcpt_domain", in, &r);
	if (has_control(r.mailbox) || has_control(r.local) ||
	    has_control(r.domain) || has_control(r.rcpt_domain))
		fail("control character in the result", in, &r);
	if (r.domain != NULL && !is_normalised(r.domain))
		fail("domain not normalised", in, &r);
	if (r.rcpt_domain != NULL && !is_normalised(r.rcpt_domain))
		fail("rcpt_domain not normalised", in, &r);
	if (r.domain != NULL && !r.routed &&
	    (r.rcpt_domain == NULL || strcmp(r.domain, r.rcpt_domain) != 0))
		fail("unrouted address whose rcpt_domain is not its domain",
		    in, &r);
	if (r.null_sender && (r.routed || r.unqualified || r.domain ||
		r.rcpt_domain || r.mailbox[0] != '\0'))
		fail("null path with an address", in, &r);

	rcpt_free(&r);
	free(in);
	return (0);
}
