/*
 * NAME
 *	check_analysis - tests of the relay analysis (rules/analysis.c)
 * SYNOPSIS
 *	Suite *analysis_suite(void)
 * DESCRIPTION
 *	open: configurations a stranger relays through, each with the
 *	rule that opens it; the witness is replayed through the engine
 *	(rules_eval(), stage by stage as explain does) and, when RG_BUILD
 *	is set, the printed command line is run: it must permit.
 *	weak: permits that rest on forgeable facts, and the same rules
 *	marked weak-ok. safe: configurations that must not be flagged.
 *	warn: the other findings with their file:line.
 *	differential: random rule sets (fixed seed); when the analysis
 *	says safe, random stranger sessions through the real engine never
 *	get a foreign recipient permitted; when it says open, its witness
 *	does.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "rules/rules.h"
#include "tests/check_facts.h"

Suite  *analysis_suite(void);

/* load - a configuration from text; fails the test on errors */
static struct rules *
load(const char *text)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("t.conf", text, &errs);

	ck_assert_msg(r != NULL, "load: %s\n%s", strbuf_str(&errs), text);
	strbuf_free(&errs);
	return (r);
}

/* permitted - run a session through the engine as explain does */
static int
permitted(struct rules *r, struct rt_facts *f, int no_helo)
{
	struct rules_session *s = rules_session_new(r, 0);
	struct rules_result res;
	int     st, ok = 0;
	const char *rcpt = f->rcpt, *mailer = f->rcpt_mailer;

	f->rcpt = f->rcpt_mailer = NULL;
	for (st = RULES_CONNECT; st < RULES_RCPT; st++) {
		if (st == RULES_HELO && no_helo)
			continue;
		rt_eval(s, (enum rules_stage) st, f, &res, NULL);
		if (res.verdict == RULES_REJECT || res.verdict == RULES_TEMPFAIL ||
		    res.verdict == RULES_DISCARD)
			goto out;
	}
	f->rcpt = rcpt;
	f->rcpt_mailer = mailer;
	rt_eval(s, RULES_RCPT, f, &res, NULL);
	ok = res.verdict == RULES_CONTINUE || res.verdict == RULES_ACCEPT;
out:
	f->rcpt = rcpt;
	f->rcpt_mailer = mailer;
	rules_session_free(s);
	return (ok);
}

/* replay - the witness of a finding through the engine */
static int
replay(struct rules *r, const struct rules_finding *fd)
{
	struct rt_facts f;
	struct addr a;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(addr_parse(fd->witness[RULES_WITNESS_CLIENT], &a), 0);
	f.client = &a;
	f.client_name = fd->witness[RULES_WITNESS_CLIENT_NAME];
	f.daemon = fd->witness[RULES_WITNESS_DAEMON];
	f.tls_version = fd->tls ? "TLSv1.3" : NULL;
	f.helo = fd->witness[RULES_WITNESS_HELO];
	f.sender = fd->witness[RULES_WITNESS_SENDER];
	f.rcpt = fd->witness[RULES_WITNESS_RCPT];
	f.rcpt_mailer = fd->witness[RULES_WITNESS_RCPT_MAILER];
	return (permitted(r, &f, fd->no_helo));
}

/* first_open - the first open or weak finding; -1 when none */
static int
first_of(const struct rules_analysis *a, enum rules_finding_kind k,
	struct rules_finding *out)
{
	size_t  i;

	for (i = 0; rules_analysis_finding(a, i, out) == 0; i++)
		if (out->kind == k)
			return ((int) i);
	return (-1);
}

/* dump - every finding, for failure messages */
static const char *
dump(const struct rules_analysis *a, struct rules *r, struct strbuf *sb)
{
	rules_analysis_format(a, r, sb);
	return (strbuf_str(sb));
}

/*
 * explain_run - write the text to a file, analyse it from there and run
 * the printed witness command: 1 when explain permits.
 */
