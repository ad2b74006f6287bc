/*
 * NAME
 *	addr 3
 * SUMMARY
 *	IPv4 and IPv6 addresses and prefixes on top of libcidr
 * SYNOPSIS
 *	#include "common/addr.h"
 *
 *	int	addr_parse(const char *text, struct addr *out)
 *	int	addr_from_sockaddr(const struct sockaddr *sa, struct addr *out)
 *	char	*addr_format(const struct addr *a, char *buf, size_t len)
 *	int	prefix_parse(const char *text, struct prefix *out,
 *			char *err, size_t errlen)
 *	char	*prefix_format(const struct prefix *p, char *buf, size_t len)
 *	int	prefix_contains(const struct prefix *p, const struct addr *a)
 *	int	addr_cmp(const struct addr *a, const struct addr *b)
 * DESCRIPTION
 *	Text is checked here before libcidr sees it, because libcidr
 *	accepts the inet_aton(3) forms: "192.0.2" would be 192.0.0.2 (an
 *	access table means the network 192.0.2), "127.1" and "0x7f000001"
 *	are addresses, and "/255.255.255.0" is a prefix length. relayguard
 *	accepts only four decimal octets for IPv4, the RFC 4291 text forms
 *	for IPv6 (checked with inet_pton(3)), and a decimal prefix length.
 *
 *	An IPv4-mapped IPv6 address (::ffff:0:0/96) is stored as IPv4, and
 *	a mapped prefix of length 96 or more as the IPv4 prefix it covers,
 *	so mapped clients match IPv4 networks (libcidr would not).
 * DIAGNOSTICS
 *	addr_parse() and addr_from_sockaddr() return -1 for what is not an
 *	address; prefix_parse() says why in err.
 * THREADS
 *	Every function is reentrant.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <libcidr.h>

#include "common/addr.h"

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

/* seterr - write a message to an optional error buffer */
static void
seterr(char *err, size_t errlen, const char *msg, const char *arg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: \"%.*s\"", msg, 80, arg);
}

/* valid_v4 - four decimal octets, 0..255, no leading zeros */
static int
valid_v4(const char *s, size_t len)
{
	size_t  i = 0, digits;
	int     octets = 0, val;

	while (i < len) {
		for (digits = 0, val = 0; i < len && isdigit((unsigned char) s[i]);
		    i++, digits++) {
			val = val * 10 + (s[i] - '0');
			if (digits >= 3)
				return (0);
		}
		if (digits == 0 || val > 255 || (digits > 1 && s[i - digits] == '0'))
			return (0);
		if (++octets > 4)
			return (0);
		if (i < len) {
			if (s[i] != '.' || i + 1 == len)
				return (0);
			i++;
		}
	}
	return (octets == 4);
}

/*
 * valid_v6 - RFC 4291 text form, as inet_pton(3) reads it. libcidr alone
 * accepts too many groups.
 */
static int
valid_v6(const char *s, size_t len)
{
	char    buf[64];
	struct in6_addr a;

	if (len < 2 || len >= sizeof(buf) || memchr(s, ':', len) == NULL)
		return (0);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return (inet_pton(AF_INET6, buf, &a) == 1);
}

/* from_cidr - copy libcidr's address into ours, unmapping IPv4 */
static void
from_cidr(const CIDR *c, struct addr *out)
{
	const uint8_t *b = c->addr;

	memset(out, 0, sizeof(*out));
	if (cidr_get_proto(c) == CIDR_IPV4 ||
	    memcmp(b, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		out->family = ADDR_V4;
		memcpy(out->bytes, b + 12, 4);
	} else {
		out->family = ADDR_V6;
		memcpy(out->bytes, b, 16);
	}
}

/*
 * strip_decor - find the address inside optional brackets and an
 * "IPv6:" tag; returns the start and sets *len, or NULL when the
 * decoration is unbalanced.
 */
static const char *
strip_decor(const char *s, size_t *len)
{
	size_t  n = strlen(s);

	if (n > 0 && s[0] == '[') {
		if (n < 2 || s[n - 1] != ']')
			return (NULL);
		s++;
		n -= 2;
	}
	if (n >= 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		s += 5;
		n -= 5;
		if (n == 0 || memchr(s, ':', n) == NULL)
			return (NULL);
	}
	*len = n;
	return (s);
}

/*
 * XXX libcidr 1.2.3's cidr_from_str() compares the end of its argument
 * with reverse-DNS suffixes without checking the length, so for a short
 * string it reads bytes before the start (AddressSanitizer shows 5 for
 * "::1"). The text is therefore handed over behind a zero-filled lead-in
 * inside our own buffer.
 */
#define CIDR_LEAD_IN	16

/* parse_plain - parse a checked address text of length len */
static int
parse_plain(const char *s, size_t len, struct addr *out)
{
	char    buf[CIDR_LEAD_IN + 64] = {0};
	CIDR   *c;

	if (len == 0 || len >= sizeof(buf) - CIDR_LEAD_IN)
		return (-1);
	if (!valid_v4(s, len) && !valid_v6(s, len))
		return (-1);
	memcpy(buf + CIDR_LEAD_IN, s, len);
	buf[CIDR_LEAD_IN + len] = '\0';
	if ((c = cidr_from_str(buf + CIDR_LEAD_IN)) == NULL)
		return (-1);
	from_cidr(c, out);
	cidr_free(c);
	return (0);
}

/* addr_parse - parse an address, with optional [brackets] and IPv6: */
int
addr_parse(const char *text, struct addr *out)
{
	const char *s;
	size_t  len;

	if (text == NULL || (s = strip_decor(text, &len)) == NULL)
		return (-1);
	return (parse_plain(s, len, out));
}

/* addr_from_sockaddr - convert a socket address; -1 for non-IP */
int
addr_from_sockaddr(const struct sockaddr *sa, struct addr *out)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa == NULL)
		return (-1);
	memset(out, 0, sizeof(*out));
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *) (const void *) sa;
		out->family = ADDR_V4;
		memcpy(out->bytes, &sin->sin_addr, 4);
		return (0);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *) (const void *) sa;
		if (memcmp(&sin6->sin6_addr, v4mapped_prefix, 12) == 0) {
			out->family = ADDR_V4;
			memcpy(out->bytes, (const uint8_t *) &sin6->sin6_addr + 12, 4);
		} else {
			out->family = ADDR_V6;
			memcpy(out->bytes, &sin6->sin6_addr, 16);
		}
		return (0);
	default:
		return (-1);
	}
}

