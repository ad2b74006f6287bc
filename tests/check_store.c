/*
 * NAME
 *	check_store - unit tests of store/ (tables and grants)
 * SYNOPSIS
 *	Suite *store_suite(void)
 * DESCRIPTION
 *	Tables are built in a private directory under $TMPDIR with
 *	store_compile(). The concurrency tests fork: LMDB environments
 *	are opened only after the fork, in the process that uses them.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "store/store.h"
#include "store/store_int.h"
#include "tests/check_timeout.h"

Suite  *store_suite(void);

static char dir[256];

/* setup - a fresh scratch directory */
static void
setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/rgstore.XXXXXX", t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* teardown - remove the scratch directory */
static void
teardown(void)
{
	char    cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* path_of - a file in the scratch directory */
static char *
path_of(const char *name)
{
	static char buf[4][300];
	static int n;
	char   *p = buf[n++ % 4];

	snprintf(p, 300, "%s/%s", dir, name);
	return (p);
}

struct diags {
	struct strbuf sb;
};

/* collect - gather diagnostics one a line */
static void
collect(void *arg, const char *msg)
{
	struct diags *d = arg;

	strbuf_puts(&d->sb, msg);
	strbuf_putc(&d->sb, '\n');
}

/* compile_text - compile text into dst; returns store_compile()'s code */
static int
compile_text(const char *text, const char *dst, struct strbuf *diag)
{
	struct store_compile_hooks hooks;
	struct diags d = {STRBUF_INIT};
	char   *buf = xstrdup(text);
	char    err[512];
	int     rc;

	memset(&hooks, 0, sizeof(hooks));
	hooks.diag = collect;
	hooks.arg = &d;
	rc = store_compile("src", buf, strlen(buf), dst, &hooks, NULL, err,
	    sizeof(err));
	if (rc < 0)
		fprintf(stderr, "compile: %s\n", err);
	free(buf);
	if (diag != NULL)
		strbuf_puts(diag, d.sb.s ? d.sb.s : "");
	strbuf_free(&d.sb);
	return (rc);
}

/* ---- store_action_parse ---- */

static const struct {
	const char *label;
	const char *value;
	int     rc;
	enum store_action act;
	const char *code;
	const char *xcode;
	const char *text;
} actions[] = {
	{"ok", "OK", 0, STORE_OK, "", "", ""},
	{"ok lower", "ok", 0, STORE_OK, "", "", ""},
	{"relay", "RELAY", 0, STORE_OK, "", "", ""},
	{"digits", "1700000000", 0, STORE_OK, "", "", ""},
	{"digits look like code", "550", 0, STORE_OK, "", "", ""},
	{"reject", "REJECT", 0, STORE_REJECT, "", "", ""},
	{"reject text", "REJECT go away", 0, STORE_REJECT, "", "", "go away"},
	{"reject xcode", "REJECT 5.7.1 no", 0, STORE_REJECT, "", "5.7.1", "no"},
	{"5NN", "554 5.7.1 Denied here", 0, STORE_REJECT, "554", "5.7.1",
	"Denied here"},
	{"5NN text", "550 not here", 0, STORE_REJECT, "550", "", "not here"},
	{"defer", "DEFER later", 0, STORE_TEMPFAIL, "", "", "later"},
	{"tempfail", "TEMPFAIL 4.7.1 later", 0, STORE_TEMPFAIL, "", "4.7.1",
	"later"},
	{"4NN", "451 4.3.0 try later", 0, STORE_TEMPFAIL, "451", "4.3.0",
	"try later"},
	{"discard", "DISCARD", 0, STORE_DISCARD, "", "", ""},
	{"discard text", "DISCARD spam", 0, STORE_DISCARD, "", "", "spam"},
	{"dunno", "DUNNO", 0, STORE_DUNNO, "", "", ""},
	{"ok text", "OK fine", -1, 0, "", "", ""},
	{"dunno text", "DUNNO x", -1, 0, "", "", ""},
	{"hold", "HOLD", -1, 0, "", "", ""},
	{"filter", "FILTER smtp:[127.0.0.1]:10025", -1, 0, "", "", ""},
	{"redirect", "REDIRECT a@b", -1, 0, "", "", ""},
	{"prepend", "PREPEND X-Foo: bar", -1, 0, "", "", ""},
	{"bcc", "BCC a@b", -1, 0, "", "", ""},
	{"warn", "WARN hmm", -1, 0, "", "", ""},
	{"info", "INFO hmm", -1, 0, "", "", ""},
	{"restriction", "permit_mynetworks", -1, 0, "", "", ""},
	{"restriction 2", "reject_unauth_destination", -1, 0, "", "", ""},
	{"defer_if_permit", "DEFER_IF_PERMIT x", -1, 0, "", "", ""},
	{"2NN", "250 ok", -1, 0, "", "", ""},
	{"4 digit code", "4510 x", -1, 0, "", "", ""},
	{"wrong xcode class", "550 4.7.1 x", -1, 0, "", "", ""},
	{"bad xcode", "REJECT 5.x.1 x", -1, 0, "", "", ""},
	{"empty", "", -1, 0, "", "", ""},
	{"unknown", "MAYBE", -1, 0, "", "", ""},
};

START_TEST(test_action_parse)
{
	enum store_action act = STORE_DUNNO;
	char    code[4], xcode[16], err[256];
	const char *text = NULL;
	int     rc;

	rc = store_action_parse(actions[_i].value, &act, code, xcode, &text,
	    err, sizeof(err));
	ck_assert_msg(rc == actions[_i].rc, "%s: rc %d (%s)",
	    actions[_i].label, rc, rc ? err : "");
	if (rc == 0) {
		ck_assert_int_eq(act, actions[_i].act);
		ck_assert_str_eq(code, actions[_i].code);
		ck_assert_str_eq(xcode, actions[_i].xcode);
		ck_assert_str_eq(text, actions[_i].text);
	} else
		ck_assert_msg(err[0] != 0, "%s: no reason", actions[_i].label);
}
END_TEST

/* ---- compile diagnostics ---- */

static const char bad_src[] =
	"# every line below but the OK ones is wrong\n"
	"a.example OK\n"
	"b.example HOLD\n"
	"c.example FILTER smtp:x\n"
	"d.example REDIRECT a@b\n"
	"e.example PREPEND X: y\n"
	"f.example BCC a@b\n"
	"g.example WARN w\n"
	"h.example INFO i\n"
	"i.example permit_mynetworks\n"
	"j.example\n"
	"  continued OK\n"
	"192.0.2.1/24 OK\n"
	"192.0.2.0/33 OK\n"
	"k.example 250 fine\n"
	"l.example OK\n"
	"a.example REJECT dup\n"
	"2001:0db8:6 OK\n";

static const struct {
	const char *label;
	const char *want;
} bad_diags[] = {
	{"HOLD", "src:3: error: b.example: unsupported action HOLD"},
	{"FILTER", "src:4: error: c.example: unsupported action FILTER"},
	{"REDIRECT", "src:5: error: d.example: unsupported action REDIRECT"},
	{"PREPEND", "src:6: error: e.example: unsupported action PREPEND"},
	{"BCC", "src:7: error: f.example: unsupported action BCC"},
	{"WARN", "src:8: error: g.example: unsupported action WARN"},
	{"INFO", "src:9: error: h.example: unsupported action INFO"},
	{"restriction", "src:10: error: i.example: unsupported action"},
	{"continued key", "src:11: error: j.example: unknown action \"continued\""},
	{"host bits", "src:13: error: bad CIDR key 192.0.2.1/24"},
	{"bad length", "src:14: error: bad CIDR key 192.0.2.0/33"},
	{"2NN", "src:15: error: k.example: reply code 250"},
	{"dup", "src:17: warning: duplicate key \"a.example\""},
	{"v6 zero", "src:18: warning: 2001:0db8:6: an IPv6 network key with "
	"a leading zero never matches"},
};

START_TEST(test_compile_errors)
{
	struct strbuf d = STRBUF_INIT;
	struct store *s;
	char    err[256];
	char    val[64];
	struct store_error se;

	/* Nothing is written: the table does not exist afterwards. */
	ck_assert_int_eq(compile_text(bad_src, path_of("bad.lmdb"), &d), 1);
	ck_assert_msg(strstr(d.s, bad_diags[_i].want) != NULL,
	    "%s: want \"%s\" in:\n%s", bad_diags[_i].label, bad_diags[_i].want,
	    d.s);
	ck_assert_int_eq(access(path_of("bad.lmdb"), F_OK), -1);
	ck_assert_int_eq(store_open(path_of("bad.lmdb"), 0, &s, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(store_lookup(s, STORE_EXACT, "a.example", NULL, val,
	    sizeof(val), NULL, 0, &se), -1);
	store_close(s);
	strbuf_free(&d);
}
END_TEST

/* A Postfix file with comments, continuation lines, every action. */
static const char postfix_src[] =
	"# /etc/postfix/client_access\n"
	"\n"
	"192.0.2.7        OK\n"
	"192.0.2          REJECT\n"
	"   # a comment inside\n"
	"198.51.100.0/24  554 5.7.1 This network\n"
	"    is not welcome\n"
	"2001:DB8::/32    DEFER 4.7.1 try later\n"
	"2001:db8:0::7    RELAY\n"
	"spam.example     DISCARD\n"
	"Mail.Example.COM TEMPFAIL\n"
	"friend.example   1700000000\n"
	"host.example     451 4.3.0 later\n"
	"dunno.example\tDUNNO\n"
	"user@sender.example  REJECT 5.7.1 forged\n"
	"<>               REJECT no bounces here\n"
	"postmaster@      OK\n"
	"[2001:db8:5::]/48 REJECT bracketed\n";

static const struct {
	const char *label;
	enum store_fact fact;
	const char *key;
	int     rc;
	const char *val;
	const char *matched;
} postfix_cases[] = {
	{"address", STORE_CLIENT, "192.0.2.7", 1, "OK", "192.0.2.7"},
	{"network", STORE_CLIENT, "192.0.2.8", 1, "REJECT", "192.0.2"},
	{"continued", STORE_CLIENT, "198.51.100.9", 1,
	"554 5.7.1 This network is not welcome", "198.51.100.0/24"},
	{"v6 cidr", STORE_CLIENT, "2001:db8::1", 1, "DEFER 4.7.1 try later",
	"2001:db8::/32"},
	{"v6 exact", STORE_CLIENT, "2001:DB8::7", 1, "RELAY", "2001:db8::7"},
	{"mapped", STORE_CLIENT, "::ffff:192.0.2.7", 1, "OK", "192.0.2.7"},
	{"no", STORE_CLIENT, "203.0.113.1", 0, "", ""},
	{"discard", STORE_DOMAIN, "spam.example", 1, "DISCARD", "spam.example"},
	{"lowercased", STORE_DOMAIN, "MAIL.example.com.", 1, "TEMPFAIL",
	"mail.example.com"},
	{"digits", STORE_DOMAIN, "a.friend.example", 1, "1700000000",
	"friend.example"},
	{"4NN", STORE_DOMAIN, "host.example", 1, "451 4.3.0 later",
	"host.example"},
	{"dunno", STORE_DOMAIN, "dunno.example", 1, "DUNNO", "dunno.example"},
	{"sender", STORE_MAILBOX, "User@sender.example", 1,
	"REJECT 5.7.1 forged", "user@sender.example"},
	{"null sender", STORE_MAILBOX, "<>", 1, "REJECT no bounces here", "<>"},
	{"user@", STORE_MAILBOX, "postmaster@any.example", 1, "OK",
	"postmaster@"},
	{"exact miss", STORE_EXACT, "192.0.2.8", 0, "", ""},
	{"bracketed cidr", STORE_CLIENT, "2001:db8:5::1", 1, "REJECT bracketed",
	"2001:db8:5::/48"},
};

START_TEST(test_postfix_file)
{
	struct store *s;
	struct store_error se;
	char    err[256], val[STORE_VALUE_MAX], m[STORE_KEY_MAX + 1];
	int     rc;

	ck_assert_int_eq(compile_text(postfix_src, path_of("pf.lmdb"), NULL),
	    0);
	ck_assert_int_eq(store_open(path_of("pf.lmdb"), 0, &s, err,
	    sizeof(err)), 0);
	val[0] = m[0] = 0;
	rc = store_lookup(s, postfix_cases[_i].fact, postfix_cases[_i].key,
	    "+", val, sizeof(val), m, sizeof(m), &se);
	ck_assert_msg(rc == postfix_cases[_i].rc, "%s: rc %d %s",
	    postfix_cases[_i].label, rc, se.msg);
	if (rc == 1) {
		ck_assert_str_eq(val, postfix_cases[_i].val);
		ck_assert_str_eq(m, postfix_cases[_i].matched);
	}
	store_close(s);
}
END_TEST

/* ---- lookup order: every level present, the most specific wins ---- */

static const char order_src[] =
	"192.0.2.7 1\n"
	"192.0.2 2\n"
	"192.0 3\n"
	"192 4\n"
	"192.0.0.0/8 5\n"
	"192.0.0.0/16 6\n"
	"192.0.2.0/24 7\n"
	"193.0.0.0/8 8\n"
	"193.0.0.0/16 9\n"
	"193.0.2.0/24 10\n"
	"193.0.2.128/25 11\n"
	"193.0.2.200/32 12\n"
	"0.0.0.0/0 13\n"
	"2001:db8::7 20\n"
	"2001:db8::/32 21\n"
	"2001:db8:1::/48 22\n"
	"::/0 23\n"
	"2001:db8:6 24\n"
	"2001:db8:6:7 25\n"
	"3fff 26\n"
	"2001:db8:6::5 27\n"
	"2001:db8:1:5 28\n"
	"host.sub.d.test 30\n"
	".sub.d.test 31\n"
	"sub.d.test 32\n"
	".d.test 33\n"
	"d.test 34\n"
	"test 35\n"
	"[192.0.2.1] 36\n"
	"a+t@m.test 40\n"
	"a@m.test 41\n"
	"m.test 42\n"
	".m.test 43\n"
	"a+t@ 44\n"
	"a@ 45\n"
	"q+t@ 46\n"
	"q@ 47\n"
	"<> 48\n";

static const struct {
	const char *label;
	enum store_fact fact;
	const char *key;
	const char *delims;
	const char *want;		/* NULL: not found */
} order_cases[] = {
	{"full address", STORE_CLIENT, "192.0.2.7", NULL, "1"},
	{"net 3", STORE_CLIENT, "192.0.2.8", NULL, "2"},
	{"net 2", STORE_CLIENT, "192.0.3.1", NULL, "3"},
	{"net 1", STORE_CLIENT, "192.1.0.1", NULL, "4"},
	{"cidr /32", STORE_CLIENT, "193.0.2.200", NULL, "12"},
	{"cidr /25", STORE_CLIENT, "193.0.2.201", NULL, "11"},
	{"cidr /24", STORE_CLIENT, "193.0.2.1", NULL, "10"},
	{"cidr /16", STORE_CLIENT, "193.0.3.1", NULL, "9"},
	{"cidr /8", STORE_CLIENT, "193.1.0.1", NULL, "8"},
	{"cidr /0", STORE_CLIENT, "8.8.8.8", NULL, "13"},
	{"mapped v4", STORE_CLIENT, "::ffff:193.0.2.201", NULL, "11"},
	{"v6 full", STORE_CLIENT, "2001:db8:0:0:0:0:0:7", NULL, "20"},
	{"v6 /48", STORE_CLIENT, "2001:db8:1::9", NULL, "22"},
	{"v6 /32", STORE_CLIENT, "2001:db8:2::9", NULL, "21"},
	{"v6 /0", STORE_CLIENT, "2001:db9::1", NULL, "23"},
	{"v6 never v4 /0", STORE_CLIENT, "::2", NULL, "23"},
	/* access(5): the compressed text cut at each ':' (issue 11.7) */
	{"v6 net 3 fields", STORE_CLIENT, "2001:db8:6::1", NULL, "24"},
	{"v6 net longest", STORE_CLIENT, "2001:db8:6:7::1", NULL, "25"},
	{"v6 net via ::", STORE_CLIENT, "2001:db8:6:8:1:2:3:4", NULL, "24"},
	{"v6 net 1 field", STORE_CLIENT, "3fff::1", NULL, "26"},
	{"v6 full before net", STORE_CLIENT, "2001:db8:6::5", NULL, "27"},
	{"v6 net before cidr", STORE_CLIENT, "2001:db8:1:5::9", NULL, "28"},
	{"v6 net whole fields", STORE_CLIENT, "2001:db8:60::1", NULL, "21"},
	{"v6 net uncompressed", STORE_CLIENT, "2001:db8:6:0:0:0:0:1", NULL,
	"24"},
	{"domain exact", STORE_DOMAIN, "host.sub.d.test", NULL, "30"},
	{"subdomain key first", STORE_DOMAIN, "x.sub.d.test", NULL, "31"},
	{"domain itself", STORE_DOMAIN, "sub.d.test", NULL, "32"},
	{"parent dot", STORE_DOMAIN, "x.d.test", NULL, "33"},
	{"parent", STORE_DOMAIN, "d.test", NULL, "34"},
	{"tld", STORE_DOMAIN, "other.test", NULL, "35"},
	{"trailing dot", STORE_DOMAIN, "D.Test.", NULL, "34"},
	{"literal", STORE_DOMAIN, "[192.0.2.1]", NULL, "36"},
	{"literal no parent", STORE_DOMAIN, "[192.0.2.2]", NULL, NULL},
	{"miss", STORE_DOMAIN, "example.org", NULL, NULL},
	{"mbox full", STORE_MAILBOX, "a+t@m.test", "+", "40"},
	{"mbox base", STORE_MAILBOX, "a+x@m.test", "+", "41"},
	{"mbox base plain", STORE_MAILBOX, "a@m.test", "+", "41"},
	{"mbox no delims", STORE_MAILBOX, "a+x@m.test", NULL, "42"},
	{"mbox other delim", STORE_MAILBOX, "a-x@m.test", "+-", "41"},
	{"mbox domain", STORE_MAILBOX, "b@m.test", "+", "42"},
	{"mbox subdomain", STORE_MAILBOX, "a+t@x.m.test", "+", "43"},
	{"mbox domain parents", STORE_MAILBOX, "z@y.sub.d.test", "+", "31"},
	{"mbox user+tag@", STORE_MAILBOX, "a+t@zz.example", "+", "44"},
	{"mbox user@", STORE_MAILBOX, "a+u@zz.example", "+", "45"},
	{"mbox q+t@", STORE_MAILBOX, "q+t@zz.example", "+", "46"},
	{"mbox q@", STORE_MAILBOX, "q+z@zz.example", "+", "47"},
	{"mbox q@ plain", STORE_MAILBOX, "q@zz.example", "+", "47"},
	{"mbox case", STORE_MAILBOX, "A+T@M.Test", "+", "40"},
	{"mbox unqualified", STORE_MAILBOX, "q+t", "+", "46"},
	{"null sender", STORE_MAILBOX, "<>", "+", "48"},
	{"null sender empty", STORE_MAILBOX, "", "+", "48"},
	{"mbox miss", STORE_MAILBOX, "x@zz.example", "+", NULL},
	{"exact", STORE_EXACT, "192.0.2", NULL, "2"},
	{"exact miss", STORE_EXACT, "192.0.2.8", NULL, NULL},
	{"exact cidr", STORE_EXACT, "193.0.2.128/25", NULL, "11"},
	{"exact cidr miss", STORE_EXACT, "193.0.2.0/25", NULL, NULL},
};

START_TEST(test_lookup_order)
{
	struct store *s;
	struct store_error se;
	char    err[256], val[64];
	int     rc;

	ck_assert_int_eq(compile_text(order_src, path_of("o.lmdb"), NULL), 0);
	ck_assert_int_eq(store_open(path_of("o.lmdb"), 0, &s, err,
	    sizeof(err)), 0);
	rc = store_lookup(s, order_cases[_i].fact, order_cases[_i].key,
	    order_cases[_i].delims, val, sizeof(val), NULL, 0, &se);
	if (order_cases[_i].want == NULL)
		ck_assert_msg(rc == 0, "%s: rc %d val %s", order_cases[_i].label,
		    rc, rc == 1 ? val : se.msg);
	else {
		ck_assert_msg(rc == 1, "%s: rc %d %s", order_cases[_i].label,
		    rc, se.msg);
		ck_assert_msg(strcmp(val, order_cases[_i].want) == 0,
		    "%s: got %s want %s", order_cases[_i].label, val,
		    order_cases[_i].want);
	}
	store_close(s);
}
END_TEST

/* A CIDR-only table: the address order falls through to it. */
START_TEST(test_lookup_addr)
{
	struct store *s, *s2;
	struct store_error se;
	struct addr a;
	char    err[256], val[64], m[64];

	ck_assert_int_eq(compile_text("10.0.0.0/8 REJECT\n10.1.0.0/16 OK\n",
	    path_of("c.lmdb"), NULL), 0);
	ck_assert_int_eq(store_open(path_of("c.lmdb"), 0, &s, err,
	    sizeof(err)), 0);
	/* A second open shares the environment. */
	ck_assert_int_eq(store_open(path_of("c.lmdb"), 0, &s2, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(store_path(s2), path_of("c.lmdb"));
	ck_assert_int_eq(addr_parse("10.1.2.3", &a), 0);
	ck_assert_int_eq(store_lookup_addr(s, &a, val, sizeof(val), m,
	    sizeof(m), &se), 1);
	ck_assert_str_eq(val, "OK");
	ck_assert_str_eq(m, "10.1.0.0/16");
	store_close(s);
	ck_assert_int_eq(addr_parse("10.2.2.3", &a), 0);
	ck_assert_int_eq(store_lookup_addr(s2, &a, val, sizeof(val), m,
	    sizeof(m), &se), 1);
	ck_assert_str_eq(val, "REJECT");
	ck_assert_int_eq(addr_parse("11.2.2.3", &a), 0);
	ck_assert_int_eq(store_lookup_addr(s2, &a, val, sizeof(val), m,
	    sizeof(m), &se), 0);
	store_close(s2);
}
END_TEST

/* ---- failures ---- */

/* corrupt - overwrite the start of a file */
static void
corrupt(const char *path, off_t at, size_t n)
{
	char    junk[8192];
	int     fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	memset(junk, 0x5a, sizeof(junk));
	ck_assert_int_eq(pwrite(fd, junk, n, at), (ssize_t) n);
	close(fd);
}

static const struct {
	const char *label;
	int     how;		/* 0 missing, 1 header junk, 2 truncated, 3 empty, 4 foreign text */
} broken[] = {
	{"missing", 0},
	{"header junk", 1},
	{"truncated", 2},
	{"empty", 3},
	{"not lmdb", 4},
};

START_TEST(test_broken_table)
{
	const char *p = path_of("b.lmdb");
	struct store *s;
	struct store_error se;
	char    err[256], val[64];
	int     i, rc;

	ck_assert_int_eq(compile_text("k OK\n", p, NULL), 0);
	switch (broken[_i].how) {
	case 0:
		ck_assert_int_eq(unlink(p), 0);
		break;
	case 1:
		corrupt(p, 0, 8192);
		break;
	case 2:
		ck_assert_int_eq(truncate(p, 4096), 0);
		break;
	case 3:
		ck_assert_int_eq(truncate(p, 0), 0);
		break;
	case 4:
		{
			FILE   *fp = fopen(p, "w");

			ck_assert_ptr_nonnull(fp);
			fputs("k OK\n", fp);
			fclose(fp);
		}
		break;
	}
	ck_assert_int_eq(store_open(p, 0, &s, err, sizeof(err)), 0);
	for (i = 0; i < 3; i++) {
		rc = store_lookup(s, STORE_EXACT, "k", NULL, val, sizeof(val),
		    NULL, 0, &se);
		ck_assert_msg(rc == -1, "%s: rc %d", broken[_i].label, rc);
		ck_assert_int_eq(se.first, i == 0);
		ck_assert_msg(se.msg[0] != 0, "no message");
	}
	/* compile replaces it; the open handle recovers by itself */
	ck_assert_int_eq(compile_text("k REJECT\n", p, NULL), 0);
	for (i = 0; i < 30; i++) {
		rc = store_lookup(s, STORE_EXACT, "k", NULL, val, sizeof(val),
		    NULL, 0, &se);
		if (rc != -1)
			break;
		usleep(100000);
	}
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(val, "REJECT");
	/* a new failure is "first" again */
	ck_assert_int_eq(unlink(p), 0);
	for (i = 0; i < 30; i++) {
		rc = store_lookup(s, STORE_EXACT, "k", NULL, val, sizeof(val),
		    NULL, 0, &se);
		if (rc == -1)
			break;
		usleep(100000);
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(se.first, 1);
	store_close(s);
}
END_TEST

#ifndef __SANITIZE_THREAD__	/* see store_suite() */
/*
 * A table changed in place while it is mapped (truncate(1), cp over
 * it): the reads of the map fault. Lookups must fail, once "first",
 * never crash, and recover when the table is compiled again. The
 * breaking comes right after a good lookup, inside the second in
 * which the store does not stat() the file again, so that the map is
 * read: the fault guard (store_guard.c), not the size check, is what
 * is tested.
 */
/*
 * how: 0 truncate to 0, 1 to one page, 2 a pattern over the first
 * 64 KiB, 3 text written over it, 4 seeded random bytes over the pages
 * after the two meta pages (seed = 4 + entry). Random garbage in a
 * B-tree page can read as "not found" rather than as damage (LMDB has
 * no page checksums), so for 4 only "no crash" and the rebuild by
 * compile are asserted.
 */
static const struct {
	const char *label;
	int     how;
	int     dynamic;
} in_place[] = {
	{"static, truncated to 0", 0, 0},
	{"static, truncated to one page", 1, 0},
	{"static, pattern over 64 KiB", 2, 0},
	{"static, text written over it", 3, 0},
	{"dynamic, truncated to 0", 0, 1},
	{"dynamic, truncated to one page", 1, 1},
	{"dynamic, pattern over 64 KiB", 2, 1},
	{"static, random bytes over the pages, seed 11", 4, 0},
	{"static, random bytes over the pages, seed 12", 4, 0},
	{"static, random bytes over the pages, seed 13", 4, 0},
	{"static, random bytes over the pages, seed 14", 4, 0},
	{"static, random bytes over the pages, seed 15", 4, 0},
	{"static, random bytes over the pages, seed 16", 4, 0},
};

/* in_place_src - enough keys for a multi-page tree */
static char *
in_place_src(const char *v)
{
	struct strbuf sb = STRBUF_INIT;
	int     i;

	for (i = 0; i < 3000; i++)
		strbuf_printf(&sb, "host%d.example %s\n", i, v);
	for (i = 0; i < 200; i++)
		strbuf_printf(&sb, "10.%d.0.0/16 %s\n", i, v);
	return (strbuf_detach(&sb));
}

/*
 * in_place_build - a static table by compile, or a dynamic one with n
 * grants, the first for 10.7.1.1 (which in_place_lookup() asks for)
 */
static void
in_place_build(const char *p, int dynamic, int n)
{
	struct store *w;
	struct addr a;
	char    err[256], ip[32];
	char   *src;
	int     i;

	if (!dynamic) {
		src = in_place_src("OK");
		ck_assert_int_eq(compile_text(src, p, NULL), 0);
		free(src);
		return;
	}
	ck_assert_int_eq(store_open_write(p, 1, &w, err, sizeof(err)), 0);
	for (i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), "10.7.%d.%d", 1 + i / 250,
		    1 + i % 250);
		ck_assert_int_eq(addr_parse(ip, &a), 0);
		ck_assert_int_eq(store_grant(w, &a, "u", time(NULL) + 3600,
		    err, sizeof(err)), 0);
	}
	store_close(w);
}

/* in_place_lookup - one lookup of each kind; -1 if any failed */
static int
in_place_lookup(struct store *s, int dynamic, struct store_error *se,
	int *first)
{
	struct addr a;
	char    val[64];
	int     rc, r2;

	*first = 0;
	ck_assert_int_eq(addr_parse("10.7.1.1", &a), 0);
	if (dynamic) {
		rc = store_grant_match(s, &a, time(NULL), se);
		*first |= rc < 0 && se->first;
		return (rc < 0 ? -1 : rc);
	}
	rc = store_lookup(s, STORE_DOMAIN, "host77.example", NULL, val,
	    sizeof(val), NULL, 0, se);
	*first |= rc < 0 && se->first;
	r2 = store_lookup_addr(s, &a, val, sizeof(val), NULL, 0, se);
	*first |= r2 < 0 && se->first;
	return (rc < 0 || r2 < 0 ? -1 : 1);
}

START_TEST(test_broken_in_place)
{
	const char *p = path_of("ip.lmdb");
	int     dynamic = in_place[_i].dynamic;
	struct store *s;
	struct store_error se;
	char    err[256], pat[65536];
	int     i, fd, rc, first, firsts = 0;

	in_place_build(p, dynamic, 3000);
	ck_assert_int_eq(store_open(p, dynamic, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(in_place_lookup(s, dynamic, &se, &first), 1);

	switch (in_place[_i].how) {
	case 0:
		ck_assert_int_eq(truncate(p, 0), 0);
		break;
	case 1:
		ck_assert_int_eq(truncate(p, 4096), 0);
		break;
	case 2:
		memset(pat, 'Z', sizeof(pat));
		fd = open(p, O_WRONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pwrite(fd, pat, sizeof(pat), 0),
		    (ssize_t) sizeof(pat));
		close(fd);
		break;
	case 3:
		fd = open(p, O_WRONLY | O_TRUNC);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, "host77.example OK\n", 18), 18);
		close(fd);
		break;
	case 4:
		srandom((unsigned) (_i + 4));
		for (i = 0; i < (int) sizeof(pat); i++)
			pat[i] = (char) (random() & 0xff);
		fd = open(p, O_WRONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pwrite(fd, pat, sizeof(pat), 8192),
		    (ssize_t) sizeof(pat));
		close(fd);
		break;
	}
	for (i = 0; i < 3; i++) {
		rc = in_place_lookup(s, dynamic, &se, &first);
		if (in_place[_i].how == 4)
			continue;
		ck_assert_msg(rc == -1, "%s: lookup %d: rc %d",
		    in_place[_i].label, i, rc);
		ck_assert_msg(se.msg[0] != 0, "no message");
		firsts += first;
	}
	ck_assert_msg(firsts == 1 || in_place[_i].how == 4,
	    "%s: %d lookups said first", in_place[_i].label, firsts);

	/* Rebuilt, by compile or by the first grant: the handle recovers. */
	if (dynamic)
		ck_assert_int_eq(unlink(p), 0);
	in_place_build(p, dynamic, 1);
	for (i = 0; i < 30; i++) {
		if ((rc = in_place_lookup(s, dynamic, &se, &first)) != -1)
			break;
		usleep(100000);
	}
	ck_assert_msg(rc == 1, "%s: no recovery: %s", in_place[_i].label,
	    se.msg);
	store_close(s);
}
END_TEST

/*
 * The guard hides no bug: a fault outside a guarded read, or a
 * SIGSEGV sent by kill(), still ends the process.
 */
START_TEST(test_guard_not_outside)
{
	const char *p = path_of("g.lmdb");
	struct store *s;
	char    err[256];
	pid_t   pid;
	int     st;

	ck_assert_int_eq(compile_text("k OK\n", p, NULL), 0);
	fprintf(stderr, "test_guard_not_outside %d: a child dies of SIGSEGV "
	    "(under SANITIZE=1 a sanitizer report on it is expected)\n", _i);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (store_open(p, 0, &s, err, sizeof(err)) < 0)
			_exit(3);
		if (_i == 0) {
			volatile int *volatile np = NULL;

			*np = 1;
		} else
			kill(getpid(), SIGSEGV);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(!(WIFEXITED(st) && WEXITSTATUS(st) == 0),
	    "case %d: the process went on after SIGSEGV", _i);
	ck_assert_msg(!(WIFEXITED(st) && WEXITSTATUS(st) == 3), "open");
}
END_TEST

#endif

/* A file of another program is refused, not overwritten. */
START_TEST(test_foreign_lmdb)
{
	const char *p = path_of("pf.db");
	char    cmd[2048];
	struct stat a, b;

	snprintf(cmd, sizeof(cmd), "printf 'k OK\\n' > %s/pf && "
	    "postmap -c /etc/postfix lmdb:%s/pf 2>/dev/null && "
	    "mv %s/pf.lmdb %s", dir, dir, dir, p);
	if (system(cmd) != 0) {
		/* no postmap here: make an LMDB file with mdb_load */
		snprintf(cmd, sizeof(cmd), "printf 'VERSION=3\\nformat=print\\n"
		    "type=btree\\nHEADER=END\\n k\\n OK\\nDATA=END\\n' | "
		    "mdb_load -n -f /dev/stdin %s", p);
		ck_assert_int_eq(system(cmd), 0);
	}
	ck_assert_int_eq(stat(p, &a), 0);
	ck_assert_int_eq(compile_text("k REJECT\n", p, NULL), -1);
	ck_assert_int_eq(stat(p, &b), 0);
	ck_assert_int_eq(a.st_ino, b.st_ino);
	ck_assert_int_eq(a.st_size, b.st_size);
}
END_TEST

/* ---- atomic replacement ---- */

#define GENS	100

/* gen_src - a table whose every value is its generation */
static char *
gen_src(int g)
{
	struct strbuf sb = STRBUF_INIT;
	int     i;

	for (i = 0; i < 200; i++)
		strbuf_printf(&sb, "k%d.example %d\n", i, g);
	for (i = 0; i < 50; i++)
		strbuf_printf(&sb, "10.%d.0.0/16 %d\n", i, g);
	strbuf_printf(&sb, "gen %d\n", g);
	return (strbuf_detach(&sb));
}

/* reader - check answers until the pipe closes; exit status = errors */
static void
reader(const char *p, int fd)
{
	struct store *s;
	struct store_error se;
	struct addr a;
	char    err[256], val[64], key[64];
	long    last = 0, v;
	int     bad = 0, n = 0, rc;
	char    c;

	if (store_open(p, 0, &s, err, sizeof(err)) < 0)
		_exit(99);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (read(fd, &c, 1) < 0 && errno == EAGAIN) {
		n++;
		if (n % 2) {
			snprintf(key, sizeof(key), "k%d.example", n % 200);
			rc = store_lookup(s, STORE_DOMAIN, key, NULL, val,
			    sizeof(val), NULL, 0, &se);
		} else {
			snprintf(key, sizeof(key), "10.%d.1.1", n % 50);
			addr_parse(key, &a);
			rc = store_lookup_addr(s, &a, val, sizeof(val), NULL,
			    0, &se);
		}
		if (rc != 1) {
			fprintf(stderr, "reader: %s: rc %d %s\n", key, rc,
			    se.msg);
			bad++;
			continue;
		}
		v = strtol(val, NULL, 10);
		if (v < last) {
			fprintf(stderr, "reader: %s: generation %ld after "
			    "%ld\n", key, v, last);
			bad++;
		}
		last = v;
	}
	/*
	 * The writer is done: the next transaction sees the last
	 * generation, however little CPU this reader got while it wrote
	 * (on a loaded machine it may have seen none of the others).
	 */
	rc = store_lookup(s, STORE_DOMAIN, "k1.example", NULL, val,
	    sizeof(val), NULL, 0, &se);
	if (rc != 1 || (v = strtol(val, NULL, 10)) != GENS) {
		fprintf(stderr, "reader: after the writer: rc %d, %s, want "
		    "generation %d\n", rc, rc == 1 ? val : se.msg, GENS);
		bad++;
	}
	store_close(s);
	fprintf(stderr, "reader: %d lookups, last generation %ld\n", n, last);
	_exit(bad > 100 ? 100 : bad);
}

START_TEST(test_atomic_replace)
{
	const char *p = path_of("r.lmdb");
	pid_t   pid[2];
	int     fds[2], st, g, i;
	char   *src;

	src = gen_src(0);
	ck_assert_int_eq(compile_text(src, p, NULL), 0);
	free(src);
	ck_assert_int_eq(pipe(fds), 0);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			close(fds[1]);
			reader(p, fds[0]);
		}
	}
	close(fds[0]);
	for (g = 1; g <= GENS; g++) {
		src = gen_src(g);
		ck_assert_int_eq(compile_text(src, p, NULL), 0);
		free(src);
	}
	close(fds[1]);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "reader %d: status %d", i, st);
	}
}
END_TEST

