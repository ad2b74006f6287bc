/*
 * NAME
 *	check_addr - tests for common/addr.c
 * DESCRIPTION
 *	Table-driven: parsing and formatting of addresses (IPv4, IPv6,
 *	IPv4-mapped, Sendmail's "IPv6:" tag, brackets, libcidr's inet_aton
 *	forms that must be refused), prefixes, and prefix containment
 *	across families.
 */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/addr.h"
#include "tests/check_timeout.h"

Suite  *addr_suite(void);

static const struct {
	const char *label;
	const char *in;
	int     want_rc;
	int     want_family;
	const char *want_text;
}       parse_cases[] = {
	{"v4", "192.0.2.7", 0, ADDR_V4, "192.0.2.7"},
	{"v4 zero", "0.0.0.0", 0, ADDR_V4, "0.0.0.0"},
	{"v4 max", "255.255.255.255", 0, ADDR_V4, "255.255.255.255"},
	{"v4 bracketed", "[192.0.2.1]", 0, ADDR_V4, "192.0.2.1"},
	{"v6 loopback", "::1", 0, ADDR_V6, "::1"},
	{"v6 upper", "2001:DB8::1", 0, ADDR_V6, "2001:db8::1"},
	{"v6 long form", "2001:0db8:0000:0000:0000:0000:0000:0001", 0, ADDR_V6,
	"2001:db8::1"},
	{"v6 sendmail tag", "IPv6:2001:db8::7", 0, ADDR_V6, "2001:db8::7"},
	{"v6 sendmail tag lower", "ipv6:2001:db8::7", 0, ADDR_V6, "2001:db8::7"},
	{"v6 bracketed tag", "[IPv6:2001:db8::7]", 0, ADDR_V6, "2001:db8::7"},
	{"v4-mapped", "::ffff:192.0.2.7", 0, ADDR_V4, "192.0.2.7"},
	{"v4-mapped hex", "::ffff:c000:207", 0, ADDR_V4, "192.0.2.7"},
	{"v4-mapped tagged", "IPv6:::ffff:192.0.2.7", 0, ADDR_V4, "192.0.2.7"},
	{"v6 with v4 tail", "64:ff9b::192.0.2.1", 0, ADDR_V6, "64:ff9b::c000:201"},
	{"short v4 refused", "192.0.2", -1, 0, NULL},
	{"inet_aton 127.1 refused", "127.1", -1, 0, NULL},
	{"hex v4 refused", "0x7f000001", -1, 0, NULL},
	{"leading zero refused", "192.0.2.07", -1, 0, NULL},
	{"octet > 255", "300.1.1.1", -1, 0, NULL},
	{"five octets", "1.2.3.4.5", -1, 0, NULL},
	{"trailing dot", "1.2.3.4.", -1, 0, NULL},
	{"empty", "", -1, 0, NULL},
	{"spaces", " 1.2.3.4", -1, 0, NULL},
	{"prefix is not an address", "192.0.2.0/24", -1, 0, NULL},
	{"zone id refused", "fe80::1%eth0", -1, 0, NULL},
	{"unbalanced bracket", "[192.0.2.1", -1, 0, NULL},
	{"empty brackets", "[]", -1, 0, NULL},
	{"tag with v4", "IPv6:192.0.2.1", -1, 0, NULL},
	{"garbage", "example.com", -1, 0, NULL},
	{"too many colons", "1:2:3:4:5:6:7:8:9", -1, 0, NULL},
	{"unknown", "unknown", -1, 0, NULL},
};

