/*
 * NAME
 *	check_rules - decision table for the rules engine
 * DESCRIPTION
 *	Every case runs a made-up session through rules_eval() with a
 *	trace, stage by stage, as relayguardctl explain does, and checks
 *	the verdict, the deciding rule (file:line), the reply and the
 *	relay flag of the stage it names (RCPT unless .at says otherwise).
 *	A stage that refuses ends the session, as the MTA would.
 *
 *	The configurations are arrays of lines, so the line numbers the
 *	cases name are the comments beside them. Tables are compiled into
 *	a temporary directory with store_compile().
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "rules/rules.h"
#include "store/store.h"
#include "tests/check_timeout.h"

Suite  *rules_suite(void);

enum conf_id {
	C_MAIN, C_FACTS, C_ACTIONS, C_DELAY, C_MATCH, C_HACK, C_DNS, C_DNS2,
	C_FLAGS, C_TABLES, C_TABLES_REJ, C_TABLES_ACC, C_MISSING, C_NOBLOCK,
	C_ORDER, C_NCONFS,
};

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

enum { R_SKIP, R_NO, R_YES };

struct dcase {
	const char *label;
	int     conf;
	const char *client, *cname, *resolve, *daemon, *helo, *sender;
	const char *auth, *authtype, *tlsv, *verify, *subj, *issuer;
	const char *rcpt, *mailer;
	int     at;			/* stage + 1 to check; 0: rcpt */
	const char *want;		/* permit accept reject tempfail discard */
	int     line;			/* deciding rule, 0: none */
	const char *reply;		/* "code xcode text"; NULL: not checked */
	int     relay;
	int     lookup_error;		/* R_SKIP, R_NO, R_YES */
};

#define AT_CONNECT	1
#define AT_HELO		2
#define AT_MAIL		3

