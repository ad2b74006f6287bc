/*
 * NAME
 *	check_rules_util - the rules suite's configurations and helpers
 * DESCRIPTION
 *	See check_rules_util.h. The configurations are arrays of lines,
 *	so the line numbers the decision cases (check_rules_decision.c)
 *	name are the comments beside them. Tables are compiled into a
 *	temporary directory with store_compile().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "rules/rules.h"
#include "store/store.h"
#include "tests/check_rules_util.h"

static const char *const conf_main[] = {
	/* 1 */ "recipient-delimiter \"+\"",
	/* 2 */ "list trusted { 127.0.0.0/8 ::1 192.0.2.0/24 2001:db8:1::/48 }",
	/* 3 */ "list local { example.com .example.com example.net [192.0.2.99] }",
	/* 4 */ "list blocked { 198.51.100.0/24 2001:db8:bad::/48 }",
	/* 5 */ "list staff { alice@example.org bob@ @partner.example .trusted.example }",
	/* 6 */ "connect {",
	/* 7 */ "    reject client in <blocked> \"554 5.7.1 Blocked: %{client}\"",
	/* 8 */ "    accept client in <trusted>",
	/* 9 */ "}",
	/* 10 */ "rcpt {",
	/* 11 */ "    reject routed and not auth \"554 5.7.1 Source routing and %-hacks are not allowed\"",
	/* 12 */ "    permit rcpt-domain in <local>",
	/* 13 */ "    permit auth",
	/* 14 */ "    permit tls-verified",
	/* 15 */ "    permit sender in <staff>",
	/* 16 */ "    reject \"554 5.7.1 <%{rcpt}>: Relay access denied\"",
	/* 17 */ "}",
	NULL,
};

static const char *const conf_facts[] = {
	/* 1 */ "recipient-delimiter \"+-\"",
	/* 2 */ "rcpt {",
	/* 3 */ "    permit client in { 10.0.0.0/8 2001:db8:a::/48 }",
	/* 4 */ "    permit client-name in { .good.example }",
	/* 5 */ "    permit daemon = ORIGINATING",
	/* 6 */ "    permit helo in { helo.example [203.0.113.5] }",
	/* 7 */ "    permit cert-subject = \"CN=office,O=Example\"",
	/* 8 */ "    permit cert-issuer in { /^CN=Example CA/ }",
	/* 9 */ "    permit sender-domain in { partner.example }",
	/* 10 */ "    permit sender = <>",
	/* 11 */ "    permit auth in { alice /^svc-/ }",
	/* 12 */ "    permit auth-type = CRAM-MD5",
	/* 13 */ "    permit rcpt in { postmaster@ abuse@example.org }",
	/* 14 */ "    permit rcpt-domain = [192.0.2.1]",
	/* 15 */ "    permit rcpt-mailer in { local lmtp }",
	/* 16 */ "    reject \"554 5.7.1 default\"",
	/* 17 */ "}",
	NULL,
};

static const char *const conf_actions[] = {
	/* 1 */ "delay-reject no",
	/* 2 */ "connect {",
	/* 3 */ "    reject client = 192.0.2.66",
	/* 4 */ "    tempfail client = 192.0.2.67 \"452 4.3.1 busy %{client}\"",
	/* 5 */ "    discard client = 192.0.2.68",
	/* 6 */ "    accept client = 192.0.2.69",
	/* 7 */ "    permit client = 192.0.2.70",
	/* 8 */ "}",
	/* 9 */ "helo {",
	/* 10 */ "    reject helo = bad.example",
	/* 11 */ "    tempfail helo = slow.example",
	/* 12 */ "    accept helo = friend.example",
	/* 13 */ "}",
	/* 14 */ "mail {",
	/* 15 */ "    reject sender = bad@sender.example \"550 5.7.1 go away %{sender}\"",
	/* 16 */ "    tempfail sender-domain = slow.example",
	/* 17 */ "    discard sender = spam@sender.example",
	/* 18 */ "    accept sender = vip@sender.example",
	/* 19 */ "    reject auth = mallory",
	/* 20 */ "}",
	/* 21 */ "rcpt {",
	/* 22 */ "    discard rcpt = trap@example.com",
	/* 23 */ "    tempfail rcpt = later@example.com",
	/* 24 */ "    reject rcpt = no@example.com \"550 5.1.1 <%{rcpt}>: no such user\"",
	/* 25 */ "    permit rcpt-domain = example.com",
	/* 26 */ "    reject",
	/* 27 */ "}",
	NULL,
};

