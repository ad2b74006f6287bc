/*
 * NAME
 *	check_milter - unit tests of the daemon's helpers
 * SYNOPSIS
 *	Suite *milter_suite(void)
 * DESCRIPTION
 *	What can be tested without an MTA: fact extraction (socket
 *	address forms, host name verification, bounded macro copies),
 *	reply escaping and sanitising with hostile input, the decision
 *	log line, and the counters with their output formats. The
 *	daemon's objects other than main.c are linked in through
 *	milter/milter.mk.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/strbuf.h"
#include "common/xalloc.h"
#include "common/version.h"
#include "milter/reply.h"
#include "milter/stats.h"
#include "rules/rules.h"
#include "tests/check_facts.h"
#include "tests/check_timeout.h"

Suite  *milter_suite(void);

/* has_control - 1 when s holds a byte below 0x20 or DEL */
static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char) *s < 0x20 || *s == 0x7f)
			return (1);
	return (0);
}

/* big - a heap string of n copies of c */
static char *
big(size_t n, char c)
{
	char   *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = 0;
	return (s);
}

/* An empty rule set, for sessions that only hold facts. */
static struct rules *
empty_rules(void)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("t.conf", "", &errs);

	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	strbuf_free(&errs);
	return (r);
}

/* the client address from the connect callback's socket address */

static const struct {
	const char *label;
	int     family;		/* AF_INET, AF_INET6, AF_UNIX, 0: NULL */
	const char *addr;
	int     want_rc;
	const char *want;	/* client_text */
} client_tests[] = {
	{"ipv4", AF_INET, "192.0.2.7", 0, "192.0.2.7"},
	{"ipv4 loopback", AF_INET, "127.0.0.1", 0, "127.0.0.1"},
	{"ipv6", AF_INET6, "2001:db8::1", 0, "2001:db8::1"},
	{"ipv6 loopback", AF_INET6, "::1", 0, "::1"},
	{"ipv4-mapped", AF_INET6, "::ffff:192.0.2.7", 0, "192.0.2.7"},
	{"unix socket", AF_UNIX, "/run/x.sock", -1, ""},
	{"null address", 0, NULL, -1, ""},
};

START_TEST(test_set_client)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
	struct sockaddr_un *sun = (struct sockaddr_un *) &ss;
	struct rules *r = empty_rules();
	struct rules_session *s = rules_session_new(r, 0);
	struct addr a;
	int     rc;

	memset(&ss, 0, sizeof(ss));
	switch (client_tests[_i].family) {
	case AF_INET:
		sin->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, client_tests[_i].addr,
		    &sin->sin_addr), 1);
		break;
	case AF_INET6:
		sin6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, client_tests[_i].addr,
		    &sin6->sin6_addr), 1);
		break;
	case AF_UNIX:
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, client_tests[_i].addr);
		break;
	}
	rc = client_tests[_i].family ?
	    addr_from_sockaddr((struct sockaddr *) &ss, &a) : -1;
	ck_assert_msg(rc == client_tests[_i].want_rc, "%s: rc %d",
	    client_tests[_i].label, rc);
	rules_session_set_client(s, rc == 0 ? &a : NULL);
	if (rc == 0) {
		ck_assert_str_eq(rules_session_get(s, RULES_FACT_CLIENT),
		    client_tests[_i].want);
		ck_assert_ptr_nonnull(rules_session_client(s));
		ck_assert_int_eq(rules_session_client(s)->family,
		    strchr(client_tests[_i].want, ':') ? ADDR_V6 : ADDR_V4);
	} else {
		ck_assert_ptr_null(rules_session_get(s, RULES_FACT_CLIENT));
		ck_assert_ptr_null(rules_session_client(s));
	}
	rules_session_free(s);
	rules_unref(r);
}
END_TEST

/* rules_session_client_name: the name when verified, else "unknown" */

