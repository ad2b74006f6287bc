/*
 * NAME
 *	check_limit - unit tests of the rate counters (store/limit*.c)
 * SYNOPSIS
 *	Suite *limit_suite(void)
 * DESCRIPTION
 *	Time is passed in, so boundaries are tested to the microsecond
 *	with no sleeps. Files live in a private directory under $TMPDIR.
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
#include "store/limit.h"
#include "tests/check_timeout.h"

Suite  *limit_suite(void);

#define N(a)	(sizeof(a) / sizeof((a)[0]))
#define T0	(INT64_C(1800000000) * LIMIT_US)	/* any fixed instant */
#define SEC	LIMIT_US

static char dir[256];

/* scratch - make (up) or remove (!up) the test's private directory */
static void
scratch(int up)
{
	const char *t = getenv("TMPDIR");
	char    cmd[300];

	if (up) {
		snprintf(dir, sizeof(dir), "%s/rglimit.XXXXXX", t ? t : "/tmp");
		ck_assert_ptr_nonnull(mkdtemp(dir));
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void setup(void) { scratch(1); }
static void teardown(void) { scratch(0); }

/* mem - a memory-only store */
static struct limit_store *
mem(void)
{
	struct limit_store *s;
	char    err[256];

	ck_assert_int_eq(limit_local_open(NULL, 0, &s, err, sizeof(err)), 0);
	return (s);
}

/* take1 - one unit at now; 1 allowed, 0 refused */
static int
take1(struct limit_store *s, const struct limit_key *k,
	const struct limit_window *w, size_t nw, int64_t now,
	struct limit_answer *a)
{
	struct limit_answer dummy;

	ck_assert_int_eq(limit_take(s, k, w, nw, now, 1, a ? a : &dummy), 0);
	return ((a ? a : &dummy)->allowed);
}

/*
 * Boundaries: count units pass at one instant, the next is refused
 * until exactly T = period / count later (to the microsecond, however
 * period / count divides), and then one passes.
 */
static const struct boundary {
	const char *label;
	struct limit_window w;
	int64_t t_us;			/* T in microseconds, rounded up */
} boundaries[] = {
	{"100/hour", {100, 3600}, 36 * SEC},
	{"7/hour (T not whole)", {7, 3600}, (3600 * SEC + 6) / 7},
	{"1/second", {1, 1}, SEC},
	{"3/day", {3, 86400}, 28800 * SEC},
	{"100000/week", {100000, 604800}, 6048000},
};

START_TEST(test_boundary)
{
	const struct boundary *b = &boundaries[_i];
	struct limit_store *s = mem();
	struct limit_key k = {"alice@example.com", "hourly"};
	struct limit_answer a;
	uint32_t i;

	for (i = 1; i <= b->w.count; i++)
		ck_assert_msg(take1(s, &k, &b->w, 1, T0, &a),
		    "%s: unit %u refused", b->label, i);
	ck_assert_uint_eq(a.left[0], 0);
	ck_assert_msg(!take1(s, &k, &b->w, 1, T0, &a), "%s: over-admitted",
	    b->label);
	ck_assert_int_eq(a.window, 0);
	ck_assert_msg(a.again == T0 + b->t_us, "%s: again %lld, want %lld",
	    b->label, (long long) (a.again - T0), (long long) b->t_us);
	ck_assert_uint_eq(a.denials, 1);
	ck_assert(!take1(s, &k, &b->w, 1, T0 + b->t_us - 1, &a));
	ck_assert_uint_eq(a.denials, 2);
	ck_assert(take1(s, &k, &b->w, 1, T0 + b->t_us, &a));
	ck_assert(!take1(s, &k, &b->w, 1, T0 + b->t_us, &a));
	/* A whole period later the window is full again. */
	ck_assert(take1(s, &k, &b->w, 1, T0 + (int64_t) b->w.period * SEC +
	    b->t_us, &a));
	ck_assert_uint_eq(a.left[0], b->w.count - 1);
	limit_close(s);
}
END_TEST

/* Several windows: the tighter one refuses first, all are charged. */
START_TEST(test_windows)
{
	struct limit_store *s = mem();
	struct limit_key k = {"bob", "two"};
	struct limit_window w[2] = {{3, 60}, {5, 3600}};
	struct limit_answer a;
	struct limit_info info;

	ck_assert(take1(s, &k, w, 2, T0, &a));
	ck_assert(take1(s, &k, w, 2, T0, &a));
	ck_assert(take1(s, &k, w, 2, T0, &a));
	ck_assert_uint_eq(a.left[0], 0);
	ck_assert_uint_eq(a.left[1], 2);
	ck_assert(!take1(s, &k, w, 2, T0, &a));
	ck_assert_int_eq(a.window, 0);
	ck_assert(a.again == T0 + 20 * SEC);
	ck_assert(take1(s, &k, w, 2, T0 + 20 * SEC, &a));
	ck_assert(take1(s, &k, w, 2, T0 + 40 * SEC, &a));
	/* five this hour: now the hour refuses, for 720 s after T0 */
	ck_assert(!take1(s, &k, w, 2, T0 + 60 * SEC, &a));
	ck_assert_int_eq(a.window, 1);
	ck_assert(a.again == T0 + 720 * SEC);
	ck_assert(!take1(s, &k, w, 2, T0 + 720 * SEC - 1, &a));
	ck_assert(take1(s, &k, w, 2, T0 + 720 * SEC, &a));
	/* A refused take charged nothing: the minute window is not full. */
	ck_assert_int_eq(limit_peek(s, &k, T0 + 720 * SEC, &info), 1);
	ck_assert_uint_eq(info.nwin, 2);
	ck_assert_uint_eq(info.left[0], 2);
	ck_assert_uint_eq(info.left[1], 0);
	ck_assert(info.next[1] == T0 + 1440 * SEC);
	limit_close(s);
}
END_TEST

/* Give returns a unit; it never banks credit beyond a full window. */
START_TEST(test_give)
{
	struct limit_store *s = mem();
	struct limit_key k = {"carol", "g"};
	struct limit_window w = {2, 60};
	struct limit_answer a;

	ck_assert(take1(s, &k, &w, 1, T0, &a));
	ck_assert(take1(s, &k, &w, 1, T0, &a));
	ck_assert(!take1(s, &k, &w, 1, T0, &a));
	ck_assert_int_eq(limit_give(s, &k, &w, 1, T0, 1), 0);
	ck_assert(take1(s, &k, &w, 1, T0, &a));
	ck_assert(!take1(s, &k, &w, 1, T0, &a));
	/* giving more than was taken leaves the window full, no more */
	ck_assert_int_eq(limit_give(s, &k, &w, 1, T0, 5), 0);
	ck_assert(take1(s, &k, &w, 1, T0, &a));
	ck_assert(take1(s, &k, &w, 1, T0, &a));
	ck_assert(!take1(s, &k, &w, 1, T0, &a));
	limit_close(s);
}
END_TEST

/* A take of several units is all or nothing. */
START_TEST(test_take_n)
{
	struct limit_store *s = mem();
	struct limit_key k = {"dave", "n"};
	struct limit_window w = {10, 60};
	struct limit_answer a;

	ck_assert_int_eq(limit_take(s, &k, &w, 1, T0, 7, &a), 0);
	ck_assert(a.allowed);
	ck_assert_int_eq(limit_take(s, &k, &w, 1, T0, 4, &a), 0);
	ck_assert(!a.allowed);
	ck_assert_uint_eq(a.left[0], 3);
	ck_assert_int_eq(limit_take(s, &k, &w, 1, T0, 3, &a), 0);
	ck_assert(a.allowed);
	ck_assert_int_eq(limit_take(s, &k, &w, 1, T0, 11, &a), 0);
	ck_assert(!a.allowed);
	limit_close(s);
}
END_TEST

struct lister {
	int     n;
	char    seen[256];
};

/* list_fn - collect "subject/name" */
static int
list_fn(const struct limit_info *i, void *arg)
{
	struct lister *l = arg;

	l->n++;
	snprintf(l->seen + strlen(l->seen), sizeof(l->seen) - strlen(l->seen),
	    "%.40s/%.40s ", i->subject, i->name);
	return (0);
}

/* Keys are per subject and limit; reset and list go by subject. */
START_TEST(test_reset_list)
{
	struct limit_store *s = mem();
	struct limit_key a1 = {"alice", "h"}, a2 = {"alice", "d"},
	    b1 = {"bob", "h"};
	struct limit_window w = {1, 60};
	struct lister l = {0, ""};

	ck_assert(take1(s, &a1, &w, 1, T0, NULL));
	ck_assert(take1(s, &a2, &w, 1, T0, NULL));
	ck_assert(take1(s, &b1, &w, 1, T0, NULL));
	ck_assert(!take1(s, &a1, &w, 1, T0, NULL));
	ck_assert_int_eq(limit_list(s, "alice", T0, list_fn, &l), 0);
	ck_assert_int_eq(l.n, 2);
	ck_assert_ptr_null(strstr(l.seen, "bob"));
	l.n = 0;
	ck_assert_int_eq(limit_list(s, NULL, T0, list_fn, &l), 0);
	ck_assert_int_eq(l.n, 3);
	/* idle keys are not listed */
	l.n = 0;
	ck_assert_int_eq(limit_list(s, NULL, T0 + 60 * SEC, list_fn, &l), 0);
	ck_assert_int_eq(l.n, 0);
	ck_assert_int_eq(limit_reset(s, "alice"), 2);
	ck_assert(take1(s, &a1, &w, 1, T0, NULL));
	ck_assert(!take1(s, &b1, &w, 1, T0, NULL));
	ck_assert_int_eq(limit_reset(s, "nobody"), 0);
	limit_close(s);
}
END_TEST

/* A restart keeps the counters: flush, close, open again. */
START_TEST(test_persist)
{
	struct limit_store *s;
	struct limit_key k = {"erin@example.com", "hourly"},
	    gone = {"frank", "hourly"}, reset = {"gina", "hourly"};
	struct limit_window w[2] = {{2, 60}, {3, 3600}};
	struct limit_answer a;
	char    path[300], err[256];

	snprintf(path, sizeof(path), "%s/limits.lmdb", dir);
	ck_assert_int_eq(limit_local_open(path, 0, &s, err, sizeof(err)), 0);
	ck_assert(take1(s, &k, w, 2, T0, &a));
	ck_assert(take1(s, &k, w, 2, T0, &a));
	ck_assert(!take1(s, &k, w, 2, T0, &a));
	ck_assert(take1(s, &gone, w, 2, T0 - 7200 * SEC, &a));
	ck_assert(take1(s, &reset, w, 2, T0, &a));
	ck_assert(take1(s, &reset, w, 2, T0, &a));
	ck_assert_int_eq(limit_flush(s, T0, err, sizeof(err)), 0);
	ck_assert_int_eq(limit_reset(s, "gina"), 1);
	ck_assert_int_eq(limit_flush(s, T0, err, sizeof(err)), 0);
	/* the idle key was dropped by the flush */
	ck_assert_uint_eq(limit_local_count(s), 1);
	limit_close(s);

	ck_assert_int_eq(limit_local_open(path, 0, &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(limit_local_count(s), 1);
	ck_assert(!take1(s, &k, w, 2, T0 + 30 * SEC - 1, &a));
	ck_assert_uint_eq(a.denials, 2);
	ck_assert(take1(s, &k, w, 2, T0 + 30 * SEC, &a));
	ck_assert(take1(s, &reset, w, 2, T0, &a));
	ck_assert(take1(s, &reset, w, 2, T0, &a));
	ck_assert_int_eq(limit_flush(s, T0 + 30 * SEC, err, sizeof(err)), 0);
	limit_close(s);

	/* read-only: loaded, never written */
	ck_assert_int_eq(limit_local_open(path, 1, &s, err, sizeof(err)), 0);
	ck_assert(!take1(s, &k, w, 2, T0 + 30 * SEC, &a));
	ck_assert_uint_eq(a.left[1], 0);
	ck_assert_int_eq(limit_flush(s, T0, err, sizeof(err)), 0);
	limit_close(s);
}
END_TEST

/* A file that is not a counter file is refused with a message. */
START_TEST(test_bad_file)
{
	struct limit_store *s;
	char    path[300], err[256] = "";
	FILE   *f;

	snprintf(path, sizeof(path), "%s/junk", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("not an lmdb file, but long enough to be looked at........", f);
	fclose(f);
	ck_assert_int_eq(limit_local_open(path, 0, &s, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

/* Sixteen threads of one subject: exactly count pass, no slack. */
#define NTHREADS	16
#define PER_THREAD	500

struct racer {
	struct limit_store *s;
	int64_t now;
	int     allowed;
	pthread_barrier_t *go;
};

/* race - take as fast as possible at one instant */
static void *
race(void *arg)
{
	struct racer *r = arg;
	struct limit_key k = {"mallory", "hourly"};
	struct limit_window w[2] = {{1000, 3600}, {5000, 86400}};
	struct limit_answer a;
	int     i;

	pthread_barrier_wait(r->go);
	for (i = 0; i < PER_THREAD; i++) {
		if (limit_take(r->s, &k, w, 2, r->now, 1, &a) == 0 && a.allowed)
			r->allowed++;
		/* and a refund now and then, as a refused recipient does */
		if (i % 7 == 0 && a.allowed) {
			limit_give(r->s, &k, w, 2, r->now, 1);
			r->allowed--;
		}
	}
	return (NULL);
}

START_TEST(test_threads)
{
	struct limit_store *s = mem();
	pthread_t t[NTHREADS];
	struct racer r[NTHREADS];
	pthread_barrier_t go;
	int     i, total = 0;

	pthread_barrier_init(&go, NULL, NTHREADS);
	for (i = 0; i < NTHREADS; i++) {
		r[i].s = s;
		r[i].now = T0;
		r[i].allowed = 0;
		r[i].go = &go;
		ck_assert_int_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		total += r[i].allowed;
	}
	pthread_barrier_destroy(&go);
	/* never over; a refund at the very end may leave a unit unused */
	ck_assert_int_le(total, 1000);
	ck_assert_int_ge(total, 1000 - NTHREADS);
	limit_close(s);
}
END_TEST


static const struct wcase {
	const char *text;
	int     ok;
	uint32_t count, period;
	const char *fmt;
} wcases[] = {
	{"100/hour", 1, 100, 3600, "100/hour"},
	{"500/day", 1, 500, 86400, "500/day"},
	{"20/10m", 1, 20, 600, "20/10m"},
	{"5/s", 1, 5, 1, "5/second"},
	{"1/week", 1, 1, 604800, "1/week"},
	{"3/2hours", 1, 3, 7200, "3/2h"},
	{"90/90s", 1, 90, 90, "90/90s"},
	{"0/hour", 0, 0, 0, NULL},
	{"1000001/hour", 0, 0, 0, NULL},
	{"10/fortnight", 0, 0, 0, NULL},
	{"10/5w", 0, 0, 0, NULL},
	{"hour", 0, 0, 0, NULL},
	{"10", 0, 0, 0, NULL},
	{"10/", 0, 0, 0, NULL},
	{"-1/hour", 0, 0, 0, NULL},
};

START_TEST(test_window_parse)
{
	const struct wcase *c = &wcases[_i];
	struct limit_window w;
	char    err[256] = "", buf[64];
	int     rc = limit_window_parse(c->text, &w, err, sizeof(err));

	if (!c->ok) {
		ck_assert_msg(rc == -1, "%s: accepted", c->text);
		ck_assert(err[0] != 0);
		return;
	}
	ck_assert_msg(rc == 0, "%s: %s", c->text, err);
	ck_assert_uint_eq(w.count, c->count);
	ck_assert_uint_eq(w.period, c->period);
	limit_window_format(&w, buf, sizeof(buf));
	ck_assert_str_eq(buf, c->fmt);
}
END_TEST


/*
 * Rules: a session per test, time from a variable, the counters in a
 * memory store that outlives the configurations.
 */
static int64_t clock_now;
static int exceeded_calls;
static char exceeded_subject[LIMIT_SUBJECT_MAX + 1];

/* test_clock - the injected time */
static int64_t
test_clock(void *arg)
{
	(void) arg;
	return (clock_now);
}

/* test_exceeded - the block hook */
static void
test_exceeded(void *arg, const struct rules_limit_event *ev)
{
	(void) arg;
	exceeded_calls++;
	snprintf(exceeded_subject, sizeof(exceeded_subject), "%s", ev->subject);
	ck_assert_int_eq(ev->block_ttl, 7200);
	ck_assert_int_eq(ev->identity, 1);
	ck_assert_ptr_nonnull(ev->rules);
}

static const char limit_conf[] =
    "list vip { boss@example.com }\n"
    "rcpt {\n"
    "    tempfail auth = big@example.com and limit 10/minute name \"big\"\n"
    "    tempfail not auth = big@example.com and limit 3/minute 5/hour "
    "per identity except <vip> block-after 2 for 2h name \"rate\"\n"
    "    permit rcpt-domain = example.com\n"
    "    permit auth\n"
    "    reject\n"
    "}\n";

/* load - limit_conf (or text) attached to store s */
static struct rules *
load(const char *text, struct limit_store *s)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("limit.conf", text, &errs);
	struct rules_limits l = {s, test_clock, test_exceeded, NULL, NULL};

	ck_assert_msg(r != NULL, "%s", strbuf_str(&errs));
	strbuf_free(&errs);
	rules_limits_attach(r, &l);
	return (r);
}

/* rcpt - one RCPT of a new session; the verdict */
static enum rules_verdict
rcpt(struct rules *r, const char *client, const char *auth, const char *to,
	struct rules_result *res)
{
	struct rules_session *s = rules_session_new(r, 0);
	struct rules_result dummy;
	struct addr a;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(addr_parse(client, &a), 0);
	if (res == NULL)
		res = &dummy;
	rules_session_set_client(s, &a);
	rules_eval(s, RULES_CONNECT, res, NULL);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_AUTH, auth), 0);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_SENDER,
	    "<x@example.org>"), 0);
	rules_eval(s, RULES_MAIL, res, NULL);
	ck_assert_int_eq(rules_session_set(s, RULES_FACT_RCPT, to), 0);
	rules_eval(s, RULES_RCPT, res, NULL);
	rules_session_free(s);
	return (res->verdict);
}

/* The N-th passes, the N+1-th gets 451 4.7.1, time lets it pass again. */
START_TEST(test_rule_boundary)
{
	struct limit_store *s = mem();
	struct rules *r = load(limit_conf, s);
	struct rules_result res;
	int     i;

	clock_now = T0;
	exceeded_calls = 0;
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(rcpt(r, "192.0.2.1", "alice", "<a@far.example>",
		    NULL), RULES_CONTINUE);
	ck_assert_int_eq(rcpt(r, "192.0.2.1", "alice", "<a@far.example>",
	    &res), RULES_TEMPFAIL);
	ck_assert_str_eq(res.code, "451");
	ck_assert_str_eq(res.xcode, "4.7.1");
	ck_assert_int_eq(exceeded_calls, 0);
	/* other identities are not affected; case does not matter */
	ck_assert_int_eq(rcpt(r, "192.0.2.1", "bob", "<a@far.example>", NULL),
	    RULES_CONTINUE);
	ck_assert_int_eq(rcpt(r, "192.0.2.1", "ALICE", "<a@far.example>", NULL),
	    RULES_TEMPFAIL);
	ck_assert_int_eq(exceeded_calls, 1);
	ck_assert_str_eq(exceeded_subject, "alice");
	ck_assert_int_eq(rcpt(r, "192.0.2.1", "alice", "<a@far.example>", NULL),
	    RULES_TEMPFAIL);
	ck_assert_int_eq(exceeded_calls, 1);
	clock_now = T0 + 20 * SEC - 1;
	ck_assert_int_eq(rcpt(r, "192.0.2.1", "alice", "<a@far.example>", NULL),
	    RULES_TEMPFAIL);
	clock_now = T0 + 20 * SEC;
	ck_assert_int_eq(rcpt(r, "192.0.2.1", "alice", "<a@far.example>", NULL),
	    RULES_CONTINUE);
	/* the hour: 5 in all, then the hourly window holds until 1440 s */
	clock_now = T0 + 40 * SEC;
	ck_assert_int_eq(rcpt(r, "192.0.2.1", "alice", "<a@far.example>", NULL),
	    RULES_CONTINUE);
	clock_now = T0 + 600 * SEC;
	ck_assert_int_eq(rcpt(r, "192.0.2.1", "alice", "<a@far.example>", NULL),
	    RULES_TEMPFAIL);
	clock_now = T0 + 1440 * SEC;
	ck_assert_int_eq(rcpt(r, "192.0.2.1", "alice", "<a@far.example>", NULL),
	    RULES_CONTINUE);
	rules_unref(r);
	limit_close(s);
}
END_TEST

/* Exemptions, overrides by condition, refused recipients not counted. */
START_TEST(test_rule_exempt)
{
	struct limit_store *s = mem();
	struct rules *r = load(limit_conf, s);
	int     i;

	clock_now = T0;
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(rcpt(r, "192.0.2.1", "boss@example.com",
		    "<a@far.example>", NULL), RULES_CONTINUE);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(rcpt(r, "192.0.2.1", "big@example.com",
		    "<a@far.example>", NULL), RULES_CONTINUE);
	ck_assert_int_eq(rcpt(r, "192.0.2.1", "big@example.com",
	    "<a@far.example>", NULL), RULES_TEMPFAIL);
	/* strangers: refused relay is never counted */
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(rcpt(r, "198.51.100.7", NULL, "<a@far.example>",
		    NULL), RULES_REJECT);
	/* ... local mail is, per /24 */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(rcpt(r, "198.51.100.7", NULL,
		    "<u@example.com>", NULL), RULES_CONTINUE);
	ck_assert_int_eq(rcpt(r, "198.51.100.200", NULL, "<u@example.com>",
	    NULL), RULES_TEMPFAIL);
	ck_assert_int_eq(rcpt(r, "198.51.101.7", NULL, "<u@example.com>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(rcpt(r, "2001:db8:1:2::7", NULL, "<u@example.com>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(rcpt(r, "2001:db8:1:2:ffff::1", NULL,
	    "<u@example.com>", NULL), RULES_CONTINUE);
	ck_assert_int_eq(rcpt(r, "2001:db8:1:2::9", NULL, "<u@example.com>",
	    NULL), RULES_CONTINUE);
	ck_assert_int_eq(rcpt(r, "2001:db8:1:2::9", NULL, "<u@example.com>",
	    NULL), RULES_TEMPFAIL);
	rules_unref(r);
	limit_close(s);
}
END_TEST

/* A reload keeps the counters: they belong to the store, by name. */
START_TEST(test_rule_reload)
{
	struct limit_store *s = mem();
	struct rules *r = load(limit_conf, s), *r2;
	int     i;

	clock_now = T0;
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(rcpt(r, "192.0.2.1", "carol", "<a@far.example>",
		    NULL), RULES_CONTINUE);
	/* the same rule moved down two lines: same name, same counters */
	r2 = load("# moved\n\n" "list vip { nobody }\n"
	    "rcpt {\n"
	    "    tempfail limit 3/minute 5/hour per identity name \"rate\"\n"
	    "    permit auth\n"
	    "}\n", s);
	rules_unref(r);
	ck_assert_int_eq(rcpt(r2, "192.0.2.1", "carol", "<a@far.example>",
	    NULL), RULES_TEMPFAIL);
	rules_unref(r2);
	limit_close(s);
}
END_TEST

/* No store: the limit cannot be counted, on-error answers. */
START_TEST(test_rule_no_store)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("limit.conf", limit_conf, &errs);
	struct rules_result res;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(rcpt(r, "192.0.2.1", "dave", "<a@far.example>", &res),
	    RULES_TEMPFAIL);
	ck_assert_str_eq(res.code, "451");
	ck_assert_int_eq(res.lookup_error, 1);
	ck_assert_int_eq(rules_limits_used(r), 1);
	rules_unref(r);
	strbuf_free(&errs);
}
END_TEST

/* explain's trace shows the counter's state */
START_TEST(test_rule_trace)
{
	struct limit_store *s = mem();
	struct rules *r = load(limit_conf, s);
	struct rules_session *ss;
	struct rules_trace *t = rules_trace_new();
	struct rules_trace_step st;
	struct rules_result res;
	struct addr a;
	size_t  i;
	int     over = 0, counted = 0;

	clock_now = T0;
	ck_assert_int_eq(addr_parse("192.0.2.1", &a), 0);
	ss = rules_session_new(r, 0);
	rules_session_set_client(ss, &a);
	ck_assert_int_eq(rules_session_set(ss, RULES_FACT_AUTH, "erin"), 0);
	ck_assert_int_eq(rules_session_set(ss, RULES_FACT_RCPT,
	    "<a@far.example>"), 0);
	for (i = 0; i < 4; i++)
		rules_eval(ss, RULES_RCPT, &res, t);
	for (i = 0; i < rules_trace_count(t); i++) {
		ck_assert_int_eq(rules_trace_step(t, i, &st), 0);
		if (strstr(st.detail, "erin: under the limit, recipient counted "
		    "(2 of 3/minute left, 4 of 5/hour left)"))
			counted++;
		if (strstr(st.detail, "erin: over the limit 3/minute (0 of "
		    "3/minute left, 2 of 5/hour left); allows again in 20 s"))
			over++;
	}
	ck_assert_int_eq(counted, 1);
	ck_assert_int_eq(over, 1);
	rules_session_free(ss);
	rules_trace_free(t);
	rules_unref(r);
	limit_close(s);
}
END_TEST

static const struct bad_conf {
	const char *text;
	const char *want;
} bad_confs[] = {
	{"mail {\n tempfail limit 1/hour\n}\n", "allowed only in rcpt"},
	{"rcpt {\n permit limit 1/hour\n}\n", "limit needs tempfail or reject"},
	{"rcpt {\n tempfail limit\n}\n", "a rate after limit"},
	{"rcpt {\n tempfail limit 1/fortnight\n}\n", "bad rate"},
	{"rcpt {\n tempfail limit 1/hour 2/60m\n}\n", "same period"},
	{"rcpt {\n tempfail limit 1/h 2/d 3/w 4/m 5/s\n}\n", "at most 4"},
	{"rcpt {\n tempfail limit 1/hour per client\n}\n", "identity after per"},
	{"rcpt {\n tempfail limit 1/hour except\n}\n", "after except"},
	{"rcpt {\n tempfail limit 1/hour except <nope>\n}\n", "nope"},
	{"rcpt {\n tempfail limit 1/hour block-after x\n}\n", "block-after"},
	{"rcpt {\n tempfail limit 1/hour and auth\n}\n", "end of line"},
};

START_TEST(test_rule_errors)
{
	const struct bad_conf *b = &bad_confs[_i];
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("bad.conf", b->text, &errs);

	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(strbuf_str(&errs), b->want) != NULL,
	    "%s: got %s", b->text, strbuf_str(&errs));
	strbuf_free(&errs);
}
END_TEST

/*
 * Sixteen sessions of one identity on 16 threads through the rules,
 * some of their recipients refused by a later rule (counted, then
 * given back): exactly the limit is permitted, no slack.
 */
struct rule_racer {
	struct rules *r;
	int     permitted;
	pthread_barrier_t *go;
};

/* rule_race - 200 RCPTs of one identity, every third to a refused domain */
static void *
rule_race(void *arg)
{
	struct rule_racer *rr = arg;
	struct rules_session *s = rules_session_new(rr->r, 0);
	struct rules_result res;
	struct addr a;
	int     i;

	(void) addr_parse("192.0.2.1", &a);
	rules_session_set_client(s, &a);
	(void) rules_session_set(s, RULES_FACT_AUTH, "mallory");
	pthread_barrier_wait(rr->go);
	for (i = 0; i < 200; i++) {
		(void) rules_session_set(s, RULES_FACT_RCPT, i % 3 == 0 ?
		    "<x@refused.example>" : "<x@far.example>");
		rules_eval(s, RULES_RCPT, &res, NULL);
		if (res.verdict == RULES_CONTINUE)
			rr->permitted++;
	}
	rules_session_free(s);
	return (NULL);
}

START_TEST(test_rule_threads)
{
	struct limit_store *s = mem();
	struct rules *r = load("rcpt {\n"
	    "    tempfail limit 1000/hour 1500/day per identity name \"t\"\n"
	    "    reject rcpt-domain = refused.example\n"
	    "    permit auth\n"
	    "}\n", s);
	pthread_t t[NTHREADS];
	struct rule_racer rr[NTHREADS];
	pthread_barrier_t go;
	int     i, total = 0;

	clock_now = T0;
	pthread_barrier_init(&go, NULL, NTHREADS);
	for (i = 0; i < NTHREADS; i++) {
		rr[i].r = r;
		rr[i].permitted = 0;
		rr[i].go = &go;
		ck_assert_int_eq(pthread_create(&t[i], NULL, rule_race, &rr[i]),
		    0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		total += rr[i].permitted;
	}
	pthread_barrier_destroy(&go);
	/* 16 * 200 * 2/3 = 2133 wanted, 1000 an hour: the limit decides */
	ck_assert_int_le(total, 1000);
	ck_assert_int_ge(total, 1000 - NTHREADS);
	rules_unref(r);
	limit_close(s);
}
END_TEST

/* limit_suite - the rate counter suite */
Suite  *
limit_suite(void)
{
	Suite  *s = suite_create("limit");
	TCase  *tc;

	tc = tcase_create("gcra");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_loop_test(tc, test_boundary, 0, N(boundaries));
	tcase_add_test(tc, test_windows);
	tcase_add_test(tc, test_give);
	tcase_add_test(tc, test_take_n);
	tcase_add_test(tc, test_reset_list);
	tcase_add_loop_test(tc, test_window_parse, 0, N(wcases));
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_set_timeout(tc, RG_TIMEOUT_IO);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_persist);
	tcase_add_test(tc, test_bad_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_set_timeout(tc, RG_TIMEOUT_FAST);
	tcase_add_test(tc, test_rule_boundary);
	tcase_add_test(tc, test_rule_exempt);
	tcase_add_test(tc, test_rule_reload);
	tcase_add_test(tc, test_rule_no_store);
	tcase_add_test(tc, test_rule_trace);
	tcase_add_loop_test(tc, test_rule_errors, 0, N(bad_confs));
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, RG_TIMEOUT_SLOW);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_rule_threads);
	suite_add_tcase(s, tc);
	return (s);
}