static const char *const conf_match[] = {
	/* 1 */ "recipient-delimiter \"+\"",
	/* 2 */ "list doms { example.com .sub.example.org [192.0.2.1] [IPv6:2001:DB8::1] trailing.example. }",
	/* 3 */ "list boxes { user@example.com info@ @whole.example .wild.example <> UPPER@Example.COM }",
	/* 4 */ "list rx { /^mx[0-9]+\\.example\\.net$/ /SPAM/i }",
	/* 5 */ "list nets { 192.0.2.0/24 10.1.0.0/16 2001:db8::/32 0.0.0.0/8 }",
	/* 6 */ "rcpt {",
	/* 7 */ "    permit helo in <doms>",
	/* 8 */ "    permit rcpt in <boxes>",
	/* 9 */ "    permit helo in <rx>",
	/* 10 */ "    permit client in <nets>",
	/* 11 */ "    permit auth in <rx>",
	/* 12 */ "    reject",
	/* 13 */ "}",
	NULL,
};

static const char *const conf_hack[] = {
	/* 1 */ "list local { example.com .example.com }",
	/* 2 */ "rcpt {",
	/* 3 */ "    permit rcpt-domain in <local>",
	/* 4 */ "    reject",
	/* 5 */ "}",
	NULL,
};

static const char *const conf_dns[] = {
	/* 1 */ "rcpt {",
	/* 2 */ "    reject rcpt-domain = spamtrap.example \"554 5.7.1 trap\"",
	/* 3 */ "    permit client-name in { .office.example }",
	/* 4 */ "    reject \"554 5.7.1 denied\"",
	/* 5 */ "}",
	NULL,
};

static const char *const conf_dns2[] = {
	/* 1 */ "connect {",
	/* 2 */ "    accept client-name in { .roaming.example }",
	/* 3 */ "}",
	/* 4 */ "helo {",
	/* 5 */ "    reject helo = strict.example and not client-name in { .known.example } \"554 5.7.1 unknown host\"",
	/* 6 */ "}",
	/* 7 */ "rcpt {",
	/* 8 */ "    permit rcpt-domain = example.com",
	/* 9 */ "    reject",
	/* 10 */ "}",
	NULL,
};

static const char *const conf_flags[] = {
	/* 1 */ "rcpt {",
	/* 2 */ "    reject routed \"554 5.7.1 routed\"",
	/* 3 */ "    permit unqualified",
	/* 4 */ "    permit tls and not tls-verified and helo = tls.example",
	/* 5 */ "    permit tls-verified and not auth",
	/* 6 */ "    permit auth and tls",
	/* 7 */ "    tempfail auth \"451 4.7.0 auth needs tls\"",
	/* 8 */ "    permit not client-name in { .bad.example } and helo = absent.example",
	/* 9 */ "    permit not sender in { <> } and sender-domain = s.example",
	/* 10 */ "    reject",
	/* 11 */ "}",
	NULL,
};

/* @DIR@ is replaced by the temporary directory. */
static const char *const conf_tables[] = {
	/* 1 */ "recipient-delimiter \"+\"",
	/* 2 */ "table client-access \"@DIR@/client.lmdb\"",
	/* 3 */ "table sender-access \"@DIR@/sender.lmdb\"",
	/* 4 */ "table rcpt-access \"@DIR@/rcpt.lmdb\"",
	/* 5 */ "table popauth dynamic \"@DIR@/popauth.lmdb\"",
	/* 6 */ "table names \"@DIR@/names.lmdb\"",
	/* 7 */ "rcpt {",
	/* 8 */ "    reject routed and not auth",
	/* 9 */ "    check rcpt-domain <rcpt-access>",
	/* 10 */ "    permit client in <popauth>",
	/* 11 */ "    check client <client-access>",
	/* 12 */ "    check client-name <names>",
	/* 13 */ "    permit rcpt in <rcpt-access>",
	/* 14 */ "    check sender <sender-access>",
	/* 15 */ "    reject \"554 5.7.1 <%{rcpt}>: Relay access denied\"",
	/* 16 */ "}",
	NULL,
};

static const char *const conf_tables_rej[] = {
	/* 1 */ "on-error reject",
	/* 2 */ "table broken \"@DIR@/broken.lmdb\"",
	/* 3 */ "rcpt {",
	/* 4 */ "    check client <broken>",
	/* 5 */ "    permit",
	/* 6 */ "}",
	NULL,
};

static const char *const conf_tables_acc[] = {
	/* 1 */ "on-error accept",
	/* 2 */ "table broken \"@DIR@/broken.lmdb\"",
	/* 3 */ "rcpt {",
	/* 4 */ "    permit client in <broken>",
	/* 5 */ "    reject",
	/* 6 */ "}",
	NULL,
};