static void
explain_run(const char *label, const char *text, enum rules_finding_kind k)
{
	const char *build = getenv("RG_BUILD");
	struct strbuf errs = STRBUF_INIT, cmd = STRBUF_INIT;
	struct rules_analysis *a;
	struct rules_finding fd;
	struct rules *r;
	char    dir[] = "/tmp/check_analysis.XXXXXX", path[200];
	FILE   *fp;
	int     rc;

	if (build == NULL)
		return;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	ck_assert_ptr_nonnull(r = rules_load(path, &errs));
	a = rules_analyse(r);
	ck_assert_int_ge(first_of(a, k, &fd), 0);
	strbuf_printf(&cmd, "%s/%s > %s/out 2>&1; st=$?; sed -n '/^decision/,$p' "
	    "%s/out | grep -Eq ': (permit|accept)' && [ $st = 0 ]", build,
	    fd.explain, dir, dir);
	rc = system(strbuf_str(&cmd));
	ck_assert_msg(rc == 0, "%s: explain did not permit: %s", label,
	    strbuf_str(&cmd));
	strbuf_reset(&cmd);
	strbuf_printf(&cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(strbuf_str(&cmd)), 0);
	strbuf_free(&cmd);
	strbuf_free(&errs);
	rules_analysis_free(a);
	rules_unref(r);
}

/* An open configuration and the rule that opens it ("" : none). */
struct open_case {
	const char *label;
	const char *conf;
	const char *where;
};

static const struct open_case open_cases[] = {
	{"empty file", "", "t.conf"},
	{"inbound only", "rcpt { permit rcpt-domain in { example.com } }\n",
	"t.conf"},
	{"bare permit", "rcpt {\n permit\n}\n", "t.conf:2"},
	{"accept at connect", "connect {\n accept\n}\nrcpt {\n reject\n}\n",
	"t.conf:2"},
	{"accept not trusted", "connect {\n accept not client in "
	"{ 192.0.2.0/24 }\n}\nrcpt {\n reject\n}\n", "t.conf:2"},
	{"accept at helo", "helo {\n accept\n}\nrcpt {\n reject\n}\n", "t.conf:2"},
	{"accept at mail", "mail {\n accept not auth\n}\nrcpt {\n reject\n}\n",
	"t.conf:2"},
	{"permit not auth", "rcpt {\n permit not auth\n reject\n}\n", "t.conf:2"},
	{"permit smtp mailer", "rcpt {\n permit rcpt-mailer in { smtp }\n"
	" reject\n}\n", "t.conf:2"},
	{"permit not local", "rcpt {\n permit not rcpt-domain in "
	"{ example.com }\n reject\n}\n", "t.conf:2"},
	{"whole IPv4 trusted", "rcpt {\n permit client in { 0.0.0.0/0 }\n"
	" reject\n}\n", "t.conf:2"},
	{"whole IPv6 trusted", "rcpt {\n permit client in { ::/0 }\n"
	" reject\n}\n", "t.conf:2"},
	{"two halves of IPv4", "rcpt {\n permit client in { 0.0.0.0/1 "
	"128.0.0.0/1 }\n reject\n}\n", "t.conf:2"},
	{"permit tls", "rcpt {\n permit tls\n reject\n}\n", "t.conf:2"},
	{"permit not verified", "rcpt {\n permit not tls-verified\n reject\n}\n",
	"t.conf:2"},
	{"submission listener", "rcpt {\n permit daemon = ORIGINATING\n"
	" reject\n}\n", "t.conf:2"},
	{"postmaster anywhere", "rcpt {\n permit rcpt in { postmaster@ }\n"
	" reject\n}\n", "t.conf:2"},
	{"relay mailer forgotten", "rcpt {\n reject rcpt-mailer in "
	"{ smtp esmtp }\n}\n", "t.conf"},
	{"routed permitted", "rcpt {\n reject not routed\n permit\n}\n",
	"t.conf:3"},
	{"permit qualified", "rcpt {\n permit not unqualified\n reject\n}\n",
	"t.conf:2"},
	{"trusted then accept", "connect {\n permit client in { 192.0.2.0/24 }\n"
	" accept\n}\nrcpt {\n reject\n}\n", "t.conf:3"},
	{"outsiders skip accept", "connect {\n permit not client in "
	"{ 192.0.2.0/24 }\n accept\n}\nrcpt {\n reject\n}\n", "t.conf:3"},
	{"only a blocklist", "rcpt {\n reject client in { 10.0.0.0/8 }\n"
	" permit\n}\n", "t.conf:3"},
	{"no client name", "rcpt {\n permit not client-name in "
	"{ .example.com }\n reject\n}\n", "t.conf:2"},
	{"helo refusal only", "helo {\n reject helo = bad.example\n}\n"
	"rcpt {\n permit\n}\n", "t.conf:5"},
	{"sender refusal only", "mail {\n reject sender-domain in "
	"{ example.com }\n}\nrcpt { permit }\n", "t.conf:4"},
	{"no delay, blocklist", "delay-reject no\nconnect {\n reject client in "
	"{ 192.0.2.0/24 }\n}\nrcpt {\n permit\n}\n", "t.conf:6"},
	{"tempfail without tls", "rcpt {\n tempfail not tls\n permit\n}\n",
	"t.conf:3"},
	{"discard smtp only", "rcpt {\n discard rcpt-mailer = smtp\n permit\n}\n",
	"t.conf:3"},
	{"reject auth", "rcpt {\n reject auth\n}\n", "t.conf"},
	{"tls avoids reject", "rcpt {\n reject not tls and not auth\n permit\n}\n",
	"t.conf:3"},
	{"invalid tld listed", "rcpt {\n reject rcpt-domain in { .invalid "
	"invalid }\n permit\n}\n", "t.conf:3"},
	{"accept any sender", "mail {\n accept not sender = <>\n}\n"
	"rcpt {\n reject\n}\n", "t.conf:2"},
	{"permit routed", "rcpt {\n permit routed\n reject\n}\n", "t.conf:2"},
	{"mailer regex", "rcpt {\n permit rcpt-mailer in { /^e?smtp$/ }\n"
	" reject\n}\n", "t.conf:2"},
	{"null sender refused", "rcpt {\n reject sender = <>\n permit\n}\n",
	"t.conf:3"},
	{"not our sender", "rcpt {\n permit not sender-domain in "
	"{ example.com }\n reject\n}\n", "t.conf:2"},
	{"helo required but skipped", "helo {\n reject not helo in "
	"{ .example.com }\n}\nrcpt {\n permit\n}\n", "t.conf:5"},
	{"foreign name listed", "rcpt {\n reject rcpt-domain in "
	"{ foreign.invalid }\n permit\n}\n", "t.conf:3"},
	{"loopback rule order", "rcpt {\n permit client in { 127.0.0.0/8 } and "
	"rcpt-mailer = lmtp\n permit not client in { 127.0.0.0/8 }\n"
	" reject\n}\n", "t.conf:3"},
	{"accept listener", "connect {\n accept daemon in { ORIGINATING }\n}\n"
	"rcpt {\n reject\n}\n", "t.conf:2"},
	{"esmtp gap", "rcpt {\n reject rcpt-mailer = smtp\n reject "
	"rcpt-mailer = relay\n}\n", "t.conf"},
	{"mail permit then rcpt", "mail {\n permit\n}\nrcpt {\n permit "
	"rcpt-mailer in { relay }\n reject\n}\n", "t.conf:5"},
	{"ipv6 stranger", "rcpt {\n reject client in { 0.0.0.0/0 }\n permit\n}\n",
	"t.conf:3"},
};

