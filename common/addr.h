#ifndef RG_ADDR_H
#define RG_ADDR_H

/*
 * addr - IPv4 and IPv6 addresses and prefixes
 *
 * Addresses are parsed with libcidr and kept in a small fixed struct so
 * that matching on the hot path is a few integer compares. An
 * IPv4-mapped IPv6 address (::ffff:192.0.2.7) is always stored as the
 * IPv4 address it maps, so it matches IPv4 networks and keys.
 */
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

#define ADDR_V4		4
#define ADDR_V6		6

/* Big enough for any address or prefix addr_format() writes. */
#define ADDR_STRLEN	64

struct addr {
	int	family;		/* ADDR_V4 or ADDR_V6 */
	uint8_t	bytes[16];	/* network order; IPv4 uses the first 4 */
};

struct prefix {
	struct addr addr;	/* host bits are zero */
	int	len;		/* 0..32 or 0..128 */
};

/*
 * addr_parse - parse a textual address. Accepts dotted-quad IPv4, any
 * IPv6 form, an optional "IPv6:" prefix (as Sendmail passes it, any
 * case), and optional surrounding brackets ("[192.0.2.1]").
 * Returns 0, or -1 when the text is not an address (out untouched).
 */
extern int addr_parse(const char *, struct addr *);

/*
 * addr_from_sockaddr - convert an AF_INET or AF_INET6 socket address.
 * Returns 0, or -1 for NULL or any other family (a Unix socket).
 */
extern int addr_from_sockaddr(const struct sockaddr *, struct addr *);

/*
 * addr_format - write the canonical text (dotted quad, or RFC 5952
 * compressed IPv6) into buf; returns buf. len >= ADDR_STRLEN suffices.
 */
extern char *addr_format(const struct addr *, char *, size_t);

/*
 * prefix_parse - parse "addr" or "addr/len" (libcidr syntax). Host
 * bits set below the prefix length are an error, so that a typo such
 * as 192.0.2.1/16 is caught at load time. Returns 0, or -1 with a
 * message in err (which may be NULL).
 */
extern int prefix_parse(const char *, struct prefix *, char *err,
	size_t errlen);

/* prefix_format - write "addr/len" into buf; returns buf. */
extern char *prefix_format(const struct prefix *, char *, size_t);

/*
 * prefix_contains - 1 when the address is inside the prefix, else 0.
 * An address of the other family never matches.
 */
extern int prefix_contains(const struct prefix *, const struct addr *);

/* addr_cmp - total order: IPv4 before IPv6, then by bytes. */
extern int addr_cmp(const struct addr *, const struct addr *);

#endif
