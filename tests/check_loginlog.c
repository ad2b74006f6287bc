/*
 * NAME
 *	check_loginlog - tests for common/loginlog.c
 * DESCRIPTION
 *	Table-driven. real_cases: login lines in each server's own format
 *	(as its source writes them and as syslog, rsyslog, journalctl and
 *	Dovecot's log_path put a header in front), each a grant.
 *	forged_cases: lines whose text an SMTP or POP/IMAP client chose, or
 *	failed logins, or other programs' lines: none may grant. Then the
 *	timestamps of each header form, the format syntax, and the line
 *	splitter's handling of overlong lines.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/loginlog.h"
#include "tests/check_timeout.h"

Suite  *loginlog_suite(void);

/* 2026-12-01 12:00:00 UTC; the suite runs with TZ=UTC. */
#define NOW	((time_t) 1796126400)

#define HDR	"Dec  1 10:00:00 mx "
#define GOOD	"192.0.2.7"
#define EVIL	"198.18.0.66"

static const struct {
	const char *label;
	const char *format;
	const char *line;
	const char *addr;		/* want */
	const char *user;
}       real_cases[] = {
	/* Dovecot 2.3 through syslog (mail.log) */
	{"dovecot imap syslog", "dovecot", HDR "dovecot: imap-login: Login: "
		"user=<alice>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, "
	"mpid=4242, TLS, session=<8Ag0s5ElXMDAAAIH>", GOOD, "alice"},
	{"dovecot pop3 mapped", "dovecot", HDR "dovecot: pop3-login: Login: "
		"user=<bob@example.com>, method=PLAIN, rip=::ffff:192.0.2.8, "
		"lip=::ffff:192.0.2.1, mpid=17, secured, session=<rKp3s5ElYMAA>",
	"192.0.2.8", "bob@example.com"},
	{"dovecot minimal (1.x)", "dovecot", HDR "dovecot: imap-login: Login: "
	"user=<george>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1", GOOD,
	"george"},
	{"dovecot journalctl short", "dovecot", "Dec 01 10:00:00 mx "
		"dovecot[812]: imap-login: Login: user=<carol>, method=PLAIN, "
		"rip=2001:db8::9, lip=2001:db8::1, mpid=900, TLS, session=<x1>",
	"2001:db8::9", "carol"},
	{"dovecot journalctl short-precise", "dovecot", "Dec 01 10:00:00.123456"
		" mx dovecot[812]: imap-login: Login: user=<carol>, "
	"method=PLAIN, rip=192.0.2.7, lip=192.0.2.1", GOOD, "carol"},
	{"dovecot journalctl short-iso", "dovecot", "2026-12-01T10:00:00+0000 "
		"mx dovecot[812]: pop3-login: Login: user=<dave>, "
	"method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, mpid=3", GOOD, "dave"},
	{"dovecot rsyslog rfc3339", "dovecot", "2026-12-01T10:00:00.123456"
		"+00:00 mx dovecot: imap-login: Login: user=<dave>, "
	"method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, mpid=3", GOOD, "dave"},
	{"dovecot rfc5424", "dovecot", "<22>1 2026-12-01T10:00:00.000000+00:00 "
		"mx dovecot - - - imap-login: Login: user=<erin>, "
	"method=PLAIN, rip=192.0.2.7, lip=192.0.2.1", GOOD, "erin"},
	{"dovecot rfc5424 sd", "dovecot", "<22>1 2026-12-01T10:00:00Z mx "
		"dovecot 812 - [meta sequenceId=\"1\" x=\"a\\\"]b\"] "
	"imap-login: Login: user=<erin>, rip=192.0.2.7", GOOD, "erin"},
	{"dovecot log_path", "dovecot", "Dec 01 10:00:00 imap-login: Info: "
		"Login: user=<frank>, method=PLAIN, rip=127.0.0.2, "
		"lip=127.0.0.1, mpid=55, session=<lGk5s5ElLMB/AAAC>",
	"127.0.0.2", "frank"},
	/* Dovecot 2.3.19 of Debian 12 with log_path, verbatim (dovecot.test) */
	{"dovecot 2.3.19 log_path imap", "dovecot", "Dec 01 23:21:15 "
		"imap-login: Info: Login: user=<alice>, method=PLAIN, "
		"rip=127.0.0.1, lip=127.0.0.1, mpid=11705, secured, "
	"session=<yABkyJphRIN/AAAB>", "127.0.0.1", "alice"},
	{"dovecot 2.3.19 log_path pop3", "dovecot", "Dec 01 23:21:21 "
		"pop3-login: Info: Login: user=<alice>, method=PLAIN, "
		"rip=127.0.0.1, lip=127.0.0.1, mpid=12239, secured, "
	"session=<BFOJyJphKq1/AAAB>", "127.0.0.1", "alice"},
	{"dovecot log_path pop3", "dovecot", "Dec 01 10:00:00 pop3-login: Info:"
		" Login: user=<frank>, method=PLAIN, rip=127.0.0.3, "
	"lip=127.0.0.1, mpid=56, session=<x>", "127.0.0.3", "frank"},
	{"dovecot tag imap-login", "dovecot", HDR "imap-login[77]: Login: "
	"user=<gina>, method=PLAIN, rip=192.0.2.7, lip=1.2.3.4", GOOD, "gina"},
	{"dovecot tag dovecot/pop3-login", "dovecot", HDR
		"dovecot/pop3-login[77]: Login: user=<gina>, method=PLAIN, "
	"rip=192.0.2.7, lip=192.0.2.1", GOOD, "gina"},
	/* Courier-IMAP through courierlogger */
	{"courier imapd", "courier", HDR "imapd: LOGIN, user=carol, "
		"ip=[::ffff:192.0.2.9], port=[4242], protocol=IMAP", "192.0.2.9",
	"carol"},
	{"courier imapd-ssl", "courier", HDR "imapd-ssl: LOGIN, "
		"user=carol@example.com, ip=[::ffff:192.0.2.9], port=[52000], "
	"protocol=IMAP", "192.0.2.9", "carol@example.com"},
	{"courier pop3d v6", "courier", HDR "pop3d: LOGIN, user=dan, "
		"ip=[2001:db8::5], port=[40000], protocol=POP3", "2001:db8::5",
	"dan"},
	{"courier old pop3login", "courier", HDR "courierpop3login: LOGIN, "
	"user=dan, ip=[192.0.2.7]", GOOD, "dan"},
	/* Cyrus imapd 2.4 / 3.x */
	{"cyrus imap", "cyrus", HDR "cyrus/imap[1234]: login: client.example "
		"[192.0.2.10] dave plaintext User logged in "
	"SESSIONID=<mx-1234-1733047200-1-123>", "192.0.2.10", "dave"},
	{"cyrus imaps tls", "cyrus", HDR "imaps[99]: login: [192.0.2.11] eve "
	"PLAIN+TLS User logged in", "192.0.2.11", "eve"},
	{"cyrus pop3", "cyrus", HDR "pop3[55]: login: localhost [127.0.0.1] "
		"frank@example.com plaintext User logged in SESSIONID=<x-1-2>",
	"127.0.0.1", "frank@example.com"},
	/* qpopper */
	{"qpopper login", "qpopper", HDR "in.qpopper[7597]: (v4.0.9) POP login "
		"by user \"nick\" at (out.example.com) 198.51.100.35 "
	"[pop_log.c:244]", "198.51.100.35", "nick"},
	{"qpopper login plain", "qpopper", HDR "qpopper[7597]: (v4.1.0) POP "
		"login by user \"nick\" at (out.example.com) 198.51.100.35",
	"198.51.100.35", "nick"},
	{"qpopper stats", "qpopper", HDR "popper[99]: Stats: erin 0 0 2 1234 "
	"client.example 192.0.2.11", "192.0.2.11", "erin"},
	/* UW-IMAP */
	{"uw imapd", "uw-imap", HDR "imapd[4321]: Login user=gina "
	"host=client.example [192.0.2.13]", "192.0.2.13", "gina"},
	{"uw ipop3d", "uw-imap", HDR "ipop3d[4322]: Login user=hank "
	"host=client.example [192.0.2.14] nmsgs=3/3", "192.0.2.14", "hank"},
	{"uw authenticated", "uw-imap", HDR "imapd[1]: Authenticated user=ivy "
	"host=[192.0.2.15] mech=PLAIN", "192.0.2.15", "ivy"},
	/* regex */
	{"regex", "regex:app:ok from ([0-9.]+) as ([a-z]+)", HDR
	"app[3]: ok from 192.0.2.12 as frank", "192.0.2.12", "frank"},
	{"regex two programs", "regex:webmail,app:auth ([0-9.]+)$", HDR
	"webmail: auth 192.0.2.12", "192.0.2.12", ""},
};

