/*
 * NAME
 *	check_routed - routed recipients against every kind of condition
 * DESCRIPTION
 *	Spec section 3: a condition on rcpt or rcpt-domain of a routed
 *	recipient holds in a rule that refuses when any reading satisfies
 *	it, in a rule that permits only when every reading does; "not"
 *	flips which side is safe; what cannot be read is malformed and no
 *	permit can match it. Tested with every routed form (percent hack,
 *	quoted local part, source route, bang path, mixed) against lists,
 *	inline sets, tables, mailbox items, "check" and "not", in both
 *	polarities. "readings" checks the list of readings itself.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rcpt.h"
#include "common/strbuf.h"
#include "rules/rules.h"
#include "tests/check_facts.h"
#include "rules/rules_int.h"
#include "store/store.h"
#include "tests/check_timeout.h"

/* --- the readings of an address --- */

static const struct {
	const char *arg;
	const char *want;		/* readings, " | " between them */
	int     uncertain;
} rcases[] = {
	{"<ceo@example.com>", "ceo@example.com", 0},
	{"<postmaster>", "postmaster", 0},
	{"<ceo%example.com@example.com>",
	"ceo%example.com@example.com | ceo@example.com", 0},
	{"<\"ceo@example.com\"@example.com>",
	"ceo@example.com@example.com | ceo@example.com", 0},
	{"<@example.com:ceo@example.com>", "ceo@example.com | @example.com:", 0},
	{"<@a.example,@b.example:u@c.example>",
	"u@c.example | @a.example: | @b.example:", 0},
	{"<example.com!ceo@example.com>",
	"example.com!ceo@example.com | ceo@example.com", 0},
	{"<a.example!b.example!u@c.example>",
	"a.example!b.example!u@c.example | b.example!u@a.example | u@b.example",
	0},
	{"<a%b.example%c.example@d.example>",
	"a%b.example%c.example@d.example | a%b.example@c.example | "
	"a@b.example", 0},
	{"<user%other.example>", "user%other.example | user@other.example", 0},
	/* mixed: '%' first and '!' first are both kept */
	{"<a.example!u%b.example@c.example>",
	"a.example!u%b.example@c.example | a.example!u@b.example | "
	"u@a.example | u%b.example@a.example | u@b.example", 0},
	{"<@h.example:a.example!u%b.example@c.example>",
	"a.example!u%b.example@c.example | a.example!u@b.example | "
	"u@a.example | u%b.example@a.example | u@b.example | @h.example:", 0},
	{"<CEO%Example.COM.@example.com>",
	"ceo%example.com.@example.com | ceo@example.com", 0},
	{"<u%[192.0.2.1]@example.com>",
	"u%[192.0.2.1]@example.com | u@[192.0.2.1]", 0},
	/* what cannot be read */
	{"<user%@example.com>", "user%@example.com", 1},
	{"<!user@example.com>", "!user@example.com", 1},
	{"<%example.com@example.com>", "%example.com@example.com", 1},
	{"<\"ceo@example.com@example.com>", "", 1},
	{"<@example.com>", "", 1},
	{"<a%b%c%d%e%f%g%h%i%j%k%l%m%n%o%p%q%r%s%t@example.com>", NULL, 1},
};

START_TEST(test_readings)
{
	struct rcpt m;
	struct readings rd;
	struct strbuf sb = STRBUF_INIT;
	size_t  i;

	rcpt_parse(rcases[_i].arg, &m);
	readings_build(rcases[_i].arg, &m, &rd);
	for (i = 0; i < rd.n; i++) {
		if (i)
			strbuf_puts(&sb, " | ");
		if (rd.r[i].hop)
			strbuf_printf(&sb, "@%s:", rd.r[i].domain);
		else if (rd.r[i].domain)
			strbuf_printf(&sb, "%s@%s", rd.r[i].local, rd.r[i].domain);
		else
			strbuf_puts(&sb, rd.r[i].local);
	}
	if (rcases[_i].want != NULL)
		ck_assert_msg(strcmp(strbuf_str(&sb), rcases[_i].want) == 0,
		    "%s: readings '%s', want '%s'", rcases[_i].arg,
		    strbuf_str(&sb), rcases[_i].want);
	ck_assert_msg(rd.uncertain == rcases[_i].uncertain,
	    "%s: uncertain %d", rcases[_i].arg, rd.uncertain);
	ck_assert_msg(rd.n <= READINGS_MAX, "%s: %zu readings",
	    rcases[_i].arg, rd.n);
	readings_free(&rd);
	rcpt_free(&m);
	strbuf_free(&sb);
}
END_TEST

