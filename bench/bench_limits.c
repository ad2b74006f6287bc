/*
 * NAME
 *	bench_limits - the cost of rate limits per recipient decision
 * SYNOPSIS
 *	bench_limits [decisions]
 * DESCRIPTION
 *	Times rules_eval(RCPT) for an authenticated recipient under two
 *	configurations that differ only in two limit rules (three
 *	windows in all) in front of the permits:
 *
 *	base: permit rcpt-domain, permit auth, reject;
 *	limits: the same after "tempfail limit 100000/hour 1000000/day
 *	per identity" and "tempfail limit 1000000/week per identity",
 *	so that every decision counts the recipient twice.
 *
 *	Identities cycle over 10,000 names (the counters' hash table
 *	holds 20,000 keys). Figures: thread CPU time per decision on one
 *	thread; decisions per second (wall clock) on 16 threads with 16
 *	sessions of different identities, and with all 16 threads on one
 *	identity (every take on one shard lock: the worst case; past
 *	100,000 its decisions are refusals, which count nothing); the
 *	store's take alone; and the time to flush 100,000 keys to a new
 *	LMDB file, then again with 1% of them changed.
 *
 *	Prints one line per figure and key=value lines for scripts.
 * DIAGNOSTICS
 *	Exit 1 when a configuration does not load or a decision is not
 *	the expected one.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "rules/limits.h"
#include "rules/rules.h"
#include "store/limit.h"

#define NIDENT		10000
#define NTHREADS	16
#define NFLUSH		100000

static const char base_conf[] =
    "rcpt {\n"
    "    permit rcpt-domain = example.com\n"
    "    permit auth\n"
    "    reject\n"
    "}\n";

static const char limits_conf[] =
    "rcpt {\n"
    "    tempfail limit 100000/hour 1000000/day per identity name \"a\"\n"
    "    tempfail limit 1000000/week per identity name \"b\"\n"
    "    permit rcpt-domain = example.com\n"
    "    permit auth\n"
    "    reject\n"
    "}\n";

static char idents[NIDENT][16];

/* seconds - a clock in seconds: CLOCK_MONOTONIC, or this thread's CPU */
static double
seconds(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

#define wall()	seconds(CLOCK_MONOTONIC)
#define cpu()	seconds(CLOCK_THREAD_CPUTIME_ID)

/* load - a configuration attached to store s; exits on error */
static struct rules *
load(const char *text, struct limit_store *s)
{
	struct strbuf errs = STRBUF_INIT;
	struct rules *r = rules_load_string("bench.conf", text, &errs);
	struct rules_limits l = {s, NULL, NULL, NULL, NULL};

	if (r == NULL) {
		fprintf(stderr, "bench_limits: %s", strbuf_str(&errs));
		exit(1);
	}
	strbuf_free(&errs);
	rules_limits_attach(r, &l);
	return (r);
}

struct job {
	struct rules *r;
	long    n;
	int     first;			/* first identity; step 1 */
	int     one;			/* every decision of one identity */
	long    bad;
	double  cpu;
};

/* run - n RCPT decisions; wrong answers counted in bad */
static void *
run(void *arg)
{
	struct job *j = arg;
	struct rules_session *s = rules_session_new(j->r, 0);
	struct rules_result res;
	struct addr a;
	double  c0;
	long    i;

	(void) addr_parse("198.51.100.7", &a);
	rules_session_set_client(s, &a);
	(void) rules_session_set(s, RULES_FACT_SENDER, "<u@example.org>");
	(void) rules_session_set(s, RULES_FACT_RCPT, "<someone@far.example>");
	c0 = cpu();
	for (i = 0; i < j->n; i++) {
		(void) rules_session_set(s, RULES_FACT_AUTH,
		    idents[j->one ? j->first : (j->first + i) % NIDENT]);
		rules_eval(s, RULES_RCPT, &res, NULL);
		/* one identity: past 100,000 an hour the limit refuses */
		if (res.verdict != RULES_CONTINUE &&
		    !(j->one && res.verdict == RULES_TEMPFAIL))
			j->bad++;
	}
	j->cpu = cpu() - c0;
	rules_session_free(s);
	return (NULL);
}

/* threads - decisions per second on NTHREADS threads */
static double
threads(struct rules *r, long n, int one, long *bad)
{
	pthread_t t[NTHREADS];
	struct job j[NTHREADS];
	double  w0 = wall();
	int     i;

	for (i = 0; i < NTHREADS; i++) {
		memset(&j[i], 0, sizeof(j[i]));
		j[i].r = r;
		j[i].n = n;
		j[i].first = one ? 7 : i * (NIDENT / NTHREADS);
		j[i].one = one;
		(void) pthread_create(&t[i], NULL, run, &j[i]);
	}
	for (i = 0; i < NTHREADS; i++) {
		(void) pthread_join(t[i], NULL);
		*bad += j[i].bad;
	}
	return (NTHREADS * (double) n / (wall() - w0));
}

/* touch - count one recipient for every step-th of NFLUSH subjects */
static void
touch(struct limit_store *s, long step)
{
	struct limit_window w = {100000, 3600};
	struct limit_answer ans;
	struct limit_key k = {NULL, "hourly"};
	char    sub[32];
	long    i;

	for (i = 0; i < NFLUSH; i += step) {
		snprintf(sub, sizeof(sub), "user%07ld@example.com", i);
		k.subject = sub;
		(void) limit_take(s, &k, &w, 1, INT64_C(1800000000000000), 1,
		    &ans);
	}
}

int
main(int argc, char **argv)
{
	long    n = argc > 1 ? atol(argv[1]) : 2000000, bad = 0, i;
	struct limit_store *s;
	struct rules *rb, *rl;
	struct job j;
	struct limit_answer ans;
	struct limit_window w[2] = {{100000, 3600}, {1000000, 86400}};
	struct limit_key k;
	char    err[256], dir[] = "/tmp/rg-bench-limits.XXXXXX", path[300];
	double  base_ns, lim_ns, take_ns, base_mt, lim_mt, one_mt, t0, full,
	    part;

	for (i = 0; i < NIDENT; i++)
		snprintf(idents[i], sizeof(idents[i]), "user%05ld", i);
	if (limit_local_open(NULL, 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_limits: %s\n", err);
		return (1);
	}
	rb = load(base_conf, s);
	rl = load(limits_conf, s);

	/* One thread: CPU per decision. */
	memset(&j, 0, sizeof(j));
	j.r = rb;
	j.n = n;
	run(&j);
	base_ns = j.cpu / n * 1e9;
	bad += j.bad;
	memset(&j, 0, sizeof(j));
	j.r = rl;
	j.n = n;
	run(&j);
	lim_ns = j.cpu / n * 1e9;
	bad += j.bad;
	printf("decision, no limits:        %8.0f ns (one thread, CPU)\n",
	    base_ns);
	printf("decision, two limit rules:  %8.0f ns (+%.0f ns)\n", lim_ns,
	    lim_ns - base_ns);

	/* Sixteen threads. */
	base_mt = threads(rb, n / 8, 0, &bad);
	lim_mt = threads(rl, n / 8, 0, &bad);
	one_mt = threads(rl, n / 8, 1, &bad);
	printf("16 threads, no limits:      %8.0f decisions/s\n", base_mt);
	printf("16 threads, two limits:     %8.0f decisions/s (%.1f%%)\n",
	    lim_mt, 100.0 * (lim_mt - base_mt) / base_mt);
	printf("16 threads, one identity:   %8.0f decisions/s (%.1f%%)\n",
	    one_mt, 100.0 * (one_mt - base_mt) / base_mt);

	/* The store alone. */
	t0 = cpu();
	for (i = 0; i < n; i++) {
		k.subject = idents[i % NIDENT];
		k.name = "raw";
		(void) limit_take(s, &k, w, 2, INT64_C(1800000000000000), 1,
		    &ans);
	}
	take_ns = (cpu() - t0) / n * 1e9;
	printf("store take, two windows:    %8.0f ns\n", take_ns);
	rules_unref(rb);
	rules_unref(rl);
	limit_close(s);

	/* Flush: 100,000 keys, then 1% of them again. */
	if (mkdtemp(dir) == NULL) {
		perror("bench_limits: mkdtemp");
		return (1);
	}
	snprintf(path, sizeof(path), "%s/limits.lmdb", dir);
	if (limit_local_open(path, 0, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_limits: %s\n", err);
		return (1);
	}
	touch(s, 1);
	t0 = wall();
	if (limit_flush(s, INT64_C(1800000000000000), err, sizeof(err)) < 0)
		fprintf(stderr, "bench_limits: flush: %s\n", err), bad++;
	full = wall() - t0;
	touch(s, 100);
	t0 = wall();
	if (limit_flush(s, INT64_C(1800000000000000), err, sizeof(err)) < 0)
		fprintf(stderr, "bench_limits: flush: %s\n", err), bad++;
	part = wall() - t0;
	limit_close(s);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		bad++;
	printf("flush 100,000 keys:         %8.1f ms; 1%% changed: %.1f ms\n",
	    full * 1e3, part * 1e3);

	printf("limits_decision_base_ns=%.0f\nlimits_decision_ns=%.0f\n"
	    "limits_mt16_base=%.0f\nlimits_mt16=%.0f\nlimits_mt16_one=%.0f\n"
	    "limits_take_ns=%.0f\nlimits_flush_100k_ms=%.1f\n"
	    "limits_flush_1pct_ms=%.1f\nlimits_wrong=%ld\n", base_ns, lim_ns,
	    base_mt, lim_mt, one_mt, take_ns, full * 1e3, part * 1e3, bad);
	return (bad != 0);
}