START_TEST(test_real)
{
	struct loginlog *f;
	struct loginlog_event ev;
	const char *why = NULL;
	char    err[256], buf[ADDR_STRLEN];
	enum loginlog_verdict v;

	ck_assert_msg(loginlog_new(real_cases[_i].format, &f, err,
	    sizeof(err)) == 0, "%s: %s", real_cases[_i].label, err);
	v = loginlog_parse(f, real_cases[_i].line, strlen(real_cases[_i].line),
	    NOW, &ev, &why);
	ck_assert_msg(v == LOGINLOG_LOGIN, "%s: verdict %d (%s)",
	    real_cases[_i].label, v, why ? why : "");
	ck_assert_str_eq(addr_format(&ev.addr, buf, sizeof(buf)),
	    real_cases[_i].addr);
	ck_assert_str_eq(ev.user, real_cases[_i].user);
	ck_assert_msg(ev.when != (time_t) -1, "%s: no time",
	    real_cases[_i].label);
	loginlog_free(f);
}
END_TEST

/*
 * Forged lines: want is the verdict (OTHER for lines that are not the
 * server's login message at all, REFUSED for the server's login message
 * with a field that fails the checks). None may be LOGIN.
 */
#define O	LOGINLOG_OTHER
#define R	LOGINLOG_REFUSED

