/*
 * NAME
 *	check_spread - unit tests of networks rules (rules/spread.c,
 *	store/spread_local.c)
 * SYNOPSIS
 *	Suite *spread_suite(void)
 * DESCRIPTION
 *	The store: distinct networks counted within a period, capped at
 *	K + 1, a full store failing closed until keys age out, threads
 *	noting the same keys at once. The rules:
 *	the K-th network passes and the K+1-th is refused (and reported
 *	once, with the block asked for), the hour's edge to the
 *	microsecond, a /64 counted as one network, strangers and exempt
 *	identities not counted, warn mode reporting without deciding,
 *	no store answering on-error, syntax errors, and the blocked flag
 *	the daemon counts refusals of blocked identities with. Time is
 *	passed in: no sleeps.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "rules/limits.h"
#include "rules/rules.h"
#include "store/spread.h"
#include "tests/check_scratch.h"
#include "tests/check_timeout.h"

Suite  *spread_suite(void);

#define N(a)	(sizeof(a) / sizeof((a)[0]))
#define T0	(INT64_C(1800000000) * LIMIT_US)
#define SEC	LIMIT_US
#define HOUR	(3600 * SEC)

static int64_t now;
static int events;
static struct rules_limit_event last;
static char last_subject[64], last_network[64];
static char dir[256];

/* clock_fn - the injected time */
static int64_t
clock_fn(void *arg)
{
	(void) arg;
	return (now);
}

/* hook - the exceeded() hook: remember the last event */
static void
hook(void *arg, const struct rules_limit_event *ev)
{
	(void) arg;
	events++;
	last = *ev;
	snprintf(last_subject, sizeof(last_subject), "%s", ev->subject);
	snprintf(last_network, sizeof(last_network), "%s",
	    ev->network ? ev->network : "");
}

/* note - one note of key (alice, rule) from net at t; the count */
static unsigned
note(struct spread_store *s, const char *who, const char *net, int64_t t,
	int *added)
{
	struct limit_key k = {who, "rule"};
	struct spread_answer a;
	char    err[128];

	ck_assert_msg(spread_note(s, &k, net, 3, 3600, t, &a, err,
	    sizeof(err)) == 0, "%s", err);
	if (added)
		*added = a.added;
	return (a.networks);
}

/* Distinct networks, the cap at K + 1, the period's edge. */
START_TEST(test_store_count)
{
	struct spread_store *s = spread_local_open(0);
	int     added;

	ck_assert_uint_eq(note(s, "alice", "192.0.2.0/24", T0, &added), 1);
	ck_assert_int_eq(added, 1);
	ck_assert_uint_eq(note(s, "alice", "192.0.2.0/24", T0 + 1, &added), 1);
	ck_assert_int_eq(added, 0);
	ck_assert_uint_eq(note(s, "alice", "198.51.100.0/24", T0 + 2, NULL), 2);
	ck_assert_uint_eq(note(s, "alice", "203.0.113.0/24", T0 + 3, NULL), 3);
	ck_assert_uint_eq(note(s, "alice", "192.0.3.0/24", T0 + 4, &added), 4);
	ck_assert_int_eq(added, 1);
	/* the cap: a fifth distinct network still counts as K + 1 */
	ck_assert_uint_eq(note(s, "alice", "192.0.4.0/24", T0 + 5, NULL), 4);
	ck_assert_uint_eq(note(s, "bob", "192.0.2.0/24", T0 + 5, NULL), 1);
	ck_assert_uint_eq(spread_local_count(s), 2);
	/* an hour after the last sighting, each network no longer counts */
	ck_assert_uint_eq(note(s, "alice", "192.0.5.0/24", T0 + 5 + HOUR,
	    &added), 1);
	ck_assert_int_eq(added, 1);
	ck_assert_int_eq(spread_reset(s, "alice"), 1);
	ck_assert_uint_eq(spread_local_count(s), 1);
	spread_close(s);
}
END_TEST

