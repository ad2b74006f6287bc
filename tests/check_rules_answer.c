/*
 * NAME
 *	check_rules_answer - what the MTA is told, stage by stage
 * DESCRIPTION
 *	Sessions of the actions configuration (delay-reject no) run
 *	connect, helo, mail and rcpt with the quiet stages a door asks
 *	for; each stage's rules_result.answer (and the event of the last
 *	one) must be the expected one: refusals on the spot or delivered
 *	at RCPT, accepts of the connection or message, discards as a
 *	message action.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"
#include "tests/check_rules_util.h"

#define Q_MILTER	(RULES_QUIET(RULES_HELO) | RULES_QUIET(RULES_MAIL))

static const struct {
	const char *label;
	unsigned quiet;
	const char *client, *helo, *sender, *rcpt;
	const char *want;		/* answers, one per stage, by "," */
	enum rules_event event;		/* of the last stage */
} answer_tests[] = {
	{"reject at connect", 0, "192.0.2.66", "ok.example", "<a@b.example>",
	"<a@example.com>", "reject", RULES_EVENT_REJECT},
	{"discard at connect applies at mail", 0, "192.0.2.68",
	"ok.example", "<a@b.example>", "<a@example.com>",
	"continue,continue,discard message", RULES_EVENT_NONE},
	{"accept at connect", 0, "192.0.2.69", "ok.example", "<a@b.example>",
	"<a@example.com>", "accept connection", RULES_EVENT_ACCEPT},
	{"accept at helo", 0, "192.0.2.70", "friend.example",
	"<a@b.example>", "<a@example.com>", "continue,accept connection",
	RULES_EVENT_ACCEPT},
	{"accept at mail", 0, "192.0.2.70", "ok.example",
	"<vip@sender.example>", "<a@example.com>",
	"continue,continue,accept message", RULES_EVENT_ACCEPT},
	{"discard at mail", 0, "192.0.2.70", "ok.example",
	"<spam@sender.example>", "<a@example.com>",
	"continue,continue,discard message", RULES_EVENT_DISCARD},
	{"discard at rcpt", 0, "192.0.2.70", "ok.example", "<a@b.example>",
	"<trap@example.com>", "continue,continue,continue,discard message",
	RULES_EVENT_DISCARD},
	{"local rcpt", 0, "192.0.2.70", "ok.example", "<a@b.example>",
	"<a@example.com>", "continue,continue,continue,continue",
	RULES_EVENT_NONE},
	{"relay refused", 0, "192.0.2.70", "ok.example", "<a@b.example>",
	"<a@far.example>", "continue,continue,continue,reject",
	RULES_EVENT_REJECT},
	{"quiet helo refusal at rcpt", Q_MILTER, "192.0.2.70", "bad.example",
	"<a@b.example>", "<a@example.com>",
	"continue,no reply,no reply,reject", RULES_EVENT_REJECT},
	{"quiet helo accept at rcpt", Q_MILTER, "192.0.2.70",
	"friend.example", "<a@b.example>", "<a@far.example>",
	"continue,no reply,no reply,accept message", RULES_EVENT_ACCEPT},
	{"quiet discard from connect", Q_MILTER, "192.0.2.68", "ok.example",
	"<a@b.example>", "<a@far.example>",
	"continue,no reply,no reply,discard message", RULES_EVENT_NONE},
	{"quiet discard at mail", Q_MILTER, "192.0.2.70", "ok.example",
	"<spam@sender.example>", "<a@far.example>",
	"continue,no reply,no reply,discard message", RULES_EVENT_NONE},
	{"quiet mail tempfail at rcpt", Q_MILTER, "192.0.2.70", "ok.example",
	"<x@slow.example>", "<a@example.com>",
	"continue,no reply,no reply,tempfail", RULES_EVENT_TEMPFAIL},
	{"all quiet: connect refusal at rcpt", RULES_QUIET_ALL, "192.0.2.66",
	"ok.example", "<a@b.example>", "<a@example.com>",
	"no reply,no reply,no reply,reject", RULES_EVENT_REJECT},
	{"all quiet: accept at connect", RULES_QUIET_ALL, "192.0.2.69",
	"ok.example", "<a@b.example>", "<a@far.example>",
	"no reply,no reply,no reply,accept message", RULES_EVENT_ACCEPT},
};