static const struct {
	const char *label, *name, *resolve;
	int     want;
} name_tests[] = {
	{"verified", "mail.example.com", "OK", 1},
	{"no resolve macro", "mail.example.com", NULL, 1},
	{"resolve lowercase ok", "mail.example.com", "ok", 1},
	{"bracketed v4", "[192.0.2.7]", "OK", 0},
	{"bracketed v6", "[IPv6:2001:db8::1]", NULL, 0},
	{"unknown", "unknown", NULL, 0},
	{"UNKNOWN", "UNKNOWN", "OK", 0},
	{"empty", "", NULL, 0},
	{"null", NULL, NULL, 0},
	{"resolve FAIL", "mail.example.com", "FAIL", 0},
	{"resolve TEMP", "mail.example.com", "TEMP", 0},
	{"resolve FORGED", "mail.example.com", "FORGED", 0},
};

START_TEST(test_name_verified)
{
	struct rules *r = empty_rules();
	struct rules_session *s = rules_session_new(r, 0);
	const char *got;

	rules_session_set(s, RULES_FACT_CLIENT_NAME, name_tests[_i].name);
	rules_session_set(s, RULES_FACT_CLIENT_RESOLVE, name_tests[_i].resolve);
	got = rules_session_client_name(s);
	ck_assert_msg(name_tests[_i].want ?
	    strcmp(got, name_tests[_i].name) == 0 :
	    strcmp(got, "unknown") == 0, "%s: %s", name_tests[_i].label, got);
	rules_session_free(s);
	rules_unref(r);
}
END_TEST

/* rules_session_set: bounded copies (0 whole or absent, 1 cut/dropped) */

static const struct {
	const char *label;
	enum rules_fact id;
	size_t  len;		/* value of this many 'a's; (size_t) -1: NULL */
	int     want_rc;
	size_t  want_len;	/* (size_t) -1: absent */
} set_tests[] = {
	{"macro short", RULES_FACT_AUTH, 5, 0, 5},
	{"macro empty", RULES_FACT_AUTH, 0, 0, 0},
	{"macro at bound", RULES_FACT_CERT_SUBJECT, RULES_MACRO_MAX, 0,
	RULES_MACRO_MAX},
	{"macro over bound dropped", RULES_FACT_CERT_SUBJECT,
	RULES_MACRO_MAX + 1, 1, (size_t) -1},
	{"macro 64 KiB dropped", RULES_FACT_DAEMON, 65536, 1, (size_t) -1},
	{"macro null", RULES_FACT_AUTH, (size_t) -1, 0, (size_t) -1},
	{"rcpt at bound", RULES_FACT_RCPT, RULES_ARG_MAX, 0, RULES_ARG_MAX},
	{"rcpt 64 KiB cut", RULES_FACT_RCPT, 65536, 1, RULES_ARG_MAX},
	{"helo cut", RULES_FACT_HELO, RULES_ARG_MAX + 1, 1, RULES_ARG_MAX},
	{"host name", RULES_FACT_CLIENT_NAME, 20, 0, 20},
	{"derived fact refused", RULES_FACT_RCPT_DOMAIN, 5, 1, (size_t) -1},
};

START_TEST(test_set_bounds)
{
	struct rules *r = empty_rules();
	struct rules_session *s = rules_session_new(r, 0);
	char   *v = set_tests[_i].len == (size_t) -1 ? NULL :
	    big(set_tests[_i].len, 'a');
	const char *got;
	int     rc;

	rules_session_set(s, set_tests[_i].id, "previous");
	rc = rules_session_set(s, set_tests[_i].id, v);
	ck_assert_msg(rc == set_tests[_i].want_rc, "%s: rc %d",
	    set_tests[_i].label, rc);
	got = rules_session_get(s, set_tests[_i].id);
	if (set_tests[_i].want_len == (size_t) -1)
		ck_assert_msg(got == NULL, "%s: not absent", set_tests[_i].label);
	else {
		ck_assert_ptr_nonnull(got);
		ck_assert_ptr_ne(got, v);	/* a private copy */
		ck_assert_uint_eq(strlen(got), set_tests[_i].want_len);
	}
	free(v);
	rules_session_free(s);
	rules_unref(r);
}
END_TEST