/* --- decisions --- */

enum {
	C_LIST, C_DOMAIN, C_NOT, C_TABCOND, C_CHECK, C_CHECKDOM, C_REGEX,
	C_NCONFS,
};

static const struct {
	const char *name;
	const char *text;
} confs[C_NCONFS] = {
	/* The issue's first example, and a mailbox item by local part. */
	[C_LIST] = {"list.conf",
		"recipient-delimiter \"+\"\n"				/* 1 */
		"list local { example.com .example.com example.net }\n"	/* 2 */
		"rcpt {\n"						/* 3 */
		"    reject rcpt in { ceo@example.com postmaster@ }\n"	/* 4 */
		"    permit rcpt-domain in <local>\n"			/* 5 */
		"    reject\n"						/* 6 */
		"}\n"},
	/* The issue's second example: an authenticated client. */
	[C_DOMAIN] = {"domain.conf",
		"recipient-delimiter \"+\"\n"				/* 1 */
		"rcpt {\n"						/* 2 */
		"    reject rcpt-domain in { blocked.example .bad.example }\n"	/* 3 */
		"    permit auth\n"					/* 4 */
		"    reject\n"						/* 5 */
		"}\n"},
	[C_NOT] = {"not.conf",
		"recipient-delimiter \"+\"\n"				/* 1 */
		"list local { example.com }\n"				/* 2 */
		"rcpt {\n"						/* 3 */
		"    reject not rcpt-domain in <local>\n"		/* 4 */
		"    permit not rcpt in { spam@example.com }\n"	/* 5 */
		"    reject\n"						/* 6 */
		"}\n"},
	[C_TABCOND] = {"tabcond.conf",
		"recipient-delimiter \"+\"\n"				/* 1 */
		"table deny \"@DIR@/deny.lmdb\"\n"			/* 2 */
		"table local \"@DIR@/local.lmdb\"\n"			/* 3 */
		"rcpt {\n"						/* 4 */
		"    reject rcpt in <deny>\n"				/* 5 */
		"    permit rcpt-domain in <local>\n"			/* 6 */
		"    reject\n"						/* 7 */
		"}\n"},
	[C_CHECK] = {"check.conf",
		"recipient-delimiter \"+\"\n"				/* 1 */
		"table access \"@DIR@/access.lmdb\"\n"			/* 2 */
		"rcpt {\n"						/* 3 */
		"    check rcpt <access>\n"				/* 4 */
		"    permit auth\n"					/* 5 */
		"    reject\n"						/* 6 */
		"}\n"},
	[C_CHECKDOM] = {"checkdom.conf",
		"recipient-delimiter \"+\"\n"				/* 1 */
		"table access \"@DIR@/access.lmdb\"\n"			/* 2 */
		"rcpt {\n"						/* 3 */
		"    check rcpt-domain <access>\n"			/* 4 */
		"    permit auth\n"					/* 5 */
		"    reject\n"						/* 6 */
		"}\n"},
	[C_REGEX] = {"regex.conf",
		"recipient-delimiter \"+\"\n"				/* 1 */
		"rcpt {\n"						/* 2 */
		"    discard rcpt in { /^trap@/ }\n"			/* 3 */
		"    permit rcpt in { /@example\\.com$/ }\n"		/* 4 */
		"    tempfail\n"					/* 5 */
		"}\n"},
};

