/*
 * NAME
 *	check_policy - unit tests of the policy protocol's words
 * SYNOPSIS
 *	Suite *policy_suite(void)
 * DESCRIPTION
 *	policy/request.c and policy/action.c, table-driven: where a
 *	request ends in a stream, how one is split (and every way it can
 *	be malformed), which facts the attributes become and in what
 *	form, and the action line for every answer of the engine. The
 *	door's sockets and sessions are tested by
 *	tests/integration/policy.test and policy-postfix.test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/xalloc.h"
#include "policy/policy.h"
#include "tests/check_timeout.h"

Suite  *policy_suite(void);

/* policy_request_end */

static const struct {
	const char *label;
	const char *text;
	size_t  want;
} end_tests[] = {
	{"empty", "", 0},
	{"one line, no end", "request=x\n", 0},
	{"no newline at all", "request=x", 0},
	{"one request", "request=x\n\n", 11},
	{"two pipelined", "a=1\nb=2\n\nc=3\n\n", 9},
	{"a partial second", "a=1\n\nc=", 5},
	{"an empty line first", "\na=1\n\n", 1},
	{"CR is no line end", "a=1\r\n\r\n", 0},
};

START_TEST(test_end)
{
	ck_assert_msg(policy_request_end(end_tests[_i].text,
	    strlen(end_tests[_i].text)) == end_tests[_i].want, "%s",
	    end_tests[_i].label);
}
END_TEST

/* policy_request_parse */

#define REQ	"request=smtpd_access_policy\n"

static const struct {
	const char *label;
	const char *text;
	int     want;		/* 0 or -1 */
	size_t  nattr;
	const char *err;	/* part of the message, for -1 */
} parse_tests[] = {
	{"minimal", REQ "\n", 0, 1, NULL},
	{"attributes", REQ "protocol_state=RCPT\nsender=\n\n", 0, 3, NULL},
	{"= in a value", REQ "x==y=\n\n", 0, 2, NULL},
	{"unknown attributes", REQ "future_thing=1\n\n", 0, 2, NULL},
	{"no =", REQ "nonsense\n\n", -1, 0, "attribute 2 is not name=value"},
	{"empty name", REQ "=v\n\n", -1, 0, "attribute 2 is not name=value"},
	{"no request", "protocol_state=RCPT\n\n", -1, 0, "no request attribute"},
	{"empty request", "\n", -1, 0, "no request attribute"},
	{"other request type", "request=smtpd_other\n\n", -1, 0,
	"not smtpd_access_policy"},
	{"not ended", REQ "a=1\n", -1, 0, "not ended"},
};

START_TEST(test_parse)
{
	struct policy_request *req = xmalloc(sizeof(*req));
	char    err[128] = "";
	int     rc;

	rc = policy_request_parse(req, parse_tests[_i].text,
	    strlen(parse_tests[_i].text), err, sizeof(err));
	ck_assert_msg(rc == parse_tests[_i].want, "%s: rc %d", parse_tests[_i].label,
	    rc);
	if (rc == 0)
		ck_assert_msg(req->nattr == parse_tests[_i].nattr, "%s: %zu "
		    "attributes", parse_tests[_i].label, req->nattr);
	else
		ck_assert_msg(strstr(err, parse_tests[_i].err) != NULL,
		    "%s: message \"%s\"", parse_tests[_i].label, err);
	free(req);
}
END_TEST

