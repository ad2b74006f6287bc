/*
 * NAME
 *	check_rcpt - tests for common/rcpt.c (spec section 3)
 * DESCRIPTION
 *	Every classic open-relay address form and a set of malformed
 *	inputs, each with the exact mailbox, rcpt-domain, routed,
 *	unqualified and malformed it must yield. NULL rcpt_domain means
 *	the fact is absent.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/rcpt.h"
#include "tests/check_timeout.h"

Suite  *rcpt_suite(void);

#define R	1			/* routed */
#define U	1			/* unqualified */
#define M	1			/* malformed */

static const struct {
	const char *label;
	const char *in;
	const char *mailbox;		/* NULL: not checked (malformed) */
	const char *rcpt_domain;
	int     routed, unqualified, malformed;
}       cases[] = {
	/* Plain addresses. */
	{"plain", "<user@example.com>", "user@example.com", "example.com", 0, 0, 0},
	{"no brackets", "user@example.com", "user@example.com", "example.com", 0, 0, 0},
	{"case folded", "<User@EXAMPLE.Com>", "user@example.com", "example.com", 0, 0, 0},
	{"trailing dot", "<user@example.com.>", "user@example.com", "example.com", 0, 0, 0},
	{"esmtp params", "<user@example.com> NOTIFY=NEVER ORCPT=rfc822;x@y",
	"user@example.com", "example.com", 0, 0, 0},
	{"params no brackets", "user@example.com SIZE=100", "user@example.com",
	"example.com", 0, 0, 0},
	{"leading space", " <user@example.com>", "user@example.com", "example.com", 0, 0, 0},
	{"extension kept", "<user+tag@example.com>", "user+tag@example.com",
	"example.com", 0, 0, 0},
	{"v4 literal", "<user@[192.0.2.1]>", "user@[192.0.2.1]", "[192.0.2.1]", 0, 0, 0},
	{"v6 literal", "<user@[IPv6:2001:db8::1]>", "user@[ipv6:2001:db8::1]",
	"[ipv6:2001:db8::1]", 0, 0, 0},
	{"utf-8 local", "<j\xc3\xb6rg@example.com>", "j\xc3\xb6rg@example.com",
	"example.com", 0, 0, 0},

	/* Unqualified. */
	{"postmaster", "<postmaster>", "postmaster", NULL, 0, U, 0},
	{"bare local no brackets", "abuse", "abuse", NULL, 0, U, 0},
	{"quoted bare local", "<\"john doe\">", "john doe", NULL, 0, U, 0},

	/* Null path. */
	{"null path", "<>", "", NULL, 0, 0, 0},
	{"null path params", "<> SIZE=10", "", NULL, 0, 0, 0},

	/* Percent hack. */
	{"percent hack", "<user%evil.example@example.com>",
	"user%evil.example@example.com", "evil.example", R, 0, 0},
	{"percent hack two hops", "<user%a.example%evil.example@example.com>",
	"user%a.example%evil.example@example.com", "evil.example", R, 0, 0},
	{"percent hack ip literal", "<user%[192.0.2.9]@example.com>",
	"user%[192.0.2.9]@example.com", "[192.0.2.9]", R, 0, 0},
	{"percent unqualified", "<user%other.example>", "user%other.example",
	"other.example", R, 0, 0},
	{"percent upper", "<USER%EVIL.Example@example.com>",
	"user%evil.example@example.com", "evil.example", R, 0, 0},
	{"percent empty dest", "<user%@example.com>", "user%@example.com", NULL, R, 0, 0},

	/* Double @. */
	{"double at", "<user@evil.example@example.com>",
	"user@evil.example@example.com", "evil.example", R, 0, 0},
	{"double at mixed", "<a%b.example@evil.example@example.com>",
	"a%b.example@evil.example@example.com", "evil.example", R, 0, 0},
	{"percent after at", "<a@b.example%evil.example@example.com>",
	"a@b.example%evil.example@example.com", "evil.example", R, 0, 0},

	/* Quoted local parts. */
	{"quoted at", "<\"user@evil.example\"@example.com>",
	"user@evil.example@example.com", "evil.example", R, 0, 0},
	{"quoted percent", "<\"user%evil.example\"@example.com>",
	"user%evil.example@example.com", "evil.example", R, 0, 0},
	{"quoted bang", "<\"evil.example!user\"@example.com>",
	"evil.example!user@example.com", "evil.example", R, 0, 0},
	{"quoted plain", "<\"user\"@example.com>", "user@example.com",
	"example.com", 0, 0, 0},
	{"quoted escape", "<\"us\\\"er\"@example.com>", "us\"er@example.com",
	"example.com", 0, 0, 0},
	{"quoted at only", "<\"@\">", "@", NULL, R, 0, 0},
	{"quoted at unqualified", "<\"user@evil.example\">", "user@evil.example",
	"evil.example", R, 0, 0},
	{"quoted bracket", "<\"a>b\"@example.com>", "a>b@example.com",
	"example.com", 0, 0, 0},

	/* Source routes. */
	{"source route", "<@hop.example:user@example.com>", "user@example.com",
	"example.com", R, 0, 0},
	{"source route two hops", "<@a.example,@b.example:user@dest.example>",
	"user@dest.example", "dest.example", R, 0, 0},
	{"source route ip", "<@[192.0.2.1]:user@evil.example>", "user@evil.example",
	"evil.example", R, 0, 0},
	{"source route percent", "<@hop.example:user%evil.example@example.com>",
	"user%evil.example@example.com", "evil.example", R, 0, 0},
	{"source route to local part", "<@hop.example:postmaster>", "postmaster",
	NULL, R, 0, 0},

	/* Bang paths. */
	{"bang path", "<other.example!user@example.com>",
	"other.example!user@example.com", "other.example", R, 0, 0},
	{"bang path no domain", "<other.example!user>", "other.example!user",
	"other.example", R, 0, 0},
	{"bang path two hops", "<a.example!b.example!user>", "a.example!b.example!user",
	"a.example", R, 0, 0},
	{"bang path upper", "<Other.Example!user@example.com>",
	"other.example!user@example.com", "other.example", R, 0, 0},
	{"bang and percent", "<a.example!user%evil.example@example.com>",
	"a.example!user%evil.example@example.com", "evil.example", R, 0, 0},

	/* Malformed: fail closed (routed, no rcpt-domain, not unqualified). */
	{"at alone", "<@>", NULL, NULL, R, 0, M},
	{"at at", "<@@>", NULL, NULL, R, 0, M},
	{"at bare", "@", NULL, NULL, R, 0, M},
	{"at at bare", "@@", NULL, NULL, R, 0, M},
	{"bang trailing", "<a!>", "a!", "a", R, 0, 0},
	{"bang leading", "<!b>", "!b", NULL, R, 0, 0},
	{"empty domain", "<user@>", NULL, NULL, R, 0, M},
	{"empty local", "<@example.com>", NULL, NULL, R, 0, M},
	{"unbalanced quote", "<\"user@example.com>", NULL, NULL, R, 0, M},
	{"unbalanced quote bare", "\"user@example.com", NULL, NULL, R, 0, M},
	{"unclosed bracket", "<user@example.com", NULL, NULL, R, 0, M},
	{"unopened bracket", "user@example.com>", NULL, NULL, R, 0, M},
	{"nested bracket", "<<user@example.com>>", NULL, NULL, R, 0, M},
	{"bracket in local", "<us<er@example.com>", NULL, NULL, R, 0, M},
	{"cr in address", "<user@example.com\r>", NULL, NULL, R, 0, M},
	{"lf injection", "<user@example.com>\r\n250 OK", NULL, NULL, R, 0, M},
	{"route no colon", "<@hop.example,user@example.com>", NULL, NULL, R, 0, M},
	{"route empty rest", "<@hop.example:>", NULL, NULL, R, 0, M},
	{"bad domain", "<user@exa mple.com>", NULL, NULL, R, 0, M},
	{"bad domain chars", "<user@evil.example,x>", NULL, NULL, R, 0, M},
	{"empty label", "<user@a..example>", NULL, NULL, R, 0, M},
	{"bad literal", "<user@[999.1.1.1]>", NULL, NULL, R, 0, M},
	{"empty argument", "", NULL, NULL, R, 0, M},
	{"spaces only", "   ", NULL, NULL, R, 0, M},
};