static const struct dcase dcases[] = {
	/* --- the spec's example, lists only --- */
	{.label = "main: trusted v4 accepted at connect", .conf = C_MAIN,
	.client = "192.0.2.5", .at = AT_CONNECT, .want = "accept", .line = 8},
	{.label = "main: trusted v4 rcpt elsewhere accepted", .conf = C_MAIN,
	.client = "192.0.2.5", .rcpt = "<x@far.example>", .want = "accept",
	.line = 8, .relay = R_YES},
	{.label = "main: trusted loopback", .conf = C_MAIN, .client = "127.0.0.1",
	.rcpt = "<x@far.example>", .want = "accept", .line = 8},
	{.label = "main: trusted ::1", .conf = C_MAIN, .client = "::1",
	.rcpt = "<x@far.example>", .want = "accept", .line = 8},
	{.label = "main: trusted v6 /48", .conf = C_MAIN, .client = "2001:db8:1:ffff::1",
	.rcpt = "<x@far.example>", .want = "accept", .line = 8},
	{.label = "main: v6 just outside /48", .conf = C_MAIN,
	.client = "2001:db8:2::1", .rcpt = "<x@far.example>", .want = "reject",
	.line = 16, .reply = "554 5.7.1 <x@far.example>: Relay access denied"},
	{.label = "main: mapped v4 trusted", .conf = C_MAIN,
	.client = "::ffff:192.0.2.5", .rcpt = "<x@far.example>", .want = "accept",
	.line = 8},
	{.label = "main: mapped v4 blocked", .conf = C_MAIN,
	.client = "::ffff:198.51.100.3", .rcpt = "<x@example.com>", .want = "reject",
	.line = 7, .reply = "554 5.7.1 Blocked: 198.51.100.3"},
	{.label = "main: blocked delayed to rcpt", .conf = C_MAIN,
	.client = "198.51.100.3", .rcpt = "<x@example.com>", .want = "reject",
	.line = 7, .reply = "554 5.7.1 Blocked: 198.51.100.3"},
	{.label = "main: blocked connect answers continue", .conf = C_MAIN,
	.client = "198.51.100.3", .at = AT_CONNECT, .want = "permit", .line = 7},
	{.label = "main: blocked mail stage continues", .conf = C_MAIN,
	.client = "198.51.100.3", .sender = "<a@b.example>", .at = AT_MAIL,
	.want = "permit"},
	{.label = "main: blocked v6", .conf = C_MAIN, .client = "2001:db8:bad:1::9",
	.rcpt = "<x@example.com>", .want = "reject", .line = 7},
	{.label = "main: local domain permitted", .conf = C_MAIN,
	.client = "203.0.113.1", .rcpt = "<user@example.com>", .want = "permit",
	.line = 12, .relay = R_NO},
	{.label = "main: local subdomain permitted", .conf = C_MAIN,
	.client = "203.0.113.1", .rcpt = "<user@mx.sub.example.com>",
	.want = "permit", .line = 12, .relay = R_NO},
	{.label = "main: example.net exact", .conf = C_MAIN, .client = "203.0.113.1",
	.rcpt = "<user@example.net>", .want = "permit", .line = 12},
	{.label = "main: sub.example.net not listed", .conf = C_MAIN,
	.client = "203.0.113.1", .rcpt = "<user@sub.example.net>",
	.want = "reject", .line = 16},
	{.label = "main: lookalike domain", .conf = C_MAIN, .client = "203.0.113.1",
	.rcpt = "<user@badexample.com>", .want = "reject", .line = 16},
	{.label = "main: local domain upper case", .conf = C_MAIN,
	.client = "203.0.113.1", .rcpt = "<USER@EXAMPLE.COM>", .want = "permit",
	.line = 12},
	{.label = "main: address literal local", .conf = C_MAIN,
	.client = "203.0.113.1", .rcpt = "<user@[192.0.2.99]>", .want = "permit",
	.line = 12},
	{.label = "main: other address literal", .conf = C_MAIN,
	.client = "203.0.113.1", .rcpt = "<user@[192.0.2.98]>", .want = "reject",
	.line = 16},
	{.label = "main: relay refused", .conf = C_MAIN, .client = "203.0.113.1",
	.rcpt = "<victim@far.example>", .want = "reject", .line = 16,
	.reply = "554 5.7.1 <victim@far.example>: Relay access denied"},
	{.label = "main: auth relays", .conf = C_MAIN, .client = "203.0.113.1",
	.auth = "alice", .rcpt = "<victim@far.example>", .want = "permit",
	.line = 13, .relay = R_YES},
	{.label = "main: empty auth is no auth", .conf = C_MAIN,
	.client = "203.0.113.1", .auth = "", .rcpt = "<victim@far.example>",
	.want = "reject", .line = 16},
	{.label = "main: verified cert relays", .conf = C_MAIN,
	.client = "203.0.113.1", .tlsv = "TLSv1.3", .verify = "OK",
	.rcpt = "<victim@far.example>", .want = "permit", .line = 14,
	.relay = R_YES},
	{.label = "main: unverified cert refused", .conf = C_MAIN,
	.client = "203.0.113.1", .tlsv = "TLSv1.3", .verify = "FAIL",
	.subj = "CN=x", .rcpt = "<victim@far.example>", .want = "reject",
	.line = 16},
	{.label = "main: postfix cert subject means verified", .conf = C_MAIN,
	.client = "203.0.113.1", .tlsv = "TLSv1.3", .subj = "CN=laptop",
	.rcpt = "<victim@far.example>", .want = "permit", .line = 14},
	{.label = "main: staff sender full mailbox", .conf = C_MAIN,
	.client = "203.0.113.1", .sender = "<alice@example.org>",
	.rcpt = "<victim@far.example>", .want = "permit", .line = 15,
	.relay = R_YES},
	{.label = "main: staff sender with extension", .conf = C_MAIN,
	.client = "203.0.113.1", .sender = "<alice+lists@example.org>",
	.rcpt = "<victim@far.example>", .want = "permit", .line = 15},
	{.label = "main: staff sender case-insensitive", .conf = C_MAIN,
	.client = "203.0.113.1", .sender = "<ALICE@Example.ORG>",
	.rcpt = "<victim@far.example>", .want = "permit", .line = 15},
	{.label = "main: staff user@ any domain", .conf = C_MAIN,
	.client = "203.0.113.1", .sender = "<bob@anywhere.example>",
	.rcpt = "<victim@far.example>", .want = "permit", .line = 15},
	{.label = "main: staff @domain", .conf = C_MAIN, .client = "203.0.113.1",
	.sender = "<carol@partner.example>", .rcpt = "<victim@far.example>",
	.want = "permit", .line = 15},
	{.label = "main: staff .domain subdomain", .conf = C_MAIN,
	.client = "203.0.113.1", .sender = "<d@x.trusted.example>",
	.rcpt = "<victim@far.example>", .want = "permit", .line = 15},
	{.label = "main: staff .domain not the parent", .conf = C_MAIN,
	.client = "203.0.113.1", .sender = "<d@trusted.example>",
	.rcpt = "<victim@far.example>", .want = "reject", .line = 16},
	{.label = "main: other sender", .conf = C_MAIN, .client = "203.0.113.1",
	.sender = "<alicex@example.org>", .rcpt = "<victim@far.example>",
	.want = "reject", .line = 16},
	{.label = "main: null sender is not staff", .conf = C_MAIN,
	.client = "203.0.113.1", .sender = "<>", .rcpt = "<victim@far.example>",
	.want = "reject", .line = 16},
	{.label = "main: percent hack refused", .conf = C_MAIN,
	.client = "203.0.113.1", .rcpt = "<user%evil.example@example.com>",
	.want = "reject", .line = 11,
	.reply = "554 5.7.1 Source routing and %-hacks are not allowed"},
	{.label = "main: percent hack reversed refused", .conf = C_MAIN,
	.client = "203.0.113.1", .rcpt = "<user%example.com@evil.example>",
	.want = "reject", .line = 11},
	{.label = "main: routed with auth goes on", .conf = C_MAIN,
	.client = "203.0.113.1", .auth = "alice",
	.rcpt = "<user%evil.example@example.com>", .want = "permit", .line = 13},
	{.label = "main: unix socket client has no address", .conf = C_MAIN,
	.rcpt = "<x@far.example>", .want = "reject", .line = 16},
	{.label = "main: unix socket client local rcpt", .conf = C_MAIN,
	.rcpt = "<x@example.com>", .want = "permit", .line = 12},
	{.label = "main: rcpt with esmtp params", .conf = C_MAIN,
	.client = "203.0.113.1", .rcpt = "<user@example.com> NOTIFY=NEVER",
	.want = "permit", .line = 12},

	/* --- every fact --- */
	{.label = "fact client v4", .conf = C_FACTS, .client = "10.9.8.7",
	.rcpt = "<x@far.example>", .want = "permit", .line = 3},
	{.label = "fact client v6", .conf = C_FACTS, .client = "2001:db8:a::5",
	.rcpt = "<x@far.example>", .want = "permit", .line = 3},
	{.label = "fact client v6 mapped to v4 net", .conf = C_FACTS,
	.client = "::ffff:10.0.0.1", .rcpt = "<x@far.example>", .want = "permit",
	.line = 3},
	{.label = "fact client outside", .conf = C_FACTS, .client = "11.0.0.1",
	.rcpt = "<x@far.example>", .want = "reject", .line = 16,
	.reply = "554 5.7.1 default"},
	{.label = "fact client-name verified", .conf = C_FACTS,
	.client = "11.0.0.1", .cname = "mx.good.example", .resolve = "OK",
	.rcpt = "<x@far.example>", .want = "permit", .line = 4},
	{.label = "fact client-name without client_resolve", .conf = C_FACTS,
	.client = "11.0.0.1", .cname = "MX.Good.Example.",
	.rcpt = "<x@far.example>", .want = "permit", .line = 4},
	{.label = "fact client-name forged is absent", .conf = C_FACTS,
	.client = "11.0.0.1", .cname = "mx.good.example", .resolve = "FORGED",
	.rcpt = "<x@far.example>", .want = "reject", .line = 16},
	{.label = "fact client-name FAIL is absent", .conf = C_FACTS,
	.client = "11.0.0.1", .cname = "mx.good.example", .resolve = "FAIL",
	.rcpt = "<x@far.example>", .want = "reject", .line = 16},
	{.label = "fact client-name bracketed is absent", .conf = C_FACTS,
	.client = "11.0.0.1", .cname = "[11.0.0.1]", .rcpt = "<x@far.example>",
	.want = "reject", .line = 16},
	{.label = "fact client-name unknown is absent", .conf = C_FACTS,
	.client = "11.0.0.1", .cname = "unknown", .rcpt = "<x@far.example>",
	.want = "reject", .line = 16},
	{.label = "fact client-name parent not matched", .conf = C_FACTS,
	.client = "11.0.0.1", .cname = "good.example", .rcpt = "<x@far.example>",
	.want = "reject", .line = 16},
	{.label = "fact daemon", .conf = C_FACTS, .client = "11.0.0.1",
	.daemon = "ORIGINATING", .rcpt = "<x@far.example>", .want = "permit",
	.line = 5},
	{.label = "fact daemon case-sensitive", .conf = C_FACTS,
	.client = "11.0.0.1", .daemon = "originating", .rcpt = "<x@far.example>",
	.want = "reject", .line = 16},
	{.label = "fact helo", .conf = C_FACTS, .client = "11.0.0.1",
	.helo = "HELO.example.", .rcpt = "<x@far.example>", .want = "permit",
	.line = 6},
	{.label = "fact helo address literal", .conf = C_FACTS,
	.client = "11.0.0.1", .helo = "[203.0.113.5]", .rcpt = "<x@far.example>",
	.want = "permit", .line = 6},
	{.label = "fact helo garbage is absent", .conf = C_FACTS,
	.client = "11.0.0.1", .helo = "bad helo", .rcpt = "<x@far.example>",
	.want = "reject", .line = 16},
	{.label = "fact cert-subject", .conf = C_FACTS, .client = "11.0.0.1",
	.subj = "CN=office,O=Example", .rcpt = "<x@far.example>", .want = "permit",
	.line = 7},
	{.label = "fact cert-issuer regex", .conf = C_FACTS, .client = "11.0.0.1",
	.issuer = "CN=Example CA 2,O=Example", .rcpt = "<x@far.example>",
	.want = "permit", .line = 8},
	{.label = "fact cert-issuer regex anchored", .conf = C_FACTS,
	.client = "11.0.0.1", .issuer = "O=x,CN=Example CA",
	.rcpt = "<x@far.example>", .want = "reject", .line = 16},
	{.label = "fact sender-domain", .conf = C_FACTS, .client = "11.0.0.1",
	.sender = "<a@Partner.Example>", .rcpt = "<x@far.example>",
	.want = "permit", .line = 9},
	{.label = "fact sender null", .conf = C_FACTS, .client = "11.0.0.1",
	.sender = "<>", .rcpt = "<x@far.example>", .want = "permit", .line = 10},
	{.label = "fact sender null has no domain", .conf = C_FACTS,
	.client = "11.0.0.1", .sender = "<>", .rcpt = "<x@far.example>",
	.want = "permit", .line = 10},
	{.label = "fact auth exact", .conf = C_FACTS, .client = "11.0.0.1",
	.auth = "alice", .rcpt = "<x@far.example>", .want = "permit", .line = 11},
	{.label = "fact auth regex", .conf = C_FACTS, .client = "11.0.0.1",
	.auth = "svc-backup", .rcpt = "<x@far.example>", .want = "permit",
	.line = 11},
	{.label = "fact auth other", .conf = C_FACTS, .client = "11.0.0.1",
	.auth = "mallory", .rcpt = "<x@far.example>", .want = "reject",
	.line = 16},
	{.label = "fact auth-type", .conf = C_FACTS, .client = "11.0.0.1",
	.auth = "bob", .authtype = "CRAM-MD5", .rcpt = "<x@far.example>",
	.want = "permit", .line = 12},
	{.label = "fact rcpt user@", .conf = C_FACTS, .client = "11.0.0.1",
	.rcpt = "<postmaster@far.example>", .want = "permit", .line = 13,
	.relay = R_NO},
	{.label = "fact rcpt extension +", .conf = C_FACTS, .client = "11.0.0.1",
	.rcpt = "<abuse+x@example.org>", .want = "permit", .line = 13},
	{.label = "fact rcpt extension -", .conf = C_FACTS, .client = "11.0.0.1",
	.rcpt = "<abuse-x@example.org>", .want = "permit", .line = 13},
	{.label = "fact rcpt other domain", .conf = C_FACTS, .client = "11.0.0.1",
	.rcpt = "<abuse@example.net>", .want = "reject", .line = 16},
	{.label = "fact rcpt unqualified postmaster", .conf = C_FACTS,
	.client = "11.0.0.1", .rcpt = "<postmaster>", .want = "permit",
	.line = 13, .relay = R_NO},
	{.label = "fact rcpt-domain literal", .conf = C_FACTS, .client = "11.0.0.1",
	.rcpt = "<x@[192.0.2.1]>", .want = "permit", .line = 14},
	{.label = "fact rcpt-mailer local", .conf = C_FACTS, .client = "11.0.0.1",
	.rcpt = "<x@far.example>", .mailer = "local", .want = "permit",
	.line = 15, .relay = R_NO},
	{.label = "fact rcpt-mailer smtp", .conf = C_FACTS, .client = "11.0.0.1",
	.rcpt = "<x@far.example>", .mailer = "smtp", .want = "reject",
	.line = 16},

	/* --- every action, each stage, delay-reject off --- */
	{.label = "action reject at connect", .conf = C_ACTIONS,
	.client = "192.0.2.66", .at = AT_CONNECT, .want = "reject", .line = 3,
	.reply = "554 5.7.1 Access denied"},
	{.label = "action reject at connect ends session", .conf = C_ACTIONS,
	.client = "192.0.2.66", .rcpt = "<a@example.com>", .want = "reject",
	.line = 3},
	{.label = "action tempfail at connect", .conf = C_ACTIONS,
	.client = "192.0.2.67", .at = AT_CONNECT, .want = "tempfail", .line = 4,
	.reply = "452 4.3.1 busy 192.0.2.67"},
	{.label = "action discard at connect", .conf = C_ACTIONS,
	.client = "192.0.2.68", .at = AT_CONNECT, .want = "discard", .line = 5},
	{.label = "action accept at connect", .conf = C_ACTIONS,
	.client = "192.0.2.69", .at = AT_CONNECT, .want = "accept", .line = 6},
	{.label = "accept at connect skips helo reject", .conf = C_ACTIONS,
	.client = "192.0.2.69", .helo = "bad.example", .at = AT_HELO,
	.want = "accept", .line = 6},
	{.label = "accept at connect skips mail reject", .conf = C_ACTIONS,
	.client = "192.0.2.69", .sender = "<bad@sender.example>", .at = AT_MAIL,
	.want = "accept", .line = 6},
	{.label = "accept at connect accepts every rcpt", .conf = C_ACTIONS,
	.client = "192.0.2.69", .rcpt = "<no@example.com>", .want = "accept",
	.line = 6},
	{.label = "permit at connect still runs helo", .conf = C_ACTIONS,
	.client = "192.0.2.70", .helo = "bad.example", .at = AT_HELO,
	.want = "reject", .line = 10},
	{.label = "permit at connect still runs rcpt", .conf = C_ACTIONS,
	.client = "192.0.2.70", .rcpt = "<no@example.com>", .want = "reject",
	.line = 24, .reply = "550 5.1.1 <no@example.com>: no such user"},
	{.label = "no connect rule matched", .conf = C_ACTIONS,
	.client = "192.0.2.71", .at = AT_CONNECT, .want = "permit", .line = 0},
	{.label = "action reject at helo", .conf = C_ACTIONS, .client = "192.0.2.71",
	.helo = "bad.example", .at = AT_HELO, .want = "reject", .line = 10,
	.reply = "554 5.7.1 Access denied"},
	{.label = "action tempfail at helo", .conf = C_ACTIONS,
	.client = "192.0.2.71", .helo = "slow.example", .at = AT_HELO,
	.want = "tempfail", .line = 11, .reply = "451 4.7.1 Try again later"},
	{.label = "action accept at helo", .conf = C_ACTIONS, .client = "192.0.2.71",
	.helo = "friend.example", .rcpt = "<no@example.com>", .want = "accept",
	.line = 12},
	{.label = "action reject at mail", .conf = C_ACTIONS, .client = "192.0.2.71",
	.sender = "<bad@sender.example>", .at = AT_MAIL, .want = "reject",
	.line = 15, .reply = "550 5.7.1 go away bad@sender.example"},
	{.label = "action tempfail at mail", .conf = C_ACTIONS,
	.client = "192.0.2.71", .sender = "<x@slow.example>", .at = AT_MAIL,
	.want = "tempfail", .line = 16},
	{.label = "action discard at mail", .conf = C_ACTIONS, .client = "192.0.2.71",
	.sender = "<spam@sender.example>", .at = AT_MAIL, .want = "discard",
	.line = 17},
	{.label = "action accept at mail", .conf = C_ACTIONS, .client = "192.0.2.71",
	.sender = "<vip@sender.example>", .rcpt = "<no@example.com>",
	.want = "accept", .line = 18},
	{.label = "auth fact at mail", .conf = C_ACTIONS, .client = "192.0.2.71",
	.sender = "<a@b.example>", .auth = "mallory", .at = AT_MAIL,
	.want = "reject", .line = 19},
	{.label = "action discard at rcpt", .conf = C_ACTIONS,
	.client = "192.0.2.71", .rcpt = "<trap@example.com>", .want = "discard",
	.line = 22},
	{.label = "action tempfail at rcpt", .conf = C_ACTIONS,
	.client = "192.0.2.71", .rcpt = "<later@example.com>",
	.want = "tempfail", .line = 23, .reply = "451 4.7.1 Try again later"},
	{.label = "action reject at rcpt with text", .conf = C_ACTIONS,
	.client = "192.0.2.71", .rcpt = "<no@example.com>", .want = "reject",
	.line = 24},
	{.label = "action permit at rcpt", .conf = C_ACTIONS, .client = "192.0.2.71",
	.rcpt = "<yes@example.com>", .want = "permit", .line = 25},
	{.label = "bare reject default rcpt text", .conf = C_ACTIONS,
	.client = "192.0.2.71", .rcpt = "<x@far.example>", .want = "reject",
	.line = 26, .reply = "554 5.7.1 <x@far.example>: Relay access denied"},

	/* --- the same with delay-reject yes --- */
	{.label = "delay: connect reject continues", .conf = C_DELAY,
	.client = "192.0.2.66", .at = AT_CONNECT, .want = "permit", .line = 3},
	{.label = "delay: connect reject at rcpt", .conf = C_DELAY,
	.client = "192.0.2.66", .rcpt = "<yes@example.com>", .want = "reject",
	.line = 3, .reply = "554 5.7.1 Access denied"},
	{.label = "delay: connect tempfail at rcpt", .conf = C_DELAY,
	.client = "192.0.2.67", .rcpt = "<yes@example.com>", .want = "tempfail",
	.line = 4, .reply = "452 4.3.1 busy 192.0.2.67"},
	{.label = "delay: discard is not delayed", .conf = C_DELAY,
	.client = "192.0.2.68", .at = AT_CONNECT, .want = "discard", .line = 5},
	{.label = "delay: helo reject at rcpt", .conf = C_DELAY,
	.client = "192.0.2.71", .helo = "bad.example", .rcpt = "<yes@example.com>",
	.want = "reject", .line = 10},
	{.label = "delay: helo reject, mail rules not run", .conf = C_DELAY,
	.client = "192.0.2.71", .helo = "bad.example",
	.sender = "<vip@sender.example>", .rcpt = "<yes@example.com>",
	.want = "reject", .line = 10},
	{.label = "delay: mail reject expands rcpt later", .conf = C_DELAY,
	.client = "192.0.2.71", .sender = "<bad@sender.example>",
	.rcpt = "<yes@example.com>", .want = "reject", .line = 15,
	.reply = "550 5.7.1 go away bad@sender.example"},
	{.label = "delay: mail tempfail at rcpt", .conf = C_DELAY,
	.client = "192.0.2.71", .sender = "<x@slow.example>",
	.rcpt = "<yes@example.com>", .want = "tempfail", .line = 16},
	{.label = "delay: mail stage answers continue", .conf = C_DELAY,
	.client = "192.0.2.71", .sender = "<x@slow.example>", .at = AT_MAIL,
	.want = "permit", .line = 16},
	{.label = "delay: rcpt decisions unchanged", .conf = C_DELAY,
	.client = "192.0.2.71", .rcpt = "<later@example.com>",
	.want = "tempfail", .line = 23},

	/* --- subdomains, literals, mailboxes, regexes, CIDR --- */
	{.label = "match: exact domain", .conf = C_MATCH, .client = "11.0.0.1",
	.helo = "example.com", .rcpt = "<x@far.example>", .want = "permit",
	.line = 7},
	{.label = "match: exact does not cover subdomain", .conf = C_MATCH,
	.client = "11.0.0.1", .helo = "a.example.com", .rcpt = "<x@far.example>",
	.want = "reject", .line = 12},
	{.label = "match: .sub covers deep subdomain", .conf = C_MATCH,
	.client = "11.0.0.1", .helo = "a.b.sub.example.org",
	.rcpt = "<x@far.example>", .want = "permit", .line = 7},
	{.label = "match: .sub not the domain itself", .conf = C_MATCH,
	.client = "11.0.0.1", .helo = "sub.example.org", .rcpt = "<x@far.example>",
	.want = "reject", .line = 12},
	{.label = "match: v4 literal", .conf = C_MATCH, .client = "11.0.0.1",
	.helo = "[192.0.2.1]", .rcpt = "<x@far.example>", .want = "permit",
	.line = 7},
	{.label = "match: v6 literal other spelling", .conf = C_MATCH,
	.client = "11.0.0.1", .helo = "[IPv6:2001:db8:0::1]",
	.rcpt = "<x@far.example>", .want = "permit", .line = 7},
	{.label = "match: trailing dot item", .conf = C_MATCH, .client = "11.0.0.1",
	.helo = "trailing.example", .rcpt = "<x@far.example>", .want = "permit",
	.line = 7},
	{.label = "match: mailbox exact", .conf = C_MATCH, .client = "11.0.0.1",
	.rcpt = "<user@example.com>", .want = "permit", .line = 8},
	{.label = "match: mailbox with extension", .conf = C_MATCH,
	.client = "11.0.0.1", .rcpt = "<user+tag@example.com>", .want = "permit",
	.line = 8},
	{.label = "match: mailbox other delimiter not stripped", .conf = C_MATCH,
	.client = "11.0.0.1", .rcpt = "<user-tag@example.com>", .want = "reject",
	.line = 12},
	{.label = "match: mailbox other domain", .conf = C_MATCH,
	.client = "11.0.0.1", .rcpt = "<user@example.net>", .want = "reject",
	.line = 12},
	{.label = "match: mailbox item upper case", .conf = C_MATCH,
	.client = "11.0.0.1", .rcpt = "<upper@example.com>", .want = "permit",
	.line = 8},
	{.label = "match: user@ any domain", .conf = C_MATCH, .client = "11.0.0.1",
	.rcpt = "<INFO@anything.example>", .want = "permit", .line = 8},
	{.label = "match: user@ with extension", .conf = C_MATCH,
	.client = "11.0.0.1", .rcpt = "<info+x@anything.example>",
	.want = "permit", .line = 8},
	{.label = "match: @domain any user", .conf = C_MATCH, .client = "11.0.0.1",
	.rcpt = "<whoever@whole.example>", .want = "permit", .line = 8},
	{.label = "match: @domain not subdomain", .conf = C_MATCH,
	.client = "11.0.0.1", .rcpt = "<whoever@a.whole.example>",
	.want = "reject", .line = 12},
	{.label = "match: .domain mailbox item", .conf = C_MATCH,
	.client = "11.0.0.1", .rcpt = "<w@a.wild.example>", .want = "permit",
	.line = 8},
	{.label = "match: null rcpt matches <>", .conf = C_MATCH,
	.client = "11.0.0.1", .rcpt = "<>", .want = "permit", .line = 8},
	{.label = "match: domain regex", .conf = C_MATCH, .client = "11.0.0.1",
	.helo = "mx12.example.net", .rcpt = "<x@far.example>", .want = "permit",
	.line = 9},
	{.label = "match: domain regex anchored", .conf = C_MATCH,
	.client = "11.0.0.1", .helo = "mx12.example.net.evil",
	.rcpt = "<x@far.example>", .want = "reject", .line = 12},
	{.label = "match: string regex /i", .conf = C_MATCH, .client = "11.0.0.1",
	.auth = "bigSpAmmer", .rcpt = "<x@far.example>", .want = "permit",
	.line = 11},
	{.label = "match: cidr first address", .conf = C_MATCH,
	.client = "192.0.2.0", .rcpt = "<x@far.example>", .want = "permit",
	.line = 10},
	{.label = "match: cidr last address", .conf = C_MATCH,
	.client = "192.0.2.255", .rcpt = "<x@far.example>", .want = "permit",
	.line = 10},
	{.label = "match: cidr one past", .conf = C_MATCH, .client = "192.0.3.0",
	.rcpt = "<x@far.example>", .want = "reject", .line = 12},
	{.label = "match: cidr one before", .conf = C_MATCH,
	.client = "192.0.1.255", .rcpt = "<x@far.example>", .want = "reject",
	.line = 12},
	{.label = "match: 0.0.0.0/8", .conf = C_MATCH, .client = "0.1.2.3",
	.rcpt = "<x@far.example>", .want = "permit", .line = 10},
	{.label = "match: /16", .conf = C_MATCH, .client = "10.1.255.255",
	.rcpt = "<x@far.example>", .want = "permit", .line = 10},
	{.label = "match: v6 /32", .conf = C_MATCH, .client = "2001:db8:ffff::1",
	.rcpt = "<x@far.example>", .want = "permit", .line = 10},
	{.label = "match: v6 outside /32", .conf = C_MATCH, .client = "2001:db9::1",
	.rcpt = "<x@far.example>", .want = "reject", .line = 12},
	{.label = "match: v4-compatible v6 is not v4", .conf = C_MATCH,
	.client = "::192.0.2.1", .rcpt = "<x@far.example>", .want = "reject",
	.line = 12},
	{.label = "match: mapped v4 in v4 net", .conf = C_MATCH,
	.client = "::ffff:10.1.2.3", .rcpt = "<x@far.example>", .want = "permit",
	.line = 10},

	/* --- relay hacks against rcpt-domain in <local> --- */
	{.label = "hack: plain local", .conf = C_HACK, .client = "11.0.0.1",
	.rcpt = "<user@example.com>", .want = "permit", .line = 3},
	{.label = "hack: trailing dot", .conf = C_HACK, .client = "11.0.0.1",
	.rcpt = "<user@EXAMPLE.com.>", .want = "permit", .line = 3},
	{.label = "hack: percent", .conf = C_HACK, .client = "11.0.0.1",
	.rcpt = "<user%evil.example@example.com>", .want = "reject", .line = 4},
	{.label = "hack: two percents", .conf = C_HACK, .client = "11.0.0.1",
	.rcpt = "<u%a.example.com%evil.example@example.com>", .want = "reject",
	.line = 4},
	{.label = "hack: percent no @", .conf = C_HACK, .client = "11.0.0.1",
	.rcpt = "<user%evil.example>", .want = "reject", .line = 4},
	{.label = "hack: double @", .conf = C_HACK, .client = "11.0.0.1",
	.rcpt = "<user@evil.example@example.com>", .want = "reject", .line = 4},
	{.label = "hack: quoted @", .conf = C_HACK, .client = "11.0.0.1",
	.rcpt = "<\"user@evil.example\"@example.com>", .want = "reject",
	.line = 4},
	{.label = "hack: quoted percent", .conf = C_HACK, .client = "11.0.0.1",
	.rcpt = "<\"user%evil.example\"@example.com>", .want = "reject",
	.line = 4},
	{.label = "hack: source route to evil", .conf = C_HACK,
	.client = "11.0.0.1", .rcpt = "<@mx.example.com:user@evil.example>",
	.want = "reject", .line = 4},
	{.label = "hack: source route two hops", .conf = C_HACK,
	.client = "11.0.0.1",
	.rcpt = "<@a.example.com,@b.example.com:user@evil.example>",
	.want = "reject", .line = 4},
	{.label = "hack: bang path", .conf = C_HACK, .client = "11.0.0.1",
	.rcpt = "<evil.example!user@example.com>", .want = "reject", .line = 4},
	{.label = "hack: bang path no @", .conf = C_HACK, .client = "11.0.0.1",
	.rcpt = "<evil.example!user>", .want = "reject", .line = 4},
	/*
	 * The next hop is foreign though the final destination is ours:
	 * the MTA relays to evil.example first. Every hop must be local.
	 */
	{.label = "hack: percent to local via evil", .conf = C_HACK,
	.client = "11.0.0.1", .rcpt = "<user%example.com@evil.example>",
	.want = "reject", .line = 4},
	{.label = "hack: double @ to local via evil", .conf = C_HACK,
	.client = "11.0.0.1", .rcpt = "<user@example.com@evil.example>",
	.want = "reject", .line = 4},
	{.label = "hack: quoted @ to local via evil", .conf = C_HACK,
	.client = "11.0.0.1", .rcpt = "<\"user@example.com\"@evil.example>",
	.want = "reject", .line = 4},
	{.label = "hack: bang to local via evil", .conf = C_HACK,
	.client = "11.0.0.1", .rcpt = "<example.com!user@evil.example>",
	.want = "reject", .line = 4},
	{.label = "hack: source route via evil to local", .conf = C_HACK,
	.client = "11.0.0.1", .rcpt = "<@evil.example:user@example.com>",
	.want = "reject", .line = 4},
	{.label = "hack: source route via evil literal", .conf = C_HACK,
	.client = "11.0.0.1", .rcpt = "<@[192.0.2.1]:user@example.com>",
	.want = "reject", .line = 4},
	{.label = "hack: percent between local domains", .conf = C_HACK,
	.client = "11.0.0.1", .rcpt = "<user%sub.example.com@example.com>",
	.want = "permit", .line = 3},
	{.label = "hack: source route through local", .conf = C_HACK,
	.client = "11.0.0.1", .rcpt = "<@mx.example.com:user@example.com>",
	.want = "permit", .line = 3},
	{.label = "hack: routed rcpt is no mailbox", .conf = C_MATCH,
	.client = "203.0.113.1", .rcpt = "<user%whole.example@evil.example>",
	.want = "reject", .line = 12},
	{.label = "hack: unbalanced quote malformed", .conf = C_HACK,
	.client = "11.0.0.1", .rcpt = "<\"user@example.com>", .want = "reject",
	.line = 4},
	{.label = "hack: control char malformed", .conf = C_HACK,
	.client = "11.0.0.1", .rcpt = "<user\r@example.com>", .want = "reject",
	.line = 4},
	{.label = "hack: routed flag in main", .conf = C_MAIN,
	.client = "203.0.113.1", .rcpt = "<@hop.example:user@example.com>",
	.want = "reject", .line = 11},
	{.label = "hack: bang in main", .conf = C_MAIN, .client = "203.0.113.1",
	.rcpt = "<far.example!user@example.com>", .want = "reject", .line = 11},

	/* --- flags, absent facts and not --- */
	{.label = "flag routed", .conf = C_FLAGS, .client = "11.0.0.1",
	.rcpt = "<a%b.example@c.example>", .want = "reject", .line = 2,
	.reply = "554 5.7.1 routed"},
	{.label = "flag unqualified", .conf = C_FLAGS, .client = "11.0.0.1",
	.rcpt = "<postmaster>", .want = "permit", .line = 3, .relay = R_NO},
	{.label = "flag routed bare is not unqualified", .conf = C_FLAGS,
	.client = "11.0.0.1", .rcpt = "<a%b.example>", .want = "reject",
	.line = 2},
	{.label = "flag tls and not tls-verified", .conf = C_FLAGS,
	.client = "11.0.0.1", .tlsv = "TLSv1.2", .helo = "tls.example",
	.rcpt = "<x@far.example>", .want = "permit", .line = 4},
	{.label = "flag no tls", .conf = C_FLAGS, .client = "11.0.0.1",
	.helo = "tls.example", .rcpt = "<x@far.example>", .want = "reject",
	.line = 10},
	{.label = "flag tls-verified and not auth", .conf = C_FLAGS,
	.client = "11.0.0.1", .tlsv = "TLSv1.3", .verify = "OK",
	.rcpt = "<x@far.example>", .want = "permit", .line = 5},
	{.label = "flag auth and tls", .conf = C_FLAGS, .client = "11.0.0.1",
	.tlsv = "TLSv1.3", .auth = "u", .rcpt = "<x@far.example>",
	.want = "permit", .line = 6},
	{.label = "flag auth without tls", .conf = C_FLAGS, .client = "11.0.0.1",
	.auth = "u", .rcpt = "<x@far.example>", .want = "tempfail", .line = 7,
	.reply = "451 4.7.0 auth needs tls"},
	{.label = "absent client-name: not is true", .conf = C_FLAGS,
	.client = "11.0.0.1", .helo = "absent.example", .rcpt = "<x@far.example>",
	.want = "permit", .line = 8},
	{.label = "present client-name in set: not false", .conf = C_FLAGS,
	.client = "11.0.0.1", .cname = "x.bad.example", .helo = "absent.example",
	.rcpt = "<x@far.example>", .want = "reject", .line = 10},
	{.label = "absent sender: not true, domain false", .conf = C_FLAGS,
	.client = "11.0.0.1", .rcpt = "<x@far.example>", .want = "reject",
	.line = 10},
	{.label = "sender domain with not <>", .conf = C_FLAGS,
	.client = "11.0.0.1", .sender = "<a@s.example>", .rcpt = "<x@far.example>",
	.want = "permit", .line = 9},
	{.label = "unix client: absent address", .conf = C_FLAGS,
	.rcpt = "<x@far.example>", .want = "reject", .line = 10},

	/* --- first match wins --- */
	{.label = "order: earlier reject wins", .conf = C_ORDER,
	.client = "11.0.0.1", .rcpt = "<first@example.com>", .want = "reject",
	.line = 2},
	{.label = "order: permit before later reject", .conf = C_ORDER,
	.client = "11.0.0.1", .rcpt = "<second@example.com>", .want = "permit",
	.line = 3},
	{.label = "order: fall through to last", .conf = C_ORDER,
	.client = "11.0.0.1", .rcpt = "<x@far.example>", .want = "tempfail",
	.line = 5},
	{.label = "no blocks: rcpt permitted", .conf = C_NOBLOCK,
	.client = "11.0.0.1", .rcpt = "<x@far.example>", .want = "permit",
	.line = 0, .relay = R_YES},
	{.label = "no blocks: unqualified not relay", .conf = C_NOBLOCK,
	.client = "11.0.0.1", .rcpt = "<postmaster>", .want = "permit",
	.line = 0, .relay = R_NO},

	/* --- uncertain DNS (section 2.3) --- */
	{.label = "dns: TEMP turns reject into tempfail", .conf = C_DNS,
	.client = "11.0.0.1", .cname = "[11.0.0.1]", .resolve = "TEMP",
	.rcpt = "<x@far.example>", .want = "tempfail", .line = 4,
	.reply = "451 4.7.25 Client host name lookup failed temporarily; try again later"},
	{.label = "dns: FAIL stays reject", .conf = C_DNS, .client = "11.0.0.1",
	.cname = "[11.0.0.1]", .resolve = "FAIL", .rcpt = "<x@far.example>",
	.want = "reject", .line = 4, .reply = "554 5.7.1 denied"},
	{.label = "dns: TEMP, reject before the name rule stays", .conf = C_DNS,
	.client = "11.0.0.1", .resolve = "TEMP", .rcpt = "<x@spamtrap.example>",
	.want = "reject", .line = 2},
	{.label = "dns: OK name permits", .conf = C_DNS, .client = "11.0.0.1",
	.cname = "pc.office.example", .resolve = "OK", .rcpt = "<x@far.example>",
	.want = "permit", .line = 3},
	{.label = "dns: TEMP, earlier accept on name", .conf = C_DNS2,
	.client = "11.0.0.1", .resolve = "TEMP", .rcpt = "<x@far.example>",
	.want = "tempfail", .line = 9},
	{.label = "dns: no TEMP, plain reject", .conf = C_DNS2,
	.client = "11.0.0.1", .rcpt = "<x@far.example>", .want = "reject",
	.line = 9},
	{.label = "dns: TEMP, not client-name in deciding rule", .conf = C_DNS2,
	.client = "11.0.0.1", .resolve = "TEMP", .helo = "strict.example",
	.rcpt = "<x@example.com>", .want = "tempfail", .line = 5},
	{.label = "dns: FAIL, not client-name rejects", .conf = C_DNS2,
	.client = "11.0.0.1", .resolve = "FAIL", .helo = "strict.example",
	.rcpt = "<x@example.com>", .want = "reject", .line = 5,
	.reply = "554 5.7.1 unknown host"},
	{.label = "dns: TEMP never permits", .conf = C_DNS2, .client = "11.0.0.1",
	.cname = "a.roaming.example", .resolve = "TEMP", .rcpt = "<x@example.com>",
	.want = "permit", .line = 8},

	/* --- tables (store) --- */
	{.label = "table: rcpt-domain OK", .conf = C_TABLES, .client = "11.0.0.1",
	.rcpt = "<x@example.com>", .want = "permit", .line = 9, .relay = R_NO,
	.lookup_error = R_NO},
	{.label = "table: rcpt-domain OK subdomain", .conf = C_TABLES,
	.client = "11.0.0.1", .rcpt = "<x@mx.example.com>", .want = "permit",
	.line = 9},
	{.label = "table: rcpt-domain REJECT text", .conf = C_TABLES,
	.client = "11.0.0.1", .rcpt = "<x@blocked.example.com>", .want = "reject",
	.line = 9, .reply = "554 5.7.1 mailbox domain closed"},
	{.label = "table: OK for routed rcpt is DUNNO", .conf = C_TABLES,
	.client = "11.0.0.1", .auth = "u", .rcpt = "<x%evil.example@example.com>",
	.want = "reject", .line = 15},
	{.label = "table: routed rcpt, every reading in the table", .conf = C_TABLES,
	.client = "11.0.0.1", .auth = "u", .rcpt = "<x%example.com@example.com>",
	.want = "permit", .line = 13, .relay = R_NO},
	{.label = "table: routed without auth", .conf = C_TABLES,
	.client = "11.0.0.1", .rcpt = "<x%example.com@example.com>",
	.want = "reject", .line = 8},
	{.label = "table: client full address OK", .conf = C_TABLES,
	.client = "192.0.2.7", .rcpt = "<x@far.example>", .want = "permit",
	.line = 11, .relay = R_YES},
	{.label = "table: client short net REJECT", .conf = C_TABLES,
	.client = "198.51.100.77", .rcpt = "<x@far.example>", .want = "reject",
	.line = 11, .reply = "554 5.7.1 client net refused"},
	{.label = "table: client cidr DEFER", .conf = C_TABLES,
	.client = "203.0.113.77", .rcpt = "<x@far.example>", .want = "tempfail",
	.line = 11, .reply = "451 4.7.1 slow down"},
	{.label = "table: client v6 cidr OK", .conf = C_TABLES,
	.client = "2001:db8:c:1::1", .rcpt = "<x@far.example>", .want = "permit",
	.line = 11},
	{.label = "table: client DUNNO goes on", .conf = C_TABLES,
	.client = "192.0.2.9", .rcpt = "<x@far.example>", .want = "reject",
	.line = 15},
	{.label = "table: client DISCARD", .conf = C_TABLES, .client = "192.0.2.10",
	.rcpt = "<x@far.example>", .want = "discard", .line = 11},
	{.label = "table: client 5NN text", .conf = C_TABLES, .client = "192.0.2.11",
	.rcpt = "<x@far.example>", .want = "reject", .line = 11,
	.reply = "550 5.7.1 bad host"},
	{.label = "table: client-name parent OK", .conf = C_TABLES,
	.client = "11.0.0.1", .cname = "pc.office.example",
	.rcpt = "<x@far.example>", .want = "permit", .line = 12},
	{.label = "table: rcpt in table (mailbox order)", .conf = C_TABLES,
	.client = "11.0.0.1", .rcpt = "<spam+x@far.example>", .want = "permit",
	.line = 13, .relay = R_NO},
	{.label = "table: sender OK", .conf = C_TABLES, .client = "11.0.0.1",
	.sender = "<boss@corp.example>", .rcpt = "<x@far.example>",
	.want = "permit", .line = 14, .relay = R_YES},
	{.label = "table: sender domain REJECT", .conf = C_TABLES,
	.client = "11.0.0.1", .sender = "<other@corp.example>",
	.rcpt = "<x@far.example>", .want = "reject", .line = 14,
	.reply = "554 5.7.1 forged corp sender"},
	{.label = "table: null sender DUNNO", .conf = C_TABLES, .client = "11.0.0.1",
	.sender = "<>", .rcpt = "<x@far.example>", .want = "reject", .line = 15},
	{.label = "table: sender user@ with extension", .conf = C_TABLES,
	.client = "11.0.0.1", .sender = "<tagged+x@any.example>",
	.rcpt = "<x@far.example>", .want = "permit", .line = 14},
	{.label = "table: grant matches", .conf = C_TABLES, .client = "192.0.2.50",
	.rcpt = "<x@far.example>", .want = "permit", .line = 10, .relay = R_YES},
	{.label = "table: expired grant", .conf = C_TABLES, .client = "192.0.2.51",
	.rcpt = "<x@far.example>", .want = "reject", .line = 15},
	{.label = "table: on-error tempfail, missing table", .conf = C_MISSING,
	.client = "11.0.0.1", .rcpt = "<x@far.example>", .want = "tempfail",
	.line = 8, .reply = "451 4.3.0 Temporary lookup failure",
	.lookup_error = R_YES},
	{.label = "table: missing table not reached", .conf = C_MISSING,
	.client = "11.0.0.1", .rcpt = "<x@example.com>", .want = "permit",
	.line = 7, .lookup_error = R_NO},
	{.label = "table: delayed reject keeps priority", .conf = C_MISSING,
	.client = "192.0.2.200", .rcpt = "<x@far.example>", .want = "reject",
	.line = 4},
	{.label = "table: on-error reject, corrupt table", .conf = C_TABLES_REJ,
	.client = "11.0.0.1", .rcpt = "<x@far.example>", .want = "reject",
	.line = 4, .reply = "554 5.7.1 <x@far.example>: Relay access denied",
	.lookup_error = R_YES},
	{.label = "table: on-error accept permits", .conf = C_TABLES_ACC,
	.client = "11.0.0.1", .rcpt = "<x@far.example>", .want = "permit",
	.line = 4, .lookup_error = R_YES},
	{.label = "table: absent client, no lookup", .conf = C_TABLES_ACC,
	.rcpt = "<x@far.example>", .want = "reject", .line = 5,
	.lookup_error = R_NO},
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

/* setup - temporary directory, tables and the configurations */
static void
setup(void)
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

/* teardown - free the rules, remove the directory */
static void
teardown(void)
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

/* verdict_word - the case's name for a verdict */
static const char *
verdict_word(enum rules_verdict v)
{
	return (v == RULES_CONTINUE ? "permit" : rules_verdict_name(v));
}

/* run_session - connect .. target stage; the answer of the last one */
static void
run_session(const struct dcase *c, struct rules *r, struct rules_result *res,
	struct rules_trace *t)
{
	struct rules_session *s = rules_session_new(r);
	struct rules_facts f;
	struct addr a;
	int     st, target = c->at ? c->at - 1 : RULES_RCPT;

	memset(&f, 0, sizeof(f));
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
		ck_assert_int_eq(rules_eval(s, (enum rules_stage) st, &f, res, t), 0);
		if (st < target && (res->verdict == RULES_REJECT ||
		    res->verdict == RULES_TEMPFAIL || res->verdict == RULES_DISCARD))
			break;
	}
	rules_session_free(s);
}