static const struct {
	const char *label;
	const char *format;
	const char *line;
	enum loginlog_verdict want;
}       forged_cases[] = {
	/* the example: relayguard's own reject line */
	{"relayguard helo", "dovecot", HDR "relayguard[12]: NOQUEUE: reject: "
		"helo=<imap-login: Login: user=<x>, rip=" EVIL "> rcpt=<a@b>",
	O},
	{"relayguard helo with dovecot tag text", "dovecot", HDR
		"relayguard[12]: reject: helo=<x dovecot: imap-login: Login: "
	"user=<x>, rip=" EVIL ">", O},
	{"relayguard rcpt", "dovecot", HDR "relayguard[12]: reject: "
	"rcpt=<\"imap-login: Login: user=<x>, rip=" EVIL "\"@b>", O},
	{"postfix reject helo", "dovecot", HDR "postfix/smtpd[99]: NOQUEUE: "
		"reject: RCPT from unknown[203.0.113.5]: 554 5.7.1 <a@b>: Relay "
		"access denied; from=<x@y> to=<a@b> proto=ESMTP helo=<dovecot: "
	"imap-login: Login: user=<x>, rip=" EVIL ">", O},
	{"postfix sender", "dovecot", HDR "postfix/smtpd[99]: NOQUEUE: reject: "
		"RCPT from unknown[203.0.113.5]: 554 5.7.1 Relay access denied; "
	"from=<imap-login:Login:user=<x>,rip=" EVIL "@evil> to=<a@b>", O},
	{"postfix cleanup subject", "dovecot", HDR "postfix/cleanup[5]: 1A2B: "
		"warning: header Subject: imap-login: Login: user=<x>, rip="
	EVIL " from unknown[203.0.113.5]", O},
	{"dovecot aborted login", "dovecot", HDR "dovecot: imap-login: Aborted "
		"login (auth failed, 1 attempts in 2 secs): user=<x>, "
	"method=PLAIN, rip=" EVIL ", lip=192.0.2.1, session=<a>", O},
	{"dovecot disconnected auth failed", "dovecot", HDR "dovecot: "
		"pop3-login: Disconnected (auth failed, 3 attempts in 14 secs): "
	"user=<x>, method=PLAIN, rip=" EVIL ", lip=192.0.2.1", O},
	{"dovecot log_path failed", "dovecot", "Dec 01 10:00:00 imap-login: "
		"Info: Disconnected: Connection closed (auth failed, 1 attempts "
	"in 2 secs): user=<x>, method=PLAIN, rip=" EVIL ", lip=127.0.0.1", O},
	{"dovecot user name with rip", "dovecot", HDR "dovecot: imap-login: "
		"Login: user=<x, rip=" EVIL ">, method=PLAIN, rip=192.0.2.1, "
	"lip=192.0.2.1", R},
	{"dovecot user name closing the field", "dovecot", HDR "dovecot: "
		"imap-login: Login: user=<a>, rip=" EVIL ", x=<b>, "
	"method=PLAIN, rip=192.0.2.1, lip=192.0.2.1", R},
	{"dovecot two rip", "dovecot", HDR "dovecot: imap-login: Login: "
		"user=<a>, method=PLAIN, rip=" EVIL ", rip=192.0.2.1, "
	"lip=192.0.2.1", R},
	{"dovecot user with space", "dovecot", HDR "dovecot: imap-login: "
	"Login: user=<a b>, method=PLAIN, rip=" EVIL ", lip=1.2.3.4", R},
	{"dovecot empty user", "dovecot", HDR "dovecot: imap-login: Login: "
	"user=<>, method=PLAIN, rip=" EVIL ", lip=1.2.3.4", R},
	{"dovecot no rip", "dovecot", HDR "dovecot: imap-login: Login: "
	"user=<a>, method=PLAIN, lip=1.2.3.4", R},
	{"dovecot bracketed rip", "dovecot", HDR "dovecot: imap-login: Login: "
	"user=<a>, method=PLAIN, rip=[" EVIL "], lip=1.2.3.4", R},
	{"dovecot rip with junk", "dovecot", HDR "dovecot: imap-login: Login: "
	"user=<a>, method=PLAIN, rip=" EVIL "x, lip=1.2.3.4", R},
	{"dovecot rip inet_aton", "dovecot", HDR "dovecot: imap-login: Login: "
	"user=<a>, method=PLAIN, rip=3323068482, lip=1.2.3.4", R},
	{"dovecot rip zone", "dovecot", HDR "dovecot: imap-login: Login: "
	"user=<a>, method=PLAIN, rip=fe80::1%eth0, lip=1.2.3.4", R},
	{"dovecot auth process", "dovecot", HDR "dovecot: auth: passwd-file(x,"
	EVIL "): unknown user rip=" EVIL, O},
	{"dovecot mail process", "dovecot", HDR "dovecot: imap(alice)<123><s>:"
	" Login: user=<x>, rip=" EVIL, O},
	{"dovecot 2.3.19 failed login", "dovecot", "Dec 01 23:21:21 "
		"imap-login: Info: Disconnected: Connection closed (auth failed,"
		" 1 attempts in 6 secs): user=<alice>, method=PLAIN, "
		"rip=127.0.0.1, lip=127.0.0.1, secured, "
	"session=<JddnyJphTIN/AAAB>", O},
	{"dovecot 2.3.19 logout", "dovecot", "Dec 01 23:21:15 "
		"imap(alice)<11705><yABkyJphRIN/AAAB>: Info: Disconnected: "
	"Logged out in=12 out=477 deleted=0 expunged=0 trashed=0", O},
	{"dovecot log_path mail process", "dovecot", "Dec 01 10:00:00 "
		"imap(alice)<12><x>: Info: Login: user=<x>, method=PLAIN, rip="
	EVIL, O},
	{"dovecot auth-worker", "dovecot", HDR "dovecot[1]: auth-worker(123): "
	"Login: user=<x>, method=PLAIN, rip=" EVIL, O},
	{"dovecot proxy", "dovecot", HDR "dovecot: imap-login: proxy(x): "
	"started proxying to " EVIL ":143: user=<x>, rip=" EVIL, O},
	{"other program, dovecot text", "dovecot", HDR "evil: imap-login: "
	"Login: user=<x>, method=PLAIN, rip=" EVIL ", lip=1.2.3.4", O},
	{"program prefix", "dovecotx", HDR "dovecotx: imap-login: Login: "
	"user=<x>, method=PLAIN, rip=" EVIL, O},
	{"program suffix", "dovecot", HDR "xdovecot: imap-login: Login: "
	"user=<x>, method=PLAIN, rip=" EVIL, O},
	{"wrong service for the tag", "dovecot", HDR "pop3-login: imap-login: "
	"Login: user=<x>, method=PLAIN, rip=" EVIL, O},
	{"embedded header", "dovecot", HDR "postfix/smtpd[1]: warning: "
		"hostname x does not resolve: Dec  1 10:00:00 mx dovecot: "
	"imap-login: Login: user=<x>, method=PLAIN, rip=" EVIL, O},
	{"journalctl continuation", "dovecot", "                            "
	"imap-login: Login: user=<x>, method=PLAIN, rip=" EVIL, O},
	{"continuation with a header", "dovecot", " " HDR "dovecot: imap-login"
	": Login: user=<x>, method=PLAIN, rip=" EVIL, O},
	{"no header", "dovecot", "dovecot: imap-login: Login: user=<x>, "
	"method=PLAIN, rip=" EVIL ", lip=1", O},
	{"journal banner", "dovecot", "-- Boot 0123456789abcdef --", O},
	{"bad month", "dovecot", "Dex  1 10:00:00 mx dovecot: imap-login: "
	"Login: user=<x>, rip=" EVIL, O},
	{"bad hour", "dovecot", "Dec  1 25:00:00 mx dovecot: imap-login: "
	"Login: user=<x>, rip=" EVIL, O},
	{"rfc5424 sd carrying text", "dovecot", "<22>1 2026-12-01T10:00:00Z "
		"mx app - - [x a=\"] dovecot: imap-login: Login: user=<x>, rip="
	EVIL "\"]", O},
	{"rfc5424 unterminated sd", "dovecot", "<22>1 2026-12-01T10:00:00Z "
	"mx dovecot - - [x a=\"] imap-login: Login: user=<x>, rip=" EVIL, O},
	{"courier in recipient", "courier", HDR "relayguard[12]: reject: "
	"rcpt=<LOGIN, user=x, ip=[" EVIL "]@b>", O},
	{"courier login failed", "courier", HDR "imapd: LOGIN FAILED, user=x, "
	"ip=[" EVIL "]", O},
	{"courier two ip", "courier", HDR "imapd: LOGIN, user=x, ip=[" EVIL
	"], ip=[192.0.2.1], port=[1]", R},
	{"courier user with ip", "courier", HDR "imapd: LOGIN, user=x ip=["
	EVIL "], ip=[192.0.2.1]", R},
	{"courier other program", "courier", HDR "postfix/smtpd[1]: LOGIN, "
	"user=x, ip=[" EVIL "]", O},
	{"cyrus badlogin", "cyrus", HDR "cyrus/imap[1]: badlogin: client ["
	EVIL "] plaintext x SASL(-13): authentication failure", O},
	{"cyrus user with address", "cyrus", HDR "imap[1]: login: h "
	"[192.0.2.1] x[" EVIL "] plain User logged in", R},
	{"cyrus no logged in", "cyrus", HDR "imap[1]: login: h [" EVIL "] x "
	"plain User failed", R},
	{"qpopper in sender", "qpopper", HDR "postfix/smtpd[1]: NOQUEUE: "
		"reject: from=<(v4.0.9) POP login by user \"x\" at (h) " EVIL
	"> to=<a@b>", O},
	{"qpopper user with quote", "qpopper", HDR "in.qpopper[1]: (v4.0.9) "
		"POP login by user \"x\" at (h) " EVIL "\" at (h) 192.0.2.1",
	R},
	{"qpopper trailing text", "qpopper", HDR "in.qpopper[1]: (v4.0.9) "
	"POP login by user \"x\" at (h) " EVIL " " EVIL, R},
	{"uw login failed", "uw-imap", HDR "imapd[1]: Login failed user=x "
	"auth=x host=h [" EVIL "]", O},
	{"uw two hosts", "uw-imap", HDR "imapd[1]: Login user=x host=[" EVIL
	"] host=h [192.0.2.1]", R},
	{"uw other program", "uw-imap", HDR "sshd[1]: Login user=x host=h ["
	EVIL "]", O},
	{"regex other program", "regex:app:ok from ([0-9.]+) as ([a-z]+)", HDR
	"postfix/smtpd[1]: ok from " EVIL " as x", O},
	{"regex not at start", "regex:app:ok from ([0-9.]+) as ([a-z]+)", HDR
	"app: helo ok from " EVIL " as x", O},
	{"regex bad user", "regex:app:ok from ([0-9.]+) as (.*)", HDR
	"app: ok from " EVIL " as x y", R},
	{"regex bad address", "regex:app:ok from ([^ ]+)", HDR
	"app: ok from [" EVIL "]", R},
};

