/*
 * NAME
 *	check_rules_reply - reply expansion with hostile values
 * DESCRIPTION
 *	Session values with CR, LF, percent signs, macro text, high and
 *	control bytes, and values far longer than a reply, expanded into a
 *	reply template: the reply keeps only what the MTA may be given.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "common/strbuf.h"
#include "rules/rules.h"
#include "tests/check_rules_util.h"

/* Hostile values in reply expansions. */
static const struct {
	const char *label;
	const char *helo, *sender, *rcpt, *auth, *cname;
	const char *want;
} hostile[] = {
	{"CR LF in helo", "evil\r\n250 OK", "<a@b.example>", "<x@far.example>",
		NULL, NULL,
	"x@far.example from evil250 OK as a@b.example auth  name unknown"},
	{"percent kept", "100%.example", "<a%b@c.example>", "<x%y@far.example>",
		"u%n", NULL,
	"x%y@far.example from 100%.example as a%b@c.example auth u%n name unknown"},
	{"macro text in value", "%{rcpt}", "<%{helo}@x.example>",
		"<x@far.example>", "%{auth}", "%{client}",
	"x@far.example from %{rcpt} as %{helo}@x.example auth %{auth} name %{client}"},
	{"high bytes", "h\xc3\xa9lo.example", "<a@b.example>", "<x@far.example>",
		"\x7f\x01z", NULL,
	"x@far.example from h??lo.example as a@b.example auth z name unknown"},
	{"tab and NUL-free controls", "a\tb\x1b[31m", "<a@b.example>",
		"<x@far.example>", NULL, "mx.example",
	"x@far.example from ab[31m as a@b.example auth  name mx.example"},
};

static const char *const hostile_conf =
"rcpt {\n"
"    permit rcpt-domain = example.com\n"
"    reject \"554 5.7.1 %{rcpt} from %{helo} as %{sender} auth %{auth} name %{client-name}\"\n"
"}\n";

START_TEST(test_hostile)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("hostile.conf", hostile_conf, &errs);
	struct rules_session *s;
	struct rt_facts f;
	struct rules_result res;
	int     st;

	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	rt_facts_init(&f);
	f.helo = hostile[_i].helo;
	f.sender = hostile[_i].sender;
	f.rcpt = hostile[_i].rcpt;
	f.auth = hostile[_i].auth;
	f.client_name = hostile[_i].cname;
	s = rules_session_new(r, 0);
	for (st = 0; st <= RULES_RCPT; st++)
		rt_eval(s, (enum rules_stage) st, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_REJECT);
	ck_assert_str_eq(res.text, hostile[_i].want);
	rules_session_free(s);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

START_TEST(test_hostile_long)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("hostile.conf", hostile_conf, &errs);
	struct rules_session *s;
	struct rt_facts f;
	struct rules_result res;
	char    big[2049], rcpt[2100];
	size_t  i;
	int     st;

	ck_assert_ptr_nonnull(r);
	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char) (i % 3 == 0 ? '\r' : i % 3 == 1 ? '\n' : 'a' + i % 26);
	big[sizeof(big) - 1] = '\0';
	memset(rcpt, 'r', sizeof(rcpt));
	memcpy(rcpt, "<", 1);
	snprintf(rcpt + 2000, 100, "@far.example>");
	rt_facts_init(&f);
	f.helo = big;
	f.sender = big;
	f.auth = big;
	f.client_name = big;
	f.rcpt = rcpt;
	s = rules_session_new(r, 0);
	for (st = 0; st <= RULES_RCPT; st++)
		rt_eval(s, (enum rules_stage) st, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_REJECT);
	ck_assert_uint_lt(strlen(res.text), RULES_REPLY_MAX);
	for (i = 0; res.text[i]; i++)
		ck_assert_msg((unsigned char) res.text[i] >= ' ' &&
		    (unsigned char) res.text[i] < 0x7f, "byte %zu is %d", i,
		    res.text[i]);
	rules_session_free(s);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

/* rules_reply_tests - hostile values in reply expansions */
void
rules_reply_tests(TCase *tc)
{
	tcase_add_loop_test(tc, test_hostile, 0,
	    (int) (sizeof(hostile) / sizeof(hostile[0])));
	tcase_add_test(tc, test_hostile_long);
}