START_TEST(test_clear_message)
{
	struct rules *r = empty_rules();
	struct rules_session *s = rules_session_new(r, 0);

	rules_session_set(s, RULES_FACT_HELO, "client.example");
	rules_session_set(s, RULES_FACT_AUTH, "alice");
	rules_session_set(s, RULES_FACT_SENDER, "<a@example.org>");
	rules_session_set(s, RULES_FACT_RCPT, "<b@example.com>");
	rules_session_set(s, RULES_FACT_RCPT_MAILER, "local");
	rules_session_set(s, RULES_FACT_QUEUE_ID, "ABC");
	rules_session_end_message(s);
	ck_assert_str_eq(rules_session_get(s, RULES_FACT_HELO),
	    "client.example");
	ck_assert_str_eq(rules_session_get(s, RULES_FACT_AUTH), "alice");
	ck_assert_ptr_null(rules_session_get(s, RULES_FACT_SENDER));
	ck_assert_ptr_null(rules_session_get(s, RULES_FACT_RCPT));
	ck_assert_ptr_null(rules_session_get(s, RULES_FACT_RCPT_MAILER));
	ck_assert_ptr_null(rules_session_get(s, RULES_FACT_QUEUE_ID));
	rules_session_free(s);
	rules_unref(r);
}
END_TEST

/* text_sanitise */

static const struct {
	const char *label, *in;
	int     flags;
	size_t  outlen;
	const char *want;
} sanitise_tests[] = {
	{"plain", "hello world", 0, 64, "hello world"},
	{"null", NULL, 0, 64, ""},
	{"crlf", "a\r\nb", 0, 64, "a??b"},
	{"tab and nul-free controls", "a\tb\x01\x1b[0m", 0, 64, "a?b??[0m"},
	{"del", "a\x7f" "b", 0, 64, "a?b"},
	{"utf8 dropped without flag", "caf\xc3\xa9", 0, 64, "caf??"},
	{"utf8 kept with flag", "caf\xc3\xa9", TEXT_UTF8, 64, "caf\xc3\xa9"},
	{"invalid utf8", "a\xc3(b\xff\xfe", TEXT_UTF8, 64, "a?(b??"},
	{"overlong utf8", "\xc0\xaf\xe0\x80\xaf", TEXT_UTF8, 64, "?????"},
	{"surrogate", "\xed\xa0\x80", TEXT_UTF8, 64, "???"},
	{"c1 control", "\xc2\x85", TEXT_UTF8, 64, "??"},
	{"truncated at bound", "abcdef", 0, 4, "abc"},
	{"utf8 not split", "ab\xc3\xa9", TEXT_UTF8, 4, "ab"},
	{"4-byte utf8", "\xf0\x9f\x98\x80", TEXT_UTF8, 64, "\xf0\x9f\x98\x80"},
};

START_TEST(test_sanitise)
{
	char    out[64];
	size_t  n;

	n = text_sanitise(out, sanitise_tests[_i].outlen, sanitise_tests[_i].in,
	    sanitise_tests[_i].flags);
	ck_assert_msg(strcmp(out, sanitise_tests[_i].want) == 0,
	    "%s: got \"%s\"", sanitise_tests[_i].label, out);
	ck_assert_uint_eq(n, strlen(out));
}
END_TEST

/* reply_escape */

