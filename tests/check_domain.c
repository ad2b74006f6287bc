/*
 * NAME
 *	check_domain - tests for common/domain.c
 */
#include <check.h>
#include <string.h>

#include "common/domain.h"
#include "tests/check_timeout.h"

Suite  *domain_suite(void);

static const struct {
	const char *label;
	const char *in;
	const char *want;		/* NULL: refused */
}       norm_cases[] = {
	{"plain", "example.com", "example.com"},
	{"upper", "Mail.EXAMPLE.Com", "mail.example.com"},
	{"trailing dot", "example.com.", "example.com"},
	{"single label", "localhost", "localhost"},
	{"underscore", "host_1.example.com", "host_1.example.com"},
	{"hyphen", "a-b.example", "a-b.example"},
	{"utf-8 bytes", "b\xc3\xbc" "cher.example", "b\xc3\xbc" "cher.example"},
	{"v4 literal", "[192.0.2.1]", "[192.0.2.1]"},
	{"v6 literal", "[IPv6:2001:DB8:0::1]", "[ipv6:2001:db8::1]"},
	{"mapped literal", "[IPv6:::ffff:192.0.2.1]", "[192.0.2.1]"},
	{"empty", "", NULL},
	{"dot only", ".", NULL},
	{"two trailing dots", "example.com..", NULL},
	{"leading dot", ".example.com", NULL},
	{"empty label", "a..b", NULL},
	{"space", "exa mple.com", NULL},
	{"at", "user@example.com", NULL},
	{"percent", "a%b", NULL},
	{"bang", "a!b", NULL},
	{"colon", "a:b", NULL},
	{"control", "a\rb", NULL},
	{"bad literal", "[999.0.0.1]", NULL},
	{"unclosed literal", "[192.0.2.1", NULL},
	{"general literal", "[tag:stuff]", NULL},
	{"255 bytes ok", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
	{"256 bytes refused", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL},
};

START_TEST(test_domain_normalise)
{
	char    out[DOMAIN_MAX + 1];
	int     rc = domain_normalise(norm_cases[_i].in, out, sizeof(out));

	if (norm_cases[_i].want == NULL) {
		ck_assert_msg(rc == -1, "%s: accepted as \"%s\"",
		    norm_cases[_i].label, out);
	} else {
		ck_assert_msg(rc >= 0, "%s: refused", norm_cases[_i].label);
		ck_assert_str_eq(out, norm_cases[_i].want);
		ck_assert_int_eq(rc, (int) strlen(norm_cases[_i].want));
	}
}
END_TEST

START_TEST(test_domain_normalise_small_buffer)
{
	char    out[4];

	ck_assert_int_eq(domain_normalise("example.com", out, sizeof(out)), -1);
	ck_assert_int_eq(domain_normalise("abc", out, sizeof(out)), 3);
	ck_assert_int_eq(domain_normalise("[192.0.2.1]", out, sizeof(out)), -1);
}
END_TEST

static const struct {
	const char *in;
	const char *want;
}       parent_cases[] = {
	{"host.sub.example.com", "sub.example.com"},
	{"sub.example.com", "example.com"},
	{"example.com", "com"},
	{"com", NULL},
	{"[192.0.2.1]", NULL},
};

START_TEST(test_domain_parent)
{
	const char *p = domain_parent(parent_cases[_i].in);

	if (parent_cases[_i].want == NULL)
		ck_assert_ptr_null(p);
	else
		ck_assert_str_eq(p, parent_cases[_i].want);
}
END_TEST

#define NCASES(t)	((int) (sizeof(t) / sizeof((t)[0])))

Suite *
domain_suite(void)
{
	Suite  *s = suite_create("domain");
	TCase  *tc;

	tc = tcase_create("domain_normalise");

	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_domain_normalise, 0, NCASES(norm_cases));
	tcase_add_test(tc, test_domain_normalise_small_buffer);
	suite_add_tcase(s, tc);
	tc = tcase_create("domain_parent");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_domain_parent, 0, NCASES(parent_cases));
	suite_add_tcase(s, tc);
	return (s);
}