static const char *const conf_missing[] = {
	/* 1 */ "table gone \"@DIR@/does-not-exist.lmdb\"",
	/* 2 */ "table grants dynamic \"@DIR@/no-grants.lmdb\"",
	/* 3 */ "connect {",
	/* 4 */ "    reject client = 192.0.2.200",
	/* 5 */ "}",
	/* 6 */ "rcpt {",
	/* 7 */ "    permit rcpt-domain = example.com",
	/* 8 */ "    permit client in <gone>",
	/* 9 */ "    check sender <gone>",
	/* 10 */ "    reject",
	/* 11 */ "}",
	NULL,
};

static const char *const conf_noblock[] = {
	/* 1 */ "# only settings: every stage is permitted",
	/* 2 */ "on-error tempfail",
	NULL,
};

static const char *const conf_order[] = {
	/* 1 */ "rcpt {",
	/* 2 */ "    reject rcpt = first@example.com",
	/* 3 */ "    permit rcpt-domain = example.com",
	/* 4 */ "    reject rcpt = second@example.com",
	/* 5 */ "    tempfail",
	/* 6 */ "}",
	NULL,
};

static const struct {
	const char *name;
	const char *const *lines;
} confs[C_NCONFS] = {
	[C_MAIN] = {"main.conf", conf_main},
	[C_FACTS] = {"facts.conf", conf_facts},
	[C_ACTIONS] = {"actions.conf", conf_actions},
	[C_DELAY] = {"delay.conf", conf_actions},	/* line 1 replaced */
	[C_MATCH] = {"match.conf", conf_match},
	[C_HACK] = {"hack.conf", conf_hack},
	[C_DNS] = {"dns.conf", conf_dns},
	[C_DNS2] = {"dns2.conf", conf_dns2},
	[C_FLAGS] = {"flags.conf", conf_flags},
	[C_TABLES] = {"tables.conf", conf_tables},
	[C_TABLES_REJ] = {"tables-rej.conf", conf_tables_rej},
	[C_TABLES_ACC] = {"tables-acc.conf", conf_tables_acc},
	[C_MISSING] = {"missing.conf", conf_missing},
	[C_NOBLOCK] = {"noblock.conf", conf_noblock},
	[C_ORDER] = {"order.conf", conf_order},
};

static struct rules *loaded[C_NCONFS];
static char tmpdir[256];

/* Tables for C_TABLES, in access(5) source form. */
static const struct {
	const char *file;
	const char *text;
} tables[] = {
	{"client.lmdb",
		"192.0.2.7 OK\n"
		"198.51.100 REJECT client net refused\n"
		"203.0.113.0/24 DEFER 4.7.1 slow down\n"
		"2001:db8:c::/48 OK\n"
		"192.0.2.9 DUNNO\n"
		"192.0.2.10 DISCARD\n"
		"192.0.2.11 550 5.7.1 bad host\n"},
	{"sender.lmdb",
		"boss@corp.example OK\n"
		"corp.example REJECT forged corp sender\n"
		"<> DUNNO\n"
		"tagged@ OK\n"},
	{"rcpt.lmdb",
		"example.com OK\n"
		"blocked.example.com REJECT mailbox domain closed\n"
		"spam@ OK\n"},
	{"names.lmdb",
		"office.example OK\n"},
};

/* conf_text - one configuration's text */
static char *
conf_text(int id)
{
	struct strbuf sb = STRBUF_INIT;
	const char *const *l;
	const char *at;

	for (l = confs[id].lines; *l; l++) {
		const char *line = *l;

		if (id == C_DELAY && l == confs[id].lines)
			line = "delay-reject yes";
		while ((at = strstr(line, "@DIR@")) != NULL) {
			strbuf_append(&sb, line, (size_t) (at - line));
			strbuf_puts(&sb, tmpdir);
			line = at + 5;
		}
		strbuf_puts(&sb, line);
		strbuf_putc(&sb, '\n');
	}
	return (strbuf_detach(&sb));
}