START_TEST(test_open)
{
	const struct open_case *tc = &open_cases[_i];
	struct rules *r = load(tc->conf);
	struct rules_analysis *a = rules_analyse(r);
	struct rules_finding fd;
	struct strbuf sb = STRBUF_INIT;

	ck_assert_msg(rules_analysis_open(a) > 0, "%s: not flagged", tc->label);
	ck_assert_msg(first_of(a, RULES_FINDING_OPEN, &fd) >= 0,
	    "%s: no open finding:\n%s", tc->label, dump(a, r, &sb));
	ck_assert_msg(strcmp(fd.where, tc->where) == 0, "%s: rule %s, want %s\n%s",
	    tc->label, fd.where, tc->where, dump(a, r, &sb));
	ck_assert_msg(fd.has_witness && fd.explain != NULL, "%s", tc->label);
	ck_assert_msg(replay(r, &fd), "%s: the witness is refused: %s",
	    tc->label, fd.explain);
	strbuf_free(&sb);
	rules_analysis_free(a);
	rules_unref(r);
	explain_run(tc->label, tc->conf, RULES_FINDING_OPEN);
}
END_TEST

/* Weak permits: open until marked weak-ok. */
struct weak_case {
	const char *label;
	const char *conf;
	const char *marked;		/* the same with weak-ok */
	const char *where;
};