static const struct {
	const char *label, *in, *want;
} escape_tests[] = {
	{"plain", "Relay access denied", "Relay access denied"},
	{"percent", "100% sure", "100%% sure"},
	{"percent hack", "<a%b@c>: no", "<a%%b@c>: no"},
	{"double percent", "%%", "%%%%"},
	{"format attack", "%s%n%x", "%%s%%n%%x"},
	{"cr lf", "line\r\n250 OK", "line??250 OK"},
	{"nul-free controls", "\x01\x7f", "??"},
	{"utf8", "caf\xc3\xa9", "caf??"},
	{"empty", "", ""},
};

START_TEST(test_escape)
{
	char    out[REPLY_TEXT_MAX + 1];

	reply_escape(out, sizeof(out), escape_tests[_i].in);
	ck_assert_msg(strcmp(out, escape_tests[_i].want) == 0,
	    "%s: got \"%s\"", escape_tests[_i].label, out);
}
END_TEST

/* lone_percent - 1 when s has a '%' not part of a "%%" pair */
static int
lone_percent(const char *s)
{
	for (; *s; s++) {
		if (*s == '%') {
			if (s[1] != '%')
				return (1);
			s++;
		}
	}
	return (0);
}

static const struct {
	const char *label;
	char    fill;
	size_t  n;
} escape_big_tests[] = {
	{"64 KiB of %", '%', 65536},
	{"64 KiB of text", 'x', 65536},
	{"64 KiB of LF", '\n', 65536},
	{"64 KiB of 0xff", (char) 0xff, 65536},
	{"odd % count at bound", '%', REPLY_TEXT_MAX / 2 + 1},
};

START_TEST(test_escape_big)
{
	char   *in = big(escape_big_tests[_i].n, escape_big_tests[_i].fill);
	char    out[4096];
	size_t  n;

	n = reply_escape(out, sizeof(out), in);
	ck_assert_uint_le(n, REPLY_TEXT_MAX);
	ck_assert_uint_eq(n, strlen(out));
	ck_assert_msg(!has_control(out), "%s: control character",
	    escape_big_tests[_i].label);
	ck_assert_msg(!lone_percent(out), "%s: lone %%",
	    escape_big_tests[_i].label);
	for (size_t i = 0; out[i]; i++)
		ck_assert_int_lt((unsigned char) out[i], 0x80);
	/* A small buffer bounds it too. */
	n = reply_escape(out, 8, in);
	ck_assert_uint_le(n, 7);
	ck_assert(!lone_percent(out));
	free(in);
}
END_TEST

/* log_escape */

static const struct {
	const char *label, *in;
	int	flags;
	const char *want;
} logesc_tests[] = {
	{"plain", "user+tag@example.com", 0, "user+tag@example.com"},
	{"null", NULL, 0, ""},
	{"control", "a\r\nb@c", 0, "a\\x0d\\x0ab@c"},
	{"space and brackets",
	    "x> client=evil[192.0.2.66] <", 0,
	    "x\\x3e\\x20client\\x3devil\\x5b192.0.2.66\\x5d\\x20\\x3c"},
	{"rip token", "h,rip=192.0.2.66;", 0, "h\\x2crip\\x3d192.0.2.66\\x3b"},
	{"backslash", "a\\x41", 0, "a\\x5cx41"},
	{"utf-8", "caf\xc3\xa9", 0, "caf\\xc3\\xa9"},
	{"text keeps spaces", "<a@b>: Relay access denied", LOG_ESCAPE_TEXT,
	    "<a@b>: Relay access denied"},
	{"text forged fields", "<a>: no; from=<x> client=e[192.0.2.66]",
	    LOG_ESCAPE_TEXT,
	    "<a>: no\\x3b from\\x3d<x> client\\x3de\\x5b192.0.2.66\\x5d"},
};

START_TEST(test_log_escape)
{
	char    out[LOGLINE_VALUE_MAX + 1];
	size_t  n;

	n = log_escape(out, sizeof(out), logesc_tests[_i].in,
	    logesc_tests[_i].flags);
	ck_assert_msg(strcmp(out, logesc_tests[_i].want) == 0,
	    "%s: got \"%s\"", logesc_tests[_i].label, out);
	ck_assert_uint_eq(n, strlen(out));
}
END_TEST

