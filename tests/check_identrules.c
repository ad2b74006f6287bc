/*
 * NAME
 *	check_identrules - identity, ownership, blocks and warn in rules
 * DESCRIPTION
 *	Whole sessions through rules_eval() against configurations that
 *	use the identity fact, the four ownership modes over a compiled
 *	login map, "identity blocked" over a blocks table and rules marked
 *	warn; each case gives the RCPT answer and its reply. Parse errors
 *	of the new syntax are checked too.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"
#include "store/store.h"
#include "tests/check_scratch.h"
#include "tests/check_timeout.h"

Suite  *identrules_suite(void);

static char dir[256];

static const char logins_text[] =
	"alice@example.com   alice\n"
	"shared@example.com  alice, bob\n"
	"@corp.example       corp-admin\n";

/* The mail rule of each mode, then the common rest. */
static const char *const modes[] = {"", "authenticated ", "known ",
	"unauthenticated "};

static const char conf_fmt[] =
	"blocks \"%s/blocks.lmdb\"\n"
	"recipient-delimiter \"+\"\n"
	"table logins \"%s/logins.lmdb\"\n"
	"table popauth dynamic \"%s/popauth.lmdb\"\n"
	"mail {\n"
	"  reject %ssender not owned-by identity in <logins>\n"
	"}\n"
	"rcpt {\n"
	"  reject identity blocked\n"
	"  tempfail identity = \"warnme\" warn\n"
	"  reject identity-source = cert \"550 5.7.1 %%{identity} by "
	"%%{identity-source}\"\n"
	"  permit identity-source in { auth grant }\n"
	"  reject\n"
	"}\n";

static struct rules *confs[4];