START_TEST(test_forged)
{
	struct loginlog *f;
	struct loginlog_event ev;
	const char *why = NULL;
	char    err[256];
	enum loginlog_verdict v;

	ck_assert_msg(loginlog_new(forged_cases[_i].format, &f, err,
	    sizeof(err)) == 0 || strcmp(forged_cases[_i].format,
	    "dovecotx") == 0, "%s: %s", forged_cases[_i].label, err);
	if (strcmp(forged_cases[_i].format, "dovecotx") == 0)
		ck_assert(loginlog_new("dovecot", &f, err, sizeof(err)) == 0);
	v = loginlog_parse(f, forged_cases[_i].line,
	    strlen(forged_cases[_i].line), NOW, &ev, &why);
	ck_assert_msg(v != LOGINLOG_LOGIN, "%s: forged line grants",
	    forged_cases[_i].label);
	ck_assert_msg(v == forged_cases[_i].want, "%s: verdict %d, want %d "
	    "(%s)", forged_cases[_i].label, v, forged_cases[_i].want,
	    why ? why : "");
	ck_assert_msg(why != NULL, "%s: no reason", forged_cases[_i].label);
	loginlog_free(f);
}
END_TEST

/* Every forged line under every built-in format: no grant at all. */
static const char *const all_formats[] = {
	"dovecot", "courier", "cyrus", "qpopper", "uw-imap",
};

