/*
 * NAME
 *	check_rules_parse - broken configurations and their exact errors
 * DESCRIPTION
 *	Each case is a configuration with mistakes and the exact text
 *	rules_load_string() must report: every error, in order, as
 *	"file:line:col: error: message", and no rule set. The second
 *	tcase does the same with files: list files, includes (errors are
 *	named by the included file), include loops.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "rules/rules.h"
#include "tests/check_timeout.h"

Suite  *rules_parse_suite(void);

static const struct {
	const char *label;
	const char *text;
	const char *want;
} cases[] = {
	{"unknown statement",
	    "frobnicate yes\n",
	    "t.conf:1:1: error: unknown statement 'frobnicate' (expected a setting, list, table, include or a connect, helo, mail or rcpt block)\n"},
	{"rule outside block",
	    "permit auth\n",
	    "t.conf:1:1: error: rule 'permit' outside a connect, helo, mail or rcpt block\n"},
	{"setting without value",
	    "socket\n",
	    "t.conf:1:7: error: expected a value after socket, found end of line\n"},
	{"on-error value",
	    "on-error maybe\n",
	    "t.conf:1:10: error: expected tempfail, reject or accept, found 'maybe'\n"},
	{"delay-reject value",
	    "delay-reject perhaps\n",
	    "t.conf:1:14: error: expected yes or no, found 'perhaps'\n"},
	{"log-level value",
	    "log-level loud\n",
	    "t.conf:1:11: error: expected error, warning, info or debug, found 'loud'\n"},
	{"milter-timeout value",
	    "milter-timeout forever\n",
	    "t.conf:1:16: error: bad milter-timeout \"forever\" (seconds from 1 to 3600, with an optional unit s or m: 30s, 2m)\n"},
	{"milter-timeout too long",
	    "milter-timeout 2h\n",
	    "t.conf:1:16: error: bad milter-timeout \"2h\" (seconds from 1 to 3600, with an optional unit s or m: 30s, 2m)\n"},
	{"policy-permit value",
	    "policy-permit maybe\n",
	    "t.conf:1:15: error: expected ok or dunno, found 'maybe'\n"},
	{"policy empty",
	    "policy \"\"\n",
	    "t.conf:1:8: error: policy must not be empty\n"},
	{"policy twice",
	    "policy \"unix:/a\"\npolicy \"unix:/b\"\n",
	    "t.conf:2:1: error: policy is already set at t.conf:1\n"},
	{"max-connections zero",
	    "max-connections 0\n",
	    "t.conf:1:17: error: bad max-connections \"0\" (a number from 1 to 60000)\n"},
	{"max-connections unit",
	    "max-connections 5m\n",
	    "t.conf:1:17: error: bad max-connections \"5m\" (a number from 1 to 60000)\n"},
	{"duplicate setting",
	    "user a\nuser b\n",
	    "t.conf:2:1: error: user is already set at t.conf:1\n"},
	{"bad delimiter",
	    "recipient-delimiter \"@\"\n",
	    "t.conf:1:21: error: bad recipient-delimiter \"@\" (one or more characters such as \"+\" or \"+-\"; not @, %, !, quotes or white space)\n"},
	{"empty socket",
	    "socket \"\"\n",
	    "t.conf:1:8: error: socket must not be empty\n"},
	{"setting extra token",
	    "user relayguard extra\n",
	    "t.conf:1:17: error: expected end of line, found 'extra'\n"},
	{"list without name",
	    "list { a }\n",
	    "t.conf:1:6: error: expected a list name after 'list', found '{'\n"},
	{"list bad name",
	    "list bad/name { a }\n",
	    "t.conf:1:6: error: bad list name 'bad/name' (letters, digits, '-', '_', '.')\n"},
	{"list without brace",
	    "list x a b\n",
	    "t.conf:1:8: error: expected '{' or 'file' after list x, found 'a'\n"},
	{"duplicate list",
	    "list x { a }\nlist x { b }\n",
	    "t.conf:2:6: error: duplicate name 'x' (first defined at t.conf:1)\n"},
	{"table named like a list",
	    "list x { a }\ntable x \"/tmp/x.lmdb\"\n",
	    "t.conf:2:7: error: duplicate name 'x' (first defined at t.conf:1)\n"},
	{"table without path",
	    "table t\n",
	    "t.conf:1:8: error: expected 'dynamic' or a quoted file name, found end of line\n"},
	{"dynamic table without path",
	    "table t dynamic\n",
	    "t.conf:1:16: error: expected a quoted file name or 'redis' after 'dynamic', found end of line\n"},
	{"table path unquoted",
	    "table t /var/x\n",
	    "t.conf:1:14: error: unknown flag after /regex/ (only i is known; quote a path or text that starts with '/')\n"},
	{"list file missing",
	    "list x file \"/nonexistent/x.list\"\n",
	    "t.conf:1:13: error: cannot read list file '/nonexistent/x.list': No such file or directory\n"},
	{"list file unquoted",
	    "list x file nowhere\n",
	    "t.conf:1:13: error: expected a quoted file name after 'file', found 'nowhere'\n"},
	{"unterminated item list",
	    "list x { a b\n",
	    "t.conf:2:1: error: expected '}' to close the item list opened at line 1, found end of file\n"},
	{"unterminated string",
	    "user \"abc\n",
	    "t.conf:1:6: error: unterminated string\n"},
	{"bad escape",
	    "user \"a\\qb\"\n",
	    "t.conf:1:8: error: unknown escape in string (only \\\" and \\\\ are escapes)\n"},
	{"include missing",
	    "include \"/nonexistent/inc.conf\"\n",
	    "t.conf:1:9: error: cannot read include file '/nonexistent/inc.conf': No such file or directory\n"},
	{"include unquoted",
	    "include foo\n",
	    "t.conf:1:9: error: expected a quoted file name after 'include', found 'foo'\n"},
	{"stage without brace",
	    "rcpt permit auth\n",
	    "t.conf:1:6: error: expected '{' after rcpt, found 'permit'\n"},
	{"unterminated block",
	    "rcpt {\n  permit auth\n",
	    "t.conf:3:1: error: expected '}' to close the rcpt block opened at line 1, found end of file\n"},
	{"unknown action",
	    "rcpt {\n  allow auth\n}\n",
	    "t.conf:2:3: error: expected an action (permit, accept, reject, tempfail, discard or check), found 'allow'\n"},
	{"unknown fact",
	    "rcpt {\n  permit foo in { a }\n}\n",
	    "t.conf:2:10: error: unknown fact 'foo'\n"},
	{"unknown flag",
	    "rcpt {\n  permit foo\n}\n",
	    "t.conf:2:10: error: unknown fact or flag 'foo'\n"},
	{"fact as flag",
	    "rcpt {\n  permit client\n}\n",
	    "t.conf:2:10: error: fact 'client' needs 'in SET' or '= ITEM', found end of line\n"},
	{"flag with in",
	    "rcpt {\n  permit tls in { a }\n}\n",
	    "t.conf:2:10: error: tls is a flag: it stands alone, without 'in'\n"},
	{"rcpt-domain in helo",
	    "helo {\n  reject rcpt-domain in { example.com }\n}\n",
	    "t.conf:2:10: error: rcpt-domain is not known in the helo stage (it is known from rcpt on)\n"},
	{"auth flag in connect",
	    "connect {\n  reject auth\n}\n",
	    "t.conf:2:10: error: auth is not known in the connect stage (it is known from mail on)\n"},
	{"routed in mail",
	    "mail {\n  reject routed\n}\n",
	    "t.conf:2:10: error: routed is not known in the mail stage (it is known from rcpt on)\n"},
	{"sender in connect",
	    "connect {\n  reject sender = a@b.example\n}\n",
	    "t.conf:2:10: error: sender is not known in the connect stage (it is known from mail on)\n"},
	{"check sender in helo",
	    "table t \"/tmp/t.lmdb\"\nhelo {\n  check sender <t>\n}\n",
	    "t.conf:3:9: error: sender is not known in the helo stage (it is known from mail on)\n"},
	{"domain for client",
	    "connect {\n  reject client in { example.com }\n}\n",
	    "t.conf:2:22: error: 'example.com' is not a valid address item for client: not an address or network (invalid address: \"example.com\")\n"},
	{"host bits set",
	    "connect {\n  reject client in { 192.0.2.1/24 }\n}\n",
	    "t.conf:2:22: error: '192.0.2.1/24' is not a valid address item for client: not an address or network (host bits set beyond the prefix length: \"192.0.2.1/24\")\n"},
	{"network for domain",
	    "rcpt {\n  permit rcpt-domain in { 192.0.2.0/24 }\n}\n",
	    "t.conf:2:27: error: '192.0.2.0/24' is not a valid domain item for rcpt-domain: not a domain\n"},
	{"bad mailbox",
	    "rcpt {\n  permit rcpt in { a@b@c.example }\n}\n",
	    "t.conf:2:20: error: 'a@b@c.example' is not a valid mailbox item for rcpt: not a mailbox (user@domain, user@, @domain or <>)\n"},
	{"regex for address",
	    "connect {\n  reject client in { /^1\\.2/ }\n}\n",
	    "t.conf:2:22: error: /^1\\.2/ is not a valid address item for client: a regular expression cannot match an address (use a network, e.g. 192.0.2.0/24)\n"},
	{"bad regex",
	    "rcpt {\n  permit auth in { /a(/ }\n}\n",
	    "t.conf:2:20: error: /a(/ is not a valid string item for auth: bad regular expression /a(/: Unmatched ( or \\(\n"},
	{"bad regex flag",
	    "rcpt {\n  permit auth in { /a/x }\n}\n",
	    "t.conf:2:23: error: unknown flag after /regex/ (only i is known; quote a path or text that starts with '/')\n"},
	{"unknown set",
	    "rcpt {\n  permit rcpt-domain in <nope>\n}\n",
	    "t.conf:2:25: error: unknown list or table <nope>\n"},
	{"accept in rcpt",
	    "rcpt {\n  accept auth\n}\n",
	    "t.conf:2:3: error: accept is not allowed in rcpt (use permit)\n"},
	{"reject with 4xx",
	    "rcpt {\n  reject \"451 4.7.1 no\"\n}\n",
	    "t.conf:2:10: error: reject needs a 5NN reply code, found 451\n"},
	{"tempfail with 5xx",
	    "rcpt {\n  tempfail \"550 5.7.1 no\"\n}\n",
	    "t.conf:2:12: error: tempfail needs a 4NN reply code, found 550\n"},
	{"xcode class mismatch",
	    "rcpt {\n  reject \"554 4.7.1 no\"\n}\n",
	    "t.conf:2:10: error: enhanced status code 4.7.1 does not match reply code 554\n"},
	{"bad xcode",
	    "rcpt {\n  reject \"554 5.7 no\"\n}\n",
	    "t.conf:2:10: error: bad enhanced status code (expected class.subject.detail, e.g. 5.7.1)\n"},
	{"unknown macro",
	    "rcpt {\n  reject \"554 5.7.1 %{user}\"\n}\n",
	    "t.conf:2:10: error: unknown macro %{user} in reply (known: client, client-name, helo, sender, rcpt, auth, identity, identity-source, rule)\n"},
	{"unterminated macro",
	    "rcpt {\n  reject \"554 5.7.1 %{rcpt\"\n}\n",
	    "t.conf:2:10: error: unterminated %{ in reply\n"},
	{"reply on permit",
	    "rcpt {\n  permit auth \"250 ok\"\n}\n",
	    "t.conf:2:15: error: permit takes no reply text\n"},
	{"reply on discard",
	    "rcpt {\n  discard \"x\"\n}\n",
	    "t.conf:2:11: error: discard takes no reply text\n"},
	{"check a list",
	    "list l { a@b.example }\nrcpt {\n  check sender <l>\n}\n",
	    "t.conf:3:16: error: check needs a table, and <l> is a list (use a rule with 'sender in <l>')\n"},
	{"check a dynamic table",
	    "table d dynamic \"/tmp/x.lmdb\"\nrcpt {\n  check client <d>\n}\n",
	    "t.conf:3:16: error: check needs a static table, and <d> is dynamic (use 'permit client in <d>')\n"},
	{"check without table",
	    "rcpt {\n  check client\n}\n",
	    "t.conf:2:15: error: expected a table <name> after check client, found end of line\n"},
	{"check unknown fact",
	    "table t \"/tmp/t.lmdb\"\nrcpt {\n  check foo <t>\n}\n",
	    "t.conf:3:9: error: unknown fact 'foo'\n"},
	{"dynamic table with sender",
	    "table d dynamic \"/tmp/x.lmdb\"\nrcpt {\n  permit sender in <d>\n}\n",
	    "t.conf:3:20: error: dynamic table <d> holds client addresses: it can only be used with client, not sender\n"},
	{"missing and",
	    "rcpt {\n  permit auth tls\n}\n",
	    "t.conf:2:15: error: expected 'and', a reply string, name, weak-ok, warn or end of line, found 'tls'\n"},
	{"dangling and",
	    "rcpt {\n  permit auth and\n}\n",
	    "t.conf:2:18: error: expected a fact or flag, found end of line\n"},
	{"dangling not",
	    "rcpt {\n  permit not\n}\n",
	    "t.conf:2:13: error: expected a fact or flag, found end of line\n"},
	{"in without set",
	    "rcpt {\n  permit rcpt-domain in\n}\n",
	    "t.conf:2:24: error: expected <name> or { items } after 'in', found end of line\n"},
	{"= without item",
	    "rcpt {\n  permit rcpt-domain =\n}\n",
	    "t.conf:2:23: error: expected an item after '=', found end of line\n"},
	{"= with a set",
	    "rcpt {\n  permit rcpt-domain = <local>\n}\n",
	    "t.conf:2:24: error: expected an item after '=', found <local>\n"},
	{"list item wrong for use",
	    "list local { example.com }\nconnect {\n  reject client in <local>\n}\n",
	    "t.conf:1:14: error: 'example.com' is not a valid address item for client: not an address or network (invalid address: \"example.com\") (list local is used with client at t.conf:3:20)\n"},
	{"bad set reference",
	    "rcpt {\n  permit rcpt-domain in <bad name>\n}\n",
	    "t.conf:2:25: error: bad set reference (expected <name>: letters, digits, '-', '_', '.')\n"},
	{"tab in reply",
	    "rcpt {\n  reject \"554 5.7.1 a\tb\"\n}\n",
	    "t.conf:2:10: error: control character in reply\n"},
	{"non-ASCII reply",
	    "rcpt {\n  reject \"554 5.7.1 d\xc3\xa9j\xc3\xa0 vu\"\n}\n",
	    "t.conf:2:10: error: non-ASCII character in reply (SMTP replies are ASCII)\n"},
	{"three errors",
	    "user a b\nrcpt {\n  permit foo\n  reject \"451 x\"\n}\n",
	    "t.conf:1:8: error: expected end of line, found 'b'\nt.conf:3:10: error: unknown fact or flag 'foo'\nt.conf:4:10: error: reject needs a 5NN reply code, found 451\n"},
	{"stray brace",
	    "}\n",
	    "t.conf:1:1: error: expected a setting, list, table, include or a connect, helo, mail or rcpt block, found '}'\n"},
	{"block in block",
	    "rcpt {\n  connect {\n  }\n}\n",
	    "t.conf:2:3: error: expected an action (permit, accept, reject, tempfail, discard or check), found 'connect'\n"},
	{"stray =",
	    "rcpt {\n  permit = x\n}\n",
	    "t.conf:2:10: error: expected 'and', a reply string, name, weak-ok, warn or end of line, found '='\n"},
	{"regex list for client",
	    "list rx { /x/ }\nconnect {\n  reject client in <rx>\n}\n",
	    "t.conf:1:11: error: /x/ is not a valid address item for client: a regular expression cannot match an address (use a network, e.g. 192.0.2.0/24) (list rx is used with client at t.conf:3:20)\n"},
	{"reply code second digit",
	    "rcpt {\n  reject \"574 5.7.1 x\"\n}\n",
	    "t.conf:2:10: error: bad reply code 574 (the second digit is 0 to 5)\n"},
	{"list name is a set ref",
	    "list <x> { a }\n",
	    "t.conf:1:6: error: expected a list name after 'list', found <x>\n"},
	{"table extra token",
	    "table t \"/tmp/t.lmdb\" extra\n",
	    "t.conf:1:23: error: expected end of line, found 'extra'\n"},
	{"misspelt stage",
	    "rpct {\n}\n",
	    "t.conf:1:1: error: unknown statement 'rpct' (expected a setting, list, table, include or a connect, helo, mail or rcpt block)\n"},
	{"empty string item",
	    "rcpt {\n  permit auth = \"\"\n}\n",
	    "t.conf:2:17: error: '' is not a valid string item for auth: empty string item\n"},
	{"double dot domain",
	    "rcpt {\n  permit rcpt-domain = a..example\n}\n",
	    "t.conf:2:24: error: 'a..example' is not a valid domain item for rcpt-domain: not a domain\n"},
	{"lone dot domain",
	    "rcpt {\n  permit rcpt-domain = .\n}\n",
	    "t.conf:2:24: error: '.' is not a valid domain item for rcpt-domain: not a domain\n"},
	{"lone @ mailbox",
	    "rcpt {\n  permit rcpt = @\n}\n",
	    "t.conf:2:17: error: '@' is not a valid mailbox item for rcpt: not a mailbox (user@domain, user@, @domain or <>)\n"},
	{"bad items on several lines",
	    "rcpt {\n  permit client in {\n    192.0.2.1\n    nope\n    10.0.0.0/8\n    also.bad\n  }\n}\n",
	    "t.conf:4:5: error: 'nope' is not a valid address item for client: not an address or network (invalid address: \"nope\")\nt.conf:6:5: error: 'also.bad' is not a valid address item for client: not an address or network (invalid address: \"also.bad\")\n"},
	{"subdomain literal",
	    "rcpt {\n  permit helo in { .[192.0.2.1] }\n}\n",
	    "t.conf:2:20: error: '.[192.0.2.1]' is not a valid domain item for helo: an address literal has no subdomains\n"},
	{"v6 prefix too long",
	    "connect {\n  reject client in { 2001:db8::/129 }\n}\n",
	    "t.conf:2:22: error: '2001:db8::/129' is not a valid address item for client: not an address or network (prefix length too long: \"2001:db8::/129\")\n"},
	{"unknown escape in middle",
	    "rcpt {\n  reject \"554 5.7.1 \\n\"\n}\n",
	    "t.conf:2:21: error: unknown escape in string (only \\\" and \\\\ are escapes)\n"},
	{"control char",
	    "user a\x01""b\n",
	    "t.conf:1:7: error: control character\n"},
	{"check with conditions",
	    "table t \"/tmp/t.lmdb\"\nrcpt {\n  check client <t> and auth\n}\n",
	    "t.conf:3:20: error: expected name, weak-ok, warn or end of line, found 'and'\n"},
	{"rule after brace same line",
	    "rcpt {\n  permit auth } permit tls\n",
	    "t.conf:2:17: error: expected end of line, found 'permit'\n"},
	{"rule name used twice",
	    "rcpt {\n  permit auth name \"users\"\n  permit tls name \"users\"\n}\n",
	    "t.conf:3:19: error: rule name \"users\" is already used at t.conf:2\n"},
	{"rule name used twice in two blocks",
	    "mail {\n  permit auth name \"a\"\n}\nrcpt {\n  reject name \"a\"\n}\n",
	    "t.conf:5:15: error: rule name \"a\" is already used at t.conf:2\n"},
	{"rule name with a space",
	    "rcpt {\n  permit auth name \"my users\"\n}\n",
	    "t.conf:2:20: error: rule name \"my users\": use 1 to 64 letters, digits, '.', '_' and '-'\n"},
	{"rule name empty",
	    "rcpt {\n  permit auth name \"\"\n}\n",
	    "t.conf:2:20: error: rule name \"\": use 1 to 64 letters, digits, '.', '_' and '-'\n"},
	{"rule name a label",
	    "rcpt {\n  permit tls name users\n}\n",
	    "t.conf:2:19: error: expected a quoted rule name after 'name', found 'users'\n"},
	{"rule name missing",
	    "rcpt {\n  permit tls name\n}\n",
	    "t.conf:2:18: error: expected a quoted rule name after 'name', found end of line\n"},
	{"rule name then more",
	    "rcpt {\n  reject name \"x\" \"554 5.7.1 no\"\n}\n",
	    "t.conf:2:19: error: expected 'and', a reply string, name, weak-ok, warn or end of line, found string \"554 5.7.1 no\"\n"},
};

START_TEST(test_broken)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r;

	r = rules_load_string("t.conf", cases[_i].text, &errs);
	ck_assert_msg(r == NULL, "%s: loaded", cases[_i].label);
	ck_assert_msg(strcmp(strbuf_str(&errs), cases[_i].want) == 0,
	    "%s:\ngot:\n%swant:\n%s", cases[_i].label, strbuf_str(&errs),
	    cases[_i].want);
	strbuf_free(&errs);
}
END_TEST

/* Good configurations load (and say so in the same words as check). */
static const struct {
	const char *label;
	const char *text;
	size_t  rules;
} good[] = {
	{"empty", "", 0},
	{"comments only", "# nothing\n   # at all\n", 0},
	{"one-line block", "rcpt { permit auth }\n", 1},
	{"brace on next line", "rcpt\n{\n  reject\n}\n", 1},
	{"crlf line ends", "rcpt {\r\n  permit auth\r\n  reject\r\n}\r\n", 2},
	{"multi-line set with comments",
	"rcpt {\n  permit client in { # offices\n 192.0.2.0/24\n"
	"  2001:db8::/32 # v6\n }\n}\n", 1},
	{"forward reference", "rcpt {\n permit rcpt-domain in <later>\n}\n"
	"list later { example.com }\n", 1},
	{"named rules", "table t \"/nonexistent/t.lmdb\"\n"
	"rcpt {\n permit auth name \"sasl-users\"\n"
	" permit client in { 192.0.2.0/24 } and tls name \"office.v4_tls\"\n"
	" check client <t> name \"client-table\"\n"
	" reject \"554 5.7.1 no\" name \"relay-denied\"\n"
	" reject name \"last\"\n}\n", 5},
	{"escapes", "rcpt {\n reject \"554 5.7.1 say \\\"no\\\" \\\\ 100%\"\n}\n", 1},
	{"same list, two types", "list l { example.com }\n"
	"rcpt {\n permit helo in <l>\n permit rcpt in <l>\n}\n", 2},
	{"percent text and macros",
	"rcpt {\n reject \"554 5.7.1 %-hack %{rcpt} %{rule} 50%\"\n}\n", 1},
	{"reply without code", "mail {\n tempfail \"later please\"\n}\n", 1},
	{"every setting", "socket \"inet:1@127.0.0.1\"\ncontrol x\nuser u\n"
	"on-error accept\ndelay-reject off\nrecipient-delimiter \"+-\"\n"
	"log-level warning\nmilter-timeout 2m\nmax-connections 100\n", 0},
};