START_TEST(test_decision)
{
	const struct dcase *c = &dcases[_i];
	struct rules_result res;
	struct rules_trace *t = rules_trace_new();
	char    where[RULES_WHERE_MAX], reply[RULES_REPLY_MAX + 32];

	run_session(c, loaded[c->conf], &res, t);
	ck_assert_msg(rules_trace_count(t) > 0, "%s: empty trace", c->label);
	ck_assert_msg(strcmp(verdict_word(res.verdict), c->want) == 0,
	    "%s: verdict %s, want %s (rule %s)", c->label,
	    verdict_word(res.verdict), c->want, res.rule);
	if (c->line)
		snprintf(where, sizeof(where), "%s:%d", confs[c->conf].name,
		    c->line);
	else
		where[0] = '\0';
	ck_assert_msg(strcmp(res.rule, where) == 0, "%s: rule '%s', want '%s'",
	    c->label, res.rule, where);
	if (c->reply) {
		snprintf(reply, sizeof(reply), "%s %s %s", res.code, res.xcode,
		    res.text);
		ck_assert_msg(strcmp(reply, c->reply) == 0,
		    "%s: reply '%s', want '%s'", c->label, reply, c->reply);
	}
	if (res.verdict == RULES_CONTINUE || res.verdict == RULES_ACCEPT ||
	    res.verdict == RULES_DISCARD)
		ck_assert_msg(res.code[0] == '\0', "%s: code for a non-refusal",
		    c->label);
	else
		ck_assert_msg(strlen(res.code) == 3 && res.xcode[0] == res.code[0],
		    "%s: bad code %s %s", c->label, res.code, res.xcode);
	if (c->relay)
		ck_assert_msg(res.relay == (c->relay == R_YES), "%s: relay %d",
		    c->label, res.relay);
	if (c->lookup_error)
		ck_assert_msg(res.lookup_error == (c->lookup_error == R_YES),
		    "%s: lookup_error %d (%s)", c->label, res.lookup_error,
		    res.error);
	if (res.lookup_error)
		ck_assert_msg(res.error[0] != '\0', "%s: no error text", c->label);
	rules_trace_free(t);
}
END_TEST