START_TEST(test_forged_any_format)
{
	struct loginlog *f;
	struct loginlog_event ev;
	char    err[256];
	size_t  i;

	ck_assert(loginlog_new(all_formats[_i], &f, err, sizeof(err)) == 0);
	for (i = 0; i < sizeof(forged_cases) / sizeof(forged_cases[0]); i++)
		ck_assert_msg(loginlog_parse(f, forged_cases[i].line,
		    strlen(forged_cases[i].line), NOW, &ev, NULL) !=
		    LOGINLOG_LOGIN, "%s grants under %s",
		    forged_cases[i].label, all_formats[_i]);
	loginlog_free(f);
}
END_TEST

static const struct {
	const char *label;
	const char *line;
	time_t	want;			/* -1: no timestamp */
}       time_cases[] = {
	{"classic", "Dec  1 10:00:00 mx x: y", NOW - 7200},
	{"classic zero-padded", "Dec 01 10:00:00 mx x: y", NOW - 7200},
	{"classic precise", "Dec 01 10:00:00.999 mx x: y", NOW - 7200},
	{"classic last year", "Dec 31 23:00:00 mx x: y", 1798758000 - 31536000},
	{"classic tomorrow is this year", "Dec  2 11:00:00 mx x: y",
	NOW + 82800},
	{"iso utc", "2026-12-01T10:00:00Z mx x: y", NOW - 7200},
	{"iso offset", "2026-12-01T11:00:00+01:00 mx x: y", NOW - 7200},
	{"iso offset no colon", "2026-12-01T05:00:00-0500 mx x: y", NOW - 7200},
	{"iso local", "2026-12-01T10:00:00 mx x: y", NOW - 7200},
	{"rfc5424", "<13>1 2026-12-01T10:00:00.5Z mx x - - - y", NOW - 7200},
	{"rfc5424 no pri", "1 2026-12-01T10:00:00Z mx x - - - y", NOW - 7200},
	{"rfc5424 nil time", "<13>1 - mx x - - - y", -1},
	{"pri classic", "<13>Dec  1 10:00:00 mx x: y", NOW - 7200},
	{"dovecot file", "Dec 01 10:00:00 imap-login: Info: y", NOW - 7200},
	{"bad", "yesterday mx x: y", -1},
	{"bad day", "Dec 32 10:00:00 mx x: y", -1},
	{"bad month", "2026-13-01T10:00:00Z mx x: y", -1},
};