START_TEST(test_rcpt_parse)
{
	struct rcpt r;

	ck_assert_int_eq(rcpt_parse(cases[_i].in, &r), 0);
	ck_assert_msg(r.routed == cases[_i].routed, "%s: routed %d",
	    cases[_i].label, r.routed);
	ck_assert_msg(r.unqualified == cases[_i].unqualified,
	    "%s: unqualified %d", cases[_i].label, r.unqualified);
	ck_assert_msg(r.malformed == cases[_i].malformed, "%s: malformed %d",
	    cases[_i].label, r.malformed);
	if (cases[_i].rcpt_domain == NULL)
		ck_assert_msg(r.rcpt_domain == NULL, "%s: rcpt_domain \"%s\"",
		    cases[_i].label, r.rcpt_domain);
	else
		ck_assert_msg(r.rcpt_domain != NULL &&
		    strcmp(r.rcpt_domain, cases[_i].rcpt_domain) == 0,
		    "%s: rcpt_domain \"%s\", want \"%s\"", cases[_i].label,
		    r.rcpt_domain ? r.rcpt_domain : "(null)",
		    cases[_i].rcpt_domain);
	ck_assert_ptr_nonnull(r.mailbox);
	ck_assert_ptr_nonnull(r.local);
	if (cases[_i].mailbox != NULL)
		ck_assert_str_eq(r.mailbox, cases[_i].mailbox);
	/* Nothing a client sends survives into the mailbox as a control. */
	ck_assert_ptr_null(strpbrk(r.mailbox, "\r\n"));
	rcpt_free(&r);
	ck_assert_ptr_null(r.mailbox);
}
END_TEST