START_TEST(test_answers)
{
	struct rules_session *s;
	struct rules_result res;
	char    got[200];
	size_t  len = 0;
	int     st;

	s = rules_session_new(rt_rules(C_ACTIONS), answer_tests[_i].quiet);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_CLIENT,
	    answer_tests[_i].client), 0);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_HELO,
	    answer_tests[_i].helo), 0);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_SENDER,
	    answer_tests[_i].sender), 0);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_RCPT,
	    answer_tests[_i].rcpt), 0);
	got[0] = '\0';
	for (st = RULES_CONNECT; st < RULES_NSTAGES; st++) {
		ck_assert_int_eq(rules_eval(s, (enum rules_stage) st, &res,
		    NULL), 0);
		len += (size_t) snprintf(got + len, sizeof(got) - len, "%s%s",
		    len ? "," : "", rules_answer_name(res.answer));
		/* The MTA sends nothing more after these. */
		if (res.answer != RULES_ANSWER_CONTINUE &&
		    res.answer != RULES_ANSWER_NOREPLY)
			break;
	}
	ck_assert_msg(strcmp(got, answer_tests[_i].want) == 0,
	    "%s: answers %s, want %s", answer_tests[_i].label, got,
	    answer_tests[_i].want);
	ck_assert_msg(res.event == answer_tests[_i].event, "%s: event %s",
	    answer_tests[_i].label, rules_event_name(res.event));
	if (res.answer == RULES_ANSWER_REJECT)
		ck_assert_str_eq(res.code, "554");
	rules_session_free(s);
}
END_TEST

/* A session that could not keep a fact answers tempfail, never permit. */
START_TEST(test_broken_session)
{
	struct rules_session *s = rules_session_new(rt_rules(C_ACTIONS), 0);
	struct rules_result res;

	ck_assert_int_eq(rules_session_set(s, RULES_FACT_CLIENT,
	    "192.0.2.70"), 0);
	ck_assert_int_eq(rules_eval(s, RULES_CONNECT, &res, NULL), 0);
	ck_assert_int_eq(res.answer, RULES_ANSWER_CONTINUE);
	/* A derived fact cannot be set; the session stays whole. */
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_RCPT_DOMAIN,
	    "example.com"), 1);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_RCPT,
	    "<a@example.com>"), 0);
	ck_assert_int_eq(rules_eval(s, RULES_RCPT, &res, NULL), 0);
	ck_assert_int_eq(res.answer, RULES_ANSWER_CONTINUE);
	ck_assert_int_eq(res.internal_error, 0);
	rules_session_free(s);
}
END_TEST

/* Setting a fact again forgets what was derived from the old value. */
START_TEST(test_set_invalidates)
{
	struct rules_session *s = rules_session_new(rt_rules(C_ACTIONS), 0);
	struct rules_result res;

	rules_session_set(s, RULES_FACT_CLIENT, "192.0.2.70");
	rules_session_set(s, RULES_FACT_SENDER, "<ok@sender.example>");
	rules_eval(s, RULES_MAIL, &res, NULL);
	ck_assert_int_eq(res.answer, RULES_ANSWER_CONTINUE);
	rules_session_end_message(s);
	rules_session_set(s, RULES_FACT_SENDER, "<bad@sender.example>");
	rules_eval(s, RULES_MAIL, &res, NULL);
	ck_assert_int_eq(res.answer, RULES_ANSWER_REJECT);
	ck_assert_str_eq(res.text, "go away bad@sender.example");
	rules_session_free(s);
}
END_TEST

/* rules_answer_tests - the answers of each stage */
void
rules_answer_tests(TCase *tc)
{
	tcase_add_loop_test(tc, test_answers, 0,
	    sizeof(answer_tests) / sizeof(answer_tests[0]));
	tcase_add_test(tc, test_broken_session);
	tcase_add_test(tc, test_set_invalidates);
}