static const struct {
	const char *file;
	const char *text;
} tables[] = {
	{"deny.lmdb",
		"ceo@example.com REJECT\n"
		"blocked.example REJECT\n"},
	{"local.lmdb",
		"example.com OK\n"},
	{"access.lmdb",
		"ceo@example.com REJECT ceo is closed\n"
		"blocked.example REJECT blocked domain\n"
		"slow.example DEFER slow domain\n"
		"example.com OK\n"
		"spam.example DISCARD\n"},
};

struct dcase {
	int     conf;
	const char *rcpt;
	const char *auth;
	const char *sender;
	const char *want;		/* permit reject tempfail discard */
	int     line;			/* deciding rule; 0 none */
	const char *text;		/* reply text, or NULL */
};

/* Every routed form of ceo@example.com, and of a blocked domain. */
#define CEO_FORMS(conf, auth, want, line, text) \
	{conf, "<ceo@example.com>", auth, NULL, want, line, text}, \
	{conf, "<ceo%example.com@example.com>", auth, NULL, want, line, text}, \
	{conf, "<ceo%example.com@mx.example.com>", auth, NULL, want, line, text}, \
	{conf, "<\"ceo@example.com\"@example.com>", auth, NULL, want, line, text}, \
	{conf, "<\"ceo%example.com\"@example.com>", auth, NULL, want, line, text}, \
	{conf, "<@example.com:ceo@example.com>", auth, NULL, want, line, text}, \
	{conf, "<@example.net,@example.com:ceo@example.com>", auth, NULL, want, \
	line, text}, \
	{conf, "<example.com!ceo@example.com>", auth, NULL, want, line, text}, \
	{conf, "<example.com!ceo>", auth, NULL, want, line, text}, \
	{conf, "<ceo+tag%example.com@example.com>", auth, NULL, want, line, text}, \
	{conf, "<CEO%Example.COM@example.com>", auth, NULL, want, line, text}, \
	{conf, "<example.net!ceo%example.com@example.com>", auth, NULL, want, \
	line, text}, \
	{conf, "<@example.net:example.com!ceo%x.example@example.com>", auth, \
	NULL, want, line, text}
#define BLOCKED_FORMS(conf, auth, want, line, text) \
	{conf, "<user@blocked.example>", auth, NULL, want, line, text}, \
	{conf, "<user%blocked.example@example.com>", auth, NULL, want, line, \
	text}, \
	{conf, "<user%example.com@blocked.example>", auth, NULL, want, line, \
	text}, \
	{conf, "<\"user@blocked.example\"@example.com>", auth, NULL, want, line, \
	text}, \
	{conf, "<@blocked.example:user@example.com>", auth, NULL, want, line, \
	text}, \
	{conf, "<@example.com,@blocked.example:user@example.com>", auth, NULL, \
	want, line, text}, \
	{conf, "<blocked.example!user@example.com>", auth, NULL, want, line, \
	text}, \
	{conf, "<example.com!blocked.example!user@example.com>", auth, NULL, \
	want, line, text}, \
	{conf, "<blocked.example!user%example.com@example.com>", auth, NULL, \
	want, line, text}, \
	{conf, "<user%blocked.example%example.com@example.com>", auth, NULL, \
	want, line, text}