/* A full store refuses new keys until old ones age out. */
START_TEST(test_store_full)
{
	struct spread_store *s = spread_local_open(2);
	struct limit_key k = {"carol", "rule"};
	struct spread_answer a;
	char    err[128];

	note(s, "alice", "192.0.2.0/24", T0, NULL);
	note(s, "bob", "192.0.2.0/24", T0 + SEC, NULL);
	ck_assert_int_eq(spread_note(s, &k, "192.0.2.0/24", 3, 3600,
	    T0 + 2 * SEC, &a, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "full"));
	/* known keys still count */
	ck_assert_uint_eq(note(s, "alice", "198.51.100.0/24", T0 + 3 * SEC,
	    NULL), 2);
	/* bob aged out: his room is carol's */
	ck_assert_int_eq(spread_note(s, &k, "192.0.2.0/24", 3, 3600,
	    T0 + SEC + HOUR, &a, err, sizeof(err)), 0);
	ck_assert_uint_eq(spread_local_count(s), 2);
	spread_close(s);
}
END_TEST

#define NTHREADS	8
#define NKEYS		50

struct race {
	struct spread_store *s;
	int     id;
	int     failed;
};

/* racer - one thread: every key from this thread's own network */
static void *
racer(void *arg)
{
	struct race *rc = arg;
	struct spread_answer a;
	struct limit_key k;
	char    who[16], net[32], err[128];
	int     i, j;

	snprintf(net, sizeof(net), "10.0.%d.0/24", rc->id);
	k.name = "rule";
	for (j = 0; j < 4; j++)
		for (i = 0; i < NKEYS; i++) {
			snprintf(who, sizeof(who), "u%d", i);
			k.subject = who;
			if (spread_note(rc->s, &k, net, 16, 3600, T0 + j, &a, err,
			    sizeof(err)) < 0 || a.networks < 1 ||
			    a.networks > NTHREADS)
				rc->failed++;
		}
	return (NULL);
}

/* Threads noting the same keys at once: no network lost or doubled. */
START_TEST(test_store_threads)
{
	struct spread_store *s = spread_local_open(0);
	struct race rc[NTHREADS];
	pthread_t t[NTHREADS];
	struct spread_answer a;
	struct limit_key k;
	char    who[16], err[128];
	int     i;

	for (i = 0; i < NTHREADS; i++) {
		rc[i].s = s;
		rc[i].id = i;
		rc[i].failed = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, racer, &rc[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(rc[i].failed, 0);
	}
	ck_assert_uint_eq(spread_local_count(s), NKEYS);
	k.name = "rule";
	k.subject = who;
	for (i = 0; i < NKEYS; i++) {
		snprintf(who, sizeof(who), "u%d", i);
		ck_assert_int_eq(spread_note(s, &k, "192.0.2.0/24", 16, 3600,
		    T0 + 10, &a, err, sizeof(err)), 0);
		ck_assert_uint_eq(a.networks, NTHREADS + 1);
	}
	spread_close(s);
}
END_TEST

static const char conf[] =
    "list vip { boss }\n"
    "mail {\n"
    "    reject identity blocked\n"
    "}\n"
    "rcpt {\n"
    "    reject networks 3/hour except <vip> block for 1d name \"spread\"\n"
    "    permit auth\n"
    "    permit rcpt-domain = example.com\n"
    "    reject\n"
    "}\n";

/* load - text after a blocks setting, store s attached (NULL: none) */
static struct rules *
load(const char *text, struct spread_store *s)
{
	struct strbuf errs = STRBUF_INIT, t = STRBUF_INIT;
	struct rules_limits l = {NULL, clock_fn, hook, NULL, s};
	struct rules *r;

	/* The first line names the blocks table of the scratch directory. */
	strbuf_printf(&t, "blocks \"%s/blocks.lmdb\"\n", dir);
	strbuf_puts(&t, text);
	r = rules_load_string("spread.conf", strbuf_str(&t), &errs);
	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	strbuf_free(&errs);
	strbuf_free(&t);
	rules_limits_attach(r, &l);
	return (r);
}

/* session - one session of who (NULL: none) from client to rcpt */
static enum rules_verdict
session(struct rules *r, const char *client, const char *who,
	const char *rcpt, struct rules_result *res)
{
	struct rules_session *s = rules_session_new(r, 0);
	struct rules_result tmp;
	struct addr a;

	if (res == NULL)
		res = &tmp;
	ck_assert_int_eq(addr_parse(client, &a), 0);
	rules_session_set_client(s, &a);
	rules_eval(s, RULES_CONNECT, res, NULL);
	if (who != NULL)
		ck_assert_int_eq(rules_session_set(s, RULES_FACT_AUTH, who), 0);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_SENDER,
	    "<x@example.org>"), 0);
	rules_eval(s, RULES_MAIL, res, NULL);
	if (res->verdict == RULES_CONTINUE) {
		ck_assert_int_eq(rules_session_set(s, RULES_FACT_RCPT, rcpt), 0);
		rules_eval(s, RULES_RCPT, res, NULL);
	}
	rules_session_free(s);
	return (res->verdict);
}