struct tread {
	const char *path;
	volatile int *stop;
	long	bad;
	long	n;
};

/* thread_reader - lookups on a shared handle while compile replaces */
static void *
thread_reader(void *arg)
{
	struct tread *t = arg;
	struct store *s;
	struct store_error se;
	char    err[256], val[64], key[64];
	long    last = 0, v;
	int     rc;

	if (store_open(t->path, 0, &s, err, sizeof(err)) < 0) {
		t->bad++;
		return (NULL);
	}
	while (!__atomic_load_n(t->stop, __ATOMIC_ACQUIRE)) {
		snprintf(key, sizeof(key), "10.%ld.9.9", t->n++ % 50);
		rc = store_lookup(s, STORE_CLIENT, key, NULL, val, sizeof(val),
		    NULL, 0, &se);
		if (rc != 1 || (v = strtol(val, NULL, 10)) < last) {
			if (t->bad++ == 0)
				fprintf(stderr, "thread_reader: %s: rc %d %s\n",
				    key, rc, rc == 1 ? val : se.msg);
			continue;
		}
		last = v;
	}
	store_close(s);
	return (NULL);
}

/* In one process: threads read while the same process compiles. */
START_TEST(test_replace_threads)
{
	const char *p = path_of("t.lmdb");
	struct tread t[4];
	pthread_t th[4];
	volatile int stop = 0;
	char   *src;
	int     i, g;

	src = gen_src(0);
	ck_assert_int_eq(compile_text(src, p, NULL), 0);
	free(src);
	for (i = 0; i < 4; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].path = p;
		t[i].stop = &stop;
		ck_assert_int_eq(pthread_create(&th[i], NULL, thread_reader,
		    &t[i]), 0);
	}
	for (g = 1; g <= 30; g++) {
		src = gen_src(g);
		ck_assert_int_eq(compile_text(src, p, NULL), 0);
		free(src);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(t[i].bad, 0);
		ck_assert_int_gt(t[i].n, 0);
	}
}
END_TEST