START_TEST(test_good)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r;

	r = rules_load_string("g.conf", good[_i].text, &errs);
	ck_assert_msg(r != NULL, "%s: %s", good[_i].label, strbuf_str(&errs));
	ck_assert_str_eq(strbuf_str(&errs), "");
	ck_assert_uint_eq(rules_rule_count(r), good[_i].rules);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

START_TEST(test_long_reply)
{
	struct strbuf errs = STRBUF_INIT, text = STRBUF_INIT;
	int     i;

	strbuf_puts(&text, "rcpt {\n  reject \"554 5.7.1 ");
	for (i = 0; i < 401; i++)
		strbuf_putc(&text, 'x');
	strbuf_puts(&text, "\"\n}\n");
	ck_assert_ptr_null(rules_load_string("t.conf", strbuf_str(&text), &errs));
	ck_assert_str_eq(strbuf_str(&errs),
	    "t.conf:2:10: error: reply text longer than 400 characters\n");
	strbuf_free(&errs);
	strbuf_free(&text);
}
END_TEST

static char dir[256];

/* put - write a file under dir */
static void
put(const char *name, const char *text)
{
	char    path[512];
	FILE   *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

/* Files: each case writes its files, loads main.conf, wants errors. */
static const struct {
	const char *label;
	const char *files[3][2];	/* name, text */
	const char *want;		/* @ stands for the directory */
} fcases[] = {
	{"bad line in list file",
		{{"nets.list", "# offices\n192.0.2.0/24\n\n  not-an-address  # typo\n"},
		{"main.conf", "list nets file \"nets.list\"\n"
			"connect {\n  accept client in <nets>\n}\n"}},
	"@/nets.list:4:3: error: 'not-an-address' is not a valid address item "
	"for client: not an address or network (invalid address: "
	"\"not-an-address\") (list nets is used with client at "
	"@/main.conf:3:20)\n"},
	{"regex line in list file",
		{{"rx.list", "/^mx/i\n/bad(/\n"},
		{"main.conf", "list rx file \"rx.list\"\nhelo {\n  reject helo in <rx>\n}\n"}},
	"@/rx.list:2:1: error: /bad(/ is not a valid domain item for helo: bad "
	"regular expression /bad(/: Unmatched ( or \\( (list rx is used with "
	"helo at @/main.conf:3:18)\n"},
	{"error in included file",
		{{"inc.conf", "# included\nuser a\nuser b\n"},
		{"main.conf", "include \"inc.conf\"\n"}},
	"@/inc.conf:3:1: error: user is already set at @/inc.conf:2\n"},
	{"include loop",
		{{"a.conf", "include \"main.conf\"\n"},
		{"main.conf", "include \"a.conf\"\n"}},
	"@/a.conf:1:9: error: include loop: '@/main.conf' is already being "
	"read\n"},
	{"self include",
		{{"main.conf", "rcpt {\n  reject\n}\ninclude \"main.conf\"\n"}},
	"@/main.conf:4:9: error: include loop: '@/main.conf' is already being "
	"read\n"},
	{"include in block, bad rule",
		{{"r.inc", "permit auth\npermit nothing\n"},
		{"main.conf", "rcpt {\n  include \"r.inc\"\n  reject\n}\n"}},
	"@/r.inc:2:8: error: unknown fact or flag 'nothing'\n"},
	{"brace in included rules",
		{{"r.inc", "permit auth\n}\n"},
		{"main.conf", "rcpt {\n  include \"r.inc\"\n}\n"}},
	"@/r.inc:2:1: error: expected a rule ('}' closes a block only in the "
	"file that opened it), found '}'\n"},
	{"directory as list file",
		{{"main.conf", "list x file \".\"\n"}},
	"@/main.conf:1:13: error: cannot read list file '@/.': Is a directory\n"},
};

/* subst - replace each @ of want by dir */
static char *
subst(const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *want; want++) {
		if (*want == '@' && (want[1] == '/'))
			strbuf_puts(&sb, dir);
		else
			strbuf_putc(&sb, *want);
	}
	return (strbuf_detach(&sb));
}