static const struct dcase dcases[] = {
	/* A refusing list: any reading is ceo@example.com. */
	CEO_FORMS(C_LIST, NULL, "reject", 4, NULL),
	{C_LIST, "<postmaster%example.com@example.com>", NULL, NULL, "reject", 4,
	NULL},
	{C_LIST, "<@example.com:postmaster@example.net>", NULL, NULL, "reject", 4,
	NULL},
	/* A permitting list: every reading must be local. */
	{C_LIST, "<bob@example.com>", NULL, NULL, "permit", 5, NULL},
	{C_LIST, "<bob%example.net@example.com>", NULL, NULL, "permit", 5, NULL},
	{C_LIST, "<\"bob@mx.example.com\"@example.com>", NULL, NULL, "permit", 5,
	NULL},
	{C_LIST, "<bob%evil.example@example.com>", NULL, NULL, "reject", 6, NULL},
	{C_LIST, "<bob%example.com@evil.example>", NULL, NULL, "reject", 6, NULL},
	{C_LIST, "<\"bob@evil.example\"@example.com>", NULL, NULL, "reject", 6,
	NULL},
	{C_LIST, "<@evil.example:bob@example.com>", NULL, NULL, "reject", 6, NULL},
	{C_LIST, "<@example.com:bob@evil.example>", NULL, NULL, "reject", 6, NULL},
	{C_LIST, "<evil.example!bob@example.com>", NULL, NULL, "reject", 6, NULL},
	{C_LIST, "<example.com!evil.example!bob@example.com>", NULL, NULL,
	"reject", 6, NULL},
	{C_LIST, "<evil.example!bob%example.com@example.com>", NULL, NULL,
	"reject", 6, NULL},
	{C_LIST, "<bob%example.com>", NULL, NULL, "reject", 6, NULL},
	/* Malformed or unreadable: every refusal holds, no permit. */
	{C_LIST, "<\"bob@example.com@example.com>", NULL, NULL, "reject", 4, NULL},
	{C_LIST, "<bob%@example.com>", NULL, NULL, "reject", 4, NULL},

	/* A refusing domain list with an authenticated client. */
	BLOCKED_FORMS(C_DOMAIN, "u", "reject", 3, NULL),
	{C_DOMAIN, "<user%x.bad.example@example.com>", "u", NULL, "reject", 3,
	NULL},
	{C_DOMAIN, "<user%other.example@example.com>", "u", NULL, "permit", 4,
	NULL},
	{C_DOMAIN, "<user@other.example>", "u", NULL, "permit", 4, NULL},
	{C_DOMAIN, "<user%@example.com>", "u", NULL, "reject", 3, NULL},

	/* not: a refusal with "not" holds unless every reading is sure. */
	{C_NOT, "<bob@example.com>", NULL, NULL, "permit", 5, NULL},
	{C_NOT, "<bob%example.com@example.com>", NULL, NULL, "permit", 5, NULL},
	{C_NOT, "<bob@evil.example>", NULL, NULL, "reject", 4, NULL},
	{C_NOT, "<bob%evil.example@example.com>", NULL, NULL, "reject", 4, NULL},
	{C_NOT, "<\"bob@evil.example\"@example.com>", NULL, NULL, "reject", 4,
	NULL},
	{C_NOT, "<@evil.example:bob@example.com>", NULL, NULL, "reject", 4, NULL},
	{C_NOT, "<evil.example!bob@example.com>", NULL, NULL, "reject", 4, NULL},
	{C_NOT, "<\"bob@example.com>", NULL, NULL, "reject", 4, NULL},
	{C_NOT, "<bob%@example.com>", NULL, NULL, "reject", 4, NULL},
	/* ... and a permit with "not" holds only when no reading matches. */
	{C_NOT, "<spam@example.com>", NULL, NULL, "reject", 6, NULL},
	{C_NOT, "<spam%example.com@example.com>", NULL, NULL, "reject", 6, NULL},
	{C_NOT, "<\"spam@example.com\"@example.com>", NULL, NULL, "reject", 6,
	NULL},
	{C_NOT, "<@example.com:spam@example.com>", NULL, NULL, "reject", 6, NULL},
	{C_NOT, "<example.com!spam@example.com>", NULL, NULL, "reject", 6, NULL},
	{C_NOT, "<spam+x%example.com@example.com>", NULL, NULL, "reject", 6, NULL},

	/* Membership in tables, both polarities. */
	CEO_FORMS(C_TABCOND, NULL, "reject", 5, NULL),
	BLOCKED_FORMS(C_TABCOND, NULL, "reject", 5, NULL),
	{C_TABCOND, "<bob%example.com@example.com>", NULL, NULL, "permit", 6,
	NULL},
	{C_TABCOND, "<bob%evil.example@example.com>", NULL, NULL, "reject", 7,
	NULL},
	{C_TABCOND, "<@evil.example:bob@example.com>", NULL, NULL, "reject", 7,
	NULL},
	{C_TABCOND, "<evil.example!bob@example.com>", NULL, NULL, "reject", 7,
	NULL},

	/* check rcpt: a refusing entry of any reading decides. */
	CEO_FORMS(C_CHECK, "u", "reject", 4, "ceo is closed"),
	BLOCKED_FORMS(C_CHECK, "u", "reject", 4, "blocked domain"),
	{C_CHECK, "<bob@example.com>", NULL, NULL, "permit", 4, NULL},
	{C_CHECK, "<bob%example.com@example.com>", "u", NULL, "permit", 5, NULL},
	{C_CHECK, "<bob%example.com@example.com>", NULL, NULL, "reject", 6, NULL},
	{C_CHECK, "<user%slow.example@example.com>", "u", NULL, "tempfail", 4,
	"slow domain"},
	/* check rcpt-domain: the same mechanism. */
	BLOCKED_FORMS(C_CHECKDOM, "u", "reject", 4, "blocked domain"),
	{C_CHECKDOM, "<user%slow.example@example.com>", "u", NULL, "tempfail", 4,
	"slow domain"},
	{C_CHECKDOM, "<slow.example!user@example.com>", "u", NULL, "tempfail", 4,
	"slow domain"},
	{C_CHECKDOM, "<bob@example.com>", NULL, NULL, "permit", 4, NULL},
	{C_CHECKDOM, "<bob%example.com@example.com>", NULL, NULL, "reject", 6,
	NULL},
	{C_CHECKDOM, "<bob%example.com@example.com>", "u", NULL, "permit", 5,
	NULL},

	/* Regexes see every reading too. */
	{C_REGEX, "<trap%example.com@example.com>", NULL, NULL, "discard", 3,
	NULL},
	{C_REGEX, "<\"trap@x.example\"@example.com>", NULL, NULL, "discard", 3,
	NULL},
	{C_REGEX, "<bob@example.com>", NULL, NULL, "permit", 4, NULL},
	{C_REGEX, "<bob%evil.example@example.com>", NULL, NULL, "tempfail", 5,
	NULL},
};