START_TEST(test_time)
{
	time_t  t = 0;
	int     rc = loginlog_time(time_cases[_i].line,
	    strlen(time_cases[_i].line), NOW, &t);

	if (time_cases[_i].want == -1)
		ck_assert_msg(rc < 0, "%s: rc %d", time_cases[_i].label, rc);
	else {
		ck_assert_msg(rc == 0, "%s: rc %d", time_cases[_i].label, rc);
		ck_assert_msg(t == time_cases[_i].want, "%s: %lld, want %lld",
		    time_cases[_i].label, (long long) t,
		    (long long) time_cases[_i].want);
	}
}
END_TEST

static const struct {
	const char *format;
	int	ok;
}       format_cases[] = {
	{"dovecot", 1}, {"courier", 1}, {"cyrus", 1}, {"qpopper", 1},
	{"uw-imap", 1}, {"regex:app:x ([0-9.]+)", 1},
	{"regex:a,b/c,d-e.f:x ([0-9.]+) (u)", 1},
	{"regex:x ([0-9.]+)", 0},	/* no program named */
	{"regex::x ([0-9.]+)", 0},
	{"regex:a,,b:x ([0-9.]+)", 0},
	{"regex:a b:x ([0-9.]+)", 0},
	{"regex:app:no subexpression", 0},
	{"regex:app:([0-9.]+", 0},
	{"postfix", 0},
	{"", 0},
};