START_TEST(test_files)
{
	struct strbuf errs = STRBUF_INIT;
	char    path[512], *want;
	int     k;

	snprintf(dir, sizeof(dir), "/tmp/check_rules_parse.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (k = 0; k < 3 && fcases[_i].files[k][0]; k++)
		put(fcases[_i].files[k][0], fcases[_i].files[k][1]);
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	ck_assert_ptr_null(rules_load(path, &errs));
	want = subst(fcases[_i].want);
	ck_assert_msg(strcmp(strbuf_str(&errs), want) == 0, "%s:\ngot:\n%swant:\n%s",
	    fcases[_i].label, strbuf_str(&errs), want);
	free(want);
	strbuf_free(&errs);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

START_TEST(test_missing_file)
{
	struct strbuf errs = STRBUF_INIT;

	ck_assert_ptr_null(rules_load("/nonexistent/relayguard.conf", &errs));
	ck_assert_str_eq(strbuf_str(&errs), "/nonexistent/relayguard.conf: "
	    "error: cannot read the configuration file: No such file or directory\n");
	strbuf_free(&errs);
}
END_TEST

Suite *
rules_parse_suite(void)
{
	Suite  *s = suite_create("rules_parse");
	TCase  *tc;

	tc = tcase_create("broken");

	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_broken, 0,
	    (int) (sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_long_reply);
	tcase_add_loop_test(tc, test_good, 0,
	    (int) (sizeof(good) / sizeof(good[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("files");

	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_files, 0,
	    (int) (sizeof(fcases) / sizeof(fcases[0])));
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);
	return (s);
}