static struct rules *loaded[C_NCONFS];
static char tmpdir[64];

/* conf_text - a configuration with @DIR@ replaced */
static char *
conf_text(const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	const char *at;

	while ((at = strstr(text, "@DIR@")) != NULL) {
		strbuf_append(&sb, text, (size_t) (at - text));
		strbuf_puts(&sb, tmpdir);
		text = at + 5;
	}
	strbuf_puts(&sb, text);
	return (strbuf_detach(&sb));
}

/* setup - the tables and configurations */
static void
setup(void)
{
	struct strbuf errs = STRBUF_INIT;
	char    path[128], err[256], *text;
	size_t  i;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_routed.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		text = strdup(tables[i].text);
		snprintf(path, sizeof(path), "%s/%s", tmpdir, tables[i].file);
		ck_assert_msg(store_compile(tables[i].file, text, strlen(text),
		    path, NULL, NULL, err, sizeof(err)) == 0, "compile %s: %s",
		    tables[i].file, err);
		free(text);
	}
	for (i = 0; i < C_NCONFS; i++) {
		text = conf_text(confs[i].text);
		loaded[i] = rules_load_string(confs[i].name, text, &errs);
		ck_assert_msg(loaded[i] != NULL, "%s: %s", confs[i].name,
		    strbuf_str(&errs));
		free(text);
	}
	strbuf_free(&errs);
}

