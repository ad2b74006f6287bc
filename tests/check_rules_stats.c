/*
 * NAME
 *	check_rules_stats - settings and per-rule statistics
 * DESCRIPTION
 *	The settings a configuration gives and their defaults, the stages
 *	it uses, the per-rule counters, and the counters of one rule set
 *	shared by several threads adding up.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "rules/rules.h"
#include "tests/check_rules_util.h"

/* Settings, stages used, statistics. */
START_TEST(test_settings_stats)
{
	struct strbuf errs = STRBUF_INIT;
	const struct rules_settings *set;
	struct rules_rule_stats rs;
	struct rules *r;
	const char *text =
	"socket \"inet:8894@127.0.0.1\"\n"
	"control \"unix:/run/x.sock\"\n"
	"user relayguard\n"
	"on-error reject\n"
	"delay-reject no\n"
	"recipient-delimiter \"+\"\n"
	"log-level debug\n"
	"rcpt {\n"
	"    permit sender = a@b.example\n"
	"    reject\n"
	"}\n";

	r = rules_load_string("s.conf", text, &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	set = rules_settings(r);
	ck_assert_str_eq(set->socket, "inet:8894@127.0.0.1");
	ck_assert_str_eq(set->control, "unix:/run/x.sock");
	ck_assert_str_eq(set->user, "relayguard");
	ck_assert_int_eq(set->on_error, RULES_ON_ERROR_REJECT);
	ck_assert_int_eq(set->delay_reject, 0);
	ck_assert_str_eq(set->recipient_delimiter, "+");
	ck_assert_int_eq(set->log_level, 3);
	ck_assert_uint_eq(rules_rule_count(r), 2);
	ck_assert_int_eq(rules_rule_stats(r, 0, &rs), 0);
	ck_assert_str_eq(rs.where, "s.conf:9");
	ck_assert_str_eq(rs.text, "permit sender = a@b.example");
	ck_assert_int_eq(rules_rule_stats(r, 2, &rs), -1);
	{
		struct rules_session *s = rules_session_new(r, 0);
		struct rt_facts f;
		struct rules_result res;
		int     k;

		rt_facts_init(&f);
		f.sender = "<a@b.example>";
		f.rcpt = "<x@y.example>";
		for (k = 0; k < 3; k++)
			rt_eval(s, RULES_RCPT, &f, &res, NULL);
		f.sender = "<c@b.example>";
		rt_eval(s, RULES_RCPT, &f, &res, NULL);
		rules_session_free(s);
	}
	ck_assert_int_eq(rules_rule_stats(r, 0, &rs), 0);
	ck_assert_uint_eq(rs.matched, 3);
	ck_assert_uint_eq(rs.count[RULES_STAT_PERMIT], 3);
	ck_assert_int_eq(rules_rule_stats(r, 1, &rs), 0);
	ck_assert_uint_eq(rs.count[RULES_STAT_REJECT], 1);
	rules_unref(r);

	/* Defaults. */
	r = rules_load_string("d.conf", "", &errs);
	ck_assert_ptr_nonnull(r);
	set = rules_settings(r);
	ck_assert_ptr_null(set->socket);
	ck_assert_ptr_null(set->recipient_delimiter);
	ck_assert_int_eq(set->on_error, RULES_ON_ERROR_TEMPFAIL);
	ck_assert_int_eq(set->delay_reject, 1);
	ck_assert_int_eq(set->log_level, 2);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

/* Many threads share one rule set; the statistics add up. */
#define NTHREADS	4
#define NEVALS		5000

static void *
eval_thread(void *arg)
{
	struct rules_session *s = rules_session_new(arg, 0);
	struct rt_facts f;
	struct rules_result res;
	struct addr a;
	int     k;

	rt_facts_init(&f);
	addr_parse("203.0.113.1", &a);
	f.client = &a;
	for (k = 0; k < NEVALS; k++) {
		f.rcpt = k % 2 ? "<user@example.com>" : "<victim@far.example>";
		rt_eval(s, RULES_RCPT, &f, &res, NULL);
		if (res.verdict != (k % 2 ? RULES_CONTINUE : RULES_REJECT))
			break;
	}
	rules_session_free(s);
	return ((void *) (intptr_t) k);
}

START_TEST(test_threads)
{
	struct rules *r = rt_rules(C_MAIN);
	struct rules_rule_stats rs;
	pthread_t t[NTHREADS];
	unsigned long permits = 0, rejects = 0;
	void   *ret;
	size_t  i;
	int     k;

	/* Other tests may have counted before (CK_FORK=no): deltas. */
	for (i = 0; rules_rule_stats(r, i, &rs) == 0; i++) {
		permits -= rs.count[RULES_STAT_PERMIT];
		rejects -= rs.count[RULES_STAT_REJECT];
	}
	for (k = 0; k < NTHREADS; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, eval_thread, r), 0);
	for (k = 0; k < NTHREADS; k++) {
		ck_assert_int_eq(pthread_join(t[k], &ret), 0);
		ck_assert_int_eq((int) (intptr_t) ret, NEVALS);
	}
	for (i = 0; rules_rule_stats(r, i, &rs) == 0; i++) {
		permits += rs.count[RULES_STAT_PERMIT];
		rejects += rs.count[RULES_STAT_REJECT];
	}
	ck_assert_uint_eq(permits, NTHREADS * NEVALS / 2);
	ck_assert_uint_eq(rejects, NTHREADS * NEVALS / 2);
}
END_TEST

/* rules_stats_tests - settings (plain), threads (loaded fixture) */
void
rules_stats_tests(TCase *plain, TCase *loaded)
{
	tcase_add_test(plain, test_settings_stats);
	tcase_add_test(loaded, test_threads);
}