static const struct weak_case weak_cases[] = {
	{"sender domain", "rcpt {\n permit sender-domain in { example.com }\n"
	" reject\n}\n", "rcpt {\n permit sender-domain in { example.com } "
	"weak-ok\n reject\n}\n", "t.conf:2"},
	{"helo name", "rcpt {\n permit helo = mx.example.com\n reject\n}\n",
	"rcpt {\n permit helo = mx.example.com weak-ok\n reject\n}\n",
	"t.conf:2"},
	{"accept by sender", "mail {\n accept sender = boss@example.com\n}\n"
	"rcpt {\n reject\n}\n", "mail {\n accept sender = boss@example.com "
	"weak-ok\n}\nrcpt {\n reject\n}\n", "t.conf:2"},
	{"refuse foreign senders", "rcpt {\n reject not sender-domain in "
	"{ example.com }\n permit\n}\n", "rcpt {\n reject not sender-domain in "
	"{ example.com }\n permit weak-ok\n}\n", "t.conf:3"},
	{"helo and tls", "helo {\n accept helo = x.example and tls\n}\n"
	"rcpt {\n reject\n}\n", "helo {\n accept helo = x.example and tls "
	"weak-ok\n}\nrcpt {\n reject\n}\n", "t.conf:2"},
	{"any user postmaster", "rcpt {\n permit sender in { postmaster@ }\n"
	" reject\n}\n", "rcpt {\n permit sender in { postmaster@ } weak-ok\n"
	" reject\n}\n", "t.conf:2"},
	{"null sender", "rcpt {\n permit sender = <>\n reject\n}\n",
	"rcpt {\n permit sender = <> weak-ok\n reject\n}\n", "t.conf:2"},
	{"helo subdomain", "rcpt {\n permit helo in { .example.com } and "
	"not auth\n reject\n}\n", "rcpt {\n permit helo in { .example.com } "
	"and not auth weak-ok\n reject\n}\n", "t.conf:2"},
};

START_TEST(test_weak)
{
	const struct weak_case *tc = &weak_cases[_i];
	struct rules *r = load(tc->conf);
	struct rules_analysis *a = rules_analyse(r);
	struct rules_finding fd;
	struct strbuf sb = STRBUF_INIT;

	ck_assert_msg(first_of(a, RULES_FINDING_OPEN, &fd) < 0,
	    "%s: strong open:\n%s", tc->label, dump(a, r, &sb));
	ck_assert_msg(first_of(a, RULES_FINDING_WEAK, &fd) >= 0,
	    "%s: no weak finding:\n%s", tc->label, dump(a, r, &sb));
	ck_assert_int_gt(rules_analysis_open(a), 0);
	ck_assert_str_eq(fd.where, tc->where);
	ck_assert_msg(replay(r, &fd), "%s: the witness is refused: %s",
	    tc->label, fd.explain);
	rules_analysis_free(a);
	rules_unref(r);
	explain_run(tc->label, tc->conf, RULES_FINDING_WEAK);

	r = load(tc->marked);
	a = rules_analyse(r);
	strbuf_reset(&sb);
	ck_assert_msg(rules_analysis_open(a) == 0, "%s: weak-ok still open:\n%s",
	    tc->label, dump(a, r, &sb));
	ck_assert_msg(first_of(a, RULES_FINDING_WEAK_OK, &fd) >= 0,
	    "%s: weak-ok not reported", tc->label);
	ck_assert_str_eq(fd.where, tc->where);
	strbuf_free(&sb);
	rules_analysis_free(a);
	rules_unref(r);
}
END_TEST