/* teardown - free the rules, remove the directory */
static void
teardown(void)
{
	char    cmd[128];
	size_t  i;

	for (i = 0; i < C_NCONFS; i++) {
		rules_unref(loaded[i]);
		loaded[i] = NULL;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* trace_has - does some step's detail contain the text? */
static int
trace_has(const struct rules_trace *t, const char *text)
{
	struct rules_trace_step st;
	size_t  i;

	for (i = 0; i < rules_trace_count(t); i++)
		if (rules_trace_step(t, i, &st) == 0 && strstr(st.detail, text))
			return (1);
	return (0);
}

START_TEST(test_decision)
{
	const struct dcase *c = &dcases[_i];
	const char *name = confs[c->conf].name;
	struct rules_session *s = rules_session_new(loaded[c->conf], 0);
	struct rules_trace *t = rules_trace_new();
	struct rt_facts f;
	struct rules_result res;
	char    where[64];
	int     st;

	memset(&f, 0, sizeof(f));
	f.helo = "client.example";
	f.sender = c->sender ? c->sender : "<s@sender.example>";
	f.auth = c->auth;
	f.rcpt = c->rcpt;
	for (st = 0; st <= RULES_RCPT; st++)
		ck_assert_int_eq(rt_eval(s, (enum rules_stage) st, &f, &res,
		    st == RULES_RCPT ? t : NULL), 0);
	ck_assert_msg(strcmp(res.verdict == RULES_CONTINUE ? "permit" :
	    rules_verdict_name(res.verdict), c->want) == 0,
	    "%s %s%s: verdict %s, want %s (rule %s)", name, c->rcpt,
	    c->auth ? " (auth)" : "", rules_verdict_name(res.verdict),
	    c->want, res.rule);
	if (c->line)
		snprintf(where, sizeof(where), "%s:%d", name, c->line);
	else
		where[0] = '\0';
	ck_assert_msg(strcmp(res.rule, where) == 0, "%s %s: rule %s, want %s",
	    name, c->rcpt, res.rule, where);
	if (c->text)
		ck_assert_msg(strcmp(res.text, c->text) == 0,
		    "%s %s: text '%s', want '%s'", name, c->rcpt, res.text,
		    c->text);
	ck_assert_msg(!res.lookup_error, "%s %s: lookup error %s", name,
	    c->rcpt, res.error);
	rules_trace_free(t);
	rules_session_free(s);
}
END_TEST

/* The trace says why: explain shows the readings. */
START_TEST(test_trace)
{
	struct rules_session *s = rules_session_new(loaded[C_LIST], 0);
	struct rules_trace *t = rules_trace_new();
	struct rt_facts f;
	struct rules_result res;
	int     st;

	memset(&f, 0, sizeof(f));
	f.sender = "<s@sender.example>";
	f.rcpt = "<ceo%example.com@example.com>";
	for (st = 0; st <= RULES_RCPT; st++)
		rt_eval(s, (enum rules_stage) st, &f, &res, t);
	ck_assert_int_eq(res.verdict, RULES_REJECT);
	ck_assert_msg(trace_has(t, "rcpt is routed: in a rule that refuses "
	    "they must hold for some reading; readings: "
	    "ceo%example.com@example.com, ceo@example.com"), "no readings in "
	    "the trace of a refusal");
	rules_trace_free(t);
	rules_session_free(s);

	s = rules_session_new(loaded[C_LIST], 0);
	t = rules_trace_new();
	f.rcpt = "<bob%evil.example@example.com>";
	for (st = 0; st <= RULES_RCPT; st++)
		rt_eval(s, (enum rules_stage) st, &f, &res, t);
	ck_assert_int_eq(res.verdict, RULES_REJECT);
	ck_assert_msg(trace_has(t, "in a rule that permits it must hold for "
	    "every reading"), "no readings in the trace of a permit");
	rules_trace_free(t);
	rules_session_free(s);
}
END_TEST

Suite  *routed_suite(void);

Suite *
routed_suite(void)
{
	Suite  *s = suite_create("routed");
	TCase  *tc;

	tc = tcase_create("readings");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_readings, 0,
	    (int) (sizeof(rcases) / sizeof(rcases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("decision");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_decision, 0,
	    (int) (sizeof(dcases) / sizeof(dcases[0])));
	tcase_add_test(tc, test_trace);
	suite_add_tcase(s, tc);
	return (s);
}