static void setup(void) { scratch_make(dir, sizeof(dir), "spread"); }
static void teardown(void) { scratch_remove(dir); }

/* The 3rd network passes, the 4th is refused and reported once. */
START_TEST(test_rule_boundary)
{
	struct spread_store *s = spread_local_open(0);
	struct rules *r = load(conf, s);
	struct rules_result res;

	now = T0;
	events = 0;
	ck_assert_int_eq(session(r, "192.0.2.1", "alice", "<a@far.example>",
	    NULL), RULES_CONTINUE);
	/* the same /24 is the same network */
	ck_assert_int_eq(session(r, "192.0.2.200", "alice", "<a@far.example>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(session(r, "198.51.100.1", "alice", "<a@far.example>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(session(r, "203.0.113.1", "Alice", "<a@far.example>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(events, 0);
	ck_assert_int_eq(session(r, "192.0.3.1", "alice", "<a@far.example>",
	    &res), RULES_REJECT);
	ck_assert_str_eq(res.code, "554");
	ck_assert_str_eq(res.xcode, "5.7.1");
	ck_assert_str_eq(res.text, "alice: logins from too many networks; "
	    "contact your postmaster");
	ck_assert_int_eq(events, 1);
	ck_assert_str_eq(last_subject, "alice");
	ck_assert_str_eq(last_network, "192.0.3.0/24");
	ck_assert_uint_eq(last.networks, 4);
	ck_assert_int_eq(last.block_ttl, 86400);
	ck_assert_int_eq(last.warn, 0);
	ck_assert_str_eq(last.limit, "spread");
	/* a network already seen: refused, not reported again */
	ck_assert_int_eq(session(r, "192.0.2.1", "alice", "<a@far.example>",
	    NULL), RULES_REJECT);
	ck_assert_int_eq(events, 1);
	/* exempt identities and strangers are not counted */
	ck_assert_int_eq(session(r, "192.0.3.1", "boss", "<a@far.example>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(session(r, "192.0.4.1", NULL, "<a@example.com>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(session(r, "192.0.5.1", NULL, "<a@example.com>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(events, 1);
	rules_unref(r);
	spread_close(s);
}
END_TEST

/* three_then - who from three networks in 20 minutes, a fourth at t */
static enum rules_verdict
three_then(struct rules *r, const char *who, int64_t t)
{
	static const char *const nets[] = {"192.0.2.1", "198.51.100.1",
	"203.0.113.1"};
	size_t  i;

	for (i = 0; i < N(nets); i++) {
		now = T0 + (i ? 20 * 60 * SEC : 0);
		ck_assert_int_eq(session(r, nets[i], who, "<a@far.example>",
		    NULL), RULES_CONTINUE);
	}
	now = t;
	return (session(r, "192.0.3.1", who, "<a@far.example>", NULL));
}

/* The hour: a network seen an hour ago no longer counts. */
START_TEST(test_rule_hour)
{
	struct spread_store *s = spread_local_open(0);
	struct rules *r = load(conf, s);

	events = 0;
	ck_assert_int_eq(three_then(r, "carol", T0 + HOUR), RULES_CONTINUE);
	ck_assert_int_eq(events, 0);
	/* the same, a microsecond earlier */
	ck_assert_int_eq(three_then(r, "dave", T0 + HOUR - 1), RULES_REJECT);
	ck_assert_int_eq(events, 1);
	rules_unref(r);
	spread_close(s);
}
END_TEST

/* IPv6: a /64 is one network. */
START_TEST(test_rule_ipv6)
{
	struct spread_store *s = spread_local_open(0);
	struct rules *r = load(conf, s);

	events = 0;
	now = T0;
	ck_assert_int_eq(session(r, "2001:db8:1:2::1", "erin",
	    "<a@far.example>", NULL), RULES_CONTINUE);
	ck_assert_int_eq(session(r, "2001:db8:1:2:ffff::9", "erin",
	    "<a@far.example>", NULL), RULES_CONTINUE);
	ck_assert_int_eq(session(r, "2001:db8:1:3::1", "erin",
	    "<a@far.example>", NULL), RULES_CONTINUE);
	ck_assert_int_eq(session(r, "192.0.2.1", "erin", "<a@far.example>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(session(r, "2001:db8:2::1", "erin", "<a@far.example>",
	    NULL), RULES_REJECT);
	ck_assert_str_eq(last_network, "2001:db8:2::/64");
	rules_unref(r);
	spread_close(s);
}
END_TEST

/* Warn: the rule decides nothing, reports what it would have blocked. */
START_TEST(test_rule_warn)
{
	static const char wconf[] =
		    "rcpt {\n"
	    "    reject networks 1/hour block for 2h warn name \"w\"\n"
	    "    permit auth\n"
	    "    reject\n"
	    "}\n";
	struct spread_store *s = spread_local_open(0);
	struct rules *r = load(wconf, s);
	struct rules_result res;

	events = 0;
	now = T0;
	ck_assert_int_eq(session(r, "192.0.2.1", "frank", "<a@far.example>",
	    &res), RULES_CONTINUE);
	ck_assert_int_eq(res.warned, 0);
	ck_assert_int_eq(session(r, "198.51.100.1", "frank",
	    "<a@far.example>", &res), RULES_CONTINUE);
	ck_assert_int_eq(res.warned, 1);
	ck_assert_int_eq(res.warn_verdict, RULES_REJECT);
	ck_assert_int_eq(events, 1);
	ck_assert_int_eq(last.warn, 1);
	ck_assert_int_eq(last.block_ttl, 7200);
	rules_unref(r);
	spread_close(s);
}
END_TEST

/* Without a store, or when it is full, on-error decides. */
START_TEST(test_rule_fail_closed)
{
	struct spread_store *s = spread_local_open(1);
	struct rules *r = load(conf, NULL);
	struct rules_result res;

	now = T0;
	ck_assert_int_eq(session(r, "192.0.2.1", "alice", "<a@far.example>",
	    &res), RULES_TEMPFAIL);
	ck_assert_int_eq(res.lookup_error, 1);
	ck_assert_ptr_nonnull(strstr(res.error, "no networks store"));
	rules_unref(r);
	r = load(conf, s);
	ck_assert_int_eq(session(r, "192.0.2.1", "alice", "<a@far.example>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(session(r, "192.0.2.1", "bob", "<a@far.example>",
	    &res), RULES_TEMPFAIL);
	ck_assert_int_eq(res.lookup_error, 1);
	rules_unref(r);
	spread_close(s);
}
END_TEST

/* A refusal of a blocked identity is flagged for the stats. */
START_TEST(test_blocked_flag)
{
	struct spread_store *s = spread_local_open(0);
	struct rules *r = load(conf, s);
	struct rules_result res;
	char    err[256];
	size_t  revoked;

	now = T0;
	ck_assert_msg(rules_block_add(r, NULL, "gina", 0, "test", &revoked,
	    err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(session(r, "192.0.2.1", "gina", "<a@far.example>",
	    &res), RULES_REJECT);
	ck_assert_int_eq(res.blocked, 1);
	ck_assert_int_eq(session(r, "192.0.2.1", "hal", "<a@example.org>",
	    &res), RULES_CONTINUE);
	ck_assert_int_eq(res.blocked, 0);
	ck_assert_int_eq(session(r, "192.0.2.1", NULL, "<a@far.example>",
	    &res), RULES_REJECT);
	ck_assert_int_eq(res.blocked, 0);
	rules_unref(r);
	spread_close(s);
}
END_TEST

/* A limit rule marked warn reports its block-after as warn. */
START_TEST(test_limit_warn)
{
	static const char lconf[] =
		    "limit-state none\n"
	    "rcpt {\n"
	    "    tempfail limit 1/hour block-after 1 warn\n"
	    "    permit auth\n"
	    "}\n";
	struct limit_store *ls;
	struct rules_limits l = {NULL, clock_fn, hook, NULL, NULL};
	struct rules *r = load(lconf, NULL);
	char    err[256];

	ck_assert_int_eq(limit_local_open(NULL, 0, &ls, err, sizeof(err)), 0);
	l.store = ls;
	rules_limits_attach(r, &l);
	events = 0;
	now = T0;
	ck_assert_int_eq(session(r, "192.0.2.1", "ian", "<a@far.example>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(session(r, "192.0.2.1", "ian", "<a@far.example>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(events, 1);
	ck_assert_int_eq(last.warn, 1);
	ck_assert_uint_eq(last.networks, 0);
	rules_unref(r);
	limit_close(ls);
}
END_TEST

static const struct {
	const char *conf, *want;
} bad[] = {
	{"rcpt {\n permit networks 3/hour\n}\n", "needs tempfail or reject"},
	{"rcpt {\n reject networks 17/hour\n}\n", "at most 16"},
	{"rcpt {\n reject networks three\n}\n", "a count after networks"},
	{"rcpt {\n reject networks 3/hour per client\n}\n",
	"identity after per"},
	{"rcpt {\n reject networks 3/hour block for ever\n}\n",
	"a duration"},
	{"rcpt {\n reject networks 3/hour except\n}\n", "after except"},
};

/* Syntax errors say what was expected. */
START_TEST(test_rule_errors)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("bad.conf", bad[_i].conf, &errs);

	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(strbuf_str(&errs), bad[_i].want) != NULL,
	    "want \"%s\" in: %s", bad[_i].want, strbuf_str(&errs));
	strbuf_free(&errs);
}
END_TEST

/* spread_suite - networks rules */
Suite  *
spread_suite(void)
{
	Suite  *s = suite_create("spread");
	TCase  *tc;

	tc = tcase_create("store");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_test(tc, test_store_count);
	tcase_add_test(tc, test_store_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, RG_TIMEOUT_SLOW);
	tcase_add_test(tc, test_store_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rule_boundary);
	tcase_add_test(tc, test_rule_hour);
	tcase_add_test(tc, test_rule_ipv6);
	tcase_add_test(tc, test_rule_warn);
	tcase_add_test(tc, test_rule_fail_closed);
	tcase_add_test(tc, test_blocked_flag);
	tcase_add_test(tc, test_limit_warn);
	tcase_add_loop_test(tc, test_rule_errors, 0, N(bad));
	suite_add_tcase(s, tc);
	return (s);
}