/* log_escape_cut - an escape is never cut in half */
START_TEST(test_log_escape_cut)
{
	char    out[8];
	size_t  n;

	n = log_escape(out, sizeof(out), "ab\n\n\n", 0);
	ck_assert_str_eq(out, "ab\\x0a");
	ck_assert_uint_eq(n, 6);
	n = log_escape(out, 1, "abc", 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* logline_format */

static const struct {
	const char *label;
	struct logline l;
	const char *want;
} logline_tests[] = {
	{"reject", {"4AbC", "reject", "RCPT", "mail.example.net", "192.0.2.7",
	    "554", "5.7.1", "<x@y.example>: Relay access denied",
	    "client.example", "<s@example.org>", "<x@y.example>", "alice",
	    "/etc/relayguard/relayguard.conf:25", NULL, NULL, 0},
	    "4AbC: reject: RCPT from mail.example.net[192.0.2.7]: 554 5.7.1 "
	    "<x@y.example>: Relay access denied; from=<s@example.org> "
	    "to=<x@y.example> helo=<client.example> "
	    "client=mail.example.net[192.0.2.7] sasl_username=alice "
	    "rule=/etc/relayguard/relayguard.conf:25"},
	{"relay, no queue id, no auth", {NULL, "relay", "RCPT", NULL,
	    "2001:db8::1", NULL, NULL, NULL, "h", "<>", "<r@remote.example>",
	    NULL, "(default):7", NULL, NULL, 0},
	    "NOQUEUE: relay: RCPT from unknown[2001:db8::1]: permitted; "
	    "from=<> to=<r@remote.example> helo=<h> "
	    "client=unknown[2001:db8::1] rule=(default):7"},
	{"unix client, no rule", {"Q1", "tempfail", "MAIL", "localhost", NULL,
	    "451", "4.3.0", "Temporary lookup failure", NULL, "<a@b>", NULL,
	    NULL, "", NULL, NULL, 0},
	    "Q1: tempfail: MAIL from localhost[local]: 451 4.3.0 Temporary "
	    "lookup failure; from=<a@b> to=<> helo=<> client=localhost[local] "
	    "rule=-"},
	{"hostile", {"Q\n2", "reject", "RCPT", "evil\r\nname", "192.0.2.1",
	    "554", "5.7.1", "bad\ntext", "he\x1blo", "<a\nb>", "<c\rd>",
	    "u\x7f", "f:1", NULL, NULL, 0},
	    "Q\\x0a2: reject: RCPT from evil\\x0d\\x0aname[192.0.2.1]: 554 5.7.1 "
	    "bad\\x0atext; from=<a\\x0ab> to=<c\\x0dd> helo=<he\\x1blo> "
	    "client=evil\\x0d\\x0aname[192.0.2.1] sasl_username=u\\x7f "
	    "rule=f:1"},
	{"forged fields", {"Q3", "reject", "RCPT", NULL, "192.0.2.1",
	    "554", "5.7.1", "<\"a> client=x[192.0.2.66]\"@far>: Relay access "
	    "denied", "x> client=h[192.0.2.66] helo=<y",
	    "<a@b> to=<c@d>", "<\"a> client=x[192.0.2.66]\"@far>",
	    "u client=z[192.0.2.66]", "f:1", NULL, NULL, 0},
	    "Q3: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 "
	    "<\"a> client\\x3dx\\x5b192.0.2.66\\x5d\"@far>: Relay access denied; "
	    "from=<a@b\\x3e\\x20to\\x3d\\x3cc@d> "
	    "to=<\"a\\x3e\\x20client\\x3dx\\x5b192.0.2.66\\x5d\"@far> "
	    "helo=<x\\x3e\\x20client\\x3dh\\x5b192.0.2.66\\x5d\\x20helo\\x3d"
	    "\\x3cy> client=unknown[192.0.2.1] "
	    "sasl_username=u\\x20client\\x3dz\\x5b192.0.2.66\\x5d rule=f:1"},
	{"identity from a grant", {"Q4", "warn-reject", "RCPT", NULL,
	    "192.0.2.5", NULL, NULL, NULL, "h", "<a@b>", "<c@d>", NULL, "f:2",
	    "bob", "grant", 1},
	    "Q4: warn-reject: RCPT from unknown[192.0.2.5]: nothing done "
	    "(warn); "
	    "from=<a@b> to=<c@d> helo=<h> client=unknown[192.0.2.5] "
	    "identity=bob identity_source=grant rule=f:2"},
};

START_TEST(test_logline)
{
	char    buf[2048];
	size_t  n;

	n = logline_format(buf, sizeof(buf), &logline_tests[_i].l);
	ck_assert_msg(strcmp(buf, logline_tests[_i].want) == 0,
	    "%s:\n got  %s\n want %s", logline_tests[_i].label, buf,
	    logline_tests[_i].want);
	ck_assert_uint_eq(n, strlen(buf));
}
END_TEST

START_TEST(test_logline_big)
{
	char   *v = big(65536, 'v');
	char   *ctl = big(65536, '\n');
	char    buf[4096], small[40];
	struct logline l = {v, "reject", "RCPT", v, v, "554", "5.7.1", ctl, v,
	v, ctl, v, v, v, v, 0};
	size_t  n;

	n = logline_format(buf, sizeof(buf), &l);
	ck_assert_uint_lt(n, sizeof(buf) - 1);
	ck_assert(!has_control(buf));
	ck_assert_ptr_nonnull(strstr(buf, "; from=<"));
	ck_assert_ptr_nonnull(strstr(buf, "> to=<\\x0a"));
	ck_assert_ptr_nonnull(strstr(buf, " rule=vvv"));
	n = logline_format(small, sizeof(small), &l);
	ck_assert_uint_eq(n, sizeof(small) - 1);
	ck_assert_uint_eq(strlen(small), n);
	free(v);
	free(ctl);
}
END_TEST

/* stats */

static const char stats_conf[] =
	"rcpt {\n"
	"    permit client in { 127.0.0.0/8 }\n"
	"    reject \"554 5.7.1 no\"\n"
	"}\n";

/*
 * stats_names - a named rule keeps its label when lines are inserted
 * above it; an unnamed one is labelled file:line. Also the build and
 * start-time metrics.
 */
static const struct {
	const char *label, *text, *want, *want_plain, *unwanted;
} stats_name_tests[] = {
	{"named", "rcpt {\n permit auth name \"sasl-users\"\n reject\n}\n",
	    "relayguard_rule_matches_total{rule=\"sasl-users\",stage=\"rcpt\"} 0\n",
	    "rule t.conf:2 stage rcpt matched 0 permit 0 accept 0 reject 0 "
	    "tempfail 0 discard 0 error 0 name sasl-users\n", "t.conf:2\""},
	{"named, lines above", "# one\n# two\n\nrcpt {\n permit auth name "
	    "\"sasl-users\"\n reject\n}\n",
	    "relayguard_rule_decisions_total{rule=\"sasl-users\",stage=\"rcpt\","
	    "decision=\"permit\"} 0\n",
	    "rule t.conf:5 stage rcpt matched 0 permit 0 accept 0 reject 0 "
	    "tempfail 0 discard 0 error 0 name sasl-users\n", "t.conf:5\""},
	{"unnamed", "# one\nrcpt {\n permit auth\n reject\n}\n",
	    "relayguard_rule_matches_total{rule=\"t.conf:4\",stage=\"rcpt\"} 0\n",
	    "rule t.conf:4 stage rcpt matched 0 permit 0 accept 0 reject 0 "
	    "tempfail 0 discard 0 error 0\n", "name t.conf:4"},
};

START_TEST(test_stats_names)
{
	struct stats *st = stats_new();
	struct strbuf out = STRBUF_INIT, errs = STRBUF_INIT;
	struct rules *r;
	char    want[128];
	const char *s;

	r = rules_load_string("t.conf", stats_name_tests[_i].text, &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	stats_format_prometheus(st, r, &out);
	s = strbuf_str(&out);
	ck_assert_msg(strstr(s, stats_name_tests[_i].want) != NULL,
	    "%s: no %s in\n%s", stats_name_tests[_i].label,
	    stats_name_tests[_i].want, s);
	ck_assert_msg(strstr(s, stats_name_tests[_i].unwanted) == NULL,
	    "%s: %s in\n%s", stats_name_tests[_i].label,
	    stats_name_tests[_i].unwanted, s);
	ck_assert_ptr_nonnull(strstr(s, "# TYPE relayguard_build_info gauge\n"
	    "relayguard_build_info{version=\"" RG_VERSION "\"} 1\n"));
	snprintf(want, sizeof(want), "relayguard_start_time_seconds %lld\n",
	    (long long) time(NULL));
	/* Made in this second or the one before. */
	if (strstr(s, want) == NULL)
		snprintf(want, sizeof(want), "relayguard_start_time_seconds "
		    "%lld\n", (long long) time(NULL) - 1);
	ck_assert_msg(strstr(s, want) != NULL, "no %s in\n%s", want, s);
	strbuf_free(&out);
	stats_format(st, r, &out);
	ck_assert_msg(strstr(strbuf_str(&out), stats_name_tests[_i].want_plain)
	    != NULL, "%s: no %s in\n%s", stats_name_tests[_i].label,
	    stats_name_tests[_i].want_plain, strbuf_str(&out));
	strbuf_free(&out);
	strbuf_free(&errs);
	rules_unref(r);
	stats_free(st);
}
END_TEST

START_TEST(test_stats)
{
	struct stats *st = stats_new();
	struct strbuf out = STRBUF_INIT, errs = STRBUF_INIT;
	struct rules *r;
	struct rules_session *rs;
	struct rt_facts rf;
	struct rules_result res;
	struct addr a;
	const char *s;
	int     i;

	r = rules_load_string("t.conf", stats_conf, &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	rs = rules_session_new(r, 0);
	memset(&rf, 0, sizeof(rf));
	ck_assert_int_eq(addr_parse("192.0.2.1", &a), 0);
	rf.client = &a;
	rf.rcpt = "<x@remote.example>";
	for (i = 0; i < 2; i++)
		rt_eval(rs, RULES_RCPT, &rf, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_REJECT);
	for (i = 0; i < 3; i++)
		stats_inc(st, STATS_SESSIONS);
	stats_inc(st, STATS_RCPT_REJECTED);
	ck_assert_uint_eq(stats_get(st, STATS_SESSIONS), 3);
	stats_inc(st, STATS_BLOCKS_NETWORKS);
	stats_inc(st, STATS_BLOCKED_REFUSALS);
	stats_inc(st, STATS_BLOCKED_REFUSALS);

	stats_format(st, r, &out);
	s = strbuf_str(&out);
	ck_assert_ptr_nonnull(strstr(s, "sessions 3\n"));
	ck_assert_ptr_nonnull(strstr(s, "recipients_rejected 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "blocks_by_limit 0\n"
	    "blocks_by_networks 1\nblocks_warned 0\nblocked_refusals 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "config t.conf\n"));
	ck_assert_msg(strstr(s, "rule t.conf:2 stage rcpt matched 0 permit 0 "
	    "accept 0 reject 0 tempfail 0 discard 0 error 0\n") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "rule t.conf:3 stage rcpt matched 2 permit 0 "
	    "accept 0 reject 2 tempfail 0 discard 0 error 0\n") != NULL, "%s", s);
	strbuf_free(&out);

	stats_format_prometheus(st, r, &out);
	s = strbuf_str(&out);
	ck_assert_ptr_nonnull(strstr(s,
	    "# TYPE relayguard_sessions_total counter\n"
	    "relayguard_sessions_total 3\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "relayguard_recipients_total{decision=\"rejected\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "relayguard_blocks_total{cause=\"limit\"} 0\n"
	    "relayguard_blocks_total{cause=\"networks\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "relayguard_blocked_refusals_total 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "relayguard_rule_decisions_total{rule="
	    "\"t.conf:3\",stage=\"rcpt\",decision=\"reject\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "relayguard_rule_matches_total{rule="
	    "\"t.conf:3\",stage=\"rcpt\"} 2\n"));
	strbuf_free(&out);

	/* Without rules: only the daemon's counters. */
	stats_format(st, NULL, &out);
	ck_assert_ptr_null(strstr(strbuf_str(&out), "rule "));
	strbuf_free(&out);
	rules_session_free(rs);
	rules_unref(r);
	strbuf_free(&errs);
	stats_free(st);
	stats_free(NULL);
}
END_TEST

static const struct {
	const char *label, *name;
	const char *want;
} prom_tests[] = {
	{"quote, backslash, newline", "we\"ird\\na\nme.conf",
	    "rule=\"we\\\"ird\\\\na\\nme.conf:2\""},
};

START_TEST(test_prom_escape)
{
	struct stats *st = stats_new();
	struct strbuf out = STRBUF_INIT, errs = STRBUF_INIT;
	struct rules *r;

	r = rules_load_string(prom_tests[_i].name, "rcpt {\n  reject\n}\n",
	    &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	stats_format_prometheus(st, r, &out);
	ck_assert_msg(strstr(strbuf_str(&out), prom_tests[_i].want) != NULL,
	    "%s: %s", prom_tests[_i].label, strbuf_str(&out));
	strbuf_free(&out);
	strbuf_free(&errs);
	rules_unref(r);
	stats_free(st);
}
END_TEST

#define NELEM(a)	((int) (sizeof(a) / sizeof((a)[0])))

Suite *
milter_suite(void)
{
	Suite  *s = suite_create("milter");
	TCase  *tc;

	tc = tcase_create("facts_set_client");

	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_set_client, 0, NELEM(client_tests));
	suite_add_tcase(s, tc);
	tc = tcase_create("facts_name_verified");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_name_verified, 0, NELEM(name_tests));
	suite_add_tcase(s, tc);
	tc = tcase_create("facts_set");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_set_bounds, 0, NELEM(set_tests));
	tcase_add_test(tc, test_clear_message);
	suite_add_tcase(s, tc);
	tc = tcase_create("text_sanitise");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_sanitise, 0, NELEM(sanitise_tests));
	suite_add_tcase(s, tc);
	tc = tcase_create("reply_escape");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_escape, 0, NELEM(escape_tests));
	tcase_add_loop_test(tc, test_escape_big, 0, NELEM(escape_big_tests));
	suite_add_tcase(s, tc);
	tc = tcase_create("log_escape");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_log_escape, 0, NELEM(logesc_tests));
	tcase_add_test(tc, test_log_escape_cut);
	suite_add_tcase(s, tc);
	tc = tcase_create("logline_format");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_logline, 0, NELEM(logline_tests));
	tcase_add_test(tc, test_logline_big);
	suite_add_tcase(s, tc);
	tc = tcase_create("stats");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_test(tc, test_stats);
	tcase_add_loop_test(tc, test_stats_names, 0, NELEM(stats_name_tests));
	tcase_add_loop_test(tc, test_prom_escape, 0, NELEM(prom_tests));
	suite_add_tcase(s, tc);
	return (s);
}