/* setup - tables and the four configurations */
static void
setup(void)
{
	struct store *s;
	struct addr a;
	char    path[400], err[256], conf[2048];
	char   *text;
	size_t  i;
	struct strbuf errs = STRBUF_INIT;

	scratch_make(dir, sizeof(dir), "idr");
	snprintf(path, sizeof(path), "%s/logins.lmdb", dir);
	text = strdup(logins_text);
	ck_assert_int_eq(store_compile_values("logins", text, strlen(text),
	    path, STORE_VALUES_OWNERS, NULL, NULL, err, sizeof(err)), 0);
	free(text);
	snprintf(path, sizeof(path), "%s/popauth.lmdb", dir);
	ck_assert_int_eq(store_open_write(path, 1, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("192.0.2.50", &a), 0);
	ck_assert_int_eq(store_grant(s, &a, "bob", time(NULL) + 3600, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("192.0.2.51", &a), 0);
	ck_assert_int_eq(store_grant(s, &a, "mallory", time(NULL) + 3600,
	    err, sizeof(err)), 0);
	store_close(s);
	snprintf(path, sizeof(path), "%s/blocks.lmdb", dir);
	ck_assert_int_eq(store_block_open(path, 1, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(store_block_add(s, "Mallory", time(NULL), 0,
	    "stolen", err, sizeof(err)), 0);
	store_close(s);
	for (i = 0; i < 4; i++) {
		snprintf(conf, sizeof(conf), conf_fmt, dir, dir, dir, modes[i]);
		confs[i] = rules_load_string("id.conf", conf, &errs);
		ck_assert_msg(confs[i] != NULL, "%s", strbuf_str(&errs));
	}
	strbuf_free(&errs);
}

/* teardown - drop the configurations and the directory */
static void
teardown(void)
{
	size_t  i;

	for (i = 0; i < 4; i++)
		rules_unref(confs[i]);
	scratch_remove(dir);
}

static const struct {
	const char *label;
	int     mode;			/* index into modes */
	const char *client, *auth, *cert, *verify, *sender;
	enum rules_verdict want;
	const char *reply;		/* "code xcode text", "" for none */
	const char *warn;		/* warn rule that matched, or NULL */
}       cases[] = {
	{"owner relays", 0, "192.0.2.1", "alice", NULL, NULL,
	"<alice+x@example.com>", RULES_CONTINUE, "", NULL},
	{"not the owner", 0, "192.0.2.1", "bob", NULL, NULL,
	"<alice@example.com>", RULES_REJECT, "553 5.7.1 <alice@example.com>: "
	"Sender address rejected: not owned by user bob", NULL},
	{"unlisted, logged in", 0, "192.0.2.1", "bob", NULL, NULL,
	"<bob@elsewhere.example>", RULES_REJECT, "553 5.7.1 "
	"<bob@elsewhere.example>: Sender address rejected: not owned by user "
	"bob", NULL},
	{"listed, stranger", 0, "192.0.2.1", NULL, NULL, NULL,
	"<alice@example.com>", RULES_REJECT, "553 5.7.1 <alice@example.com>: "
	"Sender address rejected: not logged in", NULL},
	{"unlisted stranger meets the last rule", 0, "192.0.2.1", NULL, NULL,
	NULL, "<who@elsewhere.example>", RULES_REJECT, "554 5.7.1 "
	"<x@foreign.example>: Relay access denied", NULL},
	{"null sender never checked", 0, "192.0.2.1", "bob", NULL, NULL,
	"<>", RULES_CONTINUE, "", NULL},
	{"grant user owns", 0, "192.0.2.50", NULL, NULL, NULL,
	"<shared@example.com>", RULES_CONTINUE, "", NULL},
	{"grant user not owner", 0, "192.0.2.50", NULL, NULL, NULL,
	"<alice@example.com>", RULES_REJECT, "553 5.7.1 <alice@example.com>: "
	"Sender address rejected: not owned by user bob", NULL},
	{"at-domain owner", 0, "192.0.2.1", "Corp-Admin", NULL, NULL,
	"<any@corp.example>", RULES_CONTINUE, "", NULL},
	{"authenticated: stranger passes", 1, "192.0.2.1", NULL, NULL, NULL,
	"<alice@example.com>", RULES_REJECT, "554 5.7.1 "
	"<x@foreign.example>: Relay access denied", NULL},
	{"authenticated: unlisted refused", 1, "192.0.2.1", "bob", NULL, NULL,
	"<bob@elsewhere.example>", RULES_REJECT, "553 5.7.1 "
	"<bob@elsewhere.example>: Sender address rejected: not owned by user "
	"bob", NULL},
	{"known: unlisted passes", 2, "192.0.2.1", "bob", NULL, NULL,
	"<bob@elsewhere.example>", RULES_CONTINUE, "", NULL},
	{"known: listed not owner", 2, "192.0.2.1", "bob", NULL, NULL,
	"<alice@example.com>", RULES_REJECT, "553 5.7.1 <alice@example.com>: "
	"Sender address rejected: not owned by user bob", NULL},
	{"unauthenticated: logged in passes", 3, "192.0.2.1", "bob", NULL,
	NULL, "<alice@example.com>", RULES_CONTINUE, "", NULL},
	{"unauthenticated: stranger listed", 3, "192.0.2.1", NULL, NULL, NULL,
	"<alice@example.com>", RULES_REJECT, "553 5.7.1 <alice@example.com>: "
	"Sender address rejected: not logged in", NULL},
	{"blocked login", 1, "192.0.2.1", "MALLORY", NULL, NULL,
	"<>", RULES_REJECT, "554 5.7.1 MALLORY: account blocked; contact "
	"your postmaster", NULL},
	{"blocked grant user", 1, "192.0.2.51", NULL, NULL, NULL,
	"<>", RULES_REJECT, "554 5.7.1 mallory: account blocked; contact "
	"your postmaster", NULL},
	{"warn decides nothing", 1, "192.0.2.1", "warnme", NULL, NULL,
	"<>", RULES_CONTINUE, "", "id.conf:10"},
	{"verified certificate", 1, "192.0.2.1", NULL, "/O=X/CN=certuser",
	"OK", "<>", RULES_REJECT, "550 5.7.1 certuser by cert", NULL},
	{"unverified certificate is nobody", 1, "192.0.2.1", NULL,
	"/O=X/CN=certuser", "FAIL", "<>", RULES_REJECT, "554 5.7.1 "
	"<x@foreign.example>: Relay access denied", NULL},
};

/* test_session - one session, its RCPT answer */
START_TEST(test_session)
{
	struct rules_session *s = rules_session_new(confs[cases[_i].mode], 0);
	struct rules_result res;
	char    reply[1200];
	int     st;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_CLIENT,
	    cases[_i].client), 0);
	rules_session_set(s, RULES_FACT_HELO, "client.example");
	rules_session_set(s, RULES_FACT_AUTH, cases[_i].auth);
	rules_session_set(s, RULES_FACT_CERT_SUBJECT, cases[_i].cert);
	rules_session_set(s, RULES_FACT_VERIFY, cases[_i].verify);
	rules_session_set(s, RULES_FACT_SENDER, cases[_i].sender);
	rules_session_set(s, RULES_FACT_RCPT, "<x@foreign.example>");
	for (st = RULES_CONNECT; st <= RULES_RCPT; st++)
		rules_eval(s, (enum rules_stage) st, &res, NULL);
	ck_assert_msg(res.verdict == cases[_i].want, "%s: %s", cases[_i].label,
	    rules_verdict_name(res.verdict));
	snprintf(reply, sizeof(reply), "%s%s%s%s%s", res.code,
	    res.code[0] ? " " : "", res.xcode, res.code[0] ? " " : "",
	    res.text);
	ck_assert_msg(strcmp(reply, cases[_i].reply) == 0, "%s: \"%s\"",
	    cases[_i].label, reply);
	ck_assert_int_eq(res.warned, cases[_i].warn != NULL);
	if (cases[_i].warn != NULL) {
		ck_assert_str_eq(res.warn_rule, cases[_i].warn);
		ck_assert_int_eq(res.warn_verdict, RULES_TEMPFAIL);
	}
	rules_session_free(s);
}
END_TEST

/* test_warn_stats - a warn rule counts what it would have done */
START_TEST(test_warn_stats)
{
	struct rules_session *s = rules_session_new(confs[0], 0);
	struct rules_rule_stats st;
	struct rules_result res;
	size_t  i;
	int     found = 0;

	rules_session_set(s, RULES_FACT_AUTH, "warnme");
	rules_session_set(s, RULES_FACT_SENDER, "<>");
	rules_session_set(s, RULES_FACT_RCPT, "<x@foreign.example>");
	rules_eval(s, RULES_RCPT, &res, NULL);
	rules_eval(s, RULES_RCPT, &res, NULL);
	for (i = 0; rules_rule_stats(confs[0], i, &st) == 0; i++)
		if (st.warn) {
			found = 1;
			ck_assert_uint_eq(st.warned[RULES_STAT_TEMPFAIL], 2);
			ck_assert_uint_eq(st.count[RULES_STAT_TEMPFAIL], 0);
			ck_assert_uint_eq(st.matched, 0);
		}
	ck_assert_int_eq(found, 1);
	rules_session_free(s);
}
END_TEST

/* test_rules_identity - the identity outside an evaluation */
START_TEST(test_rules_identity)
{
	struct rules_session *s = rules_session_new(confs[0], 0);
	const char *src;
	char    id[128];

	ck_assert_int_eq(rules_session_set(s, RULES_FACT_CLIENT, "192.0.2.50"),
	    0);
	ck_assert_int_eq(rules_identity(s, RULES_CONNECT, id, sizeof(id),
	    &src), 1);
	ck_assert_str_eq(id, "bob");
	ck_assert_str_eq(src, "grant");
	rules_session_set(s, RULES_FACT_AUTH, "Alice");
	ck_assert_int_eq(rules_identity(s, RULES_HELO, id, sizeof(id), &src),
	    1);
	ck_assert_str_eq(src, "grant");	/* auth is known from mail on */
	ck_assert_int_eq(rules_identity(s, RULES_MAIL, id, sizeof(id), &src),
	    1);
	ck_assert_str_eq(id, "Alice");
	ck_assert_str_eq(src, "auth");
	rules_session_set(s, RULES_FACT_AUTH, NULL);
	rules_session_set(s, RULES_FACT_CLIENT, "192.0.2.99");
	ck_assert_int_eq(rules_identity(s, RULES_RCPT, id, sizeof(id), &src),
	    0);
	ck_assert_ptr_null(src);
	rules_session_free(s);
}
END_TEST

/* test_warn_analysis - a refusal marked warn protects nothing */
START_TEST(test_warn_analysis)
{
	static const char *const confs_[2] = {
		"rcpt {\n  reject\n}\n",
		"rcpt {\n  reject warn\n}\n",
	};
	struct strbuf errs = STRBUF_INIT;
	struct rules_analysis *an;
	struct rules *r;
	int     i;

	for (i = 0; i < 2; i++) {
		/* The second one only loads because the file says so. */
		char    text[200];

		snprintf(text, sizeof(text), "%s%s", i ? "open-relay allow\n" :
		    "", confs_[i]);
		r = rules_load_string("w.conf", text, &errs);
		ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
		an = rules_analyse(r);
		ck_assert_int_eq(rules_analysis_open(an) != 0, i);
		rules_analysis_free(an);
		rules_unref(r);
	}
	strbuf_free(&errs);
}
END_TEST

static const struct {
	const char *rule, *err;		/* a rcpt rule, the error wanted */
}       bad[] = {
	{"permit sender not owned-by identity in <logins>",
	"an ownership condition refuses"},
	{"reject not sender not owned-by identity in <logins>",
	"cannot be negated"},
	{"reject sender not owned-by helo in <logins>",
	"expected identity or auth after 'owned-by'"},
	{"reject sender not owned-by identity in <pop>",
	"owned-by needs a static table"},
	{"reject sender not owned-by identity in <l>",
	"and <l> is a list"},
	{"reject known sender owned-by identity in <logins>",
	"expected 'not owned-by'"},
	{"reject helo blocked", "only identity or auth can be blocked"},
	{"reject %{identity} \"554 5.7.1 %{whoami}\"", "unknown"},
};

/* test_bad_syntax - the new syntax's errors */
START_TEST(test_bad_syntax)
{
	struct strbuf errs = STRBUF_INIT;
	char    conf[1024];
	struct rules *r;

	snprintf(conf, sizeof(conf), "table logins \"/nonexistent/l.lmdb\"\n"
	    "table pop dynamic \"/nonexistent/p.lmdb\"\n"
	    "list l { a }\nrcpt {\n  %s\n}\n", bad[_i].rule);
	r = rules_load_string("bad.conf", conf, &errs);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(strbuf_str(&errs), bad[_i].err) != NULL,
	    "%s: %s", bad[_i].rule, strbuf_str(&errs));
	strbuf_free(&errs);
}
END_TEST

Suite  *
identrules_suite(void)
{
	Suite  *s = suite_create("identrules");
	TCase  *tc;

	tc = tcase_create("sessions");
	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_session, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_warn_stats);
	tcase_add_test(tc, test_rules_identity);
	suite_add_tcase(s, tc);
	tc = tcase_create("syntax");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_bad_syntax, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_warn_analysis);
	suite_add_tcase(s, tc);
	return (s);
}
