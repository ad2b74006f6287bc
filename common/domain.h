#ifndef RG_DOMAIN_H
#define RG_DOMAIN_H

/*
 * domain - host and domain name normalisation
 */
#include <stddef.h>

/* The longest domain name relayguard keeps (RFC 1035: 253 + dot). */
#define DOMAIN_MAX	255

/*
 * domain_normalise - lowercase, remove one trailing dot. The result
 * is written to out (outlen bytes, including the NUL). Returns the
 * length of the result, or -1 when the input is empty after
 * normalisation, longer than DOMAIN_MAX, or holds a byte that never
 * appears in a host name or address literal (control characters,
 * space, '@', '<', '>', '"', '%', '!', ',', ':' outside brackets).
 * Address literals ("[192.0.2.1]", "[IPv6:2001:db8::1]") are kept,
 * lowercased.
 */
extern int domain_normalise(const char *, char *out, size_t outlen);

/*
 * domain_parent - the parent of a normalised domain ("b.example.com"
 * -> "example.com", "com" -> NULL). Returns a pointer into the
 * argument, or NULL at the top. Address literals have no parent.
 */
extern const char *domain_parent(const char *);

#endif