/* Hostile values in reply expansions. */
static const struct {
	const char *label;
	const char *helo, *sender, *rcpt, *auth, *cname;
	const char *want;
} hostile[] = {
	{"CR LF in helo", "evil\r\n250 OK", "<a@b.example>", "<x@far.example>",
		NULL, NULL,
	"x@far.example from evil250 OK as a@b.example auth  name unknown"},
	{"percent kept", "100%.example", "<a%b@c.example>", "<x%y@far.example>",
		"u%n", NULL,
	"x%y@far.example from 100%.example as a%b@c.example auth u%n name unknown"},
	{"macro text in value", "%{rcpt}", "<%{helo}@x.example>",
		"<x@far.example>", "%{auth}", "%{client}",
	"x@far.example from %{rcpt} as %{helo}@x.example auth %{auth} name %{client}"},
	{"high bytes", "h\xc3\xa9lo.example", "<a@b.example>", "<x@far.example>",
		"\x7f\x01z", NULL,
	"x@far.example from h??lo.example as a@b.example auth z name unknown"},
	{"tab and NUL-free controls", "a\tb\x1b[31m", "<a@b.example>",
		"<x@far.example>", NULL, "mx.example",
	"x@far.example from ab[31m as a@b.example auth  name mx.example"},
};

static const char *const hostile_conf =
"rcpt {\n"
"    permit rcpt-domain = example.com\n"
"    reject \"554 5.7.1 %{rcpt} from %{helo} as %{sender} auth %{auth} name %{client-name}\"\n"
"}\n";

