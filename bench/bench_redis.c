/*
 * NAME
 *	bench_redis - in-process grant lookup and rate-limit take time in
 *	Redis
 * SYNOPSIS
 *	bench_redis HOST:PORT [N]
 * DESCRIPTION
 *	Grants 198.51.100.7 in table "bench" of the Redis at HOST:PORT
 *	(prefix "rgbench:"), then times N lookups (default 100000) of it
 *	with store_grant_match(), as the daemon does for "client in
 *	<table>": first with the local cache (every lookup but the first
 *	is a hit once the invalidation connection is up), then with the
 *	cache off (cache-ttl 0: every lookup is a GET and PTTL round trip).
 *	Then times N / 5 takes of a limit rule (two windows, 1000 subjects
 *	in turn), as the daemon counts a recipient, with the counters in
 *	memory (limit-state none) and in Redis (limit-state redis: one
 *	EVALSHA each). Prints the median, 90th and 99th percentile and the
 *	mean of one call in nanoseconds for each. Exit 1 when a lookup did
 *	not find the grant or a take failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_time.h"
#include "common/addr.h"
#include "common/xalloc.h"
#include "store/limit.h"
#include "store/redis.h"
#include "store/store.h"

/* run - time n lookups with the given cache-ttl; 0 or -1 */
static int
run(const char *server, const char *cache_ttl, size_t n, const char *label)
{
	struct redis_conf *c = redis_conf_new();
	struct store *s;
	struct store_error se;
	struct addr a;
	struct timespec pause = {0, 300 * 1000000};
	long long *t, t0, sum = 0;
	char    err[256];
	size_t  i, bad = 0;

	if (redis_conf_set(c, "server", server, NULL, err, sizeof(err)) < 0 ||
	    redis_conf_set(c, "prefix", "rgbench:", NULL, err, sizeof(err)) < 0 ||
	    redis_conf_set(c, "cache-ttl", cache_ttl, NULL, err,
	    sizeof(err)) < 0 || store_open_redis(c, "bench", &s, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "bench_redis: %s\n", err);
		return (-1);
	}
	(void) addr_parse("198.51.100.7", &a);
	if (store_grant(s, &a, "bench", time(NULL) + 3600, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "bench_redis: grant: %s\n", err);
		return (-1);
	}
	/* the first lookup starts the invalidation connection */
	(void) store_grant_match(s, &a, time(NULL), &se);
	nanosleep(&pause, NULL);
	t = xcalloc(n, sizeof(*t));
	for (i = 0; i < n; i++) {
		t0 = ns_now();
		if (store_grant_match(s, &a, time(NULL), &se) != 1)
			bad++;
		t[i] = ns_now() - t0;
		sum += t[i];
	}
	qsort(t, n, sizeof(*t), cmp_ll);
	printf("  %s: %zu lookups, median %lld ns, p90 %lld ns, p99 %lld ns, "
	    "mean %lld ns%s\n", label, n, t[n / 2], t[n * 9 / 10],
	    t[n * 99 / 100], sum / (long long) n, bad ? " (NOT FOUND)" : "");
	free(t);
	store_close(s);
	redis_conf_free(c);
	return (bad ? -1 : 0);
}

/* takes - time n takes on s; 0 or -1 */
static int
takes(struct limit_store *s, size_t n, const char *label)
{
	static const struct limit_window w[] = {{1000000, 3600},
	    {1000000, 86400}};
	struct limit_answer ans;
	struct limit_key k;
	struct timespec rt;
	long long *t, t0, sum = 0;
	char    subj[32];
	size_t  i, bad = 0;

	t = xcalloc(n, sizeof(*t));
	k.name = "bench";
	k.subject = subj;
	for (i = 0; i < n; i++) {
		snprintf(subj, sizeof(subj), "user%zu@example.com", i % 1000);
		clock_gettime(CLOCK_REALTIME, &rt);
		t0 = ns_now();
		if (limit_take(s, &k, w, 2, (int64_t) rt.tv_sec * LIMIT_US +
		    rt.tv_nsec / 1000, 1, &ans) < 0 ||
		    !ans.allowed)
			bad++;
		t[i] = ns_now() - t0;
		sum += t[i];
	}
	qsort(t, n, sizeof(*t), cmp_ll);
	printf("  %s: %zu takes, median %lld ns, p90 %lld ns, p99 %lld ns, "
	    "mean %lld ns%s\n", label, n, t[n / 2], t[n * 9 / 10],
	    t[n * 99 / 100], sum / (long long) n, bad ? " (FAILED)" : "");
	free(t);
	return (bad ? -1 : 0);
}

/* run_takes - a limit rule's take, local and in Redis; 0 or -1 */
static int
run_takes(const char *server, size_t n)
{
	struct redis_conf *c = redis_conf_new();
	struct limit_store *loc, *red;
	char    err[256];
	int     rc = 0;

	if (redis_conf_set(c, "server", server, NULL, err, sizeof(err)) < 0 ||
	    redis_conf_set(c, "prefix", "rgbench:", NULL, err, sizeof(err)) < 0 ||
	    limit_local_open(NULL, 0, &loc, err, sizeof(err)) < 0 ||
	    limit_redis_open(c, 0, &red, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_redis: %s\n", err);
		return (-1);
	}
	rc |= takes(loc, n, "limit take, local");
	(void) limit_reset(red, NULL);
	rc |= takes(red, n, "limit take, Redis");
	(void) limit_reset(red, NULL);
	limit_close(loc);
	limit_close(red);
	redis_conf_free(c);
	return (rc);
}

int
main(int argc, char **argv)
{
	size_t  n = argc > 2 ? (size_t) strtoul(argv[2], NULL, 10) : 100000;
	int     rc = 0;

	if (argc < 2 || n == 0) {
		fprintf(stderr, "usage: bench_redis HOST:PORT [N]\n");
		return (2);
	}
	rc |= run(argv[1], "60s", n, "cache hit");
	rc |= run(argv[1], "0", n < 20000 ? n : 20000, "cache off (round trip)");
	rc |= run_takes(argv[1], n / 5 > 0 ? n / 5 : 1);
	return (rc ? 1 : 0);
}