/* addr_format() writes IPv4 itself: the same text as inet_ntop(3). */
START_TEST(test_addr_format_v4)
{
	static const uint8_t octets[] = {0, 1, 9, 10, 42, 99, 100, 101,
	    199, 200, 250, 255};
	const size_t n = sizeof(octets);
	struct addr a;
	char    buf[ADDR_STRLEN], want[INET_ADDRSTRLEN], small[8];
	size_t  i;

	memset(&a, 0, sizeof(a));
	a.family = ADDR_V4;
	for (i = 0; i < n * n * n * n; i++) {
		a.bytes[0] = octets[i % n];
		a.bytes[1] = octets[i / n % n];
		a.bytes[2] = octets[i / (n * n) % n];
		a.bytes[3] = octets[i / (n * n * n)];
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, a.bytes, want,
		    sizeof(want)));
		ck_assert_str_eq(addr_format(&a, buf, sizeof(buf)), want);
	}
	/* Exactly enough room, and one byte short: nothing. */
	memcpy(a.bytes, "\1\2\3\4", 4);
	ck_assert_str_eq(addr_format(&a, small, 8), "1.2.3.4");
	memset(small, 'x', sizeof(small));
	ck_assert_str_eq(addr_format(&a, small, 7), "");
}
END_TEST

START_TEST(test_addr_parse)
{
	struct addr a;
	char    buf[ADDR_STRLEN];
	int     rc = addr_parse(parse_cases[_i].in, &a);

	ck_assert_msg(rc == parse_cases[_i].want_rc, "%s: rc %d",
	    parse_cases[_i].label, rc);
	if (rc == 0) {
		ck_assert_int_eq(a.family, parse_cases[_i].want_family);
		ck_assert_str_eq(addr_format(&a, buf, sizeof(buf)),
		    parse_cases[_i].want_text);
	}
}
END_TEST

static const struct {
	const char *label;
	const char *in;
	int     want_rc;
	const char *want_text;
	const char *want_err;		/* substring */
}       prefix_cases[] = {
	{"v4 /24", "192.0.2.0/24", 0, "192.0.2.0/24", NULL},
	{"v4 host", "192.0.2.7", 0, "192.0.2.7/32", NULL},
	{"v4 /0", "0.0.0.0/0", 0, "0.0.0.0/0", NULL},
	{"v6 /32", "2001:db8::/32", 0, "2001:db8::/32", NULL},
	{"v6 host", "::1", 0, "::1/128", NULL},
	{"v6 /0", "::/0", 0, "::/0", NULL},
	{"mapped /120", "::ffff:192.0.2.0/120", 0, "192.0.2.0/24", NULL},
	{"mapped /96", "::ffff:0.0.0.0/96", 0, "0.0.0.0/0", NULL},
	{"host bits", "192.0.2.1/24", -1, NULL, "host bits"},
	{"v6 host bits", "2001:db8::1/32", -1, NULL, "host bits"},
	{"too long v4", "192.0.2.0/33", -1, NULL, "too long"},
	{"too long v6", "::/129", -1, NULL, "too long"},
	{"netmask form", "192.0.2.0/255.255.255.0", -1, NULL, "prefix length"},
	{"negative", "192.0.2.0/-1", -1, NULL, "prefix length"},
	{"empty length", "192.0.2.0/", -1, NULL, "prefix length"},
	{"leading zero length", "192.0.2.0/024", -1, NULL, "prefix length"},
	{"short network", "192.0.2/24", -1, NULL, "invalid address"},
	{"mapped too short", "::ffff:0.0.0.0/64", -1, NULL, "96..128"},
	{"empty", "", -1, NULL, "empty"},
	{"domain", "example.com/24", -1, NULL, "invalid address"},
};

START_TEST(test_prefix_parse)
{
	struct prefix p;
	char    buf[ADDR_STRLEN + 8], err[128] = "";
	int     rc = prefix_parse(prefix_cases[_i].in, &p, err, sizeof(err));

	ck_assert_msg(rc == prefix_cases[_i].want_rc, "%s: rc %d (%s)",
	    prefix_cases[_i].label, rc, err);
	if (rc == 0)
		ck_assert_str_eq(prefix_format(&p, buf, sizeof(buf)),
		    prefix_cases[_i].want_text);
	else
		ck_assert_msg(strstr(err, prefix_cases[_i].want_err) != NULL,
		    "%s: error \"%s\" lacks \"%s\"", prefix_cases[_i].label,
		    err, prefix_cases[_i].want_err);
}
END_TEST

