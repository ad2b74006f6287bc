/*
 * NAME
 *	check_rules - the rules engine's suite
 * SYNOPSIS
 *	Suite *rules_suite(void)
 * DESCRIPTION
 *	Assembles the suite "rules" from the theme files:
 *	check_rules_decision.c (the decision table, the trace),
 *	check_rules_tables.c (tables and files the rules read),
 *	check_rules_stats.c (settings and statistics),
 *	check_rules_reply.c (hostile values in replies) and
 *	check_rules_session.c (the state a session keeps). What they
 *	share, the fixture with the loaded configurations and the call
 *	into the engine, is in check_rules_util.c.
 */
#include <check.h>

#include "tests/check_rules_util.h"
#include "tests/check_timeout.h"

Suite  *rules_suite(void);

/* rules_suite - the tcases "decision", "reply" and "session" */
Suite *
rules_suite(void)
{
	Suite  *s = suite_create("rules");
	TCase  *decision, *reply, *session;

	decision = tcase_create("decision");
	tcase_set_timeout(decision, RG_TIMEOUT_FAST);
	tcase_add_unchecked_fixture(decision, rt_setup, rt_teardown);

	reply = tcase_create("reply");
	tcase_set_timeout(reply, RG_TIMEOUT_FAST);

	session = tcase_create("session");
	tcase_set_timeout(session, RG_TIMEOUT_FAST);

	rules_decision_tests(decision);
	rules_tables_tests(decision);
	rules_answer_tests(decision);
	rules_reply_tests(reply);
	rules_session_tests(session);
	rules_stats_tests(session, decision);

	suite_add_tcase(s, decision);
	suite_add_tcase(s, reply);
	suite_add_tcase(s, session);
	return (s);
}
