/*
 * NAME
 *	check_regex - regular expressions cannot stall a session
 * DESCRIPTION
 *	"refused": backreferences, overlong patterns and repetition that
 *	blows up the automaton are load errors at file:line:col of the
 *	culprit. "worst": the worst patterns the parser still accepts
 *	(nested and bounded repetition, long alternations) on the
 *	longest subject a regex sees: each match must take far less than
 *	the bound (1 s, where a backreference takes minutes); the slowest
 *	is printed. "cap": a text longer than the subject cap is matched
 *	by no regex, which holds in a refusal and not in a permit.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/strbuf.h"
#include "rules/rules.h"
#include "tests/check_facts.h"
#include "rules/rules_int.h"
#include "tests/check_timeout.h"

Suite  *regex_suite(void);

static const struct {
	const char *re;
	int     col;			/* of the culprit; the '/' is col 19 */
	const char *msg;
} refused[] = {
	{"^(.*)(.*)(.*)\\3\\2\\1x$", 33, "backreference \\3"},
	{"(a)\\1", 23, "backreference \\1"},
	{"^(.{1,50}){1,50}z$", 30, "repetition too large"},
	{"^.{1,300}$", 22, "repetition too large"},
	{"^((a{1,20}){1,20})$", 31, "repetition too large"},
	{"x{99999999999999999999}", 21, "repetition too large"},
	{"^.{1,32}.{1,35}$", 29, "repetition too large"},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	20, "longer than"},
};

START_TEST(test_refused)
{
	struct strbuf errs = STRBUF_INIT, conf = STRBUF_INIT;
	struct rules *r;
	char    want[64];

	strbuf_printf(&conf, "helo {\n    reject helo = /%s/\n}\n",
	    refused[_i].re);
	r = rules_load_string("rx.conf", strbuf_str(&conf), &errs);
	ck_assert_msg(r == NULL, "/%s/ was accepted", refused[_i].re);
	snprintf(want, sizeof(want), "rx.conf:2:%d: error: ", refused[_i].col);
	ck_assert_msg(strncmp(strbuf_str(&errs), want, strlen(want)) == 0,
	    "/%s/: got '%s', want '%s...'", refused[_i].re, strbuf_str(&errs),
	    want);
	ck_assert_msg(strstr(strbuf_str(&errs), refused[_i].msg) != NULL,
	    "/%s/: '%s' does not say '%s'", refused[_i].re, strbuf_str(&errs),
	    refused[_i].msg);
	strbuf_free(&conf);
	strbuf_free(&errs);
}
END_TEST

/* Accepted, and as bad as the limits allow. */
static const char *const worst[] = {
	"^.{1,32}.{1,32}z$",
	"^.{1,65}z$",
	"^.{1,16}.{1,16}.{1,16}.{1,16}z$",
	"^(.{1,8}){1,8}z$",
	"^[a-z]{1,32}[0-9a-z]{1,32}z$",
	"^(.?){32}a{32}$",
	"^(a|aa)*(a|aa)*(a|aa)*(a|aa)*(a|aa)*(a|aa)*(a|aa)*(a|aa)*z$",
	"^(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)(.*)z$",
	"^((a+)+)+b$",
	"(((((((((a*)*)*)*)*)*)*)*)*)*z",
	"^(.*a){20}$",
	"^(a|aa|aaa|aaaa|aaaaa|aaaaaa|aaaaaaa|aaaaaaaa|aaaaaaaaa|aaaaaaaaaa|"
	"aaaaaaaaaaa|aaaaaaaaaaaa|aaaaaaaaaaaaa|aaaaaaaaaaaaaa|aaaaaaaaaaaaaaa"
	"|aaaaaaaaaaaaaaaa|aaaaaaaaaaaaaaaaa|aaaaaaaaaaaaaaaaaa)*z$",
	/* The worst found: a long alternation of ".*a" runs. */
	"^(.*a|.*a.*a|.*a.*a.*a|.*a.*a.*a.*a|.*a.*a.*a.*a.*a|.*a.*a.*a.*a.*a.*a"
	"|.*a.*a.*a.*a.*a.*a.*a|.*a.*a.*a.*a.*a.*a.*a.*a|.*a.*a.*a.*a.*a.*a.*a"
	".*a.*a|.*a.*a.*a.*a.*a.*a.*a.*a.*a.*a|.*a.*a.*a.*a.*a.*a.*a.*a.*a.*a"
	".*a)*z$",
	"^([a-z0-9]+[.-]?)*[a-z0-9]+\\.example$",
	"(x+x+)+y",
	"^(([a-z])+.)+[A-Z]([a-z])+$",
};

/* now - seconds, monotonic */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double) ts.tv_sec + (double) ts.tv_nsec / 1e9);
}