START_TEST(test_hostile)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("hostile.conf", hostile_conf, &errs);
	struct rules_session *s;
	struct rules_facts f;
	struct rules_result res;
	int     st;

	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	memset(&f, 0, sizeof(f));
	f.helo = hostile[_i].helo;
	f.sender = hostile[_i].sender;
	f.rcpt = hostile[_i].rcpt;
	f.auth = hostile[_i].auth;
	f.client_name = hostile[_i].cname;
	s = rules_session_new(r);
	for (st = 0; st <= RULES_RCPT; st++)
		rules_eval(s, (enum rules_stage) st, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_REJECT);
	ck_assert_str_eq(res.text, hostile[_i].want);
	rules_session_free(s);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

START_TEST(test_hostile_long)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("hostile.conf", hostile_conf, &errs);
	struct rules_session *s;
	struct rules_facts f;
	struct rules_result res;
	char    big[2049], rcpt[2100];
	size_t  i;
	int     st;

	ck_assert_ptr_nonnull(r);
	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char) (i % 3 == 0 ? '\r' : i % 3 == 1 ? '\n' : 'a' + i % 26);
	big[sizeof(big) - 1] = '\0';
	memset(rcpt, 'r', sizeof(rcpt));
	memcpy(rcpt, "<", 1);
	snprintf(rcpt + 2000, 100, "@far.example>");
	memset(&f, 0, sizeof(f));
	f.helo = big;
	f.sender = big;
	f.auth = big;
	f.client_name = big;
	f.rcpt = rcpt;
	s = rules_session_new(r);
	for (st = 0; st <= RULES_RCPT; st++)
		rules_eval(s, (enum rules_stage) st, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_REJECT);
	ck_assert_uint_lt(strlen(res.text), RULES_REPLY_MAX);
	for (i = 0; res.text[i]; i++)
		ck_assert_msg((unsigned char) res.text[i] >= ' ' &&
		    (unsigned char) res.text[i] < 0x7f, "byte %zu is %d", i,
		    res.text[i]);
	rules_session_free(s);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