static const struct {
	const char *prefix;
	const char *addr;
	int     want;
}       contains_cases[] = {
	{"192.0.2.0/24", "192.0.2.0", 1},
	{"192.0.2.0/24", "192.0.2.255", 1},
	{"192.0.2.0/24", "192.0.3.0", 0},
	{"192.0.2.0/23", "192.0.3.9", 1},
	{"192.0.2.0/25", "192.0.2.128", 0},
	{"192.0.2.128/25", "192.0.2.128", 1},
	{"10.0.0.0/8", "10.255.255.255", 1},
	{"10.0.0.0/8", "11.0.0.0", 0},
	{"0.0.0.0/0", "203.0.113.9", 1},
	{"0.0.0.0/0", "::1", 0},
	{"::/0", "192.0.2.1", 0},
	{"::/0", "2001:db8::1", 1},
	{"127.0.0.0/8", "::ffff:127.0.0.1", 1},
	{"::ffff:127.0.0.0/104", "127.9.9.9", 1},
	{"2001:db8::/32", "2001:db8:ffff::1", 1},
	{"2001:db8::/32", "2001:db9::1", 0},
	{"2001:db8:1::/48", "2001:db8:1:2::3", 1},
	{"2001:db8:1::/48", "2001:db8:2::3", 0},
	{"2001:db8::/31", "2001:db9::1", 1},
	{"192.0.2.7", "192.0.2.7", 1},
	{"192.0.2.7", "192.0.2.8", 0},
	{"::1", "::1", 1},
	{"::1", "127.0.0.1", 0},
	{"192.0.2.0/24", "::ffff:192.0.2.9", 1},
};

START_TEST(test_prefix_contains)
{
	struct prefix p;
	struct addr a;

	ck_assert_int_eq(prefix_parse(contains_cases[_i].prefix, &p, NULL, 0), 0);
	ck_assert_int_eq(addr_parse(contains_cases[_i].addr, &a), 0);
	ck_assert_msg(prefix_contains(&p, &a) == contains_cases[_i].want,
	    "%s in %s: want %d", contains_cases[_i].addr,
	    contains_cases[_i].prefix, contains_cases[_i].want);
}
END_TEST

START_TEST(test_addr_from_sockaddr)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	struct addr a;
	char    buf[ADDR_STRLEN];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *) &sin, &a), 0);
	ck_assert_int_eq(a.family, ADDR_V4);
	ck_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "192.0.2.7");

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr);
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *) &sin6, &a), 0);
	ck_assert_int_eq(a.family, ADDR_V6);
	ck_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "2001:db8::7");

	inet_pton(AF_INET6, "::ffff:198.51.100.4", &sin6.sin6_addr);
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *) &sin6, &a), 0);
	ck_assert_int_eq(a.family, ADDR_V4);
	ck_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "198.51.100.4");

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *) &sun, &a), -1);
	ck_assert_int_eq(addr_from_sockaddr(NULL, &a), -1);
}
END_TEST

START_TEST(test_addr_cmp)
{
	struct addr a, b, c;

	ck_assert_int_eq(addr_parse("192.0.2.1", &a), 0);
	ck_assert_int_eq(addr_parse("192.0.2.2", &b), 0);
	ck_assert_int_eq(addr_parse("::1", &c), 0);
	ck_assert_int_lt(addr_cmp(&a, &b), 0);
	ck_assert_int_gt(addr_cmp(&b, &a), 0);
	ck_assert_int_eq(addr_cmp(&a, &a), 0);
	ck_assert_int_lt(addr_cmp(&b, &c), 0);
}
END_TEST

#define NCASES(t)	((int) (sizeof(t) / sizeof((t)[0])))

Suite *
addr_suite(void)
{
	Suite  *s = suite_create("addr");
	TCase  *tc;

	tc = tcase_create("addr_parse");

	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_addr_parse, 0, NCASES(parse_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("prefix_parse");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_prefix_parse, 0, NCASES(prefix_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("prefix_contains");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_prefix_contains, 0, NCASES(contains_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("addr_from_sockaddr");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_test(tc, test_addr_format_v4);
	tcase_add_test(tc, test_addr_from_sockaddr);
	suite_add_tcase(s, tc);
	tc = tcase_create("addr_cmp");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_test(tc, test_addr_cmp);
	suite_add_tcase(s, tc);
	return (s);
}
