#ifndef RG_RCPT_H
#define RG_RCPT_H

/*
 * rcpt - mail addresses as relay rules see them (spec section 3)
 *
 * rcpt_parse() turns an SMTP path argument (RCPT TO or MAIL FROM, with
 * or without angle brackets and ESMTP parameters) into the facts the
 * rules use: the normalised mailbox, its domain, and whether the
 * address is routed (source route, '%', '!' or a second '@') or
 * unqualified. It is total: every input, however hostile, yields a
 * result, and malformed input fails closed (see below).
 */
#include <stddef.h>

/* Longer arguments are malformed (RFC 5321 paths are <= 256 octets). */
#define RCPT_ARG_MAX	1024

struct rcpt {
	char   *mailbox;	/* "local@domain", lowercased, unquoted; "" for <> */
	char   *local;		/* local part, unquoted, lowercased */
	char   *domain;		/* the domain after the last '@'; NULL if none */
	char   *rcpt_domain;	/* where it would finally go; NULL if none */
	char   *next_hop;	/* where the MTA sends it first: the first
				 * source-route hop, else domain; NULL if
				 * none. A routed address is local only when
				 * next_hop, domain and rcpt_domain all are. */
	int	routed;		/* source route, %, !, or extra @ */
	int	unqualified;	/* no domain and not routed */
	int	null_sender;	/* the path was <> */
	int	malformed;	/* see rcpt_parse() */
};

/*
 * rcpt_parse - normalise one path argument into *out.
 *
 * Malformed input (unbalanced quotes or angle brackets, control
 * characters, NUL-free garbage longer than RCPT_ARG_MAX, a source route
 * with no ':') sets malformed and routed, clears unqualified, and leaves
 * rcpt_domain NULL: such an address never matches a domain rule and a
 * table OK for it counts as DUNNO. mailbox and local are then the
 * best-effort text (bounded), for logs only.
 *
 * Returns 0. The strings in *out are owned by it: free with rcpt_free().
 */
extern int rcpt_parse(const char *arg, struct rcpt *out);

/* rcpt_free - release what rcpt_parse() allocated; NULL-safe. */
extern void rcpt_free(struct rcpt *);

/*
 * rcpt_strip_extension - the local part without its recipient-delimiter
 * extension ("user+tag" -> "user") written to out; returns 1 when an
 * extension was removed, 0 when the local part had none (out = local).
 * delims lists delimiter characters, as Postfix's recipient_delimiter;
 * NULL or "" means none.
 */
extern int rcpt_strip_extension(const char *local, const char *delims,
	char *out, size_t outlen);

#endif