/* The trace says why: each rule tried and the failing condition. */
START_TEST(test_trace_reasons)
{
	struct rules_result res;
	struct rules_trace *t = rules_trace_new();
	struct rules_trace_step st;
	const struct dcase c = {.label = "trace", .conf = C_MAIN,
		.client = "203.0.113.1", .rcpt = "<victim@far.example>"};
	size_t  i, rules_tried = 0;
	int     saw_absent = 0, saw_value = 0, saw_result = 0;

	run_session(&c, loaded[C_MAIN], &res, t);
	for (i = 0; rules_trace_step(t, i, &st) == 0; i++) {
		if (st.stage == RULES_RCPT && st.text[0])
			rules_tried++;
		if (strstr(st.detail, "\"sender in <staff>\" is false (sender: "
		    "absent)"))
			saw_absent = 1;
		if (strstr(st.detail, "\"rcpt-domain in <local>\" is false "
		    "(rcpt-domain: far.example)"))
			saw_value = 1;
		if (strcmp(st.outcome, "result") == 0 && st.stage == RULES_RCPT &&
		    strcmp(st.where, "main.conf:16") == 0)
			saw_result = 1;
	}
	ck_assert_uint_eq(rules_tried, 6);
	ck_assert(saw_absent);
	ck_assert(saw_value);
	ck_assert(saw_result);
	ck_assert_int_eq(rules_trace_step(t, i, &st), -1);
	rules_trace_free(t);
}
END_TEST

