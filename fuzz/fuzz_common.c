/*
 * NAME
 *	fuzz_common - libFuzzer target for addresses, prefixes and domains
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
 * DESCRIPTION
 *	Every item of a rules file and every table key goes through
 *	common/addr.c and common/domain.c, so they are fuzzed against
 *	independent references, not only for crashes. The first input byte
 *	chooses an output buffer size (to catch overflows of short
 *	buffers, which are allocated to exactly that size); the rest, up
 *	to a NUL, is the text.
 *
 *	addr_parse() must agree with inet_pton(3) on undecorated text
 *	(accept exactly what it accepts, with the same bytes, IPv4-mapped
 *	IPv6 unmapped), and its result must survive addr_format() and a
 *	second addr_parse() unchanged.
 *
 *	prefix_parse() must give a prefix that contains its own address,
 *	has no host bits set, and survives prefix_format() and a second
 *	prefix_parse() unchanged.
 *
 *	domain_normalise() must be idempotent, write no more than outlen
 *	bytes, and never return a name holding a byte it refuses.
 *	domain_parent() must walk to the top through suffixes.
 *
 *	rcpt_strip_extension() must never write past outlen and must
 *	return a prefix of the local part.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/addr.h"
#include "common/domain.h"
#include "common/rcpt.h"

int     LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* fail - report a broken property and abort */
static void
fail(const char *what, const char *in)
{
	fprintf(stderr, "fuzz_common: property failed: %s\n  input: \"%s\"\n",
	    what, in);
	abort();
}

/* check_addr - addr_parse against inet_pton, and the round trip */
static void
check_addr(const char *in)
{
	struct addr a, b;
	uint8_t ref[16];
	char    buf[ADDR_STRLEN];
	int     ok, ref4, ref6;
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xff, 0xff};

	ok = addr_parse(in, &a) == 0;
	if (in[0] != '[' && strncasecmp(in, "ipv6:", 5) != 0) {
		ref4 = inet_pton(AF_INET, in, ref) == 1;
		ref6 = !ref4 && inet_pton(AF_INET6, in, ref) == 1;
		if (ok != (ref4 || ref6))
			fail(ok ? "addr_parse accepts what inet_pton refuses" :
			    "addr_parse refuses what inet_pton accepts", in);
		if (ok && ref6 && memcmp(ref, mapped, 12) == 0) {
			memmove(ref, ref + 12, 4);
			ref4 = 1;
		}
		if (ok && (a.family != (ref4 ? ADDR_V4 : ADDR_V6) ||
			memcmp(a.bytes, ref, ref4 ? 4 : 16) != 0))
			fail("addr_parse and inet_pton disagree on the bytes", in);
	}
	if (!ok)
		return;
	addr_format(&a, buf, sizeof(buf));
	if (addr_parse(buf, &b) != 0 || addr_cmp(&a, &b) != 0)
		fail("addr_format does not parse back to the same address", in);
}

/* check_prefix - prefix_parse invariants and round trip */
static void
check_prefix(const char *in)
{
	struct prefix p, q;
	char    buf[ADDR_STRLEN + 8], err[128];
	int     bits, i;

	if (prefix_parse(in, &p, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			fail("prefix_parse failed without a message", in);
		return;
	}
	bits = p.addr.family == ADDR_V4 ? 32 : 128;
	if (p.len < 0 || p.len > bits)
		fail("prefix length out of range", in);
	for (i = p.len; i < bits; i++)
		if (p.addr.bytes[i / 8] & (0x80 >> (i % 8)))
			fail("host bits set", in);
	if (!prefix_contains(&p, &p.addr))
		fail("prefix does not contain its own address", in);
	prefix_format(&p, buf, sizeof(buf));
	if (prefix_parse(buf, &q, NULL, 0) != 0 || q.len != p.len ||
	    addr_cmp(&p.addr, &q.addr) != 0)
		fail("prefix_format does not parse back to the same prefix", in);
}

/* check_domain - domain_normalise and domain_parent */
static void
check_domain(const char *in, size_t outlen)
{
	char   *out = malloc(outlen ? outlen : 1);
	char    again[DOMAIN_MAX + 2];
	const char *p, *prev;
	int     n, steps;

	if (out == NULL)
		abort();
	n = domain_normalise(in, out, outlen);
	if (n >= 0) {
		if ((size_t) n >= outlen || strlen(out) != (size_t) n)
			fail("domain_normalise length wrong", in);
		if (n > DOMAIN_MAX + 8)
			fail("domain_normalise result too long", in);
		if (strpbrk(out, " @<>\"%!,ABCDEFGHIJKLMNOPQRSTUVWXYZ") != NULL)
			fail("domain_normalise kept a refused byte", in);
		if (domain_normalise(out, again, sizeof(again)) != n ||
		    strcmp(out, again) != 0)
			fail("domain_normalise is not idempotent", in);
		for (prev = out, steps = 0; (p = domain_parent(prev)) != NULL;
		    prev = p) {
			if (++steps > DOMAIN_MAX || p <= prev ||
			    p[-1] != '.' || *p == '\0')
				fail("domain_parent does not walk up", in);
		}
	}
	free(out);
}

/* check_strip - rcpt_strip_extension within an exact buffer */
static void
check_strip(const char *in, size_t outlen)
{
	char   *out = malloc(outlen ? outlen : 1);
	int     stripped;

	if (out == NULL)
		abort();
	stripped = rcpt_strip_extension(in, "+-", out, outlen);
	if (outlen > 0) {
		if (strncmp(out, in, strlen(out)) != 0)
			fail("rcpt_strip_extension is not a prefix", in);
		if (stripped && strlen(out) >= strlen(in))
			fail("rcpt_strip_extension stripped nothing", in);
	}
	free(out);
}

/* LLVMFuzzerTestOneInput - one text through every function */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t  outlen;
	char   *in;

	if (size == 0)
		return (0);
	outlen = data[0];
	in = malloc(size);
	if (in == NULL)
		abort();
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';

	check_addr(in);
	check_prefix(in);
	check_domain(in, outlen);
	check_domain(in, DOMAIN_MAX + 2);
	check_strip(in, outlen);
	free(in);
	return (0);
}
