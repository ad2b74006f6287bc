/*
 * NAME
 *	check_rules_session - the state a rules session keeps
 * DESCRIPTION
 *	A session holds its rules across a reload; the embedded default
 *	configuration decides as the spec says; a message end forgets the
 *	message's accept and delayed reject; facts kept in the session
 *	follow the caller's strings.
 */
#include <check.h>
#include <string.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "rules/rules.h"
#include "tests/check_rules_util.h"

/* A session keeps its rules after the loader drops them (reload). */
START_TEST(test_refcount)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load(NULL, &errs);
	struct rules_session *s;
	struct rt_facts f;
	struct rules_result res;
	struct addr a;

	ck_assert_ptr_nonnull(r);
	s = rules_session_new(r, 0);
	rules_unref(r);			/* the "reload" */
	ck_assert_ptr_eq(rules_session_rules(s), r);
	rt_facts_init(&f);
	ck_assert_int_eq(addr_parse("127.0.0.1", &a), 0);
	f.client = &a;
	rt_eval(s, RULES_CONNECT, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_ACCEPT);
	ck_assert_str_eq(res.rule, "(default):5");
	rules_session_free(s);		/* frees the rules */
	rules_unref(NULL);
	rules_session_free(NULL);
	strbuf_free(&errs);
}
END_TEST

/* The embedded default of spec section 6. */
static const struct {
	const char *label;
	const char *client, *auth, *rcpt, *mailer;
	enum rules_verdict want;
} defcases[] = {
	{"loopback", "127.0.0.1", NULL, "<x@far.example>", "smtp", RULES_ACCEPT},
	{"loopback v6", "::1", NULL, "<x@far.example>", "smtp", RULES_ACCEPT},
	{"auth relays", "192.0.2.1", "alice", "<x@far.example>", "smtp",
	RULES_CONTINUE},
	{"local mailer", "192.0.2.1", NULL, "<x@here.example>", "local",
	RULES_CONTINUE},
	{"virtual mailer", "192.0.2.1", NULL, "<x@here.example>", "virtual",
	RULES_CONTINUE},
	{"lmtp mailer", "192.0.2.1", NULL, "<x@here.example>", "lmtp",
	RULES_CONTINUE},
	{"smtp mailer refused", "192.0.2.1", NULL, "<x@far.example>", "smtp",
	RULES_REJECT},
	{"no mailer refused", "192.0.2.1", NULL, "<x@far.example>", NULL,
	RULES_REJECT},
	{"routed refused", "192.0.2.1", NULL, "<x%far.example@here.example>",
	"local", RULES_REJECT},
};

START_TEST(test_default)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load(NULL, &errs);
	struct rules_session *s;
	struct rt_facts f;
	struct rules_result res;
	struct addr a;
	int     st;

	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	ck_assert_str_eq(rules_source(r), "(default)");
	ck_assert_ptr_nonnull(strstr(rules_default_text(), "rcpt-mailer"));
	rt_facts_init(&f);
	ck_assert_int_eq(addr_parse(defcases[_i].client, &a), 0);
	f.client = &a;
	f.auth = defcases[_i].auth;
	f.rcpt = defcases[_i].rcpt;
	f.rcpt_mailer = defcases[_i].mailer;
	s = rules_session_new(r, 0);
	for (st = 0; st <= RULES_RCPT; st++)
		rt_eval(s, (enum rules_stage) st, &f, &res, NULL);
	ck_assert_msg(res.verdict == defcases[_i].want, "%s: %s",
	    defcases[_i].label, rules_verdict_name(res.verdict));
	rules_session_free(s);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

/* A message end forgets a mail-stage accept and delayed reject. */
START_TEST(test_end_message)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r;
	struct rules_session *s;
	struct rt_facts f;
	struct rules_result res;

	r = rules_load_string("m.conf",
	    "mail {\n accept sender = vip@x.example\n"
	    " reject sender = bad@x.example\n}\n"
	    "rcpt {\n reject\n}\n", &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	s = rules_session_new(r, 0);
	rt_facts_init(&f);
	rt_eval(s, RULES_CONNECT, &f, &res, NULL);
	rt_eval(s, RULES_HELO, &f, &res, NULL);
	f.sender = "<vip@x.example>";
	rt_eval(s, RULES_MAIL, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_ACCEPT);
	f.rcpt = "<a@far.example>";
	rt_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_ACCEPT);
	rules_session_end_message(s);
	rt_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_REJECT);
	ck_assert_str_eq(res.rule, "m.conf:6");
	f.sender = "<bad@x.example>";
	rt_eval(s, RULES_MAIL, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_CONTINUE);
	ck_assert_int_eq(rules_session_pending(s), RULES_REJECT);
	rules_session_end_message(s);
	ck_assert_int_eq(rules_session_pending(s), RULES_CONTINUE);
	rules_session_free(s);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

/* Facts kept in the session follow the caller's strings, even when
 * the caller rewrites the same buffer. */
START_TEST(test_cache_reuse)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r;
	struct rules_session *s;
	struct rt_facts f;
	struct rules_result res;
	char    sender[64], helo[64], cname[64];

	r = rules_load_string("c.conf", "rcpt {\n"
	    " permit sender = a@x.example and helo = h1.example\n"
	    " permit sender = b@x.example and client-name = n2.example\n"
	    " reject\n}\n", &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	s = rules_session_new(r, 0);
	rt_facts_init(&f);
	f.sender = sender;
	f.helo = helo;
	f.client_name = cname;
	f.rcpt = "<x@far.example>";
	strcpy(sender, "<a@x.example>");
	strcpy(helo, "h1.example");
	strcpy(cname, "n1.example");
	rt_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_str_eq(res.rule, "c.conf:2");
	strcpy(sender, "<b@x.example>");
	rt_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_str_eq(res.rule, "c.conf:4");
	strcpy(cname, "n2.example");
	rt_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_str_eq(res.rule, "c.conf:3");
	strcpy(sender, "<a@x.example>");
	strcpy(helo, "h2.example");
	rt_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_str_eq(res.rule, "c.conf:4");
	/* client-name becomes absent; rule 3 could have permitted. */
	f.client_resolve = "TEMP";
	strcpy(sender, "<b@x.example>");
	rt_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_TEMPFAIL);
	f.client_resolve = "FAIL";
	rt_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_REJECT);
	f.client_resolve = "OK";
	rt_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_str_eq(res.rule, "c.conf:3");
	rules_session_free(s);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

/* rules_session_tests - reference counting, default, message state */
void
rules_session_tests(TCase *tc)
{
	tcase_add_test(tc, test_refcount);
	tcase_add_loop_test(tc, test_default, 0,
	    (int) (sizeof(defcases) / sizeof(defcases[0])));
	tcase_add_test(tc, test_end_message);
	tcase_add_test(tc, test_cache_reuse);
}