/* make_tables - compile the test tables and grants */
static void
make_tables(void)
{
	char    path[512], err[256];
	struct store *st;
	struct addr a;
	size_t  i;
	FILE   *fp;

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char   *text = strdup(tables[i].text);
		size_t  len = strlen(text);

		text = realloc(text, len + 1);
		snprintf(path, sizeof(path), "%s/%s", tmpdir, tables[i].file);
		ck_assert_msg(store_compile(tables[i].file, text, len, path, NULL,
		    NULL, err, sizeof(err)) == 0, "compile %s: %s",
		    tables[i].file, err);
		free(text);
	}
	snprintf(path, sizeof(path), "%s/popauth.lmdb", tmpdir);
	ck_assert_msg(store_open_write(path, 1, &st, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(addr_parse("192.0.2.50", &a), 0);
	ck_assert_int_eq(store_grant(st, &a, "u", time(NULL) + 600, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("192.0.2.51", &a), 0);
	ck_assert_int_eq(store_grant(st, &a, "u", time(NULL) - 600, err,
	    sizeof(err)), 0);
	store_close(st);
	/* A table file that is not a table. */
	snprintf(path, sizeof(path), "%s/broken.lmdb", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("this is not an LMDB file, and much too short\n", fp);
	fclose(fp);
}

/* rt_setup - temporary directory, tables and the configurations */
void
rt_setup(void)
{
	struct strbuf errs = STRBUF_INIT;
	char   *text;
	int     i;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_rules.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	make_tables();
	for (i = 0; i < C_NCONFS; i++) {
		text = conf_text(i);
		loaded[i] = rules_load_string(confs[i].name, text, &errs);
		ck_assert_msg(loaded[i] != NULL, "%s: %s", confs[i].name,
		    strbuf_str(&errs));
		free(text);
	}
	strbuf_free(&errs);
}

/* rt_teardown - free the rules, remove the directory */
void
rt_teardown(void)
{
	char    cmd[300];
	int     i;

	for (i = 0; i < C_NCONFS; i++) {
		rules_unref(loaded[i]);
		loaded[i] = NULL;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* rt_verdict_word - the case's name for a verdict */
const char *
rt_verdict_word(enum rules_verdict v)
{
	return (v == RULES_CONTINUE ? "permit" : rules_verdict_name(v));
}

/* rt_run_session - connect .. target stage; the answer of the last one */
void
rt_run_session(const struct dcase *c, struct rules *r, struct rules_result *res,
	struct rules_trace *t)
{
	struct rules_session *s = rules_session_new(r, 0);
	struct rt_facts f;
	struct addr a;
	int     st, target = c->at ? c->at - 1 : RULES_RCPT;

	rt_facts_init(&f);
	if (c->client) {
		ck_assert_msg(addr_parse(c->client, &a) == 0, "%s", c->client);
		f.client = &a;
	}
	f.client_name = c->cname;
	f.client_resolve = c->resolve;
	f.daemon = c->daemon;
	f.helo = c->helo;
	f.sender = c->sender;
	f.auth = c->auth;
	f.auth_type = c->authtype;
	f.tls_version = c->tlsv;
	f.verify = c->verify;
	f.cert_subject = c->subj;
	f.cert_issuer = c->issuer;
	f.rcpt = c->rcpt;
	f.rcpt_mailer = c->mailer;
	for (st = 0; st <= target; st++) {
		ck_assert_int_eq(rt_eval(s, (enum rules_stage) st, &f, res, t), 0);
		if (st < target && (res->verdict == RULES_REJECT ||
		    res->verdict == RULES_TEMPFAIL || res->verdict == RULES_DISCARD))
			break;
	}
	rules_session_free(s);
}

/* rt_rules - the loaded configuration conf (between setup and teardown) */
struct rules *
rt_rules(int conf)
{
	return (loaded[conf]);
}

/* rt_conf_name - the file name configuration conf was loaded as */
const char *
rt_conf_name(int conf)
{
	return (confs[conf].name);
}

/* rt_tmpdir - the fixture's temporary directory */
const char *
rt_tmpdir(void)
{
	return (tmpdir);
}

/* rt_facts_init - facts of a session that knows nothing yet */
void
rt_facts_init(struct rt_facts *f)
{
	memset(f, 0, sizeof(*f));
}

/* rt_eval - hand the facts to the session, then decide one stage */
int
rt_eval(struct rules_session *s, enum rules_stage st,
	const struct rt_facts *f, struct rules_result *res,
	struct rules_trace *t)
{
	const struct {
		enum rules_fact id;
		const char *v;
	}       v[] = {
		{RULES_FACT_CLIENT_NAME, f->client_name},
		{RULES_FACT_CLIENT_RESOLVE, f->client_resolve},
		{RULES_FACT_DAEMON, f->daemon},
		{RULES_FACT_HELO, f->helo},
		{RULES_FACT_SENDER, f->sender},
		{RULES_FACT_AUTH, f->auth},
		{RULES_FACT_AUTH_TYPE, f->auth_type},
		{RULES_FACT_TLS_VERSION, f->tls_version},
		{RULES_FACT_VERIFY, f->verify},
		{RULES_FACT_CERT_SUBJECT, f->cert_subject},
		{RULES_FACT_CERT_ISSUER, f->cert_issuer},
		{RULES_FACT_RCPT, f->rcpt},
		{RULES_FACT_RCPT_MAILER, f->rcpt_mailer},
	};
	size_t  i;

	rules_session_set_client(s, f->client);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_int_ge(rules_session_set(s, v[i].id, v[i].v), 0);
	return (rules_eval(s, st, res, t));
}