/* Safe configurations: no open or weak finding. */
static const char *const safe_cases[] = {
	NULL,			/* the embedded default */
	"rcpt {\n permit client in { 192.0.2.0/24 }\n reject\n}\n",
	"rcpt {\n permit auth\n reject\n}\n",
	"rcpt {\n permit tls-verified and cert-issuer = \"CN=CA\"\n reject\n}\n",
	"rcpt {\n permit rcpt-domain in { example.com .example.com }\n reject\n}\n",
	"rcpt {\n permit rcpt-mailer in { local virtual lmtp }\n reject\n}\n",
	"connect {\n accept client in { 127.0.0.0/8 ::1 }\n}\nrcpt {\n reject\n}\n",
	"rcpt {\n reject routed\n permit rcpt in { postmaster@example.com }\n"
	" reject\n}\n",
	"rcpt {\n discard\n}\n",
	"rcpt {\n tempfail\n}\n",
	"connect {\n reject\n}\n",
	"mail {\n tempfail not auth\n}\nrcpt {\n permit\n}\n",
	"mail {\n reject not auth\n}\nrcpt {\n permit\n}\n",
	"rcpt {\n reject not auth and not client in { 192.0.2.0/24 }\n permit\n}\n",
	"rcpt {\n permit auth and tls\n permit client in { 10.0.0.0/8 } and "
	"not tls-verified\n reject\n}\n",
	"table pop dynamic \"/nonexistent/pop.lmdb\"\nrcpt {\n permit client in "
	"<pop>\n reject\n}\n",
	"table ca \"/nonexistent/ca.lmdb\"\nrcpt {\n check client <ca>\n"
	" reject\n}\n",
	"table ca \"/nonexistent/ca.lmdb\"\nrcpt {\n check client-name <ca>\n"
	" reject\n}\n",
	"table dom \"/nonexistent/dom.lmdb\"\nrcpt {\n check rcpt-domain <dom>\n"
	" reject\n}\n",
	"table dom \"/nonexistent/dom.lmdb\"\nrcpt {\n permit rcpt-domain in "
	"<dom>\n reject\n}\n",
	"rcpt {\n permit auth\n permit tls-verified and cert-subject = \"CN=a\"\n"
	" permit client in { 192.0.2.0/24 2001:db8::/32 }\n reject\n}\n",
	"connect {\n accept client in { 192.0.2.0/24 }\n reject\n}\n",
	"delay-reject no\nconnect {\n accept client in { 192.0.2.0/24 }\n"
	" reject\n}\n",
	"mail {\n accept client in { 192.0.2.1 }\n reject\n}\nrcpt {\n permit\n}\n",
	"rcpt {\n reject not rcpt-domain in { example.com }\n permit\n}\n",
	"rcpt {\n permit rcpt-domain in { example.com } and not routed\n"
	" reject\n}\n",
	"rcpt {\n reject rcpt-mailer in { smtp esmtp relay }\n permit\n}\n",
	"rcpt {\n permit not rcpt-mailer in { smtp esmtp relay }\n reject\n}\n",
	"rcpt {\n permit sender-domain in { example.com } and auth\n reject\n}\n",
	"rcpt {\n permit helo = x.example and client in { 192.0.2.0/24 }\n"
	" reject\n}\n",
	"rcpt {\n permit sender-domain in { example.com } weak-ok\n reject\n}\n",
	"connect {\n reject client in { 0.0.0.0/0 ::/0 }\n}\n",
	"rcpt {\n permit client-name in { .example.com }\n reject\n}\n",
	"rcpt {\n permit client-name in { mail.example.com } and client in "
	"{ 192.0.2.0/24 }\n reject\n}\n",
	"mail {\n discard not auth\n}\nrcpt {\n permit\n}\n",
	"connect {\n permit client in { 192.0.2.0/24 }\n reject\n}\n"
	"rcpt {\n permit\n}\n",
	"rcpt {\n permit unqualified\n reject\n}\n",
	"rcpt {\n reject tls and not tls-verified\n reject not tls\n permit\n}\n",
	"rcpt {\n permit daemon = ORIGINATING and auth\n reject\n}\n",
	"rcpt {\n permit rcpt = postmaster@example.com\n reject\n}\n",
	"table sa \"/nonexistent/sa.lmdb\"\nrcpt {\n check sender <sa> weak-ok\n"
	" reject\n}\n",
	"rcpt {\n reject not client in { 192.0.2.0/24 }\n permit\n}\n",
	"connect {\n reject not client in { 192.0.2.0/24 }\n}\nrcpt {\n permit\n}\n",
	"rcpt {\n reject routed and not auth\n permit rcpt-domain in "
	"{ example.com }\n permit auth\n reject\n}\n",
	"helo {\n reject not client in { 192.0.2.0/24 }\n}\nmail {\n"
	" reject not client in { 192.0.2.0/24 }\n}\nrcpt {\n permit\n}\n",
	"rcpt {\n tempfail not auth and not client in { 198.51.100.0/24 }\n"
	" permit auth\n permit client in { 198.51.100.0/24 } and tls\n"
	" reject\n}\n",
};

START_TEST(test_safe)
{
	struct rules *r = _i == 0 ? load(rules_default_text()) :
	    load(safe_cases[_i]);
	struct rules_analysis *a = rules_analyse(r);
	struct strbuf sb = STRBUF_INIT;

	ck_assert_msg(rules_analysis_open(a) == 0, "safe case %d flagged:\n%s\n%s",
	    _i, safe_cases[_i] ? safe_cases[_i] : "(default)", dump(a, r, &sb));
	strbuf_free(&sb);
	rules_analysis_free(a);
	rules_unref(r);
}
END_TEST

/* Configurations of the tree that must pass (paths under RG_TOP). */
static const char *const tree_confs[] = {
	"tests/data/explain/example.conf",
	"tests/integration/conf/relayguard.conf.in",
};