/* kill_at_half - progress hook that kills the compiling process */
static void
kill_at_half(void *arg, const char *phase, unsigned pct)
{
	(void) arg;
	if (strcmp(phase, "writing") == 0 && pct >= 50)
		raise(SIGKILL);
}

START_TEST(test_sigkill_compile)
{
	const char *p = path_of("k.lmdb");
	struct store *s;
	struct store_error se;
	char    err[256], val[64];
	char   *src;
	pid_t   pid;
	int     st;

	src = gen_src(1);
	ck_assert_int_eq(compile_text(src, p, NULL), 0);
	free(src);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store_compile_hooks hooks = {NULL, kill_at_half, NULL};
		struct strbuf sb = STRBUF_INIT;
		int     i;

		for (i = 0; i < 100000; i++)
			strbuf_printf(&sb, "x%d.example 2\n", i);
		store_compile("big", sb.s, sb.len, p, &hooks, NULL, err,
		    sizeof(err));
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_int_eq(store_open(p, 0, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(store_lookup(s, STORE_EXACT, "gen", NULL, val,
	    sizeof(val), NULL, 0, &se), 1);
	ck_assert_str_eq(val, "1");
	ck_assert_int_eq(store_lookup(s, STORE_EXACT, "x5.example", NULL, val,
	    sizeof(val), NULL, 0, &se), 0);
	store_close(s);
	/* the writer lock of the killed process is recovered */
	src = gen_src(3);
	ck_assert_int_eq(compile_text(src, p, NULL), 0);
	free(src);
	ck_assert_int_eq(store_open(p, 0, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(store_lookup(s, STORE_EXACT, "gen", NULL, val,
	    sizeof(val), NULL, 0, &se), 1);
	ck_assert_str_eq(val, "3");
	store_close(s);
}
END_TEST

/* ---- links planted by the owner of a table directory (root) ---- */

/*
 * Whoever owns a table's directory can put a symbolic link where root
 * (relayguardctl grant, purge, compile) will open or create the table,
 * its lock file or a temporary file. The link points at a victim file
 * outside the directory: it must be unchanged afterwards (content,
 * mode, owner), and the command either refuses the link (table, lock)
 * or removes and replaces it (temporary files). Only meaningful as
 * root, as make check runs; as another user the tests pass vacuously.
 */
enum link_op {
	LINK_GRANT,			/* grant on an existing table */
	LINK_GRANT_NEW,			/* grant creating the table */
	LINK_PURGE,
	LINK_COMPILE,			/* compile over an existing table */
	LINK_COMPILE_NEW,		/* compile of a new table */
};
enum link_at {
	LINK_TABLE,
	LINK_LOCK,
	LINK_TEMP,
	LINK_TEMP_LOCK,
};

static const struct {
	const char *label;
	enum link_op op;
	enum link_at at;
	int     ok;			/* the command succeeds */
} link_cases[] = {
	{"grant: table", LINK_GRANT, LINK_TABLE, 0},
	{"grant: lock", LINK_GRANT, LINK_LOCK, 0},
	{"grant new: temp", LINK_GRANT_NEW, LINK_TEMP, 1},
	{"grant new: temp lock", LINK_GRANT_NEW, LINK_TEMP_LOCK, 1},
	{"purge: table", LINK_PURGE, LINK_TABLE, 0},
	{"purge: lock", LINK_PURGE, LINK_LOCK, 0},
	{"compile: table", LINK_COMPILE, LINK_TABLE, 0},
	{"compile: lock", LINK_COMPILE, LINK_LOCK, 0},
	{"compile new: temp", LINK_COMPILE_NEW, LINK_TEMP, 1},
	{"compile new: temp lock", LINK_COMPILE_NEW, LINK_TEMP_LOCK, 1},
};

/* victim_state - what must not change: content, mode, owner */
static char *
victim_state(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	char    buf[256];
	ssize_t n;
	int     fd;

	ck_assert_int_eq(lstat(path, &st), 0);
	strbuf_printf(&sb, "mode %o uid %ld gid %ld size %ld: ",
	    (unsigned) st.st_mode, (long) st.st_uid, (long) st.st_gid,
	    (long) st.st_size);
	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_append(&sb, buf, (size_t) n);
	close(fd);
	return (strbuf_detach(&sb));
}

START_TEST(test_planted_links)
{
	const char *t = path_of("links/t.lmdb");
	const char *victim = path_of("victim");
	struct store *s = NULL;
	struct addr a;
	char    link[500], err[512], tlock[320];
	char   *before, *after;
	size_t  removed;
	int     fd, rc;

	if (geteuid() != 0) {
		fprintf(stderr, "test_planted_links: not root, nothing to test\n");
		return;
	}
	ck_assert_int_eq(mkdir(path_of("links"), 0755), 0);
	snprintf(tlock, sizeof(tlock), "%s-lock", t);
	ck_assert_int_eq(addr_parse("192.0.2.1", &a), 0);

	/* A table to work on, without its lock file. */
	if (link_cases[_i].op == LINK_GRANT || link_cases[_i].op == LINK_PURGE) {
		ck_assert_int_eq(store_open_write(t, 1, &s, err, sizeof(err)),
		    0);
		ck_assert_int_eq(store_grant(s, &a, NULL, 1, err, sizeof(err)),
		    0);
		store_close(s);
		s = NULL;
	} else if (link_cases[_i].op == LINK_COMPILE)
		ck_assert_int_eq(compile_text("a.example OK\n", t, NULL), 0);
	(void) unlink(tlock);

	/* The victim: empty for the table (LMDB writes an empty file). */
	ck_assert_int_ge(fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0600),
	    0);
	if (link_cases[_i].at != LINK_TABLE)
		ck_assert_int_eq(write(fd, "precious\n", 9), 9);
	ck_assert_int_eq(fchown(fd, 65534, 65534), 0);
	close(fd);
	before = victim_state(victim);

	switch (link_cases[_i].at) {
	case LINK_TABLE:
		snprintf(link, sizeof(link), "%s", t);
		(void) unlink(t);
		break;
	case LINK_LOCK:
		snprintf(link, sizeof(link), "%s", tlock);
		break;
	case LINK_TEMP:
	case LINK_TEMP_LOCK:
		if (link_cases[_i].op == LINK_GRANT_NEW)
			snprintf(link, sizeof(link), "%s.new.%ld.%lx", t,
			    (long) getpid(),
			    (unsigned long) pthread_self() & 0xffffff);
		else
			snprintf(link, sizeof(link), "%s.tmp.%ld", t,
			    (long) getpid());
		if (link_cases[_i].at == LINK_TEMP_LOCK)
			strcat(link, "-lock");
		break;
	}
	ck_assert_int_eq(symlink(victim, link), 0);

	err[0] = 0;
	switch (link_cases[_i].op) {
	case LINK_GRANT:
	case LINK_GRANT_NEW:
		rc = store_open_write(t, 1, &s, err, sizeof(err));
		if (rc == 0)
			rc = store_grant(s, &a, "u", time(NULL) + 60, err,
			    sizeof(err));
		break;
	case LINK_PURGE:
		rc = store_open_write(t, 1, &s, err, sizeof(err));
		if (rc == 0)
			rc = store_purge(s, time(NULL), &removed, err,
			    sizeof(err));
		break;
	case LINK_COMPILE:
	case LINK_COMPILE_NEW:
	default:
		rc = compile_text("b.example REJECT\n", t, NULL) == 0 ? 0 : -1;
		break;
	}
	store_close(s);

	after = victim_state(victim);
	ck_assert_msg(strcmp(before, after) == 0, "%s: the victim changed: "
	    "[%s] became [%s]", link_cases[_i].label, before, after);
	if (link_cases[_i].ok)
		ck_assert_msg(rc == 0, "%s: failed: %s", link_cases[_i].label,
		    err);
	else {
		ck_assert_msg(rc != 0, "%s: went through the link",
		    link_cases[_i].label);
		if (link_cases[_i].op != LINK_COMPILE)
			ck_assert_msg(strstr(err, "symbolic link") != NULL,
			    "%s: unclear error: %s", link_cases[_i].label, err);
	}
	free(before);
	free(after);
}
END_TEST

/*
 * A table directory someone other than root and the table owner can
 * write is refused, by every writer, with its name in the message.
 */
static const struct {
	const char *label;
	mode_t  mode;
	uid_t   uid;
	const char *owner;		/* store_set_owner() */
	const char *want;		/* in the error; NULL: accepted */
} dir_cases[] = {
	{"root 0755", 0755, 0, NULL, NULL},
	{"group-writable", 0775, 0, NULL, "writable by its group or others"},
	{"other-writable", 0757, 0, NULL, "writable by its group or others"},
	{"sticky /tmp-like", 01777, 0, NULL, "writable by its group or others"},
	{"another user's", 0755, 65534, "root", "owned by uid 65534"},
	{"the table owner's", 0755, 65534, "nobody", NULL},
};

START_TEST(test_table_dir)
{
	const char *d = path_of("tdir");
	const char *t = path_of("tdir/t.lmdb");
	struct store *s = NULL;
	char    err[512];
	int     rc, crc;

	if (geteuid() != 0) {
		fprintf(stderr, "test_table_dir: not root, nothing to test\n");
		return;
	}
	ck_assert_int_eq(mkdir(d, 0700), 0);
	ck_assert_int_eq(chown(d, dir_cases[_i].uid, 0), 0);
	ck_assert_int_eq(chmod(d, dir_cases[_i].mode), 0);
	store_set_owner(dir_cases[_i].owner);
	err[0] = 0;
	rc = store_open_write(t, 1, &s, err, sizeof(err));
	store_close(s);
	if (dir_cases[_i].want == NULL) {
		ck_assert_msg(rc == 0, "%s: %s", dir_cases[_i].label, err);
	} else {
		ck_assert_msg(rc < 0, "%s: accepted", dir_cases[_i].label);
		ck_assert_msg(strstr(err, dir_cases[_i].want) != NULL &&
		    strstr(err, d) != NULL, "%s: %s", dir_cases[_i].label, err);
		ck_assert_int_eq(access(t, F_OK), -1);
	}
	crc = compile_text("a.example OK\n", path_of("tdir/c.lmdb"), NULL);
	ck_assert_int_eq(crc, dir_cases[_i].want == NULL ? 0 : -1);
	store_set_owner(NULL);
}
END_TEST

/* ---- grants ---- */

START_TEST(test_grants)
{
	const char *p = path_of("g.lmdb");
	struct store *r, *w;
	struct store_error se;
	struct addr a, m, b;
	char    err[256];
	time_t  now = time(NULL);
	size_t  n;

	/* no file yet: no grants, and no error */
	ck_assert_int_eq(store_open(p, 1, &r, err, sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("192.0.2.7", &a), 0);
	ck_assert_int_eq(addr_parse("::ffff:192.0.2.8", &m), 0);
	ck_assert_int_eq(addr_parse("2001:db8::8", &b), 0);
	ck_assert_int_eq(store_grant_match(r, &a, now, &se), 0);

	ck_assert_int_eq(store_open_write(p, 1, &w, err, sizeof(err)), 0);
	ck_assert_int_eq(store_grant(w, &a, "alice", now + 60, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(store_grant(w, &m, NULL, now + 60, err, sizeof(err)),
	    0);
	ck_assert_int_eq(store_grant(w, &b, "bob", now - 1, err, sizeof(err)),
	    0);
	ck_assert_int_eq(store_grant_match(r, &a, now, &se), 1);
	ck_assert_int_eq(store_grant_match(r, &a, now + 59, &se), 1);
	ck_assert_int_eq(store_grant_match(r, &a, now + 60, &se), 0);
	/* the mapped grant matches the IPv4 client */
	ck_assert_int_eq(addr_parse("192.0.2.8", &m), 0);
	ck_assert_int_eq(store_grant_match(r, &m, now, &se), 1);
	/* expired and not purged: no match */
	ck_assert_int_eq(store_grant_match(r, &b, now, &se), 0);
	/* a second grant refreshes */
	ck_assert_int_eq(store_grant(w, &a, "alice", now + 600, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(store_grant_match(r, &a, now + 300, &se), 1);
	ck_assert_int_eq(store_purge(w, now, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(store_revoke(w, &a, err, sizeof(err)), 1);
	ck_assert_int_eq(store_revoke(w, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(store_grant_match(r, &a, now, &se), 0);
	/* a static lookup in a dynamic table is an error */
	ck_assert_int_eq(store_lookup(r, STORE_EXACT, "x", NULL, err,
	    sizeof(err), NULL, 0, &se), -1);
	store_close(w);
	store_close(r);
}
END_TEST

/* Several grants in one transaction; a bad one makes none. */
START_TEST(test_grant_many)
{
	const char *p = path_of("many.lmdb");
	struct store *w;
	struct store_error se;
	struct store_grant_req req[3];
	char    err[256];
	time_t  now = time(NULL);

	ck_assert_int_eq(store_open_write(p, 1, &w, err, sizeof(err)), 0);
	memset(req, 0, sizeof(req));
	ck_assert_int_eq(addr_parse("192.0.2.1", &req[0].addr), 0);
	ck_assert_int_eq(addr_parse("2001:db8::2", &req[1].addr), 0);
	ck_assert_int_eq(addr_parse("192.0.2.1", &req[2].addr), 0);
	req[0].user = "a";
	req[0].expiry = now + 60;
	req[1].user = NULL;
	req[1].expiry = now + 60;
	req[2].user = "a\n";		/* refused: nothing is written */
	req[2].expiry = now + 600;
	ck_assert_int_eq(store_grant_many(w, req, 3, err, sizeof(err)), -1);
	ck_assert_int_eq(store_grant_match(w, &req[0].addr, now, &se), 0);
	ck_assert_int_eq(store_grant_match(w, &req[1].addr, now, &se), 0);
	/* in order: the later grant of an address replaces the earlier */
	req[2].user = "a";
	ck_assert_int_eq(store_grant_many(w, req, 3, err, sizeof(err)), 0);
	ck_assert_int_eq(store_grant_match(w, &req[0].addr, now + 300, &se), 1);
	ck_assert_int_eq(store_grant_match(w, &req[1].addr, now, &se), 1);
	ck_assert_int_eq(store_grant_many(w, req, 0, err, sizeof(err)), 0);
	store_close(w);
}
END_TEST

/* A grant that expires while a reader watches, in real time. */
START_TEST(test_grant_expires)
{
	const char *p = path_of("e.lmdb");
	struct store *w;
	struct store_error se;
	struct addr a;
	char    err[256];
	time_t  t0 = time(NULL), t;
	int     r, seen = 0;

	ck_assert_int_eq(store_open_write(p, 1, &w, err, sizeof(err)), 0);
	ck_assert_int_eq(addr_parse("198.51.100.1", &a), 0);
	ck_assert_int_eq(store_grant(w, &a, "u", t0 + 2, err, sizeof(err)),
	    0);
	for (;;) {
		t = time(NULL);
		r = store_grant_match(w, &a, t, &se);
		ck_assert_int_ne(r, -1);
		if (t < t0 + 2) {
			ck_assert_int_eq(r, 1);
			seen = 1;
		} else {
			ck_assert_int_eq(r, 0);
			break;
		}
		ck_assert_int_lt(t, t0 + 5);
		usleep(20000);
	}
	ck_assert_int_eq(seen, 1);
	store_close(w);
}
END_TEST

#define WRITERS		8
#define PER_WRITER	150

/* grant_child - grant PER_WRITER addresses, checking each */
static void
grant_child(const char *p, int id)
{
	struct store *s;
	struct store_error se;
	struct addr a;
	char    err[256], buf[64];
	time_t  now = time(NULL);
	size_t  n;
	int     i, bad = 0;

	if (store_open_write(p, 1, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "grant_child %d: %s\n", id, err);
		_exit(99);
	}
	for (i = 0; i < PER_WRITER; i++) {
		snprintf(buf, sizeof(buf), "10.%d.%d.%d", id, i / 250, i % 250);
		addr_parse(buf, &a);
		if (store_grant(s, &a, "w", now + 3600, err, sizeof(err)) < 0 ||
		    store_grant_match(s, &a, now, &se) != 1)
			bad++;
		/* and something to purge, concurrently with the others */
		snprintf(buf, sizeof(buf), "172.16.%d.%d", id, i % 250);
		addr_parse(buf, &a);
		if (store_grant(s, &a, "old", now - 10, err, sizeof(err)) < 0)
			bad++;
		if (i % 25 == 0 &&
		    store_purge(s, now, &n, err, sizeof(err)) < 0)
			bad++;
	}
	store_close(s);
	_exit(bad > 100 ? 100 : bad);
}

/* count_live - count unexpired grants */
static int
count_live(const struct store_grant_info *g, void *arg)
{
	int    *n = arg;

	if (g->expiry > time(NULL) && strncmp(g->addr, "10.", 3) == 0)
		(*n)++;
	return (0);
}

/* count_all - count grants */
static int
count_all(const struct store_grant_info *g, void *arg)
{
	(void) g;
	(*(int *) arg)++;
	return (0);
}

/* read_thread - readers in the parent while the children write */
static void *
read_thread(void *arg)
{
	struct store *s = arg;
	struct store_error se;
	struct addr a;
	long    bad = 0;
	int     i;

	addr_parse("10.0.0.0", &a);
	for (i = 0; i < 20000; i++)
		if (store_grant_match(s, &a, time(NULL), &se) < 0 &&
		    bad++ == 0)
			fprintf(stderr, "read_thread: %s\n", se.msg);
	return ((void *) bad);
}

START_TEST(test_concurrent_grants)
{
	const char *p = path_of("c.lmdb");
	struct store *s;
	pthread_t th[4];
	pid_t   pid[WRITERS];
	char    err[256];
	void   *ret;
	int     i, st, n = 0;

	ck_assert_int_eq(store_open(p, 1, &s, err, sizeof(err)), 0);
	for (i = 0; i < WRITERS; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0)
			grant_child(p, i);
	}
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, read_thread, s),
		    0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_int_eq((long) ret, 0);
	}
	for (i = 0; i < WRITERS; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "writer %d: status %d", i, st);
	}
	ck_assert_int_eq(store_grant_list(s, count_live, &n, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(n, WRITERS * PER_WRITER);
	store_close(s);
}
END_TEST

/* ---- maps that fill up and grow under readers ---- */

/* setup_shm - a scratch directory where fsync is cheap, if there is one */
static void
setup_shm(void)
{
	snprintf(dir, sizeof(dir), "%s/rgstore.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* resize_reader - look key up until the pipe closes; exit = problems */
static void
resize_reader(const char *p, int fd, int dynamic)
{
	struct store *s;
	struct store_error se;
	struct addr a;
	char    err[256], val[64];
	int     bad = 0, n = 0, r;
	char    c;

	if (store_open(p, dynamic, &s, err, sizeof(err)) < 0)
		_exit(99);
	addr_parse("10.0.0.1", &a);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (read(fd, &c, 1) < 0 && errno == EAGAIN) {
		n++;
		r = dynamic ? store_grant_match(s, &a, time(NULL), &se) :
		    store_lookup(s, STORE_EXACT, "gen", NULL, val, sizeof(val),
		    NULL, 0, &se);
		if (r != 1 && bad++ == 0)
			fprintf(stderr, "resize_reader: rc %d %s\n", r, se.msg);
		usleep(1000);
	}
	store_close(s);
	fprintf(stderr, "resize_reader: %d lookups, %ld map resizes\n", n,
	    atomic_load(&store_map_resized));
	if (atomic_load(&store_map_resized) == 0)
		bad++;
	_exit(bad > 100 ? 100 : bad);
}

/* A static table outgrows the map its readers opened with. */
START_TEST(test_map_resized)
{
	const char *p = path_of("m.lmdb");
	struct strbuf sb = STRBUF_INIT;
	int     fds[2], st, i, g;
	pid_t   pid;
	char    err[256];

	store_map_min = (size_t) 1 << 20;
	store_map_slack = 0;
	ck_assert_int_eq(compile_text("gen 1\n", p, NULL), 0);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[1]);
		resize_reader(p, fds[0], 0);
	}
	close(fds[0]);
	usleep(50000);
	for (g = 2; g <= 4; g++) {
		strbuf_reset(&sb);
		for (i = 0; i < 20000 * g; i++)
			strbuf_printf(&sb, "key%d.example.com REJECT %040d\n",
			    i, g);
		strbuf_printf(&sb, "gen %d\n", g);
		ck_assert_int_eq(store_compile("src", sb.s, sb.len, p, NULL,
		    NULL, err, sizeof(err)), 0);
		usleep(50000);
	}
	strbuf_free(&sb);
	close(fds[1]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "reader: %d",
	    st);
}
END_TEST

/* Grants fill a small map: it grows, nothing is lost, readers follow. */
START_TEST(test_grant_map_full)
{
	const char *p = path_of("gm.lmdb");
	struct store *w;
	struct addr a;
	char    err[256], buf[64], user[STORE_USER_MAX];
	int     fds[2], st, i, n = 0;
	pid_t   pid;

	store_map_min = (size_t) 64 << 10;
	ck_assert_int_eq(store_open_write(p, 1, &w, err, sizeof(err)), 0);
	addr_parse("10.0.0.1", &a);
	ck_assert_int_eq(store_grant(w, &a, "keep", time(NULL) + 3600, err,
	    sizeof(err)), 0);
	store_close(w);			/* no environment across fork() */
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[1]);
		resize_reader(p, fds[0], 1);
	}
	close(fds[0]);
	ck_assert_int_eq(store_open_write(p, 1, &w, err, sizeof(err)), 0);
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = 0;
	for (i = 0; i < 2000; i++) {
		snprintf(buf, sizeof(buf), "10.1.%d.%d", i / 250, i % 250);
		addr_parse(buf, &a);
		ck_assert_msg(store_grant(w, &a, user, time(NULL) + 3600, err,
		    sizeof(err)) == 0, "grant %d: %s", i, err);
	}
	usleep(50000);
	close(fds[1]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "reader: %d",
	    st);
	ck_assert_int_eq(store_grant_list(w, count_all, &n, err, sizeof(err)),
	    0);
	ck_assert_int_eq(n, 2001);
	store_close(w);
}
END_TEST

Suite  *
store_suite(void)
{
	Suite  *s = suite_create("store");
	TCase  *tc;

#define N(a)	((int) (sizeof(a) / sizeof((a)[0])))
	tc = tcase_create("store_action_parse");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_action_parse, 0, N(actions));
	suite_add_tcase(s, tc);

	tc = tcase_create("store_compile");

	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_compile_errors, 0, N(bad_diags));
	tcase_add_loop_test(tc, test_postfix_file, 0, N(postfix_cases));
	tcase_add_test(tc, test_foreign_lmdb);
	suite_add_tcase(s, tc);

	tc = tcase_create("store_lookup");

	tcase_set_timeout(tc, RG_TIMEOUT_SLOW);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_lookup_order, 0, N(order_cases));
	tcase_add_test(tc, test_lookup_addr);
	tcase_add_loop_test(tc, test_broken_table, 0, N(broken));
#ifndef __SANITIZE_THREAD__
	/*
	 * ThreadSanitizer does not follow siglongjmp() out of a SIGBUS
	 * handler: the thread stays "in a signal handler" for it, and
	 * every later free() is reported. These tests are single-threaded;
	 * the plain and SANITIZE=1 runs have them.
	 */
	tcase_add_loop_test(tc, test_broken_in_place, 0, N(in_place));
	tcase_add_loop_test(tc, test_guard_not_outside, 0, 2);
#endif
	suite_add_tcase(s, tc);

	tc = tcase_create("store_replace");

	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_atomic_replace);
	tcase_add_test(tc, test_replace_threads);
	tcase_add_test(tc, test_sigkill_compile);
	suite_add_tcase(s, tc);

	tc = tcase_create("store_grant");

	tcase_set_timeout(tc, RG_TIMEOUT_SLOW);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_grants);
	tcase_add_test(tc, test_grant_many);
	tcase_add_test(tc, test_grant_expires);
	tcase_add_test(tc, test_concurrent_grants);
	suite_add_tcase(s, tc);

	tc = tcase_create("store_links");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_planted_links, 0, N(link_cases));
	tcase_add_loop_test(tc, test_table_dir, 0, N(dir_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("store_map");

	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_checked_fixture(tc, setup_shm, teardown);
	tcase_add_test(tc, test_map_resized);
	tcase_add_test(tc, test_grant_map_full);
	suite_add_tcase(s, tc);
	return (s);
}