START_TEST(test_rcpt_garbage)
{
	struct rcpt r;
	size_t  len = 64 * 1024, i;
	char   *big = malloc(len + 1);
	unsigned seed = 12345;

	ck_assert_ptr_nonnull(big);
	/* 64 KiB of printable garbage: too long, whatever it holds. */
	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		big[i] = (char) (0x21 + (seed >> 16) % 94);
	}
	big[len] = '\0';
	ck_assert_int_eq(rcpt_parse(big, &r), 0);
	ck_assert_int_eq(r.malformed, 1);
	ck_assert_int_eq(r.routed, 1);
	ck_assert_int_eq(r.unqualified, 0);
	ck_assert_ptr_null(r.rcpt_domain);
	ck_assert_uint_le(strlen(r.mailbox), 256);
	rcpt_free(&r);

	/* A well-formed address padded past the limit is refused too. */
	memset(big, 'a', len);
	memcpy(big + len - 12, "@example.com", 12);
	ck_assert_int_eq(rcpt_parse(big, &r), 0);
	ck_assert_int_eq(r.malformed, 1);
	ck_assert_ptr_null(r.rcpt_domain);
	rcpt_free(&r);

	/* NULL is malformed, not a crash. */
	ck_assert_int_eq(rcpt_parse(NULL, &r), 0);
	ck_assert_int_eq(r.malformed, 1);
	rcpt_free(&r);
	rcpt_free(NULL);
	free(big);
}
END_TEST

/* Where the MTA sends the message first, beside where it ends up. */
static const struct {
	const char *in;
	const char *next_hop;		/* NULL: none */
	const char *rcpt_domain;
}       hop_cases[] = {
	{"<user@example.com>", "example.com", "example.com"},
	{"<user%example.com@evil.example>", "evil.example", "example.com"},
	{"<user%evil.example@example.com>", "example.com", "evil.example"},
	{"<\"user@example.com\"@evil.example>", "evil.example", "example.com"},
	{"<example.com!user@evil.example>", "evil.example", "example.com"},
	{"<@evil.example:user@example.com>", "evil.example", "example.com"},
	{"<@evil.example,@b.example:user@example.com>", "evil.example",
	"example.com"},
	{"<@[192.0.2.1]:user@example.com>", "[192.0.2.1]", "example.com"},
	{"<@Hop.Example.:user@example.com>", "hop.example", "example.com"},
	{"<postmaster>", NULL, NULL},
	{"<user%other.example>", NULL, "other.example"},
	{"<@:user@example.com>", NULL, NULL},
	{"<@bad host:user@example.com>", NULL, NULL},
};

START_TEST(test_rcpt_next_hop)
{
	struct rcpt r;

	ck_assert_int_eq(rcpt_parse(hop_cases[_i].in, &r), 0);
	if (hop_cases[_i].next_hop == NULL)
		ck_assert_msg(r.next_hop == NULL, "%s: next_hop \"%s\"",
		    hop_cases[_i].in, r.next_hop);
	else
		ck_assert_msg(r.next_hop != NULL &&
		    strcmp(r.next_hop, hop_cases[_i].next_hop) == 0,
		    "%s: next_hop \"%s\"", hop_cases[_i].in,
		    r.next_hop ? r.next_hop : "(null)");
	if (hop_cases[_i].rcpt_domain == NULL)
		ck_assert_ptr_null(r.rcpt_domain);
	else
		ck_assert_str_eq(r.rcpt_domain, hop_cases[_i].rcpt_domain);
	rcpt_free(&r);
}
END_TEST

static const struct {
	const char *local;
	const char *delims;
	const char *want;
	int     want_rc;
}       ext_cases[] = {
	{"user+tag", "+", "user", 1},
	{"user+a+b", "+", "user", 1},
	{"user-tag", "+-", "user", 1},
	{"user", "+", "user", 0},
	{"+tag", "+", "+tag", 0},
	{"user+tag", NULL, "user+tag", 0},
	{"user+tag", "", "user+tag", 0},
	{"user+", "+", "user", 1},
};

START_TEST(test_rcpt_strip_extension)
{
	char    out[64];

	ck_assert_int_eq(rcpt_strip_extension(ext_cases[_i].local,
		ext_cases[_i].delims, out, sizeof(out)), ext_cases[_i].want_rc);
	ck_assert_str_eq(out, ext_cases[_i].want);
}
END_TEST

#define NCASES(t)	((int) (sizeof(t) / sizeof((t)[0])))

Suite *
rcpt_suite(void)
{
	Suite  *s = suite_create("rcpt");
	TCase  *tc;

	tc = tcase_create("rcpt_parse");

	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_rcpt_parse, 0, NCASES(cases));
	tcase_add_test(tc, test_rcpt_garbage);
	tcase_add_loop_test(tc, test_rcpt_next_hop, 0, NCASES(hop_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("rcpt_strip_extension");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_rcpt_strip_extension, 0, NCASES(ext_cases));
	suite_add_tcase(s, tc);
	return (s);
}
