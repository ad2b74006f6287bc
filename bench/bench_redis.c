/*
 * NAME
 *	bench_redis - in-process grant lookup time on a Redis table
 * SYNOPSIS
 *	bench_redis HOST:PORT [N]
 * DESCRIPTION
 *	Grants 198.51.100.7 in table "bench" of the Redis at HOST:PORT
 *	(prefix "rgbench:"), then times N lookups (default 100000) of it
 *	with store_grant_match(), as the daemon does for "client in
 *	<table>": first with the local cache (every lookup but the first
 *	is a hit once the invalidation connection is up), then with the
 *	cache off (cache-ttl 0: every lookup is a PTTL round trip). Prints
 *	the median, 90th and 99th percentile and the mean of one lookup in
 *	nanoseconds for each. Exit 1 when a lookup did not find the grant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_time.h"
#include "common/addr.h"
#include "common/xalloc.h"
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
	return (rc ? 1 : 0);
}