/*
 * addr_format - canonical text of an address. IPv4 is done here: it is
 * formatted for every table key of every client, and inet_ntop(3)
 * formats it through sprintf.
 */
char   *
addr_format(const struct addr *a, char *buf, size_t len)
{
	char    v4[sizeof("255.255.255.255")], *p = v4;
	int     i, o;

	if (a->family == ADDR_V4) {
		for (i = 0; i < 4; i++) {
			o = a->bytes[i];
			if (o >= 100)
				*p++ = (char) ('0' + o / 100);
			if (o >= 10)
				*p++ = (char) ('0' + o / 10 % 10);
			*p++ = (char) ('0' + o % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		/* As inet_ntop(3): too small a buffer gets nothing. */
		if ((size_t) (p - v4) <= len)
			memcpy(buf, v4, (size_t) (p - v4));
		else if (len > 0)
			buf[0] = '\0';
		return (buf);
	}
	if (inet_ntop(a->family == ADDR_V4 ? AF_INET : AF_INET6, a->bytes,
		buf, (socklen_t) len) == NULL && len > 0)
		buf[0] = '\0';
	return (buf);
}

/* addr_bits - number of bits in an address of this family */
static int
addr_bits(const struct addr *a)
{
	return (a->family == ADDR_V4 ? 32 : 128);
}

/* host_bits_zero - are all bits at and after len zero? */
static int
host_bits_zero(const struct addr *a, int len)
{
	int     bits = addr_bits(a), i;

	for (i = len; i < bits; i++)
		if (a->bytes[i / 8] & (0x80 >> (i % 8)))
			return (0);
	return (1);
}

/* prefix_parse - "addr" or "addr/len" */
int
prefix_parse(const char *text, struct prefix *out, char *err, size_t errlen)
{
	const char *slash;
	char    abuf[64];
	size_t  alen;
	long    len;
	char   *end;
	int     mapped_v6;

	if (text == NULL || *text == '\0') {
		seterr(err, errlen, "empty address", "");
		return (-1);
	}
	slash = strchr(text, '/');
	alen = slash ? (size_t) (slash - text) : strlen(text);
	if (alen == 0 || alen >= sizeof(abuf)) {
		seterr(err, errlen, "invalid address", text);
		return (-1);
	}
	memcpy(abuf, text, alen);
	abuf[alen] = '\0';
	if (addr_parse(abuf, &out->addr) < 0) {
		seterr(err, errlen, "invalid address", abuf);
		return (-1);
	}
	/* A mapped IPv6 text was unmapped: its length counts from bit 96. */
	mapped_v6 = out->addr.family == ADDR_V4 && strchr(abuf, ':') != NULL;
	if (slash == NULL) {
		out->len = addr_bits(&out->addr);
		return (0);
	}
	if (!isdigit((unsigned char) slash[1]) || strlen(slash + 1) > 3) {
		seterr(err, errlen, "invalid prefix length", text);
		return (-1);
	}
	len = strtol(slash + 1, &end, 10);
	if (*end != '\0' || (slash[1] == '0' && slash[2] != '\0')) {
		seterr(err, errlen, "invalid prefix length", text);
		return (-1);
	}
	if (mapped_v6) {
		if (len < 96 || len > 128) {
			seterr(err, errlen, "IPv4-mapped prefix length must be "
			    "96..128", text);
			return (-1);
		}
		len -= 96;
	}
	if (len > addr_bits(&out->addr)) {
		seterr(err, errlen, "prefix length too long", text);
		return (-1);
	}
	out->len = (int) len;
	if (!host_bits_zero(&out->addr, out->len)) {
		seterr(err, errlen, "host bits set beyond the prefix length",
		    text);
		return (-1);
	}
	return (0);
}

/* prefix_format - "addr/len" */
char   *
prefix_format(const struct prefix *p, char *buf, size_t len)
{
	char    a[ADDR_STRLEN];

	snprintf(buf, len, "%s/%d", addr_format(&p->addr, a, sizeof(a)),
	    p->len);
	return (buf);
}

/* prefix_contains - 1 when the address lies inside the prefix */
int
prefix_contains(const struct prefix *p, const struct addr *a)
{
	int     whole = p->len / 8, rest = p->len % 8;
	uint8_t mask;

	if (p->addr.family != a->family)
		return (0);
	if (memcmp(p->addr.bytes, a->bytes, (size_t) whole) != 0)
		return (0);
	if (rest == 0)
		return (1);
	mask = (uint8_t) (0xff << (8 - rest));
	return ((p->addr.bytes[whole] & mask) == (a->bytes[whole] & mask));
}

/* addr_cmp - IPv4 sorts before IPv6, then bytewise */
int
addr_cmp(const struct addr *a, const struct addr *b)
{
	if (a->family != b->family)
		return (a->family < b->family ? -1 : 1);
	return (memcmp(a->bytes, b->bytes, a->family == ADDR_V4 ? 4 : 16));
}