/* A session keeps its rules after the loader drops them (reload). */
START_TEST(test_refcount)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load(NULL, &errs);
	struct rules_session *s;
	struct rules_facts f;
	struct rules_result res;
	struct addr a;

	ck_assert_ptr_nonnull(r);
	s = rules_session_new(r);
	rules_unref(r);			/* the "reload" */
	ck_assert_ptr_eq(rules_session_rules(s), r);
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(addr_parse("127.0.0.1", &a), 0);
	f.client = &a;
	rules_eval(s, RULES_CONNECT, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_ACCEPT);
	ck_assert_str_eq(res.rule, "(default):5");
	rules_session_free(s);		/* frees the rules */
	rules_unref(NULL);
	rules_session_free(NULL);
	strbuf_free(&errs);
}
END_TEST

/* The embedded default of spec section 6. */
static const struct {
	const char *label;
	const char *client, *auth, *rcpt, *mailer;
	enum rules_verdict want;
} defcases[] = {
	{"loopback", "127.0.0.1", NULL, "<x@far.example>", "smtp", RULES_ACCEPT},
	{"loopback v6", "::1", NULL, "<x@far.example>", "smtp", RULES_ACCEPT},
	{"auth relays", "192.0.2.1", "alice", "<x@far.example>", "smtp",
	RULES_CONTINUE},
	{"local mailer", "192.0.2.1", NULL, "<x@here.example>", "local",
	RULES_CONTINUE},
	{"virtual mailer", "192.0.2.1", NULL, "<x@here.example>", "virtual",
	RULES_CONTINUE},
	{"lmtp mailer", "192.0.2.1", NULL, "<x@here.example>", "lmtp",
	RULES_CONTINUE},
	{"smtp mailer refused", "192.0.2.1", NULL, "<x@far.example>", "smtp",
	RULES_REJECT},
	{"no mailer refused", "192.0.2.1", NULL, "<x@far.example>", NULL,
	RULES_REJECT},
	{"routed refused", "192.0.2.1", NULL, "<x%far.example@here.example>",
	"local", RULES_REJECT},
};

