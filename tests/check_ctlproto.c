/*
 * NAME
 *	check_ctlproto - tests for common/ctlproto.c
 * DESCRIPTION
 *	Every request and answer of the table reads back as itself; a
 *	status line that is not in the table is an error answer; request
 *	words and socket specifications are taken apart as the daemon and
 *	relayguardctl need.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "common/ctlproto.h"
#include "tests/check_timeout.h"

Suite  *ctlproto_suite(void);

#define NCASES(t)	((int) (sizeof(t) / sizeof((t)[0])))

/* Each request's line parses back to the request. */
START_TEST(test_request_roundtrip)
{
	const char *line = ctlproto_request_line((enum ctlproto_request) _i);

	ck_assert_uint_gt(strlen(line), 0);
	ck_assert_int_eq(ctlproto_request_parse(line), _i);
}
END_TEST

static const char *const bad_requests[] = {
	"", "stat", "stats ", "Stats", "reload now", "stats  prometheus",
};

START_TEST(test_request_unknown)
{
	ck_assert_int_eq(ctlproto_request_parse(bad_requests[_i]), -1);
}
END_TEST

/* Each answer's status line, with or without a body, parses back. */
START_TEST(test_answer_roundtrip)
{
	enum ctlproto_answer a = (enum ctlproto_answer) _i;
	char    buf[256];

	snprintf(buf, sizeof(buf), "%s\nbody line\n", ctlproto_answer_line(a));
	ck_assert_int_eq(ctlproto_answer_parse(buf), a);
	ck_assert_int_eq(ctlproto_answer_parse(ctlproto_answer_line(a)), a);
	ck_assert_int_eq(ctlproto_answer_ok(a), strncmp(buf, "ok", 2) == 0);
}
END_TEST

/* What the client does not know is never an "ok". */
static const char *const other_answers[] = {
	"", "\n", "okay\n", "ok\r\n", "ok nothing\n", "OK\n", "error\n",
	"error configuration\n", "error: something\n",
};

START_TEST(test_answer_other)
{
	enum ctlproto_answer a = ctlproto_answer_parse(other_answers[_i]);

	ck_assert_int_eq(a, CTLPROTO_ANSWER_OTHER);
	ck_assert_int_eq(ctlproto_answer_ok(a), 0);
	ck_assert_str_eq(ctlproto_answer_line(a), "");
}
END_TEST

static const struct {
	const char *line, *word;
	size_t  want;
} args_cases[] = {
	{"grant 192.0.2.1 alice", GRANTPROTO_GRANT, 6},
	{"grant ", GRANTPROTO_GRANT, 6},
	{"grant", GRANTPROTO_GRANT, 0},
	{"granted 192.0.2.1", GRANTPROTO_GRANT, 0},
	{"revoke 192.0.2.1", GRANTPROTO_GRANT, 0},
	{"", GRANTPROTO_GRANT, 0},
};

START_TEST(test_args)
{
	ck_assert_uint_eq(ctlproto_args(args_cases[_i].line,
	    args_cases[_i].word), args_cases[_i].want);
}
END_TEST

static const struct {
	const char *spec;
	const char *want;		/* NULL: not a Unix socket */
} path_cases[] = {
	{"unix:/run/x.sock", "/run/x.sock"},
	{"local:/run/x.sock", "/run/x.sock"},
	{"/run/x.sock", "/run/x.sock"},
	{"unix:relative.sock", "relative.sock"},
	{"inet:8894@127.0.0.1", NULL},
	{"none", NULL},
	{"", NULL},
};

START_TEST(test_socket_path)
{
	const char *p = ctlproto_socket_path(path_cases[_i].spec);

	if (path_cases[_i].want == NULL)
		ck_assert_ptr_null(p);
	else
		ck_assert_str_eq(p, path_cases[_i].want);
}
END_TEST

/* ctlproto_suite - requests, answers, words and socket paths */
Suite *
ctlproto_suite(void)
{
	Suite  *s = suite_create("ctlproto");
	TCase  *tc;

	tc = tcase_create("ctlproto");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_request_roundtrip, 0, CTLPROTO_NREQUESTS);
	tcase_add_loop_test(tc, test_request_unknown, 0, NCASES(bad_requests));
	tcase_add_loop_test(tc, test_answer_roundtrip, 0,
	    CTLPROTO_ANSWER_OTHER);
	tcase_add_loop_test(tc, test_answer_other, 0, NCASES(other_answers));
	tcase_add_loop_test(tc, test_args, 0, NCASES(args_cases));
	tcase_add_loop_test(tc, test_socket_path, 0, NCASES(path_cases));
	suite_add_tcase(s, tc);
	return (s);
}