START_TEST(test_format)
{
	struct loginlog *f = NULL;
	char    err[256] = "";
	int     rc = loginlog_new(format_cases[_i].format, &f, err, sizeof(err));

	ck_assert_msg((rc == 0) == format_cases[_i].ok, "%s: rc %d %s",
	    format_cases[_i].format, rc, err);
	if (rc < 0)
		ck_assert_msg(err[0] != 0, "%s: no message",
		    format_cases[_i].format);
	else
		ck_assert_str_eq(loginlog_name(f), format_cases[_i].format);
	loginlog_free(f);
}
END_TEST

/* Line splitting: collect the lines and count the logins among them. */
struct collect {
	struct loginlog *f;
	int	lines, logins;
	unsigned long long last_off;
	char	first[64];
};

static void
collect_line(const char *line, size_t len, unsigned long long off, void *arg)
{
	struct collect *c = arg;
	struct loginlog_event ev;

	if (c->lines++ == 0)
		snprintf(c->first, sizeof(c->first), "%.*s",
		    (int) (len < 63 ? len : 63), line);
	c->last_off = off;
	if (loginlog_parse(c->f, line, len, NOW, &ev, NULL) == LOGINLOG_LOGIN)
		c->logins++;
}

/* chunk sizes to feed with: 1 byte, odd sizes, everything at once */
static const size_t chunks[] = {1, 7, 4096, 1 << 20};

START_TEST(test_lines)
{
	static const char forged[] = HDR "dovecot: imap-login: Login: "
	    "user=<x>, method=PLAIN, rip=" EVIL ", lip=1.2.3.4\n";
	static const char real[] = HDR "dovecot: imap-login: Login: "
	    "user=<a>, method=PLAIN, rip=" GOOD ", lip=1.2.3.4\n";
	struct loginlog_lines lb;
	struct collect c;
	char   *data, err[256];
	size_t  n, pad, i, k;

	/*
	 * An overlong relayguard line whose tail, after the line limit,
	 * is a complete forged login line: dropped whole. Then a real
	 * line, and a partial line that never ends.
	 */
	pad = LOGINLOG_LINE_MAX + 100;
	n = pad + strlen(forged) + strlen(real) + 10;
	data = malloc(n + 1);
	ck_assert_ptr_nonnull(data);
	memset(data, 'x', pad);
	memcpy(data, HDR "relayguard[1]: helo=<", strlen(HDR) + 20);
	memcpy(data + pad, forged, strlen(forged));
	memcpy(data + pad + strlen(forged), real, strlen(real));
	memcpy(data + pad + strlen(forged) + strlen(real), HDR, 10);
	memset(&lb, 0, sizeof(lb));
	memset(&c, 0, sizeof(c));
	ck_assert(loginlog_new("dovecot", &c.f, err, sizeof(err)) == 0);
	for (i = 0; i < n; i += k) {
		k = n - i < chunks[_i] ? n - i : chunks[_i];
		loginlog_lines_feed(&lb, data + i, k, collect_line, &c);
	}
	ck_assert_int_eq(c.lines, 1);
	ck_assert_int_eq(c.logins, 1);
	ck_assert_uint_eq(lb.dropped, 1);
	ck_assert_uint_eq(c.last_off, n - 10);
	ck_assert_uint_eq(lb.off, n);
	ck_assert(strncmp(c.first, HDR "dovecot", strlen(HDR) + 7) == 0);
	loginlog_lines_free(&lb);
	loginlog_free(c.f);
	free(data);
}
END_TEST