START_TEST(test_tree)
{
	const char *top = getenv("RG_TOP");
	struct strbuf errs = STRBUF_INIT, sb = STRBUF_INIT;
	struct rules_analysis *a;
	struct rules *r;
	char    path[1024];

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", tree_confs[_i]);
	r = rules_load(path, &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	a = rules_analyse(r);
	ck_assert_msg(rules_analysis_open(a) == 0, "%s:\n%s", path,
	    dump(a, r, &sb));
	strbuf_free(&sb);
	strbuf_free(&errs);
	rules_analysis_free(a);
	rules_unref(r);
}
END_TEST

/* Warnings: text and place. */
struct warn_case {
	const char *conf;
	const char *where;
	const char *text;
};

static const struct warn_case warn_cases[] = {
	{"rcpt {\n reject\n permit auth\n}\n", "t.conf:3", "can never match"},
	{"rcpt {\n reject client in { 192.0.2.0/24 }\n reject client in "
	"{ 192.0.2.0/24 } and tls\n reject\n}\n", "t.conf:3", "can never match"},
	{"list unused { example.com }\nrcpt {\n reject\n}\n", "t.conf:1",
	"list <unused> is never used"},
	{"table t \"/nonexistent/t.lmdb\"\nrcpt {\n reject\n}\n", "t.conf:1",
	"table <t> is never used"},
	{"helo {\n reject not tls\n}\nrcpt {\n reject\n}\n", "t.conf:2",
	"first EHLO"},
	{"rcpt {\n permit tls-verified\n reject\n}\n", "t.conf:2",
	"any certificate"},
	{"rcpt {\n permit tls and tls-verified\n reject\n}\n", "t.conf:2",
	"any certificate"},
};

START_TEST(test_warn)
{
	const struct warn_case *tc = &warn_cases[_i];
	struct rules *r = load(tc->conf);
	struct rules_analysis *a = rules_analyse(r);
	struct rules_finding fd;
	struct strbuf sb = STRBUF_INIT;
	size_t  i;
	int     hit = 0;

	for (i = 0; rules_analysis_finding(a, i, &fd) == 0; i++)
		if (fd.kind == RULES_FINDING_WARNING &&
		    strcmp(fd.where, tc->where) == 0 &&
		    strstr(fd.message, tc->text) != NULL)
			hit = 1;
	ck_assert_msg(hit, "warning %d: want %s: %s, got:\n%s", _i, tc->where,
	    tc->text, dump(a, r, &sb));
	strbuf_reset(&sb);
	rules_analysis_format(a, r, &sb);
	ck_assert_ptr_nonnull(strstr(strbuf_str(&sb), ": warning: "));
	strbuf_free(&sb);
	rules_analysis_free(a);
	rules_unref(r);
}
END_TEST

/* No warning for a clean configuration; open-relay allow only warns. */
START_TEST(test_clean)
{
	struct rules *r = load("list trusted { 192.0.2.0/24 }\nrcpt {\n permit "
	    "client in <trusted>\n reject\n}\n");
	struct rules_analysis *a = rules_analyse(r);
	struct strbuf sb = STRBUF_INIT;

	ck_assert_msg(rules_analysis_count(a) == 0, "%s", dump(a, r, &sb));
	rules_analysis_free(a);
	rules_unref(r);

	/* The table of cert-identity is used, by the identity fact. */
	r = load("table certs \"/nonexistent/c.lmdb\"\ncert-identity <certs>\n"
	    "rcpt {\n reject\n}\n");
	a = rules_analyse(r);
	ck_assert_msg(rules_analysis_count(a) == 0, "%s", dump(a, r, &sb));
	rules_analysis_free(a);
	rules_unref(r);

	r = load("open-relay allow\nrcpt {\n permit\n}\n");
	a = rules_analyse(r);
	ck_assert_int_gt(rules_analysis_open(a), 0);
	strbuf_reset(&sb);
	rules_analysis_format(a, r, &sb);
	ck_assert_ptr_null(strstr(strbuf_str(&sb), ": error: "));
	ck_assert_ptr_nonnull(strstr(strbuf_str(&sb), "open-relay allow"));
	strbuf_free(&sb);
	rules_analysis_free(a);
	rules_unref(r);
}
END_TEST

/* The new words: where they may stand and what they take. */
static const struct {
	const char *conf;
	const char *err;		/* NULL: loads */
} syntax_cases[] = {
	{"rcpt {\n reject weak-ok\n}\n", "weak-ok marks a permit"},
	{"rcpt {\n tempfail auth \"451 4.7.1 x\" weak-ok\n}\n",
	"weak-ok marks a permit"},
	{"open-relay maybe\n", "refuse or allow"},
	{"open-relay allow\nopen-relay allow\n", "already set"},
	{"rcpt {\n permit weak-ok\n}\n", NULL},
	{"rcpt {\n permit sender = <> weak-ok\n}\n", NULL},
	{"table t \"/nonexistent/t.lmdb\"\nrcpt {\n check sender <t> weak-ok\n}\n",
	NULL},
	{"mail {\n accept helo = x.example weak-ok\n}\n", NULL},
	{"open-relay refuse\n", NULL},
	{"rcpt {\n permit weak-ok and auth\n}\n", "end of line"},
};

START_TEST(test_syntax)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("t.conf", syntax_cases[_i].conf,
	    &errs);

	if (syntax_cases[_i].err == NULL)
		ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	else {
		ck_assert_ptr_null(r);
		ck_assert_msg(strstr(strbuf_str(&errs), syntax_cases[_i].err) !=
		    NULL, "want %s, got %s", syntax_cases[_i].err,
		    strbuf_str(&errs));
	}
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

/*
 * The differential test. Conditions are drawn per stage from a small
 * vocabulary whose sets name the values the sessions use.
 */
static const char *const vocab[RULES_NSTAGES][12] = {
	{"client in { 192.0.2.0/24 }", "client in { 203.0.113.0/24 }",
	"client-name in { mail.example.com }", "daemon = ORIGINATING",
	"client in { 0.0.0.0/0 }", NULL},
	{"helo in { mx.partner.example }", "tls", "tls-verified",
	"client in { 192.0.2.0/24 }", NULL},
	{"sender-domain in { partner.example }", "sender = <>", "auth",
	"sender = boss@example.com", "tls", NULL},
	{"rcpt-domain in { example.com }", "rcpt-mailer in { smtp }",
	"rcpt-mailer = relay", "routed", "rcpt in { postmaster@ }", "auth",
	"client in { 203.0.113.0/24 }", "sender-domain in { partner.example }",
	"helo in { mx.partner.example }", "tls", NULL},
};

static unsigned long diff_seed;

/* drand - xorshift, deterministic */
static unsigned long
drand(void)
{
	diff_seed ^= diff_seed << 13;
	diff_seed ^= diff_seed >> 7;
	diff_seed ^= diff_seed << 17;
	return (diff_seed);
}

/* gen_conf - a random rule set */
static void
gen_conf(struct strbuf *sb)
{
	static const char *const acts[] = {"permit", "accept", "reject",
	"tempfail", "discard"};
	int     s, n, i, c, nc, nv, k;

	if (drand() % 4 == 0)
		strbuf_puts(sb, "delay-reject no\n");
	for (s = 0; s < RULES_NSTAGES; s++) {
		n = (int) (drand() % (s == RULES_RCPT ? 5 : 3));
		if (n == 0 && drand() % 2)
			continue;
		strbuf_printf(sb, "%s {\n", rules_stage_name((enum rules_stage) s));
		for (nv = 0; vocab[s][nv]; nv++)
			/* count */ ;
		for (i = 0; i < n; i++) {
			k = (int) (drand() % 5);
			if (s == RULES_RCPT && k == 1)
				k = 0;
			strbuf_printf(sb, "    %s", acts[k]);
			nc = (int) (drand() % 3);
			for (c = 0; c < nc; c++)
				strbuf_printf(sb, "%s%s%s", c ? " and " : " ",
				    drand() % 3 == 0 ? "not " : "",
				    vocab[s][drand() % (unsigned) nv]);
			strbuf_puts(sb, "\n");
		}
		strbuf_puts(sb, "}\n");
	}
}

/*
 * trusts - is the set named by text a client set that can help a
 * client (the analysis does not count its members as strangers)?
 */
static int
trusts(const char *conf, const char *set)
{
	const char *p = conf, *eol;
	char    line[512], pos[128], neg[128];

	snprintf(pos, sizeof(pos), " %s", set);
	snprintf(neg, sizeof(neg), "not %s", set);
	for (; *p; p = *eol ? eol + 1 : eol) {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int) (eol - p), p);
		if (strstr(line, set) == NULL)
			continue;
		if ((strstr(line, "permit") || strstr(line, "accept")) &&
		    strstr(line, neg) == NULL)
			return (1);
		if ((strstr(line, "reject") || strstr(line, "tempfail") ||
		    strstr(line, "discard")) && strstr(line, neg) != NULL)
			return (1);
	}
	return (0);
}