START_TEST(test_default)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load(NULL, &errs);
	struct rules_session *s;
	struct rules_facts f;
	struct rules_result res;
	struct addr a;
	int     st;

	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	ck_assert_str_eq(rules_source(r), "(default)");
	ck_assert_ptr_nonnull(strstr(rules_default_text(), "rcpt-mailer"));
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(addr_parse(defcases[_i].client, &a), 0);
	f.client = &a;
	f.auth = defcases[_i].auth;
	f.rcpt = defcases[_i].rcpt;
	f.rcpt_mailer = defcases[_i].mailer;
	s = rules_session_new(r);
	for (st = 0; st <= RULES_RCPT; st++)
		rules_eval(s, (enum rules_stage) st, &f, &res, NULL);
	ck_assert_msg(res.verdict == defcases[_i].want, "%s: %s",
	    defcases[_i].label, rules_verdict_name(res.verdict));
	rules_session_free(s);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

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
	ck_assert_int_eq(rules_stage_used(r, RULES_CONNECT), 0);
	ck_assert_int_eq(rules_stage_used(r, RULES_HELO), 0);
	ck_assert_int_eq(rules_stage_used(r, RULES_MAIL), 1);
	ck_assert_int_eq(rules_stage_used(r, RULES_RCPT), 1);
	ck_assert_uint_eq(rules_rule_count(r), 2);
	ck_assert_int_eq(rules_rule_stats(r, 0, &rs), 0);
	ck_assert_str_eq(rs.where, "s.conf:9");
	ck_assert_str_eq(rs.text, "permit sender = a@b.example");
	ck_assert_int_eq(rules_rule_stats(r, 2, &rs), -1);
	{
		struct rules_session *s = rules_session_new(r);
		struct rules_facts f;
		struct rules_result res;
		int     k;

		memset(&f, 0, sizeof(f));
		f.sender = "<a@b.example>";
		f.rcpt = "<x@y.example>";
		for (k = 0; k < 3; k++)
			rules_eval(s, RULES_RCPT, &f, &res, NULL);
		f.sender = "<c@b.example>";
		rules_eval(s, RULES_RCPT, &f, &res, NULL);
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
	ck_assert_int_eq(rules_stage_used(r, RULES_RCPT), 0);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

/* A message end forgets a mail-stage accept and delayed reject. */
START_TEST(test_end_message)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r;
	struct rules_session *s;
	struct rules_facts f;
	struct rules_result res;

	r = rules_load_string("m.conf",
	    "mail {\n accept sender = vip@x.example\n"
	    " reject sender = bad@x.example\n}\n"
	    "rcpt {\n reject\n}\n", &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	s = rules_session_new(r);
	memset(&f, 0, sizeof(f));
	rules_eval(s, RULES_CONNECT, &f, &res, NULL);
	rules_eval(s, RULES_HELO, &f, &res, NULL);
	f.sender = "<vip@x.example>";
	rules_eval(s, RULES_MAIL, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_ACCEPT);
	f.rcpt = "<a@far.example>";
	rules_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_ACCEPT);
	rules_session_end_message(s);
	rules_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_REJECT);
	ck_assert_str_eq(res.rule, "m.conf:6");
	f.sender = "<bad@x.example>";
	rules_eval(s, RULES_MAIL, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_CONTINUE);
	ck_assert_int_eq(rules_session_pending(s), RULES_REJECT);
	rules_session_end_message(s);
	ck_assert_int_eq(rules_session_pending(s), RULES_CONTINUE);
	rules_session_free(s);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

/* Facts kept in the session follow the caller's strings, even when
 * the caller rewrites the same buffer. */
START_TEST(test_cache_reuse)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r;
	struct rules_session *s;
	struct rules_facts f;
	struct rules_result res;
	char    sender[64], helo[64], cname[64];

	r = rules_load_string("c.conf", "rcpt {\n"
	    " permit sender = a@x.example and helo = h1.example\n"
	    " permit sender = b@x.example and client-name = n2.example\n"
	    " reject\n}\n", &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	s = rules_session_new(r);
	memset(&f, 0, sizeof(f));
	f.sender = sender;
	f.helo = helo;
	f.client_name = cname;
	f.rcpt = "<x@far.example>";
	strcpy(sender, "<a@x.example>");
	strcpy(helo, "h1.example");
	strcpy(cname, "n1.example");
	rules_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_str_eq(res.rule, "c.conf:2");
	strcpy(sender, "<b@x.example>");
	rules_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_str_eq(res.rule, "c.conf:4");
	strcpy(cname, "n2.example");
	rules_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_str_eq(res.rule, "c.conf:3");
	strcpy(sender, "<a@x.example>");
	strcpy(helo, "h2.example");
	rules_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_str_eq(res.rule, "c.conf:4");
	/* client-name becomes absent; rule 3 could have permitted. */
	f.client_resolve = "TEMP";
	strcpy(sender, "<b@x.example>");
	rules_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_TEMPFAIL);
	f.client_resolve = "FAIL";
	rules_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_int_eq(res.verdict, RULES_REJECT);
	f.client_resolve = "OK";
	rules_eval(s, RULES_RCPT, &f, &res, NULL);
	ck_assert_str_eq(res.rule, "c.conf:3");
	rules_session_free(s);
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
	struct rules_session *s = rules_session_new(arg);
	struct rules_facts f;
	struct rules_result res;
	struct addr a;
	int     k;

	memset(&f, 0, sizeof(f));
	addr_parse("203.0.113.1", &a);
	f.client = &a;
	for (k = 0; k < NEVALS; k++) {
		f.rcpt = k % 2 ? "<user@example.com>" : "<victim@far.example>";
		rules_eval(s, RULES_RCPT, &f, &res, NULL);
		if (res.verdict != (k % 2 ? RULES_CONTINUE : RULES_REJECT))
			break;
	}
	rules_session_free(s);
	return ((void *) (intptr_t) k);
}

START_TEST(test_threads)
{
	struct rules *r = loaded[C_MAIN];
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

/* The first failure of a table is flagged once, then not. */
START_TEST(test_error_first)
{
	struct rules_session *s = rules_session_new(loaded[C_MISSING]);
	struct rules_facts f;
	struct rules_result res;
	struct addr a;
	int     firsts = 0, k;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(addr_parse("11.0.0.1", &a), 0);
	f.client = &a;
	f.rcpt = "<x@far.example>";
	for (k = 0; k < 3; k++) {
		rules_eval(s, RULES_RCPT, &f, &res, NULL);
		ck_assert_int_eq(res.verdict, RULES_TEMPFAIL);
		ck_assert_int_eq(res.lookup_error, 1);
		firsts += res.error_first;
	}
	ck_assert_int_le(firsts, 1);
	rules_session_free(s);
}
END_TEST

/* rules_load from files: include and list files relative to the file. */
START_TEST(test_load_files)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r;
	char    path[512], sub[512];
	FILE   *fp;

	snprintf(sub, sizeof(sub), "%s/conf.d", tmpdir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/conf.d/nets.list", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("# office networks\n192.0.2.0/24\n\n  198.51.100.7   # one host\n",
	    fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/conf.d/rules.inc", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("permit client in <offices>\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/conf.d/lists.inc", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("list offices file \"nets.list\"\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/main.conf", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("include \"conf.d/lists.inc\"\nrcpt {\n"
	    "    include \"conf.d/rules.inc\"\n    reject\n}\n", fp);
	fclose(fp);
	r = rules_load(path, &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	{
		struct rules_session *s = rules_session_new(r);
		struct rules_facts f;
		struct rules_result res;
		struct addr a;
		char    want[600];

		memset(&f, 0, sizeof(f));
		ck_assert_int_eq(addr_parse("198.51.100.7", &a), 0);
		f.client = &a;
		f.rcpt = "<x@far.example>";
		rules_eval(s, RULES_RCPT, &f, &res, NULL);
		ck_assert_int_eq(res.verdict, RULES_CONTINUE);
		snprintf(want, sizeof(want), "%s/conf.d/rules.inc:1", tmpdir);
		ck_assert_str_eq(res.rule, want);
		ck_assert_int_eq(addr_parse("198.51.100.8", &a), 0);
		rules_eval(s, RULES_RCPT, &f, &res, NULL);
		ck_assert_int_eq(res.verdict, RULES_REJECT);
		rules_session_free(s);
	}
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

Suite *
rules_suite(void)
{
	Suite  *s = suite_create("rules");
	TCase  *tc;

	tc = tcase_create("decision");

	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_decision, 0,
	    (int) (sizeof(dcases) / sizeof(dcases[0])));
	tcase_add_test(tc, test_trace_reasons);
	tcase_add_test(tc, test_error_first);
	tcase_add_test(tc, test_load_files);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("reply");

	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_hostile, 0,
	    (int) (sizeof(hostile) / sizeof(hostile[0])));
	tcase_add_test(tc, test_hostile_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("session");

	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_test(tc, test_refcount);
	tcase_add_loop_test(tc, test_default, 0,
	    (int) (sizeof(defcases) / sizeof(defcases[0])));
	tcase_add_test(tc, test_settings_stats);
	tcase_add_test(tc, test_end_message);
	tcase_add_test(tc, test_cache_reuse);
	suite_add_tcase(s, tc);
	return (s);
}