/* setup - classic timestamps are local time: make that UTC */
static void
setup(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

/*
 * Journal entries: the identifier comes apart from the message, and
 * the time from the journal, never from the message.
 */
static const struct {
	const char *label, *ident, *msg;
	int	nul;			/* msg goes on past one NUL */
	enum loginlog_verdict want;
	const char *addr, *user;
} journal_cases[] = {
	{"imap login", "dovecot", "imap-login: Login: user=<alice>, "
	"method=PLAIN, rip=192.0.2.5, lip=192.0.2.1, mpid=7, TLS", 0, LOGINLOG_LOGIN,
	"192.0.2.5", "alice"},
	{"pop3 login", "dovecot", "pop3-login: Login: user=<bob>, "
	"method=PLAIN, rip=2001:db8::5, lip=::1", 0, LOGINLOG_LOGIN, "2001:db8::5",
	"bob"},
	{"other identifier", "mallory", "imap-login: Login: user=<m>, "
	"method=PLAIN, rip=198.18.0.1, lip=1.2.3.4", 0, O, NULL, NULL},
	{"no identifier", "", "imap-login: Login: user=<m>, method=PLAIN, "
	"rip=198.18.0.2, lip=1.2.3.4", 0, O, NULL, NULL},
	{"identifier with NUL", "dovecot\0x", "imap-login: Login: user=<m>, "
	"method=PLAIN, rip=198.18.0.3, lip=1.2.3.4", 0, O, NULL, NULL},
	{"syslog header in message", "dovecot", "Dec  1 10:00:00 mx dovecot: "
	"imap-login: Login: user=<m>, rip=198.18.0.4", 0, O, NULL, NULL},
	{"login text later", "postfix/smtpd", "NOQUEUE: reject: helo=<"
	"imap-login: Login: user=<x>, rip=198.18.0.5>", 0, O, NULL, NULL},
	{"failed login", "dovecot", "imap-login: Aborted login (auth failed, "
	"1 attempts in 2 secs): user=<x>, method=PLAIN, rip=198.18.0.6, "
	"lip=192.0.2.1", 0, O, NULL, NULL},
	{"NUL in message", "dovecot", "imap-login: Login: user=<m>, "
	"method=PLAIN, rip=192.0.2.9\0, rip=198.18.0.7", 1, O, NULL, NULL},
	{"newline in message", "dovecot", "imap-login: Login: user=<m>, "
	"method=PLAIN, rip=192.0.2.9\nrip=198.18.0.8", 0, O, NULL, NULL},
	{"forged user name", "dovecot", "imap-login: Login: user=<x, "
	"rip=198.18.0.9>, method=PLAIN, rip=192.0.2.1", 0, R, NULL, NULL},
};

START_TEST(test_journal)
{
	struct loginlog *f;
	struct loginlog_event ev;
	const char *why = NULL, *ident = journal_cases[_i].ident;
	const char *msg = journal_cases[_i].msg;
	size_t  ilen = strcmp(journal_cases[_i].label,
	    "identifier with NUL") == 0 ? 9 : strlen(ident);
	size_t  mlen = strlen(msg);
	char    err[256], abuf[ADDR_STRLEN];
	enum loginlog_verdict v;

	if (journal_cases[_i].nul)
		mlen += 1 + strlen(msg + mlen + 1);
	ck_assert_msg(loginlog_new("dovecot", &f, err, sizeof(err)) == 0,
	    "%s", err);
	v = loginlog_parse_msg(f, ident, ilen, msg, mlen, NOW - 5, &ev, &why);
	ck_assert_msg(v == journal_cases[_i].want, "%s: verdict %d, want %d "
	    "(%s)", journal_cases[_i].label, v, journal_cases[_i].want,
	    why ? why : "");
	if (v == LOGINLOG_LOGIN) {
		addr_format(&ev.addr, abuf, sizeof(abuf));
		ck_assert_str_eq(abuf, journal_cases[_i].addr);
		ck_assert_str_eq(ev.user, journal_cases[_i].user);
		ck_assert_str_eq(ev.prog, ident);
		ck_assert(ev.when == NOW - 5);
	} else
		ck_assert_msg(why != NULL, "%s: no reason",
		    journal_cases[_i].label);
	loginlog_free(f);
}
END_TEST

#define N(a)	((int) (sizeof(a) / sizeof((a)[0])))

Suite  *
loginlog_suite(void)
{
	Suite  *s = suite_create("loginlog");
	TCase  *tc;

	tc = tcase_create("real");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_real, 0, N(real_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("forged");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_forged, 0, N(forged_cases));
	tcase_add_loop_test(tc, test_forged_any_format, 0, N(all_formats));
	suite_add_tcase(s, tc);
	tc = tcase_create("journal");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_journal, 0, N(journal_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("time");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_time, 0, N(time_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("format");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_format, 0, N(format_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("lines");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_lines, 0, N(chunks));
	suite_add_tcase(s, tc);
	return (s);
}