#define DIFF_CONFS	400
#define DIFF_SESSIONS	150

START_TEST(test_differential)
{
	static const char *const clients[] = {"198.51.100.1", "203.0.113.5",
	"2001:db8:ffff::1", "192.0.2.9"};
	static const char *const names[] = {NULL, "mail.example.com",
	"x.stranger.example"};
	static const char *const daemons[] = {NULL, "ORIGINATING", "smtpd"};
	static const char *const helos[] = {NULL, "x.example",
	"mx.partner.example"};
	static const char *const senders[] = {"<>", "a@partner.example",
	"boss@example.com", "x@stranger.invalid"};
	static const char *const rcpts[] = {"u@far.example",
	"u%far.example@far.example", "postmaster@far.example"};
	static const char *const mailers[] = {"smtp", "esmtp", "relay"};
	int     i, j, nopen = 0, nsafe = 0;

	diff_seed = 0x9e3779b97f4a7c15UL;
	for (i = 0; i < DIFF_CONFS; i++) {
		struct strbuf conf = STRBUF_INIT, sb = STRBUF_INIT;
		struct rules *r;
		struct rules_analysis *a;
		struct rules_finding fd;
		struct rt_facts f;
		struct addr addr;
		size_t  k;

		gen_conf(&conf);
		r = load(strbuf_str(&conf));
		a = rules_analyse(r);
		if (rules_analysis_open(a)) {
			nopen++;
			for (k = 0; rules_analysis_finding(a, k, &fd) == 0; k++)
				if (fd.has_witness && fd.kind != RULES_FINDING_WEAK_OK)
					ck_assert_msg(replay(r, &fd), "config %d:\n%s"
					    "witness refused: %s", i,
					    strbuf_str(&conf), fd.explain);
		} else {
			nsafe++;
			for (j = 0; j < DIFF_SESSIONS; j++) {
				int     c = (int) (drand() % 4), h;
				int     n = (int) (drand() % 3);

				if (c == 1 && trusts(strbuf_str(&conf),
				    "client in { 203.0.113.0/24 }"))
					continue;
				if (c == 3 && trusts(strbuf_str(&conf),
				    "client in { 192.0.2.0/24 }"))
					continue;
				if (n == 1 && trusts(strbuf_str(&conf),
				    "client-name in { mail.example.com }"))
					continue;
				memset(&f, 0, sizeof(f));
				addr_parse(clients[c], &addr);
				f.client = &addr;
				f.client_name = names[n];
				f.daemon = daemons[drand() % 3];
				f.tls_version = drand() % 2 ? "TLSv1.3" : NULL;
				h = (int) (drand() % 4);
				f.helo = h < 3 ? helos[h] : NULL;
				f.sender = senders[drand() % 4];
				f.rcpt = rcpts[drand() % 3];
				f.rcpt_mailer = mailers[drand() % 3];
				ck_assert_msg(!permitted(r, &f, h == 3), "config %d "
				    "said safe:\n%sbut client %s name %s daemon %s "
				    "tls %d helo %s sender %s rcpt %s mailer %s is "
				    "permitted\n%s", i, strbuf_str(&conf), clients[c],
				    f.client_name ? f.client_name : "-",
				    f.daemon ? f.daemon : "-", f.tls_version != NULL,
				    h == 3 ? "(none)" : f.helo ? f.helo : "-",
				    f.sender, f.rcpt, f.rcpt_mailer, dump(a, r, &sb));
			}
		}
		strbuf_free(&sb);
		strbuf_free(&conf);
		rules_analysis_free(a);
		rules_unref(r);
	}
	/* Both answers must actually occur. */
	ck_assert_int_gt(nopen, DIFF_CONFS / 10);
	ck_assert_int_gt(nsafe, DIFF_CONFS / 10);
}
END_TEST

Suite *
analysis_suite(void)
{
	Suite  *s = suite_create("analysis");
	TCase  *tc;

	tc = tcase_create("open");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_open, 0,
	    (int) (sizeof(open_cases) / sizeof(open_cases[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("weak");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_weak, 0,
	    (int) (sizeof(weak_cases) / sizeof(weak_cases[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("safe");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_safe, 0,
	    (int) (sizeof(safe_cases) / sizeof(safe_cases[0])));
	tcase_add_loop_test(tc, test_tree, 0,
	    (int) (sizeof(tree_confs) / sizeof(tree_confs[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("warn");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_warn, 0,
	    (int) (sizeof(warn_cases) / sizeof(warn_cases[0])));
	tcase_add_test(tc, test_clean);
	tcase_add_loop_test(tc, test_syntax, 0,
	    (int) (sizeof(syntax_cases) / sizeof(syntax_cases[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("differential");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_differential);
	suite_add_tcase(s, tc);
	return (s);
}