START_TEST(test_worst)
{
	struct set_item it = {worst[_i], 1, 0};
	struct set *set;
	char    err[256], subj[RX_SUBJECT_MAX + 1];
	size_t  bad, n;
	double  t, worst_t = 0;
	int     rep;

	ck_assert_msg(rules_rx_check(worst[_i], NULL, err, sizeof(err)) == 0,
	    "/%s/ refused: %s", worst[_i], err);
	set = set_build(ITEM_STRING, &it, 1, &bad, err, sizeof(err));
	ck_assert_msg(set != NULL, "/%s/: %s", worst[_i], err);
	/* The longest subject, in the shapes that hurt: all 'a', and
	 * 'a' with a final byte that fails the match late. */
	for (rep = 0; rep < 3; rep++) {
		n = RX_SUBJECT_MAX;
		memset(subj, rep == 2 ? 'x' : 'a', n);
		subj[n] = '\0';
		if (rep == 1)
			subj[n - 1] = '!';
		t = now();
		(void) set_match_string(set, subj);
		t = now() - t;
		if (t > worst_t)
			worst_t = t;
	}
	fprintf(stderr, "regex worst case: %8.3f ms  /%s/\n", worst_t * 1e3,
	    worst[_i]);
	/* The bound is generous for a loaded machine; a backreference
	 * pattern takes minutes here. */
	ck_assert_msg(worst_t < 1.0, "/%s/ took %.3f s on %d bytes",
	    worst[_i], worst_t, RX_SUBJECT_MAX);
	set_free(set);
}
END_TEST

static const struct {
	const char *conf;
	const char *rcpt;
	const char *want;
} capcases[] = {
	{"rcpt {\n    permit rcpt in { /@example\\.com$/ }\n    reject\n}\n",
	"<a@example.com>", "permit"},
	{"rcpt {\n    permit rcpt in { /@example\\.com$/ }\n    reject\n}\n",
	"<@LONG@example.com>", "reject"},
	{"rcpt {\n    reject rcpt in { /^zzz/ }\n    permit\n}\n",
	"<@LONG@example.com>", "reject"},
	{"rcpt {\n    reject rcpt in { /^zzz/ }\n    permit\n}\n",
	"<a@example.com>", "permit"},
	{"rcpt {\n    reject not rcpt in { /@example\\.com$/ }\n    permit\n}\n",
	"<@LONG@example.com>", "reject"},
	{"rcpt {\n    permit not rcpt in { /^zzz/ }\n    reject\n}\n",
	"<@LONG@example.com>", "reject"},
	/* An exact item still decides without the regex. */
	{"rcpt {\n    permit rcpt in { @example.com /^zzz/ }\n    reject\n}\n",
	"<@LONG@example.com>", "permit"},
};

START_TEST(test_cap)
{
	struct strbuf errs = STRBUF_INIT, rcpt = STRBUF_INIT;
	struct rules *r = rules_load_string("cap.conf", capcases[_i].conf,
	    &errs);
	struct rules_session *s;
	struct rt_facts f;
	struct rules_result res;
	const char *p, *at;
	int     st;

	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	/* @LONG@ is a local part just over the cap. */
	p = capcases[_i].rcpt;
	if ((at = strstr(p, "@LONG@")) != NULL) {
		strbuf_append(&rcpt, p, (size_t) (at - p));
		for (st = 0; st < RX_SUBJECT_MAX; st++)
			strbuf_putc(&rcpt, 'z');
		strbuf_puts(&rcpt, at + 5);
	} else
		strbuf_puts(&rcpt, p);
	memset(&f, 0, sizeof(f));
	f.sender = "<s@sender.example>";
	f.rcpt = strbuf_str(&rcpt);
	s = rules_session_new(r, 0);
	for (st = 0; st <= RULES_RCPT; st++)
		rt_eval(s, (enum rules_stage) st, &f, &res, NULL);
	ck_assert_msg(strcmp(res.verdict == RULES_CONTINUE ? "permit" :
	    rules_verdict_name(res.verdict), capcases[_i].want) == 0,
	    "case %d (%s): %s, want %s", _i, capcases[_i].rcpt,
	    rules_verdict_name(res.verdict), capcases[_i].want);
	rules_session_free(s);
	rules_unref(r);
	strbuf_free(&rcpt);
	strbuf_free(&errs);
}
END_TEST

Suite *
regex_suite(void)
{
	Suite  *s = suite_create("regex");
	TCase  *tc;

	tc = tcase_create("refused");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_refused, 0,
	    (int) (sizeof(refused) / sizeof(refused[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("worst");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_worst, 0,
	    (int) (sizeof(worst) / sizeof(worst[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("cap");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_cap, 0,
	    (int) (sizeof(capcases) / sizeof(capcases[0])));
	suite_add_tcase(s, tc);
	return (s);
}