/* The bounds: NUL, length, count of attributes. */
START_TEST(test_parse_bounds)
{
	struct policy_request *req = xmalloc(sizeof(*req));
	struct strbuf sb = STRBUF_INIT;
	char    err[128];
	const char nul[] = REQ "helo_name=a\0b\n\n";
	int     i;

	ck_assert_int_eq(policy_request_parse(req, nul, sizeof(nul) - 1, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "NUL byte in request");

	/* POLICY_ATTR_MAX attributes pass, one more does not. */
	strbuf_puts(&sb, REQ);
	for (i = 1; i < POLICY_ATTR_MAX; i++)
		strbuf_printf(&sb, "a%d=v\n", i);
	strbuf_puts(&sb, "\n");
	ck_assert_int_eq(policy_request_parse(req, sb.s, sb.len, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(req->nattr, POLICY_ATTR_MAX);
	strbuf_reset(&sb);
	strbuf_puts(&sb, REQ);
	for (i = 1; i <= POLICY_ATTR_MAX; i++)
		strbuf_printf(&sb, "a%d=v\n", i);
	strbuf_puts(&sb, "\n");
	ck_assert_int_eq(policy_request_parse(req, sb.s, sb.len, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than 64 attributes"));

	/* POLICY_REQUEST_MAX bytes pass, one more does not. */
	strbuf_reset(&sb);
	strbuf_puts(&sb, REQ "x=");
	while (sb.len < POLICY_REQUEST_MAX - 2)
		strbuf_putc(&sb, 'y');
	strbuf_puts(&sb, "\n\n");
	ck_assert_uint_eq(sb.len, POLICY_REQUEST_MAX);
	ck_assert_int_eq(policy_request_parse(req, sb.s, sb.len, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(policy_request_get(req, "request"),
	    "smtpd_access_policy");
	strbuf_reset(&sb);
	strbuf_puts(&sb, REQ "x=");
	while (sb.len < POLICY_REQUEST_MAX - 1)
		strbuf_putc(&sb, 'y');
	strbuf_puts(&sb, "\n\n");
	ck_assert_int_eq(policy_request_parse(req, sb.s, sb.len, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
	strbuf_free(&sb);
	free(req);
}
END_TEST

/* policy_request_get: the first of a repeated attribute */
START_TEST(test_get)
{
	struct policy_request *req = xmalloc(sizeof(*req));
	const char text[] = REQ "a=1\nb=\na=2\n\n";
	char    err[64];

	ck_assert_int_eq(policy_request_parse(req, text, sizeof(text) - 1, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(policy_request_get(req, "a"), "1");
	ck_assert_str_eq(policy_request_get(req, "b"), "");
	ck_assert_ptr_null(policy_request_get(req, "c"));
	free(req);
}
END_TEST

/* policy_request_facts */

struct got {
	int     set[RULES_NFACTS];
	char    v[RULES_NFACTS][256];
	int     ret;		/* what set() answers */
};

static int
record(void *ctx, enum rules_fact f, const char *v)
{
	struct got *g = ctx;

	g->set[f]++;
	snprintf(g->v[f], sizeof(g->v[f]), "%s", v ? v : "(null)");
	return (g->ret);
}

#define FULL	REQ "protocol_state=RCPT\n" \
	"client_address=192.0.2.7\nclient_name=mx.example.net\n" \
	"reverse_client_name=mx.example.net\nhelo_name=mx.example.net\n" \
	"sender=a@example.net\nrecipient=b@example.com\n" \
	"sasl_username=alice\nsasl_method=PLAIN\nqueue_id=4AB12\n" \
	"ccert_subject=Alice+20Example\nccert_issuer=CA+2bOne\n" \
	"encryption_protocol=TLSv1.3\npolicy_context=ORIGINATING\n" \
	"instance=1.2.3\nccert_fingerprint=AA:BB\n\n"

static const struct {
	const char *label;
	const char *text;
	int     all;
	enum rules_fact fact;
	const char *want;	/* NULL: not set at all; "(null)": absent */
} fact_tests[] = {
	{"client", FULL, 1, RULES_FACT_CLIENT, "192.0.2.7"},
	{"client name", FULL, 1, RULES_FACT_CLIENT_NAME, "mx.example.net"},
	{"verified: resolve OK", FULL, 1, RULES_FACT_CLIENT_RESOLVE, "OK"},
	{"unverified, reverse known: FORGED",
	    REQ "client_name=unknown\nreverse_client_name=x.example\n\n", 1,
	    RULES_FACT_CLIENT_RESOLVE, "FORGED"},
	{"neither known: FAIL",
	    REQ "client_name=unknown\nreverse_client_name=unknown\n\n", 1,
	    RULES_FACT_CLIENT_RESOLVE, "FAIL"},
	{"unknown stays as the MTA says it", REQ "client_name=unknown\n\n", 1,
	    RULES_FACT_CLIENT_NAME, "unknown"},
	{"policy_context is the daemon", FULL, 1, RULES_FACT_DAEMON,
	    "ORIGINATING"},
	{"helo", FULL, 1, RULES_FACT_HELO, "mx.example.net"},
	{"no helo: absent", REQ "helo_name=\n\n", 1, RULES_FACT_HELO, "(null)"},
	{"tls version", FULL, 1, RULES_FACT_TLS_VERSION, "TLSv1.3"},
	{"subject, xtext decoded", FULL, 1, RULES_FACT_CERT_SUBJECT,
	    "Alice Example"},
	{"issuer, xtext decoded", FULL, 1, RULES_FACT_CERT_ISSUER, "CA+One"},
	{"fingerprint as sent", FULL, 1, RULES_FACT_CERT_FINGERPRINT, "AA:BB"},
	{"a bad xtext escape stays", REQ "ccert_subject=a+zz+4\n\n", 1,
	    RULES_FACT_CERT_SUBJECT, "a+zz+4"},
	{"xtext never makes a NUL", REQ "ccert_subject=a+00b\n\n", 1,
	    RULES_FACT_CERT_SUBJECT, "a+00b"},
	{"sender in brackets", FULL, 1, RULES_FACT_SENDER, "<a@example.net>"},
	{"null sender", REQ "sender=\n\n", 1, RULES_FACT_SENDER, "<>"},
	{"no sender attribute", REQ "\n", 1, RULES_FACT_SENDER, "(null)"},
	{"recipient in brackets", FULL, 1, RULES_FACT_RCPT, "<b@example.com>"},
	{"auth", FULL, 1, RULES_FACT_AUTH, "alice"},
	{"no auth: absent", REQ "sasl_username=\n\n", 1, RULES_FACT_AUTH,
	    "(null)"},
	{"auth type", FULL, 1, RULES_FACT_AUTH_TYPE, "PLAIN"},
	{"queue id", FULL, 1, RULES_FACT_QUEUE_ID, "4AB12"},
	{"no verify attribute", FULL, 1, RULES_FACT_VERIFY, NULL},
	{"no rcpt-mailer attribute", FULL, 1, RULES_FACT_RCPT_MAILER, NULL},
	{"derived facts are never set", FULL, 1, RULES_FACT_RCPT_DOMAIN, NULL},
	{"later requests: recipient", FULL, 0, RULES_FACT_RCPT,
	    "<b@example.com>"},
	{"later requests: queue id", FULL, 0, RULES_FACT_QUEUE_ID, "4AB12"},
	{"later requests: not the client", FULL, 0, RULES_FACT_CLIENT, NULL},
	{"later requests: not the sender", FULL, 0, RULES_FACT_SENDER, NULL},
	{"later requests: not auth", FULL, 0, RULES_FACT_AUTH, NULL},
};

START_TEST(test_facts)
{
	struct policy_request *req = xmalloc(sizeof(*req));
	struct got *g = xcalloc(1, sizeof(*g));
	char    err[64];

	ck_assert_int_eq(policy_request_parse(req, fact_tests[_i].text,
	    strlen(fact_tests[_i].text), err, sizeof(err)), 0);
	ck_assert_int_eq(policy_request_facts(req, fact_tests[_i].all, record,
	    g), 0);
	if (fact_tests[_i].want == NULL)
		ck_assert_msg(g->set[fact_tests[_i].fact] == 0, "%s: set",
		    fact_tests[_i].label);
	else {
		ck_assert_msg(g->set[fact_tests[_i].fact] == 1, "%s: set %d "
		    "times", fact_tests[_i].label, g->set[fact_tests[_i].fact]);
		ck_assert_msg(strcmp(g->v[fact_tests[_i].fact],
		    fact_tests[_i].want) == 0, "%s: \"%s\"", fact_tests[_i].label,
		    g->v[fact_tests[_i].fact]);
	}
	free(g);
	free(req);
}
END_TEST

/* The worst answer of set() is returned. */
START_TEST(test_facts_ret)
{
	struct policy_request *req = xmalloc(sizeof(*req));
	struct got *g = xcalloc(1, sizeof(*g));
	char    err[64];

	ck_assert_int_eq(policy_request_parse(req, FULL, strlen(FULL), err,
	    sizeof(err)), 0);
	g->ret = 1;
	ck_assert_int_eq(policy_request_facts(req, 1, record, g), 1);
	g->ret = -1;
	ck_assert_int_eq(policy_request_facts(req, 0, record, g), -1);
	free(g);
	free(req);
}
END_TEST

/* policy_action */

static const struct {
	const char *label;
	enum rules_answer answer;
	const char *code, *xcode, *text;
	enum policy_permit permit;
	const char *want;
} action_tests[] = {
	{"permit", RULES_ANSWER_CONTINUE, "", "", "", POLICY_PERMIT_OK,
	    "action=OK"},
	{"permit, dunno", RULES_ANSWER_CONTINUE, "", "", "",
	    POLICY_PERMIT_DUNNO, "action=DUNNO"},
	{"accept message", RULES_ANSWER_ACCEPT_MESSAGE, "", "", "",
	    POLICY_PERMIT_DUNNO, "action=OK"},
	{"accept connection", RULES_ANSWER_ACCEPT_CONNECTION, "", "", "",
	    POLICY_PERMIT_OK, "action=OK"},
	{"reject", RULES_ANSWER_REJECT, "554", "5.7.1",
	    "<x@y.example>: Relay access denied", POLICY_PERMIT_OK,
	    "action=554 5.7.1 <x@y.example>: Relay access denied"},
	{"reject without text", RULES_ANSWER_REJECT, "550", "5.7.1", "",
	    POLICY_PERMIT_OK, "action=550 5.7.1"},
	{"tempfail", RULES_ANSWER_TEMPFAIL, "451", "4.3.0",
	    "Temporary lookup failure", POLICY_PERMIT_DUNNO,
	    "action=451 4.3.0 Temporary lookup failure"},
	{"discard", RULES_ANSWER_DISCARD, "", "", "spam trap",
	    POLICY_PERMIT_OK, "action=DISCARD spam trap"},
	{"discard without text", RULES_ANSWER_DISCARD, "", "", "",
	    POLICY_PERMIT_OK, "action=DISCARD"},
	{"a reject without a code", RULES_ANSWER_REJECT, "", "", "x",
	    POLICY_PERMIT_OK, "action=554 5.7.1 Access denied"},
	{"a reject with a 4xx code", RULES_ANSWER_REJECT, "451", "4.7.1", "x",
	    POLICY_PERMIT_OK, "action=554 5.7.1 Access denied"},
	{"a tempfail with a 5xx code", RULES_ANSWER_TEMPFAIL, "554", "5.7.1",
	    "x", POLICY_PERMIT_OK, "action=451 4.3.0 Temporary internal error"},
	{"no reply at RCPT fails closed", RULES_ANSWER_NOREPLY, "", "", "",
	    POLICY_PERMIT_OK, "action=451 4.3.0 Temporary internal error"},
	{"newline in text", RULES_ANSWER_REJECT, "554", "5.7.1",
	    "a\nb\r\001c", POLICY_PERMIT_OK, "action=554 5.7.1 a?b??c"},
	{"non-ASCII in text", RULES_ANSWER_DISCARD, "", "", "caf\xc3\xa9",
	    POLICY_PERMIT_OK, "action=DISCARD caf??"},
};

START_TEST(test_action)
{
	struct rules_result res;
	char    buf[POLICY_ACTION_MAX];
	size_t  n;

	memset(&res, 0, sizeof(res));
	res.answer = action_tests[_i].answer;
	snprintf(res.code, sizeof(res.code), "%s", action_tests[_i].code);
	snprintf(res.xcode, sizeof(res.xcode), "%s", action_tests[_i].xcode);
	snprintf(res.text, sizeof(res.text), "%s", action_tests[_i].text);
	n = policy_action(buf, sizeof(buf), &res, action_tests[_i].permit);
	ck_assert_msg(strcmp(buf, action_tests[_i].want) == 0, "%s: \"%s\"",
	    action_tests[_i].label, buf);
	ck_assert_uint_eq(n, strlen(buf));
}
END_TEST

/* Long text is cut to the buffer; never a newline; the length is right. */
START_TEST(test_action_bounds)
{
	struct rules_result res;
	char    buf[POLICY_ACTION_MAX], small[20];
	size_t  n;

	memset(&res, 0, sizeof(res));
	res.answer = RULES_ANSWER_REJECT;
	strcpy(res.code, "554");
	strcpy(res.xcode, "5.7.1");
	memset(res.text, 'x', sizeof(res.text) - 1);
	n = policy_action(buf, sizeof(buf), &res, POLICY_PERMIT_OK);
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_uint_eq(n, strlen("action=554 5.7.1 ") + sizeof(res.text) - 1);
	n = policy_action(small, sizeof(small), &res, POLICY_PERMIT_OK);
	ck_assert_uint_eq(n, sizeof(small) - 1);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_ptr_null(strchr(buf, '\n'));
}
END_TEST

/* policy_fact_known, policy_rules_warnings */

START_TEST(test_known)
{
	ck_assert_int_eq(policy_fact_known(RULES_FACT_CLIENT), 1);
	ck_assert_int_eq(policy_fact_known(RULES_FACT_RCPT), 1);
	/* derived from facts the door learns */
	ck_assert_int_eq(policy_fact_known(RULES_FACT_RCPT_DOMAIN), 1);
	ck_assert_int_eq(policy_fact_known(RULES_FACT_SENDER_DOMAIN), 1);
	/* Postfix has no attribute for these */
	ck_assert_int_eq(policy_fact_known(RULES_FACT_RCPT_MAILER), 0);
	ck_assert_int_eq(policy_fact_known(RULES_FACT_VERIFY), 0);
}
END_TEST

static const char warn_conf[] =
    "policy \"inet:20199@127.0.0.1\"\n"
    "list local { example.com }\n"
    "rcpt {\n"
    "    permit rcpt-domain in <local>\n"
    "    permit rcpt-mailer in { local virtual }\n"
    "    permit auth\n"
    "    reject\n"
    "}\n";

START_TEST(test_warnings)
{
	struct strbuf errs = STRBUF_INIT, w = STRBUF_INIT;
	struct rules *r;
	const char *t;

	r = rules_load_string("warn.conf", warn_conf, &errs);
	ck_assert_msg(r != NULL, "load: %s", strbuf_str(&errs));
	policy_rules_warnings(r, &w);
	t = strbuf_str(&w);
	ck_assert_msg(strstr(t, "warn.conf:5: ") == t, "warning: %s", t);
	ck_assert_msg(strstr(t, "reads rcpt-mailer") != NULL, "%s", t);
	/* one line: the rcpt-domain and auth rules are fine */
	ck_assert_ptr_eq(strchr(t, '\n'), t + strlen(t) - 1);
	rules_unref(r);
	strbuf_free(&w);

	r = rules_load_string("ok.conf", "rcpt {\n permit auth\n reject\n}\n",
	    &errs);
	ck_assert_msg(r != NULL, "load: %s", strbuf_str(&errs));
	policy_rules_warnings(r, &w);
	ck_assert_str_eq(strbuf_str(&w), "");
	rules_unref(r);
	strbuf_free(&w);
	strbuf_free(&errs);
}
END_TEST

Suite *
policy_suite(void)
{
	Suite  *s = suite_create("policy");
	TCase  *tc;

	tc = tcase_create("request_end");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_end, 0,
	    sizeof(end_tests) / sizeof(end_tests[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("request_parse");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_parse, 0,
	    sizeof(parse_tests) / sizeof(parse_tests[0]));
	tcase_add_test(tc, test_parse_bounds);
	tcase_add_test(tc, test_get);
	suite_add_tcase(s, tc);

	tc = tcase_create("request_facts");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_facts, 0,
	    sizeof(fact_tests) / sizeof(fact_tests[0]));
	tcase_add_test(tc, test_facts_ret);
	suite_add_tcase(s, tc);

	tc = tcase_create("action");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_action, 0,
	    sizeof(action_tests) / sizeof(action_tests[0]));
	tcase_add_test(tc, test_action_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("door_facts");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_test(tc, test_known);
	tcase_add_test(tc, test_warnings);
	suite_add_tcase(s, tc);
	return (s);
}
